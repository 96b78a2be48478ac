"""Writes of the watch app. Every write: keyword-only, an actor, one transaction,
`full_clean()` first, audited in the same transaction (docs/watch.md)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core import intake
from sasaeai.core.models import Area
from sasaeai.watch import selectors
from sasaeai.watch.models import (
    Contact,
    ContactKind,
    ContactResult,
    WatchedPerson,
    Watcher,
    WatcherKind,
    WatchPartner,
    WatchStatus,
)
from sasaeai.watch.rules import active_watcher

PERSON_FIELDS = (
    "name", "name_kana", "address", "area", "phone", "latitude", "longitude", "reason",
    "frequency_days", "contact_rules", "emergency_contact", "source", "source_reference",
    "started_on",
)  # fmt: skip
# Results that pass the concern to the consultation desk (core.intake).
RAISES_CONCERN = (ContactResult.CONCERN, ContactResult.URGENT)


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _tenant(actor: Actor) -> int:
    if actor.tenant_id is None:
        raise ValidationError(_("Choose a municipality first."))
    return actor.tenant_id


def _check_area(actor: Actor, area: Area | None) -> None:
    if area is None:
        return
    if area.tenant_id != actor.tenant_id:
        raise _invalid("area", _("Not found in this municipality."), "other_tenant")
    if actor.is_area_limited and area.pk not in actor.area_ids:
        raise _invalid("area", _("Choose one of your own districts."), "outside_districts")


def next_due(person: WatchedPerson) -> datetime.date:
    """The day the next contact is due: a frequency after the last contact (or the start)."""
    base = person.last_contact_on or person.started_on
    return base + datetime.timedelta(days=person.frequency_days)


# ---- the watch list --------------------------------------------------------------------------


@transaction.atomic
def watched_person_save(
    *, actor: Actor, person: WatchedPerson | None = None, accept_duplicate: bool = False,
    **fields,
) -> WatchedPerson:  # fmt: skip
    """Add someone to the watch list, or change their entry. A second active entry with the
    same name and address is refused unless `accept_duplicate` (the form asks first)."""
    policy.require(actor, "watch.manage", person)
    tenant_id = _tenant(actor)
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"Unknown fields: {sorted(unknown)}")
    creating = person is None
    person = person or WatchedPerson(tenant_id=tenant_id, created_by_id=actor.user_id)
    for name, value in fields.items():
        setattr(person, name, value)
    if not person.started_on:
        person.started_on = timezone.localdate()
    _check_area(actor, person.area)
    person.full_clean()
    if not accept_duplicate and selectors.possible_duplicates(
        actor, name=person.name, address=person.address, exclude_pk=person.pk
    ):
        raise _invalid(
            "name",
            _("Someone with the same name and address is already watched over."),
            "duplicate",
        )
    person.next_due_on = next_due(person)
    if not creating:
        person.version += 1
    person.save()
    audit_object(
        actor, Action.CREATE if creating else Action.UPDATE, person,
        detail={"fields": sorted(fields)},
    )  # fmt: skip
    return person


@transaction.atomic
def watched_person_end(
    *, actor: Actor, person: WatchedPerson, ended_on: datetime.date | None = None, reason: str
) -> WatchedPerson:
    """Stop watching over someone (moved, entered a care home, died…): kept, not deleted."""
    policy.require(actor, "watch.manage", person)
    if person.status == WatchStatus.ENDED:
        raise _invalid("status", _("Watching over this person has already ended."), "ended")
    ended_on = ended_on or timezone.localdate()
    if ended_on < person.started_on:
        raise _invalid("ended_on", _("The end cannot be before the start."), "before_start")
    if not reason.strip():
        raise _invalid("end_reason", _("Write why watching over ends."), "required")
    person.status, person.ended_on, person.end_reason = WatchStatus.ENDED, ended_on, reason.strip()
    person.version += 1
    person.full_clean()
    person.save()
    audit_object(actor, Action.UPDATE, person, detail={"ended_on": ended_on.isoformat()})
    return person


# ---- watchers --------------------------------------------------------------------------------


def _check_watcher(actor: Actor, watcher: Watcher) -> None:
    if watcher.kind == WatcherKind.BUSINESS:
        if watcher.partner_id is None:
            raise _invalid("partner", _("Choose the business."), "required")
        if not WatchPartner.objects.filter(
            pk=watcher.partner_id, tenant_id=actor.tenant_id
        ).exists():
            raise _invalid("partner", _("Not found in this municipality."), "other_tenant")
    elif watcher.kind == WatcherKind.NEIGHBOUR:
        if not watcher.name.strip() and watcher.user_id is None:
            raise _invalid("name", _("Write the neighbour's name."), "required")
    elif watcher.user_id is None:
        raise _invalid("user", _("Choose the member who watches."), "required")
    if watcher.user_id is not None:
        roles = set(
            Membership.objects.active()
            .filter(tenant_id=actor.tenant_id, user_id=watcher.user_id)
            .values_list("role", flat=True)
        )
        if not roles:
            raise _invalid("user", _("Not found in this municipality."), "other_tenant")
        # A watcher who could not open the person's page could not record a visit either.
        if not roles & set(policy.PERMISSIONS["watch.record_contact"]):
            raise _invalid("user", _("This member cannot record watch-over visits."), "role")


@transaction.atomic
def watcher_add(
    *, actor: Actor, person: WatchedPerson, kind: str, user_id: int | None = None,
    partner_id: int | None = None, name: str = "", phone: str = "", is_primary: bool = False,
    since: datetime.date | None = None,
) -> Watcher:  # fmt: skip
    """Name who watches; a new main watcher takes over from the previous one."""
    policy.require(actor, "watch.manage", person)
    watcher = Watcher(
        tenant_id=person.tenant_id, watched=person, kind=kind, user_id=user_id,
        partner_id=partner_id, name=name.strip(), phone=phone.strip(), is_primary=is_primary,
        since=since or timezone.localdate(),
    )  # fmt: skip
    watcher.full_clean()
    _check_watcher(actor, watcher)
    if is_primary:
        Watcher.objects.filter(watched=person, is_primary=True).update(is_primary=False)
    elif not person.watchers.filter(is_primary=True).filter(active_watcher()).exists():
        watcher.is_primary = True  # the first watcher is the main one until another is named
    watcher.save()
    audit_object(actor, Action.CREATE, watcher, subject=person, detail={"kind": kind})
    return watcher


@transaction.atomic
def watcher_end(*, actor: Actor, watcher: Watcher, until: datetime.date | None = None) -> Watcher:
    policy.require(actor, "watch.manage", watcher.watched)
    watcher.until = until or timezone.localdate()
    watcher.is_primary = False
    watcher.full_clean()
    watcher.save(update_fields=["until", "is_primary"])
    audit_object(actor, Action.UPDATE, watcher, subject=watcher.watched)
    return watcher


# ---- contacts --------------------------------------------------------------------------------


def _own_watcher(actor: Actor, person: WatchedPerson) -> Watcher | None:
    return (
        Watcher.objects.filter(watched=person, user_id=actor.user_id)
        .filter(active_watcher())
        .first()
    )


def _concern_text(contact: Contact) -> str:
    note = contact.note.strip()
    if note:
        return note
    return _("Watch-over %(kind)s: %(result)s") % {
        "kind": contact.get_kind_display(),
        "result": contact.get_result_display(),
    }


def _pass_to_desk(actor: Actor, person: WatchedPerson, contact: Contact) -> None:
    try:
        receipt = intake.pass_concern(
            actor,
            intake.Concern(
                tenant_id=person.tenant_id, description=_concern_text(contact),
                source="watch.contact", source_id=contact.pk, subject_name=person.name,
                subject_name_kana=person.name_kana, subject_address=person.address,
                subject_phone=person.phone, area_id=person.area_id,
                urgent=contact.result == ContactResult.URGENT,
            ),
        )  # fmt: skip
    except LookupError:
        # Without a desk to receive it a concern would be lost: refuse the whole contact.
        raise _invalid(
            "result", _("The consultation desk cannot receive concerns now."), "no_desk"
        ) from None
    contact.intake_reference, contact.intake_url = receipt.reference, receipt.url
    contact.save(update_fields=["intake_reference", "intake_url"])


@transaction.atomic
def contact_record(
    *, actor: Actor, person: WatchedPerson, result: str, kind: str = ContactKind.VISIT,
    occurred_on: datetime.date | None = None, note: str = "",
) -> Contact:  # fmt: skip
    """Record a visit, call or look-in, keep the person's due date, and pass 気になる / 緊急
    to the consultation desk in the same transaction (the contact keeps the intake's number).

    A 不在 (no answer) is an attempt, not a contact: it moves no date. A contact entered later
    with an earlier date (recorded offline) never moves the due date backwards."""
    policy.require(actor, "watch.record_contact", person)
    # One writer at a time per person: two phones recording at once both count, and the
    # due date is computed from the latest of them.
    person = WatchedPerson.objects.select_for_update().get(pk=person.pk)
    today = timezone.localdate()
    occurred_on = occurred_on or today
    if occurred_on > today:
        raise _invalid("occurred_on", _("The date cannot be in the future."), "future_date")
    if person.status != WatchStatus.ACTIVE:
        raise _invalid("watched", _("Watching over this person has ended."), "ended")
    contact = Contact(
        tenant_id=person.tenant_id, watched=person, occurred_on=occurred_on, kind=kind,
        result=result, note=note.strip(), watcher=_own_watcher(actor, person),
        recorded_by_id=actor.user_id,
    )  # fmt: skip
    contact.full_clean(exclude=["intake_url"])
    contact.save()
    if result != ContactResult.ABSENT and (
        person.last_contact_on is None or occurred_on > person.last_contact_on
    ):
        person.last_contact_on = occurred_on
        person.next_due_on = next_due(person)
        person.save(update_fields=["last_contact_on", "next_due_on", "updated_at"])
    if result in RAISES_CONCERN:
        _pass_to_desk(actor, person, contact)
    audit_object(
        actor, Action.CREATE, contact, subject=person,
        detail={"result": result, "intake": contact.intake_reference},
    )  # fmt: skip
    return contact
