"""The metrics registry: modules publish named figures; the plans module reads them.

A metric is a function of (tenant_id, fiscal_year) returning a number. Modules never import
each other's models; they meet here through keys such as "core.area_count".

Some figures exist once per thing a tenant defines (subscribers of each mail topic, the share of
satisfied answers of each bound survey question): a module registers a *family* once, and the
key names one member of it, "<family key>:<parameter>", e.g. "subscriptions.subscribers:hotmail".
`options(tenant_id)` lists the parameters a tenant has, for people choosing a binding.
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


@dataclass(frozen=True)
class MetricFamily:
    key: str
    label: str | Promise
    unit: str | Promise
    compute: Callable[[int, int, str], float | int | None]  # (tenant_id, fiscal_year, parameter)
    options: Callable[[int], list[tuple[str, str]]]  # tenant_id → [(parameter, label)]
    source: str


_metrics: dict[str, Metric] = {}
_families: dict[str, MetricFamily] = {}
SEPARATOR = ":"


def register(metric: Metric) -> None:
    if metric.key in _metrics and _metrics[metric.key] != metric:
        raise ValueError(f"Metric {metric.key} is already registered by another module")
    _metrics[metric.key] = metric


def register_family(family: MetricFamily) -> None:
    if SEPARATOR in family.key:
        raise ValueError(f"A metric family key has no {SEPARATOR!r}: {family.key}")
    if family.key in _families and _families[family.key] != family:
        raise ValueError(f"Metric family {family.key} is already registered by another module")
    _families[family.key] = family


def get(key: str) -> Metric:
    """The metric of `key`; for "<family>:<parameter>", the family's figure for that parameter.

    Raises KeyError for a key nobody publishes (or a family key without its parameter)."""
    if key in _metrics:
        return _metrics[key]
    family_key, sep, parameter = key.partition(SEPARATOR)
    if not sep or not parameter or family_key not in _families:
        raise KeyError(key)
    family = _families[family_key]
    return Metric(
        key=key,
        label=f"{family.label}（{parameter}）",
        unit=family.unit,
        compute=lambda tenant_id, fiscal_year: family.compute(tenant_id, fiscal_year, parameter),
        source=family.source,
    )


def is_published(key: str) -> bool:
    try:
        get(key)
    except KeyError:
        return False
    return True


def all_metrics() -> list[Metric]:
    return sorted(_metrics.values(), key=lambda m: m.key)


def all_families() -> list[MetricFamily]:
    return sorted(_families.values(), key=lambda f: f.key)


def compute(key: str, *, tenant_id: int, fiscal_year: int) -> float | int | None:
    return get(key).compute(tenant_id, fiscal_year)


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
