"""PgBouncer in transaction pooling: the per-request tenant setting must not leak.

A real PgBouncer (pool_mode=transaction, default_pool_size=1, so every client shares one server
connection) in front of the test database; the application connects through it as the
application role. Skipped with a notice when pgbouncer is not installed.
"""

import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections
from django.test import Client, override_settings

from sasaeai.accounts.models import Role

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PGBOUNCER = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
)
APP = "sasaeai_app"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def pgbouncer(app_login):
    if PGBOUNCER is None:
        print("\nNOTICE: pgbouncer is not installed; the transaction pooling test is skipped.")
        pytest.skip("pgbouncer is not installed")
    settings = connection.settings_dict
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        directory.chmod(0o755)
        (directory / "userlist.txt").write_text(f'"{APP}" ""\n')
        ini = directory / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"* = host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {directory / 'userlist.txt'}\n"
            "pool_mode = transaction\ndefault_pool_size = 1\nmin_pool_size = 0\n"
            "reserve_pool_size = 0\nmax_client_conn = 50\nserver_reset_query =\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            # PgBouncer refuses to run as root; it drops to this user when started as root.
            + ("user = postgres\n" if _is_root() else "")
        )
        for path in directory.iterdir():
            path.chmod(0o644)
        log = directory / "pgbouncer.log"
        with log.open("wb") as out:
            process = subprocess.Popen([PGBOUNCER, str(ini)], stdout=out, stderr=out)  # noqa: S603
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"pgbouncer did not start: {log.read_text() if log.exists() else ''}"
                        ) from None
                    time.sleep(0.1)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=10)


def _is_root() -> bool:
    import os

    return os.geteuid() == 0


def pooled_client(port: int):
    """Another client of the pool (another request's connection, the next worker's...)."""
    return psycopg.connect(
        host="127.0.0.1", port=port, user=APP, dbname=connection.settings_dict["NAME"],
        autocommit=True, prepare_threshold=None,
    )  # fmt: skip


@contextmanager
def app_through(port: int | None, *, transaction_mode: bool):
    """The application's default connection as the app role, through PgBouncer or directly."""
    settings = connection.settings_dict
    saved = {key: settings.get(key) for key in ("HOST", "PORT", "USER", "PASSWORD", "OPTIONS",
                                                 "ATOMIC_REQUESTS", "DISABLE_SERVER_SIDE_CURSORS")}  # fmt: skip
    connection.close()
    settings.update(USER=APP, PASSWORD="", OPTIONS={**(saved["OPTIONS"] or {})})
    if port is not None:
        settings.update(HOST="127.0.0.1", PORT=port)
    if transaction_mode:
        settings.update(ATOMIC_REQUESTS=True, DISABLE_SERVER_SIDE_CURSORS=True)
        settings["OPTIONS"]["prepare_threshold"] = None
    mode = "transaction" if transaction_mode else "session"
    try:
        with override_settings(DATABASE_POOL_MODE=mode, ROOT_URLCONF="tests.postgres.pool_urls"):
            yield
    finally:
        connection.close()
        settings.update(saved)
        for alias in connections:
            connections[alias].close()


def test_transaction_pooling_keeps_each_request_in_its_tenant(world, pgbouncer):
    client_a = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    client_b = world.client_for(world.admin_b.user)
    a, b = world.tenant_a.pk, world.tenant_b.pk
    with app_through(pgbouncer, transaction_mode=True), closing(pooled_client(pgbouncer)) as other:
        pids = set()
        for _ in range(4):
            for client, tenant in ((client_a, a), (client_b, b)):
                seen = client.get("/pool-probe/").json()
                assert seen["user"] == APP
                assert seen["tenant_ids"] == [tenant]
                pids.add(seen["backend_pid"])
                # The next client on the same server connection inherits nothing.
                pid, setting = other.execute(
                    "SELECT pg_backend_pid(), current_setting('sasaeai.tenant_id', true)"
                ).fetchone()
                assert pid == seen["backend_pid"]
                assert setting in (None, "")
                assert other.execute("SELECT count(*) FROM core_area").fetchone() == (0,)
        assert len(pids) == 1  # one server connection carried both tenants' requests in turn
        # A real page too, with its audit entries written by the app role in the transaction.
        assert client_a.get("/areas/").status_code == 200


