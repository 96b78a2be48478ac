"""Plan pages: list, tree, node, indicator, dashboard, report, comparison, import and the
yearly review. Each view checks access first (accounts.policy) and leaves reads to selectors
and writes to services."""

import dataclasses

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership
from sasaeai.core.db import replica_reads
from sasaeai.core.fiscal import fiscal_year_label
from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import charts, planfile, selectors, services, workbook
from sasaeai.plans.commands import read_plan_file
from sasaeai.plans.models import (
    Evaluation,
    EvaluationStatus,
    Indicator,
    NodeTheme,
    Plan,
    PlanNode,
    PublicEvaluations,
)
from sasaeai.plans.progress import Status


def _plan(request, plan_id: int, permission: str | None = None) -> Plan:
    return selectors.plan_for(request.actor, plan_id, permission)


def _year(request, plan: Plan, *, overview: bool = False) -> int:
    """The fiscal year asked for; else this one, or for an overview (tree, dashboard) the
    latest year that has data."""
    raw = request.GET.get("year", "")
    if raw.isdigit() and int(raw) in plan.fiscal_years:
        return int(raw)
    if overview:
        return selectors.latest_plan_year_with_data(plan)
    return selectors.current_plan_year(plan)


def _years(plan: Plan) -> list[tuple[int, str]]:
    return [(year, fiscal_year_label(year)) for year in plan.fiscal_years]


def plan_list(request):
    policy.require(request.actor, "plans.view_plan")
    plans = list(selectors.plans_visible_to(request.actor))
    counts = selectors.level_counts([p.pk for p in plans])
    for plan in plans:
        plan.level_counts = counts.get(plan.pk, [])
    return render(request, "plans/plan_list.html", {
        "plans": plans,
        "can_manage": policy.can(request.actor, "plans.manage_plan"),
    })  # fmt: skip


class TreeFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Fiscal year"), coerce=int, required=False)
    priority = forms.BooleanField(label=gettext_lazy("Priorities only"), required=False)
    level = forms.ChoiceField(label=gettext_lazy("Level"), required=False)
    actor = forms.ChoiceField(label=gettext_lazy("Actor"), required=False)
    theme = forms.ChoiceField(label=gettext_lazy("Theme"), required=False)

    def __init__(self, *args, plan: Plan, themes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _("All"))]
        self.fields["year"].choices = _years(plan)
        self.fields["level"].choices = every + [(lv.key, lv.name) for lv in plan.levels.all()]
        self.fields["actor"].choices = every + [(a.key, a.name) for a in plan.actors.all()]
        self.fields["theme"].choices = every + [(t, t) for t in themes]


def _matches(node: PlanNode, data: dict) -> bool:
    if data.get("priority") and not node.priority:
        return False
    if data.get("level") and node.level.key != data["level"]:
        return False
    if data.get("theme") and data["theme"] not in node.themes:
        return False
    if data.get("actor") and not any(
        s.actor.key == data["actor"] for s in node.role_statements.all()
    ):
        return False
    return True


def plan_detail(request, plan_id: int):
    plan = _plan(request, plan_id)
    year = _year(request, plan, overview=True)
    themes = sorted(set(NodeTheme.objects.filter(node__plan=plan).values_list("name", flat=True)))
    form = TreeFilterForm(request.GET or None, plan=plan, themes=themes, initial={"year": year})
    data = form.cleaned_data if form.is_valid() else {}
    result = selectors.plan_progress(plan, year)
    by_id = {node.pk: node for node in result.tree.nodes}
    filtering = any(data.get(k) for k in ("priority", "level", "actor", "theme"))
    shown: set[int] = set()
    matched: set[int] = set()
    for node in result.tree.nodes:
        if not filtering or _matches(node, data):
            matched.add(node.pk)
            current = node
            while current is not None:  # keep the path to a match so it reads in context
                shown.add(current.pk)
                current = by_id.get(current.parent_id)
    rows = [
        {"node": node, "rollup": result.rollup(node), "evaluation": result.evaluations.get(node.pk),
         "matched": node.pk in matched, "mean_grade": result.rollup(node).mean_grade(plan.grade_scale)}
        for node in result.tree.nodes if node.pk in shown
    ]  # fmt: skip
    return render(request, "plans/plan_detail.html", {
        "plan": plan, "year": year, "year_label": fiscal_year_label(year), "form": form,
        "rows": rows, "total": result.total, "filtering": filtering, "matched_count": len(matched),
        "statuses": Status, "grade_scale": plan.grade_scale,
        "publication_form": _publication_form(plan) if policy.can(request.actor, "plans.manage_plan") else None,
        "public_url": reverse("public_progress:plan", args=[plan.tenant.code, plan.code])
        if plan.public_progress else "",
    })  # fmt: skip


