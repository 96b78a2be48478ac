"""The restore drill on PostgreSQL: backup, pg_restore into a fresh database, migrate (row-level
security and grants), verify_audit_chain there; a tampered dump is refused."""

import secrets
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from sasaeai.audit.models import AuditEntry
from sasaeai.core.backup import create_database, drop_database
from sasaeai.core.tenancy import all_tenants

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def server_url(name: str) -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_restore_{secrets.token_hex(3)}"
    create_database(server_url("postgres"), name)
    yield name
    drop_database(server_url("postgres"), name)


def test_backup_restores_into_a_fresh_database_with_an_intact_audit_chain(
    world, tmp_path, fresh_database, capsys
):
    with all_tenants():
        entries = AuditEntry.objects.count()
    assert entries > 0  # the world's members were created through audited services
    call_command("backup", output_dir=str(tmp_path))
    dump = next(tmp_path.glob("sasaeai-*.dump"))
    capsys.readouterr()
    started = time.monotonic()
    call_command("restore_check", str(dump), target_url=server_url(fresh_database))
    seconds = time.monotonic() - started
    out = capsys.readouterr().out
    print(f"\nrestore drill: {seconds:.2f} s for {entries} audit entries\n{out}")
    assert f"Audit chain intact: {entries} entries." in out
    assert "Restore drill passed" in out


def test_a_tampered_dump_is_refused_before_anything_is_restored(world, tmp_path, fresh_database):
    call_command("backup", output_dir=str(tmp_path))
    dump = next(tmp_path.glob("sasaeai-*.dump"))
    data = bytearray(dump.read_bytes())
    data[-100] ^= 0x01
    dump.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="Checksum mismatch"):
        call_command("restore_check", str(dump), target_url=server_url(fresh_database))
    import psycopg

    with psycopg.connect(server_url(fresh_database)) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert tables.fetchone() == (0,)


def test_restore_refuses_a_database_that_is_not_empty(world, tmp_path):
    call_command("backup", output_dir=str(tmp_path))
    dump = next(tmp_path.glob("sasaeai-*.dump"))
    with pytest.raises(CommandError, match="not empty"):
        call_command(
            "restore_check", str(dump), target_url=server_url(connection.settings_dict["NAME"])
        )
