"""Writes of the courses app: courses, sessions, registrations, attendance, head counts.

Every write is keyword-only, takes the actor, runs in one transaction, validates first and
appends its audit entry. Mail to a registrant (moved up from the waiting list, thank-you
with the questionnaire) is sent after commit, so a rolled-back write tells no one.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.core import events
from sasaeai.core.models import Area
from sasaeai.courses.models import (
    Course,
    CourseKind,
    OutreachRequest,
    OutreachStatus,
    Registration,
    RegistrationStatus,
    Session,
    SessionStatus,
)

logger = logging.getLogger(__name__)

MANAGE = "courses.manage"
TOKEN_SALT = "sasaeai.courses.registration"  # noqa: S105 - a salt, not a secret
COURSE_FIELDS = (
    "kind", "key", "title", "description", "organiser", "audience", "completes_on_attendance",
    "cumulative", "cumulative_base", "cumulative_base_year", "questionnaire_url",
    "contact_user_id",
)  # fmt: skip
SESSION_FIELDS = (
    "starts_at", "ends_at", "place", "area_id", "capacity", "status", "head_count",
    "requesting_group", "note",
)  # fmt: skip


def public_actor(tenant_id: int, ip_address: str | None = None) -> Actor:
    """Who a public (no login) registration is recorded as in the audit log."""
    return Actor(user_id=None, username="public", tenant_id=tenant_id, membership_id=None,
                 role=None, ip_address=ip_address)  # fmt: skip


# --- courses --------------------------------------------------------------------------------


def _course_check(course: Course) -> None:
    errors = {}
    if (
        course.contact_user_id
        and not Membership.objects.active()
        .filter(tenant_id=course.tenant_id, user_id=course.contact_user_id)
        .exists()
    ):
        errors["contact_user_id"] = [_("Choose a member of this municipality.")]
    if course.cumulative and course.cumulative_base and course.cumulative_base_year is None:
        errors["cumulative_base_year"] = [
            _("Give the fiscal year up to which the earlier count runs.")
        ]
    if not course.cumulative and course.cumulative_base:
        errors["cumulative_base"] = [_("Only a cumulative course has a count before the system.")]
    if course.kind not in CourseKind.values:
        errors["kind"] = [_("Unknown kind of course.")]
    clash = Course.objects.filter(tenant_id=course.tenant_id, key=course.key).exclude(pk=course.pk)
    if course.key and clash.exists():
        errors["key"] = [_("Another course already uses this key.")]
    if errors:
        raise ValidationError(errors)
    course.full_clean()


@transaction.atomic
def course_create(*, actor: Actor, is_demo: bool = False, **values) -> Course:
    policy.require(actor, MANAGE)
    unknown = set(values) - set(COURSE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown course fields: {sorted(unknown)}")
    course = Course(tenant_id=actor.tenant_id, is_demo=is_demo, **values)
    _course_check(course)
    course.save()
    audit_object(actor, Action.CREATE, course)
    return course


@transaction.atomic
def course_update(*, actor: Actor, course: Course, **values) -> Course:
    policy.require(actor, MANAGE, course)
    for name, value in values.items():
        if name not in COURSE_FIELDS:
            raise TypeError(f"Unknown course field: {name}")
        setattr(course, name, value)
    _course_check(course)
    course.save()
    audit_object(actor, Action.UPDATE, course, detail={"fields": sorted(values)})
    return course


# --- sessions -------------------------------------------------------------------------------


def _active_registered(session: Session) -> int:
    return session.registrations.filter(status=RegistrationStatus.REGISTERED).count()


def _session_check(session: Session) -> None:
    errors: dict[str, list] = {}
    if session.starts_at and session.ends_at and session.ends_at <= session.starts_at:
        errors["ends_at"] = [_("The end must come after the start.")]
    if (
        session.area_id
        and not Area.objects.filter(pk=session.area_id, tenant_id=session.tenant_id).exists()
    ):
        errors["area_id"] = [_("Choose an area of this municipality.")]
    if session.pk and session.capacity is not None:
        registered = _active_registered(session)
        if session.capacity < registered:
            errors["capacity"] = [
                _(
                    "%(registered)d people are already registered: the capacity cannot be "
                    "less. Cancel registrations first."
                )
                % {"registered": registered}
            ]
    if (
        session.pk
        and session.capacity is None
        and session.registrations.exclude(status=RegistrationStatus.CANCELLED).exists()
    ):
        errors["capacity"] = [_("This session has registrations: it needs a capacity.")]
    if session.status not in SessionStatus.values:
        errors["status"] = [_("Unknown status.")]
    if errors:
        raise ValidationError(errors)
    session.full_clean(exclude=["course"])


@transaction.atomic
def session_create(*, actor: Actor, course: Course, is_demo: bool = False, **values) -> Session:
    policy.require(actor, MANAGE, course)
    unknown = set(values) - set(SESSION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown session fields: {sorted(unknown)}")
    session = Session(tenant_id=course.tenant_id, course=course, is_demo=is_demo, **values)
    _session_check(session)
    session.save()
    audit_object(actor, Action.CREATE, session)
    return session


@transaction.atomic
def session_update(*, actor: Actor, session: Session, **values) -> Session:
    policy.require(actor, MANAGE, session)
    session = Session.objects.select_for_update().get(pk=session.pk)
    was_cancelled = session.status == SessionStatus.CANCELLED
    for name, value in values.items():
        if name not in SESSION_FIELDS:
            raise TypeError(f"Unknown session field: {name}")
        setattr(session, name, value)
    _session_check(session)
    session.save()
    if session.status == SessionStatus.CANCELLED and not was_cancelled:
        # Everyone still holding a place or waiting hears of it, after commit.
        ids = list(
            session.registrations.exclude(status=RegistrationStatus.CANCELLED)
            .exclude(email="")
            .values_list("pk", flat=True)
        )
        if ids:
            transaction.on_commit(lambda: _mail_cancelled(session.tenant_id, ids))
    if session.capacity is not None:
        _move_up(actor, session)  # a larger capacity takes people off the waiting list
    audit_object(actor, Action.UPDATE, session, detail={"fields": sorted(values)})
    return session


@transaction.atomic
def head_count_set(*, actor: Actor, session: Session, head_count: int) -> Session:
    """The number of visitors of a session without registration (an event); marks it held."""
    policy.require(actor, MANAGE, session)
    if head_count is None or head_count < 0:
        raise ValidationError({"head_count": [_("Give a number of people, 0 or more.")]})
    if session.status == SessionStatus.CANCELLED:
        raise ValidationError({"head_count": [_("This session was cancelled.")]})
    session.head_count = head_count
    session.status = SessionStatus.HELD
    session.full_clean(exclude=["course"])
    session.save(update_fields=["head_count", "status"])
    audit_object(actor, Action.UPDATE, session, detail={"head_count": head_count})
    return session


# --- registrations --------------------------------------------------------------------------


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first on the waiting list; None for anyone not waiting."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        session_id=registration.session_id,
        status=RegistrationStatus.WAITLISTED,
        registered_at__lte=registration.registered_at,
    ).exclude(registered_at=registration.registered_at, pk__gt=registration.pk)
    return ahead.count()


def registration_token(registration: Registration) -> str:
    """The registrant's own link (confirmation page, cancelling): signed, no number to guess."""
    return signing.dumps({"r": registration.pk, "t": registration.tenant_id}, salt=TOKEN_SALT)


