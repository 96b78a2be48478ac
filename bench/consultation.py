"""Consultation records at the size's scale, and the consultation benchmarks.

At `--size prefecture` (generate.SIZES): 1,000,000 persons, 2,000,000 cases and 20,000,000 support-record
entries over the 63 tenants, with one lead worker per case (20 desk users per tenant share
them), the persons on each case, the consultation each case came from, status changes,
a task for one case in ten and the confidential cases' access grants. Town is one tenant
with 1/63 of that, city one tenant of 340,000 residents scaled by population.

Rows go in through raw SQL: executemany over generated tuples on SQLite (streamed, never
held in memory), COPY on PostgreSQL. The ORM would take hours at this size.

Benchmarks, as a signed-in, 2FA-verified community social worker with cases of their own:
finding a person by a kana prefix (page, selector) and the duplicate search, opening a
case page, the worker's home page of cases and due tasks, and the intake of a 100,000-row
CSV through consultation.importer.
"""

import contextlib
import datetime
import json
import random
import time
from collections.abc import Iterable, Iterator
from urllib.parse import urlencode

from django.db import connection, models
from django.utils import timezone

from sasaeai.accounts.models import Membership, Role
from sasaeai.consultation import models as m
from sasaeai.consultation.services import concern_tags_ensure
from sasaeai.core.models import Area, AreaKind, Tenant
from sasaeai.core.tenancy import all_tenants, tenant_context
from sasaeai.core.text import katakana_to_hiragana

WORKERS_PER_TENANT = 20
QUEUE_PER_TENANT = 30  # consultations received and not yet taken in
IMPORT_ROWS = 100_000
DESK_ORDER = (Role.COMMUNITY_SOCIAL_WORKER, Role.WELFARE_COUNCIL_STAFF, Role.MUNICIPAL_STAFF)

# Kana names from a small syllable table: a 3-syllable family name and a 2-syllable given
# name. Three in ten persons carry one of the 20 commonest family names (as 佐藤 or 鈴木
# do), so a 3-kana prefix finds hundreds in a tenant, as a real search for ヤマダ would.
SYLLABLES = "アイウカキクサシスタチツナニハマヤラワオ"
COMMON_FAMILY = 20
FAMILY_KANJI = "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水".split()
GIVEN_KANJI = "太郎 花子 一郎 和子 健 幸子 誠 節子 博 洋子 進 恵子 茂 京子 清 久美子".split()
SUMMARIES = (
    "電話で近況を確認した。", "自宅を訪問し、本人と面談した。", "窓口で家族から相談を受けた。",
    "関係機関と支援方針を協議した。", "通院に同行した。", "支援経過を記録した。",
)  # fmt: skip
KINDS = ("phone", "visit", "interview", "meeting", "accompany", "record")
CONTACT = {kind for kind in KINDS if kind in m.CONTACT_KINDS}
OPEN_STATUSES = ("intake", "assessment", "planning", "support", "monitoring")
URGENCIES = ("emergency",) + ("high",) * 3 + ("normal",) * 14 + ("low",) * 2


def volumes(size) -> tuple[int, int, int]:
    """(persons, cases, support-record entries) in all: two cases a person, ten entries a case."""
    return size.consultation_persons, size.consultation_persons * 2, size.consultation_persons * 20


# ---- writing rows -------------------------------------------------------------------------


