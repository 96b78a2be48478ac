"""Writes after import: yearly evaluations and their review, actuals, and actuals taken from a
published metric — each checked, each audited."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import override

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.plans import planfile, selectors, services
from sasaeai.plans.models import (
    Evaluation,
    EvaluationStatus,
    Indicator,
    IndicatorActual,
    PlanNode,
)

PLAN = """\
format: sasaeai-plan/1
plan:
  code: review-plan
  title: 評価の練習用計画
  kind: community_welfare_plan
  period: {start: 2024, end: 2029}
levels:
  - {key: goal, name: 基本目標}
  - {key: action, name: 取組, under: goal, evaluated: true}
nodes:
  - level: goal
    label: "1"
    title: つながりのある地域づくり
    children:
      - level: action
        label: ①
        title: 見守り活動の推進
        responsible: [福祉総務課, 高齢介護課]
        indicators:
          - name: 福祉教育の実施率
            unit: "%"
            direction: increase
            baseline: {fiscal_year: 2023, value: "83.0（39/47校）"}
            targets: {2029: 100}
          - name: 民生委員・児童委員の充足率
            unit: "%"
            direction: maintain
            baseline: {fiscal_year: 2024, value: 95}
            targets: {2029: 100}
            actuals: {2024: {value: 95}}
