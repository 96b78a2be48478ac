"""The metric family surveys.share: shares from real answers, and a plan indicator bound to it
that moves when the nightly refresh runs after new answers."""

from decimal import Decimal

from django.core.management import call_command
from django.utils import timezone

from sasaeai.core import metrics
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import planfile
from sasaeai.plans import services as plans
from sasaeai.plans.models import Indicator, IndicatorActual
from sasaeai.surveys import services
from sasaeai.surveys.models import SurveyStatus
from tests.plans.test_evaluations import PLAN
from tests.surveys.conftest import answer, make_survey


def share(tenant_id, year=2026, slug="information_satisfaction"):
    return metrics.compute(f"surveys.share:{slug}", tenant_id=tenant_id, fiscal_year=year)


def test_the_share_counts_the_chosen_answers_of_the_bound_question(world, staff):
    survey = make_survey(staff)
    for satisfaction in ("satisfied", "somewhat_satisfied", "neutral", "dissatisfied",
                         "somewhat_satisfied", "satisfied"):  # fmt: skip
        answer(survey, satisfaction=satisfaction)
    assert share(world.tenant_a.pk) == 66.7  # 4 of 6, one decimal


def test_no_answers_no_survey_of_that_year_or_another_tenant_give_none(world, staff):
    survey = make_survey(staff)
    assert share(world.tenant_a.pk) is None  # open, unanswered
    answer(survey)
    assert share(world.tenant_a.pk, year=2025) is None
    assert share(world.tenant_b.pk) is None
    assert share(world.tenant_a.pk, slug="unknown_slug") is None


def test_a_draft_survey_does_not_count_and_the_latest_opened_survey_wins(world, staff):
    first = make_survey(staff, title="前期")
    answer(first, satisfaction="satisfied")
    make_survey(staff, title="下書き", open_it=False)
    assert share(world.tenant_a.pk) == 100.0
    second = make_survey(staff, title="後期")
    answer(second, satisfaction="dissatisfied")
    assert share(world.tenant_a.pk) == 0.0
    with tenant_context(second.tenant_id):
        services.survey_set_status(actor=staff, survey=second, status=SurveyStatus.CLOSED)
    assert share(world.tenant_a.pk) == 0.0  # a closed survey still reports its year


def test_options_list_the_slugs_in_use_with_their_question(world, staff):
    make_survey(staff)
    make_survey(staff, slug="housing_satisfaction")
    options = metrics.get("surveys.share:x")  # the family is registered
    assert options.unit == "%"
    family = next(f for f in metrics.all_families() if f.key == "surveys.share")
    assert family.options(world.tenant_a.pk) == [
        ("housing_satisfaction", "市の情報発信に対する満足度"),
        ("information_satisfaction", "市の情報発信に対する満足度"),
    ]
    assert family.options(world.tenant_b.pk) == []


def test_a_survey_answer_moves_a_plan_indicator_after_the_nightly_refresh(world, staff):
    year = fiscal_year_of(timezone.localdate())
    plan = plans.plan_import(actor=staff, tenant_id=world.tenant_a.pk, document=planfile.load(PLAN))
    indicator = Indicator.objects.get(plan=plan, name="福祉教育の実施率")
    indicator.metric_key = "surveys.share:information_satisfaction"
    indicator.save(update_fields=["metric_key"])
    survey = make_survey(staff, fiscal_year=year)
    answer(survey, satisfaction="satisfied")
    answer(survey, satisfaction="dissatisfied")
    call_command("refresh_plan_metrics", stdout=open("/dev/null", "w"))  # noqa: SIM115
    actual = IndicatorActual.objects.get(indicator=indicator, fiscal_year=year)
    assert actual.value == Decimal("50.0")
    answer(survey, satisfaction="somewhat_satisfied")
    call_command("refresh_plan_metrics", stdout=open("/dev/null", "w"))  # noqa: SIM115
    actual.refresh_from_db()
    assert actual.value == Decimal("66.7")
