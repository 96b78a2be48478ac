"""`make bench`: each benchmark's figure beside the baseline measured in the same run.

Usage: python -m bench.run [--size town|city|prefecture] [--repeat N]
Runs against a throw-away database (SQLite file, or DATABASE_URL's server with a `_bench`
suffix), through Django's full middleware stack with the test client.
"""

import argparse
import os
import statistics
import sys
import time


def setup_django(database_url: str | None):
    os.environ.setdefault("SASAEAI_ENV", "test")
    os.environ["DJANGO_SETTINGS_MODULE"] = "sasaeai.settings"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def timed(fn, repeat: int) -> float:
    fn()  # warm up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default=os.environ.get("BENCH_SIZE", "city"))
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)

    base_url = os.environ.get("DATABASE_URL", "")
    if base_url.startswith("postgres"):
        bench_url = base_url.rsplit("/", 1)[0] + "/sasaeai_bench"
    else:
        bench_url = "sqlite:///bench.sqlite3"
        if os.path.exists("bench.sqlite3"):
            os.remove("bench.sqlite3")
    if bench_url.startswith("postgres"):
        import psycopg

        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS sasaeai_bench")
            conn.execute("CREATE DATABASE sasaeai_bench")
    setup_django(bench_url)

    from django.core.management import call_command
    from django.test import Client, override_settings
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from bench.generate import SIZES, generate
    from sasaeai.accounts.models import Membership, Role

    call_command("migrate", verbosity=0)
    size = SIZES[args.size]
    start = time.perf_counter()
    counts = generate(size)
    generated = time.perf_counter() - start
    print(f"size={size.name}: {counts} generated in {generated:.1f} s", flush=True)

    admin = Membership.objects.filter(role=Role.SYSTEM_ADMIN).select_related("user").first()
    device = TOTPDevice.objects.create(user=admin.user, name="bench", confirmed=True)

    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False):
        anonymous = Client()
        client = Client()
        client.force_login(admin.user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

        def get(c, url, status=200):
            def request():
                response = c.get(url)
                assert response.status_code == status, (url, response.status_code)

            return request

        baseline = timed(get(anonymous, "/bench/baseline/"), args.repeat)
        results = [
            ("login page (GET /accounts/login/)", timed(get(anonymous, "/accounts/login/"), args.repeat)),
            ("area list, policy-filtered (GET /areas/)", timed(get(client, "/areas/"), args.repeat)),
            ("area search, kana (GET /areas/?q=えりあ1)", timed(get(client, "/areas/?q=えりあ1"), args.repeat)),
            ("member list, policy-filtered, audited (GET /accounts/members/)", timed(get(client, "/accounts/members/"), args.repeat)),
            ("member list, last page", timed(get(client, "/accounts/members/?page=last"), args.repeat)),
            ("API area list (GET /api/v1/areas?limit=100)", timed(get(client, "/api/v1/areas?limit=100"), args.repeat)),
        ]  # fmt: skip

    print(f"\n{'benchmark':66} {'median ms':>10} {'× baseline':>11}")
    print(f"{'baseline: minimal view reading one row':66} {baseline * 1000:10.2f} {1:11.2f}")
    for name, seconds in results:
        print(f"{name:66} {seconds * 1000:10.2f} {seconds / baseline:11.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
