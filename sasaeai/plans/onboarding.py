"""The plans module's go-live checklist item: a plan file imported."""

from django.utils.translation import gettext_lazy as _

from sasaeai.core import checklist
from sasaeai.core.checklist import DONE, TODO, ChecklistItem, ItemState


def plan_state(tenant_id: int) -> ItemState:
    from sasaeai.plans.models import Plan

    titles = list(Plan.objects.filter(tenant_id=tenant_id).values_list("title", flat=True)[:5])
    if not titles:
        return ItemState(TODO, _("Import the community welfare plan (YAML or Excel plan file)."),
                         "plans:plan_import")  # fmt: skip
    return ItemState(DONE, _("The plan is imported."), "plans:plan_list", titles)


def register() -> None:
    checklist.register(ChecklistItem("plans.plan", _("Plan file"), plan_state, 30))
