"""On PostgreSQL, only the owner's code moves the audit chain head.

The application role may read the head and append entries; it may not write the head.
- `audit_chain_head_lock()` (SECURITY DEFINER) locks the head row for the transaction and
  returns it, creating it after a flush;
- the BEFORE INSERT trigger `audit_entry_link` (SECURITY DEFINER) refuses an entry that does
  not follow the head (sequence + 1, previous hash) or that names a user other than its
  actor_id, and moves the head on to the new entry.
Both run as the owner, so the head stays writable for them alone.
"""

LOCK_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_chain_head_lock(OUT head_sequence bigint, OUT head_hash text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO audit_chainhead (id, sequence, entry_hash) VALUES (1, 0, repeat('0', 64))
        ON CONFLICT (id) DO NOTHING;
    SELECT h.sequence, h.entry_hash INTO head_sequence, head_hash
        FROM audit_chainhead h WHERE h.id = 1 FOR UPDATE;
END $$
"""

LINK_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entry_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    head audit_chainhead%ROWTYPE;
BEGIN
    SELECT * INTO head FROM audit_chainhead WHERE id = 1 FOR UPDATE;
    IF NOT FOUND OR NEW.sequence <> head.sequence + 1 OR NEW.previous_hash <> head.entry_hash THEN
        RAISE EXCEPTION 'audit entry #% does not follow the chain head', NEW.sequence
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.actor_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM accounts_user u WHERE u.id = NEW.actor_id AND u.username = NEW.actor_username
    ) THEN
        RAISE EXCEPTION 'audit entry #% names another user than its actor', NEW.sequence
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.actor_id IS NULL AND NEW.actor_username <> '' AND EXISTS (
        SELECT 1 FROM accounts_user u WHERE u.username = NEW.actor_username
    ) THEN
        RAISE EXCEPTION 'audit entry #% names a user without being that user', NEW.sequence
            USING ERRCODE = 'check_violation';
    END IF;
    UPDATE audit_chainhead SET sequence = NEW.sequence, entry_hash = NEW.entry_hash WHERE id = 1;
    RETURN NEW;
END $$
"""

TRIGGER = [
    "DROP TRIGGER IF EXISTS audit_entry_link ON audit_auditentry",
    "CREATE TRIGGER audit_entry_link BEFORE INSERT ON audit_auditentry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_link()",
]


def chain_statements() -> list[str]:
    return [LOCK_FUNCTION, LINK_FUNCTION, *TRIGGER]


def app_role_statements(quoted_role: str) -> list[str]:
    return [
        f"REVOKE ALL ON audit_chainhead FROM {quoted_role}",
        f"GRANT SELECT ON audit_chainhead TO {quoted_role}",
        "REVOKE ALL ON FUNCTION audit_entry_link() FROM PUBLIC",
        "REVOKE ALL ON FUNCTION audit_chain_head_lock() FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION audit_chain_head_lock() TO {quoted_role}",
    ]
