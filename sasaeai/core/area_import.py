"""Areas (districts) from a file: GeoJSON, CSV, or e-Stat 小地域 boundaries (Shapefile / GeoJSON).

Two steps, so that a page, a command or a background job can run them:

1. `validate(files, tenant_id=…, options=…)` reads the file(s), checks every row and every
   polygon (shapely: validity, overlaps within the file and with the tenant's existing areas,
   coordinates inside Japan), resolves parents and matches existing areas by (kind, code), else
   (kind, name). It returns an `AreaImportPreview`: each row new / changed / unchanged, and every
   problem with its place (CSV line, GeoJSON feature, shapefile record). Nothing is written.
2. `apply(preview, actor=…)` validates the same rows again against the database as it is now
   and writes them in one transaction, with one audit entry for the whole import. With any
   error nothing is saved.

Coordinates are longitude/latitude (JGD2000 / JGD2011 / WGS 84 are the same to within the
precision districts need); a projected file (平面直角座標系 etc.) is refused, never stored.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import shapely
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from shapely.errors import GEOSException, ShapelyError
from shapely.geometry import mapping, shape

from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import Event, audit_event
from sasaeai.core import geo
from sasaeai.core.csvio import CsvEncodingError, decode_csv_bytes
from sasaeai.core.models import Area, AreaKind
from sasaeai.core.spreadsheet import csv_uncell
from sasaeai.core.text import is_kana

ERROR = "error"
WARNING = "warning"

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"

# Japan, generously: 与那国島 (122.9°E) to 南鳥島 (153.9°E), 沖ノ鳥島 (20.4°N) to 択捉島 (45.6°N).
JAPAN_LON = (122.0, 154.5)
JAPAN_LAT = (20.0, 46.0)

# Overlaps smaller than this are rounding slivers along shared edges, not errors: the larger
# of an absolute area (1e-8 square degrees is about 100 m² in Japan) and a share of the
# smaller polygon.
OVERLAP_ABSOLUTE = 1e-8
OVERLAP_RELATIVE = 0.001

PROBLEM_LIMIT = 500
# A part of a zipped shapefile, unpacked (a whole prefecture's 小地域 .shp is about 200 MB).
MAX_PART_BYTES = 512 * 1024 * 1024

# e-Stat 小地域 (国勢調査) attributes. HCODE 8101: 町丁・字等; 8154: 水面調査区 (water).
ESTAT_KEYS = {"KEY_CODE", "S_NAME", "HCODE"}
HCODE_WATER = "8154"

# CSV headers: the field each known header (lower-cased, spaces removed) stands for.
HEADER_ALIASES = {
    "code": ("code", "コード", "地区コード", "区域コード", "key_code"),
    "name": ("name", "名称", "名前", "地区名", "区域名", "s_name"),
    "kind": ("kind", "種別", "区分", "種類"),
    "parent": ("parent", "親", "親地区", "上位", "上位地区", "親区域"),
    "name_kana": ("name_kana", "kana", "ふりがな", "フリガナ", "よみ", "読み", "よみがな", "かな"),
    "geometry": ("geometry", "geojson", "wkt", "the_geom", "geom", "境界", "形状", "区域"),
}
HEADER_FIELD = {
    alias.lower(): name for name, aliases in HEADER_ALIASES.items() for alias in aliases
}

KIND_ALIASES = {
    AreaKind.DISTRICT: ("地区", "町丁", "町丁・字", "町丁・字等", "小地域", "町丁目"),
    AreaKind.ELEMENTARY_SCHOOL_DISTRICT: ("小学校区", "小学校区域", "小学校通学区域"),
    AreaKind.JUNIOR_HIGH_SCHOOL_DISTRICT: ("中学校区", "中学校区域", "中学校通学区域"),
    AreaKind.DAILY_LIFE_AREA: ("日常生活圏域", "生活圏域", "圏域"),
    AreaKind.COMMISSIONER_DISTRICT: ("民生委員担当区域", "民生委員区域", "担当区域"),
}
KIND_OF = {kind.value: kind.value for kind in AreaKind}
KIND_OF.update({alias: kind.value for kind, aliases in KIND_ALIASES.items() for alias in aliases})

# Projected CRSs used for Japanese data: 平面直角座標系 I–XIX on JGD2000, JGD2011 and Tokyo
# datum, and UTM zones 51–56. A GeoJSON "crs" naming one of these is refused.
PROJECTED_EPSG = (
    set(range(2443, 2462))
    | set(range(6669, 6688))
    | set(range(30161, 30180))
    | set(range(3097, 3102))
    | set(range(6688, 6693))
)


class AreaImportError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} error(s)")
        self.problems = problems


@dataclass
class Problem:
    place: str  # "line", "feature", "record" or "" for the whole file
    number: int | None
    message: str
    severity: str = ERROR

    @property
    def where(self) -> str:
        if self.number is None:
            return _("file")
        if self.place == "line":
            return _("line %(number)d") % {"number": self.number}
        if self.place == "feature":
            return _("feature %(number)d") % {"number": self.number}
        return _("record %(number)d") % {"number": self.number}

    def as_dict(self) -> dict:
        return {**asdict(self), "where": self.where}


@dataclass
class Options:
    """What the file does not say: a default kind, a parent for all rows, parents from CITY_NAME."""

    kind: str = ""
    parent: str = ""
    parent_from_city: bool = False

    @classmethod
    def from_dict(cls, data: Mapping | None) -> Options:
        data = data or {}
        return cls(
            kind=data.get("kind") or "",
            parent=data.get("parent") or "",
            parent_from_city=bool(data.get("parent_from_city")),
        )


@dataclass
class Row:
    number: int
    kind: str
    code: str
    name: str
    name_kana: str = ""
    parent: str = ""
    boundary: dict | None = None
    # Filled in by validate():
    status: str = ""
    area_id: int | None = None
    parent_id: int | None = None
    parent_row: int | None = None  # the number of the row in this file that is the parent
    changes: list[str] = field(default_factory=list)

    @classmethod
    def from_values(cls, number: int, values: dict[str, str], boundary: dict | None) -> Row:
        """A row from the columns or properties the file names (code, name, kind …)."""
        return cls(
            number=number, kind=values.get("kind", ""), code=values.get("code", ""),
            name=values.get("name", ""), name_kana=values.get("name_kana", ""),
            parent=values.get("parent", ""), boundary=boundary,
        )  # fmt: skip


@dataclass
class AreaImportPreview:
    tenant_id: int
    format: str
    place: str
    encoding: str = ""
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    # How many of the problems came from reading the file (check() replaces the rest).
    read_problems: int = -1
    # e-Stat: the first row of each KEY_CODE, so that the parts of an enclave (飛び地) merge.
    by_code: dict[str, Row] = field(default_factory=dict, repr=False, compare=False)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)

    @property
    def counts(self) -> dict[str, int]:
        counts = {NEW: 0, CHANGED: 0, UNCHANGED: 0}
        for row in self.rows:
            if row.status in counts:
                counts[row.status] += 1
        return {**counts, "rows": len(self.rows), "errors": len(self.errors),
                "warnings": len(self.warnings)}  # fmt: skip

    def error(self, number: int | None, message: str) -> None:
        self.problems.append(Problem(self.place, number, message, ERROR))

    def warn(self, number: int | None, message: str) -> None:
        self.problems.append(Problem(self.place, number, message, WARNING))

    def summary(self) -> dict:
        """JSON for a page or a job record: counts, problems, rows without their geometry."""
        failed = {p.number for p in self.errors}
        labels = dict(AreaKind.choices)
        return {
            "format": self.format,
            "encoding": self.encoding,
            "counts": self.counts,
            "has_errors": self.has_errors,
            "problems": [p.as_dict() for p in self.problems[:PROBLEM_LIMIT]],
            "problem_count": len(self.problems),
            "rows": [
                {
                    "where": Problem(self.place, row.number, "").where,
                    "kind": str(labels.get(row.kind, row.kind)),
                    "code": row.code,
                    "name": row.name,
                    "parent": row.parent,
                    "has_boundary": row.boundary is not None,
                    "status": row.status,
                    "changes": row.changes,
                    "has_error": row.number in failed,
                }
                for row in self.rows
            ],
        }


# ── reading ──────────────────────────────────────────────────────────────────────────────


def read(files: Mapping[str, bytes], options: Options | None = None) -> AreaImportPreview:
    """Rows and reading problems from uploaded files (name → bytes), nothing looked up yet.

    One GeoJSON or CSV file; a shapefile as one .zip, or as its .shp, .shx, .dbf and .prj.
    """
    options = options or Options()
    names = {name.lower().rsplit("/", 1)[-1]: name for name in files}
    suffixes = {name.rsplit(".", 1)[-1] if "." in name else "": name for name in names}
    if "zip" in suffixes and len(files) == 1:
        return _read_zip(files[names[suffixes["zip"]]], options)
    if "shp" in suffixes:
        by_suffix = {suffix: files[names[name]] for suffix, name in suffixes.items()}
        return _read_shapefile(by_suffix, options)
    if len(files) != 1:
        preview = AreaImportPreview(tenant_id=0, format="", place="", options=options)
        preview.error(None, _("Upload one GeoJSON, CSV or zip file, or the files of a shapefile."))
        return preview
    (name, data), = files.items()  # fmt: skip
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix in ("geojson", "json"):
        return _read_geojson(data, options)
    if suffix in ("csv", "txt"):
        return _read_csv(data, options)
    if data[:4] == b"PK\x03\x04":
        return _read_zip(data, options)
    if data.lstrip()[:1] == b"{" or data.lstrip(b"\xef\xbb\xbf").lstrip()[:1] == b"{":
        return _read_geojson(data, options)
    return _read_csv(data, options)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("cp932", errors="replace")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_geojson(data: bytes, options: Options) -> AreaImportPreview:
    preview = AreaImportPreview(tenant_id=0, format="geojson", place="feature", options=options)
    try:
        text, preview.encoding = decode_csv_bytes(data)
        document = json.loads(text)
    except (CsvEncodingError, json.JSONDecodeError) as error:
        preview.error(None, _("The file is not valid GeoJSON: %(error)s") % {"error": error})
        return preview
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        preview.error(None, _("The GeoJSON must be a FeatureCollection."))
        return preview
    crs_name = str(((document.get("crs") or {}).get("properties") or {}).get("name", ""))
    epsg = re.search(r"EPSG:{1,2}(\d+)", crs_name)
    if epsg and int(epsg.group(1)) in PROJECTED_EPSG:
        preview.error(None, _projected_message(crs_name))
        return preview
    features = document.get("features")
    if not isinstance(features, list):
        preview.error(None, _("The GeoJSON has no list of features."))
        return preview
    estat = any(
        isinstance(f, dict) and ESTAT_KEYS & set((f.get("properties") or {}).keys())
        for f in features[:5]
    )
    if estat:
        preview.format = "estat-geojson"
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            preview.error(number, _("This is not a GeoJSON Feature."))
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            preview.error(number, _("The properties are not an object."))
            continue
        geometry = feature.get("geometry")
        if estat:
            _add_estat_row(preview, number, properties, geometry)
            continue
        known = {k: v for k, v in properties.items() if HEADER_FIELD.get(str(k).lower())}
        values = {HEADER_FIELD[str(k).lower()]: _text(v) for k, v in known.items()}
        extra = sorted(set(properties) - set(known))
        if extra and number == 1:
            preview.warn(
                None,
                _("These properties are not imported: %(names)s") % {"names": ", ".join(extra)},
            )
        preview.rows.append(Row.from_values(number, values, geometry if geometry else None))
    return preview


def _read_csv(data: bytes, options: Options) -> AreaImportPreview:
    preview = AreaImportPreview(tenant_id=0, format="csv", place="line", options=options)
    try:
        text, preview.encoding = decode_csv_bytes(data)
    except CsvEncodingError as error:
        preview.error(None, str(error))
        return preview
    # Large WKT/GeoJSON cells exceed csv's default field limit (128 kB).
    csv.field_size_limit(64 * 1024 * 1024)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        preview.error(None, _("The file is empty."))
        return preview
    columns: dict[int, str] = {}
    extra = []
    for index, title in enumerate(header):
        key = re.sub(r"\s+", "", csv_uncell(title)).lower()
        name = HEADER_FIELD.get(key)
        if name and name not in columns.values():
            columns[index] = name
        elif key:
            extra.append(title.strip())
    if "name" not in columns.values():
        preview.error(
            1,
            _("The header has no name column (name / 名称). Found: %(header)s")
            % {"header": ", ".join(header)},
        )
        return preview
    if extra:
        preview.warn(
            1, _("These columns are not imported: %(names)s") % {"names": ", ".join(extra)}
        )
    line = reader.line_num
    try:
        for record in reader:
            number = line + 1
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            values = {
                name: csv_uncell(record[index]).strip() if index < len(record) else ""
                for index, name in columns.items()
            }
            boundary = None
            if values.get("geometry"):
                boundary = _parse_geometry_text(preview, number, values["geometry"])
                if boundary is False:
                    continue
            preview.rows.append(Row.from_values(number, values, boundary))
    except csv.Error as error:
        preview.error(line + 1, _("The CSV cannot be read here: %(error)s") % {"error": error})
    return preview


def _parse_geometry_text(preview: AreaImportPreview, number: int, text: str):
    """GeoJSON text or WKT → a GeoJSON geometry; False (with an error) when unreadable."""
    if text.startswith("{"):
        try:
            geometry = json.loads(text)
        except json.JSONDecodeError:
            preview.error(number, _("The geometry is neither GeoJSON nor WKT."))
            return False
        if isinstance(geometry, dict) and geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        return geometry
    try:
        return _geojson(mapping(shapely.from_wkt(text)))
    except ShapelyError:
        preview.error(number, _("The geometry is neither GeoJSON nor WKT."))
        return False


def _geojson(value: dict) -> dict:
    """Tuples to lists (a JSON round trip, done in C), so that a geometry compares equal to
    itself after it is stored."""
    value = json.loads(json.dumps(value))
    value.pop("bbox", None)
    return value


def _read_zip(data: bytes, options: Options) -> AreaImportPreview:
    preview = AreaImportPreview(tenant_id=0, format="shapefile", place="record", options=options)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            # macOS adds resource forks: __MACOSX/._name.shp
            and "__MACOSX/" not in info.filename
            and not info.filename.rsplit("/", 1)[-1].startswith("._")
        ]
    except zipfile.BadZipFile:
        preview.error(None, _("The zip file cannot be opened."))
        return preview
    shps = [e for e in entries if e.filename.lower().endswith(".shp")]
    if len(shps) != 1:
        geojsons = [e for e in entries if e.filename.lower().endswith((".geojson", ".json"))]
        if not shps and len(geojsons) == 1:
            return _read_geojson(archive.read(geojsons[0]), options)
        preview.error(None, _("The zip file must hold exactly one shapefile (.shp)."))
        return preview
    stem = shps[0].filename[:-4].lower()
    parts = {}
    for entry in entries:
        name = entry.filename.lower()
        if name.startswith(stem + ".") and entry.file_size <= MAX_PART_BYTES:
            parts[name[len(stem) + 1 :]] = archive.read(entry)
    return _read_shapefile(parts, options)


def _projected_message(what: str) -> str:
    return _(
        "The file's coordinates are projected (%(crs)s), e.g. 平面直角座標系. Use the file in "
        "longitude/latitude (JGD2000 / JGD2011 geographic, as e-Stat publishes it) instead."
    ) % {"crs": what[:80]}


def _read_shapefile(parts: Mapping[str, bytes], options: Options) -> AreaImportPreview:
    import shapefile  # pyshp

    preview = AreaImportPreview(tenant_id=0, format="shapefile", place="record", options=options)
    missing = [s for s in ("shp", "shx", "dbf") if s not in parts]
    if missing:
        preview.error(
            None,
            _("The shapefile is incomplete: %(missing)s missing.")
            % {"missing": ", ".join("." + s for s in missing)},
        )
        return preview
    prj = parts.get("prj", b"").decode("latin-1").strip()
    if not prj:
        preview.warn(None, _("There is no .prj; the coordinates are taken as longitude/latitude."))
    elif prj.upper().startswith("PROJCS") or "PROJCRS" in prj.upper()[:20]:
        name = re.search(r'"([^"]+)"', prj)
        preview.error(None, _projected_message(name.group(1) if name else "PROJCS"))
        return preview
    elif "TOKYO" in prj.upper() and "JGD" not in prj.upper():
        preview.error(
            None,
            _(
                "The coordinates are on the old Tokyo datum (日本測地系), about 400 m off. "
                "Use the JGD2000 / JGD2011 file."
            ),
        )
        return preview
    encoding = "cp932"
    cpg = parts.get("cpg", b"").decode("latin-1").strip().lower()
    if cpg in ("utf-8", "utf8", "65001"):
        encoding = "utf-8"
    preview.encoding = encoding
    try:
        reader = shapefile.Reader(
            shp=io.BytesIO(parts["shp"]),
            shx=io.BytesIO(parts["shx"]),
            dbf=io.BytesIO(parts["dbf"]),
            encoding=encoding,
            encodingErrors="replace",
        )
        fields = [getattr(f, "name", None) or f[0] for f in reader.fields[1:]]
        estat = bool(ESTAT_KEYS & set(fields))
        preview.format = "estat-shapefile" if estat else "shapefile"
        for number, record in enumerate(reader.iterShapeRecords(), start=1):
            properties = record.record.as_dict()
            shp = record.shape
            geometry = None
            if shp.shapeType != shapefile.NULL:
                if shp.shapeType not in (shapefile.POLYGON, shapefile.POLYGONZ, shapefile.POLYGONM):
                    preview.error(number, _("The shape is not a polygon."))
                    continue
                geometry = _geojson(shp.__geo_interface__)
            if estat:
                _add_estat_row(preview, number, properties, geometry)
            else:
                values = {
                    HEADER_FIELD[k.lower()]: _text(v)
                    for k, v in properties.items()
                    if HEADER_FIELD.get(k.lower())
                }
                preview.rows.append(Row.from_values(number, values, geometry))
    except (shapefile.ShapefileException, ValueError, OSError, IndexError, TypeError) as error:
        preview.error(None, _("The shapefile cannot be read: %(error)s") % {"error": error})
    return preview


def _add_estat_row(preview, number: int, properties: Mapping, geometry) -> None:
    hcode = _text(properties.get("HCODE"))
    name = _text(properties.get("S_NAME"))
    if hcode == HCODE_WATER:
        preview.warn(
            number,
            _("Skipped: a water area (水面調査区, HCODE 8154) %(name)s")
            % {"name": name or _text(properties.get("KEY_CODE"))},
        )
        return
    code = _text(properties.get("KEY_CODE"))
    if not code:
        code = "".join(_text(properties.get(k)) for k in ("PREF", "CITY", "S_AREA"))
    parent = preview.options.parent
    if preview.options.parent_from_city:
        parent = _text(properties.get("CITY_NAME")) or parent
    first = preview.by_code.get(code) if code else None
    if first is not None and first.name == name and first.boundary and geometry:
        # e-Stat publishes each part of a 小地域 split into pieces (飛び地) as its own record
        # with the same KEY_CODE (AREA_MAX_F marks the largest): one area, a MultiPolygon.
        first.boundary = {
            "type": "MultiPolygon",
            "coordinates": geo.polygons_of(first.boundary) + geo.polygons_of(geometry),
        }
        return
    row = Row(
        number=number,
        kind=preview.options.kind or AreaKind.DISTRICT.value,
        code=code,
        name=name,
        parent=parent,
        boundary=geometry,
    )
    preview.rows.append(row)
    if code:
        preview.by_code.setdefault(code, row)


# ── checking ─────────────────────────────────────────────────────────────────────────────


def _shape_message(explanation: str) -> str:
    """shapely's explain_validity() in Japanese, with the place as longitude/latitude."""
    found = re.match(r"(.*?)\[(-?[\d.eE+-]+) (-?[\d.eE+-]+)\]", explanation)
    reason, lon, lat = found.groups() if found else (explanation, "", "")
    reason = reason.strip()
    messages = {
        "Self-intersection": _("The boundary crosses itself (e.g. a bow-tie)"),
        "Ring Self-intersection": _("A ring of the boundary touches itself"),
        "Too few points": _("A ring has too few points"),
        "Hole lies outside shell": _("A hole lies outside its polygon"),
        "Nested shells": _("One polygon lies inside another of the same boundary"),
        "Nested holes": _("A hole lies inside another hole"),
        "Interior is disconnected": _("A hole cuts the polygon in two"),
        "Duplicate Rings": _("A ring is repeated"),
        "Invalid Coordinate": _("A coordinate is not a number"),
        "Ring is not closed": _("A ring is not closed"),
    }
    text = messages.get(reason, _("The boundary is not a valid polygon (%(reason)s)") % {
        "reason": reason})  # fmt: skip
    place = ""
    if lon and lat:
        place = _(" near longitude %(lon)s, latitude %(lat)s") % {
            "lon": f"{float(lon):.6f}", "lat": f"{float(lat):.6f}"}  # fmt: skip
    return _("%(problem)s%(place)s.") % {"problem": text, "place": place}


