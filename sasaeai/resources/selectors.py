"""Reads of the resource directory: the public search, nearest places, locating an address.

Public reads go through `policy.public_scope` (published records of one tenant); staff reads
through `policy.scope`. A result row is a service at a location ("the 子ども食堂 at the 公民館").
"""

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import (
    Avg,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Prefetch,
    Q,
    QuerySet,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone

from sasaeai.accounts import policy
from sasaeai.core.models import Area, AreaKind, Tenant
from sasaeai.core.postal import lookup_postal_code
from sasaeai.resources import schedules
from sasaeai.resources.models import (
    Audience,
    Category,
    Location,
    MapSettings,
    Schedule,
    ScheduleException,
    Service,
    ServiceAtLocation,
    ServiceStatus,
)
from sasaeai.resources.search import fold, query_terms

EARTH_RADIUS_M = 6_371_000
KM_PER_DEGREE_LAT = 111.32


@dataclass
class PlaceFilters:
    query: str = ""
    category: str = ""  # Category.code
    area_id: int | None = None
    audience: str = ""  # Audience value
    weekday: int | None = None  # 0 = Monday
    free_only: bool = False
    step_free: bool = False
    accessible_toilet: bool = False
    open_now: bool = False
    near: tuple[float, float] | None = None  # (lat, lon)
    radius_km: float | None = None


@dataclass
class Place:
    service: Service
    location: Location
    distance_m: float | None = None
    number: int = 0
    category_list: list[Category] = field(default_factory=list)

    @property
    def has_position(self) -> bool:
        return self.location.has_position

    @property
    def distance_label(self) -> str:
        if self.distance_m is None:
            return ""
        if self.distance_m < 1000:
            return f"{round(self.distance_m, -1):.0f} m"
        return f"{self.distance_m / 1000:.1f} km"


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by the haversine formula."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def map_settings(tenant_id: int) -> MapSettings:
    found = MapSettings.objects.filter(tenant_id=tenant_id).first()
    return found or MapSettings(tenant_id=tenant_id)


def categories_of(tenant_id: int) -> QuerySet[Category]:
    return Category.objects.filter(tenant_id=tenant_id)


def _schedule_prefetches() -> list[Prefetch]:
    return [
        Prefetch("service__schedules", queryset=Schedule.objects.order_by("id")),
        Prefetch("service__schedule_exceptions", queryset=ScheduleException.objects.all()),
        Prefetch("service__categories", queryset=Category.objects.order_by("order")),
        "service__phones",
    ]


def _rows(queryset: QuerySet[ServiceAtLocation]) -> QuerySet[ServiceAtLocation]:
    return (
        queryset.exclude(service__status=ServiceStatus.DEFUNCT)
        .select_related("service", "location", "service__organization")
        .prefetch_related(*_schedule_prefetches())
    )


def _weekday_bit(weekday: int) -> int:
    return 1 << weekday


def _filtered(
    queryset: QuerySet[ServiceAtLocation], filters: PlaceFilters, now: datetime, tenant_id: int
):
    for term in query_terms(filters.query):
        queryset = queryset.filter(service__search_text__contains=term)
    if filters.category:
        queryset = queryset.filter(service__categories__code=filters.category)
    if filters.area_id:
        queryset = queryset.filter(
            Q(location__area_id=filters.area_id) | Q(location__school_district_id=filters.area_id)
        )
    if filters.audience and filters.audience != Audience.EVERYONE:
        queryset = queryset.filter(
            Q(service__audiences__contains=f",{filters.audience},")
            | Q(service__audiences__contains=f",{Audience.EVERYONE},")
        )
    if filters.free_only:
        queryset = queryset.filter(service__is_free=True)
    if filters.step_free:
        queryset = queryset.filter(location__step_free=True)
    if filters.accessible_toilet:
        queryset = queryset.filter(location__accessible_toilet=True)
    if filters.weekday is not None:
        queryset = queryset.filter(service_id__in=_services_on(tenant_id, filters.weekday))
    if filters.open_now:
        # SQL narrows to rules for today's weekday and hour; the exact test (monthly
        # ordinals, holidays, exceptions) runs on the few rows left.
        current = now.time()
        # A side left blank is the start or end of the day; both blank is "hours not
        # stated", never open (schedules.open_state).
        candidates = (
            _services_on(tenant_id, now.weekday())
            .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=current))
            .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=current))
            .exclude(opens_at__isnull=True, closes_at__isnull=True)
        )
        queryset = queryset.filter(service_id__in=candidates)
    return queryset


