"""Who may reach what in the watch app (見守り): every page and API endpoint × every role of
tenant A, anonymous, and tenant B's administrator; then the row rules (a commissioner's
districts, a volunteer's own people) and the audit of reads.

The scene, built once through the services: tenant A has a person in the commissioner's
district watched by the volunteer (with a contact and a neighbour watcher), and a person in
another district nobody of the fixture watches; tenant B has one person. Tenant A's texts
carry the marker ZQ#A, so an answer can be searched for what it must not contain.
"""

import json
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.core.tenancy import tenant_context
from sasaeai.watch import services
from sasaeai.watch.models import WatcherKind
from tests.conftest import World
from tests.consultation.factories import actor_for

A_MARK = "ZQ#A"
R = Role
ANON, B_ADMIN = "anonymous", "b_admin"
USERS = [role.value for role in Role] + [ANON, B_ADMIN]
DESK = frozenset({R.MUNICIPAL_STAFF, R.WELFARE_COUNCIL_STAFF, R.COMMUNITY_SOCIAL_WORKER})
VIEW = DESK | {R.WELFARE_COMMISSIONER, R.VOLUNTEER}
MANAGE = DESK | {R.WELFARE_COMMISSIONER}
RECORD = DESK | {R.WELFARE_COMMISSIONER, R.VOLUNTEER}
API = "/api/v1/watch"


class Scene:
    def __init__(self):
        self.world = world = World()
        self.a = self._build(world, world.tenant_a, world.sub_district, A_MARK)
        self.b = self._build(world, world.tenant_b, world.area_b, "ZQ#B")

    def _build(self, world, tenant, area, mark) -> dict:
        if tenant.pk == world.tenant_a.pk:
            staff = actor_for(world.members[Role.MUNICIPAL_STAFF])
        else:
            staff = actor_for(world.add_member(tenant, "b-city", Role.MUNICIPAL_STAFF))
        start = timezone.localdate() - timezone.timedelta(days=30)
        with tenant_context(tenant.pk):
            person = services.watched_person_save(
                actor=staff, name=f"{mark}見守一子", address=f"{mark}町1-1", area=area,
                reason=f"{mark}ひとり暮らし", started_on=start,
            )  # fmt: skip
            neighbour = services.watcher_add(
                actor=staff, person=person, kind=WatcherKind.NEIGHBOUR, name=f"{mark}隣人"
            )
            ids = {"person": person.pk, "watcher": neighbour.pk}
            if tenant.pk == world.tenant_a.pk:
                services.watcher_add(
                    actor=staff, person=person, kind=WatcherKind.VOLUNTEER,
                    user_id=world.user(Role.VOLUNTEER).pk,
                )  # fmt: skip
                other = services.watched_person_save(
                    actor=staff, name=f"{mark}加納二郎", address=f"{mark}加納2-2",
                    area=world.other_district, reason="高齢", started_on=start,
                )  # fmt: skip
                ids["other_person"] = other.pk
            contact = services.contact_record(
                actor=staff, person=person, result="ok", note=f"{mark}変わりなし"
            )
            ids["contact"] = contact.pk
        return ids

    def client(self, user_key) -> Client:
        if user_key == ANON:
            return Client()
        if user_key == B_ADMIN:
            return self.world.client_for(self.world.admin_b.user)
        return self.world.client_for(self.world.user(Role(user_key)))


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


TODAY = timezone.localdate().isoformat()
CONTACT = {"result": "ok", "occurred_on": TODAY, "kind": "visit"}
ENDPOINTS = [
    E("round (home)", "/watch/", VIEW),
    E("watch list", "/watch/people/", VIEW),
    E("watch list filtered", "/watch/people/?q=ZQ&status=ended", VIEW),
    E("missed contacts", "/watch/missed/", VIEW),
    E("person create form", "/watch/people/new/?source=case&ref=3", MANAGE),
    E("person detail", "/watch/people/{person}/", VIEW),
    E("person edit", "/watch/people/{person}/edit/", MANAGE),
    E(
        "watcher add",
        "/watch/people/{person}/",
        MANAGE,
        method="post",
        data={"kind": "neighbour", "name": "向かいの人"},
    ),  # fmt: skip
    E(
        "person end",
        "/watch/people/{person}/end/",
        MANAGE,
        method="post",
        data={"ended_on": TODAY, "reason": "転居"},
    ),  # fmt: skip
    E("watcher end", "/watch/watchers/{watcher}/end/", MANAGE, method="post"),
    E("contact form", "/watch/people/{person}/contact/", RECORD),
    E("contact record", "/watch/people/{person}/contact/", RECORD, method="post", data=CONTACT),
    E("contact detail", "/watch/contacts/{contact}/", VIEW),
    E("api people", f"{API}/people", VIEW),
    E("api missed", f"{API}/people?missed=true", VIEW),
    E("api person", f"{API}/people/{{person}}", VIEW),
    E("api contact", f"{API}/people/{{person}}/contacts", RECORD, method="post", data=CONTACT),
]


