"""The case page and its parts, referrals from both sides, and case conferences."""

import datetime

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.urls import reverse
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.consultation import selectors, services
from sasaeai.consultation.models import (
    Case,
    CaseStatus,
    CaseStatusChange,
    Conference,
    Consent,
    Referral,
    ReferralStatus,
    Task,
    TaskStatus,
)
from tests.consultation.factories import (
    actor_of,
    admin_actor_in,
    make_agency,
    make_case,
    make_person,
)

ASSESSMENT = "長男が二十年ひきこもり、母の年金で生活している"


def url(name, *args):
    return reverse(f"consultation:{name}", args=args)


@pytest.fixture
def csw(world):
    return actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)


@pytest.fixture
def family(world, csw):
    """An 8050 case: mother and son, led by the CSW, with an assessment written."""
    mother = make_person(
        csw, "山田花子", "ヤマダハナコ", datetime.date(1944, 5, 1), phone="048-123-4567"
    )
    son = make_person(csw, "山田一郎", "ヤマダイチロウ", datetime.date(1975, 2, 3))
    case = make_case(csw, persons=[mother, son], concern_codes=["8050", "hikikomori"])
    case = services.case_update(actor=csw, case=case, version=case.version, assessment=ASSESSMENT)
    return case, mother, son


@pytest.fixture
def agency(world, csw):
    return make_agency(csw, members=[world.members[Role.AGENCY_WORKER]])


def supervise(world, supervisor_role, worker_role):
    admin = admin_actor_in(actor_of(world, worker_role))
    services.supervision_set(
        actor=admin,
        supervisor_id=world.user(supervisor_role).pk,
        worker_ids=[world.user(worker_role).pk],
    )


def client_of(world, role):
    return world.client_for(world.user(role))


# ---- who sees the case page ---------------------------------------------------------------


def test_case_page_for_the_lead_and_their_supervisor(world, family):
    case, mother, son = family
    supervise(world, Role.MUNICIPAL_STAFF, Role.COMMUNITY_SOCIAL_WORKER)
    for role in (Role.COMMUNITY_SOCIAL_WORKER, Role.MUNICIPAL_STAFF):
        response = client_of(world, role).get(url("case_detail", case.pk))
        assert response.status_code == 200
        text = response.content.decode()
        assert mother.name in text and son.name in text and ASSESSMENT in text
        assert [p.pk for p in response.context["persons"]] == [mother.pk, son.pk]
        assert response.context["persons"][0].age >= 80
    assert (
        AuditEntry.objects.filter(
            action=Action.READ, object_type="consultation.case", object_id=str(case.pk)
        ).count()
        >= 2
    )


def test_case_page_is_not_found_for_everyone_else(world, family):
    case = family[0]
    other_csw = world.add_member(world.tenant_a, "csw-2", Role.COMMUNITY_SOCIAL_WORKER)
    users = [
        other_csw.user,
        world.user(Role.MUNICIPAL_STAFF),  # no supervision set up
        world.user(Role.WELFARE_COMMISSIONER),
        world.user(Role.AGENCY_WORKER),
        world.admin_b.user,
    ]
    for user in users:
        client = world.client_for(user)
        assert client.get(url("case_detail", case.pk)).status_code == 404, user
        assert client.get(url("case_edit", case.pk)).status_code == 404, user
        assert client.post(url("activity_new", case.pk), {"kind": "phone"}).status_code == 404, user


def test_confidential_case_is_hidden_from_the_supervisor_unless_named(world, family):
    case = family[0]
    supervise(world, Role.MUNICIPAL_STAFF, Role.COMMUNITY_SOCIAL_WORKER)
    supervisor = client_of(world, Role.MUNICIPAL_STAFF)
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    assert supervisor.get(url("case_detail", case.pk)).status_code == 200

    response = lead.post(url("case_confidential", case.pk), {"confidential": "on"})
    assert response.status_code == 302
    assert lead.get(url("case_detail", case.pk)).status_code == 200
    assert supervisor.get(url("case_detail", case.pk)).status_code == 404

    supervisor_id = world.user(Role.MUNICIPAL_STAFF).pk
    lead.post(url("case_confidential", case.pk), {"confidential": "on", "named": [supervisor_id]})
    response = supervisor.get(url("case_detail", case.pk))
    assert response.status_code == 200
    assert {g.user_id for g in response.context["grants"]} == {
        supervisor_id,
        world.user(Role.COMMUNITY_SOCIAL_WORKER).pk,
    }