def _services_on(tenant_id: int, weekday: int) -> QuerySet[Schedule]:
    """Ids of services with a rule on that weekday: one uncorrelated subquery, not one per row."""
    return (
        Schedule.objects.filter(tenant_id=tenant_id)
        .annotate(on_day=F("weekday_mask").bitand(_weekday_bit(weekday)))
        .filter(on_day__gt=0)
        .values("service_id")
    )


def _place(row: ServiceAtLocation) -> Place:
    return Place(
        service=row.service,
        location=row.location,
        category_list=list(row.service.categories.all()),
    )


def _is_open(place: Place, now: datetime) -> bool:
    return schedules.is_open_at(
        list(place.service.schedules.all()), list(place.service.schedule_exceptions.all()), now
    )


def _within_box(queryset, lat: float, lon: float, radius_km: float):
    dlat = radius_km / KM_PER_DEGREE_LAT
    dlon = radius_km / (KM_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01))
    return queryset.filter(
        location__latitude__range=(lat - dlat, lat + dlat),
        location__longitude__range=(lon - dlon, lon + dlon),
    )


def public_places(tenant_id: int) -> QuerySet[ServiceAtLocation]:
    return policy.public_scope(tenant_id, ServiceAtLocation.objects.all())


def search_places(
    tenant_id: int,
    filters: PlaceFilters,
    *,
    now: datetime | None = None,
    limit: int | None = None,
    queryset: QuerySet[ServiceAtLocation] | None = None,
) -> list[Place]:
    """Published places matching the filters, nearest first when a point is given.

    With a point and a limit, the search widens a box around the point until it holds the
    nearest `limit` places, so the 50 nearest of 100,000 never load the other 99,950.
    """
    now = timezone.localtime(now or timezone.now())
    base = public_places(tenant_id) if queryset is None else queryset
    rows = _once(_filtered(_rows(base), filters, now, tenant_id), base, filters, now, tenant_id)
    if filters.near is None:
        rows = rows.order_by("service__alternate_name", "service__name", "service_id")
        return _numbered(_first_open(rows, now, limit) if filters.open_now else _first(rows, limit))
    return _numbered(_nearest(rows, filters, now, limit))


def places_page(tenant_id: int, filters: PlaceFilters, page_number, per_page: int) -> Page:
    """One page of the places ordered by name, paged in SQL: the whole directory can be
    browsed without loading it. Numbers continue from page to page (31, 32, ... on page 2)."""
    now, base = timezone.localtime(), public_places(tenant_id)
    rows = _once(_filtered(_rows(base), filters, now, tenant_id), base, filters, now, tenant_id)
    rows = rows.order_by("service__alternate_name", "service__name", "service_id")
    page = Paginator(rows, per_page).get_page(page_number)
    places = [_place(row) for row in page.object_list]
    for number, place in enumerate(places, start=page.start_index()):
        place.number = number
    page.object_list = _with_twin_roles(places)
    return page


def _first(rows, limit: int | None) -> list[Place]:
    return [_place(row) for row in (rows[:limit] if limit else rows)]


def _first_open(rows, now: datetime, limit: int | None) -> list[Place]:
    """Rows SQL could only narrow down (第n週, holidays, exceptions): test the candidates' rules
    in Python, then load just the first `limit` open ones in full."""
    candidates = list(rows.values_list("pk", "service_id"))
    rules, exceptions = _rules_of({service_id for _pk, service_id in candidates})
    open_pks = [
        pk
        for pk, service_id in candidates
        if schedules.is_open_at(rules.get(service_id, []), exceptions.get(service_id, []), now)
    ][:limit]
    loaded = {row.pk: _place(row) for row in rows.filter(pk__in=open_pks)}
    return [loaded[pk] for pk in open_pks]


def _rules_of(service_ids: set[int], chunk: int = 5000) -> tuple[dict, dict]:
    rules, exceptions = defaultdict(list), defaultdict(list)
    ids = sorted(service_ids)
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        for rule in Schedule.objects.filter(service_id__in=part).order_by("id"):
            rules[rule.service_id].append(rule)
        for exception in ScheduleException.objects.filter(service_id__in=part):
            exceptions[exception.service_id].append(exception)
    return rules, exceptions


