"""The JSON API under /api/v1/: one NinjaAPI, each app adding its router; one error shape.

Errors are always {"error": {"code", "message", "fields"}} with a 4xx status and a Japanese
message, so that clients can show it and machines can branch on the code; a refusal by a
service also carries "codes" ({field: [code…]}, e.g. future_date) beside "fields".
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import SessionAuth

from sasaeai.accounts.middleware import api_error
from sasaeai.core.errors import EditConflict


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


api = NinjaAPI(
    title="Sasaeai API",
    version="1",
    urls_namespace="api",
    auth=MemberSessionAuth(),
    # The interactive docs page loads Swagger UI from a CDN; closed networks use the
    # OpenAPI document itself (/api/v1/openapi.json).
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


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    messages = {
        "two_factor_required": _("Pass two-factor authentication first."),
        "no_tenant": _("Choose a tenant first."),
    }
    code = str(exc.message) if str(exc.message) in messages else "error"
    return api_error(exc.status_code, code, str(messages.get(code, exc.message)))


def _register_routers() -> None:
    from sasaeai.accounts.api import router as accounts_router
    from sasaeai.audit.api import router as audit_router
    from sasaeai.consultation.api import router as consultation_router
    from sasaeai.core.api import router as core_router
    from sasaeai.plans.api import router as plans_router
    from sasaeai.resources.api import router as resources_router

    api.add_router("/", core_router)
    api.add_router("/", accounts_router)
    api.add_router("/audit", audit_router)
    api.add_router("/plans", plans_router)
    api.add_router("/resources", resources_router)
    api.add_router("/consultation", consultation_router)


_register_routers()
