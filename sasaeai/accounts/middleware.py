from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from sasaeai.accounts import policy, selectors
from sasaeai.accounts.signals import AUTH_STARTED_AT
from sasaeai.core.db import request_transaction
from sasaeai.core.tenancy import tenant_context, user_context

SESSION_TENANT_KEY = "sasaeai_tenant_id"


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def _login_redirect(request, reason: str):
    query = urlencode({"next": request.get_full_path(), "reason": reason})
    return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?{query}")


class SessionLifetimeMiddleware:
    """End sessions that outlived the absolute limit, however active they were."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = request.session.get(AUTH_STARTED_AT)
        if request.user.is_authenticated and started is not None:
            age = timezone.now().timestamp() - started
            if age > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                request.session_expired = True
        return self.get_response(request)


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login unless marked otherwise; an expired session says so."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_api(request):
            return None  # the API answers 401 in JSON itself
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(self, request, view_func):
        had_session = settings.SESSION_COOKIE_NAME in request.COOKIES
        expired = getattr(request, "session_expired", False) or had_session
        return _login_redirect(request, "expired" if expired else "login")


class ActorMiddleware:
    """Decide who acts in which tenant, and run the request inside that tenant.

    The tenant comes from the user's memberships: the one chosen in the session, or the only
    one they have. A chosen tenant that is no longer a valid membership is forgotten.
    Under transaction pooling (core.db) the request runs in one transaction from here on, so
    that the transaction-local tenant and user settings hold for all of it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_transaction(request) as may_set_tenant:
            if not may_set_tenant:
                request.actor = self.anonymous(request)
                return self.get_response(request)
            return self._call(request)

    @staticmethod
    def anonymous(request) -> policy.Actor:
        return policy.Actor(
            user_id=None,
            username="",
            tenant_id=None,
            membership_id=None,
            role=None,
            ip_address=request.META.get("REMOTE_ADDR") or None,
        )

    def _call(self, request):
        user_id = request.user.pk if request.user.is_authenticated else None
        with user_context(user_id):
            request.actor = self.actor_for(request)
            with tenant_context(request.actor.tenant_id):
                return self.get_response(request)

    def actor_for(self, request) -> policy.Actor:
        ip_address = request.META.get("REMOTE_ADDR") or None
        user = request.user
        if not user.is_authenticated:
            return self.anonymous(request)
        membership = None
        tenant_id = request.session.get(SESSION_TENANT_KEY)
        if tenant_id is not None:
            membership = selectors.membership_for(user_id=user.pk, tenant_id=tenant_id)
            if membership is None:
                request.session.pop(SESSION_TENANT_KEY, None)
        if membership is None:
            memberships = list(selectors.memberships_of(user)[:2])
            if len(memberships) == 1:
                membership = memberships[0]
                request.session[SESSION_TENANT_KEY] = membership.tenant_id
        request.membership = membership
        return policy.Actor(
            user_id=user.pk,
            username=user.get_username(),
            tenant_id=membership.tenant_id if membership else None,
            membership_id=membership.pk if membership else None,
            role=policy.Role(membership.role) if membership else None,
            area_ids=(
                selectors.district_area_ids(membership)
                if membership and membership.role in policy.AREA_LIMITED_ROLES
                else frozenset()
            ),
            otp_verified=user.is_verified(),
            ip_address=ip_address,
        )


def two_factor_exempt(view):
    view.two_factor_exempt = True
    return view


def tenant_choice_exempt(view):
    view.tenant_choice_exempt = True
    return view


class TwoFactorRequiredMiddleware:
    """Staff roles pass TOTP before anything else; users of several tenants choose one first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_api(request) or not request.user.is_authenticated:
            return None
        actor = request.actor
        if actor.needs_two_factor and not getattr(view_func, "two_factor_exempt", False):
            return HttpResponseRedirect(
                f"{reverse('accounts:otp_verify')}?{urlencode({'next': request.get_full_path()})}"
            )
        if (
            actor.tenant_id is None
            and not getattr(view_func, "tenant_choice_exempt", False)
            and not getattr(view_func, "two_factor_exempt", False)
        ):
            return HttpResponseRedirect(reverse("accounts:tenant_choose"))
        return None


def api_error(status: int, code: str, message: str, fields: dict | None = None) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )
