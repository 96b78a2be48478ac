"""Screens of disaster mode: declarations (declare, end), safety checks on a phone, progress
per area (table and SVG map) and the report of who saw what. Each view starts with its policy
check; every page showing people audits the reads of what it shows."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.core.csvio import write_csv
from sasaeai.core.forms import add_validation_errors
from sasaeai.disaster import emergency, progress_map
from sasaeai.disaster.models import RegisterReason, SafetyState

PAGE_SIZE = 50


class DeclareForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    areas = forms.MultipleChoiceField(
        label=gettext_lazy("Areas"), widget=forms.CheckboxSelectMultiple
    )
    recipients = forms.MultipleChoiceField(
        label=gettext_lazy("Named recipient organisations"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    includes_commissioners = forms.BooleanField(
        label=gettext_lazy("Welfare commissioners of the areas see all"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, tenant_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = [
            (a.pk, f"{a.name}（{a.get_kind_display()}）")
            for a in emergency.declarable_areas(tenant_id)
        ]
        self.fields["recipients"].choices = [
            (o.pk, o.name) for o in emergency.recipient_choices(tenant_id)
        ]


class EndForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note on ending"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class MarkForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        choices=[c for c in SafetyState.choices],
        widget=forms.RadioSelect,
    )
    place = forms.CharField(label=gettext_lazy("Where they are"), max_length=200, required=False)
    note = forms.CharField(
        label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


# ---- declarations ----------------------------------------------------------------------------


def declaration_list(request):
    actor = request.actor
    policy.require(actor, "disaster.view_declarations")
    rows = emergency.declarations_visible_to(actor).prefetch_related("areas")[:100]
    return render(
        request, "disaster/emergency/declaration_list.html",
        {"declarations": rows, "can_declare": policy.has_permission(actor, "disaster.declare")},
    )  # fmt: skip


def declaration_create(request):
    actor = request.actor
    policy.require(actor, "disaster.declare")
    form = DeclareForm(request.POST or None, tenant_id=actor.tenant_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            declaration = emergency.declaration_declare(
                actor=actor, reason=data["reason"],
                area_ids=[int(i) for i in data["areas"]],
                recipient_ids=[int(i) for i in data["recipients"]],
                includes_commissioners=data["includes_commissioners"],
            )  # fmt: skip
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Disaster mode has been declared."))
            return redirect("disaster:emergency_detail", pk=declaration.pk)
    return render(request, "disaster/emergency/declaration_form.html", {"form": form})


def declaration_detail(request, pk: int):
    actor = request.actor
    declaration = emergency.declaration_for(actor, pk)
    return render(
        request, "disaster/emergency/declaration_detail.html",
        {"declaration": declaration, "end_form": EndForm(),
         "can_declare": policy.has_permission(actor, "disaster.declare"),
         "can_check": policy.has_permission(actor, "disaster.check_safety"),
         "can_progress": policy.has_permission(actor, "disaster.view_safety_progress"),
         "can_report": policy.has_permission(actor, "disaster.view_declaration_report")},
    )  # fmt: skip


@require_POST
def declaration_end(request, pk: int):
    actor = request.actor
    policy.require(actor, "disaster.declare")
    declaration = emergency.declaration_for(actor, pk, "disaster.declare")
    form = EndForm(request.POST)
    form.is_valid()
    try:
        emergency.declaration_end(
            actor=actor, declaration=declaration, note=form.cleaned_data.get("note", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Disaster mode has ended."))
    return redirect("disaster:emergency_detail", pk=pk)


# ---- safety checks ---------------------------------------------------------------------------


def _reasons(entry) -> list[str]:
    labels = dict(RegisterReason.choices)
    return [str(labels.get(reason, reason)) for reason in entry.reasons or []]


def _int_or_none(value) -> int | None:
    return int(value) if value and value.isdigit() else None


def safety_list(request, pk: int):
    actor = request.actor
    policy.require(actor, "disaster.check_safety")
    declaration = emergency.declaration_for(actor, pk, "disaster.check_safety")
    areas = list(declaration.areas.all())
    area_id = _int_or_none(request.GET.get("area"))
    if area_id not in {a.pk for a in areas}:
        area_id = None
    order = emergency.safety_order(actor, declaration, area_id=area_id)
    page = Paginator(order, PAGE_SIZE).get_page(request.GET.get("page"))
    entries = emergency.entries_in_order(list(page.object_list))
    audit_reads(actor, entries, detail={"declaration": declaration.pk})
    statuses = emergency.statuses_for(declaration, entries)
    return render(
        request, "disaster/emergency/safety_list.html",
        {"declaration": declaration, "areas": areas, "area_id": area_id, "page": page,
         "rows": [(e, statuses.get(e.pk), _reasons(e)) for e in entries]},
    )  # fmt: skip


def safety_entry(request, pk: int, entry_id: int):
    actor = request.actor
    policy.require(actor, "disaster.check_safety")
    declaration = emergency.declaration_for(actor, pk, "disaster.check_safety")
    entry = emergency.entry_for_marking(actor, declaration, entry_id)
    form = MarkForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                emergency.safety_mark(
                    actor=actor, declaration=declaration, entry=entry,
                    data=emergency.MarkInput(state=data["state"], place=data["place"],
                                             note=data["note"]),
                )  # fmt: skip
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("The mark has been recorded."))
                return redirect("disaster:emergency_safety", pk=pk)
    else:
        audit_object(actor, Action.READ, entry, detail={"declaration": declaration.pk})
    return render(
        request, "disaster/emergency/safety_entry.html",
        {"declaration": declaration, "entry": entry, "form": form, "reasons": _reasons(entry),
         "checks": emergency.checks_of(declaration, entry),
         "status": emergency.statuses_for(declaration, [entry]).get(entry.pk),
         "states": SafetyState.choices},
    )  # fmt: skip


# ---- progress --------------------------------------------------------------------------------


def _progress(request, pk: int):
    actor = request.actor
    policy.require(actor, "disaster.view_safety_progress")
    declaration = emergency.declaration_for(actor, pk, "disaster.view_safety_progress")
    rows = emergency.progress_by_area(declaration)
    drawing = progress_map.build(
        [(r.area.pk, r.area.name, r.area.boundary, r.percent) for r in rows]
    )
    return declaration, rows, drawing


def progress(request, pk: int):
    declaration, rows, drawing = _progress(request, pk)
    listed = sum(r.listed for r in rows)
    done = sum(r.done for r in rows)
    return render(
        request, "disaster/emergency/progress.html",
        {"declaration": declaration, "rows": rows, "map": drawing,
         "states": SafetyState.choices, "listed": listed, "done": done,
         "percent": round(100 * done / listed, 1) if listed else None},
    )  # fmt: skip


def progress_svg(request, pk: int):
    declaration, rows, drawing = _progress(request, pk)
    body = render_to_string(
        "disaster/emergency/_progress_map_svg.html", {"map": drawing, "standalone": True}, request
    )
    return HttpResponse(body, content_type="image/svg+xml; charset=utf-8")


# ---- who saw what ----------------------------------------------------------------------------


def _report(request, pk: int):
    actor = request.actor
    policy.require(actor, "disaster.view_declaration_report")
    declaration = emergency.declaration_for(actor, pk, "disaster.view_declaration_report")
    viewers = emergency.declaration_report(actor, declaration)
    return actor, declaration, viewers


def report(request, pk: int):
    actor, declaration, viewers = _report(request, pk)
    audit_object(
        actor, Action.READ, declaration,
        detail={"report": "who_saw_what", "viewers": len(viewers)},
    )  # fmt: skip
    named = emergency.report_named_entries(actor, viewers)
    audit_reads(actor, named, detail={"declaration_report": declaration.pk})
    return render(
        request, "disaster/emergency/report.html",
        {"declaration": declaration, "viewers": viewers, "now": timezone.now()},
    )  # fmt: skip


def report_csv(request, pk: int):
    actor, declaration, viewers = _report(request, pk)
    audit_object(
        actor, Action.EXPORT, declaration,
        detail={"report": "who_saw_what", "format": "csv", "viewers": len(viewers)},
    )  # fmt: skip
    named = emergency.report_named_entries(actor, viewers)
    audit_reads(actor, named, action=Action.EXPORT, detail={"declaration_report": declaration.pk})
    header = [_("User"), _("Role"), _("Register entry"), _("Views")]
    rows = [
        [viewer.username, viewer.role, label, n]
        for viewer in viewers
        for _entry_id, label, n in viewer.entries
    ]
    response = HttpResponse(write_csv(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="declaration-{pk}-views.csv"'
    return response