def _nearest(rows, filters: PlaceFilters, now: datetime, limit: int | None) -> list[Place]:
    lat, lon = filters.near
    if limit is None and filters.radius_km is None:
        return _all_by_distance(rows, filters, now)
    radius = filters.radius_km or 1.0
    while True:
        # SQL orders the box by a flat-earth distance (exact enough at a city's scale), so only
        # the first `limit` rows are loaded; haversine then gives the figures shown.
        boxed = (
            _within_box(rows, lat, lon, radius)
            .annotate(flat=_flat_distance(lat, lon))
            .order_by("flat", "service_id")
        )
        found = _first_open(boxed, now, limit) if filters.open_now else _first(boxed, limit)
        for place in found:
            place.distance_m = distance_m(
                lat, lon, place.location.latitude, place.location.longitude
            )
        inside = [p for p in found if p.distance_m <= radius * 1000]
        inside.sort(key=lambda p: (p.distance_m, p.service.pk))
        enough = limit is not None and len(inside) >= limit
        if filters.radius_km is not None or enough or radius >= 200:
            return inside[:limit] if limit else inside
        radius *= 2


def _flat_distance(lat: float, lon: float):
    scale = math.cos(math.radians(lat))
    dlat = F("location__latitude") - lat
    dlon = (F("location__longitude") - lon) * scale
    return ExpressionWrapper(dlat * dlat + dlon * dlon, output_field=FloatField())


def _all_by_distance(rows, filters: PlaceFilters, now: datetime) -> list[Place]:
    """Every match, nearest first; places without a position come last, by name."""
    lat, lon = filters.near
    places = [_place(row) for row in rows]
    if filters.open_now:
        places = [p for p in places if _is_open(p, now)]
    for place in places:
        if place.has_position:
            place.distance_m = distance_m(
                lat, lon, place.location.latitude, place.location.longitude
            )
    far = float("inf")
    places.sort(
        key=lambda p: (p.distance_m if p.distance_m is not None else far, p.service.alternate_name)
    )
    return places


def _numbered(places: list[Place]) -> list[Place]:
    for number, place in enumerate(places, start=1):
        place.number = number
    return _with_twin_roles(places)


# -- One place in several datasets ------------------------------------------------------
# The same building is often in two of the city's files (an evacuation site that is also a
# public facility): two records, one per dataset, so that each file's re-import keeps its
# own. Residents see it once, under the first record, with the roles of both.


TWINS_CACHE_SECONDS = 600


def twins_cache_key(tenant_id: int) -> str:
    return f"resources:twins:{tenant_id}"


def forget_twins(tenant_id: int) -> None:
    """After a write that may change names, addresses or what is published: now, and again
    when it commits (a request in between may have cached the old directory)."""
    cache.delete(twins_cache_key(tenant_id))
    transaction.on_commit(lambda: cache.delete(twins_cache_key(tenant_id)))


def _twin_ids(tenant_id: int) -> list[int]:
    """Services whose name and address another published record shares.

    A GROUP BY over the whole directory: cached per tenant, dropped by every write that can
    change it (services.forget_twins) and after TWINS_CACHE_SECONDS at the latest. A stale
    list can only miss a new twin (shown twice for a while), never hide a place: _once
    regroups the candidates by their current name and address.
    """
    ids = cache.get(twins_cache_key(tenant_id))
    if ids is not None:
        return ids
    rows = (
        public_places(tenant_id)
        .exclude(service__status=ServiceStatus.DEFUNCT)
        .exclude(location__address="")
        .order_by()
    )
    groups = list(
        rows.values("service__name", "location__address")
        .annotate(records=Count("service_id", distinct=True))
        .filter(records__gt=1)
    )
    ids = []
    for part in _chunks(groups, 200):
        same = Q()
        for group in part:
            same |= Q(
                service__name=group["service__name"], location__address=group["location__address"]
            )
        ids.extend(rows.filter(same).values_list("service_id", flat=True).distinct())
    cache.set(twins_cache_key(tenant_id), ids, TWINS_CACHE_SECONDS)
    return ids


def _once(rows, base, filters: PlaceFilters, now: datetime, tenant_id: int):
    """Leave out a row when an earlier record with the same name and address also matches."""
    twin_ids = _twin_ids(tenant_id)
    if not twin_ids:
        return rows
    matching = (
        _filtered(base.exclude(service__status=ServiceStatus.DEFUNCT), filters, now, tenant_id)
        .exclude(location__address="")
        .filter(service_id__in=twin_ids)
        .values_list("pk", "service_id", "service__name", "location__address")
    )
    groups: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for pk, service_id, name, address in matching:
        groups[(name, address)].append((service_id, pk))
    hidden = [
        pk
        for members in groups.values()
        for service_id, pk in members
        if service_id > min(s for s, _ in members)
    ]
    return rows.exclude(pk__in=hidden) if hidden else rows


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _twins(tenant_id: int, names: set[str]):
    return (
        public_places(tenant_id)
        .filter(service__name__in=names)
        .exclude(service__status=ServiceStatus.DEFUNCT)
        .exclude(location__address="")
        .select_related("service", "location")
        .prefetch_related(
            Prefetch("service__categories", queryset=Category.objects.order_by("order"))
        )
        .order_by("service_id")
    )


