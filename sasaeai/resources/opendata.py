"""Import of the 自治体標準オープンデータセット (デジタル庁) into the resource directory.

Five datasets are understood, each in two column sets:

- "current": the 正式版 (全国地方公共団体コード, ID, 地方公共団体名, …, 所在地_連結表記 and its
  parts, 建物名等(方書), 緯度, 経度, …);
- "recommended": the older 推奨データセット (都道府県コード又は市区町村コード, NO, 都道府県名,
  市区町村名, 名称, …, 住所, 方書, 緯度, 経度, …).

`read_open_data` decodes and checks a whole file without touching the database and returns
every record and every problem (line, column, severity). `preview_import` compares the
records with what the tenant already holds (added / changed / removed / unchanged);
`apply_import` writes that difference in one transaction, all or nothing, with bulk queries,
and never deletes: a record missing from the file is unpublished and marked inactive.

Severities: "error" blocks the import; "fixed" was corrected by a stated rule; "skipped" left
a row out with its reason; "warning" was imported as it is (e.g. no coordinates: listed but
not on the map).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import time

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_event, event_for
from sasaeai.core import geo
from sasaeai.core.csvio import CsvEncodingError, decode_csv_bytes
from sasaeai.core.models import Area, AreaKind, Tenant
from sasaeai.core.postal import normalize_postal_code
from sasaeai.core.tenancy import tenant_context
from sasaeai.resources.categories import DEFAULT_CATEGORIES, ensure_default_categories
from sasaeai.resources.models import (
    Category,
    Location,
    Organization,
    Phone,
    PhoneKind,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
)
from sasaeai.resources.schedules import ScheduleParseError, parse_schedule_text, weekday_mask
from sasaeai.resources.search import fold, service_search_text

ERROR, FIXED, SKIPPED, WARNING = "error", "fixed", "skipped", "warning"
SEVERITIES = (ERROR, FIXED, SKIPPED, WARNING)

CURRENT, RECOMMENDED = "current", "recommended"

# Japan, generously: Okinotorishima to Etorofu, Yonaguni to Minamitorishima.
LAT_RANGE = (20.0, 46.0)
LON_RANGE = (122.0, 154.0)

LIST_LIMIT = 200  # added / changed / removed rows kept in a summary
PROBLEM_LIMIT = 1000  # problems kept in a summary (the counts cover all of them)
BATCH = 500


# --------------------------------------------------------------------------- the datasets


@dataclass(frozen=True)
class Dataset:
    code: str  # Service.source_dataset
    title: str  # the official name, as the files are titled
    category: str  # default category code
    audiences: str


DATASETS = {
    "care_service": Dataset("care_service", "介護サービス事業所一覧", "care_service", ",elderly,"),
    "childcare": Dataset("childcare", "子育て施設一覧", "childcare", ",children,"),
    "evacuation_site": Dataset("evacuation_site", "指定緊急避難場所一覧", "evacuation_site", ",everyone,"),
    "public_facility": Dataset("public_facility", "公共施設一覧", "public_facility", ",everyone,"),
    "medical": Dataset("medical", "医療機関一覧", "medical", ",everyone,"),
}  # fmt: skip

# Categories the import sets; a staff member's other terms on an imported service are kept.
MANAGED_CATEGORIES = frozenset(
    {"care_service", "community_care_center", "childcare", "child_rearing_hub",
     "evacuation_site", "public_facility", "medical"}
)  # fmt: skip

COLUMN_SET_TITLES = {CURRENT: "正式版", RECOMMENDED: "推奨データセット"}

HAZARDS = ("洪水", "崖崩れ、土石流及び地滑り", "高潮", "地震", "津波", "大規模な火事", "内水氾濫", "火山現象")

# Header name (normalised by `_normalise_header`) → the field it fills. Several names may
# fill one field: the 正式版 and the 推奨データセット name some columns differently, and
# real files use variants of their own.
FIELD_OF = {
    "全国地方公共団体コード": "code",
    "都道府県コード又は市区町村コード": "code",
    "市区町村コード": "code",
    "ID": "id",
    "NO": "id",
    "地方公共団体名": "municipality_name",
    "都道府県名": "prefecture_name",
    "市区町村名": "city_name",
    "名称": "name",
    "介護サービス事業所名称": "name",
    "施設名称": "name",
    "名称_カナ": "kana",
    "介護サービス事業所名称_カナ": "kana",
    "施設名称_カナ": "kana",
    "名称_英語": "name_en",
    "介護サービス事業所名称_英字": "name_en",
    "名称_通称": "alias",
    "介護サービスの種類": "kind",
    "実施サービス": "kind",
    "サービスの種類": "kind",
    "種別": "kind",
    "医療機関の種類": "kind",
    "所在地_連結表記": "address",
    "所在地_連結標記": "address",  # a misspelling found in published files
    "住所": "address",
    "所在地": "address",
    "所在地_都道府県": "pref",
    "所在地_市区町村": "city",
    "所在地_町字": "town",
    "所在地_番地以下": "street",
    "建物名等(方書)": "building",
    "方書": "building",
    "郵便番号": "postal_code",
    "緯度": "lat",
    "経度": "lon",
    "電話番号": "phone",
    "内線番号": "extension",
    "FAX番号": "fax",
    "連絡先メールアドレス": "email",
    "法人番号": "corporate_number",
    "法人の名称": "organization",
    "団体名": "organization",
    "利用可能曜日": "days",
    "診療曜日": "days",
    "開始時間": "opens",
    "診療開始時間": "opens",
    "終了時間": "closes",
    "診療終了時間": "closes",
    "利用可能日時特記事項": "schedule_note",
    "利用可能曜日特記事項": "schedule_note",
    "診療日時特記事項": "schedule_note",
    "説明": "explanation",
    "備考": "remarks",
    "URL": "url",
    "アクセス方法": "access",
    "バリアフリー情報": "barrier_free",
    "受入年齢": "ages",
    "診療科目": "departments",
    "時間外における対応": "after_hours",
    "想定収容人数": "capacity",
    "対象となる町会・自治会": "target_area",
    "指定避難所との重複": "shelter_overlap",
    **{f"災害種別_{hazard}": f"hazard:{hazard}" for hazard in HAZARDS},
    "災害種別_崖崩れ・土石流及び地滑り": "hazard:崖崩れ、土石流及び地滑り",
}

# Known columns every set may carry that the directory does not use: read, not reported.
KNOWN_UNUSED = frozenset(
    {"所在地_全国地方公共団体コード", "町字ID", "POIコード", "事業所番号", "医療機関コード",
     "定員", "収容定員", "認可等年月日", "一時預かりの有無", "病児保育の有無", "駐車場情報",
     "病床数", "標高", "画像", "画像_ライセンス", "連絡先FormのURL", "内線番号_FAX"}
)  # fmt: skip

_HEAD_CURRENT = ("全国地方公共団体コード", "ID", "地方公共団体名")
_HEAD_RECOMMENDED = ("都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名")
_ADDRESS_CURRENT = ("所在地_全国地方公共団体コード", "町字ID", "所在地_連結表記", "所在地_都道府県",
                    "所在地_市区町村", "所在地_町字", "所在地_番地以下", "建物名等(方書)", "緯度", "経度")  # fmt: skip
_ADDRESS_RECOMMENDED = ("住所", "方書", "緯度", "経度")
_HAZARD_COLUMNS = tuple(f"災害種別_{hazard}" for hazard in HAZARDS)


@dataclass(frozen=True)
class ColumnSet:
    dataset: str
    column_set: str
    columns: tuple[str, ...]  # the definition's columns, in its order
    # Each requirement is satisfied by any one of its columns (or their variants).
    required: tuple[tuple[str, ...], ...]

    @property
    def title(self) -> str:
        return f"{DATASETS[self.dataset].title} ({COLUMN_SET_TITLES[self.column_set]})"


def _current(dataset: str, middle: tuple, address_then: tuple, identifying: tuple) -> ColumnSet:
    columns = _HEAD_CURRENT + middle + _ADDRESS_CURRENT + address_then
    required = (("全国地方公共団体コード",), ("ID",), ("名称",), ("所在地_連結表記", "所在地_町字"),
                ("緯度",), ("経度",))  # fmt: skip
    return ColumnSet(dataset, CURRENT, columns, required + ((identifying) and (identifying,)))


def _recommended(dataset: str, columns: tuple, identifying: tuple) -> ColumnSet:
    required = (("都道府県コード又は市区町村コード", "市区町村コード"), ("NO",), ("名称",), ("住所",),
                ("緯度",), ("経度",))  # fmt: skip
    return ColumnSet(dataset, RECOMMENDED, columns, required + ((identifying) and (identifying,)))


# The column lists: see tests/fixtures/opendata/README.md for where each one comes from.
COLUMN_SETS = (
    _current(
        "care_service",
        ("名称", "名称_カナ", "名称_英語", "介護サービスの種類"),
        ("電話番号", "内線番号", "FAX番号", "法人番号", "法人の名称", "事業所番号", "利用可能曜日",
         "開始時間", "終了時間", "利用可能日時特記事項", "定員", "URL", "備考"),
        ("介護サービスの種類", "事業所番号"),
    ),
    _recommended(
        "care_service",
        _HEAD_RECOMMENDED + ("介護サービス事業所名称", "介護サービス事業所名称_カナ", "実施サービス")
        + _ADDRESS_RECOMMENDED
        + ("電話番号", "内線番号", "FAX番号", "法人番号", "法人の名称", "事業所番号", "利用可能曜日",
           "利用可能曜日特記事項", "定員", "URL", "備考"),
        ("介護サービスの種類", "事業所番号"),
    ),
    _current(
        "childcare",
        ("名称", "名称_カナ", "名称_英語", "種別"),
        ("アクセス方法", "駐車場情報", "電話番号", "内線番号", "FAX番号", "法人番号", "団体名",
         "認可等年月日", "収容定員", "受入年齢", "利用可能曜日", "開始時間", "終了時間",
         "利用可能日時特記事項", "一時預かりの有無", "病児保育の有無", "URL", "備考"),
        ("受入年齢", "一時預かりの有無", "認可等年月日", "収容定員"),
    ),
    _recommended(
        "childcare",
        _HEAD_RECOMMENDED + ("名称", "名称_カナ", "種別") + _ADDRESS_RECOMMENDED
        + ("アクセス方法", "駐車場情報", "電話番号", "内線番号", "FAX番号", "法人番号", "団体名",
           "認可等年月日", "収容定員", "受入年齢", "利用可能曜日", "開始時間", "終了時間",
           "利用可能日時特記事項", "一時預かりの有無", "URL", "備考"),
        ("受入年齢", "一時預かりの有無", "認可等年月日", "収容定員"),
    ),
    _current(
        "evacuation_site",
        ("名称", "名称_カナ", "名称_英語"),
        ("標高", "電話番号", "内線番号", *_HAZARD_COLUMNS, "指定避難所との重複", "想定収容人数",
         "対象となる町会・自治会", "URL", "備考"),
        _HAZARD_COLUMNS,
    ),
    _recommended(
        "evacuation_site",
        ("NO", "名称", "名称_カナ", "住所", "方書", "緯度", "経度", "標高", "電話番号", "内線番号",
         "市区町村コード", "都道府県名", "市区町村名", *_HAZARD_COLUMNS, "指定避難所との重複",
         "想定収容人数", "対象となる町会・自治会", "URL", "備考"),
        _HAZARD_COLUMNS,
    ),
    _current(
        "public_facility",
        ("名称", "名称_カナ", "名称_英語", "名称_通称", "POIコード"),
        ("電話番号", "内線番号", "法人番号", "団体名", "利用可能曜日", "開始時間", "終了時間",
         "利用可能日時特記事項", "説明", "バリアフリー情報", "URL", "備考"),
        (),
    ),
    _recommended(
        "public_facility",
        _HEAD_RECOMMENDED + ("名称", "名称_カナ", "名称_通称", "POIコード") + _ADDRESS_RECOMMENDED
        + ("電話番号", "内線番号", "法人番号", "団体名", "利用可能曜日", "開始時間", "終了時間",
           "利用可能日時特記事項", "説明", "バリアフリー情報", "URL", "備考"),
        (),
    ),
    _current(
        "medical",
        ("名称", "名称_カナ", "名称_英語", "医療機関の種類"),
        ("電話番号", "内線番号", "FAX番号", "法人番号", "法人の名称", "医療機関コード", "診療曜日",
         "診療開始時間", "診療終了時間", "診療日時特記事項", "時間外における対応", "診療科目",
         "病床数", "URL", "備考"),
        ("診療曜日", "医療機関の種類", "医療機関コード", "診療科目"),
    ),
    _recommended(
        "medical",
        _HEAD_RECOMMENDED + ("名称", "名称_カナ", "医療機関の種類") + _ADDRESS_RECOMMENDED
        + ("電話番号", "内線番号", "FAX番号", "法人番号", "法人の名称", "医療機関コード", "診療曜日",
           "診療開始時間", "診療終了時間", "診療日時特記事項", "時間外における対応", "診療科目",
           "病床数", "URL", "備考"),
        ("診療曜日", "医療機関の種類", "医療機関コード", "診療科目"),
    ),
)  # fmt: skip


def column_set_for(dataset: str, column_set: str) -> ColumnSet:
    return next(s for s in COLUMN_SETS if s.dataset == dataset and s.column_set == column_set)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Problem:
    line: int | None  # 1 = the header, 2 = the first data row; None = the whole file
    column: str
    code: str  # stable, for programs and tests: "duplicate_key", "coordinates_swapped", …
    message: str
    severity: str
    related_lines: tuple[int, ...] = ()

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "code": self.code,
                "message": self.message, "severity": self.severity,
                "related_lines": list(self.related_lines)}  # fmt: skip


@dataclass(frozen=True)
class PhoneSpec:
    number: str
    extension: str
    kind: str


@dataclass(frozen=True)
class ScheduleSpec:
    freq: str
    interval: int
    byday: str
    bymonthday: str
    opens_at: time | None
    closes_at: time | None
    valid_from: object
    valid_to: object
    closed_on_holidays: bool
    description: str
    notes: str


@dataclass
class Record:
    """One row of the file as the directory will hold it."""

    line: int
    key: str
    name: str
    kana: str = ""
    kind: str = ""
    category: str = ""
    audiences: str = ",everyone,"
    description: str = ""
    url: str = ""
    organization_name: str = ""
    corporate_number: str = ""
    postal_code: str = ""
    address: str = ""
    prefecture: str = ""
    city: str = ""
    town: str = ""
    street: str = ""
    building: str = ""
    latitude: float | None = None
    longitude: float | None = None
    transportation: str = ""
    accessibility: str = ""
    phones: tuple[PhoneSpec, ...] = ()
    schedules: tuple[ScheduleSpec, ...] = ()


@dataclass
class ParsedFile:
    dataset: str
    column_set: str
    encoding: str
    records: list[Record]
    problems: list[Problem]
    tenant_id: int | None = None
    tenant_code: str = ""
    rows: int = 0  # data rows read (blank and skipped ones included)
    # Keys of rows that could not become records (errors): not "removed" in a preview.
    held_keys: set[str] = field(default_factory=set)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def dataset_title(self) -> str:
        return DATASETS[self.dataset].title if self.dataset in DATASETS else ""

    @property
    def column_set_title(self) -> str:
        return COLUMN_SET_TITLES.get(self.column_set, "")

    def severity_counts(self) -> dict[str, int]:
        counts = Counter(p.severity for p in self.problems)
        return {severity: counts.get(severity, 0) for severity in SEVERITIES}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class RecordChange:
    key: str
    name: str
    line: int | None = None
    changes: list[FieldChange] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"key": self.key, "name": self.name, "line": self.line,
                "changes": [dataclasses.asdict(c) for c in self.changes]}  # fmt: skip


@dataclass
class ImportDiff:
    dataset: str
    column_set: str
    encoding: str
    added: list[RecordChange]
    changed: list[RecordChange]
    removed: list[RecordChange]
    unchanged: int
    problems: list[Problem]
    applied: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "changed": len(self.changed),
                "removed": len(self.removed), "unchanged": self.unchanged}  # fmt: skip

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)

    def summary(self) -> dict:
        """JSON for ResourceImport.summary: counts, and the first rows of each list."""
        severities = Counter(p.severity for p in self.problems)
        return {
            "dataset": self.dataset,
            "column_set": self.column_set,
            "encoding": self.encoding,
            "counts": self.counts,
            "severity_counts": {s: severities.get(s, 0) for s in SEVERITIES},
            "problems": [p.as_dict() for p in self.problems[:PROBLEM_LIMIT]],
            "problem_count": len(self.problems),
            "added": [r.as_dict() for r in self.added[:LIST_LIMIT]],
            "changed": [r.as_dict() for r in self.changed[:LIST_LIMIT]],
            "removed": [r.as_dict() for r in self.removed[:LIST_LIMIT]],
            "applied": self.applied,
        }


class OpenDataError(ValidationError):
    """The file has problems of severity "error"; `problems` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__([ValidationError(p.message, code=p.code) for p in problems])


