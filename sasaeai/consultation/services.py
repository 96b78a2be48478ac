"""Every write of the consultation module. Each checks the policy, validates, audits.

Errors are `ValidationError`s with Japanese messages (through gettext) and a `code` that
the API and tests branch on; an edit that started from an old version raises `EditConflict`.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.consultation.models import (
    CASE_TRANSITIONS,
    CONTACT_KINDS,
    OPEN_REFERRAL_STATUSES,
    Activity,
    Agency,
    CallAbout,
    Case,
    CaseAccessGrant,
    CaseAssignment,
    CasePerson,
    CasePersonRole,
    CaseStatus,
    CaseStatusChange,
    Channel,
    ConcernTag,
    Conference,
    ConferenceKind,
    Consent,
    Consultation,
    ConsultationStatus,
    Goal,
    Household,
    HouseholdMember,
    Person,
    PersonFlag,
    Referral,
    ReferralReport,
    ReferralStatus,
    Settings,
    Supervision,
    Task,
    TaskStatus,
    TeamRole,
)
from sasaeai.core import events, intake
from sasaeai.core.errors import EditConflict
from sasaeai.core.models import Area
from sasaeai.core.text import is_kana, normalize_for_search

DEFAULT_CONCERNS = [
    ("elderly", "高齢"), ("disability", "障害"), ("children", "子ども・子育て"),
    ("hardship", "生活困窮"), ("8050", "8050"), ("hikikomori", "ひきこもり"),
    ("young_carer", "ヤングケアラー"), ("hoarding", "ごみ屋敷"), ("dv", "DV"),
    ("abuse", "虐待"), ("isolation", "孤立"), ("suicide_risk", "自殺リスク"),
    ("reoffending", "再犯"), ("foreign_national", "外国籍"), ("debt", "多重債務"),
    ("housing", "住まい"), ("dementia", "認知症"), ("health", "健康・医療"),
]  # fmt: skip


def _desk_user_ids(tenant_id: int) -> list[int]:
    """The desk (who takes in what arrives at the intake queue): active members of the tenant
    in a desk role."""
    from sasaeai.consultation.rules import DESK_ROLES

    return list(
        Membership.objects.active()
        .filter(tenant_id=tenant_id, role__in=[r.value for r in DESK_ROLES])
        .values_list("user_id", flat=True)
    )


def _case_lead_ids(case_id: int) -> list[int]:
    return list(
        CaseAssignment.objects.filter(
            case_id=case_id, role=TeamRole.LEAD, ended_at__isnull=True
        ).values_list("user_id", flat=True)
    )


def _case_url(case_id: int) -> str:
    return reverse("consultation:case_detail", args=[case_id])


def _invalid(field_name: str, message: str, code: str) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, code=code)})


def _same_tenant(actor: Actor, obj: Model | None, field_name: str) -> None:
    """Refuse an object of another tenant as if it did not exist."""
    if obj is not None and getattr(obj, "tenant_id", actor.tenant_id) != actor.tenant_id:
        raise _invalid(field_name, _("Not found in this municipality."), "other_tenant")


def _check_version(model: type[Model], pk: int, version: int | None) -> Model:
    current = model.objects.select_for_update().get(pk=pk)
    if version is not None and current.version != version:
        raise EditConflict(
            _(
                "Someone else saved this record while you were editing it. Reload and redo your change."
            ),
            code="conflict",
        )
    return current


def _not_future(value, field_name: str) -> None:
    today = timezone.localdate()
    day = value.date() if isinstance(value, datetime.datetime) else value
    if day is not None and day > today:
        raise _invalid(field_name, _("The date is in the future."), "future_date")


def _member_of_tenant(actor: Actor, user_id: int | None, field_name: str) -> None:
    if user_id is None:
        return
    if not Membership.objects.active().filter(user_id=user_id, tenant_id=actor.tenant_id).exists():
        raise _invalid(
            field_name, _("This user is not a member of this municipality."), "other_tenant_user"
        )


# ---- settings and vocabularies -------------------------------------------------------------


def concern_tags_ensure(tenant_id: int) -> None:
    """Give a tenant the default concern list the first time; afterwards it is theirs to edit."""
    if ConcernTag.objects.filter(tenant_id=tenant_id).exists():
        return
    ConcernTag.objects.bulk_create(
        ConcernTag(tenant_id=tenant_id, code=code, name=name, order=(i + 1) * 10)
        for i, (code, name) in enumerate(DEFAULT_CONCERNS)
    )


def concern_tag_save(
    *, actor: Actor, code: str, name: str, order: int = 100, is_active=True
) -> ConcernTag:
    policy.require(actor, "consultation.manage_settings")
    if not re.fullmatch(r"[a-z0-9_]{1,40}", code or ""):
        raise _invalid("code", _("Use lower-case letters, digits and underscores."), "invalid_code")
    tag, _created = ConcernTag.objects.update_or_create(
        tenant_id=actor.tenant_id, code=code,
        defaults={"name": name.strip(), "order": order, "is_active": is_active},
    )  # fmt: skip
    audit_object(actor, Action.UPDATE, tag)
    return tag


def settings_for(tenant_id: int) -> Settings:
    found, _created = Settings.objects.get_or_create(tenant_id=tenant_id)
    return found


def settings_update(*, actor: Actor, retention_years: int, no_contact_days: int) -> Settings:
    policy.require(actor, "consultation.manage_settings")
    if not 1 <= retention_years <= 30:
        raise _invalid("retention_years", _("Between 1 and 30 years."), "out_of_range")
    if not 1 <= no_contact_days <= 365:
        raise _invalid("no_contact_days", _("Between 1 and 365 days."), "out_of_range")
    current = settings_for(actor.tenant_id)
    current.retention_years, current.no_contact_days = retention_years, no_contact_days
    current.save()
    audit_object(actor, Action.UPDATE, current)
    return current


def agency_save(
    *,
    actor: Actor,
    name: str,
    kind: str,
    phone: str = "",
    member_ids=(),
    agency: Agency | None = None,
) -> Agency:
    policy.require(actor, "consultation.manage_settings")
    _same_tenant(actor, agency, "agency")
    for user_id in member_ids:
        _member_of_tenant(actor, user_id, "members")
    agency = agency or Agency(tenant_id=actor.tenant_id)
    agency.name, agency.kind, agency.phone = name.strip(), kind, phone
    agency.full_clean(exclude=["tenant", "members"])
    agency.save()
    agency.members.set(member_ids)
    audit_object(actor, Action.UPDATE, agency)
    return agency


def supervision_set(*, actor: Actor, supervisor_id: int, worker_ids: list[int]) -> None:
    policy.require(actor, "consultation.manage_settings")
    for user_id in [supervisor_id, *worker_ids]:
        _member_of_tenant(actor, user_id, "worker_ids")
    with transaction.atomic():
        Supervision.objects.filter(tenant_id=actor.tenant_id, supervisor_id=supervisor_id).delete()
        Supervision.objects.bulk_create(
            Supervision(tenant_id=actor.tenant_id, supervisor_id=supervisor_id, worker_id=w)
            for w in worker_ids
        )
    audit_object(actor, Action.UPDATE, Membership.objects.get(user_id=supervisor_id, tenant_id=actor.tenant_id),
                 detail={"supervises": worker_ids})  # fmt: skip


# ---- persons and households ----------------------------------------------------------------


@dataclass
class PersonInput:
    name: str
    name_kana: str = ""
    birth_date: datetime.date | None = None
    sex: str = "unknown"
    postal_code: str = ""
    address: str = ""
    area_id: int | None = None
    phone: str = ""
    email: str = ""
    language: str = "日本語"
    flags: list[str] = field(default_factory=list)
    note: str = ""
    is_confidential: bool = False


def phone_digits(phone: str) -> str:
    return re.sub(r"\D", "", normalize_for_search(phone))


def refresh_person_search(person: Person) -> None:
    person.kana_key = normalize_for_search(person.name_kana)
    person.phone_digits = phone_digits(person.phone)
    birth = person.birth_date.isoformat() if person.birth_date else ""
    person.search_text = (
        normalize_for_search(f"{person.name} {person.name_kana} {person.address} {birth}")
        + f" {person.phone_digits}"
    )


def _check_person(actor: Actor, data: PersonInput) -> None:
    if not data.name.strip():
        raise _invalid("name", _("Enter the name (a provisional name is fine)."), "required")
    if data.birth_date is not None:
        _not_future(data.birth_date, "birth_date")
        if data.birth_date.year < 1890:
            raise _invalid("birth_date", _("The date of birth is not plausible."), "invalid_date")
    unknown = set(data.flags) - set(PersonFlag.values)
    if unknown:
        raise _invalid(
            "flags",
            _("Unknown flag: %(flags)s") % {"flags": ", ".join(sorted(unknown))},
            "invalid_choice",
        )
    if (
        data.area_id is not None
        and not Area.objects.filter(pk=data.area_id, tenant_id=actor.tenant_id).exists()
    ):
        raise _invalid("area_id", _("Not found in this municipality."), "other_tenant")


def person_save(
    *, actor: Actor, data: PersonInput, person: Person | None = None, version: int | None = None
) -> Person:
    if person is None:
        policy.require(actor, "consultation.record_consultation")
    else:
        policy.require(actor, "consultation.manage_person", person)
    _check_person(actor, data)
    with transaction.atomic():
        if person is None:
            person = Person(tenant_id=actor.tenant_id, created_by_id=actor.user_id)
        else:
            person.version = _check_version(Person, person.pk, version).version + 1
        for name, value in data.__dict__.items():
            setattr(person, name, value.strip() if isinstance(value, str) else value)
        refresh_person_search(person)
        creating = person.pk is None
        person.save()
        audit_object(actor, Action.CREATE if creating else Action.UPDATE, person)
    return person


def household_create(
    *, actor: Actor, name: str, address: str = "", area_id: int | None = None
) -> Household:
    policy.require(actor, "consultation.manage_person")
    if (
        area_id is not None
        and not Area.objects.filter(pk=area_id, tenant_id=actor.tenant_id).exists()
    ):
        raise _invalid("area_id", _("Not found in this municipality."), "other_tenant")
    household = Household.objects.create(
        tenant_id=actor.tenant_id,
        name=name.strip() or _("(household)"),
        address=address,
        area_id=area_id,
    )
    audit_object(actor, Action.CREATE, household)
    return household


def household_add_member(
    *, actor: Actor, household: Household, person: Person, relationship: str, lives_together=True
) -> HouseholdMember:
    policy.require(actor, "consultation.manage_person")
    _same_tenant(actor, household, "household")
    _same_tenant(actor, person, "person")
    if not policy.scope(
        actor, "consultation.search_person", Person.objects.filter(pk=person.pk)
    ).exists() and not policy.can(actor, "consultation.view_person", person):
        raise _invalid("person", _("Not found in this municipality."), "other_tenant")
    member, _created = HouseholdMember.objects.update_or_create(
        tenant_id=actor.tenant_id, household=household, person=person,
        defaults={"relationship": relationship, "lives_together": lives_together},
    )  # fmt: skip
    audit_object(
        actor, Action.UPDATE, household, subject=person, detail={"relationship": relationship}
    )
    return member


# ---- consent -------------------------------------------------------------------------------


def consent_record(*, actor: Actor, person: Person, scope: str, obtained_on: datetime.date, method: str,
                   agency: Agency | None = None, covers_conferences: bool = False) -> Consent:  # fmt: skip
    policy.require(actor, "consultation.manage_person", person)
    _same_tenant(actor, agency, "agency")
    _not_future(obtained_on, "obtained_on")
    if not scope.strip():
        raise _invalid("scope", _("Write what may be shared and with whom."), "required")
    consent = Consent(
        tenant_id=actor.tenant_id, person=person, agency=agency, scope=scope.strip(),
        obtained_on=obtained_on, method=method, covers_conferences=covers_conferences,
        recorded_by_id=actor.user_id,
    )  # fmt: skip
    consent.full_clean(exclude=["tenant", "person", "agency", "recorded_by"])
    consent.save()
    audit_object(actor, Action.CREATE, consent, subject=person)
    return consent


def consent_withdraw(*, actor: Actor, consent: Consent, on: datetime.date | None = None) -> Consent:
    """Withdrawal ends every open referral that relied on it; the agencies lose access."""
    policy.require(actor, "consultation.manage_person", consent)
    on = on or timezone.localdate()
    _not_future(on, "withdrawn_on")
    with transaction.atomic():
        consent.withdrawn_on = on
        consent.save(update_fields=["withdrawn_on"])
        now = timezone.now()
        for referral in Referral.objects.filter(consent=consent, status__in=OPEN_REFERRAL_STATUSES):
            referral.status, referral.ended_at = ReferralStatus.REVOKED, now
            referral.version += 1
            referral.save(update_fields=["status", "ended_at", "version"])
            audit_object(
                actor,
                Action.UPDATE,
                referral,
                subject=consent.person,
                detail={"revoked_by": "consent_withdrawn"},
            )
        audit_object(
            actor,
            Action.UPDATE,
            consent,
            subject=consent.person,
            detail={"withdrawn_on": on.isoformat()},
        )
    return consent


def active_consent(
    person: Person, agency: Agency | None = None, *, for_conference=False
) -> Consent | None:
    consents = Consent.objects.filter(person=person, withdrawn_on__isnull=True)
    if for_conference:
        return consents.filter(covers_conferences=True).first()
    return (
        consents.filter(agency__isnull=True).first()
        if agency is None
        else (
            consents.filter(agency=agency).first() or consents.filter(agency__isnull=True).first()
        )
    )


# ---- consultations (intake) ----------------------------------------------------------------


@dataclass
class ConsultationInput:
    channel: str
    description: str
    contact: str = ""
    received_at: datetime.datetime | None = None
    caller_name: str = ""
    caller_relation: str = ""
    about: str = ""
    subject_name: str = ""
    subject_name_kana: str = ""
    subject_address: str = ""
    subject_phone: str = ""
    person_id: int | None = None
    area_id: int | None = None
    concern_codes: list[str] = field(default_factory=list)
    referred_by_agency_id: int | None = None
    is_confidential: bool = False


def check_consultation(tenant_id: int, data: ConsultationInput, *, now=None) -> None:
    """Validation shared by the form, the API and the bulk import (which has no actor)."""
    if not (data.description or "").strip():
        raise _invalid("description", _("Write down what was said."), "required")
    if data.channel not in Channel.values:
        raise _invalid("channel", _("Choose how the consultation came in."), "invalid_choice")
    if data.received_at is not None and data.received_at > (
        now or timezone.now()
    ) + datetime.timedelta(minutes=5):
        raise _invalid("received_at", _("The date is in the future."), "future_date")
    _check_call_about(data)


SUBJECT_FIELDS = ("subject_name", "subject_name_kana", "subject_address", "subject_phone")


def _check_call_about(data: ConsultationInput) -> None:
    if data.about not in ("", *CallAbout.values):
        raise _invalid("about", _("Choose whom the call is about."), "invalid_choice")
    if data.about == CallAbout.SELF and any(getattr(data, f).strip() for f in SUBJECT_FIELDS):
        # Two names for one person: which is right cannot be guessed, so the desk says.
        raise _invalid(
            "subject_name",
            _("The call is about the caller: write their name as the caller's, or choose "
              "whom else the call is about."),
            "subject_is_caller",
        )  # fmt: skip
    kana = data.subject_name_kana.strip()
    if kana and not is_kana(kana):
        raise _invalid("subject_name_kana", _("Enter the reading in kana."), "not_kana")


def consultation_record(*, actor: Actor, data: ConsultationInput) -> Consultation:
    """Take in a consultation. Only a description is required: no category, no person."""
    passing_on = not policy.has_permission(actor, "consultation.record_consultation")
    policy.require(
        actor, "consultation.pass_concern" if passing_on else "consultation.record_consultation"
    )
    check_consultation(actor.tenant_id, data)
    person = None
    if data.person_id is not None:
        visible = policy.scope(
            actor, "consultation.view_person", Person.objects.filter(pk=data.person_id)
        )
        person = None if passing_on else visible.first()
        if person is None:
            raise _invalid("person_id", _("Not found in this municipality."), "other_tenant")
    if (
        data.referred_by_agency_id is not None
        and not Agency.objects.filter(
            pk=data.referred_by_agency_id, tenant_id=actor.tenant_id
        ).exists()
    ):
        raise _invalid(
            "referred_by_agency_id", _("Not found in this municipality."), "other_tenant"
        )
    if (
        data.area_id is not None
        and not Area.objects.filter(pk=data.area_id, tenant_id=actor.tenant_id).exists()
    ):
        raise _invalid("area_id", _("Not found in this municipality."), "other_tenant")
    concerns = _concerns(actor.tenant_id, data.concern_codes)
    channel = data.channel
    if passing_on:
        channel = Channel.COMMISSIONER if actor.role == "welfare_commissioner" else Channel.AGENCY
    with transaction.atomic():
        consultation = Consultation.objects.create(
            tenant_id=actor.tenant_id, received_at=data.received_at or timezone.now(), channel=channel,
            description=data.description.strip(), contact=data.contact.strip(),
            caller_name=data.caller_name.strip(), caller_relation=data.caller_relation.strip(),
            about=data.about, **{f: getattr(data, f).strip() for f in SUBJECT_FIELDS},
            person=person, area_id=data.area_id, referred_by_agency_id=data.referred_by_agency_id,
            received_by_id=actor.user_id, received_by_role=actor.role or "",
            is_confidential=data.is_confidential,
        )  # fmt: skip
        consultation.concerns.set(concerns)
        audit_object(actor, Action.CREATE, consultation, subject=person)
        if passing_on:
            events.publish("consultation.concern_received", actor.tenant_id, _desk_user_ids(actor.tenant_id), reverse("consultation:intake_detail", args=[consultation.pk]), "consultation", consultation.pk, actor_id=actor.user_id)  # fmt: skip
    return consultation


def concern_receive(actor: Actor, concern: intake.Concern) -> intake.Receipt:
    """The core.intake receiver: a concern from watch-over becomes an intake for the desk.

    The sending module has already decided the actor may pass it on (a commissioner on their
    round, a business with a 見守り協定 through its report key); the desk sees it in the queue.
    """
    if concern.tenant_id != actor.tenant_id:
        raise _invalid("tenant", _("Not found in this municipality."), "other_tenant")
    if not concern.description.strip():
        raise _invalid("description", _("Write down what was said."), "required")
    if (
        concern.area_id is not None
        and not Area.objects.filter(pk=concern.area_id, tenant_id=actor.tenant_id).exists()
    ):
        raise _invalid("area_id", _("Not found in this municipality."), "other_tenant")
    channel = Channel.COMMISSIONER if actor.role == "welfare_commissioner" else Channel.WATCH
    consultation = Consultation.objects.create(
        tenant_id=actor.tenant_id, received_at=timezone.now(), channel=channel,
        description=concern.description.strip(), about=CallAbout.NEIGHBOUR,
        subject_name=concern.subject_name.strip(), subject_name_kana=concern.subject_name_kana.strip(),
        subject_address=concern.subject_address.strip(), subject_phone=concern.subject_phone.strip(),
        area_id=concern.area_id, received_by_id=actor.user_id, received_by_role=actor.role or "",
        caller_relation=f"{concern.source}#{concern.source_id}"[:60],
    )  # fmt: skip
    audit_object(actor, Action.CREATE, consultation)
    url = reverse("consultation:intake_detail", args=[consultation.pk])
    events.publish("consultation.concern_received", actor.tenant_id, _desk_user_ids(actor.tenant_id), url, "consultation", consultation.pk, actor_id=actor.user_id)  # fmt: skip
    return intake.Receipt(reference=consultation.pk, url=url)


def _concerns(tenant_id: int, codes: list[str]) -> list[ConcernTag]:
    tags = list(ConcernTag.objects.filter(tenant_id=tenant_id, code__in=codes))
    unknown = set(codes) - {t.code for t in tags}
    if unknown:
        raise _invalid(
            "concerns",
            _("Unknown concern: %(codes)s") % {"codes": ", ".join(sorted(unknown))},
            "invalid_choice",
        )
    return tags


def consultation_answer(*, actor: Actor, consultation: Consultation) -> Consultation:
    """Answered on the spot (information given): no case is opened, it still counts."""
    policy.require(actor, "consultation.record_consultation", consultation)
    if consultation.status != ConsultationStatus.RECEIVED:
        raise _invalid(
            "status", _("This consultation has already been handled."), "already_handled"
        )
    consultation.status, consultation.acknowledged_at = ConsultationStatus.ANSWERED, timezone.now()
    consultation.save(update_fields=["status", "acknowledged_at"])
    audit_object(actor, Action.UPDATE, consultation, subject=consultation.person)
    return consultation


def consultation_take_in(*, actor: Actor, consultation: Consultation, case: Case | None = None,
                         title: str = "", person: Person | None = None) -> Case:  # fmt: skip
    """Open a case for the consultation (or add it to an existing one) with the actor as lead."""
    policy.require(actor, "consultation.record_consultation", consultation)
    if consultation.case_id is not None:
        raise _invalid("case", _("This consultation has already been handled."), "already_handled")
    person = person or consultation.person
    _same_tenant(actor, person, "person")
    if person is not None and not (
        policy.can(actor, "consultation.view_person", person)
        or policy.can(actor, "consultation.search_person", person)
    ):
        raise _invalid("person", _("Not found in this municipality."), "other_tenant")
    with transaction.atomic():
        if case is None:
            case = case_open(
                actor=actor, title=title or consultation.description[:40], persons=[person] if person else [],
                concern_codes=list(consultation.concerns.values_list("code", flat=True)),
                is_outreach=consultation.channel == Channel.OUTREACH,
                is_confidential=consultation.is_confidential,
            )  # fmt: skip
        else:
            policy.require(actor, "consultation.manage_case", case)
        consultation.case, consultation.status = case, ConsultationStatus.TAKEN_IN
        consultation.person = consultation.person or person
        consultation.acknowledged_at = timezone.now()
        consultation.save(update_fields=["case", "status", "person", "acknowledged_at"])
        audit_object(actor, Action.UPDATE, consultation, subject=person, detail={"case": case.pk})
    return case


# ---- cases ---------------------------------------------------------------------------------


def case_open(*, actor: Actor, title: str, persons: list[Person] = (), household: Household | None = None,
              concern_codes: list[str] = (), urgency: str = "normal", is_outreach=False,
              is_confidential=False, opened_on: datetime.date | None = None) -> Case:  # fmt: skip
    policy.require(actor, "consultation.record_consultation")
    _same_tenant(actor, household, "household")
    for person in persons:
        _same_tenant(actor, person, "persons")
    opened_on = opened_on or timezone.localdate()
    _not_future(opened_on, "opened_on")
    concerns = _concerns(actor.tenant_id, list(concern_codes))
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.create(
            tenant_id=actor.tenant_id, title=title.strip() or _("(untitled)"), household=household,
            urgency=urgency, is_outreach=is_outreach, is_confidential=is_confidential, opened_on=opened_on,
        )  # fmt: skip
        case.concerns.set(concerns)
        for i, person in enumerate(persons):
            role = CasePersonRole.PRIMARY if i == 0 else CasePersonRole.MEMBER
            CasePerson.objects.create(
                tenant_id=actor.tenant_id, case=case, person=person, role=role
            )
        CaseAssignment.objects.create(
            tenant_id=actor.tenant_id, case=case, user_id=actor.user_id, role=TeamRole.LEAD,
            started_at=now, assigned_by_id=actor.user_id,
        )  # fmt: skip
        if is_confidential:
            CaseAccessGrant.objects.create(tenant_id=actor.tenant_id, case=case, user_id=actor.user_id,
                                           granted_by_id=actor.user_id, granted_at=now)  # fmt: skip
        CaseStatusChange.objects.create(tenant_id=actor.tenant_id, case=case, to_status=CaseStatus.INTAKE,
                                        changed_at=now, changed_by_id=actor.user_id)  # fmt: skip
        audit_object(actor, Action.CREATE, case)
    return case


CASE_EDITABLE = (
    "title",
    "urgency",
    "assessment",
    "household",
    "is_outreach",
    "next_review_on",
    "in_programme_since",
)


def case_update(
    *,
    actor: Actor,
    case: Case,
    version: int | None,
    concern_codes: list[str] | None = None,
    **changes,
) -> Case:
    """Edit the case's own fields. `version` is what the editor started from."""
    policy.require(actor, "consultation.manage_case", case)
    unknown = set(changes) - set(CASE_EDITABLE)
    if unknown:
        raise ValueError(f"Not editable here: {unknown}")
    _same_tenant(actor, changes.get("household"), "household")
    if changes.get("in_programme_since"):
        _not_future(changes["in_programme_since"], "in_programme_since")
    concerns = None if concern_codes is None else _concerns(actor.tenant_id, concern_codes)
    with transaction.atomic():
        case.version = _check_version(Case, case.pk, version).version + 1
        for name, value in changes.items():
            setattr(case, name, value)
        case.full_clean(exclude=["tenant", "household"])
        case.save()
        if concerns is not None:
            case.concerns.set(concerns)
        audit_object(
            actor,
            Action.UPDATE,
            case,
            detail={"fields": sorted(changes) + (["concerns"] if concerns is not None else [])},
        )
    return case


