"""Results: counts and shares, the chart, cross-tabs whose small groups (and the groups that
would give them away) are hidden, free text for staff only, audited reads, the API."""

import pytest

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.core.tenancy import tenant_context
from sasaeai.surveys import selectors
from tests.surveys.conftest import answer, make_survey


@pytest.fixture
def answered(world, staff):
    """young: 6 answers, middle: 5, senior: 2 (a small group)."""
    survey = make_survey(staff)
    for n in range(6):
        answer(survey, age="young", satisfaction="satisfied" if n < 4 else "neutral",
               topics=["care", "child"] if n % 2 else ["care"])  # fmt: skip
    for _n in range(5):
        answer(survey, age="middle", satisfaction="dissatisfied")
    answer(survey, age="senior", satisfaction="satisfied", text='=HYPERLINK("http://x","y")')
    answer(survey, age="senior", satisfaction="somewhat_satisfied")
    return survey


def test_counts_and_shares_per_question(answered):
    with tenant_context(answered.tenant_id):
        results = {r.question.order: r for r in selectors.question_results(answered)}
    satisfaction = {c.key: (c.count, c.percent) for c in results[2].choices}
    assert results[2].respondents == 13
    assert satisfaction["satisfied"] == (5, 38.5)
    assert satisfaction["dissatisfied"] == (5, 38.5)
    assert satisfaction["somewhat_dissatisfied"] == (0, 0.0)
    topics = {c.key: c.count for c in results[3].choices}
    assert results[3].respondents == 6 and topics == {"care": 6, "child": 3, "disaster": 0}


@pytest.mark.parametrize(
    ("totals", "hidden"),
    [
        ({"a": 6, "b": 5, "c": 2}, {"b", "c"}),  # one small group: the next smallest goes too
        ({"a": 9, "b": 3, "c": 4}, {"b", "c"}),  # two small ones together reach 5
        ({"a": 9, "b": 1, "c": 2, "d": 8}, {"b", "c", "d"}),  # 1 + 2 < 5: one more
        ({"a": 6, "b": 5}, set()),
        ({"a": 2, "b": 0}, {"a"}),  # nothing else to hide: the whole table is hidden
        ({"a": 7, "b": 0, "c": 6}, set()),  # an empty group is nobody's data
    ],
)
def test_small_groups_and_their_complements_are_suppressed(totals, hidden):
    assert selectors.suppressed_groups(totals) == hidden


def test_the_crosstab_hides_the_small_group_and_its_complement(answered):
    with tenant_context(answered.tenant_id):
        by = answered.questions.get(order=1)
        table = selectors.crosstab(answered, answered.questions.get(order=2), by)
    rows = {row.key: row for row in table.rows}
    assert rows["young"].total == 6 and rows["young"].cells[0] == (4, 66.7)
    assert rows["middle"].cells is None and rows["middle"].total is None
    assert rows["senior"].cells is None and rows["senior"].total is None
    assert table.suppressed == 2


def test_the_results_page_shows_counts_a_chart_and_the_suppression_note(world, answered):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    page = client.get(f"/surveys/{answered.pk}/results/").content.decode()
    assert "<svg" in page and "38.5%" in page
    assert "=HYPERLINK" in page  # free text, escaped, for staff
    crosstab = client.get(f"/surveys/{answered.pk}/results/?by=1").content.decode()
    assert "5件未満のため非表示" in crosstab
    assert 'data-testid="crosstab-2"' in crosstab
    assert client.get(f"/surveys/{answered.pk}/results/?by=2").status_code == 404  # not a breakdown
    reads = AuditEntry.objects.filter(object_type="surveys.survey", action=Action.READ)
    assert reads.count() == 2


def test_the_committee_sees_results_but_no_free_text(world, answered):
    client = world.client_for(world.user(Role.PLAN_COMMITTEE_MEMBER))
    page = client.get(f"/surveys/{answered.pk}/results/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "HYPERLINK" not in body and "自由記述の回答は職員だけに表示されます。" in body


def test_the_api_gives_the_same_suppressed_crosstab(world, answered):
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    body = client.get(f"/api/v1/surveys/{answered.pk}/results?by=1").json()
    assert body["responses"] == 13
    table = next(t for t in body["crosstabs"] if t["order"] == 2)
    rows = {row["key"]: row for row in table["rows"]}
    assert rows["young"]["counts"][0] == 4
    assert rows["senior"] == {"key": "senior", "label": "60代以上", "suppressed": True,
                              "total": None, "counts": None}  # fmt: skip
    assert rows["middle"]["suppressed"] is True
    assert "HYPERLINK" not in str(body)
    assert client.get(f"/api/v1/surveys/{answered.pk}/results?by=3").status_code == 404


def test_those_who_skip_the_breakdown_question_form_their_own_group(world, staff):
    survey = make_survey(staff)
    survey.questions.filter(order=1).update(required=False)
    for n in range(6):
        answer(survey, age="young", satisfaction="satisfied" if n < 2 else "neutral")
    for n in range(5):
        answer(survey, age="", satisfaction="dissatisfied" if n else "satisfied")
    with tenant_context(survey.tenant_id):
        table = selectors.crosstab(
            survey, survey.questions.get(order=2), survey.questions.get(order=1)
        )
    rows = {row.label: row for row in table.rows}
    assert rows["10〜30代"].cells[0] == (2, 33.3) and rows["10〜30代"].total == 6
    assert rows["無回答"].total == 5
    assert [n for n, _p in rows["無回答"].cells] == [1, 0, 0, 0, 4]
    assert rows["40〜50代"].total == 0 and table.suppressed == 0
