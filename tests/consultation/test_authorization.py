"""Who may see and do what in the consultation module: every role against every endpoint.

One scene (built once for the module, each test rolled back to it): in tenant A a community
social worker leads a case about 山田; a welfare council staff member supervises that worker;
a municipal staff member is on no team; a commissioner passed a concern on; an agency worker
belongs to the agency a referral goes to. Tenant B has the same kinds of rows.

Each (role, endpoint) pair is a test. The expectations:
- lead and supervisor: 200 for details and writes, the object in lists;
- desk not on the team: 404 for details and writes, absent from lists (the intake queue and
  the duplicate search are shared by the whole desk, by design);
- commissioner: only their own passed-on concern, as a receipt (status only);
- agency worker: only open referrals to their agency and the person they share, never the
  case (its title, assessment, notes);
- other roles: 403 or 404, lists refused or without the object;
- tenant B's admin and social worker: 404 for every tenant A object, never listed.
Whatever a refused request answers, it never contains tenant A's data and changes no row.

The HTML part walks whatever URL patterns `sasaeai.consultation.urls` has when the tests run,
fills their ids with tenant B objects, and checks that no tenant A user gets tenant B's data.
"""

import datetime
import io
import re
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django.urls.converters import IntConverter
from django.utils import timezone, translation
from django.utils.translation import gettext

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import PERMISSIONS
from sasaeai.audit.models import AuditEntry
from sasaeai.consultation import services
from sasaeai.consultation.models import (
    Case,
    ConferenceKind,
    ConsentMethod,
    Household,
    Person,
    ReferralReport,
)
from sasaeai.core.models import TenantScoped
from sasaeai.tokens.services import create_personal_token
from tests.conftest import World
from tests.consultation.factories import actor_for, admin_actor, admin_actor_in

BASE = "/api/v1/consultation"

# Markers written into tenant A's rows, by what they belong to, so a response can be searched
# for what it must not contain. Tenant B's rows all carry ZQ#B. The "#" matters: a plain
# three-letter marker turns up by chance in the random CSRF and nonce tokens of a page.
CASE_MARK, PERSON_MARK, NOTE_MARK, CONCERN_MARK = "ZQ#AC", "ZQ#AP", "ZQ#AN", "ZQ#AD"
HOUSEHOLD_MARK, REQUEST_MARK, SUMMARY_MARK, TASK_MARK = "ZQ#AH", "ZQ#AR", "ZQ#AS", "ZQ#AT"
SECRET_MARK = "ZQ#AX"  # the confidential case
A_MARK, B_MARK = "ZQ#A", "ZQ#B"

# --- the scene ------------------------------------------------------------------------------

LEAD, SUPERVISOR, DESK_OFF = "lead", "supervisor", "desk_off"
COMMISSIONER, AGENCY, NONE, OTHER = "commissioner", "agency", "none", "other"

CATEGORY_OF_ROLE = {
    Role.COMMUNITY_SOCIAL_WORKER: LEAD,
    Role.WELFARE_COUNCIL_STAFF: SUPERVISOR,
    Role.MUNICIPAL_STAFF: DESK_OFF,
    Role.WELFARE_COMMISSIONER: COMMISSIONER,
    Role.AGENCY_WORKER: AGENCY,
}
USERS = [role.value for role in Role] + ["b_admin", "b_csw"]


def category(user_key: str) -> str:
    if user_key.startswith("b_"):
        return OTHER
    return CATEGORY_OF_ROLE.get(Role(user_key), NONE)


