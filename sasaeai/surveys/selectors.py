"""Reads of the surveys app: staff lists (policy-scoped), public lookups, results."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.http import Http404

from sasaeai.accounts import policy
from sasaeai.surveys.models import (
    SMALL_GROUP,
    Answer,
    Invitation,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyStatus,
)

VIEW = "surveys.view_results"
MANAGE = "surveys.manage"
NO_ANSWER = ""  # the breakdown group of those who left the breakdown question blank


def surveys_visible_to(actor: policy.Actor, permission: str = VIEW) -> QuerySet[Survey]:
    return (
        policy.scope(actor, permission, Survey.objects.all())
        .annotate(response_count=Count("responses", distinct=True))
        .order_by("-fiscal_year", "-created_at", "-pk")
    )


def survey_for(actor: policy.Actor, survey_id: int, permission: str = VIEW) -> Survey:
    """The survey if the actor may see it; 404 for another tenant's, 403 for a lacking role."""
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise Http404
    policy.require(actor, permission, survey)
    return survey


def questions_of(survey: Survey) -> list[Question]:
    return list(survey.questions.prefetch_related("choices").order_by("order"))


def public_survey(tenant_id: int, code: str) -> Survey | None:
    return Survey.objects.filter(tenant_id=tenant_id, code=code).first()


def invitation_counts(survey: Survey) -> tuple[int, int]:
    rows = Invitation.objects.filter(survey=survey)
    return rows.count(), rows.filter(used_at__isnull=False).count()


# --- results --------------------------------------------------------------------------------


@dataclass
class ChoiceCount:
    key: str
    label: str
    count: int
    percent: float | None


@dataclass
class QuestionResult:
    question: Question
    respondents: int  # people who answered this question
    choices: list[ChoiceCount] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # free text: staff only, filled on request


def _percent(count: int, total: int) -> float | None:
    return round(100 * count / total, 1) if total else None


def question_results(survey: Survey, *, with_texts: bool = False) -> list[QuestionResult]:
    """Per question: respondents, and per choice the count and its share of the respondents
    (a multiple-choice question's shares may add up to more than 100)."""
    questions = questions_of(survey)
    answers = Answer.objects.filter(question__in=[q.pk for q in questions])
    counts: dict[tuple[int, str], int] = {
        (row["question_id"], row["choice_key"]): row["n"]
        for row in answers.values("question_id", "choice_key").annotate(n=Count("id")).order_by()
    }
    # One row per respondent except in multiple choice: only those need a distinct count.
    respondents: dict[int, int] = defaultdict(int)
    for (question_id, _key), n in counts.items():
        respondents[question_id] += n
    multiple = [q.pk for q in questions if q.kind == QuestionKind.MULTIPLE]
    if multiple:
        respondents.update(
            Answer.objects.filter(question__in=multiple)
            .values("question_id")
            .annotate(n=Count("response_id", distinct=True))
            .order_by()
            .values_list("question_id", "n")
        )
    results = []
    for question in questions:
        total = respondents.get(question.pk, 0)
        result = QuestionResult(question=question, respondents=total)
        for choice in question.choices.all():
            n = counts.get((question.pk, choice.key), 0)
            result.choices.append(ChoiceCount(choice.key, choice.label, n, _percent(n, total)))
        if with_texts and question.kind == QuestionKind.FREE_TEXT:
            result.texts = list(
                answers.filter(question=question).order_by("pk").values_list("text", flat=True)
            )
        results.append(result)
    return results


@dataclass
class CrosstabRow:
    key: str
    label: str
    total: int | None  # None: suppressed
    cells: list[tuple[int, float | None]] | None  # (count, percent) per choice; None: suppressed


@dataclass
class Crosstab:
    question: Question
    by: Question
    choice_labels: list[str]
    rows: list[CrosstabRow]
    suppressed: int  # groups hidden


def crosstab(survey: Survey, question: Question, by: Question) -> Crosstab:
    return crosstabs(survey, [question], by)[0]