def registration_for_token(tenant_id: int, token: str) -> Registration | None:
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("t") != tenant_id:
        return None
    return (
        Registration.objects.filter(tenant_id=tenant_id, pk=data.get("r"))
        .select_related("session__course")
        .first()
    )


@transaction.atomic
def registration_create(
    *,
    actor: Actor | None,
    session: Session,
    name: str,
    phone: str = "",
    email: str = "",
    user_id: int | None = None,
    ip_address: str | None = None,
    now: datetime | None = None,
    is_demo: bool = False,
) -> Registration:
    """Register a person: a place while there is one, otherwise the waiting list.

    `actor` None is the public form (no login). The session row is locked, so two people
    asking for the last place at once cannot both get it.
    """
    if actor is not None:
        policy.require(actor, MANAGE, session)
    else:
        actor = public_actor(session.tenant_id, ip_address)
    session = Session.objects.select_for_update().select_related("course").get(pk=session.pk)
    now = now or timezone.now()
    errors: dict[str, list] = {}
    if session.capacity is None:
        errors["session"] = [_("This session takes no registration: just come on the day.")]
    elif session.status != SessionStatus.SCHEDULED:
        errors["session"] = [_("This session is no longer open for registration.")]
    elif session.starts_at <= now:
        errors["session"] = [_("This session has already started: registration is closed.")]
    values = {"name": name.strip(), "phone": phone.strip(), "email": email.strip()}
    if not values["name"]:
        errors["name"] = [_("Enter your name.")]
    if not values["phone"] and not values["email"] and user_id is None:
        errors["phone"] = [_("Give a phone number or an e-mail address to reach you.")]
    if errors:
        raise ValidationError(errors)
    full = _active_registered(session) >= session.capacity
    registration = Registration(
        tenant_id=session.tenant_id, session=session, user_id=user_id, registered_at=now,
        status=RegistrationStatus.WAITLISTED if full else RegistrationStatus.REGISTERED,
        is_demo=is_demo, **values,
    )  # fmt: skip
    registration.full_clean(exclude=["session", "user"])
    registration.save()
    audit_object(actor, Action.CREATE, registration, detail={"status": registration.status})
    course = session.course
    if course.contact_user_id:
        events.publish(
            "courses.registration_received", session.tenant_id, [course.contact_user_id],
            f"/courses/session/{session.pk}/", "courses.session", session.pk,
            actor_id=actor.user_id,
        )  # fmt: skip
    return registration