def _with_twin_roles(places: list[Place]) -> list[Place]:
    if not places:
        return places
    tenant_id = places[0].service.tenant_id
    twin_ids = set(_twin_ids(tenant_id))
    names = {
        p.service.name
        for p in places
        if p.location is not None and p.location.address and p.service.pk in twin_ids
    }
    if not names:
        return places
    roles: dict[tuple[str, str], list[Category]] = defaultdict(list)
    for row in _twins(tenant_id, names):
        roles[(row.service.name, row.location.address)].extend(row.service.categories.all())
    for place in places:
        if place.location is None:
            continue
        twins = roles.get((place.service.name, place.location.address), [])
        known = {c.pk for c in place.category_list}
        for category in twins:
            if category.pk not in known:
                place.category_list.append(category)
                known.add(category.pk)
    return places


def roles_of(tenant_id: int, service: Service) -> list[Category]:
    """The categories of a service and of the same place's records in other datasets."""
    roles = list(service.categories.all())
    places = [at.location for at in service.at_locations.all() if at.location.address]
    if not places:
        return roles
    addresses = {location.address for location in places}
    known = {c.pk for c in roles}
    for row in _twins(tenant_id, {service.name}).filter(location__address__in=addresses):
        for category in row.service.categories.all():
            if category.pk not in known:
                roles.append(category)
                known.add(category.pk)
    return roles


def public_place(tenant_id: int, service_uid) -> Service | None:
    return (
        policy.public_scope(tenant_id, Service.objects.all())
        .filter(uid=service_uid)
        .select_related("organization", "last_confirmed_by")
        .prefetch_related(
            "categories",
            "phones",
            "contacts",
            "schedules",
            "schedule_exceptions",
            Prefetch("at_locations", queryset=ServiceAtLocation.objects.select_related("location")),
        )
        .first()
    )


def next_meetings(service: Service, now: datetime | None = None) -> dict:
    now = timezone.localtime(now or timezone.now())
    rules = list(service.schedules.all())
    exceptions = list(service.schedule_exceptions.all())
    state = schedules.open_state(rules, exceptions, now)
    return {
        "state": state,
        "open_now": state == "open",
        # The source's own words (利用可能日時特記事項), shown as written whatever was read.
        "notes": list(dict.fromkeys(rule.notes for rule in rules if rule.notes)),
        "hours_unknown": any(r.opens_at is None and r.closes_at is None for r in rules),
        "next": schedules.next_occurrence(rules, exceptions, now),
        "this_week": schedules.this_week(rules, exceptions, now.date()),
        "rules": [schedules.describe(rule) for rule in rules],
    }


# -- Locating an address without a geocoding service ------------------------------------

_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")
_CHOME = re.compile(r"([一二三四五六七八九十]+)丁目")
_SEPARATORS = re.compile(r"(?<=\d)(丁目|番地の|番地|番の|番|号|の)")


def _kanji_number(text: str) -> str:
    if text == "十":
        return "10"
    if text.startswith("十"):
        return "1" + text[1:].translate(_KANJI_DIGITS)
    if "十" in text:
        tens, ones = text.split("十", 1)
        return tens.translate(_KANJI_DIGITS) + (ones.translate(_KANJI_DIGITS) or "0")
    return text.translate(_KANJI_DIGITS)


def fold_address(text: str) -> str:
    """「並木一丁目2番地の3」 and 「並木1-2-3」 fold to the same 「並木1-2-3」."""
    folded = unicodedata.normalize("NFKC", text or "").replace(" ", "").replace("\u3000", "")
    folded = _CHOME.sub(lambda m: _kanji_number(m.group(1)) + "丁目", folded)
    folded = re.sub(r"[‐‑‒–—―−－]", "-", folded)
    folded = re.sub(r"(?<=\d)ー(?=\d)", "-", folded)  # 1ー2ー3 typed with the long vowel mark
    folded = _SEPARATORS.sub("-", folded)
    return re.sub(r"-+", "-", folded).strip("-")


@dataclass(frozen=True)
class Located:
    lat: float
    lon: float
    label: str
    precision: str  # "address", "town" or "area"