class Scene:
    def __init__(self):
        self.world = world = World()
        self.b_csw = world.add_member(world.tenant_b, "b-csw", Role.COMMUNITY_SOCIAL_WORKER)
        self.memberships = {role.value: world.members[role] for role in Role}
        self.memberships |= {"b_admin": world.admin_b, "b_csw": self.b_csw}
        self.a = self._build(world.tenant_a, world.members, "ZQ#A")
        self.b = self._build(
            world.tenant_b,
            {
                Role.COMMUNITY_SOCIAL_WORKER: self.b_csw,
                Role.WELFARE_COMMISSIONER: self.b_csw,
                Role.AGENCY_WORKER: None,
                Role.WELFARE_COUNCIL_STAFF: world.admin_b,
            },
            "ZQ#B",
        )

    def _build(self, tenant, members, mark: str) -> dict:
        """The same rows in either tenant; `mark` prefixes every text (ZQ#A…, or ZQ#B)."""
        services.concern_tags_ensure(tenant.pk)
        lead = actor_for(members[Role.COMMUNITY_SOCIAL_WORKER])
        admin = admin_actor(tenant)
        agency_members = [members[Role.AGENCY_WORKER]] if members[Role.AGENCY_WORKER] else []
        agency = services.agency_save(
            actor=admin, name=f"{mark}包括", kind="community_care_centre",
            member_ids=[m.user_id for m in agency_members],
        )  # fmt: skip
        if members[Role.WELFARE_COUNCIL_STAFF]:
            services.supervision_set(
                actor=admin_actor_in(lead),
                supervisor_id=members[Role.WELFARE_COUNCIL_STAFF].user_id,
                worker_ids=[lead.user_id],
            )

        def m(a_mark: str) -> str:
            return mark if mark == B_MARK else a_mark

        person = services.person_save(actor=lead, data=services.PersonInput(
            name=f"山田{m(PERSON_MARK)}", name_kana="ヤマダタロウ", birth_date=datetime.date(1944, 5, 1),
            phone="048-000-0000", note=m(NOTE_MARK),
        ))  # fmt: skip
        free = services.person_save(
            actor=lead, data=services.PersonInput(name="佐藤次郎", name_kana="サトウジロウ")
        )
        consent = services.consent_record(
            actor=lead, person=person, scope="包括と共有", obtained_on=timezone.localdate(),
            method=ConsentMethod.WRITTEN, covers_conferences=True,
        )  # fmt: skip
        household = services.household_create(actor=lead, name=f"{m(HOUSEHOLD_MARK)}家")
        services.household_add_member(
            actor=lead, household=household, person=person, relationship="head"
        )
        case = services.case_open(actor=lead, title=f"{m(CASE_MARK)} 8050世帯", persons=[person])
        case = services.case_update(
            actor=lead, case=case, version=case.version, household=household,
            assessment=f"{m(CASE_MARK)} 見立て",
        )  # fmt: skip
        services.activity_record(
            actor=lead, case=case, kind="visit", summary=f"{m(CASE_MARK)} 訪問"
        )
        services.goals_set(
            actor=lead,
            case=case,
            goals=[(f"{m(CASE_MARK)} 目標", False)],
            next_review_on=None,
        )
        due = timezone.localdate()
        task = services.task_create(actor=lead, case=case, data=services.TaskInput(
            title=f"{m(CASE_MARK)} 電話", due_on=due, assignee_id=lead.user_id))  # fmt: skip
        agency_task = services.task_create(actor=lead, case=case, data=services.TaskInput(
            title=f"{m(TASK_MARK)} 訪問", due_on=due, assignee_agency_id=agency.pk))  # fmt: skip

        def refer():
            return services.referral_send(
                actor=lead, case=case, agency=agency, person=person,
                request=f"{m(REQUEST_MARK)} 介護申請", shared_summary=f"{m(SUMMARY_MARK)} 独居",
            )  # fmt: skip

        referral, accepted = refer(), refer()
        accepted.status = "accepted"  # as if the agency had accepted it and reported back
        accepted.save(update_fields=["status"])
        ReferralReport.objects.create(
            tenant_id=tenant.pk,
            referral=accepted,
            body=f"{m(REQUEST_MARK)} 報告",
            reported_at=timezone.now(),
        )
        confidential = services.case_open(
            actor=lead,
            title=f"{m(SECRET_MARK)} DV",
            is_confidential=True,
        )
        services.settings_for(tenant.pk)
        conference = services.conference_record(actor=lead, data=services.ConferenceInput(
            kind=ConferenceKind.SUPPORT_MEETING, held_at=timezone.now(), case_ids=[case.pk],
            summary=f"{m(CASE_MARK)} 会議", confidentiality_confirmed=True,
        ))  # fmt: skip
        passer = members[Role.WELFARE_COMMISSIONER]
        queue = services.consultation_record(actor=actor_for(passer), data=services.ConsultationInput(
            channel="phone", description=f"{m(CONCERN_MARK)} 隣の高齢者が心配",
        ))  # fmt: skip
        taken = services.consultation_record(actor=lead, data=services.ConsultationInput(
            channel="phone", description=f"{m(CASE_MARK)} 父のこと",
        ))  # fmt: skip
        services.consultation_take_in(actor=lead, consultation=taken, case=case)
        return {
            "agency": agency.pk, "person": person.pk, "free_person": free.pk, "consent": consent.pk,
            "household": household.pk, "case": case.pk, "task": task.pk, "agency_task": agency_task.pk,
            "referral": referral.pk, "accepted_referral": accepted.pk, "conference": conference.pk,
            "consultation": queue.pk, "case_consultation": taken.pk, "lead_user": lead.user_id,
            "confidential_case": confidential.pk,
            "user": lead.user_id,
        }  # fmt: skip

    def client(self, user_key: str):
        return self.world.client_for(self.memberships[user_key].user)

    def user_id(self, role: Role) -> int:
        return self.world.user(role).pk


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker):
    """Built once; each test runs in a savepoint inside this transaction and is rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield Scene()
        transaction.set_rollback(True)


def snapshot(tenant_id: int) -> dict:
    """Every consultation row of a tenant, to show that a refused request changed nothing."""
    rows = {}
    for model in apps.get_app_config("consultation").get_models():
        if issubclass(model, TenantScoped):
            rows[model.__name__] = list(
                model.objects.filter(tenant_id=tenant_id).order_by("pk").values()
            )
    return rows


# --- the API table --------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # {key} is replaced by the scene's tenant A id of that key
    ok: dict = field(default_factory=dict)  # category → status when allowed
    listed: frozenset = frozenset()  # for lists: categories that see the object
    target: str = ""  # for lists: the scene key of the object looked for
    denied: dict = field(default_factory=dict)  # category → statuses when refused (overrides)
    body: object = None  # scene → payload
    mark: str = A_MARK  # what a refused response must not contain

    @property
    def is_list(self) -> bool:
        return bool(self.target)


TEAM = {LEAD: 200, SUPERVISOR: 200}
TEAM_CREATED = {LEAD: 201, SUPERVISOR: 201}
DESK = {LEAD: 200, SUPERVISOR: 200, DESK_OFF: 200}
DESK_CREATED = {LEAD: 201, SUPERVISOR: 201, DESK_OFF: 201}


def _case_version(scene) -> int:
    return Case.objects.get(pk=scene.a["case"]).version


def _person_version(scene) -> int:
    return Person.objects.get(pk=scene.a["person"]).version


ENDPOINTS = [
    # consultations
    Endpoint("consultation_list", "get", "/consultations", target="consultation",
             listed=frozenset({LEAD, SUPERVISOR, DESK_OFF, COMMISSIONER})),
    Endpoint("consultation_detail", "get", "/consultations/{consultation}", ok={**DESK, COMMISSIONER: 200}),
    Endpoint("consultation_of_a_case", "get", "/consultations/{case_consultation}", ok=TEAM),
    Endpoint("consultation_create", "post", "/consultations",
             ok={**DESK_CREATED, COMMISSIONER: 201, AGENCY: 201}, denied={OTHER: {201, 403}},
             body=lambda sc: {"channel": "phone", "description": "新しい相談"}),
    Endpoint("consultation_take_in", "post", "/consultations/{consultation}/take-in", ok=DESK,
             body=lambda sc: {"title": "新しいケース"}),
    Endpoint("consultation_answer", "post", "/consultations/{consultation}/answer", ok=DESK),
    # persons, consents, households
    Endpoint("person_search", "get", "/persons?q=ヤマダ", target="person", listed=frozenset({LEAD, SUPERVISOR})),
    Endpoint("person_duplicates", "get", "/persons/duplicates?kana=ヤマダタロウ&birth_date=1944-05-01",
             target="person", listed=frozenset({LEAD, SUPERVISOR, DESK_OFF})),
    Endpoint("person_detail", "get", "/persons/{person}", ok={**TEAM, AGENCY: 200}),
    Endpoint("person_create", "post", "/persons", ok=DESK_CREATED, denied={OTHER: {201, 403}},
             body=lambda sc: {"name": "新規", "name_kana": "シンキ"}),
    Endpoint("person_update", "put", "/persons/{person}", ok=TEAM,
             body=lambda sc: {"name": "山田太郎", "version": _person_version(sc)}),
    Endpoint("consent_create", "post", "/persons/{person}/consents", ok=TEAM_CREATED,
             body=lambda sc: {"scope": "共有", "obtained_on": timezone.localdate().isoformat(), "method": "verbal"}),
    Endpoint("consent_withdraw", "post", "/consents/{consent}/withdraw", ok=TEAM, body=lambda sc: {}),
    Endpoint("household_create", "post", "/households", ok=DESK_CREATED, denied={OTHER: {201, 403}},
             body=lambda sc: {"name": "新しい世帯"}),
    Endpoint("household_detail", "get", "/households/{household}", ok=TEAM),
    Endpoint("household_add_member", "post", "/households/{household}/members", ok=TEAM,
             body=lambda sc: {"person_id": sc.a["free_person"], "relationship": "child"}),
    # cases
    Endpoint("case_list", "get", "/cases", target="case", listed=frozenset({LEAD, SUPERVISOR})),
    Endpoint("case_detail", "get", "/cases/{case}", ok=TEAM),
    # A confidential case (DV): only the users named on it, not even the supervisor.
    Endpoint("confidential_case_detail", "get", "/cases/{confidential_case}", ok={LEAD: 200},
             denied={SUPERVISOR: {404}}, mark=SECRET_MARK),
    Endpoint("confidential_case_list", "get", "/cases", target="confidential_case", listed=frozenset({LEAD}),
             mark=SECRET_MARK),
    Endpoint("case_update", "patch", "/cases/{case}", ok=TEAM,
             body=lambda sc: {"version": _case_version(sc), "urgency": "high"}),
    Endpoint("case_transition", "post", "/cases/{case}/transition", ok=TEAM,
             body=lambda sc: {"version": _case_version(sc), "to_status": "assessment"}),
    Endpoint("case_assign", "post", "/cases/{case}/team", ok=TEAM,
             body=lambda sc: {"user_id": sc.user_id(Role.MUNICIPAL_STAFF), "role": "member"}),
    # The lead cannot leave without a successor: refused with a reason, for the team only.
    Endpoint("case_unassign", "delete", "/cases/{case}/team/{lead_user}", ok={LEAD: 422, SUPERVISOR: 422}),
    Endpoint("activity_create", "post", "/cases/{case}/activities", ok=TEAM_CREATED,
             body=lambda sc: {"kind": "phone", "summary": "電話した"}),
    Endpoint("timeline", "get", "/cases/{case}/activities", ok=TEAM),
    Endpoint("task_create", "post", "/cases/{case}/tasks", ok=TEAM_CREATED,
             body=lambda sc: {"title": "訪問", "due_on": timezone.localdate().isoformat(),
                              "assignee_id": sc.a["lead_user"]}),
    Endpoint("task_done", "post", "/tasks/{task}/done", ok=TEAM),
    Endpoint("agency_task_done", "post", "/tasks/{agency_task}/done", ok={**TEAM, AGENCY: 200}),
    Endpoint("my_tasks", "get", "/me/tasks", target="task", listed=frozenset({LEAD})),
    Endpoint("my_cases", "get", "/me/cases", target="case", listed=frozenset({LEAD})),
    # referrals
    Endpoint("referral_create", "post", "/cases/{case}/referrals", ok=TEAM_CREATED,
             body=lambda sc: {"agency_id": sc.a["agency"], "person_id": sc.a["person"], "request": "見守り"}),
    Endpoint("referral_list", "get", "/referrals", target="referral", listed=frozenset({LEAD, SUPERVISOR, AGENCY})),
    Endpoint("referral_detail", "get", "/referrals/{referral}", ok={**TEAM, AGENCY: 200}),
    Endpoint("referral_accept", "post", "/referrals/{referral}/accept", ok={AGENCY: 200}, body=lambda sc: {}),
    Endpoint("referral_decline", "post", "/referrals/{referral}/decline", ok={AGENCY: 200},
             body=lambda sc: {"reason": "対象外"}),
    Endpoint("referral_complete", "post", "/referrals/{accepted_referral}/complete", ok={AGENCY: 200},
             body=lambda sc: {}),
    Endpoint("referral_report", "post", "/referrals/{referral}/report", ok={AGENCY: 201},
             body=lambda sc: {"body": "訪問しました"}),
    Endpoint("referral_revoke", "post", "/referrals/{referral}/revoke", ok=TEAM, body=lambda sc: {}),
    # conferences: a case one may not open is "not among your cases" (422), as for any unknown id
    Endpoint("conference_create", "post", "/conferences", ok=TEAM_CREATED,
             denied={DESK_OFF: {422}, OTHER: {403, 422}},
             body=lambda sc: {"kind": "support_meeting", "held_at": timezone.now().isoformat(),
                              "case_ids": [sc.a["case"]], "confidentiality_confirmed": True}),
    Endpoint("conference_list", "get", "/conferences", target="conference", listed=frozenset({LEAD, SUPERVISOR})),
    Endpoint("conference_detail", "get", "/conferences/{conference}", ok=TEAM),
]  # fmt: skip


def _export_endpoints() -> list[Endpoint]:
    """Export endpoints of the consultation API, if any exist when the tests run."""
    from sasaeai.api import api

    paths = api.get_openapi_schema()["paths"]
    found = []
    for path, operations in paths.items():
        if path.startswith(BASE) and "export" in path and "get" in operations:
            template = re.sub(r"\{(\w+?)(?:_id)?\}", r"{\1}", path[len(BASE) :])
            found.append(Endpoint(f"export{template}", "get", template))
    return found


EXPORTS = _export_endpoints()


def _url(endpoint: Endpoint, ids: dict) -> str:
    return BASE + endpoint.path.format(**ids)


def _call(client, endpoint: Endpoint, scene):
    url = _url(endpoint, scene.a)
    payload = endpoint.body(scene) if endpoint.body else None
    if payload is None:
        return getattr(client, endpoint.method)(url)
    return getattr(client, endpoint.method)(url, payload, content_type="application/json")


def _ids_listed(body) -> set[int]:
    items = body if isinstance(body, list) else body["items"]
    return {(item.get("person") or item)["id"] if "score" in item else item["id"] for item in items}


def _expected_denied(endpoint: Endpoint, cat: str) -> set[int]:
    if cat in endpoint.denied:
        return set(endpoint.denied[cat])
    return {404} if cat in (DESK_OFF, OTHER) else {403, 404}


@pytest.mark.parametrize("user_key", USERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_api(scene, db, endpoint, user_key):
    _check_api(scene, endpoint, user_key, scene.client(user_key))


# Users whose role may hold personal API tokens (sasaeai.tokens): the same table, by token.
TOKEN_USERS = [
    u for u in USERS if u.startswith("b_") or Role(u) in PERMISSIONS["tokens.use_personal"]
]


def _token_client(scene, user_key: str, scopes: list[str]) -> Client:
    created = create_personal_token(
        actor_for(scene.memberships[user_key]), name="test", scopes=scopes
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {created.plaintext}")


@pytest.mark.parametrize("user_key", TOKEN_USERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_api_with_a_token(scene, db, endpoint, user_key):
    """A personal token with consultation:write answers exactly as its user's session does."""
    _check_api(scene, endpoint, user_key, _token_client(scene, user_key, ["consultation:write"]))


