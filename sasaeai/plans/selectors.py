"""Reads of plans: lists with their counts, the tree, and the document a plan exports as."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from sasaeai.accounts import policy
from sasaeai.accounts.policy import Actor, scope
from sasaeai.plans import planfile, progress
from sasaeai.plans.models import (
    METRIC_SOURCE_PREFIX,
    Evaluation,
    Indicator,
    IndicatorActual,
    IndicatorTarget,
    NodeSection,
    Plan,
    PlanLevel,
    PlanNode,
    RoleStatement,
)


def with_counts(plans: QuerySet[Plan]) -> QuerySet[Plan]:
    """Plans annotated with node_count, priority_count and indicator_count."""
    return plans.annotate(
        node_count=Count("nodes", distinct=True),
        priority_count=Count("nodes", filter=Q(nodes__priority=True), distinct=True),
        indicator_count=Count("indicators", distinct=True),
    )


def plans_visible_to(actor: Actor) -> QuerySet[Plan]:
    return with_counts(scope(actor, "plans.view_plan", Plan.objects.all()))


def level_counts(plan_ids: list[int]) -> dict[int, list[tuple[str, str, int]]]:
    """plan id → [(level key, level name, node count)] in the plan's level order."""
    rows = (
        PlanLevel.objects.filter(plan_id__in=plan_ids)
        .annotate(count=Count("nodes"))
        .order_by("plan_id", "order")
        .values_list("plan_id", "key", "name", "count")
    )
    counts: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for plan_id, key, name, count in rows:
        counts[plan_id].append((key, name, count))
    return counts


def plan_for(actor: Actor, plan_id: int, permission: str | None = None) -> Plan:
    """The plan for a page or endpoint: 403 without plan access or `permission`, 404 for a
    plan the actor cannot see (another tenant's)."""
    policy.require(actor, "plans.view_plan")
    plan = get_object_or_404(scope(actor, "plans.view_plan", Plan.objects.all()), pk=plan_id)
    if permission:
        policy.require(actor, permission, plan)
    return plan


@dataclass
class Tree:
    """A whole plan loaded in a fixed number of queries, whatever its size."""

    plan: Plan
    nodes: list[PlanNode]
    indicators: list[Indicator]
    children: dict[int | None, list[PlanNode]] = field(default_factory=dict)

    def __post_init__(self):
        self.children = defaultdict(list)
        for node in self.nodes:
            self.children[node.parent_id].append(node)

    def subtree_ids(self, node: PlanNode) -> list[int]:
        ids, stack = [], [node]
        while stack:
            current = stack.pop()
            ids.append(current.pk)
            stack.extend(self.children[current.pk])
        return ids


def _attach(parents: list, relation: str, pairs) -> None:
    """Fill `parent.<relation>.all()` from (parent id, row) pairs fetched in one query.

    Django's prefetch_related builds a QuerySet per parent object; for a 2,000-node plan that
    is ~7,000 clones and most of the page's time. Grouping the rows ourselves and storing them
    where the related manager looks for prefetched rows gives the same `.all()` for a fraction.
    """
    grouped: dict[int, list] = defaultdict(list)
    for parent_id, row in pairs:
        grouped[parent_id].append(row)
    for parent in parents:
        cache = parent.__dict__.setdefault("_prefetched_objects_cache", {})
        cache[relation] = grouped.get(parent.pk, [])


def _by(rows, parent_field: str):
    return ((getattr(row, parent_field), row) for row in rows)


def plan_tree(
    plan: Plan, *, details: bool = True, evaluation_statuses: tuple[str, ...] | None = None
) -> Tree:
    """The whole plan in a fixed number of queries (nine), whatever its size.

    `evaluation_statuses` keeps only evaluations in those statuses (the public pages: never a
    draft); None keeps them all."""
    nodes = list(PlanNode.objects.filter(plan=plan).select_related("level").order_by("position"))
    if details:
        by_id = {node.pk: node for node in nodes}
        of_plan = {"node__plan": plan}
        sections = NodeSection.objects.filter(**of_plan).order_by("node_id", "order")
        statements = (
            RoleStatement.objects.filter(**of_plan)
            .select_related("actor")
            .order_by("node_id", "actor__order", "order")
        )
        evaluations = Evaluation.objects.filter(**of_plan).order_by("node_id", "fiscal_year")
        if evaluation_statuses is not None:
            evaluations = evaluations.filter(status__in=evaluation_statuses)
        links = PlanNode.links.through.objects.filter(from_plannode__plan=plan).order_by("pk")
        _attach(nodes, "sections", _by(sections, "node_id"))
        _attach(nodes, "role_statements", _by(statements, "node_id"))
        _attach(nodes, "evaluations", _by(evaluations, "node_id"))
        _attach(
            nodes, "links", ((row.from_plannode_id, by_id[row.to_plannode_id]) for row in links)
        )
    indicators = list(Indicator.objects.filter(plan=plan).order_by("position"))
    of_indicators = {"indicator__plan": plan}
    targets = IndicatorTarget.objects.filter(**of_indicators).order_by(
        "indicator_id", "fiscal_year"
    )
    actuals = IndicatorActual.objects.filter(**of_indicators).order_by(
        "indicator_id", "fiscal_year"
    )
    _attach(indicators, "targets", _by(targets, "indicator_id"))
    _attach(indicators, "actuals", _by(actuals, "indicator_id"))
    return Tree(plan=plan, nodes=nodes, indicators=indicators)


