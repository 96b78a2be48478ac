"""The shapes of the consultation API: what comes in, and what each kind of reader gets out.

Who reads decides the shape, not only the rows: a welfare commissioner gets a receipt of the
concern they passed on (`ConsultationReceiptOut`), an agency worker gets a referral as shared
with their agency (`AgencyReferralOut`, `SharedPersonOut`). Those schemas are separate classes
without the fields they must not see, so no later edit of the full shapes can leak into them.
"""

from datetime import date, datetime

from ninja import Field, Schema

from sasaeai.consultation.models import (
    ActivityKind,
    CallAbout,
    CaseStatus,
    Channel,
    ConferenceKind,
    ConsentMethod,
    ConsultationStatus,
    PersonFlag,
    ReferralStatus,
    Relationship,
    Sex,
    TaskStatus,
    TeamRole,
    Urgency,
)

# --- shared ---------------------------------------------------------------------------------


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = Field(..., description="field → messages (Japanese)")
    codes: dict[str, list[str]] = Field(
        default_factory=dict, description="field → machine-readable codes (future_date…)"
    )


class ErrorOut(Schema):
    error: ErrorBody


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class ConcernOut(Schema):
    code: str
    name: str


# --- consultations --------------------------------------------------------------------------


class ConsultationIn(Schema):
    channel: Channel | None = Field(
        None, description="Required at the desk; set by the server for a passed-on concern."
    )
    description: str = Field(..., max_length=20_000)
    contact: str = Field("", max_length=200)
    received_at: datetime | None = None
    caller_name: str = Field("", max_length=100)
    caller_relation: str = Field("", max_length=60)
    about: CallAbout | None = Field(None, description="whom the call is about")
    subject_name: str = Field("", max_length=100)
    subject_name_kana: str = Field("", max_length=200)
    subject_address: str = Field("", max_length=300)
    subject_phone: str = Field("", max_length=40)
    person_id: int | None = None
    area_id: int | None = None
    concerns: list[str] = Field(default_factory=list, description="concern codes")
    referred_by_agency_id: int | None = None
    is_confidential: bool = False


class ConsultationReceiptOut(Schema):
    """All that whoever passed a concern on learns of it: that it was received, and handled."""

    id: int
    received_at: datetime
    channel: Channel
    status: ConsultationStatus
    acknowledged_at: datetime | None


class ConsultationOut(Schema):
    id: int
    received_at: datetime
    channel: Channel
    status: ConsultationStatus
    acknowledged_at: datetime | None
    description: str
    contact: str
    caller_name: str
    caller_relation: str
    about: str
    subject_name: str
    subject_name_kana: str
    subject_address: str
    subject_phone: str
    person_id: int | None
    case_id: int | None
    area_id: int | None
    referred_by_agency_id: int | None
    concerns: list[str]
    is_confidential: bool
    received_by_role: str


class ConsultationPageOut(Schema):
    count: int
    items: list[ConsultationOut | ConsultationReceiptOut]


class TakeInIn(Schema):
    case_id: int | None = Field(None, description="An existing case to add it to; else a new one.")
    title: str = Field("", max_length=200)
    person_id: int | None = None


# --- persons and households -----------------------------------------------------------------


class PersonIn(Schema):
    name: str = Field(..., max_length=100)
    name_kana: str = Field("", max_length=200)
    birth_date: date | None = None
    sex: Sex = Sex.UNKNOWN
    postal_code: str = Field("", max_length=8)
    address: str = Field("", max_length=300)
    area_id: int | None = None
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    language: str = Field("日本語", max_length=40)
    flags: list[PersonFlag] = Field(default_factory=list)
    note: str = Field("", max_length=20_000)
    is_confidential: bool = False


class PersonUpdateIn(PersonIn):
    version: int = Field(..., description="The version the edit started from (409 if stale).")


class PersonListOut(Schema):
    id: int
    name: str
    name_kana: str
    birth_date: date | None
    sex: Sex
    address: str


class PersonPageOut(Schema):
    count: int
    items: list[PersonListOut]


class DuplicateOut(Schema):
    person: PersonListOut
    score: int
    reasons: list[str] = Field(..., description="kana, name, birth_date, phone, address")


