"""Screens of 個別避難計画 and 福祉避難所: plan list (a care planner's home), a plan with its
supporters, the one-page print, the per-plan fee list, coverage per district and shelters.
Every view starts with its policy check; a plan the actor may not see is a 404."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import Event, audit_event, audit_object, audit_reads
from sasaeai.core.csvio import write_csv
from sasaeai.core.forms import add_validation_errors
from sasaeai.core.models import Area, AreaKind, Tenant
from sasaeai.disaster import evacuation
from sasaeai.disaster.models import (
    DestinationKind,
    PlanStatus,
    PlanSupporter,
    RegisterEntry,
    ShelterTarget,
)
from sasaeai.disaster.plan_print import plan_pdf

PAGE_SIZE = 30
DATE = forms.DateInput(attrs={"type": "date"})


# ---- forms -----------------------------------------------------------------------------------


class PlanForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=PlanStatus.choices)
    consent_on = forms.DateField(
        label=gettext_lazy("Date the person agreed"), required=False, widget=DATE
    )
    destination_kind = forms.ChoiceField(
        label=gettext_lazy("Destination"), required=False,
        choices=[("", "---------"), *DestinationKind.choices],
    )  # fmt: skip
    shelter_id = forms.TypedChoiceField(
        label=gettext_lazy("Welfare shelter (direct evacuation)"), required=False, coerce=int,
        empty_value=None,
    )  # fmt: skip
    destination_name = forms.CharField(
        label=gettext_lazy("Destination name"), required=False, max_length=200
    )
    route = forms.CharField(
        label=gettext_lazy("Route"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    medical_devices = forms.CharField(
        label=gettext_lazy("Medical devices"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    medication = forms.CharField(
        label=gettext_lazy("Medication"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    mobility = forms.CharField(
        label=gettext_lazy("Mobility"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    other_needs = forms.CharField(
        label=gettext_lazy("Other needs"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    reviewed_on = forms.DateField(label=gettext_lazy("Reviewed on"), required=False, widget=DATE)

    def __init__(self, *args, tenant_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shelter_id"].choices = [
            ("", "---------"),
            *((s.pk, s.name) for s in evacuation.direct_shelters(tenant_id)),
        ]

    def plan_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class SupporterForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    phone = forms.CharField(label=gettext_lazy("Telephone"), max_length=40)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=300, required=False)
    relation = forms.CharField(label=gettext_lazy("Relation"), max_length=100, required=False)


class AssignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    care_planner = forms.TypedChoiceField(
        label=gettext_lazy("Care planner"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, tenant_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["care_planner"].choices = [
            ("", gettext_lazy("None (written by staff)")),
            *evacuation.care_planner_choices(tenant_id),
        ]


class ShelterForm(forms.Form):
    operator = forms.CharField(label=gettext_lazy("Operated by"), max_length=200, required=False)
    agreement_on = forms.DateField(
        label=gettext_lazy("Agreement signed on"), required=False, widget=DATE
    )
    capacity = forms.IntegerField(label=gettext_lazy("Capacity"), min_value=0, initial=0)
    targets = forms.MultipleChoiceField(
        label=gettext_lazy("Who it takes in"), required=False, choices=ShelterTarget.choices,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    accepts_direct = forms.BooleanField(
        label=gettext_lazy("Takes people directly (direct evacuation)"), required=False
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)


def _int_or_none(value) -> int | None:
    return int(value) if value and str(value).isdigit() and len(str(value)) < 18 else None


# ---- plans -----------------------------------------------------------------------------------


def plan_list(request):
    """Plans the actor sees; for a care planner, their own plans and nothing else (home)."""
    actor = request.actor
    policy.require(actor, "disaster.view_plan")
    status = request.GET.get("status", "")
    status = status if status in PlanStatus.values else ""
    area = _int_or_none(request.GET.get("area"))
    rows = evacuation.plans_visible_to(actor, status=status, area_id=area)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_reads(actor, list(page.object_list), subject_of=lambda plan: plan.entry)
    return render(
        request, "disaster/evacuation/plan_list.html",
        {"page": page, "status": status, "area": area, "statuses": PlanStatus.choices,
         "districts": Area.objects.filter(tenant_id=actor.tenant_id, kind=AreaKind.DISTRICT),
         "can_assign": policy.has_permission(actor, "disaster.assign_plan"),
         "can_see_fees": policy.has_permission(actor, "disaster.view_plan_fees"),
         "can_see_coverage": policy.has_permission(actor, "disaster.view_plan_coverage")},
    )  # fmt: skip


def plan_new(request):
    """Staff start a plan for a listed person without one, optionally for a care planner."""
    actor = request.actor
    policy.require(actor, "disaster.assign_plan")
    query = request.GET.get("q", "").strip()[:100]
    form = AssignForm(request.POST or None, tenant_id=actor.tenant_id, initial={"version": 0})
    error = ""
    if request.method == "POST":
        entry_id = _int_or_none(request.POST.get("entry"))
        entries = policy.scope(actor, "disaster.assign_plan", RegisterEntry.objects.all())
        entry = entries.filter(pk=entry_id).first() if entry_id else None
        if entry is None:
            raise Http404
        if form.is_valid():
            try:
                plan = evacuation.plan_create(
                    actor=actor, entry=entry, care_planner_id=form.cleaned_data["care_planner"]
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, _("Plan started."))
                return redirect("disaster:plan_detail", pk=plan.pk)
    candidates = list(evacuation.entries_without_plan(actor, query=query)[:PAGE_SIZE])
    audit_reads(actor, candidates)
    return render(
        request, "disaster/evacuation/plan_new.html",
        {"entries": candidates, "q": query, "form": form, "error": error},
    )  # fmt: skip


def _plan_form(plan, tenant_id, data=None) -> PlanForm:
    initial = {name: getattr(plan, name) for name in evacuation.PLAN_FIELDS}
    initial["version"] = plan.version
    return PlanForm(data, tenant_id=tenant_id, initial=initial)


def plan_detail(request, pk: int):
    actor = request.actor
    policy.require(actor, "disaster.view_plan")
    plan = evacuation.plan_for(actor, pk)
    can_edit = policy.can(actor, "disaster.edit_plan", plan)
    can_assign = policy.can(actor, "disaster.assign_plan", plan)
    plan_form = _plan_form(plan, actor.tenant_id)
    supporter_form = SupporterForm()
    assign_form = AssignForm(
        tenant_id=actor.tenant_id,
        initial={"version": plan.version, "care_planner": plan.care_planner_id},
    )
    if request.method == "POST":
        kind = request.POST.get("form")
        if kind == "assign" and can_assign:
            assign_form = AssignForm(request.POST, tenant_id=actor.tenant_id)
            if _assign(request, plan, assign_form):
                return redirect("disaster:plan_detail", pk=pk)
        elif kind == "plan" and can_edit:
            plan_form = _plan_form(plan, actor.tenant_id, request.POST)
            if _save_plan(request, plan, plan_form):
                return redirect("disaster:plan_detail", pk=pk)
        elif kind == "supporter" and can_edit:
            supporter_form = SupporterForm(request.POST)
            if _add_supporter(request, plan, supporter_form):
                return redirect("disaster:plan_detail", pk=pk)
        else:
            raise Http404
    audit_object(actor, Action.READ, plan, subject=plan.entry)
    return render(
        request, "disaster/evacuation/plan_detail.html",
        {"plan": plan, "entry": plan.entry, "supporters": plan.supporters.all(),
         "plan_form": plan_form, "supporter_form": supporter_form, "assign_form": assign_form,
         "can_edit": can_edit, "can_assign": can_assign,
         "needs_supporter": _has_code(plan_form, "supporter_required")},
    )  # fmt: skip


def _has_code(form, code: str) -> bool:
    return form.is_bound and any(
        error.code == code for errors in form.errors.as_data().values() for error in errors
    )


def _assign(request, plan, form) -> bool:
    if not form.is_valid():
        return False
    try:
        evacuation.plan_assign(
            actor=request.actor, plan=plan, care_planner_id=form.cleaned_data["care_planner"],
            version=form.cleaned_data["version"],
        )  # fmt: skip
    except ValidationError as error:
        add_validation_errors(form, error)
        return False
    messages.success(request, _("Care planner saved."))
    return True


def _save_plan(request, plan, form) -> bool:
    if not form.is_valid():
        return False
    try:
        saved = evacuation.plan_update(
            actor=request.actor, plan=plan, data=form.plan_data(),
            version=form.cleaned_data["version"],
        )  # fmt: skip
    except ValidationError as error:
        plan.refresh_from_db()
        add_validation_errors(form, error)
        return False
    warning = evacuation.capacity_warning(saved)
    if warning:
        messages.warning(request, warning)
    messages.success(request, _("Plan saved."))
    return True


def _add_supporter(request, plan, form) -> bool:
    if not form.is_valid():
        return False
    try:
        evacuation.supporter_add(actor=request.actor, plan=plan, **form.cleaned_data)
    except ValidationError as error:
        add_validation_errors(form, error)
        return False
    messages.success(request, _("Supporter added."))
    return True


@require_POST
def supporter_remove(request, pk: int, supporter_pk: int):
    actor = request.actor
    policy.require(actor, "disaster.edit_plan")
    plan = evacuation.plan_for(actor, pk)
    supporter = PlanSupporter.objects.filter(plan=plan, pk=supporter_pk).first()
    if supporter is None:
        raise Http404
    try:
        evacuation.supporter_remove(actor=actor, supporter=supporter)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Supporter removed."))
    return redirect("disaster:plan_detail", pk=pk)


def plan_print(request, pk: int):
    """The one-page form: the same scope as the plan page, audited as an export."""
    actor = request.actor
    policy.require(actor, "disaster.view_plan")
    plan = evacuation.plan_for(actor, pk)
    audit_object(actor, Action.EXPORT, plan, subject=plan.entry, detail={"format": "pdf"})
    tenant = Tenant.objects.filter(pk=actor.tenant_id).first()
    response = HttpResponse(plan_pdf(plan, tenant), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="evacuation-plan-{plan.pk}.pdf"'
    return response


# ---- per-plan fees, coverage -----------------------------------------------------------------


def _month(request) -> str:
    return request.GET.get("month") or timezone.localdate().strftime("%Y-%m")


def plan_fees(request):
    """Counts per care planner for the month; one planner's plans (named, audited) on request."""
    actor = request.actor
    policy.require(actor, "disaster.view_plan_fees")
    month, error, rows, detail = _month(request), "", [], []
    planner = _int_or_none(request.GET.get("planner"))
    try:
        rows = evacuation.plan_fee_counts(actor, month)
        if planner is not None:
            detail = evacuation.plan_fees(actor, month, care_planner_id=planner)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    audit_reads(actor, [p for row in detail for p in row.plans], subject_of=lambda p: p.entry)
    return render(
        request, "disaster/evacuation/plan_fees.html",
        {"rows": rows, "detail": detail, "month": month, "error": error, "planner": planner,
         "total": sum(row.count for row in rows)},
    )  # fmt: skip