# ---- the case's workflow, team and record -------------------------------------------------


def transition(client, case, to_status, note=""):
    case.refresh_from_db()
    return client.post(
        url("case_transition", case.pk),
        {"to_status": to_status, "note": note, "version": case.version},
    )


def test_workflow_through_the_whole_path_and_reopen(world, family):
    case = family[0]
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    for status in ("assessment", "planning", "support", "monitoring"):
        assert transition(lead, case, status).status_code == 302
        case.refresh_from_db()
        assert case.status == status

    refused = transition(lead, case, "closed")
    assert refused.status_code == 200
    assert refused.context["transition_form"].has_error("note", "required")
    case.refresh_from_db()
    assert case.status == CaseStatus.MONITORING

    assert (
        transition(lead, case, "intake")
        .context["transition_form"]
        .has_error("to_status", "invalid_transition")
    )
    assert transition(lead, case, "closed", note="目標を達成した").status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_on == timezone.localdate()

    response = lead.get(url("case_detail", case.pk))
    assert [value for value, _label in response.context["transitions"]] == ["assessment"]
    assert transition(lead, case, "assessment").status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSMENT and case.closed_on is None
    changes = list(CaseStatusChange.objects.filter(case=case).values_list("to_status", flat=True))
    assert changes == [
        "intake",
        "assessment",
        "planning",
        "support",
        "monitoring",
        "closed",
        "assessment",
    ]
    page = lead.get(url("case_detail", case.pk))
    assert sum(1 for kind, _when, _item in page.context["timeline"] if kind == "status") == 7


def test_stale_edit_shows_a_conflict_and_keeps_the_input(world, family, csw):
    case = family[0]
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    form = lead.get(url("case_edit", case.pk)).context["form"]
    started_from = form.initial["version"]
    services.case_update(actor=csw, case=case, version=case.version, title="別の人が直した題名")

    mine = "本人と面談し、通院の同行を希望"
    response = lead.post(url("case_edit", case.pk), {
        "title": "私の題名", "urgency": "high", "assessment": mine, "concerns": ["8050"],
        "version": started_from,
    })  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].has_error(NON_FIELD_ERRORS, "conflict")
    assert mine in response.content.decode()
    case.refresh_from_db()
    assert case.title == "別の人が直した題名" and case.assessment == ASSESSMENT

    response = lead.post(url("case_edit", case.pk), {
        "title": "私の題名", "urgency": "high", "assessment": mine, "concerns": ["8050"],
        "in_programme_since": "2025-04-01", "version": case.version,
    })  # fmt: skip
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assessment == mine and case.in_programme_since == datetime.date(2025, 4, 1)
    assert list(case.concerns.values_list("code", flat=True)) == ["8050"]


def test_team_changes_keep_the_history(world, family):
    case = family[0]
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    council = world.user(Role.WELFARE_COUNCIL_STAFF)
    resident = world.user(Role.RESIDENT)
    refused = lead.post(url("case_assign", case.pk), {"user": resident.pk, "role": "member"})
    assert refused.context["assign_form"].has_error("user")
    handed_over = lead.post(url("case_assign", case.pk), {"user": council.pk, "role": "lead"})
    assert handed_over["Location"] == url("case_list")
    # The former lead is no longer on the team, so only the new lead sees the page now.
    assert lead.get(url("case_detail", case.pk)).status_code == 404
    page = world.client_for(council).get(url("case_detail", case.pk))
    assert [(a.user_id, a.role) for a in page.context["team"]] == [(council.pk, "lead")]
    assert [a.ended_at is None for a in page.context["assignments"]] == [False, True]


