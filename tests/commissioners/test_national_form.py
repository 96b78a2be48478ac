"""Done-when: a commissioner's month, written through the services, gives the national form
whose every cell equals what was counted by hand from the entries listed here, on the page
and in the Excel file."""

import datetime
import io

from openpyxl import load_workbook

from sasaeai.accounts.models import Role
from sasaeai.commissioners import services
from tests.commissioners.conftest import actor_of, last_month, second_commissioner

# The month's entries: (day, kind, field, topic, detail, count).
ENTRIES = [
    (2, "visit", "", "", "watch", 3),
    (2, "consultation", "elderly", "home_welfare", "", 1),
    (5, "consultation", "elderly", "long_term_care", "", 2),
    (5, "visit", "", "", "other", 1),
    (9, "consultation", "children", "child_school", "", 1),
    (9, "liaison", "", "", "commissioners", 2),
    (9, "other_activity", "", "", "council", 1),
    (12, "consultation", "disability", "health", "", 1),
    (12, "consultation", "other", "living_costs", "", 1),
    (12, "visit", "", "", "watch", 2),
    (20, "other_activity", "", "", "survey", 3),
    (20, "liaison", "", "", "agencies", 1),
    (20, "other_activity", "", "", "certificates", 1),
    (25, "consultation", "children", "child_rearing", "", 2),
    (25, "other_activity", "", "", "events", 1),
]
# Counted by hand from ENTRIES and the two recorded visits (day 2: 2, day 15: 1), in the
# national form's order.
EXPECTED = [
    # 分野: 高齢者 3, 障害者 1, 子ども 3, その他 1, 計 8
    3, 1, 3, 1, 8,
    # 内容 1–14: 在宅福祉 1, 介護保険 2, 健康・保健医療 1, 子育て・母子保健 2, 子どもの地域生活 0,
    # 子どもの教育・学校生活 1, 生活費 1, then 0 × 7; 計 8
    1, 2, 1, 2, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 8,
    # その他の活動: 調査 3, 行事 1, 地域福祉 0, 民児協運営 1, 証明 1, 要保護児童 0; 計 6
    3, 1, 0, 1, 1, 0, 6,
    # 訪問: 見守り等 3 + 2 own + 3 recorded = 8, その他 1, 計 9
    8, 1, 9,
    # 連絡調整: 委員相互 2, その他の関係機関 1, 計 3
    2, 1, 3,
    # 活動日数: 2, 5, 9, 12, 20, 25 and 15 (a recorded visit only) = 7
    7,
]  # fmt: skip


def _write_month(world, visit_source):
    actor = world.actor(Role.WELFARE_COMMISSIONER)
    month = last_month()
    for day, kind, field, topic, detail, count in ENTRIES:
        services.entry_create(
            actor=actor, day=month.replace(day=day), kind=kind, field=field, topic=topic,
            detail=detail, count=count,
        )  # fmt: skip
    # Outside the month or someone else's: must not count.
    services.entry_create(actor=actor, day=month - datetime.timedelta(days=1), kind="visit",
                          detail="watch", count=50)  # fmt: skip
    other = second_commissioner(world)
    other_actor = actor_of(other)
    services.entry_create(actor=other_actor, day=month.replace(day=3), kind="consultation",
                          field="elderly", topic="other", count=40)  # fmt: skip
    user_id = actor.user_id
    visit_source[(user_id, month.replace(day=2))] = 2
    visit_source[(user_id, month.replace(day=15))] = 1
    visit_source[(other.user_id, month.replace(day=15))] = 5
    visit_source[(user_id, month - datetime.timedelta(days=3))] = 7
    return month, user_id


def test_the_monthly_form_page_shows_the_hand_counted_cells(world, visit_source):
    month, user_id = _write_month(world, visit_source)
    client = world.client_for(world.user(Role.WELFARE_COMMISSIONER))
    page = client.get(f"/commissioners/forms/{user_id}/{month.year}/{month.month}/")
    assert page.status_code == 200
    values = page.context["sections"]
    cells = [row.value for _section, rows in values for row in rows]
    assert cells == EXPECTED
    html = page.content.decode()
    assert 'data-testid="cell-visit.watch">8<' in html
    assert 'data-testid="cell-days">7<' in html
    assert 'data-testid="cell-field.total">8<' in html
    # Which part came from watch-over records is shown.
    assert "3" in html.split('data-testid="note-visit.watch"')[1].split("</span>")[0]


def test_the_monthly_form_workbook_has_the_hand_counted_cells(world, visit_source):
    month, user_id = _write_month(world, visit_source)
    client = world.client_for(world.user(Role.WELFARE_COMMISSIONER))
    response = client.get(f"/commissioners/forms/{user_id}/{month.year}/{month.month}/form.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [row[2] for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert values == EXPECTED
    labels = [row[1] for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert labels[0] == "高齢者に関すること"
    assert labels[-1] == "活動日数"


def test_the_pdf_is_one_page(world, visit_source):
    month, user_id = _write_month(world, visit_source)
    client = world.client_for(world.user(Role.WELFARE_COMMISSIONER))
    response = client.get(f"/commissioners/forms/{user_id}/{month.year}/{month.month}/form.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response.content.count(b"/Type /Page\n") + response.content.count(b"/Type /Page>") <= 1
    assert b"/Count 1" in response.content
