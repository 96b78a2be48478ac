"""A mailing to every subscriber of a topic (sasaeai.subscriptions): the channel's count query,
and the mailing job run as the worker runs it (`run_pending()` in this process) with Django's
locmem mail backend, in seconds and mails per second.

Usage: python -m bench.subscriptions [--count 100000] [--repeat 10]
`make bench` runs the same figures (subscription_benchmarks) on its own database, with
10,000 subscribers for --size town, 30,000 for city and 100,000 for prefecture; this entry
point uses a throw-away database of its own (SQLite file, or DATABASE_URL's server with a
`_subscriptions_bench` suffix) with one tenant and one verified staff member.
"""

import argparse
import time

from bench.run import scratch_database, setup_django, timed

SUBSCRIBERS = {"town": 10_000, "city": 30_000, "prefecture": 100_000}
SOURCE = "bench.notice"


class OutboxBackend:
    """locmem, but the outbox keeps only the last thousand mails: 100,000 copies would take
    gigabytes of the benchmark's memory and measure nothing the job does."""

    sent = 0

    def __new__(cls, *args, **kwargs):
        from django.core import mail
        from django.core.mail.backends.locmem import EmailBackend

        class Backend(EmailBackend):
            def send_messages(self, messages):
                count = super().send_messages(messages)
                OutboxBackend.sent += count
                if len(mail.outbox) > 1000:
                    del mail.outbox[:-1000]
                return count

        return Backend(*args, **kwargs)


def fill(tenant_id: int, count: int) -> list[int]:
    """`count` confirmed subscribers of one topic; a fifth named a district, a tenth an
    audience. Returns the area ids used."""
    from django.utils import timezone

    from sasaeai.core.models import Area, AreaKind
    from sasaeai.subscriptions.models import (
        Subscriber,
        SubscriberArea,
        SubscriberAudience,
        Subscription,
        Topic,
    )

    topic, _created = Topic.objects.get_or_create(
        tenant_id=tenant_id, key="bench", defaults={"name": "ベンチ配信"}
    )
    areas = list(
        Area.objects.filter(tenant_id=tenant_id, kind=AreaKind.DISTRICT).values_list(
            "pk", flat=True
        )[:10]
    )
    if not areas:
        areas = [
            Area.objects.create(tenant_id=tenant_id, kind=AreaKind.DISTRICT, name=f"地区{n}").pk
            for n in range(5)
        ]
    now = timezone.now()
    step = 5000
    for start in range(0, count, step):
        rows = Subscriber.objects.bulk_create(
            [
                Subscriber(
                    tenant_id=tenant_id,
                    email=f"bench{n:06d}@example.jp",
                    status="confirmed",
                    confirmed_at=now,
                    language="en" if n % 20 == 0 else "ja",
                )  # fmt: skip
                for n in range(start, min(count, start + step))
            ]
        )
        if rows[0].pk is None:  # SQLite before RETURNING: read the ids back
            rows = list(
                Subscriber.objects.filter(
                    tenant_id=tenant_id, email__gte=f"bench{start:06d}@", email__lt=f"bench{min(count, start + step):06d}@"
                ).order_by("email")
            )  # fmt: skip
        Subscription.objects.bulk_create(
            [Subscription(tenant_id=tenant_id, subscriber=row, topic=topic) for row in rows]
        )
        SubscriberArea.objects.bulk_create(
            [SubscriberArea(tenant_id=tenant_id, subscriber=row, area_id=areas[i % len(areas)])
             for i, row in enumerate(rows) if i % 5 == 0]
        )  # fmt: skip
        SubscriberAudience.objects.bulk_create(
            [SubscriberAudience(tenant_id=tenant_id, subscriber=row, audience="elderly")
             for i, row in enumerate(rows) if i % 10 == 1]
        )  # fmt: skip
    return areas


