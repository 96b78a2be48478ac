"""The disclosure export, anonymisation after the retention period, and the reminder emails."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.consultation import retention, services, statistics
from sasaeai.consultation.models import (
    Activity,
    Case,
    Consent,
    Consultation,
    Goal,
    Person,
    Referral,
    Task,
)
from sasaeai.core.fiscal import fiscal_year_of

from .factories import actor_for, actor_of, admin_actor_in, make_agency, make_case, make_person

TODAY = timezone.localdate()


def _cells(book) -> set[str]:
    return {
        str(c)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if c
    }


def _supported_person(world):
    """A person with a case, a consultation, support record, consent, referral, meeting, task."""
    csw = actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    user.display_name = "相談 三恵"
    user.save(update_fields=["display_name"])
    for supervisor in (Role.WELFARE_COUNCIL_STAFF, Role.MUNICIPAL_STAFF):
        services.supervision_set(
            actor=admin_actor_in(csw), supervisor_id=world.user(supervisor).pk,
            worker_ids=[csw.user_id],
        )  # fmt: skip
    person = make_person(csw, area_id=world.district.pk, sex="male")
    consultation = services.consultation_record(
        actor=csw,
        data=services.ConsultationInput(
            channel="phone",
            description="息子が外に出ない",
            person_id=person.pk,
            caller_name="近所の人",
            about="neighbour",
            subject_name="山田の息子",
            subject_phone="048-999-0000",
        ),
    )
    case = services.consultation_take_in(actor=csw, consultation=consultation, title="8050世帯")
    services.case_update(actor=csw, case=case, version=case.version, assessment="母の介護が必要")
    services.activity_record(
        actor=csw, case=case, kind="visit", summary="自宅を訪問した", minutes=45
    )
    services.goals_set(actor=csw, case=case, goals=[("外出できる", False)], next_review_on=None)
    agency = make_agency(csw)
    consent = services.consent_record(
        actor=csw, person=person, scope="包括と共有", obtained_on=TODAY, method="written"
    )
    services.referral_send(
        actor=csw,
        case=case,
        agency=agency,
        request="介護保険の申請支援",
        person=person,
        consent=consent,
    )
    services.conference_record(
        actor=csw,
        data=services.ConferenceInput(
            kind="support_meeting", held_at=timezone.now(), case_ids=[case.pk],
            confidentiality_confirmed=True, summary="世帯の状況を共有",
            tasks=[(case.pk, services.TaskInput(title="申請に同行する", due_on=TODAY, assignee_id=csw.user_id))],
        ),
    )  # fmt: skip
    return person, Case.objects.get(pk=case.pk)


# ---- disclosure ------------------------------------------------------------------------------


def test_a_supervisor_exports_everything_recorded_about_a_person(world):
    person, case = _supported_person(world)
    user = world.user(Role.WELFARE_COUNCIL_STAFF)  # supervises the worker on the case
    response = world.client_for(user).get(
        reverse("consultation:disclosure_export", args=[person.pk])
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 13
    cells = _cells(book)
    for text in ("山田太郎", "息子が外に出ない", "近所の人", "8050世帯", "母の介護が必要", "自宅を訪問した",
                 "外出できる", "包括と共有", "介護保険の申請支援", "世帯の状況を共有", "申請に同行する",
                 "相談 三恵", f"#{case.pk}", "048-999-0000"):  # fmt: skip
        assert text in cells, text
    entry = AuditEntry.objects.get(
        action="export", subject_type="consultation.person", subject_id=str(person.pk)
    )
    assert entry.actor_id == user.pk and entry.detail["disclosure"] is True
    assert entry.detail["cases"] == [case.pk] and entry.detail["counts"]["activities"] == 2


def test_the_confirmation_page_counts_what_the_export_holds(world):
    person, _case = _supported_person(world)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.get(reverse("consultation:disclosure", args=[person.pk]))
    assert response.status_code == 200
    counts = {key: n for key, _label, n in response.context["counts"]}
    assert counts == {"households": 0, "consultations": 1, "cases": 1, "activities": 2, "referrals": 1,
                      "consents": 1, "conferences": 1, "tasks": 1}  # fmt: skip
    assert AuditEntry.objects.filter(
        action="read", object_type="consultation.person", object_id=str(person.pk)
    ).exists()


@pytest.mark.parametrize(
    "role", [Role.COMMUNITY_SOCIAL_WORKER, Role.PLAN_COMMITTEE_MEMBER, Role.AGENCY_WORKER]
)
def test_only_supervisors_may_export(world, role):
    person, _case = _supported_person(world)
    client = world.client_for(world.user(role))
    for name in ("consultation:disclosure_export", "consultation:disclosure"):
        assert client.get(reverse(name, args=[person.pk])).status_code in (403, 404)
    assert not AuditEntry.objects.filter(action="export", subject_id=str(person.pk)).exists()


def test_a_supervisor_of_another_team_may_not_export_a_person_they_cannot_see(world):
    person, _case = _supported_person(world)
    other = world.add_member(world.tenant_a, "other-supervisor", Role.WELFARE_COUNCIL_STAFF)
    client = world.client_for(other.user)
    for name in ("consultation:disclosure_export", "consultation:disclosure"):
        assert client.get(reverse(name, args=[person.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="export", subject_id=str(person.pk)).exists()


def test_a_person_of_another_tenant_does_not_exist(world):
    person, _case = _supported_person(world)
    admin_b = world.add_member(world.tenant_b, "b-city", Role.MUNICIPAL_STAFF)
    client = world.client_for(admin_b.user)
    assert (
        client.get(reverse("consultation:disclosure_export", args=[person.pk])).status_code == 404
    )


# ---- retention -------------------------------------------------------------------------------


def _expire(case: Case, years_ago: int = 6) -> None:
    """Close the case and move its closing day back beyond the retention period."""
    csw_case = Case.objects.get(pk=case.pk)
    if csw_case.status != "closed":
        Case.objects.filter(pk=case.pk).update(status="closed")
    Case.objects.filter(pk=case.pk).update(
        closed_on=TODAY - datetime.timedelta(days=365 * years_ago + 2)
    )


def _close(world, case):
    csw = actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    case = Case.objects.get(pk=case.pk)
    return services.case_transition(
        actor=csw, case=case, to_status="closed", version=case.version, note="支援終了"
    )


def _statistics(world):
    year = fiscal_year_of(TODAY)
    return [table.rows for table in statistics.build(world.tenant_a.pk, year)]


def _actor(world):
    return actor_for(world.members[Role.MUNICIPAL_STAFF])


def test_expired_cases_are_anonymised_and_statistics_do_not_change(world):
    person, case = _supported_person(world)
    _close(world, case)
    _expire(case)
    before = _statistics(world)
    done = retention.anonymise(_actor(world), world.tenant_a.pk, TODAY)
    assert done.counts() == {"cases": 1, "consultations": 1, "persons": 1, "households": 0}
    assert _statistics(world) == before
    case.refresh_from_db()
    person.refresh_from_db()
    assert (
        case.anonymised_at is not None
        and case.title == retention.MARK
        and case.assessment == retention.MARK
    )
    assert set(Activity.objects.filter(case=case).values_list("summary", flat=True)) == {
        retention.MARK
    }
    assert Goal.objects.get(case=case).text == retention.MARK
    assert set(Task.objects.filter(case=case).values_list("title", flat=True)) == {retention.MARK}
    consultation = Consultation.objects.get(case=case)
    assert consultation.description == retention.MARK and consultation.caller_name == retention.MARK
    assert (consultation.subject_name, consultation.subject_phone) == (retention.MARK, "")
    assert Referral.objects.get(case=case).request == retention.MARK
    assert Consent.objects.get(person=person).scope == retention.MARK
    assert case.conferences.get().summary == retention.MARK
    assert person.name == retention.ANONYMOUS_NAME and person.anonymised_at is not None
    assert (
        person.name_kana,
        person.address,
        person.phone,
        person.search_text,
        person.birth_date,
    ) == ("", "", "", "", None)
    assert person.sex == "male" and person.area_id == world.district.pk
    entries = AuditEntry.objects.filter(action="update", detail__anonymised=True)
    assert {(e.object_type, e.object_id) for e in entries} >= {
        ("consultation.case", str(case.pk)),
        ("consultation.person", str(person.pk)),
    }
    again = retention.anonymise(_actor(world), world.tenant_a.pk, TODAY)
    assert again.counts() == {"cases": 0, "consultations": 0, "persons": 0, "households": 0}


def test_a_person_on_another_live_case_is_kept(world):
    csw = actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    person, case = _supported_person(world)
    other = make_case(csw, persons=[person], title="継続中のケース")
    _close(world, case)
    _expire(case)
    done = retention.anonymise(_actor(world), world.tenant_a.pk, TODAY)
    assert done.counts()["cases"] == 1 and done.counts()["persons"] == 0
    person.refresh_from_db()
    assert person.name == "山田太郎" and person.anonymised_at is None
    other.refresh_from_db()
    assert other.title == "継続中のケース"


def test_a_case_closed_within_the_period_is_kept(world):
    _person, case = _supported_person(world)
    _close(world, case)
    _expire(case, years_ago=4)
    assert retention.anonymise(_actor(world), world.tenant_a.pk, TODAY).counts()["cases"] == 0
    services.settings_update(actor=_actor(world), retention_years=3, no_contact_days=30)
    assert retention.anonymise(_actor(world), world.tenant_a.pk, TODAY).counts()["cases"] == 1


def test_old_answered_consultations_are_anonymised_too(world):
    csw = actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    old = services.consultation_record(
        actor=csw,
        data=services.ConsultationInput(
            channel="phone", description="制度の問い合わせ", contact="090-1111-2222"
        ),
    )
    services.consultation_answer(actor=csw, consultation=old)
    recent = services.consultation_record(
        actor=csw, data=services.ConsultationInput(channel="phone", description="最近の相談")
    )
    services.consultation_answer(actor=csw, consultation=recent)
    Consultation.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - datetime.timedelta(days=365 * 6)
    )
    retention.anonymise(_actor(world), world.tenant_a.pk, TODAY)
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.description, old.contact) == (retention.MARK, "")
    assert recent.description == "最近の相談"


def test_command_dry_run_changes_nothing(world):
    person, case = _supported_person(world)
    _close(world, case)
    _expire(case)
    out = io.StringIO()
    call_command(
        "anonymise_expired_cases", "--tenant", world.tenant_a.code, "--dry-run", stdout=out
    )
    assert "cases=1" in out.getvalue() and "persons=1" in out.getvalue()
    person.refresh_from_db()
    assert person.anonymised_at is None and person.name == "山田太郎"
    assert Case.objects.get(pk=case.pk).anonymised_at is None
    assert not AuditEntry.objects.filter(detail__anonymised=True).exists()


def test_command_counts_to_the_day_given(world):
    person, case = _supported_person(world)
    _close(world, case)
    _expire(case)
    earlier = (TODAY - datetime.timedelta(days=365 * 2)).isoformat()
    call_command(
        "anonymise_expired_cases",
        "--tenant",
        world.tenant_a.code,
        "--today",
        earlier,
        stdout=io.StringIO(),
    )
    assert Person.objects.get(pk=person.pk).anonymised_at is None
    call_command("anonymise_expired_cases", stdout=io.StringIO())
    assert Person.objects.get(pk=person.pk).anonymised_at is not None


# ---- reminders -------------------------------------------------------------------------------


def test_reminders_list_counts_and_case_numbers_without_names(world):
    csw_user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    csw_user.email = "csw@example.lg.jp"
    csw_user.save(update_fields=["email"])
    council_user = world.user(Role.WELFARE_COUNCIL_STAFF)
    council_user.email = "council@example.lg.jp"
    council_user.save(update_fields=["email"])
    csw = actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    person = make_person(csw)
    case = make_case(csw, persons=[person], title="山田さんの世帯")
    services.task_create(actor=csw, case=case, data=services.TaskInput(
        title="山田さんに電話", due_on=TODAY - datetime.timedelta(days=2), assignee_id=csw.user_id))  # fmt: skip
    services.goals_set(
        actor=csw,
        case=case,
        goals=[("目標", False)],
        next_review_on=TODAY + datetime.timedelta(days=3),
    )
    out = io.StringIO()
    call_command("consultation_reminders", stdout=out)
    assert out.getvalue().strip() == "1"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["csw@example.lg.jp"]
    assert f"#{case.pk}" in message.body
    for secret in ("山田", "電話", "目標"):
        assert secret not in message.body and secret not in message.subject


def test_a_household_goes_when_all_its_members_have_gone(world):
    csw = actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    mother = make_person(csw, name="山田ハル", kana="ヤマダハル")
    son = make_person(csw, name="山田一郎", kana="ヤマダイチロウ")
    household = services.household_create(actor=csw, name="山田家", address="桶川市1-1")
    for person in (mother, son):
        services.household_add_member(
            actor=csw, household=household, person=person, relationship="other"
        )
    case = make_case(csw, persons=[mother, son], household=household)
    _close(world, case)
    _expire(case)
    done = retention.anonymise(_actor(world), world.tenant_a.pk, TODAY)
    assert done.counts()["persons"] == 2 and done.counts()["households"] == 1
    household.refresh_from_db()
    assert (household.name, household.address) == (retention.ANONYMOUS_NAME, "")
