"""The volunteers module's pages at a given size (sasaeai.volunteers, issue 13), beside the
minimal one-row view, through the full middleware stack, signed in as a volunteer coordinator.

One tenant gets HELPERS / REQUESTS / REPORTS rows by size (bulk-inserted, no audit): helpers
with one or two skills, a registry membership (a tenth of them left) and this year's insurance
(97 %); requests over the past two years and the next month in realistic statuses (six in ten
completed); one accepted offer per request past coordination, an earlier declined one on three
in ten; activity reports on the accepted offers of active and completed requests over the past
year. PostgreSQL gets VACUUM ANALYZE after the fill (as autovacuum leaves a settled table).

Figures: the coordinator's home (the navigation entry /volunteers/ redirects to the request
list, measured there), helper search by name (kana) and by skill + district, the helper list's
last page, the request list filtered by status, one helper's detail (an audited read), a
volunteer's own page (/volunteers/my/, 100 offers), the statistics page and its Excel export.

Usage: python -m bench.volunteers [--size town|city|prefecture] [--repeat 10]
`make bench` runs the same figures (volunteer_benchmarks) on its own database, in the first
generated tenant; this entry point uses a throw-away database of its own (SQLite file, or
DATABASE_URL's server with a `_volunteers_bench` suffix).
"""

import argparse
import datetime
import math
import random
import time

from bench.run import scratch_database, setup_django, timed

# helpers, requests, activity reports. Prefecture: the figures for the largest
# council's register (200,000 people) and a few years of its requests.
SIZES = {
    "town": (5_000, 2_500, 12_500),
    "city": (40_000, 20_000, 100_000),
    "prefecture": (200_000, 100_000, 500_000),
}
SURNAMES = (("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし"), ("田中", "たなか"),
            ("伊藤", "いとう"), ("渡辺", "わたなべ"), ("山本", "やまもと"), ("中村", "なかむら"),
            ("小林", "こばやし"), ("加藤", "かとう"), ("吉田", "よしだ"), ("山田", "やまだ"),
            ("佐々木", "ささき"), ("山口", "やまぐち"), ("松本", "まつもと"), ("井上", "いのうえ"),
            ("木村", "きむら"), ("林", "はやし"), ("斎藤", "さいとう"), ("清水", "しみず"))  # fmt: skip
GIVEN = (("花子", "はなこ"), ("太郎", "たろう"), ("恵子", "けいこ"), ("浩", "ひろし"),
         ("幸子", "さちこ"), ("誠", "まこと"), ("洋子", "ようこ"), ("茂", "しげる"),
         ("和子", "かずこ"), ("明", "あきら"), ("由美", "ゆみ"), ("健一", "けんいち"),
         ("美智子", "みちこ"), ("博", "ひろし"), ("京子", "きょうこ"), ("隆", "たかし"),
         ("久美子", "くみこ"), ("勇", "いさむ"), ("節子", "せつこ"), ("進", "すすむ"))  # fmt: skip
SKILLS = (("transport", "移動支援"), ("housework", "家事"), ("listening", "傾聴"),
          ("shopping", "買い物"), ("meals", "配食"), ("sign", "手話"))  # fmt: skip
REGISTRIES = (("bank", "人材バンク"), ("supporter", "地域福祉サポーター"), ("fsc", "FSC 提供会員"))
STATUSES = ((0.60, "completed"), (0.10, "cancelled"), (0.10, "active"), (0.05, "matched"),
            (0.02, "briefing"), (0.05, "coordinating"), (0.08, "received"))  # fmt: skip
OWN_OFFERS = 100  # the measured volunteer's offers (every so many requests)


def _status(rng) -> str:
    roll = rng.random()
    for share, status in STATUSES:
        if roll < share:
            return status
        roll -= share
    return "received"


