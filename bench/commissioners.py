"""The activity records (sasaeai.commissioners, issue 14) at a given size, beside the minimal
one-row view, through the full middleware stack.

One tenant gets COMMISSIONERS commissioners (users and memberships, bulk-inserted) spread over
DISTRICTS 民児協 地区, and ENTRIES activity entries over the past twelve months (bulk-inserted,
no audit): half visits, a quarter consultations over every 分野 and 内容, the rest other
activities and liaison, on random days. Prefecture: the issue's 13,000 commissioners and
2 million activity records a year.

Figures: one commissioner's monthly form (page, signed in as that commissioner; and its Excel
file), a district's monthly totals for the 定例会 (every district of the month, as the council
office), and the fiscal-year 福祉行政報告例 totals (page and Excel).

Usage: python -m bench.commissioners [--size town|city|prefecture] [--repeat 10]
`make bench` can call commissioner_benchmarks(tenant, size, get, repeat) on its own database.
"""

import argparse
import datetime
import random
import time

from bench.run import scratch_database, setup_django, timed

# commissioners, districts, entries a year
SIZES = {
    "town": (100, 5, 15_000),
    "city": (1_000, 30, 150_000),
    "prefecture": (13_000, 400, 2_000_000),
}
BATCH = 20_000


def _kinds():
    from sasaeai.commissioners.models import LiaisonKind, OtherActivity, VisitKind

    return (
        (0.50, "visit", [(None, v) for v in VisitKind.values]),
        (0.25, "consultation", None),
        (0.15, "other_activity", [(None, v) for v in OtherActivity.values]),
        (0.10, "liaison", [(None, v) for v in LiaisonKind.values]),
    )


