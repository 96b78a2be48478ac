"""Router /watch: the watch list and contacts for phones and offline apps, through the same
policy, selectors and services as the pages (every read of a person audited)."""

from datetime import date

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
from sasaeai.watch import partner_api, selectors, services
from sasaeai.watch.models import ContactKind

router = Router(tags=["watch"])


class ErrorOut(Schema):
    error: dict


ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class WatchedPersonOut(Schema):
    id: int
    name: str
    name_kana: str
    address: str
    area_id: int | None
    phone: str
    frequency_days: int
    contact_rules: str
    status: str
    started_on: date
    last_contact_on: date | None
    next_due_on: date | None


class WatchedPersonDetailOut(WatchedPersonOut):
    reason: str
    emergency_contact: str
    source: str
    source_reference: int | None


class ContactIn(Schema):
    result: str
    kind: str = ContactKind.VISIT
    occurred_on: date | None = None
    note: str = ""


class ContactOut(Schema):
    id: int
    watched_id: int
    occurred_on: date
    kind: str
    result: str
    note: str
    intake_reference: int | None
    intake_url: str


def _page_bounds(request) -> tuple[int, int]:
    # @paginate has validated limit and offset before the function runs.
    offset = int(request.GET.get("offset") or 0)
    limit = min(int(request.GET.get("limit") or ninja_settings.PAGINATION_PER_PAGE), MAX_LIMIT)
    return offset, limit


@router.get("/people", response={200: list[WatchedPersonOut], **ERRORS})
@paginate(BoundedLimitOffsetPagination)
def person_list(request, q: str = "", area: int | None = None, missed: bool = False):
    """The people the caller may see (active ones); `missed=true`: overdue, most overdue first."""
    actor = request.actor
    policy.require(actor, "watch.view")
    if missed:
        rows = selectors.missed_contacts(actor, area_id=area)
    else:
        rows = selectors.people_visible_to(actor, query=q[:100], area_id=area)
    offset, limit = _page_bounds(request)
    audit_reads(actor, list(rows[offset : offset + limit]))
    return rows


@router.get("/people/{person_id}", response={200: WatchedPersonDetailOut, **ERRORS})
def person_detail(request, person_id: int):
    policy.require(request.actor, "watch.view")
    person = selectors.person_for(request.actor, person_id)
    audit_object(request.actor, Action.READ, person)
    return person


@router.post("/people/{person_id}/contacts", response={201: ContactOut, **ERRORS})
def contact_create(request, person_id: int, payload: ContactIn):
    """Record a contact; 気になる (concern) and 緊急 (urgent) are passed to the consultation
    desk and the answer carries the intake's number."""
    actor = request.actor
    policy.require(actor, "watch.record_contact")
    person = selectors.person_for(actor, person_id, "watch.record_contact")
    contact = services.contact_record(
        actor=actor, person=person, result=payload.result, kind=payload.kind,
        occurred_on=payload.occurred_on, note=payload.note,
    )  # fmt: skip
    return Status(201, contact)


# POST /partner-reports: businesses with a 見守り協定, authenticated by their report key.
router.add_router("", partner_api.router)