def _check_geometry(preview: AreaImportPreview, row: Row):
    """The shapely geometry of a row's boundary, or None (with an error) when it is unusable."""
    if not isinstance(row.boundary, dict):
        preview.error(row.number, _("The boundary must be a GeoJSON Polygon or MultiPolygon."))
        return None
    try:
        points = [p for polygon in geo.polygons_of(row.boundary) for ring in polygon for p in ring]
        lons = [float(p[0]) for p in points]
        lats = [float(p[1]) for p in points]
    except ValidationError as error:
        preview.error(row.number, " ".join(error.messages))
        return None
    except (TypeError, ValueError, IndexError, AttributeError, KeyError):
        preview.error(row.number, _("The boundary's coordinates cannot be read."))
        return None
    if not points:
        preview.error(row.number, _("The boundary encloses no area."))
        return None
    min_lon, max_lon, min_lat, max_lat = min(lons), max(lons), min(lats), max(lats)
    if not (
        JAPAN_LON[0] <= min_lon
        and max_lon <= JAPAN_LON[1]
        and JAPAN_LAT[0] <= min_lat
        and max_lat <= JAPAN_LAT[1]
    ):
        if max(abs(min_lon), abs(max_lon), abs(min_lat), abs(max_lat)) > 180:
            preview.error(row.number, _projected_message(_("coordinates in metres")))
        else:
            preview.error(
                row.number,
                _(
                    "The boundary lies outside Japan (longitude %(lon)s, latitude %(lat)s). "
                    "Are longitude and latitude swapped?"
                )
                % {"lon": f"{min_lon:.4f}", "lat": f"{min_lat:.4f}"},
            )
        return None
    try:
        geo.validate_boundary(row.boundary)
    except ValidationError as error:
        preview.error(row.number, " ".join(error.messages))
        return None
    try:
        geometry = shape(row.boundary)
    except (ShapelyError, TypeError, ValueError, KeyError, IndexError):
        preview.error(row.number, _("The boundary's coordinates cannot be read."))
        return None
    if not geometry.is_valid:
        preview.error(row.number, _shape_message(shapely.is_valid_reason(geometry)))
        return None
    if geometry.is_empty or geometry.area == 0:
        preview.error(row.number, _("The boundary encloses no area."))
        return None
    return geometry


