"""The 避難行動要支援者名簿 at a given size (sasaeai.disaster, issue 14), beside the minimal
one-row view, through the full middleware stack.

One tenant gets ENTRIES register entries (bulk-inserted, no audit) over 30 districts with
mixed consent (45 % given, 15 % asked, 10 % refused, the rest not asked); a welfare
commissioner for the first district; a 自主防災組織 covering the first three districts, with an
evacuation support member named on it. PostgreSQL gets VACUUM ANALYZE after the fill.

Figures: the import check of a ROWS-row 住基 extract (CP932; validate + difference: 70 %
unchanged, 20 % new address, 7 % 転出, 3 % 死亡) and its apply, the city's register list and a
search, a commissioner's register page, a recipient's register page, the organisation's page
(counts per area) and the API list.

Usage: python -m bench.disaster_register [--size town|city|prefecture] [--repeat 5]
`register_benchmarks` runs the same figures for `make bench` in a tenant of its own.
"""

import argparse
import datetime
import random
import time

from bench.run import scratch_database, setup_django, timed

SIZES = {"town": (5_000, 1_000), "city": (40_000, 5_000), "prefecture": (250_000, 20_000)}
SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤")
KANA = ("さとう", "すずき", "たかはし", "たなか", "いとう", "わたなべ", "やまもと", "なかむら",
        "こばやし", "かとう")  # fmt: skip
GIVEN = (
    ("トメ", "とめ"),
    ("キヨ", "きよ"),
    ("正一", "しょういち"),
    ("ハナ", "はな"),
    ("茂", "しげる"),
)
CONSENT = ((0.45, "given"), (0.15, "asked"), (0.10, "refused"), (1.0, "not_asked"))


def _consent(rng) -> str:
    roll = rng.random()
    for share, status in CONSENT:
        if roll < share:
            return status
        roll -= share
    return "not_asked"


def fill(tenant_id: int, size: str, seed: int = 14) -> dict:
    from django.utils import timezone

    from sasaeai.core.models import Area, AreaKind
    from sasaeai.disaster.models import RegisterEntry

    rng = random.Random(seed)
    n_entries, _rows = SIZES[size]
    today = timezone.localdate()
    districts = list(Area.objects.bulk_create(
        [Area(tenant_id=tenant_id, kind=AreaKind.DISTRICT, code=f"R{i:03}", name=f"第{i}地区",
              search_text=f"だい{i}ちく") for i in range(1, 31)]
    ))  # fmt: skip
    batch = []
    for i in range(n_entries):
        s = rng.randrange(len(SURNAMES))
        given, g_kana = rng.choice(GIVEN)
        district = rng.choice(districts)
        status = _consent(rng)
        batch.append(RegisterEntry(
            tenant_id=tenant_id, resident_key=f"R{i:07d}", name=f"{SURNAMES[s]} {given}",
            name_kana=f"{KANA[s]} {g_kana}", birth_date=datetime.date(1930 + i % 20, 1, 1),
            sex="女", address=f"桶川市第{district.name[1:-2]}{1 + i % 9}-{i % 50}",
            area_id=district.pk, phone=f"048-{i // 10000:03}-{i % 10000:04}",
            reasons=["care_level"], sources=["care"], listed_on=today, consent_status=status,
            consent_changed_on=today - datetime.timedelta(days=60) if status != "not_asked" else None,
        ))  # fmt: skip
        if len(batch) == 5000:
            RegisterEntry.objects.bulk_create(batch)
            batch = []
    RegisterEntry.objects.bulk_create(batch)
    return {"entries": n_entries, "districts": [d.pk for d in districts]}


def extract(size: str, seed: int = 15) -> bytes:
    """A 住基 extract of ROWS listed people: unchanged, moved within the city, out, died."""
    from sasaeai.core.csvio import write_csv

    rng = random.Random(seed)
    n_entries, n_rows = SIZES[size]
    keys = rng.sample(range(n_entries), n_rows)
    rows = []
    for n, i in enumerate(keys):
        roll = n % 100
        move, address = "", None
        if roll < 20:
            move, address = "転居", f"桶川市第{1 + rng.randrange(30)}1-1"
        elif roll < 27:
            move = "転出"
        elif roll < 30:
            move = "死亡"
        rows.append([f"R{i:07d}", "", address or "", "", move, "2026-04-01" if move else "", ""])
    return write_csv(["宛名番号", "氏名", "住所", "電話番号", "異動事由", "異動日", "備考"],
                     rows, encoding="cp932")  # fmt: skip


def _fill_names(data: bytes, tenant_id: int) -> bytes:
    """氏名 and 住所 are required: copy them from the register where the row keeps them."""
    from sasaeai.core.csvio import read_csv, write_csv
    from sasaeai.disaster.models import RegisterEntry

    rows, _encoding = read_csv(data)
    keys = [r["宛名番号"] for r in rows]
    stored = {}
    for start in range(0, len(keys), 5000):
        stored.update({
            k: (n, a) for k, n, a in RegisterEntry.objects.filter(
                tenant_id=tenant_id, resident_key__in=keys[start : start + 5000]
            ).values_list("resident_key", "name", "address")
        })  # fmt: skip
    out = []
    for r in rows:
        name, address = stored[r["宛名番号"]]
        out.append([r["宛名番号"], name, r["住所"] or address, "", r["異動事由"], r["異動日"], ""])
    return write_csv(["宛名番号", "氏名", "住所", "電話番号", "異動事由", "異動日", "備考"],
                     out, encoding="cp932")  # fmt: skip


