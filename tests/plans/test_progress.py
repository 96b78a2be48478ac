"""Progress rules (sasaeai.plans.progress): how an indicator's year is judged and how a branch of
the plan adds up its indicators and evaluations."""

from collections import Counter
from decimal import Decimal

import pytest
from django.utils.translation import override

from sasaeai.accounts.policy import Actor
from sasaeai.plans import planfile, progress, selectors, services
from sasaeai.plans.models import DEFAULT_GRADES, PlanNode
from sasaeai.plans.progress import Rollup, Status

D = Decimal


HUNDRED, FIVE = D(100), D(5)


def assess(direction="increase", year=2021, actual=None, baseline_year=2019, baseline=HUNDRED,
           targets=None, tolerance=FIVE):  # fmt: skip
    return progress.assess(
        direction=direction,
        fiscal_year=year,
        actual=actual,
        baseline_year=baseline_year,
        baseline=baseline,
        targets={2023: D(120), 2026: D(140)} if targets is None else targets,
        tolerance_percent=tolerance,
    )


# --- increase ---------------------------------------------------------------------------


def test_increase_reaching_the_target_is_achieved_with_ratio_one():
    result = assess(actual=D(120), year=2023)
    assert result.status == Status.ACHIEVED
    assert (result.target_year, result.target) == (2023, D(120))
    assert result.achievement == D(1)
    assert result.achievement_percent == D("100.0")


def test_increase_beyond_the_target_is_achieved_with_ratio_above_one():
    result = assess(actual=D(125), year=2022)
    assert result.status == Status.ACHIEVED
    assert result.achievement == D("1.25")


def test_increase_at_or_above_the_straight_line_is_on_track():
    # FY2021 is half-way from FY2019 (100) to FY2023 (120): expected 110.
    result = assess(actual=D(112), year=2021)
    assert result.status == Status.ON_TRACK
    assert result.achievement == (D(112) - D(100)) / (D(120) - D(100))
    assert result.achievement == D("0.6")
    assert result.expected == D(110)
    assert assess(actual=D(110), year=2021).status == Status.ON_TRACK


def test_increase_below_the_straight_line_is_behind():
    result = assess(actual=D(105), year=2021)
    assert result.status == Status.BEHIND
    assert result.achievement == D("0.25")
    assert result.achievement_percent == D("25.0")
    assert result.expected == D(110)


def test_increase_falling_below_the_baseline_has_a_negative_ratio_and_is_behind():
    result = assess(actual=D(90), year=2021)
    assert result.status == Status.BEHIND
    assert result.achievement == D("-0.5")


def test_an_assessment_explains_its_computation():
    result = assess(actual=D(105), year=2021)
    assert result.steps and any("25.0" in step for step in result.steps)


# --- decrease ---------------------------------------------------------------------------

DECREASING = {2023: D(30)}


def test_decrease_reaching_the_target_is_achieved():
    result = assess("decrease", actual=D(29), baseline=D(50), targets=DECREASING)
    assert result.status == Status.ACHIEVED
    assert result.achievement == D("1.05")


def test_decrease_falling_toward_the_target_has_a_positive_ratio_and_is_on_track():
    # Expected in FY2021: half-way from 50 to 30 = 40; 38 is below it, which is better.
    result = assess("decrease", actual=D(38), baseline=D(50), targets=DECREASING)
    assert result.status == Status.ON_TRACK
    assert result.achievement == (D(38) - D(50)) / (D(30) - D(50)) == D("0.6")
    assert result.expected == D(40)


def test_decrease_falling_too_slowly_is_behind():
    result = assess("decrease", actual=D(45), baseline=D(50), targets=DECREASING)
    assert result.status == Status.BEHIND
    assert result.achievement == D("0.25")


def test_decrease_rising_instead_is_behind_with_a_negative_ratio():
    result = assess("decrease", actual=D(55), baseline=D(50), targets=DECREASING)
    assert result.status == Status.BEHIND
    assert result.achievement < 0


