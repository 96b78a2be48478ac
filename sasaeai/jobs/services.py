"""Writes on jobs: enqueue, progress, success, failure, restart recovery and pruning.

Every job write is its own short transaction, outside any handler's write transaction, so the
job page of another process sees progress while the work is still running.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts.policy import Actor, require
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core import events
from sasaeai.core import jobs as registry
from sasaeai.core.jobs import JobOutput
from sasaeai.jobs.models import Job, JobStatus

logger = logging.getLogger("sasaeai.jobs")


def job_enqueue(*, actor: Actor, kind: str, parameters: dict) -> Job:
    """Record the job and queue its task in the same transaction: the task row commits with
    the job row or not at all, and no worker sees it before the commit."""
    from sasaeai.jobs.tasks import run_job

    job_kind = registry.get(kind)
    require(actor, job_kind.permission)
    if job_kind.authorize is not None:
        job_kind.authorize(actor, parameters)
    with transaction.atomic():
        job = Job.objects.create(
            tenant_id=actor.tenant_id, kind=kind, parameters=parameters,
            requested_by_id=actor.user_id,
        )  # fmt: skip
        result = run_job.enqueue(job_id=job.pk, tenant_id=job.tenant_id)
        Job.objects.filter(pk=job.pk).update(task_result_id=str(result.id))
        job.task_result_id = str(result.id)
        audit_object(actor, Action.CREATE, job, detail={"kind": kind})
    return job


class JobBusy(Exception):
    """Someone else's job is already doing this; the page asks the user to wait."""


def job_start_once(*, actor: Actor, kind: str, parameters: dict) -> Job:
    """Start a job, or return the actor's own unfinished job on the same thing, so a second
    click waits for the first job instead of applying an import twice. Raises JobBusy when
    another member's job holds it."""
    from sasaeai.jobs.selectors import unfinished_job

    existing = unfinished_job(actor.tenant_id, kind, parameters)
    if existing is None:
        return job_enqueue(actor=actor, kind=kind, parameters=parameters)
    if existing.requested_by_id != actor.user_id:
        raise JobBusy
    return existing


def job_progress(job_id: int, done: int, total: int | None, stage: str) -> None:
    fields = {"progress_done": max(0, done), "stage": stage[:200], "heartbeat_at": timezone.now()}
    if total is not None:
        fields["progress_total"] = max(0, total)
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(**fields)


def job_heartbeat(job_id: int) -> None:
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())


def job_claim(job_id: int) -> bool:
    """Mark a queued job running; False if it is not queued (already run, or taken)."""
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            error_message="",
        )  # fmt: skip
    )


def job_succeed(job_id: int, output: JobOutput | None) -> None:
    now = timezone.now()
    # A finished job is complete even if its last progress could not be written (on SQLite a
    # writing job's progress waits behind its own transaction).
    fields = {
        "status": JobStatus.SUCCEEDED, "finished_at": now, "heartbeat_at": now, "stage": "",
        "progress_done": Coalesce(F("progress_total"), F("progress_done")),
    }  # fmt: skip
    if output is not None:
        fields.update(
            result_filename=output.filename, result_content_type=output.content_type,
            result_data=output.data, result_size=len(output.data),
            expires_at=now + datetime.timedelta(days=settings.JOBS_RESULT_DAYS),
        )  # fmt: skip
    Job.objects.filter(pk=job_id).update(**fields)
    _announce(job_id, failed=False)


def job_fail(job_id: int, message: str) -> None:
    now = timezone.now()
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.FAILED, finished_at=now, heartbeat_at=now, error_message=message
    )
    _announce(job_id, failed=True)


