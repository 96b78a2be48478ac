"""The committee's report (推進委員会資料): a plan's year as PDF and Excel, and plan_report."""

import datetime
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import gettext, override
from openpyxl import load_workbook
from pypdf import PdfReader

from sasaeai.accounts.policy import Actor
from sasaeai.core import pdf
from sasaeai.core.fiscal import fiscal_year_label
from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import demo, planfile, report, selectors, services
from sasaeai.plans.models import Plan
from sasaeai.plans.progress import Status

SEED_DIR = Path(demo.__file__).parent / "seed_plans"
TOKOROZAWA = "tokorozawa-community-welfare-4"
TODAY = datetime.date(2026, 11, 22)
YEAR = 2025
SHEETS = ["概要", "指標", "指標グラフ", "評価", "体系"]
DASHED = re.compile(rb"\[4 3\] 0 d")  # the dashed baseline → target line of an indicator chart


def import_document(tenant, document) -> Plan:
    actor = Actor(
        user_id=None, username="test-report", tenant_id=tenant.pk, membership_id=None, role=None
    )
    with tenant_context(tenant.pk):
        plan = services.plan_import(actor=actor, tenant_id=tenant.pk, document=document)
        demo.add_demo_progress(plan, today=TODAY)
    return plan


def import_seed(tenant, name) -> Plan:
    text = (SEED_DIR / name).read_text(encoding="utf-8")
    return import_document(tenant, planfile.load(text))


