"""The 支え合いマップ drawn without tiles: an SVG for the page and a landscape PDF to print.

Both take what `mutual_aid_map.drawable` returns (agreed households, ties between them, the
number left out) and lay them on the map's grid: a box per household with its label and mark
symbols, an arrow per tie (from who looks in to whom), a legend, title, area and date. With up
to 80 households the labels stay legible on A4 (up to 40) or A3 landscape.
"""

import io
import math
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib.pagesizes import A3, A4, landscape

from sasaeai.core.pdf import FONT, NumberedCanvas, register_font
from sasaeai.watch.models import HouseholdMark, TieKind
from sasaeai.watch.mutual_aid_map import GRID_COLUMNS, GRID_ROWS

CELL_W, CELL_H = 44, 36  # SVG user units per grid cell
BOX_W, BOX_H = 40, 26
LEGEND_H = 70

MARK_COLOURS = {
    HouseholdMark.ALONE_OLDER: "#d1495b",
    HouseholdMark.OLDER_COUPLE: "#edae49",
    HouseholdMark.NEEDS_SUPPORT: "#8e44ad",
    HouseholdMark.HELPER: "#00798c",
    HouseholdMark.GATHERING: "#30638e",
    HouseholdMark.OTHER: "#666666",
}
TIE_STYLES = {  # colour, dash
    TieKind.LOOKS_IN: ("#00798c", ""),
    TieKind.TALKS: ("#30638e", "4 3"),
    TieKind.HELPS: ("#edae49", "8 3"),
    TieKind.EMERGENCY: ("#d1495b", ""),
}


def _attr(text: str) -> str:
    """Text for an attribute value in double quotes (escape() alone leaves quotes as they are)."""
    return escape(str(text), {'"': "&quot;"})


def mark_symbol(mark: str) -> str:
    """One character per mark, drawn in the household's box (独, 夫, 要, 世, 集, 他)."""
    symbols = {
        HouseholdMark.ALONE_OLDER: pgettext("map mark symbol", "A"),
        HouseholdMark.OLDER_COUPLE: pgettext("map mark symbol", "C"),
        HouseholdMark.NEEDS_SUPPORT: pgettext("map mark symbol", "N"),
        HouseholdMark.HELPER: pgettext("map mark symbol", "H"),
        HouseholdMark.GATHERING: pgettext("map mark symbol", "G"),
        HouseholdMark.OTHER: pgettext("map mark symbol", "O"),
    }
    return symbols.get(mark, "?")


def short_label(label: str, limit: int = 6) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _centre(household) -> tuple[float, float]:
    return household.x * CELL_W + CELL_W / 2, household.y * CELL_H + CELL_H / 2


def _shortened(a, b, margin: float) -> tuple[float, float, float, float]:
    """The segment from a to b, pulled in by `margin` at both ends so arrows meet box edges."""
    (x1, y1), (x2, y2) = a, b
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    dx, dy = (x2 - x1) / length, (y2 - y1) / length
    return x1 + dx * margin, y1 + dy * margin, x2 - dx * margin, y2 - dy * margin


# ---- SVG ------------------------------------------------------------------------------------


def svg(mutual_aid_map, households, ties, hidden: int = 0, *, cell_link=None, box_link=None) -> str:
    """The map as SVG text. `cell_link(x, y)` / `box_link(household)` make empty cells and
    boxes links (the editor's clickable grid); attributes only, no inline style (CSP)."""
    width, height = GRID_COLUMNS * CELL_W, GRID_ROWS * CELL_H
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + LEGEND_H}" '
        f'class="map-drawing" role="img" aria-label="{_attr(mutual_aid_map.title)}" '
        f'font-family="sans-serif">',
        "<defs>"
        + "".join(_svg_marker(kind, colour) for kind, (colour, _d) in TIE_STYLES.items())
        + "</defs>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fbfbf7" stroke="#999"/>',
    ]
    parts += _svg_grid(width, height)
    occupied = {(h.x, h.y) for h in households}
    if cell_link is not None:
        parts += _svg_cells(occupied, cell_link)
    by_id = {h.pk: h for h in households}
    for tie in ties:
        parts.append(_svg_tie(tie, by_id))
    for household in households:
        parts.append(_svg_household(household, box_link))
    parts.append(_svg_legend(height, hidden))
    parts.append("</svg>")
    return "\n".join(parts)


def _svg_marker(kind, colour) -> str:
    return (
        f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{colour}"/></marker>'
    )


