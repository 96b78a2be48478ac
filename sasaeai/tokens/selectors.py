from django.db.models import QuerySet

from sasaeai.accounts import policy
from sasaeai.tokens.models import ApiToken, TokenKind


def own_tokens(actor: policy.Actor) -> QuerySet[ApiToken]:
    if not policy.has_permission(actor, "tokens.use_personal"):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(
        tenant_id=actor.tenant_id, kind=TokenKind.PERSONAL, user_id=actor.user_id
    ).order_by("-created_at")


def service_tokens(actor: policy.Actor) -> QuerySet[ApiToken]:
    if not policy.has_permission(actor, "tokens.manage_service"):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(tenant_id=actor.tenant_id, kind=TokenKind.SERVICE).order_by(
        "-created_at"
    )


def token_of_tenant(actor: policy.Actor, token_id: int) -> ApiToken | None:
    return ApiToken.objects.filter(tenant_id=actor.tenant_id, pk=token_id).first()
