"""The case page and its parts: timeline, team, plan and tasks, referrals, conferences.

Also the agency side of a referral. Views are thin: every write goes through `services`,
every read through `selectors` or `policy.scope`, and each page that shows a case or a
person is audited. A row the actor may not see is a 404, whatever the URL.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.consultation import case_forms as forms
from sasaeai.consultation import selectors, services
from sasaeai.consultation.forms import ConsentForm
from sasaeai.consultation.models import (
    CASE_TRANSITIONS,
    Agency,
    CaseAssignment,
    CasePerson,
    CasePersonRole,
    CaseStatus,
    Conference,
    ConferenceKind,
    HouseholdMember,
    Referral,
    ReferralStatus,
    Task,
    TaskStatus,
)
from sasaeai.consultation.templatetags.consultation_tags import age_on
from sasaeai.core.forms import add_validation_errors

PAGE_SIZE = 30


def _case_url(case, anchor: str = "") -> str:
    return reverse("consultation:case_detail", args=[case.pk]) + (f"#{anchor}" if anchor else "")


def _case_for(actor, pk: int, permission: str = "consultation.manage_case"):
    """A case the actor may act on under `permission`, or 404; writes audit themselves."""
    return get_object_or_404(selectors.cases(actor, permission), pk=pk)


# ---- the case list -------------------------------------------------------------------------


def _filtered_cases(actor, data: dict):
    qs = selectors.cases(actor)
    status = data.get("status") or forms.CaseFilterForm.OPEN
    if status == forms.CaseFilterForm.OPEN:
        qs = qs.exclude(status=CaseStatus.CLOSED)
    elif status != forms.CaseFilterForm.ALL:
        qs = qs.filter(status=status)
    if data.get("urgency"):
        qs = qs.filter(urgency=data["urgency"])
    if data.get("concern"):
        qs = qs.filter(concerns__code=data["concern"])
    if data.get("mine"):
        on_team = CaseAssignment.objects.filter(
            case=OuterRef("pk"), user_id=actor.user_id, ended_at__isnull=True
        )
        qs = qs.filter(Exists(on_team))
    return qs


def case_list(request):
    """支援ケース一覧: the cases the actor may see, with their open and overdue tasks."""
    actor = request.actor
    policy.require(actor, "consultation.view_case")
    form = forms.CaseFilterForm(request.GET or None, tenant_id=actor.tenant_id)
    data = form.cleaned_data if form.is_valid() else {}
    primary = CasePerson.objects.filter(role=CasePersonRole.PRIMARY).select_related("person")
    qs = (
        selectors.open_task_counts(_filtered_cases(actor, data), timezone.localdate())
        .annotate(urgency_rank=selectors.URGENCY_RANK)
        .order_by("urgency_rank", "-opened_on", "-pk")
        .prefetch_related("concerns", Prefetch("person_links", primary, to_attr="primary_links"))
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = [link.person for case in page for link in case.primary_links]
    audit_reads(actor, shown, detail={"purpose": "case_list"})
    return render(request, "consultation/case_list.html", {
        "form": form, "page": page,
        "can_confer": policy.has_permission(actor, "consultation.hold_conference"),
    })  # fmt: skip


# ---- the case page -------------------------------------------------------------------------


def _transitions(case) -> list[tuple[str, str]]:
    """The buttons of the workflow, in the order of the statuses."""
    allowed = CASE_TRANSITIONS[CaseStatus(case.status)]
    buttons = []
    for status in CaseStatus:
        if status not in allowed:
            continue
        if status == CaseStatus.CLOSED:
            label = _("Close the case")
        elif case.status == CaseStatus.CLOSED:
            label = _("Reopen the case")
        else:
            label = _("Move to: %(status)s") % {"status": status.label}
        buttons.append((status.value, label))
    return buttons


def _persons(actor, case, today):
    """The persons on the case with their age and household relationships."""
    links = sorted(
        case.person_links.select_related("person"),
        key=lambda link: (
            link.role != CasePersonRole.PRIMARY,
            link.person.name_kana,
            link.person_id,
        ),
    )
    visible = set(
        selectors.persons(actor).filter(case_links__case=case).values_list("pk", flat=True)
    )
    persons = []
    for link in links:
        if link.person_id not in visible:
            continue
        person = link.person
        person.case_role = link.get_role_display()
        person.age = age_on(person.birth_date, today)
        person.households = list(person.memberships.select_related("household"))
        persons.append(person)
    return persons


def _household(actor, case, today):
    """The case's household; only members the actor may see are named, the rest counted."""
    if case.household_id is None:
        return None, [], 0
    members = list(
        HouseholdMember.objects.filter(household_id=case.household_id).select_related("person")
    )
    visible = set(
        selectors.persons(actor)
        .filter(pk__in=[m.person_id for m in members])
        .values_list("pk", flat=True)
    )
    shown = [m for m in members if m.person_id in visible]
    for member in shown:
        member.age = age_on(member.person.birth_date, today)
    return case.household, shown, len(members) - len(shown)


