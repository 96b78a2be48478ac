"""Statistics of the volunteers app: by month, by district and by registry, for a fiscal year.
Counts only, never a person."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
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
    # A range on the column itself (not on its date), so the (tenant, starts_at) index serves.
    since, until = (_local_midnight(start), _local_midnight(end + timedelta(days=1)))
    requests = dict(
        HelpRequest.objects.filter(
            tenant_id=tenant_id, starts_at__gte=since, starts_at__lt=until
        ).values("area_id").annotate(n=Count("pk")).values_list("area_id", "n")
    )  # fmt: skip
    rows = []
    for area in Area.objects.filter(tenant_id=tenant_id, kind=AreaKind.DISTRICT).order_by("code"):
        rows.append([area.name, helpers.get(area.pk, 0), requests.get(area.pk, 0)])
    rows.append(["—", helpers.get(None, 0), requests.get(None, 0)])
    return rows


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()))


def by_registry(tenant_id: int, fiscal_year: int) -> list[list]:
    """One query for every registry (selectors.registered_counts), not one per registry."""
    counts = selectors.registered_counts(tenant_id, fiscal_year)
    return [
        [registry.name, registry.key, counts.get(registry.key, 0)]
        for registry in Registry.objects.filter(tenant_id=tenant_id)
    ]


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
