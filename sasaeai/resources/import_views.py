"""Open-data import pages: upload a 自治体標準オープンデータセット CSV, see what it would
change, then apply it (in one transaction) or discard it.

The upload stores the file's bytes in a ResourceImport with the preview's summary; applying
(a background job, resources.jobs) reads the stored bytes again, so what is applied is checked
again against the directory as it is at that moment.
"""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core.models import Tenant
from sasaeai.resources import opendata
from sasaeai.resources.models import ImportStatus, ResourceImport

PERMISSION = "resources.import_resource"
MAX_BYTES = 50 * 1024 * 1024


class OpenDataUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Open data file (CSV)"),
        help_text=gettext_lazy(
            "介護サービス事業所一覧, 子育て施設一覧, 指定緊急避難場所一覧, 公共施設一覧 or "
            "医療機関一覧, in the 正式版 or the older 推奨データセット columns; UTF-8 or "
            "Shift_JIS."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload


def _imports(request):
    return policy.scope(request.actor, PERMISSION, ResourceImport.objects.all())


@require_http_methods(["GET", "POST"])
def upload(request):
    policy.require(request.actor, PERMISSION)
    form = OpenDataUploadForm(request.POST or None, request.FILES or None)
    problems: list[opendata.Problem] = []
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        data = uploaded.read()
        tenant = Tenant.objects.get(pk=request.actor.tenant_id)
        parsed = opendata.read_open_data(data, tenant=tenant)
        if not parsed.dataset:
            # Not readable, or not a dataset this import knows: nothing to keep.
            problems = parsed.problems
        else:
            diff = opendata.preview_import(parsed, tenant_id=tenant.pk)
            with transaction.atomic():
                record = ResourceImport.objects.create(
                    tenant=tenant,
                    uploaded_by_id=request.user.pk,
                    filename=(uploaded.name or "")[:200],
                    content=data,
                    dataset=parsed.dataset,
                    column_set=parsed.column_set,
                    encoding=parsed.encoding,
                    summary=diff.summary(),
                )
                audit_object(request.actor, Action.CREATE, record, detail=diff.counts)
            return redirect("resources:import_preview", import_id=record.pk)
    recent = _imports(request).defer("content")[:10]
    return render(request, "resources/import_upload.html", {
        "form": form, "problems": problems, "recent": recent,
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def preview(request, import_id):
    policy.require(request.actor, PERMISSION)
    record = get_object_or_404(_imports(request).defer("content"), pk=import_id)
    if request.method == "POST":
        action = request.POST.get("action")
        if record.status != ImportStatus.PREVIEWED:
            messages.error(request, _("This import was already applied or discarded."))
        elif action == "apply":
            job = _apply(request, record)
            if job is not None:
                return redirect("jobs:job_detail", job.pk)
        elif action == "discard":
            with transaction.atomic():
                record.status = ImportStatus.DISCARDED
                record.content = b""
                record.save(update_fields=["status", "content"])
                audit_object(request.actor, Action.UPDATE, record, detail={"status": "discarded"})
            messages.success(request, _("The import was discarded; nothing was changed."))
        return redirect("resources:import_preview", import_id=record.pk)
    summary = record.summary or {}
    counts = summary.get("counts", {})
    previewing = record.status == ImportStatus.PREVIEWED
    titles = {
        "added": _("To be added") if previewing else _("Added"),
        "changed": _("To be changed") if previewing else _("Changed"),
        "removed": _("To be unpublished (no longer in the file)")
        if previewing
        else _("Unpublished"),
    }
    return render(request, "resources/import_preview.html", {
        "record": record,
        "summary": summary,
        "counts": counts,
        "severity_counts": summary.get("severity_counts", {}),
        "problems": summary.get("problems", []),
        "problem_count": summary.get("problem_count", 0),
        "lists": [(name, title, summary.get(name, []), counts.get(name, 0))
                  for name, title in titles.items()],
        "can_apply": previewing and not summary.get("has_errors"),
        "is_open": previewing,
    })  # fmt: skip


def _apply(request, record: ResourceImport):
    """Applying is a background job (resources.jobs): checked again and written there in one
    transaction, with progress on the job page. A file whose preview found errors is refused
    here at once; a second click while the job is waiting opens the same job."""
    from sasaeai.jobs.services import JobBusy, job_start_once

    summary = record.summary or {}
    if summary.get("has_errors"):
        count = summary.get("problem_count") or len(summary.get("problems", [])) or 1
        messages.error(request, ngettext(
            "%(count)d error was found; nothing was saved.",
            "%(count)d errors were found; nothing was saved.", count,
        ) % {"count": count})  # fmt: skip
        return None
    try:
        return job_start_once(
            actor=request.actor,
            kind="resources.opendata_apply",
            parameters={"import_id": record.pk},
        )
    except JobBusy:
        messages.info(request, _("Someone else is applying this import; please wait."))
        return None
