"""The figures of the national activity form, counted from entries and core.visits.

`tally` aggregates in SQL per commissioner, then rolls up per group in Python (one group for a
commissioner's month or the city's year, one per district for the 定例会). Visits recorded in
other modules (core.visits) count as 訪問回数 (見守り等), and a day with only such a visit still
counts once in 活動日数. `rows` gives the form's layout, shared by the page, Excel, PDF and CSV.
"""

import datetime
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from sasaeai.commissioners.models import (
    EntryKind,
    Field,
    LiaisonKind,
    OtherActivity,
    Topic,
    VisitKind,
)
from sasaeai.core import visits


@dataclass
class Figures:
    by_field: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Field.values, 0))
    by_topic: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Topic.values, 0))
    # 分野 × 内容, for the 福祉行政報告例 cross table.
    cross: dict[tuple[str, str], int] = field(default_factory=dict)
    other: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OtherActivity.values, 0))
    visits_watch_own: int = 0
    visits_from_records: int = 0
    visits_other: int = 0
    liaison: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LiaisonKind.values, 0))
    own_days: int = 0
    record_only_days: int = 0
    commissioners: set = field(default_factory=set)

    @property
    def consultations(self) -> int:
        return sum(self.by_field.values())

    @property
    def other_total(self) -> int:
        return sum(self.other.values())

    @property
    def visits_watch(self) -> int:
        return self.visits_watch_own + self.visits_from_records

    @property
    def visits(self) -> int:
        return self.visits_watch + self.visits_other

    @property
    def liaison_total(self) -> int:
        return sum(self.liaison.values())

    @property
    def activity_days(self) -> int:
        return self.own_days + self.record_only_days

    def add_row(self, kind: str, field_: str, topic: str, detail: str, total: int) -> None:
        if kind == EntryKind.CONSULTATION:
            self.by_field[field_] = self.by_field.get(field_, 0) + total
            self.by_topic[topic] = self.by_topic.get(topic, 0) + total
            self.cross[(field_, topic)] = self.cross.get((field_, topic), 0) + total
        elif kind == EntryKind.OTHER_ACTIVITY:
            self.other[detail] = self.other.get(detail, 0) + total
        elif kind == EntryKind.VISIT:
            if detail == VisitKind.WATCH:
                self.visits_watch_own += total
            else:
                self.visits_other += total
        elif kind == EntryKind.LIAISON:
            self.liaison[detail] = self.liaison.get(detail, 0) + total


def tally(
    *,
    tenant_id: int,
    entries: QuerySet,
    first: datetime.date,
    last: datetime.date,
    commissioner_ids: Iterable[int],
    group_of: Callable[[int | None, int | None], Hashable] | None = None,
    by_commissioner: bool = True,
) -> dict[Hashable, Figures]:
    """Figures per group. `entries` is already scoped and limited to [first, last];
    `group_of(commissioner_id, area_id)` names the group a commissioner's rows go to; without
    it, the groups are the months (a day belongs to one month, so months add up to a year).
    Totals that never split by commissioner (districts, the year) pass by_commissioner=False:
    the counts are then grouped in SQL without them (13,000 commissioners' rows are not read),
    and group_of gets None for the commissioner; only 活動日数 is still counted per person."""
    groups: dict[Hashable, Figures] = {}
    entries = entries.annotate(month=TruncMonth("day"))

    def figures(commissioner_id: int | None, area_id: int | None, month) -> Figures:
        key = group_of(commissioner_id, area_id) if group_of else _as_date(month)
        if key not in groups:
            groups[key] = Figures()
        if commissioner_id is not None:
            groups[key].commissioners.add(commissioner_id)
        return groups[key]

    person = ("commissioner_id",) if by_commissioner else ()
    rows = entries.values_list(
        *person, "area_id", "month", "kind", "field", "topic", "detail"
    ).annotate(total=Sum("count"))
    for row in rows.order_by():
        commissioner_id = row[0] if by_commissioner else None
        area_id, month, kind, field_, topic, detail, total = row[-7:]
        figures(commissioner_id, area_id, month).add_row(kind, field_, topic, detail, total)
    days = entries.values_list("commissioner_id", "area_id", "month").annotate(
        days=Count("day", distinct=True)
    )
    for commissioner_id, area_id, month, count in days.order_by():
        figures(commissioner_id, area_id, month).own_days += count
    _add_recorded_visits(tenant_id, entries, first, last, list(commissioner_ids), figures)
    return groups


