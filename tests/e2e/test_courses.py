"""A resident registers for a course on a phone with no login; council staff tick attendance
of a held session on a phone; nothing is fetched from outside."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from sasaeai.core.tenancy import all_tenants
from sasaeai.courses.models import Registration, Session
from tests.e2e.test_smoke import ARTIFACTS, browser_page, sign_in  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e


def test_resident_registers_and_staff_tick_attendance_on_a_phone(
    live_server,
    transactional_db,
    browser_page,  # noqa: F811
):
    call_command("load_demo", verbosity=0)
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{base}/courses/112089/")
    cards = page.get_by_test_id("public-session")
    expect(cards.first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "courses-public.png"), full_page=True)
    cards.filter(has=page.get_by_role("link", name="申し込む")).first.get_by_role(
        "link", name="申し込む"
    ).click()
    form = page.get_by_test_id("course-register-form")
    form.get_by_label("氏名").fill("e2e 申込者")
    form.get_by_label("電話番号").fill("090-0000-9999")
    form.get_by_role("button", name="申し込む").click()
    expect(page.get_by_test_id("registration-status")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("e2e 申込者")
    with all_tenants():
        assert Registration.objects.filter(name="e2e 申込者").exists()
        held = (
            Session.objects.filter(tenant__code="112089", status="held", capacity__isnull=False)
            .order_by("-starts_at")
            .first()
        )

    sign_in(page, base, "tokorozawa-council")
    page.goto(f"{base}/courses/session/{held.pk}/")
    rows = page.get_by_test_id("attendance-row")
    expect(rows.first).to_be_visible()
    first = rows.first.locator("input[name=attended]")
    was = first.is_checked()
    first.set_checked(not was)
    page.screenshot(path=str(ARTIFACTS / "courses-attendance.png"), full_page=True)
    page.get_by_role("button", name="出席を保存").click()
    expect(page.locator("body")).to_contain_text("出席を保存しました。")
    assert page.get_by_test_id("attendance-row").first.locator(
        "input[name=attended]"
    ).is_checked() == (not was)
    assert outside == []
