"""API tokens: hashed at rest, shown once, expiring, revocable, scoped per module, audited."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from sasaeai.accounts import services as account_services
from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.core.models import Area
from sasaeai.tokens import scopes, services
from sasaeai.tokens.auth import hash_secret
from sasaeai.tokens.models import ApiToken
from tests.consultation.factories import actor_for, actor_of
from tests.tokens.conftest import bearer


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) >= {"code", "message", "fields"}
    return body["error"]["code"]


# --- at rest ------------------------------------------------------------------------------


def all_text_in_database() -> str:
    """Every table's every row as text: the secret must appear nowhere."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (our own table names)
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_the_secret_is_stored_only_as_its_hash(world, token_of):
    created = token_of(scopes=["core:read", "plans:write"])
    secret = created.plaintext.rsplit("_", 1)[1]
    assert len(secret) == 64
    token = ApiToken.objects.get()
    assert token.secret_hash == hash_secret(secret) != secret
    text = all_text_in_database()
    assert secret not in text
    assert created.plaintext not in text
    assert token.prefix in text  # the public part is what lists show


def test_token_format_names_tenant_and_prefix(world, token_of):
    created = token_of()
    token = created.token
    assert created.plaintext.startswith(f"sasaeai_{world.tenant_a.pk}_{token.prefix}_")
    assert token.public_prefix == f"sasaeai_{world.tenant_a.pk}_{token.prefix}"


def test_a_token_is_shown_once_on_creation_and_never_again(world):
    user = world.user(Role.MUNICIPAL_STAFF)
    client = world.client_for(user)
    response = client.post(
        "/tokens/new",
        {"personal-name": "集計スクリプト", "personal-scopes": ["core:read"],
         "personal-lifetime_days": "90"},
    )  # fmt: skip
    assert response.status_code == 200
    plaintext = response.context["created"].plaintext
    page = response.content.decode()
    assert plaintext in page
    assert "この一度だけ" in page  # the copy hint
    assert response["Cache-Control"] == "no-store"
    again = client.get("/tokens/").content.decode()
    assert plaintext not in again
    assert plaintext.rsplit("_", 1)[1] not in again
    assert ApiToken.objects.get().public_prefix in again


def test_default_lifetime_is_90_days_and_at_most_a_year(world, token_of):
    created = token_of()
    lifetime = created.token.expires_at - timezone.now()
    assert timedelta(days=89, hours=23) < lifetime <= timedelta(days=90)
    with pytest.raises(ValidationError) as error:
        token_of(lifetime_days=366)
    assert "lifetime_days" in error.value.message_dict
    assert ApiToken.objects.count() == 1


