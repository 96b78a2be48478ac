"""The JSON API under /api/v1/: one NinjaAPI, each app adding its router; one error shape.

Errors are always {"error": {"code", "message", "fields"}} with a 4xx status and a Japanese
message, so that clients can show it and machines can branch on the code; a refusal by a
service also carries "codes" ({field: [code…]}, e.g. future_date) beside "fields".
"""

import json
import math
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth

from sasaeai.accounts.middleware import api_error, is_api
from sasaeai.core.errors import EditConflict
from sasaeai.tokens import scopes as token_scopes
from sasaeai.tokens.auth import bearer_token


class MemberSessionAuth(SessionAuth):
    """Session login, a chosen tenant and, for staff roles, a passed second factor."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None:
            return None
        actor = request.actor
        if actor.needs_two_factor:
            raise HttpError(401, "two_factor_required")
        if not actor.is_member:
            raise HttpError(403, "no_tenant")
        return user


class TokenAuth(HttpBearer):
    """`Authorization: Bearer sasaeai_…`: an API token, checked against the operation's module.

    sasaeai.tokens.middleware has already looked the token up and, when valid, made it the
    request's actor inside its tenant; here its scopes meet the operation: GET/HEAD need
    `<module>:read`, other methods `<module>:write`. A request without a bearer token falls
    through to the session. Tokens skip CSRF (not a cookie) and the two-factor step (created
    in a session that passed it).
    """

    def __init__(self, module: str | None = None):
        super().__init__()
        self.module = module

    def __call__(self, request):
        if not hasattr(request, "api_token"):
            if bearer_token(request) is None:
                return None
            raise HttpError(401, "invalid_token")  # not looked up (no middleware): refuse
        token = request.api_token
        if token is None:
            raise HttpError(401, "invalid_token")
        if not token_scopes.allows(token.scopes, self.module, request.method):
            raise HttpError(403, "insufficient_scope")
        return token

    def authenticate(self, request, token):  # pragma: no cover (__call__ decides)
        return None


# The widest integer both databases store (a signed 64-bit column); beyond it SQLite raises
# OverflowError and PostgreSQL "out of range", both only once the query runs.
LARGEST_INTEGER = 2**63 - 1


class UnacceptableInput(Exception):
    """A value no field of ours can hold (a NUL character, an integer beyond 64 bits, NaN)."""

    def __init__(self, location: tuple, message: str):
        super().__init__(message)
        self.location = location
        self.message = message


def _check_value(value: Any, location: tuple) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise UnacceptableInput(location, "使用できない文字（NUL）が含まれています。")
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if abs(value) > LARGEST_INTEGER:
            raise UnacceptableInput(location, "値が大きすぎます。")
    elif isinstance(value, float):
        if not math.isfinite(value):  # Python's json reads NaN and Infinity, JSON has neither
            raise UnacceptableInput(location, _PYDANTIC_MESSAGES["float_parsing"])
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, location)
            _check_value(item, (*location, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, (*location, index))


class CheckedParser(Parser):
    """JSON bodies and query strings, refused whole when a value cannot be stored.

    PostgreSQL refuses NUL in text and both databases refuse integers beyond 64 bits, as a
    database error in the middle of the request; checked here once for every operation.
    """

    def parse_body(self, request):
        data = json.loads(request.body)
        _check_value(data, ())
        return data

    def parse_querydict(self, data, list_fields, request):
        result = super().parse_querydict(data, list_fields, request)
        _check_value(result, ())
        return result


api = NinjaAPI(
    title="Sasaeai API",
    version="1",
    description=(
        "Sign in with a session (the web pages) or send an API token: "
        "`Authorization: Bearer sasaeai_…`. A token's scopes allow reading (`<module>:read`, "
        "GET) or also writing (`<module>:write`) per module; an invalid or expired token is "
        "401 `invalid_token`, a missing scope 403 `insufficient_scope`."
    ),
    urls_namespace="api",
    # Routers mounted through _mount() get their module's TokenAuth; an operation left with
    # this default accepts no token (TokenAuth without a module refuses every scope).
    auth=[TokenAuth(), MemberSessionAuth()],
    parser=CheckedParser(),
    # The interactive docs page is served by sasaeai.tokens (tokens:api_docs) from our own
    # static files, for signed-in staff; the OpenAPI document stays at /api/v1/openapi.json.
    docs_url=None,
)

_PYDANTIC_MESSAGES = {
    "missing": "必須項目です。",
    "int_parsing": "整数を入力してください。",
    "int_type": "整数を入力してください。",
    "float_parsing": "数値を入力してください。",
    "float_type": "数値を入力してください。",
    "string_type": "文字列を入力してください。",
    "string_too_long": "長すぎます。",
    "string_too_short": "短すぎます。",
    "enum": "選択肢にない値です。",
    "literal_error": "選択肢にない値です。",
    "date_from_datetime_parsing": "日付の形式が正しくありません（例: 2025-04-01）。",
    "date_parsing": "日付の形式が正しくありません（例: 2025-04-01）。",
    "greater_than_equal": "値が小さすぎます。",
    "less_than_equal": "値が大きすぎます。",
    "json_invalid": "JSON の形式が正しくありません。",
    "dict_type": "オブジェクトを指定してください。",
    "model_attributes_type": "オブジェクトを指定してください。",
}


def _field_name(location: tuple) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "payload")]
    return ".".join(parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        message = _PYDANTIC_MESSAGES.get(error.get("type", ""), "値が正しくありません。")
        fields.setdefault(_field_name(tuple(error.get("loc", ()))), []).append(message)
    return api_error(422, "validation_error", _("The input has errors."), fields)


@api.exception_handler(EditConflict)
def on_edit_conflict(request, exc):
    return api_error(409, "conflict", exc.messages[0])


@api.exception_handler(ValidationError)
def on_domain_validation_error(request, exc):
    # `codes` runs parallel to `fields` (same keys, same order): the services' codes
    # (future_date, other_tenant…) for machines to branch on, whatever the language.
    if hasattr(exc, "error_dict"):
        fields = exc.message_dict
        codes = {
            name: [e.code or "invalid" for e in errors] for name, errors in exc.error_dict.items()
        }
    else:
        fields = {"__all__": exc.messages}
        codes = {"__all__": [e.code or "invalid" for e in exc.error_list]}
    error = {"code": "validation_error", "message": _("The input has errors."), "fields": fields}
    return JsonResponse({"error": {**error, "codes": codes}}, status=422)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api_error(401, "not_authenticated", _("Sign in first. Your session may have expired."))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api_error(404, "not_found", _("Not found."))


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return api_error(403, "permission_denied", _("You do not have permission for this."))


@api.exception_handler(UnacceptableInput)
def on_unacceptable_input(request, exc):
    fields = {_field_name(exc.location): [exc.message]}
    return api_error(422, "validation_error", _("The input has errors."), fields)


@api.exception_handler(DataError)
@api.exception_handler(OverflowError)
def on_value_out_of_range(request, exc):
    # A number in the path or query string beyond what the database column holds.
    return api_error(
        422,
        "validation_error",
        _("The input has errors."),
        {"__all__": ["保存できない値です（大きすぎるか長すぎます）。"]},
    )


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    if isinstance(exc.__cause__, UnacceptableInput):
        return on_unacceptable_input(request, exc.__cause__)
    if exc.__cause__ is not None and exc.status_code == 400:
        # ninja's own "Cannot parse request body" (json.loads failed).
        fields = {"__all__": [_PYDANTIC_MESSAGES["json_invalid"]]}
        return api_error(400, "json_invalid", _("The input has errors."), fields)
    messages = {
        "two_factor_required": _("Pass two-factor authentication first."),
        "no_tenant": _("Choose a tenant first."),
        "invalid_token": _("The API token is invalid or expired."),
        "insufficient_scope": _("The API token does not allow this operation."),
    }
    code = str(exc.message) if str(exc.message) in messages else "error"
    response = api_error(exc.status_code, code, str(messages.get(code, exc.message)))
    if code in ("invalid_token", "insufficient_scope"):
        response["WWW-Authenticate"] = f'Bearer error="{code}"'
    return response


def server_error(request):
    """handler500: under /api/ the API's error shape, elsewhere Django's page.

    Django has logged the exception (django.request) before calling this; raised by a view or by
    a middleware, an API client still gets JSON it can parse.
    """
    if is_api(request):
        return api_error(500, "server_error", _("An unexpected error occurred. Try again later."))
    return defaults.server_error(request)


_TOKEN_MODULES: list[str] = []


def token_modules() -> list[str]:
    """The modules a token's scopes name: one per signed-in router (its first tag)."""
    return list(_TOKEN_MODULES)