def _significant(overlap: float, a, b) -> bool:
    return overlap > max(OVERLAP_ABSOLUTE, OVERLAP_RELATIVE * min(a.area, b.area))


def validate(
    files: Mapping[str, bytes], *, tenant_id: int, options: Options | None = None
) -> AreaImportPreview:
    """Read and check the file(s) against the tenant's areas; nothing is written."""
    preview = read(files, options)
    return check(preview, tenant_id=tenant_id)


def check(preview: AreaImportPreview, *, tenant_id: int) -> AreaImportPreview:
    """Check rows that were read (again): fields, geometry, overlaps, parents, matches."""
    preview.tenant_id = tenant_id
    if preview.read_problems < 0:
        preview.read_problems = len(preview.problems)
    del preview.problems[preview.read_problems :]
    if preview.has_errors and not preview.rows:
        return preview
    if not preview.rows and not preview.has_errors:
        preview.error(None, _("The file holds no areas."))
        return preview
    options = preview.options
    existing = list(
        Area.objects.filter(tenant_id=tenant_id).only(
            "id", "kind", "code", "name", "name_kana", "parent_id", "boundary"
        )
    )
    by_kind_code = {(a.kind, a.code): a for a in existing if a.code}
    by_kind_name = {(a.kind, a.name): a for a in existing}

    seen_code: dict[tuple[str, str], int] = {}
    seen_name: dict[tuple[str, str], int] = {}
    shapes: dict[int, object] = {}
    for row in preview.rows:
        if not row.parent and options.parent and options.parent not in (row.code, row.name):
            row.parent = options.parent  # the parent for rows that name none
        row.status, row.area_id, row.parent_id, row.parent_row, row.changes = (
            "",
            None,
            None,
            None,
            [],
        )
        raw_kind = row.kind or options.kind
        if not raw_kind:
            preview.error(row.number, _("The kind is missing (give a kind column or --kind)."))
        else:
            kind = KIND_OF.get(raw_kind.strip()) or KIND_OF.get(raw_kind.strip().lower())
            if kind is None:
                preview.error(
                    row.number,
                    _("Unknown kind %(kind)s. Use one of: %(kinds)s")
                    % {"kind": raw_kind, "kinds": ", ".join(str(k.label) for k in AreaKind)},
                )
            row.kind = kind or raw_kind
        if not row.name:
            preview.error(row.number, _("The name is missing."))
        elif len(row.name) > 100:
            preview.error(row.number, _("The name is longer than 100 characters."))
        if len(row.code) > 40:
            preview.error(row.number, _("The code is longer than 40 characters."))
        if row.name_kana and not is_kana(row.name_kana):
            preview.error(row.number, _("The reading %(kana)s is not in kana.") % {
                "kana": row.name_kana})  # fmt: skip
        elif len(row.name_kana) > 200:
            preview.error(row.number, _("The reading is longer than 200 characters."))
        if row.code:
            first = seen_code.setdefault((row.kind, row.code), row.number)
            if first != row.number:
                preview.error(row.number, _("The code %(code)s is repeated (first at %(first)s).")
                              % {"code": row.code, "first": _where(preview, first)})  # fmt: skip
        if row.name:
            first = seen_name.setdefault((row.kind, row.name), row.number)
            if first != row.number:
                preview.error(row.number, _("The name %(name)s is repeated (first at %(first)s).")
                              % {"name": row.name, "first": _where(preview, first)})  # fmt: skip
        if row.boundary is not None:
            geometry = _check_geometry(preview, row)
            if geometry is not None:
                shapes[row.number] = geometry
        # The existing area this row updates.
        match = by_kind_code.get((row.kind, row.code)) if row.code else None
        if match is None:
            match = by_kind_name.get((row.kind, row.name))
        row.area_id = match.pk if match else None

    # A name must stay unique per kind once the file is applied.
    matched = {row.area_id for row in preview.rows if row.area_id}
    untouched_names = {(a.kind, a.name): a for a in existing if a.pk not in matched}
    for row in preview.rows:
        other = untouched_names.get((row.kind, row.name))
        if other is not None and other.pk != row.area_id:
            preview.error(
                row.number,
                _("The name %(name)s is already used by another area (code %(code)s).")
                % {"name": row.name, "code": other.code or "-"},
            )

    _check_parents(preview, existing)
    _check_overlaps(preview, shapes, existing, matched)
    _compare(preview, {a.pk: a for a in existing})
    return preview


