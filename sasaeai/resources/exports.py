"""Open-data exports of a tenant's published directory: an HSDS bundle, GeoJSON and CSV.

Only published services (and what hangs off them: their locations, organizations) leave the
system. Each export runs its queries inside the tenant's context (PostgreSQL row-level
security; a public request has no tenant of its own) and reads its records in a fixed
number of queries however many there are.

- `hsds_bundle`: a zip of HSDS 3.0 JSON files, one per object list, with a datapackage.json
  describing them.
- `geojson`: a FeatureCollection of the places with a position, for maps.
- `open_data_csv`: the 自治体標準オープンデータセット 公共施設一覧 (正式版) columns, UTF-8 with BOM.
"""

import hashlib
import io
import json
import zipfile
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from sasaeai.core.csvio import write_csv
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.core.text import to_katakana
from sasaeai.resources import hsds
from sasaeai.resources.models import Category, Frequency, Service

# --- HSDS bundle ---------------------------------------------------------------------------

# file name → (HSDS schema name, URL of the official schema its items follow, description)
BUNDLE_FILES: dict[str, tuple[str, str, str]] = {
    "services.json": (
        "service",
        f"{hsds.SCHEMA_BASE_URL}/compiled/service.json",
        "公開中のサービス（HSDS service、関連するオブジェクトを入れ子で含む）",
    ),
    "organizations.json": (
        "organization",
        f"{hsds.SCHEMA_BASE_URL}/compiled/organization.json",
        "公開中のサービスを提供する団体（HSDS organization）",
    ),
    "service_at_locations.json": (
        "service_at_location",
        f"{hsds.SCHEMA_BASE_URL}/compiled/service_at_location.json",
        "サービスとそれを行う場所の組み合わせ（HSDS service_at_location、場所を入れ子で含む）",
    ),
    "locations.json": (
        "location",
        f"{hsds.SCHEMA_BASE_URL}/location.json",
        "公開中のサービスが行われる場所（HSDS location）",
    ),
    "taxonomies.json": (
        "taxonomy",
        f"{hsds.SCHEMA_BASE_URL}/taxonomy.json",
        "分類体系（自治体の地域資源分類と対象者区分）",
    ),
    "taxonomy_terms.json": (
        "taxonomy_term",
        f"{hsds.SCHEMA_BASE_URL}/taxonomy_term.json",
        "分類の項目（HSDS taxonomy_term）",
    ),
}


def ordered(services: QuerySet[Service]) -> QuerySet[Service]:
    return services.order_by("alternate_name", "name", "pk")


def hsds_objects(tenant: Tenant) -> dict[str, list[dict[str, Any]]]:
    """Every object list of the bundle, by file name."""
    with tenant_context(tenant.pk):
        return _hsds_objects(tenant)


def _hsds_objects(tenant: Tenant) -> dict[str, list[dict[str, Any]]]:
    context = hsds.Context(tenant)
    services = list(ordered(hsds.with_related(hsds.published_services(tenant.pk))))
    by_organization: dict[int, list[Service]] = {}
    organizations = {}
    locations = {}
    sals = []
    for service in services:
        if service.organization_id:
            organizations[service.organization_id] = service.organization
            by_organization.setdefault(service.organization_id, []).append(service)
        for sal in service.at_locations.all():
            sals.append(hsds.service_at_location(sal, context, service=service))
            locations.setdefault(sal.location_id, sal.location)
    categories = Category.objects.filter(tenant_id=tenant.pk).select_related("parent")
    return {
        "services.json": [hsds.service(service, context) for service in services],
        "organizations.json": [
            hsds.organization(org, services=by_organization[pk])
            for pk, org in sorted(organizations.items(), key=lambda item: item[1].name)
        ],
        "service_at_locations.json": sals,
        "locations.json": [
            hsds.location(loc, context)
            for loc in sorted(locations.values(), key=lambda loc: (loc.name, loc.pk))
        ],
        "taxonomies.json": hsds.taxonomies(tenant),
        "taxonomy_terms.json": hsds.taxonomy_terms(categories.order_by("order", "code"), context),
    }


