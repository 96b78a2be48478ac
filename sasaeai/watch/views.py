"""Screens of the watch app: the phone page of a watcher's round (/watch/), the watch list,
a person's page, the quick contact entry and the missed-contact list. Every view starts with
its policy check; every page that shows people audits the read."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.core.forms import add_validation_errors
from sasaeai.watch import selectors, services
from sasaeai.watch.forms import ContactForm, EndForm, PersonForm, WatcherForm
from sasaeai.watch.models import ContactResult, WatchSource, WatchStatus

PAGE_SIZE = 30
# The big buttons of the phone page, in the order a watcher needs them.
BUTTONS = (
    (ContactResult.OK, "ok"),
    (ContactResult.CONCERN, "concern"),
    (ContactResult.URGENT, "urgent"),
    (ContactResult.ABSENT, "absent"),
)


def _int_or_none(value) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _overdue(rows, today):
    for person in rows:
        person.days_overdue = selectors.days_overdue(person, today)
        person.main_watcher = person.main_watchers[0] if person.main_watchers else None
    return rows


def home(request):
    """A watcher's round on the phone: their people, overdue ones on top."""
    actor = request.actor
    policy.require(actor, "watch.view")
    today = timezone.localdate()
    people = _overdue(list(selectors.my_people(actor, today=today)[:200]), today)
    audit_reads(actor, people)
    return render(
        request, "watch/home.html",
        {"people": people, "today": today,
         "can_manage": policy.has_permission(actor, "watch.manage"),
         "can_record": policy.has_permission(actor, "watch.record_contact")},
    )  # fmt: skip