def fill(tenant_id: int, size: str, *, volunteer_user_id: int | None = None, seed: int = 13):
    """Bulk-inserts the volunteers data of `size` into `tenant_id`; returns the counts and
    what the figures need (a skill key, a district id, a helper id)."""
    from decimal import Decimal

    from django.utils import timezone

    from sasaeai.core.fiscal import fiscal_year_of
    from sasaeai.core.models import Area, AreaKind
    from sasaeai.volunteers.models import (
        ActivityReport,
        Helper,
        HelpRequest,
        Insurance,
        Offer,
        Registry,
        RegistryMembership,
        Skill,
    )

    rng = random.Random(seed)
    n_helpers, n_requests, n_reports = SIZES[size]
    batch = 5000
    now = timezone.now()
    today = timezone.localdate()
    districts = list(
        Area.objects.filter(tenant_id=tenant_id, kind=AreaKind.DISTRICT).values_list(
            "pk", flat=True
        )
    )
    if not districts:
        made = Area.objects.bulk_create(
            [Area(tenant_id=tenant_id, kind=AreaKind.DISTRICT, code=f"D{i:03}",
                  name=f"第{i}地区", search_text=f"だい{i}ちく") for i in range(1, 31)]
        )  # fmt: skip
        districts = [a.pk for a in made]
    skills = Skill.objects.bulk_create(
        [Skill(tenant_id=tenant_id, key=k, name=n) for k, n in SKILLS]
    )
    registries = Registry.objects.bulk_create(
        [Registry(tenant_id=tenant_id, key=k, name=n, order=i) for i, (k, n) in enumerate(REGISTRIES)]
    )  # fmt: skip

    helpers = []
    for i in range(n_helpers):
        (surname, s_kana), (given, g_kana) = rng.choice(SURNAMES), rng.choice(GIVEN)
        helpers.append(Helper(
            tenant_id=tenant_id, name=f"{surname} {given}", name_kana=f"{s_kana} {g_kana}",
            phone=f"048-{i // 10000:03}-{i % 10000:04}", area_id=rng.choice(districts),
            user_id=volunteer_user_id if i == 0 else None, consent_to_contact=True,
            is_active=rng.random() < 0.9, capacity=rng.choice((1, 1, 2)),
            registered_on=today - datetime.timedelta(days=rng.randrange(3650)),
        ))  # fmt: skip
    helpers = Helper.objects.bulk_create(helpers, batch_size=batch)
    helper_ids = [h.pk for h in helpers]
    through = Helper.skills.through
    through.objects.bulk_create(
        [through(helper_id=h, skill_id=s.pk) for h in helper_ids
         for s in rng.sample(skills, rng.choice((1, 1, 2)))],
        batch_size=batch,
    )  # fmt: skip
    fy = fiscal_year_of(today)
    RegistryMembership.objects.bulk_create(
        [RegistryMembership(
            tenant_id=tenant_id, helper_id=h, registry_id=rng.choice(registries).pk,
            joined_on=today - datetime.timedelta(days=rng.randrange(400, 3650)),
            left_on=today - datetime.timedelta(days=rng.randrange(1, 300)) if rng.random() < 0.1 else None,
        ) for h in helper_ids],
        batch_size=batch,
    )  # fmt: skip
    Insurance.objects.bulk_create(
        [Insurance(tenant_id=tenant_id, helper_id=h, fiscal_year=fy, plan="basic",
                   enrolled_on=datetime.date(fy, 4, 1))
         for h in helper_ids if rng.random() < 0.97],
        batch_size=batch,
    )  # fmt: skip

    requests = []
    for i in range(n_requests):
        # Past two years to next month, in order of creation.
        starts = now + datetime.timedelta(hours=(i - n_requests * 24 / 25) * 17_520 / n_requests)
        status = (
            _status(rng) if starts < now else rng.choice(("received", "coordinating", "matched"))
        )
        requests.append(HelpRequest(
            tenant_id=tenant_id, title=rng.choice(SKILLS)[1] + "の手伝い", source="staff",
            requester_name=f"{rng.choice(SURNAMES)[0]} {rng.choice(GIVEN)[0]}",
            area_id=rng.choice(districts), starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=2), status=status,
            is_fsc=rng.random() < 0.15,
        ))  # fmt: skip
    requests = HelpRequest.objects.bulk_create(requests, batch_size=batch)
    through = HelpRequest.skills.through
    through.objects.bulk_create(
        [through(helprequest_id=r.pk, skill_id=rng.choice(skills).pk)
         for r in requests if rng.random() < 0.2],
        batch_size=batch,
    )  # fmt: skip

    offers = []
    own_every = max(1, n_requests // OWN_OFFERS)
    for n, r in enumerate(requests):
        if r.status in ("received", "coordinating"):
            continue
        helper = helper_ids[0] if n % own_every == 0 else rng.choice(helper_ids[1:])
        if rng.random() < 0.3:
            other = rng.choice(helper_ids[1:])
            offers.append(Offer(tenant_id=tenant_id, request_id=r.pk, helper_id=other,
                                status="declined", starts_at=r.starts_at, ends_at=r.ends_at,
                                responded_at=r.starts_at))  # fmt: skip
        offers.append(Offer(
            tenant_id=tenant_id, request_id=r.pk, helper_id=helper,
            status="withdrawn" if r.status == "cancelled" else "accepted",
            starts_at=r.starts_at, ends_at=r.ends_at, responded_at=r.starts_at,
        ))  # fmt: skip
    offers = Offer.objects.bulk_create(offers, batch_size=batch)
    status_of = {r.pk: r.status for r in requests}
    reportable = [o for o in offers if o.status == "accepted"
                  and status_of[o.request_id] in ("active", "completed")]  # fmt: skip
    reports = []
    per_offer = n_reports / max(1, len(reportable))
    for n in range(n_reports):
        offer = reportable[min(len(reportable) - 1, int(n / per_offer))]
        day = min(
            today, offer.starts_at.date() + datetime.timedelta(days=7 * (n % math.ceil(per_offer)))
        )
        reports.append(ActivityReport(
            tenant_id=tenant_id, offer_id=offer.pk, day=day,
            hours=Decimal(rng.choice(("1.00", "1.50", "2.00", "3.00"))),
            status="signed_off" if rng.random() < 0.9 else "submitted", submitted_at=now,
        ))  # fmt: skip
        if len(reports) == batch:
            ActivityReport.objects.bulk_create(reports)
            reports = []
    ActivityReport.objects.bulk_create(reports)
    return {
        "helpers": len(helper_ids), "requests": len(requests), "offers": len(offers),
        "reports": n_reports, "skill": skills[3].pk, "district": districts[0],
        "helper": helper_ids[len(helper_ids) // 2],
    }  # fmt: skip


def analyze() -> None:
    from django.db import connection

    # VACUUM too: after a bulk load the visibility map is empty and index-only scans read the
    # heap; autovacuum sets it on a settled table, which is what the figures describe.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def volunteer_benchmarks(tenant_id: int, size: str, coordinator, volunteer, get, repeat: int,
                         *, volunteer_user_id: int | None = None) -> list[tuple[str, float]]:  # fmt: skip
    """`coordinator` and `volunteer` are signed-in (verified) clients in `tenant_id`; the
    volunteer's user (`volunteer_user_id`) becomes the first helper. Fills, analyzes, times."""
    from sasaeai.core.fiscal import fiscal_year_of
    from sasaeai.core.tenancy import tenant_context

    start = time.perf_counter()
    with tenant_context(tenant_id):
        made = fill(tenant_id, size, volunteer_user_id=volunteer_user_id)
    filled = time.perf_counter() - start
    start = time.perf_counter()
    analyze()
    print(
        f"volunteers: {made['helpers']:,} helpers, {made['requests']:,} requests, "
        f"{made['offers']:,} offers, {made['reports']:,} reports in {filled:.1f} s "
        f"(VACUUM ANALYZE {time.perf_counter() - start:.1f} s)",
        flush=True,
    )
    from django.utils import timezone

    last_page = math.ceil(made["helpers"] / 30)
    fy = fiscal_year_of(timezone.localdate())
    label = f"{made['helpers'] // 1000:,}k helpers"
    rlabel = f"{made['requests'] // 1000:,}k requests"
    home = coordinator.get("/volunteers/")
    assert home.status_code == 302 and home["Location"].endswith("/volunteers/requests/")
    return [
        (f"volunteers: coordinator's home, {rlabel} (GET /volunteers/requests/)", timed(get(coordinator, "/volunteers/requests/"), repeat)),
        ("volunteers: request list by status (?status=coordinating)", timed(get(coordinator, "/volunteers/requests/?status=coordinating"), repeat)),
        (f"volunteers: helper list, {label} (GET /volunteers/helpers/)", timed(get(coordinator, "/volunteers/helpers/"), repeat)),
        ("volunteers: helper search by name, kana (?q=やまだ)", timed(get(coordinator, "/volunteers/helpers/?q=やまだ"), repeat)),
        ("volunteers: helper search by full name, kana (?q=やまだ はなこ)", timed(get(coordinator, "/volunteers/helpers/?q=やまだ%20はなこ"), repeat)),
        ("volunteers: helper search by skill + district", timed(get(coordinator, f"/volunteers/helpers/?skill={made['skill']}&area={made['district']}"), repeat)),
        (f"volunteers: helper list, last page (page {last_page:,})", timed(get(coordinator, f"/volunteers/helpers/?page={last_page}"), repeat)),
        ("volunteers: helper detail, audited (GET /volunteers/helpers/N/)", timed(get(coordinator, f"/volunteers/helpers/{made['helper']}/"), repeat)),
        (f"volunteers: a volunteer's own page, {OWN_OFFERS} offers (GET /volunteers/my/)", timed(get(volunteer, "/volunteers/my/"), repeat)),
        (f"volunteers: statistics, {made['reports'] // 1000:,}k reports (GET /volunteers/statistics/)", timed(get(coordinator, f"/volunteers/statistics/?fy={fy}"), repeat)),
        ("volunteers: statistics export (Excel)", timed(get(coordinator, f"/volunteers/statistics/export.xlsx?fy={fy}"), repeat)),
    ]  # fmt: skip


def signed_in_client(user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def make_members(tenant):
    """A volunteer coordinator and a volunteer in `tenant`: their users."""
    from sasaeai.accounts import services as account_services
    from sasaeai.accounts.models import Role
    from sasaeai.accounts.policy import Actor

    system = Actor(user_id=None, username="bench", tenant_id=None, membership_id=None, role=None)
    return [
        account_services.member_create(
            actor=system,
            tenant=tenant,
            username=f"bench-{role}-{tenant.pk}",
            password="bench-password-9",
            role=role,
        ).user  # fmt: skip
        for role in (Role.VOLUNTEER_COORDINATOR, Role.VOLUNTEER)
    ]


def volunteer_client_pair(tenant):
    """`make bench`: a signed-in coordinator and volunteer of `tenant`, and the volunteer's
    user id (the first helper's login)."""
    coordinator_user, volunteer_user = make_members(tenant)
    return signed_in_client(coordinator_user), signed_in_client(volunteer_user), volunteer_user.pk


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=tuple(SIZES), default="town")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)

    setup_django(scratch_database("volunteers"))

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from sasaeai.core.models import Tenant

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(code="112097", name="桶川市", prefecture="埼玉県")
    coordinator_user, volunteer_user = make_members(tenant)
    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False):
        anonymous = Client()
        coordinator = signed_in_client(coordinator_user)
        volunteer = signed_in_client(volunteer_user)

        def get(c, url, status=200):
            def request():
                response = c.get(url)
                assert response.status_code == status, (url, response.status_code)

            return request

        results = volunteer_benchmarks(
            tenant.pk, args.size, coordinator, volunteer, get, args.repeat,
            volunteer_user_id=volunteer_user.pk,
        )  # fmt: skip
        baseline = timed(get(anonymous, "/bench/baseline/"), args.repeat * 3)
        staff = timed(get(coordinator, "/jobs/"), args.repeat)
    print(f"database: {connection.vendor}, size: {args.size}")
    print(f"\n{'benchmark':72} {'median ms':>10} {'× baseline':>11}")
    print(f"{'baseline: minimal view reading one row':72} {baseline * 1000:10.2f} {1:11.2f}")
    rows = [("staff page for comparison: my jobs (GET /jobs/)", staff)]
    for name, seconds in rows + results:
        print(f"{name:72} {seconds * 1000:10.2f} {seconds / baseline:11.2f}")


if __name__ == "__main__":
    main()
