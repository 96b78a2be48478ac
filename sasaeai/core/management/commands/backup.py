from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sasaeai.core.backup import BackupError, create_backup, prune


class Command(BaseCommand):
    help = (
        "Back up the database into a directory (default BACKUP_DIR): pg_dump -Fc on "
        "PostgreSQL, the SQLite backup API on SQLite, each with a .sha256 checksum file; "
        "keeps the newest BACKUP_KEEP backups there."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output-dir", metavar="DIR", help="where to write the backup")
        parser.add_argument(
            "--keep", type=int, help="how many of the newest backups to keep (BACKUP_KEEP)"
        )

    def handle(self, *args, output_dir=None, keep=None, **options):
        directory = Path(output_dir) if output_dir else Path(settings.BACKUP_DIR)
        keep = settings.BACKUP_KEEP if keep is None else keep
        if keep < 1:
            raise CommandError("--keep must be at least 1")
        try:
            path = create_backup(directory)
        except (BackupError, OSError) as error:
            raise CommandError(f"Backup failed: {error}") from None
        removed = prune(directory, keep)
        size = path.stat().st_size
        self.stdout.write(self.style.SUCCESS(f"Backup written: {path} ({size:,} bytes)"))
        for old in removed:
            self.stdout.write(f"Removed old backup {old.name}")