def _svg_grid(width, height) -> list[str]:
    lines = [
        f'<line x1="{c * CELL_W}" y1="0" x2="{c * CELL_W}" y2="{height}" stroke="#eee"/>'
        for c in range(1, GRID_COLUMNS)
    ]
    lines += [
        f'<line x1="0" y1="{r * CELL_H}" x2="{width}" y2="{r * CELL_H}" stroke="#eee"/>'
        for r in range(1, GRID_ROWS)
    ]
    return lines


def _svg_cells(occupied, cell_link) -> list[str]:
    cells = []
    for y in range(GRID_ROWS):
        for x in range(GRID_COLUMNS):
            if (x, y) in occupied:
                continue
            cells.append(
                f'<a href="{_attr(cell_link(x, y))}" data-cell="{x},{y}">'
                f'<rect x="{x * CELL_W}" y="{y * CELL_H}" width="{CELL_W}" height="{CELL_H}" '
                f'fill="transparent"><title>{x},{y}</title></rect></a>'
            )
    return cells


def _svg_tie(tie, by_id) -> str:
    colour, dash = TIE_STYLES.get(tie.kind, ("#333", ""))
    x1, y1, x2, y2 = _shortened(_centre(by_id[tie.source_id]), _centre(by_id[tie.target_id]), 16)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
        f'stroke-width="2"{dash_attr} marker-end="url(#arrow-{tie.kind})" data-tie="{tie.pk}"/>'
    )


def _svg_household(household, box_link) -> str:
    cx, cy = _centre(household)
    x, y = cx - BOX_W / 2, cy - BOX_H / 2
    symbols = "".join(
        f'<text x="{x + 2 + i * 9:.1f}" y="{y + BOX_H - 3:.1f}" font-size="8" '
        f'fill="{MARK_COLOURS.get(m, "#333")}">{escape(mark_symbol(m))}</text>'
        for i, m in enumerate(household.marks or [])
    )
    body = (
        f'<g data-household="{household.pk}"><rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" '
        f'height="{BOX_H}" rx="3" fill="#fff" stroke="#333"/>'
        f'<text x="{cx:.1f}" y="{y + 11:.1f}" font-size="9" text-anchor="middle">'
        f"{escape(short_label(household.label))}</text>{symbols}"
        f"<title>{escape(household.label)}</title></g>"
    )
    if box_link is not None:
        return f'<a href="{_attr(box_link(household))}">{body}</a>'
    return body


def _svg_legend(top, hidden) -> str:
    items, x = [], 6
    for mark, label in HouseholdMark.choices:
        items.append(
            f'<text x="{x}" y="{top + 18}" font-size="11" fill="{MARK_COLOURS[mark]}">'
            f"{escape(mark_symbol(mark))}</text>"
            f'<text x="{x + 12}" y="{top + 18}" font-size="10">{escape(str(label))}</text>'
        )
        x += 12 + 11 * len(str(label)) * 0.6 + 16
    x = 6
    for kind, label in TieKind.choices:
        colour, dash = TIE_STYLES[kind]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        items.append(
            f'<line x1="{x}" y1="{top + 40}" x2="{x + 30}" y2="{top + 40}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr} marker-end="url(#arrow-{kind})"/>'
            f'<text x="{x + 36}" y="{top + 44}" font-size="10">{escape(str(label))}</text>'
        )
        x += 46 + 10 * len(str(label)) * 0.6 + 20
    if hidden:
        items.append(
            f'<text x="6" y="{top + 62}" font-size="10" fill="#555">'
            f"{escape(_hidden_note(hidden))}</text>"
        )
    return "".join(items)


def _hidden_note(hidden: int) -> str:
    return _("%(count)s households that have not agreed to appear are not drawn.") % {
        "count": hidden
    }


# ---- PDF ------------------------------------------------------------------------------------


def pdf(mutual_aid_map, households, ties, hidden: int = 0) -> bytes:
    """One landscape page: A4 up to 40 households, A3 beyond (labels stay 7 pt or more)."""
    register_font()
    pagesize = landscape(A4 if len(households) <= 40 else A3)
    width, height = pagesize
    buffer = io.BytesIO()
    canvas = NumberedCanvas(
        buffer, pagesize=pagesize, footer_left=f"{mutual_aid_map.title}", margin=28
    )
    canvas.setTitle(mutual_aid_map.title)
    top = _pdf_heading(canvas, mutual_aid_map, width, height)
    legend_h = 70
    scale = min(
        (width - 56) / (GRID_COLUMNS * CELL_W), (top - 40 - legend_h) / (GRID_ROWS * CELL_H)
    )
    origin_x, origin_y = 28, top - 8  # grid's top-left corner, y grows downwards on the grid

    def at(gx: float, gy: float) -> tuple[float, float]:
        return origin_x + gx * scale, origin_y - gy * scale

    _pdf_grid(canvas, at, scale)
    by_id = {h.pk: h for h in households}
    for tie in ties:
        _pdf_tie(canvas, at, tie, by_id, scale)
    for household in households:
        _pdf_household(canvas, at, household, scale)
    _pdf_legend(canvas, origin_y - GRID_ROWS * CELL_H * scale - 16, hidden)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _pdf_heading(canvas, mutual_aid_map, width, height) -> float:
    canvas.setFont(FONT, 16)
    canvas.drawString(28, height - 40, f"{_('Mutual aid map')}: {mutual_aid_map.title}")
    canvas.setFont(FONT, 10)
    canvas.drawRightString(
        width - 28, height - 40,
        f"{_('District')}: {mutual_aid_map.area.name}　{_('Drawn on')}: "
        f"{mutual_aid_map.drawn_on:%Y-%m-%d}",
    )  # fmt: skip
    return height - 52


