"""The 8050 household in a real browser, from a welfare commissioner's concern to the plan.

A commissioner passes on a concern; the community social worker takes it in, records the
mother and her son, opens a case, links the household, records consents, refers each of
them to the agency that fits and holds a 重層的支援会議 that gives out three tasks; each
agency accepts, reports back and does its task; the worker closes the case; the nightly
job puts the year's consultation count into the city's plan. On the way it checks who sees
what: the commissioner only that the concern was received, each agency only its own person.

A second scenario walks a call at the desk about a neighbour: intake says whom it is about,
which fills the person form; the case's first referral is refused for want of consent; the
consent is recorded inline on the referral form (htmx), the typed referral is kept and sent;
the case timeline shows the call and the referral.

Elements are found by form field names, data-testid and data-* attributes, URLs and the data
typed here, never by the wording of the pages (which the translation may change).
"""

import contextlib
import datetime
import io
import re
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from sasaeai.accounts import services as account_services
from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.consultation import services
from sasaeai.consultation.models import Agency, Case, Consent, Consultation, Person, Referral, Task
from sasaeai.core import metrics
from sasaeai.core.demo import DEMO_PASSWORD, SYSTEM, demo_totp_key
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.notifications.models import Notification
from sasaeai.plans.models import Indicator, Plan
from tests.e2e.test_smoke import ARTIFACTS, browser_page, sign_in  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e

CITY = "112089"  # 所沢市
CARE_CENTRE = "地域包括支援センター（デモ）"
HIKIKOMORI = "ひきこもり支援相談窓口（デモ）"
SECOND_AGENCY_WORKER = "tokorozawa-agency2"
PLAN_TITLE = "第4次所沢市地域福祉計画"
CONSULTATIONS_INDICATOR = "福祉の相談窓口への相談件数"
CSW_INDICATOR = "コミュニティソーシャルワーカー（ＣＳＷ）による総合的福祉相談支援件数"

# The data typed in the scenario: unique, so the pages can be searched for it.
CONCERN = "E2E8050 見守り先の80代の母と、長く外出していない50代の息子の世帯が心配です。"
MOTHER, MOTHER_KANA = "検証 花子", "ケンショウ ハナコ"
SON, SON_KANA = "検証 一郎", "ケンショウ イチロウ"
CASE_TITLE = "E2E8050 検証さん世帯の支援"
ASSESSMENT = "E2E8050アセスメント：母は介護が必要、息子は就労経験が少なく外出できていない。"
MOTHER_REPORT = "E2E8050包括報告：訪問し、要介護認定の申請を受け付けた。"
SON_REPORT = "E2E8050ひきこもり報告：本人と面談し、居場所の見学を約束した。"
TASK_CSW = "E2E8050 世帯全体の見守り計画を作る"
TASK_CARE = "E2E8050 ケアマネジャーの選定を支援する"
TASK_HIKIKOMORI = "E2E8050 居場所の見学に同行する"


# ---- set-up and helpers --------------------------------------------------------------------


def _city_actor(tenant: Tenant) -> Actor:
    membership = Membership.objects.select_related("user").get(
        tenant=tenant, user__username="tokorozawa-city"
    )
    return Actor(
        user_id=membership.user_id, username=membership.user.username, tenant_id=tenant.pk,
        membership_id=membership.pk, role=Role(membership.role), otp_verified=True,
    )  # fmt: skip


def _add_hikikomori_agency_worker(tenant: Tenant) -> None:
    """The demo has staff at the care centre only: add a worker of the ひきこもり窓口,
    with the demo password and a confirmed authenticator like the demo users."""
    membership = account_services.member_create(
        actor=SYSTEM, tenant=tenant, username=SECOND_AGENCY_WORKER, password=DEMO_PASSWORD,
        role=Role.AGENCY_WORKER, display_name="窓口 十和", department="ひきこもり支援相談窓口",
    )  # fmt: skip
    TOTPDevice.objects.create(
        user=membership.user, name="demo", confirmed=True, key=demo_totp_key(SECOND_AGENCY_WORKER)
    )
    agency = Agency.objects.get(tenant=tenant, name=HIKIKOMORI)
    with tenant_context(tenant.pk):
        services.agency_save(
            actor=_city_actor(tenant), name=agency.name, kind=agency.kind, phone=agency.phone,
            member_ids=[membership.user_id], agency=agency,
        )  # fmt: skip


