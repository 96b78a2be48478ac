from datetime import timedelta

import pytest
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.core.tenancy import tenant_context
from sasaeai.courses import services
from sasaeai.courses.models import CourseKind


def actor_of(membership, role=None) -> Actor:
    return Actor(
        user_id=membership.user_id, username=membership.user.username,
        tenant_id=membership.tenant_id, membership_id=membership.pk,
        role=Role(role or membership.role), otp_verified=True,
    )  # fmt: skip


@pytest.fixture
def staff(world):
    return actor_of(world.members[Role.WELFARE_COUNCIL_STAFF])


@pytest.fixture
def course(world, staff):
    with tenant_context(world.tenant_a.pk):
        return services.course_create(
            actor=staff, kind=CourseKind.TRAINING, key="dementia_supporter",
            title="認知症サポーター養成講座", cumulative=True, cumulative_base=22518,
            cumulative_base_year=2019,
        )  # fmt: skip


def make_session(staff, course, *, days=7, capacity=2, **values):
    start = timezone.now() + timedelta(days=days)
    with tenant_context(course.tenant_id):
        return services.session_create(
            actor=staff, course=course, starts_at=start, ends_at=start + timedelta(hours=2),
            place="市民ホール", capacity=capacity, **values,
        )  # fmt: skip


@pytest.fixture
def session(staff, course):
    return make_session(staff, course)
