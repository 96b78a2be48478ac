"""Who may reach the watch-over partners' pages, the reports inbox, the mutual aid maps, their
SVG/PDF and the partner-report API: every role of tenant A, an anonymous visitor and tenant
B's administrator. Tenant A's texts carry the marker ZQ#A, so a refusal can be searched for
what it must not contain.
"""

import json
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.db import transaction
from django.test import Client

from sasaeai.accounts.models import Role
from sasaeai.core.tenancy import tenant_context
from sasaeai.watch import mutual_aid_map as maps
from sasaeai.watch import partners
from sasaeai.watch.models import PartnerKind, PartnerReport
from tests.conftest import World

R = Role
MARK = "ZQ#A"
ANON, B_ADMIN = "anonymous", "b_admin"
USERS = [role.value for role in Role] + [ANON, B_ADMIN]
DESK = frozenset({R.MUNICIPAL_STAFF, R.WELFARE_COUNCIL_STAFF, R.COMMUNITY_SOCIAL_WORKER})
MANAGE_PARTNERS = DESK | {R.SYSTEM_ADMIN}
MAP = DESK | {R.WELFARE_COMMISSIONER}


class Scene:
    def __init__(self):
        self.world = world = World()
        staff = world.actor(Role.MUNICIPAL_STAFF)
        with tenant_context(world.tenant_a.pk):
            partner = partners.partner_save(
                actor=staff, name=f"{MARK}新聞販売店", kind=PartnerKind.NEWSPAPER,
                agreement_on=date(2024, 4, 1), contact_name=f"{MARK}担当",
            )  # fmt: skip
            self.key = partners.partner_key_issue(actor=staff, partner=partner)
            report = partners.report_receive(
                actor=partners.partner_actor(partner, None), partner=partner,
                description=f"{MARK}新聞がたまっている", address=f"{MARK}桶川市南1-2-3",
            )  # fmt: skip
            PartnerReport.objects.filter(pk=report.pk).update(area=world.district)
            shown = maps.map_save(
                actor=staff, title=f"{MARK}南一丁目", area=world.district,
                drawn_on=date(2026, 6, 1),
            )  # fmt: skip
            household = maps.household_save(
                actor=staff, mutual_aid_map=shown, label=f"{MARK}田中さん", x=1, y=1,
                agreed_on=date(2026, 5, 1),
            )  # fmt: skip
        self.ids = {"partner": partner.pk, "report": report.pk, "map": shown.pk,
                    "household": household.pk}  # fmt: skip

    def client(self, user_key) -> Client:
        if user_key == ANON:
            return Client()
        if user_key == B_ADMIN:
            return self.world.client_for(self.world.admin_b.user)
        return self.world.client_for(self.world.user(Role(user_key)))


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker):
    """Built once; each test runs in a savepoint inside this transaction and is rolled back."""
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
    def is_object(self) -> bool:
        return "{" in self.path


def E(name, path, allowed, **kw):  # noqa: N802
    return Endpoint(name, path, frozenset(allowed), **kw)


ENDPOINTS = [
    E("partner list", "/watch/partners/", MANAGE_PARTNERS),
    E("partner register", "/watch/partners/", MANAGE_PARTNERS, method="post",
      data={"name": "新規事業者", "kind": "bank", "agreement_on": "2025-04-01"}),
    E("partner detail", "/watch/partners/{partner}/", MANAGE_PARTNERS),
    E("partner key issue", "/watch/partners/{partner}/", MANAGE_PARTNERS, method="post",
      data={"action": "issue_key"}),
    E("partner key revoke", "/watch/partners/{partner}/", MANAGE_PARTNERS, method="post",
      data={"action": "revoke_key"}),
    E("report inbox", "/watch/reports/", DESK),
    E("report detail", "/watch/reports/{report}/", DESK),
    E("report search", "/watch/reports/{report}/?q=田中", DESK),
    E("report pass on", "/watch/reports/{report}/", DESK, method="post",
      data={"action": "pass_on"}),
    E("report close", "/watch/reports/{report}/", DESK, method="post",
      data={"action": "close", "note": "対応済み"}),
    E("map list", "/watch/maps/", MAP),
    E("map create", "/watch/maps/", MAP, method="post", data={"title": "新しい地図"}),
    E("map detail", "/watch/maps/{map}/", MAP),
    E("map household form", "/watch/maps/{map}/?household={household}", MAP),
    E("map household save", "/watch/maps/{map}/", MAP, method="post",
      data={"action": "household", "label": "佐藤さん", "x": 3, "y": 3}),
    E("map svg", "/watch/maps/{map}/map.svg", MAP),
    E("map pdf", "/watch/maps/{map}/map.pdf", MAP),
]  # fmt: skip