# --- maintain ---------------------------------------------------------------------------

KEEP = {2023: D(80), 2026: D(80)}


def test_maintain_within_the_band_is_achieved():
    # 5% of 80 is 4: anything from 76 counts.
    assert assess("maintain", actual=D(77), targets=KEEP).status == Status.ACHIEVED
    assert assess("maintain", actual=D(76), targets=KEEP).status == Status.ACHIEVED
    assert assess("maintain", actual=D(95), targets=KEEP).status == Status.ACHIEVED


def test_maintain_below_the_band_is_behind():
    result = assess("maintain", actual=D("75.9"), targets=KEEP)
    assert result.status == Status.BEHIND
    assert result.achievement == D("75.9") / D(80)


def test_maintain_uses_the_plans_tolerance():
    assert assess("maintain", actual=D(73), targets=KEEP).status == Status.BEHIND
    assert assess("maintain", actual=D(73), targets=KEEP, tolerance=D(10)).status == (
        Status.ACHIEVED
    )
    assert assess("maintain", actual=D(79), targets=KEEP, tolerance=D(0)).status == Status.BEHIND
    assert assess("maintain", actual=D(80), targets=KEEP, tolerance=D(0)).status == Status.ACHIEVED


# --- not judged -------------------------------------------------------------------------


def test_an_indicator_without_direction_is_not_assessed():
    result = assess("none", actual=D(500))
    assert result.status == Status.NOT_ASSESSED
    assert result.actual == D(500)
    assert result.achievement is None


def test_an_indicator_whose_targets_are_all_unset_is_not_assessed():
    result = assess(actual=D(1200), targets={2023: None, 2026: None})
    assert result.status == Status.NOT_ASSESSED
    assert result.target is None
    assert assess(actual=D(1200), targets={}).status == Status.NOT_ASSESSED


def test_a_year_without_an_actual_has_no_data_but_knows_its_target():
    result = assess(actual=None, year=2024)
    assert result.status == Status.NO_DATA
    assert (result.target_year, result.target) == (2026, D(140))
    assert result.achievement is None


# --- which target -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "target_year"),
    [(2020, 2023), (2022, 2023), (2023, 2023), (2024, 2026), (2026, 2026), (2027, 2026)],
)
def test_a_year_is_measured_against_the_next_target_at_or_after_it_else_the_last(year, target_year):
    assert assess(actual=D(100), year=year).target_year == target_year


def test_an_unset_target_is_skipped_when_choosing_the_target():
    result = assess(actual=D(100), year=2022, targets={2023: None, 2026: D(140)})
    assert (result.target_year, result.target) == (2026, D(140))


# --- the trajectory ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2019, D(100)),
        (2021, D(110)),
        (2023, D(120)),
        (2024, D(130)),  # a third of the way from 120 (FY2023) to 150 (FY2026)
        (2026, D(150)),
        (2028, D(150)),  # after the last target: the last target
        (2018, D(100)),  # before the baseline: the baseline
    ],
)
def test_expected_value_runs_straight_from_baseline_through_each_target(year, expected):
    targets = {2023: D(120), 2026: D(150)}
    value = progress.expected_value(baseline_year=2019, baseline=D(100), targets=targets, year=year)
    assert value == expected


def test_expected_value_skips_unset_targets_and_needs_one_set():
    targets = {2023: None, 2027: D(180)}
    value = progress.expected_value(baseline_year=2019, baseline=D(100), targets=targets, year=2021)
    assert value == D(120)
    assert (
        progress.expected_value(
            baseline_year=2019, baseline=D(100), targets={2023: None}, year=2021
        )
        is None
    )


def test_on_track_is_judged_against_the_later_leg_of_the_trajectory():
    # FY2024 measured against FY2026 (150); expected on the line 120 → 150 is 130.
    targets = {2023: D(120), 2026: D(150)}
    assert assess(actual=D(131), year=2024, targets=targets).status == Status.ON_TRACK
    assert assess(actual=D(129), year=2024, targets=targets).status == Status.BEHIND


