"""Writes of the surveys app: surveys and questions (staff), answer links, responses (public)."""

import hashlib
import re
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.surveys.models import (
    CHOICE_KINDS,
    Answer,
    Choice,
    Invitation,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyMode,
    SurveyStatus,
)

MANAGE = "surveys.manage"
FREE_TEXT_LIMIT = 2000
MAX_INVITATIONS = 2000
LIKERT_DEFAULT = (
    ("satisfied", "満足"),
    ("somewhat_satisfied", "やや満足"),
    ("neutral", "どちらともいえない"),
    ("somewhat_dissatisfied", "やや不満"),
    ("dissatisfied", "不満"),
)
_KEY = re.compile(r"^[a-z0-9_-]{1,40}$")


class AlreadyAnswered(Exception):
    """The link was used, or the member answered already: the first answer stands."""


class NotAccepting(Exception):
    """The survey is a draft, closed, or outside its answering period."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_code() -> str:
    return secrets.token_urlsafe(12)  # 16 characters


def has_responses(survey: Survey) -> bool:
    return Response.objects.filter(survey=survey).exists()


def _refuse_structure_change(survey: Survey) -> None:
    if has_responses(survey):
        raise ValidationError(
            _(
                "This survey already has answers: questions can no longer be added, removed, "
                "reordered or given other choices. Wording, the indicator key and the "
                "breakdown flag can still be changed."
            )
        )


# --- surveys --------------------------------------------------------------------------------


@transaction.atomic
def survey_create(
    *,
    actor: Actor,
    title: str,
    kind: str,
    fiscal_year: int,
    mode: str,
    description: str = "",
    opens_at=None,
    closes_at=None,
    is_demo: bool = False,
) -> Survey:
    policy.require(actor, MANAGE)
    survey = Survey(
        tenant_id=actor.tenant_id, title=title.strip(), description=description.strip(),
        kind=kind, fiscal_year=fiscal_year, mode=mode, opens_at=opens_at, closes_at=closes_at,
        code=_new_code(), created_by_id=actor.user_id, is_demo=is_demo,
    )  # fmt: skip
    _validate_period(survey)
    survey.full_clean()
    survey.save()
    audit_object(actor, Action.CREATE, survey)
    return survey


def _validate_period(survey: Survey) -> None:
    if survey.opens_at and survey.closes_at and survey.closes_at <= survey.opens_at:
        raise ValidationError({"closes_at": [_("The closing time must be after the opening.")]})


EDITABLE_SURVEY_FIELDS = ("title", "description", "kind", "fiscal_year", "opens_at", "closes_at")


@transaction.atomic
def survey_update(*, actor: Actor, survey: Survey, **values) -> Survey:
    """Change a survey's wording, kind, year and period; its mode only while unanswered."""
    policy.require(actor, MANAGE, survey)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    unknown = set(values) - {*EDITABLE_SURVEY_FIELDS, "mode"}
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    if "mode" in values and values["mode"] != survey.mode:
        _refuse_structure_change(survey)
    for name, value in values.items():
        setattr(survey, name, value.strip() if isinstance(value, str) else value)
    _validate_period(survey)
    survey.full_clean()
    survey.save()
    audit_object(actor, Action.UPDATE, survey, detail={"fields": sorted(values)})
    return survey


@transaction.atomic
def survey_set_status(*, actor: Actor, survey: Survey, status: str) -> Survey:
    policy.require(actor, MANAGE, survey)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if status not in SurveyStatus.values:
        raise ValueError(status)
    if status == SurveyStatus.OPEN:
        if not survey.questions.exists():
            raise ValidationError(_("Add at least one question before opening the survey."))
        if survey.opened_at is None:
            survey.opened_at = timezone.now()
    elif status == SurveyStatus.DRAFT and has_responses(survey):
        raise ValidationError(_("A survey with answers cannot go back to draft."))
    survey.status = status
    survey.save(update_fields=["status", "opened_at"])
    audit_object(actor, Action.UPDATE, survey, detail={"status": status})
    return survey


# --- questions ------------------------------------------------------------------------------


def parse_choices(text: str) -> list[tuple[str, str]]:
    """Lines of 「key|label」 or just 「label」 (then the key is c1, c2 …)."""
    choices = []
    for index, line in enumerate(line.strip() for line in text.splitlines() if line.strip()):
        key, sep, label = line.partition("|")
        if not sep:
            key, label = f"c{index + 1}", line
        choices.append((key.strip(), label.strip()))
    return choices


