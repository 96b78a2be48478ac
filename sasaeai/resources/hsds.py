"""Our resource records as Open Referral HSDS 3.0 objects, exactly as the official schemas say.

Pure serialisation: the functions take records loaded with `with_related` and return plain
dicts ready for JSON. Rules that keep the output valid against the strict schemas
(additionalProperties false everywhere, formats checked):

- only properties the schema defines; empty optional values are left out rather than sent as
  "" (an empty string fails `uuid`, `email` or `date-time`);
- every object carries an `id`: our `uid`, or for what we store without one (a location's
  address, its accessibility notes, a language, an attribute, the taxonomies) a uuid5 derived
  from the owner's uid, so that the same record exports with the same ids every time;
- each object carries the ids of what it links to (service_id, location_id, …), which the
  schema allows everywhere and which makes flattening the nested objects straightforward.

Eligibility: our audiences (everyone / elderly / children / disability) become Japanese text
in `eligibility_description` and an attribute per audience, linking a term of a fixed
"対象者" taxonomy. Categories are the terms of the tenant's own taxonomy, one per tenant,
with an id derived from the tenant's local government code.

Where schedules go: a schedule tied to a location is the service's timetable *at* that
location, so it is listed in the service's `schedules` and in that `service_at_location`'s
`schedules` (with `service_at_location_id`). It is not put on the location itself: a
location's schedules are the building's opening hours, which we do not record, and one
location may host several services with different hours.
"""

import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from sasaeai.accounts import policy
from sasaeai.core.models import Tenant
from sasaeai.resources import schedules as schedule_rules
from sasaeai.resources.models import (
    Audience,
    Category,
    Contact,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
)

HSDS_VERSION = "3.0"
SCHEMA_BASE_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema"
# The fixed namespace of every id we derive (uuid5): change it and every derived id changes.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:sasaeai:hsds")
LANGUAGE = "ja"
COUNTRY = "JP"
CURRENCY = "JPY"
# org-id.guide scheme of Japan's corporate numbers (法人番号).
CORPORATE_NUMBER_SCHEME = "JP-JCN"

AUDIENCE_LINK_TYPE = "eligibility"
CATEGORY_LINK_TYPE = "service_category"

# The audience vocabulary in Japanese: HSDS text is data in the directory's language, not
# interface text, so it does not go through gettext.
AUDIENCE_TERMS: dict[str, tuple[str, str]] = {
    Audience.EVERYONE: ("どなたでも", "年齢や状況を問わず、どなたでも利用できます。"),
    Audience.ELDERLY: ("高齢者", "高齢の方とその家族が対象です。"),
    Audience.CHILDREN: ("子ども・子育て家庭", "子どもと子育て中の家庭が対象です。"),
    Audience.DISABILITY: ("障害のある方", "障害のある方とその家族が対象です。"),
}

_LANGUAGE_CODES = {
    "日本語": "ja",
    "やさしい日本語": "ja",
    "英語": "en",
    "中国語": "zh",
    "韓国語": "ko",
    "朝鮮語": "ko",
    "ポルトガル語": "pt",
    "スペイン語": "es",
    "ベトナム語": "vi",
    "タガログ語": "tl",
    "フィリピン語": "fil",
    "ネパール語": "ne",
    "タイ語": "th",
    "インドネシア語": "id",
    "ミャンマー語": "my",
    "ロシア語": "ru",
    "ウクライナ語": "uk",
    "フランス語": "fr",
    "ドイツ語": "de",
    "手話": "jsl",
    "日本手話": "jsl",
}
_LANGUAGE_SPLIT = re.compile(r"[、,，/／・;；\s]+")


def stable_id(*parts: object) -> str:
    """A uuid5 of the parts: the same parts give the same id on every run."""
    return str(uuid.uuid5(NAMESPACE, "|".join(str(part) for part in parts)))


def taxonomy_id(tenant: Tenant) -> str:
    """The tenant's own taxonomy: one per tenant, its id derived from the tenant's code."""
    return stable_id("taxonomy", tenant.code)


def taxonomy_name(tenant: Tenant) -> str:
    return f"{tenant.name} 地域資源分類"


AUDIENCE_TAXONOMY_ID = stable_id("taxonomy", "audience")


