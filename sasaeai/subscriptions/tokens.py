"""The links in the mails: a one-time confirmation token, and a signed link for opting out.

The confirmation token is 32 random bytes; only its SHA-256 is stored, and it expires after
SUBSCRIPTIONS_CONFIRM_DAYS. The opt-out link must keep working in every mail ever sent (RFC
8058 one-click), so it is not stored at all: it is the subscriber's id signed with
django.core.signing under a salt naming the tenant (a link of one city does nothing in
another). It stops working only if SECRET_KEY changes.
"""

import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse


def new_confirm_token() -> tuple[str, str]:
    """(token for the link, its hash for the database)."""
    token = secrets.token_urlsafe(32)
    return token, confirm_token_hash(token)


def confirm_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signer(tenant_id: int) -> signing.Signer:
    return signing.Signer(salt=f"sasaeai.subscriptions.link.{tenant_id}")


def subscriber_token(tenant_id: int, subscriber_id: int) -> str:
    return _signer(tenant_id).sign(str(subscriber_id))


def subscriber_id_from_token(tenant_id: int, token: str) -> int | None:
    try:
        value = _signer(tenant_id).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def confirm_url(tenant_code: str, token: str) -> str:
    return absolute(reverse("subscriptions_public:confirm", args=[tenant_code, token]))


def unsubscribe_url(tenant_code: str, tenant_id: int, subscriber_id: int) -> str:
    token = subscriber_token(tenant_id, subscriber_id)
    return absolute(reverse("subscriptions_public:unsubscribe", args=[tenant_code, token]))


def preferences_url(tenant_code: str, tenant_id: int, subscriber_id: int) -> str:
    token = subscriber_token(tenant_id, subscriber_id)
    return absolute(reverse("subscriptions_public:preferences", args=[tenant_code, token]))


def subscribe_url(tenant_code: str) -> str:
    return absolute(reverse("subscriptions_public:subscribe", args=[tenant_code]))
