"""The consultation services: intake, the case workflow, consent, conferences, access rules."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.consultation import selectors, services
from sasaeai.consultation.models import (
    Case,
    CaseAssignment,
    CaseStatus,
    Channel,
    ConferenceKind,
    ConsentMethod,
    ConsultationStatus,
    Referral,
    ReferralStatus,
    Relationship,
    Task,
    TeamRole,
)
from sasaeai.core.errors import EditConflict
from tests.consultation.factories import (
    actor_for,
    actor_of,
    admin_actor_in,
    make_agency,
    make_case,
    make_person,
)


def codes(error: ValidationError) -> set[str]:
    return {e.code for errors in error.error_dict.values() for e in errors}


@pytest.fixture
def csw(world):
    services.concern_tags_ensure(world.tenant_a.pk)
    return actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)


def test_intake_needs_only_a_description(csw):
    consultation = services.consultation_record(
        actor=csw,
        data=services.ConsultationInput(channel=Channel.PHONE, description="父の様子が心配"),
    )
    assert consultation.person is None and not consultation.concerns.exists()
    assert consultation.status == ConsultationStatus.RECEIVED
    with pytest.raises(ValidationError) as error:
        services.consultation_record(
            actor=csw, data=services.ConsultationInput(channel=Channel.PHONE, description=" ")
        )
    assert codes(error.value) == {"required"}


def test_future_and_implausible_dates_are_refused(csw):
    future = timezone.now() + datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as error:
        services.consultation_record(
            actor=csw,
            data=services.ConsultationInput(
                channel=Channel.PHONE, description="x", received_at=future
            ),
        )
    assert codes(error.value) == {"future_date"}
    for birth in (timezone.localdate() + datetime.timedelta(days=1), datetime.date(1850, 1, 1)):
        with pytest.raises(ValidationError):
            services.person_save(
                actor=csw, data=services.PersonInput(name="山田", birth_date=birth)
            )


def test_commissioner_passes_a_concern_and_sees_only_that_it_was_received(world, csw):
    commissioner = actor_of(world, Role.WELFARE_COMMISSIONER)
    concern = services.consultation_record(
        actor=commissioner,
        data=services.ConsultationInput(channel=Channel.PHONE, description="8050世帯が心配"),
    )
    assert concern.channel == Channel.COMMISSIONER
    assert list(selectors.concerns_passed_on(commissioner)) == [concern]
    case = services.consultation_take_in(actor=csw, consultation=concern, title="8050世帯")
    concern.refresh_from_db()
    assert concern.status == ConsultationStatus.TAKEN_IN and concern.acknowledged_at is not None
    # The commissioner never sees the case it became.
    assert not selectors.cases(commissioner).exists()
    assert not selectors.cases(commissioner).filter(pk=case.pk).exists()


def test_case_is_seen_by_its_team_and_their_supervisors_only(world, csw):
    case = make_case(csw)
    staff = actor_of(world, Role.MUNICIPAL_STAFF)
    council = actor_of(world, Role.WELFARE_COUNCIL_STAFF)
    assert list(selectors.cases(csw)) == [case]
    assert not selectors.cases(staff).exists()
    services.supervision_set(
        actor=admin_actor_in(csw), supervisor_id=council.user_id, worker_ids=[csw.user_id]
    )
    assert list(selectors.cases(council)) == [case]
    services.case_assign(actor=csw, case=case, user_id=staff.user_id, role=TeamRole.MEMBER)
    assert list(selectors.cases(staff)) == [case]
    for role in (Role.SYSTEM_ADMIN, Role.VOLUNTEER, Role.RESIDENT, Role.WELFARE_COMMISSIONER,
                 Role.AGENCY_WORKER, Role.PLAN_COMMITTEE_MEMBER, Role.VOLUNTEER_COORDINATOR):  # fmt: skip
        assert not selectors.cases(actor_of(world, role)).exists(), role


def test_confidential_case_is_hidden_from_all_but_named_users(world, csw):
    council = actor_of(world, Role.WELFARE_COUNCIL_STAFF)
    services.supervision_set(
        actor=admin_actor_in(csw), supervisor_id=council.user_id, worker_ids=[csw.user_id]
    )
    person = make_person(csw, name="匿名花子", kana="トクメイハナコ")
    case = make_case(csw, persons=[person])
    assert selectors.cases(council).exists()
    services.case_set_confidential(actor=csw, case=case, confidential=True, named_user_ids=[])
    assert not selectors.cases(council).exists()
    assert not selectors.persons(council).filter(pk=person.pk).exists()
    assert selectors.cases(csw).exists()
    services.case_set_confidential(
        actor=csw, case=case, confidential=True, named_user_ids=[council.user_id]
    )
    assert selectors.cases(council).exists()


def test_workflow_follows_the_steps_and_reopens(csw):
    case = make_case(csw)
    with pytest.raises(ValidationError) as error:
        services.case_transition(
            actor=csw, case=case, to_status=CaseStatus.SUPPORT, version=case.version
        )
    assert codes(error.value) == {"invalid_transition"}
    for status in (
        CaseStatus.ASSESSMENT,
        CaseStatus.PLANNING,
        CaseStatus.SUPPORT,
        CaseStatus.MONITORING,
    ):
        services.case_transition(actor=csw, case=case, to_status=status, version=case.version)
    with pytest.raises(ValidationError):
        services.case_transition(
            actor=csw, case=case, to_status=CaseStatus.CLOSED, version=case.version
        )
    services.case_transition(
        actor=csw, case=case, to_status=CaseStatus.CLOSED, version=case.version, note="安定"
    )
    assert case.closed_on == timezone.localdate()
    services.case_transition(
        actor=csw, case=case, to_status=CaseStatus.ASSESSMENT, version=case.version, note="再相談"
    )
    case.refresh_from_db()
    assert case.closed_on is None
    history = list(case.status_changes.values_list("to_status", flat=True))
    assert history == [
        "intake",
        "assessment",
        "planning",
        "support",
        "monitoring",
        "closed",
        "assessment",
    ]


def test_concurrent_edit_is_detected(csw):
    case = make_case(csw)
    first, second = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    services.case_update(actor=csw, case=first, version=first.version, assessment="一人目の記録")
    with pytest.raises(EditConflict):
        services.case_update(
            actor=csw, case=second, version=second.version, assessment="二人目の記録"
        )
    case.refresh_from_db()
    assert case.assessment == "一人目の記録"


def test_assignment_history_is_kept(world, csw):
    case = make_case(csw)
    council = actor_of(world, Role.WELFARE_COUNCIL_STAFF)
    services.case_assign(actor=csw, case=case, user_id=council.user_id, role=TeamRole.LEAD)
    rows = list(CaseAssignment.objects.filter(case=case).values_list("user_id", "role", "ended_at"))
    assert rows[0][:2] == (csw.user_id, "lead") and rows[0][2] is not None
    assert rows[1][:2] == (council.user_id, "lead") and rows[1][2] is None
    with pytest.raises(ValidationError) as error:
        services.case_assign(
            actor=council, case=case, user_id=world.admin_b.user_id, role=TeamRole.MEMBER
        )
    assert codes(error.value) == {"other_tenant_user"}


def test_household_member_of_another_tenant_is_refused(world, csw):
    household = services.household_create(actor=csw, name="山田家")
    other = make_person(
        actor_for(world.add_member(world.tenant_b, "b-csw", Role.COMMUNITY_SOCIAL_WORKER))
    )
    with pytest.raises(ValidationError) as error:
        services.household_add_member(
            actor=csw, household=household, person=other, relationship=Relationship.CHILD
        )
    assert codes(error.value) == {"other_tenant"}
    assert not household.members.exists()


def test_referral_needs_consent_or_a_supervisors_override(world, csw):
    parent = make_person(csw)
    case = make_case(csw, persons=[parent])
    agency = make_agency(csw, members=[world.members[Role.AGENCY_WORKER]])
    with pytest.raises(ValidationError) as error:
        services.referral_send(
            actor=csw, case=case, agency=agency, person=parent, request="介護保険の申請支援"
        )
    assert codes(error.value) == {"consent_required"}
    with pytest.raises(ValidationError) as error:
        services.referral_send(
            actor=csw, case=case, agency=agency, person=parent, request="x", override_reason="緊急"
        )
    assert codes(error.value) == {"override_not_allowed"}
    # A supervisor on the team may share without consent, with a reason that is audited.
    staff = actor_of(world, Role.MUNICIPAL_STAFF)
    services.case_assign(actor=csw, case=case, user_id=staff.user_id, role=TeamRole.MEMBER)
    referral = services.referral_send(
        actor=staff,
        case=case,
        agency=agency,
        person=parent,
        request="安否確認",
        override_reason="生命の危険",
    )
    assert referral.override_by_id == staff.user_id
    assert AuditEntry.objects.filter(
        object_id=str(referral.pk), detail__consent_override="生命の危険"
    ).exists()


def test_agency_sees_a_referral_only_while_it_is_open(world, csw):
    parent = make_person(csw)
    case = make_case(csw, persons=[parent])
    agency_member = world.members[Role.AGENCY_WORKER]
    agency = make_agency(csw, members=[agency_member])
    worker = actor_for(agency_member)
    consent = services.consent_record(actor=csw, person=parent, scope="地域包括へ介護相談の情報提供",
                                      obtained_on=timezone.localdate(), method=ConsentMethod.WRITTEN)  # fmt: skip
    referral = services.referral_send(
        actor=csw, case=case, agency=agency, person=parent, request="介護申請"
    )
    assert referral.consent == consent
    assert list(selectors.agency_referrals(worker)) == [referral]
    assert list(selectors.persons(worker)) == [parent]
    assert not selectors.cases(worker).exists()
    services.referral_respond(actor=worker, referral=referral, move="accept")
    services.referral_report(actor=worker, referral=referral, body="要介護認定を申請した")
    services.referral_respond(actor=worker, referral=referral, move="complete")
    assert not selectors.agency_referrals(worker).exists()
    assert not selectors.persons(worker).exists()
    kinds = [kind for kind, _when, _entry in selectors.case_timeline(case)]
    assert "report" in kinds


def test_withdrawing_consent_ends_open_referrals(world, csw):
    parent = make_person(csw)
    case = make_case(csw, persons=[parent])
    agency = make_agency(csw, members=[world.members[Role.AGENCY_WORKER]])
    consent = services.consent_record(actor=csw, person=parent, scope="包括へ", obtained_on=timezone.localdate(),
                                      method=ConsentMethod.VERBAL)  # fmt: skip
    referral = services.referral_send(
        actor=csw, case=case, agency=agency, person=parent, request="申請"
    )
    services.consent_withdraw(actor=csw, consent=consent)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REVOKED
    assert not selectors.agency_referrals(actor_for(world.members[Role.AGENCY_WORKER])).exists()


def test_multi_layered_conference_needs_the_programme_and_consent(world, csw):
    parent = make_person(csw)
    case = make_case(csw, persons=[parent])
    agency = make_agency(csw)
    now = timezone.now()
    data = services.ConferenceInput(
        kind=ConferenceKind.MULTI_LAYERED, held_at=now, case_ids=[case.pk],
        tasks=[(case.pk, services.TaskInput(title="訪問", due_on=timezone.localdate(), assignee_id=csw.user_id)),
               (case.pk, services.TaskInput(title="申請", due_on=timezone.localdate(), assignee_agency_id=agency.pk))],
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        services.conference_record(actor=csw, data=data)
    assert codes(error.value) == {"not_in_programme"}
    services.case_update(
        actor=csw, case=case, version=case.version, in_programme_since=timezone.localdate()
    )
    with pytest.raises(ValidationError) as error:
        services.conference_record(actor=csw, data=data)
    assert codes(error.value) == {"consent_required"}
    services.consent_record(actor=csw, person=parent, scope="重層的支援会議での共有", obtained_on=timezone.localdate(),
                            method=ConsentMethod.WRITTEN, covers_conferences=True)  # fmt: skip
    conference = services.conference_record(actor=csw, data=data)
    assert Task.objects.filter(conference=conference, case=case).count() == 2
    assert [t.title for t in selectors.due_tasks(csw)] == ["訪問"]


def test_support_meeting_needs_confirmed_confidentiality_not_consent(csw):
    case = make_case(csw, persons=[make_person(csw)])
    data = services.ConferenceInput(
        kind=ConferenceKind.SUPPORT_MEETING, held_at=timezone.now(), case_ids=[case.pk]
    )
    with pytest.raises(ValidationError) as error:
        services.conference_record(actor=csw, data=data)
    assert codes(error.value) == {"confidentiality_required"}
    data.confidentiality_confirmed = True
    assert services.conference_record(actor=csw, data=data).cases.get() == case


def test_task_for_a_user_of_another_tenant_is_refused(world, csw):
    case = make_case(csw)
    with pytest.raises(ValidationError) as error:
        services.task_create(actor=csw, case=case, data=services.TaskInput(
            title="訪問", due_on=timezone.localdate(), assignee_id=world.admin_b.user_id))  # fmt: skip
    assert codes(error.value) == {"other_tenant_user"}
    assert not Task.objects.exists()


def test_no_contact_list_and_last_contact(csw):
    quiet = make_case(
        csw, title="連絡なし", opened_on=timezone.localdate() - datetime.timedelta(days=60)
    )
    active = make_case(
        csw, title="連絡あり", opened_on=timezone.localdate() - datetime.timedelta(days=60)
    )
    services.activity_record(
        actor=csw, case=active, kind="phone", summary="電話で様子確認", minutes=15
    )
    services.activity_record(actor=csw, case=quiet, kind="record", summary="記録のみ")
    assert list(selectors.no_contact_cases(csw, days=30)) == [quiet]


def test_duplicate_search_ranks_by_agreement(csw):
    same = make_person(
        csw,
        name="山田太郎",
        kana="ヤマダ タロウ",
        birth=datetime.date(1945, 4, 1),
        phone="048-786-0001",
    )
    make_person(csw, name="山田次郎", kana="ヤマダ ジロウ", birth=datetime.date(1970, 1, 1))
    found = selectors.duplicate_candidates(csw, name_kana="ﾔﾏﾀﾞ", birth_date=datetime.date(1945, 4, 1),
                                           phone="０４８（７８６）０００１")  # fmt: skip
    assert found[0].person == same and set(found[0].reasons) == {"kana", "birth_date", "phone"}
    assert len(found) == 2


def test_referral_listing_is_scoped_for_the_desk(world, csw):
    parent = make_person(csw)
    case = make_case(csw, persons=[parent])
    agency = make_agency(csw)
    services.referral_send(
        actor=csw, case=case, agency=agency, request="相談", shares_personal_data=False
    )
    staff = actor_of(world, Role.MUNICIPAL_STAFF)
    from sasaeai.accounts import policy

    assert policy.scope(csw, "consultation.view_referral", Referral.objects.all()).count() == 1
    assert policy.scope(staff, "consultation.view_referral", Referral.objects.all()).count() == 0
