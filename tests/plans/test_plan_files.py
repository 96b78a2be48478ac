"""Plan files (docs/plan-format.md): values, the four seed plans, round trips through YAML and
Excel, a plan written from the documentation alone, and every problem reported with its place."""

import datetime
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import override
from openpyxl import load_workbook

from sasaeai.accounts.policy import Actor
from sasaeai.core import metrics
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import demo, planfile, selectors, services, workbook
from sasaeai.plans.models import (
    Evaluation,
    Indicator,
    IndicatorActual,
    IndicatorTarget,
    Plan,
    PlanNode,
    RoleStatement,
)
from sasaeai.plans.planfile import PlanFileError, parse_value

ROOT = Path(__file__).resolve().parents[2]
SEED_DIR = ROOT / "sasaeai" / "plans" / "seed_plans"
DOC = ROOT / "docs" / "plan-format.md"
SEEDS = [
    "okegawa-community-welfare-2.yaml",
    "okegawa-council-activity-6.yaml",
    "tokorozawa-community-welfare-4.yaml",
    "konosu-joint-4.yaml",
]
PLACE = re.compile(r"^(?:line (\d+)|(\d+)行目)$")


def importer(tenant) -> Actor:
    return Actor(
        user_id=None, username="test-importer", tenant_id=tenant.pk, membership_id=None, role=None
    )


def import_document(tenant, document, *, replace=False) -> Plan:
    with tenant_context(tenant.pk):
        return services.plan_import(
            actor=importer(tenant), tenant_id=tenant.pk, document=document, replace=replace
        )


def import_seed(tenant, name) -> Plan:
    return import_document(tenant, planfile.load((SEED_DIR / name).read_text(encoding="utf-8")))


def export(plan) -> dict:
    with tenant_context(plan.tenant_id):
        return selectors.plan_document(plan)


def line_of(problem) -> int | None:
    match = PLACE.match(problem.place)
    if not match:
        return None
    return int(match.group(1) or match.group(2))


