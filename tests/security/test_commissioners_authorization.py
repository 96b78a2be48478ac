"""Who may reach what in the welfare commissioners' activity records.

One scene: tenant A's commissioner (桶川地区) has an entry last month, a second commissioner
(加納地区) has one of 77 other visits. For every page, export and API endpoint
× every role of the world fixture, anonymous, and tenant B's administrator:
- anonymous: a page redirects to the login page, the API answers 401;
- a role holding the permission: 200 (201 for a created entry);
- any other role: 403 or 404, and no form's cells in the answer;
- a commissioner asking for a colleague's form or entry: 404;
- tenant B's administrator: 404 for tenant A's commissioner, and tenant B's totals hold nothing
  of tenant A.
"""

import pytest
from django.test import Client

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.commissioners import services
from sasaeai.commissioners.models import ActivityEntry
from sasaeai.core.fiscal import fiscal_year_of
from tests.commissioners.conftest import last_month, second_commissioner

R = Role
ANON, B_ADMIN = "anonymous", "b_admin"
USERS = [role.value for role in Role] + [ANON, B_ADMIN]
OFFICE = frozenset({R.MUNICIPAL_STAFF, R.WELFARE_COUNCIL_STAFF})
VIEW = OFFICE | {R.WELFARE_COMMISSIONER}
TOTALS = OFFICE | {R.SYSTEM_ADMIN}
# What a rendered form or its API answer holds; a refusal never does.
FORM_MARKERS = (b'data-testid="cell-', b'"cells"')


@pytest.fixture
def scene(world):
    month = last_month()
    commissioner = world.actor(R.WELFARE_COMMISSIONER)
    own = services.entry_create(actor=commissioner, day=month, kind="visit", detail="watch",
                                count=3)  # fmt: skip
    colleague = second_commissioner(world)
    theirs = services.entry_create(
        actor=world.actor(R.WELFARE_COUNCIL_STAFF), commissioner_id=colleague.user_id,
        day=month, kind="visit", detail="other", count=77,
    )  # fmt: skip
    return {"world": world, "month": month, "own": own, "theirs": theirs,
            "me": commissioner.user_id, "colleague": colleague.user_id}  # fmt: skip


def _client(world, user) -> Client:
    if user == ANON:
        return Client()
    if user == B_ADMIN:
        return world.client_for(world.admin_b.user)
    return world.client_for(world.user(Role(user)))


def _pages(s):
    m, me = s["month"], s["me"]
    form = f"/commissioners/forms/{me}/{m.year}/{m.month}/"
    fy = fiscal_year_of(m)
    return [
        # (url, roles allowed)
        (form, VIEW),
        (form + "form.xlsx", VIEW),
        (form + "form.pdf", VIEW),
        (f"/commissioners/entries/{s['own'].pk}/edit/", VIEW),
        (f"/commissioners/entries/new/?commissioner={me}", VIEW),
        (f"/commissioners/office/{m.year}/{m.month}/", OFFICE),
        (f"/commissioners/districts/{m.year}/{m.month}/", TOTALS),
        (f"/commissioners/districts/{m.year}/{m.month}/totals.xlsx", TOTALS),
        (f"/commissioners/fiscal/{fy}/", TOTALS),
        (f"/commissioners/fiscal/{fy}/totals.xlsx", TOTALS),
        (f"/commissioners/fiscal/{fy}/totals.csv", TOTALS),
        (f"/api/v1/commissioners/forms/{me}/{m.year}/{m.month}", VIEW),
        (f"/api/v1/commissioners/forms/{me}/{m.year}/{m.month}/entries", VIEW),
        (f"/api/v1/commissioners/fiscal-years/{fy}", TOTALS),
    ]


# Pages of a tenant's own totals: tenant B's administrator may open them, for tenant B.
TENANT_TOTALS = ("/districts/", "/fiscal/", "/fiscal-years/")


@pytest.mark.parametrize("user", USERS)
def test_every_page_export_and_endpoint_by_role(scene, user):
    world = scene["world"]
    client = _client(world, user)
    for url, allowed in _pages(scene):
        response = client.get(url)
        is_api = url.startswith("/api/")
        if user == ANON:
            assert response.status_code == (401 if is_api else 302), url
            continue
        if user == B_ADMIN:
            if any(part in url for part in TENANT_TOTALS):
                assert response.status_code == 200, url
                assert _no_tenant_a_figures(response), url
            else:
                assert response.status_code in (403, 404), url
            continue
        if Role(user) in allowed:
            assert response.status_code == 200, (url, user)
        else:
            assert response.status_code in (403, 404), (url, user)
            assert not any(m in response.content for m in FORM_MARKERS), (url, user)


