"""Who may reach what in the register: every page, export and API endpoint of the register,
consent, imports, settings, recipients and copies × every role of tenant A, anonymous, and
tenant B's administrator given tenant A's ids.

Scene (built once for the module): tenant A has K1 (桶川地区, consented), K3 (桶川地区, not
asked) and an organisation for 桶川地区 naming the evacuation helper; every tenant A name
carries ZQ#A. Expectations:
- anonymous: a page redirects to the login page, the API answers 401;
- a role allowed (permission and row rules): 200 (a redirect for POSTs that redirect);
- a role not allowed: 403 or 404, and no ZQ#A in the answer;
- tenant B's administrator: never a 200 holding ZQ#A.
"""

import pytest
from django.db import transaction
from django.test import Client

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.core.tenancy import tenant_context
from sasaeai.disaster import services
from sasaeai.disaster.models import ConsentEvent, RegisterImport
from tests.conftest import World
from tests.disaster.register_factories import care_csv, consent, make_entries, make_organisation

R = Role
ANON, B_ADMIN = "anonymous", "b_admin"
USERS = [role.value for role in Role] + [ANON, B_ADMIN]
MARK = "ZQ#A"
VIEW = {R.MUNICIPAL_STAFF, R.WELFARE_COUNCIL_STAFF, R.COMMUNITY_SOCIAL_WORKER,
        R.WELFARE_COMMISSIONER, R.EVACUATION_HELPER, R.CARE_PLANNER}  # fmt: skip
SEES_K1 = {R.MUNICIPAL_STAFF, R.WELFARE_COMMISSIONER, R.EVACUATION_HELPER}
CITY = {R.MUNICIPAL_STAFF}
CITY_ADMIN = {R.MUNICIPAL_STAFF, R.SYSTEM_ADMIN}
CONSENT = {R.MUNICIPAL_STAFF, R.WELFARE_COMMISSIONER}


class Scene:
    def __init__(self):
        self.world = world = World()
        with tenant_context(world.tenant_a.pk):
            k1, k3 = make_entries(world, [("K1", f"{MARK}一郎", "桶川市桶川1"),
                                          ("K3", f"{MARK}三郎", "桶川市桶川2")])  # fmt: skip
            consent(world, k1, ConsentEvent.GIVEN)
            organisation = make_organisation(
                world, name=f"{MARK}防災会", members=[R.EVACUATION_HELPER]
            )
            staff = world.actor(R.MUNICIPAL_STAFF)
            _c, record = services.register_import_preview(
                actor=staff, kind="care", file_name="a.csv",
                data=care_csv([("K9", f"{MARK}九郎", "桶川市桶川9", "要介護5")]),
            )  # fmt: skip
            copy = services.copy_issue(actor=staff, organisation=organisation, format="paper",
                                       received_by=f"{MARK}受領者", entries=[k1])  # fmt: skip
        self.ids = {"k1": k1.pk, "k3": k3.pk, "org": organisation.pk, "import": record.pk,
                    "copy": copy.pk}  # fmt: skip

    def client(self, user):
        if user == ANON:
            return Client()
        if user == B_ADMIN:
            return self.world.client_for(self.world.admin_b.user)
        return self.world.client_for(self.world.user(Role(user)))


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield Scene()
        transaction.set_rollback(True)