def case_transition(
    *, actor: Actor, case: Case, to_status: str, version: int | None, note: str = ""
) -> Case:
    policy.require(actor, "consultation.manage_case", case)
    if to_status not in CASE_TRANSITIONS[CaseStatus(case.status)]:
        raise _invalid("status", _("A case cannot move from %(from)s to %(to)s.") % {
            "from": CaseStatus(case.status).label, "to": CaseStatus(to_status).label if to_status in CaseStatus.values else to_status
        }, "invalid_transition")  # fmt: skip
    if to_status == CaseStatus.CLOSED and not note.strip():
        raise _invalid("note", _("Write why the case is closed."), "required")
    with transaction.atomic():
        case.version = _check_version(Case, case.pk, version).version + 1
        previous = case.status
        case.status = to_status
        if to_status == CaseStatus.CLOSED:
            case.closed_on, case.close_reason = timezone.localdate(), note.strip()
        elif previous == CaseStatus.CLOSED:
            case.closed_on = None
        case.save()
        CaseStatusChange.objects.create(
            tenant_id=case.tenant_id, case=case, from_status=previous, to_status=to_status,
            changed_at=timezone.now(), changed_by_id=actor.user_id, note=note.strip(),
        )  # fmt: skip
        audit_object(actor, Action.UPDATE, case, detail={"status": [previous, to_status]})
    return case


