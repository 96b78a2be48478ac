"""disaster.safety_check_completion (安否確認完了率) for the plans' indicators (core.metrics)."""

from django.utils.translation import gettext_lazy as _

from sasaeai.core import metrics
from sasaeai.core.tenancy import tenant_context


def _completion(tenant_id: int, fiscal_year: int) -> float | None:
    from sasaeai.disaster import emergency

    with tenant_context(tenant_id):
        return emergency.safety_check_completion(tenant_id, fiscal_year)


def register_metrics() -> None:
    metrics.register(
        metrics.Metric(
            key="disaster.safety_check_completion",
            label=_("Safety checks completed (latest declaration of the year)"),
            unit="%",
            compute=_completion,
            source="disaster",
        )
    )
