"""The one task queued through django-tasks: run a job by id (the job row says what to do)."""

from django_tasks import task


@task()
def run_job(job_id: int, tenant_id: int) -> None:
    from sasaeai.jobs.runner import run

    run(job_id, tenant_id)