def _announce(job_id: int, *, failed: bool) -> None:
    """Tell the requester (core.events) that their job ended: an import (a writing job) finished,
    a report is ready, or it failed; the link is the job's page."""
    row = Job.objects.filter(pk=job_id).values_list("tenant_id", "requested_by_id", "kind").first()
    if row is None:
        return
    tenant_id, user_id, kind = row
    writes = kind in {k.key for k in registry.all_kinds()} and registry.get(kind).writes
    event = "jobs.failed" if failed else "jobs.import_finished" if writes else "jobs.report_ready"
    events.publish(
        event, tenant_id, [user_id], reverse("jobs:job_detail", args=[job_id]), "job", job_id
    )


def job_download(*, actor: Actor, job: Job) -> Job:
    """Re-check the permission and the kind's own check, then audit the download."""
    job_kind = registry.get(job.kind)
    require(actor, job_kind.permission, job)
    if job_kind.authorize is not None:
        job_kind.authorize(actor, job.parameters)
    audit_object(actor, Action.EXPORT, job, detail={"kind": job.kind})
    return job


def jobs_recover_stale(tenant_id: int) -> list[int]:
    """Running jobs of one tenant whose worker died (heartbeat older than JOBS_STALE_SECONDS):
    queued again, or failed with a message after JOBS_MAX_ATTEMPTS starts. Returns their ids.
    The caller sets the tenant context (row-level security)."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from sasaeai.jobs.tasks import run_job

    limit = timezone.now() - datetime.timedelta(seconds=settings.JOBS_STALE_SECONDS)
    recovered = []
    stale = Job.objects.filter(
        tenant_id=tenant_id, status=JobStatus.RUNNING, heartbeat_at__lt=limit
    ).values_list("pk", "attempts", "task_result_id")
    for job_id, attempts, task_result_id in stale:
        with transaction.atomic():
            # The dead worker's task row stays "running" for ever otherwise.
            if task_result_id:
                DBTaskResult.objects.filter(
                    pk=task_result_id, status=TaskResultStatus.RUNNING
                ).update(status=TaskResultStatus.FAILED, finished_at=timezone.now())
            still = Job.objects.filter(pk=job_id, status=JobStatus.RUNNING, heartbeat_at__lt=limit)
            if attempts >= settings.JOBS_MAX_ATTEMPTS:
                still.update(
                    status=JobStatus.FAILED, finished_at=timezone.now(),
                    error_message=_(
                        "The job stopped %(count)d times because the worker process ended "
                        "(restart or crash). Please start it again or ask the administrator."
                    ) % {"count": attempts},
                )  # fmt: skip
            elif still.update(status=JobStatus.QUEUED, stage=_("Waiting to start again")):
                result = run_job.enqueue(job_id=job_id, tenant_id=tenant_id)
                Job.objects.filter(pk=job_id).update(task_result_id=str(result.id))
        logger.warning("job %s: worker lost (attempt %s), recovered", job_id, attempts)
        recovered.append(job_id)
    # Queued for a while, but its task is no longer waiting: the worker died between claiming
    # the task and starting the job. Queue a new task (not counted as an attempt).
    waiting = Job.objects.filter(
        tenant_id=tenant_id, status=JobStatus.QUEUED, created_at__lt=limit
    ).values_list("pk", "task_result_id")
    for job_id, task_result_id in waiting:
        if DBTaskResult.objects.filter(pk=task_result_id, status=TaskResultStatus.READY).exists():
            continue
        with transaction.atomic():
            if task_result_id:
                DBTaskResult.objects.filter(
                    pk=task_result_id, status=TaskResultStatus.RUNNING
                ).update(status=TaskResultStatus.FAILED, finished_at=timezone.now())
            result = run_job.enqueue(job_id=job_id, tenant_id=tenant_id)
            Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
                task_result_id=str(result.id)
            )
        logger.warning("job %s: its task was lost before it started, queued again", job_id)
        recovered.append(job_id)
    return recovered


def jobs_prune(tenant_id: int) -> int:
    """Drop the result bytes of jobs past `expires_at` (the row and its history stay)."""
    return Job.objects.filter(
        tenant_id=tenant_id, expires_at__lt=timezone.now(), result_data__isnull=False
    ).update(result_data=None)
