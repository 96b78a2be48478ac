"""The read-only HSDS 3.0 API of the published directory, and its open-data exports.

Public (no login): published resources are open data. The tenant is chosen by its local
government code in the path, and every query runs inside that tenant's context, since an
anonymous request has none. Lists use the HSDS page shape (total_items, total_pages,
page_number, size, first_page, last_page, empty, contents), with `contents` as the HSDS
list schemas define them; single objects are fully nested.

Unknown tenants, unknown or unpublished ids and another tenant's ids are all 404; a malformed
page number is 422. Query counts do not depend on the page size.
"""

import math
import uuid
from typing import Any

from django.http import Http404, HttpResponse
from ninja import Field, Query, Router, Schema

from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.resources import exports, hsds
from sasaeai.resources.models import (
    Audience,
    Category,
    Organization,
    Service,
    ServiceAtLocation,
)
from sasaeai.resources.search import query_terms

router = Router(tags=["resources"], auth=None)

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
MAX_PAGE = 1_000_000


# --- schemas -------------------------------------------------------------------------------


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorBody


class PageOut(Schema):
    total_items: int = Field(..., description="Count of total results.")
    total_pages: int = Field(..., description="Count of total pages.")
    page_number: int = Field(..., description="Current page number (1-based).")
    size: int = Field(..., description="Number of items on this page.")
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[dict[str, Any]]


class MetaOut(Schema):
    version: str
    profile: str
    openapi_url: str


class PageQuery(Schema):
    # Bounded so that an absurd page is a 422, not a database error on the offset.
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    per_page: int = Field(
        DEFAULT_PER_PAGE, ge=1, description=f"Items per page; at most {MAX_PER_PAGE}."
    )


class ServiceQuery(PageQuery):
    search: str = Field("", description="Words that must all appear (かな・カナ・漢字 alike).")
    taxonomy_term_id: uuid.UUID | None = Field(
        None, description="Only services with this category or audience term."
    )
    organization_id: uuid.UUID | None = Field(None, description="Only this organization's.")
    full: bool = Field(False, description="Fully nested services instead of list items.")


class TermQuery(PageQuery):
    taxonomy_id: uuid.UUID | None = None


ERRORS = {404: ErrorOut, 422: ErrorOut}
OBJECT = {200: dict[str, Any], **ERRORS}
PAGE = {200: PageOut, **ERRORS}


# --- helpers -------------------------------------------------------------------------------


def _tenant(tenant_code: str) -> Tenant:
    tenant = Tenant.objects.filter(code=tenant_code, is_active=True).first()
    if tenant is None:
        raise Http404
    return tenant


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404 from None


def _page(query: PageQuery, total: int) -> tuple[int, int, int]:
    """(per_page, offset, total_pages) of the requested page."""
    per_page = min(query.per_page, MAX_PER_PAGE)
    return per_page, (query.page - 1) * per_page, math.ceil(total / per_page)


def _page_out(query: PageQuery, total: int, contents: list[dict]) -> dict[str, Any]:
    _per_page, _offset, total_pages = _page(query, total)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": query.page,
        "size": len(contents),
        "first_page": query.page == 1,
        "last_page": query.page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def _paginate(query: PageQuery, queryset, serialise) -> dict[str, Any]:
    total = queryset.count()
    per_page, offset, _pages = _page(query, total)
    contents = [serialise(row) for row in queryset[offset : offset + per_page]]
    return _page_out(query, total, contents)


