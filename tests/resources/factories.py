"""Build resource records for tests without going through the importer."""

from datetime import time

from sasaeai.resources import schedules as schedule_rules
from sasaeai.resources.categories import ensure_default_categories
from sasaeai.resources.models import (
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
)
from sasaeai.resources.search import service_search_text


def make_service(
    tenant,
    name="子ども食堂ひまわり",
    *,
    kana="こどもしょくどうひまわり",
    categories=("children_cafeteria",),
    lat=36.0,
    lon=139.55,
    address="埼玉県桶川市若宮1-5-9",
    audiences=",children,",
    published=True,
    is_free=False,
    phone="048-786-3211",
    schedules=(("MONTHLY", "2WE,4WE", time(10), time(12)),),
    description="",
    organization_name="",
):
    terms = ensure_default_categories(tenant.pk)
    organization = None
    if organization_name:
        organization = Organization.objects.create(tenant=tenant, name=organization_name)
    service = Service.objects.create(
        tenant=tenant,
        organization=organization,
        name=name,
        alternate_name=kana,
        description=description,
        audiences=audiences,
        is_published=published,
        is_free=is_free,
    )
    service.categories.set([terms[code] for code in categories])
    location = Location.objects.create(
        tenant=tenant,
        organization=organization,
        name=name,
        address=address,
        latitude=lat,
        longitude=lon,
    )
    ServiceAtLocation.objects.create(tenant=tenant, service=service, location=location)
    if phone:
        Phone.objects.create(tenant=tenant, service=service, number=phone)
    for freq, byday, opens, closes in schedules:
        Schedule.objects.create(
            tenant=tenant,
            service=service,
            location=location,
            freq=freq,
            byday=byday,
            opens_at=opens,
            closes_at=closes,
            weekday_mask=schedule_rules.weekday_mask(freq, byday),
        )
    names = [terms[code].name for code in categories] + [
        terms[code].name_kana for code in categories
    ]
    service.search_text = service_search_text(name, kana, description, address, *names)
    service.save(update_fields=["search_text"])
    return service
