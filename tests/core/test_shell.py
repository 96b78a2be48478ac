from contextlib import contextmanager

from django.core.management import call_command
from django.db import connections
from django.db.utils import load_backend

from sasaeai.accounts.models import Role


def test_healthz_reports_database_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@contextmanager
def database_unreachable():
    """Swap the default connection for one to a port (or file) nothing answers on."""
    original = connections["default"]
    broken_settings = {
        **original.settings_dict,
        "HOST": "127.0.0.1",
        "PORT": "9",
        "NAME": "/nonexistent/sasaeai-healthz/db.sqlite3",
    }
    if original.vendor == "postgresql":
        broken_settings["NAME"] = original.settings_dict["NAME"]
    broken = load_backend(original.settings_dict["ENGINE"]).DatabaseWrapper(
        broken_settings, "default"
    )
    connections["default"] = broken
    try:
        yield
    finally:
        broken.close()
        connections["default"] = original


def test_healthz_answers_503_without_the_database_detail_and_logs_it(client, db, caplog):
    with database_unreachable():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert "127.0.0.1" not in response.content.decode()
    logged = [
        r for r in caplog.records if r.name.startswith("sasaeai.core") and r.levelname == "ERROR"
    ]
    assert logged and logged[0].exc_info is not None


def test_pages_are_japanese_and_show_tenant_user_and_role(world):
    client = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER))
    content = client.get("/").content.decode()
    assert '<html lang="ja"' in content
    assert "桶川市" in content
    assert "コミュニティソーシャルワーカー" in content
    assert 'id="main"' in content


def test_english_is_selectable(world):
    client = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    content = client.get("/").content.decode()
    assert '<html lang="en"' in content
    assert "Home" in content


def test_navigation_lists_only_modules_the_role_may_open(world):
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN)).get("/").content.decode()
    resident = world.client_for(world.user(Role.RESIDENT)).get("/").content.decode()
    assert 'data-module="audit"' in admin
    assert 'data-module="audit"' not in resident
    assert 'data-module="areas"' not in resident


def test_large_text_mode_sticks(world):
    client = world.client_for(world.user(Role.RESIDENT))
    client.post("/display/large-text/", {"next": "/"})
    assert 'class="large-text"' in client.get("/").content.decode()


def test_strict_csp_and_no_store_on_signed_in_pages(world):
    response = world.client_for(world.user(Role.MUNICIPAL_STAFF)).get("/areas/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["Cache-Control"] == "no-store"


def test_pages_load_no_asset_from_another_host(world):
    content = world.client_for(world.user(Role.MUNICIPAL_STAFF)).get("/").content.decode()
    assert "https://" not in content and "http://" not in content
    assert "/static/django_htmx/htmx-2.min.js" in content


def test_unknown_page_gets_the_japanese_404(world):
    response = world.client_for(world.user(Role.RESIDENT)).get("/no-such-page/")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()


def test_no_pending_migrations(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
