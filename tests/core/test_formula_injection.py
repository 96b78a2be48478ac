"""Spreadsheet formula injection: text typed as a formula leaves every export as text.

Each export is downloaded through its real URL or command with records whose names and
titles are formulas, and then read the way a spreadsheet would: no Excel cell may be a
formula (and each formula-like text cell carries Excel's quote prefix), and no CSV field may
start with = + - @ (or tab, CR, full-width ＝＋－＠) unless it is a plain number.
"""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from sasaeai.accounts.models import Role
from sasaeai.consultation import services as consultation_services
from sasaeai.core import services as core_services
from sasaeai.core.csvio import read_csv, write_csv
from sasaeai.core.models import AreaKind
from sasaeai.core.spreadsheet import (
    FORMULA_STARTS,
    csv_cell,
    csv_uncell,
    looks_like_formula,
    workbook_bytes,
)
from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import planfile, workbook
from sasaeai.plans import services as plan_services
from tests.conftest import SYSTEM
from tests.consultation.factories import actor_of, admin_actor_in, make_person
from tests.jobs.helpers import report_bytes
from tests.resources.factories import make_service

LINK = '=HYPERLINK("http://x","y")'
PLUS = "+1+1"
MINUS = "-2+3"
AT = "@SUM(A1)"
WIDE = "＝1+1"
PAYLOADS = (LINK, PLUS, MINUS, AT, WIDE)


# ---- how a spreadsheet reads the files -------------------------------------------------------


