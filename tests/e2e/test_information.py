"""Issue 15's "done when", in a real browser (the referral → agency bell part is
test_consultation.py's 8050 scenario).

A resident of 所沢市 subscribes to ところざわほっとメール and confirms from the mail; a member of
the city's staff writes a notice whose text has a place name from the city's reading dictionary
(椿峰) and a word the analyser does not know (鵆): publishing is refused until the readings are
approved, the unknown word has no reading until she writes one; once published, the mailing job
sends it to the subscriber, who opens the link and reads it with furigana. Then a resident
answers the 市民意識調査 and, after the nightly refresh, the plan's 市の情報発信に対する満足度
shows the new share. No request leaves the machine.

Elements are found by data-testid, form field names and URLs, not by the pages' wording.
"""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from sasaeai.core import metrics
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.jobs.worker import run_pending
from sasaeai.notices.models import Notice
from sasaeai.plans.models import Indicator, IndicatorActual
from sasaeai.surveys.models import Question
from tests.e2e.test_smoke import ARTIFACTS, browser_page, sign_in  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e

CITY = "112089"  # 所沢市
RESIDENT = "e2e-resident@example.jp"
TITLE = "E2E 椿峰で見守り講座を開きます"
BODY = "椿峰の集会所で、見守り活動の講座を開きます。鵆の広場に集まってください。"
UNKNOWN_READING = "ちどり"
SATISFACTION = "市の情報発信に対する満足度"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"information-{name}.png"), full_page=True)


def _link_in(message, pattern: str) -> str:
    """The path of the first link in a mail that matches `pattern` (the mail names SITE_URL)."""
    url = re.search(rf"https?://\S*{pattern}\S*", message.body).group()
    return urlsplit(url).path


def _mails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def _resident_subscribes(page, base) -> None:
    page.goto(f"{base}/mail/{CITY}/")
    form = page.get_by_test_id("subscribe-form")
    form.locator("[name=email]").fill(RESIDENT)
    form.locator("[name=topics][value=hotmail]").check()
    form.get_by_test_id("subscribe-submit").click()
    expect(page.get_by_test_id("subscribe-sent")).to_be_visible()
    (confirmation,) = _mails_to(RESIDENT)
    # The link only shows a button: a mail scanner following it confirms nothing.
    page.goto(base + _link_in(confirmation, f"/mail/{CITY}/confirm/"))
    page.get_by_test_id("confirm-subscription").click()
    expect(page.get_by_test_id("subscription-confirmed")).to_be_visible()


def _staff_writes_the_notice(page, base) -> int:
    sign_in(page, base, "tokorozawa-city")
    page.goto(f"{base}{reverse('notices:notice_create')}")
    page.locator("[name=title]").fill(TITLE)
    page.locator("[name=body]").fill(BODY)
    page.locator("[name=topic_keys][value=hotmail]").check()
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/notices/manage/\d+/$"))
    return int(re.search(r"/manage/(\d+)/", page.url).group(1))


def _publishing_waits_for_the_readings(page, base, pk: int) -> None:
    page.get_by_test_id("publish-notice").click()
    expect(page.get_by_test_id("publish-error")).to_be_visible()
    assert Notice.objects.get(pk=pk).status == "draft"
    # The refusal offers the next step: the readings page.
    page.get_by_test_id("publish-error").locator("a").first.click()
    page.wait_for_url(f"**{reverse('notices:notice_readings', args=[pk])}")


def _staff_approves_the_readings(page) -> None:
    rows = page.get_by_test_id("reading-row")
    dictionary = rows.filter(has=page.locator("input[value='椿峰']"))
    expect(dictionary).to_have_attribute("data-source", "dictionary")
    expect(dictionary.locator("input[name^=reading-]")).to_have_value("つばきみね")
    unknown = rows.filter(has=page.locator("input[value='鵆']"))
    expect(unknown).to_have_attribute("data-source", "unknown")
    reading = unknown.locator("input[name^=reading-]")
    expect(reading).to_have_value("")  # never guessed
    reading.fill(UNKNOWN_READING)
    _shot(page, "readings")
    page.get_by_test_id("approve-readings").click()
    page.wait_for_url(re.compile(r"/notices/manage/\d+/$"))