def _pdf_grid(canvas, at, scale) -> None:
    canvas.setStrokeColorRGB(0.9, 0.9, 0.9)
    canvas.setLineWidth(0.3)
    for c in range(GRID_COLUMNS + 1):
        canvas.line(*at(c * CELL_W, 0), *at(c * CELL_W, GRID_ROWS * CELL_H))
    for r in range(GRID_ROWS + 1):
        canvas.line(*at(0, r * CELL_H), *at(GRID_COLUMNS * CELL_W, r * CELL_H))


def _hex(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))


def _pdf_tie(canvas, at, tie, by_id, scale) -> None:
    colour, dash = TIE_STYLES.get(tie.kind, ("#333333", ""))
    x1, y1, x2, y2 = _shortened(_centre(by_id[tie.source_id]), _centre(by_id[tie.target_id]), 16)
    (px1, py1), (px2, py2) = at(x1, y1), at(x2, y2)
    canvas.setStrokeColorRGB(*_hex(colour))
    canvas.setFillColorRGB(*_hex(colour))
    canvas.setLineWidth(1.2)
    canvas.setDash([float(d) for d in dash.split()] if dash else [])
    canvas.line(px1, py1, px2, py2)
    canvas.setDash([])
    _pdf_arrowhead(canvas, px1, py1, px2, py2, 5)


def _pdf_arrowhead(canvas, x1, y1, x2, y2, size) -> None:
    angle = math.atan2(y2 - y1, x2 - x1)
    path = canvas.beginPath()
    path.moveTo(x2, y2)
    for turn in (2.6, -2.6):
        path.lineTo(x2 + size * math.cos(angle + turn), y2 + size * math.sin(angle + turn))
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


def _pdf_household(canvas, at, household, scale) -> None:
    cx, cy = _centre(household)
    left, top = at(cx - BOX_W / 2, cy - BOX_H / 2)
    w, h = BOX_W * scale, BOX_H * scale
    canvas.setStrokeColorRGB(0.2, 0.2, 0.2)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.setLineWidth(0.6)
    canvas.rect(left, top - h, w, h, stroke=1, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    size = max(6.5, min(9.0, w / 5))
    canvas.setFont(FONT, size)
    canvas.drawCentredString(left + w / 2, top - size - 1, short_label(household.label))
    for i, mark in enumerate(household.marks or []):
        canvas.setFillColorRGB(*_hex(MARK_COLOURS.get(mark, "#333333")))
        canvas.drawString(left + 2 + i * (size + 1), top - h + 2, mark_symbol(mark))


def _pdf_legend(canvas, y, hidden) -> None:
    canvas.setFont(FONT, 9)
    x = 28
    for mark, label in HouseholdMark.choices:
        canvas.setFillColorRGB(*_hex(MARK_COLOURS[mark]))
        canvas.drawString(x, y, mark_symbol(mark))
        canvas.setFillColorRGB(0, 0, 0)
        canvas.drawString(x + 12, y, str(label))
        x += 24 + canvas.stringWidth(str(label), FONT, 9)
    x, y = 28, y - 18
    for kind, label in TieKind.choices:
        colour, dash = TIE_STYLES[kind]
        canvas.setStrokeColorRGB(*_hex(colour))
        canvas.setFillColorRGB(*_hex(colour))
        canvas.setDash([float(d) for d in dash.split()] if dash else [])
        canvas.line(x, y + 3, x + 26, y + 3)
        canvas.setDash([])
        _pdf_arrowhead(canvas, x, y + 3, x + 26, y + 3, 4)
        canvas.setFillColorRGB(0, 0, 0)
        canvas.drawString(x + 32, y, str(label))
        x += 48 + canvas.stringWidth(str(label), FONT, 9)
    if hidden:
        canvas.drawString(28, y - 18, _hidden_note(hidden))
