"""The plans JSON API: plans and their trees, indicators with progress, actuals, evaluations.

Reads need plans.view_plan; each write asks for its own permission on the plan. A plan, node,
indicator or evaluation of another tenant, or of another plan, is 404. Refusals that carry a
reason (a locked evaluation, reviewing one's own draft) keep it in the error message.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Body, Field, Query, Router, Schema
from pydantic import WithJsonSchema

from sasaeai.accounts import policy
from sasaeai.accounts.middleware import api_error
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.plans import planfile, selectors, services
from sasaeai.plans.models import (
    Evaluation,
    EvaluationStatus,
    Indicator,
    IndicatorActual,
    Plan,
    PlanKind,
    PlanNode,
)
from sasaeai.plans.progress import Assessment, Rollup, Status

router = Router(tags=["plans"])


# --- schemas ----------------------------------------------------------------------------


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorBody


class PeriodOut(Schema):
    start: int
    end: int


class LevelCountOut(Schema):
    level: str
    name: str
    count: int


class PlanCountsOut(Schema):
    levels: list[LevelCountOut]
    nodes: int
    priority: int
    indicators: int


class PlanOut(Schema):
    id: int
    code: str
    title: str
    short_title: str
    kind: PlanKind
    kind_label: str
    period: PeriodOut
    is_demo: bool
    counts: PlanCountsOut


class LevelOut(Schema):
    key: str
    name: str
    under: str
    may_be_top: bool
    evaluated: bool
    cross_cutting: bool


class ActorOut(Schema):
    key: str
    name: str


class GradeOut(Schema):
    grade: str
    label: str
    definition: str = ""
    score: float


class ReviewPointOut(Schema):
    fiscal_year: int
    kind: str
    label: str = ""


class PlanDetailOut(PlanOut):
    owners: list[str]
    embedded_plans: list[str]
    vision: str
    vision_text: str
    slogan: str
    source: str
    priority_label: str
    priority_mark: str
    maintain_tolerance_percent: float
    evaluation_cadence_years: int
    section_headings: dict[str, str]
    levels: list[LevelOut]
    actors: list[ActorOut]
    grades: list[GradeOut]
    review_points: list[ReviewPointOut]
    fiscal_years: list[int]
    current_fiscal_year: int


class SectionOut(Schema):
    kind: str
    heading: str
    text: str
    items: list[str]


class NodeOut(Schema):
    id: int
    parent_id: int | None
    ref: str
    level: str
    level_name: str
    label: str
    title: str
    priority: bool
    depth: int
    themes: list[str]
    responsible: list[str]
    links: list[int]
    sections: list[SectionOut]
    roles: dict[str, list[str]] = Field(..., description="actor key → statements, in order")


class NodePatchIn(Schema):
    # Each field may be left out (unchanged) but not sent as null: a node always has them.
    title: str = Field(None, max_length=300)
    themes: list[str] = None
    responsible: list[str] = None
    priority: bool = None


class FigureOut(Schema):
    value: float | None
    text: str = Field(..., description="as printed; empty when given as a plain number")
    annotation: str = Field(..., description="the bracketed note of the printed figure")


class BaselineOut(FigureOut):
    fiscal_year: int


class TargetOut(FigureOut):
    fiscal_year: int
    unset_reason: str


class ActualOut(FigureOut):
    fiscal_year: int
    source: str
    note: str
    is_demo: bool
    recorded_by: str
    recorded_at: datetime | None


class AssessmentOut(Schema):
    fiscal_year: int
    status: Status
    status_label: str
    actual: float | None
    target_year: int | None
    target: float | None
    expected: float | None
    achievement_percent: float | None
    # As pages show it: 「基準値を下回る（…）」 instead of a meaningless negative percentage.
    achievement_display: str
    below_baseline: bool
    steps: list[str]


class IndicatorOut(Schema):
    id: int
    ref: str
    node_id: int
    node_ref: str
    name: str
    unit: str
    direction: str
    department: str
    note: str
    metric_key: str
    metric_label: str
    baseline: BaselineOut | None
    targets: list[TargetOut]
    actuals: list[ActualOut]
    assessment: AssessmentOut


class ActualIn(Schema):
    # Any JSON value: the service reads the number (and refuses true, null, "集計中"…) with
    # one message on `value`, rather than one per member of a union.
    value: Annotated[Any, WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}]})] = (
        Field(..., description='a number, or the figure as printed: "83.0（39/47校）", "3,232"')
    )
    source: str = Field("", max_length=200)
    note: str = ""


class EvaluationOut(Schema):
    id: int
    node_id: int
    node_ref: str
    fiscal_year: int
    grade: str
    grade_label: str
    results: str
    issues: str
    next_steps: str
    department: str
    status: EvaluationStatus
    status_label: str
    is_demo: bool
    drafted_by: str
    reviewed_by: str
    locked_by: str
    updated_at: datetime | None


class EvaluationIn(Schema):
    grade: str = Field(..., min_length=1, max_length=8)
    results: str = ""
    issues: str = ""
    next_steps: str = ""
    department: str = Field("", max_length=100)


class ReopenIn(Schema):
    reason: str


class YearFilter(Schema):
    fiscal_year: int | None = Field(None, description="defaults to the current plan year")


class ImportFilter(Schema):
    replace: bool = Field(False, description="overwrite the plan with the same code")


class RollupOut(Schema):
    status: Status | None
    assessed: int
    statuses: dict[str, int]
    grades: dict[str, int]
    mean_grade: str | None


class NodeProgressOut(RollupOut):
    node_id: int
    parent_id: int | None
    ref: str
    level: str
    label: str
    title: str
    depth: int
    evaluation_grade: str | None
    evaluation_status: EvaluationStatus | None


class ProgressOut(Schema):
    plan_id: int
    fiscal_year: int
    total: RollupOut
    nodes: list[NodeProgressOut]


# --- helpers ----------------------------------------------------------------------------

ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _plan(request, plan_id: int, permission: str | None = None) -> Plan:
    """The plan if the actor may see it (other tenants: 404), and may do `permission` (403)."""
    return selectors.plan_for(request.actor, plan_id, permission)


def _node(plan: Plan, node_id: int) -> PlanNode:
    return get_object_or_404(
        PlanNode.objects.select_related("plan", "level"), pk=node_id, plan=plan
    )


def _year(plan: Plan, fiscal_year: int | None) -> int:
    if fiscal_year is None:
        return selectors.current_plan_year(plan)
    plan.check_fiscal_year(fiscal_year)
    return fiscal_year


def _refused(error: PermissionDenied, code: str = "permission_denied"):
    """403 keeping the service's reason (the shared handler shows a generic message)."""
    message = str(error) or _("You do not have permission for this.")
    return api_error(403, code, message)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _annotation(text: str) -> str:
    parsed = planfile.parse_value(text) if text else None
    return parsed.annotation if parsed else ""