def _metric(key: str, tenant: Tenant, year: int) -> int:
    return int(metrics.compute(key, tenant_id=tenant.pk, fiscal_year=year))


def _switch_user(page, base: str, username: str) -> None:
    """Sign out (a fresh session) and in as another user. A one-time code is refused twice
    in the same 30 s step, so a quick second sign-in of the same user waits for the next.
    The page is left first: a request still in flight (the bell) would set the old session's
    cookie again after the cookies are cleared."""
    page.goto("about:blank")
    page.context.clear_cookies()
    device = TOTPDevice.objects.get(user__username=username)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    while totp.t() <= device.last_t:
        time.sleep(1)
    sign_in(page, base, username)


def _pk(url: str, after: str) -> int:
    return int(re.search(rf"{after}(\d+)/", url).group(1))


def _consultation_home(page) -> None:
    page.locator("nav.modules a[data-module=consultation]").click()
    page.wait_for_url("**/consultation/")


def _submit(form) -> None:
    form.locator("button[type=submit]").last.click()


def _watch(page, base) -> tuple[list[str], list[str]]:
    """Collect requests that leave the machine and script errors, for the test to assert."""
    outside, errors = [], []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return outside, errors


@contextlib.contextmanager
def _screenshot_on_failure(page):
    """Keep the page a failing step stopped on, for CI's artifacts."""
    try:
        yield
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "consultation-failure.png"), full_page=True)
        raise


# ---- the scenario, step by step ------------------------------------------------------------


def _commissioner_passes_on_a_concern(page, base) -> int:
    _switch_user(page, base, "tokorozawa-commissioner")
    _consultation_home(page)
    page.locator(f"main a[href='{reverse('consultation:concern_pass_on')}']").click()
    page.locator("[name=description]").fill(CONCERN)
    page.locator("[name=contact]").fill("民生委員 電話 04-2900-0000")
    area = page.locator("select[name=area] option").nth(1).get_attribute("value")
    page.locator("select[name=area]").select_option(value=area)
    _submit(page.locator("main form"))
    page.wait_for_url(re.compile(r"/consultation/concerns/\d+/$"))
    concern_pk = _pk(page.url, "/concerns/")
    expect(page.get_by_test_id("concern")).to_have_attribute("data-received", "no")
    page.goto(f"{base}{reverse('consultation:home')}")
    expect(page.locator(f"tr[data-concern='{concern_pk}']")).to_have_attribute(
        "data-received", "no"
    )
    return concern_pk


def _record_new_person_from_intake(page, kana, name, birth, sex) -> Person:
    """Search the kana first (名寄せ); nothing matches, so record a new person from there."""
    search = page.locator("form[role=search]")
    search.locator("[name=name_kana]").fill(kana)
    search.locator("button[type=submit]").click()
    expect(page.get_by_test_id("no-duplicates")).to_be_visible()
    page.locator("#duplicates a[href*='/persons/new/']").click()
    expect(page.locator("[name=name_kana]")).to_have_value(kana)
    page.locator("[name=name]").fill(name)
    page.locator("[name=birth_date]").fill(birth.isoformat())
    page.locator("select[name=sex]").select_option(value=sex)
    page.locator("[name=address]").fill("所沢市並木1-2-3（E2E）")
    page.locator("[name=phone]").fill("04-2900-1234")
    _submit(page.locator("main form"))
    page.wait_for_url(re.compile(r"/consultation/intake/\d+/\?person=\d+"))
    person = Person.objects.get(name=name)
    expect(page.get_by_test_id("chosen-person")).to_have_attribute("data-person", str(person.pk))
    return person


