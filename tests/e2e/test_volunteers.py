"""Issue 13's "done when", in a real browser: a resident of 所沢市 asks for 買い物支援; the
volunteer coordinator marks it as a ファミリー・サポート activity, runs the matching, sees the
proposed helper with its reasons and confirms; the volunteer sees the offer, accepts it and
reports 2 hours; after the nightly refresh the plan's ファミリーサポート事業の利用件数 is one more.
Nothing is offered before the coordinator confirms. No request leaves the machine.

Elements are found by data-testid, form field names and URLs, not by the pages' wording.
"""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from sasaeai.core.demo import DEMO_PASSWORD
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.plans.models import Indicator, IndicatorActual
from sasaeai.volunteers.models import ActivityReport, Helper, HelpRequest, Offer, Skill
from tests.e2e.test_smoke import ARTIFACTS, browser_page, code_for  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e

CITY = "112089"  # 所沢市
REQUESTER = "E2E 住民 八重"
FSC_USES = "ファミリーサポート事業の利用件数"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"volunteers-{name}.png"), full_page=True)


def _sign_in(page, base, username: str) -> None:
    """A fresh session; staff roles pass two-factor, volunteers and residents do not."""
    page.goto("about:blank")
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/(accounts/two-factor/.*)?$"))
    if "/two-factor/" in page.url:
        page.locator("input[name=token]").fill(code_for(username))
        page.locator("main button[type=submit]").click()
        page.wait_for_url(f"{base}/")


def _next_saturday_at_ten():
    today = timezone.localtime()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    return saturday.replace(hour=10, minute=0, second=0, microsecond=0)


def _resident_asks_for_shopping_help(page, base) -> HelpRequest:
    _sign_in(page, base, "tokorozawa-resident")
    page.goto(f"{base}/volunteers/my/requests/new/")
    form = page.get_by_test_id("help-request-form")
    starts = _next_saturday_at_ten()
    form.locator("[name=title]").fill("E2E 買い物支援")
    form.locator("[name=requester_name]").fill(REQUESTER)
    form.locator("[name=starts_at]").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    form.locator("[name=ends_at]").fill((starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    shopping = Skill.objects.get(tenant__code=CITY, key="shopping")
    form.locator(f"[name=skills][value='{shopping.pk}']").check()
    area = form.locator("select[name=area] option").nth(1).get_attribute("value")
    form.locator("select[name=area]").select_option(value=area)
    form.get_by_test_id("submit-help-request").click()
    request = HelpRequest.objects.get(tenant__code=CITY, requester_name=REQUESTER)
    page.wait_for_url(f"**/volunteers/my/requests/{request.pk}/")
    expect(page.get_by_test_id("request-status")).to_be_visible()
    return request


def _coordinator_matches_and_confirms(page, base, request: HelpRequest, helper: Helper) -> None:
    _sign_in(page, base, "tokorozawa-coordinator")
    page.goto(f"{base}/volunteers/requests/{request.pk}/")
    terms = page.get_by_test_id("request-terms-form")
    page.locator("details:has([data-testid=request-terms-form]) > summary").click()
    terms.locator("[name=is_fsc]").check()
    terms.get_by_test_id("save-terms").click()
    expect(page.get_by_test_id("request-terms-form").locator("[name=is_fsc]")).to_be_checked()
    assert HelpRequest.objects.get(pk=request.pk).is_fsc

    page.goto(f"{base}/volunteers/matching/")
    for box in page.locator("input[name=request]").all():
        if box.get_attribute("value") != str(request.pk):
            box.uncheck()
    page.get_by_test_id("run-matching").click()
    row = page.get_by_test_id("match-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("match-helper")).to_have_value(str(helper.pk))
    _shot(page, "proposal")
    assert not Offer.objects.filter(request=request).exists()  # nothing sent before confirming
    page.get_by_test_id("confirm-matching").click()
    expect(page.get_by_test_id("match-row")).to_have_count(0)
    assert Offer.objects.get(request=request).helper_id == helper.pk


def _volunteer_accepts_and_reports(page, base, offer: Offer) -> None:
    _sign_in(page, base, "tokorozawa-volunteer")
    page.goto(f"{base}/volunteers/my/")
    page.locator(f"a[href='/volunteers/my/offers/{offer.pk}/']").first.click()
    page.get_by_test_id("accept-offer").click()
    form = page.get_by_test_id("report-form")
    expect(form).to_be_visible()
    form.locator("[name=day]").fill(timezone.localdate().isoformat())
    form.locator("[name=hours]").fill("2")
    form.get_by_test_id("submit-report").click()
    expect(page.get_by_test_id("report")).to_have_count(1)
    _shot(page, "report")


def test_a_shopping_request_is_matched_accepted_reported_and_counted(
    live_server,
    transactional_db,
    browser_page,  # noqa: F811
):
    call_command("load_demo", verbosity=0)
    page, base = browser_page, live_server.url
    outside, errors = [], []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    year = fiscal_year_of(timezone.localdate())
    indicator = Indicator.objects.get(plan__tenant__code=CITY, name=FSC_USES)
    call_command("refresh_plan_metrics", stdout=io.StringIO())
    before = IndicatorActual.objects.get(indicator=indicator, fiscal_year=year).value
    helper = Helper.objects.get(user__username="tokorozawa-volunteer")

    request = _resident_asks_for_shopping_help(page, base)
    _coordinator_matches_and_confirms(page, base, request, helper)
    offer = Offer.objects.get(request=request)
    _volunteer_accepts_and_reports(page, base, offer)
    assert ActivityReport.objects.get(offer=offer).hours == 2

    call_command("refresh_plan_metrics", stdout=io.StringIO())
    after = IndicatorActual.objects.get(indicator=indicator, fiscal_year=year).value
    assert after == before + 1
    assert re.fullmatch(r"\d+(\.0+)?", str(after))

    assert errors == []
    assert outside == []
