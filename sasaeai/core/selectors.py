from django.db.models import QuerySet

from sasaeai.accounts import policy
from sasaeai.core import geo
from sasaeai.core.models import Area
from sasaeai.core.text import normalize_for_search


def areas_visible_to(actor: policy.Actor, *, query: str = "", kind: str = "") -> QuerySet[Area]:
    areas = policy.scope(actor, "core.view_area", Area.objects.all())
    if query:
        areas = areas.filter(search_text__contains=normalize_for_search(query))
    if kind:
        areas = areas.filter(kind=kind)
    return areas.select_related("parent").defer("boundary")


def areas_containing(*, tenant_id: int, lat: float, lon: float, kind: str = "") -> list[Area]:
    """Areas whose boundary holds the point: bounding boxes in SQL, then the exact test."""
    candidates = Area.objects.filter(
        tenant_id=tenant_id,
        min_lat__lte=lat,
        max_lat__gte=lat,
        min_lon__lte=lon,
        max_lon__gte=lon,
    )
    if kind:
        candidates = candidates.filter(kind=kind)
    return [area for area in candidates if geo.contains(area.boundary, lat=lat, lon=lon)]
