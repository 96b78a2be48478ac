"""Issue 12's "done when", in a real browser: 市川市 (122033), a real city that is not in the
demo, goes from `tenant_create` to working through the pages its people use — the admin through
two-factor, districts drawn, a staff member invited and signed in with two-factor, a plan imported
and open data on the resident map. No request leaves the machine."""

import base64
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django_otp.oath import totp
from playwright.sync_api import expect

from sasaeai.jobs.worker import run_pending
from tests.e2e.test_smoke import ARTIFACTS, browser_page  # noqa: F401 - fixture
from tests.golive import ichikawa as city

pytestmark = pytest.mark.e2e


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"golive-{name}.png"), full_page=True)


def watch(page, base: str, outside: list, errors: list) -> None:
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    page.on("pageerror", lambda error: errors.append(str(error)))


def upload(page, name: str, data: bytes, mime: str) -> None:
    page.locator("main input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}]
    )


def set_up_two_factor(page, base: str) -> None:
    """The setup page after a first sign-in: type the key into an 'app', enter its code."""
    page.wait_for_url("**/two-factor/setup/**")
    expect(page.locator("h1")).to_have_text("二要素認証の設定")
    key = page.locator("main code").inner_text().strip()
    code = totp(base64.b32decode(key + "=" * (-len(key) % 8)))
    page.locator("input[name=token]").fill(f"{code:06d}")
    page.get_by_role("button", name="確認").click()
    page.wait_for_url(f"{base}/")


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def finish_job(page) -> None:
    """On a job's page (it polls every second): the worker runs it; the page shows it done."""
    page.wait_for_url(re.compile(r".*/jobs/\d+/$"))
    status = page.get_by_test_id("job-status")
    expect(status).to_have_attribute("data-status", re.compile("queued|running|succeeded"))
    assert run_pending() >= 1
    expect(status).to_have_attribute("data-status", "succeeded", timeout=15_000)
    expect(status).to_contain_text("完了しました。")


def checklist_states(page, base: str) -> dict[str, str]:
    page.goto(f"{base}/golive/")
    rows = page.locator("tr[data-testid^=golive-]")
    expect(rows.first).to_be_visible()
    return {
        rows.nth(i).get_attribute("data-testid").removeprefix("golive-"):
            rows.nth(i).get_attribute("data-state")
        for i in range(rows.count())
    }  # fmt: skip


