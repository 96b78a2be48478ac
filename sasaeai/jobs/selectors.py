"""Reads of jobs: a member sees the jobs they asked for, of kinds they may still start."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from sasaeai.accounts.policy import Actor, has_permission
from sasaeai.core import jobs as registry
from sasaeai.jobs.models import Job, JobStatus


def visible_kinds(actor: Actor) -> list[str]:
    return [k.key for k in registry.all_kinds() if has_permission(actor, k.permission)]


def jobs_visible_to(actor: Actor) -> QuerySet[Job]:
    if not actor.is_member or actor.user_id is None:
        return Job.objects.none()
    return Job.objects.filter(
        tenant_id=actor.tenant_id, requested_by_id=actor.user_id, kind__in=visible_kinds(actor)
    ).defer("result_data")


def job_for(actor: Actor, job_id: int) -> Job:
    """404 for a job of another tenant, another member, or a kind the actor may not use."""
    return get_object_or_404(jobs_visible_to(actor), pk=job_id)


def job_result(actor: Actor, job_id: int) -> Job:
    return get_object_or_404(
        Job.objects.filter(pk__in=jobs_visible_to(actor).values("pk")), pk=job_id
    )


def unfinished_job(tenant_id: int, kind: str, parameters: dict) -> Job | None:
    """A queued or running job of this kind on the same thing (so a second click waits for
    the first job instead of starting another)."""
    return (
        Job.objects.filter(
            tenant_id=tenant_id,
            kind=kind,
            parameters=parameters,
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        )  # fmt: skip
        .defer("result_data")
        .first()
    )


def latest_job(actor: Actor, kind: str, parameters: dict) -> Job | None:
    """The actor's latest job of this kind on the same thing (an import's apply job), for a
    link from the page that started it."""
    return jobs_visible_to(actor).filter(kind=kind, parameters=parameters).first()
