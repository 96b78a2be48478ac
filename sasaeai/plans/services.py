"""Every write to plans: import (all or nothing), actuals, evaluations and their review."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from sasaeai.accounts.models import Membership
from sasaeai.accounts.policy import PERMISSIONS, Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core import events, metrics
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.plans import planfile
from sasaeai.plans.models import (
    METRIC_SOURCE_PREFIX,
    Evaluation,
    EvaluationStatus,
    Indicator,
    IndicatorActual,
    IndicatorTarget,
    NodeSection,
    NodeTheme,
    Plan,
    PlanActor,
    PlanLevel,
    PlanNode,
    PublicEvaluations,
    RoleStatement,
)
from sasaeai.plans.public import public_progress_changed

PLAN_FIELDS = (
    "title", "short_title", "kind", "owners", "embedded_plans", "review_points",
    "evaluation_cadence_years", "vision", "vision_text", "slogan", "source",
    "priority_label", "priority_mark", "section_headings",
)  # fmt: skip


PUBLICATION_FIELDS = ("public_progress", "public_year", "public_evaluations")


def _section_fields(raw: object) -> dict:
    if isinstance(raw, str):
        return {"text": raw}
    if isinstance(raw, list):
        return {"items": raw}
    return {
        "heading": raw.get("heading", ""),
        "text": raw.get("text", ""),
        "items": raw.get("items", []),
    }


@transaction.atomic
def plan_import(*, actor: Actor, tenant_id: int, document: dict, replace: bool = False) -> Plan:
    """Save a checked plan document (planfile.load) as one plan, in one transaction.

    A plan with the same code is refused unless `replace`, which swaps it whole: a plan file is
    the plan's full record, actuals and evaluations included.
    """
    info = document["plan"]
    existing = Plan.objects.filter(tenant_id=tenant_id, code=info["code"]).first()
    if existing and not replace:
        raise planfile.PlanFileError(
            [
                planfile.Problem(
                    "",
                    _(
                        "A plan with the code %(code)s already exists; choose replace to overwrite it"
                    )
                    % {"code": info["code"]},
                )
            ]
        )
    publication = {}
    if existing:
        # A replaced plan stays published (or not) as the planners left it.
        publication = {name: getattr(existing, name) for name in PUBLICATION_FIELDS}
        audit_object(actor, Action.DELETE, existing, detail={"reason": "replaced by import"})
        public_progress_changed(existing.pk)
        existing.delete()

    plan = Plan(
        tenant_id=tenant_id,
        code=info["code"],
        start_year=info["period"]["start"],
        end_year=info["period"]["end"],
        maintain_tolerance_percent=Decimal(str(info.get("maintain_tolerance_percent", 5))),
        grades=document.get("grades", []),
        is_demo=info.get("demo", False),
        **{name: info[name] for name in PLAN_FIELDS if name in info},
        **publication,
    )
    plan.full_clean()
    plan.save()

    levels = PlanLevel.objects.bulk_create([
        PlanLevel(tenant_id=tenant_id, plan=plan, order=index, key=level["key"], name=level["name"],
                  under=level.get("under", ""), may_be_top=level.get("may_be_top", False),
                  evaluated=level.get("evaluated", False), cross_cutting=level.get("cross_cutting", False))
        for index, level in enumerate(document["levels"])
    ])  # fmt: skip
    level_by_key = {level.key: level for level in levels}
    actors = PlanActor.objects.bulk_create([
        PlanActor(tenant_id=tenant_id, plan=plan, order=index, key=a["key"], name=a["name"])
        for index, a in enumerate(document.get("actors", []))
    ])  # fmt: skip
    actor_by_key = {a.key: a for a in actors}

    refs = planfile.assign_refs(document)
    saved = _save_nodes(plan, document, refs, level_by_key)
    by_ref = {node.ref: node for node in saved.values()}
    _save_node_details(plan, document, saved, by_ref, actor_by_key)
    audit_object(actor, Action.CREATE, plan, detail={"nodes": len(saved), "source": "import"})
    return plan


def _save_nodes(plan, document, refs, level_by_key) -> dict[int, PlanNode]:
    """Nodes depth by depth, so each parent has its key before its children are written."""
    saved: dict[int, PlanNode] = {}
    explicit = planfile.assign_refs(document, explicit_only=True)
    rows = list(planfile.walk_nodes(document["nodes"]))
    depth_of: dict[int, int] = {}
    for position, (node, _path, parent) in enumerate(rows):
        depth_of[id(node)] = 0 if parent is None else depth_of[id(parent)] + 1
        saved[id(node)] = PlanNode(
            tenant_id=plan.tenant_id, plan=plan, level=level_by_key[node["level"]],
            ref=refs[id(node)], explicit_ref=id(node) in explicit, label=node["label"],
            title=node.get("title", ""), priority=node.get("priority", False),
            themes=node.get("themes", []), responsible=node.get("responsible", []),
            position=position, depth=depth_of[id(node)],
        )  # fmt: skip
    parents = {id(node): parent for node, _path, parent in rows}
    for depth in sorted(set(depth_of.values())):
        keys = [key for key, d in depth_of.items() if d == depth]
        for key in keys:
            if parents[key] is not None:
                saved[key].parent = saved[id(parents[key])]
        PlanNode.objects.bulk_create([saved[key] for key in keys])
    return saved


def _save_node_details(plan, document, saved, by_ref, actor_by_key) -> None:
    tenant_id = plan.tenant_id
    themes, sections, statements, links = [], [], [], []
    indicators, targets, actuals, evaluations = [], [], [], []
    indicator_position = 0
    for node, _path, _parent in planfile.walk_nodes(document["nodes"]):
        row = saved[id(node)]
        themes += [
            NodeTheme(tenant_id=tenant_id, node=row, name=name)
            for name in dict.fromkeys(node.get("themes", []))
        ]
        for order, (kind, raw) in enumerate(node.get("sections", {}).items()):
            sections.append(
                NodeSection(
                    tenant_id=tenant_id, node=row, kind=kind, order=order, **_section_fields(raw)
                )
            )
        for actor_key, lines in node.get("roles", {}).items():
            statements += [
                RoleStatement(
                    tenant_id=tenant_id,
                    node=row,
                    actor=actor_by_key[actor_key],
                    order=order,
                    text=text,
                )
                for order, text in enumerate(lines)
            ]
        links += [
            PlanNode.links.through(from_plannode=row, to_plannode=by_ref[ref])
            for ref in node.get("links", [])
        ]
        for year, raw in node.get("evaluations", {}).items():
            evaluations.append(Evaluation(
                tenant_id=tenant_id, node=row, fiscal_year=int(year), grade=raw["grade"],
                results=raw.get("results", ""), issues=raw.get("issues", ""),
                next_steps=raw.get("next_steps", ""), department=raw.get("department", ""),
                status=raw.get("status", EvaluationStatus.DRAFT), is_demo=raw.get("demo", False),
            ))  # fmt: skip
        for index, raw in enumerate(node.get("indicators", [])):
            indicator = _indicator_from(plan, row, index, raw, indicator_position)
            indicator_position += 1
            indicators.append(indicator)
            for year, target in raw.get("targets", {}).items():
                targets.append(_target_from(indicator, int(year), target))
            for year, actual in raw.get("actuals", {}).items():
                value = planfile.parse_value(actual["value"])
                actuals.append(IndicatorActual(
                    tenant_id=tenant_id, indicator=indicator, fiscal_year=int(year),
                    value=value.number, text=value.text, source=actual.get("source", ""),
                    note=actual.get("note", ""), is_demo=actual.get("demo", False),
                ))  # fmt: skip
    NodeTheme.objects.bulk_create(themes)
    NodeSection.objects.bulk_create(sections)
    RoleStatement.objects.bulk_create(statements)
    PlanNode.links.through.objects.bulk_create(links)
    Evaluation.objects.bulk_create(evaluations)
    Indicator.objects.bulk_create(indicators)
    IndicatorTarget.objects.bulk_create(targets)
    IndicatorActual.objects.bulk_create(actuals)


def _indicator_from(plan, node, index, raw, position) -> Indicator:
    baseline = raw.get("baseline")
    value = planfile.parse_value(baseline["value"]) if baseline else None
    return Indicator(
        tenant_id=plan.tenant_id, plan=plan, node=node, position=position,
        ref=raw.get("ref") or f"{node.ref}#{index + 1}", explicit_ref="ref" in raw,
        name=raw["name"], unit=raw.get("unit", ""), direction=raw["direction"],
        baseline_year=baseline["fiscal_year"] if baseline else None,
        baseline_value=value.number if value else None, baseline_text=value.text if value else "",
        department=raw.get("department", ""), note=raw.get("note", ""), metric_key=raw.get("metric", ""),
    )  # fmt: skip


def _target_from(indicator, year, raw) -> IndicatorTarget:
    if isinstance(raw, dict):
        return IndicatorTarget(
            tenant_id=indicator.tenant_id,
            indicator=indicator,
            fiscal_year=year,
            value=None,
            text=raw.get("printed", ""),
            unset_reason=raw["reason"],
        )
    value = planfile.parse_value(raw)
    return IndicatorTarget(tenant_id=indicator.tenant_id, indicator=indicator, fiscal_year=year,
                           value=value.number, text=value.text)  # fmt: skip


# --- actuals ----------------------------------------------------------------------------


@transaction.atomic
def actual_record(
    *,
    actor: Actor,
    indicator: Indicator,
    fiscal_year: int,
    value: object,
    source: str = "",
    note: str = "",
    is_demo: bool = False,
) -> IndicatorActual:
    """Record (or correct) an indicator's actual for a fiscal year; value as printed or a number."""
    indicator.plan.check_fiscal_year(fiscal_year)
    parsed = planfile.parse_value(value)
    if parsed is None:
        raise ValidationError(
            {
                "value": _(
                    "Cannot read a number in %(value)s; write the number first and any annotation in brackets"
                )
                % {"value": f"「{value}」"}
            }
        )
    actual, created = IndicatorActual.objects.update_or_create(
        indicator=indicator, fiscal_year=fiscal_year,
        defaults={"tenant_id": indicator.tenant_id, "value": parsed.number, "text": parsed.text,
                  "source": source, "note": note, "is_demo": is_demo, "recorded_by": actor.username},
    )  # fmt: skip
    audit_object(
        actor,
        Action.CREATE if created else Action.UPDATE,
        actual,
        detail={
            "indicator": indicator.ref,
            "fiscal_year": fiscal_year,
            "value": str(parsed.number),
        },
    )
    public_progress_changed(indicator.plan_id)
    return actual