def test_ichikawa_goes_live_in_the_browser(live_server, transactional_db, browser_page):  # noqa: F811
    page, base = browser_page, live_server.url
    outside, errors = [], []
    watch(page, base, outside, errors)

    # 1. The one command an operator runs.
    out = io.StringIO()
    call_command("tenant_create", code=city.CODE, name=city.NAME, admin=city.ADMIN,
                 email=city.ADMIN_EMAIL, stdout=out)  # fmt: skip
    password = city.one_time_password(out.getvalue())

    # 2. The admin signs in with the one-time password and must set up two-factor first.
    sign_in(page, base, city.ADMIN, password)
    shot(page, "1-two-factor-setup")
    set_up_two_factor(page, base)
    expect(page.get_by_test_id("current-tenant")).to_have_text(city.NAME)
    expect(page.get_by_test_id("current-role")).to_have_text("システム管理者")

    # 3. The go-live checklist: the tenant is done; districts, users, plan, open data to do.
    states = checklist_states(page, base)
    assert states["core.tenant"] == "done", states
    for key in ("core.districts", "accounts.users", "plans.plan", "resources.open_data"):
        assert states[key] == "todo", (key, states)
    expect(page.locator("main")).to_contain_text("市川市（122033）の稼働までに残っている作業です。")
    shot(page, "2-checklist-before")

    # 4. Districts: GeoJSON → preview → import (a job) → the areas list.
    page.goto(f"{base}/areas/import/")
    upload(page, "ichikawa_chocho.geojson", city.districts_geojson(), "application/geo+json")
    page.get_by_role("button", name="ファイルを確認する").click()
    page.wait_for_url(re.compile(r".*/areas/import/[0-9a-f-]+/$"))
    rows = page.get_by_test_id("rows")
    for name in city.DISTRICTS:
        expect(rows).to_contain_text(name)
    expect(page.get_by_test_id("counts")).to_contain_text("新規: 3")
    shot(page, "3-districts-preview")
    page.get_by_role("button", name="この内容で取り込む").click()
    finish_job(page)
    page.goto(f"{base}/areas/")
    for name in city.DISTRICTS:
        expect(page.locator("main")).to_contain_text(name)

    # 5. Users: a sheet → preview → confirm (a job) → invitations by e-mail.
    page.goto(f"{base}/accounts/members/import/")
    upload(page, "ichikawa_members.csv", city.members_csv(), "text/csv")
    page.get_by_role("button", name="シートを確認する").click()
    expect(page.get_by_test_id("list-new")).to_contain_text(city.CSW_EMAIL)
    expect(page.get_by_test_id("list-new")).to_contain_text("八幡一丁目")
    shot(page, "4-members-preview")
    page.get_by_role("button", name="保存して招待メールを送る").click()
    finish_job(page)
    invitations = {message.to[0]: message for message in mail.outbox}
    assert set(invitations) == {city.CSW_EMAIL, city.COMMISSIONER_EMAIL}

    # Each invited person, in a browser of their own: link → password → sign in → two-factor.
    roles = {city.CSW_EMAIL: "コミュニティソーシャルワーカー（CSW）",
             city.COMMISSIONER_EMAIL: "民生委員・児童委員"}  # fmt: skip
    for email, message in invitations.items():
        context = page.context.browser.new_context(locale="ja-JP")
        staff = context.new_page()
        watch(staff, base, outside, errors)
        staff.goto(base + city.invitation_path(message.body))
        expect(staff.locator("main")).to_contain_text(email)
        staff.locator("input[name=new_password1]").fill(city.NEW_PASSWORD)
        staff.locator("input[name=new_password2]").fill(city.NEW_PASSWORD)
        staff.get_by_role("button", name="パスワードを設定する").click()
        staff.wait_for_url("**/accounts/login/**")
        expect(staff.get_by_label("ユーザー名")).to_have_value(email)
        staff.get_by_label("パスワード").fill(city.NEW_PASSWORD)
        staff.get_by_role("button", name="ログイン").click()
        set_up_two_factor(staff, base)
        expect(staff.get_by_test_id("current-role")).to_have_text(roles[email])
        expect(staff.get_by_test_id("current-tenant")).to_have_text(city.NAME)
        if email == city.CSW_EMAIL:
            shot(staff, "5-staff-signed-in")
        context.close()

    # 6. Plan: the admin imports a plan file; the plan page shows its tree.
    page.goto(f"{base}/plans/import/")
    upload(page, "ichikawa-plan.yaml", city.PLAN_YAML, "application/yaml")
    page.get_by_role("button", name="確認して取り込む").click()
    page.wait_for_url(re.compile(r".*/plans/\d+/$"))
    expect(page.locator("h1")).to_contain_text("第1次市川市地域福祉計画")
    tree = page.get_by_test_id("plan-tree")
    for title in ("つながりのある地域づくり", "見守り活動の推進", "地域の居場所づくり"):
        expect(tree).to_contain_text(title)
    shot(page, "6-plan")

    # 7. Open data: 公共施設一覧 → preview → apply (a job) → the resident map, no login.
    page.goto(f"{base}/resources/import/")
    upload(page, "122033_public_facility.csv", city.open_data_csv(), "text/csv")
    page.get_by_role("button", name="ファイルを確認する").click()
    page.wait_for_url(re.compile(r".*/resources/import/\d+/$"))
    expect(page.locator("main")).to_contain_text("公共施設一覧")
    page.get_by_test_id("apply").click()
    finish_job(page)

    resident_context = page.context.browser.new_context(locale="ja-JP")
    resident = resident_context.new_page()
    watch(resident, base, outside, errors)
    resident.goto(f"{base}/map/{city.CODE}/")
    items = resident.locator(".place-item")
    expect(items).to_have_count(len(city.FACILITIES))
    for name in city.PLACE_NAMES:
        expect(resident.locator("main")).to_contain_text(name)
    map_node = resident.locator("#resource-map")
    expect(map_node).to_have_attribute("data-mode", "offline")
    expect(map_node).to_have_attribute("data-markers", str(len(city.FACILITIES)))
    # The three 町丁 boundaries are drawn (and the markers over them).
    expect(resident.locator(".leaflet-overlay-pane path")).to_have_count(len(city.DISTRICTS))
    # Once the map has zoomed to the places, each has its own numbered marker (not a cluster).
    expect(resident.locator(".place-marker")).to_have_count(len(city.FACILITIES))
    expect(resident.locator(".marker-cluster")).to_have_count(0)  # faded out after the zoom
    shot(resident, "7-resident-map")
    resident_context.close()

    # 8. The checklist now shows districts, users, plan and open data done.
    states = checklist_states(page, base)
    for key in ("core.tenant", "core.districts", "accounts.users", "plans.plan",
                "resources.open_data"):  # fmt: skip
        assert states[key] == "done", (key, states)
    shot(page, "8-checklist-after")
    assert errors == []
    assert outside == []
