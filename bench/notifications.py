"""The notification list and the bell's unread count for a user with 10,000 notifications
(sasaeai.notifications), beside the minimal one-row view, through the full middleware stack;
at a given size, with the notifications of every other member of every tenant in the same table
(BACKGROUND), and the nightly pruning of that table.

Usage: python -m bench.notifications [--size town|city|prefecture] [--count 10000] [--repeat 30]
`make bench` runs the same figures (notification_benchmarks) on its own database; this entry
point uses a throw-away database of its own (SQLite file, or DATABASE_URL's server with a
`_notifications_bench` suffix): without --size, one tenant, one verified member and a second,
busier one; with --size, bench.generate's tenants and members plus BACKGROUND rows.
"""

import argparse
import datetime

from bench.run import scratch_database, setup_django, timed


def fill(tenant_id: int, user_id: int, count: int) -> None:
    """`count` notifications over the past year, a tenth of them unread."""
    from django.utils import timezone

    from sasaeai.notifications.models import Notification

    now = timezone.now()
    kinds = ("consultation.task_assigned", "consultation.referral_received", "jobs.report_ready")
    rows = [
        Notification(
            tenant_id=tenant_id,
            recipient_id=user_id,
            kind=kinds[i % len(kinds)],
            url=f"/consultation/cases/{i % 500 + 1}/",
            object_type="case",
            object_id=i,
            created=now - datetime.timedelta(minutes=52 * i),
            read_at=None if i % 10 == 0 else now,
        )  # fmt: skip
        for i in range(count)
    ]
    Notification.objects.bulk_create(rows, batch_size=2000)


# Other members' notifications in the table, by size. A city of 116,000 has ~250 members who
# receive them (staff, agencies, commissioners: bench.generate's roles); a few a week each, kept
# 180 days once read (NOTIFICATIONS_KEEP_DAYS) and longer unread: ~16,000 rows a municipality.
# The prefecture's 63 municipalities: ~1,000,000. A city of 340,000: ~50,000.
BACKGROUND = {"town": 16_000, "city": 50_000, "prefecture": 1_000_000}
RECEIVING_ROLES = ("municipal_staff", "welfare_council_staff", "community_social_worker",
                   "welfare_commissioner", "system_admin")  # fmt: skip