def xlsx_text_cells(data: bytes) -> list:
    """Every cell of the workbook; asserts that none is a formula and that each formula-like
    text cell is marked as text for Excel."""
    book = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    formulas = [(c.parent.title, c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert not formulas, formulas
    unmarked = [
        (c.parent.title, c.coordinate, c.value)
        for c in cells
        if isinstance(c.value, str) and looks_like_formula(c.value) and not c.quotePrefix
    ]
    assert not unmarked, unmarked
    return [c.value for c in cells if isinstance(c.value, str)]


def assert_xlsx_safe(data: bytes, *expected: str) -> None:
    values = xlsx_text_cells(data)
    for payload in expected:
        assert any(payload in value for value in values), payload  # shown as typed


def csv_fields(data: bytes, encoding: str = "utf-8-sig") -> list[str]:
    text = data.decode(encoding)
    return [field for row in csv.reader(io.StringIO(text, newline="")) for field in row]


def assert_csv_safe(data: bytes, *expected: str, encoding: str = "utf-8-sig") -> None:
    fields = csv_fields(data, encoding)
    live = [f for f in fields if f[:1] in FORMULA_STARTS and not is_number(f)]
    assert not live, live
    for payload in expected:
        assert "'" + payload in fields, payload


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---- the helper ------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [*PAYLOADS, "\t=1+1", "\r=1+1", "＋1", "－1", "＠A1"])
def test_formula_like_text_gets_a_quote_in_csv(payload):
    assert csv_cell(payload) == "'" + payload
    assert csv_uncell("'" + payload) == payload


@pytest.mark.parametrize(
    "value", [-2, -2.5, 0, "-2", "+3.5", "-1e5", "桶川市", "", "'quoted", None]
)
def test_numbers_and_plain_text_are_written_as_they_are(value):
    assert csv_cell(value) == value


def test_numbers_stay_numbers_and_text_stays_text_in_excel():
    book = Workbook()
    book.active.append([-2, 3.5, "-2", LINK, PLUS, "桶川市"])
    book2 = load_workbook(io.BytesIO(workbook_bytes(book)))
    a, b, c, d, e, f = next(book2.active.iter_rows())
    assert (a.value, a.data_type) == (-2, "n") and (b.value, b.data_type) == (3.5, "n")
    assert (c.value, c.quotePrefix) == ("-2", False)
    assert (d.value, d.data_type, d.quotePrefix) == (LINK, "s", True)
    assert (e.value, e.data_type, e.quotePrefix) == (PLUS, "s", True)
    assert (f.value, f.quotePrefix) == ("桶川市", False)


@given(st.text(alphabet=st.sampled_from(list("'=+-@\t\r＝－0123.eA ,\"")), max_size=8))
def test_a_csv_round_trip_through_our_own_reader_changes_nothing(text):
    rows, _encoding = read_csv(write_csv(["名称"], [[text]]))
    assert rows == [{"名称": text}]


def test_text_that_already_starts_with_a_quote_survives_the_round_trip():
    for text in ("'=1", "''+2", "'abc", "'-2", "'"):
        assert csv_uncell(csv_cell(text)) == text


# ---- every export ----------------------------------------------------------------------------


def test_disclosure_export_writes_names_and_titles_as_text(world):
    csw = actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    person = make_person(csw, name=LINK, note=AT)
    consultation = consultation_services.consultation_record(
        actor=csw,
        data=consultation_services.ConsultationInput(
            channel="phone", description=MINUS, person_id=person.pk, caller_name=WIDE
        ),
    )
    consultation_services.consultation_take_in(actor=csw, consultation=consultation, title=PLUS)
    # The export follows the case's row rules: the exporting supervisor supervises the worker.
    consultation_services.supervision_set(
        actor=admin_actor_in(csw),
        supervisor_id=world.user(Role.WELFARE_COUNCIL_STAFF).pk,
        worker_ids=[csw.user_id],
    )
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    response = client.get(reverse("consultation:disclosure_export", args=[person.pk]))
    assert response.status_code == 200
    assert_xlsx_safe(response.content, LINK, PLUS, MINUS, AT, WIDE)


@pytest.fixture
def formula_districts(world):
    for name in (LINK, MINUS):
        core_services.area_create(
            actor=SYSTEM, tenant_id=world.tenant_a.pk, kind=AreaKind.DISTRICT, name=name
        )


def test_statistics_csv_writes_district_names_as_text(world, formula_districts):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    whole = client.get(reverse("consultation:statistics_csv"))
    one = client.get(reverse("consultation:statistics_csv"), {"table": "districts"})
    assert whole.status_code == one.status_code == 200
    assert_csv_safe(whole.content, LINK, MINUS)
    assert_csv_safe(one.content, LINK, MINUS)


def test_statistics_workbook_writes_district_names_as_text(world, formula_districts):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.get(reverse("consultation:statistics_xlsx"))
    assert response.status_code == 200
    assert_xlsx_safe(response.content, LINK, MINUS)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_audit_csv_writes_user_names_and_records_as_text(world, encoding):
    staff = world.add_member(world.tenant_a, PLUS, Role.MUNICIPAL_STAFF)
    person = make_person(actor_of(world, Role.MUNICIPAL_STAFF), name=LINK)
    world.client_for(staff.user).get(reverse("consultation:person_detail", args=[person.pk]))
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    response = admin.get("/audit/export.csv", {"encoding": "cp932" if encoding == "cp932" else ""})
    assert response.status_code == 200
    assert_csv_safe(response.content, PLUS, encoding=encoding)


def test_open_data_csv_writes_place_names_as_text(world):
    make_service(world.tenant_a, LINK, description=AT, organization_name=MINUS)
    response = world.client_for(world.user(Role.RESIDENT)).get(
        f"/api/v1/resources/{world.tenant_a.code}/export/places.csv"
    )
    assert response.status_code == 200
    assert_csv_safe(response.content, LINK, AT, MINUS)


FORMULA_PLAN = {
    "format": "sasaeai-plan/1",
    "plan": {"code": "formula-plan", "title": LINK, "kind": "community_welfare_plan",
             "period": {"start": 2024, "end": 2027}},
    "levels": [{"key": "goal", "name": "基本目標"},
               {"key": "action", "name": "取組", "under": "goal", "evaluated": True}],
    "actors": [{"key": "city", "name": AT}],
    "nodes": [{"level": "goal", "label": "1", "title": PLUS, "children": [
        {"level": "action", "label": "①", "title": MINUS, "roles": {"city": [AT]}, "indicators": [
            {"name": WIDE, "unit": "件", "direction": "increase",
             "baseline": {"fiscal_year": 2023, "value": 10}, "targets": {"2027": 20},
             "actuals": {"2024": {"value": -2}, "2025": {"value": 12}}},
        ]},
    ]}],
}  # fmt: skip


@pytest.fixture
def formula_plan(world):
    document = planfile.load(json.dumps(FORMULA_PLAN))
    with tenant_context(world.tenant_a.pk):
        return plan_services.plan_import(
            actor=SYSTEM, tenant_id=world.tenant_a.pk, document=document
        )


def test_plan_report_workbook_writes_titles_as_text(world, formula_plan):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    content = report_bytes(client, formula_plan, "xlsx", 2025)
    assert_xlsx_safe(content, PLUS, MINUS, WIDE)


def test_plan_workbook_writes_titles_as_text_and_reads_them_back_as_typed(world, formula_plan):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.get(f"/plans/{formula_plan.pk}/export.xlsx")
    assert response.status_code == 200
    assert_xlsx_safe(response.content, LINK, PLUS, MINUS, AT, WIDE)
    document, _locate = workbook.read_workbook(response.content)
    assert document["plan"]["title"] == LINK
    goal = document["nodes"][0]
    assert (goal["title"], goal["children"][0]["title"]) == (PLUS, MINUS)
    assert goal["children"][0]["indicators"][0]["name"] == WIDE


def test_plan_commands_write_workbooks_with_titles_as_text(world, formula_plan, tmp_path):
    quiet = {"stdout": io.StringIO()}
    report, plan = tmp_path / "report.xlsx", tmp_path / "plan.xlsx"
    code, tenant = formula_plan.code, world.tenant_a.code
    call_command("plan_report", code, tenant=tenant, year=2025, output=report, **quiet)
    call_command("export_plan", code, tenant=tenant, format="xlsx", output=plan, **quiet)
    assert_xlsx_safe(report.read_bytes(), PLUS, MINUS, WIDE)
    assert_xlsx_safe(plan.read_bytes(), LINK, PLUS, MINUS, AT, WIDE)


# ---- a new writer cannot bypass the helper ---------------------------------------------------

PACKAGE = Path(__file__).resolve().parents[2] / "sasaeai"
# Generated sample data for benchmarks and tests: no user's text ever reaches it.
CSV_WRITERS_WITHOUT_USER_TEXT = {"resources/opendata_sample.py"}


def source_files():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path.relative_to(PACKAGE).as_posix(), path.read_text(encoding="utf-8")


def test_every_workbook_and_csv_writer_goes_through_the_helper():
    for name, text in source_files():
        if "Workbook()" in text:
            assert "protect_workbook(" in text or "workbook_bytes(" in text, name
        if re.search(r"csv\.(writer|DictWriter)\(", text) and name != "core/csvio.py":
            assert name in CSV_WRITERS_WITHOUT_USER_TEXT, name
