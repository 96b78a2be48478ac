"""Reads of the consultation module, always through `policy.scope`; pages audit what they show."""

import datetime
from dataclasses import dataclass

from django.db.models import Case as Case_
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from sasaeai.accounts import policy
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.consultation.models import (
    Activity,
    Case,
    CaseAssignment,
    CaseStatus,
    Consultation,
    ConsultationStatus,
    Person,
    Referral,
    ReferralReport,
    Task,
    TaskStatus,
    Urgency,
)
from sasaeai.consultation.services import phone_digits, settings_for
from sasaeai.core.text import normalize_for_search


def cases(actor: Actor, permission: str = "consultation.view_case") -> QuerySet:
    return policy.scope(actor, permission, Case.objects.all())


def persons(actor: Actor, permission: str = "consultation.view_person") -> QuerySet:
    return policy.scope(actor, permission, Person.objects.all())


def case_for_page(actor: Actor, pk: int) -> Case:
    """One case, 404 unless visible; the view is audited against the case and its persons."""
    case = get_object_or_404(Case.objects.filter(tenant_id=actor.tenant_id), pk=pk)
    policy.require(actor, "consultation.view_case", case)
    audit_object(actor, Action.READ, case)
    return case


def person_for_page(actor: Actor, pk: int) -> Person:
    person = get_object_or_404(Person.objects.filter(tenant_id=actor.tenant_id), pk=pk)
    policy.require(actor, "consultation.view_person", person)
    audit_object(actor, Action.READ, person)
    return person


@dataclass(frozen=True)
class DuplicateCandidate:
    person: Person
    score: int
    reasons: tuple[str, ...]


def duplicate_candidates(actor: Actor, *, name: str = "", name_kana: str = "", birth_date: datetime.date | None = None,
                         address: str = "", phone: str = "", limit: int = 10) -> list[DuplicateCandidate]:  # fmt: skip
    """Likely existing records of the person about to be created, best first.

    Each of kana (prefix), name, birth date, phone digits and address narrows in SQL; rows
    matching any are scored by how many agree, so 「ヤマダ　タロウ」 born 1945-04-01 ranks
    the 山田太郎 with that birthday above other ヤマダ.
    """
    kana, folded_name, digits = (
        normalize_for_search(name_kana),
        normalize_for_search(name),
        phone_digits(phone),
    )
    folded_address = normalize_for_search(address)
    conditions = Q()
    if kana:
        conditions |= Q(kana_key__startswith=kana)
    if folded_name:
        conditions |= Q(search_text__contains=folded_name)
    if digits and len(digits) >= 6:
        conditions |= Q(phone_digits=digits)
    if birth_date and (kana or folded_name):
        conditions |= Q(birth_date=birth_date)
    if not conditions:
        return []
    rows = persons(actor, "consultation.search_person").filter(
        conditions, anonymised_at__isnull=True
    )[:200]
    found = []
    for person in rows:
        reasons = []
        if kana and person.kana_key.startswith(kana):
            reasons.append("kana")
        if folded_name and folded_name in person.search_text:
            reasons.append("name")
        if birth_date and person.birth_date == birth_date:
            reasons.append("birth_date")
        if digits and person.phone_digits == digits:
            reasons.append("phone")
        if (
            folded_address
            and folded_address[:8]
            and normalize_for_search(person.address).startswith(folded_address[:8])
        ):
            reasons.append("address")
        if reasons and reasons != ["birth_date"]:
            found.append(DuplicateCandidate(person, len(reasons), tuple(reasons)))
    found.sort(key=lambda c: (-c.score, c.person.kana_key))
    found = found[:limit]
    audit_reads(actor, [c.person for c in found], detail={"purpose": "duplicate_search"})
    return found


def person_search(actor: Actor, q: str, limit: int = 50) -> QuerySet:
    """Persons the actor may open whose kana starts with, or whose name contains, the text."""
    folded = normalize_for_search(q)
    if not folded:
        return persons(actor).none()
    return (
        persons(actor)
        .filter(Q(kana_key__startswith=folded) | Q(search_text__contains=folded))
        .order_by("kana_key", "pk")[:limit]
    )


def open_task_counts(queryset: QuerySet, today: datetime.date) -> QuerySet:
    open_tasks = Q(tasks__status=TaskStatus.OPEN)
    return queryset.annotate(
        open_tasks=Count("tasks", filter=open_tasks),
        overdue_tasks=Count("tasks", filter=open_tasks & Q(tasks__due_on__lt=today)),
    )


