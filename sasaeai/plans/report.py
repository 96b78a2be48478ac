"""The plan committee's annual report (推進委員会資料): one plan in one fiscal year, as a PDF and as
an Excel workbook.

Everything is read from a PlanProgress (selectors.plan_progress), which holds the whole plan:
no query is made here, so a plan of thousands of nodes renders in the same few queries as a
small one. The Japanese font is IPAex Gothic, shipped by the japanize-matplotlib package (only
its font file is used; nothing of it is imported) and embedded in the PDF as a subset.
"""

import datetime
import io
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    KeepTogether,
    LongTable,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from sasaeai.core.fiscal import fiscal_year_label, wareki_date
from sasaeai.core.pdf import FONT, NumberedCanvas, register_font
from sasaeai.core.spreadsheet import protect_workbook
from sasaeai.plans.models import (
    Direction,
    Evaluation,
    EvaluationStatus,
    Indicator,
    IndicatorActual,
    IndicatorTarget,
    PlanNode,
)
from sasaeai.plans.planfile import format_number
from sasaeai.plans.progress import Rollup, Status
from sasaeai.plans.selectors import IndicatorProgress, PlanProgress

PDF_CHART_LIMIT = 200  # line charts in the PDF: the first indicators that have actuals
XLSX_CHART_LIMIT = 60  # line charts in the workbook
STATUS_ORDER = (
    Status.ACHIEVED,
    Status.ON_TRACK,
    Status.BEHIND,
    Status.NO_DATA,
    Status.NOT_ASSESSED,
)
STATUS_COLOURS = {
    Status.ACHIEVED: "#2e7d32",
    Status.ON_TRACK: "#1565c0",
    Status.BEHIND: "#c62828",
    Status.NO_DATA: "#9e9e9e",
    Status.NOT_ASSESSED: "#cfcfcf",
}
STATUS_TINTS = {
    Status.ACHIEVED: "#e3f1e4",
    Status.ON_TRACK: "#e3edf8",
    Status.BEHIND: "#f9e1e1",
}
DEMO_MARK = "※"


# --- what both formats show ---------------------------------------------------------------


def _field(model, name: str) -> str:
    return str(capfirst(model._meta.get_field(name).verbose_name))


def _status_label(status: Status | str | None) -> str:
    return str(Status(status).label) if status else "―"


def _value_text(value: Decimal | None, text: str = "") -> str:
    return text or format_number(value)


def _number(value: Decimal | None) -> int | float | None:
    """A Decimal as a plain number for a chart or a spreadsheet cell."""
    if value is None:
        return None
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def _rollup_counts(rollup: Rollup) -> str:
    return " ".join(
        f"{_status_label(status)} {rollup.statuses[status]}"
        for status in STATUS_ORDER
        if rollup.statuses[status]
    )


@dataclass
class _Facts:
    """The figures the summary, tables and charts of both formats are drawn from."""

    progress: PlanProgress
    today: datetime.date
    nodes: dict[int, PlanNode]
    status_counts: Counter
    grade_counts: Counter
    evaluated_nodes: list[PlanNode]
    unevaluated: list[PlanNode]
    charted: list[IndicatorProgress]  # indicators with at least one actual
    has_demo: bool

    @property
    def plan(self):
        return self.progress.plan

    @property
    def year(self) -> int:
        return self.progress.fiscal_year

    @property
    def year_label(self) -> str:
        return fiscal_year_label(self.year)

    @property
    def period(self) -> str:
        return _("%(start)s to %(end)s") % {
            "start": fiscal_year_label(self.plan.start_year),
            "end": fiscal_year_label(self.plan.end_year),
        }

    @property
    def owners(self) -> str:
        return "、".join(self.plan.owners) or "―"

    @property
    def grade_labels(self) -> dict[str, str]:
        return {g["grade"]: g.get("label", "") for g in self.plan.grade_scale}

    def grades_in_order(self) -> list[str]:
        scale = [g["grade"] for g in self.plan.grade_scale]
        return scale + sorted(g for g in self.grade_counts if g not in scale)

    def chart_years(self, ip: IndicatorProgress) -> range:
        indicator = ip.indicator
        first = self.plan.start_year
        if indicator.baseline_year is not None:
            first = min(first, indicator.baseline_year)
        return range(first, self.plan.end_year + 1)

    def node_name(self, node: PlanNode) -> str:
        return f"{node.label} {node.title}".strip()

    def priority_mark(self, node: PlanNode) -> str:
        return (self.plan.priority_mark or "○") if node.priority else ""


def _facts(progress: PlanProgress) -> _Facts:
    tree = progress.tree
    evaluated = [node for node in tree.nodes if node.level.evaluated]
    has_demo = progress.plan.is_demo or any(e.is_demo for e in progress.evaluations.values())
    charted = []
    for ip in progress.indicators:
        if ip.actuals:
            charted.append(ip)
            has_demo = has_demo or any(a.is_demo for a in ip.actuals.values())
    return _Facts(
        progress=progress,
        today=timezone.localdate(),
        nodes={node.pk: node for node in tree.nodes},
        status_counts=Counter(ip.assessment.status for ip in progress.indicators),
        grade_counts=Counter(e.grade for e in progress.evaluations.values()),
        evaluated_nodes=evaluated,
        unevaluated=[node for node in evaluated if node.pk not in progress.evaluations],
        charted=charted,
        has_demo=has_demo,
    )


def _target_rows(indicator: Indicator) -> dict[int, IndicatorTarget]:
    return {t.fiscal_year: t for t in indicator.targets.all()}


