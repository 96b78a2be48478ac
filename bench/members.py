"""Member import figures: validate and apply a sheet of N members, invite them, import again.

Usage: python -m bench.members [--members 1000]
Runs against a throw-away database: SQLite file bench_members.sqlite3, or DATABASE_URL's
server with the database `<its name>_bench_members`.
"""

import argparse
import os
import time


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1000)
    args = parser.parse_args(argv)

    base_url = os.environ.get("DATABASE_URL", "")
    if base_url.startswith("postgres"):
        import psycopg

        server, name = base_url.rsplit("/", 1)
        bench_name = f"{name}_bench_members"
        bench_url = f"{server}/{bench_name}"
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}"')
            conn.execute(f'CREATE DATABASE "{bench_name}"')
    else:
        bench_url = "sqlite:///bench_members.sqlite3"
        if os.path.exists("bench_members.sqlite3"):
            os.remove("bench_members.sqlite3")
    os.environ.setdefault("SASAEAI_ENV", "test")
    os.environ["DJANGO_SETTINGS_MODULE"] = "sasaeai.settings"
    os.environ["DATABASE_URL"] = bench_url
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()

    from django.core import mail
    from django.core.management import call_command
    from django.db import connection, transaction

    from sasaeai.accounts import importer
    from sasaeai.accounts.models import Invitation, Membership
    from sasaeai.accounts.policy import Actor
    from sasaeai.core.csvio import write_csv
    from sasaeai.core.models import Area, AreaKind, Tenant
    from sasaeai.core.tenancy import tenant_context

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(code="122033", name="市川市", prefecture="千葉県")
    with tenant_context(tenant.pk):
        Area.objects.bulk_create(
            Area(tenant=tenant, kind=AreaKind.COMMISSIONER_DISTRICT, code=f"D{i:03d}",
                 name=f"第{i}地区")
            for i in range(1, 101)
        )  # fmt: skip
    roles = ["民生委員・児童委員"] * 6 + ["市職員", "社協職員", "ボランティア", "住民"]
    rows = []
    for i in range(args.members):
        role = roles[i % len(roles)]
        districts = f"第{i % 100 + 1}地区・D{(i + 7) % 100 + 1:03d}" if "民生" in role else ""
        rows.append([f"市川 {i}", f"いちかわ {i}", f"member{i}@example.jp", role, districts])
    data = write_csv(["氏名", "ふりがな", "メールアドレス", "役割", "地区"], rows)
    actor = Actor(user_id=None, username="bench", tenant_id=tenant.pk, membership_id=None,
                  role=None)  # fmt: skip

    def clock(label, fn):
        start = time.perf_counter()
        value = fn()
        print(f"{label}: {time.perf_counter() - start:.2f} s", flush=True)
        return value

    with tenant_context(tenant.pk):
        preview = clock(f"validate {args.members}", lambda: importer.validate(data, tenant=tenant))
        assert not preview.errors, preview.errors[:3]

        def apply():
            with transaction.atomic():
                return importer.apply(preview, actor=actor)

        result = clock(f"apply {args.members} (one transaction)", apply)
        clock(
            f"invite {len(result.created)}",
            lambda: importer.send_invitations(
                user_ids=result.created, tenant=tenant, sent_by=None, actor=actor
            ),
        )
        again = clock(
            "validate the same sheet again", lambda: importer.validate(data, tenant=tenant)
        )
        assert again.counts["unchanged"] == args.members, again.counts
        print(
            f"database: {connection.vendor}; members: {Membership.objects.count()}, "
            f"invitations: {Invitation.objects.count()}, mails: {len(mail.outbox)}"
        )


if __name__ == "__main__":
    main()