# --------------------------------------------------------------------------- reading


def _normalise_header(name: str) -> str:
    """Full-width to half-width, no spaces, and the geodetic remark off 緯度 / 経度."""
    text = unicodedata.normalize("NFKC", name or "").replace("\ufeff", "")
    text = re.sub(r"\s+", "", text).strip("\"'")
    text = re.sub(r"^(緯度|経度)\(.*\)$", r"\1", text)
    return text


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def _clean(value: str | None) -> str:
    return (value or "").strip().replace("\r\n", "\n").replace("\r", "\n")


def _choose_column_set(header: list[str]) -> tuple[ColumnSet | None, ColumnSet, list[str]]:
    """The set the header matches best, the nearest set overall, and what that one lacks."""
    names = set(header)
    fields = {FIELD_OF.get(name) for name in names} - {None}

    def satisfied(requirement: tuple[str, ...]) -> bool:
        return any(c in names or (FIELD_OF.get(c) and FIELD_OF[c] in fields) for c in requirement)

    scored = []
    for order, column_set in enumerate(COLUMN_SETS):
        variants = {FIELD_OF.get(c, c) for c in column_set.columns}
        matched = sum(1 for name in names if name in column_set.columns)
        matched += sum(
            1 for name in names if name not in column_set.columns and FIELD_OF.get(name) in variants
        )
        # The identifying columns must be named as the definitions name them (kind is shared).
        missing = [r for r in column_set.required if not satisfied(r)]
        if column_set.required[-1] not in ((), None) and len(column_set.required) > 6:
            identifying = column_set.required[-1]
            if not any(c in names for c in identifying) and identifying not in missing:
                missing.append(identifying)
        scored.append((len(missing) == 0, -len(missing), matched, -order, column_set, missing))
    scored.sort(key=lambda item: item[:4], reverse=True)
    best = scored[0]
    chosen = best[4] if best[0] else None
    missing = [" / ".join(requirement) for requirement in best[5]]
    return chosen, best[4], missing


