"""活動証明書: one helper's signed-off activities of a fiscal year, as an A4 PDF."""

import io

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from sasaeai.core.fiscal import fiscal_year_bounds, fiscal_year_label, wareki_date
from sasaeai.core.pdf import FONT, NumberedCanvas, register_font
from sasaeai.volunteers.models import ActivityReport, Helper, ReportStatus


def certificate_pdf(helper: Helper, fiscal_year: int, tenant=None) -> bytes:
    register_font()
    start, end = fiscal_year_bounds(fiscal_year)
    reports = list(
        ActivityReport.objects.filter(
            offer__helper=helper, status=ReportStatus.SIGNED_OFF, day__gte=start, day__lte=end
        )
        .select_related("offer__request")
        .order_by("day", "pk")
    )
    buffer = io.BytesIO()
    canvas = NumberedCanvas(buffer, pagesize=A4, footer_left="活動証明書")
    width, height = A4
    canvas.setTitle("活動証明書")
    canvas.setFont(FONT, 20)
    canvas.drawCentredString(width / 2, height - 30 * mm, "活 動 証 明 書")
    canvas.setFont(FONT, 12)
    canvas.drawString(25 * mm, height - 48 * mm, f"氏名　{helper.name}　様")
    canvas.drawString(25 * mm, height - 56 * mm, f"対象期間　{fiscal_year_label(fiscal_year)}")
    total = sum(r.hours for r in reports)
    canvas.drawString(
        25 * mm, height - 64 * mm, f"活動回数　{len(reports)}回　　活動時間　{total}時間"
    )
    y = height - 80 * mm
    canvas.setFont(FONT, 10)
    canvas.drawString(25 * mm, y, "活動日")
    canvas.drawString(65 * mm, y, "内容")
    canvas.drawRightString(width - 25 * mm, y, "時間")
    for report in reports:
        y -= 7 * mm
        if y < 40 * mm:
            canvas.showPage()
            canvas.setFont(FONT, 10)
            y = height - 30 * mm
        canvas.drawString(25 * mm, y, wareki_date(report.day))
        canvas.drawString(65 * mm, y, report.offer.request.title[:40])
        canvas.drawRightString(width - 25 * mm, y, f"{report.hours}")
    y -= 16 * mm
    canvas.setFont(FONT, 11)
    canvas.drawString(
        25 * mm, max(y, 50 * mm), "上記のとおり、ボランティア活動に従事したことを証明します。"
    )
    canvas.drawString(25 * mm, max(y, 50 * mm) - 10 * mm, wareki_date(timezone.localdate()))
    if tenant is not None:
        issuer = tenant.welfare_council_name or tenant.name
        canvas.drawRightString(width - 25 * mm, max(y, 50 * mm) - 20 * mm, issuer)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
