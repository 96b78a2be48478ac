"""Figures of plans and shelters published into core.metrics for the plans' indicators."""

from django.utils.translation import gettext_lazy as _

from sasaeai.core import metrics
from sasaeai.core.tenancy import tenant_context


def _plan_rate(tenant_id: int, fiscal_year: int):
    from sasaeai.disaster import evacuation

    with tenant_context(tenant_id):
        return evacuation.plan_rate(tenant_id, fiscal_year)


def _shelter_agreements(tenant_id: int, fiscal_year: int) -> int:
    from sasaeai.disaster import evacuation

    with tenant_context(tenant_id):
        return evacuation.shelter_agreements(tenant_id, fiscal_year)


def register_metrics() -> None:
    metrics.register(
        metrics.Metric(
            key="disaster.plan_rate",
            label=_("Individual evacuation plan rate (listed people with an agreed plan)"),
            unit="%",
            compute=_plan_rate,
            source="disaster",
        )
    )
    metrics.register(
        metrics.Metric(
            key="disaster.shelter_agreements",
            label=_("Welfare shelter agreements signed"),
            unit=_("agreements"),
            compute=_shelter_agreements,
            source="disaster",
        )
    )
