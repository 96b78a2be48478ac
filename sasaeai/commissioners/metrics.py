"""Figures the commissioners app publishes into core.metrics for the plans' indicators:
visits (所沢市 indicator 39, with the visits other modules record through core.visits) and
consultations (indicator 18), per fiscal year."""

from django.utils.translation import gettext_lazy as _

from sasaeai.core import metrics
from sasaeai.core.tenancy import tenant_context


def _figures(tenant_id: int, fiscal_year: int):
    from sasaeai.commissioners.selectors import fiscal_year_figures

    with tenant_context(tenant_id):
        return fiscal_year_figures(tenant_id, fiscal_year).figures


def visits(tenant_id: int, fiscal_year: int) -> int:
    return _figures(tenant_id, fiscal_year).visits


def consultations(tenant_id: int, fiscal_year: int) -> int:
    return _figures(tenant_id, fiscal_year).consultations


def register_metrics() -> None:
    metrics.register(
        metrics.Metric(
            key="commissioners.visits",
            label=_("Visits by welfare commissioners"),
            unit=_("visits"),
            compute=visits,
            source="commissioners",
        )
    )
    metrics.register(
        metrics.Metric(
            key="commissioners.consultations",
            label=_("Consultations and support by welfare commissioners"),
            unit=_("cases"),
            compute=consultations,
            source="commissioners",
        )
    )
