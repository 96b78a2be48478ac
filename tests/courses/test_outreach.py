"""出前講座 requests: a group asks on the public form, staff accept (a session is scheduled)
or decline."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.core.tenancy import tenant_context
from sasaeai.courses import services
from sasaeai.courses.models import OutreachRequest, OutreachStatus
from sasaeai.notifications.models import Notification


@pytest.fixture
def outreach(world, staff):
    with tenant_context(world.tenant_a.pk):
        return services.course_create(
            actor=staff, kind="outreach_course", key="council_outreach", title="出前講座"
        )


def test_a_group_asks_on_the_public_form_and_the_council_staff_are_told(
    world, outreach, django_capture_on_commit_callbacks
):
    wanted = timezone.localdate() + timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(f"/courses/{world.tenant_a.code}/outreach/", {
            "group_name": "並木自治会", "contact_name": "自治 会長", "phone": "04-0000-0000",
            "wanted_date": wanted.isoformat(), "topic": "認知症について", "course": outreach.pk,
        })  # fmt: skip
    assert 'data-testid="outreach-request-received"' in response.content.decode()
    assert "自治 会長" not in response.content.decode()
    with tenant_context(world.tenant_a.pk):
        request = OutreachRequest.objects.get()
        assert request.course_id == outreach.pk
        notice = Notification.objects.get()
    assert notice.recipient_id == world.user(Role.WELFARE_COUNCIL_STAFF).pk
    assert notice.kind == "courses.outreach_requested"


def test_a_request_for_a_past_date_is_refused(world):
    with tenant_context(world.tenant_a.pk), pytest.raises(ValidationError) as failure:
        services.outreach_request_submit(
            tenant_id=world.tenant_a.pk, group_name="会", contact_name="人", phone="0",
            wanted_date=timezone.localdate(), topic="話",
        )  # fmt: skip
    assert "wanted_date" in failure.value.message_dict


def test_accepting_schedules_a_session_for_the_group_and_counts_once_held(world, staff, outreach):
    with tenant_context(world.tenant_a.pk):
        request = services.outreach_request_submit(
            tenant_id=world.tenant_a.pk, group_name="並木自治会", contact_name="人", phone="0",
            wanted_date=timezone.localdate() + timedelta(days=20), topic="見守り",
        )  # fmt: skip
        start = timezone.now() + timedelta(days=20)
        decided = services.outreach_request_decide(
            actor=staff, request=request, accept=True, course=outreach, starts_at=start,
            ends_at=start + timedelta(hours=1), place="並木集会所",
        )  # fmt: skip
        assert decided.status == OutreachStatus.ACCEPTED
        assert decided.session.requesting_group == "並木自治会"
        assert decided.session.capacity is None
        with pytest.raises(ValidationError):
            services.outreach_request_decide(actor=staff, request=decided, accept=False)


def test_the_requests_page_is_for_course_staff_only(world, outreach):
    staff = world.client_for(world.user(Role.VOLUNTEER_COORDINATOR))
    assert staff.get("/courses/outreach/").status_code == 200
    csw = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER))
    assert csw.get("/courses/outreach/").status_code == 403
