"""Intake, persons and households, the worker's home page, passing a concern on, settings.

Views check the policy, read through selectors and write through services; every page that
shows a person, a case or a consultation records the read in the audit log.
"""

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.consultation import selectors, services
from sasaeai.consultation.forms import (
    AgencyForm,
    ConcernForm,
    ConcernTagForm,
    ConsentForm,
    ConsultationForm,
    DuplicateSearchForm,
    HouseholdForm,
    HouseholdMemberForm,
    PersonForm,
    PersonSearchForm,
    SettingsForm,
    SupervisionForm,
    TakeInForm,
)
from sasaeai.consultation.models import (
    Agency,
    CallAbout,
    Channel,
    ConcernTag,
    Consent,
    Consultation,
    ConsultationStatus,
    Household,
    HouseholdMember,
    Person,
    Relationship,
    Supervision,
)
from sasaeai.consultation.rules import DESK_ROLES
from sasaeai.core.errors import EditConflict
from sasaeai.core.forms import add_validation_errors
from sasaeai.core.models import Area, AreaKind

PAGE_SIZE = 30
# The home page shows this many rows of each list; the full lists have their own pages.
HOME_ROWS = 50
QUEUE_ROWS = 10

MATCH_REASONS = {
    "kana": gettext_lazy("kana"),
    "name": gettext_lazy("name"),
    "birth_date": gettext_lazy("date of birth"),
    "phone": gettext_lazy("telephone"),
    "address": gettext_lazy("address"),
}


def _require(request, permission: str) -> Actor:
    policy.require(request.actor, permission)
    return request.actor


def _is_desk(actor: Actor) -> bool:
    return policy.has_permission(actor, "consultation.record_consultation")


def _districts(tenant_id: int):
    return Area.objects.filter(tenant_id=tenant_id, kind=AreaKind.DISTRICT).defer("boundary")


def _own_areas(actor: Actor):
    """A commissioner chooses among their own districts; others among the city's."""
    if actor.area_ids:
        return Area.objects.filter(tenant_id=actor.tenant_id, pk__in=actor.area_ids).defer(
            "boundary"
        )
    return _districts(actor.tenant_id)


def _case_url(case) -> str:
    return reverse("consultation:case_detail", args=[case.pk])


# ---- the home page -------------------------------------------------------------------------


def home(request):
    actor = request.actor
    if _is_desk(actor):
        return _desk_home(request, actor)
    if policy.has_permission(actor, "consultation.pass_concern"):
        return _passer_home(request, actor)
    if policy.has_permission(actor, "consultation.manage_settings"):
        return render(request, "consultation/home.html", {"can_settings": True})
    raise PermissionDenied


def _no_contact_days(request, tenant_id: int) -> int:
    raw = request.GET.get("days", "")
    if raw.isdigit() and 1 <= int(raw) <= 365:
        return int(raw)
    return services.settings_for(tenant_id).no_contact_days


def _desk_home(request, actor: Actor):
    days = _no_contact_days(request, actor.tenant_id)
    my_cases = list(selectors.worker_cases(actor)[:HOME_ROWS])
    tasks = list(selectors.due_tasks(actor)[:HOME_ROWS])
    reviews = list(selectors.reviews_due(actor)[:HOME_ROWS])
    no_contact = list(selectors.no_contact_cases(actor, days=days)[:HOME_ROWS])
    queue = selectors.intake_queue(actor)
    queue_items = list(queue[:QUEUE_ROWS])
    by_channel = dict(queue.order_by().values_list("channel").annotate(n=Count("pk")))
    shown_cases = {c.pk: c for c in [*my_cases, *reviews, *no_contact, *(t.case for t in tasks)]}
    audit_reads(actor, list(shown_cases.values()), detail={"page": "consultation_home"})
    audit_reads(
        actor, queue_items, subject_of=lambda c: c.person, detail={"page": "consultation_home"}
    )
    channel_labels = dict(Channel.choices)
    return render(
        request,
        "consultation/home.html",
        {
            "desk": True,
            "today": timezone.localdate(),
            "my_cases": my_cases,
            "tasks": tasks,
            "reviews": reviews,
            "no_contact": no_contact,
            "no_contact_days": days,
            "queue_items": queue_items,
            "queue_count": sum(by_channel.values()),
            "queue_by_channel": [
                (channel_labels.get(k, k), n) for k, n in sorted(by_channel.items())
            ],
            "can_settings": policy.has_permission(actor, "consultation.manage_settings"),
        },
    )


