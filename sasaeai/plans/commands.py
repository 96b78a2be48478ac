"""What the plan commands (import_plan, export_plan, plan_report) and upload page share."""

from django.utils.translation import gettext as _

from sasaeai.core.commands import command_actor, tenant_named
from sasaeai.plans import planfile, workbook

__all__ = ["command_actor", "read_plan_file", "tenant_named"]


def read_plan_file(filename: str, data: bytes) -> dict:
    """A checked document from an uploaded or named file; PlanFileError lists every problem."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        doc, locate = workbook.read_workbook(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise planfile.PlanFileError(
                [
                    planfile.Problem(
                        "", _("The file is not UTF-8 text; save it as UTF-8 and try again.")
                    )
                ]
            ) from error
        doc, locate = planfile.read_text(text)
    problems = planfile.check(doc, locate)
    if problems:
        raise planfile.PlanFileError(problems)
    return doc
