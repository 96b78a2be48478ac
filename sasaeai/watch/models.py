"""Watch-over (見守り) among neighbours (docs/watch.md).

A person to watch over (`WatchedPerson`) comes from a consultation case, a commissioner, the
evacuation support register, or staff; each has a frequency and the people who watch
(`Watcher`: a commissioner, a volunteer, a neighbour, a business with a 見守り協定). Each visit
or call is a `Contact`; a contact that finds something (気になる, 緊急) is passed to the
consultation desk through core.intake and keeps the intake's number. Businesses with a
見守り協定 (`WatchPartner`) report concerns (`PartnerReport`) through a form or an API key.
A 支え合いマップ (`MutualAidMap`) draws, for one small area, the households that agreed to
appear and the ties between them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import Area, TenantScoped

USER = settings.AUTH_USER_MODEL


class WatchSource(models.TextChoices):
    CASE = "case", _("consultation case")
    COMMISSIONER = "commissioner", _("welfare commissioner")
    REGISTER = "register", _("evacuation support register")
    STAFF = "staff", _("staff")
    OTHER = "other", _("other")


class WatchStatus(models.TextChoices):
    ACTIVE = "active", _("being watched over")
    ENDED = "ended", _("ended")


class WatchedPerson(TenantScoped):
    """Someone neighbours look in on. Kept apart from consultation's Person: the watch list is
    seen by commissioners and volunteers, a case is not; `source_reference` is the number of
    the case or register entry it came from, never its content."""

    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("district"),
    )  # fmt: skip
    phone = models.CharField(_("telephone"), max_length=40, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    reason = models.TextField(_("reason for watching over"))
    frequency_days = models.PositiveSmallIntegerField(_("contact at least every (days)"), default=7)
    # How to make contact: time of day, ring twice, whom to call if there is no answer…
    contact_rules = models.TextField(_("contact rules"), blank=True)
    emergency_contact = models.CharField(_("emergency contact"), max_length=200, blank=True)
    source = models.CharField(
        _("came from"), max_length=20, choices=WatchSource.choices, default=WatchSource.STAFF
    )
    source_reference = models.BigIntegerField(_("number in the source"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=WatchStatus.choices, default=WatchStatus.ACTIVE
    )
    started_on = models.DateField(_("watched since"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    # Kept by the contact service, so the missed-contact list is one indexed range scan.
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True, editable=False)
    next_due_on = models.DateField(_("next contact due"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    policy_area_field = "area"

    class Meta:
        ordering = ["name_kana", "name"]
        verbose_name = _("person watched over")
        verbose_name_plural = _("people watched over")
        indexes = [
            models.Index(fields=["tenant", "status", "next_due_on"]),
            models.Index(fields=["tenant", "area", "status"]),
        ]

    def __str__(self):
        return self.name


class WatcherKind(models.TextChoices):
    COMMISSIONER = "commissioner", _("welfare commissioner")
    VOLUNTEER = "volunteer", _("volunteer")
    NEIGHBOUR = "neighbour", _("neighbour")
    BUSINESS = "business", _("business with a watch-over agreement")
    STAFF = "staff", _("staff")


class Watcher(TenantScoped):
    """Who looks in on a watched person: a member with a login, or a named neighbour."""

    watched = models.ForeignKey(WatchedPerson, on_delete=models.CASCADE, related_name="watchers")
    kind = models.CharField(_("kind"), max_length=20, choices=WatcherKind.choices)
    user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("member"),
    )  # fmt: skip
    partner = models.ForeignKey(
        "WatchPartner", null=True, blank=True, on_delete=models.PROTECT, related_name="watchers",
        verbose_name=_("business"),
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("telephone"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("main watcher"), default=False)
    since = models.DateField(_("since"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)

    policy_area_field = "watched__area"

    class Meta:
        verbose_name = _("watcher")
        verbose_name_plural = _("watchers")
        indexes = [models.Index(fields=["tenant", "user"])]


class ContactKind(models.TextChoices):
    VISIT = "visit", _("visit")
    DOORSTEP = "doorstep", _("look from outside")  # 外からの見守り: lights, post, curtains
    PHONE = "phone", _("telephone")
    MEETING = "meeting", _("met at a gathering")
    BUSINESS = "business", _("report from a business")
    OTHER = "other", _("other")


class ContactResult(models.TextChoices):
    OK = "ok", _("nothing unusual")  # 異常なし
    CONCERN = "concern", _("concerned")  # 気になる
    URGENT = "urgent", _("urgent")  # 緊急
    ABSENT = "absent", _("no answer")  # 不在: an attempt, not a contact


class Contact(TenantScoped):
    """One visit, call or look-in. Two million a year at prefecture size: kept narrow."""

    watched = models.ForeignKey(WatchedPerson, on_delete=models.CASCADE, related_name="contacts")
    occurred_on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=ContactKind.choices)
    result = models.CharField(_("result"), max_length=20, choices=ContactResult.choices)
    note = models.TextField(_("note"), blank=True)
    watcher = models.ForeignKey(
        Watcher, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # The consultation intake a concern was passed to (core.intake): its number, not its content.
    intake_reference = models.BigIntegerField(
        _("consultation intake number"), null=True, blank=True
    )
    intake_url = models.CharField(max_length=300, blank=True)

    policy_area_field = "watched__area"

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["tenant", "watched", "occurred_on"]),
            models.Index(fields=["tenant", "recorded_by", "occurred_on"]),
        ]


class PartnerKind(models.TextChoices):
    DELIVERY = "delivery", _("delivery")
    UTILITY = "utility", _("electricity, gas or water")
    BANK = "bank", _("bank or post office")
    NEWSPAPER = "newspaper", _("newspaper")
    SHOP = "shop", _("shop")
    OTHER = "other", _("other")


class WatchPartner(TenantScoped):
    """A business with a 見守り協定: it reports what its staff notice on their rounds."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    agreement_on = models.DateField(_("agreement signed on"))
    agreement_ends_on = models.DateField(_("agreement ends on"), null=True, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact telephone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    # The report key (form link and API): only its SHA-256 is kept; shown once when issued.
    report_key_prefix = models.CharField(max_length=12, blank=True, editable=False)
    report_key_hash = models.CharField(max_length=64, blank=True, editable=False)
    report_key_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("watch-over partner")
        verbose_name_plural = _("watch-over partners")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="watch_partner_name"),
        ]

    def __str__(self):
        return self.name