def _clean_choices(kind: str, choices: list[tuple[str, str]] | None) -> list[tuple[str, str]]:
    if kind not in CHOICE_KINDS:
        return []
    if kind == QuestionKind.LIKERT and not choices:
        return list(LIKERT_DEFAULT)
    choices = choices or []
    errors = []
    if kind == QuestionKind.LIKERT and len(choices) != 5:
        errors.append(_("A five-point scale has exactly five choices."))
    if kind != QuestionKind.LIKERT and len(choices) < 2:
        errors.append(_("Give at least two choices."))
    keys = [key for key, _label in choices]
    for key, label in choices:
        if not _KEY.match(key):
            errors.append(
                _("Choice key %(key)s: use lower-case letters, digits, - and _ only.")
                % {"key": key}
            )
        if not label:
            errors.append(_("Choice key %(key)s has no label.") % {"key": key})
    if len(set(keys)) != len(keys):
        errors.append(_("Two choices have the same key."))
    if errors:
        raise ValidationError({"choices": errors})
    return choices


@transaction.atomic
def question_save(
    *,
    actor: Actor,
    survey: Survey,
    kind: str,
    text: str,
    question: Question | None = None,
    required: bool = False,
    choices: list[tuple[str, str]] | None = None,
    metric_slug: str = "",
    counted_keys: list[str] | None = None,
    is_breakdown: bool = False,
) -> Question:
    """Add a question (at the end) or change one. Once the survey has answers, only the wording,
    the indicator binding and the breakdown flag may change (the kind, the requirement and the
    choice keys are what the stored answers mean)."""
    policy.require(actor, MANAGE, survey)
    if question is not None and question.survey_id != survey.pk:
        raise ValidationError(_("The question belongs to another survey."))
    cleaned = _clean_choices(kind, choices)
    existing = [] if question is None else list(question.choices.values_list("key", "label"))
    structural = (
        question is None
        or kind != question.kind
        or required != question.required
        or [k for k, _l in cleaned] != [k for k, _l in existing]
    )
    if structural:
        _refuse_structure_change(survey)
    counted_keys = [key for key in (counted_keys or []) if key]
    keys = {key for key, _label in cleaned}
    errors = {}
    if metric_slug and kind not in CHOICE_KINDS:
        errors["metric_slug"] = [_("Only a question with choices can feed an indicator.")]
    elif metric_slug and not counted_keys:
        errors["counted_keys"] = [_("Choose which answers the indicator counts.")]
    unknown = [key for key in counted_keys if key not in keys]
    if unknown:
        errors["counted_keys"] = [_("Unknown choice keys: %(keys)s") % {"keys": ", ".join(unknown)}]
    if is_breakdown and kind not in (QuestionKind.SINGLE, QuestionKind.LIKERT):
        errors["is_breakdown"] = [_("Only a single-choice question can break results down.")]
    if errors:
        raise ValidationError(errors)
    if question is None:
        last = survey.questions.order_by("-order").values_list("order", flat=True).first() or 0
        question = Question(tenant_id=survey.tenant_id, survey=survey, order=last + 1)
    question.kind, question.text, question.required = kind, text.strip(), required
    question.metric_slug, question.counted_keys = metric_slug, counted_keys if metric_slug else []
    question.is_breakdown = is_breakdown
    question.full_clean()
    question.save()
    if structural:
        question.choices.all().delete()
    rows = {c.key: c for c in question.choices.all()}
    for order, (key, label) in enumerate(cleaned, start=1):
        choice = rows.get(key) or Choice(tenant_id=survey.tenant_id, question=question, key=key)
        choice.label, choice.order = label, order
        choice.full_clean()
        choice.save()
    audit_object(actor, Action.UPDATE if existing else Action.CREATE, question, subject=survey)
    return question


@transaction.atomic
def question_delete(*, actor: Actor, question: Question) -> None:
    survey = question.survey
    policy.require(actor, MANAGE, survey)
    _refuse_structure_change(survey)
    audit_object(actor, Action.DELETE, question, subject=survey)
    question.delete()
    for order, row in enumerate(survey.questions.order_by("order"), start=1):
        if row.order != order:
            Question.objects.filter(pk=row.pk).update(order=order)


# --- answer links ---------------------------------------------------------------------------


@transaction.atomic
def invitations_create(
    *, actor: Actor, survey: Survey, count: int, label: str = ""
) -> list[tuple[Invitation, str]]:
    """`count` one-time links of a signed survey. The tokens exist only in what this returns
    (the CSV or PDF made from it at once): only their hashes are stored."""
    policy.require(actor, MANAGE, survey)
    if survey.mode != SurveyMode.SIGNED:
        raise ValidationError(_("Only a signed survey has answer links."))
    if not 1 <= count <= MAX_INVITATIONS:
        raise ValidationError(
            {"count": [_("Between 1 and %(max)d links at a time.") % {"max": MAX_INVITATIONS}]}
        )
    made = []
    for number in range(1, count + 1):
        token = secrets.token_urlsafe(24)
        made.append(
            (
                Invitation(
                    tenant_id=survey.tenant_id,
                    survey=survey,
                    token_hash=token_hash(token),
                    label=f"{label.strip()}{number}" if label.strip() else "",
                ),  # fmt: skip
                token,
            )
        )
    Invitation.objects.bulk_create([invitation for invitation, _token in made])
    audit_object(actor, Action.CREATE, survey, detail={"invitations": count})
    return made