def audience_term_id(audience: str) -> str:
    return stable_id("taxonomy_term", "audience", audience)


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop optional members that are empty: None, "" and []. Required ones are set apart."""
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def _with(required: dict[str, Any], **optional: Any) -> dict[str, Any]:
    return {**required, **_compact(optional)}


def _uid(value) -> str | None:
    return str(value) if value else None


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _utc_offset() -> tuple[int | float, str]:
    """The local zone's UTC offset as HSDS `timezone` wants it (hours) and as ±HH:MM."""
    offset = datetime.now(_local_zone()).utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    number = minutes / 60
    return (int(number) if number.is_integer() else number), f"{sign}{hours:02d}:{rest:02d}"


def _time(value: time | None) -> str | None:
    """HH:MM with the local UTC offset, as the schedule schema asks (10:00+09:00)."""
    if value is None:
        return None
    return f"{value:%H:%M}{_utc_offset()[1]}"


# --- loading -------------------------------------------------------------------------------


def published_services(tenant_id: int) -> QuerySet[Service]:
    """The services anyone may see: the tenant's published ones."""
    return policy.public_scope(tenant_id, Service.objects.all())


def with_related(services: QuerySet[Service]) -> QuerySet[Service]:
    """Everything `service()` reads, in a fixed number of queries however many services."""
    return services.select_related("organization").prefetch_related(
        Prefetch(
            "categories",
            queryset=Category.objects.select_related("parent").order_by("order", "code"),
        ),
        Prefetch("phones", queryset=Phone.objects.order_by("id")),
        Prefetch("schedules", queryset=Schedule.objects.order_by("id")),
        Prefetch("contacts", queryset=Contact.objects.order_by("id")),
        Prefetch(
            "at_locations",
            queryset=ServiceAtLocation.objects.select_related(
                "location", "location__organization"
            ).order_by("id"),
        ),
        # A location's own phones: those not tied to a service (a service's phone at the
        # location belongs to that service, which may be unpublished).
        Prefetch(
            "at_locations__location__phones",
            queryset=Phone.objects.filter(service__isnull=True).order_by("id"),
        ),
    )


# --- the context of one export -------------------------------------------------------------


class Context:
    """What the objects of one export share: the tenant and its taxonomy, built once."""

    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        self.taxonomy = tenant_taxonomy(tenant)
        self.taxonomy_id = self.taxonomy["id"]
        self.taxonomy_name = self.taxonomy["name"]


def tenant_taxonomy(tenant: Tenant) -> dict[str, Any]:
    return {
        "id": taxonomy_id(tenant),
        "name": taxonomy_name(tenant),
        "description": (
            f"{tenant.prefecture}{tenant.name}の地域資源（相談窓口、通いの場、子ども食堂など）"
            "の分類。標準の分類に、自治体が独自の分類を加えたもの。"
        ),
    }


def audience_taxonomy() -> dict[str, Any]:
    return {
        "id": AUDIENCE_TAXONOMY_ID,
        "name": "対象者",
        "description": "地域資源を誰が利用できるか（どなたでも、高齢者、子ども・子育て家庭、障害のある方）。",
    }


def taxonomies(tenant: Tenant) -> list[dict[str, Any]]:
    return [tenant_taxonomy(tenant), audience_taxonomy()]


# --- taxonomy terms and attributes ---------------------------------------------------------


def category_term(category: Category, context: Context, *, detail: bool = False) -> dict:
    parent = category.parent
    return _with(
        {
            "id": str(category.uid),
            "name": category.name,
            "description": category.description or category.name,
        },
        code=category.code,
        parent_id=_uid(parent.uid) if parent else None,
        taxonomy=context.taxonomy_name,
        taxonomy_detail=context.taxonomy if detail else None,
        language=LANGUAGE,
        taxonomy_id=context.taxonomy_id,
    )


def audience_term(audience: str, *, detail: bool = False) -> dict:
    name, description = AUDIENCE_TERMS.get(audience, (audience, audience))
    return _with(
        {"id": audience_term_id(audience), "name": name, "description": description},
        code=str(audience),
        taxonomy="対象者",
        taxonomy_detail=audience_taxonomy() if detail else None,
        language=LANGUAGE,
        taxonomy_id=AUDIENCE_TAXONOMY_ID,
    )


