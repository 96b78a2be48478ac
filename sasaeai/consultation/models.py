"""Comprehensive consultation (包括的相談支援): who asked, about whom, and how support goes on.

The order follows the national standard forms: a consultation is received (相談受付・申込票),
becomes a case that is assessed (インテーク・アセスメントシート), whose activities form the
support record (支援経過記録), listed with the other cases (支援ケース一覧), and planned (プラン).
Who may see a row is decided in `rules.py`, applied by `accounts.policy.scope`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sasaeai.core.models import Area, TenantScoped

USER = settings.AUTH_USER_MODEL


class Sex(models.TextChoices):
    FEMALE = "female", _("female")
    MALE = "male", _("male")
    OTHER = "other", _("other")
    UNKNOWN = "unknown", _("not recorded")


class PersonFlag(models.TextChoices):
    LIVES_ALONE = "lives_alone", _("lives alone")
    OLDER_ONLY_HOUSEHOLD = "older_only_household", _("older people only household")
    NEEDS_INTERPRETER = "needs_interpreter", _("needs an interpreter")
    HEARING_OR_SPEECH = "hearing_or_speech", _("hearing or speech impairment")
    NO_PHONE = "no_phone", _("no telephone")
    GUARDIANSHIP = "guardianship", _("adult guardianship")


class Person(TenantScoped):
    """Someone a consultation is about (本人) or who lives with them."""

    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("district"),
    )  # fmt: skip
    phone = models.CharField(_("telephone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(_("language"), max_length=40, default="日本語", blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_confidential = models.BooleanField(_("confidential"), default=False)
    # Folded name, kana, address, phone digits and birth date, for the duplicate search.
    search_text = models.TextField(editable=False, default="")
    kana_key = models.CharField(max_length=200, editable=False, default="", db_index=False)
    phone_digits = models.CharField(max_length=40, editable=False, default="")
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name_kana", "name"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            models.Index(fields=["tenant", "kana_key"]),
            models.Index(fields=["tenant", "phone_digits"]),
            models.Index(fields=["tenant", "birth_date"]),
        ]

    def __str__(self):
        return self.name


class Household(TenantScoped):
    name = models.CharField(_("household name"), max_length=100)
    address = models.CharField(_("address"), max_length=300, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("district"),
    )  # fmt: skip
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self):
        return self.name


class Relationship(models.TextChoices):
    HEAD = "head", _("head of household")
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")
    SIBLING = "sibling", _("sibling")
    GRANDCHILD = "grandchild", _("grandchild")
    GRANDPARENT = "grandparent", _("grandparent")
    OTHER_RELATIVE = "other_relative", _("other relative")
    OTHER = "other", _("other")


class HouseholdMember(TenantScoped):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    relationship = models.CharField(
        _("relationship"), max_length=20, choices=Relationship.choices, default=Relationship.OTHER
    )
    lives_together = models.BooleanField(_("lives together"), default=True)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        constraints = [
            models.UniqueConstraint(fields=["household", "person"], name="household_member_once")
        ]


class ConcernTag(TenantScoped):
    """A kind of difficulty (高齢, 8050, ひきこもり…); the tenant edits its own list."""

    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("concern")
        verbose_name_plural = _("concerns")
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="concern_tag_code")]

    def __str__(self):
        return self.name


class AgencyKind(models.TextChoices):
    COMMUNITY_CARE_CENTRE = "community_care_centre", _("community comprehensive care centre")
    DISABILITY_SUPPORT_CENTRE = "disability_support_centre", _("disability support centre")
    CHILD_REARING_SUPPORT = "child_rearing_support", _("child-rearing support")
    SELF_RELIANCE_SUPPORT = "self_reliance_support", _("self-reliance support for hardship")
    HIKIKOMORI_SUPPORT = "hikikomori_support", _("social withdrawal support")
    WELFARE_COUNCIL = "welfare_council", _("welfare council")
    MUNICIPAL_DEPARTMENT = "municipal_department", _("municipal department")
    MEDICAL = "medical", _("medical")
    OTHER = "other", _("other")


class Agency(TenantScoped):
    """An organisation a case can be referred to (関係機関)."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=40, choices=AgencyKind.choices)
    phone = models.CharField(_("telephone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(
        USER, blank=True, related_name="consultation_agencies", verbose_name=_("staff")
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="agency_name")]

    def __str__(self):
        return self.name