# --- answering ------------------------------------------------------------------------------


def answers_clean(questions: list[Question], raw: dict[int, list[str]]) -> dict[int, list[str]]:
    """Check the submitted values (question order → values) against the questions; raise a
    ValidationError keyed by "q<order>" with every problem at once."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[int, list[str]] = {}
    for question in questions:
        values = [v.strip() for v in raw.get(question.order, []) if v and v.strip()]
        field = f"q{question.order}"
        if not values:
            if question.required:
                errors[field] = [_("Please answer this question.")]
            continue
        if question.kind == QuestionKind.FREE_TEXT:
            if len(values) > 1:
                errors[field] = [_("Give one answer.")]
            elif len(values[0]) > FREE_TEXT_LIMIT:
                errors[field] = [_("At most %(limit)d characters.") % {"limit": FREE_TEXT_LIMIT}]
            cleaned[question.order] = values[:1]
            continue
        keys = {c.key for c in question.choices.all()}
        if any(v not in keys for v in values):
            errors[field] = [_("Choose from the choices shown.")]
        elif question.kind != QuestionKind.MULTIPLE and len(values) > 1:
            errors[field] = [_("Choose only one.")]
        elif len(set(values)) != len(values):
            errors[field] = [_("Choose each answer once.")]
        cleaned[question.order] = values
    if errors:
        raise ValidationError(errors)
    return cleaned


def invitation_for_token(survey: Survey, token: str) -> Invitation | None:
    return Invitation.objects.filter(survey=survey, token_hash=token_hash(token)).first()


def response_submit(
    *,
    survey: Survey,
    raw: dict[int, list[str]],
    token: str | None = None,
    actor: Actor | None = None,
    is_demo: bool = False,
    now=None,
) -> Response:
    """Save one person's answers, all or nothing.

    Anonymous surveys record nothing about who answered (no user, no link, no IP, no audit
    entry, which would carry the IP). Signed surveys take a one-time link (`token`) or a
    signed-in member of the survey's tenant (`actor`), one response each: a second attempt
    raises AlreadyAnswered and leaves the first untouched.
    """
    if not survey.accepts_answers(now):
        raise NotAccepting
    questions = list(survey.questions.prefetch_related("choices").order_by("order"))
    cleaned = answers_clean(questions, raw)
    invitation = None
    user_id = None
    if survey.mode == SurveyMode.SIGNED:
        if token:
            invitation = invitation_for_token(survey, token)
            if invitation is None:
                raise PermissionDenied
        elif actor is not None and actor.is_member and actor.tenant_id == survey.tenant_id:
            user_id = actor.user_id
        else:
            raise PermissionDenied
    try:
        with transaction.atomic():
            if invitation is not None:
                invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
                if invitation.used_at is not None:
                    raise AlreadyAnswered
                invitation.used_at = now or timezone.now()
                invitation.save(update_fields=["used_at"])
            elif (
                user_id is not None
                and Response.objects.filter(survey=survey, user_id=user_id).exists()
            ):
                raise AlreadyAnswered
            response = Response.objects.create(
                tenant_id=survey.tenant_id, survey=survey, invitation=invitation,
                user_id=user_id, is_demo=is_demo, submitted_at=now or timezone.now(),
            )  # fmt: skip
            Answer.objects.bulk_create(_answer_rows(response, questions, cleaned))
            if survey.mode == SurveyMode.SIGNED:
                who = actor if user_id is not None else None
                public = who or Actor(
                    user_id=None, username="public", tenant_id=survey.tenant_id,
                    membership_id=None, role=None,
                )  # fmt: skip
                audit_object(public, Action.CREATE, response, subject=survey)
    except IntegrityError as error:  # the same link or member in a concurrent request
        raise AlreadyAnswered from error
    return response


def _answer_rows(response, questions, cleaned) -> list[Answer]:
    rows = []
    for question in questions:
        for value in cleaned.get(question.order, []):
            free = question.kind == QuestionKind.FREE_TEXT
            rows.append(
                Answer(
                    tenant_id=response.tenant_id,
                    response=response,
                    question=question,
                    choice_key="" if free else value,
                    text=value if free else "",
                )  # fmt: skip
            )
    return rows