def _json_path(path: planfile.DocPath) -> str:
    """A place inside a JSON document as a path: nodes[0].children[2].label."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _problem_fields(problems: list[planfile.Problem]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for problem in problems:
        fields.setdefault(problem.place or "__all__", []).append(problem.message)
    return fields


def _counts(plan: Plan, levels: list[tuple[str, str, int]]) -> PlanCountsOut:
    return PlanCountsOut(
        levels=[LevelCountOut(level=key, name=name, count=count) for key, name, count in levels],
        nodes=plan.node_count,
        priority=plan.priority_count,
        indicators=plan.indicator_count,
    )


def _plan_fields(plan: Plan, levels: list[tuple[str, str, int]]) -> dict:
    return {
        "id": plan.pk,
        "code": plan.code,
        "title": plan.title,
        "short_title": plan.short_title,
        "kind": plan.kind,
        "kind_label": str(plan.get_kind_display()),
        "period": PeriodOut(start=plan.start_year, end=plan.end_year),
        "is_demo": plan.is_demo,
        "counts": _counts(plan, levels),
    }


def _plan_detail(plan: Plan) -> PlanDetailOut:
    plan = selectors.with_counts(Plan.objects.filter(pk=plan.pk)).get()
    return PlanDetailOut(
        **_plan_fields(plan, selectors.level_counts([plan.pk])[plan.pk]),
        owners=plan.owners,
        embedded_plans=plan.embedded_plans,
        vision=plan.vision,
        vision_text=plan.vision_text,
        slogan=plan.slogan,
        source=plan.source,
        priority_label=plan.priority_label,
        priority_mark=plan.priority_mark,
        maintain_tolerance_percent=float(plan.maintain_tolerance_percent),
        evaluation_cadence_years=plan.evaluation_cadence_years,
        section_headings=plan.section_headings,
        levels=[
            LevelOut(
                key=level.key,
                name=level.name,
                under=level.under,
                may_be_top=level.may_be_top,
                evaluated=level.evaluated,
                cross_cutting=level.cross_cutting,
            )
            for level in plan.levels.order_by("order")
        ],
        actors=[ActorOut(key=a.key, name=a.name) for a in plan.actors.order_by("order")],
        grades=[GradeOut(**grade) for grade in plan.grade_scale],
        review_points=[ReviewPointOut(**point) for point in plan.review_points],
        fiscal_years=list(plan.fiscal_years),
        current_fiscal_year=selectors.current_plan_year(plan),
    )


def _node_out(plan: Plan, node: PlanNode) -> NodeOut:
    roles: dict[str, list[str]] = {}
    for statement in sorted(node.role_statements.all(), key=lambda s: (s.actor.order, s.order)):
        roles.setdefault(statement.actor.key, []).append(statement.text)
    return NodeOut(
        id=node.pk,
        parent_id=node.parent_id,
        ref=node.ref,
        level=node.level.key,
        level_name=node.level.name,
        label=node.label,
        title=node.title,
        priority=node.priority,
        depth=node.depth,
        themes=node.themes,
        responsible=node.responsible,
        links=sorted(link.pk for link in node.links.all()),
        sections=[
            SectionOut(
                kind=section.kind,
                heading=section.heading or plan.heading_for(section.kind),
                text=section.text,
                items=section.items,
            )
            for section in node.sections.all()
        ],
        roles=roles,
    )


def _actual_out(actual: IndicatorActual) -> ActualOut:
    return ActualOut(
        fiscal_year=actual.fiscal_year,
        value=_number(actual.value),
        text=actual.text,
        annotation=_annotation(actual.text),
        source=actual.source,
        note=actual.note,
        is_demo=actual.is_demo,
        recorded_by=actual.recorded_by,
        recorded_at=actual.recorded_at,
    )


def _assessment_out(assessment: Assessment) -> AssessmentOut:
    return AssessmentOut(
        fiscal_year=assessment.fiscal_year,
        status=assessment.status,
        status_label=str(Status(assessment.status).label),
        actual=_number(assessment.actual),
        target_year=assessment.target_year,
        target=_number(assessment.target),
        expected=_number(assessment.expected),
        achievement_percent=_number(assessment.achievement_percent),
        achievement_display=assessment.achievement_display,
        below_baseline=assessment.below_baseline,
        steps=[str(step) for step in assessment.steps],
    )


def _indicator_out(result: selectors.IndicatorProgress, node_ref: str) -> IndicatorOut:
    indicator = result.indicator
    baseline = None
    if indicator.baseline_year is not None:
        baseline = BaselineOut(
            fiscal_year=indicator.baseline_year,
            value=_number(indicator.baseline_value),
            text=indicator.baseline_text,
            annotation=_annotation(indicator.baseline_text),
        )
    return IndicatorOut(
        id=indicator.pk,
        ref=indicator.ref,
        node_id=indicator.node_id,
        node_ref=node_ref,
        name=indicator.name,
        unit=indicator.unit,
        direction=indicator.direction,
        department=indicator.department,
        note=indicator.note,
        metric_key=indicator.metric_key,
        metric_label=indicator.metric_label,
        baseline=baseline,
        targets=[
            TargetOut(
                fiscal_year=target.fiscal_year,
                value=_number(target.value),
                text=target.text,
                annotation=_annotation(target.text) if target.value is not None else "",
                unset_reason=target.unset_reason,
            )
            for target in indicator.targets.all()
        ],
        actuals=[_actual_out(actual) for actual in indicator.actuals.all()],
        assessment=_assessment_out(result.assessment),
    )


def _evaluation_out(evaluation: Evaluation, plan: Plan) -> EvaluationOut:
    labels = {g["grade"]: g["label"] for g in plan.grade_scale}
    return EvaluationOut(
        id=evaluation.pk,
        node_id=evaluation.node_id,
        node_ref=evaluation.node.ref,
        fiscal_year=evaluation.fiscal_year,
        grade=evaluation.grade,
        grade_label=labels.get(evaluation.grade, ""),
        results=evaluation.results,
        issues=evaluation.issues,
        next_steps=evaluation.next_steps,
        department=evaluation.department,
        status=evaluation.status,
        status_label=str(evaluation.get_status_display()),
        is_demo=evaluation.is_demo,
        drafted_by=evaluation.drafted_by,
        reviewed_by=evaluation.reviewed_by,
        locked_by=evaluation.locked_by,
        updated_at=evaluation.updated_at,
    )


def _rollup_fields(rollup: Rollup, plan: Plan) -> dict:
    scale = plan.grade_scale
    return {
        "status": rollup.status,
        "assessed": rollup.assessed,
        "statuses": {status.value: rollup.statuses[status] for status in Status},
        "grades": {
            **{g["grade"]: rollup.grades[g["grade"]] for g in scale},
            **{grade: count for grade, count in rollup.grades.items() if count},
        },
        "mean_grade": rollup.mean_grade(scale),
    }


# --- plans ------------------------------------------------------------------------------


@router.get("", response=list[PlanOut])
def list_plans(request):
    """Every plan the actor may see, with how many nodes each level holds."""
    policy.require(request.actor, "plans.view_plan")
    plans = list(selectors.plans_visible_to(request.actor).order_by("start_year", "code"))
    levels = selectors.level_counts([plan.pk for plan in plans])
    return [PlanOut(**_plan_fields(plan, levels[plan.pk])) for plan in plans]


# Before "/{plan_id}": the first route whose path matches takes the request.
@router.post(
    "/import",
    response={201: PlanDetailOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    openapi_extra={
        "description": "Body: a plan document as in docs/plan-format.md (format sasaeai-plan/1; "
        "JSON Schema sasaeai/plans/schema/plan.schema.json). Every problem is listed in "
        "`error.fields` by its JSON path; nothing is saved unless there are none."
    },
)
def import_plan(request, document: Body[dict[str, Any]], filters: Query[ImportFilter]):
    policy.require(request.actor, "plans.manage_plan")
    problems = planfile.check(document, _json_path)
    if problems:
        return api_error(
            422,
            "validation_error",
            _("The plan document has problems; nothing was saved."),
            _problem_fields(problems),
        )
    try:
        plan = services.plan_import(
            actor=request.actor,
            tenant_id=request.actor.tenant_id,
            document=document,
            replace=filters.replace,
        )
    except planfile.PlanFileError as error:
        # The only refusal after the checks: the code is taken and replace was not asked for.
        message = "\n".join(problem.message for problem in error.problems)
        return api_error(409, "plan_exists", message, {"plan.code": [message]})
    return 201, _plan_detail(plan)


@router.get("/{plan_id}", response=PlanDetailOut)
def get_plan(request, plan_id: int):
    return _plan_detail(_plan(request, plan_id))


@router.get("/{plan_id}/document", response=dict[str, Any])
def plan_document(request, plan_id: int):
    """The plan as a plan document: importing it gives the same plan back."""
    plan = _plan(request, plan_id)
    document = selectors.plan_document(plan)
    audit_object(request.actor, Action.EXPORT, plan, detail={"format": "json", "via": "api"})
    return document


# --- nodes ------------------------------------------------------------------------------


@router.get("/{plan_id}/nodes", response=list[NodeOut])
def list_nodes(request, plan_id: int):
    """Every node in tree order (pre-order: a parent, then its children), with its text."""
    plan = _plan(request, plan_id)
    return [_node_out(plan, node) for node in selectors.plan_tree(plan).nodes]


@router.patch("/{plan_id}/nodes/{node_id}", response={200: NodeOut, **ERRORS})
def update_node(request, plan_id: int, node_id: int, payload: NodePatchIn):
    plan = _plan(request, plan_id, "plans.manage_plan")
    node = _node(plan, node_id)
    services.node_update(actor=request.actor, node=node, **payload.dict(exclude_unset=True))
    fresh = (
        PlanNode.objects.select_related("level")
        .prefetch_related("sections", "role_statements__actor", "links")
        .get(pk=node.pk)
    )
    return _node_out(plan, fresh)


# --- indicators -------------------------------------------------------------------------


@router.get("/{plan_id}/indicators", response=list[IndicatorOut])
def list_indicators(request, plan_id: int, filters: Query[YearFilter]):
    """Indicators with baseline, targets and actuals, assessed for the fiscal year."""
    plan = _plan(request, plan_id)
    fiscal_year = _year(plan, filters.fiscal_year)
    tree = selectors.plan_tree(plan, details=False)
    refs = {node.pk: node.ref for node in tree.nodes}
    return [
        _indicator_out(
            selectors.indicator_progress(indicator, plan, fiscal_year), refs[indicator.node_id]
        )
        for indicator in tree.indicators
    ]


@router.put(
    "/{plan_id}/indicators/{indicator_id}/actuals/{fiscal_year}",
    response={200: ActualOut, **ERRORS},
)
def record_actual(request, plan_id: int, indicator_id: int, fiscal_year: int, payload: ActualIn):
    """Record or correct the actual of a fiscal year; a printed figure keeps its annotation."""
    plan = _plan(request, plan_id, "plans.record_actual")
    indicator = get_object_or_404(
        Indicator.objects.select_related("plan"), pk=indicator_id, plan=plan
    )
    _check_storable(payload.value)
    actual = services.actual_record(
        actor=request.actor,
        indicator=indicator,
        fiscal_year=fiscal_year,
        value=payload.value,
        source=payload.source,
        note=payload.note,
    )
    actual.refresh_from_db()
    return _actual_out(actual)


# --- evaluations ------------------------------------------------------------------------


def _check_storable(value: object) -> None:
    """Refuse a number wider than the actual's column (1e30), which the database would refuse."""
    parsed = planfile.parse_value(value)
    field = IndicatorActual._meta.get_field("value")
    limit = Decimal(10) ** (field.max_digits - field.decimal_places)
    if parsed is not None and abs(Decimal(parsed.number)) >= limit:
        raise ValidationError(
            {
                "value": _("The number is too large (less than %(limit)s).")
                % {"limit": f"{limit:,}"}
            },
            code="too_large",
        )


