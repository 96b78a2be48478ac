"""Events published by plans (an evaluation to review) and jobs (import finished, report
ready, failed): the right people, and only they."""

import pytest

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import PERMISSIONS, Actor
from sasaeai.jobs.worker import run_pending
from sasaeai.notifications.models import Notification
from sasaeai.plans import planfile
from sasaeai.plans import services as plans
from sasaeai.plans.models import PlanNode
from tests.jobs.test_jobs import enqueue  # also registers the test job kinds
from tests.plans.test_evaluations import PLAN


def recipients_of(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def member_actor(world, role) -> Actor:
    membership = world.members[role]
    return Actor(
        user_id=membership.user_id, username=membership.user.username,
        tenant_id=membership.tenant_id, membership_id=membership.pk, role=Role(membership.role),
        otp_verified=True,
    )  # fmt: skip


@pytest.fixture
def action(world):
    importer = Actor(user_id=None, username="importer", tenant_id=world.tenant_a.pk,
                     membership_id=None, role=Role.MUNICIPAL_STAFF)  # fmt: skip
    plan = plans.plan_import(
        actor=importer, tenant_id=world.tenant_a.pk, document=planfile.load(PLAN)
    )
    return PlanNode.objects.get(plan=plan, ref="1/①")


def test_a_new_evaluation_asks_the_reviewers_but_not_its_drafter(
    world, action, django_capture_on_commit_callbacks
):
    drafter = member_actor(world, Role.MUNICIPAL_STAFF)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = plans.evaluation_save(actor=drafter, node=action, fiscal_year=2025, grade="B")
        plans.evaluation_save(actor=drafter, node=action, fiscal_year=2025, grade="A")  # an edit
    reviewers = sorted(
        m.user_id
        for role, m in world.members.items()
        if role in PERMISSIONS["plans.review_evaluation"] and m.user_id != drafter.user_id
    )
    assert reviewers and recipients_of("plans.evaluation_to_review") == reviewers
    row = Notification.objects.filter(kind="plans.evaluation_to_review").first()
    assert row.url.endswith(f"/nodes/{action.pk}/evaluations/2025/")
    assert row.object_id == evaluation.pk


def test_a_finished_job_tells_its_requester_only(world, django_capture_on_commit_callbacks):
    report = enqueue(world, "tests.count_areas")  # reads: a report
    failing = enqueue(world, "tests.write_then_fail")  # writes: an import that fails
    with django_capture_on_commit_callbacks(execute=True):
        run_pending()
    requester = world.user(Role.MUNICIPAL_STAFF).pk
    ready = Notification.objects.get(kind="jobs.report_ready")
    assert ready.recipient_id == requester and ready.url == f"/jobs/{report.pk}/"
    failed = Notification.objects.get(kind="jobs.failed")
    assert failed.recipient_id == requester and failed.object_id == failing.pk
    assert Notification.objects.count() == 2
