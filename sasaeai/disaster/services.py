"""Writes of the register: imports, consent, settings, recipients and copies (docs/disaster.md).

Every write: keyword-only, the actor first, one transaction, `full_clean()` first, audited in
the same transaction. Disaster mode, safety checks and plans have their own modules.
"""

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core.errors import EditConflict
from sasaeai.core.models import Area, Tenant
from sasaeai.disaster import importer
from sasaeai.disaster.models import (
    ConsentEvent,
    ConsentModel,
    ConsentRecord,
    ConsentStatus,
    CopyFormat,
    DisasterSettings,
    EntryStatus,
    HelperOrganisation,
    ImportStatus,
    RecipientMember,
    RegisterCopy,
    RegisterEntry,
    RegisterImport,
    RemovalReason,
)


def _tenant(actor: Actor) -> int:
    if actor.tenant_id is None:
        raise ValidationError(_("Choose a municipality first."))
    return actor.tenant_id


def _require(actor: Actor, permission: str, obj=None, *, check: bool = True) -> None:
    """Management commands act as the system (no role): they pass check=False."""
    if check:
        policy.require(actor, permission, obj)


# ---- settings -------------------------------------------------------------------------------


def settings_of(tenant_id: int) -> DisasterSettings:
    """The tenant's settings, or the defaults (opt-in) before anyone saved them."""
    found = DisasterSettings.objects.filter(tenant_id=tenant_id).first()
    return found or DisasterSettings(tenant_id=tenant_id)


@transaction.atomic
def settings_save(
    *, actor: Actor, consent_model: str, presumed_after_days: int = 30, ordinance_name: str = ""
) -> DisasterSettings:
    _require(actor, "disaster.manage_settings")
    settings = settings_of(_tenant(actor))
    old = settings.consent_model if settings.pk else None
    settings.consent_model = consent_model
    settings.presumed_after_days = presumed_after_days
    settings.ordinance_name = ordinance_name
    if consent_model != ConsentModel.OPT_IN and not ordinance_name.strip():
        raise ValidationError(
            {"ordinance_name": _("Name the ordinance that allows sharing without written consent.")}
        )
    settings.full_clean()
    action = Action.UPDATE if settings.pk else Action.CREATE
    settings.save()
    audit_object(actor, action, settings, detail={"from": old, "to": consent_model})
    return settings


# ---- consent --------------------------------------------------------------------------------

STATUS_OF_EVENT = {
    ConsentEvent.ASKED: ConsentStatus.ASKED,
    ConsentEvent.GIVEN: ConsentStatus.GIVEN,
    ConsentEvent.PRESUMED: ConsentStatus.PRESUMED,
    ConsentEvent.REFUSED: ConsentStatus.REFUSED,
    ConsentEvent.WITHDRAWN: ConsentStatus.WITHDRAWN,
}


class MissingStep(ValidationError):
    """Refused because an earlier step is missing; `step` is the event to record first."""

    def __init__(self, message: str, step: str):
        super().__init__(message, code="missing_step")
        self.step = step


def consent_entry_for(actor: Actor, entry_id: int) -> RegisterEntry:
    """The entry whose consent the actor may record. Commissioners record the 同意書 they
    collect on their rounds: any listed entry of their districts, shareable yet or not
    (they see its content only once it is). Raises ValidationError when there is none."""
    rows = RegisterEntry.objects.filter(tenant_id=actor.tenant_id, pk=entry_id)
    if not policy.has_permission(actor, "disaster.record_consent"):
        rows = rows.none()
    elif actor.is_area_limited:
        rows = rows.filter(status=EntryStatus.LISTED, area_id__in=actor.area_ids)
    entry = rows.first()
    if entry is None:
        raise ValidationError(_("No register entry with this number in your districts."))
    return entry


