"""`manage.py run_worker`: runs queued jobs and the nightly commands (docs/jobs.md)."""

import logging

from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string

from sasaeai.jobs import worker


class Command(BaseCommand):
    help = "Run background jobs and the scheduled nightly commands until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--housekeeping", type=float, default=30.0,
            help="seconds between restart recovery / schedule checks",
        )  # fmt: skip
        parser.add_argument("--batch", action="store_true", help="run what is ready, then exit")
        parser.add_argument("--worker-id", default=get_random_string(32))

    def handle(self, *args, interval, housekeeping, batch, worker_id, **options):
        level = logging.INFO if options["verbosity"] >= 1 else logging.WARNING
        for name in ("sasaeai.jobs", "django_tasks_db", "django_tasks"):
            logging.getLogger(name).setLevel(level)
        if batch:
            worker.housekeeping()
            worker.run_pending()
            return
        self.stdout.write(f"worker {worker_id}: jobs and schedule (Ctrl+C to stop)")
        worker.loop(interval=interval, housekeeping_every=housekeeping, worker_id=worker_id)
