"""The consultation API under /api/v1/consultation/: the same services and policy as the pages.

Reads go through the selectors and `policy.scope`; writes through `services`. Objects of
another tenant, and rows the reader may not see, are 404 (never 403: not even a number
leaks). Every response that names a person or a case is written to the audit log. Errors
keep the services' codes in `error.codes` (future_date, other_tenant, consent_required…).

What a reader gets depends on who they are: whoever passed a concern on (a welfare
commissioner, an agency) gets a receipt of it, an agency worker gets referrals as shared with
their agency; see `schemas.py`.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router

try:
    from ninja import Status
except ImportError:  # django-ninja < 1.5: a (status, body) tuple, deprecated since

    def Status(status_code, body):  # noqa: N802
        return status_code, body


from sasaeai.accounts import policy
from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.consultation import schemas as s
from sasaeai.consultation import selectors, services
from sasaeai.consultation.models import (
    Agency,
    Case,
    CaseAssignment,
    CasePerson,
    Conference,
    Consent,
    Consultation,
    Household,
    HouseholdMember,
    Person,
    Referral,
    ReferralReport,
    Task,
    TaskStatus,
)
from sasaeai.consultation.rules import DESK_ROLES

router = Router(tags=["consultation"])

ERRORS = {403: s.ErrorOut, 404: s.ErrorOut, 409: s.ErrorOut, 422: s.ErrorOut}


# --- helpers --------------------------------------------------------------------------------


def _actor(request) -> Actor:
    return request.actor


def _is_desk(actor: Actor) -> bool:
    return actor.role in DESK_ROLES


def _is_agency(actor: Actor) -> bool:
    return actor.role == Role.AGENCY_WORKER


def _visible(actor: Actor, permission: str, model: type[Model], pk: int) -> Model:
    """The row if it is the actor's tenant's and they may see it under `permission`, else 404."""
    obj = get_object_or_404(model.objects.filter(tenant_id=actor.tenant_id), pk=pk)
    policy.require(actor, permission, obj)
    return obj


def _referenced(model: type[Model], pk: int | None, field_name: str) -> Model | None:
    """An object named by id in a payload; the service refuses one of another tenant.

    Unknown ids get the same answer as another tenant's, so that neither leaks.
    """
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise _not_here(field_name)
    return found


def _not_here(field_name: str) -> ValidationError:
    # The services' wording and code for an object of another tenant.
    message = _("Not found in this municipality.")
    return ValidationError({field_name: ValidationError(message, code="other_tenant")})


def _known_person(actor: Actor, pk: int | None, field_name: str) -> Person | None:
    """A person named in a payload, who must be one the actor could look up: linking someone
    they may not see (on a confidential case) would reveal that the person exists."""
    person = _referenced(Person, pk, field_name)
    if person is None or person.tenant_id != actor.tenant_id:
        return person  # None, or refused by the service as another tenant's
    rows = Person.objects.filter(pk=person.pk)
    if not (
        policy.scope(actor, "consultation.search_person", rows).exists()
        or policy.scope(actor, "consultation.view_person", rows).exists()
    ):
        raise _not_here(field_name)
    return person


def _page(rows, query: s.PageQuery) -> tuple[int, list]:
    """(count, rows of the page) of a queryset or list, for the limit/offset shape."""
    if isinstance(rows, QuerySet):
        count = rows.count()
    else:
        count = len(rows)
    return count, list(rows[query.offset : query.offset + query.limit])


# --- consultations --------------------------------------------------------------------------


def _consultation_out(consultation: Consultation) -> s.ConsultationOut:
    return s.ConsultationOut(
        id=consultation.pk,
        received_at=consultation.received_at,
        channel=consultation.channel,
        status=consultation.status,
        acknowledged_at=consultation.acknowledged_at,
        description=consultation.description,
        contact=consultation.contact,
        caller_name=consultation.caller_name,
        caller_relation=consultation.caller_relation,
        about=consultation.about,
        subject_name=consultation.subject_name,
        subject_name_kana=consultation.subject_name_kana,
        subject_address=consultation.subject_address,
        subject_phone=consultation.subject_phone,
        person_id=consultation.person_id,
        case_id=consultation.case_id,
        area_id=consultation.area_id,
        referred_by_agency_id=consultation.referred_by_agency_id,
        concerns=sorted(consultation.concerns.values_list("code", flat=True)),
        is_confidential=consultation.is_confidential,
        received_by_role=consultation.received_by_role,
    )


def _receipt_out(consultation: Consultation) -> s.ConsultationReceiptOut:
    return s.ConsultationReceiptOut(
        id=consultation.pk,
        received_at=consultation.received_at,
        channel=consultation.channel,
        status=consultation.status,
        acknowledged_at=consultation.acknowledged_at,
    )


def _consultation_for(actor: Actor, consultation: Consultation):
    """The desk sees the consultation; whoever passed it on sees only that it was received."""
    if policy.has_permission(actor, "consultation.record_consultation"):
        return _consultation_out(consultation)
    return _receipt_out(consultation)


@router.post(
    "/consultations", response={201: s.ConsultationOut | s.ConsultationReceiptOut, **ERRORS}
)
def record_consultation(request, payload: s.ConsultationIn):
    """Take in a consultation; from a commissioner or an agency worker it is a passed-on concern."""
    actor = _actor(request)
    passing_on = not policy.has_permission(actor, "consultation.record_consultation")
    if payload.referred_by_agency_id is not None:
        # The service takes the id as given; an agency of another tenant must not be linked.
        agency = _referenced(Agency, payload.referred_by_agency_id, "referred_by_agency_id")
        if agency.tenant_id != actor.tenant_id:
            raise _not_here("referred_by_agency_id")
    if not passing_on:
        _known_person(actor, payload.person_id, "person_id")
    channel = payload.channel.value if payload.channel else ("other" if passing_on else "")
    data = services.ConsultationInput(
        channel=channel,
        description=payload.description,
        contact=payload.contact,
        received_at=payload.received_at,
        caller_name=payload.caller_name,
        caller_relation=payload.caller_relation,
        about=payload.about.value if payload.about else "",
        subject_name=payload.subject_name,
        subject_name_kana=payload.subject_name_kana,
        subject_address=payload.subject_address,
        subject_phone=payload.subject_phone,
        person_id=payload.person_id,
        area_id=payload.area_id,
        concern_codes=payload.concerns,
        referred_by_agency_id=payload.referred_by_agency_id,
        is_confidential=payload.is_confidential,
    )
    consultation = services.consultation_record(actor=actor, data=data)
    return Status(201, _consultation_for(actor, consultation))


@router.get("/consultations", response={200: s.ConsultationPageOut, **ERRORS})
def list_consultations(request, query: Query[s.PageQuery]):
    """The desk: the intake queue (oldest first). Others: what they passed on, as receipts."""
    actor = _actor(request)
    policy.require(actor, "consultation.view_consultation")
    if not policy.has_permission(actor, "consultation.record_consultation"):
        count, rows = _page(selectors.concerns_passed_on(actor), query)
        return {"count": count, "items": [_receipt_out(c) for c in rows]}
    count, rows = _page(selectors.intake_queue(actor).prefetch_related("concerns"), query)
    audit_reads(actor, rows, subject_of=lambda c: c.person or c)
    return {"count": count, "items": [_consultation_out(c) for c in rows]}


@router.get(
    "/consultations/{consultation_id}",
    response={200: s.ConsultationOut | s.ConsultationReceiptOut, **ERRORS},
)
def get_consultation(request, consultation_id: int):
    actor = _actor(request)
    consultation = _visible(actor, "consultation.view_consultation", Consultation, consultation_id)
    out = _consultation_for(actor, consultation)
    if isinstance(out, s.ConsultationOut):
        audit_object(actor, Action.READ, consultation, subject=consultation.person)
    return out


@router.post("/consultations/{consultation_id}/take-in", response={200: s.CaseDetailOut, **ERRORS})
def take_in_consultation(request, consultation_id: int, payload: s.TakeInIn):
    """Open a case for the consultation (the reader becomes its lead), or add it to one."""
    actor = _actor(request)
    consultation = _visible(
        actor, "consultation.record_consultation", Consultation, consultation_id
    )
    case = None
    if payload.case_id is not None:
        case = _visible(actor, "consultation.manage_case", Case, payload.case_id)
    person = _known_person(actor, payload.person_id, "person")
    case = services.consultation_take_in(
        actor=actor, consultation=consultation, case=case, title=payload.title, person=person
    )
    return _case_detail(actor, case)


@router.post("/consultations/{consultation_id}/answer", response={200: s.ConsultationOut, **ERRORS})
def answer_consultation(request, consultation_id: int):
    """Answered on the spot, without a case."""
    actor = _actor(request)
    consultation = _visible(
        actor, "consultation.record_consultation", Consultation, consultation_id
    )
    return _consultation_out(services.consultation_answer(actor=actor, consultation=consultation))


# --- persons --------------------------------------------------------------------------------


def _person_data(payload: s.PersonIn) -> services.PersonInput:
    fields = payload.dict(exclude={"version"})
    fields["sex"] = payload.sex.value
    fields["flags"] = [flag.value for flag in payload.flags]
    return services.PersonInput(**fields)


def _person_out(actor: Actor, person: Person) -> s.PersonOut:
    consents = person.consents.all()
    memberships = list(HouseholdMember.objects.filter(person=person).select_related("household"))
    households = Household.objects.filter(pk__in=[m.household_id for m in memberships])
    visible_households = set(
        policy.scope(actor, "consultation.view_person", households).values_list("pk", flat=True)
    )
    case_ids = (
        selectors.cases(actor).filter(person_links__person=person).values_list("pk", flat=True)
    )
    return s.PersonOut(
        id=person.pk,
        name=person.name,
        name_kana=person.name_kana,
        birth_date=person.birth_date,
        sex=person.sex,
        postal_code=person.postal_code,
        address=person.address,
        area_id=person.area_id,
        phone=person.phone,
        email=person.email,
        language=person.language,
        flags=list(person.flags or []),
        note=person.note,
        is_confidential=person.is_confidential,
        version=person.version,
        created_at=person.created_at,
        updated_at=person.updated_at,
        consents=[_consent_out(c) for c in consents],
        households=[
            s.PersonHouseholdOut(
                household_id=m.household_id,
                name=m.household.name,
                relationship=m.relationship,
                lives_together=m.lives_together,
            )
            for m in memberships
            if m.household_id in visible_households
        ],
        case_ids=sorted(case_ids),
    )


def _shared_person_out(person: Person) -> s.SharedPersonOut:
    return s.SharedPersonOut(
        id=person.pk,
        name=person.name,
        name_kana=person.name_kana,
        birth_date=person.birth_date,
        address=person.address,
        phone=person.phone,
    )


def _person_list_out(person: Person) -> s.PersonListOut:
    return s.PersonListOut(
        id=person.pk,
        name=person.name,
        name_kana=person.name_kana,
        birth_date=person.birth_date,
        sex=person.sex,
        address=person.address,
    )


def _consent_out(consent: Consent) -> s.ConsentOut:
    return s.ConsentOut(
        id=consent.pk,
        person_id=consent.person_id,
        agency_id=consent.agency_id,
        scope=consent.scope,
        covers_conferences=consent.covers_conferences,
        obtained_on=consent.obtained_on,
        method=consent.method,
        withdrawn_on=consent.withdrawn_on,
        is_active=consent.is_active,
    )


SEARCH_LIMIT = 200


@router.get("/persons", response={200: s.PersonPageOut, **ERRORS})
def search_persons(request, query: Query[s.PageQuery], q: str = ""):
    """Persons the reader may open whose kana starts with, or whose name contains, `q`."""
    actor = _actor(request)
    policy.require(actor, "consultation.search_person")
    count, rows = _page(list(selectors.person_search(actor, q, limit=SEARCH_LIMIT)), query)
    audit_reads(actor, rows, detail={"purpose": "search"})
    return {"count": count, "items": [_person_list_out(p) for p in rows]}


@router.get("/persons/duplicates", response={200: list[s.DuplicateOut], **ERRORS})
def person_duplicates(
    request,
    name: str = "",
    kana: str = "",
    birth_date: date | None = None,
    phone: str = "",
    address: str = "",
):
    """Likely existing records of a person about to be created, best first (audited)."""
    actor = _actor(request)
    policy.require(actor, "consultation.search_person")
    found = selectors.duplicate_candidates(
        actor, name=name, name_kana=kana, birth_date=birth_date, address=address, phone=phone
    )
    return [
        s.DuplicateOut(person=_person_list_out(c.person), score=c.score, reasons=list(c.reasons))
        for c in found
    ]


@router.post("/persons", response={201: s.PersonOut, **ERRORS})
def create_person(request, payload: s.PersonIn):
    actor = _actor(request)
    person = services.person_save(actor=actor, data=_person_data(payload))
    return Status(201, _person_out(actor, person))


@router.get("/persons/{person_id}", response={200: s.PersonOut | s.SharedPersonOut, **ERRORS})
def get_person(request, person_id: int):
    """The person (audited). An agency worker gets only what an open referral shares."""
    actor = _actor(request)
    person = selectors.person_for_page(actor, person_id)
    if _is_agency(actor):
        return _shared_person_out(person)
    return _person_out(actor, person)


@router.put("/persons/{person_id}", response={200: s.PersonOut, **ERRORS})
def update_person(request, person_id: int, payload: s.PersonUpdateIn):
    actor = _actor(request)
    person = _visible(actor, "consultation.manage_person", Person, person_id)
    person = services.person_save(
        actor=actor, data=_person_data(payload), person=person, version=payload.version
    )
    return _person_out(actor, person)


@router.post("/persons/{person_id}/consents", response={201: s.ConsentOut, **ERRORS})
def record_consent(request, person_id: int, payload: s.ConsentIn):
    actor = _actor(request)
    person = _visible(actor, "consultation.manage_person", Person, person_id)
    consent = services.consent_record(
        actor=actor,
        person=person,
        scope=payload.scope,
        obtained_on=payload.obtained_on,
        method=payload.method.value,
        agency=_referenced(Agency, payload.agency_id, "agency"),
        covers_conferences=payload.covers_conferences,
    )
    return Status(201, _consent_out(consent))


@router.post("/consents/{consent_id}/withdraw", response={200: s.ConsentOut, **ERRORS})
def withdraw_consent(request, consent_id: int, payload: s.WithdrawIn):
    """Withdrawing ends every open referral that relied on the consent."""
    actor = _actor(request)
    consent = _visible(actor, "consultation.manage_person", Consent, consent_id)
    return _consent_out(services.consent_withdraw(actor=actor, consent=consent, on=payload.on))


# --- households -----------------------------------------------------------------------------


def _household_out(actor: Actor, household: Household) -> s.HouseholdOut:
    visible = selectors.persons(actor).values("pk")
    members = household.members.filter(person__in=visible).select_related("person")
    return s.HouseholdOut(
        id=household.pk,
        name=household.name,
        address=household.address,
        area_id=household.area_id,
        note=household.note,
        members=[
            s.HouseholdMemberOut(
                person_id=m.person_id,
                name=m.person.name,
                name_kana=m.person.name_kana,
                relationship=m.relationship,
                lives_together=m.lives_together,
            )
            for m in members.order_by("pk")
        ],
    )


@router.post("/households", response={201: s.HouseholdOut, **ERRORS})
def create_household(request, payload: s.HouseholdIn):
    actor = _actor(request)
    household = services.household_create(actor=actor, **payload.dict())
    return Status(201, _household_out(actor, household))


@router.get("/households/{household_id}", response={200: s.HouseholdOut, **ERRORS})
def get_household(request, household_id: int):
    actor = _actor(request)
    household = _visible(actor, "consultation.view_person", Household, household_id)
    audit_object(actor, Action.READ, household)
    return _household_out(actor, household)


@router.post("/households/{household_id}/members", response={200: s.HouseholdOut, **ERRORS})
def add_household_member(request, household_id: int, payload: s.HouseholdMemberIn):
    """Add a person; one of another tenant (or unknown) is 422 `other_tenant` on `person`."""
    actor = _actor(request)
    household = _visible(actor, "consultation.manage_person", Household, household_id)
    services.household_add_member(
        actor=actor,
        household=household,
        person=_referenced(Person, payload.person_id, "person"),
        relationship=payload.relationship.value,
        lives_together=payload.lives_together,
    )
    return _household_out(actor, household)


# --- cases ----------------------------------------------------------------------------------


def _case_list_out(case: Case) -> s.CaseListOut:
    return s.CaseListOut(
        id=case.pk,
        title=case.title,
        status=case.status,
        urgency=case.urgency,
        opened_on=case.opened_on,
        closed_on=case.closed_on,
        next_review_on=case.next_review_on,
        last_contact_at=case.last_contact_at,
        is_confidential=case.is_confidential,
        is_outreach=case.is_outreach,
        version=case.version,
        open_task_count=getattr(case, "open_tasks", None),
        overdue_task_count=getattr(case, "overdue_tasks", None),
    )


def _task_out(task: Task) -> s.TaskOut:
    return s.TaskOut(
        id=task.pk,
        case_id=task.case_id,
        conference_id=task.conference_id,
        title=task.title,
        due_on=task.due_on,
        status=task.status,
        assignee_id=task.assignee_id,
        assignee_agency_id=task.assignee_agency_id,
        done_at=task.done_at,
    )


def _report_outs(referral: Referral) -> list[s.ReportOut]:
    return [
        s.ReportOut(id=r.pk, body=r.body, reported_at=r.reported_at)
        for r in ReferralReport.objects.filter(referral=referral).order_by("reported_at", "pk")
    ]


def _referral_out(referral: Referral) -> s.ReferralOut:
    return s.ReferralOut(
        id=referral.pk,
        case_id=referral.case_id,
        person_id=referral.person_id,
        agency_id=referral.agency_id,
        agency_name=referral.agency.name,
        request=referral.request,
        shared_summary=referral.shared_summary,
        shares_personal_data=referral.shares_personal_data,
        consent_id=referral.consent_id,
        override_reason=referral.override_reason,
        override_by_id=referral.override_by_id,
        status=referral.status,
        decline_reason=referral.decline_reason,
        sent_at=referral.sent_at,
        responded_at=referral.responded_at,
        ended_at=referral.ended_at,
        version=referral.version,
        reports=_report_outs(referral),
    )


def _agency_referral_out(referral: Referral) -> s.AgencyReferralOut:
    """Built field by field from the referral alone: the case is never touched here."""
    shared = referral.person if referral.shares_personal_data and referral.person_id else None
    return s.AgencyReferralOut(
        id=referral.pk,
        agency_id=referral.agency_id,
        agency_name=referral.agency.name,
        status=referral.status,
        version=referral.version,
        request=referral.request,
        shared_summary=referral.shared_summary,
        shares_personal_data=referral.shares_personal_data,
        sent_at=referral.sent_at,
        responded_at=referral.responded_at,
        ended_at=referral.ended_at,
        decline_reason=referral.decline_reason,
        person=_shared_person_out(shared) if shared else None,
        reports=_report_outs(referral),
    )


def _referral_for(actor: Actor, referral: Referral):
    return _agency_referral_out(referral) if _is_agency(actor) else _referral_out(referral)


def _case_detail(actor: Actor, case: Case) -> s.CaseDetailOut:
    case = Case.objects.get(pk=case.pk)
    links = CasePerson.objects.filter(case=case).select_related("person").order_by("role", "pk")
    team = (
        CaseAssignment.objects.filter(case=case, ended_at__isnull=True)
        .select_related("user")
        .order_by("role", "started_at")
    )
    referrals = policy.scope(
        actor, "consultation.view_referral", Referral.objects.filter(case=case)
    )
    tasks = policy.scope(actor, "consultation.view_task", Task.objects.filter(case=case))
    conferences = policy.scope(
        actor, "consultation.hold_conference", Conference.objects.filter(cases=case)
    )
    return s.CaseDetailOut(
        **_case_list_out(case).dict(),
        assessment=case.assessment,
        household_id=case.household_id,
        in_programme_since=case.in_programme_since,
        close_reason=case.close_reason,
        concerns=[s.ConcernOut(code=c.code, name=c.name) for c in case.concerns.all()],
        persons=[
            s.CasePersonOut(
                person_id=link.person_id,
                name=link.person.name,
                name_kana=link.person.name_kana,
                birth_date=link.person.birth_date,
                role=link.role,
            )
            for link in links
        ],
        team=[
            s.TeamMemberOut(
                user_id=a.user_id,
                username=a.user.username,
                name=a.user.get_full_name() or a.user.username,
                role=a.role,
                started_at=a.started_at,
            )
            for a in team
        ],
        goals=[
            s.GoalOut(id=g.pk, text=g.text, is_achieved=g.is_achieved) for g in case.goals.all()
        ],
        open_tasks=[
            _task_out(t) for t in tasks.filter(status=TaskStatus.OPEN).order_by("due_on", "pk")
        ],
        referrals=[
            _referral_out(r) for r in referrals.select_related("agency").order_by("-sent_at", "-pk")
        ],
        conference_ids=sorted(conferences.values_list("pk", flat=True)),
    )


def _managed_case(actor: Actor, case_id: int) -> Case:
    return _visible(actor, "consultation.manage_case", Case, case_id)


@router.get("/cases", response={200: s.CasePageOut, **ERRORS})
def list_cases(request, query: Query[s.CaseFilter]):
    """Cases the reader may open: their team's and their supervisees' (audited)."""
    actor = _actor(request)
    policy.require(actor, "consultation.view_case")
    if query.mine:
        cases = selectors.worker_cases(actor, include_closed=True)
    else:
        cases = selectors.cases(actor).order_by("-opened_on", "-pk")
    if query.status is not None:
        cases = cases.filter(status=query.status)
    count, rows = _page(cases, query)
    audit_reads(actor, rows)
    return {"count": count, "items": [_case_list_out(c) for c in rows]}


@router.get("/cases/{case_id}", response={200: s.CaseDetailOut, **ERRORS})
def get_case(request, case_id: int):
    """The case with its persons, team, concerns, goals, open tasks and referrals (audited)."""
    actor = _actor(request)
    return _case_detail(actor, selectors.case_for_page(actor, case_id))


@router.patch("/cases/{case_id}", response={200: s.CaseDetailOut, **ERRORS})
def update_case(request, case_id: int, payload: s.CasePatchIn):
    """Edit the case's own fields; `version` is what the edit started from (stale: 409)."""
    actor = _actor(request)
    case = _managed_case(actor, case_id)
    changes = payload.dict(exclude_unset=True, exclude={"version", "concerns"})
    if "household_id" in changes:
        household = _referenced(Household, changes.pop("household_id"), "household")
        if household is not None and not policy.can(actor, "consultation.view_person", household):
            raise _not_here("household")
        changes["household"] = household
    for name in ("title", "urgency", "assessment", "is_outreach"):
        if name in changes and changes[name] is None:
            changes.pop(name)
    concerns = payload.concerns if "concerns" in payload.model_fields_set else None
    case = services.case_update(
        actor=actor, case=case, version=payload.version, concern_codes=concerns, **changes
    )
    return _case_detail(actor, case)


