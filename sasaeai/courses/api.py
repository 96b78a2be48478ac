"""Router /courses: sessions with their places, and the fiscal year's counts per kind.

Counts and places only: registrants' names never leave through the API."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate

from sasaeai.accounts import policy
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.core.pagination import BoundedLimitOffsetPagination
from sasaeai.courses import selectors
from sasaeai.courses.models import CourseKind

router = Router(tags=["courses"])
MANAGE = "courses.manage"


class SessionOut(Schema):
    id: int
    course_id: int
    course_title: str
    course_kind: str
    starts_at: datetime
    ends_at: datetime
    place: str
    status: str
    capacity: int | None
    registered: int
    waitlisted: int
    attended: int
    remaining: int | None
    head_count: int | None

    @staticmethod
    def resolve_course_title(obj) -> str:
        return obj.course.title

    @staticmethod
    def resolve_course_kind(obj) -> str:
        return obj.course.kind

    @staticmethod
    def resolve_remaining(obj) -> int | None:
        return selectors.remaining_places(obj)


class KindCount(Schema):
    kind: str
    sessions_held: int
    participants: int


class CountsOut(Schema):
    fiscal_year: int
    kinds: list[KindCount]


@router.get("/sessions", response=list[SessionOut])
@paginate(BoundedLimitOffsetPagination)
def session_list(request, upcoming: bool = False, course_id: int | None = None):
    """Sessions of the member's tenant (`upcoming=true`: scheduled and not yet started)."""
    policy.require(request.actor, MANAGE)
    rows = selectors.sessions_visible_to(request.actor)
    if upcoming:
        rows = rows.filter(status="scheduled", starts_at__gte=timezone.now())
    if course_id is not None:
        rows = rows.filter(course_id=course_id)
    return rows


@router.get("/sessions/{session_id}", response=SessionOut)
def session_detail(request, session_id: int):
    policy.require(request.actor, MANAGE)
    session = selectors.sessions_visible_to(request.actor).filter(pk=session_id).first()
    if session is None:
        raise Http404
    return session


@router.get("/counts", response=CountsOut)
def counts(request, fiscal_year: int | None = None):
    """Sessions held and participants per kind of course in a fiscal year (default: this one)."""
    policy.require(request.actor, MANAGE)
    year = fiscal_year if fiscal_year is not None else fiscal_year_of(timezone.localdate())
    if not 1900 <= year <= 2200:
        raise ValidationError({"fiscal_year": [_("Give a fiscal year between 1900 and 2200.")]})
    tenant_id = request.actor.tenant_id
    kinds = [
        KindCount(
            kind=kind,
            sessions_held=selectors.sessions_held_count(tenant_id, year, kind),
            participants=selectors.participants_count(tenant_id, year, kind),
        )
        for kind in CourseKind.values
    ]
    return CountsOut(fiscal_year=year, kinds=kinds)
