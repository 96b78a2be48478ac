"""Issue 12's "done when", through the test client: 市川市, a real city not in the demo, goes from
`tenant_create` to working — its admin through two-factor, districts imported and drawn, staff
imported and invited, signed in with two-factor, a plan imported and its open data on the
resident map — using only the pages a real user uses after the first command."""

import base64
import io
import re

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp

from sasaeai.accounts.models import Membership
from sasaeai.core.models import Area, Tenant
from sasaeai.jobs.models import Job, JobStatus
from sasaeai.jobs.worker import run_pending
from sasaeai.plans.models import Plan
from sasaeai.resources.models import Service
from tests.golive import ichikawa as city


def page_of(response) -> str:
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    return response.content.decode()


def key_on(page: str) -> bytes:
    """The key the two-factor setup page shows to type by hand (base32), as bytes."""
    key = re.search(r"<code>([A-Z2-7]+)</code>", page).group(1)
    return base64.b32decode(key + "=" * (-len(key) % 8))


def set_up_two_factor(client, response) -> str:
    """On the setup page: read the key, enter the code an authenticator app would show."""
    assert response.redirect_chain[-1][0].startswith("/accounts/two-factor/setup/")
    url = response.redirect_chain[-1][0]
    page = page_of(response)
    assert "<h1>二要素認証の設定</h1>" in page
    done = client.post(url, {"token": f"{totp(key_on(page)):06d}"}, follow=True)
    return page_of(done)


def current_role(page: str) -> str:
    return re.search(r'data-testid="current-role"[^>]*>([^<]+)<', page).group(1).strip()


def run_job(client, location: str, capture) -> str:
    """The job a confirm button queued: run by the worker, then its page says it succeeded."""
    assert re.fullmatch(r"/jobs/\d+/", location), location
    with capture(execute=True):  # invitations leave when the job's transaction commits
        assert run_pending() >= 1
    job = Job.objects.get(pk=int(location.split("/")[2]))
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    page = page_of(client.get(location))
    assert 'data-status="succeeded"' in page
    return page


def checklist(client) -> dict:
    response = client.get("/golive/")
    page_of(response)
    return {row.key: row for row in response.context["rows"]}