"""


def actor(world, username, role=Role.MUNICIPAL_STAFF) -> Actor:
    return Actor(
        user_id=None, username=username, tenant_id=world.tenant_a.pk, membership_id=None, role=role
    )


@pytest.fixture
def plan(world):
    return services.plan_import(
        actor=actor(world, "importer"), tenant_id=world.tenant_a.pk, document=planfile.load(PLAN)
    )


@pytest.fixture
def action(plan) -> PlanNode:
    return PlanNode.objects.get(plan=plan, ref="1/①")


def draft(world, action, grade="B", year=2025, by="drafter", **fields) -> Evaluation:
    return services.evaluation_save(
        actor=actor(world, by), node=action, fiscal_year=year, grade=grade, **fields
    )


def audit_count() -> int:
    return AuditEntry.objects.count()


# --- evaluation_save --------------------------------------------------------------------


def test_an_evaluation_is_drafted_with_its_text_and_the_responsible_departments(world, action):
    evaluation = draft(
        world,
        action,
        results="市民ワークショップを2回開催した。",
        issues="若い世代の参加が少ない。",
        next_steps="土曜日の開催を検討する。",
    )
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.DRAFT
    assert evaluation.grade == "B"
    assert evaluation.drafted_by == "drafter"
    assert evaluation.department == "福祉総務課, 高齢介護課"
    assert evaluation.results == "市民ワークショップを2回開催した。"


def test_a_node_of_a_level_that_is_not_evaluated_cannot_have_an_evaluation(world, plan):
    goal = PlanNode.objects.get(plan=plan, ref="1")
    with override("en"), pytest.raises(ValidationError) as caught:
        draft(world, goal)
    assert "node" in caught.value.message_dict
    assert "基本目標" in caught.value.message_dict["node"][0]
    assert not Evaluation.objects.exists()


def test_a_grade_not_on_the_plans_scale_is_refused(world, action):
    with override("en"), pytest.raises(ValidationError) as caught:
        draft(world, action, grade="S")
    message = caught.value.message_dict["grade"][0]
    assert "S" in message and "A・B・C・D" in message
    assert not Evaluation.objects.exists()


def test_a_plan_with_its_own_scale_accepts_only_its_own_grades(world, plan, action):
    plan.grades = [
        {"grade": "◎", "label": "順調", "score": 3},
        {"grade": "○", "label": "概ね順調", "score": 2},
        {"grade": "△", "label": "遅れ", "score": 1},
    ]
    plan.save()
    action = PlanNode.objects.select_related("plan", "level").get(pk=action.pk)
    assert draft(world, action, grade="◎").grade == "◎"
    with pytest.raises(ValidationError):
        draft(world, action, grade="A", year=2026)


@pytest.mark.parametrize("year", [2023, 2030])
def test_a_year_outside_the_plans_period_is_refused(world, action, year):
    with override("en"), pytest.raises(ValidationError) as caught:
        draft(world, action, year=year)
    assert str(year) in caught.value.message_dict["fiscal_year"][0]
    assert not Evaluation.objects.exists()


def test_saving_again_edits_the_same_evaluation(world, action):
    first = draft(world, action, grade="C")
    second = draft(world, action, grade="B", results="改善した。")
    assert first.pk == second.pk
    assert Evaluation.objects.get().grade == "B"


# --- review -----------------------------------------------------------------------------


def test_an_evaluation_goes_from_draft_to_reviewed_to_locked(world, action):
    evaluation = draft(world, action)
    evaluation = services.evaluation_advance(actor=actor(world, "reviewer"), evaluation=evaluation)
    assert evaluation.status == EvaluationStatus.REVIEWED
    assert evaluation.reviewed_by == "reviewer"
    evaluation = services.evaluation_advance(actor=actor(world, "chief"), evaluation=evaluation)
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.LOCKED
    assert (evaluation.drafted_by, evaluation.reviewed_by, evaluation.locked_by) == (
        "drafter",
        "reviewer",
        "chief",
    )


def test_the_drafter_cannot_review_their_own_evaluation(world, action):
    evaluation = draft(world, action, by="drafter")
    with override("en"), pytest.raises(PermissionDenied) as caught:
        services.evaluation_advance(actor=actor(world, "drafter"), evaluation=evaluation)
    assert "drafted" in str(caught.value)
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.DRAFT and evaluation.reviewed_by == ""


def test_an_edit_after_review_needs_a_new_review(world, action):
    evaluation = draft(world, action)
    services.evaluation_advance(actor=actor(world, "reviewer"), evaluation=evaluation)
    edited = draft(world, action, grade="A", by="drafter")
    assert edited.status == EvaluationStatus.DRAFT


def locked(world, action) -> Evaluation:
    evaluation = draft(world, action)
    evaluation = services.evaluation_advance(actor=actor(world, "reviewer"), evaluation=evaluation)
    return services.evaluation_advance(actor=actor(world, "chief"), evaluation=evaluation)


def test_a_locked_evaluation_cannot_be_edited_and_the_refusal_says_why(world, action):
    evaluation = locked(world, action)
    with override("en"), pytest.raises(PermissionDenied) as caught:
        draft(world, action, grade="A", by="drafter")
    message = str(caught.value)
    assert "locked" in message and "chief" in message and "reopen" in message
    evaluation.refresh_from_db()
    assert evaluation.grade == "B" and evaluation.status == EvaluationStatus.LOCKED


def test_a_locked_evaluation_cannot_be_advanced_further(world, action):
    evaluation = locked(world, action)
    with pytest.raises(PermissionDenied):
        services.evaluation_advance(actor=actor(world, "someone"), evaluation=evaluation)


def test_reopening_needs_a_reason(world, action):
    evaluation = locked(world, action)
    for reason in ("", "   "):
        with override("en"), pytest.raises(ValidationError) as caught:
            services.evaluation_reopen(
                actor=actor(world, "admin", Role.SYSTEM_ADMIN), evaluation=evaluation, reason=reason
            )
        assert "reason" in caught.value.message_dict
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.LOCKED


def test_reopening_with_a_reason_makes_it_a_draft_again_and_is_audited(world, action):
    evaluation = locked(world, action)
    before = audit_count()
    services.evaluation_reopen(
        actor=actor(world, "admin", Role.SYSTEM_ADMIN),
        evaluation=evaluation,
        reason="実績値の誤記を訂正するため",
    )
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.DRAFT
    assert (evaluation.reviewed_by, evaluation.locked_by) == ("", "")
    assert audit_count() == before + 1
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry.actor_username == "admin"
    assert entry.object_type == "plans.evaluation" and entry.object_id == str(evaluation.pk)
    assert entry.detail["reason"] == "実績値の誤記を訂正するため"
    assert entry.tenant_id == world.tenant_a.pk
    # And it can be edited again.
    assert draft(world, action, grade="A").grade == "A"


def test_each_step_of_an_evaluation_is_audited(world, action):
    before = audit_count()
    evaluation = draft(world, action)
    assert audit_count() == before + 1
    created = AuditEntry.objects.order_by("-sequence").first()
    assert created.action == Action.CREATE and created.detail["grade"] == "B"
    draft(world, action, grade="C")
    assert AuditEntry.objects.order_by("-sequence").first().action == Action.UPDATE
    services.evaluation_advance(actor=actor(world, "reviewer"), evaluation=evaluation)
    services.evaluation_advance(actor=actor(world, "chief"), evaluation=evaluation)
    assert audit_count() == before + 4
    statuses = [
        e.detail.get("status")
        for e in AuditEntry.objects.filter(object_type="plans.evaluation").order_by("sequence")
    ]
    assert statuses[-2:] == ["reviewed", "locked"]


def test_a_refused_write_leaves_no_audit_entry(world, action):
    before = audit_count()
    with pytest.raises(ValidationError):
        draft(world, action, grade="Z")
    assert audit_count() == before


# --- actuals ----------------------------------------------------------------------------


def indicator(plan, name) -> Indicator:
    return Indicator.objects.select_related("plan").get(plan=plan, name=name)


def test_an_actual_keeps_its_number_and_its_annotation(world, plan):
    rate = indicator(plan, "福祉教育の実施率")
    before = audit_count()
    actual = services.actual_record(
        actor=actor(world, "clerk"),
        indicator=rate,
        fiscal_year=2025,
        value="87.2（41/47校）",
        source="教育委員会調べ",
    )
    actual.refresh_from_db()
    assert actual.value == Decimal("87.2")
    assert actual.text == "87.2（41/47校）"
    assert planfile.parse_value(actual.text).annotation == "41/47校"
    assert (actual.source, actual.recorded_by) == ("教育委員会調べ", "clerk")
    assert audit_count() == before + 1
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry.action == Action.CREATE and entry.detail["value"] == "87.2"
    exported = selectors.plan_document(plan)["nodes"][0]["children"][0]["indicators"][0]
    assert exported["actuals"]["2025"] == {"value": "87.2（41/47校）", "source": "教育委員会調べ"}


def test_recording_the_same_year_again_corrects_it(world, plan):
    rate = indicator(plan, "福祉教育の実施率")
    services.actual_record(actor=actor(world, "clerk"), indicator=rate, fiscal_year=2025, value=85)
    services.actual_record(
        actor=actor(world, "clerk"), indicator=rate, fiscal_year=2025, value="３,２３２"
    )
    actual = IndicatorActual.objects.get(indicator=rate, fiscal_year=2025)
    assert actual.value == Decimal(3232)
    assert AuditEntry.objects.order_by("-sequence").first().action == Action.UPDATE


@pytest.mark.parametrize("value", ["未定", "―", "", True])
def test_an_actual_without_a_number_is_refused(world, plan, value):
    rate = indicator(plan, "福祉教育の実施率")
    before = audit_count()
    with override("en"), pytest.raises(ValidationError) as caught:
        services.actual_record(
            actor=actor(world, "clerk"), indicator=rate, fiscal_year=2025, value=value
        )
    assert "value" in caught.value.message_dict
    if value == "未定":
        assert "「未定」" in caught.value.message_dict["value"][0]
    assert not IndicatorActual.objects.filter(indicator=rate).exists()
    assert audit_count() == before


def test_an_actual_outside_the_plans_period_is_refused(world, plan):
    rate = indicator(plan, "福祉教育の実施率")
    with pytest.raises(ValidationError):
        services.actual_record(
            actor=actor(world, "clerk"), indicator=rate, fiscal_year=2030, value=90
        )
    assert not IndicatorActual.objects.filter(indicator=rate).exists()


def test_several_actuals_are_recorded_together_or_not_at_all(world, plan):
    rate = indicator(plan, "福祉教育の実施率")
    rows = [
        {"indicator": rate.ref, "fiscal_year": 2025, "value": 85},
        {"indicator": rate.ref, "fiscal_year": 2026, "value": "未定"},
    ]
    with pytest.raises(ValidationError):
        services.actuals_record_many(actor=actor(world, "clerk"), plan=plan, rows=rows)
    assert not IndicatorActual.objects.filter(indicator=rate).exists()
    rows[1]["value"] = 88
    assert services.actuals_record_many(actor=actor(world, "clerk"), plan=plan, rows=rows) == 2
    assert IndicatorActual.objects.filter(indicator=rate).count() == 2


# --- actuals from a published metric ---------------------------------------------------

METRIC = "accounts.commissioner_district_coverage"


def bind(plan) -> Indicator:
    coverage = indicator(plan, "民生委員・児童委員の充足率")
    coverage.metric_key = METRIC
    coverage.save(update_fields=["metric_key"])
    return coverage


def test_a_metric_fills_this_fiscal_years_actual(world, plan):
    coverage = bind(plan)
    count = services.metric_actuals_refresh(
        actor=actor(world, "system"), plan=plan, today=datetime.date(2025, 6, 1)
    )
    assert count == 1
    actual = IndicatorActual.objects.get(indicator=coverage, fiscal_year=2025)
    # 桶川市 has one commissioner district, inside the district of its welfare commissioner.
    assert actual.value == Decimal(100)
    assert actual.source == f"metric:{METRIC}"
    assert actual.text == "" and not actual.is_demo
    # The year before keeps the figure it had; other indicators are left alone.
    assert IndicatorActual.objects.get(indicator=coverage, fiscal_year=2024).value == Decimal(95)
    assert not IndicatorActual.objects.filter(indicator__name="福祉教育の実施率").exists()


def test_a_metric_refresh_is_audited_like_any_other_actual(world, plan):
    bind(plan)
    before = audit_count()
    services.metric_actuals_refresh(
        actor=actor(world, "system"), plan=plan, today=datetime.date(2025, 6, 1)
    )
    assert audit_count() > before


def test_a_metric_refresh_in_april_to_march_uses_the_fiscal_year(world, plan):
    coverage = bind(plan)
    services.metric_actuals_refresh(
        actor=actor(world, "system"), plan=plan, today=datetime.date(2026, 3, 31)
    )
    assert list(
        IndicatorActual.objects.filter(indicator=coverage).values_list("fiscal_year", flat=True)
    ) == [2024, 2025]


def test_a_metric_refresh_updates_rather_than_duplicates(world, plan):
    coverage = bind(plan)
    day = datetime.date(2025, 6, 1)
    services.metric_actuals_refresh(actor=actor(world, "system"), plan=plan, today=day)
    world.sub_district.delete()
    from sasaeai.core import services as core_services
    from sasaeai.core.models import AreaKind
    from tests.conftest import SYSTEM

    for name in ("加納第1区", "加納第2区"):
        core_services.area_create(
            actor=SYSTEM,
            tenant_id=world.tenant_a.pk,
            kind=AreaKind.COMMISSIONER_DISTRICT,
            name=name,
            name_kana="かのう",
            parent_id=world.other_district.pk,
        )
    core_services.area_create(
        actor=SYSTEM,
        tenant_id=world.tenant_a.pk,
        kind=AreaKind.COMMISSIONER_DISTRICT,
        name="桶川第2区",
        name_kana="おけがわ",
        parent_id=world.district.pk,
    )
    services.metric_actuals_refresh(actor=actor(world, "system"), plan=plan, today=day)
    actual = IndicatorActual.objects.get(indicator=coverage, fiscal_year=2025)
    # One of three commissioner districts lies in the commissioner's district.
    assert actual.value == Decimal("33.3")


def test_a_metric_refresh_outside_the_plans_period_writes_nothing(world, plan):
    coverage = bind(plan)
    count = services.metric_actuals_refresh(
        actor=actor(world, "system"), plan=plan, today=datetime.date(2030, 6, 1)
    )
    assert count == 0
    assert list(
        IndicatorActual.objects.filter(indicator=coverage).values_list("fiscal_year", flat=True)
    ) == [2024]


def test_a_metric_with_nothing_to_measure_writes_nothing(world):
    other = services.plan_import(
        actor=Actor(
            user_id=None,
            username="importer",
            tenant_id=world.tenant_b.pk,
            membership_id=None,
            role=None,
        ),
        tenant_id=world.tenant_b.pk,
        document=planfile.load(PLAN),
    )
    coverage = bind(other)
    # 所沢市 has no commissioner districts: the metric has no figure.
    count = services.metric_actuals_refresh(
        actor=actor(world, "system"), plan=other, today=datetime.date(2025, 6, 1)
    )
    assert count == 0
    assert not IndicatorActual.objects.filter(indicator=coverage, fiscal_year=2025).exists()


def test_a_plan_file_may_bind_an_indicator_to_a_published_metric_only(world):
    bound = PLAN.replace(
        "            actuals: {2024: {value: 95}}\n", f"            metric: {METRIC}\n"
    )
    assert f"metric: {METRIC}" in bound
    plan = services.plan_import(
        actor=actor(world, "importer"), tenant_id=world.tenant_a.pk, document=planfile.load(bound)
    )
    assert indicator(plan, "民生委員・児童委員の充足率").metric_key == METRIC
    with override("en"), pytest.raises(planfile.PlanFileError) as caught:
        planfile.load(bound.replace(METRIC, "accounts.no_such_metric"))
    (problem,) = caught.value.problems
    assert "accounts.no_such_metric" in problem.message
    metric_line = next(n for n, line in enumerate(bound.splitlines(), start=1) if "metric:" in line)
    assert problem.place == f"line {metric_line}"