def case_assign(*, actor: Actor, case: Case, user_id: int, role: str) -> CaseAssignment:
    """Add someone to the team; a new lead ends the previous lead's assignment (kept as history)."""
    policy.require(actor, "consultation.manage_case", case)
    _member_of_tenant(actor, user_id, "user_id")
    if not Membership.objects.active().filter(user_id=user_id, tenant_id=actor.tenant_id,
                                              role__in=[r.value for r in _desk_roles()]).exists():  # fmt: skip
        raise _invalid("user_id", _("Only desk staff can be on a case team."), "not_desk_staff")
    now = timezone.now()
    with transaction.atomic():
        current = CaseAssignment.objects.filter(case=case, ended_at__isnull=True)
        if role == TeamRole.LEAD:
            current.filter(role=TeamRole.LEAD).update(ended_at=now)
        current.filter(user_id=user_id).update(ended_at=now)
        assignment = CaseAssignment.objects.create(
            tenant_id=case.tenant_id, case=case, user_id=user_id, role=role, started_at=now,
            assigned_by_id=actor.user_id,
        )  # fmt: skip
        if case.is_confidential:
            CaseAccessGrant.objects.get_or_create(
                tenant_id=case.tenant_id, case=case, user_id=user_id,
                defaults={"granted_by_id": actor.user_id, "granted_at": now},
            )  # fmt: skip
        audit_object(actor, Action.UPDATE, case, detail={"assigned": user_id, "role": role})
    return assignment