def _csw_takes_it_in(page, base, concern_pk: int, today) -> tuple[Case, Person, Person]:
    _switch_user(page, base, "tokorozawa-csw")
    _consultation_home(page)
    page.locator(f"a[href='{reverse('consultation:intake_list')}']").first.click()
    page.locator(f"tr[data-consultation='{concern_pk}'] a").click()
    expect(page.get_by_test_id("consultation")).to_contain_text("E2E8050")
    mother = _record_new_person_from_intake(
        page, MOTHER_KANA, MOTHER, today.replace(year=today.year - 84, day=1), "female"
    )
    son = _record_new_person_from_intake(
        page, SON_KANA, SON, today.replace(year=today.year - 53, day=1), "male"
    )
    # The mother is the person the case is about: find her again by kana and choose her.
    search = page.locator("form[role=search]")
    search.locator("[name=name_kana]").fill("ケンショウ")
    search.locator("button[type=submit]").click()
    candidates = page.locator("#duplicates tr[data-person]")
    expect(candidates).to_have_count(2)
    expect(candidates.first.locator("[data-reason=kana]")).to_be_visible()
    page.locator(f"#duplicates tr[data-person='{mother.pk}'] a").click()
    expect(page.get_by_test_id("chosen-person")).to_have_attribute("data-person", str(mother.pk))
    page.locator("[name=title]").fill(CASE_TITLE)
    page.locator("button[name=mode][value=new]").click()
    page.wait_for_url(re.compile(r"/consultation/cases/\d+/$"))
    case = Case.objects.get(pk=_pk(page.url, "/cases/"))
    expect(page.locator(f"[data-testid=case-person][data-person='{mother.pk}']")).to_be_visible()
    return case, mother, son


def _csw_links_the_household(page, base, case: Case, mother: Person, son: Person) -> None:
    """Household from the mother's page (she is its head), the son added as her child, and
    then the son added to the case from the case page."""
    page.locator(f"[data-testid=case-person][data-person='{mother.pk}'] a").click()
    page.locator(f"a[href='{reverse('consultation:household_new')}?person={mother.pk}']").click()
    page.locator("[name=name]").fill("検証家（E2E）")
    _submit(page.locator("main form"))
    page.wait_for_url(re.compile(r"/consultation/households/\d+/$"))
    page.locator("main form[role=search] [name=q]").fill(SON_KANA)
    page.locator("main form[role=search] button[type=submit]").click()
    row = page.locator(f"[data-testid=member-candidates] tr[data-person='{son.pk}']")
    row.locator("select[name=relationship]").select_option(value="child")
    row.locator("button[type=submit]").click()
    members = page.locator("[data-testid=members] tr[data-person]")
    expect(members).to_have_count(2)
    expect(page.get_by_test_id("members")).to_contain_text(SON)

    page.goto(f"{base}{reverse('consultation:case_detail', args=[case.pk])}")
    adding = page.get_by_test_id("case-person-add")
    adding.locator("select[name=person]").select_option(value=str(son.pk))
    _submit(adding)
    expect(page.get_by_test_id("case-person")).to_have_count(2)
    expect(page.locator(f"[data-testid=case-person][data-person='{son.pk}']")).to_be_visible()


def _record_consent(page, base, person: Person, scope: str, agency: Agency | None, meetings: bool):
    page.goto(f"{base}{reverse('consultation:person_detail', args=[person.pk])}")
    form = page.locator(f"form[action='{reverse('consultation:consent_add', args=[person.pk])}']")
    form.locator("[name=scope]").fill(scope)
    if agency is not None:
        form.locator("select[name=agency]").select_option(value=str(agency.pk))
    form.locator("select[name=method]").select_option(value="written")
    if meetings:
        form.locator("[name=covers_conferences]").check()
    _submit(form)
    page.wait_for_url(f"**{reverse('consultation:person_detail', args=[person.pk])}")


