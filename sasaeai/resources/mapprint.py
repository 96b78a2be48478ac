"""A printable A4 map of an area with its numbered list of places, as PDF (窓口・紙で配る用).

Nothing is fetched: there are no map tiles. The area's boundary polygons (GeoJSON, lon/lat) are
drawn, other boundaries faintly for context, and each place as a small numbered circle in its
category's colour, projected with Web Mercator at one scale on both axes and fitted to the page.
A north arrow, a scale bar (true at the map's latitude) and a legend go with the map; the list
(number, name, category, address, phone, hours) follows as a table that runs over as many pages
as it needs, its header repeated. Places without a position, or outside the map, are listed
with a note that they are not on the map.

The Japanese font (IPAex Gothic, embedded as a subset) and the page numbers come from
sasaeai.core.pdf, as in the plans app's committee report.
"""

import io
import math
import re
from dataclasses import dataclass
from datetime import date
from functools import partial
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import FILL_EVEN_ODD
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    LongTable,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from sasaeai.core.fiscal import wareki_date
from sasaeai.core.geo import polygons_of
from sasaeai.core.pdf import FONT, NumberedCanvas, register_font

EARTH_RADIUS = 6378137.0  # the sphere of Web Mercator (EPSG:3857), in metres
MAX_LATITUDE = 85.05112878  # where Web Mercator is cut off
EXTENT_PADDING = 0.05  # of the extent's span, on every side
SINGLE_PLACE_WINDOW_M = 1000.0  # a lone place (or a tight cluster) gets a window this wide
MAP_INNER_MARGIN = 14.0  # points between the map frame and the fitted extent
MARKER_RADIUS = 7.0  # points
MARKER_GAP = 1.0  # points kept free between two markers
MARKER_RINGS = 6  # rings of candidate positions tried around a crowded marker
MARKER_DIRECTIONS = 12  # candidate positions per ring
SCALE_BAR_MAX = 110.0  # points
NOT_ON_MAP_COLOUR = "#888888"
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
PAGE_MARGIN = 36
TOP_MARGIN = BOTTOM_MARGIN = 44


@dataclass(frozen=True)
class PrintPlace:
    number: int
    name: str
    category: str
    colour: str  # "#rrggbb"
    address: str
    phone: str
    hours: str
    lat: float | None
    lon: float | None

    @property
    def positioned(self) -> bool:
        return self.lat is not None and self.lon is not None


# --- projection -----------------------------------------------------------------------------


def mercator(lat: float, lon: float) -> tuple[float, float]:
    """Web Mercator metres (x east, y north) of a point."""
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    x = EARTH_RADIUS * math.radians(lon)
    y = EARTH_RADIUS * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    return x, y


def inverse_mercator(x: float, y: float) -> tuple[float, float]:
    """(lat, lon) of Web Mercator metres."""
    lon = math.degrees(x / EARTH_RADIUS)
    lat = math.degrees(2 * math.atan(math.exp(y / EARTH_RADIUS)) - math.pi / 2)
    return lat, lon


Extent = tuple[float, float, float, float]  # (min_x, min_y, max_x, max_y) in Web Mercator metres


@dataclass(frozen=True)
class MapFit:
    """Web Mercator metres → page points, one scale on both axes, centred in a frame."""

    scale: float  # points per Web Mercator metre
    min_x: float  # the extent's lower left corner, in Web Mercator metres …
    min_y: float
    offset_x: float  # … and where it lands on the page, in points
    offset_y: float

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        x, y = mercator(lat, lon)
        return self.offset_x + (x - self.min_x) * self.scale, self.offset_y + (
            y - self.min_y
        ) * self.scale

    def unproject(self, px: float, py: float) -> tuple[float, float]:
        x = self.min_x + (px - self.offset_x) / self.scale
        y = self.min_y + (py - self.offset_y) / self.scale
        return inverse_mercator(x, y)

    def points_per_metre(self, lat: float) -> float:
        """Points per metre on the ground at a latitude (Web Mercator stretches by 1/cos φ)."""
        return self.scale / math.cos(math.radians(lat))


