"""Plain-Python geometry for GeoJSON areas: enough for point-in-area without GIS libraries."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

Ring = list[list[float]]


def polygons_of(geometry: dict) -> list[list[Ring]]:
    """The polygons of a Polygon or MultiPolygon geometry (a Feature's geometry is accepted)."""
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return [coordinates]
    if kind == "MultiPolygon":
        return list(coordinates)
    raise ValidationError(_("The boundary must be a GeoJSON Polygon or MultiPolygon."))


def validate_boundary(geometry: dict) -> list[list[Ring]]:
    polygons = polygons_of(geometry)
    for polygon in polygons:
        if not polygon:
            raise ValidationError(_("The boundary has an empty polygon."))
        for ring in polygon:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise ValidationError(
                    _("Each ring of the boundary must be closed and have at least 4 points.")
                )
            for point in ring:
                lon, lat = float(point[0]), float(point[1])
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValidationError(_("The boundary has a coordinate out of range."))
    return polygons


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def contains(geometry: dict, *, lat: float, lon: float) -> bool:
    """Even-odd rule: inside the outer ring and outside every hole."""
    for polygon in polygons_of(geometry):
        outer, holes = polygon[0], polygon[1:]
        if _in_ring(lon, lat, outer) and not any(_in_ring(lon, lat, hole) for hole in holes):
            return True
    return False


def bbox(geometry: dict) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon)"""
    points = [pt for polygon in polygons_of(geometry) for ring in polygon for pt in ring]
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return min(lats), max(lats), min(lons), max(lons)


def centroid(geometry: dict) -> tuple[float, float]:
    """Area-weighted centroid of the outer rings (lat, lon), by the shoelace formula."""
    total = cx = cy = 0.0
    for polygon in polygons_of(geometry):
        ring = polygon[0]
        for p0, p1 in zip(ring, ring[1:], strict=False):
            (x0, y0), (x1, y1) = p0[:2], p1[:2]
            cross = x0 * y1 - x1 * y0
            total += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
    if total == 0:
        min_lat, max_lat, min_lon, max_lon = bbox(geometry)
        return (min_lat + max_lat) / 2, (min_lon + max_lon) / 2
    return cy / (3 * total), cx / (3 * total)