def taxonomy_terms(categories: Iterable[Category], context: Context) -> list[dict]:
    """The tenant's categories, then the audience terms."""
    terms = [category_term(category, context) for category in categories]
    return terms + [audience_term(audience) for audience in AUDIENCE_TERMS]


def _attribute(link_id, link_type: str, term: dict) -> dict:
    return {
        "id": stable_id("attribute", link_id, term["id"]),
        "link_id": str(link_id),
        "taxonomy_term_id": term["id"],
        "link_type": link_type,
        "link_entity": "service",
        "taxonomy_term": term,
    }


def service_attributes(service: Service, context: Context) -> list[dict]:
    attributes = [
        _attribute(service.uid, CATEGORY_LINK_TYPE, category_term(category, context, detail=True))
        for category in service.categories.all()
    ]
    attributes += [
        _attribute(service.uid, AUDIENCE_LINK_TYPE, audience_term(audience, detail=True))
        for audience in service.audience_list()
        if audience in AUDIENCE_TERMS
    ]
    return attributes


# --- parts ----------------------------------------------------------------------------------


def eligibility_text(service: Service) -> str:
    """Who may use the service, in Japanese: audiences, ages, then the staff's own words."""
    audiences = [a for a in service.audience_list() if a in AUDIENCE_TERMS]
    named = [AUDIENCE_TERMS[a][0] for a in audiences if a != Audience.EVERYONE]
    parts = []
    if named:
        parts.append(f"対象: {'、'.join(named)}。")
    elif audiences:
        parts.append("どなたでも利用できます。")
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None:
        parts.append(f"{low}歳から{high}歳まで。")
    elif low is not None:
        parts.append(f"{low}歳以上。")
    elif high is not None:
        parts.append(f"{high}歳まで。")
    if service.eligibility_description:
        parts.append(service.eligibility_description.strip())
    return "".join(parts)


def phone(record: Phone, **links: Any) -> dict:
    extension = (record.extension or "").strip()
    description = record.description
    number_extension = None
    if extension.isdigit():
        number_extension = int(extension)
    elif extension:
        description = f"{description}（内線 {extension}）" if description else f"内線 {extension}"
    return _with(
        {"id": str(record.uid), "number": record.number},
        **links,
        extension=number_extension,
        type=record.kind,
        description=description,
    )


def _recurrence(rule: Schedule) -> tuple[dict[str, Any], str]:
    """The RRULE parts as HSDS fields, and the Japanese description, from schedules.py.

    A stored rule schedules.py cannot read (bad data from an old import) is exported as
    stored rather than failing the whole export.
    """
    try:
        rrule = schedule_rules.to_rrule(rule)
        generated = schedule_rules.describe(rule)
    except schedule_rules.ScheduleParseError:
        raw = {"freq": rule.freq, "interval": rule.interval, "byday": rule.byday}
        return {**raw, "bymonthday": rule.bymonthday}, ""
    parts = dict(part.split("=", 1) for part in rrule.split(";") if "=" in part)
    return {
        "freq": parts.get("FREQ"),
        "interval": int(parts.get("INTERVAL", "1")),
        "byday": parts.get("BYDAY"),
        "bymonthday": parts.get("BYMONTHDAY"),
    }, generated


def schedule_text(rule: Schedule) -> str:
    """The rule in Japanese words; as written when schedules.py cannot read it."""
    return _recurrence(rule)[1] or rule.description.strip()


def schedule(rule: Schedule, **links: Any) -> dict:
    """An RFC 5545 rule as an HSDS schedule; hours carry the local UTC offset."""
    offset_hours, _suffix = _utc_offset()
    recurrence, generated = _recurrence(rule)
    as_written = rule.description.strip()
    notes = [rule.notes.strip()] if rule.notes.strip() else []
    if as_written and generated and as_written != generated:
        notes.insert(0, f"原文: {as_written}")
    repeats = (recurrence["interval"] or 1) > 1
    return _with(
        {"id": str(rule.uid)},
        **links,
        valid_from=_date(rule.valid_from),
        valid_to=_date(rule.valid_to),
        # RFC 5545 counts an interval from the first date.
        dtstart=_date(rule.valid_from) if repeats else None,
        timezone=offset_hours,
        wkst="MO" if repeats else None,
        **recurrence,
        description=generated or as_written,
        opens_at=_time(rule.opens_at),
        closes_at=_time(rule.closes_at),
        notes="\n".join(notes),
    )


