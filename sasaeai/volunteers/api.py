"""Router /volunteers: requests for help, offers and activity reports, the same services and
policy as the pages (coordinators manage; volunteers their own offers; residents their own
requests)."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Router, Schema

try:  # django-ninja ≥ 1.5
    from ninja import Status
except ImportError:  # pragma: no cover

    def Status(code, body):  # noqa: N802
        return code, body


from ninja.conf import settings as ninja_settings
from ninja.pagination import paginate

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.core.pagination import MAX_LIMIT, BoundedLimitOffsetPagination
from sasaeai.volunteers import selectors, services

router = Router(tags=["volunteers"])


class ErrorOut(Schema):
    error: dict


ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class RequestOut(Schema):
    id: int
    title: str
    status: str
    source: str
    starts_at: datetime
    ends_at: datetime
    area_id: int | None
    helpers_needed: int
    fee_per_hour: int | None
    is_fsc: bool


class RequestIn(Schema):
    title: str
    requester_name: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    requester_phone: str = ""
    address: str = ""
    share_phone: bool = False
    area_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    recurrence: str = "one_off"
    helpers_needed: int = 1
    fee_per_hour: int | None = None
    is_fsc: bool = False
    case_id: int | None = None
    skill_ids: list[int] = []


class TransitionIn(Schema):
    to_status: str
    reason: str = ""
    version: int | None = None


class HelperOut(Schema):
    id: int
    name: str
    area_id: int | None
    is_active: bool
    consent_to_contact: bool


class OfferOut(Schema):
    id: int
    request_id: int
    helper_id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    reasons: str


class PairIn(Schema):
    request_id: int
    helper_id: int
    reasons: str = ""


class ConfirmIn(Schema):
    pairs: list[PairIn]


class RespondIn(Schema):
    accept: bool
    note: str = ""


class ReportIn(Schema):
    day: date
    hours: Decimal | None = None
    note: str = ""


class ReportOut(Schema):
    id: int
    offer_id: int
    day: date
    hours: Decimal
    fee: int | None
    status: str


@router.get("/requests", response=list[RequestOut])
@paginate(BoundedLimitOffsetPagination)
def request_list(request, status: str = ""):
    """Requests the caller may see: all (coordinators), their own (residents), offered to
    them (volunteers)."""
    policy.require(request.actor, "volunteers.view")
    return selectors.requests_visible_to(request.actor, status=status)


@router.post("/requests", response={201: RequestOut, **ERRORS})
def request_create(request, payload: RequestIn):
    data = payload.dict()
    data["skill_ids"] = tuple(data["skill_ids"])
    created = services.request_create(actor=request.actor, data=services.RequestInput(**data))
    return Status(201, created)


@router.get("/requests/{request_id}", response={200: RequestOut, **ERRORS})
def request_detail(request, request_id: int):
    policy.require(request.actor, "volunteers.view")
    found = selectors.request_for(request.actor, request_id)
    audit_object(request.actor, Action.READ, found)
    return found


@router.post("/requests/{request_id}/transition", response={200: RequestOut, **ERRORS})
def request_transition(request, request_id: int, payload: TransitionIn):
    policy.require(request.actor, "volunteers.manage")
    found = selectors.request_for(request.actor, request_id)
    return services.request_transition(
        actor=request.actor, request=found, to_status=payload.to_status,
        reason=payload.reason, version=payload.version,
    )  # fmt: skip


@router.get("/helpers", response={200: list[HelperOut], **ERRORS})
@paginate(BoundedLimitOffsetPagination)
def helper_list(request, q: str = "", registry: str = ""):
    policy.require(request.actor, "volunteers.manage")
    rows = selectors.helpers_visible_to(request.actor, query=q, registry=registry)
    # The page names helpers: audited as the helper list page is (tests/security found this
    # list unaudited). @paginate has validated limit and offset before this runs; the same
    # page is read here, so exactly the helpers returned are logged.
    offset = int(request.GET.get("offset") or 0)
    limit = min(int(request.GET.get("limit") or ninja_settings.PAGINATION_PER_PAGE), MAX_LIMIT)
    audit_reads(request.actor, list(rows[offset : offset + limit]))
    return rows


@router.get("/helpers/{helper_id}", response={200: HelperOut, **ERRORS})
def helper_detail(request, helper_id: int):
    policy.require(request.actor, "volunteers.view")
    helper = selectors.helper_for(request.actor, helper_id)
    audit_reads(request.actor, [helper])
    return helper


@router.get("/offers", response=list[OfferOut])
@paginate(BoundedLimitOffsetPagination)
def offer_list(request):
    """The caller's own offers (volunteers) or every offer (coordinators)."""
    policy.require(request.actor, "volunteers.view")
    from sasaeai.volunteers.models import Offer

    return policy.scope(request.actor, "volunteers.view", Offer.objects.all())


@router.post("/offers/confirm", response={201: list[OfferOut], **ERRORS})
def offers_confirm(request, payload: ConfirmIn):
    """Confirm pairs as offers (all or nothing); helpers are notified after commit."""
    offers = services.offers_confirm(
        actor=request.actor,
        pairs=[services.PairChoice(p.request_id, p.helper_id, p.reasons) for p in payload.pairs],
    )
    return Status(201, offers)


@router.post("/offers/{offer_id}/respond", response={200: OfferOut, **ERRORS})
def offer_respond(request, offer_id: int, payload: RespondIn):
    policy.require(request.actor, "volunteers.respond_offer")
    offer = selectors.offer_for(request.actor, offer_id)
    return services.offer_respond(
        actor=request.actor, offer=offer, accept=payload.accept, note=payload.note
    )


@router.post("/offers/{offer_id}/reports", response={201: ReportOut, **ERRORS})
def report_submit(request, offer_id: int, payload: ReportIn):
    policy.require(request.actor, "volunteers.report_activity")
    offer = selectors.offer_for(request.actor, offer_id)
    report = services.report_submit(
        actor=request.actor, offer=offer, day=payload.day, hours=payload.hours, note=payload.note
    )
    return Status(201, report)