@pytest.mark.parametrize(
    "endpoint", [e for e in ENDPOINTS if e.method != "get"], ids=lambda e: e.name
)
def test_a_read_only_token_changes_nothing(scene, db, endpoint):
    client = _token_client(scene, Role.COMMUNITY_SOCIAL_WORKER.value, ["consultation:read"])
    before = snapshot(scene.world.tenant_a.pk)
    response = _call(client, endpoint, scene)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert snapshot(scene.world.tenant_a.pk) == before


def _check_api(scene, endpoint: Endpoint, user_key: str, client):
    cat = category(user_key)
    before = snapshot(scene.world.tenant_a.pk)
    response = _call(client, endpoint, scene)
    text = response.content.decode()
    if endpoint.is_list:
        _check_list(scene, endpoint, cat, response)
    elif cat in endpoint.ok:
        assert response.status_code == endpoint.ok[cat], text
    else:
        assert response.status_code in _expected_denied(endpoint, cat), text
    allowed = cat in endpoint.ok or cat in endpoint.listed
    if not allowed:
        assert endpoint.mark not in text
        assert snapshot(scene.world.tenant_a.pk) == before
    _check_shape(cat, text)


def _check_list(scene, endpoint: Endpoint, cat: str, response):
    target = scene.a[endpoint.target]
    if cat in endpoint.listed:
        assert response.status_code == 200, response.content
        assert target in _ids_listed(response.json())
    elif response.status_code == 200:
        assert target not in _ids_listed(response.json())
    else:
        assert response.status_code == 403, response.content


