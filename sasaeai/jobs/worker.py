"""The worker loop behind `manage.py run_worker`: django-tasks-db's claim and run_task (run
everything ready, then return), with housekeeping between batches: jobs whose worker died are
queued again, old results pruned, and the nightly commands run on their schedule (no cron)."""

import datetime
import io
import logging
import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, OperationalError, close_old_connections, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.jobs import services
from sasaeai.jobs.models import ScheduledRun

logger = logging.getLogger("sasaeai.jobs")


def make_worker(*, worker_id: str | None = None) -> Worker:
    return Worker(
        queue_names=[DEFAULT_TASK_QUEUE_NAME], interval=0, batch=True,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS, startup_delay=False, max_tasks=None,
        worker_id=worker_id or get_random_string(32), excluded_queue_names=[],
    )  # fmt: skip


def claim_next(worker: Worker) -> DBTaskResult | None:
    """The next ready task, locked and claimed for this worker (db_worker's own claim)."""
    tasks = DBTaskResult.objects.ready().filter(
        backend_name=worker.backend_name, queue_name__in=worker.queue_names
    )
    try:
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(worker.worker_id)
            return task_result
    except OperationalError as error:
        if is_locked_database_exception(error):  # SQLite busy: try again next round
            return None
        raise


def run_pending(*, worker: Worker | None = None, max_tasks: int | None = None) -> int:
    """Run every task that is ready now, then return how many ran. The worker loop calls it
    between its housekeeping; tests call it to run what they queued on the real backend."""
    worker = worker or make_worker()
    count = 0
    while worker.running and (max_tasks is None or count < max_tasks):
        task_result = claim_next(worker)
        if task_result is None:
            break
        worker.run_task(task_result)
        count += 1
    return count


def recover_and_prune() -> list[int]:
    recovered = []
    for tenant_id in Tenant.objects.values_list("pk", flat=True):
        with tenant_context(tenant_id):
            recovered += services.jobs_recover_stale(tenant_id)
            services.jobs_prune(tenant_id)
    return recovered


def _at(value: str) -> datetime.time:
    hour, minute = value.split(":")
    return datetime.time(int(hour), int(minute))


def due_commands(now: datetime.datetime | None = None) -> list[tuple[str, datetime.date]]:
    """(command, local date) of each scheduled command whose time today has passed."""
    local = (now or timezone.now()).astimezone(ZoneInfo(settings.TIME_ZONE))
    return [
        (name, local.date())
        for name, at in sorted(settings.JOBS_SCHEDULE.items())
        if at and local.time() >= _at(at)
    ]


def claim_run(name: str, run_date: datetime.date) -> ScheduledRun | None:
    """Insert the (name, date) row; None if another worker already has it."""
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(name=name, run_date=run_date)
    except IntegrityError:
        return None


def run_scheduled(now: datetime.datetime | None = None) -> list[str]:
    """Run each due command at most once per night across every worker. Returns what ran."""
    ran = []
    for name, run_date in due_commands(now):
        if ScheduledRun.objects.filter(name=name, run_date=run_date).exists():
            continue
        claimed = claim_run(name, run_date)
        if claimed is None:
            continue
        out = io.StringIO()
        try:
            call_command(name, stdout=out, stderr=out)
        except Exception:
            logger.exception("scheduled %s failed", name)
            claimed.succeeded = False
        else:
            claimed.succeeded = True
        claimed.finished_at = timezone.now()
        claimed.output = out.getvalue()[-10000:]
        claimed.save(update_fields=["finished_at", "succeeded", "output"])
        ran.append(name)
    return ran


def housekeeping() -> None:
    try:
        recover_and_prune()
        run_scheduled()
    except Exception:
        logger.exception("worker housekeeping failed")


def loop(*, interval: float, housekeeping_every: float, worker_id: str) -> None:
    worker = make_worker(worker_id=worker_id)
    worker.configure_signals()
    last = 0.0
    while worker.running:
        close_old_connections()
        if time.monotonic() - last >= housekeeping_every:
            housekeeping()
            last = time.monotonic()
        run_pending(worker=worker)
        close_old_connections()
        if worker.running:
            time.sleep(interval)
