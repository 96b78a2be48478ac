"""Plans: a plan's own tree of levels and nodes, its text, roles, indicators and yearly review.

Nothing about a particular city is in code: level names, actors, section headings and the
evaluation scale are rows of each plan (see docs/plan-format.md).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sasaeai.core import metrics
from sasaeai.core.models import TenantScoped

METRIC_SOURCE_PREFIX = "metric:"  # an actual's source when a metric recorded it


def metric_label(key: str) -> str:
    """The name a module published for a metric, for people; the key if none publishes it."""
    try:
        return str(metrics.get(key).label)
    except KeyError:
        return key


class PublicEvaluations(models.TextChoices):
    """Which of the committee's evaluations a published plan shows; drafts never."""

    REVIEWED = "reviewed", _("reviewed and locked evaluations")
    LOCKED = "locked", _("locked evaluations only")
    NONE = "none", _("no evaluations")


class PlanKind(models.TextChoices):
    COMMUNITY_WELFARE_PLAN = "community_welfare_plan", _("community welfare plan")
    COUNCIL_ACTIVITY_PLAN = "council_activity_plan", _("council activity plan")
    JOINT_PLAN = "joint_plan", _("joint plan")


class Direction(models.TextChoices):
    INCREASE = "increase", _("increase")
    MAINTAIN = "maintain", _("maintain")
    DECREASE = "decrease", _("decrease")
    NONE = "none", _("no direction")


class SectionKind(models.TextChoices):
    SUMMARY = "summary", _("summary")
    DESIRED_STATE = "desired_state", _("desired state")
    SITUATION = "situation", _("current situation")
    PROBLEMS = "problems", _("problems")
    SITUATION_AND_PROBLEMS = "situation_and_problems", _("situation and problems")
    DIRECTION = "direction", _("direction")
    MAIN_ACTIVITIES = "main_activities", _("main activities")
    FUTURE_VISION = "future_vision", _("future vision")
    MESSAGE = "message", _("message to residents")
    NOTE = "note", _("note")


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    REVIEWED = "reviewed", _("reviewed")
    LOCKED = "locked", _("locked")


DEFAULT_GRADES = [
    {"grade": "A", "label": "計画どおり進んでいる", "definition": "計画どおり、または計画以上に実施できた。", "score": 4},
    {"grade": "B", "label": "おおむね計画どおり進んでいる", "definition": "一部に課題はあるが、おおむね計画どおり実施できた。", "score": 3},
    {"grade": "C", "label": "やや遅れている", "definition": "取組の一部が実施できず、計画より遅れている。", "score": 2},
    {"grade": "D", "label": "遅れている・未着手", "definition": "取組がほとんど実施できていない、または未着手。", "score": 1},
]  # fmt: skip


class Plan(TenantScoped):
    code = models.SlugField(_("code"), max_length=80)
    title = models.CharField(_("title"), max_length=200)
    short_title = models.CharField(_("short title"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=40, choices=PlanKind.choices)
    owners = models.JSONField(_("owners"), default=list, blank=True)
    embedded_plans = models.JSONField(_("embedded plans"), default=list, blank=True)
    start_year = models.PositiveSmallIntegerField(_("first fiscal year"))
    end_year = models.PositiveSmallIntegerField(_("last fiscal year"))
    review_points = models.JSONField(_("review points"), default=list, blank=True)
    evaluation_cadence_years = models.PositiveSmallIntegerField(_("evaluation cadence"), default=1)
    vision = models.CharField(_("vision"), max_length=200, blank=True)
    vision_text = models.TextField(_("vision statement"), blank=True)
    slogan = models.CharField(_("slogan"), max_length=200, blank=True)
    source = models.TextField(_("source"), blank=True)
    priority_label = models.CharField(_("name of priorities"), max_length=40, blank=True)
    priority_mark = models.CharField(_("priority mark"), max_length=8, blank=True)
    maintain_tolerance_percent = models.DecimalField(
        _("tolerance for maintain (%)"), max_digits=5, decimal_places=2, default=5
    )
    section_headings = models.JSONField(_("section headings"), default=dict, blank=True)
    grades = models.JSONField(_("evaluation scale"), default=list, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Public progress pages (/progress/<tenant code>/<plan code>/): off until a planner turns
    # them on; the fiscal year shown (blank: the latest with actuals) and which evaluations.
    public_progress = models.BooleanField(_("publish progress"), default=False)
    public_year = models.PositiveSmallIntegerField(
        _("fiscal year shown publicly"), null=True, blank=True
    )
    public_evaluations = models.CharField(
        _("evaluations shown publicly"),
        max_length=20,
        choices=PublicEvaluations.choices,
        default=PublicEvaluations.REVIEWED,
    )

    policy_public_field = "public_progress"  # accounts.policy.public_scope

    class Meta:
        ordering = ["start_year", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="plan_code_unique_in_tenant")
        ]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self):
        return self.title

    @property
    def fiscal_years(self) -> range:
        return range(self.start_year, self.end_year + 1)

    def check_fiscal_year(self, fiscal_year: int) -> None:
        if fiscal_year not in self.fiscal_years:
            raise ValidationError({"fiscal_year": gettext(
                "Fiscal year %(year)s is outside the plan's period (%(start)s–%(end)s)")
                % {"year": fiscal_year, "start": self.start_year, "end": self.end_year}})  # fmt: skip

    @property
    def public_evaluation_statuses(self) -> tuple[str, ...]:
        """Statuses of the evaluations the public pages show: never a draft."""
        if self.public_evaluations == PublicEvaluations.LOCKED:
            return (EvaluationStatus.LOCKED,)
        if self.public_evaluations == PublicEvaluations.NONE:
            return ()
        return (EvaluationStatus.REVIEWED, EvaluationStatus.LOCKED)

    @property
    def grade_scale(self) -> list[dict]:
        return self.grades or DEFAULT_GRADES

    def heading_for(self, kind: str) -> str:
        return self.section_headings.get(kind) or str(SectionKind(kind).label)