class Writer:
    """Raw bulk inserts with explicit ids; every column the generator leaves out gets the
    model field's default, so a column added later does not break the benchmark."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}
        self.next_ids: dict[str, int] = {}

    def next_id(self, model: type[models.Model]) -> int:
        table = model._meta.db_table
        if table not in self.next_ids:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608
                self.next_ids[table] = cursor.fetchone()[0]
        return self.next_ids[table]

    def timestamp(self, epoch: float) -> str:
        text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))
        return text + "+00" if self.postgres else text

    def insert(
        self, model: type[models.Model], columns: tuple[str, ...], rows: Iterable[tuple]
    ) -> int:
        table = model._meta.db_table
        given = set(columns)
        fields = [
            f for f in model._meta.concrete_fields if f.column not in given and not f.primary_key
        ]
        extra_columns = tuple(f.column for f in fields)
        extra = tuple(self._constant(f) for f in fields)
        all_columns = ("id", *columns, *extra_columns)
        start = self.next_id(model)
        counter = [0]

        def with_ids() -> Iterator[tuple]:
            for row in rows:
                yield (start + counter[0], *row, *extra)
                counter[0] += 1

        raw = connection.connection
        names = ", ".join(all_columns)
        if self.postgres:
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in with_ids():
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(all_columns))
            raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", with_ids())  # noqa: S608
        self.next_ids[table] = start + counter[0]
        self.counts[table] = self.counts.get(table, 0) + counter[0]
        return start

    def _constant(self, field: models.Field):
        if field.null and not field.has_default():
            return None
        value = field.get_default()
        if isinstance(field, models.JSONField):
            return json.dumps(value)
        if isinstance(value, bool):
            return int(value)
        if value is None:
            raise ValueError(f"{field.model.__name__}.{field.name} needs a value in the generator")
        return value

    def finish(self) -> None:
        if self.postgres:
            with connection.cursor() as cursor:
                for table in self.counts:
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}"  # noqa: S608
                    )


@contextlib.contextmanager
def bulk_loading() -> Iterator[None]:
    """A throw-away database needs no durability while it is filled: SQLite skips fsync and
    journal and gets a large page cache; the normal settings come back for the benchmarks."""
    if connection.vendor != "sqlite":
        with all_tenants():
            yield
        return
    with connection.cursor() as cursor:
        saved = {
            name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("synchronous", "journal_mode", "cache_size")
        }
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA journal_mode = OFF")
        cursor.execute("PRAGMA cache_size = -2000000")  # 2 GB
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in saved.items():
                cursor.execute(f"PRAGMA {name} = {value}")


# ---- generating ---------------------------------------------------------------------------


class Clock:
    """Days and times relative to today, formatted once per day."""

    def __init__(self, writer: Writer):
        self.writer = writer
        self.today = timezone.localdate()
        midnight = datetime.datetime.combine(
            self.today, datetime.time(), timezone.get_current_timezone()
        )
        self.midnight = midnight.timestamp()
        self.now = time.time()

    def day(self, days_ago: int) -> str:
        return (self.today - datetime.timedelta(days=days_ago)).isoformat()

    def epoch(self, days_ago: float) -> float:
        return self.midnight - days_ago * 86400

    def at(self, epoch: float) -> str:
        return self.writer.timestamp(min(epoch, self.now - 60))


def _person_names(i: int, rng: random.Random) -> tuple[str, str, str]:
    """(name, name_kana in katakana, kana_key) for the i-th person of a tenant."""
    n = len(SYLLABLES)
    family = rng.randrange(COMMON_FAMILY) if rng.random() < 0.3 else rng.randrange(n**3)
    family_kana = (
        SYLLABLES[family % n] + SYLLABLES[family // n % n] + SYLLABLES[family // n // n % n]
    )
    given_kana = SYLLABLES[i % n] + SYLLABLES[i // n % n]
    name = FAMILY_KANJI[family % len(FAMILY_KANJI)] + GIVEN_KANJI[i % len(GIVEN_KANJI)]
    kana = f"{family_kana}　{given_kana}"
    return name, kana, katakana_to_hiragana(family_kana + given_kana)


def _persons(
    writer: Writer, clock: Clock, tenant_id: int, t: int, count: int, area_ids: list[int], rng
) -> int:
    created = clock.at(clock.epoch(400))

    def rows():
        for i in range(count):
            name, kana, key = _person_names(i, rng)
            birth = datetime.date(1925 + i % 80, 1 + i % 12, 1 + i % 28).isoformat()
            address = f"埼玉県見本市{t}町{i % 97}{i % 13 + 1}-{i % 29 + 1}"
            phone = f"048-{i % 1000:03d}-{i % 10000:04d}"
            digits = phone.replace("-", "")
            # What services.refresh_person_search computes (checked in check_person_rows).
            search = f"{name}{key}{address}{birth} {digits}"
            yield (tenant_id, name, kana, birth, ("female", "male")[i % 2], address,
                   area_ids[i % len(area_ids)], phone, search, key, digits, created, created)  # fmt: skip

    return writer.insert(m.Person, ("tenant_id", "name", "name_kana", "birth_date", "sex", "address", "area_id",
                                    "phone", "search_text", "kana_key", "phone_digits", "created_at",
                                    "updated_at"), rows())  # fmt: skip


class CasePlan:
    """Everything about one generated case that other tables derive from it."""

    __slots__ = ("k", "worker", "status", "opened_ago", "closed_ago", "urgency", "confidential",
                 "outreach", "activities", "last_contact", "concern")  # fmt: skip

    def __init__(self, k: int, rng: random.Random, workers: int, concerns: int):
        self.k = k
        self.worker = rng.randrange(workers)
        is_open = rng.random() < 0.2
        self.status = OPEN_STATUSES[rng.randrange(5)] if is_open else "closed"
        self.opened_ago = 1 + rng.randrange(730) if is_open else 60 + rng.randrange(1765)
        self.closed_ago = None if is_open else self.opened_ago * rng.randrange(1, 8) // 8
        self.urgency = URGENCIES[rng.randrange(len(URGENCIES))]
        self.confidential = rng.random() < 0.01
        self.outreach = rng.random() < 0.1
        self.activities = 1 + (k * 7) % 19  # 1 to 19, ten on average
        self.concern = rng.randrange(concerns)
        self.last_contact = None

    def activity_days_ago(self, j: int) -> float:
        """Spread from the opening to the closing, or for open cases to up to 90 days ago."""
        end = (
            self.closed_ago
            if self.closed_ago is not None
            else min(self.opened_ago, (self.k * 13) % 90)
        )
        return self.opened_ago - (self.opened_ago - end) * (j + 0.5) / self.activities

    def kind(self, j: int) -> str:
        return KINDS[(self.k + j) % len(KINDS)]


def _cases(writer, clock, tenant_id: int, plans: list[CasePlan], concern_names: list[str]) -> int:
    def rows():
        for p in plans:
            contacts = [j for j in range(p.activities) if p.kind(j) in CONTACT]
            p.last_contact = (
                clock.at(clock.epoch(p.activity_days_ago(contacts[-1]) - 0.4)) if contacts else None
            )
            opened = clock.at(clock.epoch(p.opened_ago - 0.4))
            review = clock.day(-((p.k % 60) - 10)) if p.closed_ago is None else None
            yield (tenant_id, f"{concern_names[p.concern]}の相談 #{p.k}", p.status, p.urgency, int(p.outreach),
                   int(p.confidential), clock.day(p.opened_ago),
                   None if p.closed_ago is None else clock.day(p.closed_ago),
                   "" if p.closed_ago is None else "支援終結", review, p.last_contact, opened, opened)  # fmt: skip

    return writer.insert(m.Case, ("tenant_id", "title", "status", "urgency", "is_outreach", "is_confidential",
                                  "opened_on", "closed_on", "close_reason", "next_review_on", "last_contact_at",
                                  "created_at", "updated_at"), rows())  # fmt: skip


def _case_children(
    writer, clock, tenant_id, plans, case_base, person_base, persons, workers, concern_ids
):
    """Persons, team, consultation, status history, access grants, concerns, tasks."""
    user = [w[0] for w in workers]
    role = [w[1] for w in workers]

    def person_links():
        for p in plans:
            yield (tenant_id, case_base + p.k, person_base + p.k % persons, "primary")
            member = (p.k * 7 + 1) % persons
            if p.k % 4 == 0 and member != p.k % persons:
                yield (tenant_id, case_base + p.k, person_base + member, "member")

    writer.insert(m.CasePerson, ("tenant_id", "case_id", "person_id", "role"), person_links())
    writer.insert(m.CaseAssignment, ("tenant_id", "case_id", "user_id", "role", "started_at", "assigned_by_id"), (
        (tenant_id, case_base + p.k, user[p.worker], "lead", clock.at(clock.epoch(p.opened_ago - 0.4)), user[p.worker])
        for p in plans
    ))  # fmt: skip
    writer.insert(m.CaseAccessGrant, ("tenant_id", "case_id", "user_id", "granted_by_id", "granted_at"), (
        (tenant_id, case_base + p.k, user[p.worker], user[p.worker], clock.at(clock.epoch(p.opened_ago - 0.4)))
        for p in plans if p.confidential
    ))  # fmt: skip

    def changes():
        for p in plans:
            yield (
                tenant_id,
                case_base + p.k,
                "",
                "intake",
                clock.at(clock.epoch(p.opened_ago - 0.4)),
                user[p.worker],
                "",
            )
            if p.closed_ago is not None:
                yield (tenant_id, case_base + p.k, "support", "closed", clock.at(clock.epoch(p.closed_ago - 0.6)),
                       user[p.worker], "支援終結")  # fmt: skip

    writer.insert(m.CaseStatusChange, ("tenant_id", "case_id", "from_status", "to_status", "changed_at",
                                       "changed_by_id", "note"), changes())  # fmt: skip
    through = m.Case.concerns.through
    writer.insert(
        through,
        ("case_id", "concerntag_id"),
        ((case_base + p.k, concern_ids[p.concern]) for p in plans),
    )
    writer.insert(m.Consultation, ("tenant_id", "received_at", "channel", "description", "person_id", "case_id",
                                   "received_by_id", "received_by_role", "status", "acknowledged_at",
                                   "is_confidential", "created_at"), (
        (tenant_id, clock.at(clock.epoch(p.opened_ago - 0.3)), ("counter", "phone", "visit")[p.k % 3],
         "生活のことで相談したい。", person_base + p.k % persons, case_base + p.k, user[p.worker], role[p.worker],
         "taken_in", clock.at(clock.epoch(p.opened_ago - 0.4)), int(p.confidential),
         clock.at(clock.epoch(p.opened_ago - 0.3)))
        for p in plans
    ))  # fmt: skip

    def tasks():
        for p in plans:
            if p.k % 10:
                continue
            w = user[p.worker]
            created = clock.at(clock.epoch(p.opened_ago - 0.5))
            if p.closed_ago is None:
                yield (tenant_id, case_base + p.k, "関係機関に連絡する", w, clock.day(-((p.k // 10) % 41 - 20)),
                       "open", None, None, w, created)  # fmt: skip
            else:
                done = clock.at(clock.epoch(p.closed_ago))
                yield (
                    tenant_id,
                    case_base + p.k,
                    "関係機関に連絡する",
                    w,
                    clock.day(p.closed_ago),
                    "done",
                    done,
                    w,
                    w,
                    created,
                )

    writer.insert(m.Task, ("tenant_id", "case_id", "title", "assignee_id", "due_on", "status", "done_at",
                           "done_by_id", "created_by_id", "created_at"), tasks())  # fmt: skip


def _activities(writer, clock, tenant_id, plans, case_base, workers) -> None:
    def rows():
        for p in plans:
            user, role = workers[p.worker]
            case_id = case_base + p.k
            for j in range(p.activities):
                kind = p.kind(j)
                at = clock.at(clock.epoch(p.activity_days_ago(j) - 0.4))
                yield (tenant_id, case_id, kind, at, 15 + (j * 5) % 60, SUMMARIES[(p.k + j) % 6],
                       int(p.outreach and kind == "visit"), user, role, at)  # fmt: skip

    writer.insert(m.Activity, ("tenant_id", "case_id", "kind", "occurred_at", "minutes", "summary", "is_outreach",
                               "author_id", "author_role", "created_at"), rows())  # fmt: skip


def _queue(writer, clock, tenant_id, area_ids, workers) -> None:
    writer.insert(m.Consultation, ("tenant_id", "received_at", "channel", "description", "area_id",
                                   "received_by_id", "received_by_role", "status", "is_confidential",
                                   "created_at"), (
        (tenant_id, clock.at(clock.epoch(i / 3)), "phone", f"近所の高齢者が心配との連絡({i})。",
         area_ids[i % len(area_ids)], workers[i % len(workers)][0], workers[i % len(workers)][1], "received", 0,
         clock.at(clock.epoch(i / 3)))
        for i in range(QUEUE_PER_TENANT)
    ))  # fmt: skip


def desk_workers(tenant_id: int) -> list[tuple[int, str]]:
    """(user id, role) of the tenant's case workers: community social workers first."""
    found = []
    for role in DESK_ORDER:
        found += list(
            Membership.objects.filter(tenant_id=tenant_id, role=role)
            .order_by("pk")
            .values_list("user_id", "role")
        )
    return found[:WORKERS_PER_TENANT]