def _split_languages(text: str) -> list[str]:
    seen: list[str] = []
    for name in _LANGUAGE_SPLIT.split(text or ""):
        if name and name not in seen:
            seen.append(name)
    return seen


def languages(service: Service) -> list[dict]:
    return [
        _with(
            {"id": stable_id("language", service.uid, name)},
            service_id=str(service.uid),
            name=name,
            code=_LANGUAGE_CODES.get(name),
        )
        for name in _split_languages(service.languages)
    ]


def cost_options(service: Service) -> list[dict]:
    if service.is_free:
        return [
            _with(
                {"id": stable_id("cost_option", service.uid, "free")},
                service_id=str(service.uid),
                option="無料",
                currency=CURRENCY,
                amount=0,
                amount_description=service.fees_description,
            )
        ]
    if service.fees_description:
        return [
            {
                "id": stable_id("cost_option", service.uid, "fee"),
                "service_id": str(service.uid),
                "option": "有料",
                "currency": CURRENCY,
                "amount_description": service.fees_description,
            }
        ]
    return []


def contact(record: Contact, **links: Any) -> dict:
    phones = []
    if record.phone:
        phones.append(
            {
                "id": stable_id("contact_phone", record.uid),
                "contact_id": str(record.uid),
                "number": record.phone,
            }
        )
    return _with(
        {"id": str(record.uid)},
        **links,
        name=record.name,
        title=record.title,
        department=record.department,
        email=record.email,
        phones=phones,
    )


def address(location: Location, context: Context) -> list[dict]:
    """The location's street address; none when it has no address at all."""
    if not (location.address or location.town or location.street):
        return []
    prefecture = location.prefecture or context.tenant.prefecture
    city = location.city or context.tenant.name
    line_1 = f"{location.town}{location.street}"
    if not line_1:
        line_1 = location.address
        for prefix in (prefecture, city):
            if prefix and line_1.startswith(prefix):
                line_1 = line_1[len(prefix) :]
    return [
        _with(
            {
                "id": stable_id("address", location.uid, "physical"),
                "address_1": line_1 or location.address,
                "city": city,
                "state_province": prefecture,
                "postal_code": location.postal_code or "",
                "country": COUNTRY,
                "address_type": "physical",
            },
            location_id=str(location.uid),
            address_2=location.building,
        )
    ]


_ACCESSIBILITY_FLAGS = (
    ("step_free", "段差なし（車いすで入れます）"),
    ("accessible_toilet", "多機能トイレあり"),
)


def accessibility(location: Location) -> list[dict]:
    items = [
        {
            "id": stable_id("accessibility", location.uid, flag),
            "location_id": str(location.uid),
            "description": text,
        }
        for flag, text in _ACCESSIBILITY_FLAGS
        if getattr(location, flag)
    ]
    if location.accessibility.strip():
        items.append(
            {
                "id": stable_id("accessibility", location.uid, "notes"),
                "location_id": str(location.uid),
                "description": location.accessibility.strip(),
            }
        )
    return items


def accessibility_text(location: Location) -> str:
    """The same information as one line, for the 公共施設一覧 CSV."""
    return "、".join(item["description"] for item in accessibility(location))


def location(record: Location, context: Context, *, basic: bool = False) -> dict:
    transportation = record.transportation.strip()
    if record.parking:
        transportation = f"{transportation}\n駐車場あり" if transportation else "駐車場あり"
    data = _with(
        {"id": str(record.uid), "location_type": "physical"},
        organization_id=_uid(record.organization.uid) if record.organization_id else None,
        name=record.name,
        alternate_name=record.alternate_name,
        description=record.description,
        transportation=transportation,
        latitude=record.latitude,
        longitude=record.longitude,
    )
    if basic:
        return data
    phones = [phone(p, location_id=str(record.uid)) for p in record.phones.all()]
    return {
        **data,
        **_compact(
            {
                "addresses": address(record, context),
                "accessibility": accessibility(record),
                "phones": phones,
            }
        ),
    }


