"""What the plan commands (import_plan, export_plan, plan_report) and upload page share."""

from django.core.management.base import CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

from sasaeai.accounts.policy import Actor
from sasaeai.core.models import Tenant
from sasaeai.plans import planfile, workbook


def tenant_named(name: str) -> Tenant:
    tenant = Tenant.objects.filter(Q(code=name) | Q(name=name)).first()
    if tenant is None:
        raise CommandError(_("No tenant has the code or name %(name)s") % {"name": name})
    return tenant


def command_actor(tenant: Tenant) -> Actor:
    return Actor(
        user_id=None, username="manage.py", tenant_id=tenant.pk, membership_id=None, role=None
    )


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
