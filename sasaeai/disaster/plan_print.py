"""個別避難計画 on one A4 page, laid out like the municipal 様式: the person's legal items, the
reasons, the supporters, destination, route, needs and the consent date.

Always one page: long texts are cut to the lines their box holds (the page says so), as the
paper form would be; the full text stays on the screen.
"""

import io

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit

from sasaeai.core.fiscal import wareki_date
from sasaeai.core.pdf import FONT, NumberedCanvas, register_font
from sasaeai.disaster.models import DestinationKind, EvacuationPlan, RegisterReason

WIDTH, HEIGHT = A4
LEFT, RIGHT = 18 * mm, WIDTH - 18 * mm
LABEL_WIDTH = 38 * mm
LINE = 4.6 * mm
MAX_SUPPORTERS = 4


def _date(day) -> str:
    return wareki_date(day) if day else ""


def _reasons(entry) -> str:
    labels = dict(RegisterReason.choices)
    text = "、".join(str(labels.get(code, code)) for code in entry.reasons or [])
    return f"{text}\n{entry.reason_note}".strip()


def _destination(plan: EvacuationPlan) -> str:
    kind = str(plan.get_destination_kind_display()) if plan.destination_kind else ""
    if plan.destination_kind == DestinationKind.WELFARE_SHELTER and plan.shelter:
        place = f"{plan.shelter.name}（{plan.shelter.address}　{plan.shelter.phone}）"
        return f"{kind}：{place}"
    return f"{kind}：{plan.destination_name}" if plan.destination_name else kind


class Form:
    """Rows of label | value boxes drawn from the top of the page downwards."""

    def __init__(self, canvas):
        self.canvas = canvas
        self.y = HEIGHT - 34 * mm
        self.cut = False

    def row(self, label: str, text: str, *, lines: int = 1) -> None:
        canvas = self.canvas
        width = RIGHT - LEFT - LABEL_WIDTH - 4 * mm
        wrapped = [
            part for paragraph in (text or "").splitlines() or [""]
            for part in simpleSplit(paragraph, FONT, 9.5, width) or [""]
        ]  # fmt: skip
        if len(wrapped) > lines:
            wrapped = wrapped[:lines]
            wrapped[-1] = wrapped[-1][:-2] + "…"
            self.cut = True
        height = max(lines, 1) * LINE + 2.4 * mm
        canvas.rect(LEFT, self.y - height, RIGHT - LEFT, height)
        canvas.line(LEFT + LABEL_WIDTH, self.y, LEFT + LABEL_WIDTH, self.y - height)
        canvas.setFont(FONT, 9)
        canvas.drawString(LEFT + 2 * mm, self.y - LINE, label)
        canvas.setFont(FONT, 9.5)
        for index, part in enumerate(wrapped):
            canvas.drawString(LEFT + LABEL_WIDTH + 2 * mm, self.y - LINE * (index + 1), part)
        self.y -= height

    def heading(self, text: str) -> None:
        self.y -= 3 * mm
        self.canvas.setFont(FONT, 11)
        self.canvas.drawString(LEFT, self.y - 4 * mm, text)
        self.y -= 6 * mm


def plan_pdf(plan: EvacuationPlan, tenant=None) -> bytes:
    register_font()
    buffer = io.BytesIO()
    canvas = NumberedCanvas(buffer, pagesize=A4, footer_left="個別避難計画")
    canvas.setTitle("個別避難計画")
    canvas.setLineWidth(0.6)
    canvas.setFont(FONT, 18)
    canvas.drawCentredString(WIDTH / 2, HEIGHT - 22 * mm, "個 別 避 難 計 画")
    canvas.setFont(FONT, 9)
    issuer = tenant.name if tenant is not None else ""
    canvas.drawRightString(
        RIGHT, HEIGHT - 29 * mm, f"{issuer}　作成日 {_date(timezone.localdate())}"
    )
    form = Form(canvas)
    entry = plan.entry
    form.heading("1　避難行動要支援者（本人）")
    form.row("氏名（ふりがな）", f"{entry.name}（{entry.name_kana}）")
    form.row("生年月日・性別", f"{_date(entry.birth_date)}　{entry.sex}")
    form.row(
        "住所", f"〒{entry.postal_code}　{entry.address}" if entry.postal_code else entry.address
    )
    form.row("連絡先", entry.phone)
    form.row("支援を必要とする事由", _reasons(entry), lines=3)
    form.heading("2　避難支援等実施者")
    supporters = list(plan.supporters.all())
    for index, supporter in enumerate(supporters[:MAX_SUPPORTERS], start=1):
        form.row(
            f"実施者{index}（{supporter.relation}）" if supporter.relation else f"実施者{index}",
            f"{supporter.name}　電話 {supporter.phone}　{supporter.address}",
        )
    if len(supporters) > MAX_SUPPORTERS:
        form.row("", f"ほか {len(supporters) - MAX_SUPPORTERS} 名（画面で確認してください）")
    if not supporters:
        form.row("実施者", "（未定）")
    form.heading("3　避難先・避難経路")
    form.row("避難先", _destination(plan), lines=2)
    form.row("避難経路", plan.route, lines=4)
    form.heading("4　避難時に配慮すること")
    form.row("医療機器", plan.medical_devices, lines=2)
    form.row("服薬", plan.medication, lines=2)
    form.row("移動の方法", plan.mobility, lines=2)
    form.row("その他", plan.other_needs, lines=3)
    form.heading("5　同意・作成")
    form.row("本人の同意日", _date(plan.consent_on) or "（同意前）")
    form.row("状態・見直し日", f"{plan.get_status_display()}　見直し {_date(plan.reviewed_on)}")
    planner = plan.care_planner
    form.row("作成者", (planner.get_full_name() or planner.username) if planner else "市町村")
    canvas.setFont(FONT, 8)
    note = "この計画は本人の同意を得て、避難支援等関係者に提供されます。取扱いに注意してください。"
    canvas.drawString(LEFT, form.y - 6 * mm, note)
    if form.cut:
        canvas.drawString(
            LEFT,
            form.y - 10 * mm,
            "※ 長い記載は一部を省略しています。全文は画面で確認してください。",
        )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