def _passer_home(request, actor: Actor):
    """Commissioners and agencies see only that what they passed on was received."""
    page = Paginator(selectors.concerns_passed_on(actor), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "consultation/home.html",
        {
            "passer": True,
            "page": page,
            "is_agency_worker": actor.role == Role.AGENCY_WORKER,
        },
    )


# ---- intake --------------------------------------------------------------------------------


def _concern_tags(actor: Actor):
    services.concern_tags_ensure(actor.tenant_id)
    return policy.scope(
        actor, "consultation.record_consultation", ConcernTag.objects.filter(is_active=True)
    )


def consultation_new(request):
    actor = _require(request, "consultation.record_consultation")
    form = ConsultationForm(
        request.POST or None, areas=_districts(actor.tenant_id), concern_tags=_concern_tags(actor)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            consultation = services.consultation_record(
                actor=actor,
                data=services.ConsultationInput(
                    channel=data["channel"],
                    description=data["description"],
                    contact=data["contact"],
                    received_at=data["received_at"],
                    caller_name=data["caller_name"],
                    caller_relation=data["caller_relation"],
                    about=data["about"],
                    subject_name=data["subject_name"],
                    subject_name_kana=data["subject_name_kana"],
                    subject_address=data["subject_address"],
                    subject_phone=data["subject_phone"],
                    area_id=data["area"].pk if data["area"] else None,
                    concern_codes=list(data["concerns"]),
                    is_confidential=data["is_confidential"],
                ),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The consultation was recorded."))
            return redirect("consultation:intake_detail", pk=consultation.pk)
    return render(request, "consultation/intake_form.html", {"form": form})


def intake_list(request):
    actor = _require(request, "consultation.record_consultation")
    page = Paginator(selectors.intake_queue(actor), PAGE_SIZE).get_page(request.GET.get("page"))
    audit_reads(actor, list(page.object_list), subject_of=lambda c: c.person)
    return render(request, "consultation/intake_list.html", {"page": page})


def _consultation(actor: Actor, pk: int) -> Consultation:
    """A consultation of the desk's queue, or of a case the actor works on; 404 otherwise."""
    if not _is_desk(actor):
        raise PermissionDenied
    consultations = policy.scope(
        actor,
        "consultation.record_consultation",
        Consultation.objects.select_related("person", "area", "case", "received_by"),
    )
    return get_object_or_404(consultations, pk=pk)


def _linkable_person(actor: Actor, pk) -> Person | None:
    """A person the actor may open, or find with the duplicate search."""
    if not pk:
        return None
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        selectors.persons(actor).filter(pk=pk).first()
        or selectors.persons(actor, "consultation.search_person").filter(pk=pk).first()
    )


PHONE_LIKE = re.compile(r"[0-9０-９()（）+＋\-－‐ー ]{6,}")


def subject_terms(consultation: Consultation) -> dict[str, str]:
    """What the caller said of whom the call is about, as duplicate-search terms."""
    if consultation.about == CallAbout.SELF:
        terms = {"name": consultation.caller_name}
        if PHONE_LIKE.fullmatch(consultation.contact.strip()):
            terms["phone"] = consultation.contact.strip()
    else:
        terms = {
            "name": consultation.subject_name,
            "name_kana": consultation.subject_name_kana,
            "address": consultation.subject_address,
            "phone": consultation.subject_phone,
        }
    return {k: v for k, v in terms.items() if v}


def _duplicate_search(
    request, actor: Actor, consultation: Consultation
) -> tuple[DuplicateSearchForm, list, str]:
    """The duplicate search form, its candidates, and its terms for a 'new person' link.

    Before the desk searches, it searches for whom the caller said the call is about, so the
    'new person' link fills the person form with what was already typed at intake.
    """
    searched = any(request.GET.get(name) for name in DuplicateSearchForm.base_fields)
    data = request.GET if searched else None
    if data is None and consultation.status == ConsultationStatus.RECEIVED:
        data = subject_terms(consultation) or None
    form = DuplicateSearchForm(data)
    if not (data and form.is_valid() and form.has_terms()):
        return form, [], ""
    terms = {k: v for k, v in form.cleaned_data.items() if v}
    candidates = selectors.duplicate_candidates(actor, **terms)
    prefill = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in terms.items()}
    if consultation.area_id:
        prefill["area"] = consultation.area_id
    return form, candidates, urlencode(prefill)