def _csw_records_consents_and_refers(page, base, case, mother, son, care, hikikomori) -> None:
    consents = (
        (mother, "E2E 介護保険の申請に必要な情報を地域包括支援センターと共有する。", care, False),
        (mother, "E2E 重層的支援会議で世帯の状況を話し合う。", None, True),
        (son, "E2E 面談と居場所の紹介に必要な情報をひきこもり支援相談窓口と共有する。", hikikomori, False),
    )  # fmt: skip
    for person, scope, agency, meetings in consents:
        _record_consent(page, base, person, scope, agency, meetings)
    expect(page.locator("tr[data-consent][data-active=yes]")).to_have_count(1)

    page.goto(f"{base}{reverse('consultation:case_edit', args=[case.pk])}")
    form = page.get_by_test_id("case-edit-form")
    form.locator("[name=assessment]").fill(ASSESSMENT)
    form.locator("[name=in_programme_since]").fill(timezone.localdate().isoformat())
    _submit(form)
    page.wait_for_url(f"**{reverse('consultation:case_detail', args=[case.pk])}")
    expect(page.get_by_test_id("in-programme")).to_have_text(timezone.localdate().isoformat())

    # A home visit to the household: a contact the CSW recorded, counted for the plan.
    page.locator("#timeline > details > summary").click()
    visit = page.locator(f"form[action='{reverse('consultation:activity_new', args=[case.pk])}']")
    visit.locator("select[name=kind]").select_option(value="visit")
    visit.locator("[name=minutes]").fill("60")
    visit.locator("[name=summary]").fill("E2E8050 自宅を訪問し、母と息子に会った。")
    _submit(visit)
    expect(page.locator("[data-testid=timeline-entry][data-kind=activity]")).to_have_count(1)

    referrals = (
        (mother, care, "E2E 介護保険の申請と母の生活状況の確認をお願いしたい。"),
        (son, hikikomori, "E2E 本人との面談と居場所の紹介をお願いしたい。"),
    )
    for sent, (person, agency, request) in enumerate(referrals, start=1):
        consent = Consent.objects.get(person=person, agency=agency)
        page.locator("#referrals > details > summary").click()
        form = page.get_by_test_id("referral-form")
        form.locator("select[name=person]").select_option(value=str(person.pk))
        form.locator("select[name=agency]").select_option(value=str(agency.pk))
        form.locator("[name=request]").fill(request)
        form.locator("[name=shared_summary]").fill("E2E 世帯の状況と、これまでの経過。")
        expect(form.locator("[name=shares_personal_data]")).to_be_checked()
        form.locator("select[name=consent]").select_option(value=str(consent.pk))
        _submit(form)
        expect(page.locator("[data-testid=referral][data-status=sent]")).to_have_count(sent)


def _csw_holds_the_meeting(page, base, case, csw_id, care, hikikomori) -> None:
    page.locator(f"a[href='{reverse('consultation:conference_new')}?case={case.pk}']").click()
    form = page.get_by_test_id("conference-form")
    form.locator("[name=kind][value=multi_layered]").check()
    form.locator("[name=place]").fill("E2E 福祉の相談窓口 会議室")
    expect(form.locator(f"[name=cases][value='{case.pk}']")).to_be_checked()
    form.locator(f"[name=attendees][value='{csw_id}']").check()
    for agency in (care, hikikomori):
        form.locator(f"[name=agencies][value='{agency.pk}']").check()
    form.locator("[name=confidentiality_confirmed]").check()
    form.locator("[name=summary]").fill("E2E 世帯全体の状況を共有した。")
    form.locator("[name=decisions]").fill("E2E 母の介護と息子の社会参加を並行して支援する。")
    due = timezone.localdate() + datetime.timedelta(days=14)
    rows = (
        (TASK_CSW, "assignee", str(csw_id)),
        (TASK_CARE, "assignee_agency", str(care.pk)),
        (TASK_HIKIKOMORI, "assignee_agency", str(hikikomori.pk)),
    )
    for index, (title, who, value) in enumerate(rows):
        form.locator(f"select[name=tasks-{index}-case]").select_option(value=str(case.pk))
        form.locator(f"[name=tasks-{index}-title]").fill(title)
        form.locator(f"select[name=tasks-{index}-{who}]").select_option(value=value)
        form.locator(f"[name=tasks-{index}-due_on]").fill(due.isoformat())
    _submit(form)
    page.wait_for_url(re.compile(r"/consultation/conferences/\d+/$"))
    page.goto(f"{base}{reverse('consultation:case_detail', args=[case.pk])}")
    expect(page.get_by_test_id("task")).to_have_count(3)
    expect(page.get_by_test_id("case-conference")).to_have_count(1)