def _check_step(entry: RegisterEntry, event: str, on: datetime.date, settings) -> None:
    status = entry.consent_status
    if event == ConsentEvent.PRESUMED:
        if settings.consent_model != ConsentModel.PRESUMED:
            raise ValidationError(_("Presumed consent needs the presumed consent model."))
        if status != ConsentStatus.ASKED:
            raise MissingStep(
                _("Record that the inquiry was sent before presuming consent."), ConsentEvent.ASKED
            )
        due = entry.consent_changed_on + datetime.timedelta(days=settings.presumed_after_days)
        if on < due:
            raise ValidationError(
                _("No reply counts as consent only from %(day)s.") % {"day": due.isoformat()}
            )
    if event == ConsentEvent.WITHDRAWN and status not in (
        ConsentStatus.GIVEN, ConsentStatus.PRESUMED, ConsentStatus.NOT_ASKED, ConsentStatus.ASKED
    ):  # fmt: skip
        raise ValidationError(_("There is no consent to withdraw."))
    if entry.consent_changed_on and on < entry.consent_changed_on:
        raise ValidationError({"on": _("The date is before the last recorded consent event.")})


@transaction.atomic
def consent_record(
    *, actor: Actor, entry: RegisterEntry, event: str, on: datetime.date | None = None,
    method: str = "", note: str = "", check_permission: bool = True,
) -> ConsentRecord:  # fmt: skip
    """Record a consent event; the entry's status changes in the same transaction, so a
    withdrawal hides the person from every recipient at once."""
    if check_permission:
        entry = consent_entry_for(actor, entry.pk)
    entry = RegisterEntry.objects.select_for_update().get(pk=entry.pk)
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"on": _("The date is in the future.")})
    if event not in STATUS_OF_EVENT:
        raise ValidationError({"event": _("Choose what happened.")})
    _check_step(entry, event, on, settings_of(entry.tenant_id))
    record = ConsentRecord(
        tenant_id=entry.tenant_id, entry=entry, event=event, on=on, method=method, note=note,
        recorded_by_id=actor.user_id,
    )  # fmt: skip
    record.full_clean()
    record.save()
    RegisterEntry.objects.filter(pk=entry.pk).update(
        consent_status=STATUS_OF_EVENT[event], consent_changed_on=on, version=F("version") + 1,
        updated_at=timezone.now(),
    )  # fmt: skip
    audit_object(actor, Action.CREATE, record, subject=entry, detail={"event": event})
    return record


@transaction.atomic
def presumed_consents_record(*, actor: Actor, tenant: Tenant, today=None) -> int:
    """Nightly: under みなし同意, record the presumed event of every inquiry left unanswered
    for the ordinance's days (rules.shareable already shares them; this writes the history)."""
    settings = settings_of(tenant.pk)
    if settings.consent_model != ConsentModel.PRESUMED:
        return 0
    today = today or timezone.localdate()
    deadline = today - datetime.timedelta(days=settings.presumed_after_days)
    due = RegisterEntry.objects.select_for_update().filter(
        tenant_id=tenant.pk, consent_status=ConsentStatus.ASKED, consent_changed_on__lte=deadline
    )
    rows = list(due.values_list("pk", "consent_changed_on"))
    days = datetime.timedelta(days=settings.presumed_after_days)
    ConsentRecord.objects.bulk_create(
        ConsentRecord(
            tenant_id=tenant.pk,
            entry_id=pk,
            event=ConsentEvent.PRESUMED,
            on=asked_on + days,
            method=_("no reply"),
        )  # fmt: skip
        for pk, asked_on in rows
    )
    for pk, asked_on in rows:
        RegisterEntry.objects.filter(pk=pk).update(
            consent_status=ConsentStatus.PRESUMED, consent_changed_on=asked_on + days,
            version=F("version") + 1,
        )  # fmt: skip
    if rows:
        audit_object(
            actor, Action.UPDATE, settings if settings.pk else tenant,
            detail={"presumed": [pk for pk, _day in rows]},
        )  # fmt: skip
    return len(rows)


# ---- imports --------------------------------------------------------------------------------


@transaction.atomic
def register_import_preview(
    *, actor: Actor, kind: str, file_name: str, data: bytes, check_permission: bool = True
) -> tuple[importer.Checked, RegisterImport | None]:
    """Check an extract; when it has no error, store the changes to show and later apply."""
    _require(actor, "disaster.manage_register", check=check_permission)
    tenant_id = _tenant(actor)
    city = Tenant.objects.filter(pk=tenant_id).values_list("name", flat=True).first() or ""
    checked = importer.check_extract(data, kind=kind, tenant_id=tenant_id, city_name=city)
    if not checked.ok:
        return checked, None
    summary = {
        "counts": checked.counts, "rows": checked.rows, "encoding": checked.encoding,
        "warnings": checked.warnings, "warning_count": checked.warning_count,
    }  # fmt: skip
    record = RegisterImport(
        tenant_id=tenant_id, kind=kind, file_name=file_name[:200], token=secrets.token_hex(16),
        summary=summary, changes=checked.changes, created_by_id=actor.user_id,
    )  # fmt: skip
    record.full_clean(exclude=["created_by"])  # a command acts as the system: no user
    record.save()
    audit_object(actor, Action.CREATE, record, detail={"counts": checked.counts})
    return checked, record