def _check_shape(cat: str, text: str):
    """What some roles may see, they see only in part."""
    if cat == COMMISSIONER:
        assert A_MARK not in text  # receipts: no description, no person, no case
    if cat == AGENCY:
        for mark in (CASE_MARK, NOTE_MARK, CONCERN_MARK, HOUSEHOLD_MARK):
            assert mark not in text


@pytest.mark.parametrize(
    ("endpoint", "user_key"),
    [(e, u) for e in EXPORTS for u in USERS],
    ids=[f"{e.name}-{u}" for e in EXPORTS for u in USERS],
)
def test_api_exports(scene, db, endpoint, user_key):
    """Exports (whatever exists): only the desk may get tenant A's named data out."""
    ids = {**scene.a, **{k.removesuffix("_id"): v for k, v in scene.a.items()}}
    response = scene.client(user_key).get(BASE + endpoint.path.format_map(_Default(ids)))
    if category(user_key) not in (LEAD, SUPERVISOR, DESK_OFF):
        assert response.status_code != 200 or A_MARK.encode() not in _content(response)


class _Default(dict):
    def __missing__(self, key):
        return self["case"]


def test_agency_sees_the_referral_as_shared_only(scene, db):
    client = scene.client(Role.AGENCY_WORKER.value)
    body = client.get(f"{BASE}/referrals/{scene.a['referral']}").json()
    assert set(body) == {
        "id", "agency_id", "agency_name", "status", "version", "request", "shared_summary",
        "shares_personal_data", "sent_at", "responded_at", "ended_at", "decline_reason", "person", "reports",
    }  # fmt: skip
    assert set(body["person"]) == {"id", "name", "name_kana", "birth_date", "address", "phone"}
    assert REQUEST_MARK in body["request"] and SUMMARY_MARK in body["shared_summary"]
    person = client.get(f"{BASE}/persons/{scene.a['person']}").json()
    assert set(person) == set(body["person"])


