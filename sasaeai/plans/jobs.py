"""The plans module's background work: the committee report (PDF or Excel) as a job.

Registered into sasaeai.core.jobs from PlansConfig.ready(); the jobs app runs it without
knowing about plans. `manage.py plan_report` still writes the report synchronously.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.core.jobs import JobKind, JobOutput, JobRun
from sasaeai.plans import selectors

REPORT_FORMATS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def authorize_report(actor, parameters: dict) -> None:
    """The plan is (still) visible to the actor, and the format and year make sense."""
    plan = selectors.plan_for(actor, int(parameters.get("plan_id", 0)))
    if parameters.get("format") not in REPORT_FORMATS:
        raise ValidationError(_("Unknown report format."))
    plan.check_fiscal_year(int(parameters.get("year", 0)))


def report_job(run: JobRun) -> JobOutput:
    from sasaeai.plans import report

    fmt, year = run.parameters["format"], int(run.parameters["year"])
    plan = selectors.plan_for(run.actor, int(run.parameters["plan_id"]))
    run.progress(0, 3, _("Reading the plan and its progress"))
    result = selectors.plan_progress(plan, year)
    run.progress(1, 3, _("Writing the report"))
    data = report.report_pdf(result) if fmt == "pdf" else report.report_xlsx(result)
    run.progress(3, 3, _("Finished"))
    return JobOutput(f"{plan.code}-{year}-report.{fmt}", REPORT_FORMATS[fmt], data)


REPORT = JobKind(
    key="plans.report",
    label=gettext_lazy("Committee report"),
    handler=report_job,
    permission="plans.view_plan",
    source="plans",
    authorize=authorize_report,
    writes=False,
)