def _no_tenant_a_figures(response) -> bool:
    context = getattr(response, "context", None)
    if context and "totals" in context:
        return context["totals"].figures.visits == 0
    if context and "districts" in context:
        return all(row.figures.visits == 0 for row in context["districts"])
    if response["Content-Type"].startswith("application/json"):
        return all(cell["value"] == 0 for cell in response.json()["cells"])
    return True


def test_a_commissioner_cannot_reach_a_colleagues_form_or_entries(scene):
    world, m, colleague = scene["world"], scene["month"], scene["colleague"]
    client = _client(world, R.WELFARE_COMMISSIONER.value)
    for url in (
        f"/commissioners/forms/{colleague}/{m.year}/{m.month}/",
        f"/commissioners/forms/{colleague}/{m.year}/{m.month}/form.xlsx",
        f"/commissioners/forms/{colleague}/{m.year}/{m.month}/form.pdf",
        f"/commissioners/entries/{scene['theirs'].pk}/edit/",
        f"/api/v1/commissioners/forms/{colleague}/{m.year}/{m.month}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert not any(m in response.content for m in FORM_MARKERS), url
    response = client.post(f"/commissioners/entries/{scene['theirs'].pk}/delete/")
    assert response.status_code == 404
    assert ActivityEntry.objects.filter(pk=scene["theirs"].pk).exists()


def test_the_office_sees_every_commissioners_form(scene):
    world, m, colleague = scene["world"], scene["month"], scene["colleague"]
    for role in OFFICE:
        response = _client(world, role.value).get(
            f"/commissioners/forms/{colleague}/{m.year}/{m.month}/"
        )
        assert response.status_code == 200
        assert 'data-testid="cell-visit.other">77<' in response.content.decode()


@pytest.mark.parametrize("user", USERS)
def test_only_commissioners_and_the_office_write_entries_through_the_api(scene, user):
    world, m = scene["world"], scene["month"]
    before = ActivityEntry.objects.count()
    payload = {"day": m.isoformat(), "kind": "visit", "detail": "watch", "count": 1,
               "commissioner_id": scene["me"]}  # fmt: skip
    response = _client(world, user).post(
        "/api/v1/commissioners/entries", payload, content_type="application/json"
    )
    if user not in (ANON, B_ADMIN) and Role(user) in VIEW:
        assert response.status_code == 201, user
        assert ActivityEntry.objects.count() == before + 1
        assert response.json()["commissioner_id"] == scene["me"]
    else:
        assert response.status_code in (401, 403, 404, 422), user
        assert ActivityEntry.objects.count() == before


def test_bad_api_input_is_a_422_with_fields_not_a_500(scene):
    client = _client(scene["world"], R.WELFARE_COMMISSIONER.value)
    response = client.post(
        "/api/v1/commissioners/entries",
        {"day": scene["month"].isoformat(), "kind": "consultation", "field": "nonsense"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "field" in response.json()["error"]["fields"]


def test_every_read_of_a_form_is_audited_with_the_commissioner_as_subject(scene):
    world, m, me = scene["world"], scene["month"], scene["me"]
    client = _client(world, R.WELFARE_COUNCIL_STAFF.value)
    base = f"/commissioners/forms/{me}/{m.year}/{m.month}/"
    for url in (base, base + "form.xlsx", base + "form.pdf",
                f"/api/v1/commissioners/forms/{me}/{m.year}/{m.month}"):  # fmt: skip
        assert client.get(url).status_code == 200
    entries = AuditEntry.objects.filter(
        object_type="commissioners.monthlyrecord", subject_type="accounts.user",
        subject_id=str(me),
    )  # fmt: skip
    assert sorted(e.detail["format"] for e in entries) == ["api", "page", "pdf", "xlsx"]
    assert {e.action for e in entries} == {"read", "export"}


def test_opening_an_entry_is_audited(scene):
    client = _client(scene["world"], R.MUNICIPAL_STAFF.value)
    assert client.get(f"/commissioners/entries/{scene['own'].pk}/edit/").status_code == 200
    assert AuditEntry.objects.filter(
        object_type="commissioners.activityentry", object_id=str(scene["own"].pk), action="read"
    ).exists()