def _trajectory(ip: IndicatorProgress) -> list[tuple[int, float]]:
    """Baseline, then each set target: the line the indicator is planned to follow."""
    indicator = ip.indicator
    points = []
    if indicator.baseline_year is not None and indicator.baseline_value is not None:
        points.append((indicator.baseline_year, indicator.baseline_value))
    points += sorted(
        (year, value)
        for year, value in ip.targets.items()
        if value is not None and (not points or year > points[0][0])
    )
    return [(year, _number(value)) for year, value in points]


def _actual_points(ip: IndicatorProgress) -> list[tuple[int, float]]:
    return [(year, _number(actual.value)) for year, actual in sorted(ip.actuals.items())]


def _actual_text(actual: IndicatorActual) -> str:
    return _value_text(actual.value, actual.text)


def _target_text(target: IndicatorTarget | None) -> str:
    if target is None:
        return ""
    if target.value is None:
        return target.text or _("not set")
    return _value_text(target.value, target.text)


def _baseline_text(indicator: Indicator) -> str:
    if indicator.baseline_year is None:
        return "―"
    return _value_text(indicator.baseline_value, indicator.baseline_text)


def _achievement(ip: IndicatorProgress) -> str:
    return ip.assessment.achievement_display or "―"


def _fy(year: int) -> str:
    return _("FY%(year)s") % {"year": year}


# --- PDF ------------------------------------------------------------------------------------


def _styles() -> dict:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK")

    def style(name, **kw):
        return ParagraphStyle(name, parent=base, **kw)

    return {
        "body": base,
        "title": style("title", fontSize=18, leading=26, spaceAfter=6),
        "subtitle": style("subtitle", fontSize=14, leading=20, spaceAfter=4),
        "h1": style(
            "h1",
            fontSize=13,
            leading=18,
            spaceBefore=10,
            spaceAfter=6,
            textColor=colors.HexColor("#1f3b5c"),
        ),
        "h2": style("h2", fontSize=10.5, leading=15, spaceBefore=4, spaceAfter=2),
        "small": style("small", fontSize=7.5, leading=10),
        "note": style("note", fontSize=7.5, leading=10, textColor=colors.HexColor("#555555")),
        "cell": style("cell", fontSize=8, leading=10.5),
        "cell_small": style("cell_small", fontSize=7, leading=9),
        "head": style("head", fontSize=8, leading=10.5, textColor=colors.white),
        "head_small": style("head_small", fontSize=7, leading=9, textColor=colors.white),
        "demo": style("demo", fontSize=9, leading=13, textColor=colors.HexColor("#b00020")),
    }


def _p(text: str, style, *, markup: bool = False):
    text = text if markup else escape(text).replace("\n", "<br/>")
    return Paragraph(text, style)


def _fit(text: str, style, width: float):
    """Plain text when it fits on one line (far cheaper to lay out), else a wrapping Paragraph."""
    if "\n" not in text and stringWidth(text, FONT, style.fontSize) <= width - 6:
        return text
    return _p(text, style)


def _table_style(*extra, header: bool = True, size: float = 8):
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), size),
        ("LEADING", (0, 0), (-1, -1), size * 1.3),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#3b5b7d")),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ]
    return TableStyle(commands + list(extra))


