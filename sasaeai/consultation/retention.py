"""Anonymising what has been kept long enough (保存期間経過後の匿名化).

A closed case is kept for the tenant's `Settings.retention_years` after its closing day;
once that has passed, its free texts are replaced by a fixed mark and the persons who
appear only on expired records lose what identifies them. Rows, dates, channels,
concerns, statuses, minutes, sex and district stay, so every count of the statistics and
the plan metrics is the same afterwards. Consultations answered without a case expire the
same number of years after they were received.

A person is anonymised only when nothing else still needs them: no other case (open, or
closed and still kept), and no consultation that is not itself expired. Households go
when every member has been anonymised and none of their cases is still kept.

Each anonymised case, consultation, person and household gets an audit entry ("update"
with {"anonymised": true}); running again changes nothing (rows carry `anonymised_at`, or
already hold the mark).
"""

import datetime
from dataclasses import dataclass, field

from django.db import models as db
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_reads
from sasaeai.consultation.models import (
    Activity,
    Case,
    CasePerson,
    CaseStatus,
    CaseStatusChange,
    Conference,
    Consent,
    Consultation,
    ConsultationStatus,
    Goal,
    Household,
    HouseholdMember,
    Person,
    Referral,
    ReferralReport,
    Task,
)
from sasaeai.consultation.services import settings_for

MARK = "（保存期間経過により匿名化）"
ANONYMOUS_NAME = "匿名化済み"
DETAIL = {"anonymised": True}


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def cutoff(tenant_id: int, today: datetime.date) -> datetime.date:
    """Records closed (or answered) before this day have been kept long enough."""
    return years_before(today, settings_for(tenant_id).retention_years)


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def expired_cases(tenant_id: int, today: datetime.date) -> QuerySet:
    """Closed cases whose closing day plus the retention period has passed."""
    return Case.objects.filter(
        tenant_id=tenant_id, status=CaseStatus.CLOSED, closed_on__lt=cutoff(tenant_id, today)
    )


def expired_answered(tenant_id: int, today: datetime.date) -> QuerySet:
    return Consultation.objects.filter(
        tenant_id=tenant_id, case__isnull=True, status=ConsultationStatus.ANSWERED,
        received_at__lt=_start_of(cutoff(tenant_id, today)),
    )  # fmt: skip


def _kept_consultations(tenant_id: int, today: datetime.date) -> QuerySet:
    """Consultations still kept: on a case that has not expired, or caseless and not expired."""
    expired_case_ids = expired_cases(tenant_id, today).values("pk")
    expired_caseless = expired_answered(tenant_id, today).values("pk")
    on_kept_case = Q(case__isnull=False) & ~Q(case_id__in=expired_case_ids)
    kept_caseless = Q(case__isnull=True) & ~Q(pk__in=expired_caseless)
    return Consultation.objects.filter(on_kept_case | kept_caseless, tenant_id=tenant_id)


def persons_to_anonymise(tenant_id: int, today: datetime.date) -> QuerySet:
    """Persons on expired records and on nothing still kept."""
    expired = expired_cases(tenant_id, today)
    on_expired = Q(pk__in=CasePerson.objects.filter(case__in=expired).values("person_id")) | Q(
        pk__in=Consultation.objects.filter(
            Q(case__in=expired) | Q(pk__in=expired_answered(tenant_id, today).values("pk"))
        ).values("person_id")
    )
    kept_case = CasePerson.objects.filter(person=OuterRef("pk")).exclude(case__in=expired)
    kept_consultation = _kept_consultations(tenant_id, today).filter(person=OuterRef("pk"))
    return (
        Person.objects.filter(on_expired, tenant_id=tenant_id, anonymised_at__isnull=True)
        .exclude(Exists(kept_case))
        .exclude(Exists(kept_consultation))
    )


@dataclass
class Plan:
    """What a run would anonymise (a dry run stops here)."""

    cases: list[Case] = field(default_factory=list)
    consultations: list[Consultation] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            name: len(getattr(self, name))
            for name in ("cases", "consultations", "persons", "households")
        }


def plan(tenant_id: int, today: datetime.date) -> Plan:
    cases = list(expired_cases(tenant_id, today).filter(anonymised_at__isnull=True).order_by("pk"))
    answered = expired_answered(tenant_id, today).exclude(description=MARK)
    consultations = list(
        Consultation.objects.filter(Q(case__in=cases) | Q(pk__in=answered.values("pk"))).exclude(
            description=MARK
        )
    )
    persons = list(persons_to_anonymise(tenant_id, today).order_by("pk"))
    return Plan(cases, consultations, persons, _households(tenant_id, today, persons))


