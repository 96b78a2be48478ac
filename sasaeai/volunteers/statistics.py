"""Statistics of the volunteers app: by month, by district and by registry, for a fiscal year.
Counts only, never a person."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from sasaeai.core.fiscal import fiscal_year_bounds
from sasaeai.core.models import Area, AreaKind
from sasaeai.volunteers import selectors
from sasaeai.volunteers.models import (
    ActivityReport,
    Helper,
    HelpRequest,
    Registry,
    ReportStatus,
)


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list]


def by_month(tenant_id: int, fiscal_year: int) -> list[list]:
    start, end = fiscal_year_bounds(fiscal_year)
    counted = (
        ActivityReport.objects.filter(tenant_id=tenant_id, day__gte=start, day__lte=end)
        .exclude(status=ReportStatus.REJECTED)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(
            n=Count("pk"),
            hours=Sum("hours"),
            fsc=Count("pk", filter=Q(offer__request__is_fsc=True)),
        )
    )
    found = {row["month"]: row for row in counted}
    rows = []
    for offset in range(12):
        month = date(fiscal_year + (3 + offset) // 12, (3 + offset) % 12 + 1, 1)
        row = found.get(month, {})
        rows.append(
            [f"{month:%Y-%m}", row.get("n", 0), float(row.get("hours") or 0), row.get("fsc", 0)]
        )
    return rows


def by_district(tenant_id: int, fiscal_year: int) -> list[list]:
    start, end = fiscal_year_bounds(fiscal_year)
    helpers = dict(
        Helper.objects.filter(tenant_id=tenant_id, is_active=True)
        .values("area_id").annotate(n=Count("pk")).values_list("area_id", "n")
    )  # fmt: skip
    requests = dict(
        HelpRequest.objects.filter(
            tenant_id=tenant_id, starts_at__date__gte=start, starts_at__date__lte=end
        ).values("area_id").annotate(n=Count("pk")).values_list("area_id", "n")
    )  # fmt: skip
    rows = []
    for area in Area.objects.filter(tenant_id=tenant_id, kind=AreaKind.DISTRICT).order_by("code"):
        rows.append([area.name, helpers.get(area.pk, 0), requests.get(area.pk, 0)])
    rows.append(["—", helpers.get(None, 0), requests.get(None, 0)])
    return rows


def by_registry(tenant_id: int, fiscal_year: int) -> list[list]:
    counts = defaultdict(int)
    rows = []
    for registry in Registry.objects.filter(tenant_id=tenant_id):
        counts[registry.key] = selectors.registered_count(tenant_id, fiscal_year, registry.key)
        rows.append([registry.name, registry.key, counts[registry.key]])
    return rows


def tables(tenant_id: int, fiscal_year: int) -> list[Table]:
    return [
        Table(
            _("Activities by month"),
            [_("Month"), _("Activity reports"), _("Hours"), _("Family support center uses")],
            by_month(tenant_id, fiscal_year),
        ),
        Table(
            _("By district"),
            [_("District"), _("Helpers"), _("Requests for help")],
            by_district(tenant_id, fiscal_year),
        ),
        Table(
            _("By registry (end of the fiscal year)"),
            [_("Registry"), _("Key"), _("Registered")],
            by_registry(tenant_id, fiscal_year),
        ),
    ]