# --- no baseline ------------------------------------------------------------------------


def test_without_baseline_the_target_reached_is_achieved_else_behind():
    reached = assess(actual=D(125), baseline=None, baseline_year=None)
    assert reached.status == Status.ACHIEVED and reached.achievement is None
    short = assess(actual=D(119), baseline=None, baseline_year=None)
    assert short.status == Status.BEHIND and short.achievement is None
    falling = assess(
        "decrease", actual=D(29), baseline=None, baseline_year=None, targets=DECREASING
    )
    assert falling.status == Status.ACHIEVED


def test_a_baseline_equal_to_the_target_is_judged_as_reached_or_not():
    # (t − b) would be zero: no ratio, only whether the target is reached.
    result = assess(actual=D(99), baseline=D(120), targets={2023: D(120)})
    assert result.status == Status.BEHIND and result.achievement is None
    result = assess(actual=D(121), baseline=D(120), targets={2023: D(120)})
    assert result.status == Status.ACHIEVED


# --- roll-up ----------------------------------------------------------------------------


def rollup(**counts) -> Rollup:
    return Rollup(statuses=Counter({Status(k): v for k, v in counts.items()}))


def test_a_rollup_with_everything_achieved_is_achieved():
    assert rollup(achieved=3).status == Status.ACHIEVED
    assert rollup(achieved=3, no_data=2, not_assessed=1).status == Status.ACHIEVED


def test_a_rollup_with_half_or_more_behind_is_behind():
    assert rollup(achieved=1, behind=1).status == Status.BEHIND
    assert rollup(achieved=1, on_track=1, behind=2).status == Status.BEHIND
    assert rollup(behind=3).status == Status.BEHIND


def test_a_rollup_with_fewer_than_half_behind_and_not_all_achieved_is_on_track():
    assert rollup(achieved=2, on_track=1, behind=1).status == Status.ON_TRACK
    assert rollup(achieved=1, on_track=1).status == Status.ON_TRACK
    assert rollup(achieved=2, behind=1).status == Status.ON_TRACK


def test_a_rollup_with_nothing_assessed_has_no_status():
    assert rollup().status is None
    assert rollup(no_data=2, not_assessed=1).status is None
    assert rollup(no_data=2, not_assessed=1).assessed == 0


def graded(*grades) -> Rollup:
    scores = {g["grade"]: g["score"] for g in DEFAULT_GRADES}
    result = Rollup()
    for grade in grades:
        result.grades[grade] += 1
        result.score_total += scores[grade]
        result.graded += 1
    return result


def test_the_mean_grade_is_the_grade_nearest_the_mean_score():
    assert graded("A", "A", "B").mean_grade(DEFAULT_GRADES) == "A"  # 3.67
    assert graded("A", "C").mean_grade(DEFAULT_GRADES) == "B"  # 3
    assert graded("B", "D", "D").mean_grade(DEFAULT_GRADES) == "C"  # 1.67
    assert graded("D").mean_grade(DEFAULT_GRADES) == "D"


def test_a_mean_grade_half_way_goes_to_the_lower_grade():
    assert graded("A", "B").mean_grade(DEFAULT_GRADES) == "B"  # 3.5
    assert graded("C", "D").mean_grade(DEFAULT_GRADES) == "D"  # 1.5


def test_no_grades_give_no_mean_grade():
    assert Rollup().mean_grade(DEFAULT_GRADES) is None


def test_adding_rollups_adds_counts_and_scores():
    total = rollup(achieved=1, behind=1)
    total.add(graded("A", "B"))
    total.add(rollup(behind=1, no_data=1))
    assert total.statuses == Counter({Status.ACHIEVED: 1, Status.BEHIND: 2, Status.NO_DATA: 1})
    assert (total.graded, total.score_total) == (2, 7)


