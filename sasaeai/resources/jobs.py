"""The resources module's background work: applying an open-data import (an upload already
previewed) as a job, so a 50,000-row file does not hold the request. Registered into
sasaeai.core.jobs from ResourcesConfig.ready()."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from sasaeai.accounts import policy
from sasaeai.core.jobs import JobError, JobKind, JobRun
from sasaeai.core.models import Tenant
from sasaeai.resources import opendata
from sasaeai.resources.models import ImportStatus, ResourceImport

PERMISSION = "resources.import_resource"


def authorize_apply(actor, parameters: dict) -> None:
    policy.require(actor, PERMISSION)
    imports = policy.scope(actor, PERMISSION, ResourceImport.objects.defer("content"))
    get_object_or_404(imports, pk=int(parameters.get("import_id", 0)))


def apply_job(run: JobRun) -> None:
    """Runs inside the job's one transaction: on any error nothing is saved."""
    record = (
        ResourceImport.objects.select_for_update()
        .filter(tenant_id=run.tenant_id, pk=int(run.parameters["import_id"]))
        .first()
    )
    if record is None or record.status != ImportStatus.PREVIEWED:
        raise JobError(_("This import was already applied or discarded."))
    tenant = Tenant.objects.get(pk=run.tenant_id)
    run.progress(0, 3, _("Reading the file"))
    parsed = opendata.read_open_data(bytes(record.content), tenant=tenant)
    run.progress(1, 3, _("Saving %(rows)d rows") % {"rows": parsed.rows})
    try:
        diff = opendata.apply_import(parsed, actor=run.actor, tenant_id=tenant.pk)
    except opendata.OpenDataError as error:
        count = len(error.problems)
        first = [problem.message for problem in error.problems[:5]]  # each names its line
        raise JobError(
            ngettext(
                "%(count)d error was found; nothing was saved.",
                "%(count)d errors were found; nothing was saved.",
                count,
            )
            % {"count": count}
            + " "
            + " / ".join(first)
        ) from error
    record.status = ImportStatus.APPLIED
    record.applied_at = timezone.now()
    record.summary = diff.summary()
    record.save(update_fields=["status", "applied_at", "summary"])
    run.progress(3, 3, _("Finished"))


APPLY = JobKind(
    key="resources.opendata_apply",
    label=gettext_lazy("Open data import"),
    handler=apply_job,
    permission=PERMISSION,
    source="resources",
    authorize=authorize_apply,
    writes=True,
    result_url=lambda parameters: reverse(
        "resources:import_preview", kwargs={"import_id": parameters["import_id"]}
    ),
)