def _desk_roles():
    from sasaeai.consultation.rules import DESK_ROLES

    return DESK_ROLES


def case_unassign(*, actor: Actor, case: Case, user_id: int) -> None:
    policy.require(actor, "consultation.manage_case", case)
    current = CaseAssignment.objects.filter(case=case, ended_at__isnull=True)
    if (
        not current.exclude(user_id=user_id).filter(role=TeamRole.LEAD).exists()
        and current.filter(user_id=user_id, role=TeamRole.LEAD).exists()
    ):
        raise _invalid(
            "user_id", _("Name a new lead worker before the current one leaves."), "lead_required"
        )
    current.filter(user_id=user_id).update(ended_at=timezone.now())
    audit_object(actor, Action.UPDATE, case, detail={"unassigned": user_id})


def case_add_person(
    *, actor: Actor, case: Case, person: Person, role: str = CasePersonRole.MEMBER
) -> CasePerson:
    policy.require(actor, "consultation.manage_case", case)
    _same_tenant(actor, person, "person")
    link, _created = CasePerson.objects.get_or_create(
        tenant_id=case.tenant_id, case=case, person=person, defaults={"role": role}
    )
    audit_object(actor, Action.UPDATE, case, subject=person, detail={"person_added": person.pk})
    return link


def case_set_confidential(
    *, actor: Actor, case: Case, confidential: bool, named_user_ids: list[int]
) -> Case:
    """Mark a case confidential: from then on only the named users see it (the actor included)."""
    policy.require(actor, "consultation.manage_case", case)
    for user_id in named_user_ids:
        _member_of_tenant(actor, user_id, "named_user_ids")
    now = timezone.now()
    with transaction.atomic():
        case.is_confidential = confidential
        case.version += 1
        case.save(update_fields=["is_confidential", "version", "updated_at"])
        CaseAccessGrant.objects.filter(case=case).exclude(
            user_id__in=[*named_user_ids, actor.user_id]
        ).delete()
        for user_id in {*named_user_ids, actor.user_id}:
            CaseAccessGrant.objects.get_or_create(
                tenant_id=case.tenant_id, case=case, user_id=user_id,
                defaults={"granted_by_id": actor.user_id, "granted_at": now},
            )  # fmt: skip
        Consultation.objects.filter(case=case).update(is_confidential=confidential)
        audit_object(
            actor,
            Action.UPDATE,
            case,
            detail={
                "confidential": confidential,
                "named": sorted({*named_user_ids, actor.user_id}),
            },
        )
    return case