def fit_extent(
    extent: Extent, frame: tuple[float, float, float, float], *, margin: float = 0.0
) -> MapFit:
    """Fit an extent into frame (x, y, width, height) less a margin, keeping its aspect."""
    min_x, min_y, max_x, max_y = extent
    fx, fy, fw, fh = frame
    width, height = max(fw - 2 * margin, 1.0), max(fh - 2 * margin, 1.0)
    span_x, span_y = max(max_x - min_x, 1.0), max(max_y - min_y, 1.0)
    scale = min(width / span_x, height / span_y)
    return MapFit(
        scale=scale,
        min_x=min_x,
        min_y=min_y,
        offset_x=fx + margin + (width - span_x * scale) / 2,
        offset_y=fy + margin + (height - span_y * scale) / 2,
    )


def _geometry_polygons(geometries) -> list[list[list[list[float]]]]:
    """The polygons of GeoJSON Polygon/MultiPolygon geometries, Features or FeatureCollections."""
    polygons = []
    for geometry in geometries or ():
        if not geometry:
            continue
        if geometry.get("type") == "FeatureCollection":
            polygons += _geometry_polygons(f.get("geometry") for f in geometry.get("features", ()))
        else:
            polygons += polygons_of(geometry)
    return polygons


def _window(cx: float, cy: float, metres: float) -> Extent:
    lat, _lon = inverse_mercator(cx, cy)
    half = metres / 2 / math.cos(math.radians(lat))  # ground metres → Web Mercator metres
    return cx - half, cy - half, cx + half, cy + half


def map_extent(boundaries, places) -> Extent | None:
    """What the map shows: the boundaries' bounding box, or else the positioned places'.

    Padded on every side. Places alone get at least a ~1 km window, so a single place is not
    drawn at an absurd scale. None when there is neither a boundary nor a positioned place.
    """
    points = [
        mercator(float(pt[1]), float(pt[0]))
        for polygon in _geometry_polygons(boundaries)
        for ring in polygon
        for pt in ring
    ]
    from_places = not points
    if from_places:
        points = [mercator(p.lat, p.lon) for p in places if p.positioned]
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    min_x, min_y, max_x, max_y = min(xs), min(ys), max(xs), max(ys)
    pad = max(max_x - min_x, max_y - min_y) * EXTENT_PADDING
    min_x, min_y, max_x, max_y = min_x - pad, min_y - pad, max_x + pad, max_y + pad
    if from_places:
        wx0, wy0, wx1, wy1 = _window(
            (min_x + max_x) / 2, (min_y + max_y) / 2, SINGLE_PLACE_WINDOW_M
        )
        min_x, min_y, max_x, max_y = (
            min(min_x, wx0),
            min(min_y, wy0),
            max(max_x, wx1),
            max(max_y, wy1),
        )
    return min_x, min_y, max_x, max_y


def scale_bar(fit: MapFit, lat: float, max_points: float = SCALE_BAR_MAX) -> tuple[float, float]:
    """(metres, points): the longest round length (1, 2 or 5 × 10ⁿ m) that fits in max_points."""
    per_metre = fit.points_per_metre(lat)
    longest = max_points / per_metre
    power = 10 ** math.floor(math.log10(longest))
    metres = max(step * power for step in (1, 2, 5) if step * power <= longest)
    return metres, metres * per_metre