def _candidate_rows(candidates) -> list[dict]:
    return [
        {
            "person": c.person,
            "score": c.score,
            "reasons": [(code, MATCH_REASONS.get(code, code)) for code in c.reasons],
        }
        for c in candidates
    ]


def intake_detail(request, pk: int):
    actor = request.actor
    consultation = _consultation(actor, pk)
    form, candidates, prefill = _duplicate_search(request, actor, consultation)
    context = {
        "consultation": consultation,
        "search_form": form,
        "candidates": _candidate_rows(candidates),
        "searched": bool(prefill),
        "prefill": prefill,
    }
    if request.htmx:
        return render(request, "consultation/_duplicates.html", context)
    return _intake_page(request, consultation, context)


def _intake_page(request, consultation: Consultation, context: dict, take_in_form=None):
    actor = request.actor
    audit_object(actor, Action.READ, consultation, subject=consultation.person)
    chosen = _linkable_person(actor, request.GET.get("person")) or consultation.person
    if chosen is not None and chosen != consultation.person:
        audit_object(actor, Action.READ, chosen, detail={"purpose": "intake_link"})
    cases = list(selectors.worker_cases(actor)[:HOME_ROWS])
    if take_in_form is None:
        take_in_form = TakeInForm(
            initial={
                "title": consultation.description[:40],
                "person": chosen.pk if chosen else None,
            },
            cases=cases,
        )
    case_url = ""
    if consultation.case_id and policy.can(actor, "consultation.view_case", consultation.case):
        case_url = _case_url(consultation.case)
    context.setdefault("search_form", DuplicateSearchForm())
    context.update(
        {
            "consultation": consultation,
            "chosen": chosen,
            "take_in_form": take_in_form,
            "has_cases": bool(cases),
            "is_open": consultation.status == ConsultationStatus.RECEIVED,
            "case_url": case_url,
        }
    )
    return render(request, "consultation/intake_detail.html", context)


@require_POST
def intake_take_in(request, pk: int):
    actor = request.actor
    consultation = _consultation(actor, pk)
    cases = list(selectors.worker_cases(actor)[:HOME_ROWS])
    form = TakeInForm(request.POST, cases=cases)
    if form.is_valid():
        person = _linkable_person(actor, form.cleaned_data["person"])
        existing = request.POST.get("mode") == "existing"
        case = next((c for c in cases if str(c.pk) == form.cleaned_data["case"]), None)
        if existing and case is None:
            form.add_error("case", _("Choose the case to add the consultation to."))
        else:
            try:
                case = _take_in(
                    actor,
                    consultation,
                    case if existing else None,
                    form.cleaned_data["title"],
                    person,
                )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("The consultation was taken in."))
                return redirect(_case_url(case))
    return _intake_page(request, consultation, {}, take_in_form=form)


def _take_in(actor: Actor, consultation: Consultation, case, title: str, person: Person | None):
    """Open a new case (case None) or add to an existing one, which the person then joins."""
    with transaction.atomic():
        taken_into = services.consultation_take_in(
            actor=actor, consultation=consultation, case=case, title=title, person=person
        )
        if case is not None and person is not None:
            services.case_add_person(actor=actor, case=case, person=person)
    return taken_into