def _versions_match(changes: list[dict], tenant_id: int) -> bool:
    expected = {c["entry_id"]: c["version"] for c in changes if c.get("entry_id")}
    found: dict[int, int] = {}
    ids = list(expected)
    for start in range(0, len(ids), 2000):
        rows = RegisterEntry.objects.select_for_update().filter(
            tenant_id=tenant_id, pk__in=ids[start : start + 2000]
        )
        found.update(rows.values_list("pk", "version"))
    return found == expected


@transaction.atomic
def register_import_apply(
    *, actor: Actor, register_import: RegisterImport, check_permission: bool = True
) -> dict:
    """Apply exactly the previewed changes, all or nothing, with one audit entry. Refused
    when applied before, or when an entry it changes was changed since the preview."""
    _require(actor, "disaster.manage_register", check=check_permission)
    record = RegisterImport.objects.select_for_update().get(
        pk=register_import.pk, tenant_id=_tenant(actor)
    )
    if record.status != ImportStatus.PREVIEWED:
        raise ValidationError(_("This import was already applied or discarded."))
    if not _versions_match(record.changes, record.tenant_id):
        raise EditConflict(
            _("The register changed since this file was checked. Check the file again.")
        )
    today = timezone.localdate()
    keys = [c["key"] for c in record.changes if c["change"] == importer.Change.NEW]
    taken = RegisterEntry.objects.filter(
        tenant_id=record.tenant_id, resident_key__in=keys, status=EntryStatus.LISTED
    )
    if taken.exists():
        raise EditConflict(
            _("The register changed since this file was checked. Check the file again.")
        )
    _apply_changes(record, today)
    record.status = ImportStatus.APPLIED
    record.applied_at = timezone.now()
    record.save(update_fields=["status", "applied_at"])
    counts = record.summary.get("counts", {})
    audit_object(actor, Action.UPDATE, record, detail={"applied": counts})
    return counts


def _apply_changes(record: RegisterImport, today: datetime.date) -> None:
    by_kind: dict[str, list[dict]] = {}
    for change in record.changes:
        by_kind.setdefault(change["change"], []).append(change)
    _apply_new(record, by_kind.get(importer.Change.NEW, []), today)
    _apply_changed(record, by_kind.get(importer.Change.CHANGED, []))
    for kind, reason in ((importer.Change.MOVED, RemovalReason.MOVED),
                         (importer.Change.DIED, RemovalReason.DIED)):  # fmt: skip
        # One UPDATE per removal date (an extract's 異動日 repeat), not one per person.
        by_day: dict[datetime.date, list[int]] = {}
        for change in by_kind.get(kind, []):
            removed_on = datetime.date.fromisoformat(change["on"]) if change["on"] else today
            by_day.setdefault(removed_on, []).append(change["entry_id"])
        for removed_on, ids in by_day.items():
            for start in range(0, len(ids), 2000):
                RegisterEntry.objects.filter(pk__in=ids[start : start + 2000]).update(
                    status=EntryStatus.REMOVED, removed_on=removed_on, removal_reason=reason,
                    version=F("version") + 1, updated_at=timezone.now(),
                )  # fmt: skip


def _entry_fields(person: dict) -> dict:
    fields = dict(person)
    fields["birth_date"] = (
        datetime.date.fromisoformat(fields["birth_date"]) if fields.get("birth_date") else None
    )
    return fields