class Channel(models.TextChoices):
    COUNTER = "counter", _("at the desk")
    PHONE = "phone", _("telephone")
    VISIT = "visit", _("home visit")
    OUTREACH = "outreach", _("outreach")
    COMMISSIONER = "commissioner", _("passed on by a welfare commissioner")
    AGENCY = "agency", _("passed on by an agency")
    EMAIL = "email", pgettext_lazy("channel", "email")
    WATCH = "watch", _("from watch-over (visit or partner report)")
    OTHER = "other", _("other")


class CallAbout(models.TextChoices):
    """Whom the call is about: the desk asks first, so the person is recorded from it."""

    SELF = "self", _("the caller themself")
    FAMILY = "family", _("a family member")
    NEIGHBOUR = "neighbour", _("a neighbour or acquaintance")
    PROFESSIONAL = "professional", _("someone the caller supports at work")
    OTHER = "other", _("someone else")


class ConsultationStatus(models.TextChoices):
    RECEIVED = "received", _("received")
    TAKEN_IN = "taken_in", _("taken in as a case")
    ANSWERED = "answered", _("answered without a case")


class Consultation(TenantScoped):
    """One contact in which someone asks for help (相談受付). Nothing but a description is
    required: no category, no person, so that no one is turned away at the door."""

    received_at = models.DateTimeField(_("received at"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    description = models.TextField(_("what was said"))
    contact = models.CharField(_("how to reach them"), max_length=200, blank=True)
    caller_name = models.CharField(_("caller"), max_length=100, blank=True)
    caller_relation = models.CharField(_("caller's relation"), max_length=60, blank=True)
    # Whom the call is about, as the caller told it, before anyone is recorded as a person:
    # it fills the duplicate search and the person form (the desk types the name once).
    about = models.CharField(_("about whom"), max_length=20, choices=CallAbout.choices, blank=True)
    subject_name = models.CharField(_("their name"), max_length=100, blank=True)
    subject_name_kana = models.CharField(_("their name (kana)"), max_length=200, blank=True)
    subject_address = models.CharField(_("their address"), max_length=300, blank=True)
    subject_phone = models.CharField(_("their telephone"), max_length=40, blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="consultations"
    )
    case = models.ForeignKey(
        "Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="consultations"
    )
    concerns = models.ManyToManyField(ConcernTag, blank=True, related_name="+")
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("district"),
    )  # fmt: skip
    referred_by_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    received_by_role = models.CharField(max_length=40, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=ConsultationStatus.choices,
        default=ConsultationStatus.RECEIVED,
    )  # fmt: skip
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    is_confidential = models.BooleanField(_("confidential"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        indexes = [
            models.Index(fields=["tenant", "received_at"]),
            models.Index(fields=["tenant", "status"]),
        ]

    def __str__(self):
        return f"{self.received_at:%Y-%m-%d} {self.get_channel_display()}"


class CaseStatus(models.TextChoices):
    INTAKE = "intake", _("intake")
    ASSESSMENT = "assessment", _("assessment")
    PLANNING = "planning", _("planning")
    SUPPORT = "support", _("in support")
    MONITORING = "monitoring", _("monitoring")
    CLOSED = "closed", pgettext_lazy("case", "closed")


# The workflow: each status may move to these. A closed case may be reopened to assessment.
CASE_TRANSITIONS = {
    CaseStatus.INTAKE: {CaseStatus.ASSESSMENT, CaseStatus.CLOSED},
    CaseStatus.ASSESSMENT: {CaseStatus.PLANNING, CaseStatus.CLOSED},
    CaseStatus.PLANNING: {CaseStatus.SUPPORT, CaseStatus.ASSESSMENT, CaseStatus.CLOSED},
    CaseStatus.SUPPORT: {CaseStatus.MONITORING, CaseStatus.PLANNING, CaseStatus.CLOSED},
    CaseStatus.MONITORING: {CaseStatus.SUPPORT, CaseStatus.PLANNING, CaseStatus.CLOSED},
    CaseStatus.CLOSED: {CaseStatus.ASSESSMENT},
}


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("emergency")
    HIGH = "high", _("high")
    NORMAL = "normal", _("normal")
    LOW = "low", _("low")


class Case(TenantScoped):
    """The ongoing support of one person or household (支援ケース)."""

    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.INTAKE
    )
    urgency = models.CharField(
        _("urgency"), max_length=20, choices=Urgency.choices, default=Urgency.NORMAL
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
        verbose_name=_("household"),
    )  # fmt: skip
    persons = models.ManyToManyField(Person, through="CasePerson", related_name="cases")
    concerns = models.ManyToManyField(
        ConcernTag, blank=True, related_name="cases", verbose_name=_("concerns")
    )
    assessment = models.TextField(_("assessment"), blank=True)
    is_outreach = models.BooleanField(_("outreach case"), default=False)
    # Formally taken into 重層的支援体制整備事業 (支援決定): required for 重層的支援会議.
    in_programme_since = models.DateField(
        _("in the multi-layered programme since"), null=True, blank=True
    )
    is_confidential = models.BooleanField(_("confidential"), default=False)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_reason = models.TextField(_("reason for closing"), blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["tenant", "status"]),
            models.Index(fields=["tenant", "opened_on"]),
            models.Index(fields=["tenant", "closed_on"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    @property
    def is_closed(self) -> bool:
        return self.status == CaseStatus.CLOSED


class CasePersonRole(models.TextChoices):
    PRIMARY = "primary", _("main person")
    MEMBER = "member", _("household member concerned")


class CasePerson(TenantScoped):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="person_links")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="case_links")
    role = models.CharField(
        max_length=20, choices=CasePersonRole.choices, default=CasePersonRole.PRIMARY
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "person"], name="case_person_once")]


