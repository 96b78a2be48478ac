"""Figures the volunteers app publishes into core.metrics for the plans' indicators."""

from django.utils.translation import gettext_lazy as _

from sasaeai.core import metrics
from sasaeai.core.tenancy import tenant_context


def _registered(tenant_id: int, fiscal_year: int, key: str) -> int:
    from sasaeai.volunteers import selectors

    with tenant_context(tenant_id):
        return selectors.registered_count(tenant_id, fiscal_year, key)


def _options(tenant_id: int) -> list[tuple[str, str]]:
    from sasaeai.volunteers import selectors

    with tenant_context(tenant_id):
        return list(selectors.registries_of(tenant_id).values_list("key", "name"))


def _in_tenant(fn):
    def compute(tenant_id: int, fiscal_year: int):
        with tenant_context(tenant_id):
            return fn(tenant_id, fiscal_year)

    return compute


def register_metrics() -> None:
    from sasaeai.volunteers import selectors

    metrics.register_family(
        metrics.MetricFamily(
            key="volunteers.registered",
            label=_("Registered helpers (at the end of the fiscal year)"),
            unit=_("people"),
            compute=_registered,
            options=_options,
            source="volunteers",
        )
    )
    metrics.register(
        metrics.Metric(
            key="volunteers.activity_hours",
            label=_("Hours of volunteer activity"),
            unit=_("hours"),
            compute=_in_tenant(selectors.activity_hours),
            source="volunteers",
        )
    )
    metrics.register(
        metrics.Metric(
            key="volunteers.fsc_uses",
            label=_("Family support center uses"),
            unit=_("uses"),
            compute=_in_tenant(selectors.fsc_uses),
            source="volunteers",
        )
    )