def _paginate_list(query: PageQuery, items: list[dict]) -> dict[str, Any]:
    per_page, offset, _pages = _page(query, len(items))
    return _page_out(query, len(items), items[offset : offset + per_page])


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _file_response(media_type: str, description: str) -> dict[str, Any]:
    """OpenAPI of a download: ninja documents JSON bodies only."""
    return {
        "responses": {
            "200": {
                "description": description,
                "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


def _filter_services(services, query: ServiceQuery):
    for term in query_terms(query.search):
        services = services.filter(search_text__contains=term)
    if query.taxonomy_term_id is not None:
        audiences = {uuid.UUID(hsds.audience_term_id(a)): a for a in Audience.values}
        audience = audiences.get(query.taxonomy_term_id)
        if audience is not None:
            services = services.filter(audiences__contains=f",{audience},")
        else:
            services = services.filter(categories__uid=query.taxonomy_term_id)
    if query.organization_id is not None:
        services = services.filter(organization__uid=query.organization_id)
    return services


def _published_organizations(tenant: Tenant):
    return Organization.objects.filter(
        tenant_id=tenant.pk, pk__in=hsds.published_services(tenant.pk).values("organization")
    ).order_by("name", "pk")


def _published_sals(tenant: Tenant):
    return (
        ServiceAtLocation.objects.filter(tenant_id=tenant.pk, service__is_published=True)
        .select_related("service", "service__organization", "location", "location__organization")
        .order_by("service__alternate_name", "service__name", "pk")
    )


# --- endpoints -----------------------------------------------------------------------------


@router.get("/{tenant_code}/", response={200: MetaOut, **ERRORS})
def meta(request, tenant_code: str):
    """What this API is: HSDS 3.0, and where its OpenAPI document is."""
    _tenant(tenant_code)
    return {
        "version": hsds.HSDS_VERSION,
        "profile": "https://docs.openreferral.org/en/latest/hsds/",
        "openapi_url": request.build_absolute_uri("/api/v1/openapi.json"),
    }


@router.get("/{tenant_code}/services", response=PAGE)
def list_services(request, tenant_code: str, query: Query[ServiceQuery]):
    """Published services as service_list items, or fully nested with `full=true`."""
    tenant = _tenant(tenant_code)
    with tenant_context(tenant.pk):
        services = _filter_services(hsds.published_services(tenant.pk), query)
        services = exports.ordered(services)
        if query.full:
            context = hsds.Context(tenant)
            return _paginate(query, hsds.with_related(services), lambda s: hsds.service(s, context))
        return _paginate(query, services.select_related("organization"), hsds.service_basic)


@router.get("/{tenant_code}/services/{service_id}", response=OBJECT)
def get_service(request, tenant_code: str, service_id: str):
    """A published service, fully nested (HSDS compiled/service.json)."""
    tenant = _tenant(tenant_code)
    with tenant_context(tenant.pk):
        services = hsds.with_related(hsds.published_services(tenant.pk))
        found = services.filter(uid=_uuid(service_id)).first()
        if found is None:
            raise Http404
        return hsds.service(found, hsds.Context(tenant))


@router.get("/{tenant_code}/organizations", response=PAGE)
def list_organizations(request, tenant_code: str, query: Query[PageQuery]):
    """Organizations that provide at least one published service."""
    tenant = _tenant(tenant_code)
    with tenant_context(tenant.pk):
        return _paginate(
            query,
            _published_organizations(tenant),
            lambda org: hsds.organization(org, basic=True),
        )


@router.get("/{tenant_code}/organizations/{organization_id}", response=OBJECT)
def get_organization(request, tenant_code: str, organization_id: str):
    """An organization with its published services."""
    tenant = _tenant(tenant_code)
    with tenant_context(tenant.pk):
        found = _published_organizations(tenant).filter(uid=_uuid(organization_id)).first()
        if found is None:
            raise Http404
        services = hsds.published_services(tenant.pk).filter(organization=found)
        services = exports.ordered(services.select_related("organization"))
        return hsds.organization(found, services=services)


@router.get("/{tenant_code}/taxonomies", response=PAGE)
def list_taxonomies(request, tenant_code: str, query: Query[PageQuery]):
    """The tenant's own resource taxonomy and the audience (対象者) taxonomy."""
    tenant = _tenant(tenant_code)
    return _paginate_list(query, hsds.taxonomies(tenant))


@router.get("/{tenant_code}/taxonomies/{taxonomy_id}", response=OBJECT)
def get_taxonomy(request, tenant_code: str, taxonomy_id: str):
    """A taxonomy."""
    tenant = _tenant(tenant_code)
    wanted = str(_uuid(taxonomy_id))
    for taxonomy in hsds.taxonomies(tenant):
        if taxonomy["id"] == wanted:
            return taxonomy
    raise Http404


def _terms(tenant: Tenant) -> list[dict]:
    categories = Category.objects.filter(tenant_id=tenant.pk).select_related("parent")
    return hsds.taxonomy_terms(categories.order_by("order", "code"), hsds.Context(tenant))


@router.get("/{tenant_code}/taxonomy_terms", response=PAGE)
def list_taxonomy_terms(request, tenant_code: str, query: Query[TermQuery]):
    """The tenant's categories and the audience terms."""
    tenant = _tenant(tenant_code)
    with tenant_context(tenant.pk):
        terms = _terms(tenant)
    if query.taxonomy_id is not None:
        terms = [t for t in terms if t.get("taxonomy_id") == str(query.taxonomy_id)]
    return _paginate_list(query, terms)


@router.get("/{tenant_code}/taxonomy_terms/{term_id}", response=OBJECT)
def get_taxonomy_term(request, tenant_code: str, term_id: str):
    """A taxonomy term."""
    tenant = _tenant(tenant_code)
    wanted = str(_uuid(term_id))
    with tenant_context(tenant.pk):
        terms = _terms(tenant)
    for term in terms:
        if term["id"] == wanted:
            return term
    raise Http404


@router.get("/{tenant_code}/service_at_locations", response=PAGE)
def list_service_at_locations(request, tenant_code: str, query: Query[PageQuery]):
    """Published services at their locations, as service_at_location_list items."""
    tenant = _tenant(tenant_code)
    context = hsds.Context(tenant)
    with tenant_context(tenant.pk):
        return _paginate(
            query,
            _published_sals(tenant),
            lambda sal: hsds.service_at_location_basic(sal, context),
        )


@router.get("/{tenant_code}/service_at_locations/{sal_id}", response=OBJECT)
def get_service_at_location(request, tenant_code: str, sal_id: str):
    """A published service at a location, with the location nested."""
    tenant = _tenant(tenant_code)
    with tenant_context(tenant.pk):
        found = _published_sals(tenant).filter(uid=_uuid(sal_id)).first()
        if found is None:
            raise Http404
        service = hsds.with_related(Service.objects.filter(pk=found.service_id)).get()
        return hsds.service_at_location(found, hsds.Context(tenant), service=service)


@router.get(
    "/{tenant_code}/export/hsds.zip",
    response=ERRORS,
    openapi_extra=_file_response("application/zip", "HSDS 3.0 JSON files and datapackage.json"),
)
def export_hsds(request, tenant_code: str):
    """The published directory as a zip of HSDS JSON files with datapackage.json."""
    tenant = _tenant(tenant_code)
    content = exports.hsds_bundle(tenant)
    return _attachment(content, "application/zip", f"{tenant.code}_hsds.zip")


@router.get(
    "/{tenant_code}/export/places.geojson",
    response=ERRORS,
    openapi_extra=_file_response("application/geo+json", "GeoJSON FeatureCollection"),
)
def export_geojson(request, tenant_code: str, search: str = ""):
    """Published places with a position as a GeoJSON FeatureCollection."""
    tenant = _tenant(tenant_code)
    # Only narrows: the export keeps to the tenant's published services whatever it is given.
    narrowed = _filter_services(Service.objects.all(), ServiceQuery(search=search))
    collection = exports.geojson(tenant, narrowed if search else None)
    content = exports.json_bytes(collection)
    return _attachment(content, "application/geo+json", f"{tenant.code}_places.geojson")


@router.get(
    "/{tenant_code}/export/places.csv",
    response=ERRORS,
    openapi_extra=_file_response("text/csv", "公共施設一覧 (UTF-8 with BOM, CRLF)"),
)
def export_csv(request, tenant_code: str):
    """The published directory in the 公共施設一覧 columns (UTF-8 with BOM)."""
    tenant = _tenant(tenant_code)
    content = exports.open_data_csv(tenant)
    return _attachment(content, "text/csv; charset=utf-8", f"{tenant.code}_public_facility.csv")