def activity_record(*, actor: Actor, case: Case, kind: str, summary: str, occurred_at: datetime.datetime | None = None,
                    minutes: int = 0, is_outreach: bool = False) -> Activity:  # fmt: skip
    policy.require(actor, "consultation.manage_case", case)
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + datetime.timedelta(minutes=5):
        raise _invalid("occurred_at", _("The date is in the future."), "future_date")
    if not summary.strip():
        raise _invalid("summary", _("Write what happened."), "required")
    if minutes < 0 or minutes > 24 * 60:
        raise _invalid("minutes", _("Between 0 and 1440 minutes."), "out_of_range")
    with transaction.atomic():
        activity = Activity(
            tenant_id=case.tenant_id, case=case, kind=kind, occurred_at=occurred_at, minutes=minutes,
            summary=summary.strip(), is_outreach=is_outreach, author_id=actor.user_id, author_role=actor.role or "",
        )  # fmt: skip
        activity.full_clean(exclude=["tenant", "case", "author"])
        activity.save()
        if kind in CONTACT_KINDS and (
            case.last_contact_at is None or occurred_at > case.last_contact_at
        ):
            Case.objects.filter(pk=case.pk).update(last_contact_at=occurred_at)
            case.last_contact_at = occurred_at
        audit_object(actor, Action.CREATE, activity, subject=case)
    return activity