class ConsentIn(Schema):
    scope: str = Field(..., max_length=5_000)
    obtained_on: date
    method: ConsentMethod
    agency_id: int | None = None
    covers_conferences: bool = False


class ConsentOut(Schema):
    id: int
    person_id: int
    agency_id: int | None
    scope: str
    covers_conferences: bool
    obtained_on: date
    method: ConsentMethod
    withdrawn_on: date | None
    is_active: bool


class WithdrawIn(Schema):
    on: date | None = Field(None, description="Default: today.")


class PersonHouseholdOut(Schema):
    household_id: int
    name: str
    relationship: Relationship
    lives_together: bool


class PersonOut(Schema):
    id: int
    name: str
    name_kana: str
    birth_date: date | None
    sex: Sex
    postal_code: str
    address: str
    area_id: int | None
    phone: str
    email: str
    language: str
    flags: list[str]
    note: str
    is_confidential: bool
    version: int
    created_at: datetime
    updated_at: datetime
    consents: list[ConsentOut]
    households: list[PersonHouseholdOut]
    case_ids: list[int] = Field(..., description="Cases of the person that the reader may open.")


class SharedPersonOut(Schema):
    """A person as a referral shares them with an agency: who, and where to reach them."""

    id: int
    name: str
    name_kana: str
    birth_date: date | None
    address: str
    phone: str


class HouseholdIn(Schema):
    name: str = Field("", max_length=100)
    address: str = Field("", max_length=300)
    area_id: int | None = None


class HouseholdMemberIn(Schema):
    person_id: int
    relationship: Relationship = Relationship.OTHER
    lives_together: bool = True


class HouseholdMemberOut(Schema):
    person_id: int
    name: str
    name_kana: str
    relationship: Relationship
    lives_together: bool


class HouseholdOut(Schema):
    id: int
    name: str
    address: str
    area_id: int | None
    note: str
    members: list[HouseholdMemberOut] = Field(..., description="Members the reader may see.")


# --- cases ----------------------------------------------------------------------------------


class CaseListOut(Schema):
    id: int
    title: str
    status: CaseStatus
    urgency: Urgency
    opened_on: date
    closed_on: date | None
    next_review_on: date | None
    last_contact_at: datetime | None
    is_confidential: bool
    is_outreach: bool
    version: int
    open_task_count: int | None = None
    overdue_task_count: int | None = None


class CasePageOut(Schema):
    count: int
    items: list[CaseListOut]


class CaseFilter(PageQuery):
    status: CaseStatus | None = None
    mine: bool = Field(False, description="Only cases whose team the reader is on.")


class CasePersonOut(Schema):
    person_id: int
    name: str
    name_kana: str
    birth_date: date | None
    role: str


class TeamMemberOut(Schema):
    user_id: int
    username: str
    name: str
    role: TeamRole
    started_at: datetime


class GoalOut(Schema):
    id: int
    text: str
    is_achieved: bool


class TaskIn(Schema):
    title: str = Field(..., max_length=300)
    due_on: date
    assignee_id: int | None = None
    assignee_agency_id: int | None = None


class TaskOut(Schema):
    id: int
    case_id: int
    conference_id: int | None
    title: str
    due_on: date
    status: TaskStatus
    assignee_id: int | None
    assignee_agency_id: int | None
    done_at: datetime | None


class ReportOut(Schema):
    id: int
    body: str
    reported_at: datetime


class ReferralOut(Schema):
    id: int
    case_id: int
    person_id: int | None
    agency_id: int
    agency_name: str
    request: str
    shared_summary: str
    shares_personal_data: bool
    consent_id: int | None
    override_reason: str
    override_by_id: int | None
    status: ReferralStatus
    decline_reason: str
    sent_at: datetime
    responded_at: datetime | None
    ended_at: datetime | None
    version: int
    reports: list[ReportOut]


class AgencyReferralOut(Schema):
    """A referral as its agency sees it: the request, the summary written for them, and the
    person only if the referral shares their data. Nothing else of the case."""

    id: int
    agency_id: int
    agency_name: str
    status: ReferralStatus
    version: int
    request: str
    shared_summary: str
    shares_personal_data: bool
    sent_at: datetime
    responded_at: datetime | None
    ended_at: datetime | None
    decline_reason: str
    person: SharedPersonOut | None
    reports: list[ReportOut]


