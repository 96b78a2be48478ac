"""Reads of the courses app: staff lists through policy.scope, public lists without names,
and the counts behind the metrics and the statistics page."""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from sasaeai.accounts import policy
from sasaeai.core.fiscal import fiscal_year_bounds
from sasaeai.courses.models import (
    Course,
    CourseKind,
    OutreachRequest,
    Registration,
    RegistrationStatus,
    Session,
    SessionStatus,
)

MANAGE = "courses.manage"


def courses_visible_to(actor: policy.Actor) -> QuerySet[Course]:
    return policy.scope(actor, MANAGE, Course.objects.all()).order_by("kind", "title", "pk")


def sessions_visible_to(actor: policy.Actor) -> QuerySet[Session]:
    return (
        policy.scope(actor, MANAGE, Session.objects.all())
        .select_related("course", "area")
        .annotate(
            registered=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.REGISTERED)
            ),
            waitlisted=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)
            ),
            attended=Count("registrations", filter=Q(registrations__attended=True)),
        )
        .order_by("starts_at", "pk")
    )


def registrations_visible_to(actor: policy.Actor) -> QuerySet[Registration]:
    return policy.scope(actor, MANAGE, Registration.objects.all()).select_related("session")


def session_registrations(actor: policy.Actor, session: Session) -> QuerySet[Registration]:
    """A session's registrations, places first, then the waiting list in order."""
    return (
        registrations_visible_to(actor)
        .filter(session=session)
        .order_by("status", "registered_at", "pk")
    )


# --- public ---------------------------------------------------------------------------------


def public_sessions(tenant_id: int, now: datetime | None = None) -> QuerySet[Session]:
    """Upcoming sessions with their remaining places: no registrant appears, only counts.

    出前講座 are left out: each is held for the group that asked for it, not open to all."""
    return (
        Session.objects.filter(tenant_id=tenant_id)
        .exclude(course__kind=CourseKind.OUTREACH_COURSE)
        .upcoming(now)
        .select_related("course", "area")
        .annotate(
            registered=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.REGISTERED)
            )
        )
    )


def remaining_places(session: Session) -> int | None:
    if session.capacity is None:
        return None
    registered = getattr(session, "registered", None)
    if registered is None:
        registered = session.registrations.filter(status=RegistrationStatus.REGISTERED).count()
    return max(session.capacity - registered, 0)


# --- counts (metrics, statistics) -----------------------------------------------------------


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def fiscal_year_range(fiscal_year: int) -> tuple[datetime, datetime]:
    """[start, end) of a fiscal year as aware datetimes in local time (Asia/Tokyo)."""
    first, last = fiscal_year_bounds(fiscal_year)
    return _local_midnight(first), _local_midnight(last + timedelta(days=1))


def _matching(sessions: QuerySet[Session], parameter: str) -> QuerySet[Session]:
    """A metric's parameter: a kind of course, or one course's key."""
    if parameter in CourseKind.values:
        return sessions.filter(course__kind=parameter)
    return sessions.filter(course__key=parameter)


def held_sessions(tenant_id: int, fiscal_year: int, parameter: str | None = None):
    start, end = fiscal_year_range(fiscal_year)
    sessions = Session.objects.filter(
        tenant_id=tenant_id, status=SessionStatus.HELD, starts_at__gte=start, starts_at__lt=end
    )
    return _matching(sessions, parameter) if parameter else sessions


def participants(sessions: QuerySet[Session]) -> int:
    """People who came: a session's head count where one was taken (events, walk-ins),
    otherwise its registrants marked attended; never both, so nobody is counted twice."""
    counted = sessions.filter(head_count__isnull=False).aggregate(n=Sum("head_count"))["n"] or 0
    attended = Registration.objects.filter(
        session__in=sessions.filter(head_count__isnull=True), attended=True
    ).count()
    return counted + attended


def participants_count(tenant_id: int, fiscal_year: int, parameter: str) -> int:
    return participants(held_sessions(tenant_id, fiscal_year, parameter))


