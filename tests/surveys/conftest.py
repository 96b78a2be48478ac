import pytest

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.core.tenancy import tenant_context
from sasaeai.surveys import services
from sasaeai.surveys.models import QuestionKind, SurveyKind, SurveyMode, SurveyStatus

AGES = [("young", "10〜30代"), ("middle", "40〜50代"), ("senior", "60代以上")]


def member_actor(membership) -> Actor:
    return Actor(
        user_id=membership.user_id, username=membership.user.username,
        tenant_id=membership.tenant_id, membership_id=membership.pk, role=Role(membership.role),
        otp_verified=True,
    )  # fmt: skip


@pytest.fixture
def staff(world):
    return member_actor(world.members[Role.MUNICIPAL_STAFF])


def make_survey(actor, *, mode=SurveyMode.ANONYMOUS, fiscal_year=2026, title="市民意識調査",
                open_it=True, slug="information_satisfaction"):  # fmt: skip
    """A survey with 1 age (breakdown), 2 satisfaction (likert, bound), 3 topics (multiple),
    4 opinion (free text)."""
    with tenant_context(actor.tenant_id):
        survey = services.survey_create(
            actor=actor, title=title, kind=SurveyKind.CITIZEN, fiscal_year=fiscal_year, mode=mode
        )
        services.question_save(actor=actor, survey=survey, kind=QuestionKind.SINGLE,
                               text="年代", choices=AGES, required=True, is_breakdown=True)  # fmt: skip
        services.question_save(actor=actor, survey=survey, kind=QuestionKind.LIKERT,
                               text="市の情報発信に対する満足度", required=True, metric_slug=slug,
                               counted_keys=["satisfied", "somewhat_satisfied"])  # fmt: skip
        services.question_save(actor=actor, survey=survey, kind=QuestionKind.MULTIPLE,
                               text="関心のある分野", choices=[("care", "介護"), ("child", "子育て"),
                                                          ("disaster", "防災")])  # fmt: skip
        services.question_save(actor=actor, survey=survey, kind=QuestionKind.FREE_TEXT,
                               text="ご意見")  # fmt: skip
        if open_it:
            survey = services.survey_set_status(
                actor=actor, survey=survey, status=SurveyStatus.OPEN
            )
    return survey


def answer(survey, age="young", satisfaction="satisfied", topics=(), text="", **kwargs):
    raw = {1: [age] if age else [], 2: [satisfaction] if satisfaction else [], 3: list(topics),
           4: [text] if text else []}  # fmt: skip
    with tenant_context(survey.tenant_id):
        return services.response_submit(survey=survey, raw=raw, **kwargs)
