"""Statistics page and its formula-safe CSV / Excel export."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from openpyxl import Workbook

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import Event, audit_event
from sasaeai.core.csvio import write_csv
from sasaeai.core.fiscal import fiscal_year_label, fiscal_year_of
from sasaeai.core.spreadsheet import workbook_bytes
from sasaeai.volunteers import statistics


def _year(request) -> int:
    value = request.GET.get("fy", "")
    if value.isdigit() and 2000 <= int(value) <= 2100:
        return int(value)
    return fiscal_year_of(timezone.localdate())


def statistics_page(request):
    actor = request.actor
    policy.require(actor, "volunteers.view_statistics")
    year = _year(request)
    return render(
        request, "volunteers/statistics.html",
        {"tables": statistics.tables(actor.tenant_id, year), "year": year,
         "year_label": fiscal_year_label(year)},
    )  # fmt: skip


def statistics_export(request, fmt: str):
    actor = request.actor
    policy.require(actor, "volunteers.view_statistics")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    year = _year(request)
    tables = statistics.tables(actor.tenant_id, year)
    audit_event(
        actor,
        Event(action=Action.EXPORT, object_type="volunteers.statistics", detail={"fy": year}),
    )
    if fmt == "csv":
        rows = []
        for table in tables:
            rows += [[table.title], table.header, *table.rows, []]
        body = write_csv([f"{fiscal_year_label(year)}"], rows)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    else:
        book = Workbook()
        book.remove(book.active)
        for table in tables:
            sheet = book.create_sheet(table.title[:31])
            sheet.append(table.header)
            for row in table.rows:
                sheet.append(row)
        body = workbook_bytes(book)
        response = HttpResponse(
            body,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="volunteers-{year}.{fmt}"'
    return response
