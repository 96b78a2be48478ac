"""The watch module's pages at a given size (sasaeai.watch, issue 14), beside the minimal
one-row view, through the full middleware stack.

One tenant gets PEOPLE watched people and CONTACTS contacts (bulk-inserted, no audit):
districts of 500 people, each split into ten commissioner districts; a tenth of the people
ended; every active person with one main watcher (a neighbour, or the measured commissioner in
their commissioner district) and a last contact spread so that about one in eight is overdue;
contacts over the past year (one in ten 不在). PostgreSQL gets VACUUM ANALYZE after the fill.

Figures: the missed-contact list of one district and of the whole tenant (desk staff, audited
page of 30), a commissioner's round (/watch/: their district's people, overdue first, audited),
recording one contact from the phone page (POST, due dates kept, audited).

Usage: python -m bench.watch [--size town|city|prefecture] [--people N] [--contacts N]
       [--repeat 10]
`make bench` can call watch_benchmarks(tenant_id, size, desk, commissioner, get, post, repeat,
commissioner_user_id=…) with the clients from watch_client_pair(tenant); this entry point
uses a throw-away database of its own (SQLite file, or DATABASE_URL's server with a
`_watch_bench` suffix).
"""

import argparse
import datetime
import random
import time

from bench.run import scratch_database, setup_django, timed
from bench.volunteers import analyze, signed_in_client

# watched people, contacts a year. Prefecture: the 2 million visit records a year.
SIZES = {
    "town": (2_000, 25_000),
    "city": (15_000, 200_000),
    "prefecture": (150_000, 2_000_000),
}
SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤")
GIVEN = ("花子", "太郎", "恵子", "浩", "幸子", "誠", "洋子", "茂", "和子", "明")
PER_DISTRICT = 500
BATCH = 10_000