def _case_lists(actor, case) -> dict:
    tasks = policy.scope(actor, "consultation.view_task", case.tasks.all()).select_related(
        "assignee", "assignee_agency", "conference"
    )
    referrals = (
        policy.scope(actor, "consultation.view_referral", case.referrals.all())
        .select_related("agency", "person", "consent", "sent_by", "override_by")
        .prefetch_related("reports")
    )
    return {
        "open_tasks": [t for t in tasks if t.status == TaskStatus.OPEN],
        "closed_tasks": [t for t in tasks if t.status != TaskStatus.OPEN],
        "referrals": referrals,
        "conferences": policy.scope(actor, "consultation.view_case", case.conferences.all()),
        "team": case.assignments.filter(ended_at__isnull=True).select_related("user"),
        "assignments": case.assignments.select_related("user", "assigned_by"),
        "grants": case.access_grants.select_related("user") if case.is_confidential else [],
        "goals": case.goals.all(),
        "timeline": selectors.case_timeline(case),
        "minutes": selectors.activity_minutes(case),
    }


def _case_forms(actor, case) -> dict:
    named = [g.user_id for g in case.access_grants.all()]
    return {
        "transition_form": forms.TransitionForm(
            actor=actor, case=case, initial={"version": case.version}
        ),
        "assign_form": forms.AssignForm(actor=actor, case=case),
        "person_form": forms.CasePersonForm(actor=actor, case=case),
        "confidential_form": forms.ConfidentialForm(
            actor=actor, case=case, initial={"confidential": case.is_confidential, "named": named}
        ),
        "activity_form": forms.ActivityForm(actor=actor, case=case),
        "task_form": forms.TaskForm(actor=actor, case=case),
        "referral_form": forms.ReferralForm(actor=actor, case=case),
    }


def _case_page(request, case, *, audit_case: bool, **bound_forms):
    """Render the case page; a POST that failed passes its bound form to show the errors."""
    actor, today = request.actor, timezone.localdate()
    if audit_case:
        audit_object(actor, Action.READ, case)
    persons = _persons(actor, case, today)
    household, household_members, hidden_members = _household(actor, case, today)
    shown = {p.pk: p for p in persons} | {m.person_id: m.person for m in household_members}
    audit_reads(actor, list(shown.values()), detail={"case": case.pk})
    context = {
        "case": case,
        "today": today,
        "transitions": _transitions(case),
        "persons": persons,
        "household": household,
        "household_members": household_members,
        "hidden_members": hidden_members,
        "can_manage": policy.can(actor, "consultation.manage_case", case),
        "can_refer": policy.can(actor, "consultation.send_referral", case),
        "can_confer": policy.has_permission(actor, "consultation.hold_conference"),
        **_case_lists(actor, case),
        **_case_forms(actor, case),
        **bound_forms,
    }
    return render(request, "consultation/case_detail.html", context)


