from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from sasaeai.accounts import policy
from sasaeai.core import fiscal, selectors, services
from sasaeai.core.models import Area, AreaKind
from sasaeai.core.pagination import BoundedLimitOffsetPagination
from sasaeai.core.postal import lookup_postal_code

router = Router(tags=["core"])


class AreaOut(Schema):
    id: int
    kind: AreaKind
    code: str
    name: str
    name_kana: str
    parent_id: int | None
    centroid_lat: float | None
    centroid_lon: float | None


class AreaDetailOut(AreaOut):
    boundary: dict | None


class AreaIn(Schema):
    kind: AreaKind
    name: str = Field(..., min_length=1, max_length=100)
    name_kana: str = Field("", max_length=200)
    code: str = Field("", max_length=40)
    parent_id: int | None = None
    boundary: dict | None = None


class AreaFilter(Schema):
    q: str = ""
    kind: AreaKind | None = None


class PointIn(Schema):
    lat: float = Field(..., ge=20, le=46)
    lon: float = Field(..., ge=122, le=154)
    kind: AreaKind | None = None


class FiscalYearOut(Schema):
    fiscal_year: int
    label: str
    start: str
    end: str


class PostalOut(Schema):
    postal_code: str
    prefecture: str
    city: str
    town: str


@router.get("/areas", response=list[AreaOut])
@paginate(BoundedLimitOffsetPagination)
def list_areas(request, filters: Query[AreaFilter]):
    policy.require(request.actor, "core.view_area")
    return selectors.areas_visible_to(
        request.actor, query=filters.q, kind=filters.kind.value if filters.kind else ""
    )


@router.get("/areas/containing", response=list[AreaOut])
def areas_at_point(request, point: Query[PointIn]):
    policy.require(request.actor, "core.view_area")
    found = selectors.areas_containing(
        tenant_id=request.actor.tenant_id,
        lat=point.lat,
        lon=point.lon,
        kind=point.kind.value if point.kind else "",
    )
    visible = set(
        selectors.areas_visible_to(request.actor)
        .filter(id__in=[a.id for a in found])
        .values_list("id", flat=True)
    )
    return [area for area in found if area.id in visible]


@router.get("/areas/{area_id}", response=AreaDetailOut)
def get_area(request, area_id: int):
    area = get_object_or_404(Area, pk=area_id)
    policy.require(request.actor, "core.view_area", area)
    return area


@router.post("/areas", response={201: AreaDetailOut})
def create_area(request, payload: AreaIn):
    policy.require(request.actor, "core.manage_area")
    area = services.area_create(
        actor=request.actor, tenant_id=request.actor.tenant_id, **payload.dict()
    )
    return 201, area


@router.get("/fiscal-years/{fiscal_year}", response=FiscalYearOut)
def fiscal_year(request, fiscal_year: int):
    if not 1900 <= fiscal_year <= 2200:
        from django.http import Http404

        raise Http404
    start, end = fiscal.fiscal_year_bounds(fiscal_year)
    return FiscalYearOut(
        fiscal_year=fiscal_year,
        label=fiscal.fiscal_year_label(fiscal_year),
        start=start.isoformat(),
        end=end.isoformat(),
    )


@router.get("/postal-codes/{code}", response=PostalOut)
def postal_code(request, code: str):
    found = lookup_postal_code(code)
    if found is None:
        from django.http import Http404

        raise Http404
    return PostalOut(
        postal_code=found.postal_code, prefecture=found.prefecture, city=found.city, town=found.town
    )
