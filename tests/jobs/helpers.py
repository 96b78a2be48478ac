"""Running jobs in tests the way the worker does: the real database backend, then the
worker's own run-pending function (no immediate fake)."""

from sasaeai.jobs.worker import run_pending


def report_bytes(client, plan, fmt: str, year: int) -> bytes:
    """The committee report through its page: request the job, run the worker, download."""
    response = client.post(f"/plans/{plan.pk}/report.{fmt}?year={year}")
    assert response.status_code == 302, response.status_code
    run_pending()
    job_page = response["Location"]
    download = client.get(f"{job_page}download/")
    assert download.status_code == 200, client.get(job_page).content.decode()
    return download.content