def test_session_level_settings_leak_through_transaction_pooling(world, pgbouncer):
    """What the old session-level set_config would do behind PgBouncer: the failure mode."""
    a = world.tenant_a.pk
    with (
        closing(pooled_client(pgbouncer)) as request_a,
        closing(pooled_client(pgbouncer)) as request_b,
    ):
        request_a.execute("SELECT set_config('sasaeai.tenant_id', %s, false)", [str(a)])
        leaked = request_b.execute("SELECT DISTINCT tenant_id FROM core_area").fetchall()
        assert leaked == [(a,)]  # tenant B's request reads tenant A's rows
        request_a.execute("SELECT set_config('sasaeai.tenant_id', '', false)")
        # Transaction-local settings (what transaction mode uses) end with the transaction.
        with request_a.transaction():
            request_a.execute("SELECT set_config('sasaeai.tenant_id', %s, true)", [str(a)])
            assert request_a.execute("SELECT count(*) FROM core_area").fetchone()[0] > 0
        assert request_b.execute("SELECT count(*) FROM core_area").fetchone() == (0,)


def concurrent_read_during_request(client, port: int) -> tuple[list, bool]:
    """Another client reads core_area, without a tenant, while a request is in flight.

    Returns the rows it saw and whether it got them during the request (else it had to wait
    for the request's transaction to release the only server connection)."""
    from tests.postgres import pool_urls

    seen: dict = {}

    def read():
        with closing(pooled_client(port)) as other:
            seen["rows"] = other.execute("SELECT DISTINCT tenant_id FROM core_area").fetchall()

    thread = threading.Thread(target=read)

    def hook():
        thread.start()
        thread.join(timeout=2)
        seen["during"] = not thread.is_alive()

    pool_urls.MID_REQUEST_HOOKS.append(hook)
    try:
        assert client.get("/pool-probe/").status_code == 200
    finally:
        pool_urls.MID_REQUEST_HOOKS.remove(hook)
    thread.join(timeout=20)
    return seen["rows"], seen["during"]


def test_a_concurrent_client_sees_nothing_of_a_request_in_flight(world, pgbouncer):
    client_a = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    with app_through(pgbouncer, transaction_mode=True):
        rows, during = concurrent_read_during_request(client_a, pgbouncer)
    assert rows == []
    assert not during  # it waited for the request's transaction: the connection was not shared


def test_the_session_level_mode_leaks_a_request_in_flight_through_pgbouncer(world, pgbouncer):
    """The failure mode this design prevents: the old session-level settings behind PgBouncer
    in transaction pooling hand tenant A's setting to whoever runs next on the connection."""
    client_a = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    with app_through(pgbouncer, transaction_mode=False):
        rows, during = concurrent_read_during_request(client_a, pgbouncer)
    assert during
    assert rows == [(world.tenant_a.pk,)]


def test_a_failing_view_keeps_none_of_its_writes_and_healthz_stays_outside(world, pgbouncer):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    client.raise_request_exception = False
    with app_through(pgbouncer, transaction_mode=True):
        assert client.get("/pool-fail/").status_code == 500
        # The load balancer's probe (no transaction), and a signed-in browser's (no 500).
        assert Client().get("/healthz").json() == {"status": "ok", "database": "ok"}
        assert client.get("/healthz").status_code in (200, 302)
        assert client.get("/pool-probe/").status_code == 200  # the connection is usable
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM core_area WHERE name = 'pool-fail'")
        assert cursor.fetchone() == (0,)


def test_transaction_mode_refuses_a_tenant_setting_outside_a_transaction(world, pgbouncer):
    from sasaeai.core.tenancy import (
        TenantSettingOutsideTransaction,
        current_tenant_id,
        tenant_context,
    )

    with app_through(pgbouncer, transaction_mode=True):
        with pytest.raises(TenantSettingOutsideTransaction):
            with tenant_context(world.tenant_a.pk):
                pass
    # Refused means refused: the thread does not keep the tenant for its next request.
    assert current_tenant_id() is None


def test_page_latency_direct_and_through_pgbouncer(world, pgbouncer):
    """Not an assertion on speed: the figures for docs/scaling.md."""
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    figures = {}
    for label, port, mode in (("direct, session mode", None, False),
                              ("pgbouncer, transaction mode", pgbouncer, True)):  # fmt: skip
        with app_through(port, transaction_mode=mode):
            timings = []
            for _ in range(30):
                started = time.perf_counter()
                response = client.get("/areas/")
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            figures[label] = (statistics.median(timings), max(timings))
    for label, (median, worst) in figures.items():
        print(f"\n/areas/ {label}: median {median:.1f} ms, max {worst:.1f} ms (30 requests)")