def _mount(prefix: str, router) -> None:
    """Add a router; unless it is public (auth=None), tokens reach it by its module's scopes."""
    if router.auth is None:
        api.add_router(prefix, router)
        return
    module = router.tags[0]
    if module not in _TOKEN_MODULES:
        _TOKEN_MODULES.append(module)
    api.add_router(prefix, router, auth=[TokenAuth(module), MemberSessionAuth()])


def _register_routers() -> None:
    from sasaeai.accounts.api import router as accounts_router
    from sasaeai.audit.api import router as audit_router
    from sasaeai.commissioners.api import router as commissioners_router
    from sasaeai.consultation.api import router as consultation_router
    from sasaeai.core.api import router as core_router
    from sasaeai.courses.api import router as courses_router
    from sasaeai.disaster.api import router as disaster_router
    from sasaeai.jobs.api import router as jobs_router
    from sasaeai.notices.api import router as notices_router
    from sasaeai.notifications.api import router as notifications_router
    from sasaeai.plans.api import router as plans_router
    from sasaeai.resources.api import router as resources_router
    from sasaeai.subscriptions.api import router as subscriptions_router
    from sasaeai.surveys.api import router as surveys_router
    from sasaeai.volunteers.api import router as volunteers_router
    from sasaeai.watch.api import router as watch_router

    _mount("/", core_router)
    _mount("/", accounts_router)
    _mount("/audit", audit_router)
    _mount("/plans", plans_router)
    _mount("/resources", resources_router)
    _mount("/consultation", consultation_router)
    _mount("/jobs", jobs_router)
    _mount("/notifications", notifications_router)
    _mount("/notices", notices_router)
    _mount("/surveys", surveys_router)
    _mount("/courses", courses_router)
    _mount("/volunteers", volunteers_router)
    _mount("/watch", watch_router)
    _mount("/commissioners", commissioners_router)
    _mount("/disaster", disaster_router)
    _mount("/subscriptions", subscriptions_router)


_register_routers()
