"""安否確認 at a given size (sasaeai.disaster, issue 14), beside the minimal one-row view,
through the full middleware stack.

One tenant gets DISTRICTS districts (square GeoJSON boundaries on a grid, each with two
sub-areas beneath it) and ENTRIES register entries spread over the sub-areas (bulk-inserted, no
audit; four in ten consented). A system admin declares disaster mode over a fifth of the
districts (through the service: covered areas computed), and MARKS safety marks land on people
of the declared areas (SafetyCheck + SafetyStatus, bulk; a tenth marked twice). PostgreSQL gets
VACUUM ANALYZE after the fill.

Figures: the progress per area as a page (table + inline SVG map) and as the SVG file
(municipal staff), one declared district's list for its welfare commissioner (page 1 and the
last page; the reads audited), one entry's page, and recording a mark through the phone API.

Usage: python -m bench.disaster_safety [--size town|city|prefecture] [--repeat 10]
For `make bench`: `disaster_safety_benchmarks(tenant, size, get, repeat, post=None)` fills
the tenant, makes its own members and returns [(label, seconds)] (see its docstring).
"""

import argparse
import datetime
import json
import math
import random
import time

from bench.run import scratch_database, setup_django, timed

# register entries, districts, marks. Prefecture: the 250,000 entries; the declared
# fifth of the districts holds ~50,000 of them, ~30,000 marked.
SIZES = {
    "town": (10_000, 10, 1_200),
    "city": (50_000, 20, 6_000),
    "prefecture": (250_000, 40, 30_000),
}
PAGE_SIZE = 50
STATES = ("safe", "safe", "safe", "evacuated", "needs_help", "unknown")


def _square(lat, lon, half=0.01):
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]  # fmt: skip
    return {"type": "Polygon", "coordinates": [ring]}


def _areas(tenant_id: int, districts: int):
    """Districts on a grid and two sub-areas each; returns [(district, [sub-area ids])]."""
    from sasaeai.core.models import Area, AreaKind

    side = math.ceil(math.sqrt(districts))
    made = []
    for n in range(districts):
        lat, lon = 36.0 + (n // side) * 0.02, 139.5 + (n % side) * 0.02
        district = Area.objects.create(
            tenant_id=tenant_id, kind=AreaKind.DISTRICT, name=f"安否ベンチ第{n + 1}地区", code=f"SD{n:03}",
            boundary=_square(lat, lon), centroid_lat=lat, centroid_lon=lon,
        )  # fmt: skip
        subs = Area.objects.bulk_create(
            Area(tenant_id=tenant_id, kind=AreaKind.COMMISSIONER_DISTRICT, parent=district,
                 name=f"安否ベンチ第{n + 1}地区{k}区", code=f"SD{n:03}-{k}")
            for k in (1, 2)
        )  # fmt: skip
        made.append((district, [s.pk for s in subs]))
    return made


def fill(tenant_id: int, size: str, admin, seed: int = 14) -> dict:
    """Areas, entries, a declaration over a fifth of the districts, marks. `admin`: the
    system admin's Actor (declares)."""
    from django.utils import timezone

    from sasaeai.disaster import emergency
    from sasaeai.disaster.models import RegisterEntry, SafetyCheck, SafetyStatus

    n_entries, n_districts, n_marks = SIZES[size]
    rng = random.Random(seed)
    areas = _areas(tenant_id, n_districts)
    sub_ids = [s for _d, subs in areas for s in subs]
    today = timezone.localdate()
    batch = []
    for i in range(n_entries):
        batch.append(
            RegisterEntry(
                tenant_id=tenant_id,
                resident_key=f"S-{i:07}",
                name=f"名簿{i}",
                name_kana=f"めいぼ{i:07}",
                address=f"桶川市{i}",
                area_id=sub_ids[i % len(sub_ids)],
                phone="090-0000-0000",
                reasons=["older_alone"],
                listed_on=today,
                consent_status="given" if rng.random() < 0.4 else "not_asked",
            )  # fmt: skip
        )
        if len(batch) == 5000:
            RegisterEntry.objects.bulk_create(batch)
            batch = []
    RegisterEntry.objects.bulk_create(batch)
    declared = [d for d, _subs in areas[: max(1, n_districts // 5)]]
    declaration = emergency.declaration_declare(
        actor=admin, reason="ベンチマーク", area_ids=[d.pk for d in declared]
    )
    declared_subs = [s for d, subs in areas[: len(declared)] for s in subs]
    people = list(
        RegisterEntry.objects.filter(tenant_id=tenant_id, area_id__in=declared_subs).values_list(
            "pk", "area_id"
        )
    )
    rng.shuffle(people)
    now = timezone.now()
    checks, statuses = [], []
    for entry_id, _area_id in people[:n_marks]:
        state = rng.choice(STATES)
        at = now - datetime.timedelta(minutes=rng.randint(1, 600))
        checks.append(SafetyCheck(tenant_id=tenant_id, declaration=declaration, entry_id=entry_id,
                                  state=state, marked_by_id=admin.user_id, marked_at=at))  # fmt: skip
    SafetyCheck.objects.bulk_create(checks, batch_size=5000)
    for check, (entry_id, area_id) in zip(checks, people[:n_marks], strict=True):
        statuses.append(SafetyStatus(tenant_id=tenant_id, declaration=declaration,
                                     entry_id=entry_id, area_id=area_id, state=check.state,
                                     latest_check_id=check.pk, marked_at=check.marked_at,
                                     marks=1))  # fmt: skip
    SafetyStatus.objects.bulk_create(statuses, batch_size=5000)
    first_district, first_subs = areas[0]
    in_first = [e for e, a in people if a in first_subs]
    return {
        "entries": n_entries, "declared": len(people), "marks": len(checks),
        "declaration": declaration.pk, "district": first_district, "entry": in_first[0],
        "district_people": len(in_first),
    }  # fmt: skip


def analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def make_members(tenant):
    """A system admin, municipal staff and a welfare commissioner: their memberships."""
    from sasaeai.accounts import services as account_services
    from sasaeai.accounts.models import Role
    from sasaeai.accounts.policy import Actor

    system = Actor(user_id=None, username="bench", tenant_id=None, membership_id=None, role=None)
    users = {}
    for role in (Role.SYSTEM_ADMIN, Role.MUNICIPAL_STAFF, Role.WELFARE_COMMISSIONER):
        membership = account_services.member_create(
            actor=system, tenant=tenant, username=f"bench-disaster-{role}-{tenant.pk}",
            password="bench-password-9", role=role,
        )  # fmt: skip
        users[role] = membership
    return users


def admin_actor(membership):
    from sasaeai.accounts.policy import Actor

    return Actor(
        user_id=membership.user_id, username=membership.user.username,
        tenant_id=membership.tenant_id, membership_id=membership.pk, role=membership.role,
        otp_verified=True,
    )  # fmt: skip


def disaster_safety_benchmarks(tenant, size: str, get, repeat: int, post=None):
    """`make bench`: fills `tenant` (its own areas, entries with keys S-…, members), analyzes,
    times. `get(client, url)` returns a request callable asserting 200 (bench.run's); `post`
    likewise for a JSON body (asserting 201), built here when not given.
    Returns [(label, seconds)]."""
    post = post or _json_post
    from bench.volunteers import signed_in_client
    from sasaeai.accounts import services as account_services
    from sasaeai.accounts.models import Role
    from sasaeai.accounts.policy import Actor
    from sasaeai.core.tenancy import tenant_context

    system = Actor(user_id=None, username="bench", tenant_id=None, membership_id=None, role=None)
    with tenant_context(tenant.pk):
        members = make_members(tenant)
        start = time.perf_counter()
        made = fill(tenant.pk, size, admin_actor(members[Role.SYSTEM_ADMIN]))
        commissioner = members[Role.WELFARE_COMMISSIONER]
        # The first declared district is the commissioner's (their list is measured).
        account_services.membership_set_areas(
            actor=system, membership=commissioner, area_ids=[made["district"].pk]
        )
        filled = time.perf_counter() - start
    analyze()
    print(
        f"disaster: {made['entries']:,} entries, {made['declared']:,} declared, "
        f"{made['marks']:,} marks in {filled:.1f} s",
        flush=True,
    )
    staff = signed_in_client(members[Role.MUNICIPAL_STAFF].user)
    supporter = signed_in_client(commissioner.user)
    d, district, entry = made["declaration"], made["district"].pk, made["entry"]
    last = max(1, math.ceil(made["district_people"] / PAGE_SIZE))
    base = f"/disaster/emergency/{d}"
    mark = {"entry_id": entry, "state": "safe"}
    label = f"{made['declared'] // 1000:,}k declared, {made['marks'] // 1000:,}k marks"
    return [
        (f"disaster: progress per area, page ({label})", timed(get(staff, f"{base}/progress/"), repeat)),
        ("disaster: progress map (SVG file)", timed(get(staff, f"{base}/progress.svg"), repeat)),
        (f"disaster: a district's list for its commissioner ({made['district_people']:,} people)", timed(get(supporter, f"{base}/safety/?area={district}"), repeat)),
        (f"disaster: the same list, last page (page {last})", timed(get(supporter, f"{base}/safety/?area={district}&page={last}"), repeat)),
        ("disaster: one person's page with history, audited", timed(get(supporter, f"{base}/safety/{entry}/"), repeat)),
        ("disaster: recording a mark (POST API)", timed(post(supporter, f"/api/v1/disaster/declarations/{d}/checks", mark), repeat)),
    ]  # fmt: skip


def _json_post(c, url, body, status=201):
    def request():
        response = c.post(url, data=json.dumps(body), content_type="application/json")
        assert response.status_code == status, (url, response.status_code, response.content)

    return request


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=tuple(SIZES), default="town")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)

    setup_django(scratch_database("disaster_safety"))

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from sasaeai.core.models import Tenant

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(code="112097", name="桶川市", prefecture="埼玉県")
    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False):
        anonymous = Client()

        def get(c, url, status=200):
            def request():
                response = c.get(url)
                assert response.status_code == status, (url, response.status_code)

            return request

        results = disaster_safety_benchmarks(tenant, args.size, get, args.repeat)
        baseline = timed(get(anonymous, "/bench/baseline/"), args.repeat * 3)
    print(f"database: {connection.vendor}, size: {args.size}")
    print(f"\n{'benchmark':72} {'median ms':>10} {'× baseline':>11}")
    print(f"{'baseline: minimal view reading one row':72} {baseline * 1000:10.2f} {1:11.2f}")
    for name, seconds in results:
        print(f"{name:72} {seconds * 1000:10.2f} {seconds / baseline:11.2f}")


if __name__ == "__main__":
    main()
