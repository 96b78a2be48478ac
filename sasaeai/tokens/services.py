"""Creating and revoking API tokens: validated, audited; the token is returned once only."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.tokens import scopes as token_scopes
from sasaeai.tokens.auth import format_token, hash_secret
from sasaeai.tokens.models import SERVICE_ROLES, ApiToken, TokenKind

DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 365
PREFIX_BYTES = 6  # 12 hex characters, unique per tenant
SECRET_BYTES = 32


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    plaintext: str  # shown to its creator once, never stored


def _clean(
    name: str, scopes: list[str], lifetime_days: int, *, service: bool, role: str | None = None
) -> tuple:
    errors: dict[str, list[str]] = {}
    if service and role not in SERVICE_ROLES:
        errors["role"] = [_("Choose a role a service token may act as.")]
    name = (name or "").strip()
    if not name:
        errors.setdefault("name", []).append(_("Enter a name."))
    elif len(name) > 100:
        errors.setdefault("name", []).append(_("The name is too long (100 characters at most)."))
    allowed = token_scopes.all_scopes(service=service)
    unknown = [s for s in scopes if s not in allowed]
    if unknown:
        errors.setdefault("scopes", []).append(
            _("Unknown or not allowed scopes: %(scopes)s") % {"scopes": ", ".join(unknown)}
        )
    elif not scopes:
        errors.setdefault("scopes", []).append(_("Choose at least one scope."))
    if not isinstance(lifetime_days, int) or not 1 <= lifetime_days <= MAX_LIFETIME_DAYS:
        errors.setdefault("lifetime_days", []).append(
            _("A token expires after 1 to %(days)s days.") % {"days": MAX_LIFETIME_DAYS}
        )
    if errors:
        raise ValidationError(errors)
    return name, sorted(set(scopes), key=allowed.index)


def _create(actor: policy.Actor, **fields) -> CreatedToken:
    secret = secrets.token_hex(SECRET_BYTES)
    for _attempt in range(5):
        prefix = secrets.token_hex(PREFIX_BYTES)
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    tenant_id=actor.tenant_id,
                    prefix=prefix,
                    secret_hash=hash_secret(secret),
                    created_by_id=actor.user_id,
                    **fields,
                )
        except IntegrityError:
            continue  # a prefix already taken in this tenant: draw another
        audit_object(
            actor,
            Action.CREATE,
            token,
            detail={"kind": token.kind, "scopes": token.scopes, "prefix": token.prefix},
        )
        return CreatedToken(token, format_token(actor.tenant_id, prefix, secret))
    raise RuntimeError("no free token prefix")  # pragma: no cover (2**48 per tenant)


def create_personal_token(
    actor: policy.Actor,
    *,
    name: str,
    scopes: list[str],
    lifetime_days: int = DEFAULT_LIFETIME_DAYS,
) -> CreatedToken:
    policy.require(actor, "tokens.use_personal")
    if actor.token_id is not None:
        raise PermissionDenied  # a token does not mint tokens
    name, scopes = _clean(name, scopes, lifetime_days, service=False)
    return _create(
        actor,
        kind=TokenKind.PERSONAL,
        name=name,
        user_id=actor.user_id,
        scopes=scopes,
        expires_at=timezone.now() + timedelta(days=lifetime_days),
    )


def create_service_token(
    actor: policy.Actor,
    *,
    name: str,
    role: str,
    scopes: list[str],
    lifetime_days: int = DEFAULT_LIFETIME_DAYS,
) -> CreatedToken:
    policy.require(actor, "tokens.manage_service")
    if actor.token_id is not None:
        raise PermissionDenied
    name, scopes = _clean(name, scopes, lifetime_days, service=True, role=role)
    return _create(
        actor,
        kind=TokenKind.SERVICE,
        name=name,
        role=role,
        scopes=scopes,
        expires_at=timezone.now() + timedelta(days=lifetime_days),
    )


def can_revoke(actor: policy.Actor, token: ApiToken) -> bool:
    if token.tenant_id != actor.tenant_id:
        return False
    if token.kind == TokenKind.PERSONAL and token.user_id == actor.user_id:
        return policy.has_permission(actor, "tokens.use_personal")
    # System admins revoke service tokens and, in an emergency, anyone's personal token.
    return policy.has_permission(actor, "tokens.manage_service")


def revoke_token(actor: policy.Actor, token: ApiToken) -> ApiToken:
    if not policy.is_visible(actor, token):
        raise Http404
    if not can_revoke(actor, token):
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_object(actor, Action.UPDATE, token, detail={"revoked": True, "prefix": token.prefix})
    return token
