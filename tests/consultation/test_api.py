"""The consultation JSON API: happy paths, and bad input answered with field errors and the
services' codes (future_date, other_tenant, consent_required…), conflicts as 409."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.api import on_domain_validation_error
from sasaeai.audit.models import AuditEntry
from sasaeai.consultation import services
from sasaeai.consultation.models import (
    Case,
    CaseStatus,
    ConsentMethod,
    Consultation,
    Referral,
    ReferralStatus,
    Task,
    TeamRole,
)
from tests.consultation.factories import actor_of, make_agency, make_case, make_person

BASE = "/api/v1/consultation"


def send(client, method: str, url: str, payload: dict | None = None):
    return getattr(client, method)(
        BASE + url, json.dumps(payload or {}, ensure_ascii=False), content_type="application/json"
    )


def codes(response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    return error["codes"]


@pytest.fixture
def csw(world):
    services.concern_tags_ensure(world.tenant_a.pk)
    return actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)


@pytest.fixture
def csw_client(world, csw):
    return world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER))


def consented_person(csw, agency=None):
    person = make_person(csw)
    services.consent_record(
        actor=csw, person=person, scope="地域包括支援センターと共有", obtained_on=timezone.localdate(),
        method=ConsentMethod.WRITTEN, agency=agency,
    )  # fmt: skip
    return person


# --- the OpenAPI document and the error shape -----------------------------------------------

PATHS = [
    "/consultations",
    "/consultations/{consultation_id}",
    "/consultations/{consultation_id}/take-in",
    "/consultations/{consultation_id}/answer",
    "/persons",
    "/persons/duplicates",
    "/persons/{person_id}",
    "/persons/{person_id}/consents",
    "/consents/{consent_id}/withdraw",
    "/households",
    "/households/{household_id}",
    "/households/{household_id}/members",
    "/cases",
    "/cases/{case_id}",
    "/cases/{case_id}/transition",
    "/cases/{case_id}/team",
    "/cases/{case_id}/team/{user_id}",
    "/cases/{case_id}/activities",
    "/cases/{case_id}/tasks",
    "/cases/{case_id}/referrals",
    "/tasks/{task_id}/done",
    "/me/tasks",
    "/me/cases",
    "/referrals",
    "/referrals/{referral_id}",
    "/referrals/{referral_id}/accept",
    "/referrals/{referral_id}/decline",
    "/referrals/{referral_id}/complete",
    "/referrals/{referral_id}/report",
    "/referrals/{referral_id}/revoke",
    "/conferences",
    "/conferences/{conference_id}",
]


def test_every_endpoint_is_in_the_openapi_document(world, csw_client):
    document = csw_client.get("/api/v1/openapi.json").json()
    missing = [p for p in PATHS if f"{BASE}{p}" not in document["paths"]]
    assert missing == []
    error = document["components"]["schemas"]["ErrorBody"]["properties"]
    assert {"code", "message", "fields", "codes"} <= set(error)


def test_domain_errors_carry_their_codes_beside_the_messages():
    single = on_domain_validation_error(None, ValidationError("x", code="already_handled"))
    assert json.loads(single.content)["error"]["codes"] == {"__all__": ["already_handled"]}
    by_field = on_domain_validation_error(
        None,
        ValidationError(
            {"a": [ValidationError("m1", code="c1"), ValidationError("m2")], "b": "m3"}
        ),
    )
    error = json.loads(by_field.content)["error"]
    assert error["fields"] == {"a": ["m1", "m2"], "b": ["m3"]}
    assert error["codes"] == {"a": ["c1", "invalid"], "b": ["invalid"]}
    assert error["code"] == "validation_error" and by_field.status_code == 422


def test_signed_out_and_unverified_are_refused(world, client):
    assert client.get(f"{BASE}/cases").status_code == 401
    unverified = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER), verified=False)
    assert unverified.get(f"{BASE}/cases").json()["error"]["code"] == "two_factor_required"


# --- consultations ----------------------------------------------------------------------------


def test_desk_records_a_consultation_and_takes_it_in(world, csw, csw_client):
    response = send(csw_client, "post", "/consultations", {
        "channel": "phone", "description": "父の様子が心配", "concerns": ["8050", "hikikomori"],
        "caller_name": "山田花子", "caller_relation": "娘",
    })  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "received" and body["concerns"] == ["8050", "hikikomori"]
    assert body["description"] == "父の様子が心配"
    queue = csw_client.get(f"{BASE}/consultations").json()
    assert [c["id"] for c in queue["items"]] == [body["id"]] and queue["count"] == 1
    taken = send(csw_client, "post", f"/consultations/{body['id']}/take-in", {"title": "8050世帯"})
    assert taken.status_code == 200, taken.content
    case = taken.json()
    assert case["title"] == "8050世帯" and case["status"] == "intake"
    assert [m["user_id"] for m in case["team"]] == [csw.user_id]
    assert {c["code"] for c in case["concerns"]} == {"8050", "hikikomori"}
    assert csw_client.get(f"{BASE}/consultations").json()["count"] == 0
    again = send(csw_client, "post", f"/consultations/{body['id']}/take-in", {})
    assert codes(again) == {"case": ["already_handled"]}


def test_a_consultation_records_whom_the_call_is_about(world, csw, csw_client):
    response = send(csw_client, "post", "/consultations", {
        "channel": "phone", "description": "隣の方を見かけない", "caller_name": "佐藤",
        "about": "neighbour", "subject_name": "鈴木一郎", "subject_name_kana": "スズキ イチロウ",
    })  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["about"], body["subject_name"]) == ("neighbour", "鈴木一郎")
    refused = send(csw_client, "post", "/consultations", {
        "channel": "phone", "description": "本人から", "about": "self", "subject_name": "鈴木一郎",
    })  # fmt: skip
    assert refused.status_code == 422 and codes(refused) == {"subject_name": ["subject_is_caller"]}
    assert send(csw_client, "post", "/consultations", {
        "channel": "phone", "description": "x", "about": "stranger",
    }).status_code in (400, 422)  # fmt: skip


def test_consultation_answered_on_the_spot(world, csw, csw_client):
    created = send(
        csw_client, "post", "/consultations", {"channel": "counter", "description": "制度の案内"}
    )
    answered = send(csw_client, "post", f"/consultations/{created.json()['id']}/answer")
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    assert not Case.objects.exists()


def test_commissioner_passes_a_concern_on_and_sees_only_its_receipt(world, csw, csw_client):
    commissioner = world.client_for(world.user(Role.WELFARE_COMMISSIONER))
    response = send(
        commissioner,
        "post",
        "/consultations",
        {"description": "隣の高齢者が心配", "contact": "090"},
    )
    assert response.status_code == 201, response.content
    receipt = response.json()
    assert set(receipt) == {"id", "received_at", "channel", "status", "acknowledged_at"}
    assert receipt["channel"] == "commissioner" and receipt["status"] == "received"
    send(csw_client, "post", f"/consultations/{receipt['id']}/take-in", {"title": "見守り"})
    listed = commissioner.get(f"{BASE}/consultations").json()["items"]
    assert [set(c) for c in listed] == [set(receipt)]
    assert listed[0]["status"] == "taken_in" and listed[0]["acknowledged_at"]
    detail = commissioner.get(f"{BASE}/consultations/{receipt['id']}").json()
    assert set(detail) == set(receipt)
    assert commissioner.get(f"{BASE}/cases").status_code == 403


def test_bad_consultation_input(world, csw_client):
    future = (timezone.now() + datetime.timedelta(days=3)).isoformat()
    response = send(
        csw_client,
        "post",
        "/consultations",
        {"channel": "phone", "description": "x", "received_at": future},
    )
    assert codes(response) == {"received_at": ["future_date"]}
    assert response.json()["error"]["fields"]["received_at"]
    assert codes(send(csw_client, "post", "/consultations", {"description": "x"})) == {
        "channel": ["invalid_choice"]
    }
    assert codes(
        send(csw_client, "post", "/consultations", {"channel": "phone", "description": " "})
    ) == {"description": ["required"]}
    malformed = send(
        csw_client,
        "post",
        "/consultations",
        {"channel": "fax", "description": "x", "received_at": "昨日"},
    )
    assert malformed.status_code == 422 and set(malformed.json()["error"]["fields"]) == {
        "channel",
        "received_at",
    }
    assert not Consultation.objects.exists()


def test_consultation_cannot_name_another_tenants_agency(world, csw_client):
    from tests.consultation.factories import admin_actor

    agency_b = services.agency_save(
        actor=admin_actor(world.tenant_b), name="所沢包括", kind="community_care_centre"
    )
    response = send(csw_client, "post", "/consultations", {
        "channel": "agency", "description": "x", "referred_by_agency_id": agency_b.pk,
    })  # fmt: skip
    assert codes(response) == {"referred_by_agency_id": ["other_tenant"]}


# --- persons and households -------------------------------------------------------------------


def test_person_create_read_update_with_version(world, csw, csw_client):
    bad = send(csw_client, "post", "/persons", {"name": "山田太郎", "birth_date": "2025-13-40"})
    assert bad.status_code == 422 and list(bad.json()["error"]["fields"]) == ["birth_date"]
    future = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert codes(
        send(csw_client, "post", "/persons", {"name": "山田太郎", "birth_date": future})
    ) == {"birth_date": ["future_date"]}
    created = send(csw_client, "post", "/persons", {
        "name": "山田太郎", "name_kana": "ヤマダタロウ", "birth_date": "1944-05-01", "phone": "048-000-0000",
        "flags": ["lives_alone"],
    })  # fmt: skip
    assert created.status_code == 201, created.content
    person = created.json()
    assert person["version"] == 1 and person["flags"] == ["lives_alone"]
    read = csw_client.get(f"{BASE}/persons/{person['id']}")
    assert read.status_code == 200
    assert AuditEntry.objects.filter(
        action="read",
        object_type="consultation.person",
        object_id=str(person["id"]),
        actor_id=csw.user_id,
    ).exists()
    update = {
        **{k: person[k] for k in ("name", "name_kana", "birth_date", "phone")},
        "address": "桶川市1-1",
    }
    saved = send(csw_client, "put", f"/persons/{person['id']}", {**update, "version": 1})
    assert saved.status_code == 200 and saved.json()["version"] == 2
    stale = send(
        csw_client, "put", f"/persons/{person['id']}", {**update, "address": "別", "version": 1}
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    assert csw_client.get(f"{BASE}/persons/{person['id']}").json()["address"] == "桶川市1-1"


def test_person_search_and_duplicates(world, csw, csw_client):
    person = make_person(csw, phone="048-111-2222")
    found = csw_client.get(f"{BASE}/persons", {"q": "やまだ"}).json()
    assert [p["id"] for p in found["items"]] == [person.pk]
    duplicates = csw_client.get(
        f"{BASE}/persons/duplicates", {"kana": "ヤマダ　タロウ", "birth_date": "1944-05-01"}
    ).json()
    assert duplicates[0]["person"]["id"] == person.pk
    assert set(duplicates[0]["reasons"]) >= {"kana", "birth_date"}
    assert (
        csw_client.get(f"{BASE}/persons/duplicates", {"birth_date": "1944-13-01"}).status_code
        == 422
    )


def test_consent_recorded_and_withdrawn(world, csw, csw_client):
    person = make_person(csw)
    bad = send(csw_client, "post", f"/persons/{person.pk}/consents", {
        "scope": "共有", "obtained_on": (timezone.localdate() + datetime.timedelta(days=2)).isoformat(),
        "method": "written",
    })  # fmt: skip
    assert codes(bad) == {"obtained_on": ["future_date"]}
    created = send(csw_client, "post", f"/persons/{person.pk}/consents", {
        "scope": "包括と共有", "obtained_on": timezone.localdate().isoformat(), "method": "verbal",
    })  # fmt: skip
    assert created.status_code == 201 and created.json()["is_active"]
    withdrawn = send(csw_client, "post", f"/consents/{created.json()['id']}/withdraw", {})
    assert withdrawn.status_code == 200 and not withdrawn.json()["is_active"]
    assert csw_client.get(f"{BASE}/persons/{person.pk}").json()["consents"][0]["withdrawn_on"]


def test_household_members_and_another_tenants_person(world, csw, csw_client):
    from tests.consultation.factories import admin_actor

    household = send(csw_client, "post", "/households", {"name": "山田家", "address": "桶川市"})
    assert household.status_code == 201
    household_id = household.json()["id"]
    person = make_person(csw)
    added = send(
        csw_client,
        "post",
        f"/households/{household_id}/members",
        {"person_id": person.pk, "relationship": "head"},
    )
    assert added.status_code == 200
    assert [(m["person_id"], m["relationship"]) for m in added.json()["members"]] == [
        (person.pk, "head")
    ]
    stranger = make_person(admin_actor(world.tenant_b), name="所沢次郎", kana="トコロザワジロウ")
    refused = send(
        csw_client, "post", f"/households/{household_id}/members", {"person_id": stranger.pk}
    )
    assert codes(refused) == {"person": ["other_tenant"]}
    unknown = send(csw_client, "post", f"/households/{household_id}/members", {"person_id": 999999})
    assert codes(unknown) == {"person": ["other_tenant"]}
    assert (
        csw_client.get(f"{BASE}/households/{household_id}").json()["members"][0]["person_id"]
        == person.pk
    )
    assert AuditEntry.objects.filter(action="read", object_type="consultation.household").exists()


# --- cases ------------------------------------------------------------------------------------


def test_case_detail_lists_and_audit(world, csw, csw_client):
    person = make_person(csw)
    case = make_case(csw, persons=[person], concern_codes=["8050"])
    services.goals_set(actor=csw, case=case, goals=[("通院を続ける", False)], next_review_on=None)
    body = csw_client.get(f"{BASE}/cases/{case.pk}").json()
    assert [p["person_id"] for p in body["persons"]] == [person.pk]
    assert body["team"][0]["role"] == "lead" and body["goals"][0]["text"] == "通院を続ける"
    assert body["concerns"] == [{"code": "8050", "name": "8050"}]
    assert AuditEntry.objects.filter(
        action="read", object_type="consultation.case", object_id=str(case.pk), actor_id=csw.user_id
    ).exists()
    listed = csw_client.get(f"{BASE}/cases", {"status": "intake"}).json()
    assert [c["id"] for c in listed["items"]] == [case.pk]
    assert csw_client.get(f"{BASE}/cases", {"status": "closed"}).json()["count"] == 0
    assert [c["id"] for c in csw_client.get(f"{BASE}/cases", {"mine": True}).json()["items"]] == [
        case.pk
    ]
    mine = csw_client.get(f"{BASE}/me/cases").json()
    assert mine[0]["id"] == case.pk and mine[0]["open_task_count"] == 0
    assert csw_client.get(f"{BASE}/cases", {"status": "nope"}).status_code == 422


def test_workflow_team_activities_and_timeline(world, csw, csw_client):
    case = make_case(csw)
    step = send(
        csw_client, "post", f"/cases/{case.pk}/transition", {"to_status": "support", "version": 1}
    )
    assert codes(step) == {"status": ["invalid_transition"]}
    step = send(
        csw_client,
        "post",
        f"/cases/{case.pk}/transition",
        {"to_status": "assessment", "version": 1},
    )
    assert (
        step.status_code == 200
        and step.json()["status"] == "assessment"
        and step.json()["version"] == 2
    )
    staff = world.user(Role.MUNICIPAL_STAFF)
    team = send(
        csw_client, "post", f"/cases/{case.pk}/team", {"user_id": staff.pk, "role": "member"}
    )
    assert {m["user_id"] for m in team.json()["team"]} == {csw.user_id, staff.pk}
    volunteer = send(
        csw_client, "post", f"/cases/{case.pk}/team", {"user_id": world.user(Role.VOLUNTEER).pk}
    )
    assert codes(volunteer) == {"user_id": ["not_desk_staff"]}
    lead_leaves = csw_client.delete(f"{BASE}/cases/{case.pk}/team/{csw.user_id}")
    assert codes(lead_leaves) == {"user_id": ["lead_required"]}
    for i in range(3):
        created = send(
            csw_client,
            "post",
            f"/cases/{case.pk}/activities",
            {"kind": "phone", "summary": f"電話{i}", "minutes": 10},
        )
        assert created.status_code == 201
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    assert codes(
        send(
            csw_client,
            "post",
            f"/cases/{case.pk}/activities",
            {"kind": "visit", "summary": "x", "occurred_at": future},
        )
    ) == {"occurred_at": ["future_date"]}
    assert (
        send(
            csw_client,
            "post",
            f"/cases/{case.pk}/activities",
            {"kind": "visit", "summary": "x", "minutes": -1},
        ).status_code
        == 422
    )
    page = csw_client.get(f"{BASE}/cases/{case.pk}/activities", {"limit": 2}).json()
    assert page["count"] == 5  # three calls and two status changes
    assert [e["text"] for e in page["items"]] == ["電話2", "電話1"]
    rest = csw_client.get(f"{BASE}/cases/{case.pk}/activities", {"limit": 2, "offset": 4}).json()
    assert [e["kind"] for e in rest["items"]] == ["status"]


def test_tasks_and_a_user_outside_the_tenant(world, csw, csw_client):
    case = make_case(csw)
    due = timezone.localdate().isoformat()
    outsider = world.add_member(world.tenant_b, "b-csw", Role.COMMUNITY_SOCIAL_WORKER)
    refused = send(
        csw_client,
        "post",
        f"/cases/{case.pk}/tasks",
        {"title": "訪問", "due_on": due, "assignee_id": outsider.user_id},
    )
    assert codes(refused) == {"assignee_id": ["other_tenant_user"]}
    assert codes(
        send(csw_client, "post", f"/cases/{case.pk}/tasks", {"title": "訪問", "due_on": due})
    ) == {"assignee_id": ["required"]}
    created = send(
        csw_client,
        "post",
        f"/cases/{case.pk}/tasks",
        {"title": "訪問", "due_on": due, "assignee_id": csw.user_id},
    )
    assert created.status_code == 201
    task_id = created.json()["id"]
    assert [t["id"] for t in csw_client.get(f"{BASE}/me/tasks").json()] == [task_id]
    assert [t["id"] for t in csw_client.get(f"{BASE}/cases/{case.pk}").json()["open_tasks"]] == [
        task_id
    ]
    done = csw_client.post(f"{BASE}/tasks/{task_id}/done")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert codes(csw_client.post(f"{BASE}/tasks/{task_id}/done?cancelled=true")) == {
        "status": ["already_handled"]
    }
    assert csw_client.get(f"{BASE}/me/tasks").json() == []


def test_concurrent_edits_of_a_case_conflict(world, csw, csw_client):
    case = make_case(csw, title="元の題")
    first = send(
        csw_client,
        "patch",
        f"/cases/{case.pk}",
        {"version": 1, "title": "先に保存", "urgency": "high"},
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    second = send(
        csw_client,
        "patch",
        f"/cases/{case.pk}",
        {"version": 1, "title": "後から保存", "assessment": "上書き"},
    )
    assert second.status_code == 409 and second.json()["error"]["code"] == "conflict"
    case.refresh_from_db()
    assert (case.title, case.urgency, case.assessment, case.version) == ("先に保存", "high", "", 2)


def test_case_patch_fields_and_household(world, csw, csw_client):
    from tests.consultation.factories import admin_actor

    case = make_case(csw)
    household = services.household_create(actor=csw, name="山田家")
    today = timezone.localdate().isoformat()
    saved = send(csw_client, "patch", f"/cases/{case.pk}", {
        "version": 1, "household_id": household.pk, "in_programme_since": today, "concerns": ["elderly"],
        "next_review_on": today,
    })  # fmt: skip
    assert saved.status_code == 200, saved.content
    body = saved.json()
    assert body["household_id"] == household.pk and body["in_programme_since"] == today
    assert [c["code"] for c in body["concerns"]] == ["elderly"]
    household_b = services.household_create(actor=admin_actor(world.tenant_b), name="所沢家")
    refused = send(
        csw_client, "patch", f"/cases/{case.pk}", {"version": 2, "household_id": household_b.pk}
    )
    assert codes(refused) == {"household": ["other_tenant"]}
    unknown = send(
        csw_client, "patch", f"/cases/{case.pk}", {"version": 2, "concerns": ["no_such"]}
    )
    assert codes(unknown) == {"concerns": ["invalid_choice"]}
    future = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    assert codes(
        send(csw_client, "patch", f"/cases/{case.pk}", {"version": 2, "in_programme_since": future})
    ) == {"in_programme_since": ["future_date"]}


# --- referrals --------------------------------------------------------------------------------


def test_referral_needs_consent_and_a_supervisor_may_override(world, csw, csw_client):
    agency = make_agency(csw)
    person = make_person(csw)
    case = make_case(csw, persons=[person])
    payload = {"agency_id": agency.pk, "person_id": person.pk, "request": "介護保険の申請支援"}
    assert codes(send(csw_client, "post", f"/cases/{case.pk}/referrals", payload)) == {
        "consent": ["consent_required"]
    }
    with_reason = {**payload, "override_reason": "生命の危険"}
    assert codes(send(csw_client, "post", f"/cases/{case.pk}/referrals", with_reason)) == {
        "override_reason": ["override_not_allowed"]
    }
    assert not Referral.objects.exists()
    staff = world.user(Role.MUNICIPAL_STAFF)
    services.case_assign(actor=csw, case=case, user_id=staff.pk, role=TeamRole.MEMBER)
    supervisor = world.client_for(staff)
    sent = send(supervisor, "post", f"/cases/{case.pk}/referrals", with_reason)
    assert sent.status_code == 201, sent.content
    assert sent.json()["override_by_id"] == staff.pk and sent.json()["consent_id"] is None
    entry = AuditEntry.objects.get(
        object_type="consultation.referral", object_id=str(sent.json()["id"]), action="create"
    )
    assert entry.detail["consent_override"] == "生命の危険" and entry.actor_id == staff.pk
    assert entry.subject_type == "consultation.person" and entry.subject_id == str(person.pk)


def test_referral_refuses_another_tenants_agency_and_a_person_not_on_the_case(
    world, csw, csw_client
):
    from tests.consultation.factories import admin_actor

    person = consented_person(csw)
    case = make_case(csw, persons=[person])
    agency_b = services.agency_save(
        actor=admin_actor(world.tenant_b), name="所沢包括", kind="community_care_centre"
    )
    response = send(
        csw_client,
        "post",
        f"/cases/{case.pk}/referrals",
        {"agency_id": agency_b.pk, "person_id": person.pk, "request": "x"},
    )
    assert codes(response) == {"agency": ["other_tenant"]}
    other = make_person(csw, name="別人", kana="ベツジン")
    agency = make_agency(csw)
    response = send(
        csw_client,
        "post",
        f"/cases/{case.pk}/referrals",
        {"agency_id": agency.pk, "person_id": other.pk, "request": "x"},
    )
    assert codes(response) == {"person": ["not_on_case"]}


def test_agency_sees_only_what_the_referral_shares_and_responds(world, csw, csw_client):
    agency_worker = world.members[Role.AGENCY_WORKER]
    agency = make_agency(csw, members=[agency_worker])
    person = consented_person(csw)
    services.person_save(
        actor=csw, person=person, version=person.version,
        data=services.PersonInput(name=person.name, name_kana=person.name_kana, birth_date=person.birth_date,
                                  note="秘密のメモ", phone="048-1"),
    )  # fmt: skip
    case = make_case(csw, persons=[person], title="秘密の題")
    services.case_update(actor=csw, case=case, version=case.version, assessment="秘密の見立て")
    sent = send(csw_client, "post", f"/cases/{case.pk}/referrals", {
        "agency_id": agency.pk, "person_id": person.pk, "request": "介護保険の申請", "shared_summary": "独居、足が悪い",
    })  # fmt: skip
    assert sent.status_code == 201, sent.content
    referral_id = sent.json()["id"]
    client = world.client_for(agency_worker.user)
    listed = client.get(f"{BASE}/referrals").json()
    assert [r["id"] for r in listed["items"]] == [referral_id]
    detail = client.get(f"{BASE}/referrals/{referral_id}")
    text = detail.content.decode()
    assert "case_id" not in detail.json() and "秘密" not in text
    assert detail.json()["person"] == {
        "id": person.pk, "name": "山田太郎", "name_kana": "ヤマダタロウ", "birth_date": "1944-05-01",
        "address": "", "phone": "048-1",
    }  # fmt: skip
    shared = client.get(f"{BASE}/persons/{person.pk}")
    assert shared.status_code == 200 and set(shared.json()) == {
        "id",
        "name",
        "name_kana",
        "birth_date",
        "address",
        "phone",
    }
    assert client.get(f"{BASE}/cases/{case.pk}").status_code == 404
    assert client.get(f"{BASE}/persons", {"q": "ヤマダ"}).status_code == 403
    # The desk cannot answer for the agency; the agency answers.
    assert send(csw_client, "post", f"/referrals/{referral_id}/accept", {}).status_code == 404
    assert codes(send(client, "post", f"/referrals/{referral_id}/decline", {})) == {
        "reason": ["required"]
    }
    accepted = send(client, "post", f"/referrals/{referral_id}/accept", {"version": 1})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert (
        send(client, "post", f"/referrals/{referral_id}/accept", {"version": 1}).status_code == 409
    )
    report = send(
        client, "post", f"/referrals/{referral_id}/report", {"body": "申請を支援しました"}
    )
    assert report.status_code == 201
    timeline = csw_client.get(f"{BASE}/cases/{case.pk}/activities").json()["items"]
    assert timeline[0]["kind"] == "report" and timeline[0]["agency_name"] == agency.name
    completed = send(client, "post", f"/referrals/{referral_id}/complete", {})
    assert completed.json()["status"] == "completed"
    # Closed: the agency no longer sees the referral or the person.
    assert client.get(f"{BASE}/referrals/{referral_id}").status_code == 404
    assert client.get(f"{BASE}/persons/{person.pk}").status_code == 404
    assert client.get(f"{BASE}/referrals").json()["count"] == 0


def test_referral_without_personal_data_shares_no_person(world, csw, csw_client):
    agency_worker = world.members[Role.AGENCY_WORKER]
    agency = make_agency(csw, members=[agency_worker])
    person = make_person(csw)
    case = make_case(csw, persons=[person])
    sent = send(csw_client, "post", f"/cases/{case.pk}/referrals", {
        "agency_id": agency.pk, "request": "制度の相談", "shares_personal_data": False,
    })  # fmt: skip
    assert sent.status_code == 201, sent.content
    client = world.client_for(agency_worker.user)
    assert client.get(f"{BASE}/referrals/{sent.json()['id']}").json()["person"] is None
    assert client.get(f"{BASE}/persons/{person.pk}").status_code == 404


def test_revoke_and_consent_withdrawal_end_the_agencys_access(world, csw, csw_client):
    agency_worker = world.members[Role.AGENCY_WORKER]
    agency = make_agency(csw, members=[agency_worker])
    person = consented_person(csw)
    case = make_case(csw, persons=[person])
    payload = {"agency_id": agency.pk, "person_id": person.pk, "request": "x"}
    first = send(csw_client, "post", f"/cases/{case.pk}/referrals", payload).json()
    revoked = send(csw_client, "post", f"/referrals/{first['id']}/revoke", {"reason": "誤送信"})
    assert revoked.json()["status"] == "revoked"
    assert codes(send(csw_client, "post", f"/referrals/{first['id']}/revoke", {})) == {
        "status": ["invalid_transition"]
    }
    second = send(csw_client, "post", f"/cases/{case.pk}/referrals", payload).json()
    send(csw_client, "post", f"/consents/{second['consent_id']}/withdraw", {})
    assert Referral.objects.get(pk=second["id"]).status == ReferralStatus.REVOKED
    assert world.client_for(agency_worker.user).get(f"{BASE}/referrals").json()["count"] == 0


# --- conferences ------------------------------------------------------------------------------


def test_conference_with_tasks_and_the_multi_layered_rules(world, csw, csw_client):
    agency = make_agency(csw)
    person = make_person(csw)
    case = make_case(csw, persons=[person])
    held = timezone.now().isoformat()
    multi = {"kind": "multi_layered", "held_at": held, "case_ids": [case.pk], "summary": "役割分担"}
    assert codes(send(csw_client, "post", "/conferences", multi)) == {
        "case_ids": ["not_in_programme"]
    }
    unconfirmed = {**multi, "kind": "support_meeting"}
    assert codes(send(csw_client, "post", "/conferences", unconfirmed)) == {
        "confidentiality_confirmed": ["confidentiality_required"]
    }
    due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    meeting = {
        **unconfirmed, "confidentiality_confirmed": True, "agency_ids": [agency.pk],
        "attendee_ids": [csw.user_id], "decisions": "包括が訪問する",
        "tasks": [{"case_id": case.pk, "title": "訪問", "due_on": due, "assignee_agency_id": agency.pk}],
    }  # fmt: skip
    created = send(csw_client, "post", "/conferences", meeting)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["cases"] == [{"id": case.pk, "title": case.title}]
    assert [t["title"] for t in body["tasks"]] == ["訪問"] and Task.objects.count() == 1
    assert (
        csw_client.get(f"{BASE}/conferences/{body['id']}").json()["decisions"] == "包括が訪問する"
    )
    assert [c["id"] for c in csw_client.get(f"{BASE}/conferences").json()["items"]] == [body["id"]]
    assert csw_client.get(f"{BASE}/cases/{case.pk}").json()["conference_ids"] == [body["id"]]
    bad_task = {
        **meeting,
        "tasks": [
            {"case_id": case.pk + 1000, "title": "x", "due_on": due, "assignee_id": csw.user_id}
        ],
    }
    assert codes(send(csw_client, "post", "/conferences", bad_task)) == {
        "tasks": ["not_on_conference"]
    }
    assert send(csw_client, "post", "/conferences", {**meeting, "kind": "party"}).status_code == 422


def test_case_statuses_move_through_the_api_and_close_with_a_reason(world, csw, csw_client):
    case = make_case(csw)
    version = 1
    for status in (CaseStatus.ASSESSMENT, CaseStatus.PLANNING, CaseStatus.SUPPORT):
        version = send(
            csw_client,
            "post",
            f"/cases/{case.pk}/transition",
            {"to_status": status, "version": version},
        ).json()["version"]
    assert codes(
        send(
            csw_client,
            "post",
            f"/cases/{case.pk}/transition",
            {"to_status": "closed", "version": version},
        )
    ) == {"note": ["required"]}
    closed = send(
        csw_client,
        "post",
        f"/cases/{case.pk}/transition",
        {"to_status": "closed", "version": version, "note": "安定"},
    )
    assert closed.json()["status"] == "closed" and closed.json()["close_reason"] == "安定"


def test_a_confidential_person_cannot_be_named_by_someone_who_cannot_see_them(
    world, csw, csw_client
):
    hidden = make_person(csw, name="匿名", kana="トクメイ", is_confidential=True)
    make_case(csw, persons=[hidden], is_confidential=True)
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    named = send(
        staff,
        "post",
        "/consultations",
        {"channel": "phone", "description": "x", "person_id": hidden.pk},
    )
    assert codes(named) == {"person_id": ["other_tenant"]}
    queued = send(staff, "post", "/consultations", {"channel": "phone", "description": "x"}).json()
    taken = send(staff, "post", f"/consultations/{queued['id']}/take-in", {"person_id": hidden.pk})
    assert codes(taken) == {"person": ["other_tenant"]}
    assert staff.get(f"{BASE}/persons/{hidden.pk}").status_code == 404
    assert (
        send(
            csw_client,
            "post",
            "/consultations",
            {"channel": "phone", "description": "x", "person_id": hidden.pk},
        ).status_code
        == 201
    )
