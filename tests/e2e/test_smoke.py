"""End to end in a real browser (Debian's chromium driven by Playwright for Python).

Signs in as a demo user through two-factor, opens each module's start page, saves a
screenshot of each into artifacts/, and checks that no request left the machine.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"


@pytest.fixture
def browser_page():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (.ci/run installs it with apt-get)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop shares the thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(locale="ja-JP")
        yield page
        browser.close()


def code_for(username):
    device = TOTPDevice.objects.get(user__username=username)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}"


def sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill("sasaeai-demo-2026")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/two-factor/**")
    page.locator("input[name=token]").fill(code_for(username))
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def test_demo_admin_signs_in_through_two_factor_and_opens_every_module(
    live_server, transactional_db, browser_page
):
    call_command("load_demo", verbosity=0)
    page, base = browser_page, live_server.url
    outside = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(base) else None,
    )
    sign_in(page, base, "okegawa-admin")
    assert page.get_by_test_id("current-tenant").inner_text() == "桶川市"
    assert page.get_by_test_id("current-role").inner_text() == "システム管理者"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    links = page.locator("nav.modules a")
    modules = [
        (links.nth(i).get_attribute("data-module"), links.nth(i).get_attribute("href"))
        for i in range(links.count())
    ]
    assert {"home", "areas", "members", "audit"} <= {key for key, _ in modules}
    for key, href in modules:
        response = page.goto(f"{base}{href}")
        assert response.status == 200, key
        assert page.locator("h1").first.is_visible()
        page.screenshot(path=str(ARTIFACTS / f"{key}.png"), full_page=True)
    page.goto(f"{base}/areas/")
    page.locator("#id_q").fill("かのう")
    from playwright.sync_api import expect

    expect(page.locator("#area-rows")).not_to_contain_text("川田谷地区")  # htmx swapped the rows
    expect(page.locator("#area-rows")).to_contain_text("加納地区")
    assert outside == []


def test_resident_sees_no_staff_modules(live_server, transactional_db, browser_page):
    call_command("load_demo", verbosity=0)
    page, base = browser_page, live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("ユーザー名").fill("okegawa-resident")
    page.get_by_label("パスワード").fill("sasaeai-demo-2026")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}/")
    keys = page.locator("nav.modules a").evaluate_all("els => els.map(e => e.dataset.module)")
    # Besides home, only where a resident asks for help: it opens their own requests.
    assert keys == ["home", "volunteers"]
    page.locator("nav.modules a[data-module=volunteers]").click()
    page.wait_for_url(f"{base}/volunteers/my/requests/")
    assert page.goto(f"{base}/audit/").status == 403
    assert page.goto(f"{base}/volunteers/requests/").status in (403, 404)
