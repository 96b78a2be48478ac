"""Courses under row-level security, as the application role: a public registration is
written in the session's tenant, and another tenant sees none of its rows."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.core.tenancy import tenant_context
from sasaeai.courses import services
from sasaeai.courses.models import Course, Registration, Session

pytestmark = pytest.mark.postgres


def test_a_public_registration_as_the_app_role_stays_in_its_tenant(world, app_role):
    membership = world.members[Role.WELFARE_COUNCIL_STAFF]
    staff = Actor(user_id=membership.user_id, username=membership.user.username, tenant_id=world.tenant_a.pk,
                  membership_id=membership.pk, role=Role.WELFARE_COUNCIL_STAFF,
                  otp_verified=True)  # fmt: skip
    start = timezone.now() + timedelta(days=3)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        with tenant_context(world.tenant_a.pk):
            course = services.course_create(actor=staff, kind="course", key="k", title="講座")
            session = services.session_create(
                actor=staff, course=course, starts_at=start, ends_at=start + timedelta(hours=1),
                capacity=1,
            )  # fmt: skip
            services.registration_create(actor=None, session=session, name="一", phone="0")
            second = services.registration_create(actor=None, session=session, name="二", phone="0")
            assert second.status == "waitlisted"
        with tenant_context(world.tenant_b.pk):
            assert not Course.objects.exists()
            assert not Session.objects.exists()
            assert not Registration.objects.exists()
        with tenant_context(world.tenant_a.pk):
            assert Registration.objects.count() == 2
        cursor.execute("RESET ROLE")