# --- a whole plan -----------------------------------------------------------------------

SMALL_PLAN = """\
format: sasaeai-plan/1
plan:
  code: small-plan
  title: 小さな計画
  kind: community_welfare_plan
  period: {start: 2025, end: 2029}
levels:
  - {key: goal, name: 基本目標}
  - {key: action, name: 取組, under: goal, evaluated: true}
nodes:
  - level: goal
    label: "1"
    children:
      - level: action
        label: ①
        indicators:
          - name: 増やす指標（達成）
            unit: 人
            direction: increase
            baseline: {fiscal_year: 2024, value: 100}
            targets: {2029: 200}
            actuals: {2026: {value: 200}}
          - name: 増やす指標（遅れ）
            unit: 人
            direction: increase
            baseline: {fiscal_year: 2024, value: 100}
            targets: {2029: 200}
            actuals: {2026: {value: 110}}
        evaluations:
          2026: {grade: A}
      - level: action
        label: ②
        indicators:
          - name: 減らす指標
            unit: 件
            direction: decrease
            baseline: {fiscal_year: 2024, value: 50}
            targets: {2029: 0}
            actuals: {2026: {value: 20}}
          - name: 方向のない指標
            unit: 人
            direction: none
            baseline: {fiscal_year: 2024, value: "1,119"}
            targets:
              2029: {unset: true, reason: 予測が困難なため}
            actuals: {2026: {value: 1200}}
          - name: 実績のない指標
            unit: 回
            direction: increase
            baseline: {fiscal_year: 2024, value: 1}
            targets: {2029: 6}
        evaluations:
          2026: {grade: C}
          2025: {grade: D}
  - level: goal
    label: "2"
    children:
      - level: action
        label: ③
        indicators:
          - name: 維持する指標
            unit: "%"
            direction: maintain
            baseline: {fiscal_year: 2024, value: "80（40/50校）"}
            targets: {2029: "80（40/50校）"}
            actuals: {2026: {value: "79（39/50校）"}}
        evaluations:
          2026: {grade: B}
"""


@pytest.fixture
def small_plan(world):
    actor = Actor(
        user_id=None, username="test", tenant_id=world.tenant_a.pk, membership_id=None, role=None
    )
    return services.plan_import(
        actor=actor, tenant_id=world.tenant_a.pk, document=planfile.load(SMALL_PLAN)
    )


def node(plan, ref) -> PlanNode:
    return PlanNode.objects.get(plan=plan, ref=ref)


def test_each_indicator_of_a_plan_is_judged_for_the_chosen_year(small_plan):
    result = selectors.plan_progress(small_plan, 2026)
    statuses = {p.indicator.name: p.assessment.status for p in result.indicators}
    assert statuses == {
        "増やす指標（達成）": Status.ACHIEVED,
        "増やす指標（遅れ）": Status.BEHIND,
        "減らす指標": Status.ON_TRACK,
        "方向のない指標": Status.NOT_ASSESSED,
        "実績のない指標": Status.NO_DATA,
        "維持する指標": Status.ACHIEVED,
    }
    falling = next(p for p in result.indicators if p.indicator.name == "減らす指標")
    assert falling.assessment.achievement == D("0.6")
    assert [a.fiscal_year for a in falling.history] == [2025, 2026]
    assert falling.history[0].status == Status.NO_DATA