def _staff_publishes_and_the_job_mails(page, pk: int) -> None:
    expect(page.get_by_test_id("recipient-count")).to_be_visible()
    page.get_by_test_id("publish-notice").click()
    expect(page.get_by_test_id("mail-job")).to_be_visible()
    assert Notice.objects.get(pk=pk).readings_approved
    assert _mails_to(RESIDENT)[1:] == []  # the request only queued the mailing
    assert run_pending() >= 1
    assert Notice.objects.get(pk=pk).status == "published"


def _resident_opens_the_notice(page, base, pk: int) -> None:
    (notice_mail,) = _mails_to(RESIDENT)[1:]
    assert notice_mail.subject.endswith(TITLE) or TITLE in notice_mail.subject
    assert "List-Unsubscribe" in notice_mail.extra_headers
    page.goto("about:blank")
    page.context.clear_cookies()
    page.goto(base + _link_in(notice_mail, f"/notices/{CITY}/{pk}/"))
    body = page.get_by_test_id("notice-body")
    expect(body).to_contain_text("椿峰")
    expect(body.locator("ruby")).to_have_count(0)
    page.get_by_test_id("ruby-toggle").click()
    expect(body.locator("ruby").first).to_be_visible()
    ruby_html = body.inner_html()
    assert "<rt>つばきみね</rt>" in ruby_html
    assert f"<rt>{UNKNOWN_READING}</rt>" in ruby_html
    _shot(page, "notice-with-furigana")


def _resident_answers_the_survey(page, base, tenant) -> None:
    with tenant_context(tenant.pk):
        question = Question.objects.select_related("survey").get(
            survey__tenant=tenant, metric_slug="information_satisfaction"
        )
    survey = question.survey
    page.goto(f"{base}/surveys/{CITY}/{survey.code}/")
    form = page.get_by_test_id("survey-form")
    for fieldset in form.locator("fieldset[data-testid^=question-]").all():
        first = fieldset.locator("input[type=radio]")
        if first.count():
            first.first.check()
    form.get_by_test_id(f"question-{question.order}").locator("input[value=satisfied]").check()
    form.get_by_test_id("submit-survey").click()
    expect(page.get_by_test_id("survey-thanks")).to_be_visible()


def test_a_notice_reaches_a_subscriber_with_furigana_and_a_survey_moves_the_plan(
    live_server,
    transactional_db,
    browser_page,  # noqa: F811
):
    call_command("load_demo", verbosity=0)
    page, base = browser_page, live_server.url
    outside, errors = [], []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    tenant = Tenant.objects.get(code=CITY)
    year = fiscal_year_of(timezone.localdate())
    mail.outbox.clear()

    # 1. A resident subscribes and confirms from the mail (double opt-in).
    _resident_subscribes(page, base)

    # 2. Staff write a notice; publishing waits for approved readings; the mail goes by a job.
    pk = _staff_writes_the_notice(page, base)
    _publishing_waits_for_the_readings(page, base, pk)
    _staff_approves_the_readings(page)
    _staff_publishes_and_the_job_mails(page, pk)

    # 3. The subscriber opens the notice from the mail and reads it with furigana.
    _resident_opens_the_notice(page, base, pk)

    # 4. A survey answer moves the plan's indicator after the nightly refresh.
    key = "surveys.share:information_satisfaction"
    with tenant_context(tenant.pk):
        before = metrics.compute(key, tenant_id=tenant.pk, fiscal_year=year)
        indicator = Indicator.objects.get(plan__tenant=tenant, name=SATISFACTION)
        assert indicator.metric_key == key
    _resident_answers_the_survey(page, base, tenant)
    with tenant_context(tenant.pk):
        after = metrics.compute(key, tenant_id=tenant.pk, fiscal_year=year)
    assert after > before  # one more 満足 raises the share of 満足 + やや満足
    call_command("refresh_plan_metrics", stdout=io.StringIO())
    with tenant_context(tenant.pk):
        actual = IndicatorActual.objects.get(indicator=indicator, fiscal_year=year)
    assert float(actual.value) == pytest.approx(after, abs=0.05)
    page.goto(f"{base}/progress/{CITY}/")
    _shot(page, "public-progress")

    assert errors == []
    assert outside == []