def _apply_new(record: RegisterImport, changes: list[dict], today: datetime.date) -> None:
    fresh, again = [], []
    for change in changes:
        fields = _entry_fields(change["person"])
        common = {
            **fields, "area_id": change["area_id"], "reasons": [change["reason"]],
            "reason_note": change["note"], "sources": [record.kind], "status": EntryStatus.LISTED,
            "listed_on": today, "removed_on": None, "removal_reason": "",
        }  # fmt: skip
        if change.get("entry_id"):
            again.append((change["entry_id"], common))
        else:
            entry = RegisterEntry(tenant_id=record.tenant_id, resident_key=change["key"], **common)
            entry.full_clean(validate_unique=False, validate_constraints=False)
            fresh.append(entry)
    RegisterEntry.objects.bulk_create(fresh, batch_size=1000)
    for pk, common in again:
        RegisterEntry.objects.filter(pk=pk).update(
            **common, version=F("version") + 1, updated_at=timezone.now()
        )


def _apply_changed(record: RegisterImport, changes: list[dict]) -> None:
    entries = {}
    ids = [c["entry_id"] for c in changes]
    for start in range(0, len(ids), 2000):
        entries.update(RegisterEntry.objects.in_bulk(ids[start : start + 2000]))
    touched = set()
    for change in changes:
        entry = entries[change["entry_id"]]
        for attr, (_old, new) in change["diff"].items():
            if attr == "birth_date":
                new = datetime.date.fromisoformat(new) if new else None
            setattr(entry, attr, new)
            touched.add(attr)
        if record.kind not in entry.sources:
            entry.sources = [*entry.sources, record.kind]
        entry.version += 1
        entry.updated_at = timezone.now()
    if changes:
        fields = sorted(touched | {"sources", "version", "updated_at"})
        RegisterEntry.objects.bulk_update(list(entries.values()), fields, batch_size=1000)


@transaction.atomic
def register_import_discard(*, actor: Actor, register_import: RegisterImport) -> None:
    _require(actor, "disaster.manage_register")
    record = RegisterImport.objects.select_for_update().get(
        pk=register_import.pk, tenant_id=_tenant(actor)
    )
    if record.status != ImportStatus.PREVIEWED:
        raise ValidationError(_("This import was already applied or discarded."))
    record.status = ImportStatus.DISCARDED
    record.save(update_fields=["status"])
    audit_object(actor, Action.UPDATE, record, detail={"status": record.status})


# ---- recipients -----------------------------------------------------------------------------


def _descendants(tenant_id: int, roots: set[int]) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for area_id, parent_id in Area.objects.filter(tenant_id=tenant_id).values_list(
        "id", "parent_id"
    ):
        children.setdefault(parent_id, []).append(area_id)
    found, stack = set(), list(roots)
    while stack:
        area_id = stack.pop()
        if area_id not in found:
            found.add(area_id)
            stack.extend(children.get(area_id, []))
    return found


def covered_areas_refresh(organisation: HelperOrganisation) -> None:
    """`covered_areas` = its areas and every area beneath them (row rules filter on it)."""
    roots = set(organisation.areas.values_list("id", flat=True))
    organisation.covered_areas.set(_descendants(organisation.tenant_id, roots))


def covered_areas_refresh_all(tenant_id: int) -> None:
    """After areas were added or moved (nightly command): every organisation of the tenant."""
    for organisation in HelperOrganisation.objects.filter(tenant_id=tenant_id):
        covered_areas_refresh(organisation)


ORGANISATION_FIELDS = (
    "name", "kind", "agreement_on", "agreement_ends_on", "agreement_reference",
    "handling_rules", "is_active",
)  # fmt: skip


