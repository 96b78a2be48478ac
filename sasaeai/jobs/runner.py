"""Running one job inside the worker: tenant context, heartbeat, the handler, the outcome.

A handler of a kind that writes runs inside one transaction, so a crash halfway leaves nothing
behind. Progress and heartbeat are written outside that transaction: directly when the handler
is not in a transaction, otherwise by the heartbeat thread on its own database connection, so
the job page (another process) sees them while the work goes on.
"""

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from sasaeai.accounts.models import Membership
from sasaeai.accounts.policy import Actor
from sasaeai.core import jobs as registry
from sasaeai.core.jobs import JobError
from sasaeai.core.tenancy import tenant_context
from sasaeai.jobs import services
from sasaeai.jobs.models import Job

logger = logging.getLogger("sasaeai.jobs")


class Heartbeat(threading.Thread):
    """Every JOBS_HEARTBEAT_SECONDS: the heartbeat, and the latest progress if the handler is
    inside its write transaction. Opens a connection only when it has something to write."""

    def __init__(self, job_id: int, tenant_id: int):
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.job_id, self.tenant_id = job_id, tenant_id
        self.pending: tuple | None = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        # SQLite (development) locks the whole database for a write transaction: a second
        # connection could only wait for it, so the thread stays quiet during one.
        self.quiet = False

    def run(self) -> None:
        from django.db import connections

        try:
            while not self.stopping.wait(settings.JOBS_HEARTBEAT_SECONDS):
                self.flush()
        finally:
            connections.close_all()

    def flush(self) -> None:
        if self.quiet:
            return
        with self.lock:
            pending, self.pending = self.pending, None
        try:
            with tenant_context(self.tenant_id):
                if pending is not None:
                    services.job_progress(self.job_id, *pending)
                else:
                    services.job_heartbeat(self.job_id)
        except Exception:
            logger.exception("job %s: heartbeat failed", self.job_id)

    def stop(self) -> None:
        self.stopping.set()
        if self.is_alive():
            self.join()


@dataclass
class Run:
    """What a handler gets (core.jobs.JobRun)."""

    job_id: int
    tenant_id: int
    parameters: dict[str, Any]
    actor: Actor
    heartbeat: Heartbeat | None = field(default=None, repr=False)
    in_write_transaction: bool = False

    def progress(self, done: int, total: int | None = None, stage: str = "") -> None:
        if self.in_write_transaction and self.heartbeat is not None:
            with self.heartbeat.lock:
                self.heartbeat.pending = (done, total, str(stage))
        else:
            services.job_progress(self.job_id, done, total, str(stage))


def requester_actor(job: Job) -> Actor:
    membership = (
        Membership.objects.filter(user_id=job.requested_by_id, tenant_id=job.tenant_id)
        .select_related("user")
        .first()
    )
    if membership is None or not membership.is_active or not membership.user.is_active:
        raise JobError(_("The member who asked for this job no longer belongs to this tenant."))
    return Actor(
        user_id=membership.user_id, username=membership.user.username,
        tenant_id=job.tenant_id, membership_id=membership.pk, role=membership.role,
        area_ids=frozenset(membership.areas.values_list("pk", flat=True)), otp_verified=True,
    )  # fmt: skip


def user_message(error: BaseException, job: Job) -> str:
    if isinstance(error, JobError):
        return str(error)
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, Http404 | PermissionDenied):
        return _("You may no longer see what this job works on.")
    return _(
        "The job stopped because of an unexpected error. Please tell the administrator "
        "the job number %(number)d."
    ) % {"number": job.pk}


def run(job_id: int, tenant_id: int) -> None:
    with tenant_context(tenant_id), translation.override(settings.LANGUAGE_CODE):
        if not services.job_claim(job_id):
            logger.info("job %s: not queued any more, skipped", job_id)
            return
        job = Job.objects.get(pk=job_id)
        heartbeat = Heartbeat(job_id, tenant_id)
        heartbeat.start()
        try:
            kind = registry.get(job.kind)
            handle = Run(job.pk, tenant_id, job.parameters, requester_actor(job), heartbeat)
            if kind.writes:
                handle.in_write_transaction = True
                heartbeat.quiet = connection.vendor == "sqlite"
                with transaction.atomic():
                    output = kind.handler(handle)
            else:
                output = kind.handler(handle)
        except Exception as error:
            heartbeat.stop()
            logger.exception("job %s (%s) failed", job_id, job.kind)
            services.job_fail(job_id, user_message(error, job))
        else:
            heartbeat.stop()
            services.job_succeed(job_id, output)
