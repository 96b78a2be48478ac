"""People who help (担い手) and the help they give (docs/volunteers.md).

A helper (`Helper`) may have a login (role `volunteer`) or be registered by staff only. A
request for help (`HelpRequest`) comes from staff, from a consultation case (its id only: a
link, never the case's content) or from a signed-in resident. Coordinators confirm a matching
as offers (`Offer`); the helper accepts or declines; activities are reported with their hours
(`ActivityReport`) and signed off by a coordinator.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import Area, TenantScoped


class Registry(TenantScoped):
    """A register a helper can belong to (人材バンク, 地域福祉サポーター, FSC 提供会員 …):
    configured per tenant; its key names the metric `volunteers.registered:<key>`."""

    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("registry")
        verbose_name_plural = _("registries")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="volunteers_registry_key")
        ]

    def __str__(self):
        return self.name


class Skill(TenantScoped):
    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="volunteers_skill_key")
        ]

    def __str__(self):
        return self.name


class Mobility(models.TextChoices):
    WALK = "walk", _("on foot")
    BICYCLE = "bicycle", _("bicycle")
    CAR = "car", _("car")
    PUBLIC_TRANSPORT = "public_transport", _("public transport")


class Helper(TenantScoped):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("login"),
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("district"),
    )  # fmt: skip
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="+", verbose_name=_("skills"))
    qualifications = models.CharField(_("qualifications"), max_length=300, blank=True)
    languages = models.CharField(_("languages"), max_length=200, blank=True)
    mobility = models.CharField(
        _("mobility"), max_length=20, choices=Mobility.choices, default=Mobility.WALK
    )
    max_distance_km = models.FloatField(_("maximum distance (km)"), null=True, blank=True)
    capacity = models.PositiveSmallIntegerField(_("activities at a time"), default=1)
    consent_to_contact = models.BooleanField(_("consents to be contacted"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    registered_on = models.DateField(_("registered on"), default=timezone.localdate)
    note = models.TextField(_("note"), blank=True)
    is_demo = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    policy_area_field = "area"

    class Meta:
        ordering = ["name_kana", "name", "pk"]
        # The helper list's order, read from either end (views.TwoEndedPaginator).
        indexes = [models.Index(fields=["tenant", "name_kana", "name", "id"])]
        verbose_name = _("helper")
        verbose_name_plural = _("helpers")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user"], condition=Q(user__isnull=False),
                name="volunteers_one_helper_per_login",
            )
        ]  # fmt: skip

    def __str__(self):
        return self.name


class Availability(TenantScoped):
    """One weekly slot: weekday (0 = Monday) and hours."""

    helper = models.ForeignKey(Helper, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(_("weekday"))
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["weekday", "starts"]
        verbose_name = _("availability")
        verbose_name_plural = _("availability")


class AvailabilityException(TenantScoped):
    """A day the weekly pattern does not hold (holiday, hospital …): unavailable all day."""

    helper = models.ForeignKey(Helper, on_delete=models.CASCADE, related_name="exceptions")
    day = models.DateField(_("day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["helper", "day"], name="volunteers_one_exception")
        ]


class InsurancePlan(models.TextChoices):
    BASIC = "basic", _("basic plan")
    DISASTER = "disaster", _("natural disaster plan")


class Insurance(TenantScoped):
    """ボランティア活動保険 for one fiscal year (April–March)."""

    helper = models.ForeignKey(Helper, on_delete=models.CASCADE, related_name="insurances")
    fiscal_year = models.PositiveIntegerField(_("fiscal year"))
    plan = models.CharField(_("plan"), max_length=20, choices=InsurancePlan.choices)
    enrolled_on = models.DateField(_("enrolled on"))

    class Meta:
        ordering = ["-fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["helper", "fiscal_year"], name="volunteers_one_insurance_per_year"
            )
        ]


class RegistryMembership(TenantScoped):
    helper = models.ForeignKey(Helper, on_delete=models.CASCADE, related_name="registrations")
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="members")
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        ordering = ["registry__order", "joined_on"]


class Group(TenantScoped):
    """ボランティア団体."""

    name = models.CharField(_("name"), max_length=200)
    representative = models.CharField(_("representative"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    members = models.ManyToManyField(Helper, blank=True, related_name="groups")
    is_demo = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("volunteer group")
        verbose_name_plural = _("volunteer groups")

    def __str__(self):
        return self.name


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("received")
    COORDINATING = "coordinating", _("coordinating")
    MATCHED = "matched", _("matched")
    BRIEFING = "briefing", _("preliminary meeting")
    ACTIVE = "active", _("in progress")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")


OPEN_STATUSES = (RequestStatus.RECEIVED, RequestStatus.COORDINATING)


class RequestSource(models.TextChoices):
    STAFF = "staff", _("staff")
    CASE = "case", _("consultation case")
    RESIDENT = "resident", _("resident")


class Recurrence(models.TextChoices):
    ONE_OFF = "one_off", _("one-off")
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")


class HelpRequest(TenantScoped):
    title = models.CharField(_("what help"), max_length=200)
    description = models.TextField(_("details"), blank=True)
    source = models.CharField(
        _("source"), max_length=20, choices=RequestSource.choices, default=RequestSource.STAFF
    )
    # A consultation case is linked by its id only: its content stays in the consultation app.
    case_id = models.BigIntegerField(_("consultation case number"), null=True, blank=True)
    requester_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    requester_name = models.CharField(_("requester"), max_length=100)
    requester_phone = models.CharField(_("requester's phone"), max_length=30, blank=True)
    address = models.CharField(_("place"), max_length=300, blank=True)
    # What the matched helper may see of the requester: the name and the place always, the
    # phone only when the requester agreed to share it.
    share_phone = models.BooleanField(_("share the phone number with the helper"), default=False)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("district"),
    )  # fmt: skip
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    recurrence = models.CharField(
        _("recurrence"), max_length=20, choices=Recurrence.choices, default=Recurrence.ONE_OFF
    )
    skills = models.ManyToManyField(
        Skill, blank=True, related_name="+", verbose_name=_("skills needed")
    )
    helpers_needed = models.PositiveSmallIntegerField(_("helpers needed"), default=1)
    # 有償 services (ファミリー・サポート・センター: ¥700–900 an hour): yen per hour.
    fee_per_hour = models.PositiveIntegerField(_("fee per hour (yen)"), null=True, blank=True)
    is_fsc = models.BooleanField(_("family support center activity"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    is_demo = models.BooleanField(default=False, editable=False)

    policy_area_field = "area"

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("request for help")
        verbose_name_plural = _("requests for help")
        indexes = [
            models.Index(fields=["tenant", "status", "starts_at"]),
            # The coordinator's home: every request in this order (views.request_list).
            models.Index(fields=["tenant", "starts_at", "id"]),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RequestStatusChange(TenantScoped):
    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=20, choices=RequestStatus.choices)
    to_status = models.CharField(max_length=20, choices=RequestStatus.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]


class OfferStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    OFFERED = "offered", _("offered")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    WITHDRAWN = "withdrawn", _("withdrawn")


ACTIVE_OFFER_STATUSES = (OfferStatus.OFFERED, OfferStatus.ACCEPTED)


class Offer(TenantScoped):
    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="offers")
    helper = models.ForeignKey(Helper, on_delete=models.PROTECT, related_name="offers")
    status = models.CharField(
        _("status"), max_length=20, choices=OfferStatus.choices, default=OfferStatus.OFFERED
    )
    # The request's time, copied so a helper's overlapping offers are found in one index.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reasons = models.TextField(_("reasons"), blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)
    response_note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            # The last line against two coordinators confirming the same pair at once.
            models.UniqueConstraint(
                fields=["request", "helper"], condition=Q(status__in=["offered", "accepted"]),
                name="volunteers_one_live_offer_per_pair",
            )
        ]  # fmt: skip
        indexes = [models.Index(fields=["tenant", "helper", "starts_at"])]


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    SIGNED_OFF = "signed_off", _("signed off")
    REJECTED = "rejected", _("returned")


class ActivityReport(TenantScoped):
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="reports")
    day = models.DateField(_("day"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2)
    note = models.TextField(_("note"), blank=True)
    fee = models.PositiveIntegerField(_("fee (yen)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    signed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "-pk"]
        # Statistics read one fiscal year of a tenant's reports.
        indexes = [models.Index(fields=["tenant", "day"])]
        verbose_name = _("activity report")
        verbose_name_plural = _("activity reports")
