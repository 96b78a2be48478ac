"""Member sheet import (upload → preview → confirm) and invitations (send, revoke, accept).

The upload keeps the sheet in a MemberImport with the preview's summary; confirming queues a
background job (accounts.jobs) that checks the stored bytes again (accounts.importer.validate)
and applies them in one transaction; invitations to the new members are sent after it commits.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from sasaeai.accounts import importer, invitations, policy
from sasaeai.accounts import jobs as member_jobs
from sasaeai.accounts.middleware import tenant_choice_exempt, two_factor_exempt
from sasaeai.accounts.models import ImportStatus, MemberImport, Membership, User
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.core.models import Tenant

PERMISSION = "accounts.manage_member"
MAX_BYTES = 10 * 1024 * 1024


class MemberSheetForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Member sheet (CSV or Excel)"),
        help_text=gettext_lazy(
            "Columns 氏名, ふりがな, メールアドレス, 役割, 地区; CSV in UTF-8 or Shift_JIS, or .xlsx."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


def _imports(request):
    return policy.scope(request.actor, PERMISSION, MemberImport.objects.all())


@require_http_methods(["GET", "POST"])
def member_import(request):
    policy.require(request.actor, PERMISSION)
    form = MemberSheetForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        tenant = Tenant.objects.get(pk=request.actor.tenant_id)
        preview = importer.validate(
            data, tenant=tenant, filename=upload.name or "", actor=request.actor
        )
        with transaction.atomic():
            record = MemberImport.objects.create(
                tenant=tenant,
                uploaded_by_id=request.user.pk,
                filename=(upload.name or "")[:200],
                content=b"" if preview.has_errors else data,
                status=ImportStatus.DISCARDED if preview.has_errors else ImportStatus.PREVIEWED,
                summary=preview.summary(),
            )
            audit_object(request.actor, Action.CREATE, record, detail=preview.counts)
        return redirect("accounts:member_import_preview", import_id=record.pk)
    recent = _imports(request).defer("content").select_related("uploaded_by")[:10]
    return render(request, "accounts/member_import.html", {"form": form, "recent": recent})


@require_http_methods(["GET", "POST"])
def member_import_preview(request, import_id: int):
    policy.require(request.actor, PERMISSION)
    record = get_object_or_404(_imports(request).select_related("uploaded_by"), pk=import_id)
    if request.method == "POST":
        if record.status != ImportStatus.PREVIEWED:
            messages.error(request, _("This import was already applied or discarded."))
        elif request.POST.get("action") == "apply":
            job = _apply(request, record)
            if job is not None:
                return redirect("jobs:job_detail", job.pk)
        elif request.POST.get("action") == "discard":
            with transaction.atomic():
                record.status, record.content = ImportStatus.DISCARDED, b""
                record.summary = importer.without_rows(record.summary)
                record.save(update_fields=["status", "content", "summary"])
                audit_object(request.actor, Action.UPDATE, record, detail={"status": "discarded"})
            messages.success(request, _("The import was discarded; nothing was changed."))
        return redirect("accounts:member_import_preview", import_id=record.pk)
    summary = record.summary or {}
    rows = summary.get("rows", [])
    shown = [r["membership_id"] for r in rows if r.get("membership_id")]
    if shown:
        # The changed rows show what existing members' records hold now: a read of them.
        members = Membership.objects.filter(tenant_id=record.tenant_id, pk__in=shown)
        audit_reads(
            request.actor, list(members.select_related("user")), subject_of=lambda m: m.user
        )
    return render(request, "accounts/member_import_preview.html", {
        "record": record,
        "summary": summary,
        "counts": summary.get("counts", {}),
        "new_rows": [r for r in rows if r["status"] == "new"],
        "changed_rows": [r for r in rows if r["status"] == "changed"],
        "can_apply": record.status == ImportStatus.PREVIEWED and not summary.get("has_errors"),
        "last_job": _last_job(request, record),
    })  # fmt: skip


def _apply(request, record: MemberImport):
    """Applying is a background job (accounts.jobs): the sheet is checked again and saved
    there in one transaction, the invitations sent after it commits. A sheet whose preview
    found errors is refused here at once; a second click while the job waits opens it."""
    from sasaeai.jobs.services import JobBusy, job_start_once

    if (record.summary or {}).get("has_errors"):
        messages.error(request, _("The sheet has errors; nothing was saved."))
        return None
    try:
        return job_start_once(
            actor=request.actor,
            kind=member_jobs.KIND,
            parameters=member_jobs.parameters_for(record),
        )
    except JobBusy:
        messages.info(request, _("Someone else is applying this import; please wait."))
        return None


def _last_job(request, record: MemberImport):
    """The requester's latest apply job of this import, for a link from the summary."""
    from sasaeai.jobs.selectors import latest_job

    return latest_job(request.actor, member_jobs.KIND, member_jobs.parameters_for(record))


