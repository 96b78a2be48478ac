import base64
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sasaeai.accounts import services
from sasaeai.accounts.models import Role
from sasaeai.accounts.signals import AUTH_STARTED_AT
from tests.conftest import PASSWORD, SYSTEM


def current_code(user):
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}"


def test_staff_login_goes_through_two_factor(world):
    user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    response = client.get("/areas/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/")
    response = client.post("/accounts/two-factor/?next=/areas/", {"token": current_code(user)})
    assert response.status_code == 302 and response["Location"] == "/areas/"
    assert client.get("/areas/").status_code == 200


def test_wrong_second_factor_code_is_refused(world):
    user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    wrong = f"{(int(current_code(user)) + 1) % 1000000:06d}"
    response = client.post("/accounts/two-factor/", {"token": wrong})
    assert response.status_code == 200
    assert "コード" in response.content.decode()
    assert client.get("/areas/").status_code == 302


def test_resident_needs_no_second_factor(world):
    client = Client()
    client.post("/accounts/login/", {"username": "a-resident", "password": PASSWORD})
    assert client.get("/").status_code == 200


def test_first_login_without_device_enrols_totp(world):
    user = world.user(Role.MUNICIPAL_STAFF)
    TOTPDevice.objects.filter(user=user).delete()
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    response = client.get("/accounts/two-factor/", follow=True)
    assert b"data:image/svg+xml" in response.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # The key to type by hand is base32, as authenticator apps expect (and as in the QR code).
    key = re.search(r"<code>([A-Z2-7]+)</code>", response.content.decode()).group(1)
    assert base64.b32decode(key + "=" * (-len(key) % 8)) == device.bin_key
    assert f"secret={key}" in device.config_url
    code = f"{totp(device.bin_key):06d}"
    response = client.post("/accounts/two-factor/setup/", {"token": code})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/areas/").status_code == 200


@override_settings(AXES_FAILURE_LIMIT=3, LOGIN_RETRY_DELAY_SECONDS=0)
def test_failed_logins_lock_the_account(world):
    client = Client()
    for _ in range(3):
        response = client.post("/accounts/login/", {"username": "a-resident", "password": "wrong"})
    assert response.status_code == 429
    response = client.post("/accounts/login/", {"username": "a-resident", "password": PASSWORD})
    assert response.status_code == 429
    assert "ロック" in response.content.decode()


def test_wrong_password_is_explained_in_japanese(world):
    response = Client().post("/accounts/login/", {"username": "a-resident", "password": "nope"})
    assert response.status_code == 200
    assert "パスワード" in response.content.decode()


def test_anonymous_page_request_goes_to_login(client, db):
    response = client.get("/areas/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_session_past_the_absolute_limit_is_ended_with_its_own_message(world):
    client = world.client_for(world.user(Role.RESIDENT))
    session = client.session
    session[AUTH_STARTED_AT] = session.get(AUTH_STARTED_AT, 0) - 11 * 3600
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert "reason=expired" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "セッション" in page


def test_disabling_a_user_ends_their_sessions(world):
    user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    client = world.client_for(user)
    assert client.get("/").status_code == 200
    services.user_deactivate(actor=SYSTEM, user=user)
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_disabling_through_the_page_needs_the_admin_role(world):
    target = world.members[Role.VOLUNTEER]
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert staff.post(f"/accounts/members/{target.pk}/deactivate/").status_code == 403
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    assert admin.post(f"/accounts/members/{target.pk}/deactivate/").status_code == 302
    target.user.refresh_from_db()
    assert not target.user.is_active


def test_weak_passwords_are_refused(world):
    with pytest.raises(ValidationError):
        services.member_create(
            actor=SYSTEM,
            tenant=world.tenant_a,
            username="weak",
            password="12345678",
            role="resident",
        )
