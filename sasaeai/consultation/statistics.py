"""Anonymous statistics of one fiscal year: the tables of the statistics page and its exports.

Only counts and hours leave this module: no names, no ids of persons, no case numbers.
Agency names appear (they are organisations, not personal data). The counts come from the
same querysets as the plan metrics (`metrics.py`), so the page and the plans agree.

Small cells (小さいセルの秘匿): in the table by district, a count of 1 or 2 is shown as "＊",
because in a small district one or two cases can point at a family the neighbours know.
Each district column's total is published in the summary, so a column with a single
hidden cell would give it away by subtraction; the smallest other non-zero cell of that
column is hidden too (secondary suppression). Zeros are shown.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Min, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from sasaeai.consultation import metrics as m
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.core.tenancy import tenant_context

MASK = "＊"
# Counts from 1 up to (not including) this are hidden in the table by district.
SMALL_CELL_THRESHOLD = 3
FISCAL_MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""


# ---- which years --------------------------------------------------------------------------


def available_years(tenant_id: int, today: datetime.date | None = None) -> list[int]:
    """From the first year anything was recorded to the current one, newest first."""
    from sasaeai.consultation.models import Case, Consultation

    current = fiscal_year_of(today or timezone.localdate())
    with tenant_context(tenant_id):
        first_consultation = Consultation.objects.filter(tenant_id=tenant_id).aggregate(
            first=Min("received_at")
        )["first"]
        first_case = Case.objects.filter(tenant_id=tenant_id).aggregate(first=Min("opened_on"))[
            "first"
        ]
    days = [
        timezone.localtime(first_consultation).date() if first_consultation else None,
        first_case,
    ]
    first = min((fiscal_year_of(d) for d in days if d), default=current)
    return list(range(current, min(first, current) - 1, -1))


# ---- the tables ---------------------------------------------------------------------------


def build(tenant_id: int, fiscal_year: int) -> list[Table]:
    with tenant_context(tenant_id):
        open_at_end = cases_open_at_year_end(tenant_id, fiscal_year)
        return [
            summary(tenant_id, fiscal_year, open_at_end),
            consultations_by_month(tenant_id, fiscal_year),
            by_concern(tenant_id, fiscal_year),
            open_cases_by_status(open_at_end),
            referrals_by_agency(tenant_id, fiscal_year),
            conferences_by_kind(tenant_id, fiscal_year),
            time_by_activity_kind(tenant_id, fiscal_year),
            by_district(tenant_id, fiscal_year, open_at_end),
        ]


def summary(tenant_id: int, year: int, open_at_end: dict[int, str]) -> Table:
    return Table(
        key="summary",
        title=_("Summary"),
        headers=[_("Item"), _("Count")],
        rows=[
            [_("Consultations received"), m.consultations(tenant_id, year).count()],
            [
                _("Persons consulted about for the first time"),
                m.new_persons(tenant_id, year).count(),
            ],
            [_("Cases opened"), m.cases_opened(tenant_id, year).count()],
            [_("Cases closed"), m.cases_closed(tenant_id, year).count()],
            [_("Cases open at the end of the year (or today)"), len(open_at_end)],
            [_("Referrals to agencies"), m.referrals(tenant_id, year).count()],
            [_("Case conferences held"), m.conferences(tenant_id, year).count()],
            [_("Outreach contacts"), m.outreach_contacts(tenant_id, year).count()],
            [
                _("Consultation support by community social workers"),
                m.csw_support_count(tenant_id, year),
            ],
        ],
    )


def consultations_by_month(tenant_id: int, year: int) -> Table:
    from sasaeai.consultation.models import Channel

    counts = Counter()
    rows = (
        m.consultations(tenant_id, year)
        .annotate(month=ExtractMonth("received_at"))
        .values("month", "channel")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[(row["month"], row["channel"])] = row["n"]
    channels = list(Channel)
    table = Table(
        key="consultations",
        title=_("Consultations by month and channel"),
        headers=[_("Month"), *[str(c.label) for c in channels], _("Total")],
    )
    for month in FISCAL_MONTHS:
        cells = [counts[(month, c.value)] for c in channels]
        table.rows.append([str(MONTHS[month]), *cells, sum(cells)])
    totals = [sum(counts[(month, c.value)] for month in FISCAL_MONTHS) for c in channels]
    table.rows.append([_("Total"), *totals, sum(totals)])
    return table


def by_concern(tenant_id: int, year: int) -> Table:
    from sasaeai.consultation.models import ConcernTag

    consultations = m.consultations(tenant_id, year)
    pairs = set(consultations.filter(concerns__isnull=False).values_list("pk", "concerns__code"))
    pairs |= set(
        consultations.filter(case__concerns__isnull=False).values_list("pk", "case__concerns__code")
    )
    by_consultation = Counter(code for _pk, code in pairs)
    by_case = dict(
        m.cases_opened(tenant_id, year)
        .filter(concerns__isnull=False)
        .values_list("concerns__code")
        .annotate(n=Count("pk", distinct=True))
    )
    table = Table(
        key="concerns",
        title=_("Consultations and cases by concern"),
        headers=[_("Concern"), _("Consultations"), _("Cases opened")],
        note=_("A consultation counts under a concern tagged on it or on the case it was taken into; "
               "one consultation may count under several concerns."),
    )  # fmt: skip
    for tag in ConcernTag.objects.filter(tenant_id=tenant_id).order_by("order", "code"):
        if tag.is_active or by_consultation[tag.code] or by_case.get(tag.code):
            table.rows.append([tag.name, by_consultation[tag.code], by_case.get(tag.code, 0)])
    return table


def cases_open_at_year_end(tenant_id: int, year: int) -> dict[int, str]:
    """Case id → its status at the end of the year (today for the current year), for the cases
    opened by then and not closed at that moment. The status comes from the status history,
    so a case closed later still counts as open in the years it was open."""
    from sasaeai.consultation.models import Case, CaseStatus, CaseStatusChange

    _start, end = m.day_bounds(year)
    _year_start, after = m.time_bounds(year)
    last_change = CaseStatusChange.objects.filter(
        case=OuterRef("pk"), changed_at__lt=after
    ).order_by("-changed_at", "-id")
    statuses = (
        Case.objects.filter(tenant_id=tenant_id, opened_on__lte=end)
        .annotate(status_then=Coalesce(Subquery(last_change.values("to_status")[:1]), "status"))
        .values_list("pk", "status_then")
    )
    return {pk: status for pk, status in statuses if status != CaseStatus.CLOSED}


def open_cases_by_status(open_at_end: dict[int, str]) -> Table:
    from sasaeai.consultation.models import CaseStatus

    counts = Counter(open_at_end.values())
    table = Table(
        key="case_status",
        title=_("Cases open at the end of the year by status"),
        headers=[_("Status"), _("Cases")],
    )
    for status in CaseStatus:
        if status != CaseStatus.CLOSED:
            table.rows.append([str(status.label), counts[status.value]])
    table.rows.append([_("Total"), sum(counts.values())])
    return table


def referrals_by_agency(tenant_id: int, year: int) -> Table:
    from sasaeai.consultation.models import AgencyKind, ReferralStatus

    statuses = list(ReferralStatus)
    counts = defaultdict(Counter)
    names = {}
    rows = m.referrals(tenant_id, year).values(
        "agency_id", "agency__name", "agency__kind", "status"
    )
    for row in rows.annotate(n=Count("pk")):
        counts[row["agency_id"]][row["status"]] += row["n"]
        names[row["agency_id"]] = (row["agency__kind"], row["agency__name"])
    table = Table(
        key="referrals",
        title=_("Referrals by agency"),
        headers=[_("Agency"), _("Kind"), _("Referrals"), *[str(s.label) for s in statuses]],
        note=_("Referrals sent in the year, by their status today."),
    )
    kind_labels = dict(AgencyKind.choices)
    for agency_id, (kind, name) in sorted(names.items(), key=lambda item: item[1]):
        per_status = counts[agency_id]
        table.rows.append([name, str(kind_labels.get(kind, kind)), sum(per_status.values()),
                           *[per_status[s.value] for s in statuses]])  # fmt: skip
    table.rows.append([_("Total"), "", sum(row[2] for row in table.rows),
                       *[sum(counts[a][s.value] for a in counts) for s in statuses]])  # fmt: skip
    return table


def conferences_by_kind(tenant_id: int, year: int) -> Table:
    from sasaeai.consultation.models import Conference, ConferenceKind

    held = Counter(dict(m.conferences(tenant_id, year).values_list("kind").annotate(n=Count("pk"))))
    discussed = Counter(
        dict(
            Conference.cases.through.objects.filter(conference__in=m.conferences(tenant_id, year))
            .values_list("conference__kind")
            .annotate(n=Count("case_id", distinct=True))
        )
    )
    table = Table(
        key="conferences",
        title=_("Case conferences by kind"),
        headers=[_("Kind"), _("Meetings held"), _("Cases discussed")],
    )
    for kind in ConferenceKind:
        table.rows.append([str(kind.label), held[kind.value], discussed[kind.value]])
    table.rows.append([_("Total"), sum(held.values()), sum(discussed.values())])
    return table


def hours(minutes: int | None) -> float:
    return round((minutes or 0) / 60, 1)


def time_by_activity_kind(tenant_id: int, year: int) -> Table:
    from sasaeai.consultation.models import CONTACT_KINDS, ActivityKind

    rows = {
        row["kind"]: row
        for row in m.activities(tenant_id, year)
        .values("kind")
        .annotate(n=Count("pk"), minutes=Sum("minutes"))
    }
    outreach = Counter(
        dict(m.outreach_contacts(tenant_id, year).values_list("kind").annotate(n=Count("pk")))
    )
    table = Table(
        key="activities",
        title=_("Support activities and time spent by kind"),
        headers=[_("Kind"), _("Activities"), _("Hours spent"), _("Of which outreach contacts")],
    )
    for kind in ActivityKind:
        row = rows.get(kind.value, {})
        table.rows.append([
            str(kind.label), row.get("n", 0), hours(row.get("minutes")),
            outreach[kind.value] if kind in CONTACT_KINDS else "",
        ])  # fmt: skip
    total_minutes = sum(row["minutes"] or 0 for row in rows.values())
    table.rows.append([_("Total"), sum(row["n"] for row in rows.values()), hours(total_minutes),
                       sum(outreach.values())])  # fmt: skip
    return table


# ---- by district, with small cells hidden ---------------------------------------------------


def _district_resolver(tenant_id: int):
    """Area id → the district (地区) containing it, so cells are as large as they can be."""
    from sasaeai.core.models import Area, AreaKind

    fields = ("pk", "kind", "code", "name", "name_kana", "parent_id")
    areas = {a.pk: a for a in Area.objects.filter(tenant_id=tenant_id).only(*fields)}

    def district_of(area_id: int | None):
        seen = set()
        area = areas.get(area_id)
        while (
            area is not None
            and area.kind != AreaKind.DISTRICT
            and area.parent_id
            and area.pk not in seen
        ):
            seen.add(area.pk)
            area = areas.get(area.parent_id) or area
        return area

    districts = [a for a in areas.values() if a.kind == AreaKind.DISTRICT]
    return district_of, districts


def _case_areas(tenant_id: int, case_ids) -> dict[int, int | None]:
    """A case's area: its main person's, else its household's."""
    from sasaeai.consultation.models import Case, CasePerson, CasePersonRole

    found = dict(
        Case.objects.filter(tenant_id=tenant_id, pk__in=case_ids).values_list(
            "pk", "household__area_id"
        )
    )
    primary = CasePerson.objects.filter(
        case_id__in=case_ids, role=CasePersonRole.PRIMARY, person__area_id__isnull=False
    ).values_list("case_id", "person__area_id")
    found.update(dict(primary))
    return found


