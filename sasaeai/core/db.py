"""Database topology: transaction pooling (PgBouncer) and read-replica routing.

Two optional production set-ups, both off by default (one PostgreSQL, direct connections):

- `DATABASE_POOL_MODE=transaction`: the web processes reach PostgreSQL through PgBouncer in
  transaction pooling, where consecutive transactions of one client may run on different server
  connections and a server connection passes from client to client between transactions. A
  session-level setting would then follow the server connection to the next client: a tenant
  leak. In this mode every web request runs in one transaction (`ActorMiddleware` opens it,
  `request_transaction`), the tenant and user are set transaction-locally (`set_config(...,
  true)`, core.tenancy) and vanish at commit, server-side cursors and prepared statements are
  off. Commands and the worker connect directly, in the normal mode (docs/scaling.md).
- `DATABASE_REPLICA_URL`: a streaming replica as the `replica` alias. Reads inside
  `replica_reads()` go there (`ReplicaRouter`); everything else, and every write, stays on the
  primary. The tenant and user settings are applied on the replica connection too, so row-level
  security binds those reads as well.
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

REPLICA = "replica"
POOL_MODES = ("session", "transaction")

_replica_reads: ContextVar[bool] = ContextVar("sasaeai_replica_reads", default=False)


def transaction_pooling() -> bool:
    return getattr(settings, "DATABASE_POOL_MODE", "session") == "transaction"


def replica_configured() -> bool:
    return REPLICA in connections.settings


def reading_from_replica() -> bool:
    return _replica_reads.get() and replica_configured()


def tenant_aliases() -> list[str]:
    """The connections that carry the tenant and user settings right now."""
    return [DEFAULT_DB_ALIAS, REPLICA] if reading_from_replica() else [DEFAULT_DB_ALIAS]


@contextmanager
def request_transaction(request) -> Iterator[bool]:
    """One transaction around a whole web request under transaction pooling, else nothing.

    Yields whether the request may set the tenant and user (False for an exempt path under
    transaction pooling: it runs without them, as an anonymous actor).

    The health check stays outside (it must answer 503, not fail, when the database is down).
    An exception in the view is turned into a 500 response before it reaches here, and the
    transaction then commits; so views also run in their own savepoint (ATOMIC_REQUESTS, set
    with the pool mode in settings), which the exception rolls back.
    """
    if not transaction_pooling():
        yield True
    elif request.path in settings.DATABASE_POOL_EXEMPT_PATHS:
        yield False  # no transaction, so no tenant or user settings either
    else:
        with transaction.atomic():
            yield True


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send the block's reads to the read replica, if one is configured.

    For report and statistics pages that tolerate a little replication lag (seconds): never
    for a read that must see the request's own writes. Writes, and reads that lock rows
    (select_for_update, the audit chain head), still go to the primary. The current tenant and
    user are set on the replica connection for the block, so row-level security applies there
    as it does on the primary.
    """
    if not replica_configured() or _replica_reads.get():
        yield
        return
    from sasaeai.core import tenancy

    with ExitStack() as stack:
        # Undone in reverse: the settings cleared, the transaction ended, the routing back.
        token = _replica_reads.set(True)
        stack.callback(_replica_reads.reset, token)
        if transaction_pooling():
            stack.enter_context(transaction.atomic(using=REPLICA))
        tenancy.apply_current(REPLICA)
        stack.callback(tenancy.clear, REPLICA)
        yield


class ReplicaRouter:
    """Reads inside replica_reads() go to the replica; all else to the primary."""

    def db_for_read(self, model, **hints):
        return REPLICA if reading_from_replica() else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same database, seen through two connections

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