def _where(preview: AreaImportPreview, number: int) -> str:
    return Problem(preview.place, number, "").where


def _check_parents(preview: AreaImportPreview, existing: list[Area]) -> None:
    rows_by_code: dict[str, list[Row]] = {}
    rows_by_name: dict[str, list[Row]] = {}
    for row in preview.rows:
        if row.code:
            rows_by_code.setdefault(row.code, []).append(row)
        rows_by_name.setdefault(row.name, []).append(row)
    areas_by_code: dict[str, list[Area]] = {}
    areas_by_name: dict[str, list[Area]] = {}
    for area in existing:
        if area.code:
            areas_by_code.setdefault(area.code, []).append(area)
        areas_by_name.setdefault(area.name, []).append(area)
    for row in preview.rows:
        if not row.parent:
            continue
        for candidates in (rows_by_code.get(row.parent), rows_by_name.get(row.parent)):
            if candidates:
                if len(candidates) > 1:
                    preview.error(row.number, _("The parent %(parent)s is ambiguous.") % {
                        "parent": row.parent})  # fmt: skip
                elif candidates[0] is row:
                    preview.error(row.number, _("An area cannot be its own parent."))
                else:
                    parent_row = candidates[0]
                    row.parent_row = parent_row.number
                    row.parent_id = parent_row.area_id
                break
        else:
            for candidates in (areas_by_code.get(row.parent), areas_by_name.get(row.parent)):
                if candidates:
                    if len(candidates) > 1:
                        preview.error(row.number, _("The parent %(parent)s is ambiguous.") % {
                            "parent": row.parent})  # fmt: skip
                    elif candidates[0].pk == row.area_id:
                        preview.error(row.number, _("An area cannot be its own parent."))
                    else:
                        row.parent_id = candidates[0].pk
                    break
            else:
                preview.error(
                    row.number,
                    _("Unknown parent %(parent)s: no area in the file or in the system has "
                      "this code or name.") % {"parent": row.parent},
                )  # fmt: skip
    # Parents inside the file must not form a cycle.
    parent_of = {row.number: row.parent_row for row in preview.rows if row.parent_row}
    for start in parent_of:
        seen, number = set(), start
        while number in parent_of:
            if number in seen:
                preview.error(start, _("The parents form a cycle."))
                break
            seen.add(number)
            number = parent_of[number]


