"""Bearer tokens for the API: parse, look up, check, and build the actor they act as.

A token reads `sasaeai_<tenant id>_<prefix>_<secret>`. The tenant id is public: the token is
looked up inside that tenant (`tenant_context`), so the tokens table stays under strict
row-level security like every tenant table, with no lookup across tenants before sign-in.
A forged tenant id finds no token. The secret is compared by its SHA-256 hash in constant
time. Every failure is the same `None` for the caller: the client learns "invalid or
expired", never which.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from sasaeai.accounts import policy, selectors
from sasaeai.core.tenancy import tenant_context
from sasaeai.tokens.models import ApiToken, TokenKind

TOKEN_PATTERN = re.compile(r"sasaeai_([1-9][0-9]{0,17})_([0-9a-f]{12})_([0-9a-f]{64})")
# last_used_at is written at most this often per token: reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def format_token(tenant_id: int, prefix: str, secret: str) -> str:
    return f"sasaeai_{tenant_id}_{prefix}_{secret}"


def bearer_token(request) -> str | None:
    """The credentials of an `Authorization: Bearer …` header; None without one."""
    header = request.META.get("HTTP_AUTHORIZATION")
    if header is None:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip()


@dataclass(frozen=True)
class TokenAuthentication:
    token: ApiToken
    actor: policy.Actor
    user: object | None  # the personal token's user; None for a service token


def authenticate(raw: str, *, ip_address: str | None = None) -> TokenAuthentication | None:
    match = TOKEN_PATTERN.fullmatch(raw)
    if match is None:
        return None
    tenant_id, prefix, secret = int(match[1]), match[2], match[3]
    with tenant_context(tenant_id):
        token = (
            ApiToken.objects.filter(tenant_id=tenant_id, prefix=prefix)
            .select_related("tenant", "user")
            .first()
        )
        if token is None or not hmac.compare_digest(token.secret_hash, hash_secret(secret)):
            return None
        if not token.is_usable or not token.tenant.is_active:
            return None
        actor = _actor_for(token, ip_address)
        if actor is None:
            return None
        _touch(token)
    return TokenAuthentication(
        token=token, actor=actor, user=token.user if token.kind == TokenKind.PERSONAL else None
    )


def _actor_for(token: ApiToken, ip_address: str | None) -> policy.Actor | None:
    if token.kind == TokenKind.SERVICE:
        return policy.Actor(
            user_id=None,
            username=f"service:{token.name}"[:150],
            tenant_id=token.tenant_id,
            membership_id=None,
            role=policy.Role(token.role),
            otp_verified=True,
            ip_address=ip_address,
            token_id=token.pk,
        )
    # A personal token acts as its user's membership as it is now: a removed membership, a
    # deactivated user or a role that may no longer hold tokens ends it.
    membership = selectors.membership_for(user_id=token.user_id, tenant_id=token.tenant_id)
    if membership is None or membership.role not in policy.PERMISSIONS["tokens.use_personal"]:
        return None
    return policy.Actor(
        user_id=token.user_id,
        username=token.user.get_username(),
        tenant_id=token.tenant_id,
        membership_id=membership.pk,
        role=policy.Role(membership.role),
        area_ids=(
            selectors.district_area_ids(membership)
            if membership.role in policy.AREA_LIMITED_ROLES
            else frozenset()
        ),
        # The token was created in a session that passed two-factor authentication.
        otp_verified=True,
        ip_address=ip_address,
        token_id=token.pk,
    )


def _touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
