"""Figures the watch app publishes into core.metrics for the plans' indicators."""

from django.utils.translation import gettext_lazy as _

from sasaeai.core import metrics
from sasaeai.core.tenancy import tenant_context


def _in_tenant(fn):
    def compute(tenant_id: int, fiscal_year: int):
        with tenant_context(tenant_id):
            return fn(tenant_id, fiscal_year)

    return compute


def register_metrics() -> None:
    from sasaeai.watch import selectors

    metrics.register(
        metrics.Metric(
            key="watch.watched_people",
            label=_("People watched over (at any time in the fiscal year)"),
            unit=_("people"),
            compute=_in_tenant(selectors.watched_count),
            source="watch",
        )
    )
    metrics.register(
        metrics.Metric(
            key="watch.contacts",
            label=_("Watch-over visits and contacts"),
            unit=_("contacts"),
            compute=_in_tenant(selectors.contact_count),
            source="watch",
        )
    )