def make_members(tenant, districts):
    from sasaeai.accounts import services as account_services
    from sasaeai.accounts.models import Role
    from sasaeai.accounts.policy import Actor

    system = Actor(user_id=None, username="bench", tenant_id=None, membership_id=None, role=None)
    users = {}
    for role in (Role.MUNICIPAL_STAFF, Role.WELFARE_COMMISSIONER, Role.EVACUATION_HELPER):
        membership = account_services.member_create(
            actor=system, tenant=tenant, username=f"bench-reg-{role}-{tenant.pk}",
            password="bench-password-9", role=role,
        )  # fmt: skip
        if role == Role.WELFARE_COMMISSIONER:
            account_services.membership_set_areas(
                actor=system, membership=membership, area_ids=[districts[0]]
            )
        users[role] = membership.user
    return users


def register_benchmarks(tenant, size: str, get, repeat: int, signed_in_client) -> list:
    """Fill, analyze and time the figures in `tenant`; `signed_in_client(user)` gives a
    verified client (bench.volunteers.signed_in_client)."""
    from sasaeai.accounts.models import Role
    from sasaeai.accounts.policy import Actor
    from sasaeai.core.tenancy import tenant_context
    from sasaeai.disaster import services

    start = time.perf_counter()
    with tenant_context(tenant.pk):
        made = fill(tenant.pk, size)
    filled = time.perf_counter() - start
    from bench.volunteers import analyze

    analyze()
    users = make_members(tenant, made["districts"])
    # The system acts (no user), as the demo loader does: the audit chain checks a named user
    # against the session's, and a bench has no request.
    city = Actor(user_id=None, username="bench", tenant_id=tenant.pk,
                 membership_id=None, role=Role.MUNICIPAL_STAFF, otp_verified=True)  # fmt: skip
    with tenant_context(tenant.pk):
        organisation = services.organisation_save(
            actor=city, name="自主防災会", kind="disaster_organisation",
            area_ids=made["districts"][:3], agreement_on=datetime.date(2025, 4, 1),
        )  # fmt: skip
        services.member_add(actor=city, organisation=organisation,
                            user_id=users[Role.EVACUATION_HELPER].pk, duty="custodian")  # fmt: skip
        data = _fill_names(extract(size), tenant.pk)
    print(f"disaster: {made['entries']:,} entries in {filled:.1f} s", flush=True)
    staff = signed_in_client(users[Role.MUNICIPAL_STAFF])
    commissioner = signed_in_client(users[Role.WELFARE_COMMISSIONER])
    helper = signed_in_client(users[Role.EVACUATION_HELPER])
    records = []

    def check():
        with tenant_context(tenant.pk):
            checked, record = services.register_import_preview(
                actor=city, kind="residents", file_name="jyuki.csv", data=data
            )
        assert record is not None, checked.errors[:3]
        records.append(record)

    rows = SIZES[size][1]
    results = [(f"disaster: import check of a {rows:,}-row 住基 extract (validate + diff)",
                timed(check, max(1, repeat // 2)))]  # fmt: skip
    start = time.perf_counter()
    with tenant_context(tenant.pk):
        services.register_import_apply(actor=city, register_import=records[-1])
    results.append((f"disaster: apply that difference ({rows * 30 // 100:,} changes, once)",
                    time.perf_counter() - start))  # fmt: skip
    label = f"{made['entries'] // 1000:,}k entries"
    results += [
        (f"disaster: city's register list, {label} (GET /disaster/register/)", timed(get(staff, "/disaster/register/"), repeat)),
        ("disaster: register search by kana (?q=たなか)", timed(get(staff, "/disaster/register/?q=たなか"), repeat)),
        ("disaster: commissioner's register page (one district, consented)", timed(get(commissioner, "/disaster/register/"), repeat)),
        ("disaster: recipient's register page (3 districts, shareable)", timed(get(helper, "/disaster/register/"), repeat)),
        ("disaster: organisation page, counts per area", timed(get(staff, f"/disaster/recipients/{organisation.pk}/"), repeat)),
        ("disaster: API register list as the recipient (limit 100)", timed(get(helper, "/api/v1/disaster/register?limit=100"), repeat)),
    ]  # fmt: skip
    return results


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=tuple(SIZES), default="town")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    setup_django(scratch_database("disaster_register"))

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from bench.volunteers import signed_in_client
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

        results = register_benchmarks(tenant, args.size, get, args.repeat, signed_in_client)
        baseline = timed(get(anonymous, "/bench/baseline/"), args.repeat * 3)
    print(f"database: {connection.vendor}, size: {args.size}")
    print(f"\n{'benchmark':78} {'median ms':>10} {'× baseline':>11}")
    print(f"{'baseline: minimal view reading one row':78} {baseline * 1000:10.2f} {1:11.2f}")
    for name, seconds in results:
        print(f"{name:78} {seconds * 1000:10.2f} {seconds / baseline:11.2f}")


if __name__ == "__main__":
    main()