def fill(tenant, size: str, *, seed: int = 14) -> dict:
    """Districts, commissioners and a year of entries in `tenant`; returns what was made."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from sasaeai.accounts.models import Membership, Role
    from sasaeai.commissioners.models import ActivityEntry, Field, Topic
    from sasaeai.core.models import Area, AreaKind

    n_commissioners, n_districts, n_entries = SIZES[size]
    rng = random.Random(seed)
    Area.objects.bulk_create(
        Area(tenant=tenant, kind=AreaKind.DISTRICT, code=f"D{i:04d}", name=f"地区{i}",
             name_kana=f"ちく{i}", search_text=f"ちく{i}")
        for i in range(n_districts)
    )  # fmt: skip
    districts = list(Area.objects.filter(tenant=tenant).values_list("pk", flat=True))
    User = get_user_model()  # noqa: N806
    User.objects.bulk_create(
        User(username=f"bench-c-{tenant.pk}-{i}", password="!", display_name=f"委員{i}")
        for i in range(n_commissioners)
    )  # fmt: skip
    users = list(
        User.objects.filter(username__startswith=f"bench-c-{tenant.pk}-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Membership.objects.bulk_create(
        Membership(user_id=u, tenant=tenant, role=Role.WELFARE_COMMISSIONER) for u in users
    )
    through = Membership.areas.through
    memberships = Membership.objects.filter(tenant=tenant, user_id__in=users).order_by("user_id")
    district_of = {}
    links = []
    for index, (membership_id, user_id) in enumerate(memberships.values_list("pk", "user_id")):
        district_of[user_id] = districts[index % len(districts)]
        links.append(through(membership_id=membership_id, area_id=district_of[user_id]))
    through.objects.bulk_create(links, batch_size=BATCH)
    today = timezone.localdate()
    first = (today.replace(day=1) - datetime.timedelta(days=365)).replace(day=1)
    span = (today - first).days
    kinds = _kinds()
    fields, topics = Field.values, Topic.values

    def entry():
        user = users[rng.randrange(len(users))]
        roll = rng.random()
        kind, details = kinds[-1][1], kinds[-1][2]
        for share, a_kind, some_details in kinds:
            if roll < share:
                kind, details = a_kind, some_details
                break
            roll -= share
        field = topic = detail = ""
        if kind == "consultation":
            field, topic = rng.choice(fields), rng.choice(topics)
        else:
            detail = rng.choice(details)[1]
        return ActivityEntry(
            tenant=tenant, commissioner_id=user, area_id=district_of[user],
            day=first + datetime.timedelta(days=rng.randrange(span)), kind=kind, field=field,
            topic=topic, detail=detail, count=1 + int(rng.random() ** 3 * 4),
        )  # fmt: skip

    made = 0
    while made < n_entries:
        batch = [entry() for _ in range(min(BATCH, n_entries - made))]
        ActivityEntry.objects.bulk_create(batch, batch_size=BATCH)
        made += len(batch)
    return {"commissioners": len(users), "districts": len(districts), "entries": made,
            "user": users[len(users) // 2]}  # fmt: skip


def analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _office_user(tenant):
    from sasaeai.accounts import services as account_services
    from sasaeai.accounts.models import Role
    from sasaeai.accounts.policy import Actor

    system = Actor(user_id=None, username="bench", tenant_id=None, membership_id=None, role=None)
    return account_services.member_create(
        actor=system, tenant=tenant, username=f"bench-office-{tenant.pk}",
        password="bench-password-9", role=Role.WELFARE_COUNCIL_STAFF,
    ).user  # fmt: skip


def commissioner_benchmarks(tenant, size: str, get, repeat: int) -> list[tuple[str, float]]:
    """`make bench`: fills `tenant` (commissioners, districts, a year of entries), signs in one
    commissioner and a council office member, times the figures. `get(client, url)` returns a
    callable that GETs the URL and checks 200 (as bench.run's)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bench.volunteers import signed_in_client
    from sasaeai.core.fiscal import fiscal_year_of
    from sasaeai.core.tenancy import tenant_context

    start = time.perf_counter()
    with tenant_context(tenant.pk):
        made = fill(tenant, size)
    filled = time.perf_counter() - start
    analyze()
    print(f"commissioners: {made['commissioners']:,} commissioners, {made['districts']:,} "
          f"districts, {made['entries']:,} entries in {filled:.1f} s", flush=True)  # fmt: skip
    commissioner = signed_in_client(get_user_model().objects.get(pk=made["user"]))
    office = signed_in_client(_office_user(tenant))
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    ym = f"{month.year}/{month.month}"
    fy = fiscal_year_of(month)
    form = f"/commissioners/forms/{made['user']}/{ym}/"
    label = f"{made['entries'] // 1000:,}k entries"
    return [
        (f"commissioners: a commissioner's monthly form, {label} (page)", timed(get(commissioner, form), repeat)),
        ("commissioners: a commissioner's monthly form (Excel)", timed(get(commissioner, form + "form.xlsx"), repeat)),
        ("commissioners: a commissioner's monthly form (PDF)", timed(get(commissioner, form + "form.pdf"), repeat)),
        (f"commissioners: districts' monthly totals, {made['districts']} districts (page)", timed(get(office, f"/commissioners/districts/{ym}/"), repeat)),
        ("commissioners: districts' monthly totals (Excel)", timed(get(office, f"/commissioners/districts/{ym}/totals.xlsx"), repeat)),
        (f"commissioners: fiscal-year totals (福祉行政報告例), {label} (page)", timed(get(office, f"/commissioners/fiscal/{fy}/"), max(1, repeat // 3))),
        ("commissioners: fiscal-year totals (Excel)", timed(get(office, f"/commissioners/fiscal/{fy}/totals.xlsx"), max(1, repeat // 3))),
    ]  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=tuple(SIZES), default="town")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)

    setup_django(scratch_database("commissioners"))

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from sasaeai.core.models import Tenant

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(code="119999", name="ベンチ県", prefecture="埼玉県")
    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False):
        anonymous = Client()

        def get(c, url, status=200):
            def request():
                response = c.get(url)
                assert response.status_code == status, (url, response.status_code)

            return request

        results = commissioner_benchmarks(tenant, args.size, get, args.repeat)
        baseline = timed(get(anonymous, "/bench/baseline/"), args.repeat * 3)
    print(f"database: {connection.vendor}, size: {args.size}")
    print(f"\n{'benchmark':72} {'median ms':>10} {'× baseline':>11}")
    print(f"{'baseline: minimal view reading one row':72} {baseline * 1000:10.2f} {1:11.2f}")
    for name, seconds in results:
        print(f"{name:72} {seconds * 1000:10.2f} {seconds / baseline:11.2f}")


if __name__ == "__main__":
    main()
