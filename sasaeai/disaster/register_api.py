"""/api/v1/disaster/register: the register under the same scope as its pages (rules.py),
every person returned audited; consent recorded through the same service."""

from datetime import date

from ninja import Router, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import paginate

try:  # django-ninja ≥ 1.5
    from ninja import Status
except ImportError:  # pragma: no cover

    def Status(code, body):  # noqa: N802
        return code, body


from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.core.pagination import MAX_LIMIT, BoundedLimitOffsetPagination
from sasaeai.disaster import selectors, services

router = Router()


class ErrorOut(Schema):
    error: dict


ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class RegisterEntryOut(Schema):
    id: int
    name: str
    name_kana: str
    birth_date: date | None
    sex: str
    address: str
    phone: str
    area_id: int | None
    reasons: list[str]
    status: str
    consent_status: str


class EntryDetailOut(RegisterEntryOut):
    postal_code: str
    reason_note: str
    extra: dict
    listed_on: date
    removed_on: date | None


class RegisterConsentIn(Schema):
    event: str
    on: date | None = None
    method: str = ""
    note: str = ""


class RegisterConsentOut(Schema):
    id: int
    entry_id: int
    event: str
    on: date


@router.get("/register", response={200: list[RegisterEntryOut], **ERRORS})
@paginate(BoundedLimitOffsetPagination)
def register_list(request, q: str = "", area: int | None = None, consent: str = ""):
    actor = request.actor
    policy.require(actor, "disaster.view_register")
    rows = selectors.entries_visible_to(actor, query=q[:100], area_id=area, consent=consent)
    # @paginate has validated limit and offset: the same page is read here and logged.
    offset = int(request.GET.get("offset") or 0)
    limit = min(int(request.GET.get("limit") or ninja_settings.PAGINATION_PER_PAGE), MAX_LIMIT)
    audit_reads(actor, list(rows[offset : offset + limit]))
    return rows


@router.get("/register/{entry_id}", response={200: EntryDetailOut, **ERRORS})
def register_detail(request, entry_id: int):
    actor = request.actor
    policy.require(actor, "disaster.view_register")
    entry = selectors.entry_for(actor, entry_id)
    audit_object(actor, Action.READ, entry)
    return entry


@router.post("/register/{entry_id}/consent", response={201: RegisterConsentOut, **ERRORS})
def register_consent(request, entry_id: int, payload: RegisterConsentIn):
    """Commissioners may record for any listed entry of their districts (the 同意書 they
    collected); the answer then holds no more than the record's own fields."""
    actor = request.actor
    policy.require(actor, "disaster.record_consent")
    from django.http import Http404

    try:
        entry = services.consent_entry_for(actor, entry_id)
    except services.ValidationError as error:
        raise Http404 from error
    record = services.consent_record(actor=actor, entry=entry, **payload.dict())
    return Status(201, record)
