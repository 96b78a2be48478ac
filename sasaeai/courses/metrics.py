"""Figures the courses app publishes into core.metrics for the plans' indicators.

- `courses.participants:<kind or course key>`: people at sessions held in the fiscal year
  (attendees, or the head count where one was taken);
- `courses.sessions_held:<kind or course key>`: sessions held in the fiscal year;
- `courses.completed_total:<course key>`: a cumulative course's earlier count plus every
  completion since; for other courses, the fiscal year's completions.
"""

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

from sasaeai.core import metrics
from sasaeai.core.tenancy import tenant_context


def _in_tenant(fn) -> Callable[[int, int, str], int | None]:
    def compute(tenant_id: int, fiscal_year: int, parameter: str):
        with tenant_context(tenant_id):
            return fn(tenant_id, fiscal_year, parameter)

    return compute


def _options(keys_only: bool) -> Callable[[int], list[tuple[str, str]]]:
    def options(tenant_id: int) -> list[tuple[str, str]]:
        from sasaeai.courses.selectors import metric_options

        with tenant_context(tenant_id):
            return metric_options(tenant_id, keys_only=keys_only)

    return options


def register_metrics() -> None:
    from sasaeai.courses import selectors

    metrics.register_family(
        metrics.MetricFamily(
            key="courses.participants",
            label=_("Participants in courses and events"),
            unit=_("people"),
            compute=_in_tenant(selectors.participants_count),
            options=_options(keys_only=False),
            source="courses",
        )
    )
    metrics.register_family(
        metrics.MetricFamily(
            key="courses.sessions_held",
            label=_("Course sessions held"),
            unit=_("sessions"),
            compute=_in_tenant(selectors.sessions_held_count),
            options=_options(keys_only=False),
            source="courses",
        )
    )
    metrics.register_family(
        metrics.MetricFamily(
            key="courses.completed_total",
            label=_("People who completed a course"),
            unit=_("people"),
            compute=_in_tenant(selectors.completed_total),
            options=_options(keys_only=True),
            source="courses",
        )
    )