def test_activity_goals_and_tasks_on_the_case_page(world, family):
    case = family[0]
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    occurred = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(hours=1)
    response = lead.post(url("activity_new", case.pk), {
        "kind": "visit", "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"), "minutes": "45",
        "summary": "自宅を訪問、長男と初めて話せた", "is_outreach": "on",
    })  # fmt: skip
    assert response.status_code == 302
    refused = lead.post(url("activity_new", case.pk), {
        "kind": "phone", "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"), "minutes": "5000", "summary": "x",
    })  # fmt: skip
    assert refused.status_code == 200 and refused.context["activity_form"].has_error("minutes")

    response = lead.post(url("case_goals", case.pk), {
        "goals-TOTAL_FORMS": "3", "goals-INITIAL_FORMS": "0",
        "goals-0-text": "長男が週1回外出する", "goals-1-text": "", "goals-2-text": "母の通院",
        "goals-2-is_achieved": "on", "next_review_on": "2030-01-15",
    })  # fmt: skip
    assert response.status_code == 302

    due = timezone.localdate() + datetime.timedelta(days=3)
    response = lead.post(url("task_new", case.pk), {
        "title": "福祉事務所に相談", "assignee": world.user(Role.COMMUNITY_SOCIAL_WORKER).pk,
        "due_on": due.isoformat(),
    })  # fmt: skip
    assert response.status_code == 302
    assert (
        lead.post(url("task_new", case.pk), {"title": "誰が?", "due_on": due.isoformat()})
        .context["task_form"]
        .has_error("assignee", "required")
    )

    page = lead.get(url("case_detail", case.pk))
    assert page.context["minutes"] == 45
    assert [g.text for g in page.context["goals"]] == ["長男が週1回外出する", "母の通院"]
    case.refresh_from_db()
    assert case.next_review_on == datetime.date(2030, 1, 15)
    assert case.last_contact_at is not None
    task = page.context["open_tasks"][0]
    assert task.title == "福祉事務所に相談" and task.due_on == due

    assert lead.post(url("task_done", task.pk)).status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_case_list_filters_and_task_counts(world, family, csw):
    case = family[0]
    other = make_case(csw, title="ごみ屋敷", concern_codes=["hoarding"], urgency="high")
    services.task_create(actor=csw, case=case, data=services.TaskInput(
        title="期限切れ", due_on=timezone.localdate() - datetime.timedelta(days=2),
        assignee_id=csw.user_id,
    ))  # fmt: skip
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    rows = {c.pk: c for c in lead.get(url("case_list")).context["page"]}
    assert set(rows) == {case.pk, other.pk}
    assert (rows[case.pk].open_tasks, rows[case.pk].overdue_tasks) == (1, 1)
    assert list(rows)[0] == other.pk  # higher urgency first
    assert [c.pk for c in lead.get(url("case_list"), {"concern": "hoarding"}).context["page"]] == [
        other.pk
    ]
    assert [
        c.pk
        for c in lead.get(url("case_list"), {"urgency": "normal", "mine": "on"}).context["page"]
    ] == [case.pk]
    assert list(client_of(world, Role.MUNICIPAL_STAFF).get(url("case_list")).context["page"]) == []
    assert client_of(world, Role.WELFARE_COMMISSIONER).get(url("case_list")).status_code == 403


# ---- referrals -----------------------------------------------------------------------------


def refer(client, case, person, agency, **extra):
    data = {
        "person": person.pk, "agency": agency.pk, "request": "介護保険の申請支援をお願いします",
        "shared_summary": "母は要介護認定を受けていない", "shares_personal_data": "on", **extra,
    }  # fmt: skip
    return client.post(url("referral_new", case.pk), data)


def test_referral_needs_consent_for_a_csw(world, family, agency, csw):
    case, mother, _son = family
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    page = lead.get(url("referral_new", case.pk))
    assert "override_reason" not in page.context["form"].fields

    refused = refer(lead, case, mother, agency, override_reason="緊急")
    assert refused.status_code == 200
    assert refused.context["form"].has_error("consent", "consent_required")
    assert not Referral.objects.exists()

    consent = services.consent_record(
        actor=csw, person=mother, scope="地域包括支援センターへの情報提供", method="written",
        obtained_on=timezone.localdate(), agency=agency,
    )  # fmt: skip
    assert refer(lead, case, mother, agency, consent=consent.pk).status_code == 302
    referral = Referral.objects.get()
    assert referral.consent == consent and referral.status == ReferralStatus.SENT
    page = lead.get(url("case_detail", case.pk))
    assert [r.pk for r in page.context["referrals"]] == [referral.pk]


def test_supervisor_may_share_without_consent_with_a_reason(world, family, agency):
    case, mother, _son = family
    supervise(world, Role.MUNICIPAL_STAFF, Role.COMMUNITY_SOCIAL_WORKER)
    supervisor = client_of(world, Role.MUNICIPAL_STAFF)
    assert "override_reason" in supervisor.get(url("referral_new", case.pk)).context["form"].fields
    assert (
        refer(
            supervisor, case, mother, agency, override_reason="生命の危険があり同意を得る時間がない"
        ).status_code
        == 302
    )
    referral = Referral.objects.get()
    assert (
        referral.consent is None and referral.override_by_id == world.user(Role.MUNICIPAL_STAFF).pk
    )


