"""Screens of the activity record: a commissioner's phone entry and monthly form, the office's
month (submit/lock), the districts' month for the 定例会, the fiscal year for 福祉行政報告例.
Every view starts with its policy check; every read of a commissioner's form is audited."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action
from sasaeai.audit.services import Event, audit_event, audit_object
from sasaeai.commissioners import exports, selectors, services, tally
from sasaeai.commissioners.forms import EntryForm
from sasaeai.commissioners.models import ActivityEntry, RecordStatus
from sasaeai.core.fiscal import fiscal_year_label, fiscal_year_of
from sasaeai.core.forms import add_validation_errors
from sasaeai.core.models import Tenant

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(year: int, month: int) -> datetime.date:
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    return datetime.date(year, month, 1)


def _this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def audit_form_read(actor, commissioner_id: int, month, fmt: str) -> None:
    """One entry per read of a commissioner's form, whatever its format: whose, which month."""
    audit_event(
        actor,
        Event(
            action=Action.READ if fmt == "page" else Action.EXPORT,
            object_type="commissioners.monthlyrecord", object_id=f"{commissioner_id}:{month:%Y-%m}",
            subject_type="accounts.user", subject_id=str(commissioner_id),
            tenant_id=actor.tenant_id, detail={"month": f"{month:%Y-%m}", "format": fmt},
        ),
    )  # fmt: skip


def audit_totals_read(actor, what: str, period: str, fmt: str) -> None:
    audit_event(
        actor,
        Event(
            action=Action.READ if fmt == "page" else Action.EXPORT,
            object_type=f"commissioners.{what}", object_id=period, tenant_id=actor.tenant_id,
            detail={"format": fmt},
        ),
    )  # fmt: skip


def home(request):
    actor = request.actor
    if actor.role == Role.WELFARE_COMMISSIONER and policy.has_permission(
        actor, "commissioners.view"
    ):
        month = _this_month()
        return redirect("commissioners:form", actor.user_id, month.year, month.month)
    if policy.has_permission(actor, "commissioners.lock"):
        month = _this_month()
        return redirect("commissioners:office", month.year, month.month)
    policy.require(actor, "commissioners.view_totals")
    month = _this_month()
    return redirect("commissioners:districts", month.year, month.month)


# ---- a commissioner's month -------------------------------------------------------------


def month_form(request, user_id: int, year: int, month: int):
    actor = request.actor
    form = selectors.monthly_form(actor, user_id, _month(year, month))
    audit_form_read(actor, user_id, form.month, "page")
    previous = (form.month - datetime.timedelta(days=1)).replace(day=1)
    following = (form.month + datetime.timedelta(days=32)).replace(day=1)
    can_write = policy.has_permission(actor, "commissioners.record") and (
        not form.is_locked or policy.has_permission(actor, "commissioners.lock")
    )
    return render(
        request, "commissioners/month_form.html",
        {"form": form, "sections": tally.sections(form.figures), "commissioner": form.membership.user,
         "previous": previous, "following": following if following <= _this_month() else None,
         "can_write": can_write, "is_own": actor.user_id == user_id,
         "can_lock": policy.has_permission(actor, "commissioners.lock"),
         "statuses": RecordStatus},
    )  # fmt: skip