def test_bad_form_input_saves_nothing_and_says_where(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.post(
        "/tokens/new", {"personal-name": "", "personal-scopes": ["audit:write", "nope:read"]}
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"name", "scopes", "lifetime_days"}
    assert ApiToken.objects.count() == 0


# --- authentication -----------------------------------------------------------------------


def test_a_personal_token_acts_as_its_user_without_session_or_csrf(world, token_of):
    created = token_of(scopes=["accounts:read", "core:write"])
    client = bearer(created.plaintext)
    client.handler.enforce_csrf_checks = True
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == "a-municipal_staff"
    response = client.post(
        "/api/v1/areas", json.dumps({"kind": "district", "name": "新地区"}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert Area.objects.filter(name="新地区", tenant=world.tenant_a).exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "bearer nonsense",
        "Bearer sasaeai_",
        "Bearer sasaeai_1_abc_def",
        "Bearer sasaeai_99999999999999999999999_0123456789ab_" + "0" * 64,
        "Bearer sasaeai_1_0123456789ab_" + "0" * 64,
        "Bearer sasaeai_1_0123456789ab_" + "0" * 64 + "\x00",
        "Bearer " + "x" * 10_000,
        "Bearer ｓａｓａｅａｉ_1_0123456789ab_" + "0" * 64,
        "Bearer a b c",
    ],
)
def test_garbage_bearer_headers_are_401_not_500(world, header):
    response = bearer("").get("/api/v1/areas", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert error_of(response) == "invalid_token"
    assert response.json()["error"]["message"] == "APIトークンが無効か、有効期限が切れています。"
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_another_scheme_is_no_token_and_needs_a_session(world):
    response = bearer("").get("/api/v1/areas", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert response.status_code == 401
    assert error_of(response) == "not_authenticated"


def test_a_wrong_secret_with_a_real_prefix_is_401(world, token_of):
    created = token_of()
    forged = created.plaintext[:-4] + ("0000" if not created.plaintext.endswith("0000") else "1111")
    response = bearer(forged).get("/api/v1/areas")
    assert response.status_code == 401
    assert error_of(response) == "invalid_token"


def test_a_forged_tenant_id_finds_no_token(world, token_of):
    created = token_of()
    forged = created.plaintext.replace(
        f"sasaeai_{world.tenant_a.pk}_", f"sasaeai_{world.tenant_b.pk}_", 1
    )
    assert bearer(forged).get("/api/v1/areas").status_code == 401


def test_an_expired_token_is_401_like_any_invalid_one(world, token_of):
    created = token_of()
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(created.plaintext).get("/api/v1/areas")
    assert response.status_code == 401
    assert error_of(response) == "invalid_token"


def test_a_revoked_token_is_401(world, token_of):
    created = token_of()
    client = bearer(created.plaintext)
    assert client.get("/api/v1/areas").status_code == 200
    services.revoke_token(actor_of(world, Role.MUNICIPAL_STAFF), created.token)
    assert client.get("/api/v1/areas").status_code == 401


def test_a_deactivated_user_or_removed_membership_ends_the_token(world, token_of):
    created = token_of()
    client = bearer(created.plaintext)
    assert client.get("/api/v1/areas").status_code == 200
    user = world.user(Role.MUNICIPAL_STAFF)
    user.is_active = False
    user.save()
    assert client.get("/api/v1/areas").status_code == 401
    user.is_active = True
    user.save()
    assert client.get("/api/v1/areas").status_code == 200
    world.members[Role.MUNICIPAL_STAFF].delete()
    assert client.get("/api/v1/areas").status_code == 401


def test_a_member_whose_role_may_no_longer_hold_tokens_loses_them(world, token_of):
    created = token_of()
    membership = world.members[Role.MUNICIPAL_STAFF]
    membership.role = Role.VOLUNTEER
    membership.save()
    assert bearer(created.plaintext).get("/api/v1/areas").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(world, token_of):
    created = token_of()
    client = bearer(created.plaintext)
    client.get("/api/v1/areas")
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    client.get("/api/v1/areas")
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/areas")
    assert ApiToken.objects.get().last_used_at > first


# --- scopes -------------------------------------------------------------------------------


def test_modules_come_from_the_signed_in_routers():
    assert scopes.modules() == [
        "core",
        "accounts",
        "audit",
        "plans",
        "consultation",
        "jobs",
        "notifications",
        "notices",
        "surveys",
        "courses",
        "volunteers",
        "watch",
        "commissioners",
        "disaster",
        "subscriptions",
    ]
    assert "resources:read" not in scopes.all_scopes()  # the resources API is public


def test_a_read_only_token_cannot_post(world, token_of):
    created = token_of(scopes=["core:read"])
    client = bearer(created.plaintext)
    assert client.get("/api/v1/areas").status_code == 200
    response = client.post(
        "/api/v1/areas", json.dumps({"kind": "district", "name": "x"}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 403
    assert error_of(response) == "insufficient_scope"
    assert not Area.objects.filter(name="x").exists()


def test_a_token_reaches_only_the_modules_it_names(world, token_of):
    created = token_of(scopes=["plans:read"])
    client = bearer(created.plaintext)
    assert client.get("/api/v1/plans").status_code == 200
    for path in ("/api/v1/areas", "/api/v1/me", "/api/v1/consultation/cases"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert error_of(response) == "insufficient_scope"


def test_scopes_do_not_widen_the_role(world, token_of):
    # A municipal staff member may not read the audit log; an audit scope changes nothing.
    created = token_of(scopes=["audit:read"])
    response = bearer(created.plaintext).get("/api/v1/audit/entries")
    assert response.status_code == 403
    assert error_of(response) == "permission_denied"


def test_the_public_resources_api_ignores_tokens(world, token_of):
    created = token_of(scopes=["core:read"])
    response = bearer(created.plaintext).get(f"/api/v1/resources/{world.tenant_a.code}/")
    assert response.status_code == 200


# --- tenants ------------------------------------------------------------------------------


def test_a_token_sees_only_its_own_tenant(world, token_of):
    created = token_of(scopes=["core:read"])
    client = bearer(created.plaintext)
    names = {a["name"] for a in client.get("/api/v1/areas").json()["items"]}
    assert "並木地区" not in names and "桶川地区" in names
    response = client.get(f"/api/v1/areas/{world.area_b.pk}")
    assert response.status_code == 404
    assert "並木" not in response.content.decode()


def test_a_token_wins_over_a_session_of_another_tenant(world, token_of):
    created = token_of(scopes=["core:read"])
    client = world.client_for(world.admin_b.user)
    names = {
        a["name"]
        for a in client.get(
            "/api/v1/areas", HTTP_AUTHORIZATION=f"Bearer {created.plaintext}"
        ).json()["items"]
    }
    assert "並木地区" not in names and "桶川地区" in names


# --- who may hold tokens ------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_only_staff_roles_create_personal_tokens(world, role):
    allowed = {
        Role.SYSTEM_ADMIN, Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF,
        Role.COMMUNITY_SOCIAL_WORKER, Role.VOLUNTEER_COORDINATOR,
    }  # fmt: skip
    client = world.client_for(world.user(role))
    page = client.get("/tokens/")
    posted = client.post(
        "/tokens/new",
        {"personal-name": "x", "personal-scopes": ["core:read"], "personal-lifetime_days": "90"},
    )
    if role in allowed:
        assert page.status_code == 200
        assert posted.status_code == 200
        assert ApiToken.objects.count() == 1
    else:
        assert page.status_code == 403
        assert posted.status_code == 403
        assert ApiToken.objects.count() == 0


def test_a_token_cannot_mint_tokens(world, token_of):
    created = token_of()
    actor = actor_of(world, Role.MUNICIPAL_STAFF)
    from dataclasses import replace

    with pytest.raises(PermissionDenied):
        services.create_personal_token(
            replace(actor, token_id=created.token.pk), name="x", scopes=["core:read"]
        )


def test_service_tokens_are_for_system_admins_never_as_system_admin(world):
    admin = actor_of(world, Role.SYSTEM_ADMIN)
    with pytest.raises(ValidationError) as error:
        services.create_service_token(
            admin, name="統計", role=Role.SYSTEM_ADMIN, scopes=["plans:read"]
        )
    assert "role" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.create_service_token(
            admin, name="統計", role=Role.MUNICIPAL_STAFF, scopes=["plans:write"]
        )
    assert "scopes" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.create_service_token(
            actor_of(world, Role.MUNICIPAL_STAFF), name="統計", role=Role.MUNICIPAL_STAFF,
            scopes=["plans:read"],
        )  # fmt: skip
    assert ApiToken.objects.count() == 0


def test_a_service_token_acts_with_its_role_and_only_reads(world):
    created = services.create_service_token(
        actor_of(world, Role.SYSTEM_ADMIN), name="統計システム", role=Role.MUNICIPAL_STAFF,
        scopes=["core:read", "plans:read"],
    )  # fmt: skip
    client = bearer(created.plaintext)
    assert client.get("/api/v1/plans").status_code == 200
    names = {a["name"] for a in client.get("/api/v1/areas").json()["items"]}
    assert "桶川地区" in names and "並木地区" not in names
    response = client.post(
        "/api/v1/areas", json.dumps({"kind": "district", "name": "x"}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 403


def test_service_tokens_are_managed_on_the_page_by_system_admins(world):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    response = client.post(
        "/tokens/service/new",
        {"service-name": "統計システム", "service-role": "municipal_staff",
         "service-scopes": ["plans:read"], "service-lifetime_days": "365"},
    )  # fmt: skip
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert token.kind == "service" and token.user is None and token.created_by is not None
    assert "統計システム" in client.get("/tokens/").content.decode()
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert "統計システム" not in staff.get("/tokens/").content.decode()
    assert staff.post(f"/tokens/{token.pk}/revoke").status_code == 403
    assert client.post(f"/tokens/{token.pk}/revoke").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_revoking_another_users_token_or_another_tenants_is_refused(world, token_of):
    created = token_of()
    other = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    assert other.post(f"/tokens/{created.token.pk}/revoke").status_code == 403
    assert (
        world.client_for(world.admin_b.user).post(f"/tokens/{created.token.pk}/revoke").status_code
        == 404
    )
    created.token.refresh_from_db()
    assert created.token.revoked_at is None
    own = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert own.post(f"/tokens/{created.token.pk}/revoke").status_code == 302
    created.token.refresh_from_db()
    assert created.token.revoked_at is not None


# --- audit --------------------------------------------------------------------------------


def test_create_revoke_and_use_are_audited_with_the_token(world, token_of):
    admin = world.members[Role.SYSTEM_ADMIN]
    created = token_of(scopes=["audit:read", "core:write"], membership=admin)
    token = created.token
    entry = AuditEntry.objects.get(object_type="tokens.apitoken", action="create")
    assert entry.actor_username == "a-system_admin"
    assert entry.detail["scopes"] == ["core:write", "audit:read"]
    assert created.plaintext.rsplit("_", 1)[1] not in json.dumps(entry.detail)

    client = bearer(created.plaintext)
    assert client.get("/api/v1/audit/entries").status_code == 200
    read = AuditEntry.objects.filter(action="read").latest("sequence")
    assert read.actor_id == admin.user_id
    assert read.detail["api_token"] == token.pk
    client.post(
        "/api/v1/areas", json.dumps({"kind": "district", "name": "新地区"}),
        content_type="application/json",
    )  # fmt: skip
    made = AuditEntry.objects.get(object_type="core.area", action="create", actor_id=admin.user_id)
    assert made.detail["api_token"] == token.pk

    services.revoke_token(actor_for(admin), token)
    revoked = AuditEntry.objects.filter(object_type="tokens.apitoken", action="update").get()
    assert revoked.detail["revoked"] is True


def test_a_service_tokens_actions_name_the_service(world):
    admin = actor_of(world, Role.SYSTEM_ADMIN)
    created = services.create_service_token(
        admin, name="統計システム", role=Role.MUNICIPAL_STAFF, scopes=["plans:read"]
    )
    services.revoke_token(admin, created.token)  # audited as the admin
    entry = AuditEntry.objects.filter(object_type="tokens.apitoken").latest("sequence")
    assert entry.actor_username == "a-system_admin"


def test_session_requests_are_unchanged_and_carry_no_token(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    client.post(
        "/api/v1/areas", json.dumps({"kind": "district", "name": "新地区"}),
        content_type="application/json",
    )  # fmt: skip
    entry = AuditEntry.objects.get(
        object_type="core.area", action="create", actor_username="a-municipal_staff"
    )
    assert "api_token" not in entry.detail


def test_the_admin_lists_tokens_read_only_without_the_hash(world, token_of):
    created = token_of()
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    listing = client.get("/admin/tokens/apitoken/")
    assert listing.status_code == 200
    detail = client.get(f"/admin/tokens/apitoken/{created.token.pk}/change/")
    assert detail.status_code == 200
    page = detail.content.decode()
    assert created.token.secret_hash not in page
    assert created.token.prefix in page
    assert client.get("/admin/tokens/apitoken/add/").status_code == 403
    assert (
        client.post(
            f"/admin/tokens/apitoken/{created.token.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert ApiToken.objects.count() == 1


def test_deactivation_through_the_service_ends_the_token(world, token_of):
    created = token_of()
    account_services.user_deactivate(
        actor=actor_of(world, Role.SYSTEM_ADMIN), user=world.user(Role.MUNICIPAL_STAFF)
    )
    assert bearer(created.plaintext).get("/api/v1/areas").status_code == 401


def test_an_inactive_membership_ends_the_token(world, token_of):
    created = token_of()
    membership = world.members[Role.MUNICIPAL_STAFF]
    membership.is_active = False
    membership.save()
    assert bearer(created.plaintext).get("/api/v1/areas").status_code == 401


def test_a_bad_token_does_not_fall_back_to_the_session(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert client.get("/api/v1/areas").status_code == 200
    response = client.get("/api/v1/areas", HTTP_AUTHORIZATION="Bearer sasaeai_garbage")
    assert response.status_code == 401
    assert error_of(response) == "invalid_token"


def test_pages_ignore_bearer_headers(world, token_of):
    created = token_of()
    response = bearer(created.plaintext).get("/tokens/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