def progress_of(plan, year=YEAR):
    with tenant_context(plan.tenant_id):
        return selectors.plan_progress(plan, year)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(data: bytes) -> str:
    return flat("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def content(data: bytes) -> bytes:
    return b"".join(page.get_contents().get_data() for page in PdfReader(io.BytesIO(data)).pages)


def fonts_showing_text(page) -> set[str]:
    """The font resources a page's text-showing operators (Tj, TJ, ', ") are drawn in."""
    current, used = None, set()
    operators = re.compile(rb"(/[^\s/\[\]()<>]+)\s+[\d.]+\s+Tf|[)\]>]\s*(?:Tj|TJ|'|\")")
    for match in operators.finditer(page.get_contents().get_data()):
        if match.group(1):
            current = match.group(1).decode()
        elif current:
            used.add(current)
    return used


@pytest.fixture
def tokorozawa(world):
    return import_seed(world.tenant_b, "tokorozawa-community-welfare-4.yaml")


@pytest.fixture
def ja():
    with override("ja"):
        yield


def test_the_pdf_holds_the_plan_its_indicators_and_the_fiscal_year(tokorozawa, ja):
    progress = progress_of(tokorozawa)
    data = report.report_pdf(progress)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 5
    text = pdf_text(data)
    assert flat(tokorozawa.title) in text
    assert flat(fiscal_year_label(YEAR)) == "令和7年度（2025年度）"
    assert "令和7年度（2025年度）" in text
    assert "民生委員・児童委員の充足率" in text
    assert "障害者週間記念事業来場者数" in text
    # Every indicator's name, the evaluations' texts and the UI words in the active language.
    for indicator in tokorozawa.indicators.all():
        assert flat(indicator.name) in text
    assert "（デモ）参加者・担い手の固定化が見られる。" in text
    for status in Status:
        assert flat(str(status.label)) in text
    for msgid in ("Plan committee report", "Summary", "Plan structure", "demo data"):
        assert flat(gettext(msgid)) in text
    assert reader.metadata.title.startswith(tokorozawa.title)


def test_the_pdf_embeds_ipaex_gothic_and_uses_no_other_font_for_text(tokorozawa, ja):
    data = report.report_pdf(progress_of(tokorozawa))
    reader = PdfReader(io.BytesIO(data))
    embedded, used = set(), set()
    for page in reader.pages:
        fonts = {key: ref.get_object() for key, ref in page["/Resources"]["/Font"].items()}
        for font in fonts.values():
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                embedded.add(str(font["/BaseFont"]))
        used |= {str(fonts[key]["/BaseFont"]) for key in fonts_showing_text(page)}
    assert embedded and all("IPAexGothic" in name for name in embedded)
    assert used and used <= embedded
    assert pdf.font_path().name == "ipaexg.ttf"


def test_the_pdf_draws_bar_charts_and_a_line_chart_per_indicator_with_actuals(tokorozawa, ja):
    progress = progress_of(tokorozawa)
    with_actuals = [ip for ip in progress.indicators if ip.actuals]
    assert 0 < len(with_actuals) < len(progress.indicators)  # one indicator has no baseline
    stream = content(report.report_pdf(progress))
    # Each line chart draws its planned series dashed, and its legend sample.
    assert len(DASHED.findall(stream)) == 2 * len(with_actuals)
    assert b" re" in stream and b" l" in stream  # bars and lines


def test_the_pdf_caps_line_charts_and_says_so(tokorozawa, ja, monkeypatch):
    monkeypatch.setattr(report, "PDF_CHART_LIMIT", 3)
    progress = progress_of(tokorozawa)
    count = sum(1 for ip in progress.indicators if ip.actuals)
    data = report.report_pdf(progress)
    assert len(DASHED.findall(content(data))) == 2 * 3
    note = gettext(
        "Charts are drawn for the first %(limit)s of the %(count)s indicators that have actuals."
    ) % {"limit": 3, "count": count}
    assert flat(note) in pdf_text(data)


def test_the_report_makes_no_query_of_its_own(tokorozawa, ja, django_assert_num_queries):
    progress = progress_of(tokorozawa)
    with django_assert_num_queries(0):
        report.report_pdf(progress)
        report.report_xlsx(progress)


def test_the_workbook_has_its_sheets_rows_and_charts(tokorozawa, ja):
    progress = progress_of(tokorozawa)
    book = load_workbook(io.BytesIO(report.report_xlsx(progress)))
    assert book.sheetnames == SHEETS
    indicators = book["指標"]
    names = [row[2] for row in indicators.iter_rows(min_row=2, values_only=True)]
    assert names == [ip.indicator.name for ip in progress.indicators]
    assert len(names) == tokorozawa.indicators.count() == 47
    assert indicators.freeze_panes == "D2"
    first = next(indicators.iter_rows(min_row=2, max_row=2, values_only=True))
    assert first[7] == 332  # baseline of 障害者週間記念事業来場者数, as a number
    assert book["概要"]._charts
    with_actuals = sum(1 for ip in progress.indicators if ip.actuals)
    assert len(book["指標グラフ"]._charts) == min(with_actuals, report.XLSX_CHART_LIMIT)
    evaluations = book["評価"]
    assert evaluations.max_row - 1 == len(progress.evaluations) > 0
    assert book["体系"].max_row - 1 == tokorozawa.nodes.count()
    summary = [row for row in book["概要"].iter_rows(values_only=True)]
    assert (fiscal_year_label(YEAR),) == summary[2][:1]
    counts = {row[0]: row[1] for row in summary if row[0] and isinstance(row[1], int)}
    for status in Status:
        assert counts[str(status.label)] == sum(
            1 for ip in progress.indicators if ip.assessment.status == status
        )


def test_a_plan_without_indicators_reports_its_evaluations(world, ja):
    plan = import_seed(world.tenant_a, "okegawa-community-welfare-2.yaml")
    progress = progress_of(plan)
    assert not progress.indicators and progress.evaluations
    data = report.report_pdf(progress)
    text = pdf_text(data)
    assert flat(plan.title) in text
    assert flat(gettext("This plan has no indicators.")) in text
    assert "（デモ）関係機関と連携し、周知方法を見直す。" in text
    assert not DASHED.search(content(data))
    book = load_workbook(io.BytesIO(report.report_xlsx(progress)))
    assert book.sheetnames == SHEETS
    assert book["指標"].max_row == 1
    assert not book["指標グラフ"]._charts
    assert book["評価"].max_row - 1 == len(progress.evaluations)


def test_a_year_without_evaluations_still_renders(world, ja):
    plan = import_seed(world.tenant_a, "okegawa-community-welfare-2.yaml")
    progress = progress_of(plan, 2026)
    assert not progress.evaluations
    text = pdf_text(report.report_pdf(progress))
    assert flat(gettext("No evaluations are recorded for this fiscal year.")) in text
    load_workbook(io.BytesIO(report.report_xlsx(progress)))


ODD_INDICATORS = {
    "format": "sasaeai-plan/1",
    "plan": {"code": "odd-indicators", "title": "指標の例外を集めた計画", "kind": "community_welfare_plan",
             "period": {"start": 2024, "end": 2027}},
    "levels": [{"key": "goal", "name": "基本目標"},
               {"key": "action", "name": "取組", "under": "goal", "evaluated": True}],
    "actors": [{"key": "city", "name": "市"}],
    "nodes": [{"level": "goal", "label": "1", "title": "例外の目標", "children": [
        {"level": "action", "label": "①", "title": "例外の取組", "indicators": [
            {"name": "方向のない相談件数", "unit": "件", "direction": "none",
             "baseline": {"fiscal_year": 2023, "value": "1,119"},
             "targets": {"2027": {"unset": True, "reason": "予測が困難であるため", "printed": "―"}}},
            {"name": "基準値のない参加者数", "unit": "人", "direction": "increase",
             "targets": {"2027": 50}, "actuals": {"2024": {"value": 20}, "2025": {"value": 30}}},
            {"name": "目標のない登録数", "unit": "件", "direction": "increase",
             "baseline": {"fiscal_year": 2023, "value": 10}},
            {"name": "減らしたい待機者数", "unit": "人", "direction": "decrease",
             "baseline": {"fiscal_year": 2023, "value": "40（暫定）"}, "targets": {"2027": 20}},
            {"name": "維持したい実施率", "unit": "%", "direction": "maintain",
             "baseline": {"fiscal_year": 2023, "value": 83.5}, "targets": {"2027": 83.5}},
        ]},
    ]}],
}  # fmt: skip


def test_indicators_without_baseline_targets_or_direction_render(world, ja):
    plan = import_document(world.tenant_b, planfile.load(json.dumps(ODD_INDICATORS)))
    progress = progress_of(plan)
    statuses = {ip.indicator.name: ip.assessment.status for ip in progress.indicators}
    assert statuses["方向のない相談件数"] == Status.NOT_ASSESSED
    assert statuses["目標のない登録数"] == Status.NOT_ASSESSED
    data = report.report_pdf(progress)
    text = pdf_text(data)
    for name in statuses:
        assert name in text
    assert "予測が困難であるため" in text
    assert "40（暫定）" in text
    assert DASHED.search(content(data))
    book = load_workbook(io.BytesIO(report.report_xlsx(progress)))
    assert book["指標"].max_row - 1 == 5
    assert book["指標グラフ"]._charts


def test_plan_report_writes_pdf_and_excel(tokorozawa, tmp_path):
    pdf, xlsx = tmp_path / "report.pdf", tmp_path / "report.xlsx"
    quiet = {"stdout": io.StringIO()}
    call_command(
        "plan_report", TOKOROZAWA, tenant="所沢市", year=2025, format="pdf", output=pdf, **quiet
    )
    call_command("plan_report", TOKOROZAWA, tenant="112089", year=2025, output=xlsx, **quiet)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = pdf_text(pdf.read_bytes())
    assert "令和7年度（2025年度）" in text and "民生委員・児童委員の充足率" in text
    book = load_workbook(xlsx)  # the format follows the file's extension
    assert book.sheetnames == SHEETS
    assert book["指標"].max_row - 1 == 47


def test_plan_report_defaults_to_the_plans_current_year(tokorozawa, tmp_path):
    output = tmp_path / "report.pdf"
    call_command(
        "plan_report", TOKOROZAWA, "--tenant", "所沢市", "-o", str(output), stdout=io.StringIO()
    )
    year = selectors.current_plan_year(tokorozawa)
    with override("ja"):
        assert flat(fiscal_year_label(year)) in pdf_text(output.read_bytes())


def test_plan_report_refuses_an_unknown_plan_or_a_year_outside_the_period(tokorozawa, tmp_path):
    output = tmp_path / "report.pdf"
    with pytest.raises(CommandError):
        call_command("plan_report", "no-such-plan", "--tenant", "所沢市", "-o", str(output))
    with pytest.raises(CommandError):
        call_command(
            "plan_report", TOKOROZAWA, "--tenant", "所沢市", "--year", "2030", "-o", str(output)
        )
    with pytest.raises(CommandError):  # the plan belongs to another tenant
        call_command("plan_report", TOKOROZAWA, "--tenant", "桶川市", "-o", str(output))
    assert not output.exists()
