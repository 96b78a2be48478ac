"""Plans in the admin site, read only: every write goes through plans.services (import,
actuals, the review workflow), so the admin offers lookup, not a second way to edit."""

from django.contrib import admin

from sasaeai.admin_site import PolicyAdmin
from sasaeai.plans.models import Evaluation, Indicator, Plan


@admin.register(Plan)
class PlanAdmin(PolicyAdmin):
    view_permission = "plans.view_plan"
    list_display = ["title", "code", "kind", "start_year", "end_year", "is_demo"]
    list_filter = ["kind", "is_demo"]
    search_fields = ["title", "code"]


@admin.register(Indicator)
class IndicatorAdmin(PolicyAdmin):
    view_permission = "plans.view_plan"
    list_display = ["name", "unit", "direction", "baseline_text", "metric_key", "plan"]
    list_filter = ["direction", "plan"]
    search_fields = ["name", "ref"]
    list_select_related = ["plan"]


@admin.register(Evaluation)
class EvaluationAdmin(PolicyAdmin):
    view_permission = "plans.view_plan"
    list_display = ["node", "fiscal_year", "grade", "status", "is_demo"]
    list_filter = ["fiscal_year", "status", "grade"]
    list_select_related = ["node"]