def _rows(text: str) -> Iterator[list[str]]:
    yield from csv.reader(io.StringIO(text, newline=""))


def read_open_data(data: bytes, *, tenant: Tenant) -> ParsedFile:
    """Decode, detect the dataset from the header and check every row. Saves nothing."""
    try:
        text, encoding = decode_csv_bytes(data)
    except CsvEncodingError:
        return ParsedFile("", "", "", [], [Problem(
            None, "", "undecodable",
            _("The file is neither UTF-8 nor Shift_JIS (CP932) text; save it as CSV in one of "
              "them and upload it again."),
            ERROR)], tenant_id=tenant.pk, tenant_code=tenant.code)  # fmt: skip
    rows = _rows(text)
    try:
        raw_header = next(rows)
    except StopIteration:
        raw_header = []
    except csv.Error:
        raw_header = []
    header = [_normalise_header(cell) for cell in raw_header]
    if not any(header):
        return ParsedFile("", "", encoding, [], [Problem(
            1, "", "empty_file", _("Line 1: the file has no header row."), ERROR)],
            tenant_id=tenant.pk, tenant_code=tenant.code)  # fmt: skip
    chosen, nearest, missing = _choose_column_set(header)
    if chosen is None:
        message = _(
            "Line 1: the header does not match any dataset this import knows. It is closest to "
            "%(title)s, which also needs the columns: %(missing)s."
        ) % {"title": nearest.title, "missing": "、".join(missing)}
        return ParsedFile("", "", encoding, [], [Problem(1, "", "unknown_header", message, ERROR)],
                          tenant_id=tenant.pk, tenant_code=tenant.code)  # fmt: skip
    reader = _RowReader(chosen, header, raw_header, tenant, encoding)
    return reader.read(rows)


@dataclass
class _Cell:
    value: str
    column: str


