"""個別避難計画 at a given size (sasaeai.disaster evacuation pages, issue 14), beside the minimal
one-row view, through the full middleware stack.

One tenant gets ENTRIES register entries and PLANS plans by size (bulk-inserted, no audit): 30
districts with three commissioner districts each (entries sit in either, so coverage rolls sub-
areas up), seven in ten consenting; plans for consenting people, three in four agreed over the
past two years, one or two supporters each, spread over CARE_PLANNERS care planners (the
measured one has PLANS / CARE_PLANNERS plans); 40 welfare shelters, a tenth of plans going to
one directly. PostgreSQL gets VACUUM ANALYZE after the fill.

Figures: coverage per district (page and CSV, municipal staff), the staff plan list, a care
planner's home (their plans, audited), a plan's page (audited) and its one-page PDF, the
per-plan fee list of the current month.

Usage: python -m bench.disaster_plans [--size town|city|prefecture] [--repeat 10]
`make bench` may call disaster_plan_benchmarks(tenant_id, size, staff, planner, get, repeat,
planner_user_id=…) with clients from disaster_plan_clients(tenant); this entry point uses a
throw-away database of its own (SQLite file, or DATABASE_URL's server with a suffix).
"""

import argparse
import datetime
import random
import time

from bench.run import scratch_database, setup_django, timed

# register entries, plans, care planners. Prefecture: the 250,000 名簿 entries.
SIZES = {
    "town": (5_000, 1_600, 10),
    "city": (40_000, 12_800, 60),
    "prefecture": (250_000, 80_000, 400),
}
SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤")
KANA = ("さとう", "すずき", "たかはし", "たなか", "いとう", "わたなべ", "やまもと", "なかむら",
        "こばやし", "かとう")  # fmt: skip
GIVEN = (
    ("花子", "はなこ"),
    ("太郎", "たろう"),
    ("恵子", "けいこ"),
    ("浩", "ひろし"),
    ("幸子", "さちこ"),
)
BATCH = 5000


def _areas(tenant_id: int) -> list[int]:
    from sasaeai.core.models import Area, AreaKind

    districts = Area.objects.bulk_create(
        [Area(tenant_id=tenant_id, kind=AreaKind.DISTRICT, code=f"P{i:03}", name=f"計画ベンチ第{i}地区",
              search_text=f"だい{i}ちく") for i in range(1, 31)]
    )  # fmt: skip
    subs = Area.objects.bulk_create(
        [Area(tenant_id=tenant_id, kind=AreaKind.COMMISSIONER_DISTRICT, code=f"{d.code}-{j}",
              name=f"{d.name}{j}区", parent_id=d.pk, search_text="")
         for d in districts for j in range(1, 4)]
    )  # fmt: skip
    return [a.pk for a in districts] + [a.pk for a in subs]


def _planners(tenant_id: int, count: int, planner_user_id: int) -> list[int]:
    from django.contrib.auth import get_user_model

    user = get_user_model()
    others = user.objects.bulk_create(
        [user(username=f"bench-planner-{tenant_id}-{i}", password="!") for i in range(count - 1)]
    )
    return [planner_user_id] + [u.pk for u in others]


def _entries(tenant_id: int, n: int, areas: list[int], rng) -> list[tuple[int, bool]]:
    from sasaeai.disaster.models import RegisterEntry

    listed_on = datetime.date(2020, 4, 1)
    rows, made = [], []
    for i in range(n):
        surname = rng.randrange(len(SURNAMES))
        given, given_kana = rng.choice(GIVEN)
        consent = "given" if rng.random() < 0.7 else rng.choice(("not_asked", "asked", "refused"))
        rows.append(RegisterEntry(
            tenant_id=tenant_id, resident_key=f"{i:09}", name=f"{SURNAMES[surname]} {given}",
            name_kana=f"{KANA[surname]} {given_kana}", address=f"埼玉県某市{i % 900}-{i % 37}",
            area_id=rng.choice(areas), phone="048-000-0000", reasons=["care_level"],
            listed_on=listed_on, consent_status=consent, birth_date=datetime.date(1940, 1, 1),
        ))  # fmt: skip
        if len(rows) == BATCH:
            made += RegisterEntry.objects.bulk_create(rows)
            rows = []
    made += RegisterEntry.objects.bulk_create(rows)
    return [(e.pk, e.consent_status == "given") for e in made]