def test_commissioner_sees_a_receipt_only(scene, db):
    client = scene.client(Role.WELFARE_COMMISSIONER.value)
    receipt = {"id", "received_at", "channel", "status", "acknowledged_at"}
    listed = client.get(f"{BASE}/consultations").json()["items"]
    assert [set(item) for item in listed] == [receipt]
    assert set(client.get(f"{BASE}/consultations/{scene.a['consultation']}").json()) == receipt


@pytest.mark.parametrize("path", ["/cases/{case}", "/persons/{person}"])
def test_reading_a_case_or_person_is_audited(scene, db, path):
    lead = scene.memberships[Role.COMMUNITY_SOCIAL_WORKER.value]
    url = BASE + path.format(**scene.a)
    kind = path.split("/")[1].rstrip("s")
    object_id = str(scene.a[kind])
    entries = AuditEntry.objects.filter(
        action="read",
        object_type=f"consultation.{kind}",
        object_id=object_id,
        actor_id=lead.user_id,
    )
    before = entries.count()
    assert scene.client(Role.COMMUNITY_SOCIAL_WORKER.value).get(url).status_code == 200
    assert entries.count() == before + 1


def test_every_tenant_a_id_is_404_for_tenant_b_in_every_detail(scene, db):
    """Belt and braces over the table: tenant B's social worker, every id of every kind."""
    client = scene.client("b_csw")
    for path in ("/cases/{}", "/persons/{}", "/referrals/{}", "/conferences/{}", "/consultations/{}",
                 "/households/{}", "/cases/{}/activities"):  # fmt: skip
        for object_id in set(scene.a.values()):
            response = client.get(BASE + path.format(object_id))
            if response.status_code == 200:
                assert A_MARK not in response.content.decode(), path.format(object_id)


