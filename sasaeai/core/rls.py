"""PostgreSQL row-level security for every tenant-related table, applied after each migrate.

Defence in depth against query mistakes (a forgotten filter, a raw query), not against an
attacker who runs SQL as the application role: that role sets `sasaeai.tenant_id` itself.

Every concrete subclass of core.models.TenantScoped, and every many-to-many table hanging
off one (checked through its parent's tenant, `link_tables`), and the memberships (also
readable by their own user, `OWN_ROWS_TABLES`), gets:
- ENABLE and FORCE ROW LEVEL SECURITY (FORCE so the owner is bound too);
- `tenant_isolation`: rows of the tenant in `sasaeai.tenant_id` only, none when it is unset;
- `maintenance`: all rows, for the migrating (owner) role only, and only while it has set
  `sasaeai.maintenance` (core.tenancy.all_tenants).
The application role (settings.DATABASE_APP_ROLE), when it exists, is granted read and write
on every table except the audit log, which it may only read and append to, and the audit
chain head, which it may only read: the owner's trigger moves it (audit.database).
"""

from django.apps import apps
from django.conf import settings
from django.db import connections

from sasaeai.audit import database as audit_database
from sasaeai.core.models import TenantScoped

TENANT_EXPR = "NULLIF(current_setting('sasaeai.tenant_id', true), '')::bigint"
USER_EXPR = "NULLIF(current_setting('sasaeai.user_id', true), '')::bigint"
# Tenant-related tables that a signed-in user also reads across tenants, for their own rows
# only (core.tenancy.user_context): memberships decide the tenant, so they are read before one
# is chosen. Written only inside the current tenant.
OWN_ROWS_TABLES = {"accounts_membership": "user_id"}
APPEND_ONLY_TABLES = {"audit_auditentry"}
OWNER_WRITTEN_TABLES = {"audit_chainhead"}


# Django's own bookkeeping, written by `migrate` (the owner) and only read by the application.
READ_ONLY_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


def _is_tenant_scoped(model) -> bool:
    return issubclass(model, TenantScoped) and not model._meta.proxy and model._meta.managed


def tenant_scoped_tables() -> list[tuple[str, bool]]:
    return [
        (model._meta.db_table, model.rls_allows_null_tenant)
        for model in apps.get_models()
        if _is_tenant_scoped(model)
    ]


def link_tables() -> list[tuple[str, str, str]]:
    """Many-to-many tables that hang off a tenant-scoped model: (table, column, parent table).

    They have no tenant_id of their own; a row belongs to its parent's tenant.
    """
    links = []
    for model in apps.get_models():
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if not through._meta.auto_created:
                continue
            for fk in (field.m2m_field_name(), field.m2m_reverse_field_name()):
                parent = through._meta.get_field(fk).related_model
                if _is_tenant_scoped(parent):
                    column = through._meta.get_field(fk).column
                    links.append((through._meta.db_table, column, parent._meta.db_table))
                    break
    return links


def link_check(table: str, column: str, parent: str) -> str:
    return (
        f'EXISTS (SELECT 1 FROM "{parent}" p WHERE p.id = "{table}"."{column}" '
        f"AND p.tenant_id = {TENANT_EXPR})"
    )


def policy_statements(
    table: str, allows_null_tenant: bool, check: str | None = None, own_rows: str | None = None
) -> list[str]:
    check = check or f"tenant_id = {TENANT_EXPR}"
    write_check = f"(tenant_id IS NULL OR {check})" if allows_null_tenant else check
    read_check = f'({check} OR "{own_rows}" = {USER_EXPR})' if own_rows else check
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"',
        f'CREATE POLICY tenant_isolation ON "{table}" USING ({read_check}) WITH CHECK ({write_check})',
        f'DROP POLICY IF EXISTS maintenance ON "{table}"',
        f'CREATE POLICY maintenance ON "{table}" TO CURRENT_USER '
        "USING (current_setting('sasaeai.maintenance', true) = 'on') "
        "WITH CHECK (current_setting('sasaeai.maintenance', true) = 'on')",
    ]


def grant_statements(role: str, tables: list[str]) -> list[str]:
    quoted = f'"{role}"'
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ]
    for table in tables:
        if table in READ_ONLY_TABLES:
            statements.append(f'GRANT SELECT ON "{table}" TO {quoted}')
            statements.append(f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "{table}" FROM {quoted}')
        elif table in OWNER_WRITTEN_TABLES:
            statements.extend(audit_database.app_role_statements(quoted))
        elif table in APPEND_ONLY_TABLES:
            statements.append(f'GRANT SELECT, INSERT ON "{table}" TO {quoted}')
            statements.append(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{table}" FROM {quoted}')
        else:
            statements.append(f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{table}" TO {quoted}')
    return statements


def apply(using: str = "default") -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table, allows_null in tenant_scoped_tables():
            if table in existing:
                for statement in policy_statements(table, allows_null):
                    cursor.execute(statement)
        for table, column in OWN_ROWS_TABLES.items():
            if table in existing:
                for statement in policy_statements(table, False, own_rows=column):
                    cursor.execute(statement)
        for table, column, parent in link_tables():
            if table in existing:
                for statement in policy_statements(table, False, link_check(table, column, parent)):
                    cursor.execute(statement)
        if {"audit_auditentry", "audit_chainhead"} <= existing:
            for statement in audit_database.chain_statements():
                cursor.execute(statement)
    grant_app_role(using)


def grant_app_role(using: str = "default") -> None:
    """Grant the application role its privileges, if that role exists in this cluster."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    existing = sorted(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [settings.DATABASE_APP_ROLE])
        if cursor.fetchone():
            for statement in grant_statements(settings.DATABASE_APP_ROLE, existing):
                cursor.execute(statement)


def apply_after_migrate(sender, using="default", **kwargs) -> None:
    # post_migrate fires for every app after all migrations have run, so one app's signal
    # sees every table, including those of modules added later.
    if sender.label == "core":
        apply(using)
