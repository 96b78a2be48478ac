"""manage.py backup on the database the tests run on (SQLite or PostgreSQL)."""

import sqlite3

import pytest
from django.core.management import call_command
from django.db import connection

from sasaeai.core.backup import BackupError, prune, sha256_of, verify_checksum
from sasaeai.core.models import Tenant

# Committed data: the backup reads the database as another session (pg_dump) would, and the
# SQLite backup API cannot copy a shared-cache database inside an open write transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_writes_a_file_and_its_checksum(world, tmp_path):
    call_command("backup", output_dir=str(tmp_path))
    backups = [p for p in tmp_path.iterdir() if not p.name.endswith(".sha256")]
    assert len(backups) == 1
    backup = backups[0]
    assert backup.name.startswith("sasaeai-")
    expected_suffix = ".dump" if connection.vendor == "postgresql" else ".sqlite3"
    assert backup.suffix == expected_suffix
    assert verify_checksum(backup) == sha256_of(backup)
    if connection.vendor == "sqlite":
        with sqlite3.connect(backup) as copy:
            codes = {row[0] for row in copy.execute("SELECT code FROM core_tenant")}
        assert codes == set(Tenant.objects.values_list("code", flat=True))
        assert {"112097", "112089"} <= codes


def test_backup_keeps_only_the_newest(tmp_path):
    for _ in range(3):
        call_command("backup", output_dir=str(tmp_path), keep=2)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len([n for n in names if not n.endswith(".sha256")]) == 2
    assert len([n for n in names if n.endswith(".sha256")]) == 2


def test_a_tampered_backup_fails_its_checksum(tmp_path):
    call_command("backup", output_dir=str(tmp_path))
    backup = next(p for p in tmp_path.iterdir() if not p.name.endswith(".sha256"))
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0xFF
    backup.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="Checksum mismatch"):
        verify_checksum(backup)


def test_a_backup_without_checksum_is_refused(tmp_path):
    orphan = tmp_path / "sasaeai-20260101-000000.dump"
    orphan.write_bytes(b"PGDMP")
    with pytest.raises(BackupError, match="No checksum file"):
        verify_checksum(orphan)


def test_prune_ignores_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    for i in range(3):
        (tmp_path / f"sasaeai-2026010{i}-000000.sqlite3").write_bytes(b"x")
    removed = prune(tmp_path, 1)
    assert len(removed) == 2
    assert (tmp_path / "notes.txt").exists()