@router.post("/cases/{case_id}/transition", response={200: s.CaseDetailOut, **ERRORS})
def transition_case(request, case_id: int, payload: s.TransitionIn):
    actor = _actor(request)
    case = _managed_case(actor, case_id)
    case = services.case_transition(
        actor=actor,
        case=case,
        to_status=payload.to_status.value,
        version=payload.version,
        note=payload.note,
    )
    return _case_detail(actor, case)


@router.post("/cases/{case_id}/team", response={200: s.CaseDetailOut, **ERRORS})
def assign_case(request, case_id: int, payload: s.TeamIn):
    """Add someone to the team; a new lead ends the previous lead's assignment."""
    actor = _actor(request)
    case = _managed_case(actor, case_id)
    services.case_assign(actor=actor, case=case, user_id=payload.user_id, role=payload.role.value)
    return _case_detail(actor, case)


@router.delete("/cases/{case_id}/team/{user_id}", response={200: s.CaseDetailOut, **ERRORS})
def unassign_case(request, case_id: int, user_id: int):
    actor = _actor(request)
    case = _managed_case(actor, case_id)
    services.case_unassign(actor=actor, case=case, user_id=user_id)
    return _case_detail(actor, case)


@router.post("/cases/{case_id}/activities", response={201: s.ActivityOut, **ERRORS})
def record_activity(request, case_id: int, payload: s.ActivityIn):
    actor = _actor(request)
    case = _managed_case(actor, case_id)
    activity = services.activity_record(
        actor=actor,
        case=case,
        kind=payload.kind.value,
        summary=payload.summary,
        occurred_at=payload.occurred_at,
        minutes=payload.minutes,
        is_outreach=payload.is_outreach,
    )
    out = s.ActivityOut(
        id=activity.pk,
        case_id=case.pk,
        kind=activity.kind,
        occurred_at=activity.occurred_at,
        minutes=activity.minutes,
        summary=activity.summary,
        is_outreach=activity.is_outreach,
        author_role=activity.author_role,
    )
    return Status(201, out)