def _managed_membership(request, pk: int) -> Membership:
    membership = get_object_or_404(Membership.objects.select_related("user", "tenant"), pk=pk)
    policy.require(request.actor, PERMISSION, membership)
    return membership


@require_POST
def member_invite(request, pk: int):
    membership = _managed_membership(request, pk)
    if not (membership.is_active and membership.user.is_active):
        messages.error(request, _("A disabled member cannot be invited."))
    elif not membership.user.email:
        messages.error(request, _("This user has no e-mail address to send an invitation to."))
    else:
        sent_by = User.objects.get(pk=request.user.pk)
        invitations.invitation_send(
            membership.user, membership.tenant, sent_by, actor=request.actor
        )
        messages.success(request, _("An invitation was sent to %(email)s.") % {
            "email": membership.user.email})  # fmt: skip
    return HttpResponseRedirect(reverse("accounts:member_detail", args=[pk]))


@require_POST
def member_invitation_revoke(request, pk: int):
    membership = _managed_membership(request, pk)
    count = invitations.invitation_revoke_pending(actor=request.actor, membership=membership)
    if count:
        messages.success(request, _("The invitation was revoked; its link no longer works."))
    else:
        messages.info(request, _("There was no open invitation."))
    return HttpResponseRedirect(reverse("accounts:member_detail", args=[pk]))


INVALID_MESSAGES = {
    "unknown": gettext_lazy("This invitation link is not valid. Check that the whole link "
                            "was copied, or ask your administrator for a new invitation."),
    "expired": gettext_lazy("This invitation link has expired. Ask your administrator to "
                            "send a new invitation."),
    "accepted": gettext_lazy("This invitation link was already used. Sign in with your "
                             "e-mail address and the password you set."),
    "revoked": gettext_lazy("This invitation link is no longer valid: it was revoked or a newer "
                            "invitation was sent. Use the link in the newest mail, or ask your "
                            "administrator."),
}  # fmt: skip


@login_not_required
@two_factor_exempt
@tenant_choice_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, tenant_id: int, token: str):
    try:
        invitation = invitations.invitation_for_token(tenant_id=tenant_id, token=token)
    except invitations.InvitationError as error:
        return _invalid(request, error.state)
    form = SetPasswordForm(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["new_password1"],
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        except invitations.InvitationError as error:
            return _invalid(request, error.state)
        messages.success(request, _("Your password is set. Sign in with it now."))
        login_url = reverse("accounts:login")
        return HttpResponseRedirect(f"{login_url}?username={invitation.user.get_username()}")
    return render(request, "accounts/invitation_accept.html", {
        "form": form, "invitation": invitation, "username": invitation.user.get_username(),
    })  # fmt: skip


def _invalid(request, state: str):
    status = 404 if state == "unknown" else 410
    return render(request, "accounts/invitation_invalid.html", {
        "message": INVALID_MESSAGES.get(state, INVALID_MESSAGES["unknown"]), "state": state,
    }, status=status)  # fmt: skip