class _RowReader:
    def __init__(self, column_set: ColumnSet, header, raw_header, tenant: Tenant, encoding: str):
        self.column_set = column_set
        self.dataset = DATASETS[column_set.dataset]
        self.tenant = tenant
        self.encoding = encoding
        self.problems: list[Problem] = []
        # field → (index, column name as written); the first column naming a field wins.
        self.index: dict[str, tuple[int, str]] = {}
        for position, (name, raw) in enumerate(zip(header, raw_header, strict=False)):
            written = raw.strip().lstrip("\ufeff") or name
            target = FIELD_OF.get(name)
            if target and target not in self.index:
                self.index[target] = (position, written)
            elif name in KNOWN_UNUSED or (target and name in column_set.columns):
                continue
            elif not name:
                continue
            else:
                reason = (
                    _("Line 1: the column %(column)s appears twice; the first one is used.")
                    if target
                    else _("Line 1: the column %(column)s is not part of %(title)s and is ignored.")
                )
                self.problems.append(Problem(1, written, "ignored_column", reason % {
                    "column": written, "title": column_set.title}, WARNING))  # fmt: skip

    def cell(self, row: list[str], name: str) -> _Cell:
        position, column = self.index.get(name, (None, ""))
        value = row[position] if position is not None and position < len(row) else ""
        return _Cell(_clean(value), column)

    def add(self, line, column, code, message, severity, related=()):
        self.problems.append(Problem(line, column, code, message, severity, tuple(related)))

    def read(self, rows: Iterable[list[str]]) -> ParsedFile:
        records: list[Record] = []
        held: dict[str, list[int]] = defaultdict(list)  # key → lines, for duplicates
        held_keys: set[str] = set()
        count = 0
        try:
            for line, row in enumerate(rows, start=2):
                count += 1
                record, key = self.read_row(line, row)
                if key:
                    held[key].append(line)
                if record is not None:
                    records.append(record)
                elif key:
                    held_keys.add(key)
        except csv.Error as error:
            self.add(count + 2, "", "malformed_csv",
                     _("Line %(line)d: the CSV cannot be read past this point (%(error)s).")
                     % {"line": count + 2, "error": error}, ERROR)  # fmt: skip
        for key, lines in held.items():
            if len(lines) < 2:
                continue
            column = self.index.get("id", (0, ""))[1] if self.column_set.column_set == CURRENT else ""
            for line in lines:
                others = [other for other in lines if other != line]
                self.add(line, column, "duplicate_key",
                         _("Line %(line)d: the same record as on line %(others)s (%(key)s); each "
                           "record may appear only once.")
                         % {"line": line, "others": ", ".join(str(o) for o in others),
                            "key": key.split(":", 2)[-1]}, ERROR, others)  # fmt: skip
        duplicate_keys = {key for key, lines in held.items() if len(lines) > 1}
        records = [r for r in records if r.key not in duplicate_keys]
        held_keys |= duplicate_keys
        self.problems.sort(key=lambda p: (p.line or 0, SEVERITIES.index(p.severity)))
        return ParsedFile(
            dataset=self.dataset.code, column_set=self.column_set.column_set,
            encoding=self.encoding, records=records, problems=self.problems,
            tenant_id=self.tenant.pk, tenant_code=self.tenant.code, rows=count,
            held_keys=held_keys,
        )  # fmt: skip

    # ----------------------------------------------------------------- one row

    def read_row(self, line: int, row: list[str]) -> tuple[Record | None, str]:
        if not any(cell.strip() for cell in row):
            self.add(line, "", "blank_row", _("Line %(line)d: the row is blank.") % {"line": line},
                     SKIPPED)  # fmt: skip
            return None, ""
        if not self.of_tenant(line, row):
            return None, ""
        errors_before = sum(1 for p in self.problems if p.severity == ERROR)
        name = self.cell(row, "name")
        if not name.value:
            self.add(line, name.column, "name_missing",
                     _("Line %(line)d: the name is empty.") % {"line": line}, ERROR)  # fmt: skip
        record = Record(line=line, key="", name=name.value)
        self.too_long(line, name, 200)
        record.kana = self.cell(row, "kana").value[:200]
        record.kind = self.cell(row, "kind").value
        record.category = self.category_for(record.kind)
        record.audiences = self.dataset.audiences
        self.read_address(line, row, record)
        self.read_coordinates(line, row, record)
        record.phones = tuple(self.read_phones(line, row))
        record.schedules = tuple(self.read_schedules(line, row, record))
        self.read_organization(line, row, record)
        self.read_url(line, row, record)
        record.description = self.description(row, record)
        record.transportation = self.cell(row, "access").value
        record.accessibility = self.cell(row, "barrier_free").value
        record.key = self.key_for(line, row, record)
        errors_after = sum(1 for p in self.problems if p.severity == ERROR)
        if errors_after > errors_before:
            return None, record.key
        return record, record.key

    def too_long(self, line: int, cell: _Cell, limit: int) -> bool:
        if len(cell.value) <= limit:
            return False
        self.add(line, cell.column, "too_long",
                 _("Line %(line)d: %(column)s is longer than %(limit)d characters.")
                 % {"line": line, "column": cell.column, "limit": limit}, ERROR)  # fmt: skip
        return True

    def of_tenant(self, line: int, row: list[str]) -> bool:
        """Rows of another municipality are skipped; 5- and 6-digit codes are both accepted."""
        cell = self.cell(row, "code")
        code = re.sub(r"\D", "", _nfkc(cell.value))
        tenant_code = self.tenant.code
        if not code:
            return True
        same = code.lstrip("0") in {tenant_code.lstrip("0"), tenant_code[:5].lstrip("0")}
        if not same and len(code) in (5, 6) and code.zfill(6)[2:5] == "000":
            # A prefecture's code (a prefecture publishing for its cities): judge by the city.
            city = self.cell(row, "city_name").value or self.cell(row, "city").value
            address = self.cell(row, "address").value
            same = (city == self.tenant.name) or (
                not city and self.tenant.name in address[: len(self.tenant.name) + 4]
            )
            if same:
                return True
        if same:
            return True
        self.add(line, cell.column, "other_municipality",
                 _("Line %(line)d: the row belongs to the municipality %(code)s, not to "
                   "%(tenant)s (%(tenant_code)s); it is left out.")
                 % {"line": line, "code": cell.value, "tenant": self.tenant.name,
                    "tenant_code": tenant_code}, SKIPPED)  # fmt: skip
        return False

    def category_for(self, kind: str) -> str:
        folded = _nfkc(kind)
        if self.dataset.code == "care_service" and "地域包括支援センター" in folded:
            return "community_care_center"
        if self.dataset.code == "childcare" and any(
            word in folded for word in ("子育て支援拠点", "子育て支援センター", "子育てひろば")
        ):
            return "child_rearing_hub"
        return self.dataset.category

    # ----------------------------------------------------------------- address

    def read_address(self, line: int, row: list[str], record: Record) -> None:
        joined = self.cell(row, "address")
        parts = {name: self.cell(row, name) for name in ("pref", "city", "town", "street")}
        building = self.cell(row, "building")
        postal = self.cell(row, "postal_code")
        pref, city, town, street = (parts[n].value for n in ("pref", "city", "town", "street"))
        recommended = self.column_set.column_set == RECOMMENDED
        address = joined.value
        if not address and any((pref, city, town, street)):
            if not pref and self.tenant.prefecture:
                pref = self.tenant.prefecture
            address = pref + city + town + street
            if building.value and not recommended:
                address += "\u3000" + building.value
            self.add(line, joined.column or parts["town"].column, "address_joined",
                     _("Line %(line)d: the joined address was empty; it was built from its parts: "
                       "%(address)s.") % {"line": line, "address": address}, FIXED)  # fmt: skip
        elif address:
            prefixed = self.with_prefecture(address)
            if prefixed != address:
                self.add(line, joined.column, "prefecture_prefixed",
                         _("Line %(line)d: the address did not start with the prefecture; it now "
                           "reads %(address)s.") % {"line": line, "address": prefixed}, FIXED)  # fmt: skip
                address = prefixed
            if not any((pref, city, town, street)):
                base = address
                if not recommended and building.value and base.endswith(building.value):
                    base = base[: -len(building.value)].rstrip(" \u3000")
                pref, city, town, street = self.split_address(base)
                if any((pref, city, town, street)) and not recommended:
                    self.add(line, joined.column, "address_split",
                             _("Line %(line)d: the address was split into prefecture %(pref)s, "
                               "city %(city)s and the rest %(rest)s.")
                             % {"line": line, "pref": pref or "-", "city": city or "-",
                                "rest": (town + street) or "-"}, FIXED)  # fmt: skip
        if recommended and building.value:
            address = f"{address}\u3000{building.value}" if address else building.value
        record.address = address
        record.prefecture, record.city = pref[:10], city[:50]
        record.town, record.street, record.building = town[:100], street[:100], building.value
        self.too_long(line, _Cell(address, joined.column), 300)
        self.too_long(line, building, 100)
        if postal.value:
            code = normalize_postal_code(postal.value)
            if code is None:
                self.add(line, postal.column, "postal_code_invalid",
                         _("Line %(line)d: %(value)s is not a postal code; it is left out.")
                         % {"line": line, "value": postal.value}, WARNING)  # fmt: skip
            else:
                record.postal_code = f"{code[:3]}-{code[3:]}"

    def with_prefecture(self, address: str) -> str:
        tenant = self.tenant
        if _PREFECTURE.match(address) or not tenant.prefecture:
            return address
        if address.startswith(tenant.name):
            return tenant.prefecture + address
        if _CITY_START.match(address):
            return tenant.prefecture + address
        return tenant.prefecture + tenant.name + address

    def split_address(self, address: str) -> tuple[str, str, str, str]:
        """Prefecture, city and the rest (町字 up to the first digit, then 番地以下)."""
        match = _PREFECTURE.match(address)
        pref = match.group(0) if match else ""
        rest = address[len(pref) :]
        if self.tenant.name and rest.startswith(self.tenant.name):
            city = self.tenant.name
        else:
            found = _CITY_START.match(rest)
            city = found.group(0) if found else ""
        rest = rest[len(city) :]
        digit = re.search(r"[0-9０-９]", rest)
        town, street = (rest[: digit.start()], rest[digit.start() :]) if digit else (rest, "")
        if len(town) > 100 or len(street) > 100:
            return pref, city, "", ""
        return pref, city, town.strip(), street.strip()

    # ----------------------------------------------------------------- coordinates

    def read_coordinates(self, line: int, row: list[str], record: Record) -> None:
        lat_cell, lon_cell = self.cell(row, "lat"), self.cell(row, "lon")
        lat_text, lon_text = _nfkc(lat_cell.value), _nfkc(lon_cell.value)
        if not lat_text and not lon_text:
            self.add(line, lat_cell.column, "no_coordinates",
                     _("Line %(line)d: no latitude and longitude; the place is listed but not "
                       "shown on the map.") % {"line": line}, WARNING)  # fmt: skip
            return
        values = []
        for text, cell, code, label in (
            (lat_text, lat_cell, "latitude_invalid", _("latitude")),
            (lon_text, lon_cell, "longitude_invalid", _("longitude")),
        ):
            try:
                number = float(text)
                if number != number or number in (float("inf"), float("-inf")):
                    raise ValueError(text)
            except ValueError:
                self.add(line, cell.column, code,
                         _("Line %(line)d: the %(what)s %(value)s is not a number.")
                         % {"line": line, "what": label, "value": cell.value or "-"}, ERROR)  # fmt: skip
                number = None
            values.append(number)
        lat, lon = values
        if lat is None or lon is None:
            return
        if _in_japan(lat, lon):
            record.latitude, record.longitude = lat, lon
        elif _in_japan(lon, lat):
            record.latitude, record.longitude = lon, lat
            self.add(line, lat_cell.column, "coordinates_swapped",
                     _("Line %(line)d: latitude and longitude were swapped (%(lat)s, %(lon)s); they "
                       "were put back.") % {"line": line, "lat": lat_text, "lon": lon_text}, FIXED)  # fmt: skip
        else:
            if not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
                self.add(line, lat_cell.column, "latitude_outside_japan",
                         _("Line %(line)d: the latitude %(value)s is outside Japan.")
                         % {"line": line, "value": lat_text}, ERROR)  # fmt: skip
            if not LON_RANGE[0] <= lon <= LON_RANGE[1]:
                self.add(line, lon_cell.column, "longitude_outside_japan",
                         _("Line %(line)d: the longitude %(value)s is outside Japan.")
                         % {"line": line, "value": lon_text}, ERROR)  # fmt: skip

    # ----------------------------------------------------------------- phones

    def read_phones(self, line: int, row: list[str]) -> Iterator[PhoneSpec]:
        extension = _nfkc(self.cell(row, "extension").value)[:10]
        for field_name, kind in (("phone", PhoneKind.VOICE), ("fax", PhoneKind.FAX)):
            cell = self.cell(row, field_name)
            if not cell.value:
                continue
            for written in re.split(r"[、,，;；/／]|\s{2,}|\n", cell.value):
                written = written.strip()
                if not written:
                    continue
                number, fixed = normalise_phone(written)
                digits = re.sub(r"\D", "", number)
                if len(number) > 30:
                    self.add(line, cell.column, "phone_invalid",
                             _("Line %(line)d: %(value)s is not a telephone number; it is left out.")
                             % {"line": line, "value": written}, WARNING)  # fmt: skip
                    continue
                if not (digits.startswith("0") and len(digits) in (10, 11)):
                    self.add(line, cell.column, "phone_unusual",
                             _("Line %(line)d: the number %(value)s does not have the 10 or 11 "
                               "digits of a Japanese telephone number; it is kept as written.")
                             % {"line": line, "value": written}, WARNING)  # fmt: skip
                elif fixed:
                    self.add(line, cell.column, "phone_normalised",
                             _("Line %(line)d: the number %(value)s was rewritten as %(number)s.")
                             % {"line": line, "value": written, "number": number}, FIXED)  # fmt: skip
                yield PhoneSpec(number, extension if kind == PhoneKind.VOICE else "", kind)

    # ----------------------------------------------------------------- schedules

    def read_schedules(self, line: int, row: list[str], record: Record) -> list[ScheduleSpec]:
        days, opens, closes = (self.cell(row, n) for n in ("days", "opens", "closes"))
        note = self.cell(row, "schedule_note")
        if not (days.value or opens.value or closes.value):
            return []
        times = []
        for cell in (opens, closes):
            value, fixed = _excel_time(cell.value)
            if fixed:
                self.add(line, cell.column, "time_fraction",
                         _("Line %(line)d: the time %(value)s was written as a fraction of a day; "
                           "it was read as %(time)s.")
                         % {"line": line, "value": cell.value, "time": value}, FIXED)  # fmt: skip
            times.append(value)
        try:
            rules = _parse_schedule(days.value, times[0], times[1], note.value)
        except ScheduleParseError as error:
            column = days.column if days.value else (opens.column or closes.column)
            self.add(line, column, "schedule_invalid",
                     _("Line %(line)d: the opening days and hours cannot be read (%(reason)s).")
                     % {"line": line, "reason": str(error)}, ERROR)  # fmt: skip
            return []
        return [dataclasses.replace(rule, notes=note.value[:2000]) for rule in rules]

    # ----------------------------------------------------------------- organization, url

    def read_organization(self, line: int, row: list[str], record: Record) -> None:
        name = self.cell(row, "organization")
        number = self.cell(row, "corporate_number")
        digits = re.sub(r"\D", "", _nfkc(number.value))
        if number.value and len(digits) != 13:
            self.add(line, number.column, "corporate_number_invalid",
                     _("Line %(line)d: %(value)s is not a 13-digit corporate number; it is left out.")
                     % {"line": line, "value": number.value}, WARNING)  # fmt: skip
            digits = ""
        if name.value:
            record.organization_name = name.value[:200]
            record.corporate_number = digits

    def read_url(self, line: int, row: list[str], record: Record) -> None:
        cell = self.cell(row, "url")
        value = _nfkc(cell.value)
        if not value:
            return
        try:
            if len(value) > 200:
                raise ValidationError("too long")
            _URL(value)
        except ValidationError:
            self.add(line, cell.column, "url_invalid",
                     _("Line %(line)d: %(value)s is not a web address; it is left out.")
                     % {"line": line, "value": cell.value}, WARNING)  # fmt: skip
            return
        record.url = value

    def description(self, row: list[str], record: Record) -> str:
        """The 説明 and 備考, after what the dataset says of the place (kind, ages, …)."""
        lines = []
        labelled = {
            "care_service": (("kind", "サービスの種類"),),
            "childcare": (("kind", "種別"), ("ages", "受入年齢")),
            "medical": (("kind", "種類"), ("departments", "診療科目"), ("after_hours", "時間外の対応")),
            "public_facility": (("alias", "通称"),),
            "evacuation_site": (("capacity", "想定収容人数"), ("target_area", "対象となる町会・自治会")),
        }[self.dataset.code]  # fmt: skip
        for name, label in labelled:
            value = self.cell(row, name).value
            if value:
                lines.append(f"{label}: {value}")
        if self.dataset.code == "evacuation_site":
            hazards = [h for h in HAZARDS if _truthy(self.cell(row, f"hazard:{h}").value)]
            if hazards:
                lines.insert(0, "対象とする災害: " + "、".join(hazards))
            if _truthy(self.cell(row, "shelter_overlap").value):
                lines.append("指定避難所を兼ねる")
        for name in ("explanation", "remarks"):
            value = self.cell(row, name).value
            if value:
                lines.append(value)
        if not record.schedules:
            note = self.cell(row, "schedule_note").value
            if note:
                lines.append(note)
        return "\n".join(lines)

    def key_for(self, line: int, row: list[str], record: Record) -> str:
        prefix = f"{self.dataset.code}:{self.tenant.code}:"
        identifier = _nfkc(self.cell(row, "id").value)
        if self.column_set.column_set == CURRENT and identifier:
            key = prefix + identifier
        else:
            if self.column_set.column_set == CURRENT and record.name:
                self.add(line, self.index.get("id", (0, ""))[1], "id_missing",
                         _("Line %(line)d: the ID is empty; the record is recognised by its name "
                           "and address instead.") % {"line": line}, FIXED)  # fmt: skip
            base_address = record.address
            if record.building and base_address.endswith(record.building):
                base_address = base_address[: -len(record.building)]
            key = prefix + fold(record.name) + "|" + fold(base_address)
        if len(key) > 200:
            key = prefix + "sha1:" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()
        return key