class PlanLevel(TenantScoped):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="levels")
    key = models.CharField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(default=0)
    under = models.CharField(_("under level"), max_length=40, blank=True)
    may_be_top = models.BooleanField(_("may stand at the top"), default=False)
    evaluated = models.BooleanField(_("evaluated yearly"), default=False)
    cross_cutting = models.BooleanField(_("cross-cutting"), default=False)

    class Meta:
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="plan_level_key_unique")
        ]

    def __str__(self):
        return self.name


class PlanActor(TenantScoped):
    """Who a plan assigns roles to (行政等, 市民, 社協…); not a user role."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actors")
    key = models.CharField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="plan_actor_key_unique")
        ]

    def __str__(self):
        return self.name


class PlanNode(TenantScoped):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    level = models.ForeignKey(PlanLevel, on_delete=models.CASCADE, related_name="nodes")
    ref = models.CharField(_("reference"), max_length=120)
    explicit_ref = models.BooleanField(default=False)
    label = models.CharField(_("label"), max_length=40)
    title = models.CharField(_("title"), max_length=300, blank=True)
    priority = models.BooleanField(_("priority"), default=False)
    themes = models.JSONField(_("themes"), default=list, blank=True)
    responsible = models.JSONField(_("responsible departments"), default=list, blank=True)
    # Pre-order position in the whole tree and depth: one ordered query draws the tree.
    position = models.PositiveIntegerField(default=0)
    depth = models.PositiveSmallIntegerField(default=0)
    links = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="linked_from"
    )

    class Meta:
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "ref"], name="plan_node_ref_unique")]
        verbose_name = _("plan node")

    def __str__(self):
        return f"{self.label} {self.title}".strip()


class NodeTheme(TenantScoped):
    """One row per theme tag, so plans can be compared by theme in SQL."""

    node = models.ForeignKey(PlanNode, on_delete=models.CASCADE, related_name="theme_rows")
    name = models.CharField(_("theme"), max_length=60, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["node", "name"], name="node_theme_unique")]


class NodeSection(TenantScoped):
    node = models.ForeignKey(PlanNode, on_delete=models.CASCADE, related_name="sections")
    kind = models.CharField(_("kind"), max_length=40, choices=SectionKind.choices)
    heading = models.CharField(_("heading"), max_length=100, blank=True)
    text = models.TextField(_("text"), blank=True)
    items = models.JSONField(_("items"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["node", "order"]


class RoleStatement(TenantScoped):
    node = models.ForeignKey(PlanNode, on_delete=models.CASCADE, related_name="role_statements")
    actor = models.ForeignKey(PlanActor, on_delete=models.CASCADE, related_name="statements")
    text = models.TextField(_("statement"))
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["node", "actor__order", "order"]


class Indicator(TenantScoped):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    node = models.ForeignKey(PlanNode, on_delete=models.CASCADE, related_name="indicators")
    ref = models.CharField(_("reference"), max_length=120)
    explicit_ref = models.BooleanField(default=False)
    name = models.CharField(_("name"), max_length=300)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    baseline_year = models.PositiveSmallIntegerField(
        _("baseline fiscal year"), null=True, blank=True
    )
    baseline_value = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    baseline_text = models.CharField(_("baseline as printed"), max_length=100, blank=True)
    department = models.CharField(_("responsible department"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    metric_key = models.CharField(_("metric"), max_length=100, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "ref"], name="indicator_ref_unique")]
        verbose_name = _("indicator")

    def __str__(self):
        return self.name

    @property
    def metric_label(self) -> str:
        return metric_label(self.metric_key) if self.metric_key else ""


class IndicatorTarget(TenantScoped):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    value = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    text = models.CharField(_("as printed"), max_length=100, blank=True)
    unset_reason = models.TextField(_("reason the target is not set"), blank=True)

    class Meta:
        ordering = ["indicator", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "fiscal_year"], name="indicator_target_year_unique"
            )
        ]

    @property
    def is_unset(self) -> bool:
        return self.value is None


class IndicatorActual(TenantScoped):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="actuals")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    value = models.DecimalField(max_digits=16, decimal_places=4)
    text = models.CharField(_("as recorded"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    recorded_by = models.CharField(_("recorded by"), max_length=150, blank=True)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["indicator", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "fiscal_year"], name="indicator_actual_year_unique"
            )
        ]

    @property
    def source_label(self) -> str:
        """The source for people: a metric's name rather than its key."""
        if self.source.startswith(METRIC_SOURCE_PREFIX):
            key = self.source.removeprefix(METRIC_SOURCE_PREFIX)
            return gettext("Counted automatically: %(metric)s") % {"metric": metric_label(key)}
        return self.source


class Evaluation(TenantScoped):
    node = models.ForeignKey(PlanNode, on_delete=models.CASCADE, related_name="evaluations")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    grade = models.CharField(_("grade"), max_length=8)
    results = models.TextField(_("results"), blank=True)
    issues = models.TextField(_("issues"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    drafted_by = models.CharField(max_length=150, blank=True)
    reviewed_by = models.CharField(max_length=150, blank=True)
    locked_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["node", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["node", "fiscal_year"], name="evaluation_year_unique")
        ]
        verbose_name = _("evaluation")