class ReportStatus(models.TextChoices):
    NEW = "new", _("new")
    PASSED_ON = "passed_on", _("passed to the consultation desk")
    CLOSED = "closed", _("closed")


class PartnerReport(TenantScoped):
    """What a partner's staff noticed (newspapers piling up, meter not moving…)."""

    partner = models.ForeignKey(WatchPartner, on_delete=models.PROTECT, related_name="reports")
    received_at = models.DateTimeField(_("received at"))
    observed_on = models.DateField(_("noticed on"))
    subject_name = models.CharField(_("name (if known)"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("district"),
    )  # fmt: skip
    description = models.TextField(_("what was noticed"))
    is_urgent = models.BooleanField(_("urgent"), default=False)
    reporter_name = models.CharField(_("reported by"), max_length=100, blank=True)
    reporter_phone = models.CharField(_("reporter's telephone"), max_length=40, blank=True)
    watched = models.ForeignKey(
        WatchedPerson, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports",
        verbose_name=_("person watched over"),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.NEW
    )
    intake_reference = models.BigIntegerField(
        _("consultation intake number"), null=True, blank=True
    )
    intake_url = models.CharField(max_length=300, blank=True)
    handled_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    policy_area_field = "area"

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("report from a partner")
        verbose_name_plural = _("reports from partners")
        indexes = [models.Index(fields=["tenant", "received_at"])]


class MutualAidMap(TenantScoped):
    """A 支え合いマップ of one small area (30–80 households), drawn on a plain grid: no tiles."""

    title = models.CharField(_("title"), max_length=200)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    drawn_on = models.DateField(_("drawn on"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    policy_area_field = "area"

    class Meta:
        ordering = ["-drawn_on"]
        verbose_name = _("mutual aid map")
        verbose_name_plural = _("mutual aid maps")

    def __str__(self):
        return self.title


class HouseholdMark(models.TextChoices):
    ALONE_OLDER = "alone_older", _("older person living alone")
    OLDER_COUPLE = "older_couple", _("older couple")
    NEEDS_SUPPORT = "needs_support", _("needs support")
    HELPER = "helper", _("helps others (世話焼きさん)")
    GATHERING = "gathering", _("gathering place")
    OTHER = "other", _("other")


class MapHousehold(TenantScoped):
    """A household on the map, shown only with its agreement (`agreed_on`)."""

    map = models.ForeignKey(MutualAidMap, on_delete=models.CASCADE, related_name="households")
    label = models.CharField(_("label"), max_length=60)  # as the household agreed: 「田中さん」
    marks = models.JSONField(_("marks"), default=list, blank=True)  # HouseholdMark values
    # Position on the drawing, in grid cells (the streets are drawn by hand on the same grid).
    x = models.PositiveSmallIntegerField(_("column"))
    y = models.PositiveSmallIntegerField(_("row"))
    agreed_on = models.DateField(_("agreed to appear on"), null=True, blank=True)
    watched = models.ForeignKey(
        WatchedPerson, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    policy_area_field = "map__area"

    class Meta:
        verbose_name = _("household on the map")
        verbose_name_plural = _("households on the map")


class TieKind(models.TextChoices):
    LOOKS_IN = "looks_in", _("looks in on")
    TALKS = "talks", _("chats with")
    HELPS = "helps", _("helps with errands")
    EMERGENCY = "emergency", _("contact in an emergency")


class MapTie(TenantScoped):
    """Who looks in on whom: a line from one household to another."""

    map = models.ForeignKey(MutualAidMap, on_delete=models.CASCADE, related_name="ties")
    source = models.ForeignKey(MapHousehold, on_delete=models.CASCADE, related_name="ties_out")
    target = models.ForeignKey(MapHousehold, on_delete=models.CASCADE, related_name="ties_in")
    kind = models.CharField(_("kind"), max_length=20, choices=TieKind.choices)

    policy_area_field = "map__area"

    class Meta:
        verbose_name = _("tie")
        verbose_name_plural = _("ties")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="map_tie_once"),
        ]