def _timeline_entry(kind: str, at, obj) -> s.TimelineEntryOut:
    if kind == "activity":
        return s.TimelineEntryOut(
            kind=kind, id=obj.pk, at=at, text=obj.summary, author=obj.author.username if obj.author else "",
            activity_kind=obj.kind, minutes=obj.minutes,
        )  # fmt: skip
    if kind == "status":
        return s.TimelineEntryOut(
            kind=kind, id=obj.pk, at=at, text=obj.note,
            author=obj.changed_by.username if obj.changed_by else "",
            from_status=obj.from_status, to_status=obj.to_status,
        )  # fmt: skip
    if kind == "consultation":
        return s.TimelineEntryOut(
            kind=kind, id=obj.pk, at=at, text=obj.description,
            author=obj.received_by.username if obj.received_by else "",
        )  # fmt: skip
    if kind == "referral":
        return s.TimelineEntryOut(
            kind=kind, id=obj.pk, at=at, text=obj.request,
            author=obj.sent_by.username if obj.sent_by else "", agency_name=obj.agency.name,
        )  # fmt: skip
    return s.TimelineEntryOut(
        kind=kind, id=obj.pk, at=at, text=obj.body, author=obj.author.username if obj.author else "",
        agency_name=obj.referral.agency.name,
    )  # fmt: skip