_PREFECTURE = re.compile(r"^(東京都|北海道|(?:京都|大阪)府|.{2,3}県)")
_CITY_START = re.compile(r"^(.{1,6}?郡.{1,6}?[町村]|.{1,6}?市.{1,5}?区|.{1,8}?[市区町村])")
_URL = URLValidator(schemes=["http", "https"])
_HYPHENS = re.compile(r"[\u2010-\u2015\u2212\u30fc\uff0d\uff70\u2043\ufe63﹘-]")


def _in_japan(lat: float, lon: float) -> bool:
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]


def _truthy(value: str) -> bool:
    return _nfkc(value) not in ("", "0", "無", "なし", "無し", "×", "-", "FALSE", "false")


def normalise_phone(written: str) -> tuple[str, bool]:
    """NFKC, every dash to "-", brackets to "-": ("０４８（７８６）３２１１" → "048-786-3211")."""
    number = unicodedata.normalize("NFKC", written).strip()
    number = _HYPHENS.sub("-", number)
    number = re.sub(r"^\((\d+)\)", r"\1-", number)
    number = re.sub(r"[()]", "-", number)
    number = re.sub(r"\s+", "", number)
    number = re.sub(r"-{2,}", "-", number).strip("-")
    return number, number != written.strip()


def _excel_time(value: str) -> tuple[str, bool]:
    """"0.375" (Excel's fraction of a day) → "9:00"; anything else unchanged."""
    text = _nfkc(value)
    if re.fullmatch(r"0?\.\d+", text):
        minutes = round(float(text) * 24 * 60)
        return f"{minutes // 60}:{minutes % 60:02d}", True
    return value, False


