"""Screens of the 支え合いマップ: the list of maps, one map with its clickable grid, the SVG
and the printable PDF. Every drawing shows only agreed households and is audited."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.core.forms import add_validation_errors
from sasaeai.watch import map_drawing
from sasaeai.watch import mutual_aid_map as maps
from sasaeai.watch.models import HouseholdMark, MapHousehold, MapTie, MutualAidMap, TieKind


class MapForm(forms.ModelForm):
    class Meta:
        model = MutualAidMap
        fields = ["title", "area", "drawn_on", "note"]
        widgets = {"drawn_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = maps.areas_for_maps(actor)


class HouseholdForm(forms.ModelForm):
    marks = forms.MultipleChoiceField(
        label=gettext_lazy("Marks"), choices=HouseholdMark.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    class Meta:
        model = MapHousehold
        fields = ["label", "x", "y", "marks", "agreed_on", "watched", "note"]
        widgets = {"agreed_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, actor, mutual_aid_map, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["watched"].queryset = maps.watched_choices(actor, mutual_aid_map)
        self.fields["x"].max_value = maps.GRID_COLUMNS - 1
        self.fields["y"].max_value = maps.GRID_ROWS - 1


class TieForm(forms.Form):
    source = forms.ModelChoiceField(queryset=MapHousehold.objects.none(),
                                    label=gettext_lazy("Who looks in"))  # fmt: skip
    target = forms.ModelChoiceField(queryset=MapHousehold.objects.none(),
                                    label=gettext_lazy("On whom"))  # fmt: skip
    kind = forms.ChoiceField(choices=TieKind.choices, label=gettext_lazy("Kind"))

    def __init__(self, *args, mutual_aid_map, **kwargs):
        super().__init__(*args, **kwargs)
        households = mutual_aid_map.households.order_by("label")
        self.fields["source"].queryset = households
        self.fields["target"].queryset = households


def map_list(request):
    actor = request.actor
    policy.require(actor, "watch.view_map")
    can_manage = policy.has_permission(actor, "watch.manage_map")
    form = MapForm(request.POST or None, actor=actor, initial={"drawn_on": timezone.localdate()})
    if request.method == "POST":
        policy.require(actor, "watch.manage_map")
        if form.is_valid():
            try:
                created = maps.map_save(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                return redirect("watch:map_detail", pk=created.pk)
    return render(
        request, "watch/maps/map_list.html",
        {"maps": maps.maps_visible_to(actor), "form": form if can_manage else None},
    )  # fmt: skip


def map_detail(request, pk: int):
    actor = request.actor
    policy.require(actor, "watch.view_map")
    shown = maps.map_for(actor, pk)
    can_manage = policy.can(actor, "watch.manage_map", shown)
    household = _household_of(shown, request.GET.get("household") or request.POST.get("household"))
    household_form = HouseholdForm(
        instance=household, actor=actor, mutual_aid_map=shown,
        initial=_cell(request) if household is None else None,
    )  # fmt: skip
    tie_form = TieForm(mutual_aid_map=shown)
    if request.method == "POST":
        policy.require(actor, "watch.manage_map", shown)
        response, household_form, tie_form = _act(request, actor, shown, household)
        if response is not None:
            return response
    households = maps.households_of(shown)
    for row in households:
        row.mark_labels = [HouseholdMark(m).label for m in row.marks if m in HouseholdMark.values]
    agreed, ties, hidden = maps.drawable(shown)
    audit_reads(actor, households)
    drawing = map_drawing.svg(
        shown, agreed, ties, hidden,
        cell_link=(lambda x, y: f"?x={x}&y={y}#household-form") if can_manage else None,
        box_link=(lambda h: f"?household={h.pk}#household-form") if can_manage else None,
    )  # fmt: skip
    return render(
        request, "watch/maps/map_detail.html",
        {"map": shown, "svg": mark_safe(drawing), "households": households,  # noqa: S308 (escaped in map_drawing)
         "ties": maps.ties_of(shown), "hidden": hidden, "can_manage": can_manage,
         "household": household, "household_form": household_form, "tie_form": tie_form},
    )  # fmt: skip


def _household_of(shown, value) -> MapHousehold | None:
    if not value or not str(value).isdigit():
        return None
    found = shown.households.filter(pk=int(value)).first()
    if found is None:
        raise Http404
    return found


def _cell(request) -> dict:
    cell = {}
    for name in ("x", "y"):
        value = request.GET.get(name, "")
        if value.isdigit():
            cell[name] = int(value)
    return cell


def _act(request, actor, shown, household):
    action = request.POST.get("action")
    here = reverse("watch:map_detail", args=[shown.pk])
    household_form = HouseholdForm(
        request.POST if action == "household" else None, instance=household, actor=actor,
        mutual_aid_map=shown,
    )  # fmt: skip
    tie_form = TieForm(request.POST if action == "tie" else None, mutual_aid_map=shown)
    try:
        if action == "household" and household_form.is_valid():
            data = {k: household_form.cleaned_data[k] for k in HouseholdForm.Meta.fields}
            maps.household_save(actor=actor, mutual_aid_map=shown, household=household, **data)
            messages.success(request, _("Saved."))
            return redirect(here), household_form, tie_form
        if action == "delete_household" and household is not None:
            maps.household_delete(actor=actor, household=household)
            return redirect(here), household_form, tie_form
        if action == "tie" and tie_form.is_valid():
            maps.tie_add(actor=actor, mutual_aid_map=shown, **tie_form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect(here), household_form, tie_form
        if action == "delete_tie":
            tie_id = request.POST.get("tie", "")
            tie = (
                MapTie.objects.filter(map=shown, pk=int(tie_id)).first()
                if tie_id.isdigit()
                else None
            )
            if tie is None:
                raise Http404
            maps.tie_delete(actor=actor, tie=tie)
            return redirect(here), household_form, tie_form
    except ValidationError as error:
        add_validation_errors(tie_form if action == "tie" else household_form, error)
    return None, household_form, tie_form


def _drawable_for_export(request, pk: int):
    actor = request.actor
    policy.require(actor, "watch.view_map")
    shown = maps.map_for(actor, pk)
    agreed, ties, hidden = maps.drawable(shown)
    # A drawing leaves the system (printed, saved): each household on it is an export.
    audit_reads(actor, agreed, action=Action.EXPORT)
    audit_object(actor, Action.EXPORT, shown, detail={"households": len(agreed)})
    return shown, agreed, ties, hidden


def map_svg(request, pk: int):
    shown, agreed, ties, hidden = _drawable_for_export(request, pk)
    response = HttpResponse(map_drawing.svg(shown, agreed, ties, hidden),
                            content_type="image/svg+xml; charset=utf-8")  # fmt: skip
    response["Content-Disposition"] = f'attachment; filename="mutual-aid-map-{shown.pk}.svg"'
    return response


def map_pdf(request, pk: int):
    shown, agreed, ties, hidden = _drawable_for_export(request, pk)
    response = HttpResponse(map_drawing.pdf(shown, agreed, ties, hidden),
                            content_type="application/pdf")  # fmt: skip
    response["Content-Disposition"] = f'inline; filename="mutual-aid-map-{shown.pk}.pdf"'
    return response