def month_form_export(request, user_id: int, year: int, month: int, fmt: str):
    actor = request.actor
    if fmt not in ("xlsx", "pdf"):
        raise Http404
    form = selectors.monthly_form(actor, user_id, _month(year, month))
    audit_form_read(actor, user_id, form.month, fmt)
    name = str(form.membership.user)
    filename = f"activity-record-{form.month:%Y-%m}-{user_id}.{fmt}"
    if fmt == "xlsx":
        response = HttpResponse(exports.form_workbook(form, name), content_type=XLSX)
    else:
        response = HttpResponse(exports.form_pdf(form, name), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _month_action(request, user_id, year, month, action) -> HttpResponse:
    actor = request.actor
    form = selectors.monthly_form(actor, user_id, _month(year, month))
    try:
        action(actor, form)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("commissioners:form", user_id, year, month)


@require_POST
def month_submit(request, user_id: int, year: int, month: int):
    return _month_action(
        request, user_id, year, month,
        lambda actor, form: services.record_submit(
            actor=actor, month=form.month, commissioner_id=user_id
        ),
    )  # fmt: skip


@require_POST
def month_lock(request, user_id: int, year: int, month: int):
    policy.require(request.actor, "commissioners.lock")
    return _month_action(
        request, user_id, year, month,
        lambda actor, form: services.record_lock(
            actor=actor, month=form.month, commissioner_id=user_id
        ),
    )  # fmt: skip


@require_POST
def month_unlock(request, user_id: int, year: int, month: int):
    policy.require(request.actor, "commissioners.lock")

    def unlock(actor, form):
        if form.record is None:
            raise ValidationError(_("This month is not locked."))
        services.record_unlock(actor=actor, record=form.record)

    return _month_action(request, user_id, year, month, unlock)


# ---- entries --------------------------------------------------------------------------------


def _entry(actor, pk: int) -> ActivityEntry:
    entry = selectors.entries_visible_to(actor).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


def entry_create(request):
    actor = request.actor
    policy.require(actor, "commissioners.record")
    commissioner_id = _commissioner_param(request, actor)
    form = EntryForm(request.POST or None, initial={"day": request.GET.get("day")} if
                     request.GET.get("day") else None)  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.entry_create(
                actor=actor, commissioner_id=commissioner_id, **form.cleaned_data
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            if "again" in request.POST:
                return redirect(f"{request.path}?day={entry.day.isoformat()}"
                                + (f"&commissioner={commissioner_id}" if commissioner_id else ""))  # fmt: skip
            return redirect("commissioners:form", entry.commissioner_id, entry.day.year,
                            entry.day.month)  # fmt: skip
    return render(request, "commissioners/entry_form.html", {"form": form, "entry": None})


def _commissioner_param(request, actor) -> int | None:
    if actor.role == Role.WELFARE_COMMISSIONER:
        return actor.user_id
    value = request.GET.get("commissioner", "")
    if not value.isdigit():
        raise Http404
    return selectors.commissioner_for(actor, int(value)).user_id


def entry_edit(request, pk: int):
    actor = request.actor
    policy.require(actor, "commissioners.record")
    entry = _entry(actor, pk)
    if request.method == "GET":
        audit_object(actor, Action.READ, entry)
    initial = {name: getattr(entry, name) for name in EntryForm.base_fields}
    form = EntryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_update(actor=actor, entry=entry, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("commissioners:form", entry.commissioner_id, entry.day.year,
                            entry.day.month)  # fmt: skip
    return render(request, "commissioners/entry_form.html", {"form": form, "entry": entry})


@require_POST
def entry_delete(request, pk: int):
    actor = request.actor
    policy.require(actor, "commissioners.record")
    entry = _entry(actor, pk)
    try:
        services.entry_delete(actor=actor, entry=entry)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Deleted."))
    return redirect("commissioners:form", entry.commissioner_id, entry.day.year, entry.day.month)


# ---- the office and the totals -----------------------------------------------------------


def office(request, year: int, month: int):
    actor = request.actor
    policy.require(actor, "commissioners.lock")
    first = _month(year, month)
    roster = selectors.month_roster(actor, first)
    return render(
        request, "commissioners/office.html",
        {"month": first, "roster": roster, "statuses": RecordStatus,
         "previous": (first - datetime.timedelta(days=1)).replace(day=1),
         "following": (first + datetime.timedelta(days=32)).replace(day=1)},
    )  # fmt: skip


def districts(request, year: int, month: int):
    actor = request.actor
    first = _month(year, month)
    rows = selectors.district_totals(actor, first)
    audit_totals_read(actor, "districts", f"{first:%Y-%m}", "page")
    total = tally.combine([row.figures for row in rows])
    per_district = [tally.rows(row.figures) for row in rows]
    table = [(cell, [cells[index].value for cells in per_district])
             for index, cell in enumerate(tally.rows(total))]  # fmt: skip
    return render(
        request, "commissioners/districts.html",
        {"month": first, "districts": rows, "table": table,
         "previous": (first - datetime.timedelta(days=1)).replace(day=1),
         "following": (first + datetime.timedelta(days=32)).replace(day=1)},
    )  # fmt: skip


def districts_export(request, year: int, month: int):
    actor = request.actor
    first = _month(year, month)
    rows = selectors.district_totals(actor, first)
    audit_totals_read(actor, "districts", f"{first:%Y-%m}", "xlsx")
    tenant = Tenant.objects.get(pk=actor.tenant_id)
    response = HttpResponse(exports.district_workbook(first, rows, tenant.name), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="districts-{first:%Y-%m}.xlsx"'
    return response


def _fiscal_year(value: int) -> int:
    if not 2000 <= value <= 2100:
        raise Http404
    return value


def fiscal_year(request, year: int | None = None):
    actor = request.actor
    year = _fiscal_year(year) if year else fiscal_year_of(timezone.localdate())
    totals = selectors.fiscal_year_totals(actor, year)
    audit_totals_read(actor, "fiscal_year", str(year), "page")
    return render(
        request, "commissioners/fiscal_year.html",
        {"totals": totals, "rows": tally.rows(totals.figures), "year": year,
         "year_label": fiscal_year_label(year)},
    )  # fmt: skip


def fiscal_year_export(request, year: int, fmt: str):
    actor = request.actor
    if fmt not in ("xlsx", "csv"):
        raise Http404
    totals = selectors.fiscal_year_totals(actor, _fiscal_year(year))
    audit_totals_read(actor, "fiscal_year", str(year), fmt)
    if fmt == "xlsx":
        tenant = Tenant.objects.get(pk=actor.tenant_id)
        response = HttpResponse(exports.fiscal_workbook(totals, tenant.name), content_type=XLSX)
    else:
        encoding = "cp932" if request.GET.get("encoding") == "cp932" else "utf-8-sig"
        response = HttpResponse(
            exports.fiscal_csv(totals, encoding=encoding),
            content_type=f"text/csv; charset={'shift_jis' if encoding == 'cp932' else 'utf-8'}",
        )
    response["Content-Disposition"] = f'attachment; filename="commissioners-fy{year}.{fmt}"'
    return response