def goals_set(
    *, actor: Actor, case: Case, goals: list[tuple[str, bool]], next_review_on: datetime.date | None
) -> list[Goal]:
    """Replace the support plan's goals (text, achieved) and set the next review date."""
    policy.require(actor, "consultation.manage_case", case)
    with transaction.atomic():
        Goal.objects.filter(case=case).delete()
        created = Goal.objects.bulk_create(
            Goal(tenant_id=case.tenant_id, case=case, text=text.strip(), is_achieved=done, order=i)
            for i, (text, done) in enumerate(goals)
            if text.strip()
        )
        Case.objects.filter(pk=case.pk).update(next_review_on=next_review_on)
        case.next_review_on = next_review_on
        audit_object(actor, Action.UPDATE, case, detail={"goals": len(created)})
    return created


# ---- tasks ---------------------------------------------------------------------------------


@dataclass
class TaskInput:
    title: str
    due_on: datetime.date
    assignee_id: int | None = None
    assignee_agency_id: int | None = None


def _check_task(actor: Actor, data: TaskInput) -> None:
    if not data.title.strip():
        raise _invalid("title", _("Write what is to be done."), "required")
    if data.assignee_id is None and data.assignee_agency_id is None:
        raise _invalid(
            "assignee_id", _("Name who does it: a staff member or an agency."), "required"
        )
    _member_of_tenant(actor, data.assignee_id, "assignee_id")
    if (
        data.assignee_agency_id is not None
        and not Agency.objects.filter(
            pk=data.assignee_agency_id, tenant_id=actor.tenant_id
        ).exists()
    ):
        raise _invalid("assignee_agency_id", _("Not found in this municipality."), "other_tenant")


def task_create(
    *, actor: Actor, case: Case, data: TaskInput, conference: Conference | None = None
) -> Task:
    policy.require(actor, "consultation.manage_case", case)
    _check_task(actor, data)
    task = Task.objects.create(
        tenant_id=case.tenant_id, case=case, conference=conference, title=data.title.strip(),
        due_on=data.due_on, assignee_id=data.assignee_id, assignee_agency_id=data.assignee_agency_id,
        created_by_id=actor.user_id,
    )  # fmt: skip
    audit_object(actor, Action.CREATE, task, subject=case)
    events.publish("consultation.task_assigned", task.tenant_id, [task.assignee_id], _case_url(case.pk), "task", task.pk, actor_id=actor.user_id)  # fmt: skip
    return task


def task_complete(*, actor: Actor, task: Task, cancelled: bool = False) -> Task:
    policy.require(actor, "consultation.view_task", task)
    if task.status != TaskStatus.OPEN:
        raise _invalid("status", _("This task is already finished."), "already_handled")
    task.status = TaskStatus.CANCELLED if cancelled else TaskStatus.DONE
    task.done_at, task.done_by_id = timezone.now(), actor.user_id
    task.save(update_fields=["status", "done_at", "done_by"])
    audit_object(actor, Action.UPDATE, task, subject=task.case, detail={"status": task.status})
    return task


# ---- referrals -----------------------------------------------------------------------------


