"""Screens of the register: the list and an entry, consent, imports with their difference,
the consent settings, recipients and the copies handed to them. Every view starts with its
policy check; every page that shows a person is audited."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.core.errors import EditConflict
from sasaeai.core.forms import add_validation_errors
from sasaeai.disaster import register_files, selectors, services
from sasaeai.disaster.forms import (
    ConsentByNumberForm,
    ConsentForm,
    CopyCloseForm,
    CopyForm,
    ImportForm,
    MemberForm,
    OrganisationForm,
    SettingsForm,
)
from sasaeai.disaster.models import (
    ConsentEvent,
    ConsentStatus,
    CopyFormat,
    EntryStatus,
    ImportStatus,
    RegisterReason,
)

PAGE_SIZE = 50
PREVIEW_ROWS = 200  # rows of each kind shown on the preview; the counts cover them all


def home(request):
    policy.require(request.actor, "disaster.view_register")
    return redirect("disaster:register_list")


def _int_or_none(value) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


def register_list(request):
    actor = request.actor
    policy.require(actor, "disaster.view_register")
    filters = {
        "query": request.GET.get("q", "").strip()[:100],
        "area_id": _int_or_none(request.GET.get("area")),
        "reason": request.GET.get("reason", "") if request.GET.get("reason") in RegisterReason.values else "",
        "consent": request.GET.get("consent", "") if request.GET.get("consent") in ConsentStatus.values else "",
        "status": request.GET.get("status", EntryStatus.LISTED),
    }  # fmt: skip
    if filters["status"] not in EntryStatus.values:
        filters["status"] = ""
    rows = selectors.entries_visible_to(actor, **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_reads(actor, list(page.object_list))
    return render(
        request, "disaster/register/list.html",
        {"page": page, **filters, "districts": selectors.districts_of(actor.tenant_id),
         "reasons": RegisterReason.choices, "consents": ConsentStatus.choices,
         "statuses": EntryStatus.choices,
         "can_manage": policy.has_permission(actor, "disaster.manage_register"),
         "can_consent": policy.has_permission(actor, "disaster.record_consent")},
    )  # fmt: skip


def _consent_error(request, form, error) -> str | None:
    """Show the refusal on the form; a missing step is offered as the next thing to record."""
    add_validation_errors(form, error)
    return getattr(error, "step", None)


def entry_detail(request, pk: int):
    actor = request.actor
    policy.require(actor, "disaster.view_register")
    entry = selectors.entry_for(actor, pk)
    can_consent = policy.has_permission(actor, "disaster.record_consent")
    form = ConsentForm(request.POST or None)
    missing_step = None
    if request.method == "POST":
        if not can_consent:
            raise Http404
        if form.is_valid():
            try:
                services.consent_record(actor=actor, entry=entry, **form.cleaned_data)
            except ValidationError as error:
                missing_step = _consent_error(request, form, error)
            else:
                messages.success(request, _("Consent recorded."))
                return redirect("disaster:entry_detail", pk=pk)
    audit_object(actor, Action.READ, entry)
    return render(
        request, "disaster/register/detail.html",
        {"entry": entry, "history": selectors.consent_history(actor, entry),
         "form": form, "can_consent": can_consent, "missing_step": missing_step,
         "missing_label": dict(ConsentEvent.choices).get(missing_step),
         "reasons": dict(RegisterReason.choices)},
    )  # fmt: skip


def consent_by_number(request):
    """同意書 collected on a round: the commissioner types the number printed on it."""
    actor = request.actor
    policy.require(actor, "disaster.record_consent")
    form = ConsentByNumberForm(request.POST or None)
    missing_step = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            entry = services.consent_entry_for(actor, data.pop("entry"))
            services.consent_record(actor=actor, entry=entry, **data)
        except ValidationError as error:
            missing_step = _consent_error(request, form, error)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("disaster:consent_by_number")
    return render(
        request, "disaster/register/consent.html",
        {"form": form, "missing_step": missing_step,
         "missing_label": dict(ConsentEvent.choices).get(missing_step)},
    )  # fmt: skip


# ---- imports --------------------------------------------------------------------------------


def import_upload(request):
    actor = request.actor
    policy.require(actor, "disaster.manage_register")
    form = ImportForm(request.POST or None, request.FILES or None)
    checked = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        checked, record = services.register_import_preview(
            actor=actor, kind=form.cleaned_data["kind"], file_name=upload.name, data=upload.read()
        )
        if record is not None:
            return redirect("disaster:import_preview", pk=record.pk)
    return render(
        request, "disaster/register/import.html",
        {"form": form, "checked": checked, "imports": selectors.imports_of(actor)[:20]},
    )  # fmt: skip


def import_preview(request, pk: int):
    actor = request.actor
    policy.require(actor, "disaster.manage_register")
    record = selectors.import_for(actor, pk)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "discard":
                services.register_import_discard(actor=actor, register_import=record)
                messages.info(request, _("The import was discarded."))
            else:
                services.register_import_apply(actor=actor, register_import=record)
                messages.success(request, _("The import was applied."))
        except (ValidationError, EditConflict) as error:
            messages.error(request, " ".join(error.messages))
        return redirect("disaster:import_preview", pk=pk)
    groups: dict[str, list] = {}
    for change in record.changes:
        groups.setdefault(change["change"], [])
        if len(groups[change["change"]]) < PREVIEW_ROWS:
            groups[change["change"]].append(change)
    shown = [c["entry_id"] for rows in groups.values() for c in rows if c.get("entry_id")]
    audit_object(actor, Action.READ, record, detail={"entries": shown})
    return render(
        request, "disaster/register/preview.html",
        {"record": record, "groups": groups, "counts": record.summary.get("counts", {}),
         "warnings": record.summary.get("warnings", []),
         "can_apply": record.status == ImportStatus.PREVIEWED, "preview_rows": PREVIEW_ROWS},
    )  # fmt: skip


# ---- settings -------------------------------------------------------------------------------


def settings_page(request):
    actor = request.actor
    policy.require(actor, "disaster.manage_settings")
    current = services.settings_of(actor.tenant_id)
    initial = {
        "consent_model": current.consent_model,
        "presumed_after_days": current.presumed_after_days,
        "ordinance_name": current.ordinance_name,
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_save(actor=actor, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("disaster:settings")
    return render(request, "disaster/register/settings.html", {"form": form, "current": current})


# ---- recipients -----------------------------------------------------------------------------


def recipient_list(request):
    actor = request.actor
    policy.require(actor, "disaster.manage_recipients")
    return render(
        request, "disaster/recipients/list.html",
        {"organisations": selectors.organisations_of_tenant(actor).order_by("name"),
         "overdue": selectors.overdue_copies(actor)},
    )  # fmt: skip


def recipient_edit(request, pk: int | None = None):
    actor = request.actor
    policy.require(actor, "disaster.manage_recipients")
    organisation = selectors.organisation_for(actor, pk) if pk else None
    initial = {"is_active": True}
    if organisation:
        initial = {f: getattr(organisation, f) for f in services.ORGANISATION_FIELDS}
        initial["areas"] = list(organisation.areas.all())
    form = OrganisationForm(request.POST or None, tenant_id=actor.tenant_id, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_save(
                actor=actor, organisation=organisation, **form.service_fields()
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Organisation saved."))
            return redirect("disaster:recipient_detail", pk=organisation.pk)
    return render(
        request, "disaster/recipients/form.html", {"form": form, "organisation": organisation}
    )


def recipient_detail(request, pk: int):
    actor = request.actor
    policy.require(actor, "disaster.manage_recipients")
    organisation = selectors.organisation_for(actor, pk)
    member_form = MemberForm(memberships=selectors.candidate_members(actor.tenant_id))
    if request.method == "POST":
        member_form = MemberForm(
            request.POST, memberships=selectors.candidate_members(actor.tenant_id)
        )
        if member_form.is_valid():
            try:
                services.member_add(
                    actor=actor, organisation=organisation,
                    user_id=member_form.cleaned_data["user"], duty=member_form.cleaned_data["duty"],
                )  # fmt: skip
            except ValidationError as error:
                add_validation_errors(member_form, error)
            else:
                messages.success(request, _("Member added."))
                return redirect("disaster:recipient_detail", pk=pk)
    counts = selectors.share_counts(organisation)
    return render(
        request, "disaster/recipients/detail.html",
        {"organisation": organisation, "counts": counts,
         "total": sum(row["count"] for row in counts),
         "in_force": selectors.in_force(organisation),
         "members": selectors.members_of(organisation),
         "copies": selectors.copies_of(organisation), "member_form": member_form,
         "copy_form": CopyForm(), "close_form": CopyCloseForm(),
         "can_issue": policy.has_permission(actor, "disaster.manage_register"),
         "today": timezone.localdate()},
    )  # fmt: skip


@require_POST
def member_remove(request, pk: int, member_pk: int):
    actor = request.actor
    policy.require(actor, "disaster.manage_recipients")
    organisation = selectors.organisation_for(actor, pk)
    member = organisation.members.filter(pk=member_pk).first()
    if member is None:
        raise Http404
    try:
        services.member_remove(actor=actor, member=member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("disaster:recipient_detail", pk=pk)


@require_POST
def copy_issue(request, pk: int):
    """Hand over the organisation's current share as a file: recorded and audited first."""
    actor = request.actor
    policy.require(actor, "disaster.manage_register")
    organisation = selectors.organisation_for(actor, pk)
    form = CopyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the format and name who received the copy."))
        return redirect("disaster:recipient_detail", pk=pk)
    entries = list(selectors.organisation_share(organisation))
    try:
        copy = services.copy_issue(
            actor=actor, organisation=organisation, entries=entries, **form.cleaned_data
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("disaster:recipient_detail", pk=pk)
    if copy.format == CopyFormat.PDF:
        body, kind, ext = (
            register_files.pdf_copy(organisation, entries, copy),
            "application/pdf",
            "pdf",
        )
    else:
        body = register_files.excel_copy(organisation, entries, copy)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ext = "xlsx"
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="register-copy-{copy.pk}.{ext}"'
    return response


@require_POST
def copy_close(request, pk: int):
    actor = request.actor
    policy.require(actor, "disaster.manage_recipients")
    copy = selectors.copy_for(actor, pk)
    form = CopyCloseForm(request.POST)
    if form.is_valid():
        try:
            services.copy_close(
                actor=actor, copy=copy, returned=form.cleaned_data["outcome"] == "returned",
                on=form.cleaned_data["on"], note=form.cleaned_data["note"],
            )  # fmt: skip
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The copy was closed."))
    else:
        messages.error(request, _("Choose what happened to the copy and when."))
    return redirect("disaster:recipient_detail", pk=copy.organisation_id)
