"""A few months of activity entries for each demo city's commissioner, written through the
services (as the commissioner), with the past months submitted and locked by the office."""

import datetime

from django.utils import timezone

from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.commissioners import services
from sasaeai.commissioners.models import (
    EntryKind,
    Field,
    LiaisonKind,
    OtherActivity,
    Topic,
    VisitKind,
)
from sasaeai.core.demo import CITIES, stable_unit
from sasaeai.core.tenancy import tenant_context

MONTHS = 4
# (field, topic) pairs a commissioner meets most: older people at home, children at school…
CONSULTATIONS = (
    (Field.ELDERLY, Topic.HOME_WELFARE), (Field.ELDERLY, Topic.LONG_TERM_CARE),
    (Field.ELDERLY, Topic.DAILY_SUPPORT), (Field.CHILDREN, Topic.CHILD_SCHOOL),
    (Field.DISABILITY, Topic.HEALTH), (Field.OTHER, Topic.LIVING_COSTS),
)  # fmt: skip


def _actor(membership) -> Actor:
    """The member themselves: the audit log checks that an entry's user is its actor's."""
    return Actor(
        user_id=membership.user_id, username=membership.user.username,
        tenant_id=membership.tenant_id, membership_id=membership.pk,
        role=Role(membership.role), otp_verified=True,
    )  # fmt: skip


def load_commissioners(tenants: dict) -> None:
    for city in CITIES:
        tenant = tenants.get(city.code)
        if tenant is None:
            continue
        with tenant_context(tenant.pk):
            memberships = Membership.objects.filter(tenant=tenant).select_related("user")
            commissioner = memberships.filter(role=Role.WELFARE_COMMISSIONER).first()
            office = memberships.filter(role=Role.WELFARE_COUNCIL_STAFF).first()
            if commissioner is None or office is None:
                continue
            _load(city, _actor(commissioner))
            _lock_past(_actor(commissioner), _actor(office))


def _months(today: datetime.date) -> list[datetime.date]:
    months, month = [], today.replace(day=1)
    for _index in range(MONTHS):
        months.append(month)
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return months


def _load(city, actor: Actor) -> None:
    today = timezone.localdate()
    for month in _months(today):
        for day_index in range(0, 28, 3):
            day = month + datetime.timedelta(days=day_index)
            if day > today:
                break
            _one_day(city, actor, day, day_index)


def _one_day(city, actor, day, index) -> None:
    unit = stable_unit(city.code, "commissioner", day.isoformat())
    field, topic = CONSULTATIONS[int(unit * len(CONSULTATIONS))]
    services.entry_create(actor=actor, day=day, kind=EntryKind.VISIT, detail=VisitKind.WATCH,
                          count=1 + int(unit * 4))  # fmt: skip
    if unit < 0.6:
        services.entry_create(actor=actor, day=day, kind=EntryKind.CONSULTATION, field=field,
                              topic=topic)  # fmt: skip
    if index % 9 == 0:
        services.entry_create(actor=actor, day=day, kind=EntryKind.OTHER_ACTIVITY,
                              detail=OtherActivity.COUNCIL, note="定例会")  # fmt: skip
    if unit > 0.7:
        services.entry_create(actor=actor, day=day, kind=EntryKind.LIAISON,
                              detail=LiaisonKind.AGENCIES, note="地域包括支援センターと調整")  # fmt: skip


def _lock_past(commissioner: Actor, office: Actor) -> None:
    for month in _months(timezone.localdate())[1:]:
        services.record_submit(actor=commissioner, month=month)
        services.record_lock(actor=office, month=month, commissioner_id=commissioner.user_id)