def test_agency_worker_sees_only_what_the_referral_shares(world, family, agency, csw):
    case, mother, son = family
    services.consent_record(actor=csw, person=mother, scope="包括へ", method="verbal",
                            obtained_on=timezone.localdate(), agency=agency)  # fmt: skip
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    assert refer(lead, case, mother, agency).status_code == 302
    referral = Referral.objects.get()
    worker = client_of(world, Role.AGENCY_WORKER)

    inbox = worker.get(url("agency_inbox"))
    assert [r.pk for r in inbox.context["page"]] == [referral.pk]
    page = worker.get(url("agency_referral", referral.pk))
    assert page.status_code == 200
    text = page.content.decode()
    assert "母は要介護認定を受けていない" in text and mother.name in text and "048-123-4567" in text
    assert ASSESSMENT not in text and son.name not in text and case.title not in text
    assert AuditEntry.objects.filter(
        action=Action.READ, object_type="consultation.referral", object_id=str(referral.pk),
        subject_type="consultation.person", subject_id=str(mother.pk),
    ).exists()  # fmt: skip

    refused = worker.post(url("agency_referral_respond", referral.pk),
                          {"move": "decline", "reason": "", "version": referral.version})  # fmt: skip
    assert refused.context["respond_form"].has_error("reason", "required")
    worker.post(
        url("agency_referral_respond", referral.pk), {"move": "accept", "version": referral.version}
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert (
        worker.post(
            url("agency_referral_report", referral.pk), {"body": "認定申請を受け付けた"}
        ).status_code
        == 302
    )
    timeline = lead.get(url("case_detail", case.pk)).context["timeline"]
    assert any(
        kind == "report" and item.body == "認定申請を受け付けた" for kind, _when, item in timeline
    )

    worker.post(
        url("agency_referral_respond", referral.pk),
        {"move": "complete", "version": referral.version},
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED
    assert worker.get(url("agency_referral", referral.pk)).status_code == 404
    assert list(worker.get(url("agency_inbox")).context["page"]) == []


def test_agency_worker_loses_a_revoked_referral(world, family, agency):
    case, mother, _son = family
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    # Not sharing personal data needs no consent; the agency sees the request only.
    assert refer(lead, case, mother, agency, shares_personal_data="").status_code == 302
    referral = Referral.objects.get()
    worker = client_of(world, Role.AGENCY_WORKER)
    page = worker.get(url("agency_referral", referral.pk))
    assert page.status_code == 200 and page.context["person"] is None
    assert mother.name not in page.content.decode()

    assert (
        lead.post(url("referral_revoke", referral.pk), {"reason": "本人が辞退"}).status_code == 302
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REVOKED
    assert worker.get(url("agency_referral", referral.pk)).status_code == 404
    assert worker.post(url("referral_revoke", referral.pk)).status_code == 404


def test_agency_pages_are_for_agency_workers_only(world, family, agency):
    assert (
        client_of(world, Role.COMMUNITY_SOCIAL_WORKER).get(url("agency_inbox")).status_code == 403
    )
    assert client_of(world, Role.WELFARE_COMMISSIONER).get(url("agency_inbox")).status_code == 403


# ---- conferences ---------------------------------------------------------------------------


def conference_post(case_ids, kind="support_meeting", tasks=(), **extra):
    data = {
        "kind": kind, "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "place": "市役所会議室",
        "cases": case_ids, "summary": "世帯の状況を共有", "decisions": "役割分担を決めた",
        "tasks-TOTAL_FORMS": "5", "tasks-INITIAL_FORMS": "0", **extra,
    }  # fmt: skip
    for i, task in enumerate(tasks):
        for name, value in task.items():
            data[f"tasks-{i}-{name}"] = value
    return data


def test_multi_layered_meeting_refuses_a_case_not_in_the_programme(world, family):
    case = family[0]
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    response = lead.post(url("conference_new"), conference_post([case.pk], kind="multi_layered"))
    assert response.status_code == 200
    assert response.context["form"].has_error("cases", "not_in_programme")
    assert not Conference.objects.exists()

    Case.objects.filter(pk=case.pk).update(in_programme_since=datetime.date(2025, 4, 1))
    response = lead.post(url("conference_new"), conference_post([case.pk], kind="multi_layered"))
    assert response.context["form"].has_error("cases", "consent_required")


def test_conference_tasks_show_on_the_case_and_the_assignees_lists(world, family, agency, csw):
    case, mother, _son = family
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    form = lead.get(url("conference_new"), {"case": case.pk}).context["form"]
    assert [c.pk for c in form.initial["cases"]] == [case.pk]

    soon = timezone.localdate() + datetime.timedelta(days=5)
    later = timezone.localdate() + datetime.timedelta(days=20)
    rows = [
        {
            "case": case.pk,
            "title": "長男への訪問",
            "assignee": csw.user_id,
            "due_on": soon.isoformat(),
        },
        {
            "case": case.pk,
            "title": "介護認定の申請",
            "assignee_agency": agency.pk,
            "due_on": later.isoformat(),
        },
    ]
    unconfirmed = lead.post(url("conference_new"), conference_post([case.pk], tasks=rows))
    assert unconfirmed.context["form"].has_error(
        "confidentiality_confirmed", "confidentiality_required"
    )
    half_row = lead.post(url("conference_new"), conference_post(
        [case.pk], tasks=[{"title": "誰かが何かを"}], confidentiality_confirmed="on"
    ))  # fmt: skip
    assert half_row.status_code == 200 and not Conference.objects.exists()

    response = lead.post(url("conference_new"), conference_post(
        [case.pk], tasks=rows, confidentiality_confirmed="on", agencies=[agency.pk],
        attendees=[csw.user_id],
    ))  # fmt: skip
    conference = Conference.objects.get()
    assert response.status_code == 302 and response["Location"] == url(
        "conference_detail", conference.pk
    )
    tasks = {t.title: t for t in Task.objects.filter(conference=conference)}
    assert tasks["長男への訪問"].due_on == soon and tasks["介護認定の申請"].due_on == later

    page = lead.get(url("case_detail", case.pk))
    assert {t.title for t in page.context["open_tasks"]} == set(tasks)
    assert [c.pk for c in page.context["conferences"]] == [conference.pk]
    assert [t.title for t in selectors.due_tasks(csw)] == ["長男への訪問"]
    detail = lead.get(url("conference_detail", conference.pk))
    assert detail.status_code == 200 and len(detail.context["tasks"]) == 2
    assert [c.pk for c in lead.get(url("conference_list")).context["page"]] == [conference.pk]
    assert (
        client_of(world, Role.MUNICIPAL_STAFF)
        .get(url("conference_detail", conference.pk))
        .status_code
        == 404
    )

    # The agency sees its task once a referral to it is open, and can mark it done.
    services.referral_send(
        actor=csw, case=case, agency=agency, request="認定の申請", shares_personal_data=False
    )
    referral = Referral.objects.get()
    worker = client_of(world, Role.AGENCY_WORKER)
    page = worker.get(url("agency_referral", referral.pk))
    assert [t.title for t in page.context["tasks"]] == ["介護認定の申請"]
    agency_task = tasks["介護認定の申請"]
    back = url("agency_referral", referral.pk)
    assert worker.post(url("task_done", agency_task.pk), {"next": back})["Location"] == back
    agency_task.refresh_from_db()
    assert agency_task.status == TaskStatus.DONE
    # The staff member's task is not the agency's to see.
    assert worker.post(url("task_done", tasks["長男への訪問"].pk)).status_code == 404


# ---- referral and consent in one flow; the call and the referrals on the timeline ----------

REQUEST_TYPED = "介護保険の申請支援をお願いします"
SUMMARY_TYPED = "母は要介護認定を受けていない"


def referral_data(person, agency, **extra) -> dict:
    return {
        "person": person.pk if person else "", "agency": agency.pk, "request": REQUEST_TYPED,
        "shared_summary": SUMMARY_TYPED, "shares_personal_data": "on", **extra,
    }  # fmt: skip


def consent_data(**extra) -> dict:
    return {
        "consent-scope": "地域包括支援センターと介護申請に必要な情報を共有する",
        "consent-method": "verbal", "consent-obtained_on": timezone.localdate().isoformat(),
        **extra,
    }  # fmt: skip


def test_referral_refused_for_missing_consent_offers_consent_inline_and_keeps_the_text(
    world, family, agency
):
    case, mother, _son = family
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    refused = lead.post(url("referral_new", case.pk), referral_data(mother, agency))
    assert refused.status_code == 200
    assert refused.context["form"].has_error("consent", "consent_required")
    body = refused.content.decode()
    assert 'data-testid="inline-consent"' in body
    assert REQUEST_TYPED in body and SUMMARY_TYPED in body
    # The inline consent is about the person chosen, for the agency chosen.
    assert refused.context["consent_form"].initial["agency"] == agency.pk
    assert url("referral_consent", case.pk) in body


def test_consent_recorded_inline_keeps_the_typed_referral_and_it_is_then_sent(
    world, family, agency
):
    case, mother, _son = family
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    fragment = lead.post(
        url("referral_consent", case.pk),
        {**referral_data(mother, agency), **consent_data(**{"consent-agency": agency.pk})},
        HTTP_HX_REQUEST="true",
    )
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "<html" not in body and 'data-testid="referral-form"' in body
    consent = Consent.objects.get(person=mother)
    assert (
        consent.agency == agency
        and consent.recorded_by_id == world.user(Role.COMMUNITY_SOCIAL_WORKER).pk
    )
    assert REQUEST_TYPED in body and SUMMARY_TYPED in body
    assert f'<option value="{consent.pk}" selected>' in body
    assert not Referral.objects.exists()  # recording consent does not send anything

    sent = lead.post(
        url("referral_new", case.pk), referral_data(mother, agency, consent=consent.pk)
    )
    assert sent.status_code == 302
    referral = Referral.objects.get()
    assert referral.consent == consent and referral.request == REQUEST_TYPED


def test_inline_consent_without_a_scope_is_refused_and_keeps_everything_typed(
    world, family, agency
):
    case, mother, _son = family
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    refused = lead.post(
        url("referral_consent", case.pk),
        {**referral_data(mother, agency), **consent_data(**{"consent-scope": ""})},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 200
    assert refused.context["consent_form"].errors["scope"]
    body = refused.content.decode()
    assert REQUEST_TYPED in body and 'data-testid="inline-consent"' in body
    assert not Consent.objects.exists()


def test_inline_consent_needs_someone_on_the_case(world, family, agency, csw):
    case, _mother, _son = family
    stranger = make_person(csw, "他人太郎", "タニンタロウ")
    lead = client_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    for person in (None, stranger):
        refused = lead.post(
            url("referral_consent", case.pk), {**referral_data(person, agency), **consent_data()}
        )
        assert refused.status_code == 200
        assert refused.context["form"].errors["person"]
        assert REQUEST_TYPED in refused.content.decode()
    assert not Consent.objects.exists()


def test_inline_consent_is_not_found_for_whoever_may_not_refer_the_case(world, family, agency):
    case, mother, _son = family
    for role in (Role.MUNICIPAL_STAFF, Role.AGENCY_WORKER, Role.WELFARE_COMMISSIONER):
        response = client_of(world, role).post(
            url("referral_consent", case.pk), {**referral_data(mother, agency), **consent_data()}
        )
        assert response.status_code in (403, 404)
    assert not Consent.objects.exists()


def test_case_timeline_shows_the_original_call_and_the_referrals(world, family, agency, csw):
    case, mother, _son = family
    call = services.consultation_record(actor=csw, data=services.ConsultationInput(
        channel="phone", description="近所の人から、母の様子が心配との電話", person_id=mother.pk,
    ))  # fmt: skip
    services.consultation_take_in(actor=csw, consultation=call, case=case)
    consent = services.consent_record(
        actor=csw, person=mother, scope="包括へ", method="written",
        obtained_on=timezone.localdate(), agency=agency,
    )  # fmt: skip
    referral = services.referral_send(
        actor=csw, case=case, agency=agency, person=mother, request=REQUEST_TYPED, consent=consent
    )
    page = client_of(world, Role.COMMUNITY_SOCIAL_WORKER).get(url("case_detail", case.pk))
    entries = {(kind, item.pk) for kind, _when, item in page.context["timeline"]}
    assert ("consultation", call.pk) in entries and ("referral", referral.pk) in entries
    body = page.content.decode()
    assert 'data-kind="consultation"' in body and "母の様子が心配との電話" in body
    assert 'data-kind="referral"' in body and REQUEST_TYPED in body

    api = client_of(world, Role.COMMUNITY_SOCIAL_WORKER).get(
        f"/api/v1/consultation/cases/{case.pk}/activities"
    )
    kinds = {item["kind"]: item for item in api.json()["items"]}
    assert kinds["consultation"]["text"] == "近所の人から、母の様子が心配との電話"
    assert kinds["referral"]["text"] == REQUEST_TYPED
    assert kinds["referral"]["agency_name"] == agency.name
