"""The member sheet import applied as a background job (kind `accounts.member_import_apply`).

The page previews an upload in the request (accounts.member_views) and keeps it in a
MemberImport; confirming queues this job, which checks the stored sheet again against the
members as they are at that moment and saves it in the job's one transaction. Errors found then
fail the job with their lines on the job page, and nothing is saved. The invitations to the new
members are sent only after the job's transaction has committed (importer.apply_stored).
Registered into sasaeai.core.jobs from AccountsConfig.ready().
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.accounts import importer, policy
from sasaeai.accounts.models import MemberImport
from sasaeai.core.jobs import JobError, JobKind, JobRun, problems_error

KIND = "accounts.member_import_apply"
PERMISSION = "accounts.manage_member"


def parameters_for(record: MemberImport) -> dict:
    return {"import_id": record.pk}


def authorize_apply(actor, parameters: dict) -> None:
    policy.require(actor, PERMISSION)
    imports = policy.scope(actor, PERMISSION, MemberImport.objects.defer("content"))
    get_object_or_404(imports, pk=int(parameters.get("import_id", 0)))


def apply_job(run: JobRun) -> None:
    """Runs inside the job's one transaction: on any error nothing is saved and no mail sent."""
    import_id = int(run.parameters["import_id"])
    try:
        result = importer.apply_stored(
            import_id=import_id,
            actor=run.actor,
            sent_by_id=run.actor.user_id,
            progress=run.progress,
        )
    except (ValueError, MemberImport.DoesNotExist) as error:
        raise JobError(_("This import was already applied or discarded.")) from error
    if result is None:
        # apply_stored kept the new errors in the summary (undone with the job's transaction).
        summary = MemberImport.objects.get(pk=import_id).summary or {}
        errors = summary.get("errors", [])
        raise problems_error(
            summary.get("error_count", len(errors)), [problem["message"] for problem in errors]
        )
    if result.created:
        # The mails leave once the job's transaction has committed, before the job is done.
        run.progress(3, 3, _("Saved; sending %(count)d invitations") % {
            "count": len(result.created)})  # fmt: skip
    else:
        run.progress(3, 3, _("Finished"))


APPLY = JobKind(
    key=KIND,
    label=gettext_lazy("Bulk registration of users"),
    handler=apply_job,
    permission=PERMISSION,
    source="accounts",
    authorize=authorize_apply,
    writes=True,
    result_url=lambda parameters: reverse(
        "accounts:member_import_preview", kwargs={"import_id": parameters["import_id"]}
    ),
)
