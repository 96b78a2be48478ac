from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sasaeai.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "The restore drill: check a backup's checksum, pg_restore it into an empty database, "
        "run migrate (row-level security and grants) and verify_audit_chain there."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .dump written by manage.py backup")
        parser.add_argument(
            "--target-url",
            required=True,
            metavar="URL",
            help="postgres://owner@host/fresh_db: an existing, empty database to restore into",
        )

    def handle(self, *args, file, target_url, **options):
        try:
            drill = restore(Path(file), target_url)
        except BackupError as error:
            raise CommandError(str(error)) from None
        for step, seconds in drill.steps:
            self.stdout.write(f"{step}: {seconds:.2f} s")
        self.stdout.write(drill.output)
        self.stdout.write(self.style.SUCCESS(f"Restore drill passed in {drill.seconds:.2f} s."))