def case_detail(request, pk):
    case = selectors.case_for_page(request.actor, pk)
    return _case_page(request, case, audit_case=False)


def _post_on_case(request, pk, form_class, form_name, action, *, done, anchor="", rename=None,
                  permission="consultation.manage_case"):  # fmt: skip
    """The pattern of the case page's small forms: valid and saved → back to the page with a
    message; refused → the page again with the form, its input and the service's errors."""
    actor = request.actor
    case = _case_for(actor, pk, permission)
    form = form_class(request.POST, actor=actor, case=case)
    if form.is_valid():
        try:
            action(actor, case, form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error, rename)
            case.refresh_from_db()
        else:
            messages.success(request, done)
            if not policy.can(actor, "consultation.view_case", case):
                # Handing the case over (or naming others only) ends the actor's own access.
                return redirect("consultation:case_list")
            return redirect(_case_url(case, anchor))
    return _case_page(request, case, audit_case=True, **{form_name: form})


@require_POST
def case_transition(request, pk):
    def action(actor, case, data):
        services.case_transition(actor=actor, case=case, to_status=data["to_status"],
                                 version=data["version"], note=data["note"])  # fmt: skip

    return _post_on_case(request, pk, forms.TransitionForm, "transition_form", action,
                         done=_("The status was changed."), rename={"status": "to_status"})  # fmt: skip


@require_POST
def case_assign(request, pk):
    def action(actor, case, data):
        services.case_assign(actor=actor, case=case, user_id=data["user"].pk, role=data["role"])

    return _post_on_case(request, pk, forms.AssignForm, "assign_form", action,
                         done=_("The team was changed."), anchor="team", rename={"user_id": "user"})  # fmt: skip


@require_POST
def case_unassign(request, pk):
    def action(actor, case, data):
        services.case_unassign(actor=actor, case=case, user_id=data["user"].pk)

    return _post_on_case(request, pk, forms.UnassignForm, "unassign_form", action,
                         done=_("The team was changed."), anchor="team")  # fmt: skip


@require_POST
def case_person_add(request, pk):
    def action(actor, case, data):
        services.case_add_person(actor=actor, case=case, person=data["person"])

    return _post_on_case(request, pk, forms.CasePersonForm, "person_form", action,
                         done=_("The person was added to the case."), anchor="persons")  # fmt: skip


@require_POST
def case_confidential(request, pk):
    def action(actor, case, data):
        services.case_set_confidential(
            actor=actor, case=case, confidential=data["confidential"],
            named_user_ids=[user.pk for user in data["named"]],
        )  # fmt: skip

    return _post_on_case(request, pk, forms.ConfidentialForm, "confidential_form", action,
                         done=_("Who may see the case was changed."), anchor="team",
                         rename={"named_user_ids": "named"})  # fmt: skip


@require_POST
def activity_new(request, pk):
    def action(actor, case, data):
        services.activity_record(
            actor=actor, case=case, kind=data["kind"], summary=data["summary"],
            occurred_at=data["occurred_at"], minutes=data["minutes"], is_outreach=data["is_outreach"],
        )  # fmt: skip

    return _post_on_case(request, pk, forms.ActivityForm, "activity_form", action,
                         done=_("The activity was recorded."), anchor="timeline")  # fmt: skip


@require_POST
def task_new(request, pk):
    def action(actor, case, data):
        task = services.TaskInput(
            title=data["title"], due_on=data["due_on"],
            assignee_id=data["assignee"].pk if data["assignee"] else None,
            assignee_agency_id=data["assignee_agency"].pk if data["assignee_agency"] else None,
        )  # fmt: skip
        services.task_create(actor=actor, case=case, data=task)

    return _post_on_case(request, pk, forms.TaskForm, "task_form", action,
                         done=_("The task was added."), anchor="tasks",
                         rename={"assignee_id": "assignee", "assignee_agency_id": "assignee_agency"})  # fmt: skip