def _areas(tenant_id: int, people: int) -> tuple[list[int], dict[int, list[int]]]:
    from sasaeai.core.models import Area, AreaKind

    districts = Area.objects.bulk_create(
        [Area(tenant_id=tenant_id, kind=AreaKind.DISTRICT, code=f"W{i:04}", name=f"見守{i}地区")
         for i in range(max(1, people // PER_DISTRICT))]
    )  # fmt: skip
    children = Area.objects.bulk_create(
        [Area(tenant_id=tenant_id, kind=AreaKind.COMMISSIONER_DISTRICT, parent_id=d.pk,
              code=f"{d.code}-{n}", name=f"{d.name}第{n}区") for d in districts for n in range(10)]
    )  # fmt: skip
    by_parent: dict[int, list[int]] = {}
    for child in children:
        by_parent.setdefault(child.parent_id, []).append(child.pk)
    return [d.pk for d in districts], by_parent


def fill(tenant_id: int, people: int, contacts: int, *, commissioner_user_id: int, seed: int = 14):
    """Bulk-inserts the watch data into `tenant_id`; names the commissioner's district;
    returns the counts and what the figures need."""
    from django.utils import timezone

    from sasaeai.accounts.models import Membership
    from sasaeai.watch.models import Contact, WatchedPerson, Watcher

    rng = random.Random(seed)
    today = timezone.localdate()
    districts, children = _areas(tenant_id, people)
    own_area = children[districts[0]][0]
    membership = Membership.objects.get(tenant_id=tenant_id, user_id=commissioner_user_id)
    membership.areas.set([own_area])
    rows = []
    for i in range(people):
        district = districts[i % len(districts)]
        area = children[district][(i // len(districts)) % 10]
        every = rng.choice((3, 7, 7, 7, 14, 30))
        started = today - datetime.timedelta(days=rng.randrange(30, 2000))
        # About one in eight overdue: the last contact up to 1.15 frequencies ago.
        last = today - datetime.timedelta(days=int(rng.random() * every * 1.15))
        ended = rng.random() < 0.1
        rows.append(WatchedPerson(
            tenant_id=tenant_id, name=f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
            name_kana="みまもり", address=f"見守町{i}", area_id=area, reason="ひとり暮らし",
            frequency_days=every, started_on=started, last_contact_on=last,
            next_due_on=last + datetime.timedelta(days=every),
            status="ended" if ended else "active", ended_on=today if ended else None,
        ))  # fmt: skip
    person_ids = [p.pk for p in WatchedPerson.objects.bulk_create(rows, batch_size=BATCH)]
    area_of = {p.pk: p.area_id for p in rows}
    watchers = [
        Watcher(
            tenant_id=tenant_id,
            watched_id=pk,
            is_primary=True,
            kind="commissioner" if area_of[pk] == own_area else "neighbour",
            user_id=commissioner_user_id if area_of[pk] == own_area else None,
            name="" if area_of[pk] == own_area else "隣の人",
            since=today - datetime.timedelta(days=30),
        )  # fmt: skip
        for pk in person_ids
    ]
    Watcher.objects.bulk_create(watchers, batch_size=BATCH)
    batch = []
    for _n in range(contacts):
        pk = person_ids[rng.randrange(len(person_ids))]
        batch.append(Contact(
            tenant_id=tenant_id, watched_id=pk,
            occurred_on=today - datetime.timedelta(days=rng.randrange(365)),
            kind=rng.choice(("visit", "visit", "doorstep", "phone")),
            result="absent" if rng.random() < 0.1 else "ok",
            recorded_by_id=commissioner_user_id if area_of[pk] == own_area else None,
        ))  # fmt: skip
        if len(batch) == BATCH:
            Contact.objects.bulk_create(batch)
            batch = []
    Contact.objects.bulk_create(batch)
    own = [pk for pk in person_ids if area_of[pk] == own_area]
    active_own = WatchedPerson.objects.filter(pk__in=own, status="active").values_list(
        "pk", flat=True
    )
    return {"people": people, "contacts": contacts, "district": districts[0],
            "own_people": len(own), "person": active_own[0]}  # fmt: skip


def watch_benchmarks(tenant_id: int, size: str, desk, commissioner, get, post, repeat: int, *,
                     commissioner_user_id: int, people: int | None = None,
                     contacts: int | None = None) -> list[tuple[str, float]]:  # fmt: skip
    """`desk` (municipal staff) and `commissioner` are signed-in, verified clients of
    `tenant_id`; `get(client, url)` / `post(client, url, data, status)` return a callable that
    makes the request and checks its status. Fills, analyzes, times."""
    from django.utils import timezone

    from sasaeai.core.tenancy import tenant_context

    people = people or SIZES[size][0]
    contacts = contacts if contacts is not None else SIZES[size][1]
    start = time.perf_counter()
    with tenant_context(tenant_id):
        made = fill(tenant_id, people, contacts, commissioner_user_id=commissioner_user_id)
    filled = time.perf_counter() - start
    start = time.perf_counter()
    analyze()
    print(
        f"watch: {made['people']:,} people, {made['contacts']:,} contacts in {filled:.1f} s "
        f"(VACUUM ANALYZE {time.perf_counter() - start:.1f} s); the commissioner's district: "
        f"{made['own_people']} people",
        flush=True,
    )
    label = f"{people // 1000:,}k people, {contacts // 1000:,}k contacts"
    contact = {"result": "ok", "kind": "visit", "occurred_on": timezone.localdate().isoformat()}
    return [
        (f"watch: missed contacts, one district of {PER_DISTRICT} ({label})",
         timed(get(desk, f"/watch/missed/?area={made['district']}"), repeat)),
        ("watch: missed contacts, whole tenant (GET /watch/missed/)",
         timed(get(desk, "/watch/missed/"), repeat)),
        (f"watch: a commissioner's round, {made['own_people']} people (GET /watch/)",
         timed(get(commissioner, "/watch/"), repeat)),
        ("watch: record one contact from the phone (POST …/contact/)",
         timed(post(commissioner, f"/watch/people/{made['person']}/contact/", contact, 302), repeat)),
    ]  # fmt: skip


def make_members(tenant):
    """A municipal staff member and a welfare commissioner of `tenant`: their users."""
    from sasaeai.accounts import services as account_services
    from sasaeai.accounts.models import Role
    from sasaeai.accounts.policy import Actor

    system = Actor(user_id=None, username="bench", tenant_id=None, membership_id=None, role=None)
    return [
        account_services.member_create(
            actor=system,
            tenant=tenant,
            username=f"bench-watch-{role}-{tenant.pk}",
            password="bench-password-9",
            role=role,
        ).user  # fmt: skip
        for role in (Role.MUNICIPAL_STAFF, Role.WELFARE_COMMISSIONER)
    ]


def watch_client_pair(tenant):
    """`make bench`: signed-in desk and commissioner clients of `tenant`, and the
    commissioner's user id (their district is made by the fill)."""
    desk_user, commissioner_user = make_members(tenant)
    return signed_in_client(desk_user), signed_in_client(commissioner_user), commissioner_user.pk


def request_makers():
    def get(c, url, status=200):
        def request():
            response = c.get(url)
            assert response.status_code == status, (url, response.status_code)

        return request

    def post(c, url, data, status=200):
        def request():
            response = c.post(url, data)
            assert response.status_code == status, (url, response.status_code)

        return request

    return get, post


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=tuple(SIZES), default="town")
    parser.add_argument("--people", type=int)
    parser.add_argument("--contacts", type=int)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    setup_django(scratch_database("watch"))
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from sasaeai.core.models import Tenant

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(code="112097", name="桶川市", prefecture="埼玉県")
    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False):
        desk, commissioner, commissioner_user_id = watch_client_pair(tenant)
        get, post = request_makers()
        results = watch_benchmarks(
            tenant.pk, args.size, desk, commissioner, get, post, args.repeat,
            commissioner_user_id=commissioner_user_id, people=args.people, contacts=args.contacts,
        )  # fmt: skip
        baseline = timed(get(Client(), "/bench/baseline/"), args.repeat * 3)
    people = args.people or SIZES[args.size][0]
    print(f"database: {connection.vendor}, people: {people:,}")
    print(f"\n{'benchmark':72} {'median ms':>10} {'× baseline':>11}")
    print(f"{'baseline: minimal view reading one row':72} {baseline * 1000:10.2f} {1:11.2f}")
    for name, seconds in results:
        print(f"{name:72} {seconds * 1000:10.2f} {seconds / baseline:11.2f}")


if __name__ == "__main__":
    main()
