"""Writes of the commissioners app. Every write: keyword-only, an actor, one transaction,
`full_clean()` first, audited in the same transaction.

A commissioner writes their own entries while their month is open (draft or submitted); once
the 民児協 事務局 locks the month, only staff may correct it (and may unlock it)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.commissioners.models import (
    ActivityEntry,
    EntryKind,
    Field,
    LiaisonKind,
    MonthlyRecord,
    OtherActivity,
    RecordStatus,
    Topic,
    VisitKind,
)
from sasaeai.core.models import AreaKind

# The form is counts only: a note that names someone is refused (honorifics give names away).
NAME_MARKERS = ("さん", "様", "さま", "ちゃん", "くん", "君", "氏")
MAX_COUNT = 999
DETAILS = {
    EntryKind.OTHER_ACTIVITY: OtherActivity.values,
    EntryKind.VISIT: VisitKind.values,
    EntryKind.LIAISON: LiaisonKind.values,
}


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _tenant(actor: Actor) -> int:
    if actor.tenant_id is None:
        raise ValidationError(_("Choose a municipality first."))
    return actor.tenant_id


def commissioner_membership(tenant_id: int, user_id: int) -> Membership | None:
    return (
        Membership.objects.active()
        .filter(tenant_id=tenant_id, user_id=user_id, role=Role.WELFARE_COMMISSIONER)
        .first()
    )


def district_of(membership: Membership | None):
    """The commissioner's 民児協 地区: their first district in charge, or the district above
    a commissioner district (地区担当区域) when that is what they were given."""
    if membership is None:
        return None
    # all() rather than order_by(): a list of commissioners prefetches their areas.
    areas = sorted(membership.areas.all(), key=lambda a: a.pk)
    area = areas[0] if areas else None
    while area is not None and area.kind != AreaKind.DISTRICT and area.parent_id:
        area = area.parent
    return area


def _commissioner_for(actor: Actor, commissioner_id: int | None) -> Membership:
    """A commissioner writes for themselves; staff name the commissioner they correct."""
    tenant_id = _tenant(actor)
    if actor.role == Role.WELFARE_COMMISSIONER:
        commissioner_id = actor.user_id
    if commissioner_id is None:
        raise ValidationError({"commissioner": _("Choose a commissioner.")})
    membership = commissioner_membership(tenant_id, commissioner_id)
    if membership is None:
        raise ValidationError({"commissioner": _("No such welfare commissioner here.")})
    return membership


def _record(tenant_id: int, commissioner_id: int, month: datetime.date) -> MonthlyRecord | None:
    return MonthlyRecord.objects.filter(
        tenant_id=tenant_id, commissioner_id=commissioner_id, month=month
    ).first()


def _check_open(actor: Actor, tenant_id: int, commissioner_id: int, day: datetime.date) -> None:
    record = _record(tenant_id, commissioner_id, month_of(day))
    if record is not None and record.status == RecordStatus.LOCKED:
        if not policy.has_permission(actor, "commissioners.lock"):
            raise ValidationError(
                _(
                    "This month is locked for the council meeting: ask the council office to correct it."
                )
            )


def _clean_fields(kind: str, field: str, topic: str, detail: str) -> tuple[str, str, str]:
    errors = {}
    if kind == EntryKind.CONSULTATION:
        if field not in Field.values:
            errors["field"] = _("Choose the field of the consultation.")
        if topic not in Topic.values:
            errors["topic"] = _("Choose the content of the consultation.")
        detail = ""
    elif kind in DETAILS:
        if detail not in DETAILS[kind]:
            errors["detail"] = _("Choose what kind of activity this was.")
        field = topic = ""
    else:
        field = topic = detail = ""
    if errors:
        raise ValidationError(errors)
    return field, topic, detail


def _clean_common(day: datetime.date, count: int, note: str) -> None:
    errors = {}
    if day > timezone.localdate():
        errors["day"] = _("The day cannot be in the future.")
    if count < 1 or count > MAX_COUNT:
        errors["count"] = _("Enter a number from 1 to %(max)s.") % {"max": MAX_COUNT}
    if any(marker in note for marker in NAME_MARKERS):
        errors["note"] = _("Write no names in the note: the activity record is counts only.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def entry_create(
    *, actor: Actor, day: datetime.date, kind: str, field: str = "", topic: str = "",
    detail: str = "", count: int = 1, note: str = "", commissioner_id: int | None = None,
) -> ActivityEntry:  # fmt: skip
    policy.require(actor, "commissioners.record")
    membership = _commissioner_for(actor, commissioner_id)
    tenant_id = membership.tenant_id
    _clean_common(day, count, note)
    field, topic, detail = _clean_fields(kind, field, topic, detail)
    _check_open(actor, tenant_id, membership.user_id, day)
    district = district_of(membership)
    entry = ActivityEntry(
        tenant_id=tenant_id, commissioner_id=membership.user_id, day=day, kind=kind,
        field=field, topic=topic, detail=detail, count=count, note=note.strip(),
        area_id=district.pk if district else None,
    )  # fmt: skip
    entry.full_clean()
    entry.save()
    audit_object(actor, Action.CREATE, entry, detail={"day": day.isoformat(), "kind": kind})
    return entry


@transaction.atomic
def entry_update(
    *, actor: Actor, entry: ActivityEntry, day: datetime.date, kind: str, field: str = "",
    topic: str = "", detail: str = "", count: int = 1, note: str = "",
) -> ActivityEntry:  # fmt: skip
    policy.require(actor, "commissioners.record", entry)
    _clean_common(day, count, note)
    field, topic, detail = _clean_fields(kind, field, topic, detail)
    # Both the month it leaves and the month it moves to must be open.
    _check_open(actor, entry.tenant_id, entry.commissioner_id, entry.day)
    _check_open(actor, entry.tenant_id, entry.commissioner_id, day)
    before = {"day": entry.day.isoformat(), "kind": entry.kind, "count": entry.count}
    entry.day, entry.kind, entry.field, entry.topic = day, kind, field, topic
    entry.detail, entry.count, entry.note = detail, count, note.strip()
    entry.full_clean()
    entry.save()
    audit_object(actor, Action.UPDATE, entry, detail={"before": before})
    return entry


@transaction.atomic
def entry_delete(*, actor: Actor, entry: ActivityEntry) -> None:
    policy.require(actor, "commissioners.record", entry)
    _check_open(actor, entry.tenant_id, entry.commissioner_id, entry.day)
    audit_object(
        actor, Action.DELETE, entry, detail={"day": entry.day.isoformat(), "count": entry.count}
    )
    entry.delete()


def _record_for_update(tenant_id: int, membership: Membership, month: datetime.date):
    record, _created = MonthlyRecord.objects.select_for_update().get_or_create(
        tenant_id=tenant_id, commissioner_id=membership.user_id, month=month,
        defaults={"area": district_of(membership)},
    )  # fmt: skip
    return record


@transaction.atomic
def record_submit(
    *, actor: Actor, month: datetime.date, commissioner_id: int | None = None
) -> MonthlyRecord:
    policy.require(actor, "commissioners.record")
    membership = _commissioner_for(actor, commissioner_id)
    record = _record_for_update(membership.tenant_id, membership, month_of(month))
    if record.status == RecordStatus.LOCKED:
        raise ValidationError(_("This month is already locked."))
    if month_of(month) > month_of(timezone.localdate()):
        raise ValidationError(_("A month can be submitted once it has begun."))
    record.status, record.submitted_at = RecordStatus.SUBMITTED, timezone.now()
    record.full_clean()
    record.save()
    audit_object(actor, Action.UPDATE, record, detail={"status": record.status})
    return record


@transaction.atomic
def record_lock(*, actor: Actor, month: datetime.date, commissioner_id: int) -> MonthlyRecord:
    policy.require(actor, "commissioners.lock")
    membership = _commissioner_for(actor, commissioner_id)
    record = _record_for_update(membership.tenant_id, membership, month_of(month))
    if record.status == RecordStatus.LOCKED:
        raise ValidationError(_("This month is already locked."))
    record.status, record.locked_at, record.locked_by_id = (
        RecordStatus.LOCKED, timezone.now(), actor.user_id,
    )  # fmt: skip
    record.full_clean()
    record.save()
    audit_object(actor, Action.UPDATE, record, detail={"status": record.status})
    return record


@transaction.atomic
def record_unlock(*, actor: Actor, record: MonthlyRecord) -> MonthlyRecord:
    policy.require(actor, "commissioners.lock", record)
    if record.status != RecordStatus.LOCKED:
        raise ValidationError(_("This month is not locked."))
    # Back to submitted: the commissioner had handed it in before it was locked.
    record.status, record.locked_at, record.locked_by_id = RecordStatus.SUBMITTED, None, None
    record.full_clean()
    record.save()
    audit_object(actor, Action.UPDATE, record, detail={"status": record.status})
    return record