@transaction.atomic
def actuals_record_many(*, actor: Actor, plan: Plan, rows: list[dict]) -> int:
    """Several actuals at once (an uploaded sheet), all or nothing; rows are already checked."""
    indicators = {i.ref: i for i in plan.indicators.all()}
    for row in rows:
        actual_record(
            actor=actor,
            indicator=indicators[row["indicator"]],
            fiscal_year=row["fiscal_year"],
            value=row["value"],
            source=row.get("source", ""),
            note=row.get("note", ""),
        )
    return len(rows)


@transaction.atomic
def metric_actuals_refresh(*, actor: Actor, plan: Plan, today=None) -> int:
    """Fill this fiscal year's actual of every indicator bound to a metric.

    Only the current year: a metric reports the present state of a module's data, so past
    years keep the figure last taken in them (run nightly; `refresh_plan_metrics`).
    """
    from django.utils import timezone

    year = fiscal_year_of(today or timezone.localdate())
    if year not in plan.fiscal_years:
        return 0
    count = 0
    for indicator in plan.indicators.exclude(metric_key=""):
        metric = metrics.get(indicator.metric_key)
        value = metric.compute(plan.tenant_id, year)
        if value is None:
            continue
        actual, created = IndicatorActual.objects.update_or_create(
            indicator=indicator, fiscal_year=year,
            defaults={"tenant_id": plan.tenant_id, "value": Decimal(str(value)), "text": "",
                      "source": f"{METRIC_SOURCE_PREFIX}{metric.key}", "note": "", "is_demo": False,
                      "recorded_by": actor.username or "system"},
        )  # fmt: skip
        audit_object(actor, Action.CREATE if created else Action.UPDATE, actual,
                     detail={"indicator": indicator.ref, "fiscal_year": year, "metric": metric.key})  # fmt: skip
        count += 1
    if count:
        public_progress_changed(plan.pk)
    return count