def _commissioner_sees_only_that_it_was_received(page, base, concern_pk) -> None:
    _switch_user(page, base, "tokorozawa-commissioner")
    _consultation_home(page)
    row = page.locator(f"tr[data-concern='{concern_pk}']")
    expect(row).to_have_attribute("data-received", "yes")
    html = page.content()
    for secret in (CASE_TITLE, SON, MOTHER, ASSESSMENT):
        assert secret not in html
    page.screenshot(path=str(ARTIFACTS / "consultation-home.png"), full_page=True)


def _agency_responds(page, base, username, referral: Referral, task: Task, report, hidden):
    _switch_user(page, base, username)
    _consultation_home(page)
    # The bell (loaded by htmx) counts the referral; its notification opens the referral page.
    expect(page.get_by_test_id("unread-count")).not_to_have_text("0")
    with tenant_context(referral.tenant_id):
        notice = Notification.objects.get(
            recipient__username=username, kind="consultation.referral_received",
            url=reverse("consultation:agency_referral", args=[referral.pk]),
        )  # fmt: skip
    page.get_by_test_id("notification-bell").click()
    page.locator(
        f"a[href='{reverse('notifications:notification_open', args=[notice.pk])}']"
    ).click()
    expect(page.get_by_test_id("referral-status")).to_have_attribute("data-status", "sent")
    _consultation_home(page)
    page.get_by_test_id("agency-inbox").click()
    page.locator(f"tr[data-referral='{referral.pk}'] a").click()
    expect(page.get_by_test_id("referral-status")).to_have_attribute("data-status", "sent")
    expect(page.get_by_test_id("referral-person")).to_contain_text(referral.person.name)
    page.locator("form:has(input[name=move][value=accept]) button[type=submit]").click()
    expect(page.get_by_test_id("referral-status")).to_have_attribute("data-status", "accepted")
    page.locator("[name=body]").fill(report)
    _submit(page.locator("form[action$='/report/']"))
    expect(page.locator("main")).to_contain_text(report)
    item = page.locator(f"[data-testid=agency-task][data-task='{task.pk}']")
    item.locator("button[type=submit]").click()
    expect(item).to_have_attribute("data-status", "done")
    html = page.content()
    for secret in (*hidden, ASSESSMENT, CASE_TITLE):
        assert secret not in html


def _csw_reads_the_reports_and_closes(page, base, case, csw_task: Task) -> None:
    _switch_user(page, base, "tokorozawa-csw")
    page.goto(f"{base}{reverse('consultation:case_detail', args=[case.pk])}")
    reports = page.locator("[data-testid=timeline-entry][data-kind=report]")
    expect(reports).to_have_count(2)
    expect(page.locator("#timeline")).to_contain_text(MOTHER_REPORT)
    expect(page.locator("#timeline")).to_contain_text(SON_REPORT)
    page.locator(f"tr[data-task='{csw_task.pk}'] button[type=submit]").click()
    expect(page.get_by_test_id("task")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "consultation-case.png"), full_page=True)
    workflow = page.get_by_test_id("transition-form")
    for status in ("assessment", "planning", "support", "monitoring", "closed"):
        if status == "closed":
            workflow.locator("[name=note]").fill(
                "E2E8050 支援が定着し、各機関の見守りに移行したため終結。"
            )
        workflow.locator(f"button[name=to_status][value={status}]").click()
        expect(page.get_by_test_id("case-status")).to_have_attribute("data-status", status)