def _evaluation(node: PlanNode, fiscal_year: int) -> Evaluation:
    return get_object_or_404(
        Evaluation.objects.select_related("node"), node=node, fiscal_year=fiscal_year
    )


@router.get("/{plan_id}/evaluations", response=list[EvaluationOut])
def list_evaluations(request, plan_id: int, filters: Query[YearFilter]):
    """Evaluations in tree order: of the fiscal year if given, else of every year."""
    plan = _plan(request, plan_id)
    evaluations = Evaluation.objects.filter(node__plan=plan).select_related("node")
    if filters.fiscal_year is not None:
        evaluations = evaluations.filter(fiscal_year=_year(plan, filters.fiscal_year))
    return [
        _evaluation_out(evaluation, plan)
        for evaluation in evaluations.order_by("node__position", "fiscal_year")
    ]


@router.put(
    "/{plan_id}/nodes/{node_id}/evaluations/{fiscal_year}",
    response={200: EvaluationOut, **ERRORS},
)
def save_evaluation(request, plan_id: int, node_id: int, fiscal_year: int, payload: EvaluationIn):
    """Draft or edit an evaluation; an edit after review sends it back to draft. Locked: 403."""
    plan = _plan(request, plan_id, "plans.draft_evaluation")
    node = _node(plan, node_id)
    try:
        evaluation = services.evaluation_save(
            actor=request.actor, node=node, fiscal_year=fiscal_year, **payload.dict()
        )
    except PermissionDenied as error:
        return _refused(error, "evaluation_locked")
    return _evaluation_out(evaluation, plan)


