"""A real worker process on PostgreSQL: killed with SIGKILL in the middle of a job, a new
worker finishes it; progress is visible from another process while a job runs."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from sasaeai.accounts.models import Role
from sasaeai.core.models import Area
from sasaeai.core.tenancy import tenant_context
from sasaeai.jobs.models import Job, JobStatus
from tests.jobs import slow_kinds
from tests.jobs.test_jobs import enqueue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PROJECT_DIR = Path(__file__).resolve().parents[2]
WORKER = (
    "import django; django.setup(); import tests.jobs.slow_kinds; "
    "from django.core.management import call_command; "
    "call_command('run_worker', '--interval', '0.2', '--housekeeping', '1')"
)


def start_worker(tmp_path, name) -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ, "SASAEAI_ENV": "test", "DATABASE_URL": url, "JOBS_STALE_SECONDS": "2",
        "JOBS_HEARTBEAT_SECONDS": "1", "JOBS_AT_REFRESH_PLAN_METRICS": "",
        "JOBS_AT_CONSULTATION_REMINDERS": "", "JOBS_AT_ANONYMISE_EXPIRED_CASES": "",
    }  # fmt: skip
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-c", WORKER], cwd=PROJECT_DIR, env=env, stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def wait_for(job, condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with tenant_context(job.tenant_id):
            current = Job.objects.defer("result_data").get(pk=job.pk)
        if condition(current):
            return current
        time.sleep(0.1)
    raise AssertionError(f"job {job.pk} stuck: {current.status} {current.progress_done}")


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_job_survives_its_worker_being_killed(world, tmp_path):
    assert slow_kinds.STEPS
    job = enqueue(world, "tests.slow_count")
    first = start_worker(tmp_path, "first")
    try:
        running = wait_for(job, lambda j: j.status == JobStatus.RUNNING and j.progress_done >= 3)
        assert running.stage.startswith("手順")  # progress seen from this other process
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        stop(first)
    second = start_worker(tmp_path, "second")
    try:
        done = wait_for(job, lambda j: j.finished)
    finally:
        stop(second)
    assert done.status == JobStatus.SUCCEEDED, (tmp_path / "second.log").read_text()
    assert done.attempts == 2
    with tenant_context(job.tenant_id):
        assert bytes(Job.objects.get(pk=job.pk).result_data) == b"done"


def test_progress_of_a_writing_job_is_visible_before_its_rows_commit(world, tmp_path):
    job = enqueue(world, "tests.slow_writer", role=Role.MUNICIPAL_STAFF)
    process = start_worker(tmp_path, "writer")
    try:
        wait_for(job, lambda j: j.status == JobStatus.RUNNING and j.progress_done >= 4)
        with tenant_context(job.tenant_id):
            assert not Area.objects.filter(name="書き込み中").exists()  # not committed yet
        done = wait_for(job, lambda j: j.finished)
    finally:
        stop(process)
    assert done.status == JobStatus.SUCCEEDED, (tmp_path / "writer.log").read_text()
    with tenant_context(job.tenant_id):
        assert Area.objects.filter(name="書き込み中").count() == 1
