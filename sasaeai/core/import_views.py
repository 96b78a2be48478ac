"""Districts import pages: upload a file, see every problem and what would change, apply.

The upload is kept server-side in an AreaImport row (its bytes, the options and the preview's
summary), reached by an unguessable token and only inside the uploader's tenant. Applying is
a background job (core.import_jobs) that reads the stored bytes again and checks them against
the areas as they are at that moment, so what is saved is what was checked, all or nothing.
"""

import io
import uuid
import zipfile

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from sasaeai.accounts import policy
from sasaeai.core import area_import, import_jobs
from sasaeai.core.models import AreaImport, AreaImportStatus, AreaKind

PERMISSION = "core.import_area"
MAX_BYTES = 100 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class AreaImportForm(forms.Form):
    files = MultipleFileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "GeoJSON, CSV (UTF-8 or Shift_JIS), or an e-Stat 小地域 shapefile: its .zip, or its "
            ".shp, .shx, .dbf and .prj together."
        ),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("As in the file (district for e-Stat)")), *AreaKind.choices],
    )
    parent = forms.CharField(
        label=gettext_lazy("Parent area"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Code or name of the parent of rows that name none."),
    )
    parent_from_city = forms.BooleanField(
        label=gettext_lazy("Parent from CITY_NAME (e-Stat: e.g. the ward of a designated city)"),
        required=False,
    )

    def clean_files(self):
        uploads = self.cleaned_data["files"]
        if sum(upload.size for upload in uploads) > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 100 MB."))
        return uploads


def _imports(request):
    return policy.scope(request.actor, PERMISSION, AreaImport.objects.all())


def _stored(files: dict[str, bytes]) -> tuple[str, bytes]:
    """One file as it is; the parts of a shapefile as one zip."""
    if len(files) == 1:
        ((name, data),) = files.items()
        return name, data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name.rsplit("/", 1)[-1], data)
    stem = next((n.rsplit(".", 1)[0] for n in files if n.lower().endswith(".shp")), "upload")
    return f"{stem}.zip", buffer.getvalue()


@require_http_methods(["GET", "POST"])
def upload(request):
    policy.require(request.actor, PERMISSION)
    form = AreaImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        files = {upload.name: upload.read() for upload in form.cleaned_data["files"]}
        filename, content = _stored(files)
        options = area_import.Options(
            kind=form.cleaned_data["kind"],
            parent=form.cleaned_data["parent"].strip(),
            parent_from_city=form.cleaned_data["parent_from_city"],
        )
        preview = area_import.validate(
            {filename: content}, tenant_id=request.actor.tenant_id, options=options
        )
        if not preview.rows:
            problems = preview.problems  # nothing readable: nothing to keep
        else:
            record = AreaImport.objects.create(
                tenant_id=request.actor.tenant_id,
                token=uuid.uuid4(),
                uploaded_by_id=request.user.pk,
                filename=filename[:200],
                content=content,
                options=options.__dict__,
                summary=preview.summary(),
            )
            return redirect("core:area_import_preview", token=record.token)
    recent = _imports(request).defer("content", "summary")[:10]
    status = 400 if problems or (form.is_bound and form.errors) else 200
    return render(
        request,
        "core/area_import_upload.html",
        {"form": form, "problems": problems, "recent": recent},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def preview(request, token):
    policy.require(request.actor, PERMISSION)
    record = get_object_or_404(_imports(request), token=token)
    if request.method == "POST":
        action = request.POST.get("action")
        if record.status != AreaImportStatus.PREVIEWED:
            messages.error(request, _("This import was already applied or discarded."))
        elif action == "apply":
            job = _apply(request, record)
            if job is not None:
                return redirect("jobs:job_detail", job.pk)
        elif action == "discard":
            record.status = AreaImportStatus.DISCARDED
            record.content = b""
            record.save(update_fields=["status", "content"])
            messages.success(request, _("The import was discarded; nothing was changed."))
        return redirect("core:area_import_preview", token=record.token)
    summary = record.summary or {}
    previewing = record.status == AreaImportStatus.PREVIEWED
    return render(
        request,
        "core/area_import_preview.html",
        {
            "record": record,
            "summary": summary,
            "counts": summary.get("counts", {}),
            "problems": summary.get("problems", []),
            "rows": summary.get("rows", []),
            "can_apply": previewing and not summary.get("has_errors"),
            "is_open": previewing,
            "last_job": _last_job(request, record),
        },
    )


def _apply(request, record: AreaImport):
    """Applying is a background job (core.import_jobs): checked again and written there in
    one transaction, with progress on the job page. A file whose preview found errors is
    refused here at once; a second click while the job waits opens the same job."""
    from sasaeai.jobs.services import JobBusy, job_start_once

    summary = record.summary or {}
    if summary.get("has_errors"):
        count = (summary.get("counts") or {}).get("errors") or 1
        messages.error(request, ngettext(
            "%(count)d error was found; nothing was saved.",
            "%(count)d errors were found; nothing was saved.", count,
        ) % {"count": count})  # fmt: skip
        return None
    try:
        return job_start_once(
            actor=request.actor,
            kind=import_jobs.KIND,
            parameters=import_jobs.parameters_for(record),
        )
    except JobBusy:
        messages.info(request, _("Someone else is applying this import; please wait."))
        return None


def _last_job(request, record: AreaImport):
    """The requester's latest apply job of this import, for a link from the summary."""
    from sasaeai.jobs.selectors import latest_job

    return latest_job(request.actor, import_jobs.KIND, import_jobs.parameters_for(record))
