"""Places of the community resources directory, read by other modules by category key.

The disaster module lists 福祉避難所 (category `welfare_shelter`) from the directory without
importing it: the resources app registers the one source from its `ready()`.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    id: int  # stable id in the directory (a location)
    name: str
    address: str = ""
    phone: str = ""
    latitude: float | None = None
    longitude: float | None = None


_source: Callable[[int, str], list[Place]] | None = None


def register_source(source: Callable[[int, str], list[Place]]) -> None:
    """`source(tenant_id, category_key) -> [Place]`: the tenant's places in that category."""
    global _source
    if _source is not None and _source is not source:
        raise ValueError("A place source is already registered")
    _source = source


def places_in_category(tenant_id: int, category_key: str) -> list[Place]:
    return [] if _source is None else _source(tenant_id, category_key)