def organization_identifiers(record: Organization) -> list[dict]:
    number = (record.corporate_number or "").strip()
    if not number:
        return []
    return [
        {
            "id": stable_id("organization_identifier", record.uid, CORPORATE_NUMBER_SCHEME),
            "organization_id": str(record.uid),
            "identifier_scheme": CORPORATE_NUMBER_SCHEME,
            "identifier_type": "法人番号",
            "identifier": number,
        }
    ]


def organization(
    record: Organization, *, basic: bool = False, services: Iterable[Service] = ()
) -> dict:
    """An organization; `basic` keeps to organization_list's one-to-one fields."""
    data = _with(
        {"id": str(record.uid), "name": record.name, "description": record.description or ""},
        alternate_name=record.alternate_name,
        email=record.email,
        website=record.website,
    )
    if basic:
        return data
    return {
        **data,
        **_compact(
            {
                "organization_identifiers": organization_identifiers(record),
                "services": [service_basic(s, with_organization=False) for s in services],
            }
        ),
    }


# --- services ------------------------------------------------------------------------------


def service_basic(record: Service, *, with_organization: bool = True) -> dict:
    """The one-to-one fields of a service: an item of service_list."""
    org = record.organization if record.organization_id else None
    confirmed = record.last_confirmed_at
    return _with(
        {"id": str(record.uid), "name": record.name, "status": record.status},
        organization_id=_uid(org.uid) if org else None,
        alternate_name=record.alternate_name,
        description=record.description,
        url=record.url,
        email=record.email,
        application_process=record.application_process,
        fees_description=record.fees_description,
        eligibility_description=eligibility_text(record),
        minimum_age=record.minimum_age,
        maximum_age=record.maximum_age,
        assured_date=_date(timezone.localtime(confirmed).date()) if confirmed else None,
        last_modified=timezone.localtime(record.updated_at).isoformat()
        if record.updated_at
        else None,
        organization=organization(org, basic=True) if org and with_organization else None,
    )


def service_at_location(
    record: ServiceAtLocation, context: Context, *, service: Service | None = None
) -> dict:
    """A service at a location with its location nested; `service` given when prefetched."""
    owner = service or record.service
    links = {
        "service_id": str(owner.uid),
        "location_id": str(record.location.uid),
        "service_at_location_id": str(record.uid),
    }
    rules = [r for r in owner.schedules.all() if r.location_id == record.location_id]
    phones = [p for p in owner.phones.all() if p.location_id == record.location_id]
    return _with(
        {"id": str(record.uid)},
        service_id=links["service_id"],
        location_id=links["location_id"],
        description=record.description,
        phones=[phone(p, **links) for p in phones],
        schedules=[schedule(r, **links) for r in rules],
        location=location(record.location, context),
    )


def service(record: Service, context: Context) -> dict:
    """The fully nested service, as GET /services/{id} returns it and services.json holds."""
    service_id = str(record.uid)
    sal_of_location = {sal.location_id: sal for sal in record.at_locations.all()}

    def links_of(location_id: int | None) -> dict[str, str]:
        links = {"service_id": service_id}
        sal = sal_of_location.get(location_id) if location_id else None
        if sal is not None:
            links["location_id"] = str(sal.location.uid)
            links["service_at_location_id"] = str(sal.uid)
        return links

    org = record.organization if record.organization_id else None
    data = service_basic(record, with_organization=False)
    nested = {
        "phones": [phone(p, **links_of(p.location_id)) for p in record.phones.all()],
        "schedules": [schedule(r, **links_of(r.location_id)) for r in record.schedules.all()],
        "service_at_locations": [
            service_at_location(sal, context, service=record) for sal in record.at_locations.all()
        ],
        "languages": languages(record),
        "organization": organization(org) if org else None,
        "cost_options": cost_options(record),
        "contacts": [contact(c, service_id=service_id) for c in record.contacts.all()],
        "attributes": service_attributes(record, context),
    }
    return {**data, **_compact(nested)}


def service_at_location_basic(record: ServiceAtLocation, context: Context) -> dict:
    """An item of service_at_location_list: one-to-one fields, basic location and service."""
    return _with(
        {"id": str(record.uid)},
        service_id=str(record.service.uid),
        location_id=str(record.location.uid),
        description=record.description,
        location=location(record.location, context, basic=True),
        service=service_basic(record.service),
    )