# --- the HTML pages -------------------------------------------------------------------------

# Which tenant B object an id in a URL stands for: from the parameter's name, else from the
# path segment before it (persons/<int:pk>/ → a person).
KIND_WORDS = [
    ("case", "case"), ("person", "person"), ("people", "person"), ("household", "household"),
    ("intake", "consultation"), ("consultation", "consultation"), ("concern", "consultation"),
    ("referral", "referral"), ("conference", "conference"), ("meeting", "conference"),
    ("task", "task"), ("agenc", "agency"), ("consent", "consent"), ("user", "user"),
    ("member", "user"), ("supervis", "user"),
]  # fmt: skip
# Objects whose page must be 404 for a tenant A user whatever it shows.
STRICT_KINDS = {
    "case",
    "person",
    "household",
    "consultation",
    "referral",
    "conference",
    "task",
    "consent",
}


def _kind_of(word: str) -> str | None:
    word = word.lower()
    for prefix, kind in KIND_WORDS:
        if word.startswith(prefix):
            return kind
    return None


@dataclass(frozen=True)
class Page:
    name: str
    route: str  # relative to /consultation/, with <conv:name> parameters
    params: tuple  # (name, is_int, kind or None)

    def url(self, ids_by_kind: dict, fill_kind: str | None = None) -> str:
        path = self.route
        for name, is_int, kind in self.params:
            chosen = fill_kind or kind or "case"
            value = ids_by_kind.get(chosen, ids_by_kind["case"]) if is_int else "x"
            path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
        return reverse("consultation:home") + path

    @property
    def strict(self) -> bool:
        int_params = [p for p in self.params if p[1]]
        return bool(int_params) and all(p[2] in STRICT_KINDS for p in int_params)


