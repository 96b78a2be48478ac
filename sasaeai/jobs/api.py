"""Router /jobs: the status of one's own jobs (the result itself is downloaded from the page)."""

from datetime import datetime

from django.urls import reverse
from ninja import Router, Schema

from sasaeai.jobs import selectors

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: int
    kind: str
    status: str
    progress_done: int
    progress_total: int | None
    stage: str
    error_message: str
    created_at: datetime
    finished_at: datetime | None
    result_filename: str
    download_url: str | None


@router.get("/{job_id}", response=JobOut)
def job_status(request, job_id: int):
    """A job the signed-in member asked for: 404 for anyone else's or another tenant's."""
    job = selectors.job_for(request.actor, job_id)
    ready = job.status == "succeeded" and bool(job.result_filename) and job.expires_at is not None
    return JobOut(
        id=job.pk, kind=job.kind, status=job.status, progress_done=job.progress_done,
        progress_total=job.progress_total, stage=job.stage, error_message=job.error_message,
        created_at=job.created_at, finished_at=job.finished_at,
        result_filename=job.result_filename,
        download_url=reverse("jobs:job_download", args=[job.pk]) if ready else None,
    )  # fmt: skip