@transaction.atomic
def organisation_save(
    *, actor: Actor, area_ids, organisation: HelperOrganisation | None = None, **fields
) -> HelperOrganisation:
    _require(actor, "disaster.manage_recipients", organisation)
    tenant_id = _tenant(actor)
    unknown = set(fields) - set(ORGANISATION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown organisation fields: {sorted(unknown)}")
    organisation = organisation or HelperOrganisation(tenant_id=tenant_id)
    for name, value in fields.items():
        setattr(organisation, name, value)
    ends, starts = organisation.agreement_ends_on, organisation.agreement_on
    if ends and starts and ends < starts:
        raise ValidationError({"agreement_ends_on": _("The agreement ends before it starts.")})
    areas = list(Area.objects.filter(tenant_id=tenant_id, pk__in=list(area_ids)))
    if not areas:
        raise ValidationError({"areas": _("Choose at least one area the agreement covers.")})
    organisation.full_clean()
    action = Action.UPDATE if organisation.pk else Action.CREATE
    organisation.save()
    organisation.areas.set(areas)
    covered_areas_refresh(organisation)
    audit_object(actor, action, organisation, detail={"areas": [a.pk for a in areas]})
    return organisation


@transaction.atomic
def member_add(
    *, actor: Actor, organisation: HelperOrganisation, user_id: int, duty: str,
    added_on: datetime.date | None = None,
) -> RecipientMember:  # fmt: skip
    _require(actor, "disaster.manage_recipients", organisation)
    if not Membership.objects.active().filter(user_id=user_id, tenant_id=organisation.tenant_id):
        raise ValidationError({"user": _("Choose a member of this municipality.")})
    current = RecipientMember.objects.filter(
        organisation=organisation, user_id=user_id, removed_on__isnull=True
    )
    if current.exists():
        raise ValidationError({"user": _("This person is already named on the organisation.")})
    member = RecipientMember(
        tenant_id=organisation.tenant_id, organisation=organisation, user_id=user_id, duty=duty,
        added_on=added_on or timezone.localdate(),
    )  # fmt: skip
    member.full_clean()
    member.save()
    audit_object(actor, Action.CREATE, member, detail={"user": user_id, "duty": duty})
    return member


@transaction.atomic
def member_remove(
    *, actor: Actor, member: RecipientMember, on: datetime.date | None = None
) -> RecipientMember:
    _require(actor, "disaster.manage_recipients", member.organisation)
    if member.removed_on is not None:
        raise ValidationError(_("This person was already removed."))
    member.removed_on = on or timezone.localdate()
    member.full_clean()
    member.save(update_fields=["removed_on"])
    audit_object(actor, Action.UPDATE, member, detail={"removed_on": str(member.removed_on)})
    return member


# ---- copies ---------------------------------------------------------------------------------


@transaction.atomic
def copy_issue(
    *, actor: Actor, organisation: HelperOrganisation, format: str, received_by: str,
    due_back_on: datetime.date | None = None, entries: list[RegisterEntry],
) -> RegisterCopy:  # fmt: skip
    """Record the hand-over of the organisation's current share, audited with the entry ids.
    The caller built `entries` with selectors.organisation_share and renders the file."""
    _require(actor, "disaster.manage_register", organisation)
    if format not in CopyFormat.values:
        raise ValidationError({"format": _("Choose the format of the copy.")})
    if not received_by.strip():
        raise ValidationError({"received_by": _("Name who received the copy.")})
    if due_back_on and due_back_on < timezone.localdate():
        raise ValidationError({"due_back_on": _("The return date is in the past.")})
    copy = RegisterCopy(
        tenant_id=organisation.tenant_id, organisation=organisation,
        issued_on=timezone.localdate(), issued_by_id=actor.user_id, format=format,
        entry_count=len(entries), received_by=received_by.strip(), due_back_on=due_back_on,
    )  # fmt: skip
    copy.full_clean()
    copy.save()
    audit_object(
        actor, Action.EXPORT, copy, subject=organisation,
        detail={"entries": [e.pk for e in entries], "format": format},
    )  # fmt: skip
    return copy


@transaction.atomic
def copy_close(
    *, actor: Actor, copy: RegisterCopy, returned: bool, on: datetime.date | None = None,
    note: str = "",
) -> RegisterCopy:  # fmt: skip
    """Record that a copy came back or was destroyed (破棄); it then leaves the overdue list."""
    _require(actor, "disaster.manage_recipients", copy.organisation)
    copy = RegisterCopy.objects.select_for_update().get(pk=copy.pk)
    if copy.returned_on or copy.destroyed_on:
        raise ValidationError(_("This copy was already returned or destroyed."))
    on = on or timezone.localdate()
    if on < copy.issued_on or on > timezone.localdate():
        raise ValidationError({"on": _("The date must be between the hand-over and today.")})
    if returned:
        copy.returned_on = on
    else:
        copy.destroyed_on = on
    copy.closed_by_id = actor.user_id
    copy.note = note
    copy.full_clean()
    copy.save()
    audit_object(actor, Action.UPDATE, copy, detail={"returned": returned, "on": str(on)})
    return copy