@require_POST
def intake_answer(request, pk: int):
    actor = request.actor
    consultation = _consultation(actor, pk)
    try:
        services.consultation_answer(actor=actor, consultation=consultation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("consultation:intake_detail", pk=pk)
    messages.success(request, _("Recorded as answered without a case."))
    return redirect("consultation:intake_list")


# ---- passing a concern on ------------------------------------------------------------------


def concern_pass_on(request):
    actor = _require(request, "consultation.pass_concern")
    if _is_desk(actor):
        return redirect("consultation:consultation_new")
    form = ConcernForm(request.POST or None, areas=_own_areas(actor))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agency = Agency.objects.filter(
            tenant_id=actor.tenant_id, members=actor.user_id, is_active=True
        ).first()
        try:
            consultation = services.consultation_record(
                actor=actor,
                data=services.ConsultationInput(
                    channel=Channel.OTHER,  # the service sets the channel for those passing on
                    description=data["description"],
                    contact=data["contact"],
                    area_id=data["area"].pk if data["area"] else None,
                    referred_by_agency_id=agency.pk if agency else None,
                ),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            return redirect("consultation:concern_done", pk=consultation.pk)
    return render(request, "consultation/concern_form.html", {"form": form})


def concern_done(request, pk: int):
    actor = _require(request, "consultation.pass_concern")
    concern = get_object_or_404(selectors.concerns_passed_on(actor), pk=pk)
    return render(request, "consultation/concern_done.html", {"concern": concern})


# ---- persons -------------------------------------------------------------------------------


def person_search(request):
    actor = _require(request, "consultation.search_person")
    form = PersonSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = selectors.person_search(actor, query, limit=500) if query else Person.objects.none()
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_reads(actor, list(page.object_list), detail={"purpose": "person_search"})
    return render(
        request, "consultation/person_list.html", {"form": form, "page": page, "query": query}
    )


PREFILL_FIELDS = ("name", "name_kana", "birth_date", "address", "phone", "area", "intake")


def person_new(request):
    actor = _require(request, "consultation.record_consultation")
    initial = {k: request.GET[k] for k in PREFILL_FIELDS if request.GET.get(k)}
    form = PersonForm(request.POST or None, initial=initial, areas=_districts(actor.tenant_id))
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_save(
                actor=actor, data=services.PersonInput(**form.person_values())
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The person was recorded."))
            intake = form.cleaned_data["intake"]
            if intake:
                url = reverse("consultation:intake_detail", args=[intake])
                return redirect(f"{url}?person={person.pk}")
            return redirect("consultation:person_detail", pk=person.pk)
    return render(request, "consultation/person_form.html", {"form": form})


def person_detail(request, pk: int):
    person = selectors.person_for_page(request.actor, pk)
    return _person_page(request, person)


def _person_page(request, person: Person, *, consent_form=None):
    actor = request.actor
    can_manage = policy.can(actor, "consultation.manage_person", person)
    members = policy.scope(actor, "consultation.view_person", HouseholdMember.objects.all())
    households = []
    for membership in members.filter(person=person).select_related("household"):
        others = list(members.filter(household_id=membership.household_id).select_related("person"))
        households.append(
            {"membership": membership, "household": membership.household, "members": others}
        )
    relatives = {m.person for h in households for m in h["members"] if m.person_id != person.pk}
    audit_reads(actor, list(relatives), detail={"purpose": "household_of", "person": person.pk})
    consents = policy.scope(
        actor, "consultation.view_person", Consent.objects.filter(person=person)
    )
    if consent_form is None and can_manage:
        consent_form = ConsentForm(agencies=_agencies(actor))
    return render(
        request,
        "consultation/person_detail.html",
        {
            "person": person,
            "households": households,
            "cases": selectors.cases(actor).filter(person_links__person=person).distinct(),
            "consultations": policy.scope(
                actor, "consultation.record_consultation", person.consultations.all()
            )[:20],
            "consents": consents.select_related("agency", "recorded_by"),
            "consent_form": consent_form,
            "can_manage": can_manage,
            "can_export": policy.can(actor, "consultation.export_disclosure", person),
        },
    )


def _agencies(actor: Actor):
    return policy.scope(actor, "consultation.view_person", Agency.objects.filter(is_active=True))


def _person_to_change(actor: Actor, pk: int) -> Person:
    person = get_object_or_404(selectors.persons(actor), pk=pk)
    policy.require(actor, "consultation.manage_person", person)
    return person


@require_POST
def consent_add(request, pk: int):
    actor = request.actor
    person = _person_to_change(actor, pk)
    form = ConsentForm(request.POST, agencies=_agencies(actor))
    if form.is_valid():
        try:
            services.consent_record(actor=actor, person=person, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The consent was recorded."))
            return redirect("consultation:person_detail", pk=person.pk)
    audit_object(actor, Action.READ, person)
    return _person_page(request, person, consent_form=form)


@require_POST
def consent_withdraw(request, pk: int, consent_pk: int):
    actor = request.actor
    person = _person_to_change(actor, pk)
    consents = policy.scope(
        actor, "consultation.manage_person", Consent.objects.filter(person=person)
    )
    consent = get_object_or_404(consents, pk=consent_pk, withdrawn_on__isnull=True)
    try:
        services.consent_withdraw(actor=actor, consent=consent)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("The consent was withdrawn; referrals relying on it were ended.")
        )
    return redirect("consultation:person_detail", pk=person.pk)


def _person_initial(person: Person) -> dict:
    names = ("name", "name_kana", "birth_date", "sex", "postal_code", "address", "area", "phone",
             "email", "language", "flags", "note", "is_confidential", "version")  # fmt: skip
    return {name: getattr(person, name) for name in names}


def person_edit(request, pk: int):
    actor = request.actor
    person = selectors.person_for_page(actor, pk)
    policy.require(actor, "consultation.manage_person", person)
    form = PersonForm(
        request.POST or None, initial=_person_initial(person), areas=_districts(actor.tenant_id)
    )
    form.fields["version"].required = True
    conflict = False
    if request.method == "POST" and form.is_valid():
        try:
            services.person_save(
                actor=actor,
                data=services.PersonInput(**form.person_values()),
                person=person,
                version=form.cleaned_data["version"],
            )
        except EditConflict as error:
            # Keep what the user typed so they can compare it with the saved record.
            conflict = True
            add_validation_errors(form, error)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("consultation:person_detail", pk=person.pk)
    return render(
        request,
        "consultation/person_form.html",
        {"form": form, "person": person, "conflict": conflict},
    )


# ---- households ----------------------------------------------------------------------------


def household_new(request):
    actor = _require(request, "consultation.manage_person")
    first = _linkable_person(actor, request.GET.get("person") or request.POST.get("person"))
    initial = {"address": first.address, "area": first.area} if first else {}
    form = HouseholdForm(request.POST or None, initial=initial, areas=_districts(actor.tenant_id))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                household = services.household_create(
                    actor=actor, name=data["name"], address=data["address"],
                    area_id=data["area"].pk if data["area"] else None,
                )  # fmt: skip
                if first is not None:
                    services.household_add_member(
                        actor=actor,
                        household=household,
                        person=first,
                        relationship=Relationship.HEAD,
                    )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The household was recorded."))
            return redirect("consultation:household_detail", pk=household.pk)
    return render(request, "consultation/household_form.html", {"form": form, "first": first})


def _household(actor: Actor, pk: int) -> Household:
    households = policy.scope(
        actor, "consultation.view_person", Household.objects.select_related("area")
    )
    return get_object_or_404(households, pk=pk)


def household_detail(request, pk: int, *, add_form=None):
    actor = request.actor
    household = _household(actor, pk)
    audit_object(actor, Action.READ, household)
    all_members = policy.scope(actor, "consultation.view_person", household.members.all())
    # Only members whose own page the actor may open are named (as on the case page): a
    # member known only from a confidential or another team's case is counted, not shown.
    members = list(
        all_members.filter(person__in=selectors.persons(actor).values("pk"))
        .select_related("person")
        .order_by("pk")
    )
    hidden_members = all_members.count() - len(members)
    audit_reads(actor, [m.person for m in members], detail={"household": household.pk})
    search_form = PersonSearchForm(request.GET or None)
    query = search_form.cleaned_data["q"] if search_form.is_valid() else ""
    results = []
    if query:
        member_ids = {m.person_id for m in members}
        results = [
            p for p in selectors.person_search(actor, query, limit=20) if p.pk not in member_ids
        ]
        audit_reads(actor, results, detail={"purpose": "household_member_search"})
    return render(
        request,
        "consultation/household_detail.html",
        {
            "household": household,
            "members": members,
            "hidden_members": hidden_members,
            "search_form": search_form,
            "query": query,
            "results": results,
            "add_form": add_form or HouseholdMemberForm(),
            "relationships": Relationship.choices,
            "can_manage": policy.has_permission(actor, "consultation.manage_person"),
        },
    )


@require_POST
def household_add_member(request, pk: int):
    actor = _require(request, "consultation.manage_person")
    household = _household(actor, pk)
    form = HouseholdMemberForm(request.POST)
    if form.is_valid():
        person = _linkable_person(actor, form.cleaned_data["person"])
        if person is None:
            form.add_error(None, _("Not found in this municipality."))
        else:
            try:
                services.household_add_member(
                    actor=actor, household=household, person=person,
                    relationship=form.cleaned_data["relationship"],
                    lives_together=form.cleaned_data["lives_together"],
                )  # fmt: skip
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("The member was added."))
                return redirect("consultation:household_detail", pk=household.pk)
    return household_detail(request, pk, add_form=form)


# ---- settings ------------------------------------------------------------------------------


def _users_with_roles(tenant_id: int, roles):
    memberships = Membership.objects.active().filter(
        tenant_id=tenant_id, role__in=[r.value for r in roles]
    )
    return (
        get_user_model().objects.filter(pk__in=memberships.values("user_id")).order_by("username")
    )


class _SettingsPage:
    """The settings page's four forms; only the one posted is bound."""

    def __init__(self, request, actor: Actor):
        self.request, self.actor = request, actor
        posted = request.POST.get("action") if request.method == "POST" else None
        self.posted = posted
        data = request.POST
        current = services.settings_for(actor.tenant_id)
        self.settings_form = SettingsForm(
            data if posted == "settings" else None,
            initial={
                "retention_years": current.retention_years,
                "no_contact_days": current.no_contact_days,
            },
        )
        self.tag_form = ConcernTagForm(data if posted == "tag" else None)
        self.tag_add_form = ConcernTagForm(data if posted == "tag_add" else None)
        self.agencies = policy.scope(actor, "consultation.manage_settings", Agency.objects.all())
        editing = self._agency_being_edited()
        self.agency_form = AgencyForm(
            data if posted == "agency" else None,
            initial=self._agency_initial(editing),
            agency_workers=_users_with_roles(actor.tenant_id, [Role.AGENCY_WORKER]),
        )
        desk_users = _users_with_roles(actor.tenant_id, DESK_ROLES)
        self.supervision_form = SupervisionForm(
            data if posted == "supervision" else None,
            initial=self._supervision_initial(),
            supervisors=desk_users,
            workers=desk_users,
        )

    def _agency_being_edited(self):
        raw = self.request.GET.get("agency", "")
        return get_object_or_404(self.agencies, pk=raw) if raw.isdigit() else None

    @staticmethod
    def _agency_initial(agency) -> dict:
        if agency is None:
            return {}
        return {"agency": agency.pk, "name": agency.name, "kind": agency.kind, "phone": agency.phone,
                "members": list(agency.members.all())}  # fmt: skip

    def _supervision_initial(self) -> dict:
        raw = self.request.GET.get("supervisor", "")
        if not raw.isdigit():
            return {}
        workers = self._supervisions().filter(supervisor_id=raw).values_list("worker_id", flat=True)
        return {"supervisor": int(raw), "workers": list(workers)}

    def _supervisions(self):
        return policy.scope(self.actor, "consultation.manage_settings", Supervision.objects.all())

    def save(self) -> bool:
        handler = {
            "settings": (self.settings_form, self._save_settings),
            "tag": (self.tag_form, self._save_tag),
            "tag_add": (self.tag_add_form, self._add_tag),
            "agency": (self.agency_form, self._save_agency),
            "supervision": (self.supervision_form, self._save_supervision),
        }.get(self.posted)
        if handler is None:
            return False
        form, save = handler
        if not form.is_valid():
            return False
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
            return False
        return True

    def _save_settings(self, data):
        services.settings_update(actor=self.actor, **data)

    def _save_tag(self, data):
        services.concern_tag_save(actor=self.actor, **data)

    def _add_tag(self, data):
        if ConcernTag.objects.filter(tenant_id=self.actor.tenant_id, code=data["code"]).exists():
            raise ValidationError({"code": _("This code is already used.")})
        services.concern_tag_save(actor=self.actor, **data)

    def _save_agency(self, data):
        agency = get_object_or_404(self.agencies, pk=data["agency"]) if data["agency"] else None
        services.agency_save(
            actor=self.actor, name=data["name"], kind=data["kind"], phone=data["phone"],
            member_ids=[u.pk for u in data["members"]], agency=agency,
        )  # fmt: skip

    def _save_supervision(self, data):
        services.supervision_set(
            actor=self.actor,
            supervisor_id=data["supervisor"].pk,
            worker_ids=[u.pk for u in data["workers"]],
        )

    def context(self) -> dict:
        supervisions = {}
        for row in (
            self._supervisions()
            .select_related("supervisor", "worker")
            .order_by("supervisor_id", "worker_id")
        ):
            supervisions.setdefault(row.supervisor, []).append(row.worker)
        return {
            "settings_form": self.settings_form,
            "tag_form": self.tag_form,
            "tag_add_form": self.tag_add_form,
            "tags": policy.scope(
                self.actor, "consultation.manage_settings", ConcernTag.objects.all()
            ),
            "agencies": self.agencies.prefetch_related("members"),
            "agency_form": self.agency_form,
            "supervision_form": self.supervision_form,
            "supervisions": list(supervisions.items()),
            "posted": self.posted,
        }


def settings(request):
    actor = _require(request, "consultation.manage_settings")
    services.concern_tags_ensure(actor.tenant_id)
    page = _SettingsPage(request, actor)
    if page.save():
        messages.success(request, _("Saved."))
        return redirect("consultation:settings")
    return render(request, "consultation/settings.html", page.context())


urlpatterns = [
    path("intake/", intake_list, name="intake_list"),
    path("intake/new/", consultation_new, name="consultation_new"),
    path("intake/<int:pk>/", intake_detail, name="intake_detail"),
    path("intake/<int:pk>/take-in/", intake_take_in, name="intake_take_in"),
    path("intake/<int:pk>/answer/", intake_answer, name="intake_answer"),
    path("concerns/new/", concern_pass_on, name="concern_pass_on"),
    path("concerns/<int:pk>/", concern_done, name="concern_done"),
    path("persons/", person_search, name="person_search"),
    path("persons/new/", person_new, name="person_new"),
    path("persons/<int:pk>/", person_detail, name="person_detail"),
    path("persons/<int:pk>/edit/", person_edit, name="person_edit"),
    path("persons/<int:pk>/consents/new/", consent_add, name="consent_add"),
    path(
        "persons/<int:pk>/consents/<int:consent_pk>/withdraw/",
        consent_withdraw,
        name="consent_withdraw",
    ),
    path("households/new/", household_new, name="household_new"),
    path("households/<int:pk>/", household_detail, name="household_detail"),
    path("households/<int:pk>/members/", household_add_member, name="household_add_member"),
    path("settings/", settings, name="settings"),
]
