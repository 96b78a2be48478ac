"""The activity record as files: a commissioner's monthly form (Excel, one-page PDF), the
districts' month for the 定例会 (Excel), the fiscal year for 福祉行政報告例 (Excel, CSV).
Every file is built from tally.rows, the layout the page shows."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from sasaeai.commissioners import tally
from sasaeai.commissioners.models import Field, Topic
from sasaeai.core.csvio import write_csv
from sasaeai.core.fiscal import fiscal_year_label
from sasaeai.core.pdf import FONT, register_font
from sasaeai.core.spreadsheet import workbook_bytes

BOLD = Font(bold=True)


def month_label(month) -> str:
    return _("%(year)s/%(month)s") % {"year": month.year, "month": f"{month.month:02d}"}


def _form_sheet(sheet, title: str, subtitle: str, figures: tally.Figures) -> None:
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([subtitle])
    sheet.append([])
    sheet.append([_("Section"), _("Item"), _("Number"), _("Note")])
    for cell in sheet[4]:
        cell.font = BOLD
    for row in tally.rows(figures):
        sheet.append([row.section, row.label, row.value, row.note])
        if row.is_total:
            for cell in sheet[sheet.max_row]:
                cell.font = BOLD
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 10
    sheet.column_dimensions["D"].width = 40


def form_workbook(form, commissioner_name: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Activity record")
    subtitle = f"{month_label(form.month)}　{commissioner_name}"
    _form_sheet(sheet, _("Welfare commissioner's activity record"), subtitle, form.figures)
    return workbook_bytes(book)


def form_pdf(form, commissioner_name: str) -> bytes:
    """The form on one A4 page: every row of the national layout in two columns."""
    register_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    width, height = A4
    canvas.setTitle(str(_("Welfare commissioner's activity record")))
    canvas.setFont(FONT, 15)
    canvas.drawString(40, height - 50, _("Welfare commissioner's activity record"))
    canvas.setFont(FONT, 10)
    canvas.drawString(40, height - 68, f"{month_label(form.month)}　{commissioner_name}")
    canvas.drawRightString(width - 40, height - 68, str(form.record.get_status_display())
                           if form.record else _("being written"))  # fmt: skip
    # Left column: consultations (by field, by content); right: the other sections.
    sections = tally.sections(form.figures)
    left, right = sections[:2], sections[2:]
    _pdf_column(canvas, left, 40, height - 95)
    _pdf_column(canvas, right, width / 2 + 10, height - 95)
    canvas.setFont(FONT, 8)
    canvas.drawString(40, 30, _("Counts only: the activity record holds no person's name."))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _pdf_column(canvas, sections, x: float, y: float) -> None:
    line, column = 15, 250
    for section, rows in sections:
        canvas.setFont(FONT, 10)
        canvas.drawString(x, y, section)
        y -= line
        for row in rows:
            canvas.setFont(FONT, 9 if not row.is_total else 9.5)
            canvas.drawString(x + 8, y, row.label[:30])
            canvas.drawRightString(x + column, y, str(row.value))
            canvas.line(x + 4, y - 4, x + column + 2, y - 4)
            y -= line
            if row.note:
                canvas.setFont(FONT, 7.5)
                canvas.drawString(x + 16, y + 4, f"（{row.note}）")
                y -= line - 4
        y -= line / 2


def district_workbook(month, districts, tenant_name: str) -> bytes:
    """One column per 民児協 地区, one row per cell of the form, and the city's total."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Districts")
    sheet.append([f"{tenant_name}　{_('Activity records by district')}　{month_label(month)}"])
    sheet["A1"].font = Font(bold=True, size=13)
    names = [d.area.name if d.area else _("No district") for d in districts]
    sheet.append([_("Section"), _("Item"), *names, _("Total")])
    for cell in sheet[2]:
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True)
    total = tally.combine([d.figures for d in districts])
    per_district = [tally.rows(d.figures) for d in districts]
    for index, row in enumerate(tally.rows(total)):
        sheet.append([row.section, row.label, *[rows[index].value for rows in per_district],
                      row.value])  # fmt: skip
    sheet.append([])
    sheet.append(["", _("Commissioners"), *[d.commissioners for d in districts],
                  sum(d.commissioners for d in districts)])  # fmt: skip
    sheet.append(["", _("Forms submitted"), *[d.submitted for d in districts],
                  sum(d.submitted for d in districts)])  # fmt: skip
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 36
    return workbook_bytes(book)


def fiscal_workbook(totals, tenant_name: str) -> bytes:
    """福祉行政報告例 (民生委員・児童委員の活動状況): the year, each month, and 分野 × 内容."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Fiscal year")
    sheet.append([f"{tenant_name}　{fiscal_year_label(totals.fiscal_year)}　"
                  f"{_('Activities of welfare commissioners')}"])  # fmt: skip
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_("Commissioners with records"), totals.commissioners])
    months = [month_label(m) for m, _f in totals.by_month]
    sheet.append([_("Section"), _("Item"), _("Fiscal year"), *months])
    for cell in sheet[3]:
        cell.font = BOLD
    per_month = [tally.rows(f) for _m, f in totals.by_month]
    for index, row in enumerate(tally.rows(totals.figures)):
        sheet.append([row.section, row.label, row.value, *[r[index].value for r in per_month]])
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 36
    cross = book.create_sheet(_("Field by content"))
    cross.append([_("Content"), *[str(label) for _v, label in Field.choices], _("Total")])
    for cell in cross[1]:
        cell.font = BOLD
    for value, label in Topic.choices:
        cells = [totals.figures.cross.get((f, value), 0) for f in Field.values]
        cross.append([str(label), *cells, sum(cells)])
    cross.append([_("Total"), *[totals.figures.by_field[f] for f in Field.values],
                  totals.figures.consultations])  # fmt: skip
    cross.column_dimensions["A"].width = 36
    return workbook_bytes(book)


def fiscal_csv(totals, *, encoding: str = "utf-8-sig") -> bytes:
    header = [_("Fiscal year"), _("Key"), _("Section"), _("Item"), _("Number")]
    body = [
        (totals.fiscal_year, row.key, row.section, row.label, row.value)
        for row in tally.rows(totals.figures)
    ]
    return write_csv(header, body, encoding=encoding)
