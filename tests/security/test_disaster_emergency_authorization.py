"""Who may reach what in disaster mode: every page, export and API endpoint of
disaster/emergency_* × every role of tenant A, tenant B's administrator and an anonymous visitor.

The scene: a declaration over 桶川地区 naming the recipient organisation of the evacuation
helper, with commissioners; a non-consenting person (A-001) marked safe. For each pair:
- anonymous: a page redirects to the login page, the API answers 401;
- a role holding the permission (and, for one person, seeing them): 200 (POST: 302 / 201);
- otherwise 403 or 404, and the person's name nowhere in the answer;
- tenant B's administrator, given tenant A's ids: never a success, never tenant A's content.
System administrators hold the declaration and report permissions but see no personal content:
the person's name is in none of their answers.
"""

import json

import pytest
from django.urls import reverse

from sasaeai.accounts.models import Role
from sasaeai.disaster import emergency
from sasaeai.disaster.models import Declaration, SafetyState
from tests.conftest import World
from tests.disaster.test_emergency_scene import Scene

pytestmark = pytest.mark.django_db

R = Role
ANON, B_ADMIN = "anonymous", "b_admin"
USERS = [role.value for role in Role] + [ANON, B_ADMIN]
STAFF = {R.SYSTEM_ADMIN, R.MUNICIPAL_STAFF, R.WELFARE_COUNCIL_STAFF, R.COMMUNITY_SOCIAL_WORKER,
         R.VOLUNTEER_COORDINATOR}  # fmt: skip
FIELD = {R.WELFARE_COMMISSIONER, R.EVACUATION_HELPER}
VIEW = STAFF | FIELD
CHECK = {R.MUNICIPAL_STAFF, R.WELFARE_COUNCIL_STAFF, R.COMMUNITY_SOCIAL_WORKER} | FIELD
# Of the roles that may check safety, those who under this declaration (rules.py):
# the keeper, the declared district's commissioner and the named organisation's member.
SEES_PERSON = {R.MUNICIPAL_STAFF, R.WELFARE_COMMISSIONER, R.EVACUATION_HELPER}
DECLARE = {R.SYSTEM_ADMIN}
REPORT = {R.SYSTEM_ADMIN, R.MUNICIPAL_STAFF}
NAME = "同意なし一郎"


def endpoints(s):
    d, e = s.declaration.pk, s.scene.unconsented.pk
    url = lambda name, *args: reverse(f"disaster:{name}", args=args)  # noqa: E731
    api = "/api/v1/disaster"
    mark = json.dumps({"entry_id": e, "state": "safe"})
    return [
        # (label, method, url, body, allowed roles, personal content may show, object endpoint)
        ("list", "get", url("emergency_list"), None, VIEW, False, False),
        ("declare form", "get", url("emergency_declare"), None, DECLARE, False, False),
        ("declare", "post", url("emergency_declare"),
         {"reason": "r", "areas": [s.world.district.pk]}, DECLARE, False, False),
        ("detail", "get", url("emergency_detail", d), None, VIEW, False, True),
        ("end", "post", url("emergency_end", d), {"note": "n"}, DECLARE, False, True),
        ("safety list", "get", url("emergency_safety", d), None, CHECK, True, True),
        ("safety entry", "get", url("emergency_safety_entry", d, e), None, SEES_PERSON, True, True),
        ("mark", "post", url("emergency_safety_entry", d, e), {"state": "safe"}, SEES_PERSON,
         True, True),
        ("progress", "get", url("emergency_progress", d), None, VIEW, False, True),
        ("progress svg", "get", url("emergency_progress_svg", d), None, VIEW, False, True),
        ("report", "get", url("emergency_report", d), None, REPORT, True, True),
        ("report csv", "get", url("emergency_report_csv", d), None, REPORT, True, True),
        ("api declarations", "get", f"{api}/declarations", None, VIEW, False, False),
        ("api mark", "post", f"{api}/declarations/{d}/checks", mark, SEES_PERSON, False, True),
    ]  # fmt: skip