def by_district(tenant_id: int, year: int, open_at_end: dict[int, str]) -> Table:
    district_of, districts = _district_resolver(tenant_id)
    columns = [Counter() for _i in range(4)]
    for area_id, person_area_id in m.consultations(tenant_id, year).values_list(
        "area_id", "person__area_id"
    ):
        columns[0][_key(district_of(area_id or person_area_id))] += 1
    for area_id in m.new_persons(tenant_id, year).values_list("area_id", flat=True):
        columns[1][_key(district_of(area_id))] += 1
    opened = list(m.cases_opened(tenant_id, year).values_list("pk", flat=True))
    case_areas = _case_areas(tenant_id, set(opened) | set(open_at_end))
    for pk in opened:
        columns[2][_key(district_of(case_areas.get(pk)))] += 1
    for pk in open_at_end:
        columns[3][_key(district_of(case_areas.get(pk)))] += 1
    # Every district is listed, with zeros, so the table keeps its shape from year to year.
    keys = sorted(
        ({k for column in columns for k in column} | {_key(d) for d in districts}) - {None}
    )
    unknown = any(column[None] for column in columns)
    table = Table(
        key="districts",
        title=_("By district"),
        headers=[_("District"), _("Consultations"), _("New persons"), _("Cases opened"),
                 _("Cases open at the end of the year")],  # fmt: skip
        note=_("Counts from 1 to %(largest)s are shown as %(mask)s to protect people in small districts, "
               "and so is the next smallest count of a column with only one such cell.")
        % {"largest": SMALL_CELL_THRESHOLD - 1, "mask": MASK},
    )  # fmt: skip
    labels = [key[-1] for key in keys] + ([_("District not recorded")] if unknown else [])
    row_keys = list(keys) + ([None] if unknown else [])
    cells = [[column[k] for column in columns] for k in row_keys]
    for label, row in zip(labels, suppress(cells), strict=True):
        table.rows.append([label, *row])
    return table


