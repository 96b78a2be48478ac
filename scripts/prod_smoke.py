"""Production smoke test: the production profile, served by gunicorn, on PostgreSQL as the app role.

    make prod-smoke          (or: .venv/bin/python scripts/prod_smoke.py)

What it does, on a scratch database that it creates and drops again:

1. As a superuser (DATABASE_URL's user, default postgres): creates the database `sasaeai_smoke`,
   an owner role `sasaeai_smoke_owner` (NOSUPERUSER, dropped again at the end) and, if missing,
   the application role `sasaeai_app`; gives the application role LOGIN for the run.
2. As the owner: `manage.py migrate` (row-level security and the app role's grants), and one
   tenant with one resident account.
3. `manage.py collectstatic` with production settings into a temporary STATIC_ROOT.
4. Starts gunicorn (sasaeai.wsgi) connecting AS `sasaeai_app`, then checks over HTTP, as the
   reverse proxy would send them (Host in ALLOWED_HOSTS, `X-Forwarded-Proto: https`):
   /healthz, the login page, its stylesheet and the map's Leaflet scripts by their hashed names,
   a JSON API endpoint, a resident's sign-in (session in Redis, audit entry written by the app
   role), and that plain HTTP is redirected to HTTPS.
5. Starts the background worker (`manage.py run_worker`) AS `sasaeai_app` too; a plan committee
   member signs in, asks for the committee report (Excel) of the seeded plan, the job page is
   polled until the worker has made it, and the file is downloaded.
6. Stops gunicorn and the worker, drops the database and the owner role, and takes LOGIN away from the app role
   again if it did not have it.

Only the server of DATABASE_URL is used: the database is always one whose name contains
"smoke" (`sasaeai_smoke` unless DATABASE_URL names such a database), so pointing it at a real
database can never drop it. Run it on a development or CI cluster, not on production's: it
creates roles. Roles it creates get random passwords; a pre-existing `sasaeai_app` is reached
without a password (trust, as on CI) or with SMOKE_APP_PASSWORD. Needs Redis (SMOKE_REDIS_URL,
default redis://127.0.0.1:6379/0). Exit code 0 when every check passed.
"""

import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing, suppress
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlsplit

import dj_database_url
import psycopg
from psycopg import sql

PROJECT_DIR = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
HOST = "sasaeai.example.lg.jp"
OWNER = "sasaeai_smoke_owner"
APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "sasaeai_app")
TENANT_CODE = "999999"
RESIDENT = "smoke-resident"
COMMITTEE = "smoke-committee"
SEED_PLAN = "konosu-joint-4.yaml"


class SmokeFailure(Exception):
    pass


def say(message: str) -> None:
    print(f"prod-smoke: {message}", flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)
    say(f"ok  {message}")


# ---- PostgreSQL ------------------------------------------------------------------------------


def server_settings() -> dict:
    """The superuser connection and the smoke database's name, from DATABASE_URL."""
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/sasaeai_smoke"
    parsed = dj_database_url.parse(url)
    if "postgresql" not in parsed["ENGINE"]:
        raise SmokeFailure(f"DATABASE_URL is not PostgreSQL: {parsed['ENGINE']}")
    name = parsed["NAME"] if "smoke" in (parsed["NAME"] or "") else "sasaeai_smoke"
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SmokeFailure(f"unusable database name {name!r}")
    return {
        "host": parsed["HOST"] or "127.0.0.1",
        "port": int(parsed["PORT"] or 5432),
        "user": parsed["USER"] or "postgres",
        "password": parsed["PASSWORD"] or None,
        "name": name,
    }


def connect(server: dict, dbname: str, **extra):
    return psycopg.connect(
        host=server["host"], port=server["port"], user=server["user"],
        password=server["password"], dbname=dbname, autocommit=True, connect_timeout=5, **extra,
    )  # fmt: skip


def role_url(server: dict, role: str, password: str | None) -> str:
    secret = f":{quote(password, safe='')}" if password else ""
    return f"postgres://{role}{secret}@{server['host']}:{server['port']}/{server['name']}"


def role_login(cursor, role: str) -> bool | None:
    """Whether the role may log in; None when it does not exist."""
    cursor.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [role])
    row = cursor.fetchone()
    return None if row is None else row[0]


def prepare_database(server: dict, state: dict) -> tuple[str, str]:
    """Fresh database and roles; returns the owner's and the app role's URLs."""
    owner_password = secrets.token_urlsafe(24)
    app_password = os.environ.get("SMOKE_APP_PASSWORD") or None
    name = sql.Identifier(server["name"])
    with closing(connect(server, "postgres")) as admin, admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        if role_login(cursor, OWNER) is not None:
            cursor.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(OWNER)))
        cursor.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
            ).format(sql.Identifier(OWNER), sql.Literal(owner_password))
        )
        state["owner_created"] = True
        app = sql.Identifier(APP_ROLE)
        could_login = role_login(cursor, APP_ROLE)
        if could_login is None:
            app_password = app_password or secrets.token_urlsafe(24)
            cursor.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE "
                    "NOBYPASSRLS"
                ).format(app, sql.Literal(app_password))
            )
            state["app_login_given"] = True
        elif not could_login:
            cursor.execute(sql.SQL("ALTER ROLE {} LOGIN").format(app))
            state["app_login_given"] = True
        cursor.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                name, sql.Identifier(OWNER)
            )
        )
        state["database_created"] = True
        cursor.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(name))
        cursor.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}, {}").format(
                name, sql.Identifier(OWNER), app
            )
        )
    with closing(connect(server, server["name"])) as admin, admin.cursor() as cursor:
        cursor.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(OWNER)))
        cursor.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    return role_url(server, OWNER, owner_password), role_url(server, APP_ROLE, app_password)