def _strip_municipality(tenant: Tenant, text: str) -> str:
    for prefix in (tenant.prefecture, tenant.name):
        if prefix and text.startswith(prefix):
            text = text[len(prefix) :]
    return text


def locate_address(tenant: Tenant, text: str) -> Located | None:
    """An approximate position for an address or postal code of the tenant, offline.

    Positions come from what the directory already knows: the recorded addresses of its own
    locations (longest matching prefix, e.g. down to the 丁目 or 番地), then the names and
    centres of the tenant's areas. Good enough to sort by distance; never shown as exact.
    """
    postal = lookup_postal_code(text) if re.search(r"\d{3}-?\d{4}", text or "") else None
    if postal is not None:
        text = postal.text
    query = _strip_municipality(tenant, fold_address(text))
    if not query:
        return None
    town = re.match(r"[^\d-]+", query)
    if town:
        found = _locate_by_locations(tenant, query, town.group(0))
        if found:
            return found
    return _locate_by_area(tenant, query)


def _locate_by_locations(tenant: Tenant, query: str, town: str) -> Located | None:
    rows = Location.objects.filter(
        tenant_id=tenant.pk, latitude__isnull=False, address__contains=town[:2]
    ).values_list("address", "latitude", "longitude")
    best_length, best = 0, []
    for address, lat, lon in rows:
        candidate = _strip_municipality(tenant, fold_address(address))
        length = _common_prefix(candidate, query)
        if length < len(town):
            continue  # must agree at least on the whole town name
        if length > best_length:
            best_length, best = length, [(lat, lon)]
        elif length == best_length:
            best.append((lat, lon))
    if not best:
        return None
    lat = sum(p[0] for p in best) / len(best)
    lon = sum(p[1] for p in best) / len(best)
    precision = "address" if best_length > len(town) else "town"
    return Located(lat, lon, query[:best_length].rstrip("-"), precision)


def _common_prefix(a: str, b: str) -> int:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length


def _locate_by_area(tenant: Tenant, query: str) -> Located | None:
    areas = Area.objects.filter(tenant_id=tenant.pk, centroid_lat__isnull=False).only(
        "name", "centroid_lat", "centroid_lon"
    )
    for area in sorted(areas, key=lambda a: -len(a.name)):
        name = area.name.removesuffix("地区")
        if name and fold(name) in fold(query):
            return Located(area.centroid_lat, area.centroid_lon, area.name, "area")
    return None


# -- Staff reads -------------------------------------------------------------------------


def services_for_staff(actor: policy.Actor, *, query: str = "", category: str = ""):
    services = policy.scope(actor, "resources.view_resource", Service.objects.all())
    for term in query_terms(query):
        services = services.filter(search_text__contains=term)
    if category:
        services = services.filter(categories__code=category)
    return services.select_related("last_confirmed_by").prefetch_related("categories")


def stale_services(actor: policy.Actor, *, months: int = 12, now: datetime | None = None):
    """Records nobody has confirmed for `months` months, oldest (or never confirmed) first."""
    now = now or timezone.now()
    limit = now - timezone.timedelta(days=round(months * 30.44))
    return (
        services_for_staff(actor)
        .filter(Q(last_confirmed_at__lt=limit) | Q(last_confirmed_at__isnull=True))
        .order_by(F("last_confirmed_at").asc(nulls_first=True), "name")
    )


def service_for_staff(actor: policy.Actor, service_id: int, permission: str) -> Service:
    service = get_object_or_404(Service.objects.all(), pk=service_id)
    policy.require(actor, permission, service)
    return service


def count_places(tenant_id: int, category_codes: list[str]) -> int:
    return (
        policy.public_scope(tenant_id, Service.objects.all())
        .filter(status=ServiceStatus.ACTIVE, categories__code__in=category_codes)
        .distinct()
        .count()
    )


def school_districts_with(tenant_id: int, category_codes: list[str]) -> int:
    return (
        public_places(tenant_id)
        .filter(
            service__status=ServiceStatus.ACTIVE,
            service__categories__code__in=category_codes,
            location__school_district__kind=AreaKind.JUNIOR_HIGH_SCHOOL_DISTRICT,
        )
        .values("location__school_district")
        .distinct()
        .count()
    )


def area_centre(tenant_id: int) -> tuple[float, float] | None:
    found = Location.objects.filter(tenant_id=tenant_id, latitude__isnull=False).aggregate(
        lat=Avg("latitude"), lon=Avg("longitude")
    )
    if found["lat"] is None:
        return None
    return found["lat"], found["lon"]