def sessions_held_count(tenant_id: int, fiscal_year: int, parameter: str) -> int:
    return held_sessions(tenant_id, fiscal_year, parameter).count()


def completed_total(tenant_id: int, fiscal_year: int, key: str) -> int | None:
    """For a cumulative course: the count before the system plus every completion since,
    up to the end of `fiscal_year`; otherwise that fiscal year's completions. None for a key
    no course of the tenant has."""
    course = Course.objects.filter(tenant_id=tenant_id, key=key).first()
    if course is None:
        return None
    _start, end = fiscal_year_range(fiscal_year)
    completions = Registration.objects.filter(
        session__course=course, session__status=SessionStatus.HELD, completed=True
    )
    if not course.cumulative:
        start, _end = fiscal_year_range(fiscal_year)
        return completions.filter(session__starts_at__gte=start, session__starts_at__lt=end).count()
    if course.cumulative_base_year is not None:
        if fiscal_year <= course.cumulative_base_year:
            return course.cumulative_base if fiscal_year == course.cumulative_base_year else None
        since, _ = fiscal_year_range(course.cumulative_base_year + 1)
        completions = completions.filter(session__starts_at__gte=since)
    return course.cumulative_base + completions.filter(session__starts_at__lt=end).count()


def monthly_statistics(actor: policy.Actor, fiscal_year: int) -> list[dict]:
    """Held sessions and participants per month and kind of course in a fiscal year."""
    start, end = fiscal_year_range(fiscal_year)
    sessions = policy.scope(actor, MANAGE, Session.objects.held()).filter(
        starts_at__gte=start, starts_at__lt=end
    )
    rows: dict[tuple, dict] = {}
    by_session = (
        sessions.annotate(month=TruncMonth("starts_at"))
        .annotate(attended_n=Count("registrations", filter=Q(registrations__attended=True)))
        .values("month", "course__kind", "head_count", "attended_n")
    )
    for item in by_session:
        month = item["month"]
        month = month.date() if isinstance(month, datetime) else month
        key = (month, item["course__kind"])
        row = rows.setdefault(
            key, {"month": month, "kind": item["course__kind"], "sessions": 0, "participants": 0}
        )
        row["sessions"] += 1
        row["participants"] += (
            item["head_count"] if item["head_count"] is not None else item["attended_n"]
        )
    labels = dict(CourseKind.choices)
    result = sorted(rows.values(), key=lambda r: (r["month"], r["kind"]))
    for row in result:
        row["kind_label"] = labels.get(row["kind"], row["kind"])
    return result


def metric_options(tenant_id: int, *, keys_only: bool = False) -> list[tuple[str, str]]:
    courses = list(
        Course.objects.filter(tenant_id=tenant_id).order_by("key").values_list("key", "title")
    )
    if keys_only:
        return courses
    return [(value, str(label)) for value, label in CourseKind.choices] + courses


def outreach_requests_visible_to(actor: policy.Actor) -> QuerySet[OutreachRequest]:
    return (
        policy.scope(actor, MANAGE, OutreachRequest.objects.all())
        .select_related("course", "session")
        .order_by("status", "wanted_date", "pk")
    )


def outreach_courses(tenant_id: int) -> QuerySet[Course]:
    return Course.objects.filter(tenant_id=tenant_id, kind=CourseKind.OUTREACH_COURSE).order_by(
        "title", "pk"
    )


def course_staff(tenant_id: int) -> list[tuple[int, str]]:
    """(user id, name) of the tenant's active members who manage courses: the choices for a
    course's staff in charge."""
    from sasaeai.accounts.models import Membership

    roles = policy.PERMISSIONS.get(MANAGE, frozenset())
    rows = (
        Membership.objects.active()
        .filter(tenant_id=tenant_id, role__in=roles)
        .select_related("user")
        .order_by("user__username")
    )
    return [(m.user_id, m.user.display_name or m.user.username) for m in rows]