@router.get("/cases/{case_id}/activities", response={200: s.TimelinePageOut, **ERRORS})
def case_timeline(request, case_id: int, query: Query[s.PageQuery]):
    """The support record, newest first: the calls taken in, activities, status changes,
    referrals and agencies' reports."""
    actor = _actor(request)
    case = _visible(actor, "consultation.view_case", Case, case_id)
    audit_object(actor, Action.READ, case, detail={"part": "timeline"})
    count, rows = _page(selectors.case_timeline(case), query)
    return {"count": count, "items": [_timeline_entry(*row) for row in rows]}


@router.post("/cases/{case_id}/tasks", response={201: s.TaskOut, **ERRORS})
def create_task(request, case_id: int, payload: s.TaskIn):
    actor = _actor(request)
    case = _managed_case(actor, case_id)
    data = services.TaskInput(**payload.dict())
    return Status(201, _task_out(services.task_create(actor=actor, case=case, data=data)))


@router.post("/tasks/{task_id}/done", response={200: s.TaskOut, **ERRORS})
def complete_task(request, task_id: int, cancelled: bool = False):
    """Mark the task done (or, with `cancelled=true`, cancelled)."""
    actor = _actor(request)
    task = _visible(actor, "consultation.view_task", Task, task_id)
    return _task_out(services.task_complete(actor=actor, task=task, cancelled=cancelled))