class TeamRole(models.TextChoices):
    LEAD = "lead", _("lead worker")
    MEMBER = "member", _("team member")


class CaseAssignment(TenantScoped):
    """Who worked on a case, as what, from when to when. Rows are ended, never rewritten."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="case_assignments")
    role = models.CharField(_("role"), max_length=20, choices=TeamRole.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["user", "ended_at"]),
            models.Index(fields=["case", "ended_at"]),
        ]


class CaseStatusChange(TenantScoped):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CaseStatus.choices)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["changed_at", "id"]


class CaseAccessGrant(TenantScoped):
    """A named user who may see a confidential case (DV, abuse); nobody else may."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access_grants")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="case_access_grant_once")
        ]


class Supervision(TenantScoped):
    """A supervisor sees the cases of the workers they supervise."""

    supervisor = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "supervisor", "worker"], name="supervision_once"
            )
        ]


class ActivityKind(models.TextChoices):
    INTERVIEW = "interview", _("interview")
    PHONE = "phone", _("telephone")
    VISIT = "visit", _("home visit")
    ACCOMPANY = "accompany", _("accompanying")
    MEETING = "meeting", _("meeting")
    RECORD = "record", _("record")


# Kinds that count as contact with the person for the "no contact for N days" list.
CONTACT_KINDS = frozenset(
    {ActivityKind.INTERVIEW, ActivityKind.PHONE, ActivityKind.VISIT, ActivityKind.ACCOMPANY}
)


class Activity(TenantScoped):
    """One line of the support record (支援経過記録)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    occurred_at = models.DateTimeField(_("when"))
    minutes = models.PositiveIntegerField(_("time spent (minutes)"), default=0)
    summary = models.TextField(_("summary"))
    is_outreach = models.BooleanField(_("outreach"), default=False)
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    author_role = models.CharField(max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["case", "occurred_at"]),
            models.Index(fields=["tenant", "occurred_at"]),
        ]


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("in writing")
    VERBAL = "verbal", _("verbally, recorded by staff")
    PROXY = "proxy", _("by a guardian or representative")


class Consent(TenantScoped):
    """A person's consent to share their information (個人情報の共有に関する同意)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("agency (blank: the agencies named in the scope)"),
    )  # fmt: skip
    scope = models.TextField(_("what may be shared, with whom"))
    covers_conferences = models.BooleanField(
        _("covers multi-layered support meetings"), default=False
    )
    obtained_on = models.DateField(_("obtained on"))
    method = models.CharField(_("how obtained"), max_length=20, choices=ConsentMethod.choices)
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-obtained_on", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("sent")
    ACCEPTED = "accepted", pgettext_lazy("referral", "accepted")
    DECLINED = "declined", _("declined")
    COMPLETED = "completed", _("completed")
    REVOKED = "revoked", _("revoked")