def _households(tenant_id: int, today: datetime.date, persons: list[Person]) -> list[Household]:
    """Households all of whose members are (or are about to be) anonymised and none of whose
    cases is still kept."""
    going = {p.pk for p in persons}
    candidates = (
        Household.objects.filter(tenant_id=tenant_id, members__person_id__in=going)
        .exclude(name=ANONYMOUS_NAME)
        .distinct()
    )
    kept_case = Case.objects.filter(household=OuterRef("pk")).exclude(
        pk__in=expired_cases(tenant_id, today).values("pk")
    )
    found = []
    for household in candidates.exclude(Exists(kept_case)):
        members = set(
            HouseholdMember.objects.filter(household=household).values_list("person_id", flat=True)
        )
        anonymised = set(
            Person.objects.filter(pk__in=members, anonymised_at__isnull=False).values_list(
                "pk", flat=True
            )
        )
        if members <= going | anonymised:
            found.append(household)
    return found


# ---- doing it -----------------------------------------------------------------------------


def anonymise(actor: Actor, tenant_id: int, today: datetime.date, *, dry_run: bool = False) -> Plan:
    """Anonymise what has expired in one tenant; with dry_run, only say what would be."""
    todo = plan(tenant_id, today)
    if dry_run:
        return todo
    now = timezone.now()
    with transaction.atomic():
        for case in todo.cases:
            _anonymise_case(case, now)
        for consultation in todo.consultations:
            _anonymise_consultation(consultation)
        for person in todo.persons:
            _anonymise_person(person, now)
        for household in todo.households:
            _anonymise_household(household)
        _conferences(tenant_id, today)
        for rows in (todo.cases, todo.consultations, todo.persons, todo.households):
            audit_reads(actor, rows, action=Action.UPDATE, detail=DETAIL)
    return todo


def _anonymise_case(case: Case, now) -> None:
    Activity.objects.filter(case=case).update(summary=MARK)
    Goal.objects.filter(case=case).update(text=MARK)
    Task.objects.filter(case=case).update(title=MARK)
    CaseStatusChange.objects.filter(case=case).exclude(note="").update(note=MARK)
    Referral.objects.filter(case=case).update(
        request=MARK, shared_summary=MARK, override_reason=_mark_if("override_reason"),
        decline_reason=_mark_if("decline_reason"),
    )  # fmt: skip
    ReferralReport.objects.filter(referral__case=case).update(body=MARK)
    case.title, case.assessment = MARK, MARK if case.assessment else ""
    case.close_reason = MARK if case.close_reason else ""
    case.anonymised_at, case.version = now, case.version + 1
    case.save(
        update_fields=[
            "title",
            "assessment",
            "close_reason",
            "anonymised_at",
            "version",
            "updated_at",
        ]
    )


def _mark_if(field_name: str):
    """MARK where the text was written, blank stays blank (an empty reason said nothing)."""
    return db.Case(db.When(**{field_name: ""}, then=db.Value("")), default=db.Value(MARK))


def _anonymise_consultation(consultation: Consultation) -> None:
    consultation.description = MARK
    consultation.contact = ""
    consultation.caller_name = MARK if consultation.caller_name else ""
    consultation.caller_relation = MARK if consultation.caller_relation else ""
    consultation.subject_name = MARK if consultation.subject_name else ""
    consultation.subject_name_kana = consultation.subject_address = consultation.subject_phone = ""
    consultation.save(update_fields=["description", "contact", "caller_name", "caller_relation",
                                     "subject_name", "subject_name_kana", "subject_address",
                                     "subject_phone"])  # fmt: skip


def _anonymise_person(person: Person, now) -> None:
    """Name and everything that finds them go; sex and district stay for the statistics."""
    person.name, person.name_kana = ANONYMOUS_NAME, ""
    person.birth_date = None
    person.postal_code = person.address = person.phone = person.email = person.note = ""
    person.search_text = person.kana_key = person.phone_digits = ""
    person.anonymised_at, person.version = now, person.version + 1
    person.save()
    Consent.objects.filter(person=person).update(scope=MARK)


def _anonymise_household(household: Household) -> None:
    household.name, household.address, household.note = ANONYMOUS_NAME, "", ""
    household.save(update_fields=["name", "address", "note"])


def _conferences(tenant_id: int, today: datetime.date) -> None:
    """A conference's notes go once every case it discussed has been anonymised."""
    live = Case.objects.filter(conferences=OuterRef("pk"), anonymised_at__isnull=True)
    Conference.objects.filter(tenant_id=tenant_id).exclude(Exists(live)).exclude(
        summary=MARK
    ).update(summary=MARK, decisions=MARK, external_members="")
