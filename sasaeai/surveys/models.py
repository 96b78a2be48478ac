"""Surveys (docs/surveys.md): 市民意識調査, course questionnaires and event feedback.

A survey's questions are fixed once answers exist (services refuse structural edits). An
answer is one row per chosen choice (a multiple-choice question gives several rows) or one
row of free text, so results are GROUP BY counts that any database does quickly.
Anonymous responses hold no user, no invitation and no IP address.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import TenantScoped

SMALL_GROUP = 5  # groups with fewer answers are not shown broken down


class SurveyKind(models.TextChoices):
    CITIZEN = "citizen", _("citizen survey")
    COURSE = "course", _("course questionnaire")
    EVENT = "event", _("event feedback")


class SurveyMode(models.TextChoices):
    ANONYMOUS = "anonymous", _("anonymous")
    SIGNED = "signed", _("signed (one answer per person)")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class Survey(TenantScoped):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SurveyKind.choices)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    mode = models.CharField(_("mode"), max_length=20, choices=SurveyMode.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    # The public link's code: random and URL-safe, so links cannot be guessed from each other.
    code = models.CharField(_("public code"), max_length=32, unique=True, editable=False)
    # When it was first opened: of several surveys of a year, the latest opened feeds a metric.
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["-fiscal_year", "-created_at", "-pk"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self):
        return self.title

    def accepts_answers(self, now=None) -> bool:
        now = now or timezone.now()
        if self.status != SurveyStatus.OPEN:
            return False
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now >= self.closes_at)


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("single choice")
    MULTIPLE = "multiple", _("multiple choice")
    LIKERT = "likert", _("five-point scale")
    FREE_TEXT = "free_text", _("free text")


CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.LIKERT)


class Question(TenantScoped):
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey")
    )
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=20, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=500)
    required = models.BooleanField(_("required"), default=False)
    # A plan indicator bound to "surveys.share:<metric_slug>" reads the share of answers
    # whose choice is among counted_keys (e.g. 満足 + やや満足).
    metric_slug = models.SlugField(_("indicator key"), max_length=60, blank=True)
    counted_keys = models.JSONField(_("counted choices"), default=list, blank=True)
    # An attribute question (年代, 地区) that results can be broken down by.
    is_breakdown = models.BooleanField(_("breakdown question"), default=False)

    class Meta:
        ordering = ["survey", "order"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["survey", "order"], name="surveys_question_order")
        ]

    def __str__(self):
        return f"{self.order}. {self.text}"

    @property
    def has_choices(self) -> bool:
        return self.kind in CHOICE_KINDS


class Choice(TenantScoped):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question")
    )
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("choice label"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"))

    class Meta:
        ordering = ["question", "order"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        constraints = [
            models.UniqueConstraint(fields=["question", "key"], name="surveys_choice_key")
        ]

    def __str__(self):
        return self.label


class Invitation(TenantScoped):
    """A one-time answer link of a signed survey; only the token's SHA-256 is stored."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("survey")
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    label = models.CharField(_("link label"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["survey", "pk"]
        verbose_name = _("answer link")
        verbose_name_plural = _("answer links")


class Response(TenantScoped):
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("survey")
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("answer link"),
    )  # fmt: skip
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("respondent"),
    )  # fmt: skip
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["survey", "pk"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            # One answer per link and per member: the database holds it even under a race.
            models.UniqueConstraint(
                fields=["invitation"],
                condition=models.Q(invitation__isnull=False),
                name="surveys_one_response_per_invitation",
            ),
            models.UniqueConstraint(
                fields=["survey", "user"],
                condition=models.Q(user__isnull=False),
                name="surveys_one_response_per_user",
            ),
        ]


class Answer(TenantScoped):
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="answers", verbose_name=_("response")
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    choice_key = models.CharField(_("choice"), max_length=40, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        ordering = ["response", "question", "pk"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question", "choice_key"], name="surveys_answer_once"
            )
        ]
        indexes = [
            models.Index(fields=["question", "choice_key"], name="surveys_answer_count"),
        ]