class Setting:
    def __init__(self):
        self.world = world = World()
        self.scene = scene = Scene(world)
        self.declaration = scene.declare()
        emergency.safety_mark(
            actor=world.actor(R.MUNICIPAL_STAFF), declaration=self.declaration,
            entry=scene.unconsented, data=emergency.MarkInput(state=SafetyState.SAFE),
        )  # fmt: skip
        # The helper opened the person's page: the report has a row naming them (for staff).
        from sasaeai.audit.models import Action
        from sasaeai.audit.services import audit_object

        audit_object(world.actor(R.EVACUATION_HELPER), Action.READ, scene.unconsented)

    def client(self, user):
        from django.test import Client

        if user == ANON:
            return Client()
        if user == B_ADMIN:
            return self.world.client_for(self.world.admin_b.user)
        return self.world.client_for(self.world.user(Role(user)))


@pytest.fixture
def setting(db):
    return Setting()


def call(client, method, url, body):
    if method == "get":
        return client.get(url)
    if url.startswith("/api/"):
        return client.post(url, data=body, content_type="application/json")
    return client.post(url, body)


# Reads first, then the writes, the end of the declaration last (it closes the others).
ORDER = [
    "list", "declare form", "detail", "safety list", "safety entry", "progress",
    "progress svg", "report", "report csv", "api declarations", "mark", "api mark", "declare",
    "end",
]  # fmt: skip


@pytest.mark.parametrize("user", USERS)
def test_each_endpoint_for_each_user(setting, user):
    rows = {e[0]: e for e in endpoints(setting)}
    client = setting.client(user)
    for label in ORDER:
        _check(setting, client, user, rows[label])
    if user == B_ADMIN:  # given tenant A's district, the form refused it: nothing declared
        assert not Declaration.objects.filter(tenant=setting.world.tenant_b).exists()
    assert Declaration.objects.filter(tenant=setting.world.tenant_a).count() == (
        2 if user == R.SYSTEM_ADMIN.value else 1
    )


def _check(setting, client, user, row):
    label, method, url, body, allowed, _personal, is_object = row
    response = call(client, method, url, body)
    text = response.content.decode("utf-8-sig", errors="replace")
    if user == ANON:
        expected = 401 if url.startswith("/api/") else 302
        assert response.status_code == expected, label
        if expected == 302:
            assert "/accounts/login/" in response["Location"]
        return
    if user == B_ADMIN:
        if is_object:
            assert response.status_code in (403, 404), (label, response.status_code)
        assert NAME not in text and "台風による浸水" not in text, label
        assert setting.world.district.name not in text, label
        if label == "api declarations":
            assert response.json() == []
        return
    role = Role(user)
    if role in allowed:
        assert response.status_code in ((302, 201) if method == "post" else (200,)), (
            label, user, response.status_code,
        )  # fmt: skip
        if role == R.SYSTEM_ADMIN:
            assert NAME not in text, label  # system admins see no personal content
    else:
        assert response.status_code in (403, 404), (label, user, response.status_code)
        assert NAME not in text, label


def test_the_table_lists_every_url_of_disaster_mode(setting):
    from sasaeai.disaster import emergency_urls

    names = {p.name for p in emergency_urls.urlpatterns}
    covered = {
        name
        for name in names
        if any(reverse(f"disaster:{name}", args=_args(name, setting)) == e[2]
               for e in endpoints(setting))
    }  # fmt: skip
    assert covered == names
    assert set(ORDER) == {e[0] for e in endpoints(setting)}


def _args(name, setting):
    d, e = setting.declaration.pk, setting.scene.unconsented.pk
    if name in ("emergency_list", "emergency_declare"):
        return ()
    if name == "emergency_safety_entry":
        return (d, e)
    return (d,)


def test_a_recipient_sees_the_person_only_while_declared(setting):
    client = setting.client(R.EVACUATION_HELPER.value)
    d, e = setting.declaration.pk, setting.scene.unconsented.pk
    url = reverse("disaster:emergency_safety_entry", args=[d, e])
    assert client.get(url).status_code == 200
    emergency.declaration_end(
        actor=setting.world.actor(R.SYSTEM_ADMIN), declaration=setting.declaration
    )
    assert client.get(url).status_code == 404
    register = reverse("disaster:emergency_safety", args=[d])
    assert NAME not in client.get(register).content.decode()