def _check_overlaps(preview, shapes: dict, existing: list[Area], matched: set[int]) -> None:
    """Areas of one kind must not overlap: within the file, and with areas kept as they are."""
    kind_of = {row.number: row.kind for row in preview.rows}
    numbers = list(shapes)
    geometries = [shapes[n] for n in numbers]
    if geometries:
        tree = shapely.STRtree(geometries)
        for i, j in _interiors_meet(tree, geometries, geometries, same=True):
            if kind_of[numbers[i]] != kind_of[numbers[j]]:
                continue
            a, b = geometries[i], geometries[j]
            overlap = a.intersection(b).area
            if _significant(overlap, a, b):
                preview.error(
                    numbers[j],
                    _("The boundary overlaps %(other)s (about %(m2)s m²).")
                    % {"other": _where(preview, numbers[i]), "m2": _square_metres(overlap, a)},
                )
    kept = [a for a in existing if a.boundary and a.pk not in matched]
    kept_shapes, kept_areas = [], []
    for area in kept:
        try:
            kept_shapes.append(shape(area.boundary))
            kept_areas.append(area)
        except (ShapelyError, TypeError, ValueError, KeyError):
            continue
    if not kept_shapes or not geometries:
        return
    tree = shapely.STRtree(kept_shapes)
    for i, j in _interiors_meet(tree, geometries, kept_shapes):
        area, a, b = kept_areas[j], geometries[i], kept_shapes[j]
        if area.kind != kind_of[numbers[i]]:
            continue
        try:
            overlap = a.intersection(b).area
        except GEOSException:
            continue
        if _significant(overlap, a, b):
            preview.error(
                numbers[i],
                _("The boundary overlaps the existing area %(name)s (about %(m2)s m²).")
                % {"name": area.name, "m2": _square_metres(overlap, a)},
            )


