"""Screens for watch-over partners: the register of businesses (with their report keys), the
desk's inbox of reports, and the public no-login form a business reports through."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.core.forms import add_validation_errors
from sasaeai.core.public_site import public_page
from sasaeai.watch import partners
from sasaeai.watch.models import ReportStatus, WatchedPerson, WatchPartner


class PartnerForm(forms.ModelForm):
    class Meta:
        model = WatchPartner
        fields = list(partners.PARTNER_FIELDS)
        widgets = {
            "agreement_on": forms.DateInput(attrs={"type": "date"}),
            "agreement_ends_on": forms.DateInput(attrs={"type": "date"}),
        }


class ReportForm(forms.Form):
    """What a business's staff fill in: large fields, the key pasted or filled from the link."""

    key = forms.CharField(
        label=gettext_lazy("Report key"), max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "id": "id_key"}, render_value=True),
    )  # fmt: skip
    description = forms.CharField(
        label=gettext_lazy("What did you notice?"), max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )  # fmt: skip
    address = forms.CharField(label=gettext_lazy("Address or place"), max_length=300)
    subject_name = forms.CharField(
        label=gettext_lazy("Name of the person (if known)"), max_length=100, required=False
    )
    observed_on = forms.DateField(
        label=gettext_lazy("Noticed on"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    is_urgent = forms.BooleanField(label=gettext_lazy("Urgent"), required=False)
    reporter_name = forms.CharField(label=gettext_lazy("Your name"), max_length=100, required=False)
    reporter_phone = forms.CharField(
        label=gettext_lazy("Your telephone"), max_length=40, required=False
    )


# ---- partners (staff) -----------------------------------------------------------------------


def partner_list(request):
    actor = request.actor
    policy.require(actor, "watch.manage_partners")
    form = PartnerForm(request.POST or None, initial={"agreement_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            partner = partners.partner_save(actor=actor, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The business was registered."))
            return redirect("watch:partner_detail", pk=partner.pk)
    rows = partners.partners_visible_to(actor)
    return render(request, "watch/partners/partner_list.html", {"partners": rows, "form": form})


def partner_detail(request, pk: int):
    actor = request.actor
    policy.require(actor, "watch.manage_partners")
    partner = partners.partner_for(actor, pk)
    form = PartnerForm(instance=partner)
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "issue_key":
            # Shown in this response only: nothing keeps the secret afterwards.
            new_key = partners.partner_key_issue(actor=actor, partner=partner)
            partner.refresh_from_db()
        elif action == "revoke_key":
            partners.partner_key_revoke(actor=actor, partner=partner)
            messages.success(request, _("The report key was revoked."))
            return redirect("watch:partner_detail", pk=pk)
        else:
            form = PartnerForm(request.POST, instance=partner)
            if form.is_valid():
                try:
                    partners.partner_save(actor=actor, partner=partner, **form.cleaned_data)
                except ValidationError as error:
                    add_validation_errors(form, error)
                else:
                    messages.success(request, _("Saved."))
                    return redirect("watch:partner_detail", pk=pk)
    report_url = request.build_absolute_uri(f"/watch/report/{partner.tenant.code}/")
    return render(
        request, "watch/partners/partner_detail.html",
        {"partner": partner, "form": form, "new_key": new_key, "report_url": report_url},
    )  # fmt: skip


# ---- reports (the desk) ---------------------------------------------------------------------


def report_list(request):
    actor = request.actor
    policy.require(actor, "watch.view_reports")
    status = request.GET.get("status", "")
    if status not in ReportStatus.values:
        status = ""
    rows = list(partners.reports_visible_to(actor, status=status)[:100])
    audit_reads(actor, rows)
    return render(
        request, "watch/partners/report_list.html",
        {"reports": rows, "status": status, "statuses": ReportStatus.choices},
    )  # fmt: skip


def report_detail(request, pk: int):
    actor = request.actor
    policy.require(actor, "watch.view_reports")
    report = partners.report_for(actor, pk)
    if request.method == "POST":
        try:
            _act(request, actor, report)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("watch:report_detail", pk=pk)
    audit_object(actor, Action.READ, report)
    query = request.GET.get("q", "")
    candidates = list(partners.watched_candidates(actor, report, query))
    audit_reads(actor, candidates)
    return render(
        request, "watch/partners/report_detail.html",
        {"report": report, "candidates": candidates, "q": query},
    )  # fmt: skip


def _act(request, actor, report) -> None:
    action = request.POST.get("action")
    if action == "match":
        watched_id = request.POST.get("watched", "")
        watched = None
        if watched_id.isdigit():
            watched = _visible_watched(actor, int(watched_id))
        partners.report_match(actor=actor, report=report, watched=watched)
        messages.success(request, _("Saved."))
    elif action == "pass_on":
        partners.report_pass_on(actor=actor, report=report)
        messages.success(request, _("Passed to the consultation desk."))
    elif action == "close":
        partners.report_close(actor=actor, report=report, note=request.POST.get("note", ""))
        messages.success(request, _("The report was closed."))


def _visible_watched(actor, pk: int) -> WatchedPerson:
    watched = policy.scope(actor, "watch.view", WatchedPerson.objects.filter(pk=pk)).first()
    if watched is None:
        raise Http404
    return watched


# ---- the public form (no login) -------------------------------------------------------------


@public_page
def report_form(request, tenant):
    """The key comes pasted, or from the link's fragment (#key=…) through a small script: a
    fragment never reaches the server, so the key is never in an access log."""
    form = ReportForm(request.POST or None)
    if request.method == "POST":
        ip_address = request.META.get("REMOTE_ADDR") or None
        if partners.over_limit(f"ip:{ip_address}"):
            return _too_many(request, tenant)
        if form.is_valid():
            response = _receive(request, tenant, form, ip_address)
            if response is not None:
                return response
    return render(
        request, "watch/partners/public_form.html", {"tenant": tenant, "form": form},
        status=400 if form.errors else 200,
    )  # fmt: skip


def _receive(request, tenant, form, ip_address):
    data = dict(form.cleaned_data)
    try:
        partner = partners.partner_for_key(data.pop("key"), tenant_id=tenant.pk)
    except partners.KeyRefused as refused:
        form.add_error("key", refused.message)
        return None
    if partners.over_limit(f"key:{partner.report_key_prefix}"):
        return _too_many(request, tenant)
    try:
        partners.report_receive(
            actor=partners.partner_actor(partner, ip_address), partner=partner, **data
        )
    except ValidationError as error:
        add_validation_errors(form, error)
        return None
    return render(request, "watch/partners/public_thanks.html", {"tenant": tenant})


def _too_many(request, tenant):
    return render(request, "watch/partners/public_too_many.html", {"tenant": tenant}, status=429)