@router.get("/me/tasks", response={200: list[s.TaskOut], **ERRORS})
def my_tasks(request, query: Query[s.DueTaskFilter]):
    """Open tasks assigned to the reader, due within the coming days (overdue included)."""
    actor = _actor(request)
    policy.require(actor, "consultation.view_task")
    return [_task_out(t) for t in selectors.due_tasks(actor, within_days=query.within_days)]


@router.get("/me/cases", response={200: list[s.CaseListOut], **ERRORS})
def my_cases(request):
    """The cases the reader is on, most urgent first, with open and overdue task counts."""
    actor = _actor(request)
    policy.require(actor, "consultation.view_case")
    cases = list(selectors.worker_cases(actor))
    audit_reads(actor, cases)
    return [_case_list_out(c) for c in cases]


# --- referrals ------------------------------------------------------------------------------


@router.post("/cases/{case_id}/referrals", response={201: s.ReferralOut, **ERRORS})
def send_referral(request, case_id: int, payload: s.ReferralIn):
    """Refer the case, or one person of it, to an agency: with consent, or a supervisor's
    override with a reason (audited as `consent_override`)."""
    actor = _actor(request)
    case = _visible(actor, "consultation.send_referral", Case, case_id)
    referral = services.referral_send(
        actor=actor,
        case=case,
        agency=_referenced(Agency, payload.agency_id, "agency"),
        request=payload.request,
        person=_referenced(Person, payload.person_id, "person"),
        shared_summary=payload.shared_summary,
        shares_personal_data=payload.shares_personal_data,
        consent=_referenced(Consent, payload.consent_id, "consent"),
        override_reason=payload.override_reason,
    )
    return Status(201, _referral_out(referral))