# While a referral is in these states its agency sees what it shares.
OPEN_REFERRAL_STATUSES = (ReferralStatus.SENT, ReferralStatus.ACCEPTED)


class Referral(TenantScoped):
    """Handing a case, or the part about one person, to an agency (つなぎ)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referrals")
    request = models.TextField(_("what is asked"))
    # What the agency sees: this summary, and the person's name and contact if shared.
    shared_summary = models.TextField(_("what is shared with the agency"), blank=True)
    shares_personal_data = models.BooleanField(
        _("shares the person's name and contact"), default=True
    )
    consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    override_reason = models.TextField(_("reason for sharing without consent"), blank=True)
    override_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.SENT
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    sent_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["agency", "status"])]

    def __str__(self):
        return f"{self.agency} ← #{self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFERRAL_STATUSES


class ReferralReport(TenantScoped):
    """What the agency reports back (報告)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="reports")
    body = models.TextField(_("report"))
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    reported_at = models.DateTimeField()

    class Meta:
        ordering = ["reported_at", "id"]


class ConferenceKind(models.TextChoices):
    # 社会福祉法第106条の6: members share information without consent, bound to confidentiality.
    SUPPORT_MEETING = "support_meeting", _("support meeting (Art. 106-6)")
    # 重層的支援会議: for cases taken into the programme, with the person's consent.
    MULTI_LAYERED = "multi_layered", _("multi-layered support meeting")


class Conference(TenantScoped):
    kind = models.CharField(_("kind"), max_length=20, choices=ConferenceKind.choices)
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    attendees = models.ManyToManyField(
        USER, blank=True, related_name="+", verbose_name=_("members")
    )
    agencies = models.ManyToManyField(
        Agency, blank=True, related_name="+", verbose_name=_("agencies")
    )
    external_members = models.TextField(_("other members"), blank=True)
    cases = models.ManyToManyField(
        Case, related_name="conferences", verbose_name=_("cases discussed")
    )
    summary = models.TextField(_("summary"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    confidentiality_confirmed = models.BooleanField(
        _("members confirmed the duty of confidentiality"), default=False
    )
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_at"]
        verbose_name = _("case conference")
        verbose_name_plural = _("case conferences")
        indexes = [models.Index(fields=["tenant", "held_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.held_at:%Y-%m-%d}"


class Goal(TenantScoped):
    """A goal of the support plan (支援プラン)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="goals")
    text = models.TextField(_("goal"))
    is_achieved = models.BooleanField(_("achieved"), default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]


class TaskStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class Task(TenantScoped):
    """Who does what by when: from the plan or from a conference's role assignment."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    conference = models.ForeignKey(
        Conference, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    title = models.CharField(_("what"), max_length=300)
    assignee = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="consultation_tasks",
        verbose_name=_("who (staff)"),
    )  # fmt: skip
    assignee_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks",
        verbose_name=_("who (agency)"),
    )  # fmt: skip
    due_on = models.DateField(_("by when"))
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"]),
            models.Index(fields=["case", "status"]),
        ]

    def __str__(self):
        return self.title


class Settings(TenantScoped):
    """The tenant's rules for this module."""

    retention_years = models.PositiveIntegerField(_("years a closed case is kept"), default=5)
    no_contact_days = models.PositiveIntegerField(
        _("days without contact before a case is listed"), default=30
    )

    class Meta:
        verbose_name = _("consultation settings")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="consultation_settings_once")
        ]