def marked_line(text: str, marker: str) -> int:
    """The 1-based line of the only line holding `# <marker>`."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if f"# {marker}" in line]
    assert len(found) == 1, marker
    return found[0]


def minimal_plan_yaml() -> str:
    """The first ```yaml block under "## A minimal plan" in docs/plan-format.md."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## A minimal plan", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match, "docs/plan-format.md has no yaml block under 'A minimal plan'"
    return match.group(1)


@pytest.fixture
def konosu(db):
    return Tenant.objects.create(code="112178", name="鴻巣市", prefecture="埼玉県")


# --- values -----------------------------------------------------------------------------


def test_a_value_with_an_annotation_keeps_number_annotation_and_printed_text():
    value = parse_value("83.0（39/47校）")
    assert value.number == Decimal("83.0")
    assert value.annotation == "39/47校"
    assert value.text == "83.0（39/47校）"


def test_a_count_with_a_bracketed_note_reads_as_its_number():
    value = parse_value("31（267点）")
    assert value.number == Decimal(31)
    assert value.annotation == "267点"
    assert value.text == "31（267点）"


def test_thousands_separators_are_dropped_from_the_number_but_kept_in_the_text():
    value = parse_value("3,232")
    assert value.number == Decimal(3232)
    assert value.annotation == ""
    assert value.text == "3,232"


def test_full_width_digits_are_read_as_digits():
    value = parse_value("１２")
    assert value.number == Decimal(12)
    assert value.text == "１２"


def test_plain_numbers_have_no_printed_text():
    assert parse_value(12) == planfile.Value(Decimal(12), "", "")
    value = parse_value(83.5)
    assert value.number == Decimal("83.5") and value.text == "" and value.annotation == ""


def test_an_annotation_in_ascii_brackets_or_with_spaces_around_is_read_the_same():
    assert parse_value("31(267点)").annotation == "267点"
    assert parse_value(" 31（267点）").annotation == "267点"
    trailing = parse_value("83.0（39/47校） ")
    assert trailing.number == Decimal("83.0")
    assert trailing.annotation == "39/47校"
    assert trailing.text == "83.0（39/47校）"


def test_a_full_width_decimal_with_an_annotation_is_read():
    value = parse_value("１２．５（注）")
    assert value.number == Decimal("12.5") and value.annotation == "注"


@pytest.mark.parametrize("raw", ["未定", "―", "", "約", "83.0%", "1,119人", None, [], {"value": 1}])
def test_a_figure_without_a_number_is_not_read(raw):
    assert parse_value(raw) is None


def test_a_boolean_is_not_read_as_a_number():
    assert parse_value(True) is None
    assert parse_value(False) is None


# --- the four seed plans ---------------------------------------------------------------


def nodes_of(plan, level_key):
    return PlanNode.objects.filter(plan=plan, level__key=level_key)


OKEGAWA_ACTIONS = {
    "(1)": ["①"],
    "(2)": ["②", "③", "④"],
    "(3)": ["⑤", "⑥"],
    "(4)": ["⑦", "⑧", "⑨"],
    "(5)": ["⑩", "⑪"],
    "(6)": ["⑫", "⑬", "⑭"],
    "(7)": ["⑮", "⑯", "⑰", "⑱"],
    "(8)": ["⑲", "⑳", "㉑", "㉒"],
}


def test_okegawa_community_welfare_plan_has_the_tree_printed_in_its_summary(world):
    plan = import_seed(world.tenant_a, "okegawa-community-welfare-2.yaml")
    assert plan.tenant_id == world.tenant_a.pk
    assert (plan.start_year, plan.end_year) == (2025, 2034)
    assert nodes_of(plan, "goal").count() == 4
    assert nodes_of(plan, "policy").count() == 5
    assert nodes_of(plan, "measure").count() == 8
    assert nodes_of(plan, "action").count() == 22
    assert plan.levels.get(key="action").name == "取組事項"
    priorities = PlanNode.objects.filter(plan=plan, priority=True)
    assert sorted(priorities.values_list("label", flat=True)) == sorted(["④", "⑧", "⑪", "⑬"])
    assert all(node.level.key == "action" for node in priorities)

    placed = {
        label: sorted(
            nodes_of(plan, "action").filter(parent__label=label).values_list("label", flat=True)
        )
        for label in OKEGAWA_ACTIONS
    }
    assert placed == {label: sorted(actions) for label, actions in OKEGAWA_ACTIONS.items()}
    last = nodes_of(plan, "action").get(label="㉒")
    assert (last.parent.label, last.parent.level.key) == ("(8)", "measure")
    assert last.ref == "Ⅳ/【5】/(8)/㉒"
    assert last.depth == 3
    fourth = nodes_of(plan, "action").get(label="④")
    assert fourth.parent.label == "(2)" and fourth.title == "市民参加型の地域づくり"
    assert fourth.parent.parent.label == "【1】"


def test_tokorozawa_plan_has_its_policies_measures_priorities_and_47_indicators(world):
    plan = import_seed(world.tenant_b, "tokorozawa-community-welfare-4.yaml")
    assert nodes_of(plan, "policy").count() == 3
    assert nodes_of(plan, "measure").count() == 11
    cross = PlanNode.objects.filter(plan=plan, level__cross_cutting=True)
    assert sorted(cross.values_list("label", flat=True)) == ["Ａ", "Ｂ", "Ｃ"]
    assert all(node.parent_id is None and node.priority for node in cross)
    assert Indicator.objects.filter(plan=plan).count() == 47


def test_tokorozawa_has_exactly_one_indicator_whose_targets_were_deliberately_not_set(world):
    plan = import_seed(world.tenant_b, "tokorozawa-community-welfare-4.yaml")
    unset = IndicatorTarget.objects.filter(indicator__plan=plan, value__isnull=True)
    indicators = {target.indicator for target in unset}
    assert len(indicators) == 1
    (indicator,) = indicators
    assert indicator.name == "生活困窮者自立支援事業の新規相談者数"
    assert indicator.baseline_value == Decimal(1119) and indicator.baseline_text == "1,119"
    targets = list(indicator.targets.order_by("fiscal_year"))
    assert [t.fiscal_year for t in targets] == [2023, 2026]
    for target in targets:
        assert target.is_unset
        assert "予測が困難" in target.unset_reason
        assert target.text == "―"
    # Every other indicator's targets all hold a number.
    assert not IndicatorTarget.objects.filter(
        indicator__plan=plan, value__isnull=True, unset_reason=""
    ).exists()


def test_tokorozawa_values_keep_their_number_and_annotation(world):
    plan = import_seed(world.tenant_b, "tokorozawa-community-welfare-4.yaml")
    schools = Indicator.objects.get(
        plan=plan, name="総合的な学習の時間に福祉を取り上げている学校の割合"
    )
    assert schools.baseline_year == 2019
    assert schools.baseline_value == Decimal("83.0")
    assert schools.baseline_text == "83.0（39/47校）"
    assert parse_value(schools.baseline_text).annotation == "39/47校"
    target = schools.targets.get(fiscal_year=2026)
    assert target.value == Decimal("83.0") and target.text == "83.0（39/47校）"

    patrol = Indicator.objects.get(plan=plan, name="防犯パトロール用品の貸出件数")
    assert patrol.baseline_value == Decimal(31) and patrol.baseline_text == "31（267点）"
    assert parse_value(patrol.baseline_text).annotation == "267点"
    assert {t.fiscal_year: t.value for t in patrol.targets.all()} == {
        2023: Decimal(39),
        2026: Decimal(45),
    }
    exported = next(
        i
        for i in _all_indicators(export(plan))
        if i["name"] == "総合的な学習の時間に福祉を取り上げている学校の割合"
    )
    assert exported["baseline"] == {"fiscal_year": 2019, "value": "83.0（39/47校）"}


def _all_indicators(doc):
    for node, _path, _parent in planfile.walk_nodes(doc["nodes"]):
        yield from node.get("indicators", [])


def test_konosu_joint_plan_has_its_goals_24_actions_and_5_priorities(konosu):
    plan = import_seed(konosu, "konosu-joint-4.yaml")
    assert plan.kind == "joint_plan"
    assert nodes_of(plan, "goal").count() == 4
    assert nodes_of(plan, "action").count() == 24
    priorities = PlanNode.objects.filter(plan=plan, priority=True)
    assert sorted(priorities.values_list("label", flat=True), key=int) == [
        "1",
        "12",
        "13",
        "19",
        "24",
    ]
    # Only the four the 重点取組 pages place under a goal have a parent; none is invented.
    placed = nodes_of(plan, "action").filter(parent__isnull=False)
    assert sorted(placed.values_list("label", flat=True), key=int) == ["1", "12", "19", "24"]
    assert nodes_of(plan, "action").get(label="13").ref == "取組事項13"
    assert RoleStatement.objects.filter(node__plan=plan).exists()


def test_okegawa_council_activity_plan_has_4_plans_8_focus_goals_15_policies(world):
    plan = import_seed(world.tenant_a, "okegawa-council-activity-6.yaml")
    assert nodes_of(plan, "basic_plan").count() == 4
    assert nodes_of(plan, "focus_goal").count() == 8
    assert nodes_of(plan, "activity_policy").count() == 15
    per_goal = [goal.children.count() for goal in nodes_of(plan, "focus_goal").order_by("position")]
    assert per_goal == [2, 2, 2, 2, 2, 2, 1, 2]
    assert RoleStatement.objects.filter(node__plan=plan, actor__key="residents_and_groups").exists()


def test_two_plans_of_one_tenant_and_the_same_code_in_two_tenants_coexist(world):
    import_seed(world.tenant_a, "okegawa-community-welfare-2.yaml")
    import_seed(world.tenant_a, "okegawa-council-activity-6.yaml")
    import_seed(world.tenant_b, "okegawa-community-welfare-2.yaml")
    assert Plan.objects.filter(tenant=world.tenant_a).count() == 2
    assert Plan.objects.filter(code="okegawa-community-welfare-2").count() == 2


# --- round trips ------------------------------------------------------------------------


def home_and_other(world, konosu, name):
    if name.startswith("tokorozawa"):
        return world.tenant_b, world.tenant_a
    if name.startswith("konosu"):
        return konosu, world.tenant_a
    return world.tenant_a, world.tenant_b


@pytest.mark.parametrize("name", SEEDS)
def test_a_seed_plan_comes_back_the_same_through_yaml(world, konosu, name):
    home, other = home_and_other(world, konosu, name)
    first = export(import_seed(home, name))
    text = planfile.dump_yaml(first)
    doc, locate = planfile.read_text(text)
    assert planfile.check(doc, locate) == []
    assert doc == first
    second = export(import_document(other, doc))
    assert second == first


@pytest.mark.parametrize("name", SEEDS)
def test_a_seed_plan_comes_back_the_same_through_json(world, konosu, name):
    home, other = home_and_other(world, konosu, name)
    first = export(import_seed(home, name))
    doc = planfile.load(planfile.dump_json(first))
    assert export(import_document(other, doc)) == first


@pytest.mark.parametrize("name", SEEDS)
def test_a_seed_plan_comes_back_the_same_through_excel(world, konosu, name):
    home, other = home_and_other(world, konosu, name)
    first = export(import_seed(home, name))
    doc, locate = workbook.read_workbook(workbook.document_to_workbook(first))
    assert planfile.check(doc, locate) == []
    second = export(import_document(other, doc))
    assert second == first


def plan_with_progress(tenant, name):
    plan = import_seed(tenant, name)
    with tenant_context(tenant.pk):
        demo.add_demo_progress(plan, today=datetime.date(2026, 11, 22))
    return plan


def test_actuals_and_evaluations_survive_the_yaml_round_trip(world):
    plan = plan_with_progress(world.tenant_b, "tokorozawa-community-welfare-4.yaml")
    actuals = IndicatorActual.objects.filter(indicator__plan=plan).count()
    evaluations = Evaluation.objects.filter(node__plan=plan).count()
    # FY2021–2025 are past on 2026-11-22: one actual per indicator with a baseline and year.
    with_baseline = Indicator.objects.filter(plan=plan, baseline_value__isnull=False).count()
    assert actuals == with_baseline * 5
    assert evaluations == PlanNode.objects.filter(plan=plan, level__evaluated=True).count() * 5
    first = export(plan)
    copy = import_document(world.tenant_a, planfile.load(planfile.dump_yaml(first)))
    assert export(copy) == first
    # Replacing the plan by its own export changes nothing either.
    again = import_document(world.tenant_b, planfile.load(planfile.dump_yaml(first)), replace=True)
    assert again.pk != plan.pk and export(again) == first
    assert IndicatorActual.objects.filter(indicator__plan=copy, is_demo=True).count() == actuals
    assert Evaluation.objects.filter(node__plan=copy).count() == evaluations
    assert Evaluation.objects.filter(node__plan=copy, fiscal_year=2025, status="draft").exists()
    assert Evaluation.objects.filter(node__plan=copy, fiscal_year=2021, status="locked").exists()


def test_actuals_and_evaluations_survive_the_excel_round_trip(world):
    plan = plan_with_progress(world.tenant_b, "tokorozawa-community-welfare-4.yaml")
    first = export(plan)
    doc, locate = workbook.read_workbook(workbook.document_to_workbook(first))
    assert planfile.check(doc, locate) == []
    copy = import_document(world.tenant_a, doc)
    assert export(copy) == first
    original = {
        (a.indicator.ref, a.fiscal_year): (a.value, a.source, a.is_demo)
        for a in IndicatorActual.objects.filter(indicator__plan=plan).select_related("indicator")
    }
    copied = {
        (a.indicator.ref, a.fiscal_year): (a.value, a.source, a.is_demo)
        for a in IndicatorActual.objects.filter(indicator__plan=copy).select_related("indicator")
    }
    assert original and copied == original


def test_evaluations_of_a_plan_without_indicators_survive_both_round_trips(world, konosu):
    plan = plan_with_progress(world.tenant_a, "okegawa-community-welfare-2.yaml")
    first = export(plan)
    assert sum(len(n.get("evaluations", {})) for n, _p, _q in planfile.walk_nodes(first["nodes"]))
    assert sum(1 for _ in planfile.walk_nodes(first["nodes"])) == 39
    via_yaml = import_document(world.tenant_b, planfile.load(planfile.dump_yaml(first)))
    assert export(via_yaml) == first
    doc, _locate = workbook.read_workbook(workbook.document_to_workbook(first))
    via_excel = import_document(konosu, doc)
    assert export(via_excel) == first


# --- a plan written from the documentation alone ---------------------------------------


def test_the_minimal_plan_in_the_documentation_imports(world):
    text = minimal_plan_yaml()
    assert "format: sasaeai-plan/1" in text
    plan = import_document(world.tenant_a, planfile.load(text))
    assert plan.code == "example-plan"
    assert (plan.start_year, plan.end_year) == (2025, 2029)
    action = PlanNode.objects.get(plan=plan, level__key="action")
    assert action.parent.level.key == "goal" and action.priority and action.ref == "1/①"
    assert action.role_statements.count() == 2
    indicator = action.indicators.get()
    assert indicator.baseline_value == Decimal(12) and indicator.baseline_year == 2023
    assert {t.fiscal_year: t.value for t in indicator.targets.all()} == {2029: Decimal(20)}
    assert export(plan) == planfile.load(planfile.dump_yaml(export(plan)))


# --- bad input --------------------------------------------------------------------------

BAD_PLAN = """\
format: sasaeai-plan/1
plan:
  code: bad-plan
  title: 問題のある計画
  kind: community_welfare_plan
  period: {start: 2025, end: 2029}
levels:
  - {key: goal, name: 基本目標}
  - {key: measure, name: 施策, under: goal}
  - {key: action, name: 取組, under: measure, evaluated: true}
actors:
  - {key: city, name: 市}
nodes:
  - level: action                    # action-at-top
    label: "0"
  - level: goal
    label: "1"
    children:
      - level: action                # action-under-goal
        label: ①
      - level: measure
        label: (1)
        children:
          - level: action
            label: ②
            roles:
              city: [声をかけます。]
              somebody: [誰かが何かをします。]   # unknown-actor
          - level: action
            label: ②                 # duplicate-label
      - level: measure
        label: (2)
        children:
          - level: action
            label: ③
            indicators:
              - name: 見守り協定締結事業者数
                unit: 事業所
                direction: increase
                baseline: {fiscal_year: 2023, value: 12}
                targets:
                  2027: 未定          # not-a-number
                  2031: 30           # outside-period
"""


def test_every_problem_of_a_bad_file_is_reported_with_its_line_and_nothing_is_saved(world):
    before = (Plan.objects.count(), PlanNode.objects.count())
    with override("ja"), pytest.raises(PlanFileError) as caught:
        planfile.load(BAD_PLAN)
    problems = caught.value.problems
    assert len(problems) >= 6, [str(p) for p in problems]
    for problem in problems:
        assert line_of(problem) is not None, str(problem)
    # The duplicate label also makes a duplicate ref, reported on the same line.
    lines = {line_of(p) for p in problems}
    expected = set(
        marked_line(BAD_PLAN, marker)
        for marker in (
            "action-at-top",
            "action-under-goal",
            "unknown-actor",
            "duplicate-label",
            "not-a-number",
            "outside-period",
        )
    )
    assert lines == expected
    assert (Plan.objects.count(), PlanNode.objects.count()) == before


BAD_STRUCTURE = """\
format: sasaeai-plan/1
plan:
  code: bad-structure
  title: 構造に問題のある計画
  kind: joint_plan
  period: {start: 2025, end: 2029}
  review_points:
    - {fiscal_year: 2035, kind: final_review}   # review-outside
levels:
  - {key: goal, name: 基本目標}
  - {key: goal, name: 重複した階層}            # level-twice
  - {key: action, name: 取組, under: nothing}   # under-unknown
  - {key: group, name: 重点, cross_cutting: true, evaluated: true}
nodes:
  - level: goal
    label: "1"
    links: ["1"]                                 # link-not-cross-cutting
    evaluations:
      2026:                                      # goal-not-evaluated
        grade: Z                                 # grade-off-scale
  - level: group
    label: A
    links: [nowhere]                             # link-missing
  - level: group
    ref: 重点
    label: B
  - level: group
    ref: 重点                                    # ref-twice
    label: C
  - level: unknown_level                         # level-unknown
    label: "2"
"""


def test_every_structural_check_of_the_documentation_reports_its_line(world):
    before = Plan.objects.count()
    with override("ja"), pytest.raises(PlanFileError) as caught:
        planfile.load(BAD_STRUCTURE)
    problems = caught.value.problems
    assert all(line_of(p) is not None for p in problems), [str(p) for p in problems]
    markers = [
        "review-outside",
        "level-twice",
        "under-unknown",
        "link-not-cross-cutting",
        "goal-not-evaluated",
        "grade-off-scale",
        "link-missing",
        "ref-twice",
        "level-unknown",
    ]
    assert {line_of(p) for p in problems} == {marked_line(BAD_STRUCTURE, m) for m in markers}
    assert len(problems) == len(markers)
    assert Plan.objects.count() == before


def test_a_period_that_ends_before_it_starts_is_reported():
    text = minimal_plan_yaml().replace("{start: 2025, end: 2029}", "{start: 2029, end: 2025}")
    with override("en"), pytest.raises(PlanFileError) as caught:
        planfile.load(text)
    messages = [p.message for p in caught.value.problems]
    assert "The period ends before it starts" in messages


def test_a_schema_problem_is_reported_before_meaning_is_checked():
    text = minimal_plan_yaml().replace("direction: increase", "direction: upward")
    with override("en"), pytest.raises(PlanFileError) as caught:
        planfile.load(text)
    (problem,) = caught.value.problems
    assert "increase" in problem.message and "decrease" in problem.message
    assert line_of(problem) == next(
        n for n, line in enumerate(text.splitlines(), start=1) if "direction: upward" in line
    )


def test_each_problem_says_what_is_wrong(world):
    with override("en"), pytest.raises(PlanFileError) as caught:
        planfile.load(BAD_PLAN)
    by_line = {line_of(p): p.message for p in caught.value.problems}
    assert "cannot stand at the top" in by_line[marked_line(BAD_PLAN, "action-at-top")]
    assert "施策" in by_line[marked_line(BAD_PLAN, "action-at-top")]
    assert "cannot be placed under" in by_line[marked_line(BAD_PLAN, "action-under-goal")]
    assert "somebody" in by_line[marked_line(BAD_PLAN, "unknown-actor")]
    assert "②" in by_line[marked_line(BAD_PLAN, "duplicate-label")]
    assert "「未定」" in by_line[marked_line(BAD_PLAN, "not-a-number")]
    assert "2031" in by_line[marked_line(BAD_PLAN, "outside-period")]
    assert "2025" in by_line[marked_line(BAD_PLAN, "outside-period")]
    # The whole message names its place first, as 場所: 内容.
    assert str(caught.value).splitlines()[0].startswith("line ")


def test_a_bad_file_through_the_command_saves_nothing(world, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_PLAN, encoding="utf-8")
    before = Plan.objects.count()
    err = io.StringIO()
    with override("en"), pytest.raises(CommandError):
        call_command("import_plan", str(path), tenant="112097", stderr=err)
    assert Plan.objects.count() == before
    reported = err.getvalue()
    assert str(marked_line(BAD_PLAN, "unknown-actor")) in reported
    assert "somebody" in reported


def excel_of_minimal_plan() -> bytes:
    return workbook.document_to_workbook(planfile.load(minimal_plan_yaml()))


def test_a_bad_workbook_reports_sheet_and_cell_and_saves_nothing(world):
    book = load_workbook(io.BytesIO(excel_of_minimal_plan()))
    tree = book["体系"]
    assert [c.value for c in tree[1]][:4] == ["参照", "上位参照", "階層", "番号"]
    assert tree["A3"].value == "1/①" and tree["C3"].value == "action"
    tree["C3"] = "goal"  # a 基本目標 under a 基本目標
    indicators = book["指標"]
    assert indicators["G1"].value == "基準値" and indicators["G2"].value == 12
    indicators["G2"] = "未定"
    out = io.BytesIO()
    book.save(out)
    before = Plan.objects.count()
    with override("ja"), pytest.raises(PlanFileError) as caught:
        doc, locate = workbook.read_workbook(out.getvalue())
        problems = planfile.check(doc, locate)
        if problems:
            raise PlanFileError(problems)
    places = {p.place: p.message for p in caught.value.problems}
    assert "体系!C3" in places, places
    assert "指標!G2" in places, places
    assert "未定" in places["指標!G2"]
    assert Plan.objects.count() == before


def test_a_workbook_row_under_an_unknown_parent_is_reported_by_cell(world):
    book = load_workbook(io.BytesIO(excel_of_minimal_plan()))
    book["体系"]["B3"] = "9"
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(PlanFileError) as caught:
        workbook.read_workbook(out.getvalue())
    places = [p.place for p in caught.value.problems]
    # The row is dropped, so the rows that refer to it are reported too, each by its cell.
    assert places[0] == "体系!B3"
    assert all(re.match(r"^\w+!\w+\d+$", place) for place in places), places


def test_a_file_that_is_not_an_excel_workbook_is_refused_plainly():
    with pytest.raises(PlanFileError) as caught:
        workbook.read_workbook(b"not a workbook")
    assert len(caught.value.problems) == 1


def test_unparseable_yaml_reports_its_line():
    text = "format: sasaeai-plan/1\nplan:\n  code: x\n  title: [unclosed\nlevels: []\n"
    with override("ja"), pytest.raises(PlanFileError) as caught:
        planfile.read_text(text)
    (problem,) = caught.value.problems
    # The unclosed list opens on line 4; the parser notices on line 5, where it meets "levels:".
    assert line_of(problem) == 5


def test_a_yaml_syntax_error_points_at_the_bad_line():
    text = "format: sasaeai-plan/1\nplan:\n  code: x\n    title: y\n"
    with pytest.raises(PlanFileError) as caught:
        planfile.read_text(text)
    (problem,) = caught.value.problems
    assert line_of(problem) == 4


def test_a_file_that_is_not_a_mapping_is_refused():
    with pytest.raises(PlanFileError):
        planfile.read_text("- just\n- a list\n")


def test_an_unknown_top_level_key_is_reported():
    text = minimal_plan_yaml() + "comments: 備考欄\n"
    with override("en"), pytest.raises(PlanFileError) as caught:
        planfile.load(text)
    messages = [p.message for p in caught.value.problems]
    assert any("comments" in m and "Unknown item" in m for m in messages), messages


def test_an_unknown_node_key_is_reported_on_its_line():
    text = minimal_plan_yaml().replace(
        "        priority: true\n", "        priority: true\n        weight: 3  # extra\n"
    )
    with override("en"), pytest.raises(PlanFileError) as caught:
        planfile.load(text)
    (problem,) = caught.value.problems
    assert "weight" in problem.message
    # The node that holds the unknown key is reported; its first line is where it starts.
    assert line_of(problem) is not None
    assert line_of(problem) <= marked_line(text, "extra")


def test_importing_an_existing_code_without_replace_is_refused(world):
    document = planfile.load(minimal_plan_yaml())
    first = import_document(world.tenant_a, document)
    with pytest.raises(PlanFileError):
        import_document(world.tenant_a, document)
    assert Plan.objects.filter(tenant=world.tenant_a, code="example-plan").get().pk == first.pk


def test_importing_with_replace_swaps_the_plan_whole(world):
    document = planfile.load(minimal_plan_yaml())
    first = import_document(world.tenant_a, document)
    changed = planfile.load(minimal_plan_yaml().replace("第1次サンプル市", "第2次サンプル市"))
    second = import_document(world.tenant_a, changed, replace=True)
    plans = Plan.objects.filter(tenant=world.tenant_a, code="example-plan")
    assert plans.count() == 1
    assert plans.get().pk == second.pk != first.pk
    assert second.title == "第2次サンプル市地域福祉計画"
    assert PlanNode.objects.filter(plan_id=first.pk).count() == 0
    assert PlanNode.objects.filter(plan=second).count() == 2


def test_a_failed_replace_keeps_the_old_plan(world):
    document = planfile.load(minimal_plan_yaml())
    first = import_document(world.tenant_a, document)
    broken = json.loads(json.dumps(document))
    broken["nodes"][0]["children"][0]["roles"] = {"nobody": ["x"]}  # never checked: KeyError
    with pytest.raises(KeyError):
        import_document(world.tenant_a, broken, replace=True)
    assert Plan.objects.filter(tenant=world.tenant_a, code="example-plan").get().pk == first.pk
    assert PlanNode.objects.filter(plan=first).count() == 2


# --- management commands ----------------------------------------------------------------


def test_import_plan_check_reads_the_whole_file_and_saves_nothing(world):
    out = io.StringIO()
    with override("en"):
        call_command(
            "import_plan",
            str(SEED_DIR / "okegawa-community-welfare-2.yaml"),
            tenant="桶川市",
            check=True,
            stdout=out,
        )
    assert "OK: 第二次桶川市地域福祉計画" in out.getvalue()
    assert Plan.objects.count() == 0


def test_import_plan_saves_a_seed_into_the_named_tenant(world):
    out = io.StringIO()
    with override("en"):
        call_command(
            "import_plan",
            str(SEED_DIR / "tokorozawa-community-welfare-4.yaml"),
            tenant="112089",
            stdout=out,
        )
    plan = Plan.objects.get(tenant=world.tenant_b, code="tokorozawa-community-welfare-4")
    assert plan.indicators.count() == 47
    assert "47" in out.getvalue()
    with override("en"), pytest.raises(CommandError):
        call_command(
            "import_plan",
            str(SEED_DIR / "tokorozawa-community-welfare-4.yaml"),
            tenant="112089",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert Plan.objects.filter(tenant=world.tenant_b).count() == 1


def test_import_plan_with_replace_swaps_the_plan(world):
    seed = str(SEED_DIR / "tokorozawa-community-welfare-4.yaml")
    with override("en"):
        call_command("import_plan", seed, tenant="112089", stdout=io.StringIO())
        first = Plan.objects.get(tenant=world.tenant_b)
        call_command("import_plan", seed, tenant="112089", replace=True, stdout=io.StringIO())
    assert Plan.objects.get(tenant=world.tenant_b).pk != first.pk


def test_import_plan_names_an_unknown_tenant(world):
    with override("en"), pytest.raises(CommandError, match="nowhere"):
        call_command("import_plan", str(SEED_DIR / "konosu-joint-4.yaml"), tenant="nowhere")


def test_export_plan_writes_yaml_json_and_excel_that_import_again(world, konosu, tmp_path):
    plan = import_seed(world.tenant_a, "okegawa-council-activity-6.yaml")
    expected = export(plan)
    for fmt in ("yaml", "json", "xlsx"):
        call_command(
            "export_plan", plan.code, tenant="112097", format=fmt, output=tmp_path / f"p.{fmt}"
        )
    yaml_text = (tmp_path / "p.yaml").read_text(encoding="utf-8")
    assert yaml_text.startswith("format: sasaeai-plan/1")
    assert planfile.load(yaml_text) == expected
    assert json.loads((tmp_path / "p.json").read_text(encoding="utf-8")) == expected
    doc, locate = workbook.read_workbook((tmp_path / "p.xlsx").read_bytes())
    assert planfile.check(doc, locate) == []
    copy = import_document(world.tenant_b, doc)
    assert export(copy) == expected
    # And the exported Excel file imports through the command too.
    with override("en"):
        call_command(
            "import_plan",
            str(tmp_path / "p.xlsx"),
            tenant="鴻巣市",
            stdout=io.StringIO(),
        )
    assert export(Plan.objects.get(tenant=konosu, code=plan.code)) == expected


def test_export_plan_writes_yaml_to_standard_output(world):
    plan = import_seed(world.tenant_a, "okegawa-community-welfare-2.yaml")
    out = io.StringIO()
    call_command("export_plan", plan.code, tenant="桶川市", stdout=out)
    assert yaml.safe_load(out.getvalue())["plan"]["code"] == plan.code


def test_export_plan_refuses_a_plan_of_another_tenant(world):
    plan = import_seed(world.tenant_a, "okegawa-community-welfare-2.yaml")
    with pytest.raises(CommandError):
        call_command("export_plan", plan.code, tenant="112089", stdout=io.StringIO())


# --- hostile files: aliases and NUL characters ------------------------------------------

ALIAS_BOMB = """format: sasaeai-plan/1
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [*x]\n",
        "format: sasaeai-plan/1\nplan: &p {code: x, self: *p}\n",
        "format: sasaeai-plan/1\nnodes:\n  - &n {level: goal, label: '1', children: [*n]}\n",
    ],
)
def test_a_self_referencing_alias_is_refused_with_its_line(text):
    with override("ja"), pytest.raises(PlanFileError) as caught:
        planfile.load(text)
    (problem,) = caught.value.problems
    assert line_of(problem) is not None
    assert "エイリアス" in problem.message


def test_an_alias_bomb_is_refused_before_it_expands():
    with override("ja"), pytest.raises(PlanFileError) as caught:
        planfile.load(ALIAS_BOMB)
    (problem,) = caught.value.problems
    assert "エイリアス" in problem.message


def test_a_plan_that_reuses_an_anchor_still_reads_as_ordinary_data():
    text = minimal_plan_yaml()
    reused = text.replace("levels:", "x-themes: &t [協働, 見守り]\nx-again: *t\nlevels:", 1)
    doc, _locate = planfile.read_text(reused)
    assert doc["x-again"] == ["協働", "見守り"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('format: sasaeai-plan/1\nplan: {code: "a\\0b", title: t}\n', 2),
        ('{"format": "sasaeai-plan/1",\n "plan": {"code": "x", "title": "t\\u0000"}}\n', 2),
        ('format: sasaeai-plan/1\n"key\\x00": 1\n', 2),
    ],
)
def test_a_nul_character_in_any_field_is_a_problem_with_its_place(text, line):
    with override("ja"), pytest.raises(PlanFileError) as caught:
        planfile.load(text)
    nul = [p for p in caught.value.problems if "NUL" in p.message]
    assert nul, caught.value.problems
    assert line_of(nul[0]) == line


def test_a_nul_character_in_the_minimal_plan_is_refused_and_nothing_is_saved(world):
    text = minimal_plan_yaml().replace("title: 第1次", 'title: "\\0第1次', 1)
    text = text.replace("地域福祉計画\n", '地域福祉計画"\n', 1)
    with override("en"), pytest.raises(PlanFileError) as caught:
        import_document(world.tenant_a, planfile.load(text))
    (problem,) = caught.value.problems
    assert "NUL" in problem.message and line_of(problem) == marked_line_of(text, "title: ")
    assert not Plan.objects.exists()


def marked_line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith(start))


def test_a_raw_nul_byte_in_the_file_is_a_clear_problem():
    with override("ja"), pytest.raises(PlanFileError) as caught:
        planfile.read_text("format: sasaeai-plan/1\nplan: {code: a\x00b}\n")
    (problem,) = caught.value.problems
    assert "NUL" in problem.message and line_of(problem) == 2


def test_an_alias_bomb_through_the_command_is_refused_and_saves_nothing(world, tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    err = io.StringIO()
    with override("ja"), pytest.raises(CommandError):
        call_command("import_plan", str(path), tenant="112097", stderr=err)
    assert "エイリアス" in err.getvalue()
    assert not Plan.objects.exists()


def test_every_demo_metric_binding_names_a_seed_indicator_and_a_published_metric():
    seed_indicators = set()
    for name in SEEDS:
        doc = planfile.load((SEED_DIR / name).read_text(encoding="utf-8"))
        for node, _path, _parent in planfile.walk_nodes(doc["nodes"]):
            seed_indicators.update(i["name"] for i in node.get("indicators", []))
    assert set(demo.METRIC_BINDINGS) <= seed_indicators
    # A plain metric, or a family's member ("subscriptions.subscribers:hotmail").
    unpublished = [k for k in demo.METRIC_BINDINGS.values() if not metrics.is_published(k)]
    assert unpublished == []


def test_okegawa_seed_plans_print_no_numeric_indicator_to_bind_to_a_metric():
    # The 概要版 and the council's 実施計画 state no indicator with a baseline or target, so
    # nothing of 桶川市 is bound; the dashboard says the plan has no counted indicators.
    for name in SEEDS[:2]:
        doc = planfile.load((SEED_DIR / name).read_text(encoding="utf-8"))
        assert not any(node.get("indicators") for node, *_ in planfile.walk_nodes(doc["nodes"]))


def test_a_file_nested_too_deeply_is_refused_plainly():
    with override("ja"), pytest.raises(PlanFileError) as caught:
        planfile.read_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    (problem,) = caught.value.problems
    assert "入れ子" in problem.message
