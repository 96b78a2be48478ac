"""Slow job kinds for the subprocess worker tests: imported by the test and by the worker
process it starts (tests/jobs/test_worker_process.py)."""

import time

from sasaeai.core import jobs as registry
from sasaeai.core.jobs import JobKind, JobOutput
from sasaeai.core.models import Area, AreaKind

STEPS = 20


def slow_count(run):
    for step in range(STEPS):
        run.progress(step, STEPS, f"手順 {step}")
        time.sleep(0.25)
    return JobOutput("done.txt", "text/plain", b"done")


def slow_writer(run):
    Area.objects.create(tenant_id=run.tenant_id, kind=AreaKind.DISTRICT, name="書き込み中")
    for step in range(STEPS):
        run.progress(step, STEPS, f"手順 {step}")
        time.sleep(0.25)
    return None


for kind in (
    JobKind("tests.slow_count", "遅い集計", slow_count, "core.view_area", "tests", writes=False),
    JobKind("tests.slow_writer", "遅い書き込み", slow_writer, "core.manage_area", "tests"),
):
    registry.register(kind)