def _key(area) -> tuple[str, str, str] | None:
    """A sortable row key: code, kana, then the name shown."""
    return None if area is None else (area.code, area.name_kana, area.name)


def suppress(cells: list[list[int]], threshold: int = SMALL_CELL_THRESHOLD) -> list[list]:
    """Hide counts from 1 to threshold − 1, and per column one more when only one is hidden."""
    shown = [[MASK if 0 < value < threshold else value for value in row] for row in cells]
    for col in range(len(cells[0]) if cells else 0):
        hidden = [r for r, row in enumerate(shown) if row[col] == MASK]
        if len(hidden) != 1:
            continue
        others = [(row[col], r) for r, row in enumerate(shown) if row[col] != MASK and row[col] > 0]
        if others:
            shown[min(others)[1]][col] = MASK
    return shown


# ---- files ----------------------------------------------------------------------------------


def to_csv(tables: list[Table], table_key: str | None = None) -> bytes:
    """One table with its own headers, or every table in long form (table, row, column, value),
    which a spreadsheet's pivot table turns back into any of them."""
    from sasaeai.core.csvio import write_csv

    if table_key is not None:
        table = next(t for t in tables if t.key == table_key)
        return write_csv(table.headers, table.rows)
    rows = [
        [table.title, row[0], header, value]
        for table in tables
        for row in table.rows
        for header, value in zip(table.headers[1:], row[1:], strict=True)
    ]
    return write_csv([_("Table"), _("Row"), _("Column"), _("Value")], rows)


_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_title(title: str, used: set[str]) -> str:
    """Excel allows 31 characters and no []:*?/\\ in a sheet name, each name once."""
    base = title.translate(_SHEET_FORBIDDEN).strip()[:31] or "Sheet"
    name, number = base, 2
    while name in used:
        suffix = f" ({number})"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    used.add(name)
    return name


def to_xlsx(tables: list[Table], heading: str) -> bytes:
    """One sheet per table: its title and the year on top, headers in bold, notes below."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from sasaeai.core.spreadsheet import protect_workbook

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(sheet_title(table.title, used))
        sheet.append([f"{table.title} — {heading}"])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append([])
        sheet.append(table.headers)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([str(v) if isinstance(v, Promise) else v for v in row])
        if table.note:
            sheet.append([])
            sheet.append([table.note])
        sheet.freeze_panes = "B4"
        for index in range(1, len(table.headers) + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 32 if index == 1 else 14
    protect_workbook(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