def _call(client, endpoint: Endpoint, ids: dict):
    path = endpoint.path.format_map(ids)
    if endpoint.method == "post":
        if endpoint.is_api:
            return client.post(path, json.dumps(endpoint.data), content_type="application/json")
        return client.post(path, endpoint.data)
    return client.get(path)


def _text(response) -> str:
    kind = response.get("Content-Type", "")
    if not kind.startswith(("text/", "application/json")):
        return ""
    text = response.content.decode("utf-8", "replace")
    if kind.startswith("application/json"):
        return json.dumps(json.loads(text), ensure_ascii=False)
    return text


@pytest.mark.parametrize("user_key", USERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_each_role_reaches_exactly_what_its_permission_allows(scene, db, endpoint, user_key):
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
        assert status in (403, 404), status
        assert A_MARK not in _text(response)
        return
    role = Role(user_key)
    if role in endpoint.allowed:
        if endpoint.method == "post":
            assert status in (200, 201, 302), status
        else:
            assert status == 200, status
    else:
        assert status in (403, 404), status
        assert A_MARK not in _text(response)


@pytest.mark.parametrize("path", ["/watch/people/{other_person}/", "/watch/people/{other_person}/contact/",
                                  "/watch/people/{other_person}/edit/", f"{API}/people/{{other_person}}"])  # fmt: skip
@pytest.mark.parametrize("role", [Role.WELFARE_COMMISSIONER, Role.VOLUNTEER])
def test_a_person_outside_ones_rows_does_not_exist(scene, db, path, role):
    response = scene.client(role.value).get(path.format_map(scene.a))
    assert response.status_code in (403, 404) if "edit" in path else response.status_code == 404
    assert "加納二郎" not in _text(response)


@pytest.mark.parametrize("role", [Role.WELFARE_COMMISSIONER, Role.VOLUNTEER])
def test_lists_hold_only_ones_own_rows(scene, db, role):
    client = scene.client(role.value)
    for path in ("/watch/people/", f"{API}/people", "/watch/"):
        body = _text(client.get(path))
        assert "ZQ#A見守一子" in body and "加納二郎" not in body, path


def test_the_desk_sees_both_and_tenant_b_sees_neither(scene, db):
    body = _text(scene.client(Role.COMMUNITY_SOCIAL_WORKER.value).get(f"{API}/people"))
    assert "ZQ#A見守一子" in body and "ZQ#A加納二郎" in body and "ZQ#B" not in body


def test_tenant_bs_staff_with_tenant_as_ids_get_404(scene, db):
    from sasaeai.accounts.models import Membership

    b_staff = Membership.objects.get(user__username="b-city")
    client = scene.world.client_for(b_staff.user)
    for path in (
        "/watch/people/{person}/",
        "/watch/contacts/{contact}/",
        f"{API}/people/{{person}}",
    ):
        response = client.get(path.format_map(scene.a))
        assert response.status_code == 404 and A_MARK not in _text(response), path
    listed = _text(client.get(f"{API}/people"))
    assert "ZQ#B見守一子" in listed and A_MARK not in listed


def test_every_page_that_shows_a_person_audits_the_read(scene, db):
    client = scene.client(Role.WELFARE_COMMISSIONER.value)
    person = str(scene.a["person"])

    def reads():
        return AuditEntry.objects.filter(
            action="read", object_type="watch.watchedperson", object_id=person
        ).count()

    for path in ("/watch/people/", "/watch/missed/", "/watch/people/{person}/",
                 "/watch/people/{person}/contact/", f"{API}/people", f"{API}/people/{{person}}"):  # fmt: skip
        before = reads()
        client.get(path.format_map(scene.a))
        if "missed" in path:
            continue  # contacted today: not on the missed list
        assert reads() == before + 1, path
    before = AuditEntry.objects.filter(action="read", object_type="watch.contact").count()
    client.get(f"/watch/contacts/{scene.a['contact']}/")
    assert (
        AuditEntry.objects.filter(action="read", object_type="watch.contact").count() == before + 1
    )