def registration_message(registration: Registration) -> str:
    """What the registrant is told, in Japanese on the pages and in the API."""
    if registration.status == RegistrationStatus.REGISTERED:
        return _("Your registration is accepted.")
    if registration.status == RegistrationStatus.WAITLISTED:
        return _(
            "The session is full. You are number %(position)d on the waiting list; we will "
            "tell you if a place becomes free."
        ) % {"position": waitlist_position(registration)}
    return _("This registration is cancelled.")


def _move_up(actor: Actor, session: Session) -> list[Registration]:
    """Fill free places from the waiting list, first come first served; mail them on commit."""
    if session.capacity is None or session.status != SessionStatus.SCHEDULED:
        return []
    free = session.capacity - _active_registered(session)
    if free <= 0:
        return []
    moved = list(
        Registration.objects.filter(session=session, status=RegistrationStatus.WAITLISTED).order_by(
            "registered_at", "pk"
        )[:free]
    )
    for registration in moved:
        registration.status = RegistrationStatus.REGISTERED
        registration.save(update_fields=["status"])
        audit_object(
            actor, Action.UPDATE, registration,
            detail={"status": registration.status, "moved_up": True},
        )  # fmt: skip
    ids = [r.pk for r in moved if r.email]
    if ids:
        transaction.on_commit(lambda: _mail_moved_up(session.tenant_id, ids))
    return moved


@transaction.atomic
def registration_cancel(
    *, actor: Actor | None, registration: Registration, ip_address: str | None = None
) -> list[Registration]:
    """Cancel a registration (staff, or the registrant through their own link: actor None).
    The first on the waiting list moves up. Returns the registrations that moved up."""
    if actor is not None:
        policy.require(actor, MANAGE, registration)
    else:
        actor = public_actor(registration.tenant_id, ip_address)
    session = Session.objects.select_for_update().get(pk=registration.session_id)
    registration = Registration.objects.get(pk=registration.pk)
    if registration.status == RegistrationStatus.CANCELLED:
        raise ValidationError(_("This registration is already cancelled."))
    if registration.attended:
        raise ValidationError(_("This person attended: the registration cannot be cancelled."))
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    audit_object(actor, Action.UPDATE, registration, detail={"status": registration.status})
    return _move_up(actor, session)