URGENCY_RANK = Case_(
    *[When(urgency=u, then=Value(i)) for i, u in enumerate(Urgency.values)],
    output_field=IntegerField(),
)


def worker_cases(actor: Actor, user_id: int | None = None, *, include_closed=False) -> QuerySet:
    """The cases a worker is currently on (lead first), with counts of open and overdue tasks."""
    user_id = user_id or actor.user_id
    today = timezone.localdate()
    on_team = CaseAssignment.objects.filter(
        case=OuterRef("pk"), user_id=user_id, ended_at__isnull=True
    )
    qs = cases(actor).filter(Exists(on_team))
    if not include_closed:
        qs = qs.exclude(status=CaseStatus.CLOSED)
    return (
        open_task_counts(qs, today)
        .annotate(urgency_rank=URGENCY_RANK)
        .order_by("urgency_rank", "-pk")
    )


def due_tasks(actor: Actor, user_id: int | None = None, within_days: int = 7) -> QuerySet:
    """Open tasks assigned to the worker due within the coming days, overdue ones included."""
    horizon = timezone.localdate() + datetime.timedelta(days=within_days)
    return (
        policy.scope(actor, "consultation.view_task", Task.objects.all())
        .filter(assignee_id=user_id or actor.user_id, status=TaskStatus.OPEN, due_on__lte=horizon)
        .select_related("case")
        .order_by("due_on", "pk")
    )


def reviews_due(actor: Actor, user_id: int | None = None, within_days: int = 14) -> QuerySet:
    horizon = timezone.localdate() + datetime.timedelta(days=within_days)
    return (
        worker_cases(actor, user_id).filter(next_review_on__lte=horizon).order_by("next_review_on")
    )


def no_contact_cases(actor: Actor, user_id: int | None = None, days: int | None = None) -> QuerySet:
    """Open cases of the worker with no contact (interview, call, visit) for N days or ever."""
    days = days or settings_for(actor.tenant_id).no_contact_days
    since = timezone.now() - datetime.timedelta(days=days)
    return (
        worker_cases(actor, user_id)
        .filter(
            Q(last_contact_at__lt=since)
            | Q(last_contact_at__isnull=True, opened_on__lt=since.date())
        )
        .order_by(F("last_contact_at").asc(nulls_first=True))
    )


def intake_queue(actor: Actor) -> QuerySet:
    """Consultations received and not yet taken in or answered: the desk's shared queue."""
    return (
        policy.scope(actor, "consultation.record_consultation", Consultation.objects.all())
        .filter(status=ConsultationStatus.RECEIVED)
        .select_related("person", "area")
        .order_by("received_at")
    )


def concerns_passed_on(actor: Actor) -> QuerySet:
    """What a commissioner or agency passed on, for the 'received' acknowledgement only."""
    return (
        Consultation.objects.filter(tenant_id=actor.tenant_id, received_by_id=actor.user_id)
        .only("pk", "received_at", "channel", "status", "acknowledged_at", "description")
        .order_by("-received_at")
    )


def case_timeline(case: Case) -> list:
    """Everything that happened on the case, newest first: the calls taken in (the original
    consultation first of all), activities, status changes, referrals sent, agencies' reports.

    Only for someone who may see the case: all of these follow the case (rules.py).
    """
    entries = [
        ("consultation", c.received_at, c)
        for c in case.consultations.select_related("received_by", "person")
    ]
    entries += [("activity", a.occurred_at, a) for a in case.activities.select_related("author")]
    entries += [
        ("status", s.changed_at, s) for s in case.status_changes.select_related("changed_by")
    ]
    entries += [
        ("referral", r.sent_at, r)
        for r in case.referrals.select_related("agency", "person", "sent_by")
    ]
    reports = ReferralReport.objects.filter(referral__case=case).select_related(
        "referral__agency", "author"
    )
    entries += [("report", r.reported_at, r) for r in reports]
    entries.sort(key=lambda e: e[1], reverse=True)
    return entries


def agency_referrals(actor: Actor) -> QuerySet:
    """For an agency worker: open referrals to their agencies."""
    return (
        policy.scope(actor, "consultation.view_referral", Referral.objects.all())
        .select_related("agency", "person")
        .order_by("-sent_at")
    )


def activity_minutes(case: Case) -> int:
    return sum(Activity.objects.filter(case=case).values_list("minutes", flat=True))