def fill_background(total: int, *, skip_user_id: int) -> int:
    """`total` notifications spread over the receiving members of every tenant, over the past
    year (a tenth unread), so that the measured user's rows sit in a table of this size."""
    from django.utils import timezone

    from sasaeai.accounts.models import Membership
    from sasaeai.core.models import Tenant
    from sasaeai.core.tenancy import tenant_context
    from sasaeai.notifications.models import Notification

    tenant_ids = list(Tenant.objects.order_by("pk").values_list("pk", flat=True))
    per_tenant = total // max(1, len(tenant_ids))
    now = timezone.now()
    made = 0
    for tenant_id in tenant_ids:
        with tenant_context(tenant_id):
            users = list(
                Membership.objects.filter(tenant_id=tenant_id, role__in=RECEIVING_ROLES)
                .exclude(user_id=skip_user_id)
                .values_list("user_id", flat=True)
            )
            if not users:
                continue
            rows = [
                Notification(
                    tenant_id=tenant_id,
                    recipient_id=users[i % len(users)],
                    kind="consultation.task_assigned",
                    url=f"/consultation/cases/{i % 900 + 1}/",
                    object_type="case",
                    object_id=i,
                    created=now - datetime.timedelta(minutes=525_600 * i // per_tenant),
                    read_at=None if i % 10 == 0 else now,
                )  # fmt: skip
                for i in range(per_tenant)
            ]
            Notification.objects.bulk_create(rows, batch_size=5000)
            made += len(rows)
    return made


def notification_benchmarks(
    tenant_id: int,
    user_id: int,
    client,
    get,
    repeat: int,
    count: int = 10_000,
    background: int = 0,
) -> list[tuple[str, float]]:
    """`client` is signed in (verified) as `user_id` in `tenant_id`. With `background`, the
    table first gets that many rows of other members (fill_background), and the figures end
    with one nightly pruning of the whole table."""
    import time

    from django.core.management import call_command

    from sasaeai.core.tenancy import tenant_context

    if background:
        start = time.perf_counter()
        made = fill_background(background, skip_user_id=user_id)
        print(
            f"notifications: {made:,} rows of other members in {time.perf_counter() - start:.1f} s"
        )
    with tenant_context(tenant_id):
        fill(tenant_id, user_id, count)
    label = f"{count:,}"
    if background:
        label += f" in {background // 1000:,}k"
    results = [
        (f"notifications: bell, unread of {label} (GET /notifications/bell/)", timed(get(client, "/notifications/bell/"), repeat)),
        (f"notifications: list of {label}, first page (GET /notifications/)", timed(get(client, "/notifications/"), repeat)),
        (f"notifications: list of {label}, last page", timed(get(client, "/notifications/?page=last"), repeat)),
        (f"notifications: API list of {label} (GET /api/v1/notifications)", timed(get(client, "/api/v1/notifications?limit=50"), repeat)),
        (f"notifications: API unread count of {label}", timed(get(client, "/api/v1/notifications/unread-count"), repeat)),
    ]  # fmt: skip
    if background:
        # Once: it deletes what it finds (read rows past 180 days: about half of them).
        start = time.perf_counter()
        call_command("prune_notifications", stdout=_Quiet())
        results.append(
            (
                f"notifications: nightly pruning of {background // 1000:,}k (once)",
                time.perf_counter() - start,
            )
        )
    return results


class _Quiet:
    def write(self, *args, **kwargs):
        pass


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=("town", "city", "prefecture"), default=None)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)

    setup_django(scratch_database("notifications"))

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sasaeai.accounts import services as account_services
    from sasaeai.accounts.models import Role
    from sasaeai.accounts.policy import Actor
    from sasaeai.core.models import Tenant
    from sasaeai.core.tenancy import tenant_context

    call_command("migrate", verbosity=0)
    system = Actor(user_id=None, username="bench", tenant_id=None, membership_id=None, role=None)
    if args.size:
        from bench.generate import SIZES, generate

        print(f"size={args.size}: {generate(SIZES[args.size])}", flush=True)
    tenant = Tenant.objects.create(code="122033", name="市川市", prefecture="千葉県")
    members = [
        account_services.member_create(
            actor=system,
            tenant=tenant,
            username=f"bench-csw-{n}",
            password="bench-password-9",
            role=Role.COMMUNITY_SOCIAL_WORKER,
        )  # fmt: skip
        for n in range(2)
    ]
    # Someone else's notifications in the same table: the index must keep them out of the way.
    with tenant_context(tenant.pk):
        fill(tenant.pk, members[1].user_id, args.count * 3)
    device = TOTPDevice.objects.create(user=members[0].user, name="bench", confirmed=True)

    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False):
        client = Client()
        client.force_login(members[0].user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        anonymous = Client()

        def get(c, url, status=200):
            def request():
                response = c.get(url)
                assert response.status_code == status, (url, response.status_code)

            return request

        baseline = timed(get(anonymous, "/bench/baseline/"), args.repeat)
        signed_in = timed(get(client, "/jobs/"), args.repeat)
        results = notification_benchmarks(
            tenant.pk, members[0].user_id, client, get, args.repeat, args.count,
            background=BACKGROUND[args.size] if args.size else 0,
        )  # fmt: skip
    print(f"database: {connection.vendor}")
    print(f"\n{'benchmark':66} {'median ms':>10} {'× baseline':>11}")
    print(f"{'baseline: minimal view reading one row':66} {baseline * 1000:10.2f} {1:11.2f}")
    rows = [("staff page for comparison: my jobs (GET /jobs/)", signed_in)]
    for name, seconds in rows + results:
        print(f"{name:66} {seconds * 1000:10.2f} {seconds / baseline:11.2f}")


if __name__ == "__main__":
    main()