def referral_send(*, actor: Actor, case: Case, agency: Agency, request: str, person: Person | None = None,
                  shared_summary: str = "", shares_personal_data: bool = True, consent: Consent | None = None,
                  override_reason: str = "") -> Referral:  # fmt: skip
    """Refer a case (or the part about one person) to an agency.

    Sharing a person's data needs their recorded, unwithdrawn consent covering this agency,
    or an override with a written reason by a role allowed to make one (audited as such).
    """
    policy.require(actor, "consultation.send_referral", case)
    _same_tenant(actor, agency, "agency")
    _same_tenant(actor, person, "person")
    _same_tenant(actor, consent, "consent")
    if not request.strip():
        raise _invalid("request", _("Write what is asked of the agency."), "required")
    if person is not None and not case.person_links.filter(person=person).exists():
        raise _invalid("person", _("This person is not on the case."), "not_on_case")
    if shares_personal_data and person is None:
        raise _invalid("person", _("Choose whose data is shared."), "required")
    if shares_personal_data:
        if consent is None:
            consent = active_consent(person, agency)
        elif (
            consent.person_id != person.pk
            or consent.withdrawn_on is not None
            or consent.agency_id not in (None, agency.pk)
        ):
            raise _invalid(
                "consent",
                _("This consent does not cover this person and agency."),
                "consent_mismatch",
            )
        if consent is None:
            if not override_reason.strip():
                raise _invalid("consent", _("Record the person's consent before sharing their data, or give a reason to share without it."), "consent_required")  # fmt: skip
            if not policy.has_permission(actor, "consultation.override_consent"):
                raise _invalid(
                    "override_reason",
                    _("Only a supervisor may share without consent."),
                    "override_not_allowed",
                )
    with transaction.atomic():
        referral = Referral.objects.create(
            tenant_id=case.tenant_id, case=case, person=person, agency=agency, request=request.strip(),
            shared_summary=shared_summary.strip(), shares_personal_data=shares_personal_data,
            consent=consent if shares_personal_data else None,
            override_reason=override_reason.strip() if shares_personal_data and consent is None else "",
            override_by_id=actor.user_id if shares_personal_data and consent is None else None,
            sent_by_id=actor.user_id, sent_at=timezone.now(),
        )  # fmt: skip
        detail = {"agency": agency.pk, "consent": referral.consent_id}
        if referral.override_by_id:
            detail["consent_override"] = referral.override_reason
        audit_object(actor, Action.CREATE, referral, subject=person or case, detail=detail)
        events.publish("consultation.referral_received", referral.tenant_id, agency.members.values_list("pk", flat=True), reverse("consultation:agency_referral", args=[referral.pk]), "referral", referral.pk, actor_id=actor.user_id)  # fmt: skip
    return referral


_AGENCY_MOVES = {
    "accept": ((ReferralStatus.SENT,), ReferralStatus.ACCEPTED),
    "decline": ((ReferralStatus.SENT,), ReferralStatus.DECLINED),
    "complete": ((ReferralStatus.ACCEPTED,), ReferralStatus.COMPLETED),
}


def referral_respond(
    *, actor: Actor, referral: Referral, move: str, reason: str = "", version: int | None = None
) -> Referral:
    """The agency accepts, declines (with a reason) or completes a referral."""
    policy.require(actor, "consultation.respond_referral", referral)
    allowed_from, to_status = _AGENCY_MOVES[move]
    if move == "decline" and not reason.strip():
        raise _invalid("reason", _("Write why the referral is declined."), "required")
    with transaction.atomic():
        current = _check_version(Referral, referral.pk, version)
        if current.status not in allowed_from:
            raise _invalid(
                "status",
                _("This referral is %(status)s.")
                % {"status": ReferralStatus(current.status).label},
                "invalid_transition",
            )
        referral.status, referral.version = to_status, current.version + 1
        referral.decline_reason = reason.strip() if move == "decline" else referral.decline_reason
        now = timezone.now()
        if move in ("accept", "decline"):
            referral.responded_at = now
        if to_status not in OPEN_REFERRAL_STATUSES:
            referral.ended_at = now
        referral.save()
        audit_object(
            actor,
            Action.UPDATE,
            referral,
            subject=referral.person or referral.case,
            detail={"status": to_status},
        )
        if move == "accept":
            events.publish("consultation.referral_accepted", referral.tenant_id, [referral.sent_by_id], _case_url(referral.case_id), "referral", referral.pk, actor_id=actor.user_id)  # fmt: skip
        elif move == "decline":
            # The case still needs someone: the worker who referred and the case's lead now.
            events.publish("consultation.referral_declined", referral.tenant_id, [referral.sent_by_id, *_case_lead_ids(referral.case_id)], _case_url(referral.case_id), "referral", referral.pk, actor_id=actor.user_id)  # fmt: skip
    return referral


def referral_report(*, actor: Actor, referral: Referral, body: str) -> ReferralReport:
    """The agency reports back; the report lands on the case's timeline for its team."""
    policy.require(actor, "consultation.respond_referral", referral)
    if not referral.is_open:
        raise _invalid(
            "status",
            _("This referral is %(status)s.") % {"status": ReferralStatus(referral.status).label},
            "invalid_transition",
        )
    if not body.strip():
        raise _invalid("body", _("Write the report."), "required")
    report = ReferralReport.objects.create(
        tenant_id=referral.tenant_id, referral=referral, body=body.strip(), author_id=actor.user_id,
        reported_at=timezone.now(),
    )  # fmt: skip
    audit_object(actor, Action.CREATE, report, subject=referral.person or referral.case)
    events.publish("consultation.referral_reported", referral.tenant_id, [referral.sent_by_id], _case_url(referral.case_id), "referral", referral.pk, actor_id=actor.user_id)  # fmt: skip
    return report