def generate_consultation(size, *, seed: int = 5) -> dict[str, float]:
    """Generate the size's records; returns the row counts and the seconds each stage took."""
    total_persons, total_cases, _activities_total = volumes(size)
    tenants = list(Tenant.objects.filter(code__startswith="9").order_by("pk"))
    writer = Writer()
    clock = Clock(writer)
    timings = {"persons": 0.0, "cases": 0.0, "case rows": 0.0, "activities": 0.0}
    with bulk_loading():
        for t, tenant in enumerate(tenants):
            rng = random.Random(seed * 1000 + t)
            persons = total_persons // len(tenants) + (1 if t < total_persons % len(tenants) else 0)
            cases = total_cases // len(tenants) + (1 if t < total_cases % len(tenants) else 0)
            with tenant_context(tenant.pk):
                concern_tags_ensure(tenant.pk)
                tags = list(
                    m.ConcernTag.objects.filter(tenant_id=tenant.pk)
                    .order_by("order")
                    .values_list("pk", "name")
                )
                area_ids = list(
                    Area.objects.filter(tenant_id=tenant.pk, kind=AreaKind.DISTRICT).values_list(
                        "pk", flat=True
                    )
                )
                workers = desk_workers(tenant.pk)
                with _atomic():
                    start = time.perf_counter()
                    person_base = _persons(writer, clock, tenant.pk, t, persons, area_ids, rng)
                    timings["persons"] += time.perf_counter() - start
                    start = time.perf_counter()
                    plans = [CasePlan(k, rng, len(workers), len(tags)) for k in range(cases)]
                    case_base = _cases(
                        writer, clock, tenant.pk, plans, [name for _pk, name in tags]
                    )
                    timings["cases"] += time.perf_counter() - start
                    start = time.perf_counter()
                    _case_children(writer, clock, tenant.pk, plans, case_base, person_base, persons, workers,
                                   [pk for pk, _name in tags])  # fmt: skip
                    _queue(writer, clock, tenant.pk, area_ids, workers)
                    timings["case rows"] += time.perf_counter() - start
                    start = time.perf_counter()
                    _activities(writer, clock, tenant.pk, plans, case_base, workers)
                    timings["activities"] += time.perf_counter() - start
            if t % 8 == 7 or t == len(tenants) - 1:
                print(f"  consultation data: {t + 1}/{len(tenants)} tenants, "
                      f"{sum(timings.values()):.0f} s", flush=True)  # fmt: skip
        writer.finish()
        start = time.perf_counter()
        _analyze()
        timings["analyze"] = time.perf_counter() - start
    return {**{table.removeprefix("consultation_"): n for table, n in writer.counts.items()},
            **{f"{stage} s": round(seconds, 1) for stage, seconds in timings.items()}}  # fmt: skip


