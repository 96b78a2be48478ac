"""Registering, the waiting list, cancelling and moving up, validation of sessions."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from sasaeai.audit.models import AuditEntry
from sasaeai.core.tenancy import tenant_context
from sasaeai.courses import services
from sasaeai.courses.models import Registration, RegistrationStatus

from .conftest import make_session


def register(session, name, **contact):
    contact = contact or {"phone": "090-1111-2222"}
    with tenant_context(session.tenant_id):
        return services.registration_create(actor=None, session=session, name=name, **contact)


def test_registration_within_capacity_is_accepted_and_audited(session):
    registration = register(session, "佐藤 花子")
    assert registration.status == RegistrationStatus.REGISTERED
    entry = AuditEntry.objects.filter(object_type="courses.registration").get()
    assert entry.object_id == str(registration.pk)
    assert entry.actor_username == "public"


def test_a_full_session_puts_people_on_the_waiting_list_with_their_position(session):
    register(session, "一")
    register(session, "二")
    third = register(session, "三")
    fourth = register(session, "四")
    assert third.status == fourth.status == RegistrationStatus.WAITLISTED
    with tenant_context(session.tenant_id):
        assert services.waitlist_position(third) == 1
        assert services.waitlist_position(fourth) == 2
        assert "2" in services.registration_message(fourth)


def test_cancelling_moves_the_first_waitlisted_up_and_mails_them_after_commit(
    session, staff, django_capture_on_commit_callbacks
):
    first = register(session, "一")
    register(session, "二")
    waiting = register(session, "三", email="san@example.jp")
    later = register(session, "四", email="yon@example.jp")
    with tenant_context(session.tenant_id), django_capture_on_commit_callbacks(execute=True):
        moved = services.registration_cancel(actor=staff, registration=first)
    assert [r.pk for r in moved] == [waiting.pk]
    waiting.refresh_from_db()
    later.refresh_from_db()
    first.refresh_from_db()
    assert waiting.status == RegistrationStatus.REGISTERED
    assert later.status == RegistrationStatus.WAITLISTED
    assert first.status == RegistrationStatus.CANCELLED
    assert [m.to for m in mail.outbox] == [["san@example.jp"]]
    assert "/registered/" in mail.outbox[0].body


def test_cancelling_twice_is_refused(session, staff):
    registration = register(session, "一")
    with tenant_context(session.tenant_id):
        services.registration_cancel(actor=staff, registration=registration)
        with pytest.raises(ValidationError):
            services.registration_cancel(actor=staff, registration=registration)


def test_registration_for_a_session_in_the_past_is_refused(staff, course):
    past = make_session(staff, course, days=-1)
    with pytest.raises(ValidationError) as failure:
        register(past, "遅刻 太郎")
    assert "session" in failure.value.message_dict
    assert not Registration.objects.exists()


def test_registration_needs_a_name_and_a_way_to_reach_the_person(session):
    with pytest.raises(ValidationError) as failure:
        with tenant_context(session.tenant_id):
            services.registration_create(actor=None, session=session, name=" ")
    assert set(failure.value.message_dict) == {"name", "phone"}


def test_an_event_without_capacity_takes_no_registration(staff, course):
    event = make_session(staff, course, capacity=None)
    with pytest.raises(ValidationError):
        register(event, "来場 者")


def test_capacity_below_the_registered_count_is_refused(session, staff):
    register(session, "一")
    register(session, "二")
    with tenant_context(session.tenant_id), pytest.raises(ValidationError) as failure:
        services.session_update(actor=staff, session=session, capacity=1)
    assert "capacity" in failure.value.message_dict
    session.refresh_from_db()
    assert session.capacity == 2


def test_a_larger_capacity_takes_people_off_the_waiting_list(session, staff):
    register(session, "一")
    register(session, "二")
    waiting = register(session, "三")
    with tenant_context(session.tenant_id):
        services.session_update(actor=staff, session=session, capacity=3)
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.REGISTERED


def test_a_session_ending_before_it_starts_is_refused(staff, course):
    start = timezone.now() + timedelta(days=3)
    with tenant_context(course.tenant_id), pytest.raises(ValidationError) as failure:
        services.session_create(
            actor=staff, course=course, starts_at=start, ends_at=start - timedelta(hours=1)
        )
    assert "ends_at" in failure.value.message_dict


def test_the_registrants_own_link_shows_their_registration_in_their_tenant_only(session, world):
    registration = register(session, "一")
    token = services.registration_token(registration)
    with tenant_context(session.tenant_id):
        assert services.registration_for_token(session.tenant_id, token).pk == registration.pk
        assert services.registration_for_token(session.tenant_id, token + "x") is None
    with tenant_context(world.tenant_b.pk):
        assert services.registration_for_token(world.tenant_b.pk, token) is None


def test_cancelling_a_session_mails_everyone_registered_or_waiting(
    session, staff, django_capture_on_commit_callbacks
):
    register(session, "一", email="ichi@example.jp")
    register(session, "二", phone="0")
    register(session, "三", email="san@example.jp")
    with tenant_context(session.tenant_id), django_capture_on_commit_callbacks(execute=True):
        services.session_update(actor=staff, session=session, status="cancelled")
    assert sorted(m.to[0] for m in mail.outbox) == ["ichi@example.jp", "san@example.jp"]
    assert "市民ホール" in mail.outbox[0].body