def referral_revoke(*, actor: Actor, referral: Referral, reason: str = "") -> Referral:
    """The sender withdraws the referral; the agency loses access at once."""
    policy.require(actor, "consultation.send_referral", referral)
    if not referral.is_open:
        raise _invalid(
            "status",
            _("This referral is %(status)s.") % {"status": ReferralStatus(referral.status).label},
            "invalid_transition",
        )
    referral.status, referral.ended_at = ReferralStatus.REVOKED, timezone.now()
    referral.version += 1
    referral.save(update_fields=["status", "ended_at", "version"])
    audit_object(
        actor,
        Action.UPDATE,
        referral,
        subject=referral.person or referral.case,
        detail={"status": "revoked", "reason": reason},
    )
    return referral


# ---- conferences ---------------------------------------------------------------------------


@dataclass
class ConferenceInput:
    kind: str
    held_at: datetime.datetime
    case_ids: list[int]
    place: str = ""
    attendee_ids: list[int] = field(default_factory=list)
    agency_ids: list[int] = field(default_factory=list)
    external_members: str = ""
    summary: str = ""
    decisions: str = ""
    confidentiality_confirmed: bool = False
    tasks: list[tuple[int, TaskInput]] = field(default_factory=list)  # (case id, task)


def conference_record(*, actor: Actor, data: ConferenceInput) -> Conference:
    """Record a conference and turn its role assignments into tasks on the cases.

    支援会議 (法第106条の6) may share without consent, so its members must have confirmed the
    duty of confidentiality; 重層的支援会議 is for cases taken into the programme, and each
    case's main person must have consented to being discussed there.
    """
    policy.require(actor, "consultation.hold_conference")
    if data.kind not in ConferenceKind.values:
        raise _invalid("kind", _("Choose the kind of meeting."), "invalid_choice")
    _not_future(data.held_at, "held_at")
    cases = list(
        policy.scope(actor, "consultation.manage_case", Case.objects.filter(pk__in=data.case_ids))
    )
    if not data.case_ids or len(cases) != len(set(data.case_ids)):
        raise _invalid("case_ids", _("Choose the cases discussed (cases you work on)."), "required")
    for user_id in data.attendee_ids:
        _member_of_tenant(actor, user_id, "attendee_ids")
    agencies = list(Agency.objects.filter(tenant_id=actor.tenant_id, pk__in=data.agency_ids))
    if len(agencies) != len(set(data.agency_ids)):
        raise _invalid("agency_ids", _("Not found in this municipality."), "other_tenant")
    if data.kind == ConferenceKind.SUPPORT_MEETING and not data.confidentiality_confirmed:
        raise _invalid("confidentiality_confirmed", _("Members of a support meeting must confirm the duty of confidentiality."), "confidentiality_required")  # fmt: skip
    if data.kind == ConferenceKind.MULTI_LAYERED:
        for case in cases:
            if case.in_programme_since is None:
                raise _invalid("case_ids", _("Case %(case)s has not been taken into the multi-layered support programme.") % {"case": case}, "not_in_programme")  # fmt: skip
            primary = (
                case.person_links.filter(role=CasePersonRole.PRIMARY)
                .select_related("person")
                .first()
            )
            if primary is None or active_consent(primary.person, for_conference=True) is None:
                raise _invalid("case_ids", _("Case %(case)s has no consent to be discussed at the meeting.") % {"case": case}, "consent_required")  # fmt: skip
    case_by_id = {c.pk: c for c in cases}
    for case_id, task in data.tasks:
        if case_id not in case_by_id:
            raise _invalid(
                "tasks", _("A task must belong to a case discussed."), "not_on_conference"
            )
        _check_task(actor, task)
    with transaction.atomic():
        conference = Conference.objects.create(
            tenant_id=actor.tenant_id, kind=data.kind, held_at=data.held_at, place=data.place.strip(),
            external_members=data.external_members.strip(), summary=data.summary.strip(),
            decisions=data.decisions.strip(), confidentiality_confirmed=data.confidentiality_confirmed,
            recorded_by_id=actor.user_id,
        )  # fmt: skip
        conference.cases.set(cases)
        conference.attendees.set(data.attendee_ids)
        conference.agencies.set(agencies)
        for case_id, task in data.tasks:
            created = Task.objects.create(
                tenant_id=actor.tenant_id, case=case_by_id[case_id], conference=conference,
                title=task.title.strip(), due_on=task.due_on, assignee_id=task.assignee_id,
                assignee_agency_id=task.assignee_agency_id, created_by_id=actor.user_id,
            )  # fmt: skip
            events.publish("consultation.task_assigned", actor.tenant_id, [created.assignee_id], _case_url(case_id), "task", created.pk, actor_id=actor.user_id)  # fmt: skip
        for case in cases:
            Activity.objects.create(
                tenant_id=case.tenant_id, case=case, kind="meeting", occurred_at=data.held_at,
                summary=f"{conference.get_kind_display()}: {data.decisions.strip() or data.summary.strip()}"[:2000],
                author_id=actor.user_id, author_role=actor.role or "",
            )  # fmt: skip
        audit_object(
            actor,
            Action.CREATE,
            conference,
            detail={"cases": sorted(case_by_id), "tasks": len(data.tasks)},
        )
    return conference


def task_reminders_publish(*, tenant_id: int, today: datetime.date | None = None) -> int:
    """The nightly step: tell each assignee of an open task that it falls due today, or that it
    became overdue (its due date was yesterday). Each task is announced once per state, so a
    task left overdue for weeks does not fill the list. Returns the number of events."""
    today = today or timezone.localdate()
    published = 0
    open_tasks = Task.objects.filter(
        tenant_id=tenant_id, status=TaskStatus.OPEN, assignee_id__isnull=False
    )
    steps = (
        ("consultation.task_due", today),
        ("consultation.task_overdue", today - datetime.timedelta(days=1)),
    )
    for kind, due_on in steps:
        for pk, case_id, assignee_id in open_tasks.filter(due_on=due_on).values_list(
            "pk", "case_id", "assignee_id"
        ):
            events.publish(kind, tenant_id, [assignee_id], _case_url(case_id), "task", pk)
            published += 1
    return published