@router.get("/referrals", response={200: s.ReferralPageOut, **ERRORS})
def list_referrals(request, query: Query[s.ReferralFilter]):
    """Agency workers: open referrals to their agencies. The desk: referrals of their cases."""
    actor = _actor(request)
    policy.require(actor, "consultation.view_referral")
    referrals = selectors.agency_referrals(actor)
    if query.status is not None:
        referrals = referrals.filter(status=query.status)
    count, rows = _page(referrals, query)
    audit_reads(actor, rows, subject_of=lambda r: r.person or r.case)
    return {"count": count, "items": [_referral_for(actor, r) for r in rows]}


@router.get(
    "/referrals/{referral_id}", response={200: s.ReferralOut | s.AgencyReferralOut, **ERRORS}
)
def get_referral(request, referral_id: int):
    """The referral; an agency worker gets only what is shared with their agency (audited)."""
    actor = _actor(request)
    referral = _visible(actor, "consultation.view_referral", Referral, referral_id)
    audit_object(actor, Action.READ, referral, subject=referral.person or referral.case)
    return _referral_for(actor, referral)


def _respond(request, referral_id: int, move: str, payload: s.RespondIn):
    actor = _actor(request)
    referral = _visible(actor, "consultation.respond_referral", Referral, referral_id)
    referral = services.referral_respond(
        actor=actor, referral=referral, move=move, reason=payload.reason, version=payload.version
    )
    return _agency_referral_out(referral)


