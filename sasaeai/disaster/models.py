"""Disaster safety (docs/disaster.md): the 避難行動要支援者名簿, consent, the people it is shared
with, disaster mode, safety checks (安否確認), 個別避難計画 and 福祉避難所.

- `RegisterEntry`: one person on the register (災害対策基本法 49条の10), with the legal items
  and the city's own (`extra`). Imports (`RegisterImport`) from the 住基/介護/障害 extracts
  show what changed (moved, died, new) before they are applied.
- Consent follows the tenant's ordinance (`DisasterSettings.consent_model`): opt-in 同意書,
  presumed after no reply, or opt-out. `ConsentRecord` keeps the history; the entry's
  `consent_status` is the current state, changed in the same transaction, so a withdrawal
  hides the entry from recipients at once.
- Recipients (避難支援等関係者, `HelperOrganisation`) hold an agreement (協定) for areas; their
  named custodians and viewers (`RecipientMember`) see the shareable entries of those areas.
  Paper or file copies handed to them are `RegisterCopy` rows until returned or destroyed.
- `Declaration`: disaster mode for areas (49条の11③); while it is active, the named recipient
  organisations see every entry of those areas, consent or not; every view is audited and the
  declaration's report lists who saw what. `SafetyCheck` keeps every mark from every phone;
  `SafetyStatus` holds the latest per person.
- `EvacuationPlan` (49条の14) with its `PlanSupporter` rows; `WelfareShelter` from the
  resources directory (core.places) with its agreement and capacity.
Row rules: disaster/rules.py.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import Area, TenantScoped

USER = settings.AUTH_USER_MODEL


class ConsentModel(models.TextChoices):
    OPT_IN = "opt_in", _("consent in writing (同意方式)")
    PRESUMED = "presumed", _("presumed after no reply (みなし同意)")
    OPT_OUT = "opt_out", _("shared unless refused, by ordinance (条例による提供)")


class DisasterSettings(TenantScoped):
    consent_model = models.CharField(
        _("consent model"), max_length=20, choices=ConsentModel.choices,
        default=ConsentModel.OPT_IN,
    )  # fmt: skip
    # みなし同意: the days after the inquiry was sent after which no reply counts as consent.
    presumed_after_days = models.PositiveSmallIntegerField(
        _("days before no reply counts"), default=30
    )
    ordinance_name = models.CharField(_("ordinance"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("disaster settings")
        verbose_name_plural = _("disaster settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="disaster_settings_once")]


class ConsentStatus(models.TextChoices):
    NOT_ASKED = "not_asked", _("not asked")
    ASKED = "asked", _("asked, no reply yet")
    GIVEN = "given", _("consented")
    PRESUMED = "presumed", _("presumed (no reply)")
    REFUSED = "refused", _("refused")
    WITHDRAWN = "withdrawn", _("withdrawn")


class RegisterReason(models.TextChoices):
    CARE_LEVEL = "care_level", _("long-term care level 3 or above")
    PHYSICAL_DISABILITY = "physical_disability", _("physical disability certificate grade 1–2")
    INTELLECTUAL_DISABILITY = "intellectual_disability", _("intellectual disability (療育手帳 A)")
    MENTAL_DISABILITY = "mental_disability", _("mental disability certificate grade 1")
    INTRACTABLE_DISEASE = "intractable_disease", _("intractable disease")
    OLDER_ALONE = "older_alone", _("older person living alone or older-only household")
    MEDICAL_DEVICE = "medical_device", _("depends on a medical device")
    OTHER = "other", _("other, by the city's decision")


class EntryStatus(models.TextChoices):
    LISTED = "listed", _("listed")
    REMOVED = "removed", _("removed")


class RemovalReason(models.TextChoices):
    MOVED = "moved", _("moved out")
    DIED = "died", _("died")
    NOT_ELIGIBLE = "not_eligible", _("no longer eligible")
    OTHER = "other", _("other")


class RegisterEntry(TenantScoped):
    """One person on the 避難行動要支援者名簿. `resident_key` (宛名番号) matches the extracts."""

    resident_key = models.CharField(_("resident number (宛名番号)"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=10, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=300)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("district"),
    )  # fmt: skip
    phone = models.CharField(_("telephone"), max_length=40, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    reasons = models.JSONField(
        _("reasons support is needed"), default=list
    )  # RegisterReason values
    reason_note = models.TextField(_("details of the reasons"), blank=True)
    # The city's own items (世帯状況, 緊急連絡先 …), as the tenant names them.
    extra = models.JSONField(_("the city's own items"), default=dict, blank=True)
    sources = models.JSONField(_("extracts it came from"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=EntryStatus.choices, default=EntryStatus.LISTED
    )
    listed_on = models.DateField(_("listed on"))
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    removal_reason = models.CharField(
        _("reason for removal"), max_length=20, choices=RemovalReason.choices, blank=True
    )
    consent_status = models.CharField(
        _("consent"), max_length=20, choices=ConsentStatus.choices,
        default=ConsentStatus.NOT_ASKED,
    )  # fmt: skip
    consent_changed_on = models.DateField(_("consent changed on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    policy_area_field = "area"

    class Meta:
        ordering = ["name_kana", "name"]
        verbose_name = _("register entry")
        verbose_name_plural = _("register entries")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "resident_key"], name="register_resident_once"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "area", "status", "consent_status"]),
            models.Index(fields=["tenant", "status", "consent_status"]),
            # The register list's order: a page of 250,000 entries without sorting them all.
            models.Index(
                fields=["tenant", "status", "name_kana", "name", "id"], name="register_list_order"
            ),
        ]

    def __str__(self):
        return self.name


class ConsentEvent(models.TextChoices):
    ASKED = "asked", _("inquiry sent")
    GIVEN = "given", _("consented")
    PRESUMED = "presumed", _("no reply: presumed")
    REFUSED = "refused", _("refused")
    WITHDRAWN = "withdrawn", _("withdrawn")


class ConsentRecord(TenantScoped):
    entry = models.ForeignKey(RegisterEntry, on_delete=models.CASCADE, related_name="consents")
    event = models.CharField(_("event"), max_length=20, choices=ConsentEvent.choices)
    on = models.DateField(_("date"))
    method = models.CharField(_("method"), max_length=100, blank=True)  # 同意書, 口頭, 返信なし
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    policy_area_field = "entry__area"

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")


class ExtractKind(models.TextChoices):
    RESIDENTS = "residents", _("basic resident register (住基)")
    CARE = "care", _("long-term care insurance (介護)")
    DISABILITY = "disability", _("disability (障害)")


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("checked, not applied")
    APPLIED = "applied", _("applied")
    DISCARDED = "discarded", _("discarded")


class RegisterImport(TenantScoped):
    """An uploaded extract, checked and compared with the register before it is applied."""

    kind = models.CharField(_("extract"), max_length=20, choices=ExtractKind.choices)
    file_name = models.CharField(_("file"), max_length=200)
    token = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    # Counts per change (new, changed, moved, died, unchanged) and the warnings.
    summary = models.JSONField(default=dict)
    # The rows to apply, as validated: what the preview showed is exactly what is applied.
    changes = models.JSONField(default=list)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("register import")
        verbose_name_plural = _("register imports")


class OrganisationKind(models.TextChoices):
    FIRE = "fire", _("fire department")
    POLICE = "police", _("police")
    COMMISSIONERS = "commissioners", _("welfare commissioners' council")
    WELFARE_COUNCIL = "welfare_council", _("social welfare council")
    DISASTER_ORGANISATION = "disaster_organisation", _("voluntary disaster organisation")
    NEIGHBOURHOOD = "neighbourhood", _("neighbourhood association")
    OTHER = "other", _("other")


class HelperOrganisation(TenantScoped):
    """A 避難支援等関係者 the register may be shared with, under its agreement (協定)."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=OrganisationKind.choices)
    areas = models.ManyToManyField(Area, related_name="+", verbose_name=_("areas covered"))
    # `areas` and every area beneath them, kept by the service: row rules filter on it in SQL.
    covered_areas = models.ManyToManyField(Area, related_name="+", editable=False)
    agreement_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    agreement_ends_on = models.DateField(_("agreement ends on"), null=True, blank=True)
    agreement_reference = models.CharField(_("agreement reference"), max_length=100, blank=True)
    handling_rules = models.TextField(_("how the copy is kept"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("evacuation support organisation")
        verbose_name_plural = _("evacuation support organisations")

    def __str__(self):
        return self.name


class MemberDuty(models.TextChoices):
    CUSTODIAN = "custodian", _("custodian (管理責任者)")
    VIEWER = "viewer", _("viewer")


class RecipientMember(TenantScoped):
    """A named person of a recipient organisation who may see its share of the register."""

    organisation = models.ForeignKey(
        HelperOrganisation, on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    duty = models.CharField(_("duty"), max_length=20, choices=MemberDuty.choices)
    added_on = models.DateField(_("added on"))
    removed_on = models.DateField(_("removed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("recipient member")
        verbose_name_plural = _("recipient members")
        indexes = [models.Index(fields=["tenant", "user"])]


class CopyFormat(models.TextChoices):
    PAPER = "paper", _("paper")
    PDF = "pdf", _("PDF")
    EXCEL = "excel", _("Excel")


class RegisterCopy(TenantScoped):
    """A copy of (part of) the register handed to a recipient, until returned or destroyed."""

    organisation = models.ForeignKey(
        HelperOrganisation, on_delete=models.PROTECT, related_name="copies"
    )
    issued_on = models.DateField(_("handed over on"))
    issued_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    format = models.CharField(_("format"), max_length=10, choices=CopyFormat.choices)
    entry_count = models.PositiveIntegerField(_("people in the copy"))
    received_by = models.CharField(_("received by"), max_length=100)
    due_back_on = models.DateField(_("to be returned by"), null=True, blank=True)
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    destroyed_on = models.DateField(_("destroyed on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-issued_on"]
        verbose_name = _("register copy")
        verbose_name_plural = _("register copies")


class Declaration(TenantScoped):
    """Disaster mode (災害時の名簿提供) for areas, from its declaration to its explicit end."""

    reason = models.TextField(_("reason"))
    areas = models.ManyToManyField(Area, related_name="+", verbose_name=_("areas"))
    covered_areas = models.ManyToManyField(Area, related_name="+", editable=False)
    recipients = models.ManyToManyField(
        HelperOrganisation, related_name="declarations", verbose_name=_("named recipients")
    )
    # Welfare commissioners of the areas are recipients by law; a declaration may leave them out.
    includes_commissioners = models.BooleanField(
        _("commissioners of the areas see all"), default=True
    )
    declared_at = models.DateTimeField(_("declared at"))
    declared_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_note = models.TextField(_("note on ending"), blank=True)

    class Meta:
        ordering = ["-declared_at"]
        verbose_name = _("disaster declaration")
        verbose_name_plural = _("disaster declarations")

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class SafetyState(models.TextChoices):
    UNKNOWN = "unknown", _("not yet known")  # 不明
    SAFE = "safe", _("safe")  # 無事
    NEEDS_HELP = "needs_help", _("needs help")  # 要支援
    EVACUATED = "evacuated", _("evacuated")  # 避難先


class SafetyCheck(TenantScoped):
    """Every mark from every phone, never overwritten: two people marking at once both stay."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="checks")
    entry = models.ForeignKey(RegisterEntry, on_delete=models.PROTECT, related_name="safety_checks")
    state = models.CharField(_("state"), max_length=20, choices=SafetyState.choices)
    place = models.CharField(_("where they are"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    marked_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    marked_at = models.DateTimeField(_("marked at"))  # on the phone (offline marks arrive late)
    received_at = models.DateTimeField(auto_now_add=True)

    policy_area_field = "entry__area"

    class Meta:
        ordering = ["-marked_at", "-id"]
        verbose_name = _("safety check")
        verbose_name_plural = _("safety checks")
        indexes = [models.Index(fields=["tenant", "declaration", "entry", "marked_at"])]


class SafetyStatus(TenantScoped):
    """The latest mark per person and declaration (the newest `marked_at` wins)."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="statuses")
    entry = models.ForeignKey(RegisterEntry, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("state"), max_length=20, choices=SafetyState.choices)
    place = models.CharField(_("where they are"), max_length=200, blank=True)
    latest_check = models.ForeignKey(
        SafetyCheck, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField(_("marked at"))
    marks = models.PositiveIntegerField(_("marks"), default=0)

    policy_area_field = "entry__area"

    class Meta:
        verbose_name = _("safety status")
        verbose_name_plural = _("safety statuses")
        constraints = [
            models.UniqueConstraint(fields=["declaration", "entry"], name="safety_status_once"),
        ]
        indexes = [models.Index(fields=["tenant", "declaration", "area", "state"])]


class ShelterTarget(models.TextChoices):
    OLDER = "older", _("older people")
    PHYSICAL = "physical", _("people with physical disabilities")
    INTELLECTUAL = "intellectual", _("people with intellectual disabilities")
    MENTAL = "mental", _("people with mental disabilities")
    MEDICAL = "medical", _("people who need medical care")
    PREGNANT = "pregnant", _("pregnant women and infants")
    CHILDREN = "children", _("children with disabilities")


class WelfareShelter(TenantScoped):
    """A 福祉避難所: a place of the resources directory (core.places) with its agreement."""

    place_id = models.BigIntegerField(_("place in the directory"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("telephone"), max_length=40, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    operator = models.CharField(_("operated by"), max_length=200, blank=True)
    agreement_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), default=0)
    targets = models.JSONField(_("who it takes in"), default=list, blank=True)  # ShelterTarget
    accepts_direct = models.BooleanField(_("direct evacuation"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("welfare shelter")
        verbose_name_plural = _("welfare shelters")

    def __str__(self):
        return self.name


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    AGREED = "agreed", _("agreed with the person")
    ENDED = "ended", _("ended")


class DestinationKind(models.TextChoices):
    WELFARE_SHELTER = "welfare_shelter", _("welfare shelter, directly")
    DESIGNATED = "designated", _("designated shelter")
    RELATIVES = "relatives", _("relatives or acquaintances")
    STAY_HOME = "stay_home", _("stays at home (upper floor)")
    OTHER = "other", _("other")


class EvacuationPlan(TenantScoped):
    """個別避難計画 of one register entry (one current plan per person)."""

    entry = models.OneToOneField(RegisterEntry, on_delete=models.PROTECT, related_name="plan")
    status = models.CharField(
        _("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    consent_on = models.DateField(_("the person agreed on"), null=True, blank=True)
    destination_kind = models.CharField(
        _("destination"), max_length=20, choices=DestinationKind.choices, blank=True
    )
    shelter = models.ForeignKey(
        WelfareShelter, null=True, blank=True, on_delete=models.PROTECT, related_name="plans",
        verbose_name=_("welfare shelter"),
    )  # fmt: skip
    destination_name = models.CharField(_("destination name"), max_length=200, blank=True)
    route = models.TextField(_("route"), blank=True)
    medical_devices = models.TextField(_("medical devices"), blank=True)
    medication = models.TextField(_("medication"), blank=True)
    mobility = models.TextField(_("mobility"), blank=True)
    other_needs = models.TextField(_("other needs"), blank=True)
    # The ケアマネ or 相談支援専門員 who writes it (role care_planner sees only these plans).
    care_planner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("care planner"),
    )  # fmt: skip
    written_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    policy_area_field = "entry__area"

    class Meta:
        verbose_name = _("evacuation plan")
        verbose_name_plural = _("evacuation plans")
        indexes = [models.Index(fields=["tenant", "care_planner"])]


class PlanSupporter(TenantScoped):
    """避難支援等実施者: someone who helps the person evacuate (a plan needs at least one)."""

    plan = models.ForeignKey(EvacuationPlan, on_delete=models.CASCADE, related_name="supporters")
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("telephone"), max_length=40)
    relation = models.CharField(_("relation"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)

    policy_area_field = "plan__entry__area"

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("evacuation supporter")
        verbose_name_plural = _("evacuation supporters")
