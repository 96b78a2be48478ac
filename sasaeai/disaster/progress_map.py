"""The progress map of a declaration: the declared areas' GeoJSON boundaries as SVG paths,
coloured by the share of people whose safety is known. No tiles, no map library: a plain
equirectangular projection (longitude shrunk by the cosine of the middle latitude) fitted to
the bounding box of all the areas, which is accurate enough at the size of a city."""

import math
from dataclasses import dataclass

WIDTH = 640
PADDING = 16
# From nothing known (light) to everyone known (dark green); None (no one listed) is grey.
BANDS = (
    (0.0, "#f4d6d2", "0–24 %"),
    (25.0, "#f6e7b4", "25–49 %"),
    (50.0, "#d4ebb5", "50–74 %"),
    (75.0, "#8fcf8a", "75–99 %"),
    (100.0, "#3f9a4a", "100 %"),
)
NO_DATA = "#dddddd"


@dataclass(frozen=True)
class Shape:
    area_id: int
    name: str
    path: str
    fill: str
    label_x: float
    label_y: float
    percent: float | None


@dataclass(frozen=True)
class ProgressMap:
    width: int
    height: int
    shapes: list[Shape]
    unmapped: list[str]  # names of areas without a boundary
    legend: tuple = BANDS


def colour_for(percent: float | None) -> str:
    if percent is None:
        return NO_DATA
    colour = BANDS[0][1]
    for lower, band_colour, _label in BANDS:
        if percent >= lower:
            colour = band_colour
    return colour


def rings_of(geometry: dict | None) -> list[list[list[float]]]:
    """The rings of a Polygon or MultiPolygon (also inside a Feature); anything else: none."""
    if not isinstance(geometry, dict):
        return []
    if geometry.get("type") == "Feature":
        return rings_of(geometry.get("geometry"))
    coordinates = geometry.get("coordinates") or []
    if geometry.get("type") == "Polygon":
        return [ring for ring in coordinates if len(ring) >= 3]
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in coordinates for ring in polygon if len(ring) >= 3]
    return []


def build(areas: list[tuple[int, str, dict | None, float | None]]) -> ProgressMap:
    """`areas`: (id, name, boundary GeoJSON, percent done). One path per area with a boundary."""
    drawable = [(a, rings_of(a[2])) for a in areas]
    points = [p for _a, rings in drawable for ring in rings for p in ring]
    unmapped = [a[1] for a, rings in drawable if not rings]
    if not points:
        return ProgressMap(WIDTH, 120, [], unmapped)
    min_lon, max_lon = min(p[0] for p in points), max(p[0] for p in points)
    min_lat, max_lat = min(p[1] for p in points), max(p[1] for p in points)
    shrink = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lon - min_lon) * shrink, 1e-9)
    span_y = max(max_lat - min_lat, 1e-9)
    scale = (WIDTH - 2 * PADDING) / span_x
    height = round(span_y * scale + 2 * PADDING)

    def project(point) -> tuple[float, float]:
        x = PADDING + (point[0] - min_lon) * shrink * scale
        y = PADDING + (max_lat - point[1]) * scale
        return round(x, 1), round(y, 1)

    shapes = []
    for (area_id, name, _boundary, percent), rings in drawable:
        if not rings:
            continue
        projected = [[project(p) for p in ring] for ring in rings]
        path = " ".join("M" + " L".join(f"{x} {y}" for x, y in ring) + " Z" for ring in projected)
        outer = projected[0]
        label_x = sum(x for x, _y in outer) / len(outer)
        label_y = sum(y for _x, y in outer) / len(outer)
        shapes.append(
            Shape(area_id, name, path, colour_for(percent), round(label_x, 1), round(label_y, 1),
                  percent)
        )  # fmt: skip
    return ProgressMap(WIDTH, height, shapes, unmapped)