class PublicationForm(forms.Form):
    public_progress = forms.BooleanField(label=gettext_lazy("Publish progress"), required=False)
    public_year = forms.TypedChoiceField(
        label=gettext_lazy("Fiscal year shown"), coerce=int, required=False, empty_value=None
    )
    public_evaluations = forms.ChoiceField(
        label=gettext_lazy("Evaluations shown"), choices=PublicEvaluations.choices
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["public_year"].choices = [("", _("Latest with actuals"))] + _years(plan)


def _publication_form(plan: Plan, data=None) -> PublicationForm:
    initial = {"public_progress": plan.public_progress, "public_year": plan.public_year,
               "public_evaluations": plan.public_evaluations}  # fmt: skip
    return PublicationForm(data, plan=plan, initial=initial)


@require_POST
def plan_publication(request, plan_id: int):
    """Publish (or withdraw) the plan's progress page; planners only."""
    plan = _plan(request, plan_id, "plans.manage_plan")
    form = _publication_form(plan, request.POST)
    if form.is_valid():
        try:
            services.plan_publication_set(actor=request.actor, plan=plan, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))
        else:
            messages.success(request, _("The publication of the plan's progress was saved."))
    else:
        messages.error(request, _("The publication settings could not be read."))
    return redirect("plans:plan_detail", plan_id=plan.pk)


def node_detail(request, plan_id: int, node_id: int):
    plan = _plan(request, plan_id)
    year = _year(request, plan)
    tree = selectors.plan_tree(plan)
    node = next((n for n in tree.nodes if n.pk == node_id), None)
    if node is None:
        raise Http404
    by_id = {n.pk: n for n in tree.nodes}
    ancestors = []
    current = by_id.get(node.parent_id)
    while current is not None:
        ancestors.insert(0, current)
        current = by_id.get(current.parent_id)
    indicators = [
        selectors.indicator_progress(i, plan, year) for i in tree.indicators if i.node_id == node.pk
    ]
    roles: dict[str, list[str]] = {}
    for statement in node.role_statements.all():
        roles.setdefault(statement.actor.name, []).append(statement.text)
    sections = [
        (section.heading or plan.heading_for(section.kind), section)
        for section in node.sections.all()
    ]
    return render(request, "plans/node_detail.html", {
        "plan": plan, "node": node, "year": year, "ancestors": ancestors, "children": tree.children[node.pk],
        "sections": sections, "roles": roles, "indicators": indicators,
        "evaluations": list(node.evaluations.all()), "linked_from": node.linked_from.all(),
        "can_draft": node.level.evaluated and policy.can(request.actor, "plans.draft_evaluation"),
        "grade_labels": {g["grade"]: g["label"] for g in plan.grade_scale},
    })  # fmt: skip


class ActualForm(forms.Form):
    fiscal_year = forms.TypedChoiceField(label=gettext_lazy("Fiscal year"), coerce=int)
    value = forms.CharField(label=gettext_lazy("Actual"), max_length=100,
                            help_text=gettext_lazy("A number; an annotation may follow in brackets, e.g. 83.0（39/47校）"))  # fmt: skip
    source = forms.CharField(label=gettext_lazy("Source"), max_length=200, required=False)
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].choices = _years(plan)