def _bar_chart(labels: list[str], values: list[int], bar_colours: list[str], title: str):
    drawing = Drawing(250, 165, initialFontName=FONT)
    drawing.add(String(125, 153, title, fontName=FONT, fontSize=9, textAnchor="middle"))
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 30, 205, 110
    chart.data = [values]
    chart.barWidth = 10
    chart.groupSpacing = 8
    chart.strokeColor = None
    chart.bars.strokeColor = None
    for index, colour in enumerate(bar_colours):
        chart.bars[(0, index)].fillColor = colors.HexColor(colour)
    top = max(values + [1])
    step = max(1, -(-top // 5))
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = step * (-(-top // step) + (1 if top % step == 0 else 0))
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "n"
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    drawing.add(chart)
    return drawing


def _axis_number(value: float) -> str:
    return format_number(Decimal(repr(round(value, 6))))


def _line_chart(facts: _Facts, ip: IndicatorProgress, width: float, height: float = 100):
    """Baseline → targets (dashed) and the actuals, by fiscal year."""
    planned, actual = _trajectory(ip), _actual_points(ip)
    years = facts.chart_years(ip)
    values = [v for _y, v in planned + actual]
    low, high = min(values), max(values)
    pad = (high - low) * 0.12 or abs(high) * 0.1 or 1
    low, high = low - pad, high + pad
    if min(values) >= 0:
        low = max(low, 0)

    drawing = Drawing(width, height, initialFontName=FONT)
    plot = LinePlot()
    plot.x, plot.y = 52, 22
    plot.width, plot.height = width - 52 - 110, height - 32
    series, styles = [], []
    target_colour, actual_colour = colors.HexColor("#7a8a99"), colors.HexColor("#1565c0")
    if planned:
        series.append(planned)
        styles.append((target_colour, (4, 3), "Circle"))
    series.append(actual)
    styles.append((actual_colour, None, "FilledCircle"))
    plot.data = series
    for index, (colour, dash, marker) in enumerate(styles):
        plot.lines[index].strokeColor = colour
        plot.lines[index].strokeWidth = 1.4
        plot.lines[index].strokeDashArray = dash
        plot.lines[index].symbol = makeMarker(
            marker, size=3.5, fillColor=colour, strokeColor=colour
        )
    plot.xValueAxis.valueMin = years.start - 0.3
    plot.xValueAxis.valueMax = years.stop - 1 + 0.3
    plot.xValueAxis.valueSteps = list(years)[:: -(-len(years) // 12)]  # at most 12 labels
    plot.xValueAxis.labelTextFormat = lambda v: str(round(v))
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = low, high
    plot.yValueAxis.labelTextFormat = _axis_number
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = colors.HexColor("#e0e0e0")
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 6.5
    drawing.add(plot)
    # Legend, by hand: a dashed and a solid sample line.
    left, top = width - 100, height - 18
    entries = []
    if planned:
        entries.append((target_colour, (4, 3), _("Target (from the baseline)")))
    entries.append((actual_colour, None, _("Actual")))
    for index, (colour, dash, text) in enumerate(entries):
        y = top - index * 14
        drawing.add(
            Line(
                left,
                y + 3,
                left + 18,
                y + 3,
                strokeColor=colour,
                strokeWidth=1.4,
                strokeDashArray=dash,
            )
        )
        drawing.add(String(left + 22, y, text, fontName=FONT, fontSize=7))
    return drawing


def _page_header(canvas, doc, *, left: str, right: str, demo: str):
    width, height = doc.pagesize
    room = width / 2 - doc.leftMargin - 8 - (stringWidth(demo, FONT, 7.5) / 2 if demo else 0)
    if stringWidth(left, FONT, 7.5) > room:
        while left and stringWidth(left + "…", FONT, 7.5) > room:
            left = left[:-1]
        left += "…"
    canvas.saveState()
    canvas.setFont(FONT, 7.5)
    canvas.setFillGray(0.35)
    canvas.drawString(doc.leftMargin, height - 28, left)
    canvas.drawRightString(width - doc.rightMargin, height - 28, right)
    if demo:
        canvas.setFillColor(colors.HexColor("#b00020"))
        canvas.drawCentredString(width / 2, height - 28, demo)
    canvas.setStrokeGray(0.7)
    canvas.setLineWidth(0.5)
    canvas.line(doc.leftMargin, height - 32, width - doc.rightMargin, height - 32)
    canvas.line(doc.leftMargin, 32, width - doc.rightMargin, 32)
    canvas.restoreState()


def report_pdf(progress: PlanProgress) -> bytes:
    """The committee's report as an A4 PDF with the Japanese font embedded."""
    register_font()
    facts = _facts(progress)
    styles = _styles()
    plan = facts.plan
    title = _("Plan committee report")
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=36,
        rightMargin=36,
        topMargin=44,
        bottomMargin=44,
        title=f"{plan.title} {title} {facts.year_label}",
        author=facts.owners,
        subject=title,
        creator="Sasaeai",
        initialFontName=FONT,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    header = partial(
        _page_header,
        left=plan.short_title or plan.title,
        right=f"{title}　{facts.year_label}",
        demo=_("Contains demo data") if facts.has_demo else "",
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=header)])
    story = []
    story += _pdf_title(facts, styles, doc.width)
    story += _pdf_summary(facts, styles, doc.width)
    story += _pdf_tree(facts, styles, doc.width)
    story += _pdf_indicators(facts, styles, doc.width)
    story += _pdf_evaluations(facts, styles, doc.width)
    footer = _("Generated on %(date)s") % {"date": wareki_date(facts.today)}
    doc.build(story, canvasmaker=partial(NumberedCanvas, footer_left=footer))
    return buffer.getvalue()


def _pdf_title(facts: _Facts, styles: dict, width: float) -> list:
    plan = facts.plan
    story = [
        Spacer(1, 12),
        _p(plan.title, styles["title"]),
        _p(_("Plan committee report"), styles["subtitle"]),
        _p(facts.year_label, styles["subtitle"]),
        Spacer(1, 6),
    ]
    rows = [
        (_("Plan period"), facts.period),
        (_("Made by"), facts.owners),
        (_("Generated on"), wareki_date(facts.today)),
    ]
    if plan.vision:
        rows.insert(2, (_field(type(plan), "vision"), plan.vision))
    table = Table(
        [[_p(k, styles["cell"]), _p(v, styles["cell"])] for k, v in rows],
        colWidths=[90, width - 90],
    )
    table.setStyle(_table_style(header=False))
    story.append(table)
    if facts.has_demo:
        story += [
            Spacer(1, 6),
            _p(
                _(
                    "This report contains demo data: figures marked %(mark)s and evaluations marked "
                    "“%(demo)s” are not real records."
                )
                % {"mark": DEMO_MARK, "demo": _("demo data")},
                styles["demo"],
            ),
        ]
    return story


def _pdf_summary(facts: _Facts, styles: dict, width: float) -> list:
    progress = facts.progress
    story = [_p(_("Summary"), styles["h1"])]
    total = len(progress.indicators)
    blocks = []
    if total:
        rows = [
            [
                _p(_("Indicator status"), styles["head"]),
                _p(_("Indicators"), styles["head"]),
                _p(_("Share"), styles["head"]),
            ]
        ]
        for status in STATUS_ORDER:
            count = facts.status_counts[status]
            rows.append([_status_label(status), str(count), f"{count * 100 / total:.1f}%"])
        rows.append([_("Total"), str(total), "100.0%"])
        table = Table(rows, colWidths=[100, 55, 55])
        table.setStyle(
            _table_style(
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
            )
        )
        chart = _bar_chart(
            [_status_label(s) for s in STATUS_ORDER],
            [facts.status_counts[s] for s in STATUS_ORDER],
            [STATUS_COLOURS[s] for s in STATUS_ORDER],
            _("Indicators by status (%(fy)s)") % {"fy": _fy(facts.year)},
        )
        blocks.append((table, chart))
    else:
        story.append(_p(_("This plan has no indicators."), styles["body"]))

    if facts.evaluated_nodes or progress.evaluations:
        grades = facts.grades_in_order()
        labels = facts.grade_labels
        rows = [
            [_p(_field(Evaluation, "grade"), styles["head"]), "", _p(_("Nodes"), styles["head"])]
        ]
        for grade in grades:
            rows.append(
                [
                    grade,
                    _p(labels.get(grade, ""), styles["cell_small"]),
                    str(facts.grade_counts[grade]),
                ]
            )
        rows.append([_("Not evaluated yet"), "", str(len(facts.unevaluated))])
        mean = progress.total.mean_grade(facts.plan.grade_scale)
        rows.append([_("Mean grade"), "", mean or "―"])
        table = Table(rows, colWidths=[55, 110, 45])
        table.setStyle(
            _table_style(
                ("ALIGN", (2, 1), (2, -1), "RIGHT"),
                ("SPAN", (0, -2), (1, -2)),
                ("SPAN", (0, -1), (1, -1)),
                ("SPAN", (0, 0), (1, 0)),
            )
        )
        palette = ["#2e7d32", "#66bb6a", "#ffa726", "#c62828", "#8d6e63", "#795548"]
        chart = _bar_chart(
            grades + [_("Not evaluated yet")],
            [facts.grade_counts[g] for g in grades] + [len(facts.unevaluated)],
            [palette[min(i, len(palette) - 1)] for i in range(len(grades))] + ["#bdbdbd"],
            _("Evaluations by grade (%(fy)s)") % {"fy": _fy(facts.year)},
        )
        blocks.append((table, chart))
        if not progress.evaluations:
            story.append(_p(_("No evaluations are recorded for this fiscal year."), styles["body"]))
    for table, chart in blocks:
        row = Table([[table, chart]], colWidths=[width - 255, 255])
        row.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
        story += [row, Spacer(1, 8)]
    if total:
        story.append(
            _p(
                _(
                    "An indicator's status is judged in %(fy)s against its next target; a node's "
                    "status gathers the indicators under it."
                )
                % {"fy": facts.year_label},
                styles["note"],
            )
        )
    return story


def _pdf_tree(facts: _Facts, styles: dict, width: float) -> list:
    progress, plan = facts.progress, facts.plan
    story = [_p(_("Plan structure"), styles["h1"])]
    if not progress.tree.nodes:
        return story + [_p(_("This plan has no nodes."), styles["body"])]
    indents: dict[int, ParagraphStyle] = {}
    head = styles["head"]
    level_width, priority_width, status_width, grade_width = 64, 40, 112, 34
    title_width = width - level_width - priority_width - status_width - grade_width
    rows = [
        [
            _p(_("Level"), head),
            _p(_field(PlanNode, "title"), head),
            _p(plan.priority_label or _field(PlanNode, "priority"), head),
            _p(_("Indicator status"), head),
            _p(_field(Evaluation, "grade"), head),
        ]
    ]
    extra = []
    mean_used = False
    for index, node in enumerate(progress.tree.nodes, start=1):
        rollup = progress.rollup(node)
        depth = min(node.depth, 8)
        if depth not in indents:
            indents[depth] = ParagraphStyle(
                f"indent{depth}", parent=styles["cell"], leftIndent=depth * 10
            )
        evaluation = progress.evaluations.get(node.pk)
        if evaluation:
            grade = evaluation.grade + (DEMO_MARK if evaluation.is_demo else "")
        else:
            mean = rollup.mean_grade(plan.grade_scale)
            grade = f"({mean})" if mean else ""
            mean_used = mean_used or bool(mean)
        status = rollup.status
        counts = _rollup_counts(rollup)
        status_text = _status_label(status)
        if counts and stringWidth(counts, FONT, 8) <= status_width - 6:
            status_cell = f"{status_text}\n{counts}"
        elif counts:
            status_cell = _p(
                f'{escape(status_text)}<br/><font size="6.5" color="#555555">'
                f"{escape(counts)}</font>",
                styles["cell"],
                markup=True,
            )
        else:
            status_cell = status_text
        title = f"{escape(node.label)}　{escape(node.title)}"
        rows.append(
            [
                _fit(node.level.name, styles["cell_small"], level_width),
                _p(title, indents[depth], markup=True),
                facts.priority_mark(node),
                status_cell,
                grade,
            ]
        )
        if status in STATUS_TINTS:
            extra.append(
                ("BACKGROUND", (3, index), (3, index), colors.HexColor(STATUS_TINTS[status]))
            )
        if node.depth == 0 and progress.tree.children[node.pk]:
            extra.append(("BACKGROUND", (0, index), (2, index), colors.HexColor("#eef2f6")))
    table = LongTable(
        rows,
        colWidths=[level_width, title_width, priority_width, status_width, grade_width],
        repeatRows=1,
    )
    table.setStyle(
        _table_style(
            ("ALIGN", (2, 1), (2, -1), "CENTER"), ("ALIGN", (4, 1), (4, -1), "CENTER"), *extra
        )
    )
    story.append(table)
    if mean_used:
        story.append(
            _p(
                _("A grade in brackets is the mean of the evaluations below the node."),
                styles["note"],
            )
        )
    return story


def _pdf_indicators(facts: _Facts, styles: dict, width: float) -> list:
    progress = facts.progress
    if not progress.indicators:
        return []  # the summary says so
    story = [PageBreak(), _p(_("Indicators"), styles["h1"])]
    if len(facts.charted) > PDF_CHART_LIMIT:
        story.append(
            _p(
                _(
                    "Charts are drawn for the first %(limit)s of the %(count)s indicators "
                    "that have actuals."
                )
                % {"limit": PDF_CHART_LIMIT, "count": len(facts.charted)},
                styles["note"],
            )
        )
    charted = {id(ip) for ip in facts.charted[:PDF_CHART_LIMIT]}
    for number, ip in enumerate(progress.indicators, start=1):
        block = _pdf_indicator(facts, styles, width, number, ip, id(ip) in charted)
        story += [KeepTogether(block), Spacer(1, 8)]
    return story


def _pdf_indicator(facts, styles, width, number: int, ip: IndicatorProgress, chart: bool) -> list:
    indicator = ip.indicator
    node = facts.nodes.get(indicator.node_id)
    assessment = ip.assessment
    demo = any(a.is_demo for a in ip.actuals.values())
    heading = f"{number}. {escape(indicator.name)}"
    if demo:
        heading += f'　<font size="8" color="#b00020">{escape(_("demo data"))}</font>'
    block = [_p(heading, styles["h2"], markup=True)]
    if node is not None:
        block.append(_p(f"{node.level.name}　{facts.node_name(node)}", styles["note"]))
    meta = [
        (_field(Indicator, "unit"), indicator.unit or "―"),
        (_field(Indicator, "direction"), str(Direction(indicator.direction).label)),
        (_("Assessment (%(fy)s)") % {"fy": _fy(facts.year)}, _status_label(assessment.status)),
        (_("Achievement"), _achievement(ip)),
    ]
    if indicator.department:
        meta.append((_field(Indicator, "department"), indicator.department))
    block.append(
        _p(
            "　".join(f"{escape(k)}：<b>{escape(v)}</b>" for k, v in meta),
            styles["small"],
            markup=True,
        )
    )

    targets = _target_rows(indicator)
    years = list(facts.plan.fiscal_years)
    baseline_col = indicator.baseline_year is not None
    label_width = 46
    columns = len(years) + (1 if baseline_col else 0)
    column_width = (width - label_width) / columns
    head, cell = styles["head_small"], styles["cell_small"]

    def fit(text: str, style=cell):
        return _fit(text, style, column_width)

    header = [""]
    if baseline_col:
        header.append(fit(_("Baseline (%(fy)s)") % {"fy": _fy(indicator.baseline_year)}, head))
    header += [fit(_fy(year), head) for year in years]
    target_row = [_fit(_("Target"), cell, label_width)]
    actual_row = [_fit(_("Actual"), cell, label_width)]
    status_row = [_fit(_("Assessment"), cell, label_width)]
    if baseline_col:
        target_row.append(fit(_baseline_text(indicator)))
        actual_row.append("")
        status_row.append("")
    history = {a.fiscal_year: a for a in ip.history}
    for year in years:
        target_row.append(fit(_target_text(targets.get(year))))
        actual = ip.actuals.get(year)
        text = _actual_text(actual) + (DEMO_MARK if actual.is_demo else "") if actual else ""
        actual_row.append(fit(text))
        past = history.get(year)
        shown = past and (past.actual is not None or year == facts.year)
        status_row.append(fit(_status_label(past.status) if shown else ""))
    table = Table(
        [header, target_row, actual_row, status_row],
        colWidths=[label_width] + [column_width] * columns,
    )
    extra = [("BACKGROUND", (0, 1), (0, -1), colors.HexColor("#eef2f6"))]
    if baseline_col:
        extra.append(("SPAN", (1, 1), (1, 3)))
        extra.append(("VALIGN", (1, 1), (1, 3), "MIDDLE"))
    first_year = 2 if baseline_col else 1
    for offset, year in enumerate(years):
        past = history.get(year)
        if past and past.status in STATUS_TINTS and (past.actual is not None or year == facts.year):
            col = first_year + offset
            extra.append(
                ("BACKGROUND", (col, 3), (col, 3), colors.HexColor(STATUS_TINTS[past.status]))
            )
        if year == facts.year:
            col = first_year + offset
            extra.append(("BOX", (col, 0), (col, 3), 1.2, colors.HexColor("#1f3b5c")))
    table.setStyle(_table_style(*extra, size=7))
    block.append(table)

    notes = []
    for year, target in sorted(targets.items()):
        if target.value is None and target.unset_reason:
            notes.append(
                _("Target for %(fy)s not set: %(reason)s")
                % {"fy": _fy(year), "reason": target.unset_reason}
            )
    notes += list(assessment.steps)
    if demo:
        notes.append(f"{DEMO_MARK} {_('demo data')}")
    for note in notes:
        block.append(_p(note, styles["note"]))
    if chart:
        block.append(_line_chart(facts, ip, width))
    return block


def _pdf_evaluations(facts: _Facts, styles: dict, width: float) -> list:
    progress = facts.progress
    story = [_p(_("Evaluations (%(fy)s)") % {"fy": facts.year_label}, styles["h1"])]
    if progress.evaluations:
        story.insert(0, PageBreak())
    else:
        story.append(_p(_("No evaluations are recorded for this fiscal year."), styles["body"]))
    labels = facts.grade_labels
    cell, head_width = styles["cell"], 70
    value_width = (width - 2 * head_width) / 2
    text_width = width - head_width
    names = {
        name: _field(Evaluation, name)
        for name in ("grade", "results", "issues", "next_steps", "department", "status")
    }
    indicators_label = _("Indicator status")
    style = _table_style(
        ("SPAN", (0, 0), (-1, 0)),
        ("SPAN", (1, 2), (-1, 2)),
        ("SPAN", (1, 3), (-1, 3)),
        ("SPAN", (1, 4), (-1, 4)),
        ("BACKGROUND", (0, 1), (0, -1), colors.HexColor("#eef2f6")),
        ("BACKGROUND", (2, 1), (2, 1), colors.HexColor("#eef2f6")),
        ("BACKGROUND", (2, 5), (2, 5), colors.HexColor("#eef2f6")),
    )
    for node in progress.tree.nodes:
        evaluation = progress.evaluations.get(node.pk)
        if evaluation is None:
            continue
        title = f"{node.level.name}　{facts.node_name(node)}"
        if node.priority:
            title = f"{facts.priority_mark(node)} {title}"
        heading = escape(title)
        if evaluation.is_demo:
            heading += f'　<font size="8" color="#ffd0d0">{escape(_("demo data"))}</font>'
        grade = f"{evaluation.grade}　{labels.get(evaluation.grade, '')}".strip()
        status = progress.rollup(node).status
        rows = [
            [_p(heading, styles["head"], markup=True), "", "", ""],
            [
                names["grade"],
                _fit(grade, cell, value_width),
                indicators_label,
                _status_label(status),
            ],
            [names["results"], _fit(evaluation.results or "―", cell, text_width), "", ""],
            [names["issues"], _fit(evaluation.issues or "―", cell, text_width), "", ""],
            [names["next_steps"], _fit(evaluation.next_steps or "―", cell, text_width), "", ""],
            [
                names["department"],
                _fit(evaluation.department or "―", cell, value_width),
                names["status"],
                str(EvaluationStatus(evaluation.status).label),
            ],
        ]
        table = Table(rows, colWidths=[head_width, value_width, head_width, value_width])
        table.setStyle(style)
        story += [CondPageBreak(90), table, Spacer(1, 8)]
    if facts.unevaluated:
        names = "、".join(facts.node_name(node) for node in facts.unevaluated)
        story.append(_p(_("Not evaluated yet: %(nodes)s") % {"nodes": names}, styles["note"]))
    return story


# --- Excel ----------------------------------------------------------------------------------

SHEET_SUMMARY, SHEET_INDICATORS, SHEET_CHARTS, SHEET_EVALUATIONS, SHEET_TREE = (
    "概要",
    "指標",
    "指標グラフ",
    "評価",
    "体系",
)
YES = "○"


def _xl_header(sheet, row: int, values: list[str]) -> None:
    fill = PatternFill("solid", fgColor="3B5B7D")
    side = Side(style="thin", color="9AA5B1")
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=value)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = Border(top=side, bottom=side, left=side, right=side)


def _xl_widths(sheet, widths: list[float]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _xl_wrap(sheet, first_row: int, columns: list[int]) -> None:
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            cell.alignment = wrap if cell.column in columns else top


def _xl_number(cell, value: Decimal | None) -> None:
    number = _number(value)
    cell.value = number
    if isinstance(number, int):
        cell.number_format = "#,##0"
    elif number is not None:
        cell.number_format = "#,##0.0###"


def _xl_fix_axes(chart) -> None:
    # openpyxl ≥ 3.1 writes axes as deleted unless told otherwise.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def report_xlsx(progress: PlanProgress) -> bytes:
    """The committee's report as a workbook: summary, indicators, charts, evaluations, tree."""
    facts = _facts(progress)
    book = Workbook()
    _xl_summary(book.active, facts)
    _xl_indicators(book.create_sheet(SHEET_INDICATORS), facts)
    _xl_charts(book.create_sheet(SHEET_CHARTS), facts)
    _xl_evaluations(book.create_sheet(SHEET_EVALUATIONS), facts)
    _xl_tree(book.create_sheet(SHEET_TREE), facts)
    book.properties.title = f"{facts.plan.title} {_('Plan committee report')} {facts.year_label}"
    book.properties.creator = "Sasaeai"
    protect_workbook(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xl_summary(sheet, facts: _Facts) -> None:
    plan, progress = facts.plan, facts.progress
    sheet.title = SHEET_SUMMARY
    sheet["A1"] = plan.title
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A2"] = _("Plan committee report")
    sheet["A2"].font = Font(size=13)
    sheet["A3"] = facts.year_label
    sheet["A3"].font = Font(size=13, bold=True)
    info = [
        (_("Plan period"), facts.period),
        (_("Made by"), facts.owners),
        (_("Generated on"), wareki_date(facts.today)),
    ]
    if facts.has_demo:
        info.append((_("demo data"), _("Contains demo data")))
    row = 5
    for label, value in info:
        sheet.cell(row=row, column=1, value=label).font = Font(bold=True)
        sheet.cell(row=row, column=2, value=value)
        row += 1

    row += 1
    status_header = row
    _xl_header(sheet, row, [_("Indicator status"), _("Indicators")])
    for status in STATUS_ORDER:
        row += 1
        sheet.cell(row=row, column=1, value=_status_label(status))
        sheet.cell(row=row, column=2, value=facts.status_counts[status])
    status_last = row
    row += 1
    sheet.cell(row=row, column=1, value=_("Total")).font = Font(bold=True)
    sheet.cell(row=row, column=2, value=len(progress.indicators)).font = Font(bold=True)

    row += 2
    grade_header = row
    _xl_header(sheet, row, [_field(Evaluation, "grade"), _("Nodes"), _("Meaning")])
    labels = facts.grade_labels
    for grade in facts.grades_in_order():
        row += 1
        sheet.cell(row=row, column=1, value=grade)
        sheet.cell(row=row, column=2, value=facts.grade_counts[grade])
        sheet.cell(row=row, column=3, value=labels.get(grade, ""))
    grade_last = row
    row += 1
    sheet.cell(row=row, column=1, value=_("Not evaluated yet"))
    sheet.cell(row=row, column=2, value=len(facts.unevaluated))
    row += 1
    sheet.cell(row=row, column=1, value=_("Mean grade"))
    sheet.cell(row=row, column=2, value=progress.total.mean_grade(plan.grade_scale) or "―")
    if not progress.indicators:
        row += 2
        sheet.cell(row=row, column=1, value=_("This plan has no indicators."))

    for header, last, title, anchor in (
        (status_header, status_last, _("Indicators by status (%(fy)s)"), "E5"),
        (grade_header, grade_last, _("Evaluations by grade (%(fy)s)"), "E22"),
    ):
        if last <= header:
            continue
        chart = BarChart()
        chart.type = "col"
        chart.title = title % {"fy": _fy(facts.year)}
        chart.legend = None
        chart.add_data(
            Reference(sheet, min_col=2, min_row=header, max_row=last), titles_from_data=True
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=header + 1, max_row=last))
        chart.dataLabels = DataLabelList()
        chart.dataLabels.showVal = True
        chart.height, chart.width = 7, 13
        _xl_fix_axes(chart)
        sheet.add_chart(chart, anchor)
    _xl_widths(sheet, [22, 40, 30])


def _xl_indicators(sheet, facts: _Facts) -> None:
    years = list(facts.plan.fiscal_years)
    headers = [
        "No.",
        _field(Indicator, "ref"),
        _field(Indicator, "name"),
        _("Plan node"),
        _field(Indicator, "unit"),
        _field(Indicator, "direction"),
        _("Baseline year"),
        _("Baseline"),
        *[_("Target %(fy)s") % {"fy": _fy(y)} for y in years],
        *[_("Actual %(fy)s") % {"fy": _fy(y)} for y in years],
        _("Assessment (%(fy)s)") % {"fy": _fy(facts.year)},
        _("Achievement (%)"),
        _("Target year measured against"),
        _field(Indicator, "department"),
        _("Notes"),
        _("demo data"),
    ]
    _xl_header(sheet, 1, headers)
    first_target = 9
    first_actual = first_target + len(years)
    after = first_actual + len(years)
    for row, ip in enumerate(facts.progress.indicators, start=2):
        indicator = ip.indicator
        node = facts.nodes.get(indicator.node_id)
        sheet.cell(row=row, column=1, value=row - 1)
        sheet.cell(row=row, column=2, value=indicator.ref)
        sheet.cell(row=row, column=3, value=indicator.name)
        sheet.cell(row=row, column=4, value=facts.node_name(node) if node else "")
        sheet.cell(row=row, column=5, value=indicator.unit)
        sheet.cell(row=row, column=6, value=str(Direction(indicator.direction).label))
        sheet.cell(row=row, column=7, value=indicator.baseline_year)
        if indicator.baseline_year is not None:
            if indicator.baseline_value is not None:
                _xl_number(sheet.cell(row=row, column=8), indicator.baseline_value)
            else:
                sheet.cell(row=row, column=8, value=indicator.baseline_text)
        notes = []
        targets = _target_rows(indicator)
        for offset, year in enumerate(years):
            target = targets.get(year)
            cell = sheet.cell(row=row, column=first_target + offset)
            if target is not None and target.value is not None:
                _xl_number(cell, target.value)
            elif target is not None:
                cell.value = _target_text(target)
                if target.unset_reason:
                    notes.append(
                        _("Target for %(fy)s not set: %(reason)s")
                        % {"fy": _fy(year), "reason": target.unset_reason}
                    )
            actual = ip.actuals.get(year)
            if actual is not None:
                _xl_number(sheet.cell(row=row, column=first_actual + offset), actual.value)
        assessment = ip.assessment
        sheet.cell(row=row, column=after, value=_status_label(assessment.status))
        # Below the baseline the ratio means nothing as a percentage: say so in the notes.
        percent = None if assessment.below_baseline else assessment.achievement_percent
        if assessment.below_baseline:
            notes.append(assessment.achievement_display)
        if percent is not None:
            cell = sheet.cell(row=row, column=after + 1, value=float(percent))
            cell.number_format = "0.0"
        sheet.cell(row=row, column=after + 2, value=assessment.target_year)
        sheet.cell(row=row, column=after + 3, value=indicator.department)
        if indicator.note:
            notes.append(indicator.note)
        sheet.cell(row=row, column=after + 4, value="\n".join(notes))
        if any(a.is_demo for a in ip.actuals.values()):
            sheet.cell(row=row, column=after + 5, value=YES)
        if assessment.status in STATUS_TINTS:
            sheet.cell(row=row, column=after).fill = PatternFill(
                "solid", fgColor=STATUS_TINTS[assessment.status].lstrip("#")
            )
    _xl_wrap(sheet, 2, [3, 4, after + 4])
    for column in range(after + 5, after + 6):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.font = Font(color="B00020")
    sheet.row_dimensions[1].height = 30
    _xl_widths(
        sheet, [5, 14, 36, 28, 8, 10, 9, 11, *[11] * (2 * len(years)), 11, 10, 10, 16, 36, 6]
    )
    sheet.freeze_panes = "D2"
    if facts.progress.indicators:
        sheet.auto_filter.ref = (
            f"A1:{get_column_letter(len(headers))}{len(facts.progress.indicators) + 1}"
        )


def _xl_charts(sheet, facts: _Facts) -> None:
    charted = facts.charted[:XLSX_CHART_LIMIT]
    sheet["A1"] = _("Indicators with actuals: baseline → targets (dashed) and actuals")
    sheet["A1"].font = Font(bold=True, size=12)
    if not charted:
        sheet["A2"] = _("No indicator has actuals yet.")
    elif len(facts.charted) > XLSX_CHART_LIMIT:
        sheet["A2"] = _(
            "Charts are drawn for the first %(limit)s of the %(count)s indicators "
            "that have actuals."
        ) % {"limit": XLSX_CHART_LIMIT, "count": len(facts.charted)}
    row = 4
    for ip in charted:
        years = facts.chart_years(ip)
        planned = dict(_trajectory(ip))
        # The planned line drawn straight between baseline and targets, year by year.
        anchors = sorted(planned.items())
        line: dict[int, float] = {}
        for (y0, v0), (y1, v1) in zip(anchors, anchors[1:], strict=False):
            for year in range(y0, y1 + 1):
                line[year] = round(v0 + (v1 - v0) * (year - y0) / (y1 - y0), 4)
        if len(anchors) == 1:
            line[anchors[0][0]] = anchors[0][1]
        title = ip.indicator.name + (f"（{ip.indicator.unit}）" if ip.indicator.unit else "")
        sheet.cell(row=row, column=1, value=title).font = Font(bold=True)
        _xl_header(sheet, row + 1, [_("Fiscal year"), _("Planned"), _("Actual")])
        for offset, year in enumerate(years, start=row + 2):
            sheet.cell(row=offset, column=1, value=str(year))
            if year in line:
                sheet.cell(row=offset, column=2, value=line[year])
            actual = ip.actuals.get(year)
            if actual is not None:
                sheet.cell(row=offset, column=3, value=_number(actual.value))
        last = row + 1 + len(years)
        chart = LineChart()
        chart.title = ip.indicator.name
        chart.height, chart.width = 7, 15
        chart.display_blanks = "gap"
        chart.add_data(
            Reference(sheet, min_col=2, max_col=3, min_row=row + 1, max_row=last),
            titles_from_data=True,
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=row + 2, max_row=last))
        planned_series, actual_series = chart.series
        planned_series.graphicalProperties.line.dashStyle = "dash"
        planned_series.graphicalProperties.line.solidFill = "7A8A99"
        planned_series.smooth = False
        actual_series.graphicalProperties.line.solidFill = "1565C0"
        actual_series.marker.symbol = "circle"
        actual_series.smooth = False
        _xl_fix_axes(chart)
        sheet.add_chart(chart, f"E{row}")
        row += max(len(years) + 3, 16)
    _xl_widths(sheet, [12, 12, 12])


def _xl_evaluations(sheet, facts: _Facts) -> None:
    progress = facts.progress
    headers = [
        _field(PlanNode, "ref"),
        _("Level"),
        _field(PlanNode, "label"),
        _field(PlanNode, "title"),
        _field(Evaluation, "grade"),
        _("Meaning"),
        _field(Evaluation, "results"),
        _field(Evaluation, "issues"),
        _field(Evaluation, "next_steps"),
        _field(Evaluation, "department"),
        _field(Evaluation, "status"),
        _("Indicator status"),
        _("demo data"),
    ]
    _xl_header(sheet, 1, headers)
    labels = facts.grade_labels
    row = 1
    for node in progress.tree.nodes:
        evaluation = progress.evaluations.get(node.pk)
        if evaluation is None:
            continue
        row += 1
        status = progress.rollup(node).status
        values = [
            node.ref,
            node.level.name,
            node.label,
            node.title,
            evaluation.grade,
            labels.get(evaluation.grade, ""),
            evaluation.results,
            evaluation.issues,
            evaluation.next_steps,
            evaluation.department,
            str(EvaluationStatus(evaluation.status).label),
            _status_label(status) if status else "",
            YES if evaluation.is_demo else "",
        ]
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value)
    if row == 1:
        sheet.cell(row=2, column=1, value=_("No evaluations are recorded for this fiscal year."))
    _xl_wrap(sheet, 2, [4, 6, 7, 8, 9, 10])
    _xl_widths(sheet, [14, 12, 7, 30, 6, 18, 40, 34, 34, 16, 10, 10, 6])
    sheet.freeze_panes = "E2"


def _xl_tree(sheet, facts: _Facts) -> None:
    progress, plan = facts.progress, facts.plan
    headers = [
        _field(PlanNode, "ref"),
        _("Level"),
        _field(PlanNode, "label"),
        _field(PlanNode, "title"),
        plan.priority_label or _field(PlanNode, "priority"),
        _("Indicators"),
        *[_status_label(s) for s in STATUS_ORDER],
        _("Indicator status"),
        _field(Evaluation, "grade"),
        _("Mean grade"),
    ]
    _xl_header(sheet, 1, headers)
    status_column = 7 + len(STATUS_ORDER)
    for row, node in enumerate(progress.tree.nodes, start=2):
        rollup = progress.rollup(node)
        evaluation = progress.evaluations.get(node.pk)
        status = rollup.status
        values = [
            node.ref,
            node.level.name,
            node.label,
            node.title,
            facts.priority_mark(node),
            sum(rollup.statuses.values()),
            *[rollup.statuses[s] for s in STATUS_ORDER],
            _status_label(status) if status else "",
            evaluation.grade if evaluation else "",
            rollup.mean_grade(plan.grade_scale) or "",
        ]
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value)
        if node.depth == 0:
            for column in range(1, 5):
                sheet.cell(row=row, column=column).font = Font(bold=True)
        if status in STATUS_TINTS:
            sheet.cell(row=row, column=status_column).fill = PatternFill(
                "solid", fgColor=STATUS_TINTS[status].lstrip("#")
            )
    _xl_wrap(sheet, 2, [4])
    for row, node in enumerate(progress.tree.nodes, start=2):
        sheet.cell(row=row, column=4).alignment = Alignment(
            wrap_text=True, vertical="top", indent=min(node.depth, 10)
        )
    _xl_widths(sheet, [16, 14, 7, 44, 7, 7, *[8] * len(STATUS_ORDER), 10, 6, 8])
    sheet.freeze_panes = "E2"
    if not progress.tree.nodes:
        sheet.cell(row=2, column=1, value=_("This plan has no nodes."))
