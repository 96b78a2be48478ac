"""Database backups (manage.py backup) and the restore drill (manage.py restore_check).

PostgreSQL: `pg_dump -Fc` as the connection's role. The owner is bound by FORCE ROW LEVEL
SECURITY, so the dump runs with `sasaeai.maintenance=on` and `--enable-row-security` (a
superuser bypasses the policies anyway): never `--enable-row-security` alone, which dumps the
tenant tables empty without an error. SQLite: the sqlite3 online backup API.

Each backup gets a `<file>.sha256` beside it (sha256sum format); the restore refuses a file
whose checksum does not match, so a truncated or tampered copy is never loaded.
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import dj_database_url
import psycopg
from django.conf import settings
from django.db import connections
from django.utils import timezone
from psycopg import sql

PREFIX = "sasaeai-"
SUFFIXES = (".dump", ".sqlite3")
CHUNK = 1024 * 1024


class BackupError(Exception):
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def write_checksum(path: Path) -> Path:
    target = checksum_path(path)
    target.write_text(f"{sha256_of(path)}  {path.name}\n", encoding="utf-8")
    return target


def verify_checksum(path: Path) -> str:
    """The file's SHA-256 if it matches its .sha256 file; BackupError otherwise."""
    if not path.is_file():
        raise BackupError(f"No such backup file: {path}")
    recorded_file = checksum_path(path)
    try:
        recorded = recorded_file.read_text(encoding="utf-8").split()[0].lower()
    except (OSError, IndexError):
        raise BackupError(f"No checksum file {recorded_file}: refusing to restore") from None
    actual = sha256_of(path)
    if actual != recorded:
        raise BackupError(
            f"Checksum mismatch for {path.name}: the file is damaged or was altered "
            f"(recorded {recorded[:12]}…, actual {actual[:12]}…); refusing to restore"
        )
    return actual


def _unique(directory: Path, stem: str, suffix: str) -> Path:
    path = directory / f"{stem}{suffix}"
    n = 1
    while path.exists():
        path = directory / f"{stem}-{n}{suffix}"
        n += 1
    return path


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (PostgreSQL client tools, version 15)")
    return path


def _libpq_env(database: dict) -> dict:
    env = {**os.environ, "PGOPTIONS": "-c sasaeai.maintenance=on"}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = database["PASSWORD"]
    return env


def _libpq_args(database: dict) -> list[str]:
    args = ["-h", database.get("HOST") or "127.0.0.1", "-p", str(database.get("PORT") or 5432)]
    if database.get("USER"):
        args += ["-U", database["USER"]]
    return args


def create_backup(output_dir: Path, using: str = "default") -> Path:
    """Write one backup of the database and its checksum; returns the backup's path."""
    connection = connections[using]
    output_dir.mkdir(parents=True, exist_ok=True)
    stem = PREFIX + timezone.localtime().strftime("%Y%m%d-%H%M%S")
    if connection.vendor == "postgresql":
        target = _unique(output_dir, stem, ".dump")
        database = connection.settings_dict
        partial = target.with_name(target.name + ".partial")
        result = subprocess.run(  # noqa: S603 (pg_dump with our own arguments)
            [_tool("pg_dump"), "-Fc", "--enable-row-security", *_libpq_args(database),
             "-f", str(partial), database["NAME"]],
            env=_libpq_env(database), capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        partial.rename(target)
    elif connection.vendor == "sqlite":
        if connection.in_atomic_block:
            # The backup API would wait forever on a shared-cache database being written.
            raise BackupError("Run the SQLite backup outside a transaction")
        target = _unique(output_dir, stem, ".sqlite3")
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
    else:
        raise BackupError(f"Backups of {connection.vendor} are not supported")
    write_checksum(target)
    return target


def prune(output_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups (and their checksums); returns what went."""
    backups = sorted(
        (p for p in output_dir.glob(PREFIX + "*") if p.suffix in SUFFIXES and p.is_file()),
        key=lambda p: (p.stat().st_mtime_ns, p.name),
    )
    removed = backups[: max(len(backups) - keep, 0)]
    for path in removed:
        path.unlink()
        checksum_path(path).unlink(missing_ok=True)
    return removed


# ---- the restore drill -----------------------------------------------------------------------


@dataclass
class Drill:
    steps: list[tuple[str, float]] = field(default_factory=list)
    output: str = ""

    @property
    def seconds(self) -> float:
        return sum(seconds for _step, seconds in self.steps)


def _connect(database: dict, dbname: str):
    return psycopg.connect(
        host=database.get("HOST") or "127.0.0.1", port=database.get("PORT") or 5432,
        user=database.get("USER") or None, password=database.get("PASSWORD") or None,
        dbname=dbname, autocommit=True, connect_timeout=10,
    )  # fmt: skip


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(  # noqa: S603 (our interpreter and manage.py)
        [sys.executable, str(settings.PROJECT_DIR / "manage.py"), *args],
        env=env, capture_output=True, text=True, check=False, timeout=3600,
    )  # fmt: skip
    if result.returncode != 0:
        raise BackupError(
            f"manage.py {' '.join(args)} failed on the restored database:\n"
            f"{result.stdout}{result.stderr}".strip()
        )
    return result.stdout


def restore(path: Path, target_url: str) -> Drill:
    """Load a PostgreSQL backup into an existing, empty database and prove it whole.

    1. the checksum must match; 2. the target must have no tables (never over a live
    database); 3. pg_restore; 4. migrate (re-applies row-level security and the app role's
    grants; no migration may be pending) and migrate --check; 5. verify_audit_chain.
    Steps 4 and 5 run as separate processes with DATABASE_URL pointing at the target.
    """
    drill = Drill()
    started = time.monotonic()
    verify_checksum(path)
    drill.steps.append(("checksum", time.monotonic() - started))
    if path.suffix != ".dump":
        raise BackupError("restore_check handles PostgreSQL dumps (.dump) only")
    target = dj_database_url.parse(target_url)
    if "postgresql" not in target["ENGINE"]:
        raise BackupError(f"The target is not PostgreSQL: {target['ENGINE']}")
    with _connect(target, target["NAME"]) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
            "'information_schema')"
        )
        if cursor.fetchone()[0]:
            raise BackupError(
                f"The database {target['NAME']} is not empty: restore into a fresh database"
            )
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 (pg_restore with our own arguments)
        [_tool("pg_restore"), "--exit-on-error", "--no-privileges", *_libpq_args(target),
         "-d", target["NAME"], str(path)],
        env=_libpq_env(target), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    drill.steps.append(("pg_restore", time.monotonic() - started))
    env = {**os.environ, "DATABASE_URL": target_url}
    for name in ("DATABASE_POOL_MODE", "DATABASE_REPLICA_URL"):
        env.pop(name, None)  # the drill connects directly, to the restored database only
    started = time.monotonic()
    _manage(env, "migrate", "--no-input", "-v0")
    _manage(env, "migrate", "--check", "-v0")
    drill.steps.append(("migrate", time.monotonic() - started))
    started = time.monotonic()
    drill.output = _manage(env, "verify_audit_chain").strip()
    drill.steps.append(("verify_audit_chain", time.monotonic() - started))
    return drill


def create_database(server_url: str, name: str) -> None:
    """A fresh, empty database on the server of server_url (for drills and tests)."""
    server = dj_database_url.parse(server_url)
    with _connect(server, "postgres") as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                sql.Identifier(name)
            )
        )


def drop_database(server_url: str, name: str) -> None:
    server = dj_database_url.parse(server_url)
    with _connect(server, "postgres") as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
