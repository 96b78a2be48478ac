"""The A4 flyer of a notice (PDF): title, text wrapped for Japanese, the tenant, the date and a QR
code to the public page. The font comes from sasaeai.core.pdf (IPAex Gothic, embedded)."""

import io
from xml.sax.saxutils import escape

import segno
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from sasaeai.core.fiscal import wareki_date
from sasaeai.core.pdf import FONT, register_font
from sasaeai.notices.models import Notice

QR_SIZE = 36 * mm


def public_url(notice: Notice) -> str:
    """The absolute address of the notice's public page (as invitations build theirs)."""
    return f"{settings.SITE_URL}{notice.public_path}"


def _qr_png(url: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    return buffer


def _paragraphs(text: str, style: ParagraphStyle) -> list:
    # wordWrap="CJK" breaks Japanese between any two characters (with kinsoku from reportlab).
    return [Paragraph(escape(line) or "&nbsp;", style) for line in text.splitlines()]


def flyer_pdf(notice: Notice) -> bytes:
    register_font()
    title_style = ParagraphStyle(
        "title", fontName=FONT, fontSize=22, leading=30, wordWrap="CJK", spaceAfter=6 * mm
    )
    body_style = ParagraphStyle("body", fontName=FONT, fontSize=12.5, leading=21, wordWrap="CJK")
    small = ParagraphStyle("small", fontName=FONT, fontSize=9.5, leading=14, wordWrap="CJK")
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
        bottomMargin=20 * mm, title=notice.title, author=notice.tenant.name,
    )  # fmt: skip
    day = timezone.localdate(notice.published_at) if notice.published_at else timezone.localdate()
    url = public_url(notice)
    issued = Paragraph(
        escape(f"{wareki_date(day)}　{notice.tenant.name}"),
        ParagraphStyle("issued", parent=small, alignment=2),
    )
    story = [issued, Spacer(1, 6 * mm), Paragraph(escape(notice.title), title_style)]
    story += _paragraphs(notice.body, body_style)
    story.append(Spacer(1, 10 * mm))
    qr = Image(_qr_png(url), width=QR_SIZE, height=QR_SIZE)
    caption = [
        Paragraph(escape(_("Read this notice on the website (with furigana):")), small),
        Paragraph(escape(url), small),
    ]
    table = Table([[qr, caption]], colWidths=[QR_SIZE + 4 * mm, None])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story.append(table)
    doc.build(story)
    return buffer.getvalue()