def _send(tenant_id: int, to: str, subject: str, body: str, attachments=()) -> bool:
    message = EmailMessage(subject, body, None, [to])
    for attachment in attachments:
        message.attach(*attachment)
    try:
        message.send()
    except OSError as error:  # SMTP down: the registration itself stands
        logger.warning("courses mail in tenant %s failed: %s", tenant_id, error)
        return False
    return True


def _mail_moved_up(tenant_id: int, registration_ids: list[int]) -> None:
    from sasaeai.core.tenancy import tenant_context

    with tenant_context(tenant_id):
        rows = list(
            Registration.objects.filter(pk__in=registration_ids).select_related(
                "session__course", "session__tenant"
            )
        )
        with translation.override(settings.LANGUAGE_CODE):
            for row in rows:
                session = row.session
                start = timezone.localtime(session.starts_at)
                subject = _("[Sasaeai] A place is free for you: %(title)s") % {
                    "title": session.course.title
                }
                body = "\n".join([
                    _("A place became free and your registration is now accepted."),
                    "",
                    session.course.title,
                    start.strftime("%Y-%m-%d %H:%M"),
                    session.place,
                    "",
                    _("If you cannot come, cancel here:"),
                    f"{settings.SITE_URL}/courses/{session.tenant.code}/registered/"
                    f"{registration_token(row)}/",
                ])  # fmt: skip
                _send(tenant_id, row.email, subject, body)


def _mail_cancelled(tenant_id: int, registration_ids: list[int]) -> None:
    from sasaeai.core.tenancy import tenant_context

    with tenant_context(tenant_id), translation.override(settings.LANGUAGE_CODE):
        rows = Registration.objects.filter(pk__in=registration_ids).select_related(
            "session__course"
        )
        for row in rows:
            session = row.session
            subject = _("[Sasaeai] Cancelled: %(title)s") % {"title": session.course.title}
            body = "\n".join([
                _("We are sorry: this session will not take place."),
                "",
                session.course.title,
                timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M"),
                session.place,
            ])  # fmt: skip
            _send(tenant_id, row.email, subject, body)


# --- attendance and completion --------------------------------------------------------------


@transaction.atomic
def attendance_set(
    *,
    actor: Actor,
    session: Session,
    attended_ids: set[int],
    completed_ids: set[int] | None = None,
) -> Session:
    """Tick who came (from the list on a phone); the session becomes held.

    Completion follows the course's rule: attending completes it, or (courses with more to
    do) staff tick completion themselves in `completed_ids`; only someone who attended can
    have completed.
    """
    policy.require(actor, MANAGE, session)
    session = Session.objects.select_for_update().select_related("course").get(pk=session.pk)
    if session.status == SessionStatus.CANCELLED:
        raise ValidationError(_("This session was cancelled."))
    if session.starts_at > timezone.now():
        raise ValidationError(_("Attendance can be recorded once the session has started."))
    rows = list(session.registrations.filter(status=RegistrationStatus.REGISTERED))
    known = {r.pk for r in rows}
    if not set(attended_ids) <= known or (completed_ids and not set(completed_ids) <= known):
        raise ValidationError(_("Some of the people ticked are not registered in this session."))
    changed = []
    for row in rows:
        attended = row.pk in attended_ids
        if session.course.completes_on_attendance:
            completed = attended
        else:
            completed = attended and row.pk in (completed_ids or set())
        if (row.attended, row.completed) != (attended, completed):
            row.attended, row.completed = attended, completed
            changed.append(row)
    Registration.objects.bulk_update(changed, ["attended", "completed"])
    session.status = SessionStatus.HELD
    session.save(update_fields=["status"])
    audit_object(
        actor, Action.UPDATE, session,
        detail={"attended": len(attended_ids), "changed": [r.pk for r in changed]},
    )  # fmt: skip
    return session