def crosstabs(survey: Survey, questions: list[Question], by: Question) -> list[Crosstab]:
    """Each question's answers per group of the breakdown question `by`.

    A group with fewer than SMALL_GROUP respondents is hidden whole (its total and every cell).
    Hiding one group alone would not protect it: the overall results minus the groups shown
    give it back. So when groups are hidden, further groups (smallest first) are hidden too,
    until at least two are and together they hold at least SMALL_GROUP respondents.
    """
    if not by.is_breakdown or by.survey_id != survey.pk:
        raise Http404
    if any(q.survey_id != survey.pk for q in questions):
        raise Http404
    # Two plain reads, counted here: the respondents' answers to `by`, and the questions'
    # answers. A self-join of the answers table grouped in SQL was 5 times slower (the join
    # passes through the responses and row security checks every row twice), and a survey's
    # answers fit in memory (20,000 respondents: some 60,000 short tuples).
    group_of = dict(Answer.objects.filter(question=by).values_list("response_id", "choice_key"))
    cells: dict[tuple[int, str, str], int] = defaultdict(int)
    totals: dict[int, dict[str, int]] = {q.pk: defaultdict(int) for q in questions}
    seen: set[tuple[int, int]] = set()
    for question_id, response_id, key in (
        Answer.objects.filter(question__in=[q.pk for q in questions])
        .order_by()
        .values_list("question_id", "response_id", "choice_key")
        .iterator(chunk_size=5000)
    ):
        group = group_of.get(response_id, NO_ANSWER)
        if key:
            cells[(question_id, group, key)] += 1
        if (question_id, response_id) not in seen:
            seen.add((question_id, response_id))
            totals[question_id][group] += 1
    return [_table(question, by, dict(totals[question.pk]), cells) for question in questions]


def _table(question, by, totals: dict[str, int], cells) -> Crosstab:
    groups = [(c.key, c.label) for c in by.choices.all()]
    if NO_ANSWER in totals:
        groups.append((NO_ANSWER, "無回答"))
    hidden = suppressed_groups(totals)
    choices = list(question.choices.all())
    rows = []
    for key, label in groups:
        total = totals.get(key, 0)
        if key in hidden:
            rows.append(CrosstabRow(key, label, None, None))
            continue
        counts = [cells.get((question.pk, key, c.key), 0) for c in choices]
        rows.append(CrosstabRow(key, label, total, [(n, _percent(n, total)) for n in counts]))
    return Crosstab(question, by, [c.label for c in choices], rows, len(hidden))


def suppressed_groups(totals: dict[str, int]) -> set[str]:
    """The groups to hide (see crosstab): all under SMALL_GROUP, plus complementary ones.
    Groups with no respondents are nobody's data and are shown as 0."""
    present = {key: n for key, n in totals.items() if n > 0}
    hidden = {key for key, n in present.items() if n < SMALL_GROUP}
    if not hidden:
        return hidden
    rest = sorted((n, key) for key, n in present.items() if key not in hidden)
    while rest and (len(hidden) < 2 or sum(present[k] for k in hidden) < SMALL_GROUP):
        hidden.add(rest.pop(0)[1])
    return hidden


def breakdown_questions(survey: Survey) -> list[Question]:
    return [q for q in questions_of(survey) if q.is_breakdown]


def response_count(survey: Survey) -> int:
    return Response.objects.filter(survey=survey).count()


# --- the metric family ----------------------------------------------------------------------


def share_of(tenant_id: int, fiscal_year: int, slug: str) -> float | None:
    """surveys.share:<slug> — the percentage (one decimal) of the answers to the question bound
    to `slug`, in the latest opened survey of that fiscal year, whose choice is counted."""
    question = (
        Question.objects.filter(
            tenant_id=tenant_id,
            metric_slug=slug,
            survey__fiscal_year=fiscal_year,
            survey__status__in=[SurveyStatus.OPEN, SurveyStatus.CLOSED],
        )  # fmt: skip
        .order_by("-survey__opened_at", "-survey_id")
        .first()
    )
    if question is None:
        return None
    answers = Answer.objects.filter(question=question)
    total = answers.values("response_id").distinct().count()
    if not total:
        return None
    counted = (
        answers.filter(choice_key__in=question.counted_keys)
        .values("response_id")
        .distinct()
        .count()
    )
    return round(100 * counted / total, 1)


def share_options(tenant_id: int) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for slug, text in (
        Question.objects.filter(tenant_id=tenant_id)
        .exclude(metric_slug="")
        .order_by("metric_slug", "-survey__fiscal_year")
        .values_list("metric_slug", "text")
    ):
        seen.setdefault(slug, text)
    return sorted(seen.items())