# --- evaluations ------------------------------------------------------------------------

_NEXT_STATUS = {
    EvaluationStatus.DRAFT: EvaluationStatus.REVIEWED,
    EvaluationStatus.REVIEWED: EvaluationStatus.LOCKED,
}


def _refuse_if_locked(evaluation: Evaluation) -> None:
    if evaluation.status == EvaluationStatus.LOCKED:
        raise PermissionDenied(
            _(
                "This evaluation was locked by %(who)s after review; it can no longer be changed. "
                "Ask the plan's administrator to reopen it."
            )
            % {"who": evaluation.locked_by or _("the reviewer")}
        )


@transaction.atomic
def evaluation_save(
    *,
    actor: Actor,
    node: PlanNode,
    fiscal_year: int,
    grade: str,
    results: str = "",
    issues: str = "",
    next_steps: str = "",
    department: str = "",
) -> Evaluation:
    """Draft or edit the evaluation of an action for a fiscal year (refused once locked)."""
    if not node.level.evaluated:
        raise ValidationError(
            {"node": _("Nodes of level %(level)s are not evaluated") % {"level": node.level.name}}
        )
    node.plan.check_fiscal_year(fiscal_year)
    grades = [g["grade"] for g in node.plan.grade_scale]
    if grade not in grades:
        raise ValidationError(
            {
                "grade": _("Grade %(grade)s is not on this plan's scale (%(scale)s)")
                % {"grade": grade, "scale": "・".join(grades)}
            }
        )
    evaluation = (
        Evaluation.objects.select_for_update().filter(node=node, fiscal_year=fiscal_year).first()
    )
    needs_review = evaluation is None
    if evaluation is None:
        evaluation = Evaluation(
            tenant_id=node.tenant_id, node=node, fiscal_year=fiscal_year, drafted_by=actor.username
        )
    else:
        _refuse_if_locked(evaluation)
        if evaluation.status == EvaluationStatus.REVIEWED:
            evaluation.status = EvaluationStatus.DRAFT  # an edit after review needs a new review
            needs_review = True
    evaluation.grade, evaluation.results, evaluation.issues = grade, results, issues
    evaluation.next_steps = next_steps
    evaluation.department = department or ", ".join(node.responsible)
    evaluation.full_clean()
    creating = evaluation.pk is None
    evaluation.save()
    audit_object(
        actor,
        Action.CREATE if creating else Action.UPDATE,
        evaluation,
        detail={"node": node.ref, "fiscal_year": fiscal_year, "grade": grade},
    )
    if needs_review:
        events.publish("plans.evaluation_to_review", node.tenant_id, _reviewer_ids(node.tenant_id), reverse("plans:evaluation_edit", args=[node.plan_id, node.pk, fiscal_year]), "evaluation", evaluation.pk, actor_id=actor.user_id)  # fmt: skip
    public_progress_changed(evaluation.node.plan_id)
    return evaluation


