"""The notification list and the bell's unread count for a user with 10,000 notifications
(sasaeai.notifications), beside the minimal one-row view, through the full middleware stack.

Usage: python -m bench.notifications [--count 10000] [--repeat 30]
`make bench` runs the same figures (notification_benchmarks) on its own database; this entry
point uses a throw-away database of its own (SQLite file, or DATABASE_URL's server with a
`_notifications_bench` suffix) with one tenant, one verified member and a second, busier one.
"""

import argparse
import datetime
import os

from bench.run import setup_django, timed


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


def notification_benchmarks(
    tenant_id: int, user_id: int, client, get, repeat: int, count: int = 10_000
) -> list[tuple[str, float]]:
    """`client` is signed in (verified) as `user_id` in `tenant_id`."""
    from sasaeai.core.tenancy import tenant_context

    with tenant_context(tenant_id):
        fill(tenant_id, user_id, count)
    label = f"{count:,}"
    return [
        (f"notifications: bell, unread of {label} (GET /notifications/bell/)", timed(get(client, "/notifications/bell/"), repeat)),
        (f"notifications: list of {label}, first page (GET /notifications/)", timed(get(client, "/notifications/"), repeat)),
        (f"notifications: list of {label}, last page", timed(get(client, "/notifications/?page=last"), repeat)),
        (f"notifications: API list of {label} (GET /api/v1/notifications)", timed(get(client, "/api/v1/notifications?limit=50"), repeat)),
    ]  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)

    base_url = os.environ.get("DATABASE_URL", "")
    if base_url.startswith("postgres"):
        import psycopg

        name = "sasaeai_notifications_bench"
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        bench_url = base_url.rsplit("/", 1)[0] + "/" + name
    else:
        if os.path.exists("bench_notifications.sqlite3"):
            os.remove("bench_notifications.sqlite3")
        bench_url = "sqlite:///bench_notifications.sqlite3"
    setup_django(bench_url)

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
            tenant.pk, members[0].user_id, client, get, args.repeat, args.count
        )
    print(f"database: {connection.vendor}")
    print(f"\n{'benchmark':66} {'median ms':>10} {'× baseline':>11}")
    print(f"{'baseline: minimal view reading one row':66} {baseline * 1000:10.2f} {1:11.2f}")
    rows = [("staff page for comparison: my jobs (GET /jobs/)", signed_in)]
    for name, seconds in rows + results:
        print(f"{name:66} {seconds * 1000:10.2f} {seconds / baseline:11.2f}")


if __name__ == "__main__":
    main()
