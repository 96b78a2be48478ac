"""POST /api/v1/watch/partner-reports: a business with a 見守り協定 reports a concern.

The operation takes neither a session nor an API token: `Authorization: Bearer wp_…`, the
partner's report key (sasaeai.watch.partners). A missing or wrong key is 401, a partner no
longer in force 403, too many reports 429, bad input 422; every refusal carries the project's
error body with a Japanese message.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from sasaeai.accounts.middleware import api_error
from sasaeai.core.tenancy import tenant_context
from sasaeai.tokens.auth import bearer_token
from sasaeai.watch import partners

router = Router(tags=["watch"])


class PartnerKeyAuth:
    """Lets every request reach the operation, which checks the key itself: its refusals
    (ended agreement, rate limit) need their own codes and Japanese messages."""

    def __call__(self, request):
        # Truthy even without a key (ninja refuses a falsy result with its own 401 body).
        return {"key": bearer_token(request) or ""}


class PartnerReportIn(Schema):
    description: str = Field(..., max_length=4000)
    address: str = Field(..., max_length=300)
    subject_name: str = Field("", max_length=100)
    observed_on: date | None = None
    is_urgent: bool = False
    reporter_name: str = Field("", max_length=100)
    reporter_phone: str = Field("", max_length=40)


class PartnerReportOut(Schema):
    id: int
    received_at: str
    status: str
    is_urgent: bool


@router.post(
    "/partner-reports", auth=PartnerKeyAuth(), response={201: PartnerReportOut},
    summary="A watch-over partner reports a concern (Bearer wp_… report key)",
)  # fmt: skip
def partner_report_create(request, payload: PartnerReportIn):
    ip_address = request.META.get("REMOTE_ADDR") or None
    if partners.over_limit(f"ip:{ip_address}"):
        return _too_many()
    try:
        partner = partners.partner_for_key(request.auth["key"])
    except partners.KeyRefused as refused:
        status = 401 if refused.code == "invalid_key" else 403
        response = api_error(status, refused.code, refused.message)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    if partners.over_limit(f"key:{partner.report_key_prefix}"):
        return _too_many()
    with tenant_context(partner.tenant_id):
        try:
            report = partners.report_receive(
                actor=partners.partner_actor(partner, ip_address), partner=partner,
                **payload.dict(),
            )  # fmt: skip
        except partners.KeyRefused as refused:
            return api_error(403, refused.code, refused.message)
        except ValidationError as error:
            fields = (
                error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            )
            return api_error(422, "validation_error", _("The input has errors."), fields)
    body = {"id": report.pk, "received_at": report.received_at.isoformat(),
            "status": report.status, "is_urgent": report.is_urgent}  # fmt: skip
    return JsonResponse(body, status=201)


def _too_many():
    return api_error(
        429, "too_many_requests", _("Too many reports in the last hour. Please try again later.")
    )
