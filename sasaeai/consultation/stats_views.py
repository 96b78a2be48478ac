"""Anonymous statistics pages and their CSV / Excel export, and the disclosure export."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import Event, audit_event, audit_object
from sasaeai.consultation import exports, statistics
from sasaeai.core.db import replica_reads
from sasaeai.core.fiscal import fiscal_year_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(request, tenant_id: int) -> tuple[int, list[int]]:
    """The fiscal year asked for with ?fy=, if there is anything to count in it."""
    years = statistics.available_years(tenant_id)
    try:
        year = int(request.GET.get("fy", ""))
    except ValueError:
        return years[0], years
    return (year if year in years else years[0]), years


def _tables(request):
    actor = request.actor
    policy.require(actor, "consultation.view_statistics")
    # Counts of past fiscal years: read from the replica when there is one (lag of seconds).
    with replica_reads():
        year, years = _year(request, actor.tenant_id)
        return year, years, statistics.build(actor.tenant_id, year)


def _audit_export(actor, year: int, fmt: str, table: str | None = None) -> None:
    audit_event(actor, Event(
        action=Action.EXPORT, object_type="consultation.statistics", object_id=str(year),
        object_repr=f"consultation statistics FY{year}", tenant_id=actor.tenant_id,
        detail={"fiscal_year": year, "format": fmt, "table": table or "all"},
    ))  # fmt: skip


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def statistics_page(request):
    year, years, tables = _tables(request)
    return render(request, "consultation/statistics.html", {
        "year": year, "year_label": fiscal_year_label(year),
        "years": [(y, fiscal_year_label(y)) for y in years], "tables": tables,
        "mask": statistics.MASK,
    })  # fmt: skip


def statistics_csv(request):
    year, _years, tables = _tables(request)
    table = request.GET.get("table") or None
    if table is not None and table not in {t.key for t in tables}:
        raise Http404
    data = statistics.to_csv(tables, table)
    _audit_export(request.actor, year, "csv", table)
    suffix = f"-{table}" if table else ""
    return _download(data, "text/csv; charset=utf-8", f"consultation-statistics-{year}{suffix}.csv")


def statistics_xlsx(request):
    year, _years, tables = _tables(request)
    data = statistics.to_xlsx(tables, fiscal_year_label(year))
    _audit_export(request.actor, year, "xlsx")
    return _download(data, XLSX, f"consultation-statistics-{year}.xlsx")


def disclosure_page(request, pk: int):
    """What the export will hold, before a supervisor downloads it; seeing it is audited."""
    person = exports.disclosure_person(request.actor, pk)
    records = exports.Records(request.actor, person)
    audit_object(request.actor, Action.READ, person, detail={"purpose": "disclosure"})
    return render(request, "consultation/disclosure.html", {
        "person": person, "counts": records.counts(), "withheld": records.withheld,
        "withheld_cases": records.withheld_cases,
    })  # fmt: skip


def disclosure_export(request, pk: int):
    person = exports.disclosure_person(request.actor, pk)
    data = exports.disclosure_workbook(request.actor, person)
    return _download(data, XLSX, f"disclosure-person-{person.pk}.xlsx")


urlpatterns = [
    path("statistics/", statistics_page, name="statistics"),
    path("statistics/statistics.csv", statistics_csv, name="statistics_csv"),
    path("statistics/statistics.xlsx", statistics_xlsx, name="statistics_xlsx"),
    path("persons/<int:pk>/disclosure/", disclosure_page, name="disclosure"),
    path("persons/<int:pk>/disclosure.xlsx", disclosure_export, name="disclosure_export"),
]