# --- export -----------------------------------------------------------------------------


def _plan_info(plan: Plan) -> dict:
    info: dict = {"code": plan.code, "title": plan.title}
    if plan.short_title:
        info["short_title"] = plan.short_title
    info["kind"] = plan.kind
    for name in ("owners", "embedded_plans"):
        if getattr(plan, name):
            info[name] = list(getattr(plan, name))
    info["period"] = {"start": plan.start_year, "end": plan.end_year}
    if plan.review_points:
        info["review_points"] = plan.review_points
    if plan.evaluation_cadence_years != 1:
        info["evaluation_cadence_years"] = plan.evaluation_cadence_years
    for name in ("vision", "vision_text", "slogan", "source", "priority_label", "priority_mark"):
        if getattr(plan, name):
            info[name] = getattr(plan, name)
    if plan.maintain_tolerance_percent != 5:
        info["maintain_tolerance_percent"] = float(plan.maintain_tolerance_percent)
    if plan.section_headings:
        info["section_headings"] = plan.section_headings
    if plan.is_demo:
        info["demo"] = True
    return info


def _section_out(section: NodeSection) -> object:
    if section.heading or (section.text and section.items):
        out: dict = {}
        if section.heading:
            out["heading"] = section.heading
        if section.text:
            out["text"] = section.text
        if section.items:
            out["items"] = section.items
        return out
    return section.items if section.items else section.text


def _indicator_out(indicator: Indicator) -> dict:
    out: dict = {}
    if indicator.explicit_ref:
        out["ref"] = indicator.ref
    out.update(name=indicator.name, unit=indicator.unit, direction=indicator.direction)
    if indicator.baseline_year is not None:
        out["baseline"] = {
            "fiscal_year": indicator.baseline_year,
            "value": planfile.value_out(indicator.baseline_value, indicator.baseline_text),
        }
    targets = {}
    for target in indicator.targets.all():
        if target.value is None:
            unset = {"unset": True, "reason": target.unset_reason}
            if target.text:
                unset["printed"] = target.text
            targets[str(target.fiscal_year)] = unset
        else:
            targets[str(target.fiscal_year)] = planfile.value_out(target.value, target.text)
    if targets:
        out["targets"] = targets
    actuals = {}
    for actual in indicator.actuals.all():
        row: dict = {"value": planfile.value_out(actual.value, actual.text)}
        for name in ("source", "note"):
            if getattr(actual, name):
                row[name] = getattr(actual, name)
        if actual.is_demo:
            row["demo"] = True
        actuals[str(actual.fiscal_year)] = row
    if actuals:
        out["actuals"] = actuals
    for name, attr in (("department", "department"), ("note", "note"), ("metric", "metric_key")):
        if getattr(indicator, attr):
            out[name] = getattr(indicator, attr)
    return out


def _evaluation_out(evaluation: Evaluation) -> dict:
    out: dict = {"grade": evaluation.grade}
    for name in ("results", "issues", "next_steps", "department"):
        if getattr(evaluation, name):
            out[name] = getattr(evaluation, name)
    out["status"] = evaluation.status
    if evaluation.is_demo:
        out["demo"] = True
    return out


def plan_document(plan: Plan) -> dict:
    """The plan as a plan file document: export it and import it to get the same plan."""
    tree = plan_tree(plan)
    indicators_by_node: dict[int, list[Indicator]] = defaultdict(list)
    for indicator in tree.indicators:
        indicators_by_node[indicator.node_id].append(indicator)

    def node_out(node: PlanNode) -> dict:
        out: dict = {}
        if node.explicit_ref:
            out["ref"] = node.ref
        out["level"] = node.level.key
        out["label"] = node.label
        if node.title:
            out["title"] = node.title
        if node.priority:
            out["priority"] = True
        for name in ("themes", "responsible"):
            if getattr(node, name):
                out[name] = list(getattr(node, name))
        links = sorted(node.links.all(), key=lambda n: n.pk)
        if links:
            out["links"] = [link.ref for link in links]
        if node.sections.all():
            out["sections"] = {s.kind: _section_out(s) for s in node.sections.all()}
        roles: dict[str, list[str]] = {}
        for statement in sorted(node.role_statements.all(), key=lambda s: (s.actor.order, s.order)):
            roles.setdefault(statement.actor.key, []).append(statement.text)
        if roles:
            out["roles"] = roles
        if indicators_by_node[node.pk]:
            out["indicators"] = [_indicator_out(i) for i in indicators_by_node[node.pk]]
        if node.evaluations.all():
            out["evaluations"] = {
                str(e.fiscal_year): _evaluation_out(e) for e in node.evaluations.all()
            }
        children = tree.children[node.pk]
        if children:
            out["children"] = [node_out(child) for child in children]
        return out

    levels = []
    for level in plan.levels.all():
        row: dict = {"key": level.key, "name": level.name}
        if level.under:
            row["under"] = level.under
        for name in ("may_be_top", "evaluated", "cross_cutting"):
            if getattr(level, name):
                row[name] = True
        levels.append(row)
    doc: dict = {"format": planfile.FORMAT, "plan": _plan_info(plan), "levels": levels}
    doc["actors"] = [{"key": a.key, "name": a.name} for a in plan.actors.all()]
    if plan.grades:
        doc["grades"] = plan.grades
    doc["nodes"] = [node_out(node) for node in tree.children[None]]
    return doc


