from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.utils import timezone

from sasaeai.accounts.policy import Actor
from sasaeai.audit.chain import GENESIS_HASH, entry_digest
from sasaeai.audit.models import Action, AuditEntry, ChainHead


@dataclass(frozen=True)
class Event:
    """What happened to what, about whom; the actor and time are added when it is appended."""

    action: Action | str
    object_type: str
    object_id: str = ""
    object_repr: str = ""
    subject_type: str = ""
    subject_id: str = ""
    tenant_id: int | None = None
    detail: dict | None = None


def audit_append(*, actor: Actor, events: Sequence[Event]) -> list[AuditEntry]:
    """Append events to the chain in one transaction.

    The chain head is locked first, so concurrent writers queue and the log stays a single
    chain; a list page appends one entry per person shown under a single lock.
    """
    if not events:
        return []
    with transaction.atomic():
        head = _locked_head()
        now = timezone.now()
        entries = []
        previous_hash, sequence = head.entry_hash, head.sequence
        for event in events:
            sequence += 1
            entry = AuditEntry(
                tenant_id=event.tenant_id if event.tenant_id is not None else actor.tenant_id,
                sequence=sequence,
                occurred_at=now,
                actor_id=actor.user_id,
                actor_username=actor.username,
                actor_role=actor.role or "",
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                object_repr=event.object_repr[:200],
                subject_type=event.subject_type or event.object_type,
                subject_id=event.subject_id or event.object_id,
                ip_address=actor.ip_address,
                detail=_with_token(event.detail, actor),
                previous_hash=previous_hash,
            )
            entry.entry_hash = entry_digest(entry)
            previous_hash = entry.entry_hash
            entries.append(entry)
        _insert_without_returning(entries)
        if connection.vendor != "postgresql":
            # On PostgreSQL the owner's insert trigger moves the head (audit.database).
            head.sequence, head.entry_hash = sequence, previous_hash
            head.save(update_fields=["sequence", "entry_hash"])
    return entries


def _with_token(detail: dict | None, actor: Actor) -> dict:
    """An action done with an API token names the token (its user or service is the actor)."""
    if actor.token_id is None:
        return detail or {}
    return {**(detail or {}), "api_token": actor.token_id}


def _insert_without_returning(entries: list[AuditEntry]) -> None:
    """INSERT without RETURNING: PostgreSQL checks returned rows against the read policy, and
    an entry written before a tenant is chosen (a login) must be writable yet not readable."""
    fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    rows = [
        [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields]
        for entry in entries
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608


def _locked_head() -> ChainHead:
    if connection.vendor == "postgresql":
        # The application role may not lock (nor write) the head itself: the owner's
        # function does, for the rest of this transaction.
        with connection.cursor() as cursor:
            cursor.execute("SELECT head_sequence, head_hash FROM audit_chain_head_lock()")
            sequence, entry_hash = cursor.fetchone()
        return ChainHead(pk=1, sequence=sequence, entry_hash=entry_hash)
    try:
        return ChainHead.objects.select_for_update().get(pk=1)
    except ChainHead.DoesNotExist:
        # The migration creates the head; a flushed database (tests) recreates it here, and
        # ignore_conflicts keeps two first writers from both inserting one.
        ChainHead.objects.bulk_create(
            [ChainHead(pk=1, sequence=0, entry_hash=GENESIS_HASH)], ignore_conflicts=True
        )
        return ChainHead.objects.select_for_update().get(pk=1)


def event_for(
    action: Action | str,
    obj: models.Model,
    *,
    subject: models.Model | None = None,
    detail: dict | None = None,
) -> Event:
    subject = subject if subject is not None else obj
    return Event(
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        # No str(obj): a record's label is its content (a person's name, a case title), and
        # the log's readers may see which record was touched, never what it says.
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        tenant_id=getattr(obj, "tenant_id", None),
        detail=detail,
    )


def audit_object(
    actor: Actor,
    action: Action | str,
    obj: models.Model,
    *,
    subject: models.Model | None = None,
    detail: dict | None = None,
) -> AuditEntry:
    """Record one action on one object. The subject (whose data it is) defaults to the object."""
    return audit_append(
        actor=actor, events=[event_for(action, obj, subject=subject, detail=detail)]
    )[0]


def audit_reads(
    actor: Actor,
    objects: Sequence[models.Model],
    *,
    action: Action | str = Action.READ,
    subject_of=None,
    detail: dict | None = None,
) -> list[AuditEntry]:
    """Record that a page, API response or export showed these named records: one entry each."""
    return audit_append(
        actor=actor,
        events=[
            event_for(action, obj, subject=subject_of(obj) if subject_of else None, detail=detail)
            for obj in objects
        ],
    )


def audit_event(actor: Actor, event: Event) -> AuditEntry:
    return audit_append(actor=actor, events=[event])[0]


def audit_log_read(
    actor: Actor, *, filters: dict, shown: int, action: Action | str = Action.READ
) -> AuditEntry:
    """Reading the audit log is itself audited: who searched for what, and how much they saw."""
    return audit_event(
        actor,
        Event(
            action=action,
            object_type=AuditEntry._meta.label_lower,
            detail={"filters": {k: str(v) for k, v in filters.items()}, "rows": shown},
        ),
    )