def test_ichikawa_goes_from_tenant_create_to_working(
    db, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"
    capture = django_capture_on_commit_callbacks
    assert not Tenant.objects.filter(code=city.CODE).exists()

    # 1. The one command: the tenant, its first system admin and the one-time password.
    out = io.StringIO()
    call_command("tenant_create", code=city.CODE, name=city.NAME, admin=city.ADMIN,
                 email=city.ADMIN_EMAIL, stdout=out)  # fmt: skip
    password = city.one_time_password(out.getvalue())
    tenant = Tenant.objects.get(code=city.CODE)
    assert (tenant.name, tenant.prefecture) == (city.NAME, city.PREFECTURE)

    # 2. The admin signs in, is sent to two-factor setup, confirms and lands on the home page.
    admin = Client()
    response = admin.post(
        "/accounts/login/", {"username": city.ADMIN, "password": password}, follow=True
    )
    home = set_up_two_factor(admin, response)
    assert current_role(home) == "システム管理者"
    assert 'data-testid="current-tenant"' in home and city.NAME in home

    # 3. The go-live checklist: the tenant is done, the rest is still to do, each with a link.
    rows = checklist(admin)
    assert rows["core.tenant"].state == "done"
    for key in ("core.districts", "accounts.users", "plans.plan", "resources.open_data"):
        assert rows[key].state == "todo", (key, rows[key])
        assert rows[key].url, key

    # 4. Districts: upload GeoJSON → preview → import → a background job.
    assert "/areas/import/" in page_of(admin.get("/areas/"))
    page_of(admin.get("/areas/import/"))
    response = admin.post(
        "/areas/import/",
        {"files": SimpleUploadedFile("ichikawa_chocho.geojson", city.districts_geojson())},
    )
    assert response.status_code == 302, page_of(response)
    preview_url = response["Location"]
    preview = page_of(admin.get(preview_url))
    assert all(name in preview for name in city.DISTRICTS)
    assert "新規: 3" in preview and "この内容で取り込む" in preview
    assert not Area.objects.filter(tenant=tenant).exists()  # nothing saved before the job
    response = admin.post(preview_url, {"action": "apply"})
    run_job(admin, response["Location"], capture)
    districts = Area.objects.filter(tenant=tenant, kind="district", boundary__isnull=False)
    assert sorted(districts.values_list("name", flat=True)) == sorted(city.DISTRICTS)
    assert all(name in page_of(admin.get("/areas/")) for name in city.DISTRICTS)

    # 5. Users: a sheet → preview → confirm → job → invitations by e-mail.
    page_of(admin.get("/accounts/members/import/"))
    response = admin.post(
        "/accounts/members/import/",
        {"file": SimpleUploadedFile("ichikawa_members.csv", city.members_csv())},
        follow=True,
    )
    preview = page_of(response)
    assert "新規: 2" in preview and city.CSW_EMAIL in preview and "八幡一丁目" in preview
    assert mail.outbox == []
    response = admin.post(response.redirect_chain[-1][0], {"action": "apply"})
    run_job(admin, response["Location"], capture)
    invitations = {message.to[0]: message for message in mail.outbox}
    assert set(invitations) == {city.CSW_EMAIL, city.COMMISSIONER_EMAIL}
    commissioner = Membership.objects.get(user__email=city.COMMISSIONER_EMAIL)
    assert list(commissioner.areas.values_list("name", flat=True)) == ["八幡一丁目"]

    # Each opens the link in their own browser, sets a password, signs in, sets up two-factor.
    expected_roles = {city.CSW_EMAIL: "コミュニティソーシャルワーカー（CSW）",
                      city.COMMISSIONER_EMAIL: "民生委員・児童委員"}  # fmt: skip
    for email, message in invitations.items():
        assert city.NAME in message.subject
        path = city.invitation_path(message.body)
        staff = Client()
        assert email in page_of(staff.get(path))
        done = staff.post(
            path, {"new_password1": city.NEW_PASSWORD, "new_password2": city.NEW_PASSWORD}
        )
        assert done.status_code == 302 and done["Location"].startswith("/accounts/login/")
        assert f'value="{email}"' in page_of(staff.get(done["Location"]))  # user name filled in
        response = staff.post(
            "/accounts/login/", {"username": email, "password": city.NEW_PASSWORD}, follow=True
        )
        home = set_up_two_factor(staff, response)
        assert current_role(home) == expected_roles[email]
        assert page_of(staff.get("/")) and staff.get(path).status_code == 410  # link used once

    # 6. Plan: the admin imports a plan file; the plan page shows its tree.
    page_of(admin.get("/plans/import/"))
    response = admin.post(
        "/plans/import/", {"file": SimpleUploadedFile("ichikawa-plan.yaml", city.PLAN_YAML)}
    )
    assert response.status_code == 302, page_of(response)
    plan = Plan.objects.get(tenant=tenant, code="ichikawa-community-welfare-1")
    assert response["Location"] == f"/plans/{plan.pk}/"
    plan_page = page_of(admin.get(response["Location"]))
    assert 'data-testid="plan-tree"' in plan_page and "第1次市川市地域福祉計画" in plan_page
    for title in ("つながりのある地域づくり", "見守り活動の推進", "地域の居場所づくり"):
        assert title in plan_page

    # 7. Open data: 公共施設一覧 → preview → apply (a job) → on the resident map, no login.
    page_of(admin.get("/resources/import/"))
    response = admin.post(
        "/resources/import/",
        {"file": SimpleUploadedFile("122033_public_facility.csv", city.open_data_csv())},
    )
    assert response.status_code == 302, page_of(response)
    preview = page_of(admin.get(response["Location"]))
    assert "公共施設一覧" in preview and 'data-testid="apply" disabled' not in preview
    assert not Service.objects.filter(tenant=tenant).exists()
    response = admin.post(response["Location"], {"action": "apply"})
    run_job(admin, response["Location"], capture)
    assert Service.objects.filter(tenant=tenant).count() == len(city.FACILITIES)

    resident = Client()
    response = resident.get(f"/map/{city.CODE}/")
    page = page_of(response)
    assert page.count('class="place-item"') == len(city.FACILITIES)
    assert all(name in page for name in city.PLACE_NAMES)
    map_data = response.context["map_data"]
    drawn = [f["properties"]["name"] for f in map_data["boundaries"]["features"]]
    assert sorted(drawn) == sorted(city.DISTRICTS)

    # 8. The checklist now shows districts, users, plan and open data done.
    rows = checklist(admin)
    for key in ("core.tenant", "core.districts", "accounts.users", "plans.plan",
                "resources.open_data"):  # fmt: skip
        assert rows[key].state == "done", (key, rows[key].detail, rows[key].facts)
    assert "二要素認証の設定済み：対象 3 人中 3 人" in rows["accounts.users"].facts
    assert "第1次市川市地域福祉計画" in rows["plans.plan"].facts
    assert "公共施設一覧: 3" in rows["resources.open_data"].facts