def case_edit(request, pk):
    """The case's own fields and the assessment; an edit started from an old version is
    refused (EditConflict) and the editor's input is shown again, not lost."""
    actor = request.actor
    case = selectors.case_for_page(actor, pk)
    policy.require(actor, "consultation.manage_case", case)
    form = forms.CaseEditForm(
        request.POST or None, actor=actor, case=case, initial=forms.CaseEditForm.initial_for(case)
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version, codes = data.pop("version"), data.pop("concerns")
        try:
            services.case_update(
                actor=actor, case=case, version=version, concern_codes=codes, **data
            )
        except ValidationError as error:
            add_validation_errors(form, error)
            case.refresh_from_db()
        else:
            messages.success(request, _("Saved."))
            return redirect(_case_url(case))
    return render(request, "consultation/case_edit.html", {"case": case, "form": form})


def case_goals(request, pk):
    """The support plan: its goals (rewritten as a whole) and the next review date."""
    actor = request.actor
    case = selectors.case_for_page(actor, pk)
    policy.require(actor, "consultation.manage_case", case)
    initial = [{"text": g.text, "is_achieved": g.is_achieved} for g in case.goals.all()]
    goals = forms.GoalFormSet(request.POST or None, prefix="goals", initial=initial)
    review = forms.ReviewForm(request.POST or None, initial={"next_review_on": case.next_review_on})
    if request.method == "POST" and goals.is_valid() and review.is_valid():
        rows = [(row["text"], row["is_achieved"]) for row in goals.cleaned_data if row.get("text")]
        try:
            services.goals_set(actor=actor, case=case, goals=rows,
                               next_review_on=review.cleaned_data["next_review_on"])  # fmt: skip
        except ValidationError as error:
            add_validation_errors(review, error)
        else:
            messages.success(request, _("The support plan was saved."))
            return redirect(_case_url(case, "plan"))
    return render(
        request, "consultation/case_goals.html", {"case": case, "goals": goals, "review": review}
    )


# ---- tasks ---------------------------------------------------------------------------------


def _safe_next(request) -> str | None:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@require_POST
def task_done(request, pk):
    """Mark a task done: by the case team, or by the agency it was given to."""
    actor = request.actor
    task = get_object_or_404(
        policy.scope(actor, "consultation.view_task", Task.objects.all()), pk=pk
    )
    try:
        services.task_complete(actor=actor, task=task)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The task was marked done."))
    if target := _safe_next(request):
        return redirect(target)
    if actor.role == Role.AGENCY_WORKER:
        return redirect("consultation:agency_inbox")
    return redirect(_case_url(task.case, "tasks"))


# ---- referrals (the sending side) ----------------------------------------------------------


def _send_referral(actor, case, data) -> Referral:
    return services.referral_send(
        actor=actor, case=case, agency=data["agency"], request=data["request"], person=data["person"],
        shared_summary=data["shared_summary"], shares_personal_data=data["shares_personal_data"],
        consent=data["consent"], override_reason=data.get("override_reason", ""),
    )  # fmt: skip


def referral_new(request, pk):
    """Refer the case, or the part about one person, to an agency. Sharing the person's data
    needs their consent; only a supervisor is offered the override, with a written reason.
    Refused for want of consent, the form offers to record it there and then (`referral_consent`)."""
    actor = request.actor
    case = _case_for(actor, pk, "consultation.send_referral")
    form = forms.ReferralForm(request.POST or None, actor=actor, case=case)
    consent_form = None
    if request.method == "POST" and form.is_valid():
        try:
            _send_referral(actor, case, form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
            if form.has_error("consent", "consent_required"):
                consent_form = _inline_consent_form(actor, agency=form.cleaned_data["agency"])
        else:
            messages.success(request, _("The referral was sent."))
            return redirect(_case_url(case, "referrals"))
    audit_object(actor, Action.READ, case, detail={"page": "referral_new"})
    return render(request, "consultation/referral_form.html", {
        "case": case, "form": form, "consent_form": consent_form,
    })  # fmt: skip


def _inline_consent_form(actor, data=None, *, agency=None) -> ConsentForm:
    """The consent fields inside the referral form: prefixed, and never `required` in the
    browser, which would stop the referral itself from being sent."""
    agencies = policy.scope(
        actor, "consultation.view_person", Agency.objects.filter(is_active=True)
    )
    initial = {"agency": agency.pk} if agency else {}
    form = ConsentForm(data, prefix="consent", agencies=agencies, initial=initial)
    form.use_required_attribute = False
    return form


def _typed(form) -> dict:
    """What was typed on a referral form, as the initial values of a fresh one (no errors)."""
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    return {name: cleaned.get(name, form.data.get(name)) for name in form.fields}


@require_POST
def referral_consent(request, pk):
    """Record the consent of the person chosen on the referral form, without leaving it.

    The referral form comes back with everything typed in it and the new consent chosen, so
    the referral is sent next with one more click; nothing is sent from here. An htmx request
    gets the form alone, a plain one the whole page.
    """
    actor = request.actor
    case = _case_for(actor, pk, "consultation.send_referral")
    typed = forms.ReferralForm(request.POST, actor=actor, case=case)
    consent_form = _inline_consent_form(actor, request.POST)
    typed.is_valid()  # only the person matters here; the rest is checked when it is sent
    person = typed.cleaned_data.get("person")
    consent = None
    if person is None:
        if not typed.has_error("person"):
            typed.add_error("person", _("Choose whose consent is recorded."))
        form = typed
    else:
        form = forms.ReferralForm(initial=_typed(typed), actor=actor, case=case)
        if consent_form.is_valid():
            try:
                consent = services.consent_record(
                    actor=actor, person=person, **consent_form.cleaned_data
                )
            except ValidationError as error:
                add_validation_errors(consent_form, error)
        if consent is not None:
            form.initial["consent"] = consent
            consent_form = None
    audit_object(actor, Action.READ, case, detail={"page": "referral_consent"})
    context = {
        "case": case,
        "form": form,
        "consent_form": consent_form,
        "consent_recorded": consent,
    }
    template = (
        "consultation/referral_fields.html" if request.htmx else "consultation/referral_form.html"
    )
    return render(request, template, context)


@require_POST
def referral_revoke(request, pk):
    actor = request.actor
    referral = get_object_or_404(
        policy.scope(actor, "consultation.send_referral", Referral.objects.all()), pk=pk
    )
    form = forms.RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.referral_revoke(actor=actor, referral=referral, reason=reason)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The referral was revoked; the agency no longer sees it."))
    return redirect(_case_url(referral.case, "referrals"))


# ---- conferences ---------------------------------------------------------------------------


def _conference_input(form, tasks) -> services.ConferenceInput:
    data = form.cleaned_data
    rows = [row.cleaned_data for row in tasks if not row.is_blank]
    return services.ConferenceInput(
        kind=data["kind"], held_at=data["held_at"], case_ids=[c.pk for c in data["cases"]],
        place=data["place"], attendee_ids=[u.pk for u in data["attendees"]],
        agency_ids=[a.pk for a in data["agencies"]], external_members=data["external_members"],
        summary=data["summary"], decisions=data["decisions"],
        confidentiality_confirmed=data["confidentiality_confirmed"],
        tasks=[(row["case"].pk, services.TaskInput(
            title=row["title"], due_on=row["due_on"],
            assignee_id=row["assignee"].pk if row["assignee"] else None,
            assignee_agency_id=row["assignee_agency"].pk if row["assignee_agency"] else None,
        )) for row in rows],
    )  # fmt: skip


CONFERENCE_RENAME = {"case_ids": "cases", "attendee_ids": "attendees", "agency_ids": "agencies"}


def conference_new(request):
    """Record a 支援会議 or 重層的支援会議; its role assignments become tasks on the cases."""
    actor = request.actor
    policy.require(actor, "consultation.hold_conference")
    cases = selectors.cases(actor, "consultation.manage_case").exclude(status=CaseStatus.CLOSED)
    initial = {}
    if request.GET.get("case", "").isdigit():
        initial["cases"] = list(cases.filter(pk=int(request.GET["case"])))
    kwargs = {"tenant_id": actor.tenant_id, "cases": cases}
    form = forms.ConferenceForm(request.POST or None, initial=initial, **kwargs)
    tasks = forms.ConferenceTaskFormSet(request.POST or None, prefix="tasks", form_kwargs=kwargs)
    if request.method == "POST" and form.is_valid() and tasks.is_valid():
        try:
            conference = services.conference_record(
                actor=actor, data=_conference_input(form, tasks)
            )
        except ValidationError as error:
            add_validation_errors(form, error, CONFERENCE_RENAME)
        else:
            messages.success(request, _("The meeting was recorded."))
            return redirect("consultation:conference_detail", pk=conference.pk)
    return render(request, "consultation/conference_form.html", {
        "form": form, "tasks": tasks, "kinds": ConferenceKind,
    })  # fmt: skip


def _conferences(actor):
    # Conferences follow the cases discussed (rules.conference_rule); desk roles only.
    return policy.scope(actor, "consultation.view_case", Conference.objects.all())


def conference_list(request):
    actor = request.actor
    policy.require(actor, "consultation.view_case")
    page = Paginator(_conferences(actor).prefetch_related("cases"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    visible = set(selectors.cases(actor).values_list("pk", flat=True))
    for conference in page:
        conference.visible_cases = [c for c in conference.cases.all() if c.pk in visible]
    return render(request, "consultation/conference_list.html", {
        "page": page, "can_confer": policy.has_permission(actor, "consultation.hold_conference"),
    })  # fmt: skip


def conference_detail(request, pk):
    actor = request.actor
    policy.require(actor, "consultation.view_case")
    conference = get_object_or_404(_conferences(actor), pk=pk)
    audit_object(actor, Action.READ, conference)
    discussed = list(conference.cases.all())
    visible = list(selectors.cases(actor).filter(pk__in=[c.pk for c in discussed]))
    tasks = policy.scope(actor, "consultation.view_task", conference.tasks.all()).select_related(
        "case", "assignee", "assignee_agency"
    )
    return render(request, "consultation/conference_detail.html", {
        "conference": conference, "cases": visible, "other_cases": len(discussed) - len(visible),
        "attendees": conference.attendees.all(), "agencies": conference.agencies.all(), "tasks": tasks,
    })  # fmt: skip


# ---- the agency side -----------------------------------------------------------------------


def agency_inbox(request):
    """For agency staff: the open referrals to their agencies, nothing else of the cases."""
    actor = request.actor
    policy.require(actor, "consultation.respond_referral")
    page = Paginator(selectors.agency_referrals(actor), PAGE_SIZE).get_page(request.GET.get("page"))
    named = [r for r in page if r.shares_personal_data and r.person_id]
    audit_reads(actor, named, subject_of=lambda r: r.person, detail={"purpose": "agency_inbox"})
    return render(request, "consultation/agency_inbox.html", {"page": page})


def _agency_referral(actor, pk: int) -> Referral:
    """An open referral to one of the actor's agencies; ended or foreign ones are 404."""
    policy.require(actor, "consultation.respond_referral")
    return get_object_or_404(selectors.agency_referrals(actor), pk=pk)


def _agency_page(request, referral, **bound_forms):
    """What the referral shares, and only that: never the case's record, team or other persons."""
    actor = request.actor
    person = None
    if referral.shares_personal_data and referral.person_id:
        person = selectors.persons(actor).filter(pk=referral.person_id).first()
    if person is not None:
        person.age = age_on(person.birth_date, timezone.localdate())
    tasks = policy.scope(actor, "consultation.view_task", Task.objects.all()).filter(
        case_id=referral.case_id, assignee_agency_id=referral.agency_id
    )
    audit_object(actor, Action.READ, referral, subject=referral.person or referral.case)
    return render(request, "consultation/agency_referral.html", {
        "referral": referral, "person": person, "tasks": tasks, "reports": referral.reports.all(),
        "respond_form": forms.RespondForm(initial={"version": referral.version}),
        "report_form": forms.ReportForm(),
        **bound_forms,
    })  # fmt: skip


def agency_referral(request, pk):
    referral = _agency_referral(request.actor, pk)
    return _agency_page(request, referral)


@require_POST
def agency_referral_respond(request, pk):
    actor = request.actor
    referral = _agency_referral(actor, pk)
    form = forms.RespondForm(request.POST)
    if form.is_valid():
        move = form.cleaned_data["move"]
        try:
            services.referral_respond(actor=actor, referral=referral, move=move,
                                      reason=form.cleaned_data["reason"], version=form.cleaned_data["version"])  # fmt: skip
        except ValidationError as error:
            add_validation_errors(form, error)
            referral.refresh_from_db()
        else:
            messages.success(
                request,
                _("The referral is now: %(status)s.") % {"status": referral.get_status_display()},
            )
            if referral.status == ReferralStatus.ACCEPTED:
                return redirect("consultation:agency_referral", pk=referral.pk)
            return redirect("consultation:agency_inbox")
    return _agency_page(request, referral, respond_form=form)


@require_POST
def agency_referral_report(request, pk):
    actor = request.actor
    referral = _agency_referral(actor, pk)
    form = forms.ReportForm(request.POST)
    if form.is_valid():
        try:
            services.referral_report(actor=actor, referral=referral, body=form.cleaned_data["body"])
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The report was sent to the case team."))
            return redirect("consultation:agency_referral", pk=referral.pk)
    return _agency_page(request, referral, report_form=form)


urlpatterns = [
    path("cases/", case_list, name="case_list"),
    path("cases/<int:pk>/", case_detail, name="case_detail"),
    path("cases/<int:pk>/edit/", case_edit, name="case_edit"),
    path("cases/<int:pk>/transition/", case_transition, name="case_transition"),
    path("cases/<int:pk>/assign/", case_assign, name="case_assign"),
    path("cases/<int:pk>/unassign/", case_unassign, name="case_unassign"),
    path("cases/<int:pk>/persons/add/", case_person_add, name="case_person_add"),
    path("cases/<int:pk>/confidential/", case_confidential, name="case_confidential"),
    path("cases/<int:pk>/activities/new/", activity_new, name="activity_new"),
    path("cases/<int:pk>/goals/", case_goals, name="case_goals"),
    path("cases/<int:pk>/tasks/new/", task_new, name="task_new"),
    path("cases/<int:pk>/referrals/new/", referral_new, name="referral_new"),
    path("cases/<int:pk>/referrals/consent/", referral_consent, name="referral_consent"),
    path("tasks/<int:pk>/done/", task_done, name="task_done"),
    path("referrals/<int:pk>/revoke/", referral_revoke, name="referral_revoke"),
    path("conferences/", conference_list, name="conference_list"),
    path("conferences/new/", conference_new, name="conference_new"),
    path("conferences/<int:pk>/", conference_detail, name="conference_detail"),
    path("agency/referrals/", agency_inbox, name="agency_inbox"),
    path("agency/referrals/<int:pk>/", agency_referral, name="agency_referral"),
    path(
        "agency/referrals/<int:pk>/respond/",
        agency_referral_respond,
        name="agency_referral_respond",
    ),
    path(
        "agency/referrals/<int:pk>/report/", agency_referral_report, name="agency_referral_report"
    ),
]
