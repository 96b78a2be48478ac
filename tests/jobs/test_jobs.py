"""Jobs: enqueue, run through the database worker, progress, failure all or nothing, download
authorization, restart recovery and the nightly schedule."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.core import jobs as registry
from sasaeai.core.jobs import JobError, JobKind, JobOutput
from sasaeai.core.models import Area, AreaKind
from sasaeai.core.tenancy import tenant_context
from sasaeai.jobs import services, worker
from sasaeai.jobs.models import Job, JobStatus, ScheduledRun
from sasaeai.jobs.worker import run_pending
from tests.jobs.helpers import report_bytes
from tests.plans.test_pages import load_seed

seen_progress = []


def write_then_fail(run):
    for number in range(3):
        Area.objects.create(tenant_id=run.tenant_id, kind=AreaKind.DISTRICT, name=f"途中{number}")
        run.progress(number + 1, 5, "途中")
    raise JobError("3行目の後で止まりました（テスト）")


def write_then_crash(run):
    Area.objects.create(tenant_id=run.tenant_id, kind=AreaKind.DISTRICT, name="途中")
    raise RuntimeError("secret internal detail")


def count_areas(run):
    run.progress(1, 2, "数えています")
    seen_progress.append(
        Job.objects.filter(pk=run.job_id).values_list("progress_done", "stage").get()
    )
    total = Area.objects.filter(tenant_id=run.tenant_id).count()
    return JobOutput("areas.txt", "text/plain", str(total).encode())


for kind in (
    JobKind("tests.write_then_fail", "書いて失敗", write_then_fail, "core.manage_area", "tests"),
    JobKind(
        "tests.write_then_crash", "書いて落ちる", write_then_crash, "core.manage_area", "tests"
    ),
    JobKind("tests.count_areas", "数える", count_areas, "core.view_area", "tests", writes=False),
):
    registry.register(kind)


def actor_of(world, role, tenant=None):
    from sasaeai.accounts.policy import Actor

    membership = world.members[role]
    return Actor(
        user_id=membership.user_id, username=membership.user.username,
        tenant_id=membership.tenant_id, membership_id=membership.pk, role=membership.role,
        otp_verified=True,
    )  # fmt: skip


def enqueue(world, kind, role=Role.MUNICIPAL_STAFF):
    actor = actor_of(world, role)
    with tenant_context(actor.tenant_id):
        return services.job_enqueue(actor=actor, kind=kind, parameters={})


def reload(job):
    with tenant_context(job.tenant_id):
        return Job.objects.get(pk=job.pk)


def test_enqueue_records_the_job_its_task_and_an_audit_entry(world):
    job = enqueue(world, "tests.count_areas")
    assert job.status == JobStatus.QUEUED
    task = DBTaskResult.objects.get(pk=job.task_result_id)
    assert task.args_kwargs["kwargs"] == {"job_id": job.pk, "tenant_id": world.tenant_a.pk}
    with tenant_context(world.tenant_a.pk):
        assert AuditEntry.objects.filter(
            action=Action.CREATE, object_type="jobs.job", object_id=str(job.pk)
        ).exists()


def test_worker_runs_the_job_with_progress_and_stores_the_result(world):
    seen_progress.clear()
    job = enqueue(world, "tests.count_areas")
    run_pending()
    job = reload(job)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert seen_progress == [(1, "数えています")]  # written while the handler still ran
    assert bytes(job.result_data) == b"3"  # the three areas of tenant A only
    assert (job.progress_done, job.progress_total) == (2, 2)  # finished means complete
    assert job.attempts == 1 and job.expires_at > timezone.now()
    assert DBTaskResult.objects.get(pk=job.task_result_id).status == "SUCCESSFUL"


def test_a_handler_that_fails_after_writing_leaves_nothing_and_shows_its_error(world):
    with tenant_context(world.tenant_a.pk):
        before = Area.objects.count()
    job = enqueue(world, "tests.write_then_fail")
    run_pending()
    job = reload(job)
    assert job.status == JobStatus.FAILED
    assert job.error_message == "3行目の後で止まりました（テスト）"
    with tenant_context(world.tenant_a.pk):
        assert Area.objects.count() == before
    response = world.client_for(world.user(Role.MUNICIPAL_STAFF)).get(f"/jobs/{job.pk}/")
    text = response.content.decode()
    assert 'data-testid="job-error"' in text and "3行目の後で止まりました" in text
    assert 'hx-trigger="every' not in text  # a finished job is no longer polled


def test_an_unexpected_crash_shows_a_japanese_message_not_the_exception(world):
    job = enqueue(world, "tests.write_then_crash")
    run_pending()
    job = reload(job)
    assert job.status == JobStatus.FAILED
    assert "secret" not in job.error_message and f"{job.pk}" in job.error_message
    with tenant_context(world.tenant_a.pk):
        assert not Area.objects.filter(name="途中").exists()


def test_starting_a_job_needs_the_kinds_permission(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        enqueue(world, "tests.write_then_fail", role=Role.COMMUNITY_SOCIAL_WORKER)


def test_a_job_page_is_polled_while_running_and_only_its_requester_sees_it(world):
    job = enqueue(world, "tests.count_areas")
    owner = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    partial = owner.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in partial.content.decode()
    assert "<html" not in partial.content.decode()
    other = world.client_for(world.user(Role.SYSTEM_ADMIN))
    assert other.get(f"/jobs/{job.pk}/").status_code == 404
    run_pending()
    assert other.get(f"/jobs/{job.pk}/download/").status_code == 404
    assert owner.get(f"/jobs/{job.pk}/download/").content == b"3"
    assert owner.get("/jobs/").status_code == 200


def test_a_stale_running_job_is_queued_again_then_failed_after_the_last_attempt(world):
    job = enqueue(world, "tests.count_areas")
    old_task = job.task_result_id
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    with tenant_context(job.tenant_id):
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.RUNNING, heartbeat_at=long_ago, attempts=1
        )
    DBTaskResult.objects.filter(pk=old_task).update(status="RUNNING")
    assert job.pk in worker.recover_and_prune()
    job = reload(job)
    assert job.status == JobStatus.QUEUED and job.task_result_id != old_task
    assert DBTaskResult.objects.get(pk=old_task).status == "FAILED"
    run_pending()
    assert reload(job).status == JobStatus.SUCCEEDED

    with override_settings(JOBS_MAX_ATTEMPTS=2):
        failing = enqueue(world, "tests.count_areas")
        with tenant_context(failing.tenant_id):
            Job.objects.filter(pk=failing.pk).update(
                status=JobStatus.RUNNING, heartbeat_at=long_ago, attempts=2
            )
        worker.recover_and_prune()
    failing = reload(failing)
    assert failing.status == JobStatus.FAILED and "2" in failing.error_message


def test_a_queued_job_whose_task_was_claimed_by_a_dead_worker_gets_a_new_task(world):
    job = enqueue(world, "tests.count_areas")
    DBTaskResult.objects.filter(pk=job.task_result_id).update(status="RUNNING")
    assert worker.recover_and_prune() == []  # too recent: that worker may be starting it
    with tenant_context(job.tenant_id):
        Job.objects.filter(pk=job.pk).update(
            created_at=timezone.now() - datetime.timedelta(hours=1)
        )
    assert worker.recover_and_prune() == [job.pk]
    assert DBTaskResult.objects.get(pk=job.task_result_id).status == "FAILED"
    run_pending()
    job = reload(job)
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 1


def test_old_results_are_pruned(world):
    job = enqueue(world, "tests.count_areas")
    run_pending()
    with tenant_context(job.tenant_id):
        Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(1))
    worker.recover_and_prune()
    assert reload(job).result_data is None


TOKYO_0630 = datetime.datetime(2026, 12, 5, 21, 30, tzinfo=datetime.UTC)  # 06:30 on the 6th


@override_settings(
    JOBS_SCHEDULE={"refresh_plan_metrics": "02:00", "consultation_reminders": "07:00"}
)
def test_the_schedule_runs_each_command_once_per_night_in_tokyo_time(world):
    assert worker.run_scheduled(TOKYO_0630) == ["refresh_plan_metrics"]
    assert worker.run_scheduled(TOKYO_0630) == []  # same night: already claimed
    run = ScheduledRun.objects.get()
    assert run.run_date == datetime.date(2026, 12, 6) and run.succeeded
    # A second worker racing for the same night loses the insert.
    assert worker.claim_run("refresh_plan_metrics", datetime.date(2026, 12, 6)) is None
    later = TOKYO_0630 + datetime.timedelta(hours=1)
    assert worker.run_scheduled(later) == ["consultation_reminders"]
    assert worker.run_scheduled(later + datetime.timedelta(days=1)) == [
        "consultation_reminders", "refresh_plan_metrics",
    ]  # fmt: skip


def test_run_worker_batch_runs_what_is_ready(world):
    job = enqueue(world, "tests.count_areas")
    with override_settings(JOBS_SCHEDULE={}):
        call_command("run_worker", "--batch", verbosity=0)
    assert reload(job).status == JobStatus.SUCCEEDED


# --- The committee report as a job --------------------------------------------------------


@pytest.fixture
def tokorozawa_in_a(world):
    return load_seed("tokorozawa-community-welfare-4.yaml", world.tenant_a.pk)


def test_the_report_request_queues_a_job_and_the_job_page_offers_the_download(
    world, tokorozawa_in_a
):
    client = world.client_for(world.user(Role.PLAN_COMMITTEE_MEMBER))
    dashboard = client.get(f"/plans/{tokorozawa_in_a.pk}/dashboard/?year=2025").content.decode()
    assert (
        f'method="post" class="inline" action="/plans/{tokorozawa_in_a.pk}/report.pdf' in dashboard
    )
    assert client.get(f"/plans/{tokorozawa_in_a.pk}/report.pdf?year=2025").status_code == 405
    response = client.post(f"/plans/{tokorozawa_in_a.pk}/report.pdf?year=2025")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="queued"' in page
    run_pending()
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="job-download"' in page
    assert report_bytes(client, tokorozawa_in_a, "xlsx", 2025)[:2] == b"PK"
    download = client.get(f"{response['Location']}download/")
    assert download.content.startswith(b"%PDF")
    assert f"{tokorozawa_in_a.code}-2025-report.pdf" in download["Content-Disposition"]
    with tenant_context(world.tenant_a.pk):
        assert AuditEntry.objects.filter(action=Action.EXPORT, object_type="jobs.job").exists()


def test_a_report_result_is_not_downloadable_by_who_cannot_see_the_plan(world, tokorozawa_in_a):
    from sasaeai.accounts import services as account_services
    from tests.conftest import SYSTEM

    client = world.client_for(world.user(Role.PLAN_COMMITTEE_MEMBER))
    location = client.post(f"/plans/{tokorozawa_in_a.pk}/report.pdf?year=2025")["Location"]
    run_pending()
    # Someone else (without plan access) cannot, and another tenant's admin gets 404.
    assert (
        world.client_for(world.user(Role.RESIDENT)).get(f"{location}download/").status_code == 404
    )
    assert world.client_for(world.admin_b.user).get(f"{location}download/").status_code == 404
    assert (
        world.client_for(world.admin_b.user)
        .post(f"/plans/{tokorozawa_in_a.pk}/report.pdf?year=2025")
        .status_code
        == 404
    )
    # The requester who lost plan access cannot download their own job's result any more.
    membership = world.members[Role.PLAN_COMMITTEE_MEMBER]
    with tenant_context(world.tenant_a.pk):
        membership.role = Role.RESIDENT
        membership.save(update_fields=["role"])
    assert client.get(f"{location}download/").status_code == 404
    del account_services, SYSTEM


def test_a_resident_cannot_start_a_report(world, tokorozawa_in_a):
    client = world.client_for(world.user(Role.RESIDENT))
    assert client.post(f"/plans/{tokorozawa_in_a.pk}/report.pdf?year=2025").status_code == 403
    assert connection.vendor in ("sqlite", "postgresql")


def test_the_api_shows_ones_own_job_status_and_404_otherwise(world):
    job = enqueue(world, "tests.count_areas")
    owner = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    body = owner.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["status"] == "queued" and body["download_url"] is None
    run_pending()
    body = owner.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["status"] == "succeeded" and body["download_url"] == f"/jobs/{job.pk}/download/"
    other = world.client_for(world.admin_b.user).get(f"/api/v1/jobs/{job.pk}")
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"


def test_the_admin_lists_jobs_read_only_for_the_system_admin(world):
    job = enqueue(world, "tests.count_areas")
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    assert admin.get("/admin/jobs/job/").status_code == 200
    page = admin.get(f"/admin/jobs/job/{job.pk}/change/")
    assert page.status_code == 200 and "result_data" not in page.content.decode()
    assert admin.get("/admin/django_tasks_database/dbtaskresult/").status_code == 404


def test_starting_the_same_job_twice_joins_the_first_and_another_member_must_wait(world):
    first = actor_of(world, Role.MUNICIPAL_STAFF)
    with tenant_context(first.tenant_id):
        job = services.job_start_once(actor=first, kind="tests.count_areas", parameters={"n": 1})
        again = services.job_start_once(actor=first, kind="tests.count_areas", parameters={"n": 1})
        assert again.pk == job.pk and Job.objects.count() == 1
        with pytest.raises(services.JobBusy):
            services.job_start_once(
                actor=actor_of(world, Role.SYSTEM_ADMIN), kind="tests.count_areas",
                parameters={"n": 1},
            )  # fmt: skip
        other = services.job_start_once(actor=first, kind="tests.count_areas", parameters={"n": 2})
        assert other.pk != job.pk
    run_pending()
    with tenant_context(first.tenant_id):
        after = services.job_start_once(actor=first, kind="tests.count_areas", parameters={"n": 1})
    assert after.pk not in {job.pk, other.pk}  # a finished job is not joined


def test_my_jobs_is_in_the_menu_of_the_roles_that_can_start_one(world):
    from sasaeai.accounts.policy import PERMISSIONS

    may_see = PERMISSIONS["jobs.view_own_jobs"]
    for kind in registry.all_kinds():
        if not kind.key.startswith("tests."):
            assert PERMISSIONS[kind.permission] <= may_see, kind.key
    for role in Role:
        page = world.client_for(world.user(role)).get("/").content.decode()
        assert ('data-module="jobs"' in page) == (role in may_see), role
    assert Role.RESIDENT not in may_see and Role.COMMUNITY_SOCIAL_WORKER in may_see
