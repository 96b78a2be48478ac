"""Issue 14's "done when", in a real browser, in 所沢市: municipal staff import a 名簿 extract
(CP932) with a new person in the demo commissioner's district, see the difference and apply it;
record the person's consent; write their 個別避難計画 (a supporter, a welfare shelter, agreed)
and print it. The system admin declares a disaster for the district naming the demo 自主防災会;
the commissioner, on a phone, marks the new person 無事 and a person who refused consent 要支援;
the progress page shows the district's counts on an SVG map; the admin ends the disaster and the
refusing person vanishes from the commissioner's view; the report lists who saw what.

Each user works in their own browser context (the phone is 390×844), so each passes two-factor
once. Elements are found by data-testid, form field names and URLs, not by the pages' wording;
every step is also checked in the database. No request leaves the machine.
"""

import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from sasaeai.audit.models import AuditEntry
from sasaeai.core.csvio import write_csv
from sasaeai.core.demo import DEMO_PASSWORD
from sasaeai.core.models import Area, AreaKind
from sasaeai.disaster.models import (
    ConsentRecord,
    ConsentStatus,
    Declaration,
    DestinationKind,
    EntryStatus,
    EvacuationPlan,
    HelperOrganisation,
    ImportStatus,
    OrganisationKind,
    PlanStatus,
    RegisterEntry,
    RegisterImport,
    SafetyState,
    SafetyStatus,
    WelfareShelter,
)
from tests.e2e.test_smoke import ARTIFACTS, browser_page, code_for  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e

CITY = "112089"  # 所沢市
KEY = "E2E0000001"  # 宛名番号 of the new person
NAME = "試験 ヨネ"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"disaster-{name}.png"), full_page=True)


class Session:
    """One user in their own browser context: signed in once, requests watched."""

    def __init__(self, browser, base: str, username: str, outside: list, errors: list, **options):
        self.base, self.username = base, username
        self.context = browser.new_context(locale="ja-JP", **options)
        self.context.on(
            "request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None
        )
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: errors.append(str(error)))
        self._sign_in()

    def _sign_in(self) -> None:
        page, base = self.page, self.base
        page.goto(f"{base}/accounts/login/")
        page.locator("input[name=username]").fill(self.username)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(rf"^{re.escape(base)}/(accounts/two-factor/.*)?$"))
        if "/two-factor/" in page.url:
            page.locator("input[name=token]").fill(code_for(self.username))
            page.locator("main button[type=submit]").click()
            page.wait_for_url(f"{base}/")

    def open(self, path: str) -> int:
        return self.page.goto(f"{self.base}{path}").status

    def submit(self, button) -> None:
        """Click a submit button and wait for the page the server answers with."""
        with self.page.expect_navigation():
            button.click()


def _extract() -> bytes:
    """A 介護 extract as the city's system writes it (住基 items + 要介護度), in CP932: one new
    person in 並木地区 (the demo commissioner's district) and one demo person unchanged."""
    known = RegisterEntry.objects.filter(tenant__code=CITY).order_by("pk").first()
    header = ["宛名番号", "氏名", "氏名カナ", "生年月日", "性別", "郵便番号", "住所", "電話番号",
              "要介護度"]  # fmt: skip
    rows = [
        [KEY, NAME, "しけん よね", "1936-04-12", "女", "359-0042", "所沢市並木3-1-5",
         "04-2999-0001", "要介護4"],
        [known.resident_key, known.name, known.name_kana, known.birth_date.isoformat(), known.sex,
         known.postal_code, known.address, known.phone, "要介護3"],
    ]  # fmt: skip
    data = write_csv(header, rows, encoding="cp932")
    assert NAME.encode("cp932") in data  # really CP932, not UTF-8
    return data