def indicator_detail(request, plan_id: int, indicator_id: int):
    plan = _plan(request, plan_id)
    indicator = get_object_or_404(
        Indicator.objects.filter(plan=plan)
        .select_related("node")
        .prefetch_related("targets", "actuals"),
        pk=indicator_id,
    )
    year = _year(request, plan)
    can_record = policy.can(request.actor, "plans.record_actual") and not indicator.metric_key
    form = ActualForm(plan=plan, initial={"fiscal_year": year})
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        form = ActualForm(request.POST, plan=plan)
        if form.is_valid():
            try:
                services.actual_record(
                    actor=request.actor, indicator=indicator, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The actual was recorded."))
                return redirect(f"{request.path}?year={form.cleaned_data['fiscal_year']}")
    result = selectors.indicator_progress(indicator, plan, year)
    baseline = planfile.parse_value(indicator.baseline_text) if indicator.baseline_text else None
    return render(request, "plans/indicator_detail.html", {
        "plan": plan, "indicator": indicator, "year": year, "result": result, "form": form,
        "can_record": can_record, "chart": charts.indicator_chart(indicator, plan, result),
        "baseline_annotation": baseline.annotation if baseline else "",
        "years": [(y, fiscal_year_label(y)) for y in plan.fiscal_years],
    })  # fmt: skip


def dashboard(request, plan_id: int):
    plan = _plan(request, plan_id)
    year = _year(request, plan, overview=True)
    with replica_reads():  # a report read: a few seconds of replication lag are acceptable
        result = selectors.plan_progress(plan, year)
    order = list(Status)
    top_rows = [
        (node, result.rollup(node), [result.rollup(node).statuses.get(s, 0) for s in order])
        for node in result.tree.children[None]
    ]
    return render(request, "plans/dashboard.html", {
        "plan": plan, "year": year, "year_label": fiscal_year_label(year), "years": _years(plan),
        "result": result, "top_rows": top_rows, "statuses": Status,
        "status_chart": charts.status_bars(result.total),
        "grade_rows": [(g, result.total.grades.get(g["grade"], 0)) for g in plan.grade_scale],
        "mean_grade": result.total.mean_grade(plan.grade_scale),
        "evaluable": sum(1 for n in result.tree.nodes if n.level.evaluated),
        "measured_count": sum(1 for i in result.tree.indicators if i.metric_key),
    })  # fmt: skip


@require_POST
def report_download(request, plan_id: int, fmt: str):
    """The committee report is a background job: queue it, then show its page (progress,
    then the download). The request only records the job."""
    from sasaeai.jobs.services import job_enqueue

    if fmt not in ("pdf", "xlsx"):
        raise Http404
    plan = _plan(request, plan_id)
    year = _year(request, plan)
    job = job_enqueue(
        actor=request.actor, kind="plans.report",
        parameters={"plan_id": plan.pk, "year": year, "format": fmt},
    )  # fmt: skip
    return redirect("jobs:job_detail", job.pk)


def plan_export(request, plan_id: int, fmt: str):
    if fmt not in ("yaml", "json", "xlsx"):
        raise Http404
    plan = _plan(request, plan_id)
    document = selectors.plan_document(plan)
    if fmt == "xlsx":
        data = workbook.document_to_workbook(document)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "json":
        data, content_type = planfile.dump_json(document).encode(), "application/json"
    else:
        data, content_type = (
            planfile.dump_yaml(document).encode(),
            "application/yaml; charset=utf-8",
        )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{plan.code}.{fmt}"'
    return response


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Plan file (YAML, JSON or Excel)"))
    replace = forms.BooleanField(
        label=gettext_lazy("Replace the plan with the same code"), required=False
    )


def plan_import(request):
    policy.require(request.actor, "plans.manage_plan")
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[planfile.Problem] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            document = read_plan_file(upload.name, upload.read())
            plan = services.plan_import(actor=request.actor, tenant_id=request.actor.tenant_id,
                                        document=document, replace=form.cleaned_data["replace"])  # fmt: skip
        except planfile.PlanFileError as error:
            problems = error.problems
        else:
            messages.success(request, _("The plan %(title)s was imported.") % {"title": plan.title})
            return redirect("plans:plan_detail", plan_id=plan.pk)
    return render(request, "plans/plan_import.html", {"form": form, "problems": problems})


class EvaluationForm(forms.Form):
    grade = forms.ChoiceField(label=gettext_lazy("Grade"))
    results = forms.CharField(
        label=gettext_lazy("Results"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    issues = forms.CharField(
        label=gettext_lazy("Issues"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    next_steps = forms.CharField(
        label=gettext_lazy("Next steps"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [
            (g["grade"], f"{g['grade']}: {g['label']}") for g in plan.grade_scale
        ]


def evaluation_edit(request, plan_id: int, node_id: int, year: int):
    plan = _plan(request, plan_id)
    node = get_object_or_404(
        PlanNode.objects.select_related("level", "plan"), plan=plan, pk=node_id
    )
    if year not in plan.fiscal_years or not node.level.evaluated:
        raise Http404
    evaluation = Evaluation.objects.filter(node=node, fiscal_year=year).first()
    can_draft = policy.can(request.actor, "plans.draft_evaluation")
    fields = ("grade", "results", "issues", "next_steps")
    initial = {name: getattr(evaluation, name) for name in fields} if evaluation else {}
    form = EvaluationForm(request.POST or None, plan=plan, initial=initial)
    locked = evaluation is not None and evaluation.status == EvaluationStatus.LOCKED
    if request.method == "POST":
        if not can_draft:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.evaluation_save(
                    actor=request.actor, node=node, fiscal_year=year, **form.cleaned_data
                )
            except PermissionDenied as refusal:
                form.add_error(None, str(refusal))
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The evaluation was saved."))
                return redirect(
                    "plans:evaluation_edit", plan_id=plan.pk, node_id=node.pk, year=year
                )
    return render(request, "plans/evaluation_form.html", {
        "plan": plan, "node": node, "year": year, "year_label": fiscal_year_label(year),
        "form": form, "evaluation": evaluation, "locked": locked, "can_draft": can_draft and not locked,
        "can_review": evaluation is not None and not locked and policy.can(request.actor, "plans.review_evaluation"),
        "can_reopen": locked and policy.can(request.actor, "plans.reopen_evaluation"),
        "grade_scale": plan.grade_scale,
    })  # fmt: skip


@require_POST
def evaluation_transition(request, plan_id: int, node_id: int, year: int, action: str):
    plan = _plan(request, plan_id)
    evaluation = get_object_or_404(Evaluation, node__plan=plan, node_id=node_id, fiscal_year=year)
    url = reverse(
        "plans:evaluation_edit", kwargs={"plan_id": plan.pk, "node_id": node_id, "year": year}
    )
    try:
        if action == "advance":
            policy.require(request.actor, "plans.review_evaluation", evaluation)
            services.evaluation_advance(actor=request.actor, evaluation=evaluation)
        else:
            policy.require(request.actor, "plans.reopen_evaluation", evaluation)
            services.evaluation_reopen(actor=request.actor, evaluation=evaluation,
                                       reason=request.POST.get("reason", ""))  # fmt: skip
    except (PermissionDenied, ValidationError) as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        if not message:
            raise
        messages.error(request, message)
    return redirect(url)


class ActualsUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Workbook with a 実績 sheet (.xlsx)"))


def actuals_upload(request, plan_id: int):
    plan = _plan(request, plan_id, "plans.record_actual")
    form = ActualsUploadForm(request.POST or None, request.FILES or None)
    problems: list[planfile.Problem] = []
    if request.method == "POST" and form.is_valid():
        try:
            rows = workbook.read_actuals(form.cleaned_data["file"].read(), plan)
            count = services.actuals_record_many(actor=request.actor, plan=plan, rows=rows)
        except planfile.PlanFileError as error:
            problems = error.problems
        else:
            messages.success(request, _("%(count)s actuals were recorded.") % {"count": count})
            return redirect("plans:dashboard", plan_id=plan.pk)
    return render(
        request, "plans/actuals_upload.html", {"plan": plan, "form": form, "problems": problems}
    )


def compare(request):
    """Plans side by side by theme: in this tenant, and in every other tenant where the viewer
    is a member allowed to read plans (each read under that tenant's own scope)."""
    policy.require(request.actor, "plans.view_plan")
    theme = request.GET.get("theme", "").strip()
    actor = request.actor
    columns = []
    themes: set[str] = set()
    memberships = (
        Membership.objects.filter(user_id=actor.user_id)
        .select_related("tenant")
        .order_by("tenant__code")
    )
    for membership in memberships:
        tenant_actor = dataclasses.replace(actor, tenant_id=membership.tenant_id, role=membership.role,
                                           membership_id=membership.pk)  # fmt: skip
        if not policy.has_permission(tenant_actor, "plans.view_plan"):
            continue
        with tenant_context(membership.tenant_id):
            plans = list(policy.scope(tenant_actor, "plans.view_plan", Plan.objects.all()))
            tagged = NodeTheme.objects.filter(node__plan__in=plans)
            themes.update(tagged.values_list("name", flat=True).distinct())
            rows = list(
                tagged.filter(name=theme).select_related("node__level").order_by("node__position")
            )
            for plan in plans:
                nodes = [row.node for row in rows if row.node.plan_id == plan.pk]
                columns.append({"tenant": membership.tenant, "plan": plan, "nodes": nodes})
    return render(request, "plans/compare.html", {
        "theme": theme, "themes": sorted(themes), "columns": columns,
    })  # fmt: skip
