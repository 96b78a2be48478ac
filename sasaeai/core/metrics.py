"""The metrics registry: modules publish named figures; the plans module reads them.

A metric is a function of (tenant_id, fiscal_year) returning a number. Modules never import
each other's models; they meet here through keys such as "core.area_count".
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Metric:
    key: str
    label: str | Promise
    unit: str | Promise
    compute: Callable[[int, int], float | int | None]
    source: str  # the module that publishes it


_metrics: dict[str, Metric] = {}


def register(metric: Metric) -> None:
    if metric.key in _metrics and _metrics[metric.key] != metric:
        raise ValueError(f"Metric {metric.key} is already registered by another module")
    _metrics[metric.key] = metric


def get(key: str) -> Metric:
    return _metrics[key]


def all_metrics() -> list[Metric]:
    return sorted(_metrics.values(), key=lambda m: m.key)


def compute(key: str, *, tenant_id: int, fiscal_year: int) -> float | int | None:
    return _metrics[key].compute(tenant_id, fiscal_year)


def register_core_metrics() -> None:
    def area_count(kind: str) -> Callable[[int, int], int]:
        def count(tenant_id: int, fiscal_year: int) -> int:
            from sasaeai.core.models import Area

            return Area.objects.filter(tenant_id=tenant_id, kind=kind).count()

        return count

    register(
        Metric(
            key="core.junior_high_school_district_count",
            label=_("Junior high school districts"),
            unit=_("districts"),
            compute=area_count("junior_high_school_district"),
            source="core",
        )
    )
    register(
        Metric(
            key="core.daily_life_area_count",
            label=_("Daily life areas"),
            unit=_("areas"),
            compute=area_count("daily_life_area"),
            source="core",
        )
    )
