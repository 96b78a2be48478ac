from django.contrib.auth.models import AnonymousUser

from sasaeai.accounts.middleware import is_api
from sasaeai.core.tenancy import tenant_context, user_context
from sasaeai.tokens.auth import authenticate, bearer_token


class TokenActorMiddleware:
    """An API request with `Authorization: Bearer` acts as its token, in the token's tenant.

    Placed after ActorMiddleware: the token's actor replaces the session's, and the request runs
    inside the same tenant_context/user_context as a session request would, so policy scoping
    and row-level security are the same. `request.api_token` is set whenever a bearer token was
    presented: the token, or None when it is invalid (the API then answers 401, see
    sasaeai.api.TokenAuth). Pages outside /api/ ignore the header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api(request):
            return self.get_response(request)
        raw = bearer_token(request)
        if raw is None:
            return self.get_response(request)
        request.api_token = None
        found = authenticate(raw, ip_address=request.META.get("REMOTE_ADDR") or None)
        if found is None:
            return self.get_response(request)
        request.api_token = found.token
        request.actor = found.actor
        # A service token acts as no person, whatever session cookie came along.
        request.user = found.user if found.user is not None else AnonymousUser()
        with user_context(found.actor.user_id), tenant_context(found.actor.tenant_id):
            return self.get_response(request)
