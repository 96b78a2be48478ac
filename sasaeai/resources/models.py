"""Community resources (地域資源): organisations, services, locations and their schedules.

Aligned with Open Referral HSDS 3 so that the export is a straight mapping: every object
carries a UUID (`uid`) that becomes its HSDS `id`. A resident sees a *service at a location*
("a 子ども食堂 held at the 公民館"); categories are a tenant's own taxonomy, seeded with a
default vocabulary (`categories.DEFAULT_CATEGORIES`) that a tenant extends.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import Area, TenantScoped


class Category(TenantScoped):
    """An HSDS taxonomy term of the tenant's resource taxonomy."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Marker colour on the map and in the printed legend.
    colour = models.CharField(_("colour"), max_length=7, default="#1f6feb")
    order = models.PositiveIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="resource_category_code")
        ]

    def __str__(self):
        return self.name


class Organization(TenantScoped):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    alternate_name = models.CharField(_("name (kana)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    # 法人番号: exported as an HSDS organization_identifier.
    corporate_number = models.CharField(_("corporate number"), max_length=13, blank=True)
    source_key = models.CharField(max_length=200, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        indexes = [models.Index(fields=["tenant", "source_key"])]

    def __str__(self):
        return self.name


class Location(TenantScoped):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="locations"
    )
    name = models.CharField(_("name"), max_length=200)
    alternate_name = models.CharField(_("name (kana)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    transportation = models.TextField(_("how to get there"), blank=True)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    # 所在地_連結表記 as printed, and its parts (所在地_都道府県, _市区町村, _町字, _番地以下, 方書).
    address = models.CharField(_("address"), max_length=300, blank=True)
    prefecture = models.CharField(_("prefecture"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    town = models.CharField(_("town"), max_length=100, blank=True)
    street = models.CharField(_("street"), max_length=100, blank=True)
    building = models.CharField(_("building"), max_length=100, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("district"),
    )  # fmt: skip
    school_district = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("junior high school district"),
    )  # fmt: skip
    accessibility = models.TextField(_("accessibility"), blank=True)
    step_free = models.BooleanField(_("step-free access"), default=False)
    accessible_toilet = models.BooleanField(_("accessible toilet"), default=False)
    parking = models.BooleanField(_("parking"), default=False)
    source_key = models.CharField(max_length=200, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        indexes = [
            models.Index(fields=["tenant", "latitude", "longitude"]),
            models.Index(fields=["tenant", "source_key"]),
        ]

    def __str__(self):
        return self.name

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Audience(models.TextChoices):
    """対象: eligibility in words, as residents ask for it."""

    EVERYONE = "everyone", _("everyone")
    ELDERLY = "elderly", _("older people")
    CHILDREN = "children", _("children and families")
    DISABILITY = "disability", _("people with disabilities")


class ServiceStatus(models.TextChoices):
    # HSDS 3 service.status values.
    ACTIVE = "active", _("active")
    INACTIVE = "inactive", _("inactive")
    DEFUNCT = "defunct", _("closed")
    TEMPORARILY_CLOSED = "temporarily closed", _("temporarily closed")


class Service(TenantScoped):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    name = models.CharField(_("name"), max_length=200)
    alternate_name = models.CharField(_("name (kana)"), max_length=200, blank=True)
    # 名称_英字 / 名称_英語 of the open data.
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("web page"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    categories = models.ManyToManyField(Category, blank=True, related_name="services")
    # Comma-delimited with a leading and trailing comma (",elderly,children,") so that one
    # LIKE filters by audience on SQLite and PostgreSQL alike.
    audiences = models.CharField(_("for"), max_length=100, default=",everyone,")
    eligibility_description = models.TextField(_("who may use it"), blank=True)
    minimum_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    is_free = models.BooleanField(_("free of charge"), default=False)
    fees_description = models.TextField(_("cost"), blank=True)
    languages = models.CharField(_("languages"), max_length=200, blank=True, default="日本語")
    application_process = models.TextField(_("how to use it"), blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    # Where the record came from: an open-data import key ("kind:code:ID"), or blank.
    source_dataset = models.CharField(max_length=40, blank=True, editable=False)
    source_key = models.CharField(max_length=200, blank=True, editable=False)
    last_confirmed_at = models.DateTimeField(_("last confirmed"), null=True, blank=True)
    last_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("confirmed by"),
    )  # fmt: skip
    # Folded text of names, kana, description, categories and address (search.fold).
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    policy_public_field = "is_published"

    class Meta:
        ordering = ["alternate_name", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        indexes = [
            models.Index(fields=["tenant", "source_key"]),
            models.Index(fields=["tenant", "is_published", "status"]),
            models.Index(fields=["tenant", "last_confirmed_at"]),
        ]

    def __str__(self):
        return self.name

    def audience_list(self) -> list[str]:
        return [value for value in self.audiences.split(",") if value]


class ServiceAtLocation(TenantScoped):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="services_at")
    description = models.TextField(_("description"), blank=True)

    policy_public_field = "service__is_published"

    class Meta:
        verbose_name = _("service at location")
        constraints = [
            models.UniqueConstraint(fields=["service", "location"], name="service_location_once")
        ]


class PhoneKind(models.TextChoices):
    VOICE = "voice", _("telephone")
    FAX = "fax", _("fax")
    TEXT = "text", _("text message")


class Phone(TenantScoped):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    number = models.CharField(_("number"), max_length=30)
    extension = models.CharField(_("extension"), max_length=10, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=PhoneKind.choices, default="voice")
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "id"]


class Contact(TenantScoped):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("telephone"), max_length=30, blank=True)


class Frequency(models.TextChoices):
    WEEKLY = "WEEKLY", _("weekly")
    MONTHLY = "MONTHLY", _("monthly")


class Schedule(TenantScoped):
    """A recurrence rule in HSDS / RFC 5545 terms.

    `byday` is RFC 5545: "MO,WE" weekly, "2WE,4WE" (second and fourth Wednesday) or "-1FR"
    (last Friday) monthly. `weekday_mask` (bit 0 = Monday) is derived from it so that SQL can
    narrow "open now" before the exact test in schedules.py.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="schedules")
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    freq = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    interval = models.PositiveSmallIntegerField(default=1)
    byday = models.CharField(max_length=60, blank=True)
    bymonthday = models.CharField(max_length=60, blank=True)
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    closed_on_holidays = models.BooleanField(_("closed on public holidays"), default=True)
    description = models.CharField(_("as written"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    weekday_mask = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["tenant", "weekday_mask"])]


class ScheduleException(TenantScoped):
    """A dated change: closed that day, or open at other hours (年末年始, 臨時休館, 振替開催)."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="schedule_exceptions"
    )
    date = models.DateField(_("date"))
    is_closed = models.BooleanField(_("closed"), default=True)
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["service", "date"], name="schedule_exception_once")
        ]


class TileSource(models.TextChoices):
    GSI = "gsi", _("GSI tiles (地理院タイル): needs the internet")
    CUSTOM = "custom", _("internal tile server")
    NONE = "none", _("no tiles: plain background with area boundaries")


class MapSettings(TenantScoped):
    tile_source = models.CharField(
        _("tile source"), max_length=10, choices=TileSource.choices, default=TileSource.NONE
    )
    tile_url = models.CharField(_("tile URL template"), max_length=300, blank=True)
    attribution = models.CharField(_("attribution"), max_length=300, blank=True)
    max_zoom = models.PositiveSmallIntegerField(_("maximum zoom"), default=18)
    center_lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    center_lon = models.FloatField(_("centre longitude"), null=True, blank=True)
    zoom = models.PositiveSmallIntegerField(_("initial zoom"), default=13)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_map_settings")]


class ProposalKind(models.TextChoices):
    CORRECTION = "correction", _("correction")
    NEW_PLACE = "new_place", _("new place")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("awaiting review")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


class Proposal(TenantScoped):
    """A resident's or group's proposal. Plain text only; never changes a record by itself."""

    kind = models.CharField(_("kind"), max_length=20, choices=ProposalKind.choices)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    place_name = models.CharField(_("name of the place"), max_length=200, blank=True)
    body = models.TextField(_("proposal"))
    proposer_name = models.CharField(_("your name or group"), max_length=100, blank=True)
    proposer_contact = models.CharField(_("contact"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ProposalStatus.choices, default="pending"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "status"])]


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("previewed")
    APPLIED = "applied", _("applied")
    DISCARDED = "discarded", _("discarded")


class ResourceImport(TenantScoped):
    """An uploaded open-data CSV between its preview and its application."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    dataset = models.CharField(max_length=40, blank=True)
    column_set = models.CharField(max_length=20, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default="previewed")
    summary = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