def person_list(request):
    actor = request.actor
    policy.require(actor, "watch.view")
    query = request.GET.get("q", "").strip()[:100]
    area = _int_or_none(request.GET.get("area"))
    status = request.GET.get("status", WatchStatus.ACTIVE)
    if status not in WatchStatus.values:
        status = WatchStatus.ACTIVE
    rows = selectors.people_visible_to(actor, query=query, area_id=area, status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    _overdue(page.object_list, today)
    audit_reads(actor, list(page.object_list))
    return render(
        request, "watch/person_list.html",
        {"page": page, "q": query, "area": area, "status": status,
         "statuses": WatchStatus.choices, "districts": selectors.districts_for(actor),
         "can_manage": policy.has_permission(actor, "watch.manage")},
    )  # fmt: skip


def missed(request):
    """People whose contact is overdue, most overdue first (per district if chosen)."""
    actor = request.actor
    policy.require(actor, "watch.view")
    today = timezone.localdate()
    area = _int_or_none(request.GET.get("area"))
    rows = selectors.missed_contacts(actor, today=today, area_id=area)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    _overdue(page.object_list, today)
    audit_reads(actor, list(page.object_list))
    return render(
        request, "watch/missed.html",
        {"page": page, "area": area, "today": today, "districts": selectors.districts_for(actor)},
    )  # fmt: skip


def _person_form(request, actor, initial):
    return PersonForm(
        request.POST or None, areas=selectors.areas_for_person(actor), initial=initial
    )


def person_create(request):
    """A new entry; `?source=case&ref=12` fills in where it came from (never personal data)."""
    actor = request.actor
    policy.require(actor, "watch.manage")
    initial = {}
    source = request.GET.get("source", "")
    if source in WatchSource.values:
        initial["source"] = source
        initial["source_reference"] = _int_or_none(request.GET.get("ref"))
    form = _person_form(request, actor, initial)
    duplicate = False
    if request.method == "POST" and form.is_valid():
        try:
            person = services.watched_person_save(
                actor=actor, accept_duplicate=form.cleaned_data["accept_duplicate"],
                **form.service_fields(),
            )  # fmt: skip
        except ValidationError as error:
            duplicate = _is_duplicate(error)
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Added to the watch list."))
            return redirect("watch:person_detail", pk=person.pk)
    return render(request, "watch/person_form.html", {"form": form, "duplicate": duplicate})


def _is_duplicate(error: ValidationError) -> bool:
    errors = getattr(error, "error_dict", {})
    return any(e.code == "duplicate" for e in errors.get("name", []))


def person_edit(request, pk: int):
    actor = request.actor
    policy.require(actor, "watch.manage")
    person = selectors.person_for(actor, pk, "watch.manage")
    initial = {f: getattr(person, f) for f in services.PERSON_FIELDS}
    form = _person_form(request, actor, initial)
    duplicate = False
    if request.method == "POST" and form.is_valid():
        try:
            services.watched_person_save(
                actor=actor, person=person,
                accept_duplicate=form.cleaned_data["accept_duplicate"], **form.service_fields(),
            )  # fmt: skip
        except ValidationError as error:
            duplicate = _is_duplicate(error)
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("watch:person_detail", pk=person.pk)
    else:
        audit_object(actor, Action.READ, person)
    return render(
        request, "watch/person_form.html", {"form": form, "person": person, "duplicate": duplicate}
    )


def _watcher_form(request, actor, data=None):
    return WatcherForm(
        data, memberships=selectors.members_who_watch(actor.tenant_id),
        partners=selectors.partners_of(actor.tenant_id),
    )  # fmt: skip


def person_detail(request, pk: int):
    actor = request.actor
    policy.require(actor, "watch.view")
    person = selectors.person_for(actor, pk)
    can_manage = policy.can(actor, "watch.manage", person)
    watcher_form = _watcher_form(request, actor) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise Http404
        watcher_form = _watcher_form(request, actor, request.POST)
        if watcher_form.is_valid():
            try:
                services.watcher_add(actor=actor, person=person, **watcher_form.service_fields())
            except ValidationError as error:
                add_validation_errors(watcher_form, error)
            else:
                messages.success(request, _("Watcher added."))
                return redirect("watch:person_detail", pk=pk)
    audit_object(actor, Action.READ, person)
    today = timezone.localdate()
    return render(
        request, "watch/person_detail.html",
        {"person": person, "today": today, "days_overdue": selectors.days_overdue(person, today),
         "watchers": selectors.watchers_of(actor, person),
         "contacts": selectors.contacts_of(actor, person)[:20],
         "can_manage": can_manage, "watcher_form": watcher_form,
         "end_form": EndForm() if can_manage else None,
         "can_record": policy.can(actor, "watch.record_contact", person)},
    )  # fmt: skip


@require_POST
def person_end(request, pk: int):
    actor = request.actor
    policy.require(actor, "watch.manage")
    person = selectors.person_for(actor, pk, "watch.manage")
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            services.watched_person_end(
                actor=actor, person=person, ended_on=form.cleaned_data["ended_on"],
                reason=form.cleaned_data["reason"],
            )  # fmt: skip
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Watching over has ended."))
    else:
        messages.error(request, _("Enter the end date and the reason."))
    return redirect("watch:person_detail", pk=pk)


@require_POST
def watcher_end(request, pk: int):
    actor = request.actor
    policy.require(actor, "watch.manage")
    watcher = selectors.watcher_for(actor, pk)
    services.watcher_end(actor=actor, watcher=watcher)
    messages.success(request, _("The watcher no longer watches this person."))
    return redirect("watch:person_detail", pk=watcher.watched_id)


def contact_new(request, pk: int):
    """The quick entry on a phone: one big button per result, today's date already set."""
    actor = request.actor
    policy.require(actor, "watch.record_contact")
    person = selectors.person_for(actor, pk, "watch.record_contact")
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_record(actor=actor, person=person, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            return redirect("watch:contact_detail", pk=contact.pk)
    audit_object(actor, Action.READ, person)
    return render(
        request, "watch/contact_form.html",
        {"person": person, "form": form, "buttons": BUTTONS, "today": timezone.localdate()},
    )  # fmt: skip


def contact_detail(request, pk: int):
    actor = request.actor
    policy.require(actor, "watch.view")
    contact = selectors.contact_for(actor, pk)
    audit_object(actor, Action.READ, contact, subject=contact.watched)
    return render(request, "watch/contact_detail.html", {"contact": contact})
