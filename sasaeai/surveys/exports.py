"""Results as CSV and Excel (formula-safe through core.spreadsheet), answer links as CSV and
as an A4 PDF of QR slips, and the public link's QR code."""

import io

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from sasaeai.core import pdf
from sasaeai.core.csvio import write_csv
from sasaeai.core.spreadsheet import workbook_bytes
from sasaeai.surveys.models import Answer, Invitation, QuestionKind, Survey
from sasaeai.surveys.selectors import questions_of


def public_path(survey: Survey, token: str | None = None) -> str:
    kwargs = {"tenant_code": survey.tenant.code, "code": survey.code}
    if token:
        return reverse("surveys:answer_with_token", kwargs={**kwargs, "token": token})
    return reverse("surveys:answer", kwargs=kwargs)


def public_url(survey: Survey, token: str | None = None) -> str:
    return f"{settings.SITE_URL}{public_path(survey, token)}"


def qr_svg(url: str) -> str:
    buffer = io.BytesIO()
    segno.make(url, micro=False, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
    return buffer.getvalue().decode()


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, micro=False, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def response_table(survey: Survey) -> tuple[list[str], list[list[object]]]:
    """One row per response (numbered in submission order, no identity), one column per
    question: the choice labels (joined by 「、」) or the free text as typed."""
    questions = questions_of(survey)
    labels = {q.pk: {c.key: c.label for c in q.choices.all()} for q in questions}
    header = ["回答番号", "回答日時", *[f"問{q.order} {q.text}" for q in questions]]
    by_response: dict[int, dict[int, list[str]]] = {}
    submitted: dict[int, object] = {}
    for response_id, at, question_id, key, text in (
        Answer.objects.filter(question__survey=survey)
        .order_by("response_id", "question_id", "pk")
        .values_list("response_id", "response__submitted_at", "question_id", "choice_key", "text")
    ):
        submitted[response_id] = at
        value = text if not key else labels[question_id].get(key, key)
        by_response.setdefault(response_id, {}).setdefault(question_id, []).append(value)
    rows = []
    for number, (response_id, answers) in enumerate(sorted(by_response.items()), start=1):
        at = submitted[response_id]
        rows.append(
            [number, timezone.localtime(at).strftime("%Y-%m-%d %H:%M")]
            + ["、".join(answers.get(q.pk, [])) for q in questions]
        )
    return header, rows


def results_csv(survey: Survey) -> bytes:
    header, rows = response_table(survey)
    return write_csv(header, rows)


def results_xlsx(survey: Survey, summary) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "集計"
    sheet.append([survey.title])
    for result in summary:
        sheet.append([])
        sheet.append([f"問{result.question.order} {result.question.text}", "", ""])
        if result.question.kind == QuestionKind.FREE_TEXT:
            sheet.append(["回答数", result.respondents])
            continue
        sheet.append(["選択肢", "件数", "割合（%）"])
        for choice in result.choices:
            sheet.append([choice.label, choice.count, choice.percent])
        sheet.append(["回答者数", result.respondents, None])
    answers = book.create_sheet("回答")
    header, rows = response_table(survey)
    answers.append(header)
    for row in rows:
        answers.append(row)
    return workbook_bytes(book)


def invitations_csv(survey: Survey, made: list[tuple[Invitation, str]]) -> bytes:
    return write_csv(
        ["番号", "ラベル", "回答用リンク"],
        [(n, inv.label, public_url(survey, token)) for n, (inv, token) in enumerate(made, 1)],
    )


def invitations_pdf(survey: Survey, made: list[tuple[Invitation, str]]) -> bytes:
    """A4 sheets of 10 slips (2 × 5): the survey's title, the QR code, the link, a number."""
    pdf.register_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle(survey.title)
    width, height = A4
    columns, rows = 2, 5
    slip_w, slip_h = (width - 20 * mm) / columns, (height - 20 * mm) / rows
    for index, (invitation, token) in enumerate(made):
        place = index % (columns * rows)
        if index and place == 0:
            canvas.showPage()
        x = 10 * mm + (place % columns) * slip_w
        y = height - 10 * mm - (place // columns + 1) * slip_h
        canvas.setDash(2, 2)
        canvas.rect(x, y, slip_w, slip_h)
        canvas.setDash()
        url = public_url(survey, token)
        qr = segno.make(url, micro=False, error="m")
        size = 38 * mm
        module = size / (qr.symbol_size(border=2)[0])
        for row_index, row in enumerate(qr.matrix_iter(border=2)):
            for col_index, dark in enumerate(row):
                if dark:
                    canvas.rect(
                        x + 5 * mm + col_index * module, y + slip_h - 8 * mm - (row_index + 1) * module,
                        module, module, stroke=0, fill=1,
                    )  # fmt: skip
        text_x = x + 46 * mm
        canvas.setFont(pdf.FONT, 10)
        canvas.drawString(text_x, y + slip_h - 12 * mm, survey.title[:22])
        canvas.setFont(pdf.FONT, 8)
        canvas.drawString(text_x, y + slip_h - 18 * mm, "QRコードを読み取って回答してください。")
        canvas.drawString(text_x, y + slip_h - 23 * mm, "このリンクで回答できるのは1回です。")
        canvas.drawString(text_x, y + slip_h - 30 * mm, f"No. {index + 1}  {invitation.label}")
        canvas.setFont(pdf.FONT, 5)
        canvas.drawString(x + 5 * mm, y + 4 * mm, url)
    canvas.save()
    return buffer.getvalue()