def _walk(patterns, prefix: str = "") -> list[Page]:
    pages = []
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            pages += _walk(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and hasattr(entry.pattern, "converters"):
            full = prefix + route
            params = []
            for name, converter in entry.pattern.converters.items():
                segment = re.findall(rf"(\w[\w-]*)/<(?:\w+:)?{name}>", full)
                kind = _kind_of(name.removesuffix("_id")) if name not in ("pk", "id") else None
                kind = kind or (_kind_of(segment[-1]) if segment else None)
                params.append((name, isinstance(converter, IntConverter), kind))
            pages.append(Page(entry.name or full, full, tuple(params)))
    return pages


def _consultation_pages() -> list[Page]:
    from sasaeai.consultation import urls

    return _walk(urls.urlpatterns)


PAGES = _consultation_pages()
A_USERS = [role.value for role in Role]
DESK_USERS = {
    Role.COMMUNITY_SOCIAL_WORKER.value,
    Role.MUNICIPAL_STAFF.value,
    Role.WELFARE_COUNCIL_STAFF.value,
}
# Plausible form fields, so that a write view missing its tenant check would really write.
FORM_DATA = {
    "title": "上書き", "summary": "上書き", "description": "上書き", "note": "上書き", "reason": "上書き",
    "body": "上書き", "request": "上書き", "name": "上書き", "kind": "phone", "channel": "phone",
    "to_status": "assessment", "status": "assessment", "urgency": "high", "role": "member",
    "relationship": "child", "scope": "上書き", "method": "verbal", "move": "accept", "action": "accept",
    "confirm": "on", "confidential": "on", "minutes": "10",
}  # fmt: skip


def _content(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _b_ids(scene) -> dict:
    return {**scene.b, "user": scene.b_csw.user_id}


def _around(content: bytes, mark: str) -> str:
    text = content.decode(errors="replace")
    at = text.find(mark)
    return text[max(0, at - 300) : at + 60]


@pytest.mark.parametrize("user_key", A_USERS)
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_never_shows_tenant_b(scene, db, page, user_key):
    client = scene.client(user_key)
    ids = _b_ids(scene)
    urls = {page.url(ids)}
    if user_key in DESK_USERS and any(p[1] for p in page.params):
        # Whatever kind the id is taken for, no tenant B object of any kind may show.
        urls |= {page.url(ids, fill_kind=kind) for kind in STRICT_KINDS | {"agency", "user"}}
    before = snapshot(scene.world.tenant_b.pk)
    for url in sorted(urls):
        response = client.get(url)
        assert B_MARK.encode() not in _content(response), (url, _around(_content(response), B_MARK))
        if page.strict and url == page.url(ids):
            assert response.status_code in (302, 400, 403, 404, 405), url
        data = {**FORM_DATA, "version": "1", "agency": ids["agency"], "person": ids["person"],
                "user_id": ids["user"], "case": ids["case"]}  # fmt: skip
        posted = client.post(url, data)
        assert B_MARK.encode() not in _content(posted), url
    assert snapshot(scene.world.tenant_b.pk) == before


def _detail_pages(kind: str) -> list[Page]:
    return [p for p in PAGES if re.fullmatch(rf"{kind}s/<int:\w+>/", p.route)]


@pytest.mark.parametrize("kind", ["case", "person"])
def test_detail_page_read_is_audited(scene, db, kind):
    pages = _detail_pages(kind)
    if not pages:
        pytest.skip(f"no {kind} detail page yet")
    lead = scene.memberships[Role.COMMUNITY_SOCIAL_WORKER.value]
    entries = AuditEntry.objects.filter(
        action="read",
        object_type=f"consultation.{kind}",
        object_id=str(scene.a[kind]),
        actor_id=lead.user_id,
    )
    for page in pages:
        before = entries.count()
        response = scene.client(Role.COMMUNITY_SOCIAL_WORKER.value).get(
            page.url({kind: scene.a[kind], "case": scene.a["case"]})
        )
        assert response.status_code == 200
        assert entries.count() > before, page.name


# --- the disclosure export (開示請求) ----------------------------------------------------------

# Who asks for 山田's disclosure export, beyond the scene's users: a supervisor named on the
# confidential case, and a social worker on neither case.
NAMED_SUPERVISOR, OTHER_CSW = "named_supervisor", "other_csw"
DISCLOSURE_USERS = [
    Role.COMMUNITY_SOCIAL_WORKER.value,  # the lead, on both cases
    Role.WELFARE_COUNCIL_STAFF.value,  # supervises the lead, not named on the confidential case
    NAMED_SUPERVISOR,
    Role.MUNICIPAL_STAFF.value,  # a supervisor on no team
    OTHER_CSW,
    Role.WELFARE_COMMISSIONER.value,
    Role.AGENCY_WORKER.value,
    Role.PLAN_COMMITTEE_MEMBER.value,
    Role.SYSTEM_ADMIN.value,
    "b_admin",
    "b_csw",
]


def _put_person_on_the_confidential_case(scene) -> dict:
    """山田 is also on the DV case, which holds a record of every kind; returns extra clients."""
    world, a = scene.world, scene.a
    lead = actor_for(world.members[Role.COMMUNITY_SOCIAL_WORKER])
    case = Case.objects.get(pk=a["confidential_case"])
    person = Person.objects.get(pk=a["person"])
    named = world.add_member(world.tenant_a, "named-supervisor", Role.MUNICIPAL_STAFF)
    other = world.add_member(world.tenant_a, "other-csw", Role.COMMUNITY_SOCIAL_WORKER)
    services.case_add_person(actor=lead, case=case, person=person)
    case = services.case_set_confidential(
        actor=lead, case=Case.objects.get(pk=case.pk), confidential=True,
        named_user_ids=[named.user_id],
    )  # fmt: skip
    services.case_update(
        actor=lead, case=case, version=case.version, assessment=f"{SECRET_MARK} 見立て"
    )
    services.activity_record(actor=lead, case=case, kind="visit", summary=f"{SECRET_MARK} 避難先")
    services.goals_set(actor=lead, case=case, goals=[(f"{SECRET_MARK} 目標", False)],
                       next_review_on=None)  # fmt: skip
    services.task_create(actor=lead, case=case, data=services.TaskInput(
        title=f"{SECRET_MARK} 電話", due_on=timezone.localdate(), assignee_id=lead.user_id))  # fmt: skip
    agency = services.agency_save(
        actor=admin_actor(world.tenant_a), name="ZQ#AX相談所", kind="community_care_centre",
        member_ids=[],
    )  # fmt: skip
    services.referral_send(actor=lead, case=case, agency=agency, person=person,
                           request=f"{SECRET_MARK} 保護", shared_summary=f"{SECRET_MARK} 避難")  # fmt: skip
    call = services.consultation_record(actor=lead, data=services.ConsultationInput(
        channel="phone", description=f"{SECRET_MARK} 夫から逃げたい", person_id=person.pk,
    ))  # fmt: skip
    services.consultation_take_in(actor=lead, consultation=call, case=case)
    services.conference_record(actor=lead, data=services.ConferenceInput(
        kind=ConferenceKind.SUPPORT_MEETING, held_at=timezone.now(), case_ids=[case.pk],
        summary=f"{SECRET_MARK} 会議", confidentiality_confirmed=True,
    ))  # fmt: skip
    return {NAMED_SUPERVISOR: named.user, OTHER_CSW: other.user}


def _disclosure_client(scene, user_key: str, extra_users: dict):
    if user_key in extra_users:
        return scene.world.client_for(extra_users[user_key])
    return scene.client(user_key)


def _workbook_text(content: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


@pytest.mark.parametrize("user_key", DISCLOSURE_USERS)
def test_disclosure_export_shows_a_case_only_to_whoever_may_open_its_page(scene, db, user_key):
    """開示請求: the workbook holds a case (and all that hangs off it) iff the case page opens."""
    extra_users = _put_person_on_the_confidential_case(scene)
    client = _disclosure_client(scene, user_key, extra_users)
    a = scene.a
    person_page = client.get(reverse("consultation:person_detail", args=[a["person"]]))
    case_page = client.get(reverse("consultation:case_detail", args=[a["case"]]))
    secret_page = client.get(reverse("consultation:case_detail", args=[a["confidential_case"]]))
    for name in ("consultation:disclosure_export", "consultation:disclosure"):
        response = client.get(reverse(name, args=[a["person"]]))
        supervisor = user_key in (Role.WELFARE_COUNCIL_STAFF.value, Role.MUNICIPAL_STAFF.value,
                                  NAMED_SUPERVISOR, "b_admin")  # fmt: skip
        if not supervisor or person_page.status_code == 404:
            assert response.status_code in (403, 404), (name, response.status_code)
            assert A_MARK.encode() not in response.content
            continue
        assert response.status_code == 200, name
        text = _workbook_text(response.content) if name.endswith("export") else ""
        if not text:
            text = response.content.decode()
        shows_secret = secret_page.status_code == 200
        assert (SECRET_MARK in text) is (shows_secret and name.endswith("export")), name
        if name.endswith("export"):
            assert (CASE_MARK in text) is (case_page.status_code == 200)
            assert ("ZQ#AX相談所" in text) is shows_secret  # the DV case's referral agency


def test_each_persona_sees_the_cases_the_rules_give_it(scene, db):
    """The expectations above are not vacuous: who opens which page in this scene."""
    extra_users = _put_person_on_the_confidential_case(scene)
    a = scene.a
    opens = {}
    for user_key in DISCLOSURE_USERS:
        client = _disclosure_client(scene, user_key, extra_users)
        opens[user_key] = tuple(
            client.get(reverse("consultation:case_detail", args=[a[key]])).status_code == 200
            for key in ("case", "confidential_case")
        )
    assert opens[Role.COMMUNITY_SOCIAL_WORKER.value] == (True, True)
    assert opens[Role.WELFARE_COUNCIL_STAFF.value] == (True, False)
    assert opens[NAMED_SUPERVISOR] == (False, True)
    assert opens[Role.MUNICIPAL_STAFF.value] == (False, False)
    assert opens[OTHER_CSW] == (False, False)


def test_supervisor_not_named_on_confidential_case_gets_no_content_in_disclosure(scene, db):
    extra_users = _put_person_on_the_confidential_case(scene)
    client = _disclosure_client(scene, Role.WELFARE_COUNCIL_STAFF.value, extra_users)
    response = client.get(reverse("consultation:disclosure_export", args=[scene.a["person"]]))
    assert response.status_code == 200
    text = _workbook_text(response.content)
    assert CASE_MARK in text and SECRET_MARK not in text
    assert f"#{scene.a['confidential_case']}" not in text
    # The cover sheet says that records were left out, with a count and nothing else.
    from openpyxl import load_workbook

    cover = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = {row[0]: row[1] for row in cover.iter_rows(values_only=True) if row and row[0]}
    with translation.override("ja"):
        cases, records = gettext("Cases withheld"), gettext("Records withheld")
    assert rows[cases] == 1
    assert isinstance(rows[records], int) and rows[records] > 1


def test_named_supervisor_exports_the_confidential_case_and_is_told_of_the_rest(scene, db):
    extra_users = _put_person_on_the_confidential_case(scene)
    client = _disclosure_client(scene, NAMED_SUPERVISOR, extra_users)
    response = client.get(reverse("consultation:disclosure_export", args=[scene.a["person"]]))
    assert response.status_code == 200
    text = _workbook_text(response.content)
    assert SECRET_MARK in text and CASE_MARK not in text
    page = client.get(reverse("consultation:disclosure", args=[scene.a["person"]]))
    assert 'data-testid="disclosure-withheld"' in page.content.decode()


def test_household_page_names_no_member_known_only_from_a_confidential_case(scene, db):
    """The household page names only members whose own page opens, as the case page does."""
    world = scene.world
    lead = actor_for(world.members[Role.COMMUNITY_SOCIAL_WORKER])
    hidden = services.person_save(
        actor=lead, data=services.PersonInput(name=f"妻{SECRET_MARK}", name_kana="ツマ")
    )
    case = Case.objects.get(pk=scene.a["confidential_case"])
    services.case_add_person(actor=lead, case=case, person=hidden)
    services.household_add_member(
        actor=lead, household=Household.objects.get(pk=scene.a["household"]), person=hidden,
        relationship="spouse",
    )  # fmt: skip
    supervisor = scene.client(Role.WELFARE_COUNCIL_STAFF.value)
    assert (
        supervisor.get(reverse("consultation:person_detail", args=[hidden.pk])).status_code == 404
    )
    page = supervisor.get(reverse("consultation:household_detail", args=[scene.a["household"]]))
    assert page.status_code == 200
    assert SECRET_MARK not in page.content.decode()
    assert PERSON_MARK in page.content.decode()
    assert 'data-testid="hidden-members"' in page.content.decode()