def _indicator_actual(page, name: str, year: int) -> str:
    page.get_by_test_id("indicator-table").get_by_role("link", name=name, exact=True).click()
    expect(page.locator("h1")).to_have_text(name)
    actual = page.locator(f"[data-testid=indicator-years] tr[data-fiscal-year='{year}'] [data-testid=actual]")  # fmt: skip
    figure = re.sub(r"[^\d.]", "", actual.inner_text())  # "1,234" or "1234" alike
    page.go_back()
    return figure


# ---- the test ------------------------------------------------------------------------------


def test_an_8050_household_from_a_commissioners_concern_to_the_plan(
    live_server,
    transactional_db,
    browser_page,  # noqa: F811
):
    call_command("load_demo", verbosity=0)
    tenant = Tenant.objects.get(code=CITY)
    _add_hikikomori_agency_worker(tenant)
    care = Agency.objects.get(tenant=tenant, name=CARE_CENTRE)
    hikikomori = Agency.objects.get(tenant=tenant, name=HIKIKOMORI)
    csw_id = Membership.objects.get(tenant=tenant, user__username="tokorozawa-csw").user_id
    today = timezone.localdate()
    year = fiscal_year_of(today)
    plan = Plan.objects.get(tenant=tenant, title=PLAN_TITLE)
    if year not in plan.fiscal_years:
        # The seed plan runs to FY2026; keep the current year on it when the test runs later.
        Plan.objects.filter(pk=plan.pk).update(end_year=year)
    received_before = _metric("consultation.consultations_received", tenant, year)
    csw_before = _metric("consultation.csw_support_count", tenant, year)

    page, base = browser_page, live_server.url
    outside, errors = _watch(page, base)

    with _screenshot_on_failure(page):
        # 1. The commissioner passes a concern on; it is not yet received.
        concern_pk = _commissioner_passes_on_a_concern(page, base)
        # 2. The CSW takes it in: two new persons, a case about the mother, the household.
        case, mother, son = _csw_takes_it_in(page, base, concern_pk, today)
        assert Consultation.objects.get(pk=concern_pk).case_id == case.pk
        _csw_links_the_household(page, base, case, mother, son)
        # 3. Consents, the programme, a home visit, and a referral for each of them.
        _csw_records_consents_and_refers(page, base, case, mother, son, care, hikikomori)
        # 4. The 重層的支援会議 gives out three tasks.
        _csw_holds_the_meeting(page, base, case, csw_id, care, hikikomori)
        # 5. The commissioner learns only that the concern was received.
        _commissioner_sees_only_that_it_was_received(page, base, concern_pk)
        # 6. Each agency accepts, reports back and does its task, seeing only its own person.
        tasks = {t.title: t for t in Task.objects.filter(case=case)}
        referrals = {r.agency_id: r for r in Referral.objects.filter(case=case)}
        _agency_responds(page, base, "tokorozawa-agency", referrals[care.pk], tasks[TASK_CARE],
                         MOTHER_REPORT, hidden=(SON,))  # fmt: skip
        page.screenshot(path=str(ARTIFACTS / "consultation-agency.png"), full_page=True)
        _agency_responds(page, base, SECOND_AGENCY_WORKER, referrals[hikikomori.pk],
                         tasks[TASK_HIKIKOMORI], SON_REPORT, hidden=(MOTHER,))  # fmt: skip
        # 7. The CSW reads both reports, does their task and takes the case to its close.
        _csw_reads_the_reports_and_closes(page, base, case, tasks[TASK_CSW])

        # 8. The nightly job; the city's plan shows one more consultation and one more CSW contact.
        call_command("refresh_plan_metrics", stdout=io.StringIO())
        assert _metric("consultation.consultations_received", tenant, year) == received_before + 1
        _switch_user(page, base, "tokorozawa-city")
        page.goto(f"{base}{reverse('plans:plan_list')}")
        page.get_by_role("link", name=PLAN_TITLE).click()
        page.locator(f"a[href^='{reverse('plans:dashboard', args=[plan.pk])}']").first.click()
        assert Indicator.objects.filter(plan=plan, name=CONSULTATIONS_INDICATOR).exists()
        assert _indicator_actual(page, CONSULTATIONS_INDICATOR, year) == str(received_before + 1)
        assert _indicator_actual(page, CSW_INDICATOR, year) == str(csw_before + 1)

    assert errors == []
    assert outside == []