def _reviewer_ids(tenant_id: int) -> list[int]:
    """Who may review an evaluation: active members of the tenant in a role holding
    plans.review_evaluation."""
    roles = [r.value for r in PERMISSIONS.get("plans.review_evaluation", ())]
    return list(
        Membership.objects.active()
        .filter(tenant_id=tenant_id, role__in=roles)
        .values_list("user_id", flat=True)
    )


@transaction.atomic
def evaluation_advance(*, actor: Actor, evaluation: Evaluation) -> Evaluation:
    """draft → reviewed → locked. The reviewer must not be the one who drafted it."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    _refuse_if_locked(evaluation)
    if evaluation.status == EvaluationStatus.DRAFT:
        if evaluation.drafted_by and evaluation.drafted_by == actor.username:
            raise PermissionDenied(_("The person who drafted an evaluation cannot also review it."))
        evaluation.reviewed_by = actor.username
    else:
        evaluation.locked_by = actor.username
    evaluation.status = _NEXT_STATUS[EvaluationStatus(evaluation.status)]
    evaluation.save()
    audit_object(actor, Action.UPDATE, evaluation, detail={"status": evaluation.status})
    public_progress_changed(evaluation.node.plan_id)
    return evaluation


@transaction.atomic
def evaluation_reopen(*, actor: Actor, evaluation: Evaluation, reason: str) -> Evaluation:
    if evaluation.status != EvaluationStatus.LOCKED:
        raise ValidationError({"status": _("Only a locked evaluation can be reopened.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for reopening a locked evaluation.")})
    evaluation.status = EvaluationStatus.DRAFT
    evaluation.locked_by = evaluation.reviewed_by = ""
    evaluation.save()
    audit_object(actor, Action.UPDATE, evaluation, detail={"status": "reopened", "reason": reason})
    public_progress_changed(evaluation.node.plan_id)
    return evaluation


# --- node edits -------------------------------------------------------------------------

NODE_EDITABLE = ("title", "themes", "responsible", "priority")
THEME_MAX_LENGTH = NodeTheme._meta.get_field("name").max_length


def _clean_names(names: list[str]) -> list[str]:
    """Strip each name, drop empty ones and repeats, keeping the order given."""
    return list(dict.fromkeys(name.strip() for name in names if name and name.strip()))


@transaction.atomic
def node_update(*, actor: Actor, node: PlanNode, **changes) -> PlanNode:
    """Edit what a node says outside the plan file's structure: title, themes, responsible
    departments and priority. The tree itself (level, label, ref, place) changes by import."""
    unknown = sorted(set(changes) - set(NODE_EDITABLE))
    if unknown:
        raise ValidationError({name: _("This item cannot be changed here.") for name in unknown})
    for name in ("themes", "responsible"):
        if changes.get(name) is not None:
            changes[name] = _clean_names(changes[name])
    too_long = [t for t in changes.get("themes") or [] if len(t) > THEME_MAX_LENGTH]
    if too_long:
        raise ValidationError(
            {
                "themes": _("A theme may be at most %(limit)s characters: %(themes)s")
                % {"limit": THEME_MAX_LENGTH, "themes": "、".join(too_long)}
            }
        )
    before = {name: getattr(node, name) for name in changes}
    for name, value in changes.items():
        setattr(node, name, value)
    node.full_clean()
    node.save(update_fields=list(changes))
    if "themes" in changes:
        NodeTheme.objects.filter(node=node).delete()
        NodeTheme.objects.bulk_create(
            [NodeTheme(tenant_id=node.tenant_id, node=node, name=name) for name in node.themes]
        )
    audit_object(
        actor,
        Action.UPDATE,
        node,
        detail={
            "ref": node.ref,
            "changes": {
                name: {"from": before[name], "to": getattr(node, name)}
                for name in changes
                if before[name] != getattr(node, name)
            },
        },
    )
    public_progress_changed(node.plan_id)
    return node


# --- public progress --------------------------------------------------------------------


@transaction.atomic
def plan_publication_set(
    *,
    actor: Actor,
    plan: Plan,
    public_progress: bool,
    public_year: int | None = None,
    public_evaluations: str = PublicEvaluations.REVIEWED,
) -> Plan:
    """Publish (or withdraw) a plan's progress at /progress/<tenant code>/<plan code>/: the
    fiscal year shown (None: the latest with actuals) and which evaluations (never drafts).
    Pages and the API check `plans.manage_plan` before calling."""
    if public_year is not None:
        plan.check_fiscal_year(public_year)
    before = {name: getattr(plan, name) for name in PUBLICATION_FIELDS}
    plan.public_progress, plan.public_year = public_progress, public_year
    plan.public_evaluations = public_evaluations
    plan.full_clean()
    plan.save(update_fields=list(PUBLICATION_FIELDS))
    audit_object(actor, Action.UPDATE, plan, detail={"publication": {
        name: {"from": before[name], "to": getattr(plan, name)} for name in PUBLICATION_FIELDS
        if before[name] != getattr(plan, name)}})  # fmt: skip
    public_progress_changed(plan.pk)
    return plan