def distance_label(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


# --- markers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    number: int
    anchor_x: float  # where the place is
    anchor_y: float
    x: float  # where its circle is drawn (the anchor, unless it had to make room)
    y: float

    @property
    def moved(self) -> bool:
        return (self.x, self.y) != (self.anchor_x, self.anchor_y)


def place_markers(
    anchors: list[tuple[int, float, float]],
    *,
    radius: float = MARKER_RADIUS,
    bounds: tuple[float, float, float, float] | None = None,
) -> list[Marker]:
    """Circles that do not overlap, in the order given (by number, deterministically).

    A marker whose spot is taken tries rings of positions around its place, 12 directions
    each, starting straight up and going clockwise; the first free one inside bounds
    (x0, y0, x1, y1) wins and gets a leader line. When none is free it stays on its place.
    """
    spacing = 2 * radius + MARKER_GAP
    grid: dict[tuple[int, int], list[tuple[float, float]]] = {}

    def cell(x, y):
        return math.floor(x / spacing), math.floor(y / spacing)

    def free(x, y) -> bool:
        if bounds is not None:
            x0, y0, x1, y1 = bounds
            if not (x0 + radius <= x <= x1 - radius and y0 + radius <= y <= y1 - radius):
                return False
        cx, cy = cell(x, y)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for ox, oy in grid.get((cx + dx, cy + dy), ()):
                    if (ox - x) ** 2 + (oy - y) ** 2 < spacing**2 - 1e-9:
                        return False
        return True

    def candidates(x, y):
        yield x, y
        for ring in range(1, MARKER_RINGS + 1):
            for step in range(MARKER_DIRECTIONS):
                angle = math.pi / 2 - 2 * math.pi * step / MARKER_DIRECTIONS
                yield x + ring * spacing * math.cos(angle), y + ring * spacing * math.sin(angle)

    markers = []
    for number, ax, ay in anchors:
        x, y = next(((cx, cy) for cx, cy in candidates(ax, ay) if free(cx, cy)), (ax, ay))
        grid.setdefault(cell(x, y), []).append((x, y))
        markers.append(Marker(number=number, anchor_x=ax, anchor_y=ay, x=x, y=y))
    return markers


# --- PDF ------------------------------------------------------------------------------------


def _colour(value: str) -> colors.Color:
    return colors.HexColor(value if HEX_COLOUR.fullmatch(value or "") else NOT_ON_MAP_COLOUR)


def _text_colour(fill: colors.Color) -> colors.Color:
    luminance = 0.299 * fill.red + 0.587 * fill.green + 0.114 * fill.blue
    return colors.black if luminance > 0.6 else colors.white


def _styles() -> dict:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK")

    def style(name, **kw):
        return ParagraphStyle(name, parent=base, **kw)

    return {
        "body": base,
        "title": style("title", fontSize=18, leading=24, spaceAfter=2),
        "subtitle": style("subtitle", fontSize=12, leading=17),
        "date": style("date", fontSize=9, leading=13, spaceAfter=6),
        "h1": style("h1", fontSize=12, leading=17, spaceBefore=8, spaceAfter=4),
        "note": style("note", fontSize=7.5, leading=10, textColor=colors.HexColor("#555555")),
        "attribution": style(
            "attribution", fontSize=7, leading=9, alignment=2, textColor=colors.HexColor("#555555")
        ),
        "cell": style("cell", fontSize=8, leading=10.5),
        "head": style("head", fontSize=8, leading=10.5, textColor=colors.white),
        "off_map": style("off_map", fontSize=7, leading=9, textColor=colors.HexColor("#b00020")),
    }


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _path(canvas, polygons, fit: MapFit):
    path = canvas.beginPath()
    for polygon in polygons:
        for ring in polygon:
            for i, point in enumerate(ring):
                x, y = fit.project(float(point[1]), float(point[0]))
                if i == 0:
                    path.moveTo(x, y)
                else:
                    path.lineTo(x, y)
            path.close()
    return path


class _Map(Flowable):
    """The map: boundaries, markers, north arrow and scale bar, in its own frame."""

    def __init__(self, width, height, *, fit, polygons, context, markers, colours):
        super().__init__()
        self.width, self.height = width, height
        self.fit = fit
        self.polygons = polygons
        self.context = context
        self.markers = markers
        self.colours = colours  # number → colour

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        canvas = self.canv
        canvas.saveState()
        frame = canvas.beginPath()
        frame.rect(0, 0, self.width, self.height)
        canvas.clipPath(frame, stroke=0, fill=0)
        canvas.setFillColor(colors.white)
        canvas.rect(0, 0, self.width, self.height, stroke=0, fill=1)
        canvas.setLineJoin(1)
        if self.context:
            canvas.setStrokeColor(colors.HexColor("#bdbdbd"))
            canvas.setLineWidth(0.5)
            canvas.drawPath(_path(canvas, self.context, self.fit), stroke=1, fill=0)
        if self.polygons:
            canvas.setStrokeColor(colors.HexColor("#37474f"))
            canvas.setFillColor(colors.HexColor("#fff6db"))
            canvas.setLineWidth(1.2)
            canvas.drawPath(
                _path(canvas, self.polygons, self.fit), stroke=1, fill=1, fillMode=FILL_EVEN_ODD
            )
        self._draw_markers(canvas)
        canvas.restoreState()
        self._draw_north_arrow(canvas)
        self._draw_scale_bar(canvas)
        canvas.setStrokeColor(colors.HexColor("#455a64"))
        canvas.setLineWidth(0.8)
        canvas.rect(0, 0, self.width, self.height, stroke=1, fill=0)

    def _draw_markers(self, canvas):
        canvas.setLineWidth(0.5)
        canvas.setStrokeColor(colors.HexColor("#455a64"))
        for marker in self.markers:  # leader lines and dots under every circle
            if marker.moved:
                canvas.line(marker.anchor_x, marker.anchor_y, marker.x, marker.y)
        for marker in self.markers:
            if marker.moved:
                canvas.setFillColor(self.colours[marker.number])
                canvas.circle(marker.anchor_x, marker.anchor_y, 1.6, stroke=1, fill=1)
        canvas.setLineWidth(0.8)
        canvas.setStrokeColor(colors.white)
        for marker in self.markers:
            fill = self.colours[marker.number]
            label = str(marker.number)
            size = min(7.5, (2 * MARKER_RADIUS - 2.5) / stringWidth(label, FONT, 1))
            canvas.setFillColor(fill)
            canvas.circle(marker.x, marker.y, MARKER_RADIUS, stroke=1, fill=1)
            canvas.setFillColor(_text_colour(fill))
            canvas.setFont(FONT, size)
            canvas.drawCentredString(marker.x, marker.y - size * 0.36, label)

    def _draw_north_arrow(self, canvas):
        x, y = self.width - 22, self.height - 40
        canvas.saveState()
        canvas.setFillColor(colors.white)
        canvas.setStrokeColor(colors.HexColor("#90a4ae"))
        canvas.setLineWidth(0.5)
        canvas.roundRect(x - 12, y - 14, 24, 44, 3, stroke=1, fill=1)
        arrow = canvas.beginPath()
        arrow.moveTo(x, y + 18)
        arrow.lineTo(x - 7, y - 8)
        arrow.lineTo(x, y - 2)
        arrow.lineTo(x + 7, y - 8)
        arrow.close()
        canvas.setFillColor(colors.HexColor("#263238"))
        canvas.setStrokeColor(colors.HexColor("#263238"))
        canvas.drawPath(arrow, stroke=1, fill=1)
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(x, y - 12, "N")
        canvas.restoreState()

    def _draw_scale_bar(self, canvas):
        lat, _lon = self.fit.unproject(self.width / 2, self.height / 2)
        metres, length = scale_bar(self.fit, lat)
        x, y = 12, 12
        canvas.saveState()
        canvas.setFillColor(colors.white)
        canvas.setStrokeColor(colors.HexColor("#90a4ae"))
        canvas.setLineWidth(0.5)
        canvas.roundRect(x - 6, y - 6, length + 12, 26, 3, stroke=1, fill=1)
        canvas.setStrokeColor(colors.HexColor("#263238"))
        canvas.setLineWidth(0.6)
        half = length / 2
        canvas.setFillColor(colors.HexColor("#263238"))
        canvas.rect(x, y, half, 4, stroke=1, fill=1)
        canvas.setFillColor(colors.white)
        canvas.rect(x + half, y, half, 4, stroke=1, fill=1)
        canvas.setFillColor(colors.HexColor("#263238"))
        canvas.setFont(FONT, 7)
        canvas.drawString(x, y + 7, "0")
        canvas.drawRightString(x + length, y + 7, distance_label(metres))
        canvas.restoreState()


class _Swatch(Flowable):
    def __init__(self, colour):
        super().__init__()
        self.colour = colour
        self.width = self.height = 2 * 4.5

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        self.canv.setFillColor(self.colour)
        self.canv.setStrokeColor(colors.HexColor("#455a64"))
        self.canv.setLineWidth(0.4)
        self.canv.circle(4.5, 4.5, 4.5, stroke=1, fill=1)


def _legend(categories: list[tuple[str, colors.Color]], styles, width: float):
    per_row = 4
    cell = width / per_row
    rows = []
    for start in range(0, len(categories), per_row):
        row = []
        for name, colour in categories[start : start + per_row]:
            row += [_Swatch(colour), _p(name or "―", styles["cell"])]
        row += ["", ""] * (per_row - len(row) // 2)
        rows.append(row)
    table = Table(rows, colWidths=[14, cell - 14] * per_row, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return [_p(_("Legend"), styles["note"]), table]


def _place_table(places: list[PrintPlace], shown: set[int], styles, width: float):
    widths = [28, 118, 72, 128, 70]
    widths.append(width - sum(widths))
    head = [
        _p(text, styles["head"])
        for text in (_("No."), _("Name"), _("Category"), _("Address"), _("Phone"), _("Hours"))
    ]
    rows = [head]
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f3b5c")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f3f6f9")]),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    not_on_map = _("Not shown on the map")
    for index, place in enumerate(places, start=1):
        name = [_p(place.name, styles["cell"])]
        if place.number not in shown:
            name.append(_p(f"（{not_on_map}）", styles["off_map"]))
        rows.append(
            [
                _p(str(place.number), styles["cell"]),
                name,
                _p(place.category, styles["cell"]),
                _p(place.address, styles["cell"]),
                _p(place.phone, styles["cell"]),
                _p(place.hours, styles["cell"]),
            ]
        )
        commands.append(("LINEBEFORE", (0, index), (0, index), 4, _colour(place.colour)))
    table = LongTable(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def _map_height(extent: Extent, width: float, *, least: float = 300, most: float = 500) -> float:
    min_x, min_y, max_x, max_y = extent
    aspect = max(max_y - min_y, 1.0) / max(max_x - min_x, 1.0)
    inner = width - 2 * MAP_INNER_MARGIN
    return max(least, min(most, inner * aspect + 2 * MAP_INNER_MARGIN))


def render_area_map_pdf(
    *,
    title: str,
    subtitle: str,
    places: list[PrintPlace],
    boundaries: list[dict],
    context_boundaries: list[dict] = (),
    attribution: str = "",
    printed_on: date | None = None,
) -> bytes:
    """The map and the numbered list of places as an A4 PDF with the Japanese font embedded."""
    register_font()
    styles = _styles()
    printed_on = printed_on or timezone.localdate()
    places = sorted(places, key=lambda p: p.number)
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=PAGE_MARGIN,
        rightMargin=PAGE_MARGIN,
        topMargin=TOP_MARGIN,
        bottomMargin=BOTTOM_MARGIN,
        title=title,
        subject=subtitle,
        creator="Sasaeai",
        initialFontName=FONT,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    as_of = _("As of %(date)s") % {"date": wareki_date(printed_on)}
    story = [_p(title, styles["title"])]
    if subtitle:
        story.append(_p(subtitle, styles["subtitle"]))
    story.append(_p(as_of, styles["date"]))

    shown: set[int] = set()
    extent = map_extent(boundaries, places)
    if extent is None:
        story.append(
            _p(
                _(
                    "No map is printed: no area boundary was given and none of the places "
                    "has a position."
                ),
                styles["note"],
            )
        )
    else:
        height = _map_height(extent, doc.width)
        fit = fit_extent(extent, (0, 0, doc.width, height), margin=MAP_INNER_MARGIN)
        anchors, colours, categories = [], {}, {}
        for place in places:
            if not place.positioned:
                continue
            x, y = fit.project(place.lat, place.lon)
            if not (0 <= x <= doc.width and 0 <= y <= height):
                continue  # outside the map: listed as not shown
            anchors.append((place.number, x, y))
            colours[place.number] = _colour(place.colour)
            categories.setdefault(place.category, _colour(place.colour))
        markers = place_markers(anchors, bounds=(0, 0, doc.width, height))
        shown = {marker.number for marker in markers}
        story.append(
            _Map(
                doc.width,
                height,
                fit=fit,
                polygons=_geometry_polygons(boundaries),
                context=_geometry_polygons(context_boundaries),
                markers=markers,
                colours=colours,
            )
        )
        if attribution:
            story.append(Spacer(0, 2))
            story.append(_p(attribution, styles["attribution"]))
        if categories:
            story.append(Spacer(0, 4))
            story += _legend(list(categories.items()), styles, doc.width)
    if extent is None and attribution:
        story.append(_p(attribution, styles["note"]))

    story.append(_p(_("List of places"), styles["h1"]))
    if places:
        story.append(_place_table(places, shown, styles, doc.width))
    else:
        story.append(_p(_("There are no places to list."), styles["note"]))
    footer = f"{title}　{as_of}"
    while stringWidth(footer, FONT, 7.5) > doc.width / 2 + 60:
        footer = footer[:-2] + "…"
    doc.build(story, canvasmaker=partial(NumberedCanvas, footer_left=footer, margin=PAGE_MARGIN))
    return buffer.getvalue()
