"""The districts import applied as a background job (kind `core.area_import_apply`).

The page previews an upload in the request (core.import_views) and keeps it in an AreaImport;
confirming queues this job, which reads the stored bytes again, checks them against the areas
as they are at that moment and writes them, all in the job's one transaction: an error found
then (an overlapping area added since the preview, say) fails the job with its lines on the
job page, and nothing is saved. Registered into sasaeai.core.jobs from CoreConfig.ready().
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.accounts import policy
from sasaeai.core import area_import
from sasaeai.core.jobs import JobError, JobKind, JobRun, problems_error
from sasaeai.core.models import AreaImport, AreaImportStatus

KIND = "core.area_import_apply"
PERMISSION = "core.import_area"


def parameters_for(record: AreaImport) -> dict:
    return {"token": str(record.token)}


def authorize_apply(actor, parameters: dict) -> None:
    policy.require(actor, PERMISSION)
    imports = policy.scope(actor, PERMISSION, AreaImport.objects.defer("content"))
    get_object_or_404(imports, token=str(parameters.get("token", "")))


def apply_job(run: JobRun) -> None:
    """Runs inside the job's one transaction: on any error nothing is saved."""
    record = (
        AreaImport.objects.select_for_update()
        .filter(tenant_id=run.tenant_id, token=str(run.parameters["token"]))
        .first()
    )
    if record is None or record.status != AreaImportStatus.PREVIEWED:
        raise JobError(_("This import was already applied or discarded."))
    run.progress(0, None, _("Reading the file"))
    preview = area_import.read(
        {record.filename: bytes(record.content)},
        area_import.Options.from_dict(record.options),
    )
    preview.tenant_id = run.tenant_id  # apply() checks the rows against this tenant's areas
    total = len(preview.rows)
    saving = _("Checking and saving %(rows)d areas") % {"rows": total}
    run.progress(0, total, saving)
    try:
        area_import.apply(
            preview,
            actor=run.actor,
            filename=record.filename,
            progress=lambda done, total: run.progress(done, total, saving),
        )
    except area_import.AreaImportError as error:
        raise problems_error(
            len(error.problems), [f"{p.where}: {p.message}" for p in error.problems]
        ) from error
    record.status = AreaImportStatus.APPLIED
    record.applied_at = timezone.now()
    record.content = b""
    record.summary = preview.summary()
    record.save(update_fields=["status", "applied_at", "content", "summary"])
    run.progress(total, total, _("Finished"))


APPLY = JobKind(
    key=KIND,
    label=gettext_lazy("Areas import"),
    handler=apply_job,
    permission=PERMISSION,
    source="core",
    authorize=authorize_apply,
    writes=True,
    result_url=lambda parameters: reverse(
        "core:area_import_preview", kwargs={"token": parameters["token"]}
    ),
)