def _interiors_meet(
    tree, queries: list, targets: list, *, same: bool = False
) -> list[tuple[int, int]]:
    """Pairs whose interiors meet: neighbours that only touch along an edge are left out
    (DE-9IM, vectorised), so the costly intersection is computed only where it may matter."""
    left, right = tree.query(queries, predicate="intersects")
    if same:  # one list against itself: each pair once
        once = left < right
        left, right = left[once], right[once]
    if not len(left):
        return []
    queries_array, targets_array = (
        np.asarray(queries, dtype=object),
        np.asarray(targets, dtype=object),
    )
    meet = shapely.relate_pattern(queries_array[left], targets_array[right], "T********")
    return list(zip(left[meet].tolist(), right[meet].tolist(), strict=True))


def _square_metres(degrees: float, near) -> str:
    import math

    lat = near.centroid.y
    metres = degrees * 111_320 * 111_320 * math.cos(math.radians(lat))
    return f"{metres:,.0f}"


def _compare(preview: AreaImportPreview, areas: dict[int, Area]) -> None:
    labels = {
        "code": _("code"),
        "name": _("name"),
        "name_kana": _("reading"),
        "parent": _("parent area"),
        "boundary": _("boundary"),
    }
    for row in preview.rows:
        area = areas.get(row.area_id) if row.area_id else None
        if area is None:
            row.status = NEW
            continue
        changes = []
        if row.code and area.code != row.code:
            changes.append("code")
        if area.name != row.name:
            changes.append("name")
        if row.name_kana and area.name_kana != row.name_kana:
            changes.append("name_kana")
        if row.parent and (row.parent_id is None or area.parent_id != row.parent_id):
            # A parent that is new in this file has no id yet: a change by definition.
            changes.append("parent")
        if row.boundary is not None and area.boundary != row.boundary:
            changes.append("boundary")
        row.changes = [str(labels[c]) for c in changes]
        row.status = CHANGED if changes else UNCHANGED