_SCHEDULE_CACHE: dict[tuple[str, str, str, str], tuple[ScheduleSpec, ...] | ScheduleParseError] = {}


def _parse_schedule(days: str, opens: str, closes: str, note: str) -> tuple[ScheduleSpec, ...]:
    """parse_schedule_text, remembered: a city's file repeats the same few hours."""
    key = (days, opens, closes, note)
    if key not in _SCHEDULE_CACHE:
        if len(_SCHEDULE_CACHE) > 5000:
            _SCHEDULE_CACHE.clear()
        try:
            specs = parse_schedule_text(days, opens, closes, note)
            _SCHEDULE_CACHE[key] = tuple(
                ScheduleSpec(
                    freq=spec.freq, interval=spec.interval or 1, byday=spec.byday or "",
                    bymonthday=spec.bymonthday or "", opens_at=spec.opens_at,
                    closes_at=spec.closes_at, valid_from=spec.valid_from, valid_to=spec.valid_to,
                    closed_on_holidays=spec.closed_on_holidays,
                    description=(spec.description or "")[:300], notes="",
                )  # fmt: skip
                for spec in specs
            )
        except ScheduleParseError as error:
            _SCHEDULE_CACHE[key] = error
    found = _SCHEDULE_CACHE[key]
    if isinstance(found, ScheduleParseError):
        raise found
    return found


# --------------------------------------------------------------------------- comparing


_SERVICE_FIELDS = ("name", "alternate_name", "description", "url", "audiences")
_LOCATION_FIELDS = ("name", "alternate_name", "postal_code", "address", "prefecture", "city",
                    "town", "street", "building", "latitude", "longitude", "transportation",
                    "accessibility")  # fmt: skip
_SCHEDULE_FIELDS = ("freq", "interval", "byday", "bymonthday", "opens_at", "closes_at",
                    "valid_from", "valid_to", "closed_on_holidays", "description", "notes")  # fmt: skip


def _labels() -> dict[str, str]:
    return {
        "name": _("name"), "alternate_name": _("name (kana)"), "description": _("description"),
        "url": _("web page"), "audiences": _("for"), "organization": _("organization"),
        "categories": _("categories"), "status": _("status"), "search_text": _("search index"),
        "location.name": _("place name"), "location.alternate_name": _("place name (kana)"),
        "location.postal_code": _("postal code"), "location.address": _("address"),
        "location.prefecture": _("prefecture"), "location.city": _("city"),
        "location.town": _("town"), "location.street": _("street"),
        "location.building": _("building"), "location.latitude": _("latitude"),
        "location.longitude": _("longitude"), "location.transportation": _("how to get there"),
        "location.accessibility": _("accessibility"), "location.area": _("district"),
        "location.school_district": _("junior high school district"),
        "phones": _("telephone"), "schedules": _("opening hours"),
    }  # fmt: skip


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float):
        return f"{value:g}" if abs(value) >= 1000 else f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


def _show_phones(phones) -> str:
    return ", ".join(
        ("FAX " if p[2] == PhoneKind.FAX else "") + p[0] + (f" ({p[1]})" if p[1] else "")
        for p in phones
    )


def _show_schedules(schedules) -> str:
    shown = []
    for s in schedules:
        hours = f"{_show(s[4])}-{_show(s[5])}" if s[4] or s[5] else ""
        shown.append(" ".join(part for part in (s[9] or f"{s[0]} {s[2]}{s[3]}", hours) if part))
    return "; ".join(shown)


class _Areas:
    """The tenant's districts and junior high school districts, for point lookups in memory."""

    def __init__(self, tenant_id: int):
        self.areas = list(
            Area.objects.filter(
                tenant_id=tenant_id,
                kind__in=[AreaKind.DISTRICT, AreaKind.JUNIOR_HIGH_SCHOOL_DISTRICT],
                boundary__isnull=False,
            ).only("id", "kind", "name", "boundary", "min_lat", "max_lat", "min_lon", "max_lon")
        )
        self.names = {a.pk: a.name for a in self.areas}
        self.cache: dict[tuple[float, float], tuple[int | None, int | None]] = {}

    def of(self, lat: float | None, lon: float | None) -> tuple[int | None, int | None]:
        if lat is None or lon is None:
            return None, None
        if (lat, lon) not in self.cache:
            found: dict[str, int | None] = {}
            for area in self.areas:
                if area.kind in found or area.min_lat is None:
                    continue
                if not (area.min_lat <= lat <= area.max_lat and area.min_lon <= lon <= area.max_lon):
                    continue
                if geo.contains(area.boundary, lat=lat, lon=lon):
                    found[area.kind] = area.pk
            self.cache[(lat, lon)] = (
                found.get(AreaKind.DISTRICT),
                found.get(AreaKind.JUNIOR_HIGH_SCHOOL_DISTRICT),
            )
        return self.cache[(lat, lon)]


@dataclass
class _Existing:
    """What the tenant holds of one dataset, read with a fixed number of queries."""

    services: dict[str, dict]  # key → values
    locations: dict[str, dict]  # key → values
    phones: dict[int, list[tuple]]
    schedules: dict[int, list[tuple]]
    categories: dict[int, set[str]]
    organizations_by_number: dict[str, dict]
    organizations_by_name: dict[str, dict]


def _load_existing(tenant_id: int, dataset: str) -> _Existing:
    services = {
        row["source_key"]: row
        for row in Service.objects.filter(tenant_id=tenant_id, source_dataset=dataset)
        .order_by("id")
        .values("id", "source_key", *_SERVICE_FIELDS, "organization_id", "search_text",
                "status", "is_published", "version")  # fmt: skip
    }
    locations = {
        row["source_key"]: row
        for row in Location.objects.filter(tenant_id=tenant_id, source_key__startswith=f"{dataset}:")
        .order_by("id")
        .values("id", "source_key", *_LOCATION_FIELDS, "area_id", "school_district_id",
                "organization_id")  # fmt: skip
    }
    phones: dict[int, list[tuple]] = defaultdict(list)
    for row in (
        Phone.objects.filter(tenant_id=tenant_id, service__source_dataset=dataset)
        .order_by("id")
        .values_list("service_id", "number", "extension", "kind")
    ):
        phones[row[0]].append(tuple(row[1:]))
    schedules: dict[int, list[tuple]] = defaultdict(list)
    for row in (
        Schedule.objects.filter(tenant_id=tenant_id, service__source_dataset=dataset)
        .order_by("id")
        .values_list("service_id", *_SCHEDULE_FIELDS)
    ):
        schedules[row[0]].append(tuple(row[1:]))
    categories: dict[int, set[str]] = defaultdict(set)
    through = Service.categories.through
    for service_id, code in through.objects.filter(
        service__tenant_id=tenant_id, service__source_dataset=dataset
    ).values_list("service_id", "category__code"):
        categories[service_id].add(code)
    by_number: dict[str, dict] = {}
    by_name: dict[str, dict] = {}
    for org in Organization.objects.filter(tenant_id=tenant_id).order_by("id").values(
        "id", "name", "corporate_number"
    ):
        if org["corporate_number"]:
            by_number.setdefault(org["corporate_number"], org)
        by_name.setdefault(org["name"], org)
    return _Existing(services, locations, phones, schedules, categories, by_number, by_name)


