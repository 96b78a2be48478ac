"""Who may reach what of 個別避難計画 and 福祉避難所: every page, export and API endpoint, for
every role of tenant A, an anonymous visitor and tenant B's administrator.

The scene (built once, each test rolled back to it): in tenant A, a consenting person of the
commissioner's district whose plan is given to the care planner (with a supporter), a second
person whose plan nobody was given, a welfare shelter and a directory place of the category;
the same in tenant B. Every tenant A text carries ZQ#A.

Rows: staff see every plan; the commissioner sees the plans of the consenting people of their
district; the care planner only the plan given to them; council staff, CSWs and evacuation
helpers hold the permission but are named on no recipient organisation here, so they see no
plan (404 for one). System administrators see no personal content (403).
"""

import json
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.core.tenancy import tenant_context
from tests.conftest import World
from tests.disaster.evacuation_factories import make_entry, make_plan, make_shelter
from tests.resources.factories import make_service

A_MARK = "ZQ#A"
R = Role
ANON, B_ADMIN, OTHER_PLANNER = "anonymous", "b_admin", "other_planner"
USERS = [role.value for role in Role] + [ANON, B_ADMIN, OTHER_PLANNER]
STAFF = frozenset({R.SYSTEM_ADMIN, R.MUNICIPAL_STAFF, R.WELFARE_COUNCIL_STAFF,
                   R.COMMUNITY_SOCIAL_WORKER, R.VOLUNTEER_COORDINATOR})  # fmt: skip
CITY = frozenset({R.MUNICIPAL_STAFF})
COUNCIL = frozenset({R.WELFARE_COUNCIL_STAFF, R.COMMUNITY_SOCIAL_WORKER})
FIELD = frozenset({R.WELFARE_COMMISSIONER, R.EVACUATION_HELPER})
PLANNER = frozenset({R.CARE_PLANNER})
VIEW_PLAN = CITY | COUNCIL | FIELD | PLANNER
# Who sees the planner's plan / the other plan (row rules).
SEES_PLAN = CITY | {R.WELFARE_COMMISSIONER} | PLANNER
SEES_OTHER = CITY | {R.WELFARE_COMMISSIONER}
EDITS_PLAN = CITY | PLANNER
SHELTERS = STAFF | FIELD | PLANNER
MANAGE_SHELTERS = CITY | {R.SYSTEM_ADMIN}


class Scene:
    def __init__(self):
        self.world = world = World()
        self.other_planner = world.add_member(world.tenant_a, "a-planner-2", Role.CARE_PLANNER)
        self.a = self._build(world.tenant_a, world.district, "ZQ#A", world.user(R.CARE_PLANNER))
        self.b = self._build(world.tenant_b, world.area_b, "ZQ#B", None)

    @staticmethod
    def _build(tenant, area, mark, planner) -> dict:
        with tenant_context(tenant.pk):
            plan = make_plan(make_entry(tenant, area, f"{mark}本人"), care_planner=planner,
                             supporters=1)  # fmt: skip
            other = make_plan(make_entry(tenant, area, f"{mark}他人"))
            shelter = make_shelter(tenant, f"{mark}福祉避難所")
            service = make_service(tenant, f"{mark}特養", categories=("welfare_shelter",))
        return {"plan": plan.pk, "other": other.pk, "supporter": plan.supporters.get().pk,
                "shelter": shelter.pk, "place": service.at_locations.get().location_id}  # fmt: skip

    def membership(self, user_key):
        if user_key == B_ADMIN:
            return self.world.admin_b
        if user_key == OTHER_PLANNER:
            return self.other_planner
        return self.world.members[Role(user_key)]

    def client(self, user_key) -> Client:
        if user_key == ANON:
            return Client()
        return self.world.client_for(self.membership(user_key).user)


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield Scene()
        transaction.set_rollback(True)


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    allowed: frozenset
    method: str = "get"
    data: dict = field(default_factory=dict)

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def is_object(self) -> bool:
        return "{" in self.path


def E(name, path, allowed, **kw):  # noqa: N802
    return Endpoint(name, path, frozenset(allowed), **kw)


API = "/api/v1/disaster"
ENDPOINTS = [
    E("plan list", "/disaster/plans/", VIEW_PLAN),
    E("plan list filtered", "/disaster/plans/?status=draft", VIEW_PLAN),
    E("plan new", "/disaster/plans/new/?q=ZQ", CITY | COUNCIL),
    E("plan detail", "/disaster/plans/{plan}/", SEES_PLAN),
    E("other plan detail", "/disaster/plans/{other}/", SEES_OTHER),
    E("plan pdf", "/disaster/plans/{plan}/plan.pdf", SEES_PLAN),
    E("other plan pdf", "/disaster/plans/{other}/plan.pdf", SEES_OTHER),
    E("supporter add", "/disaster/plans/{plan}/", EDITS_PLAN, method="post",
      data={"form": "supporter", "name": "近所の人", "phone": "090-2"}),
    E("plan save", "/disaster/plans/{plan}/", EDITS_PLAN, method="post",
      data={"form": "plan", "version": 1, "status": "draft", "route": "北へ"}),
    E("care planner assign", "/disaster/plans/{other}/", CITY, method="post",
      data={"form": "assign", "version": 1, "care_planner": ""}),
    E("supporter remove", "/disaster/plans/{plan}/supporters/{supporter}/remove/", EDITS_PLAN,
      method="post"),
    E("plan fees", "/disaster/plans/fees/?month=2025-05", CITY),
    E("plan fees csv", "/disaster/plans/fees.csv?month=2025-05", CITY),
    E("coverage", "/disaster/plans/coverage/", STAFF),
    E("coverage csv", "/disaster/plans/coverage.csv", STAFF),
    E("shelter list", "/disaster/shelters/", SHELTERS),
    E("shelter edit", "/disaster/shelters/{shelter}/", MANAGE_SHELTERS),
    E("shelter save", "/disaster/shelters/{shelter}/", MANAGE_SHELTERS, method="post",
      data={"capacity": 3, "is_active": "on"}),
    E("shelter from place", "/disaster/shelters/new/?place={place}", MANAGE_SHELTERS),
    E("api plans", f"{API}/plans", VIEW_PLAN),
    E("api plan", f"{API}/plans/{{plan}}", SEES_PLAN),
    E("api other plan", f"{API}/plans/{{other}}", SEES_OTHER),
    E("api plan put", f"{API}/plans/{{plan}}", EDITS_PLAN, method="put",
      data={"version": 1, "status": "draft", "route": "API"}),
    E("api shelters", f"{API}/shelters", SHELTERS),
]  # fmt: skip


