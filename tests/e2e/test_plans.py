"""The plans module in a real browser: tree, indicator chart, dashboard, report download."""

import pytest
from django.core.management import call_command
from django.utils.translation import override
from playwright.sync_api import expect

from sasaeai.core import metrics
from tests.e2e.test_golive import finish_job
from tests.e2e.test_smoke import ARTIFACTS, browser_page, sign_in  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e


def test_city_staff_follow_a_plan_from_tree_to_report(live_server, transactional_db, browser_page):  # noqa: F811
    call_command("load_demo", verbosity=0)
    page, base = browser_page, live_server.url
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    sign_in(page, base, "tokorozawa-city")
    page.goto(f"{base}/plans/")
    page.get_by_role("link", name="第4次所沢市地域福祉計画").click()
    expect(page.get_by_test_id("plan-tree")).to_contain_text("包括的な相談支援体制の充実")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "plans-tree.png"), full_page=True)
    page.get_by_role("link", name="ダッシュボード").first.click()
    expect(page.get_by_test_id("status-summary")).to_be_visible()
    page.get_by_role("link", name="民生委員・児童委員の充足率").click()
    expect(page.get_by_test_id("indicator-chart")).to_be_visible()
    # The metric is named as its module publishes it, never by its key.
    with override("ja"):
        metric_name = str(metrics.get("accounts.commissioner_district_coverage").label)
    expect(page.get_by_test_id("metric")).to_have_text(metric_name)
    expect(page.locator("main")).not_to_contain_text("accounts.commissioner_district_coverage")
    page.screenshot(path=str(ARTIFACTS / "plans-indicator.png"), full_page=True)
    page.go_back()
    # The report is a background job: its page polls while the worker makes the PDF.
    page.get_by_role("button", name="推進委員会資料（PDF）").first.click()
    finish_job(page)
    with page.expect_download() as download:
        page.get_by_test_id("job-download").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert outside == []