# ── writing ──────────────────────────────────────────────────────────────────────────────


def _fill(area: Area, row: Row) -> None:
    area.kind, area.name = row.kind, row.name
    if row.code:
        area.code = row.code
    if row.name_kana:
        area.name_kana = row.name_kana
    if row.boundary is not None:
        area.boundary = row.boundary
        area.min_lat, area.max_lat, area.min_lon, area.max_lon = geo.bbox(row.boundary)
        area.centroid_lat, area.centroid_lon = geo.centroid(row.boundary)
    area.refresh_search_text()


@transaction.atomic
def apply(
    preview: AreaImportPreview,
    *,
    actor: Actor,
    filename: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Check the rows again against the database as it is now, then write them all or none.

    One audit entry records the import with its counts. `progress(done, total)` is called as
    rows are written (for a background job's progress bar).
    """
    tenant_id = preview.tenant_id
    # Serialise imports of one tenant: the check and the writes see the same areas.
    list(Area.objects.select_for_update().filter(tenant_id=tenant_id).values_list("id"))
    check(preview, tenant_id=tenant_id)
    if preview.has_errors:
        raise AreaImportError(preview.errors)
    rows = {row.number: row for row in preview.rows}
    areas = Area.objects.in_bulk([r.area_id for r in rows.values() if r.area_id])
    try:
        with transaction.atomic():
            _write(preview, rows, areas, progress)
    except IntegrityError:
        # e.g. two areas of the file swapping their names: each name is unique per kind at
        # every moment, so such a file is applied in two steps.
        raise AreaImportError(
            [
                Problem(
                    preview.place,
                    None,
                    _(
                        "The areas could not be saved because two names "
                        "would clash while saving (e.g. two areas swapping "
                        "names). Import the change in two steps."
                    ),
                )
            ]
        ) from None
    counts = preview.counts
    result = {key: counts[key] for key in (NEW, CHANGED, UNCHANGED, "warnings")}
    audit_event(
        actor,
        Event(
            action=Action.CREATE,
            object_type="core.area_import",
            object_repr=(filename or preview.format)[:200],
            tenant_id=tenant_id,
            detail={"format": preview.format, **result},
        ),
    )
    return result


def _write(preview: AreaImportPreview, rows: dict, areas: dict, progress) -> None:
    tenant_id = preview.tenant_id
    total, done = len(rows), 0
    # Parents first: a row whose parent is a new row of the file waits for it.
    pending = [row for row in preview.rows if row.status != UNCHANGED]
    created_id: dict[int, int] = {}
    while pending:
        ready = [
            row for row in pending
            if row.parent_row is None or rows[row.parent_row].area_id is not None
            or row.parent_row in created_id
        ]  # fmt: skip
        ready_numbers = {row.number for row in ready}
        later = [row for row in pending if row.number not in ready_numbers]
        if not ready:
            raise AreaImportError(
                [Problem(preview.place, later[0].number, _("The parents form a cycle."))]
            )
        new_areas, new_rows, updated = [], [], []
        for row in ready:
            parent_id = row.parent_id
            if row.parent_row is not None:
                parent_id = rows[row.parent_row].area_id or created_id[row.parent_row]
            if row.area_id:
                area = areas[row.area_id]
                _fill(area, row)
                if row.parent:
                    area.parent_id = parent_id
                updated.append(area)
            else:
                area = Area(tenant_id=tenant_id, parent_id=parent_id)
                _fill(area, row)
                new_areas.append(area)
                new_rows.append(row)
        Area.objects.bulk_create(new_areas, batch_size=500)
        for row, area in zip(new_rows, new_areas, strict=True):
            if area.pk is None:  # databases that do not return ids from a bulk insert
                area.pk = Area.objects.get(tenant_id=tenant_id, kind=row.kind, name=row.name).pk
            created_id[row.number] = area.pk
        Area.objects.bulk_update(
            updated,
            ["kind", "code", "name", "name_kana", "parent", "boundary", "centroid_lat",
             "centroid_lon", "min_lat", "max_lat", "min_lon", "max_lon", "search_text"],
            batch_size=500,
        )  # fmt: skip
        done += len(ready)
        if progress:
            progress(done, total)
        pending = later
