"""Figures of the register for the plans' indicators (所沢市 indicator 30: 同意者数)."""

from django.utils.translation import gettext_lazy as _

from sasaeai.core import metrics
from sasaeai.core.tenancy import tenant_context


def _in_tenant(name: str):
    def compute(tenant_id: int, fiscal_year: int):
        from sasaeai.disaster import selectors

        with tenant_context(tenant_id):
            return getattr(selectors, name)(tenant_id, fiscal_year)

    return compute


def register_metrics() -> None:
    metrics.register(
        metrics.Metric(
            key="disaster.register_entries",
            label=_("People on the register of people needing evacuation support"),
            unit=_("people"),
            compute=_in_tenant("register_entries_count"),
            source="disaster",
        )
    )
    metrics.register(
        metrics.Metric(
            key="disaster.consented",
            label=_("People on the register who consented to sharing"),
            unit=_("people"),
            compute=_in_tenant("consented_count"),
            source="disaster",
        )
    )