# ---- a call about a neighbour: intake to a referral, with the consent recorded inline ------

NEIGHBOUR_CALL = "E2ECALL 隣の一人暮らしの方を一週間見かけない。新聞がたまっている。"
SUBJECT, SUBJECT_KANA = "検証 三郎", "ケンショウ サブロウ"
SUBJECT_ADDRESS, SUBJECT_PHONE = "所沢市並木2-3-4（E2E）", "04-2900-7777"
CALL_CASE_TITLE = "E2ECALL 検証三郎さんの見守り"
CALL_REQUEST = "E2ECALL 安否の確認と、介護保険の申請の案内をお願いしたい。"
CALL_SUMMARY = "E2ECALL 一人暮らし、80代。近所の方から連絡があった。"
CALL_CONSENT = "E2ECALL 安否確認と介護保険の申請に必要な情報を地域包括支援センターと共有する。"


def _desk_records_a_call_about_a_neighbour(page, base) -> int:
    _switch_user(page, base, "tokorozawa-csw")
    _consultation_home(page)
    page.goto(f"{base}{reverse('consultation:consultation_new')}")
    form = page.locator("main form")
    form.locator("select[name=channel]").select_option(value="phone")
    form.locator("[name=caller_name]").fill("近所 花子（E2E）")
    form.locator("[name=caller_relation]").fill("隣人")
    form.locator("[name=contact]").fill("04-2900-5555")
    form.locator("select[name=about]").select_option(value="neighbour")
    form.locator("[name=subject_name]").fill(SUBJECT)
    form.locator("[name=subject_name_kana]").fill(SUBJECT_KANA)
    form.locator("[name=subject_address]").fill(SUBJECT_ADDRESS)
    form.locator("[name=subject_phone]").fill(SUBJECT_PHONE)
    form.locator("[name=description]").fill(NEIGHBOUR_CALL)
    area = form.locator("select[name=area] option").nth(1).get_attribute("value")
    form.locator("select[name=area]").select_option(value=area)
    _submit(form)
    page.wait_for_url(re.compile(r"/consultation/intake/\d+/$"))
    expect(page.get_by_test_id("call-about")).to_have_attribute("data-about", "neighbour")
    return _pk(page.url, "/intake/")


def _person_is_recorded_from_what_the_caller_said(page) -> Person:
    """The duplicate search has already run on the neighbour; the person form is filled."""
    expect(page.locator("form[role=search] [name=name_kana]")).to_have_value(SUBJECT_KANA)
    expect(page.get_by_test_id("no-duplicates")).to_be_visible()
    page.locator("#duplicates a[href*='/persons/new/']").click()
    form = page.locator("main form")
    expect(form.locator("[name=name]")).to_have_value(SUBJECT)
    expect(form.locator("[name=name_kana]")).to_have_value(SUBJECT_KANA)
    expect(form.locator("[name=address]")).to_have_value(SUBJECT_ADDRESS)
    expect(form.locator("[name=phone]")).to_have_value(SUBJECT_PHONE)
    form.locator("select[name=sex]").select_option(value="male")
    _submit(form)
    page.wait_for_url(re.compile(r"/consultation/intake/\d+/\?person=\d+"))
    person = Person.objects.get(name=SUBJECT)
    expect(page.get_by_test_id("chosen-person")).to_have_attribute("data-person", str(person.pk))
    return person


def _case_is_opened(page, person: Person) -> Case:
    page.locator("[name=title]").fill(CALL_CASE_TITLE)
    page.locator("button[name=mode][value=new]").click()
    page.wait_for_url(re.compile(r"/consultation/cases/\d+/$"))
    case = Case.objects.get(pk=_pk(page.url, "/cases/"))
    expect(page.locator(f"[data-testid=case-person][data-person='{person.pk}']")).to_be_visible()
    return case


