"""The thank-you mail with the questionnaire, and the notice to the course's staff."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from sasaeai.accounts.models import Role
from sasaeai.core.tenancy import tenant_context
from sasaeai.courses import services
from sasaeai.notifications.models import Notification

from .conftest import make_session


def test_the_thank_you_mail_carries_the_questionnaire_link_and_its_qr_code(staff, course):
    with tenant_context(course.tenant_id):
        services.course_update(
            actor=staff, course=course, questionnaire_url="https://example.jp/surveys/q1/"
        )
    session = make_session(staff, course, days=-1)
    with tenant_context(course.tenant_id):
        came, absent = (
            services.registration_create(
                actor=staff,
                session=session,
                name=n,
                email=f"{n}@example.jp",
                now=session.starts_at - timedelta(days=1),
            )  # fmt: skip
            for n in ("came", "absent")
        )
        services.attendance_set(actor=staff, session=session, attended_ids={came.pk})
        assert services.thank_you_send(actor=staff, session=session) == 1
    assert [m.to for m in mail.outbox] == [["came@example.jp"]]
    message = mail.outbox[0]
    assert "https://example.jp/surveys/q1/" in message.body
    name, content, mimetype = message.attachments[0]
    assert mimetype == "image/png" and content.startswith(b"\x89PNG")


def test_no_thank_you_mail_without_a_questionnaire(staff, course):
    session = make_session(staff, course, days=-1)
    with tenant_context(course.tenant_id), pytest.raises(ValidationError):
        services.thank_you_send(actor=staff, session=session)


def test_a_public_registration_tells_the_staff_in_charge(
    world, staff, course, django_capture_on_commit_callbacks
):
    coordinator = world.user(Role.VOLUNTEER_COORDINATOR)
    with tenant_context(course.tenant_id):
        services.course_update(actor=staff, course=course, contact_user_id=coordinator.pk)
    session = make_session(staff, course)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(course.tenant_id):
        services.registration_create(actor=None, session=session, name="一", phone="0")
    with tenant_context(course.tenant_id):
        notice = Notification.objects.get()
    assert notice.recipient_id == coordinator.pk
    assert notice.kind == "courses.registration_received"
    assert notice.url == f"/courses/session/{session.pk}/"


def test_a_session_cannot_be_placed_in_another_tenants_area(world, staff, course):
    with tenant_context(course.tenant_id), pytest.raises(ValidationError) as failure:
        make_session(staff, course, area_id=world.area_b.pk)
    assert "area_id" in failure.value.message_dict
