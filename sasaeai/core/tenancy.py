"""The current tenant of a request or command, mirrored into PostgreSQL for row-level security.

The ORM scopes queries through accounts.policy; underneath it, on PostgreSQL, the setting
`sasaeai.tenant_id` makes the RLS policies (core.rls) return only the current tenant's rows,
and none at all when it is unset.

Normally the settings are session-level, put back at the end of each block. Under transaction
pooling (core.db, `DATABASE_POOL_MODE=transaction`) they are transaction-local instead, so that
they end with the request's transaction and never reach the next client of the server
connection; setting one outside a transaction is then refused, not silently lost. Inside
core.db.replica_reads() they are set on the replica connection too.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections

from sasaeai.core import db

_current_tenant_id: ContextVar[int | None] = ContextVar("sasaeai_tenant_id", default=None)
_current_user_id: ContextVar[int | None] = ContextVar("sasaeai_user_id", default=None)

TENANT_SETTING = "sasaeai.tenant_id"
USER_SETTING = "sasaeai.user_id"
MAINTENANCE_SETTING = "sasaeai.maintenance"


def current_tenant_id() -> int | None:
    return _current_tenant_id.get()


class TenantSettingOutsideTransaction(RuntimeError):
    """Under transaction pooling a setting made outside a transaction would be lost at once."""


def _set_on(alias: str, name: str, value: str) -> None:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return
    local = db.transaction_pooling()
    if local and not connection.in_atomic_block:
        raise TenantSettingOutsideTransaction(
            f"{name} must be set inside a transaction under transaction pooling "
            "(run the block in transaction.atomic(), as ActorMiddleware does for requests)"
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, %s)", [name, value, local])


def _set_database_setting(name: str, value: str) -> None:
    for alias in db.tenant_aliases():
        _set_on(alias, name, value)


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def apply_current(alias: str) -> None:
    """Give another connection (the replica) the current tenant and user."""
    _set_on(alias, TENANT_SETTING, _text(_current_tenant_id.get()))
    _set_on(alias, USER_SETTING, _text(_current_user_id.get()))


def clear(alias: str) -> None:
    if connections[alias].vendor == "postgresql" and connections[alias].connection is not None:
        _set_on(alias, TENANT_SETTING, "")
        _set_on(alias, USER_SETTING, "")


@contextmanager
def tenant_context(tenant_id: int | None) -> Iterator[None]:
    """Run a block as one tenant: the ORM helpers and the database both see only it."""
    previous = _current_tenant_id.get()
    # A connection starts with no tenant and is put back to its previous one afterwards, so
    # an unchanged tenant needs no round trip (and /healthz works with the database down).
    changed = tenant_id != previous
    if changed:
        # The database first: if it refuses, the thread must not keep the tenant either (the
        # next request served by this thread would start in it).
        _set_database_setting(TENANT_SETTING, "" if tenant_id is None else str(tenant_id))
    token = _current_tenant_id.set(tenant_id)
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
    token = _current_user_id.set(user_id)
    try:
        yield
    finally:
        _current_user_id.reset(token)
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