def _shelters(tenant_id: int) -> list[int]:
    from sasaeai.disaster.models import WelfareShelter

    made = WelfareShelter.objects.bulk_create(
        [WelfareShelter(tenant_id=tenant_id, name=f"福祉避難所{i}", capacity=50, accepts_direct=True,
                        agreement_on=datetime.date(2022, 4, 1)) for i in range(40)]
    )  # fmt: skip
    return [s.pk for s in made]


def _plans(tenant_id, entries, n_plans, planners, shelters, rng, today) -> list[int]:
    from sasaeai.disaster.models import EvacuationPlan

    consenting = [pk for pk, given in entries if given]
    chosen = rng.sample(consenting, min(n_plans, len(consenting)))
    rows, made = [], []
    for index, entry_id in enumerate(chosen):
        agreed = rng.random() < 0.75
        direct = rng.random() < 0.1
        rows.append(EvacuationPlan(
            tenant_id=tenant_id, entry_id=entry_id, status="agreed" if agreed else "draft",
            consent_on=today - datetime.timedelta(days=rng.randrange(730)) if agreed else None,
            destination_kind="welfare_shelter" if direct else "designated",
            shelter_id=rng.choice(shelters) if direct else None,
            destination_name="" if direct else "市立小学校", route="自宅から北へ400m",
            mobility="車いす", care_planner_id=planners[index % len(planners)],
        ))  # fmt: skip
        if len(rows) == BATCH:
            made += EvacuationPlan.objects.bulk_create(rows)
            rows = []
    made += EvacuationPlan.objects.bulk_create(rows)
    return [p.pk for p in made]


def _supporters(tenant_id: int, plan_ids: list[int], rng) -> int:
    from sasaeai.disaster.models import PlanSupporter

    rows, count = [], 0
    for plan_id in plan_ids:
        for order in range(1, rng.choice((2, 3))):
            rows.append(PlanSupporter(tenant_id=tenant_id, plan_id=plan_id, name="近隣 一郎",
                                      phone="090-0000-0000", relation="隣人", order=order))  # fmt: skip
            count += 1
        if len(rows) >= BATCH:
            PlanSupporter.objects.bulk_create(rows)
            rows = []
    PlanSupporter.objects.bulk_create(rows)
    return count


def fill(tenant_id: int, size: str, *, planner_user_id: int, seed: int = 14) -> dict:
    """Bulk-inserts the register and plans of `size` into `tenant_id`."""
    from django.utils import timezone

    rng = random.Random(seed)
    n_entries, n_plans, n_planners = SIZES[size]
    today = timezone.localdate()
    areas = _areas(tenant_id)
    planners = _planners(tenant_id, n_planners, planner_user_id)
    entries = _entries(tenant_id, n_entries, areas, rng)
    shelters = _shelters(tenant_id)
    plan_ids = _plans(tenant_id, entries, n_plans, planners, shelters, rng, today)
    supporters = _supporters(tenant_id, plan_ids, rng)
    from sasaeai.disaster.models import EvacuationPlan

    own = EvacuationPlan.objects.filter(care_planner_id=planner_user_id).order_by("pk").first()
    return {"entries": len(entries), "plans": len(plan_ids), "supporters": supporters,
            "planners": n_planners, "own_plan": own.pk}  # fmt: skip


def analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def disaster_plan_benchmarks(
    tenant_id: int, size: str, staff, planner, get, repeat: int, *, planner_user_id: int
) -> list[tuple[str, float]]:
    """`staff` (municipal staff) and `planner` (the care planner `planner_user_id`) are signed-in
    clients of `tenant_id`. Fills, analyzes, times."""
    from django.utils import timezone

    from sasaeai.core.tenancy import tenant_context

    start = time.perf_counter()
    with tenant_context(tenant_id):
        made = fill(tenant_id, size, planner_user_id=planner_user_id)
    filled = time.perf_counter() - start
    start = time.perf_counter()
    analyze()
    print(
        f"disaster plans: {made['entries']:,} entries, {made['plans']:,} plans, "
        f"{made['supporters']:,} supporters, {made['planners']} care planners in {filled:.1f} s "
        f"(VACUUM ANALYZE {time.perf_counter() - start:.1f} s)",
        flush=True,
    )
    own = made["own_plan"]
    month = timezone.localdate().strftime("%Y-%m")
    label = f"{made['entries'] // 1000:,}k entries, {made['plans'] // 1000:,}k plans"
    mine = made["plans"] // made["planners"]
    return [
        (f"disaster: coverage per district, {label}", timed(get(staff, "/disaster/plans/coverage/"), repeat)),
        ("disaster: coverage CSV", timed(get(staff, "/disaster/plans/coverage.csv"), repeat)),
        ("disaster: staff plan list (GET /disaster/plans/)", timed(get(staff, "/disaster/plans/"), repeat)),
        (f"disaster: a care planner's home, {mine} plans (audited)", timed(get(planner, "/disaster/plans/"), repeat)),
        ("disaster: a plan's page (audited)", timed(get(planner, f"/disaster/plans/{own}/"), repeat)),
        ("disaster: the plan's one-page PDF", timed(get(planner, f"/disaster/plans/{own}/plan.pdf"), repeat)),
        ("disaster: per-plan fees of the month (staff)", timed(get(staff, f"/disaster/plans/fees/?month={month}"), repeat)),
    ]  # fmt: skip


def disaster_plan_clients(tenant):
    """`make bench`: signed-in municipal staff and care planner clients of `tenant`, and the
    care planner's user id."""
    from bench.volunteers import signed_in_client
    from sasaeai.accounts import services as account_services
    from sasaeai.accounts.models import Role
    from sasaeai.accounts.policy import Actor

    system = Actor(user_id=None, username="bench", tenant_id=None, membership_id=None, role=None)
    users = [
        account_services.member_create(
            actor=system,
            tenant=tenant,
            username=f"bench-{role}-{tenant.pk}",
            password="bench-password-9",
            role=role,
        ).user  # fmt: skip
        for role in (Role.MUNICIPAL_STAFF, Role.CARE_PLANNER)
    ]
    return signed_in_client(users[0]), signed_in_client(users[1]), users[1].pk


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=tuple(SIZES), default="town")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    setup_django(scratch_database("disaster_plans"))
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from sasaeai.core.models import Tenant

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(code="112097", name="桶川市", prefecture="埼玉県")
    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False):
        anonymous = Client()
        staff, planner, planner_user_id = disaster_plan_clients(tenant)

        def get(c, url, status=200):
            def request():
                response = c.get(url)
                assert response.status_code == status, (url, response.status_code)

            return request

        results = disaster_plan_benchmarks(
            tenant.pk, args.size, staff, planner, get, args.repeat,
            planner_user_id=planner_user_id,
        )  # fmt: skip
        baseline = timed(get(anonymous, "/bench/baseline/"), args.repeat * 3)
        comparison = timed(get(staff, "/jobs/"), args.repeat)
    print(f"database: {connection.vendor}, size: {args.size}")
    print(f"\n{'benchmark':72} {'median ms':>10} {'× baseline':>11}")
    print(f"{'baseline: minimal view reading one row':72} {baseline * 1000:10.2f} {1:11.2f}")
    rows = [("staff page for comparison: my jobs (GET /jobs/)", comparison)]
    for name, seconds in rows + results:
        print(f"{name:72} {seconds * 1000:10.2f} {seconds / baseline:11.2f}")


if __name__ == "__main__":
    main()
