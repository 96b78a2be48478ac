"""Public plan progress (/progress/<tenant code>/…): reads for anyone, without signing in.

Only plans a planner published (`Plan.public_progress`, read through accounts.policy.public_scope)
and only evaluations in the statuses the plan shows publicly (never a draft). What the pages
render is chosen field by field: names, grades and figures of the plan, never who recorded,
drafted or reviewed anything, nor the notes kept with actuals.

The rendered body of a plan's page is cached (core cache, per plan, fiscal year and language):
every write that changes what it shows (actuals, evaluations, nodes, publishing, import) calls
`public_progress_changed`, which moves the plan to a new cache version once the transaction
commits.
"""

import dataclasses
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils.translation import get_language

from sasaeai.accounts.policy import public_scope
from sasaeai.core.fiscal import fiscal_year_label
from sasaeai.core.models import Tenant
from sasaeai.plans import charts, selectors
from sasaeai.plans.models import METRIC_SOURCE_PREFIX, IndicatorActual, Plan, PlanNode
from sasaeai.plans.planfile import format_number
from sasaeai.plans.progress import Status

CACHE_SECONDS = 60 * 60  # a safety net: writes invalidate at once


def published_plans(tenant_id: int) -> QuerySet[Plan]:
    return public_scope(tenant_id, Plan.objects.all()).order_by("-start_year", "code")


def published_plan(tenant_id: int, code: str) -> Plan | None:
    return published_plans(tenant_id).filter(code=code).first()


def public_year(plan: Plan, today=None) -> int:
    """The fiscal year the public page shows: the one the planners chose, else the latest year
    up to this one with an actual recorded (not one taken nightly from a metric)."""
    if plan.public_year in plan.fiscal_years:
        return plan.public_year
    current = selectors.current_plan_year(plan, today)
    years = (
        IndicatorActual.objects.filter(indicator__plan=plan, fiscal_year__lte=current)
        .exclude(source__startswith=METRIC_SOURCE_PREFIX)
        .values_list("fiscal_year", flat=True)
        .distinct()
    )
    return max((y for y in years if y in plan.fiscal_years), default=current)


def public_tree(plan: Plan) -> selectors.Tree:
    return selectors.plan_tree(plan, evaluation_statuses=plan.public_evaluation_statuses)


def _version(plan_id: int) -> str:
    return cache.get(f"plans:public:{plan_id}:version") or "0"


def public_progress_changed(plan_id: int) -> None:
    """What the public page of this plan shows changed: drop its cached body after commit."""
    transaction.on_commit(
        lambda: cache.set(f"plans:public:{plan_id}:version", uuid.uuid4().hex, None)
    )


@dataclass
class Row:
    node: PlanNode
    status: Status | None
    grade: str
    grade_label: str


def plan_body(plan: Plan, tenant: Tenant, year: int) -> str:
    """The plan page's content (tree with statuses, indicators, grades), cached."""
    key = f"plans:public:{plan.pk}:{_version(plan.pk)}:{year}:{get_language()}"
    body = cache.get(key)
    if body is None:
        body = render_to_string("plans/public/_plan_body.html", plan_context(plan, tenant, year))
        cache.set(key, body, CACHE_SECONDS)
    return body


def plan_context(plan: Plan, tenant: Tenant, year: int) -> dict:
    result = selectors.plan_progress(plan, year, public_tree(plan))
    labels = {g["grade"]: g["label"] for g in plan.grade_scale}
    rows = []
    for node in result.tree.nodes:
        evaluation = result.evaluations.get(node.pk)
        grade = evaluation.grade if evaluation else ""
        rows.append(Row(node, result.rollup(node).status, grade, labels.get(grade, "")))
    return {
        "plan": plan, "tenant": tenant, "year": year, "year_label": fiscal_year_label(year),
        "rows": rows, "result": result, "status_chart": charts.status_bars(result.total),
        "grade_rows": [(g, result.total.grades.get(g["grade"], 0)) for g in plan.grade_scale],
        "show_evaluations": bool(plan.public_evaluation_statuses),
    }  # fmt: skip


def _figure(value) -> str:
    return "" if value is None else format_number(value)


def node_context(plan: Plan, tenant: Tenant, year: int, node_id: int) -> dict | None:
    tree = public_tree(plan)
    by_id = {n.pk: n for n in tree.nodes}
    node = by_id.get(node_id)
    if node is None:
        return None
    ancestors = []
    current = by_id.get(node.parent_id)
    while current is not None:
        ancestors.insert(0, current)
        current = by_id.get(current.parent_id)
    indicators = []
    for indicator in tree.indicators:
        if indicator.node_id != node.pk:
            continue
        result = selectors.indicator_progress(indicator, plan, year)
        # Nothing after the fiscal year the planners publish: its actuals are not yet final.
        result = dataclasses.replace(
            result, actuals={y: a for y, a in result.actuals.items() if y <= year}
        )
        baseline_year = indicator.baseline_year
        years = sorted(
            set(plan.fiscal_years)
            | set(result.targets)
            | set(result.actuals)
            | ({baseline_year} if baseline_year is not None else set())
        )
        table = [
            {
                "label": fiscal_year_label(y),
                "baseline": _figure(indicator.baseline_value) if y == baseline_year else "",
                "target": _figure(result.targets.get(y)),
                "actual": _figure(result.actuals[y].value) if y in result.actuals else "",
            }
            for y in years
        ]
        indicators.append(
            {"result": result, "chart": charts.indicator_chart(indicator, plan, result),
             "table": table}
        )  # fmt: skip
    labels = {g["grade"]: g["label"] for g in plan.grade_scale}
    evaluations = [
        {"year_label": fiscal_year_label(e.fiscal_year), "grade": e.grade,
         "grade_label": labels.get(e.grade, ""), "results": e.results, "issues": e.issues,
         "next_steps": e.next_steps, "department": e.department}
        for e in node.evaluations.all() if e.fiscal_year <= year
    ]  # fmt: skip
    sections = [
        (section.heading or plan.heading_for(section.kind), section)
        for section in node.sections.all()
    ]
    return {
        "plan": plan, "tenant": tenant, "year": year, "year_label": fiscal_year_label(year),
        "node": node, "ancestors": ancestors, "children": tree.children[node.pk],
        "indicators": indicators, "evaluations": evaluations, "sections": sections,
    }  # fmt: skip
