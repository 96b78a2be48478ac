"""Courses and events (docs/courses.md): 講座, 出前講座, 養成講座, ボランティア体験, イベント.

A course is what is offered (認知症サポーター養成講座); a session is one date and place of it,
with a capacity (registration) or none (an event counted by head count). A registration is a
person's place in a session: registered, on the waiting list, or cancelled; staff then mark who
attended and who completed the course.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import Area, TenantScoped


class CourseKind(models.TextChoices):
    COURSE = "course", _("course")
    OUTREACH_COURSE = "outreach_course", _("outreach course")
    TRAINING = "training", _("training course")
    VOLUNTEER_EXPERIENCE = "volunteer_experience", _("volunteer experience")
    EVENT = "event", _("event")


class Course(TenantScoped):
    kind = models.CharField(_("kind"), max_length=30, choices=CourseKind.choices)
    # The course's name in metric keys ("courses.completed_total:dementia_supporter").
    key = models.SlugField(_("key"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    organiser = models.CharField(_("organiser"), max_length=200, blank=True)
    audience = models.CharField(_("audience"), max_length=200, blank=True)
    # Attending completes the course (a one-session 養成講座); otherwise staff tick completion.
    completes_on_attendance = models.BooleanField(_("attending completes the course"), default=True)
    # A cumulative count (認知症サポーター 累計): people counted before this system, up to and
    # including `cumulative_base_year`; completions of later fiscal years are added to it.
    cumulative = models.BooleanField(_("counted cumulatively"), default=False)
    cumulative_base = models.PositiveIntegerField(_("count before this system"), default=0)
    cumulative_base_year = models.PositiveIntegerField(
        _("fiscal year the earlier count runs to"), null=True, blank=True
    )
    questionnaire_url = models.URLField(_("questionnaire link"), max_length=500, blank=True)
    # The staff member told of new registrations (core.events), if any.
    contact_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("staff in charge"),
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["kind", "title", "pk"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="courses_course_key_unique")
        ]

    def __str__(self):
        return self.title


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    HELD = "held", _("held")
    CANCELLED = "cancelled", _("cancelled")


class SessionQuerySet(models.QuerySet):
    def held(self):
        return self.filter(status=SessionStatus.HELD)

    def upcoming(self, now=None):
        return self.filter(
            status=SessionStatus.SCHEDULED, starts_at__gte=now or timezone.now()
        ).order_by("starts_at", "pk")


class Session(TenantScoped):
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("course")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("area"),
    )
    # NULL: no registration, the session is counted by head count (an event).
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    head_count = models.PositiveIntegerField(_("head count"), null=True, blank=True)
    # 出前講座: the group that asked for it (a 自治会, a school, a company).
    requesting_group = models.CharField(_("requesting group"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["tenant", "starts_at"], name="courses_session_start")]

    def __str__(self):
        return f"{self.course_id} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def takes_registration(self) -> bool:
        return self.capacity is not None


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("registered")
    WAITLISTED = "waitlisted", _("on the waiting list")
    CANCELLED = "cancelled", _("cancelled")


class Registration(TenantScoped):
    """A person's place in a session. Personal data: every read of it is audited."""

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("session")
    )
    name = models.CharField(_("full name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail address"), max_length=254, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.REGISTERED,
    )
    attended = models.BooleanField(_("attended"), default=False)
    completed = models.BooleanField(_("course completed"), default=False)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["registered_at", "pk"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        indexes = [
            models.Index(fields=["session", "status", "registered_at"], name="courses_reg_queue")
        ]

    def __str__(self):
        return f"registration {self.pk}"


class OutreachStatus(models.TextChoices):
    REQUESTED = "requested", _("requested")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")


class OutreachRequest(TenantScoped):
    """A group asks for a 出前講座 (a 自治会, a school, a company). Accepting it schedules a
    session of the chosen outreach course for that group. Holds a contact: personal data."""

    course = models.ForeignKey(
        Course,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outreach_requests",
        verbose_name=_("course"),
    )
    group_name = models.CharField(_("requesting group"), max_length=200)
    contact_name = models.CharField(_("contact person"), max_length=100)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail address"), max_length=254, blank=True)
    wanted_date = models.DateField(_("date wanted"))
    topic = models.CharField(_("topic"), max_length=300)
    expected_participants = models.PositiveIntegerField(
        _("expected participants"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OutreachStatus.choices, default=OutreachStatus.REQUESTED
    )
    session = models.OneToOneField(
        Session,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outreach_request",
        verbose_name=_("session"),
    )
    decision_note = models.TextField(_("note"), blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outreach course request")
        verbose_name_plural = _("outreach course requests")

    def __str__(self):
        return f"outreach request {self.pk}"
