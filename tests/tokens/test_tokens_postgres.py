"""Tokens under PostgreSQL row-level security, as the application role production uses."""

import pytest
from django.db import connection

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.core.tenancy import tenant_context
from tests.postgres.test_row_level_security import rows_as_app
from tests.tokens.conftest import bearer

pytestmark = pytest.mark.postgres


@pytest.fixture
def as_app_role(app_role):
    """Every query of the block, requests included, as the application role."""
    with connection.cursor() as cursor:
        cursor.execute("SET ROLE sasaeai_app")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def current_tenant_setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('sasaeai.tenant_id', true)")
        return cursor.fetchone()[0] or ""


def test_tokens_are_invisible_without_their_tenant(world, app_role, token_of):
    token_of()
    assert rows_as_app("SELECT count(*) FROM tokens_apitoken") == [(0,)]
    with tenant_context(world.tenant_b.pk):
        assert rows_as_app("SELECT count(*) FROM tokens_apitoken") == [(0,)]
    with tenant_context(world.tenant_a.pk):
        assert rows_as_app("SELECT count(*) FROM tokens_apitoken") == [(1,)]


def test_a_token_request_as_the_app_role_sees_its_tenant_only(world, token_of, as_app_role):
    with tenant_context(world.tenant_a.pk):
        created = token_of(
            scopes=["core:read", "audit:read"], membership=world.members[Role.SYSTEM_ADMIN]
        )
    client = bearer(created.plaintext)
    response = client.get("/api/v1/areas")
    assert response.status_code == 200, response.content
    names = {a["name"] for a in response.json()["items"]}
    assert "桶川地区" in names and "並木地区" not in names
    assert client.get(f"/api/v1/areas/{world.area_b.pk}").status_code == 404
    # The read of the log is appended through the owner's trigger, with the token named.
    assert client.get("/api/v1/audit/entries").status_code == 200
    with tenant_context(world.tenant_a.pk):
        entry = AuditEntry.objects.filter(action="read").latest("sequence")
    assert entry.detail["api_token"] == created.token.pk
    assert entry.actor_id == world.user(Role.SYSTEM_ADMIN).pk
    # The connection is handed back with no tenant, as after a session request.
    assert current_tenant_setting() == ""


def test_a_forged_tenant_id_finds_nothing_as_the_app_role(world, token_of, as_app_role):
    with tenant_context(world.tenant_a.pk):
        created = token_of()
    forged = created.plaintext.replace(
        f"sasaeai_{world.tenant_a.pk}_", f"sasaeai_{world.tenant_b.pk}_", 1
    )
    response = bearer(forged).get("/api/v1/areas")
    assert response.status_code == 401
    assert current_tenant_setting() == ""


def test_a_service_token_request_as_the_app_role(world, as_app_role):
    from sasaeai.tokens import services
    from tests.consultation.factories import actor_of

    with tenant_context(world.tenant_a.pk):
        created = services.create_service_token(
            actor_of(world, Role.SYSTEM_ADMIN), name="統計", role=Role.MUNICIPAL_STAFF,
            scopes=["core:read", "plans:read"],
        )  # fmt: skip
    client = bearer(created.plaintext)
    assert client.get("/api/v1/plans").status_code == 200
    names = {a["name"] for a in client.get("/api/v1/areas").json()["items"]}
    assert "桶川地区" in names and "並木地区" not in names