@router.post("/referrals/{referral_id}/accept", response={200: s.AgencyReferralOut, **ERRORS})
def accept_referral(request, referral_id: int, payload: s.RespondIn):
    return _respond(request, referral_id, "accept", payload)


@router.post("/referrals/{referral_id}/decline", response={200: s.AgencyReferralOut, **ERRORS})
def decline_referral(request, referral_id: int, payload: s.RespondIn):
    """Decline, with the reason (required)."""
    return _respond(request, referral_id, "decline", payload)


@router.post("/referrals/{referral_id}/complete", response={200: s.AgencyReferralOut, **ERRORS})
def complete_referral(request, referral_id: int, payload: s.RespondIn):
    return _respond(request, referral_id, "complete", payload)


@router.post("/referrals/{referral_id}/report", response={201: s.ReportOut, **ERRORS})
def report_on_referral(request, referral_id: int, payload: s.ReportIn):
    """The agency reports back; the report lands on the case's timeline."""
    actor = _actor(request)
    referral = _visible(actor, "consultation.respond_referral", Referral, referral_id)
    report = services.referral_report(actor=actor, referral=referral, body=payload.body)
    return Status(201, s.ReportOut(id=report.pk, body=report.body, reported_at=report.reported_at))


@router.post("/referrals/{referral_id}/revoke", response={200: s.ReferralOut, **ERRORS})
def revoke_referral(request, referral_id: int, payload: s.RevokeIn):
    """The sender withdraws the referral; the agency loses access at once."""
    actor = _actor(request)
    referral = _visible(actor, "consultation.send_referral", Referral, referral_id)
    return _referral_out(
        services.referral_revoke(actor=actor, referral=referral, reason=payload.reason)
    )


