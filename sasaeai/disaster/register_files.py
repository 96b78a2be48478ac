"""The copy of a recipient's share (名簿の提供) as Excel or PDF: the legal items only."""

import io

from django.utils import timezone
from openpyxl import Workbook
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm

from sasaeai.core.fiscal import wareki_date
from sasaeai.core.pdf import FONT, NumberedCanvas, register_font
from sasaeai.core.spreadsheet import csv_cell, protect_workbook, workbook_bytes
from sasaeai.disaster.models import RegisterReason

HEADER = (
    "番号",
    "氏名",
    "氏名カナ",
    "生年月日",
    "性別",
    "住所",
    "電話番号",
    "地区",
    "避難支援等を必要とする事由",
)
REASONS = dict(RegisterReason.choices)


def _row(entry) -> list:
    reasons = "、".join(str(REASONS.get(r, r)) for r in entry.reasons)
    return [
        entry.pk, entry.name, entry.name_kana,
        entry.birth_date.isoformat() if entry.birth_date else "", entry.sex, entry.address,
        entry.phone, entry.area.name if entry.area else "", reasons,
    ]  # fmt: skip


def excel_copy(organisation, entries, copy) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "避難行動要支援者名簿"
    sheet.append([f"{organisation.name} 提供分（{wareki_date(copy.issued_on)}、{copy.pk}号）"])
    sheet.append(list(HEADER))
    for entry in entries:
        sheet.append([csv_cell(value) for value in _row(entry)])
    protect_workbook(book)
    return workbook_bytes(book)


def pdf_copy(organisation, entries, copy) -> bytes:
    register_font()
    buffer = io.BytesIO()
    size = landscape(A4)
    footer = f"避難行動要支援者名簿 {organisation.name} 提供番号 {copy.pk}"
    canvas = NumberedCanvas(buffer, pagesize=size, footer_left=footer)
    canvas.setTitle("避難行動要支援者名簿")
    width, height = size
    columns = (12, 22, 72, 110, 132, 143, 215, 245, 270)  # mm from the left edge

    def head(y):
        canvas.setFont(FONT, 8)
        for x, label in zip(columns, HEADER, strict=True):
            canvas.drawString(x * mm, y, label)

    canvas.setFont(FONT, 13)
    canvas.drawString(
        12 * mm, height - 15 * mm, f"避難行動要支援者名簿（{organisation.name} 提供分）"
    )
    canvas.setFont(FONT, 9)
    canvas.drawString(
        12 * mm, height - 21 * mm,
        f"提供日 {wareki_date(copy.issued_on)}　受領者 {copy.received_by}　{len(entries)}名　"
        f"作成 {wareki_date(timezone.localdate())}　取扱注意：協定に従い保管・返却すること",
    )  # fmt: skip
    y = height - 30 * mm
    head(y)
    for entry in entries:
        y -= 6 * mm
        if y < 15 * mm:
            canvas.showPage()
            y = height - 15 * mm
            head(y)
            y -= 6 * mm
        canvas.setFont(FONT, 8)
        for x, value in zip(columns, _row(entry), strict=True):
            canvas.drawString(x * mm, y, str(value)[:40])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