def thank_you_send(*, actor: Actor, session: Session) -> int:
    """Mail each attendee with an e-mail address the questionnaire link and its QR code."""
    from sasaeai.courses.qr import qr_png

    policy.require(actor, MANAGE, session)
    course = session.course
    if not course.questionnaire_url:
        raise ValidationError(_("This course has no questionnaire link."))
    rows = list(session.registrations.filter(attended=True).exclude(email=""))
    audit_reads(actor, rows, action=Action.EXPORT, detail={"purpose": "thank_you_mail"})
    png = qr_png(course.questionnaire_url)
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Sasaeai] Thank you for attending %(title)s") % {"title": course.title}
        body = "\n".join([
            _("Thank you for attending. Please answer a short questionnaire:"),
            course.questionnaire_url,
            "",
            _("The QR code attached opens the same page."),
        ])  # fmt: skip
        for row in rows:
            if _send(
                session.tenant_id,
                row.email,
                subject,
                body,
                [("questionnaire.png", png, "image/png")],
            ):
                sent += 1
    return sent


# --- 出前講座 requests ------------------------------------------------------------------------


@transaction.atomic
def outreach_request_submit(
    *,
    tenant_id: int,
    group_name: str,
    contact_name: str,
    wanted_date,
    topic: str,
    phone: str = "",
    email: str = "",
    expected_participants: int | None = None,
    course: Course | None = None,
    ip_address: str | None = None,
    today=None,
    is_demo: bool = False,
) -> OutreachRequest:
    """A group's request from the public form; the council's staff are told (asks action)."""
    values = {
        "group_name": group_name.strip(), "contact_name": contact_name.strip(),
        "phone": phone.strip(), "email": email.strip(), "topic": topic.strip(),
    }  # fmt: skip
    errors: dict[str, list] = {}
    if not values["phone"] and not values["email"]:
        errors["phone"] = [_("Give a phone number or an e-mail address to reach you.")]
    if wanted_date is not None and wanted_date <= (today or timezone.localdate()):
        errors["wanted_date"] = [_("Choose a date after today.")]
    if course is not None and (
        course.tenant_id != tenant_id or course.kind != CourseKind.OUTREACH_COURSE
    ):
        errors["course"] = [_("Choose an outreach course of this municipality.")]
    request = OutreachRequest(
        tenant_id=tenant_id, course=course, wanted_date=wanted_date,
        expected_participants=expected_participants, is_demo=is_demo, **values,
    )  # fmt: skip
    try:
        request.full_clean(exclude=["course", "session"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    request.save()
    audit_object(public_actor(tenant_id, ip_address), Action.CREATE, request)
    events.publish(
        "courses.outreach_requested", tenant_id, _outreach_staff(tenant_id, course),
        "/courses/outreach/", "courses.outreachrequest", request.pk,
    )  # fmt: skip
    return request


def _outreach_staff(tenant_id: int, course: Course | None) -> list[int]:
    """The course's staff in charge, or else the council's staff of the tenant."""
    from sasaeai.accounts.models import Role

    if course is not None and course.contact_user_id:
        return [course.contact_user_id]
    return list(
        Membership.objects.active()
        .filter(tenant_id=tenant_id, role=Role.WELFARE_COUNCIL_STAFF)
        .values_list("user_id", flat=True)
    )


@transaction.atomic
def outreach_request_decide(
    *,
    actor: Actor,
    request: OutreachRequest,
    accept: bool,
    course: Course | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    place: str = "",
    note: str = "",
    is_demo: bool = False,
) -> OutreachRequest:
    """Accept (schedules a session of an outreach course for the group) or decline."""
    policy.require(actor, MANAGE, request)
    request = OutreachRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != OutreachStatus.REQUESTED:
        raise ValidationError(_("This request has already been answered."))
    if accept:
        course = course or request.course
        if course is None or course.kind != CourseKind.OUTREACH_COURSE:
            raise ValidationError({"course": [_("Choose an outreach course.")]})
        if starts_at is None or ends_at is None:
            raise ValidationError({"starts_at": [_("Give the date and time of the session.")]})
        request.session = session_create(
            actor=actor, course=course, starts_at=starts_at, ends_at=ends_at, place=place,
            requesting_group=request.group_name, note=request.topic, is_demo=is_demo,
        )  # fmt: skip
        request.course = course
    request.status = OutreachStatus.ACCEPTED if accept else OutreachStatus.DECLINED
    request.decision_note = note.strip()
    request.save()
    audit_object(actor, Action.UPDATE, request, detail={"status": request.status})
    return request