def _import_extract(staff: Session, district: Area) -> RegisterEntry:
    page = staff.page
    assert staff.open("/disaster/register/imports/") == 200
    form = page.locator("main form[enctype='multipart/form-data']")
    form.locator("select[name=kind]").select_option("care")
    form.locator("input[name=file]").set_input_files(
        {"name": "介護抽出.csv", "mimeType": "text/csv", "buffer": _extract()}
    )
    staff.submit(form.locator("button[type=submit]"))
    assert re.search(r"/disaster/register/imports/\d+/$", page.url), page.url
    expect(page.get_by_test_id("count-new")).to_have_text("1")
    expect(page.get_by_test_id("count-unchanged")).to_have_text("1")
    expect(page.locator("main")).to_contain_text(KEY)
    assert not RegisterEntry.objects.filter(resident_key=KEY).exists()  # nothing before applying
    _shot(page, "1-import-preview")
    staff.submit(page.get_by_test_id("import-apply"))
    expect(page.get_by_test_id("import-apply")).to_have_count(0)
    assert RegisterImport.objects.get(tenant__code=CITY, file_name="介護抽出.csv").status == (
        ImportStatus.APPLIED
    )
    entry = RegisterEntry.objects.get(tenant__code=CITY, resident_key=KEY)
    assert (entry.name, entry.area_id, entry.status) == (NAME, district.pk, EntryStatus.LISTED)
    assert entry.consent_status == ConsentStatus.NOT_ASKED
    return entry


def _record_consent(staff: Session, entry: RegisterEntry) -> None:
    page = staff.page
    assert staff.open(f"/disaster/register/{entry.pk}/") == 200
    form = page.locator("form.consent-form")
    form.locator("select[name=event]").select_option("given")
    form.locator("input[name=on]").fill(timezone.localdate().isoformat())
    form.locator("input[name=method]").fill("同意書")
    staff.submit(form.locator("button[type=submit]:not([name])"))
    assert page.url.endswith(f"/disaster/register/{entry.pk}/")
    entry.refresh_from_db()
    assert entry.consent_status == ConsentStatus.GIVEN
    record = ConsentRecord.objects.get(entry=entry)
    assert (record.event, record.recorded_by.username) == ("given", staff.username)


def _write_plan(staff: Session, entry: RegisterEntry, shelter: WelfareShelter) -> EvacuationPlan:
    page = staff.page
    assert staff.open(f"/disaster/plans/new/?q={KEY}") == 200
    start = page.locator(f"form:has(input[name=entry][value='{entry.pk}'])")
    staff.submit(start.locator("button[type=submit]"))
    plan = EvacuationPlan.objects.get(entry=entry)
    assert page.url.endswith(f"/disaster/plans/{plan.pk}/")

    supporter = page.get_by_test_id("supporter-form")
    supporter.locator("[name=name]").fill("近所 太郎")
    supporter.locator("[name=phone]").fill("090-0000-1111")
    supporter.locator("[name=address]").fill("所沢市並木3-1-7")
    supporter.locator("[name=relation]").fill("隣人")
    staff.submit(supporter.locator("button[type=submit]"))
    expect(page.get_by_test_id("supporter-row")).to_have_count(1)

    form = page.get_by_test_id("plan-form")
    form.locator("select[name=status]").select_option("agreed")
    form.locator("input[name=consent_on]").fill(timezone.localdate().isoformat())
    form.locator("select[name=destination_kind]").select_option("welfare_shelter")
    form.locator("select[name=shelter_id]").select_option(str(shelter.pk))
    form.locator("[name=route]").fill("自宅から車いすで並木通りを南へ")
    form.locator("[name=mobility]").fill("車いす")
    staff.submit(form.locator("button[type=submit]"))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.AGREED
    assert (plan.destination_kind, plan.shelter_id) == (DestinationKind.WELFARE_SHELTER, shelter.pk)
    assert list(plan.supporters.values_list("name", flat=True)) == ["近所 太郎"]
    _shot(page, "3-plan")

    href = page.get_by_test_id("plan-print").get_attribute("href")
    assert href == f"/disaster/plans/{plan.pk}/plan.pdf"
    pdf = page.request.get(f"{staff.base}{href}")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    return plan


def _declare(admin: Session, district: Area, recipient: HelperOrganisation) -> Declaration:
    page = admin.page
    assert admin.open("/disaster/emergency/") == 200
    admin.submit(page.get_by_test_id("declare"))
    form = page.locator("main form.emergency-form")
    form.locator("[name=reason]").fill("E2E 大雨による浸水（訓練）")
    form.locator(f"input[name=areas][value='{district.pk}']").check()
    form.locator(f"input[name=recipients][value='{recipient.pk}']").check()
    expect(form.locator("input[name=includes_commissioners]")).to_be_checked()
    admin.submit(form.locator("button[type=submit]"))
    declaration = Declaration.objects.get(tenant__code=CITY, ended_at__isnull=True)
    assert page.url.endswith(f"/disaster/emergency/{declaration.pk}/")
    assert list(declaration.areas.all()) == [district]
    assert list(declaration.recipients.all()) == [recipient]
    assert declaration.declared_by.username == admin.username
    assert declaration.includes_commissioners
    return declaration