def json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def datapackage(tenant: Tenant, files: dict[str, bytes], created: str) -> dict[str, Any]:
    """A Frictionless-style data package descriptor of the bundle's JSON files.

    The files are JSON arrays of HSDS objects, not tables, so each resource is a plain
    "data-resource" without a Table Schema; `hsds_schema` names the HSDS object its items
    are and `hsds_schema_url` the official JSON Schema they validate against.
    """
    resources = []
    for path, (schema, schema_url, description) in BUNDLE_FILES.items():
        content = files[path]
        resources.append(
            {
                "name": path.removesuffix(".json"),
                "path": path,
                "profile": "data-resource",
                "format": "json",
                "mediatype": "application/json",
                "encoding": "utf-8",
                "bytes": len(content),
                "hash": f"sha256:{hashlib.sha256(content).hexdigest()}",
                "description": description,
                "hsds_schema": schema,
                "hsds_schema_url": schema_url,
            }
        )
    return {
        "profile": "data-package",
        "name": f"sasaeai-{tenant.code}-hsds",
        "title": f"{tenant.prefecture}{tenant.name} 地域資源（Open Referral HSDS {hsds.HSDS_VERSION}）",
        "description": (
            f"{tenant.prefecture}{tenant.name}の地域資源のうち公開中のもの。"
            f"Open Referral Human Services Data Specification {hsds.HSDS_VERSION} の JSON 形式。"
        ),
        "created": created,
        "hsds_version": hsds.HSDS_VERSION,
        "resources": resources,
    }


