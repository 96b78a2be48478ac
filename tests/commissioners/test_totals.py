"""The 定例会's district totals and the fiscal year's 福祉行政報告例 figures, with their files."""

import csv
import io

from openpyxl import load_workbook

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.commissioners import services
from sasaeai.core import metrics
from sasaeai.core.fiscal import fiscal_year_of
from tests.commissioners.conftest import last_month, second_commissioner


def _scene(world, visit_source):
    """Commissioner 1 (桶川地区): 2 consultations, 3 own visits + 4 recorded; commissioner 2
    (加納地区): 1 consultation, 5 own visits."""
    month = last_month()
    office = world.actor(Role.WELFARE_COUNCIL_STAFF)
    first = world.user(Role.WELFARE_COMMISSIONER).pk
    second = second_commissioner(world).user_id
    for user, kind, extra, count, day in (
        (first, "consultation", {"field": "elderly", "topic": "health"}, 2, 1),
        (first, "visit", {"detail": "watch"}, 3, 2),
        (second, "consultation", {"field": "children", "topic": "child_school"}, 1, 3),
        (second, "visit", {"detail": "other"}, 5, 3),
    ):
        services.entry_create(actor=office, commissioner_id=user, day=month.replace(day=day),
                              kind=kind, count=count, **extra)  # fmt: skip
    visit_source[(first, month.replace(day=4))] = 4
    return month, first, second


def test_district_totals_sum_each_districts_commissioners(world, visit_source):
    month, _first, _second = _scene(world, visit_source)
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    page = client.get(f"/commissioners/districts/{month.year}/{month.month}/")
    assert page.status_code == 200
    rows = {row.area.name: row for row in page.context["districts"]}
    assert rows["桶川地区"].figures.consultations == 2
    assert rows["桶川地区"].figures.visits == 7
    assert rows["桶川地区"].figures.activity_days == 3  # days 1, 2 and 4 (recorded)
    assert rows["加納地区"].figures.consultations == 1
    assert rows["加納地区"].figures.visits == 5
    assert 'data-testid="total-visit.total">12<' in page.content.decode()
    book = client.get(f"/commissioners/districts/{month.year}/{month.month}/totals.xlsx")
    sheet = load_workbook(io.BytesIO(book.content)).active
    header = [c for c in next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))]
    assert header[2:] == ["桶川地区", "加納地区", "合計"]
    visits_total = [r for r in sheet.iter_rows(min_row=3, values_only=True)
                    if r[0] == "訪問回数" and r[1] == "合計"][0]  # fmt: skip
    assert list(visits_total[2:]) == [7, 5, 12]


def test_fiscal_year_totals_in_excel_csv_and_metrics(world, visit_source):
    month, _first, _second = _scene(world, visit_source)
    year = fiscal_year_of(month)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.get(f"/commissioners/fiscal/{year}/totals.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = {row[1]: int(row[4]) for row in rows[1:]}
    assert cells["field.total"] == 3
    assert cells["field.elderly"] == 2 and cells["field.children"] == 1
    assert cells["visit.watch"] == 7 and cells["visit.other"] == 5
    assert cells["days"] == 4  # 3 days of the first, 1 of the second
    sjis = client.get(f"/commissioners/fiscal/{year}/totals.csv?encoding=cp932")
    assert "活動日数" in sjis.content.decode("cp932")
    book = load_workbook(
        io.BytesIO(client.get(f"/commissioners/fiscal/{year}/totals.xlsx").content)
    )
    cross = book.worksheets[1]
    by_content = {r[0]: r for r in cross.iter_rows(min_row=2, values_only=True)}
    assert by_content["健康・保健医療"][1] == 2  # 高齢者 × 健康・保健医療
    assert by_content["子どもの教育・学校生活"][3] == 1
    assert metrics.get("commissioners.visits").compute(world.tenant_a.pk, year) == 12
    assert metrics.get("commissioners.consultations").compute(world.tenant_a.pk, year) == 3
    assert metrics.get("commissioners.visits").compute(world.tenant_b.pk, year) == 0
    assert AuditEntry.objects.filter(object_type="commissioners.fiscal_year",
                                     action="export").count() == 3  # fmt: skip
