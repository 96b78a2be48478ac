"""Districts import: an e-Stat-like 小地域 shapefile of 1,000 polygons whose neighbours share
jagged edges exactly (about 100 vertices each), checked (shapely validity and overlaps) and
saved, into a tenant of its own."""

import io
import math
import time
import zipfile

import shapefile

from sasaeai.accounts.policy import Actor
from sasaeai.core import area_import
from sasaeai.core.models import Area, Tenant
from sasaeai.core.tenancy import tenant_context

PRJ = (
    'GEOGCS["JGD2011",DATUM["Japanese_Geodetic_Datum_2011",SPHEROID["GRS_1980",6378137.0,'
    '298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
)


def _edge(a, b, steps, key):
    """Points from a to b (b excluded), bent by a wobble that depends only on the edge."""
    (x0, y0), (x1, y1) = a, b
    points = []
    for k in range(steps):
        t = k / steps
        wobble = 0.0 if k == 0 else 0.0004 * math.sin(key * 12.9898 + k * 78.233)
        dx, dy = x1 - x0, y1 - y0
        points.append((x0 + dx * t - dy * wobble / 0.01, y0 + dy * t + dx * wobble / 0.01))
    return points


def estat_like_zip(count: int = 1000, steps: int = 25, *, lat0=35.60, lon0=139.80) -> bytes:
    columns = 40
    size = 0.01
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(
        shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding="cp932"
    )
    for name, width in (("KEY_CODE", 11), ("PREF", 2), ("CITY", 3), ("S_AREA", 6),
                        ("PREF_NAME", 12), ("CITY_NAME", 16), ("S_NAME", 40)):  # fmt: skip
        writer.field(name, "C", width, 0)
    writer.field("HCODE", "N", 4, 0)

    def corner(i, j):
        return (lon0 + j * size, lat0 + i * size)

    for n in range(count):
        i, j = divmod(n, columns)
        corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]  # clockwise on a map
        ring = []
        for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
            if a < b:
                ring += _edge(corner(*a), corner(*b), steps, hash((a, b)) % 10_000)
            else:
                forward = _edge(corner(*b), corner(*a), steps, hash((b, a)) % 10_000)
                ring += [corner(*a)] + list(reversed(forward[1:]))
        ring.append(ring[0])
        writer.poly([ring])
        s_area = f"{n // 100 + 1:04d}{n % 100:02d}"
        writer.record(f"13101{s_area}", "13", "101", s_area, "東京都", "ベンチ市",
                      f"ベンチ町{n}丁目", 8101)  # fmt: skip
    writer.close()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for suffix, part in (("shp", shp), ("shx", shx), ("dbf", dbf)):
            archive.writestr(f"bench.{suffix}", part.getvalue())
        archive.writestr("bench.prj", PRJ)
    return buffer.getvalue()


def area_benchmarks(count: int = 1000) -> list[tuple[str, float]]:
    tenant, _ = Tenant.objects.get_or_create(
        code="999991", defaults={"name": "ベンチ市", "prefecture": "東京都"}
    )
    data = estat_like_zip(count)
    actor = Actor(
        user_id=None, username="bench", tenant_id=tenant.pk, membership_id=None, role=None
    )
    with tenant_context(tenant.pk):
        Area.objects.filter(tenant=tenant).delete()
        start = time.perf_counter()
        preview = area_import.validate({"bench.zip": data}, tenant_id=tenant.pk)
        checked = time.perf_counter()
        assert not preview.has_errors, [(p.where, p.message) for p in preview.errors[:5]]
        area_import.apply(preview, actor=actor)
        applied = time.perf_counter()
        again = area_import.validate({"bench.zip": data}, tenant_id=tenant.pk)
        assert again.counts["unchanged"] == count, again.counts
        rechecked = time.perf_counter()
    vertices = sum(len(r.boundary["coordinates"][0]) for r in preview.rows) // count
    label = f"areas: {count:,} e-Stat polygons (~{vertices} vertices)"
    return [
        (f"{label}: read + check", checked - start),
        (f"{label}: save (check again + write)", applied - checked),
        (f"{label}: re-import preview, all unchanged", rechecked - applied),
    ]