def hsds_bundle(tenant: Tenant) -> bytes:
    """A zip of the HSDS object lists and their datapackage.json."""
    now = timezone.localtime()
    files = {path: json_bytes(items) for path, items in hsds_objects(tenant).items()}
    files["datapackage.json"] = json_bytes(datapackage(tenant, files, now.isoformat()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in ("datapackage.json", *BUNDLE_FILES):
            info = zipfile.ZipInfo(path, date_time=now.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[path])
    return buffer.getvalue()


# --- GeoJSON -------------------------------------------------------------------------------


def _first_phone(service: Service) -> tuple[str, str]:
    phones = list(service.phones.all())
    voice = [p for p in phones if p.kind == "voice"] or phones
    if not voice:
        return "", ""
    return voice[0].number, voice[0].extension


def geojson(tenant: Tenant, services_qs: QuerySet[Service] | None = None) -> dict[str, Any]:
    """Published places with a position as a GeoJSON FeatureCollection (RFC 7946).

    One feature per service at a location; `services_qs` narrows the services (a search),
    but never widens them beyond the tenant's published ones.
    """
    with tenant_context(tenant.pk):
        return _geojson(tenant, services_qs)


def _geojson(tenant: Tenant, services_qs: QuerySet[Service] | None) -> dict[str, Any]:
    services = hsds.published_services(tenant.pk)
    if services_qs is not None:
        services = services.filter(pk__in=services_qs.values("pk"))
    features = []
    for service in ordered(hsds.with_related(services)):
        categories = [
            {"code": c.code, "name": c.name, "colour": c.colour} for c in service.categories.all()
        ]
        number, _extension = _first_phone(service)
        page = reverse("public_map:place", args=[tenant.code, service.uid])
        for sal in service.at_locations.all():
            place = sal.location
            if not place.has_position:
                continue
            features.append(
                {
                    "type": "Feature",
                    "id": str(sal.uid),
                    "geometry": {
                        "type": "Point",
                        "coordinates": [place.longitude, place.latitude],
                    },
                    "properties": {
                        "id": str(service.uid),
                        "name": service.name,
                        "kana": service.alternate_name,
                        "categories": categories,
                        "address": place.address,
                        "phone": number,
                        "url": service.url,
                        "page": page,
                        "location_id": str(place.uid),
                        "location_name": place.name,
                        "status": service.status,
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


# --- 自治体標準オープンデータセット 公共施設一覧 ----------------------------------------------

# The column order of the standard's 公共施設一覧 (正式版).
PUBLIC_FACILITY_COLUMNS = (
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英字",
    "POIコード",
    "所在地_連結表記",
    "所在地_都道府県",
    "所在地_市区町村",
    "所在地_町字",
    "所在地_番地以下",
    "建物名等(方書)",
    "緯度",
    "経度",
    "電話番号",
    "内線番号",
    "法人番号",
    "団体名",
    "利用可能曜日",
    "開始時間",
    "終了時間",
    "利用可能日時特記事項",
    "説明",
    "バリアフリー情報",
    "URL",
    "備考",
)

_WEEKDAYS = {"MO": "月", "TU": "火", "WE": "水", "TH": "木", "FR": "金", "SA": "土", "SU": "日"}


def _weekdays(rules) -> str:
    """月,水 for plain weekly rules; blank when any rule is not every week (第2水曜…)."""
    days: set[str] = set()
    for rule in rules:
        codes = [code.strip() for code in rule.byday.split(",") if code.strip()]
        if rule.freq != Frequency.WEEKLY or (rule.interval or 1) != 1 or not codes:
            return ""
        if any(code not in _WEEKDAYS for code in codes):
            return ""
        days.update(codes)
    return ",".join(_WEEKDAYS[code] for code in _WEEKDAYS if code in days)


def _hours(rules) -> tuple[str, str]:
    """The opening and closing time when every rule shares them, else blanks."""
    pairs = {(rule.opens_at, rule.closes_at) for rule in rules}
    if len(pairs) != 1:
        return "", ""
    opens, closes = pairs.pop()
    return (f"{opens:%H:%M}" if opens else ""), (f"{closes:%H:%M}" if closes else "")


def _full_address(tenant: Tenant, place) -> str:
    text = place.address.strip()
    if not text:
        return ""
    prefecture = place.prefecture or tenant.prefecture
    city = place.city or tenant.name
    if text.startswith(prefecture):
        return text
    return f"{prefecture}{text}" if text.startswith(city) else f"{prefecture}{city}{text}"


def _remarks(service: Service) -> str:
    parts = []
    names = [c.name for c in service.categories.all()]
    if names:
        parts.append(f"分類: {'、'.join(names)}")
    eligibility = hsds.eligibility_text(service)
    if eligibility:
        parts.append(eligibility)
    if service.is_free:
        parts.append("無料")
    elif service.fees_description:
        parts.append(f"費用: {service.fees_description}")
    return " ".join(parts)


def _facility_row(tenant: Tenant, service: Service, sal, rules) -> list[object]:
    place = sal.location if sal else None
    org = service.organization if service.organization_id else None
    number, extension = _first_phone(service)
    if not number and place is not None:
        own = list(place.phones.all())
        if own:
            number, extension = own[0].number, own[0].extension
    days = _weekdays(rules) if rules else ""
    # Hours without days cannot be read back (第2水曜…): the note column says them in full.
    opens, closes = _hours(rules) if days else ("", "")
    return [
        tenant.code,
        str(sal.uid if sal else service.uid),
        f"{tenant.prefecture}{tenant.name}",
        service.name,
        to_katakana(service.alternate_name),
        service.name_en,
        "",
        _full_address(tenant, place) if place else "",
        (place.prefecture or tenant.prefecture) if place and place.address else "",
        (place.city or tenant.name) if place and place.address else "",
        place.town if place else "",
        place.street if place else "",
        place.building if place else "",
        place.latitude if place else None,
        place.longitude if place else None,
        number,
        extension,
        org.corporate_number if org else "",
        org.name if org else "",
        days,
        opens,
        closes,
        " / ".join(filter(None, (hsds.schedule_text(rule) for rule in rules))),
        service.description,
        hsds.accessibility_text(place) if place else "",
        service.url,
        _remarks(service),
    ]


def open_data_csv(tenant: Tenant) -> bytes:
    """The published directory as a 公共施設一覧 CSV, one row per service at a location.

    A service without a location (a telephone line) is still a row, with the address
    columns blank and the service's id as ID; otherwise ID is the service-at-location id.
    """
    with tenant_context(tenant.pk):
        services = list(ordered(hsds.with_related(hsds.published_services(tenant.pk))))
    rows = []
    for service in services:
        rules = list(service.schedules.all())
        sals = list(service.at_locations.all())
        if not sals:
            rows.append(_facility_row(tenant, service, None, rules))
        for sal in sals:
            here = [r for r in rules if r.location_id in (None, sal.location_id)]
            rows.append(_facility_row(tenant, service, sal, here))
    return write_csv(PUBLIC_FACILITY_COLUMNS, rows)
