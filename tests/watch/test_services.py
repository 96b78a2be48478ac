"""Watch services: due dates, 不在, concerns passed to the desk, offline entries, the list."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.consultation.models import Consultation
from sasaeai.watch import services
from sasaeai.watch.models import Contact, ContactKind, ContactResult, Watcher, WatcherKind
from tests.watch.factories import days_ago, desk, make_person, watch_by

pytestmark = pytest.mark.django_db


def test_a_new_person_is_due_a_frequency_after_the_start(world):
    person = make_person(world, started_days_ago=3, frequency_days=7)
    assert person.last_contact_on is None
    assert person.next_due_on == days_ago(3) + datetime.timedelta(days=7)
    assert AuditEntry.objects.filter(
        object_type="watch.watchedperson", object_id=str(person.pk)
    ).exists()


def test_a_contact_moves_the_due_date_a_frequency_after_it(world):
    person = make_person(world, frequency_days=7)
    services.contact_record(actor=desk(world), person=person, result=ContactResult.OK)
    person.refresh_from_db()
    assert person.last_contact_on == timezone.localdate()
    assert person.next_due_on == timezone.localdate() + datetime.timedelta(days=7)


def test_no_answer_is_kept_but_moves_no_date(world):
    person = make_person(world, started_days_ago=10, frequency_days=7)
    before = person.next_due_on
    contact = services.contact_record(actor=desk(world), person=person, result=ContactResult.ABSENT)
    person.refresh_from_db()
    assert Contact.objects.filter(pk=contact.pk, result="absent").exists()
    assert person.last_contact_on is None and person.next_due_on == before


def test_a_contact_recorded_later_with_an_earlier_date_does_not_move_the_due_date_back(world):
    person = make_person(world, frequency_days=7)
    services.contact_record(actor=desk(world), person=person, result="ok", occurred_on=days_ago(1))
    services.contact_record(actor=desk(world), person=person, result="ok", occurred_on=days_ago(6))
    person.refresh_from_db()
    assert person.last_contact_on == days_ago(1)
    assert person.next_due_on == days_ago(1) + datetime.timedelta(days=7)
    assert person.contacts.count() == 2


def test_a_contact_in_the_future_is_refused_and_nothing_saved(world):
    person = make_person(world)
    with pytest.raises(ValidationError) as raised:
        services.contact_record(
            actor=desk(world), person=person, result="ok",
            occurred_on=timezone.localdate() + datetime.timedelta(days=1),
        )  # fmt: skip
    assert raised.value.error_dict["occurred_on"][0].code == "future_date"
    assert not Contact.objects.exists()


def test_concerned_passes_the_concern_to_the_desk_and_keeps_the_link(world):
    person = make_person(world, name="見守 一子", phone="048-000-0000")
    commissioner = world.actor(Role.WELFARE_COMMISSIONER)
    contact = services.contact_record(
        actor=commissioner, person=person, result=ContactResult.CONCERN, note="新聞がたまっている"
    )
    consultation = Consultation.objects.get(pk=contact.intake_reference)
    assert consultation.subject_name == "見守 一子"
    assert consultation.description == "新聞がたまっている"
    assert consultation.caller_relation == f"watch.contact#{contact.pk}"
    assert contact.intake_url.endswith(f"/{consultation.pk}/")
    contact.refresh_from_db()
    assert contact.intake_reference == consultation.pk


def test_urgent_without_a_note_still_reaches_the_desk(world):
    person = make_person(world)
    contact = services.contact_record(
        actor=desk(world), person=person, result=ContactResult.URGENT, kind=ContactKind.PHONE
    )
    consultation = Consultation.objects.get(pk=contact.intake_reference)
    assert consultation.description  # a default text names the kind and result


def test_nothing_unusual_passes_nothing(world):
    person = make_person(world)
    contact = services.contact_record(actor=desk(world), person=person, result="ok")
    assert contact.intake_reference is None and not Consultation.objects.exists()


def test_a_refused_concern_saves_no_contact(world, monkeypatch):
    from sasaeai.core import intake

    person = make_person(world)
    monkeypatch.setattr(intake, "_receiver", None)
    with pytest.raises(ValidationError):
        services.contact_record(actor=desk(world), person=person, result="concern", note="x")
    assert not Contact.objects.exists()
    person.refresh_from_db()
    assert person.last_contact_on is None


def test_an_unknown_result_is_refused(world):
    person = make_person(world)
    with pytest.raises(ValidationError) as raised:
        services.contact_record(actor=desk(world), person=person, result="fine")
    assert "result" in raised.value.error_dict


def test_a_volunteer_records_only_for_people_they_watch(world):
    person = make_person(world)
    volunteer = world.actor(Role.VOLUNTEER)
    with pytest.raises(Http404):
        services.contact_record(actor=volunteer, person=person, result="ok")
    watcher = watch_by(world, person, Role.VOLUNTEER)
    contact = services.contact_record(actor=volunteer, person=person, result="ok")
    assert contact.watcher_id == watcher.pk and contact.recorded_by_id == volunteer.user_id


def test_a_commissioner_cannot_add_a_person_outside_their_districts(world):
    commissioner = world.actor(Role.WELFARE_COMMISSIONER)
    with pytest.raises(ValidationError) as raised:
        make_person(world, actor=commissioner, area=world.other_district)
    assert raised.value.error_dict["area"][0].code == "outside_districts"
    assert make_person(world, actor=commissioner, area=world.sub_district).pk


def test_a_volunteer_cannot_add_people(world):
    with pytest.raises(PermissionDenied):
        make_person(world, actor=world.actor(Role.VOLUNTEER))


def test_the_same_name_and_address_twice_is_refused_unless_accepted(world):
    make_person(world, name="見守 花子", address="桶川市1-1")
    with pytest.raises(ValidationError) as raised:
        make_person(world, name="見守　花子", address="桶川市 1-1")
    assert raised.value.error_dict["name"][0].code == "duplicate"
    assert make_person(world, name="見守 花子", address="桶川市1-1", accept_duplicate=True).pk


def test_ending_keeps_the_person_and_stops_contacts(world):
    person = make_person(world)
    services.watched_person_end(actor=desk(world), person=person, reason="施設に入所")
    person.refresh_from_db()
    assert person.status == "ended" and person.ended_on == timezone.localdate()
    with pytest.raises(ValidationError):
        services.contact_record(actor=desk(world), person=person, result="ok")


def test_one_main_watcher_at_a_time(world):
    person = make_person(world)
    first = watch_by(world, person, Role.VOLUNTEER)
    assert first.is_primary  # the first watcher is the main one
    second = watch_by(world, person, Role.WELFARE_COMMISSIONER, primary=True)
    first.refresh_from_db()
    assert second.is_primary and not first.is_primary
    assert Watcher.objects.filter(watched=person, is_primary=True).count() == 1


def test_a_business_watcher_needs_a_partner_of_the_tenant(world):
    person = make_person(world)
    with pytest.raises(ValidationError) as raised:
        services.watcher_add(actor=desk(world), person=person, kind=WatcherKind.BUSINESS)
    assert "partner" in raised.value.error_dict


def test_a_member_of_another_tenant_cannot_be_a_watcher(world):
    person = make_person(world)
    with pytest.raises(ValidationError) as raised:
        services.watcher_add(
            actor=desk(world), person=person, kind=WatcherKind.STAFF, user_id=world.admin_b.user_id
        )
    assert raised.value.error_dict["user"][0].code == "other_tenant"


def test_a_neighbour_needs_a_name(world):
    person = make_person(world)
    with pytest.raises(ValidationError):
        services.watcher_add(actor=desk(world), person=person, kind=WatcherKind.NEIGHBOUR)
    watcher = services.watcher_add(
        actor=desk(world), person=person, kind=WatcherKind.NEIGHBOUR, name="隣の佐藤さん"
    )
    assert watcher.name == "隣の佐藤さん"


def test_a_volunteer_whose_watch_ended_no_longer_records(world):
    person = make_person(world)
    watcher = watch_by(world, person, Role.VOLUNTEER)
    services.watcher_end(actor=desk(world), watcher=watcher, until=days_ago(1))
    with pytest.raises(Http404):
        services.contact_record(actor=world.actor(Role.VOLUNTEER), person=person, result="ok")


def test_a_member_whose_role_records_no_visits_cannot_be_a_watcher(world):
    person = make_person(world)
    with pytest.raises(ValidationError) as raised:
        services.watcher_add(
            actor=desk(world), person=person, kind=WatcherKind.STAFF,
            user_id=world.user(Role.RESIDENT).pk,
        )  # fmt: skip
    assert raised.value.error_dict["user"][0].code == "role"
