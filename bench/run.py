"""`make bench`: each benchmark's figure beside the baseline measured in the same run.

Usage: python -m bench.run [--size town|city|prefecture] [--repeat N] [--only matching]
Runs against a throw-away database (SQLite file, or DATABASE_URL's server with a `_bench`
suffix), through Django's full middleware stack with the test client.
"""

import argparse
import os
import statistics
import sys
import time


def scratch_database(module: str) -> str:
    """A fresh database of its own for a standalone bench (`python -m bench.<module>`): on the
    PostgreSQL server DATABASE_URL names, else a SQLite file; returns its URL."""
    base_url = os.environ.get("DATABASE_URL", "")
    if base_url.startswith("postgres"):
        import psycopg

        name = f"sasaeai_{module}_bench"
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        return base_url.rsplit("/", 1)[0] + "/" + name
    path = f"bench_{module}.sqlite3"
    if os.path.exists(path):
        os.remove(path)
    return f"sqlite:///{path}"


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
    parser.add_argument(
        "--only", choices=["matching"], help="only these figures, with the baseline"
    )
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
    if args.only == "matching":
        return matching_only(args)
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
        plan_results = plan_benchmarks(admin, client, get, max(3, args.repeat // 10), anonymous)
        from bench.resources import resource_benchmarks

        resource_results = resource_benchmarks(get, anonymous, timed, args.repeat)
        from bench.consultation import consultation_benchmarks

        consultation_results = consultation_benchmarks(size, timed, args.repeat)
        from bench.areas import area_benchmarks

        area_results = area_benchmarks()
        from bench.jobs import import_job_benchmarks

        job_results = import_job_benchmarks(client)
        from bench.golive import onboarding_benchmarks

        onboarding_results = onboarding_benchmarks(client, get, timed, args.repeat)
        from bench.notifications import BACKGROUND, notification_benchmarks

        notification_results = notification_benchmarks(
            admin.tenant_id, admin.user_id, client, get, args.repeat,
            background=BACKGROUND[size.name],
        )  # fmt: skip
        from bench.surveys import survey_benchmarks

        survey_results = survey_benchmarks(admin.tenant_id, client, get, max(3, args.repeat // 10))
        from bench.subscriptions import SUBSCRIBERS, subscription_benchmarks

        subscription_results = subscription_benchmarks(
            admin, SUBSCRIBERS.get(size.name, 10_000), max(3, args.repeat // 3)
        )
        from bench.volunteers import volunteer_benchmarks, volunteer_client_pair

        coordinator, volunteer, volunteer_user_id = volunteer_client_pair(admin.tenant)
        volunteer_results = volunteer_benchmarks(
            admin.tenant_id, size.name, coordinator, volunteer, get, max(3, args.repeat // 3),
            volunteer_user_id=volunteer_user_id,
        )  # fmt: skip
        issue14_results = watch_and_disaster_benchmarks(
            admin.tenant, size.name, get, max(3, args.repeat // 3)
        )
        results = [
            ("login page (GET /accounts/login/)", timed(get(anonymous, "/accounts/login/"), args.repeat)),
            ("area list, policy-filtered (GET /areas/)", timed(get(client, "/areas/"), args.repeat)),
            ("area search, kana (GET /areas/?q=えりあ1)", timed(get(client, "/areas/?q=えりあ1"), args.repeat)),
            ("member list, policy-filtered, audited (GET /accounts/members/)", timed(get(client, "/accounts/members/"), args.repeat)),
            ("member list, last page", timed(get(client, "/accounts/members/?page=last"), args.repeat)),
            ("API area list (GET /api/v1/areas?limit=100)", timed(get(client, "/api/v1/areas?limit=100"), args.repeat)),
        ] + plan_results + resource_results + consultation_results + area_results + job_results + onboarding_results + notification_results + survey_results + subscription_results + volunteer_results + issue14_results  # fmt: skip

    from bench.matching import matching_benchmarks

    results += matching_benchmarks(args.size)
    return report(baseline, results)


def watch_and_disaster_benchmarks(tenant, size: str, get, repeat: int) -> list[tuple[str, float]]:
    """Watch-over, commissioners' records and disaster safety (issue 14), each filling its own
    rows in the tenant."""
    from bench.commissioners import commissioner_benchmarks
    from bench.disaster_plans import disaster_plan_benchmarks, disaster_plan_clients
    from bench.disaster_register import register_benchmarks
    from bench.disaster_safety import disaster_safety_benchmarks
    from bench.volunteers import signed_in_client
    from bench.watch import request_makers, watch_benchmarks, watch_client_pair

    desk, commissioner, commissioner_user_id = watch_client_pair(tenant)
    watch_get, watch_post = request_makers()
    results = watch_benchmarks(
        tenant.pk, size, desk, commissioner, watch_get, watch_post, repeat,
        commissioner_user_id=commissioner_user_id,
    )  # fmt: skip
    results += commissioner_benchmarks(tenant, size, get, repeat)
    results += register_benchmarks(tenant, size, get, repeat, signed_in_client)
    results += disaster_safety_benchmarks(tenant, size, get, repeat)
    staff, planner, planner_user_id = disaster_plan_clients(tenant)
    results += disaster_plan_benchmarks(
        tenant.pk, size, staff, planner, get, repeat, planner_user_id=planner_user_id
    )
    return results


def report(baseline: float, results: list[tuple[str, float]]) -> int:
    print(f"\n{'benchmark':66} {'median ms':>10} {'× baseline':>11}")
    print(f"{'baseline: minimal view reading one row':66} {baseline * 1000:10.2f} {1:11.2f}")
    for name, seconds in results:
        print(f"{name:66} {seconds * 1000:10.2f} {seconds / baseline:11.2f}")
    return 0


def matching_only(args) -> int:
    """`--only matching`: the matching batches (no generated data), beside the baseline."""
    from django.test import Client, override_settings

    from bench.matching import matching_benchmarks
    from sasaeai.core.models import Tenant

    Tenant.objects.get_or_create(
        code="999990", defaults={"name": "ベンチ市", "prefecture": "埼玉県"}
    )
    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False):
        anonymous = Client()

        def one_row():
            assert anonymous.get("/bench/baseline/").status_code == 200

        baseline = timed(one_row, args.repeat)
    return report(baseline, matching_benchmarks(args.size))


def plan_benchmarks(admin, client, get, repeat: int, anonymous=None) -> list[tuple[str, float]]:
    """Importing the four seed plans, and a generated plan of 2,000 nodes and 500 indicators
    over 10 fiscal years: its import, dashboard, tree and committee report (PDF, Excel)."""
    from pathlib import Path

    from bench.jobs import report_job_benchmarks
    from bench.plans import plan_document, public_progress_benchmarks
    from sasaeai.accounts.policy import Actor
    from sasaeai.core.tenancy import tenant_context
    from sasaeai.plans import planfile, services

    tenant_id = admin.tenant_id
    actor = Actor(
        user_id=None, username="bench", tenant_id=tenant_id, membership_id=None, role=None
    )
    seeds = sorted(Path("sasaeai/plans/seed_plans").glob("*.yaml"))

    def import_seeds():
        for path in seeds:
            document = planfile.load(path.read_text(encoding="utf-8"))
            services.plan_import(actor=actor, tenant_id=tenant_id, document=document, replace=True)

    generated = plan_document()

    def import_generated():
        services.plan_import(actor=actor, tenant_id=tenant_id, document=generated, replace=True)

    with tenant_context(tenant_id):
        seeds_time = timed(import_seeds, repeat)
        import_time = timed(import_generated, 1)
        from sasaeai.plans.models import Plan

        plan_id = Plan.objects.get(tenant_id=tenant_id, code="bench-plan").pk
    url = f"/plans/{plan_id}"
    return [
        ("plans: import the four seed plans (check + save)", seeds_time),
        ("plans: import a 2,000-node, 500-indicator plan", import_time),
        ("plans: dashboard of that plan (GET /plans/N/dashboard/)", timed(get(client, f"{url}/dashboard/?year=2030"), repeat)),
        ("plans: tree of that plan (GET /plans/N/)", timed(get(client, f"{url}/?year=2030"), repeat)),
    ] + public_progress_benchmarks(
        actor=actor, plan_id=plan_id, anonymous=anonymous or client, get=get, timed=timed, repeat=repeat
    ) + report_job_benchmarks(client, url, timed, repeat)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