@router.post(
    "/{plan_id}/nodes/{node_id}/evaluations/{fiscal_year}/advance",
    response={200: EvaluationOut, **ERRORS},
)
def advance_evaluation(request, plan_id: int, node_id: int, fiscal_year: int):
    """draft → reviewed → locked; the drafter cannot review their own evaluation."""
    plan = _plan(request, plan_id, "plans.review_evaluation")
    evaluation = _evaluation(_node(plan, node_id), fiscal_year)
    locked = evaluation.status == EvaluationStatus.LOCKED
    try:
        evaluation = services.evaluation_advance(actor=request.actor, evaluation=evaluation)
    except PermissionDenied as error:
        return _refused(error, "evaluation_locked" if locked else "own_draft")
    return _evaluation_out(evaluation, plan)


@router.post(
    "/{plan_id}/nodes/{node_id}/evaluations/{fiscal_year}/reopen",
    response={200: EvaluationOut, **ERRORS},
)
def reopen_evaluation(request, plan_id: int, node_id: int, fiscal_year: int, payload: ReopenIn):
    """Send a locked evaluation back to draft, with the reason (kept in the audit log)."""
    plan = _plan(request, plan_id, "plans.reopen_evaluation")
    evaluation = _evaluation(_node(plan, node_id), fiscal_year)
    evaluation = services.evaluation_reopen(
        actor=request.actor, evaluation=evaluation, reason=payload.reason
    )
    return _evaluation_out(evaluation, plan)


# --- progress ---------------------------------------------------------------------------


@router.get("/{plan_id}/progress", response=ProgressOut)
def plan_progress(request, plan_id: int, filters: Query[YearFilter]):
    """Indicator statuses and evaluation grades for the fiscal year, in total and per node
    (each node counting everything under it)."""
    plan = _plan(request, plan_id)
    result = selectors.plan_progress(plan, _year(plan, filters.fiscal_year))
    nodes = []
    for node in result.tree.nodes:
        evaluation = result.evaluations.get(node.pk)
        nodes.append(
            NodeProgressOut(
                **_rollup_fields(result.rollup(node), plan),
                node_id=node.pk,
                parent_id=node.parent_id,
                ref=node.ref,
                level=node.level.key,
                label=node.label,
                title=node.title,
                depth=node.depth,
                evaluation_grade=evaluation.grade if evaluation else None,
                evaluation_status=evaluation.status if evaluation else None,
            )
        )
    return ProgressOut(
        plan_id=plan.pk,
        fiscal_year=result.fiscal_year,
        total=RollupOut(**_rollup_fields(result.total, plan)),
        nodes=nodes,
    )
