"""Password guessing: locked per user and address, a ceiling per user, a growing wait, and a
new session key once the second factor is passed."""

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sasaeai.accounts.models import Role
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"
OFFICE = "192.0.2.10"
ATTACKER = "203.0.113.66"


def attempt(username: str, password: str, address: str) -> int:
    """One login from an address (a new browser each time); the status code."""
    return (
        Client(REMOTE_ADDR=address)
        .post(LOGIN, {"username": username, "password": password})
        .status_code
    )


@override_settings(LOGIN_RETRY_DELAY_SECONDS=0)
def test_an_attacker_failing_from_another_address_does_not_lock_the_user_out_from_theirs(world):
    user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    statuses = [
        attempt(user.username, "guess", ATTACKER) for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] == 429
    assert attempt(user.username, PASSWORD, ATTACKER) == 429  # that address stays locked
    assert attempt(user.username, PASSWORD, OFFICE) == 302


@override_settings(LOGIN_RETRY_DELAY_SECONDS=0, LOGIN_FAILURE_LIMIT_PER_USER=12)
def test_failures_from_many_addresses_still_lock_the_user_at_the_ceiling(world):
    user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    below_pair_limit = settings.AXES_FAILURE_LIMIT - 1
    statuses = [
        attempt(user.username, "guess", f"198.51.100.{n}")
        for n in range(3)
        for _ in range(below_pair_limit)
    ]
    assert statuses[:-1] == [200] * 11 and statuses[-1] == 429
    assert attempt(user.username, PASSWORD, OFFICE) == 429
    assert (
        "ロック"
        in Client(REMOTE_ADDR=OFFICE)
        .post(LOGIN, {"username": user.username, "password": PASSWORD})
        .content.decode()
    )


@override_settings(LOGIN_RETRY_DELAY_SECONDS=2)
def test_after_a_failure_the_same_address_waits_before_its_next_try(world):
    user = world.user(Role.RESIDENT)
    assert attempt(user.username, "guess", OFFICE) == 200
    response = Client(REMOTE_ADDR=OFFICE).post(
        LOGIN, {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 200  # refused without checking the password
    assert "秒" in response.content.decode()
    assert attempt(user.username, PASSWORD, "192.0.2.11") == 302  # another address: no wait
    attempts = AccessAttempt.objects.filter(username=user.username, ip_address=OFFICE)
    assert attempts.get().failures_since_start == 1  # the refused try did not count
    attempts.update(attempt_time=attempts.get().attempt_time - timedelta(seconds=3))
    assert attempt(user.username, PASSWORD, OFFICE) == 302


def test_the_session_key_changes_when_the_second_factor_is_passed(world):
    user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    client = Client()
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    device = TOTPDevice.objects.get(user=user)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}"
    response = client.post("/accounts/two-factor/?next=/areas/", {"token": code})
    assert response.status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert client.get("/areas/").status_code == 200  # still signed in, second factor passed
    stale = Client()
    stale.cookies[settings.SESSION_COOKIE_NAME] = before
    assert stale.get("/areas/").status_code == 302