def clean_database(server: dict, state: dict) -> None:
    with closing(connect(server, "postgres")) as admin, admin.cursor() as cursor:
        if state.get("database_created"):
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(server["name"])
                )
            )
        if state.get("owner_created"):
            cursor.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(OWNER)))
        if state.get("app_login_given"):
            # The role stays (test databases may hold grants to it); only the LOGIN goes.
            cursor.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(APP_ROLE)))


# ---- the application -------------------------------------------------------------------------


# One key for the whole run: the seeding and gunicorn append to the same audit chain.
AUDIT_HMAC_KEY = secrets.token_urlsafe(48)


def production_env(database_url: str, static_root: Path) -> dict:
    return {
        **os.environ,
        "SASAEAI_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "AUDIT_HMAC_KEY": AUDIT_HMAC_KEY,
        "SITE_URL": "https://sasaeai.example.lg.jp",
        "REDIS_URL": os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url,
        "DATABASE_APP_ROLE": APP_ROLE,
        "STATIC_ROOT": str(static_root),
        "DEBUG": "false",
    }


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if result.returncode != 0:
        raise SmokeFailure(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


SEED = f"""
import os
from pathlib import Path

from sasaeai.accounts import services
from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import all_tenants, tenant_context
from sasaeai.plans import planfile, services as plan_services

actor = Actor(user_id=None, username="prod-smoke", tenant_id=None, membership_id=None, role=None)
with all_tenants():
    tenant = Tenant.objects.create(code={TENANT_CODE!r}, name="スモーク市", prefecture="埼玉県")
    for username, role in (({RESIDENT!r}, Role.RESIDENT), ({COMMITTEE!r}, Role.PLAN_COMMITTEE_MEMBER)):
        services.member_create(
            actor=actor, tenant=tenant, username=username, password=os.environ["SMOKE_PW"],
            role=role,
        )
    with tenant_context(tenant.pk):
        text = Path("sasaeai/plans/seed_plans/{SEED_PLAN}").read_text(encoding="utf-8")
        plan = plan_services.plan_import(
            actor=actor, tenant_id=tenant.pk, document=planfile.load(text)
        )
    print(plan.pk, plan.start_year)
"""


def redis_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 3):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Site:
    """Requests as the reverse proxy forwards them, with the cookies a browser would keep."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, body: str = "", https: bool = True, **headers):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": HOST, **headers}
        if https:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body.encode() or None, headers=sent)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response, content

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)


def start_gunicorn(env: dict, port: int, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (the venv's gunicorn, fixed arguments)
            [str(VENV_BIN / "gunicorn"), "sasaeai.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}",
             "--access-logfile", "-", "--timeout", "60"],
            cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    site = Site(port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SmokeFailure(f"gunicorn exited with {process.returncode}")
        with suppress(OSError):
            site.get("/healthz")
            return process
        time.sleep(0.5)
    raise SmokeFailure("gunicorn did not answer within 60 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def static_urls(html: str, pattern: str) -> list[str]:
    return re.findall(rf'(?:href|src)="(/static/{pattern})"', html)


def check_site(site: Site) -> None:
    response, body = site.get("/healthz")
    check(
        response.status == 200 and json.loads(body).get("status") == "ok",
        "/healthz answers ok through the app role",
    )
    check(
        "max-age" in (response.getheader("Strict-Transport-Security") or ""),
        "HTTPS responses carry HSTS",
    )
    response, _body = site.get("/healthz", https=False)
    location = response.getheader("Location") or ""
    check(
        response.status == 301 and location.startswith(f"https://{HOST}/"),
        "plain HTTP is redirected to HTTPS (SECURE_SSL_REDIRECT)",
    )

    response, body = site.get("/accounts/login/")
    html = body.decode()
    check(response.status == 200 and 'name="password"' in html, "the login page is 200")
    css = static_urls(html, r"sasaeai/app\.[0-9a-f]{12}\.css")
    check(bool(css), f"the login page links the hashed stylesheet {css[:1]}")
    check_static(site, css[0], "text/css")

    response, body = site.get(f"/map/{TENANT_CODE}/")
    html = body.decode()
    check(response.status == 200, "the public map page is 200")
    for name in (r"vendor/leaflet/leaflet", r"vendor/leaflet-markercluster/leaflet\.markercluster"):
        scripts = static_urls(html, rf"{name}\.[0-9a-f]{{12}}\.js")
        check(bool(scripts), f"the map page loads {scripts[:1]}")
        check_static(site, scripts[0], "javascript")

    response, body = site.get(f"/api/v1/resources/{TENANT_CODE}/services")
    check(
        response.status == 200
        and (response.getheader("Content-Type") or "").startswith("application/json")
        and "contents" in json.loads(body),
        "the resources API answers JSON",
    )
    check_sign_in(site)


def check_static(site: Site, url: str, kind: str) -> None:
    response, body = site.get(url, **{"Accept-Encoding": "gzip"})
    check(
        response.status == 200
        and kind in (response.getheader("Content-Type") or "")
        and len(body) > 100,
        f"{url} is served ({response.getheader('Content-Encoding') or 'identity'})",
    )


def check_sign_in(site: Site, username: str = RESIDENT) -> None:
    token = site.cookies.get("csrftoken")
    check(bool(token), "the login page sets a CSRF cookie")
    form = f"csrfmiddlewaretoken={quote(token)}&username={username}&password={quote(PASSWORD)}"
    response, _body = site.request(
        "POST", "/accounts/login/", body=form, **{
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"https://{HOST}", "Referer": f"https://{HOST}/accounts/login/",
        },
    )  # fmt: skip
    location = response.getheader("Location") or ""
    check(
        response.status == 302 and "/accounts/login/" not in location,
        f"{username} signs in (session in Redis, audit entry by the app role) → {location}",
    )
    response, _body = site.get(urlsplit(location).path or "/")
    check(response.status in (200, 302), f"the signed-in home page answers {response.status}")


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "manage.py", "run_worker", "--interval", "0.5"],
            cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def check_report_job(port: int, plan_id: int, year: int, worker: subprocess.Popen) -> None:
    """A committee member asks for the report; the worker (app role) makes it; download."""
    site = Site(port)
    site.get("/accounts/login/")
    check_sign_in(site, COMMITTEE)
    form = f"csrfmiddlewaretoken={quote(site.cookies['csrftoken'])}"
    response, _body = site.request(
        "POST", f"/plans/{plan_id}/report.xlsx?year={year}", body=form, **{
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"https://{HOST}", "Referer": f"https://{HOST}/plans/{plan_id}/",
        },
    )  # fmt: skip
    job_page = urlsplit(response.getheader("Location") or "").path
    check(
        response.status == 302 and job_page.startswith("/jobs/"),
        f"the committee report request queues a job → {job_page}",
    )
    deadline = time.monotonic() + 120
    status = ""
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SmokeFailure(f"the worker exited with {worker.returncode}")
        _response, body = site.get(job_page, **{"HX-Request": "true"})
        found = re.search(r'data-status="(\w+)"', body.decode())
        status = found.group(1) if found else "?"
        if status in ("succeeded", "failed"):
            break
        time.sleep(0.5)
    check(status == "succeeded", f"the worker (as {APP_ROLE}) ran the job: {status}")
    response, body = site.get(f"{job_page}download/")
    check(
        response.status == 200 and body[:2] == b"PK" and len(body) > 1000,
        f"the report is downloaded from the job ({len(body):,} bytes)",
    )


PASSWORD = secrets.token_urlsafe(16)


def main() -> int:
    server = server_settings()
    redis_url = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/0")
    if not redis_reachable(redis_url):
        raise SmokeFailure(f"Redis is not reachable at {redis_url}")
    state: dict = {}
    static_root = Path(tempfile.mkdtemp(prefix="sasaeai-smoke-static-"))
    log = static_root.parent / f"{static_root.name}-gunicorn.log"
    worker_log = static_root.parent / f"{static_root.name}-worker.log"
    process = worker = None
    try:
        say(f"database {server['name']} on {server['host']}:{server['port']}")
        owner_url, app_url = prepare_database(server, state)
        owner_env = production_env(owner_url, static_root)
        manage(owner_env, "migrate", "--no-input", "-v0")
        say("ok  migrate as the owner")
        seeded = manage({**owner_env, "SMOKE_PW": PASSWORD}, "shell", "-c", SEED)
        plan_id, plan_year = (int(value) for value in seeded.split()[-2:])
        manage(owner_env, "collectstatic", "--no-input", "-v0")
        say("ok  collectstatic with production settings")
        port = free_port()
        process = start_gunicorn(production_env(app_url, static_root), port, log)
        say(f"gunicorn (pid {process.pid}) on 127.0.0.1:{port} as {APP_ROLE}")
        check_site(Site(port))
        worker = start_worker(production_env(app_url, static_root), worker_log)
        say(f"worker (pid {worker.pid}) as {APP_ROLE}")
        check_report_job(port, plan_id, plan_year, worker)
    except Exception:
        for path in (log, worker_log):
            if path.exists():
                print(path.read_text(errors="replace")[-4000:], file=sys.stderr)
        raise
    finally:
        for running in (process, worker):
            if running is not None:
                stop(running)
        if state:
            clean_database(server, state)
        shutil.rmtree(static_root, ignore_errors=True)
        log.unlink(missing_ok=True)
        worker_log.unlink(missing_ok=True)
    say("passed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SmokeFailure as failure:
        print(f"prod-smoke: FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