# (name, method, url, allowed roles, data)
ENDPOINTS = [
    ("home", "get", "/disaster/", VIEW, None),
    ("list", "get", "/disaster/register/", VIEW, None),
    ("detail", "get", "/disaster/register/{k1}/", SEES_K1, None),
    ("detail_unshared", "get", "/disaster/register/{k3}/", CITY, None),
    ("consent_page", "get", "/disaster/register/consent/", CONSENT, None),
    ("imports", "get", "/disaster/register/imports/", CITY, None),
    ("import_preview", "get", "/disaster/register/imports/{import}/", CITY, None),
    ("settings", "get", "/disaster/settings/", CITY_ADMIN, None),
    ("recipients", "get", "/disaster/recipients/", CITY_ADMIN, None),
    ("recipient", "get", "/disaster/recipients/{org}/", CITY_ADMIN, None),
    ("recipient_edit", "get", "/disaster/recipients/{org}/edit/", CITY_ADMIN, None),
    ("copy_issue", "post", "/disaster/recipients/{org}/copies/", CITY,
     {"format": "excel", "received_by": "受領者"}),
    ("copy_close", "post", "/disaster/copies/{copy}/close/", CITY_ADMIN,
     {"outcome": "returned", "on": "2000-01-01"}),
    ("api_list", "get", "/api/v1/disaster/register", VIEW, None),
    ("api_detail", "get", "/api/v1/disaster/register/{k1}", SEES_K1, None),
    ("api_detail_unshared", "get", "/api/v1/disaster/register/{k3}", CITY, None),
    ("api_consent", "post", "/api/v1/disaster/register/{k1}/consent", CONSENT,
     {"event": "given", "method": "同意書"}),
]  # fmt: skip


def _call(client, method, url, data):
    if method == "get":
        return client.get(url)
    if url.startswith("/api/"):
        return client.post(url, data, content_type="application/json")
    return client.post(url, data)


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize(
    ("name", "method", "url", "allowed", "data"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS]
)
def test_endpoint_access(scene, user, name, method, url, allowed, data):
    response = _call(scene.client(user), method, url.format(**scene.ids), data)
    body = response.content.decode(errors="replace")
    if user == ANON:
        expected = 401 if url.startswith("/api/") else 302
        assert response.status_code == expected, (name, user)
        if expected == 302:
            assert "/login" in response["Location"] or "/accounts/" in response["Location"]
        return
    if user == B_ADMIN:
        assert not (response.status_code == 200 and MARK in body), name
        return
    if Role(user) in allowed:
        assert response.status_code in (200, 201, 302), (name, user, response.status_code)
        if name in ("list", "api_list") and Role(user) != R.MUNICIPAL_STAFF:
            assert f"{MARK}三郎" not in body  # not asked: no one but the city sees them
    else:
        assert response.status_code in (403, 404), (name, user, response.status_code)
        assert MARK not in body, (name, user)


def test_the_table_names_every_register_url():
    from django.urls import get_resolver

    from sasaeai.disaster import register_urls

    names = {p.name for p in register_urls.urlpatterns}
    assert len(ENDPOINTS) >= len(names) - 2  # member_remove is covered below
    assert get_resolver() is not None


def test_removing_a_member_is_for_the_city_and_admins_only(scene):
    organisation_pk = scene.ids["org"]
    member = scene.world.user(R.EVACUATION_HELPER)
    from sasaeai.disaster.models import RecipientMember

    row = RecipientMember.objects.get(organisation_id=organisation_pk, user=member)
    url = f"/disaster/recipients/{organisation_pk}/members/{row.pk}/remove/"
    for role in (R.EVACUATION_HELPER, R.WELFARE_COMMISSIONER, R.WELFARE_COUNCIL_STAFF):
        assert scene.client(role.value).post(url).status_code in (403, 404)
    assert scene.client(B_ADMIN).post(url).status_code in (403, 404)
    row.refresh_from_db()
    assert row.removed_on is None


def test_applying_an_import_is_for_the_city_only(scene):
    url = f"/disaster/register/imports/{scene.ids['import']}/"
    for user in (R.SYSTEM_ADMIN.value, R.WELFARE_COMMISSIONER.value, B_ADMIN):
        assert scene.client(user).post(url, {"action": "apply"}).status_code in (403, 404)
    assert RegisterImport.objects.get(pk=scene.ids["import"]).status == "previewed"


def test_every_person_shown_by_the_list_is_audited(scene):
    client = scene.client(R.EVACUATION_HELPER.value)
    before = AuditEntry.objects.filter(action=Action.READ).count()
    client.get("/disaster/register/")
    reads = AuditEntry.objects.filter(action=Action.READ).order_by("pk")[before:]
    assert [r.object_id for r in reads] == [str(scene.ids["k1"])]
