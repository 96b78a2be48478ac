"""Visits recorded in other modules that count in a welfare commissioner's activity record.

A commissioner who records a watch-over visit on their phone should not write it again on the
monthly 活動記録: modules that record visits register a source here, and the activity record
adds what they report to the commissioner's own entries.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class VisitSource:
    key: str  # "<app>.<what>", e.g. "watch.contacts"
    # (tenant_id, user_ids, first day, last day) -> {(user_id, day): number of visits}
    count: Callable[
        [int, list[int], datetime.date, datetime.date], dict[tuple[int, datetime.date], int]
    ]


_sources: dict[str, VisitSource] = {}


def register(source: VisitSource) -> None:
    if source.key in _sources and _sources[source.key] != source:
        raise ValueError(f"Visit source {source.key} is already registered")
    _sources[source.key] = source


def sources() -> list[VisitSource]:
    return list(_sources.values())


def visits_by_day(
    tenant_id: int, user_ids: list[int], first: datetime.date, last: datetime.date
) -> dict[tuple[int, datetime.date], int]:
    """Visits per (commissioner, day) from every registered source, summed."""
    totals: dict[tuple[int, datetime.date], int] = {}
    for source in _sources.values():
        for key, count in source.count(tenant_id, user_ids, first, last).items():
            totals[key] = totals.get(key, 0) + count
    return totals