@dataclass
class _Step:
    """What happens to one record: its wanted state and, for an existing one, what changes."""

    record: Record
    key: str
    service_id: int | None
    location_id: int | None
    organization: dict | str | None  # an existing organization's values, a new one's name
    categories: set[str]
    search_text: str
    area_id: int | None
    school_district_id: int | None
    changes: list[FieldChange]
    service_changed: set[str] = field(default_factory=set)
    location_changed: bool = False
    phones_changed: bool = False
    schedules_changed: bool = False
    categories_changed: bool = False
    reactivate: bool = False


@dataclass
class _Plan:
    dataset: str
    added: list[_Step]
    changed: list[_Step]
    removed: list[dict]
    unchanged: int
    existing: _Existing
    new_organizations: dict[str, tuple[str, str]]  # token → (name, corporate number)


def _category_terms(tenant_id: int) -> dict[str, tuple[str, str]]:
    """code → (name, kana): the tenant's own terms, else the default vocabulary (a preview
    must not create the terms the application will)."""
    terms = {d.code: (d.name, d.name_kana) for d in DEFAULT_CATEGORIES}
    for code, name, kana in Category.objects.filter(tenant_id=tenant_id).values_list(
        "code", "name", "name_kana"
    ):
        terms[code] = (name, kana)
    return terms


def _make_plan(parsed: ParsedFile, tenant_id: int) -> _Plan:
    existing = _load_existing(tenant_id, parsed.dataset)
    areas = _Areas(tenant_id)
    terms = _category_terms(tenant_id)
    labels = _labels()
    org_names = {org["id"]: org["name"] for org in existing.organizations_by_name.values()}
    org_names.update({org["id"]: org["name"] for org in existing.organizations_by_number.values()})
    new_organizations: dict[str, tuple[str, str]] = {}
    added: list[_Step] = []
    changed: list[_Step] = []
    unchanged = 0
    for record in parsed.records:
        organization = _resolve_organization(record, existing, new_organizations)
        name, kana = terms.get(record.category, ("", ""))
        search_text = service_search_text(
            record.name, record.kana, record.description, record.address, name, kana
        )
        area_id, school_id = areas.of(record.latitude, record.longitude)
        service = existing.services.get(record.key)
        location = existing.locations.get(record.key)
        step = _Step(
            record=record, key=record.key,
            service_id=service["id"] if service else None,
            location_id=location["id"] if location else None,
            organization=organization, categories=set(), search_text=search_text,
            area_id=area_id, school_district_id=school_id, changes=[],
        )  # fmt: skip
        if service is None:
            step.categories = {record.category}
            added.append(step)
            continue
        current_categories = existing.categories.get(service["id"], set())
        step.categories = (current_categories - MANAGED_CATEGORIES) | {record.category}
        _compare(step, service, location, existing, org_names, areas, labels)
        if step.changes:
            changed.append(step)
        else:
            unchanged += 1
    present = {record.key for record in parsed.records} | parsed.held_keys
    removed = [
        service
        for key, service in existing.services.items()
        if key not in present
        and not (service["status"] == ServiceStatus.INACTIVE and not service["is_published"])
    ]
    return _Plan(parsed.dataset, added, changed, removed, unchanged, existing, new_organizations)


def _resolve_organization(record: Record, existing: _Existing, new: dict) -> dict | str | None:
    if not record.organization_name:
        return None
    if record.corporate_number and record.corporate_number in existing.organizations_by_number:
        return existing.organizations_by_number[record.corporate_number]
    if record.organization_name in existing.organizations_by_name:
        return existing.organizations_by_name[record.organization_name]
    token = record.corporate_number or record.organization_name
    for known, (name, _number) in new.items():
        if name == record.organization_name:
            return known
    new.setdefault(token, (record.organization_name, record.corporate_number))
    return token


def _record_phones(record: Record) -> list[tuple]:
    return [(p.number, p.extension, p.kind) for p in record.phones]


def _record_schedules(record: Record) -> list[tuple]:
    return [tuple(getattr(s, name) for name in _SCHEDULE_FIELDS) for s in record.schedules]


def _location_values(step: _Step) -> dict:
    r = step.record
    return {
        "name": r.name, "alternate_name": r.kana, "postal_code": r.postal_code,
        "address": r.address, "prefecture": r.prefecture, "city": r.city, "town": r.town,
        "street": r.street, "building": r.building, "latitude": r.latitude,
        "longitude": r.longitude, "transportation": r.transportation,
        "accessibility": r.accessibility,
    }  # fmt: skip


def _service_values(step: _Step) -> dict:
    r = step.record
    return {"name": r.name, "alternate_name": r.kana, "description": r.description,
            "url": r.url, "audiences": r.audiences}  # fmt: skip


def _compare(step, service, location, existing, org_names, areas, labels) -> None:
    changes = step.changes
    for name, new in _service_values(step).items():
        if service[name] != new:
            step.service_changed.add(name)
            changes.append(FieldChange(name, labels[name], _show(service[name]), _show(new)))
    wanted_org = step.organization
    old_org_id = service["organization_id"]
    if isinstance(wanted_org, dict):
        same = old_org_id == wanted_org["id"]
        new_name = wanted_org["name"]
    else:
        same = wanted_org is None and old_org_id is None
        new_name = "" if wanted_org is None else wanted_org
    if not same:
        step.service_changed.add("organization")
        changes.append(FieldChange("organization", labels["organization"],
                                   org_names.get(old_org_id, ""), new_name))  # fmt: skip
    if service["status"] == ServiceStatus.INACTIVE:
        step.reactivate = True
        step.service_changed.add("status")
        changes.append(FieldChange("status", labels["status"], ServiceStatus.INACTIVE.label,
                                   ServiceStatus.ACTIVE.label))  # fmt: skip
    old_categories = existing.categories.get(service["id"], set())
    if old_categories != step.categories:
        step.categories_changed = True
        changes.append(FieldChange("categories", labels["categories"],
                                   ", ".join(sorted(old_categories)),
                                   ", ".join(sorted(step.categories))))  # fmt: skip
    if location is None:
        step.location_changed = True
        changes.append(FieldChange("location.address", labels["location.address"], "",
                                   step.record.address))  # fmt: skip
    else:
        for name, new in _location_values(step).items():
            if location[name] != new:
                step.location_changed = True
                label = labels[f"location.{name}"]
                changes.append(FieldChange(f"location.{name}", label, _show(location[name]),
                                           _show(new)))  # fmt: skip
        for name, new in (("area", step.area_id), ("school_district", step.school_district_id)):
            old = location[f"{name}_id"]
            if old != new:
                step.location_changed = True
                changes.append(FieldChange(f"location.{name}", labels[f"location.{name}"],
                                           areas.names.get(old, ""), areas.names.get(new, "")))  # fmt: skip
        if location["organization_id"] != (wanted_org["id"] if isinstance(wanted_org, dict) else None) \
                and not isinstance(wanted_org, str):  # fmt: skip
            step.location_changed = True
        if isinstance(wanted_org, str):
            step.location_changed = True
    old_phones = existing.phones.get(service["id"], [])
    if old_phones != _record_phones(step.record):
        step.phones_changed = True
        changes.append(FieldChange("phones", labels["phones"], _show_phones(old_phones),
                                   _show_phones(_record_phones(step.record))))  # fmt: skip
    old_schedules = existing.schedules.get(service["id"], [])
    if old_schedules != _record_schedules(step.record):
        step.schedules_changed = True
        changes.append(FieldChange("schedules", labels["schedules"], _show_schedules(old_schedules),
                                   _show_schedules(_record_schedules(step.record))))  # fmt: skip
    if service["search_text"] != step.search_text:
        step.service_changed.add("search_text")
        if not changes:
            changes.append(FieldChange("search_text", labels["search_text"], "", ""))


def _diff_of(parsed: ParsedFile, plan: _Plan, *, applied=False) -> ImportDiff:
    return ImportDiff(
        dataset=parsed.dataset, column_set=parsed.column_set, encoding=parsed.encoding,
        added=[RecordChange(s.key, s.record.name, s.record.line) for s in plan.added],
        changed=[RecordChange(s.key, s.record.name, s.record.line, s.changes) for s in plan.changed],
        removed=[RecordChange(s["source_key"], s["name"]) for s in plan.removed],
        unchanged=plan.unchanged, problems=list(parsed.problems), applied=applied,
    )  # fmt: skip