def _referral_refused_then_consent_recorded_inline_and_sent(page, person, care) -> Referral:
    page.locator("#referrals > details > summary").click()
    form = page.get_by_test_id("referral-form")
    form.locator("select[name=person]").select_option(value=str(person.pk))
    form.locator("select[name=agency]").select_option(value=str(care.pk))
    form.locator("[name=request]").fill(CALL_REQUEST)
    form.locator("[name=shared_summary]").fill(CALL_SUMMARY)
    form.get_by_test_id("send-referral").click()
    # Refused: no consent. The form comes back as typed, with the consent offered inline.
    form = page.get_by_test_id("referral-form")
    inline = form.get_by_test_id("inline-consent")
    expect(inline).to_be_visible()
    expect(form.locator("[name=request]")).to_have_value(CALL_REQUEST)
    assert not Referral.objects.filter(person=person).exists()
    # Recording it without saying what may be shared is refused too; nothing typed is lost.
    inline.get_by_test_id("record-consent").click()
    expect(form.get_by_test_id("inline-consent").locator(".errorlist")).to_have_count(1)
    expect(form.locator("[name=request]")).to_have_value(CALL_REQUEST)
    inline = form.get_by_test_id("inline-consent")
    inline.locator("[name=consent-scope]").fill(CALL_CONSENT)
    inline.locator("select[name=consent-method]").select_option(value="verbal")
    expect(inline.locator("select[name=consent-agency]")).to_have_value(str(care.pk))
    inline.get_by_test_id("record-consent").click()
    expect(form.get_by_test_id("consent-recorded")).to_be_visible()
    consent = Consent.objects.get(person=person)
    expect(form.locator("select[name=consent]")).to_have_value(str(consent.pk))
    expect(form.locator("[name=request]")).to_have_value(CALL_REQUEST)
    expect(form.locator("[name=shared_summary]")).to_have_value(CALL_SUMMARY)
    expect(form.get_by_test_id("inline-consent")).to_have_count(0)
    # htmx swapped the form in place: the page is still the refused referral's.
    assert page.url.endswith(
        reverse("consultation:referral_new", args=[person.case_links.get().case_id])
    )
    form.get_by_test_id("send-referral").click()
    page.wait_for_url(re.compile(r"/consultation/cases/\d+/(#referrals)?$"))
    expect(page.locator("[data-testid=referral][data-status=sent]")).to_have_count(1)
    referral = Referral.objects.get(person=person)
    assert referral.consent == consent and referral.request == CALL_REQUEST
    return referral


def test_a_call_about_a_neighbour_to_a_referral_with_consent_recorded_inline(
    live_server,
    transactional_db,
    browser_page,  # noqa: F811
):
    call_command("load_demo", verbosity=0)
    tenant = Tenant.objects.get(code=CITY)
    care = Agency.objects.get(tenant=tenant, name=CARE_CENTRE)
    page, base = browser_page, live_server.url
    outside, errors = _watch(page, base)

    with _screenshot_on_failure(page):
        call_pk = _desk_records_a_call_about_a_neighbour(page, base)
        person = _person_is_recorded_from_what_the_caller_said(page)
        case = _case_is_opened(page, person)
        assert Consultation.objects.get(pk=call_pk).case_id == case.pk
        referral = _referral_refused_then_consent_recorded_inline_and_sent(page, person, care)
        # The case's timeline tells the story: the call first, then the referral.
        timeline = page.locator("#timeline")
        call = timeline.locator("[data-testid=timeline-entry][data-kind=consultation]")
        expect(call).to_have_count(1)
        expect(call).to_contain_text(NEIGHBOUR_CALL)
        sent = timeline.locator("[data-testid=timeline-entry][data-kind=referral]")
        expect(sent).to_have_count(1)
        expect(sent).to_contain_text(CALL_REQUEST)
        assert referral.case_id == case.pk
        page.screenshot(path=str(ARTIFACTS / "consultation-call-timeline.png"), full_page=True)

    assert errors == []
    assert outside == []