# --- conferences ----------------------------------------------------------------------------


def _conference_out(actor: Actor, conference: Conference) -> s.ConferenceOut:
    cases = selectors.cases(actor).filter(conferences=conference).order_by("pk")
    tasks = policy.scope(
        actor, "consultation.view_task", Task.objects.filter(conference=conference)
    )
    return s.ConferenceOut(
        id=conference.pk,
        kind=conference.kind,
        held_at=conference.held_at,
        place=conference.place,
        attendee_ids=sorted(conference.attendees.values_list("pk", flat=True)),
        agency_ids=sorted(conference.agencies.values_list("pk", flat=True)),
        external_members=conference.external_members,
        summary=conference.summary,
        decisions=conference.decisions,
        confidentiality_confirmed=conference.confidentiality_confirmed,
        recorded_by_id=conference.recorded_by_id,
        cases=[s.CaseRefOut(id=c.pk, title=c.title) for c in cases],
        tasks=[_task_out(t) for t in tasks.order_by("due_on", "pk")],
    )


@router.post("/conferences", response={201: s.ConferenceOut, **ERRORS})
def record_conference(request, payload: s.ConferenceIn):
    """Record a meeting and turn its role assignments into tasks on the cases discussed."""
    actor = _actor(request)
    data = services.ConferenceInput(
        kind=payload.kind.value,
        held_at=payload.held_at,
        case_ids=payload.case_ids,
        place=payload.place,
        attendee_ids=payload.attendee_ids,
        agency_ids=payload.agency_ids,
        external_members=payload.external_members,
        summary=payload.summary,
        decisions=payload.decisions,
        confidentiality_confirmed=payload.confidentiality_confirmed,
        tasks=[
            (t.case_id, services.TaskInput(**t.dict(exclude={"case_id"}))) for t in payload.tasks
        ],
    )
    conference = services.conference_record(actor=actor, data=data)
    return Status(201, _conference_out(actor, conference))


@router.get("/conferences", response={200: s.ConferencePageOut, **ERRORS})
def list_conferences(request, query: Query[s.PageQuery]):
    """Meetings that discussed a case the reader may open, or that they recorded."""
    actor = _actor(request)
    policy.require(actor, "consultation.hold_conference")
    conferences = policy.scope(actor, "consultation.hold_conference", Conference.objects.all())
    count, rows = _page(conferences.order_by("-held_at", "-pk"), query)
    return {
        "count": count,
        "items": [
            s.ConferenceListOut(id=c.pk, kind=c.kind, held_at=c.held_at, place=c.place)
            for c in rows
        ],
    }


@router.get("/conferences/{conference_id}", response={200: s.ConferenceOut, **ERRORS})
def get_conference(request, conference_id: int):
    actor = _actor(request)
    conference = _visible(actor, "consultation.hold_conference", Conference, conference_id)
    audit_object(actor, Action.READ, conference)
    return _conference_out(actor, conference)