def test_a_parents_counts_are_the_sum_of_its_childrens(small_plan):
    result = selectors.plan_progress(small_plan, 2026)
    first, second = node(small_plan, "1/①"), node(small_plan, "1/②")
    goal = node(small_plan, "1")
    assert result.rollup(first).statuses == Counter({Status.ACHIEVED: 1, Status.BEHIND: 1})
    assert result.rollup(second).statuses == Counter(
        {Status.ON_TRACK: 1, Status.NOT_ASSESSED: 1, Status.NO_DATA: 1}
    )
    assert (
        result.rollup(goal).statuses
        == result.rollup(first).statuses + result.rollup(second).statuses
    )
    assert result.rollup(goal).grades == Counter({"A": 1, "C": 1})
    assert result.rollup(goal).graded == 2
    assert result.rollup(goal).score_total == 6
    # 1 behind of 3 assessed: on track; A and C average to B.
    assert result.rollup(goal).status == Status.ON_TRACK
    assert result.rollup(goal).mean_grade(small_plan.grade_scale) == "B"
    assert result.rollup(node(small_plan, "2")).status == Status.ACHIEVED


def test_the_plans_total_is_the_sum_of_its_top_branches(small_plan):
    result = selectors.plan_progress(small_plan, 2026)
    tops = [node(small_plan, "1"), node(small_plan, "2")]
    assert result.total.statuses == sum((result.rollup(n).statuses for n in tops), Counter())
    assert result.total.assessed == 4
    assert result.total.status == Status.ON_TRACK
    assert result.total.graded == 3
    assert result.total.mean_grade(small_plan.grade_scale) == "B"
    for each in PlanNode.objects.filter(plan=small_plan):
        children = list(each.children.all())
        if children:
            summed = sum((result.rollup(c).statuses for c in children), Counter())
            assert result.rollup(each).statuses == summed


def test_only_the_chosen_years_evaluations_count(small_plan):
    result = selectors.plan_progress(small_plan, 2025)
    second = node(small_plan, "1/②")
    assert result.rollup(second).grades == Counter({"D": 1})
    assert result.evaluations[second.pk].grade == "D"
    assert node(small_plan, "1/①").pk not in result.evaluations
    # No actuals in FY2025: nothing is assessed.
    assert result.total.assessed == 0 and result.total.status is None


def test_the_page_opens_on_the_current_year_kept_inside_the_period(small_plan):
    import datetime

    assert selectors.current_plan_year(small_plan, datetime.date(2026, 11, 22)) == 2026
    assert selectors.current_plan_year(small_plan, datetime.date(2026, 3, 31)) == 2025
    assert selectors.current_plan_year(small_plan, datetime.date(2020, 6, 1)) == 2025
    assert selectors.current_plan_year(small_plan, datetime.date(2040, 6, 1)) == 2029


# --- how achievement is shown -----------------------------------------------------------


def test_an_actual_below_the_baseline_is_shown_as_below_the_baseline_with_its_figures():
    # 所沢市's CSW support count: baseline 3,232, target 3,500, a first count of 1,362.
    result = assess(actual=D(1362), baseline=D(3232), targets={2026: D(3500)}, year=2025)
    assert result.achievement_percent < -600  # the ratio itself stays honest for the API
    with override("ja"):
        shown = result.achievement_display
    assert "基準値を下回る" in shown
    assert "1,362" in shown and "3,232" in shown
    assert "%" not in shown
    assert result.achievement_bar_percent == 0


def test_a_decrease_indicator_rising_above_its_baseline_is_shown_as_above_the_baseline():
    result = assess(direction="decrease", actual=D(60), baseline=D(50), targets={2023: D(30)})
    with override("ja"):
        assert "基準値を上回る" in result.achievement_display
    assert result.achievement_bar_percent == 0


def test_an_achievement_over_100_percent_is_shown_honestly_and_its_bar_stops_at_full():
    result = assess(actual=D(125), targets={2021: D(120)})
    assert result.achievement_display == "125.0%"
    assert result.achievement_bar_percent == 100


def test_an_achievement_between_0_and_100_percent_is_shown_and_drawn_as_it_is():
    result = assess(actual=D(105), year=2021)
    assert result.achievement_display == "25.0%"
    assert result.achievement_bar_percent == 25


def test_no_achievement_shows_nothing_and_draws_no_bar():
    result = assess(actual=None)
    assert result.achievement_display == "" and result.achievement_bar_percent is None