def _mark(phone: Session, declaration: Declaration, entry: RegisterEntry, state: str) -> None:
    page = phone.page
    assert phone.open(f"/disaster/emergency/{declaration.pk}/safety/") == 200
    link = page.locator(f"a[href='/disaster/emergency/{declaration.pk}/safety/{entry.pk}/']")
    phone.submit(link)
    page.locator(f"input[name=state][value={state}]").check()
    button = page.get_by_test_id("mark")
    assert button.bounding_box()["height"] >= 40  # a thumb can hit it
    _shot(page, f"5-mark-{state}")
    phone.submit(button)
    assert page.url.endswith(f"/disaster/emergency/{declaration.pk}/safety/")
    status = SafetyStatus.objects.get(declaration=declaration, entry=entry)
    assert (status.state, status.latest_check.marked_by.username) == (state, phone.username)


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def _check_safety_on_phone(phone, declaration, entry, refusing) -> None:
    page = phone.page
    assert phone.open(f"/disaster/emergency/{declaration.pk}/safety/") == 200
    rows = page.get_by_test_id("safety-row")
    listed = RegisterEntry.objects.filter(
        tenant__code=CITY, area__in=declaration.covered_areas.all(), status=EntryStatus.LISTED
    ).count()
    expect(rows).to_have_count(listed)  # during the declaration: everyone, consent or not
    _no_sideways_scroll(page)
    _shot(page, "5-safety-list")
    _mark(phone, declaration, entry, SafetyState.SAFE)
    _no_sideways_scroll(page)
    _mark(phone, declaration, refusing, SafetyState.NEEDS_HELP)
    # Marked people go below the unmarked; needing help stays above the safe.
    hrefs = page.locator("[data-testid=safety-row] a.safety-name").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    prefix = f"/disaster/emergency/{declaration.pk}/safety/"
    assert hrefs.index(f"{prefix}{refusing.pk}/") < hrefs.index(f"{prefix}{entry.pk}/")
    assert hrefs[-1] == f"{prefix}{entry.pk}/"


def _progress(admin: Session, declaration: Declaration, district: Area) -> None:
    page = admin.page
    assert admin.open(f"/disaster/emergency/{declaration.pk}/progress/") == 200
    rows = page.get_by_test_id("progress-row")
    expect(rows).to_have_count(1)
    listed = RegisterEntry.objects.filter(
        tenant__code=CITY, area__in=declaration.covered_areas.all(), status=EntryStatus.LISTED
    ).count()
    states = SafetyStatus.objects.filter(declaration=declaration)
    assert sorted(states.values_list("state", flat=True)) == ["needs_help", "safe"]
    # Area, listed, then one column per state (unknown, safe, needs help, evacuated), % done.
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[:6] == [district.name, str(listed), str(listed - 2), "1", "1", ""]
    assert float(cells[6]) == round(100 * 2 / listed, 1)
    svg = page.locator("main svg.progress-map")
    expect(svg).to_have_count(1)
    expect(svg.locator("path[data-area]")).to_have_count(1)
    expect(svg.locator(f"path[data-area='{district.pk}']")).to_have_attribute("d", re.compile("M"))
    assert svg.locator("image").count() == 0  # drawn, not tiles
    _shot(page, "6-progress")


def _end(admin: Session, declaration: Declaration) -> None:
    page = admin.page
    assert admin.open(f"/disaster/emergency/{declaration.pk}/") == 200
    page.locator("main form.emergency-form [name=note]").fill("E2E 訓練終了")
    admin.submit(page.get_by_test_id("end"))
    expect(page.get_by_test_id("end")).to_have_count(0)
    declaration.refresh_from_db()
    assert declaration.ended_at is not None
    assert declaration.ended_by.username == admin.username