@contextlib.contextmanager
def _atomic():
    from django.db import transaction

    with transaction.atomic():
        yield


def _analyze() -> None:
    """Statistics for the planner, as autovacuum (PostgreSQL) or PRAGMA optimize (SQLite)
    would gather them on a live database."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit = 1000")
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")


def check_person_rows(tenant_id: int, sample: int = 50) -> None:
    """The generated search columns are what the services would have written."""
    from sasaeai.consultation.services import refresh_person_search

    for person in m.Person.objects.filter(tenant_id=tenant_id).order_by("pk")[:sample]:
        expected = (person.search_text, person.kana_key, person.phone_digits)
        refresh_person_search(person)
        assert expected == (person.search_text, person.kana_key, person.phone_digits), (
            expected,
            person.search_text,
        )


# ---- benchmarks ---------------------------------------------------------------------------


def _signed_in_client(user):
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


def _page(client, name: str, *args, query: str = "", htmx: bool = False):
    """A request function for the page, or None while the page is not there yet."""
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse(name, args=args) + query
    except NoReverseMatch:
        return None
    headers = {"HX-Request": "true"} if htmx else {}

    def request():
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)

    try:
        request()
    except Exception as error:  # a page being written by another helper: fall back
        print(f"  {url}: {error!r}; timing the selectors instead", flush=True)
        return None
    return request


def _actor_for(membership):
    from sasaeai.accounts.policy import Actor

    return Actor(user_id=membership.user_id, username=membership.user.username, tenant_id=membership.tenant_id,
                 membership_id=membership.pk, role=Role(membership.role), otp_verified=True)  # fmt: skip


def consultation_benchmarks(size, timed, repeat: int) -> list[tuple[str, float]]:
    start = time.perf_counter()
    counts = generate_consultation(size)
    print(f"consultation: {counts} generated in {time.perf_counter() - start:.1f} s", flush=True)
    tenant, worker = bench_worker()
    check_person_rows(tenant.pk)
    results = page_benchmarks(timed, repeat)
    results.append(
        (
            "consultation: import 100,000 consultations from CSV (once)",
            _import_once(tenant, _actor_for(worker)),
        )
    )
    return results


def bench_worker():
    """The first bench tenant and its first community social worker, who has cases."""
    tenant = Tenant.objects.filter(code__startswith="9").order_by("pk").first()
    worker = Membership.objects.select_related("user").get(
        tenant=tenant, user_id=desk_workers(tenant.pk)[0][0]
    )
    return tenant, worker


def page_benchmarks(timed, repeat: int, label: str = "") -> list[tuple[str, float]]:
    """The pages (or, while a page is missing, its selectors) on generated data."""
    from sasaeai.consultation import selectors

    tenant, worker = bench_worker()
    actor = _actor_for(worker)
    client = _signed_in_client(worker.user)
    results = []

    with tenant_context(tenant.pk):
        prefix = katakana_to_hiragana(SYLLABLES[0] * 3)  # the commonest family name's kana
        sample = (
            m.Person.objects.filter(tenant=tenant, kana_key__startswith=prefix)
            .order_by("pk")
            .first()
        )
        matches = m.Person.objects.filter(tenant=tenant, kana_key__startswith=prefix).count()
        case = selectors.worker_cases(actor).order_by("-pk").first()
        case_activities = case.activities.count()
        queued = selectors.intake_queue(actor).first()
    print(f"  searching {prefix} ({matches} persons), case #{case.pk} ({case_activities} entries), "
          f"worker {worker.user.username}", flush=True)  # fmt: skip

    def in_tenant(fn):
        def run():
            with tenant_context(tenant.pk):
                fn()

        return run

    page = _page(client, "consultation:person_search", query=f"?q={prefix}")
    if page:
        results.append(
            (
                f"consultation: person search page, kana prefix ({matches} match)",
                timed(page, repeat),
            )
        )
    results.append((f"consultation: person_search selector, 50 of {matches}",
                    timed(in_tenant(lambda: list(selectors.person_search(actor, prefix))), repeat)))  # fmt: skip
    terms = {"name_kana": sample.name_kana, "birth_date": sample.birth_date}
    query = urlencode({"name_kana": sample.name_kana, "birth_date": sample.birth_date.isoformat()})
    page = _page(client, "consultation:intake_detail", queued.pk, htmx=True, query=f"?{query}")
    if page:
        results.append(
            ("consultation: duplicate search (htmx on the intake page)", timed(page, repeat))
        )
    results.append(("consultation: duplicate_candidates selector (kana + birth date)",
                    timed(in_tenant(lambda: selectors.duplicate_candidates(actor, **terms)), repeat)))  # fmt: skip

    page = _page(client, "consultation:case_detail", case.pk)
    if page:
        results.append(
            (f"consultation: case page ({case_activities} record entries)", timed(page, repeat))
        )
    else:

        def open_case():
            with tenant_context(tenant.pk):
                shown = selectors.case_for_page(actor, case.pk)
                selectors.case_timeline(shown)

        results.append(
            (
                "consultation: case_for_page + case_timeline (selectors; no page yet)",
                timed(open_case, repeat),
            )
        )

    page = _page(client, "consultation:home")
    if page:
        results.append(
            (
                "consultation: worker home, cases and due tasks (GET /consultation/)",
                timed(page, repeat),
            )
        )
    else:

        def home():
            with tenant_context(tenant.pk):
                list(selectors.worker_cases(actor)[:50])
                list(selectors.due_tasks(actor)[:50])

        results.append(
            ("consultation: worker_cases + due_tasks (selectors; no page yet)", timed(home, repeat))
        )

    return [(f"{name}{label}", seconds) for name, seconds in results]


def import_csv_bytes(tenant, rows: int = IMPORT_ROWS) -> bytes:
    """A CP932 file as offices export from Excel, every column used."""
    from sasaeai.core.csvio import write_csv

    areas = list(Area.objects.filter(tenant=tenant).values_list("name", flat=True)[:40])
    tags = list(m.ConcernTag.objects.filter(tenant=tenant).values_list("name", flat=True))
    users = list(
        Membership.objects.filter(tenant=tenant, role__in=DESK_ORDER).values_list(
            "user__username", flat=True
        )[:20]
    )
    channels = ("窓口", "電話", "訪問", "アウトリーチ", "民生委員", "関係機関", "メール", "その他")
    header = (
        "受付日時",
        "受付方法",
        "相談内容",
        "連絡先",
        "相談者氏名",
        "続柄",
        "地区",
        "相談分類",
        "受付者",
        "対応状況",
    )
    today = timezone.localdate()

    def lines():
        for i in range(rows):
            day = today - datetime.timedelta(days=1 + i % 1500)
            when = (
                f"{day:%Y/%m/%d} {9 + i % 8}:{i % 60:02d}"
                if i % 3
                else f"令和{day.year - 2018}年{day.month}月{day.day}日"
            )
            if day.year < 2020 and not i % 3:
                when = day.isoformat()
            yield (when, channels[i % 8], f"生活のことで相談があった({i})。", f"048-{i % 1000:03d}-{i % 10000:04d}",
                   f"相談者{i}", "家族", areas[i % len(areas)], "、".join({tags[i % len(tags)], tags[i * 7 % len(tags)]}),
                   users[i % len(users)], "対応済み" if i % 2 else "")  # fmt: skip

    return write_csv(header, lines(), encoding="cp932")


def _import_once(tenant, actor) -> float:
    from sasaeai.consultation import importer

    data = import_csv_bytes(tenant)
    start = time.perf_counter()
    with tenant_context(tenant.pk):
        parsed, result = importer.import_consultations(data, tenant_id=tenant.pk, actor=actor)
    seconds = time.perf_counter() - start
    assert not parsed.problems, parsed.problems[:5]
    assert result.created == IMPORT_ROWS
    return seconds
