"""100,000 community resources spread over the size's tenants, bulk-inserted, and the
resource benchmarks: text search, open now with a category, nearest places, HSDS API page,
and the import of a 50,000-row CP932 open-data CSV."""

import random
import time
from datetime import time as clock

from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.resources import schedules
from sasaeai.resources.categories import DEFAULT_CATEGORIES, ensure_default_categories
from sasaeai.resources.models import Location, Schedule, Service, ServiceAtLocation
from sasaeai.resources.search import service_search_text

RESOURCES = 100_000
NAMES = {
    "salon": ("ふれあいサロン", "ふれあいさろん"),
    "gathering_place": ("通いの場", "かよいのば"),
    "children_cafeteria": ("こども食堂", "こどもしょくどう"),
    "study_support": ("学習支援教室", "がくしゅうしえんきょうしつ"),
    "dementia_cafe": ("認知症カフェ", "にんちしょうかふぇ"),
    "consultation": ("相談窓口", "そうだんまどぐち"),
    "care_service": ("デイサービス", "でいさーびす"),
}
HOURS = (
    ("WEEKLY", "MO,TU,WE,TH,FR", clock(8, 30), clock(17, 15)),
    ("MONTHLY", "2WE,4WE", clock(10), clock(12)),
    ("WEEKLY", "TU", clock(10), clock(11, 30)),
    ("MONTHLY", "3SA", clock(11), clock(14)),
    ("WEEKLY", "MO,TU,WE,TH,FR,SA,SU", clock(0), clock(23, 59)),
)


def generate_resources(total: int = RESOURCES, *, seed: int = 3) -> dict[str, int]:
    rng = random.Random(seed)
    tenants = list(Tenant.objects.order_by("pk"))
    per_tenant = total // len(tenants)
    codes = [d.code for d in DEFAULT_CATEGORIES if d.code in NAMES]
    for t_index, tenant in enumerate(tenants):
        # Each tenant is a city-sized square around its own centre, inside Saitama.
        lat0, lon0 = 35.75 + (t_index % 8) * 0.05, 139.2 + (t_index // 8) * 0.06
        with tenant_context(tenant.pk):
            terms = ensure_default_categories(tenant.pk)
            services, locations = [], []
            for i in range(per_tenant):
                code = codes[i % len(codes)]
                name, kana = NAMES[code]
                town = f"町{i % 97}"
                address = f"埼玉県某市{town}{i % 13 + 1}-{i % 29 + 1}"
                lat = lat0 + rng.uniform(-0.05, 0.05)
                lon = lon0 + rng.uniform(-0.06, 0.06)
                services.append(
                    Service(
                        tenant_id=tenant.pk, name=f"{name}{i}", alternate_name=f"{kana}{i}",
                        audiences=",everyone,", is_free=i % 3 == 0,
                        search_text=service_search_text(f"{name}{i}", f"{kana}{i}", address,
                                                        terms[code].name, terms[code].name_kana),
                    )
                )  # fmt: skip
                locations.append(
                    Location(tenant_id=tenant.pk, name=f"{name}{i}", address=address,
                             town=town, latitude=lat, longitude=lon)
                )  # fmt: skip
            Service.objects.bulk_create(services, batch_size=2000)
            Location.objects.bulk_create(locations, batch_size=2000)
            links = Service.categories.through
            links.objects.bulk_create(
                [links(service_id=s.pk, category_id=terms[codes[i % len(codes)]].pk)
                 for i, s in enumerate(services)],
                batch_size=5000,
            )  # fmt: skip
            ServiceAtLocation.objects.bulk_create(
                [ServiceAtLocation(tenant_id=tenant.pk, service=s, location=loc)
                 for s, loc in zip(services, locations, strict=True)],
                batch_size=2000,
            )  # fmt: skip
            rules = []
            for i, (service, location) in enumerate(zip(services, locations, strict=True)):
                freq, byday, opens, closes = HOURS[i % len(HOURS)]
                rules.append(
                    Schedule(tenant_id=tenant.pk, service=service, location=location, freq=freq,
                             byday=byday, opens_at=opens, closes_at=closes,
                             weekday_mask=schedules.weekday_mask(freq, byday))
                )  # fmt: skip
            Schedule.objects.bulk_create(rules, batch_size=2000)
    return {"resources": per_tenant * len(tenants), "tenants": len(tenants)}


def resource_benchmarks(get, anonymous, timed, repeat: int) -> list[tuple[str, float]]:
    from sasaeai.accounts.policy import Actor
    from sasaeai.resources import opendata
    from sasaeai.resources.opendata_sample import generate_open_data_csv

    start = time.perf_counter()
    counts = generate_resources()
    print(f"resources: {counts} generated in {time.perf_counter() - start:.1f} s", flush=True)
    tenant = Tenant.objects.order_by("pk").first()
    base = f"/map/{tenant.code}/"
    lat, lon = 35.75, 139.2
    results = [
        ("resources: text search (GET /map/C/?q=こども食堂)", timed(get(anonymous, f"{base}?q=こども食堂"), repeat)),
        ("resources: open now + category (GET /map/C/?category=salon&open_now=on)", timed(get(anonymous, f"{base}?category=salon&open_now=on"), repeat)),
        ("resources: nearest first from a point (GET /map/C/?lat&lon)", timed(get(anonymous, f"{base}?lat={lat}&lon={lon}"), repeat)),
        ("resources: HSDS API, services page 1 of 50", timed(get(anonymous, f"/api/v1/resources/{tenant.code}/services?per_page=50"), repeat)),
    ]  # fmt: skip

    from sasaeai.resources import selectors

    def nearest_50():
        with tenant_context(tenant.pk):
            found = selectors.search_places(
                tenant.pk, selectors.PlaceFilters(near=(lat, lon)), limit=50
            )
        assert len(found) == 50

    results.append(("resources: 50 nearest to a point (selector)", timed(nearest_50, repeat)))

    data = generate_open_data_csv(
        50_000, municipality_code=tenant.code, municipality_name=tenant.name, encoding="cp932"
    )
    actor = Actor(user_id=None, username="bench", tenant_id=tenant.pk, membership_id=None,
                  role=None)  # fmt: skip

    def import_csv():
        with tenant_context(tenant.pk):
            parsed = opendata.read_open_data(data, tenant=tenant)
            opendata.apply_import(parsed, actor=actor, tenant_id=tenant.pk, check_permission=False)

    start = time.perf_counter()
    import_csv()
    results.append(("resources: import a 50,000-row CP932 CSV (new)", time.perf_counter() - start))
    start = time.perf_counter()
    import_csv()
    results.append(("resources: re-import the same CSV (no changes)", time.perf_counter() - start))
    return results