# --- progress ---------------------------------------------------------------------------


@dataclass
class IndicatorProgress:
    indicator: Indicator
    targets: dict[int, Decimal | None]
    actuals: dict[int, IndicatorActual]
    assessment: progress.Assessment  # for the chosen fiscal year
    history: list[progress.Assessment]  # every plan year up to the chosen one


@dataclass
class PlanProgress:
    plan: Plan
    fiscal_year: int
    tree: Tree
    indicators: list[IndicatorProgress]
    rollups: dict[int, progress.Rollup]  # node id → everything under it
    evaluations: dict[int, Evaluation]  # node id → this year's evaluation
    total: progress.Rollup

    def rollup(self, node: PlanNode) -> progress.Rollup:
        return self.rollups[node.pk]


def indicator_progress(indicator: Indicator, plan: Plan, fiscal_year: int) -> IndicatorProgress:
    targets = {t.fiscal_year: t.value for t in indicator.targets.all()}
    actuals = {a.fiscal_year: a for a in indicator.actuals.all()}

    def assess(year: int) -> progress.Assessment:
        actual = actuals.get(year)
        return progress.assess(
            direction=indicator.direction, fiscal_year=year,
            actual=actual.value if actual else None, baseline_year=indicator.baseline_year,
            baseline=indicator.baseline_value, targets=targets,
            tolerance_percent=plan.maintain_tolerance_percent,
        )  # fmt: skip

    history = [assess(year) for year in plan.fiscal_years if year <= fiscal_year]
    return IndicatorProgress(indicator, targets, actuals, assess(fiscal_year), history)


def plan_progress(plan: Plan, fiscal_year: int, tree: Tree | None = None) -> PlanProgress:
    tree = tree or plan_tree(plan)
    scores = {g["grade"]: g["score"] for g in plan.grade_scale}
    own: dict[int, progress.Rollup] = {node.pk: progress.Rollup() for node in tree.nodes}
    evaluations: dict[int, Evaluation] = {}
    for node in tree.nodes:
        for evaluation in node.evaluations.all():
            if evaluation.fiscal_year == fiscal_year:
                evaluations[node.pk] = evaluation
                own[node.pk].grades[evaluation.grade] += 1
                if evaluation.grade in scores:
                    own[node.pk].score_total += scores[evaluation.grade]
                    own[node.pk].graded += 1
    indicators = []
    for indicator in tree.indicators:
        result = indicator_progress(indicator, plan, fiscal_year)
        indicators.append(result)
        own[indicator.node_id].statuses[result.assessment.status] += 1
    rollups: dict[int, progress.Rollup] = {}
    # Children come after their parent in pre-order: walk backwards to add each into its parent.
    for node in reversed(tree.nodes):
        rollup = rollups.setdefault(node.pk, progress.Rollup())
        rollup.add(own[node.pk])
        if node.parent_id is not None:
            rollups.setdefault(node.parent_id, progress.Rollup()).add(rollup)
    total = progress.Rollup()
    for node in tree.children[None]:
        total.add(rollups[node.pk])
    return PlanProgress(plan, fiscal_year, tree, indicators, rollups, evaluations, total)


def current_plan_year(plan: Plan, today=None) -> int:
    """The fiscal year a plan's pages open on: this one, kept inside the plan's period."""
    from django.utils import timezone

    from sasaeai.core.fiscal import fiscal_year_of

    year = fiscal_year_of(today or timezone.localdate())
    return min(max(year, plan.start_year), plan.end_year)


def latest_plan_year_with_data(plan: Plan, today=None) -> int:
    """The fiscal year a plan's overview pages open on: the latest year up to this one that has
    an actual or an evaluation, so a new fiscal year does not open on an empty dashboard; this
    year when nothing has been recorded yet. Figures taken from metrics do not count: they are
    taken nightly for the current year, long before its results are recorded."""
    current = current_plan_year(plan, today)
    recorded = IndicatorActual.objects.filter(
        indicator__plan=plan, fiscal_year__lte=current
    ).exclude(source__startswith=METRIC_SOURCE_PREFIX)
    evaluated = Evaluation.objects.filter(node__plan=plan, fiscal_year__lte=current)
    years = set(recorded.values_list("fiscal_year", flat=True).distinct())
    years |= set(evaluated.values_list("fiscal_year", flat=True).distinct())
    years &= set(plan.fiscal_years)
    return max(years, default=current)
