"""Reads of the commissioners app, through accounts.policy.scope.

`monthly_form` is a commissioner's month (their entries and the national form's figures);
`district_totals` the 定例会's sums per 民児協 地区; `fiscal_year_totals` the figures the city
reports for 福祉行政報告例. The totals name no commissioner: counts only."""

import calendar
import datetime
from dataclasses import dataclass

from django.http import Http404

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.commissioners import tally
from sasaeai.commissioners.models import ActivityEntry, MonthlyRecord, RecordStatus
from sasaeai.commissioners.services import commissioner_membership, district_of
from sasaeai.core.fiscal import fiscal_year_bounds
from sasaeai.core.models import Area


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


@dataclass
class MonthlyForm:
    membership: Membership
    month: datetime.date
    record: MonthlyRecord | None
    entries: list[ActivityEntry]
    figures: tally.Figures

    @property
    def status(self) -> str:
        return self.record.status if self.record else RecordStatus.DRAFT

    @property
    def is_locked(self) -> bool:
        return self.status == RecordStatus.LOCKED


def commissioner_for(actor: Actor, commissioner_id: int) -> Membership:
    """The commissioner whose form the actor asks for; 404 for anyone else's (a commissioner
    may not learn which of their colleagues exist through this URL)."""
    policy.require(actor, "commissioners.view")
    if actor.role == Role.WELFARE_COMMISSIONER and commissioner_id != actor.user_id:
        raise Http404
    membership = commissioner_membership(actor.tenant_id, commissioner_id)
    if membership is None:
        raise Http404
    return membership


def entries_visible_to(actor: Actor):
    return policy.scope(actor, "commissioners.view", ActivityEntry.objects.all())


def monthly_form(actor: Actor, commissioner_id: int, month: datetime.date) -> MonthlyForm:
    membership = commissioner_for(actor, commissioner_id)
    first, last = month_bounds(month)
    entries = entries_visible_to(actor).filter(
        commissioner_id=membership.user_id, day__range=(first, last)
    )
    figures = tally.tally(
        tenant_id=actor.tenant_id, entries=entries, first=first, last=last,
        commissioner_ids=[membership.user_id], group_of=lambda user_id, area_id: user_id,
    ).get(membership.user_id, tally.Figures())  # fmt: skip
    record = (
        policy.scope(actor, "commissioners.view", MonthlyRecord.objects.all())
        .filter(commissioner_id=membership.user_id, month=first)
        .first()
    )
    return MonthlyForm(membership, first, record, list(entries.order_by("day", "pk")), figures)


def commissioners_of(tenant_id: int):
    return (
        Membership.objects.active()
        .filter(tenant_id=tenant_id, role=Role.WELFARE_COMMISSIONER)
        .select_related("user")
        .prefetch_related("areas__parent")
        .order_by("user__last_name", "user__first_name", "user__username")
    )


def _districts_by_user(memberships) -> dict[int, int | None]:
    result = {}
    for membership in memberships:
        area = district_of(membership)
        result[membership.user_id] = area.pk if area else None
    return result


@dataclass
class DistrictRow:
    area: Area | None
    figures: tally.Figures
    commissioners: int
    submitted: int
    locked: int


def district_totals(actor: Actor, month: datetime.date) -> list[DistrictRow]:
    """Each 民児協 地区's month (its commissioners' forms summed), for the 定例会."""
    policy.require(actor, "commissioners.view_totals")
    first, last = month_bounds(month)
    memberships = list(commissioners_of(actor.tenant_id))
    district_by_user = _districts_by_user(memberships)
    # Totals are counts of the whole tenant: scoped by tenant, never by a row rule.
    entries = ActivityEntry.objects.filter(tenant_id=actor.tenant_id, day__range=(first, last))
    groups = tally.tally(
        tenant_id=actor.tenant_id, entries=entries, first=first, last=last,
        commissioner_ids=list(district_by_user),
        group_of=lambda user_id, area_id: area_id or district_by_user.get(user_id),
        by_commissioner=False,
    )  # fmt: skip
    statuses = _statuses(actor.tenant_id, first)
    area_ids = set(district_by_user.values()) | set(groups)
    areas = {a.pk: a for a in Area.objects.filter(tenant_id=actor.tenant_id, pk__in=area_ids)}
    result = []
    for area_id in sorted(area_ids, key=lambda pk: (pk is None, _area_key(areas.get(pk)))):
        users = [u for u, d in district_by_user.items() if d == area_id]
        result.append(
            DistrictRow(
                area=areas.get(area_id), figures=groups.get(area_id, tally.Figures()),
                commissioners=len(users),
                submitted=sum(statuses.get(u) in ("submitted", "locked") for u in users),
                locked=sum(statuses.get(u) == "locked" for u in users),
            )
        )  # fmt: skip
    return result


def _area_key(area: Area | None) -> tuple:
    return (area.code, area.name_kana, area.name) if area else ("", "", "")


def _statuses(tenant_id: int, month: datetime.date) -> dict[int, str]:
    return dict(
        MonthlyRecord.objects.filter(tenant_id=tenant_id, month=month).values_list(
            "commissioner_id", "status"
        )
    )


def month_roster(actor: Actor, month: datetime.date) -> list[tuple[Membership, str]]:
    """Each commissioner and the state of their month: the office's checklist for the 定例会."""
    policy.require(actor, "commissioners.lock")
    statuses = _statuses(actor.tenant_id, month.replace(day=1))
    return [
        (membership, statuses.get(membership.user_id, RecordStatus.DRAFT))
        for membership in commissioners_of(actor.tenant_id)
    ]


@dataclass
class FiscalYearTotals:
    fiscal_year: int
    figures: tally.Figures
    by_month: list[tuple[datetime.date, tally.Figures]]
    commissioners: int


def fiscal_year_totals(actor: Actor, fiscal_year: int) -> FiscalYearTotals:
    """The 福祉行政報告例 figures (民生委員・児童委員の活動状況) of one 年度, and per month."""
    policy.require(actor, "commissioners.view_totals")
    return fiscal_year_figures(actor.tenant_id, fiscal_year)


def fiscal_year_figures(tenant_id: int, fiscal_year: int) -> FiscalYearTotals:
    first, last = fiscal_year_bounds(fiscal_year)
    entries = ActivityEntry.objects.filter(tenant_id=tenant_id, day__range=(first, last))
    user_ids = list(commissioners_of(tenant_id).values_list("user_id", flat=True))
    months = tally.tally(
        tenant_id=tenant_id, entries=entries, first=first, last=last, commissioner_ids=user_ids,
        by_commissioner=False,
    )  # fmt: skip
    by_month = []
    month = first
    while month <= last:
        by_month.append((month, months.get(month, tally.Figures())))
        month = month_bounds(month)[1] + datetime.timedelta(days=1)
    whole = tally.combine(figures for _month, figures in by_month)
    return FiscalYearTotals(fiscal_year, whole, by_month, len(whole.commissioners))