def _report(viewer: Session, declaration, commissioner: str, entries, labels) -> None:
    page = viewer.page
    assert viewer.open(f"/disaster/emergency/{declaration.pk}/report/") == 200
    row = page.get_by_test_id("viewer-row").filter(
        has=page.locator("td", has_text=re.compile(rf"^{re.escape(commissioner)}$"))
    )
    expect(row).to_have_count(1)
    for label in labels:
        expect(row).to_contain_text(label)
    _shot(page, f"8-report-{viewer.username}")
    seen = AuditEntry.objects.filter(
        actor_username=commissioner, subject_type="disaster.registerentry",
        occurred_at__gte=declaration.declared_at, occurred_at__lte=declaration.ended_at,
    )  # fmt: skip
    assert {e.pk for e in entries} <= {int(s) for s in seen.values_list("subject_id", flat=True)}


def test_register_to_safety_checks_to_the_report_of_who_saw_what(
    live_server,
    transactional_db,
    browser_page,  # noqa: F811
):
    call_command("load_demo", verbosity=0)
    base, browser = live_server.url, browser_page.context.browser
    outside, errors = [], []
    district = Area.objects.get(tenant__code=CITY, kind=AreaKind.DISTRICT, code="D01")
    refusing = (
        RegisterEntry.objects.filter(
            tenant__code=CITY,
            area=district,
            status=EntryStatus.LISTED,
            consent_status__in=[ConsentStatus.REFUSED, ConsentStatus.NOT_ASKED],
        )  # fmt: skip
        .order_by("pk")
        .first()
    )
    assert refusing is not None, "the demo has a person in 並木地区 who did not consent"
    recipient = HelperOrganisation.objects.get(
        tenant__code=CITY, kind=OrganisationKind.DISASTER_ORGANISATION
    )
    shelter = WelfareShelter.objects.filter(
        tenant__code=CITY, accepts_direct=True, is_active=True
    ).first()

    staff = Session(browser, base, "tokorozawa-city", outside, errors)
    phone = Session(browser, base, "tokorozawa-commissioner", outside, errors, **PHONE)
    admin = Session(browser, base, "tokorozawa-admin", outside, errors)

    # 1. the 名簿 import, 2. consent: the commissioner sees the person only once they consent.
    entry = _import_extract(staff, district)
    assert phone.open(f"/disaster/register/{entry.pk}/") == 404
    _record_consent(staff, entry)
    assert phone.open(f"/disaster/register/{entry.pk}/") == 200
    # 3. the plan, with its one-page PDF.
    _write_plan(staff, entry, shelter)

    # 4. disaster declared: the refusing person becomes visible to the district's commissioner.
    assert phone.open(f"/disaster/register/{refusing.pk}/") == 404
    declaration = _declare(admin, district, recipient)
    assert phone.open(f"/disaster/register/?area={district.pk}") == 200
    expect(phone.page.locator(f"a[href='/disaster/register/{refusing.pk}/']")).to_have_count(1)
    assert phone.open(f"/disaster/register/{refusing.pk}/") == 200
    _shot(phone.page, "4-refusing-entry-during-declaration")

    # 5. 安否確認 on the phone, 6. progress per area on the SVG map.
    _check_safety_on_phone(phone, declaration, entry, refusing)
    _progress(admin, declaration, district)

    # 7. ended: the refusing person vanishes from the commissioner, the consenting one stays.
    _end(admin, declaration)
    assert phone.open(f"/disaster/register/{refusing.pk}/") == 404
    assert phone.open(f"/disaster/register/{entry.pk}/") == 200
    assert phone.open(f"/disaster/register/?area={district.pk}") == 200
    expect(phone.page.locator(f"a[href='/disaster/register/{entry.pk}/']")).to_have_count(1)
    expect(phone.page.locator(f"a[href='/disaster/register/{refusing.pk}/']")).to_have_count(0)

    # 8. who saw what: the admin sees entry numbers only, municipal staff see names.
    commissioner = phone.username
    _report(admin, declaration, commissioner, [entry, refusing], [KEY, refusing.resident_key])
    _report(staff, declaration, commissioner, [entry, refusing], [NAME, refusing.name])
    expect(admin.page.locator("main")).not_to_contain_text(refusing.name)

    assert errors == []
    assert outside == []