def plan_fees_csv(request):
    actor = request.actor
    policy.require(actor, "disaster.view_plan_fees")
    try:
        rows = evacuation.plan_fees(actor, _month(request))
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    plans = [p for row in rows for p in row.plans]
    audit_reads(actor, plans, action=Action.EXPORT, subject_of=lambda p: p.entry)
    body = write_csv(
        ["ケアマネジャー等", "計画番号", "宛名番号", "氏名", "同意日"],
        [
            [row.care_planner, p.pk, p.entry.resident_key, p.entry.name, p.consent_on.isoformat()]
            for row in rows
            for p in row.plans
        ],
    )
    return _csv(body, f"plan-fees-{_month(request)}.csv")


def _csv(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def coverage(request):
    actor = request.actor
    policy.require(actor, "disaster.view_plan_coverage")
    rows = evacuation.plan_coverage(actor)
    return render(
        request, "disaster/evacuation/coverage.html",
        {"rows": rows, "total": evacuation.coverage_total(rows)},
    )  # fmt: skip


def coverage_csv(request):
    actor = request.actor
    policy.require(actor, "disaster.view_plan_coverage")
    rows = evacuation.plan_coverage(actor)
    rows.append(evacuation.coverage_total(rows))
    # Counts only, no person: the export is still recorded, as every way out is.
    audit_event(
        actor, Event(action=Action.EXPORT, object_type="disaster.plancoverage",
                     tenant_id=actor.tenant_id, detail={"format": "csv"}),
    )  # fmt: skip
    body = write_csv(
        ["地区", "名簿登載者数", "計画作成済（同意済）", "作成率(%)"],
        [[r.name, r.listed, r.agreed, "" if r.rate is None else r.rate] for r in rows],
    )
    return _csv(body, "plan-coverage.csv")


# ---- welfare shelters ------------------------------------------------------------------------


def shelter_list(request):
    actor = request.actor
    policy.require(actor, "disaster.view_shelters")
    shelters = list(evacuation.shelters_visible_to(actor))
    places = evacuation.directory_places(actor.tenant_id)
    evacuation.flag_outside_directory(shelters, places)
    recorded = {s.place_id for s in shelters}
    can_manage = policy.has_permission(actor, "disaster.manage_shelters")
    return render(
        request, "disaster/evacuation/shelter_list.html",
        {"shelters": shelters, "can_manage": can_manage,
         "candidates": [p for pid, p in places.items() if pid not in recorded] if can_manage
         else []},
    )  # fmt: skip


def shelter_edit(request, pk: int | None = None):
    """Record a directory place as a shelter (`?place=`), or edit a shelter's agreement."""
    actor = request.actor
    policy.require(actor, "disaster.manage_shelters")
    shelter = evacuation.shelter_for(actor, pk) if pk else None
    place = None
    if shelter is None:
        place = evacuation.directory_places(actor.tenant_id).get(
            _int_or_none(request.GET.get("place") or request.POST.get("place"))
        )
        if place is None:
            raise Http404
    initial = {f: getattr(shelter, f) for f in evacuation.SHELTER_FIELDS} if shelter else {}
    form = ShelterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = evacuation.shelter_save(
                actor=actor, shelter=shelter, place_id=place.id if place else None,
                data=form.cleaned_data,
            )  # fmt: skip
        except ValidationError as error:
            add_validation_errors(form, error, rename={"place_id": None})
        else:
            messages.success(request, _("Welfare shelter saved."))
            return redirect("disaster:shelter_edit", pk=saved.pk)
    return render(
        request, "disaster/evacuation/shelter_form.html",
        {"form": form, "shelter": shelter, "place": place},
    )  # fmt: skip