def preview_import(parsed: ParsedFile, *, tenant_id: int) -> ImportDiff:
    """What applying the file would add, change and remove. Saves nothing."""
    _check_tenant(parsed, tenant_id)
    if not parsed.dataset:
        return ImportDiff(parsed.dataset, parsed.column_set, parsed.encoding, [], [], [], 0,
                          list(parsed.problems))  # fmt: skip
    with tenant_context(tenant_id):
        plan = _make_plan(parsed, tenant_id)
    return _diff_of(parsed, plan)


def _check_tenant(parsed: ParsedFile, tenant_id: int) -> None:
    if parsed.tenant_id is not None and parsed.tenant_id != tenant_id:
        raise ValueError("The file was read for another tenant.")


# --------------------------------------------------------------------------- applying


def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def apply_import(
    parsed: ParsedFile, *, actor: policy.Actor, tenant_id: int, check_permission: bool = True
) -> ImportDiff:
    """Write the difference in one transaction. Raises OpenDataError (a ValidationError)
    listing the problems when any is an error; then nothing is saved.

    Web and API callers keep `check_permission`; the management command, which acts for the
    system, passes False explicitly.
    """
    if check_permission:
        policy.require(actor, "resources.import_resource")
    _check_tenant(parsed, tenant_id)
    if parsed.has_errors or not parsed.dataset:
        raise OpenDataError(parsed.errors)
    with tenant_context(tenant_id), transaction.atomic():
        categories = ensure_default_categories(tenant_id)
        plan = _make_plan(parsed, tenant_id)
        _write(plan, tenant_id, categories)
        diff = _diff_of(parsed, plan, applied=True)
        tenant = Tenant.objects.get(pk=tenant_id)
        event = event_for(Action.UPDATE, tenant, detail={
            "operation": "open_data_import", "dataset": parsed.dataset,
            "column_set": parsed.column_set, "encoding": parsed.encoding, "rows": parsed.rows,
            **diff.counts, "severity_counts": parsed.severity_counts(),
        })  # fmt: skip
        audit_event(actor, dataclasses.replace(event, tenant_id=tenant_id))
    return diff


def _write(plan: _Plan, tenant_id: int, categories: dict[str, Category]) -> None:
    now = timezone.now()
    organizations = _create_organizations(plan, tenant_id)

    def organization_id(step: _Step) -> int | None:
        if step.organization is None:
            return None
        if isinstance(step.organization, dict):
            return step.organization["id"]
        return organizations[step.organization]

    # New services and their places.
    new_services = [
        Service(
            tenant_id=tenant_id, organization_id=organization_id(step),
            source_dataset=plan.dataset, source_key=step.key, search_text=step.search_text,
            status=ServiceStatus.ACTIVE, is_published=True, **_service_values(step),
        )  # fmt: skip
        for step in plan.added
    ]
    for batch in _chunks(new_services):
        Service.objects.bulk_create(batch)
    for step, service in zip(plan.added, new_services, strict=True):
        step.service_id = service.pk
    missing_locations = [s for s in plan.added + plan.changed if s.location_id is None]
    new_locations = [
        Location(
            tenant_id=tenant_id, organization_id=organization_id(step), source_key=step.key,
            area_id=step.area_id, school_district_id=step.school_district_id,
            **_location_values(step),
        )  # fmt: skip
        for step in missing_locations
    ]
    for batch in _chunks(new_locations):
        Location.objects.bulk_create(batch)
    for step, location in zip(missing_locations, new_locations, strict=True):
        step.location_id = location.pk
    links = [
        ServiceAtLocation(tenant_id=tenant_id, service_id=s.service_id, location_id=s.location_id)
        for s in missing_locations
    ]
    for batch in _chunks(links):
        ServiceAtLocation.objects.bulk_create(batch, ignore_conflicts=True)

    # Changed services: only the rows and fields that change.
    changed_services = []
    for step in plan.changed:
        service = Service(pk=step.service_id, tenant_id=tenant_id, **_service_values(step))
        service.organization_id = organization_id(step)
        service.search_text = step.search_text
        service.updated_at = now
        service.version = plan.existing.services[step.key]["version"] + 1
        if step.reactivate:
            service.status, service.is_published = ServiceStatus.ACTIVE, True
        changed_services.append((step, service))
    service_fields = [*_SERVICE_FIELDS, "organization_id", "search_text", "updated_at", "version"]
    plain = [s for step, s in changed_services if not step.reactivate]
    revived = [s for step, s in changed_services if step.reactivate]
    for batch in _chunks(plain):
        Service.objects.bulk_update(batch, service_fields)
    for batch in _chunks(revived):
        Service.objects.bulk_update(batch, [*service_fields, "status", "is_published"])
    moved = []
    for step in plan.changed:
        if step.location_changed and step not in missing_locations:
            location = Location(pk=step.location_id, tenant_id=tenant_id, **_location_values(step))
            location.area_id, location.school_district_id = step.area_id, step.school_district_id
            location.organization_id = organization_id(step)
            location.updated_at = now
            moved.append(location)
    location_fields = [*_LOCATION_FIELDS, "area_id", "school_district_id", "organization_id",
                       "updated_at"]  # fmt: skip
    for batch in _chunks(moved):
        Location.objects.bulk_update(batch, location_fields)

    # Phones, schedules and categories: replaced where they change.
    phone_steps = plan.added + [s for s in plan.changed if s.phones_changed]
    schedule_steps = plan.added + [s for s in plan.changed if s.schedules_changed]
    category_steps = plan.added + [s for s in plan.changed if s.categories_changed]
    for batch in _chunks([s.service_id for s in plan.changed if s.phones_changed]):
        Phone.objects.filter(tenant_id=tenant_id, service_id__in=batch).delete()
    for batch in _chunks([s.service_id for s in plan.changed if s.schedules_changed]):
        Schedule.objects.filter(tenant_id=tenant_id, service_id__in=batch).delete()
    through = Service.categories.through
    managed_ids = [c.pk for code, c in categories.items() if code in MANAGED_CATEGORIES]
    for batch in _chunks([s.service_id for s in plan.changed if s.categories_changed]):
        through.objects.filter(service_id__in=batch).delete()
    phones = [
        Phone(tenant_id=tenant_id, service_id=step.service_id, number=p.number,
              extension=p.extension, kind=p.kind)  # fmt: skip
        for step in phone_steps
        for p in step.record.phones
    ]
    for batch in _chunks(phones):
        Phone.objects.bulk_create(batch)
    schedules = [
        Schedule(
            tenant_id=tenant_id, service_id=step.service_id, location_id=step.location_id,
            weekday_mask=weekday_mask(s.freq, s.byday, s.bymonthday),
            **{name: getattr(s, name) for name in _SCHEDULE_FIELDS},
        )
        for step in schedule_steps
        for s in step.record.schedules
    ]
    for batch in _chunks(schedules):
        Schedule.objects.bulk_create(batch)
    del managed_ids
    rows = [
        through(service_id=step.service_id, category_id=categories[code].pk)
        for step in category_steps
        for code in sorted(step.categories)
        if code in categories
    ]
    for batch in _chunks(rows):
        through.objects.bulk_create(batch, ignore_conflicts=True)

    # Removed from the file: unpublished and inactive, never deleted.
    gone = []
    for values in plan.removed:
        service = Service(pk=values["id"], tenant_id=tenant_id)
        service.status, service.is_published = ServiceStatus.INACTIVE, False
        service.updated_at, service.version = now, values["version"] + 1
        gone.append(service)
    for batch in _chunks(gone):
        Service.objects.bulk_update(batch, ["status", "is_published", "updated_at", "version"])


def _create_organizations(plan: _Plan, tenant_id: int) -> dict[str, int]:
    if not plan.new_organizations:
        return {}
    rows = [
        Organization(
            tenant_id=tenant_id, name=name, corporate_number=number,
            source_key=f"{plan.dataset}:org:{number or fold(name)}"[:200],
        )  # fmt: skip
        for name, number in plan.new_organizations.values()
    ]
    for batch in _chunks(rows):
        Organization.objects.bulk_create(batch)
    return {token: org.pk for token, org in zip(plan.new_organizations, rows, strict=True)}