def subscription_benchmarks(membership, count: int, repeat: int) -> list[tuple[str, float]]:
    """`membership`: a staff member of the tenant (they start the mailing)."""
    from django.test import override_settings

    from sasaeai.accounts.policy import Actor
    from sasaeai.core import broadcasts
    from sasaeai.core.broadcasts import Content, Target
    from sasaeai.core.tenancy import tenant_context
    from sasaeai.jobs.models import Job
    from sasaeai.jobs.worker import run_pending

    tenant_id = membership.tenant_id
    actor = Actor(
        user_id=membership.user_id, username=membership.user.username, tenant_id=tenant_id,
        membership_id=membership.pk, role=membership.role, otp_verified=True,
    )  # fmt: skip
    text = "（ベンチ）地域の見守り活動の担い手を募集しています。\n" * 8

    def render(tenant_id, object_id, language):
        return Content(f"お知らせ {object_id}", text, f"/notices/bench/{object_id}/")

    if SOURCE not in broadcasts._sources:
        broadcasts.register_source(SOURCE, render)
    channel = broadcasts.channel()
    with tenant_context(tenant_id):
        areas = fill(tenant_id, count)
    from django.db import connection

    if connection.vendor == "postgresql":
        # Fresh tables have no statistics until autovacuum gets to them; without any, the
        # planner guesses one row per table and picks nested loops (seconds, not ms).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    everyone = Target(tenant_id=tenant_id, topic_keys=("bench",))
    narrowed = Target(
        tenant_id=tenant_id, topic_keys=("bench",), area_ids=(areas[0],), audience_keys=("elderly",)
    )

    def count_query(target):
        def run():
            with tenant_context(tenant_id):
                channel.count(target)

        return run

    results = [
        (f"subscriptions: count, {count:,} subscribers, one topic", timed(count_query(everyone), repeat)),
        (f"subscriptions: count, {count:,}, narrowed by area and audience", timed(count_query(narrowed), repeat)),
    ]  # fmt: skip
    # The backend is loaded by its dotted path: count on that module's class, which is not
    # this one's when this file runs as __main__.
    from bench.subscriptions import OutboxBackend as backend

    backend.sent = 0
    with override_settings(EMAIL_BACKEND="bench.subscriptions.OutboxBackend"):
        with tenant_context(tenant_id):
            start = time.perf_counter()
            job_id = channel.send(actor, everyone, SOURCE, 1)
            enqueued = time.perf_counter() - start
        run_pending()
        seconds = time.perf_counter() - start
    with tenant_context(tenant_id):
        job = Job.objects.get(pk=job_id)
    assert job.status == "succeeded", job.error_message
    assert backend.sent == count, (backend.sent, count)
    print(
        f"subscriptions: mailing to {count:,} subscribers: {seconds:.1f} s, "
        f"{count / seconds:,.0f} mails/s (the request that queues it: {enqueued * 1000:.1f} ms)",
        flush=True,
    )
    results += [
        (f"subscriptions: mailing job request (channel.send), {count:,}", enqueued),
        (f"subscriptions: mailing job to {count:,}, end to end (locmem)", seconds),
    ]
    return results


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)

    setup_django(scratch_database("subscriptions"))

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from sasaeai.accounts import services as account_services
    from sasaeai.accounts.models import Role
    from sasaeai.accounts.policy import Actor
    from sasaeai.core.models import Tenant

    call_command("migrate", verbosity=0)
    system = Actor(user_id=None, username="bench", tenant_id=None, membership_id=None, role=None)
    tenant = Tenant.objects.create(code="122033", name="市川市", prefecture="千葉県")
    member = account_services.member_create(
        actor=system, tenant=tenant, username="bench-staff", password="bench-password-9",
        role=Role.MUNICIPAL_STAFF,
    )  # fmt: skip
    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False):
        anonymous = Client()

        def baseline_request():
            assert anonymous.get("/bench/baseline/").status_code == 200

        baseline = timed(baseline_request, 30)
    results = subscription_benchmarks(member, args.count, args.repeat)
    print(f"database: {connection.vendor}")
    print(f"\n{'benchmark':66} {'median ms':>10} {'× baseline':>11}")
    print(f"{'baseline: minimal view reading one row':66} {baseline * 1000:10.2f} {1:11.2f}")
    for name, seconds in results:
        print(f"{name:66} {seconds * 1000:10.2f} {seconds / baseline:11.2f}")


if __name__ == "__main__":
    main()