def _text(response) -> str:
    kind = response.get("Content-Type", "")
    if not kind.startswith(("text/", "application/json", "image/svg")):
        return ""
    return response.content.decode("utf-8", "replace")


@pytest.mark.parametrize("user_key", USERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_each_role_reaches_exactly_what_its_permission_allows(scene, db, endpoint, user_key):
    client = scene.client(user_key)
    path = endpoint.path.format_map(scene.ids)
    if endpoint.method == "post":
        response = client.post(path, endpoint.data)
    else:
        response = client.get(path)
    status = response.status_code
    assert status != 500, response.content[:500]
    if user_key == ANON:
        assert status == 302 and "/accounts/login" in response["Location"], status
        return
    if user_key == B_ADMIN:
        if endpoint.is_object and Role.SYSTEM_ADMIN in endpoint.allowed:
            assert status == 404, status
        else:
            assert status in (200, 302, 403, 404), status
        assert MARK not in _text(response)
        return
    role = Role(user_key)
    if role in endpoint.allowed:
        assert status in ((200, 302) if endpoint.method == "post" else (200,)), status
    else:
        assert status in (403, 404), status
        assert MARK not in _text(response)


def test_b_admin_lists_show_no_tenant_a_rows(scene, db):
    client = scene.client(B_ADMIN)
    for path in ("/watch/partners/", "/watch/maps/"):
        response = client.get(path)
        assert MARK not in _text(response)


def test_a_commissioner_does_not_reach_a_map_of_another_district(scene, db):
    world = scene.world
    with tenant_context(world.tenant_a.pk):
        other = maps.map_save(
            actor=world.actor(Role.MUNICIPAL_STAFF), title="加納の地図",
            area=world.other_district, drawn_on=date(2026, 6, 1),
        )  # fmt: skip
    client = scene.client(Role.WELFARE_COMMISSIONER.value)
    for suffix in ("", "map.svg", "map.pdf"):
        assert client.get(f"/watch/maps/{other.pk}/{suffix}").status_code == 404
    assert "加納の地図" not in client.get("/watch/maps/").content.decode()


@pytest.mark.parametrize("user_key", USERS)
def test_the_partner_api_takes_only_a_report_key(scene, db, user_key):
    """A member's session is not a report key: every signed-in user gets 401 without one."""
    body = json.dumps({"description": "見守り", "address": "桶川市"})
    client = scene.client(user_key)
    response = client.post("/api/v1/watch/partner-reports", body, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_key"


def test_a_tenant_b_form_refuses_tenant_a_key_and_the_api_files_it_in_tenant_a(scene, db):
    world = scene.world
    refused = Client().post(
        f"/watch/report/{world.tenant_b.code}/",
        {"key": scene.key, "description": "見守り", "address": "所沢市"},
    )  # fmt: skip
    assert refused.status_code == 400
    accepted = Client().post(
        "/api/v1/watch/partner-reports",
        json.dumps({"description": "見守り", "address": "桶川市"}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {scene.key}",
    )  # fmt: skip
    assert accepted.status_code == 201
    with tenant_context(world.tenant_a.pk):
        assert PartnerReport.objects.get(pk=accepted.json()["id"]).tenant_id == world.tenant_a.pk