def _add_recorded_visits(tenant_id, entries, first, last, commissioner_ids, figures) -> None:
    recorded = visits.visits_by_day(tenant_id, commissioner_ids, first, last)
    if not recorded:
        return
    users = {user_id for user_id, _day in recorded}
    own = set(
        entries.filter(commissioner_id__in=users)
        .values_list("commissioner_id", "day")
        .distinct()
        .order_by()
    )
    for (user_id, day), count in recorded.items():
        if not count:
            continue
        target = figures(user_id, None, day.replace(day=1))
        target.visits_from_records += count
        if (user_id, day) not in own:
            target.record_only_days += 1


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def combine(all_figures: Iterable[Figures]) -> Figures:
    """The sum of several groups' figures (districts into the city, months into the year)."""
    total = Figures()
    for f in all_figures:
        for name in ("by_field", "by_topic", "other", "liaison"):
            mine = getattr(total, name)
            for key, value in getattr(f, name).items():
                mine[key] = mine.get(key, 0) + value
        for key, value in f.cross.items():
            total.cross[key] = total.cross.get(key, 0) + value
        total.visits_watch_own += f.visits_watch_own
        total.visits_from_records += f.visits_from_records
        total.visits_other += f.visits_other
        total.own_days += f.own_days
        total.record_only_days += f.record_only_days
        total.commissioners |= f.commissioners
    return total


@dataclass(frozen=True)
class FormRow:
    section: str
    label: str
    value: int
    key: str  # stable id of the cell: tests and the CSV name cells by it
    is_total: bool = False
    note: str = ""


def rows(figures: Figures) -> list[FormRow]:
    """The national form, top to bottom."""
    f = figures
    by_field = str(_("Consultations and support, by field"))
    by_topic = str(_("Consultations and support, by content"))
    other = str(_("Other activities"))
    visits_ = str(_("Visits"))
    liaison = str(_("Liaison and coordination"))
    total = str(_("Total"))
    result = [FormRow(by_field, str(label), f.by_field[value], f"field.{value}")
              for value, label in Field.choices]  # fmt: skip
    result.append(FormRow(by_field, total, f.consultations, "field.total", True))
    result += [FormRow(by_topic, f"{n}. {label}", f.by_topic[value], f"topic.{value}")
               for n, (value, label) in enumerate(Topic.choices, start=1)]  # fmt: skip
    result.append(FormRow(by_topic, total, f.consultations, "topic.total", True))
    result += [FormRow(other, str(label), f.other[value], f"other.{value}")
               for value, label in OtherActivity.choices]  # fmt: skip
    result.append(FormRow(other, total, f.other_total, "other.total", True))
    from_records = str(_("of which from watch-over records: %(n)s")) % {"n": f.visits_from_records}
    result += [
        FormRow(visits_, str(VisitKind.WATCH.label), f.visits_watch, "visit.watch",
                note=from_records),
        FormRow(visits_, str(VisitKind.OTHER.label), f.visits_other, "visit.other"),
        FormRow(visits_, total, f.visits, "visit.total", True),
    ]  # fmt: skip
    result += [FormRow(liaison, str(label), f.liaison[value], f"liaison.{value}")
               for value, label in LiaisonKind.choices]  # fmt: skip
    result.append(FormRow(liaison, total, f.liaison_total, "liaison.total", True))
    days_note = str(_("of which days with watch-over records only: %(n)s")) % {
        "n": f.record_only_days
    }
    days = str(_("Days of activity"))
    result.append(FormRow(days, days, f.activity_days, "days", True, days_note))
    return result


def sections(figures: Figures) -> list[tuple[str, list[FormRow]]]:
    """The rows grouped by section, in order, for the page and the PDF."""
    grouped: dict[str, list[FormRow]] = {}
    for row in rows(figures):
        grouped.setdefault(row.section, []).append(row)
    return list(grouped.items())
