"""Token authentication overhead per API request, against a session (sasaeai.tokens).

Usage: python -m bench.tokens [--requests 200] [--rounds 5]
A throw-away database (SQLite file, or DATABASE_URL's server with an `_tokens_bench` suffix)
with one tenant and one 2FA-verified municipal staff member; `GET /api/v1/me` and
`GET /api/v1/areas` through Django's full middleware stack with the test client, N requests by
session and N by bearer token, alternating rounds; the median per request is printed.
"""

import argparse
import statistics
import time

from bench.run import scratch_database, setup_django


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    setup_django(scratch_database("tokens"))

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
    from sasaeai.tokens.services import create_personal_token

    call_command("migrate", verbosity=0)
    system = Actor(user_id=None, username="bench", tenant_id=None, membership_id=None, role=None)
    tenant = Tenant.objects.create(code="122033", name="市川市", prefecture="千葉県")
    membership = account_services.member_create(
        actor=system, tenant=tenant, username="bench-staff", password="bench-password-9",
        role=Role.MUNICIPAL_STAFF,
    )  # fmt: skip
    device = TOTPDevice.objects.create(user=membership.user, name="bench", confirmed=True)
    actor = Actor(
        user_id=membership.user_id, username="bench-staff", tenant_id=tenant.pk,
        membership_id=membership.pk, role=Role.MUNICIPAL_STAFF, otp_verified=True,
    )  # fmt: skip
    with tenant_context(tenant.pk):
        created = create_personal_token(actor, name="bench", scopes=["accounts:read", "core:read"])

    def signed_in():
        client = Client()
        client.force_login(membership.user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    session_client = signed_in()
    # Production keeps sessions in Redis (settings: the cache backend); the test profile in
    # the database, which writes the session on every request (SESSION_SAVE_EVERY_REQUEST).
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache"):
        cached_session_client = signed_in()
        cached_session_client.get("/api/v1/me")  # the handler loads its middleware now
    token_client = Client(HTTP_AUTHORIZATION=f"Bearer {created.plaintext}")

    def run(client, url):
        start = time.perf_counter()
        for _ in range(args.requests):
            response = client.get(url)
            assert response.status_code == 200, response.content
        return (time.perf_counter() - start) / args.requests

    print(f"database: {connection.vendor}; {args.requests} GETs x {args.rounds} rounds")
    for url in ("/api/v1/me", "/api/v1/areas"):
        clients = {
            "session (database)": session_client,
            "session (cache)": cached_session_client,
            "token": token_client,
        }
        times = {name: [] for name in clients}
        for client in clients.values():
            run(client, url)  # warm up
        for _ in range(args.rounds):
            for name, client in clients.items():
                if name == "session (cache)":
                    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache"):
                        times[name].append(run(client, url))
                else:
                    times[name].append(run(client, url))
        figures = ", ".join(
            f"{name} {statistics.median(samples) * 1000:.2f} ms" for name, samples in times.items()
        )
        print(f"{url}: {figures} per request")


if __name__ == "__main__":
    main()