def _call(client, endpoint: Endpoint, ids: dict):
    path = endpoint.path.format_map(ids)
    if endpoint.method == "post":
        return client.post(path, endpoint.data)
    if endpoint.method == "put":
        return client.put(path, json.dumps(endpoint.data), content_type="application/json")
    return client.get(path)


def _text(response) -> str:
    kind = response.get("Content-Type", "")
    if not kind.startswith(("text/", "application/json")):
        return ""
    text = response.content.decode("utf-8-sig", "replace")
    if kind.startswith("application/json"):
        return json.dumps(json.loads(text), ensure_ascii=False)
    return text


def _role_of(user_key):
    return R.CARE_PLANNER if user_key == OTHER_PLANNER else Role(user_key)


def _allowed_for_other_planner(endpoint) -> bool:
    """The second care planner holds the role but was given none of these plans."""
    return R.CARE_PLANNER in endpoint.allowed and not (
        "{plan}" in endpoint.path or "{other}" in endpoint.path
    )


@pytest.mark.parametrize("user_key", USERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_each_role_reaches_exactly_what_it_may(scene, db, endpoint, user_key):
    response = _call(scene.client(user_key), endpoint, scene.a)
    status = response.status_code
    assert status != 500, response.content[:500]
    if user_key == ANON:
        if endpoint.is_api:
            assert status == 401
        else:
            assert status == 302 and "/accounts/login" in response["Location"], status
        return
    if user_key == B_ADMIN:
        if endpoint.is_object and Role.SYSTEM_ADMIN in endpoint.allowed:
            assert status == 404, status
        else:
            assert status in (200, 403, 404), status
        assert A_MARK not in _text(response)
        return
    allowed = (
        _allowed_for_other_planner(endpoint)
        if user_key == OTHER_PLANNER
        else _role_of(user_key) in endpoint.allowed
    )
    if allowed:
        assert status in ((200, 302) if endpoint.method == "post" else (200,)), status
    else:
        assert status in (403, 404), status
        assert A_MARK not in _text(response)


@pytest.mark.parametrize(
    "user_key", [R.WELFARE_COUNCIL_STAFF, R.COMMUNITY_SOCIAL_WORKER, R.EVACUATION_HELPER,
                 OTHER_PLANNER],
)  # fmt: skip
def test_holders_of_the_permission_without_rows_see_no_plan_listed(scene, db, user_key):
    client = scene.client(user_key)
    assert A_MARK not in _text(client.get("/disaster/plans/"))
    assert client.get(f"{API}/plans").json()["items"] == []


def test_the_commissioner_sees_their_districts_plans_read_only(scene, db):
    client = scene.client(R.WELFARE_COMMISSIONER.value)
    page = _text(client.get("/disaster/plans/"))
    assert "ZQ#A本人" in page and "ZQ#A他人" in page
    detail = _text(client.get(f"/disaster/plans/{scene.a['plan']}/"))
    assert 'data-testid="plan-form"' not in detail and 'data-testid="supporter-form"' not in detail


def test_the_care_planner_lists_only_their_plan_everywhere(scene, db):
    client = scene.client(R.CARE_PLANNER.value)
    page = _text(client.get("/disaster/plans/"))
    assert "ZQ#A本人" in page and "ZQ#A他人" not in page
    assert [p["id"] for p in client.get(f"{API}/plans").json()["items"]] == [scene.a["plan"]]


def test_tenant_b_ids_do_not_exist_for_tenant_a(scene, db):
    client = scene.client(R.MUNICIPAL_STAFF.value)
    for path in (f"/disaster/plans/{scene.b['plan']}/", f"/disaster/plans/{scene.b['plan']}/plan.pdf",
                 f"{API}/plans/{scene.b['plan']}", f"/disaster/shelters/{scene.b['shelter']}/",
                 f"/disaster/shelters/new/?place={scene.b['place']}"):  # fmt: skip
        assert client.get(path).status_code == 404, path
    assert "ZQ#B" not in _text(client.get("/disaster/plans/"))
    assert "ZQ#B" not in _text(client.get("/disaster/shelters/"))


def test_every_way_out_of_a_plan_is_audited(scene, db):
    client = scene.client(R.CARE_PLANNER.value)
    plan = str(scene.a["plan"])
    before = AuditEntry.objects.count()
    client.get("/disaster/plans/")
    client.get(f"/disaster/plans/{plan}/")
    client.get(f"/disaster/plans/{plan}/plan.pdf")
    client.get(f"{API}/plans")
    client.get(f"{API}/plans/{plan}")
    entries = AuditEntry.objects.order_by("pk")[before:]
    about_plan = [
        (e.action, e.object_id) for e in entries if e.object_type == "disaster.evacuationplan"
    ]
    assert about_plan == [(Action.READ, plan), (Action.READ, plan), (Action.EXPORT, plan),
                          (Action.READ, plan), (Action.READ, plan)]  # fmt: skip
