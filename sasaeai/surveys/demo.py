"""Demo surveys (marked is_demo): 所沢市's 市民意識調査 and a 人権教育講座 questionnaire, whose
bound questions feed three indicators of its plan; a small event survey in the other cities.
Answers are drawn with core.demo.stable_unit, so the demo looks the same on every machine."""

from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.core.demo import stable_unit
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.core.tenancy import tenant_context
from sasaeai.surveys import services
from sasaeai.surveys.models import QuestionKind, SurveyKind, SurveyMode, SurveyStatus

AGES = [("age20", "10〜20代"), ("age30", "30代"), ("age40", "40代"), ("age50", "50代"),
        ("age60", "60代"), ("age70", "70歳以上")]  # fmt: skip
LIKERT = [key for key, _label in services.LIKERT_DEFAULT]
UNDERSTANDING = [("well", "よく理解できた"), ("understood", "理解できた"),
                 ("partly", "あまり理解できなかった"), ("not", "理解できなかった")]  # fmt: skip
SATISFIED = ["satisfied", "somewhat_satisfied"]


def _actor(tenant) -> Actor:
    return Actor(
        user_id=None, username="demo-loader", tenant_id=tenant.pk, membership_id=None,
        role=Role.MUNICIPAL_STAFF, otp_verified=True,
    )  # fmt: skip


def _pick(keys: list[str], weights: list[float], *seed) -> str:
    """A key with the given weights, drawn stably from `seed`."""
    point = stable_unit(*seed) * sum(weights)
    for key, weight in zip(keys, weights, strict=True):
        point -= weight
        if point < 0:
            return key
    return keys[-1]


def load_surveys(tenants: dict) -> None:
    year = fiscal_year_of(timezone.localdate())
    for code, tenant in tenants.items():
        with tenant_context(tenant.pk):
            if code == "112089":
                _citizen_survey(tenant, year)
                _course_survey(tenant, year)
            else:
                _event_survey(tenant, year)


def _citizen_survey(tenant, year: int) -> None:
    actor = _actor(tenant)
    survey = services.survey_create(
        actor=actor, title=f"（デモ）{year}年度 市民意識調査", kind=SurveyKind.CITIZEN,
        fiscal_year=year, mode=SurveyMode.ANONYMOUS, is_demo=True,
        description="（デモ）市の施策についての満足度をおたずねします。回答は無記名です。",
    )  # fmt: skip
    services.question_save(actor=actor, survey=survey, kind=QuestionKind.SINGLE, text="あなたの年代",
                           choices=AGES, required=True, is_breakdown=True)  # fmt: skip
    services.question_save(
        actor=actor, survey=survey, kind=QuestionKind.LIKERT, required=True,
        text="市の情報発信に対する満足度", metric_slug="information_satisfaction",
        counted_keys=SATISFIED,
    )  # fmt: skip
    services.question_save(
        actor=actor, survey=survey, kind=QuestionKind.LIKERT,
        text="住宅・住環境に関する施策の満足度", metric_slug="housing_satisfaction",
        counted_keys=SATISFIED,
    )  # fmt: skip
    services.question_save(actor=actor, survey=survey, kind=QuestionKind.FREE_TEXT,
                           text="市の施策へのご意見（自由記述）")  # fmt: skip
    survey = services.survey_set_status(actor=actor, survey=survey, status=SurveyStatus.OPEN)
    ages = [key for key, _label in AGES]
    for n in range(60):
        raw = {
            1: [_pick(ages, [1, 2, 3, 3, 3, 2], "age", n)],
            2: [_pick(LIKERT, [20, 48, 18, 9, 5], "info", n)],
            3: [_pick(LIKERT, [12, 42, 28, 12, 6], "housing", n)] if n % 10 else [],
            4: ["（デモ）災害時の情報をもっと早く知りたい。"] if n % 12 == 0 else [],
        }
        services.response_submit(survey=survey, raw=raw, is_demo=True)


def _course_survey(tenant, year: int) -> None:
    actor = _actor(tenant)
    survey = services.survey_create(
        actor=actor, title="（デモ）人権教育講座 受講者アンケート", kind=SurveyKind.COURSE,
        fiscal_year=year, mode=SurveyMode.ANONYMOUS, is_demo=True,
    )  # fmt: skip
    services.question_save(
        actor=actor, survey=survey, kind=QuestionKind.SINGLE, required=True,
        text="講座の内容の理解度", choices=UNDERSTANDING,
        metric_slug="human_rights_understanding", counted_keys=["well", "understood"],
    )  # fmt: skip
    services.question_save(actor=actor, survey=survey, kind=QuestionKind.FREE_TEXT,
                           text="感想をお書きください")  # fmt: skip
    survey = services.survey_set_status(actor=actor, survey=survey, status=SurveyStatus.OPEN)
    keys = [key for key, _label in UNDERSTANDING]
    for n in range(30):
        services.response_submit(
            survey=survey, raw={1: [_pick(keys, [62, 36, 1.5, 0.5], "rights", n)]}, is_demo=True
        )


def _event_survey(tenant, year: int) -> None:
    actor = _actor(tenant)
    survey = services.survey_create(
        actor=actor, title="（デモ）地域福祉フォーラム 参加者アンケート", kind=SurveyKind.EVENT,
        fiscal_year=year, mode=SurveyMode.ANONYMOUS, is_demo=True,
    )  # fmt: skip
    services.question_save(actor=actor, survey=survey, kind=QuestionKind.LIKERT, required=True,
                           text="フォーラムの満足度", metric_slug="forum_satisfaction",
                           counted_keys=SATISFIED)  # fmt: skip
    survey = services.survey_set_status(actor=actor, survey=survey, status=SurveyStatus.OPEN)
    for n in range(12):
        raw = {1: [_pick(LIKERT, [30, 40, 20, 7, 3], "forum", tenant.code, n)]}
        services.response_submit(survey=survey, raw=raw, is_demo=True)
