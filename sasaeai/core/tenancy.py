"""The current tenant of a request or command, mirrored into PostgreSQL for row-level security.

The ORM scopes queries through accounts.policy; underneath it, on PostgreSQL, the session
setting `sasaeai.tenant_id` makes the RLS policies (core.rls) return only the current
tenant's rows, and none at all when it is unset.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection

_current_tenant_id: ContextVar[int | None] = ContextVar("sasaeai_tenant_id", default=None)

TENANT_SETTING = "sasaeai.tenant_id"
USER_SETTING = "sasaeai.user_id"
MAINTENANCE_SETTING = "sasaeai.maintenance"


def current_tenant_id() -> int | None:
    return _current_tenant_id.get()


def _set_database_setting(name: str, value: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])


@contextmanager
def tenant_context(tenant_id: int | None) -> Iterator[None]:
    """Run a block as one tenant: the ORM helpers and the database both see only it."""
    previous = _current_tenant_id.get()
    token = _current_tenant_id.set(tenant_id)
    # A connection starts with no tenant and is put back to its previous one afterwards, so
    # an unchanged tenant needs no round trip (and /healthz works with the database down).
    changed = tenant_id != previous
    if changed:
        _set_database_setting(TENANT_SETTING, "" if tenant_id is None else str(tenant_id))
    try:
        yield
    finally:
        _current_tenant_id.reset(token)
        if changed:
            _set_database_setting(TENANT_SETTING, "" if previous is None else str(previous))


@contextmanager
def user_context(user_id: int | None) -> Iterator[None]:
    """Run a request as its signed-in user: RLS lets them read their own memberships in every
    tenant (needed before a tenant is chosen), and nobody else's outside the current tenant."""
    if user_id is None:
        yield
        return
    _set_database_setting(USER_SETTING, str(user_id))
    try:
        yield
    finally:
        _set_database_setting(USER_SETTING, "")


@contextmanager
def all_tenants() -> Iterator[None]:
    """Cross-tenant maintenance (demo loading, chain verification, benchmarks).

    Effective only for the role that owns the tables: the RLS maintenance policy is granted
    to that role alone, so the application role setting the same flag still sees nothing.
    """
    _set_database_setting(MAINTENANCE_SETTING, "on")
    try:
        yield
    finally:
        _set_database_setting(MAINTENANCE_SETTING, "")