class ReferralPageOut(Schema):
    count: int
    items: list[ReferralOut | AgencyReferralOut]


class CaseDetailOut(CaseListOut):
    assessment: str
    household_id: int | None
    in_programme_since: date | None
    close_reason: str
    concerns: list[ConcernOut]
    persons: list[CasePersonOut]
    team: list[TeamMemberOut]
    goals: list[GoalOut]
    open_tasks: list[TaskOut]
    referrals: list[ReferralOut]
    conference_ids: list[int]


class CasePatchIn(Schema):
    version: int = Field(..., description="The version the edit started from (409 if stale).")
    title: str | None = Field(None, max_length=200)
    urgency: Urgency | None = None
    assessment: str | None = Field(None, max_length=50_000)
    household_id: int | None = None
    is_outreach: bool | None = None
    next_review_on: date | None = None
    in_programme_since: date | None = None
    concerns: list[str] | None = Field(None, description="concern codes; replaces the list")


class TransitionIn(Schema):
    to_status: CaseStatus
    version: int
    note: str = Field("", max_length=5_000)


class TeamIn(Schema):
    user_id: int
    role: TeamRole = TeamRole.MEMBER


class ActivityIn(Schema):
    kind: ActivityKind
    summary: str = Field(..., max_length=20_000)
    occurred_at: datetime | None = None
    minutes: int = Field(0, ge=0, le=24 * 60)
    is_outreach: bool = False


class ActivityOut(Schema):
    id: int
    case_id: int
    kind: ActivityKind
    occurred_at: datetime
    minutes: int
    summary: str
    is_outreach: bool
    author_role: str


class TimelineEntryOut(Schema):
    kind: str = Field(..., description="consultation, activity, status, referral or report")
    id: int
    at: datetime
    text: str
    author: str
    activity_kind: ActivityKind | None = None
    minutes: int | None = None
    from_status: str | None = None
    to_status: str | None = None
    agency_name: str | None = None


class TimelinePageOut(Schema):
    count: int
    items: list[TimelineEntryOut]


# --- referrals ------------------------------------------------------------------------------


class ReferralIn(Schema):
    agency_id: int
    request: str = Field(..., max_length=20_000)
    person_id: int | None = None
    shared_summary: str = Field("", max_length=20_000)
    shares_personal_data: bool = True
    consent_id: int | None = None
    override_reason: str = Field("", max_length=5_000)


class ReferralFilter(PageQuery):
    status: ReferralStatus | None = None


class RespondIn(Schema):
    reason: str = Field("", max_length=5_000)
    version: int | None = None


class ReportIn(Schema):
    body: str = Field(..., max_length=20_000)


class RevokeIn(Schema):
    reason: str = Field("", max_length=5_000)


# --- conferences ----------------------------------------------------------------------------


class ConferenceTaskIn(TaskIn):
    case_id: int


class ConferenceIn(Schema):
    kind: ConferenceKind
    held_at: datetime
    case_ids: list[int]
    place: str = Field("", max_length=200)
    attendee_ids: list[int] = Field(default_factory=list)
    agency_ids: list[int] = Field(default_factory=list)
    external_members: str = Field("", max_length=5_000)
    summary: str = Field("", max_length=50_000)
    decisions: str = Field("", max_length=50_000)
    confidentiality_confirmed: bool = False
    tasks: list[ConferenceTaskIn] = Field(default_factory=list)


class CaseRefOut(Schema):
    id: int
    title: str


class ConferenceOut(Schema):
    id: int
    kind: ConferenceKind
    held_at: datetime
    place: str
    attendee_ids: list[int]
    agency_ids: list[int]
    external_members: str
    summary: str
    decisions: str
    confidentiality_confirmed: bool
    recorded_by_id: int | None
    cases: list[CaseRefOut] = Field(..., description="Cases discussed that the reader may open.")
    tasks: list[TaskOut] = Field(..., description="Tasks on those cases.")


class ConferenceListOut(Schema):
    id: int
    kind: ConferenceKind
    held_at: datetime
    place: str


class ConferencePageOut(Schema):
    count: int
    items: list[ConferenceListOut]


class DueTaskFilter(Schema):
    within_days: int = Field(7, ge=0, le=365)
