"""Router /surveys (staff): the surveys, their questions, and results with the same small-group
suppression as the results page. Free-text answers are not served here."""

from datetime import datetime

from django.http import Http404
from ninja import Router, Schema
from ninja.pagination import paginate

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core.pagination import BoundedLimitOffsetPagination
from sasaeai.surveys import selectors
from sasaeai.surveys.models import CHOICE_KINDS

router = Router(tags=["surveys"])


class SurveyOut(Schema):
    id: int
    title: str
    kind: str
    fiscal_year: int
    mode: str
    status: str
    opens_at: datetime | None
    closes_at: datetime | None
    response_count: int


class ChoiceOut(Schema):
    key: str
    label: str


class QuestionOut(Schema):
    order: int
    kind: str
    text: str
    required: bool
    metric_slug: str
    counted_keys: list[str]
    is_breakdown: bool
    choices: list[ChoiceOut]

    @staticmethod
    def resolve_choices(obj) -> list[dict]:
        return [{"key": c.key, "label": c.label} for c in obj.choices.all()]


class SurveyDetailOut(SurveyOut):
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj):
        return selectors.questions_of(obj)


class ChoiceCountOut(Schema):
    key: str
    label: str
    count: int
    percent: float | None


class QuestionResultOut(Schema):
    order: int
    text: str
    kind: str
    respondents: int
    choices: list[ChoiceCountOut]


class CrosstabRowOut(Schema):
    key: str
    label: str
    suppressed: bool
    total: int | None
    counts: list[int] | None


class CrosstabOut(Schema):
    order: int
    choice_keys: list[str]
    rows: list[CrosstabRowOut]


class ResultsOut(Schema):
    survey_id: int
    responses: int
    questions: list[QuestionResultOut]
    breakdown_by: int | None
    crosstabs: list[CrosstabOut]


@router.get("", response=list[SurveyOut])
@paginate(BoundedLimitOffsetPagination)
def survey_list(request):
    policy.require(request.actor, selectors.VIEW)
    return selectors.surveys_visible_to(request.actor)


@router.get("/{survey_id}", response=SurveyDetailOut)
def survey_detail(request, survey_id: int):
    selectors.survey_for(request.actor, survey_id)
    return selectors.surveys_visible_to(request.actor).get(pk=survey_id)


@router.get("/{survey_id}/results", response=ResultsOut)
def survey_results(request, survey_id: int, by: int | None = None):
    """Counts and shares per question; `by=<order of a breakdown question>` adds cross-tabs in
    which groups under 5 answers (and their complements) have no figures."""
    actor = request.actor
    survey = selectors.survey_for(actor, survey_id)
    results = selectors.question_results(survey)
    crosstabs = []
    if by is not None:
        breakdown = next((q for q in selectors.breakdown_questions(survey) if q.order == by), None)
        if breakdown is None:
            raise Http404
        crossed = [
            r.question
            for r in results
            if r.question.kind in CHOICE_KINDS and r.question.pk != breakdown.pk
        ]
        for table in selectors.crosstabs(survey, crossed, breakdown):
            question = table.question
            crosstabs.append(
                CrosstabOut(
                    order=question.order,
                    choice_keys=[c.key for c in question.choices.all()],
                    rows=[
                        CrosstabRowOut(
                            key=row.key,
                            label=row.label,
                            suppressed=row.cells is None,
                            total=row.total,
                            counts=None if row.cells is None else [n for n, _p in row.cells],
                        )  # fmt: skip
                        for row in table.rows
                    ],
                )
            )
    audit_object(actor, Action.READ, survey, detail={"api": "results", "by": by})
    return ResultsOut(
        survey_id=survey.pk,
        responses=selectors.response_count(survey),
        questions=[
            QuestionResultOut(
                order=r.question.order,
                text=r.question.text,
                kind=r.question.kind,
                respondents=r.respondents,
                choices=[
                    ChoiceCountOut(key=c.key, label=c.label, count=c.count, percent=c.percent)
                    for c in r.choices
                ],
            )  # fmt: skip
            for r in results
        ],
        breakdown_by=by,
        crosstabs=crosstabs,
    )
