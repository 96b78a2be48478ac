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
not on the map) or, on line 1, a column that is not read.

A record's key (Service.source_key, also on its Location) is "<dataset>:<code>:<ID>" for the
正式版, whose ID is stable; the 推奨データセット's NO is only a row number, so there the key
is "<dataset>:<code>:" + folded name + "|" + folded address. <code> is the tenant's code.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import functools
import hashlib
import io
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, time

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
from sasaeai.core.spreadsheet import csv_uncell
from sasaeai.core.tenancy import tenant_context
from sasaeai.core.text import normalize_for_search
from sasaeai.resources import search, selectors
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
from sasaeai.resources.schedules import (
    ScheduleParseError,
    parse_schedule_text,
    weekday_mask,
    with_note,
)
from sasaeai.resources.search import fold, service_search_text

ERROR, FIXED, SKIPPED, WARNING = "error", "fixed", "skipped", "warning"
SEVERITIES = (ERROR, FIXED, SKIPPED, WARNING)

CURRENT, RECOMMENDED = "current", "recommended"
COLUMN_SET_TITLES = {CURRENT: "正式版", RECOMMENDED: "推奨データセット"}

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
    title: str  # the official name, as files and catalogues title them
    category: str  # the category code a record gets
    audiences: str  # Service.audiences of a new record


DATASETS = {
    "care_service": Dataset("care_service", "介護サービス事業所一覧", "care_service", ",elderly,"),
    "childcare": Dataset("childcare", "子育て施設一覧", "childcare", ",children,"),
    "evacuation_site": Dataset(
        "evacuation_site", "指定緊急避難場所一覧", "evacuation_site", ",everyone,"
    ),
    "public_facility": Dataset("public_facility", "公共施設一覧", "public_facility", ",everyone,"),
    "medical": Dataset("medical", "医療機関一覧", "medical", ",everyone,"),
}

# Categories the import sets; other terms a staff member put on an imported service stay.
MANAGED_CATEGORIES = frozenset(
    {
        "care_service",
        "community_care_center",
        "childcare",
        "child_rearing_hub",
        "evacuation_site",
        "public_facility",
        "medical",
    }
)

HAZARDS = ("洪水", "崖崩れ、土石流及び地滑り", "高潮", "地震", "津波", "大規模な火事", "内水氾濫", "火山現象")  # fmt: skip

# Header name (after `_normalise_header`) → the field it fills. Several names may fill one
# field: the 正式版 and the 推奨データセット name some columns differently, and published
# files have variants of their own.
FIELD_OF = {
    "全国地方公共団体コード": "code",
    "都道府県コード又は市区町村コード": "code",
    "市区町村コード": "code",
    "ID": "id",
    "NO": "id",
    "No": "id",
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
    "名称_英字": "name_en",
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
    "利用可能時間特記事項": "schedule_note",
    "説明": "explanation",
    "備考": "remarks",
    "URL": "url",
    "アクセス方法": "access",
    "バリアフリー情報": "barrier_free",
    # Accessibility columns real files carry (AED, 公衆トイレ and extended 公共施設 files):
    # a yes/no or a count. 段差「の有無」 is left out, as "有" there would mean steps.
    **dict.fromkeys(
        (
            "車椅子対応",
            "車椅子利用可",
            "車椅子利用可否",
            "車いす対応",
            "車いす利用可",
            "段差なし",
            "スロープ",
            "スロープの有無",
            "バリアフリー対応",
        ),
        "a11y:step_free",
    ),
    **dict.fromkeys(
        (
            "多目的トイレ",
            "多目的トイレの有無",
            "多機能トイレ",
            "多機能トイレの有無",
            "バリアフリートイレ",
            "バリアフリートイレ数",
            "車椅子使用者用トイレ",
            "車椅子使用者用トイレ有無",
            "だれでもトイレ",
            "オストメイト対応トイレ",
            "オストメイト設置数",
        ),
        "a11y:accessible_toilet",
    ),
    **dict.fromkeys(("駐車場", "駐車場の有無", "駐車場情報", "障害者用駐車場"), "a11y:parking"),
    "受入年齢": "ages",
    "診療科目": "departments",
    "時間外における対応": "after_hours",
    "想定収容人数": "capacity",
    "対象となる町会・自治会": "target_area",
    "指定避難所との重複": "shelter_overlap",
    **{f"災害種別_{hazard}": f"hazard:{hazard}" for hazard in HAZARDS},
    "災害種別_崖崩れ・土石流及び地滑り": "hazard:崖崩れ、土石流及び地滑り",
}

# Columns of the definitions the directory does not use: read without a notice.
KNOWN_UNUSED = frozenset(
    {
        "所在地_全国地方公共団体コード",
        "町字ID",
        "POIコード",
        "事業所番号",
        "医療機関コード",
        "定員",
        "収容定員",
        "認可等年月日",
        "一時預かりの有無",
        "病児保育の有無",
        "病床数",
        "標高",
        "画像",
        "画像_ライセンス",
        "連絡先メールアドレス",
        "連絡先FormのURL",
    }
)


@dataclass(frozen=True)
class ColumnSet:
    dataset: str
    column_set: str
    columns: tuple[str, ...]  # the definition's columns, in its order
    # Each requirement is met by any one of its columns, named exactly so (after
    # `_normalise_header`); the name requirement also by the variants of the name column.
    required: tuple[tuple[str, ...], ...]
    # Columns only this dataset has; one of them must be there (none: the fallback set).
    identifying: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return f"{DATASETS[self.dataset].title}（{COLUMN_SET_TITLES[self.column_set]}）"


_HEAD_CURRENT = ("全国地方公共団体コード", "ID", "地方公共団体名")
_HEAD_RECOMMENDED = ("都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名")
_ADDRESS_CURRENT = (
    "所在地_全国地方公共団体コード",
    "町字ID",
    "所在地_連結表記",
    "所在地_都道府県",
    "所在地_市区町村",
    "所在地_町字",
    "所在地_番地以下",
    "建物名等(方書)",
    "緯度",
    "経度",
)
_ADDRESS_RECOMMENDED = ("住所", "方書", "緯度", "経度")
_HAZARD_COLUMNS = tuple(f"災害種別_{hazard}" for hazard in HAZARDS)
_NAME_COLUMNS = ("名称", "介護サービス事業所名称", "施設名称")
_REQUIRED_CURRENT = (
    ("全国地方公共団体コード",),
    ("ID",),
    _NAME_COLUMNS,
    ("所在地_連結表記", "所在地_連結標記", "所在地_町字"),
    ("緯度",),
    ("経度",),
)
_REQUIRED_RECOMMENDED = (
    ("都道府県コード又は市区町村コード", "市区町村コード"),
    ("NO", "No"),
    _NAME_COLUMNS,
    ("住所", "所在地"),
    ("緯度",),
    ("経度",),
)
_CARE = ("介護サービスの種類", "実施サービス", "サービスの種類", "事業所番号", "介護サービス事業所名称")  # fmt: skip
_CHILDCARE = ("受入年齢", "一時預かりの有無", "認可等年月日", "収容定員", "病児保育の有無")
_MEDICAL = ("診療曜日", "医療機関の種類", "医療機関コード", "診療科目", "診療開始時間")
_EVACUATION = (*_HAZARD_COLUMNS, "想定収容人数", "指定避難所との重複")


def _current(dataset: str, names: tuple, rest: tuple, identifying: tuple) -> ColumnSet:
    columns = _HEAD_CURRENT + names + _ADDRESS_CURRENT + rest
    return ColumnSet(dataset, CURRENT, columns, _REQUIRED_CURRENT, identifying)


def _recommended(dataset: str, columns: tuple, identifying: tuple) -> ColumnSet:
    return ColumnSet(dataset, RECOMMENDED, columns, _REQUIRED_RECOMMENDED, identifying)


# Where each list comes from: tests/fixtures/opendata/README.md.
COLUMN_SETS = (
    _current(
        "care_service",
        ("名称", "名称_カナ", "名称_英語", "介護サービスの種類"),
        ("電話番号", "内線番号", "FAX番号", "法人番号", "法人の名称", "事業所番号", "利用可能曜日",
         "開始時間", "終了時間", "利用可能日時特記事項", "定員", "URL", "備考"),
        _CARE,
    ),
    _recommended(
        "care_service",
        _HEAD_RECOMMENDED
        + ("介護サービス事業所名称", "介護サービス事業所名称_カナ", "実施サービス")
        + _ADDRESS_RECOMMENDED
        + ("電話番号", "内線番号", "FAX番号", "法人番号", "法人の名称", "事業所番号", "利用可能曜日",
           "利用可能曜日特記事項", "定員", "URL", "備考"),
        _CARE,
    ),
    _current(
        "childcare",
        ("名称", "名称_カナ", "名称_英語", "種別"),
        ("アクセス方法", "駐車場情報", "電話番号", "内線番号", "FAX番号", "法人番号", "団体名",
         "認可等年月日", "収容定員", "受入年齢", "利用可能曜日", "開始時間", "終了時間",
         "利用可能日時特記事項", "一時預かりの有無", "病児保育の有無", "URL", "備考"),
        _CHILDCARE,
    ),
    _recommended(
        "childcare",
        _HEAD_RECOMMENDED + ("名称", "名称_カナ", "種別") + _ADDRESS_RECOMMENDED
        + ("アクセス方法", "駐車場情報", "電話番号", "内線番号", "FAX番号", "法人番号", "団体名",
           "認可等年月日", "収容定員", "受入年齢", "利用可能曜日", "開始時間", "終了時間",
           "利用可能日時特記事項", "一時預かりの有無", "URL", "備考"),
        _CHILDCARE,
    ),
    _current(
        "evacuation_site",
        ("名称", "名称_カナ", "名称_英語"),
        ("標高", "電話番号", "内線番号", *_HAZARD_COLUMNS, "指定避難所との重複", "想定収容人数",
         "対象となる町会・自治会", "URL", "備考"),
        _EVACUATION,
    ),
    _recommended(
        "evacuation_site",
        ("NO", "名称", "名称_カナ", "住所", "方書", "緯度", "経度", "標高", "電話番号", "内線番号",
         "市区町村コード", "都道府県名", "市区町村名", *_HAZARD_COLUMNS, "指定避難所との重複",
         "想定収容人数", "対象となる町会・自治会", "URL", "備考"),
        _EVACUATION,
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
        _MEDICAL,
    ),
    _recommended(
        "medical",
        _HEAD_RECOMMENDED + ("名称", "名称_カナ", "医療機関の種類") + _ADDRESS_RECOMMENDED
        + ("電話番号", "内線番号", "FAX番号", "法人番号", "法人の名称", "医療機関コード", "診療曜日",
           "診療開始時間", "診療終了時間", "診療日時特記事項", "時間外における対応", "診療科目",
           "病床数", "URL", "備考"),
        _MEDICAL,
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
    # For programs: e.g. the nearest column set and its missing columns for "unknown_header".
    detail: dict = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "severity": self.severity,
            "related_lines": list(self.related_lines),
            "detail": self.detail,
        }


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
    valid_from: date | None
    valid_to: date | None
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
    name_en: str = ""
    step_free: bool = False
    accessible_toilet: bool = False
    parking: bool = False
    phones: tuple[PhoneSpec, ...] = ()
    schedules: tuple[ScheduleSpec, ...] = ()


@dataclass
class ParsedFile:
    dataset: str  # "" when the header matched no dataset
    column_set: str
    encoding: str
    records: list[Record]
    problems: list[Problem]
    tenant_id: int | None = None
    tenant_code: str = ""
    rows: int = 0  # data rows read, blank and skipped ones included
    # Keys of rows that are in the file but could not become records (errors), so that a
    # preview does not call their records "removed".
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
        return {
            "key": self.key,
            "name": self.name,
            "line": self.line,
            "changes": [dataclasses.asdict(change) for change in self.changes],
        }


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
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "unchanged": self.unchanged,
        }

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)

    def summary(self) -> dict:
        """JSON for ResourceImport.summary: counts, and the first rows of each list."""
        severities = Counter(p.severity for p in self.problems)
        return {
            "dataset": self.dataset,
            "dataset_title": DATASETS[self.dataset].title if self.dataset in DATASETS else "",
            "column_set": self.column_set,
            "column_set_title": COLUMN_SET_TITLES.get(self.column_set, ""),
            "encoding": self.encoding,
            "counts": self.counts,
            "severity_counts": {s: severities.get(s, 0) for s in SEVERITIES},
            "has_errors": self.has_errors,
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
    """Full width to half width, no spaces, no quotes, 緯度(世界測地系) → 緯度."""
    text = unicodedata.normalize("NFKC", name or "").replace("\ufeff", "")
    text = re.sub(r"\s+", "", text).strip("\"'")
    return re.sub(r"^(緯度|経度)\(.*\)$", r"\1", text)


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def _clean(value: str | None) -> str:
    # Exports (ours among them) write '=… so that spreadsheets keep it as text.
    text = csv_uncell((value or "").strip())
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _choose_column_set(header: list[str]) -> tuple[ColumnSet | None, ColumnSet, list[str]]:
    """The set the header matches, the nearest set, and the requirements that one lacks.

    A set matches when its required columns and one of its identifying columns are there;
    among matching sets the one naming most of the header wins (a variant counts half).
    """
    names = set(header)
    scored = []
    for order, column_set in enumerate(COLUMN_SETS):
        missing = [r for r in column_set.required if not any(c in names for c in r)]
        if column_set.identifying and not any(c in names for c in column_set.identifying):
            missing.append(column_set.identifying)
        fields = {FIELD_OF.get(c, c) for c in column_set.columns}
        score = sum(
            1.0 if name in column_set.columns else 0.5 if FIELD_OF.get(name) in fields else 0.0
            for name in names
        )
        scored.append((not missing, -len(missing), score, -order, column_set, missing))
    scored.sort(key=lambda item: item[:4], reverse=True)
    matched, _count, _score, _order, nearest, missing = scored[0]
    return (nearest if matched else None), nearest, [" / ".join(r) for r in missing]


def read_open_data(data: bytes, *, tenant: Tenant) -> ParsedFile:
    """Decode, detect the dataset from the header and check every row. Saves nothing."""

    def failed(line, code, message, encoding="", detail=None):
        problem = Problem(line, "", code, message, ERROR, detail=detail or {})
        return ParsedFile("", "", encoding, [], [problem], tenant.pk, tenant.code)

    try:
        text, encoding = decode_csv_bytes(data)
    except CsvEncodingError:  # neither UTF-8 nor CP932
        return failed(
            None,
            "undecodable",
            _(
                "The file is neither UTF-8 nor Shift_JIS (CP932) text; save it as CSV in one "
                "of them and upload it again. Nothing was saved."
            ),
        )
    if encoding == "utf-8-sig" and not data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8"
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        raw_header = next(rows, [])
    except csv.Error:
        raw_header = []
    header = [_normalise_header(cell) for cell in raw_header]
    if not any(header):
        return failed(1, "empty_file", _("Line 1: the file has no header row."), encoding)
    chosen, nearest, missing = _choose_column_set(header)
    if chosen is None:
        message = _(
            "Line 1: the header does not match any dataset this import knows. It is closest to "
            "%(title)s, which also needs the columns: %(missing)s."
        ) % {"title": nearest.title, "missing": ", ".join(missing)}
        detail = {
            "nearest": {"dataset": nearest.dataset, "column_set": nearest.column_set},
            "missing": missing,
        }
        return failed(1, "unknown_header", message, encoding, detail)
    return _RowReader(chosen, header, raw_header, tenant, encoding).read(rows)


@dataclass
class _Cell:
    value: str
    column: str  # the column's name as the file writes it ("" when the file has none)


class _RowReader:
    def __init__(self, column_set: ColumnSet, header, raw_header, tenant: Tenant, encoding: str):
        self.column_set = column_set
        self.recommended = column_set.column_set == RECOMMENDED
        self.dataset = DATASETS[column_set.dataset]
        self.tenant = tenant
        self.encoding = encoding
        self.problems: list[Problem] = []
        self.error_count = 0
        self.written: dict[str, str] = {}  # key → name and address as written
        # field → (position, column name as written); the first column naming a field wins.
        self.index: dict[str, tuple[int, str]] = {}
        for position, (name, raw) in enumerate(zip(header, raw_header, strict=False)):
            written = raw.strip().lstrip("\ufeff") or name
            target = FIELD_OF.get(name)
            if not name:
                continue
            if target and target not in self.index:
                self.index[target] = (position, written)
            elif target:
                first = self.index[target][1]
                self.add(1, written, "ignored_column", _(
                    "Line 1: the column %(column)s says the same as %(first)s; only the first "
                    "of them is read."
                ) % {"column": written, "first": first}, WARNING)  # fmt: skip
            elif name not in column_set.columns and name not in KNOWN_UNUSED:
                self.add(1, written, "ignored_column", _(
                    "Line 1: the column %(column)s is not part of %(title)s and is ignored."
                ) % {"column": written, "title": column_set.title}, WARNING)  # fmt: skip

    def cell(self, row: list[str], name: str) -> _Cell:
        position, column = self.index.get(name, (None, ""))
        value = row[position] if position is not None and position < len(row) else ""
        return _Cell(_clean(value), column)

    def add(self, line, column, code, message, severity, related=()) -> None:
        if severity == ERROR:
            self.error_count += 1
        self.problems.append(Problem(line, column, code, message, severity, tuple(related)))

    def read(self, rows: Iterable[list[str]]) -> ParsedFile:
        records: list[Record] = []
        lines_of: dict[str, list[int]] = defaultdict(list)
        held_keys: set[str] = set()
        count = 0
        try:
            for line, row in enumerate(rows, start=2):
                count += 1
                record, key = self.read_row(line, row)
                if key:
                    lines_of[key].append(line)
                if record is not None:
                    records.append(record)
                elif key:
                    held_keys.add(key)
        except csv.Error as error:
            line = count + 2
            self.add(line, "", "malformed_csv", _(
                "Line %(line)d: the CSV cannot be read from here on (%(error)s)."
            ) % {"line": line, "error": error}, ERROR)  # fmt: skip
        duplicates = {key: lines for key, lines in lines_of.items() if len(lines) > 1}
        merged = self.merge_exact_duplicates(duplicates, records)
        id_column = "" if self.recommended else self.index.get("id", (0, ""))[1]
        for key, lines in duplicates.items():
            if key in merged:
                continue
            for line in lines:
                others = [other for other in lines if other != line]
                self.add(line, id_column, "duplicate_key", _(
                    "Line %(line)d: the same record as on line %(others)s (%(key)s); a record "
                    "may appear only once."
                ) % {"line": line, "others": ", ".join(map(str, others)),
                     "key": self.written.get(key, key.split(":", 2)[-1])}, ERROR, others)  # fmt: skip
        records = [
            r for r in records
            if r.key not in duplicates or (r.key in merged and r.line == merged[r.key])
        ]  # fmt: skip
        duplicates = {key: lines for key, lines in duplicates.items() if key not in merged}
        if not records and not self.error_count:
            # Applying would unpublish every record of the dataset: surely the wrong file.
            if count and any(p.code == "other_municipality" for p in self.problems):
                self.add(None, "", "no_rows_for_tenant", _(
                    "No row of the file belongs to %(tenant)s (%(code)s); is it another "
                    "municipality's file?"
                ) % {"tenant": self.tenant.name, "code": self.tenant.code}, ERROR)  # fmt: skip
            else:
                self.add(None, "", "no_rows", _(
                    "The file has no rows to import; applying it would unpublish every record "
                    "of %(title)s."
                ) % {"title": self.dataset.title}, ERROR)  # fmt: skip
        self.problems.sort(key=lambda p: (p.line or 0, SEVERITIES.index(p.severity)))
        return ParsedFile(
            dataset=self.dataset.code,
            column_set=self.column_set.column_set,
            encoding=self.encoding,
            records=records,
            problems=self.problems,
            tenant_id=self.tenant.pk,
            tenant_code=self.tenant.code,
            rows=count,
            held_keys=held_keys | set(duplicates),
        )

    def merge_exact_duplicates(self, duplicates: dict, records: list[Record]) -> dict[str, int]:
        """Key → the line kept, for keys whose rows say exactly the same (the row number of the
        older set aside): real files repeat a row, and keeping one of them loses nothing."""
        by_line = {record.line: record for record in records if record.key in duplicates}
        merged = {}
        for key, lines in duplicates.items():
            found = [by_line.get(line) for line in lines]
            if None in found:
                continue  # a row with errors: it cannot be compared
            first = dataclasses.replace(found[0], line=0)
            if any(dataclasses.replace(other, line=0) != first for other in found[1:]):
                continue
            merged[key] = lines[0]
            for line in lines[1:]:
                self.add(line, "", "duplicate_merged", _(
                    "Line %(line)d: the same as line %(first)d (%(name)s); the two rows were "
                    "merged into one record."
                ) % {"line": line, "first": lines[0], "name": self.written.get(key, "")},
                    FIXED, (lines[0],))  # fmt: skip
        return merged

    # ----------------------------------------------------------------- one row

    def read_row(self, line: int, row: list[str]) -> tuple[Record | None, str]:
        if not any(cell.strip() for cell in row):
            message = _("Line %(line)d: the row is blank; it is left out.") % {"line": line}
            self.add(line, "", "blank_row", message, SKIPPED)
            return None, ""
        if not self.of_tenant(line, row):
            return None, ""
        errors_before = self.error_count
        name = self.cell(row, "name")
        if not name.value:
            message = _("Line %(line)d: the name is empty.") % {"line": line}
            self.add(line, name.column, "name_missing", message, ERROR)
        self.too_long(line, name, 200)
        record = Record(line=line, key="", name=name.value)
        record.kana = self.cell(row, "kana").value[:200]
        record.kind = self.cell(row, "kind").value
        record.category = self.category_for(record.kind)
        record.audiences = self.dataset.audiences
        self.read_address(line, row, record)
        self.read_coordinates(line, row, record)
        record.phones = tuple(self.read_phones(line, row))
        record.schedules = tuple(self.read_schedules(line, row))
        self.read_organization(line, row, record)
        self.read_url(line, row, record)
        record.description = self.description(row, record)
        record.transportation = self.cell(row, "access").value
        record.accessibility = self.cell(row, "barrier_free").value
        record.name_en = self.cell(row, "name_en").value[:200]
        self.read_accessibility(row, record)
        record.key = self.key_for(line, row, record) if record.name else ""
        if self.error_count > errors_before:
            return None, record.key
        return record, record.key

    def read_accessibility(self, row: list[str], record: Record) -> None:
        """The 段差なし / 多目的トイレ / 駐車場 filters, from their columns or the free text."""
        text = _nfkc(record.accessibility)
        for flag, pattern in _ACCESSIBILITY_WORDS.items():
            column = self.cell(row, f"a11y:{flag}")
            said = _truthy(column.value) and not _NONE_SAID.search(_nfkc(column.value))
            written = re.search(pattern, text) and not re.search(pattern + _NONE_SAID.pattern, text)
            setattr(record, flag, bool(said or written))

    def too_long(self, line: int, cell: _Cell, limit: int) -> None:
        if len(cell.value) > limit:
            self.add(line, cell.column, "too_long", _(
                "Line %(line)d: %(column)s is longer than %(limit)d characters."
            ) % {"line": line, "column": cell.column, "limit": limit}, ERROR)  # fmt: skip

    def of_tenant(self, line: int, row: list[str]) -> bool:
        """Rows of another municipality are skipped; the 5-digit code (without the check
        digit) is accepted, and so is a code that lost its leading zero."""
        cell = self.cell(row, "code")
        code = re.sub(r"\D", "", _nfkc(cell.value))
        tenant_code = self.tenant.code
        if not code:
            return True
        if code.lstrip("0") in {tenant_code.lstrip("0"), tenant_code[:5].lstrip("0")}:
            return True
        base = code[:5] if len(code) == 6 else code.zfill(5)
        if base[2:] == "000":
            # A prefecture's code (a prefecture publishing its cities' rows): judge by city.
            city = self.cell(row, "city_name").value or self.cell(row, "city").value
            address = self.cell(row, "address").value
            if city == self.tenant.name or (not city and self.tenant.name in address[:12]):
                return True
        self.add(line, cell.column, "other_municipality", _(
            "Line %(line)d: the row belongs to the municipality %(code)s, not to %(tenant)s "
            "(%(tenant_code)s); it is left out."
        ) % {"line": line, "code": cell.value, "tenant": self.tenant.name,
             "tenant_code": tenant_code}, SKIPPED)  # fmt: skip
        return False

    def category_for(self, kind: str) -> str:
        folded = _nfkc(kind)
        if self.dataset.code == "care_service" and "地域包括支援センター" in folded:
            return "community_care_center"
        hubs = ("子育て支援拠点", "子育て支援センター", "子育てひろば")
        if self.dataset.code == "childcare" and any(word in folded for word in hubs):
            return "child_rearing_hub"
        return self.dataset.category

    # ----------------------------------------------------------------- address

    def read_address(self, line: int, row: list[str], record: Record) -> None:
        joined = self.cell(row, "address")
        pref, city, town, street = (
            self.cell(row, n).value for n in ("pref", "city", "town", "street")
        )
        town_column = self.cell(row, "town").column
        building = self.cell(row, "building")
        address = joined.value
        if not address and any((pref, city, town, street)):
            if not pref and self.tenant.prefecture:
                pref = self.tenant.prefecture
            address = pref + city + town + street
            if building.value and not self.recommended:
                address += "\u3000" + building.value
            self.add(line, joined.column or town_column, "address_joined", _(
                "Line %(line)d: the joined address was empty; it was built from its parts: "
                "%(address)s."
            ) % {"line": line, "address": address}, FIXED)  # fmt: skip
        elif address:
            prefixed = self.with_prefecture(address)
            if prefixed != address:
                self.add(line, joined.column, "prefecture_prefixed", _(
                    "Line %(line)d: the address did not start with the prefecture; it now reads "
                    "%(address)s."
                ) % {"line": line, "address": prefixed}, FIXED)  # fmt: skip
                address = prefixed
            if not any((pref, city, town, street)):
                base = address
                if not self.recommended and building.value and base.endswith(building.value):
                    base = base[: -len(building.value)].rstrip(" \u3000")
                pref, city, town, street = self.split_address(base)
                # The 推奨データセット has no parts to fill: splitting is its normal reading.
                if any((pref, city, town, street)) and not self.recommended:
                    self.add(line, joined.column, "address_split", _(
                        "Line %(line)d: the address parts were empty; the address was split into "
                        "%(pref)s / %(city)s / %(rest)s."
                    ) % {"line": line, "pref": pref or "-", "city": city or "-",
                         "rest": (town + street) or "-"}, FIXED)  # fmt: skip
        else:
            message = _("Line %(line)d: the address is empty.") % {"line": line}
            self.add(line, joined.column, "address_missing", message, WARNING)
        if self.recommended and building.value:
            address = f"{address}\u3000{building.value}" if address else building.value
        self.too_long(line, _Cell(address, joined.column), 300)
        self.too_long(line, building, 100)
        record.address = address
        record.prefecture, record.city = pref[:10], city[:50]
        record.town, record.street, record.building = town[:100], street[:100], building.value
        postal = self.cell(row, "postal_code")
        if postal.value:
            code = normalize_postal_code(postal.value)
            if code is None:
                self.add(line, postal.column, "postal_code_invalid", _(
                    "Line %(line)d: %(value)s is not a postal code; it is left out."
                ) % {"line": line, "value": postal.value}, WARNING)  # fmt: skip
            else:
                record.postal_code = f"{code[:3]}-{code[3:]}"

    def with_prefecture(self, address: str) -> str:
        tenant = self.tenant
        if _PREFECTURE.match(address) or not tenant.prefecture:
            return address
        if address.startswith(tenant.name) or _ANOTHER_CITY.match(address):
            return tenant.prefecture + address
        return tenant.prefecture + tenant.name + address

    def split_address(self, address: str) -> tuple[str, str, str, str]:
        """Prefecture, city, 町字 (up to 〇丁目, else to the first digit) and 番地以下."""
        match = _PREFECTURE.match(address)
        pref = match.group(0) if match else ""
        rest = address[len(pref) :]
        if self.tenant.name and rest.startswith(self.tenant.name):
            city = self.tenant.name
        else:
            found = _CITY_START.match(rest)
            city = found.group(0) if found else ""
        rest = rest[len(city) :]
        chome = _CHOME.match(rest)
        digit = re.search(r"[0-9０-９]", rest)
        if chome:
            town, street = chome.group(1), rest[chome.end(1) :]
        elif digit:
            town, street = rest[: digit.start()], rest[digit.start() :]
        else:
            town, street = rest, ""
        if len(town) > 100 or len(street) > 100:
            return pref, city, "", ""
        return pref, city, town.strip(), street.strip()

    # ----------------------------------------------------------------- coordinates

    def read_coordinates(self, line: int, row: list[str], record: Record) -> None:
        lat_cell, lon_cell = self.cell(row, "lat"), self.cell(row, "lon")
        lat_text, lon_text = _nfkc(lat_cell.value), _nfkc(lon_cell.value)
        if not lat_text and not lon_text:
            self.add(line, lat_cell.column, "no_coordinates", _(
                "Line %(line)d: no latitude and longitude; the place is listed but not shown on "
                "the map."
            ) % {"line": line}, WARNING)  # fmt: skip
            return
        values = []
        for text, cell, code, what in (
            (lat_text, lat_cell, "latitude_invalid", _("latitude")),
            (lon_text, lon_cell, "longitude_invalid", _("longitude")),
        ):
            number = _number(text)
            if number is None:
                self.add(line, cell.column, code, _(
                    "Line %(line)d: the %(what)s %(value)s is not a number."
                ) % {"line": line, "what": what, "value": cell.value or "-"}, ERROR)  # fmt: skip
            values.append(number)
        lat, lon = values
        if lat is None or lon is None:
            return
        if _in_japan(lat, lon):
            record.latitude, record.longitude = lat, lon
        elif _in_japan(lon, lat):
            record.latitude, record.longitude = lon, lat
            self.add(line, lat_cell.column, "coordinates_swapped", _(
                "Line %(line)d: latitude and longitude were swapped (%(lat)s, %(lon)s); they were "
                "put back."
            ) % {"line": line, "lat": lat_text, "lon": lon_text}, FIXED)  # fmt: skip
        else:
            if not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
                self.add(line, lat_cell.column, "latitude_outside_japan", _(
                    "Line %(line)d: the latitude %(value)s is outside Japan."
                ) % {"line": line, "value": lat_text}, ERROR)  # fmt: skip
            if not LON_RANGE[0] <= lon <= LON_RANGE[1]:
                self.add(line, lon_cell.column, "longitude_outside_japan", _(
                    "Line %(line)d: the longitude %(value)s is outside Japan."
                ) % {"line": line, "value": lon_text}, ERROR)  # fmt: skip

    # ----------------------------------------------------------------- telephone

    def read_phones(self, line: int, row: list[str]) -> Iterator[PhoneSpec]:
        extension = _nfkc(self.cell(row, "extension").value)[:10]
        for name, kind in (("phone", PhoneKind.VOICE.value), ("fax", PhoneKind.FAX.value)):
            cell = self.cell(row, name)
            for written in _PHONE_SEPARATORS.split(cell.value):
                written = written.strip()
                if not written:
                    continue
                number, fixed = normalise_phone(written)
                digits = re.sub(r"\D", "", number)
                if len(number) > 30 or not digits:
                    self.add(line, cell.column, "phone_invalid", _(
                        "Line %(line)d: %(value)s is not a telephone number; it is left out."
                    ) % {"line": line, "value": written}, WARNING)  # fmt: skip
                    continue
                if not (digits.startswith("0") and len(digits) in (10, 11)):
                    self.add(line, cell.column, "phone_unusual", _(
                        "Line %(line)d: the number %(value)s does not have the 10 or 11 digits of "
                        "a Japanese telephone number; it is kept as written."
                    ) % {"line": line, "value": written}, WARNING)  # fmt: skip
                elif fixed:
                    self.add(line, cell.column, "phone_normalised", _(
                        "Line %(line)d: the number %(value)s was rewritten as %(number)s."
                    ) % {"line": line, "value": written, "number": number}, FIXED)  # fmt: skip
                yield PhoneSpec(number, extension if kind == PhoneKind.VOICE else "", kind)

    # ----------------------------------------------------------------- opening hours

    def read_schedules(self, line: int, row: list[str]) -> list[ScheduleSpec]:
        days, opens, closes = (self.cell(row, n) for n in ("days", "opens", "closes"))
        note = self.cell(row, "schedule_note")
        if not (days.value or opens.value or closes.value):
            return []
        times = []
        for cell in (opens, closes):
            value, fixed = _excel_time(cell.value)
            if fixed:
                self.add(line, cell.column, "time_fraction", _(
                    "Line %(line)d: the time %(value)s was written as a fraction of a day; it was "
                    "read as %(time)s."
                ) % {"line": line, "value": cell.value, "time": value}, FIXED)  # fmt: skip
            times.append(value)
        try:
            rules = _parse_schedule(days.value, times[0], times[1], note.value)
        except ScheduleParseError as error:
            column = days.column if days.value else (opens.column or closes.column)
            self.add(line, column, "schedule_invalid", _(
                "Line %(line)d: the opening days and hours cannot be read (%(reason)s)."
            ) % {"line": line, "reason": error}, ERROR)  # fmt: skip
            return []
        # The note's own hours (「土曜日は18時まで」) replace those days' hours; the note
        # itself is kept on every rule and shown on the place page as written.
        rules = with_note(rules, note.value)
        return [dataclasses.replace(rule, notes=note.value) for rule in rules]

    # ----------------------------------------------------------------- the rest

    def read_organization(self, line: int, row: list[str], record: Record) -> None:
        name = self.cell(row, "organization")
        number = self.cell(row, "corporate_number")
        digits = re.sub(r"\D", "", _nfkc(number.value))
        if number.value and len(digits) != 13:
            self.add(line, number.column, "corporate_number_invalid", _(
                "Line %(line)d: %(value)s is not a 13-digit corporate number; it is left out."
            ) % {"line": line, "value": number.value}, WARNING)  # fmt: skip
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
            self.add(line, cell.column, "url_invalid", _(
                "Line %(line)d: %(value)s is not a web address; it is left out."
            ) % {"line": line, "value": cell.value}, WARNING)  # fmt: skip
            return
        record.url = value

    def description(self, row: list[str], record: Record) -> str:
        """What the dataset says of the place (kind, ages, hazards, …), then 説明 and 備考."""
        lines = []
        for name, label in _DESCRIBED[self.dataset.code]:
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
        note = self.cell(row, "schedule_note").value
        if note and not record.schedules:  # with rules, the note is kept on them
            lines.append(note)
        return "\n".join(lines)

    def key_for(self, line: int, row: list[str], record: Record) -> str:
        key = self._key_for(line, row, record)
        # Reports name a record as the file writes it, not by its folded key.
        self.written.setdefault(key, f"{record.name} {record.address}".strip())
        return key

    def _key_for(self, line: int, row: list[str], record: Record) -> str:
        prefix = f"{self.dataset.code}:{self.tenant.code}:"
        identifier = _nfkc(self.cell(row, "id").value)
        if not self.recommended and identifier:
            key = prefix + identifier
        else:
            if not self.recommended:
                self.add(line, self.index.get("id", (0, ""))[1], "id_missing", _(
                    "Line %(line)d: the ID is empty; the record is recognised by its name and "
                    "address instead."
                ) % {"line": line}, FIXED)  # fmt: skip
            address = record.address
            if record.building and address.endswith(record.building):
                address = address[: -len(record.building)]
            key = prefix + fold(record.name) + "|" + fold(address)
        if len(key) > 200:
            key = prefix + "sha1:" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()
        return key


_DESCRIBED = {
    "care_service": (("kind", "サービスの種類"),),
    "childcare": (("kind", "種別"), ("ages", "受入年齢")),
    "medical": (("kind", "種類"), ("departments", "診療科目"), ("after_hours", "時間外の対応")),
    "public_facility": (("alias", "通称"),),
    "evacuation_site": (("capacity", "想定収容人数"), ("target_area", "対象となる町会・自治会")),
}
_PREFECTURE = re.compile(r"^(東京都|北海道|(?:京都|大阪)府|.{2,3}県)")
_CITY_START = re.compile(r"^(.{1,6}?郡.{1,6}?[町村]|.{1,6}?市.{1,5}?区|.{1,8}?[市区町村])")
_CHOME = re.compile(r"^(\D*?[0-9０-９一二三四五六七八九十]+丁目)")
_ANOTHER_CITY = re.compile(r"^[^0-9０-９\-]{1,6}?[市郡]")
_URL = URLValidator(schemes=["http", "https"])
_HYPHENS = re.compile("[\u2010-\u2015\u2043\u2212\u30fc\ufe58\ufe63\uff0d\uff70]")
_PHONE_SEPARATORS = re.compile(r"[、,，;；/／\n]|\s{2,}|\u3000")


def _in_japan(lat: float, lon: float) -> bool:
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


# What バリアフリー情報 says, in the words cities use; 「…なし」 right after says the opposite.
_ACCESSIBILITY_WORDS = {
    "step_free": r"(?:段差(?:な[しい]|無し|解消)|スロープ|車(?:椅子|いす)(?:対応|可|で利用))",
    "accessible_toilet": (
        r"(?:多目的トイレ|多機能トイレ|だれでもトイレ|誰でもトイレ|バリアフリートイレ"
        r"|車(?:椅子|いす)(?:使用者)?用?トイレ|オストメイト)"
    ),
    "parking": r"(?:(?<!駐輪)駐車場(?!な)|障[害がい]+者用駐車)",
}
_NONE_SAID = re.compile(r"\s*(?:は|の)?\s*(?:な[しい]|無し|無い|不可|×)")


def _truthy(value: str) -> bool:
    return _nfkc(value) not in ("", "0", "無", "なし", "無し", "×", "-", "FALSE", "false")


def normalise_phone(written: str) -> tuple[str, bool]:
    """NFKC, every dash to "-", brackets to "-": "０４８（７８６）３２１１" → "048-786-3211".
    Returns the number and whether it differs from what was written."""
    number = unicodedata.normalize("NFKC", written).strip()
    number = _HYPHENS.sub("-", number)
    number = re.sub(r"^\((\d+)\)", r"\1-", number)
    number = re.sub(r"[()]", "-", number)
    number = re.sub(r"\s+", "", number)
    number = re.sub(r"-{2,}", "-", number).strip("-")
    return number, number != written.strip()


def _excel_time(value: str) -> tuple[str, bool]:
    """0.375 (Excel's fraction of a day) → "9:00"; anything else unchanged."""
    text = _nfkc(value)
    if re.fullmatch(r"0?\.\d+", text):
        minutes = round(float(text) * 24 * 60)
        return f"{minutes // 60}:{minutes % 60:02d}", True
    return value, False


_SCHEDULE_CACHE: dict[tuple[str, str, str, str], tuple[ScheduleSpec, ...] | Exception] = {}


def _parse_schedule(days: str, opens: str, closes: str, note: str) -> tuple[ScheduleSpec, ...]:
    """parse_schedule_text, remembered: a city's file repeats the same few hours."""
    key = (days, opens, closes, note)
    if key not in _SCHEDULE_CACHE:
        if len(_SCHEDULE_CACHE) > 10_000:
            _SCHEDULE_CACHE.clear()
        try:
            _SCHEDULE_CACHE[key] = tuple(
                ScheduleSpec(
                    freq=spec.freq,
                    interval=spec.interval or 1,
                    byday=spec.byday or "",
                    bymonthday=spec.bymonthday or "",
                    opens_at=spec.opens_at,
                    closes_at=spec.closes_at,
                    valid_from=spec.valid_from,
                    valid_to=spec.valid_to,
                    closed_on_holidays=spec.closed_on_holidays,
                    description=(spec.description or "")[:300],
                    notes="",
                )
                for spec in parse_schedule_text(days, opens, closes, note)
            )
        except ScheduleParseError as error:
            _SCHEDULE_CACHE[key] = error
    found = _SCHEDULE_CACHE[key]
    if isinstance(found, Exception):
        raise found
    return found


# --------------------------------------------------------------------------- comparing

# Audiences are set when a record is created; staff may widen them and an import keeps that.
_SERVICE_FIELDS = ("name", "alternate_name", "name_en", "description", "url")
_LOCATION_FIELDS = (
    "name",
    "alternate_name",
    "postal_code",
    "address",
    "prefecture",
    "city",
    "town",
    "street",
    "building",
    "latitude",
    "longitude",
    "transportation",
    "accessibility",
    "step_free",
    "accessible_toilet",
    "parking",
)
_SCHEDULE_FIELDS = (
    "freq",
    "interval",
    "byday",
    "bymonthday",
    "opens_at",
    "closes_at",
    "valid_from",
    "valid_to",
    "closed_on_holidays",
    "description",
    "notes",
)


def _labels() -> dict[str, str]:
    return {
        "name": _("name"),
        "alternate_name": _("name (kana)"),
        "description": _("description"),
        "url": _("web page"),
        "organization": _("organization"),
        "categories": _("categories"),
        "status": _("status"),
        "search_text": _("search index"),
        "location.name": _("place name"),
        "location.alternate_name": _("place name (kana)"),
        "location.postal_code": _("postal code"),
        "location.address": _("address"),
        "location.prefecture": _("prefecture"),
        "location.city": _("city"),
        "location.town": _("town"),
        "location.street": _("street"),
        "location.building": _("building"),
        "location.latitude": _("latitude"),
        "location.longitude": _("longitude"),
        "location.transportation": _("how to get there"),
        "location.accessibility": _("accessibility"),
        "location.step_free": _("step-free access"),
        "location.accessible_toilet": _("accessible toilet"),
        "location.parking": _("parking"),
        "name_en": _("name (English)"),
        "location.area": _("district"),
        "location.school_district": _("junior high school district"),
        "phones": _("telephone"),
        "schedules": _("opening hours"),
    }


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, time):
        return "24:00" if value == time.max else value.strftime("%H:%M")
    return str(value)


def _show_phones(phones: list[tuple]) -> str:
    return ", ".join(
        ("FAX " if kind == PhoneKind.FAX else "") + number + (f" ({ext})" if ext else "")
        for number, ext, kind in phones
    )


def _show_schedules(schedules: list[tuple]) -> str:
    shown = []
    for s in schedules:
        freq, _interval, byday, bymonthday, opens, closes = s[:6]
        description = s[9]
        hours = f"{_show(opens)}-{_show(closes)}" if opens or closes else ""
        shown.append(description or f"{freq} {byday}{bymonthday} {hours}".strip())
    return "; ".join(shown)


class _Areas:
    """The tenant's districts and junior high school districts, for point lookups in memory
    (one query however many rows; the same test as selectors.areas_containing)."""

    def __init__(self, tenant_id: int):
        self.areas = list(
            Area.objects.filter(
                tenant_id=tenant_id,
                kind__in=[AreaKind.DISTRICT, AreaKind.JUNIOR_HIGH_SCHOOL_DISTRICT],
                boundary__isnull=False,
            ).only("id", "kind", "name", "boundary", "min_lat", "max_lat", "min_lon", "max_lon")
        )
        self.names = {area.pk: area.name for area in self.areas}
        self.cache: dict[tuple[float, float], tuple[int | None, int | None]] = {}

    def of(self, lat: float | None, lon: float | None) -> tuple[int | None, int | None]:
        if lat is None or lon is None:
            return None, None
        if (lat, lon) not in self.cache:
            found: dict[str, int] = {}
            for area in self.areas:
                if area.kind in found or area.min_lat is None:
                    continue
                if not (
                    area.min_lat <= lat <= area.max_lat and area.min_lon <= lon <= area.max_lon
                ):
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
    """What the tenant holds of one dataset, read with a fixed number of queries (no IN
    lists, which SQLite limits)."""

    services: dict[str, dict]  # key → values
    locations: dict[str, dict]  # key → values
    phones: dict[int, list[tuple]]  # service id → (number, extension, kind)
    schedules: dict[int, list[tuple]]  # service id → _SCHEDULE_FIELDS
    categories: dict[int, set[str]]  # service id → category codes
    organizations_by_number: dict[str, dict]
    organizations_by_name: dict[str, dict]
    organization_names: dict[int, str]


def _load_existing(tenant_id: int, dataset: str) -> _Existing:
    services = {
        row["source_key"]: row
        for row in Service.objects.filter(tenant_id=tenant_id, source_dataset=dataset)
        .order_by("id")
        .values(
            "id",
            "source_key",
            *_SERVICE_FIELDS,
            "organization_id",
            "search_text",
            "status",
            "is_published",
            "version",
        )
    }
    locations = {
        row["source_key"]: row
        for row in Location.objects.filter(
            tenant_id=tenant_id, source_key__startswith=f"{dataset}:"
        )
        .order_by("id")
        .values(
            "id",
            "source_key",
            *_LOCATION_FIELDS,
            "area_id",
            "school_district_id",
            "organization_id",
        )
    }
    phones: dict[int, list[tuple]] = defaultdict(list)
    for service_id, *phone in (
        Phone.objects.filter(tenant_id=tenant_id, service__source_dataset=dataset)
        .order_by("id")
        .values_list("service_id", "number", "extension", "kind")
    ):
        phones[service_id].append(tuple(phone))
    schedules: dict[int, list[tuple]] = defaultdict(list)
    for service_id, *rule in (
        Schedule.objects.filter(tenant_id=tenant_id, service__source_dataset=dataset)
        .order_by("id")
        .values_list("service_id", *_SCHEDULE_FIELDS)
    ):
        schedules[service_id].append(tuple(rule))
    categories: dict[int, set[str]] = defaultdict(set)
    through = Service.categories.through
    for service_id, code in through.objects.filter(
        service__tenant_id=tenant_id, service__source_dataset=dataset
    ).values_list("service_id", "category__code"):
        categories[service_id].add(code)
    by_number: dict[str, dict] = {}
    by_name: dict[str, dict] = {}
    names: dict[int, str] = {}
    for org in (
        Organization.objects.filter(tenant_id=tenant_id)
        .order_by("id")
        .values("id", "name", "corporate_number")
    ):
        if org["corporate_number"]:
            by_number.setdefault(org["corporate_number"], org)
        by_name.setdefault(org["name"], org)
        names[org["id"]] = org["name"]
    return _Existing(services, locations, phones, schedules, categories, by_number, by_name, names)


@dataclass
class _Step:
    """One record of the file: what it should be, and for an existing one what changes."""

    record: Record
    service_id: int | None
    location_id: int | None
    organization: dict | str | None  # an existing organization's values, or a new one's token
    categories: set[str]
    search_text: str
    area_id: int | None
    school_district_id: int | None
    changes: list[FieldChange] = field(default_factory=list)
    location_changed: bool = False
    phones_changed: bool = False
    schedules_changed: bool = False
    categories_changed: bool = False
    reactivate: bool = False

    @property
    def key(self) -> str:
        return self.record.key


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
    must not create the terms that applying will)."""
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
    search_text = _search_text_function()
    new_organizations: dict[str, tuple[str, str]] = {}
    added: list[_Step] = []
    changed: list[_Step] = []
    unchanged = 0
    own = _own_records(tenant_id, parsed.records)
    for record in parsed.records:
        if record.key in own:
            unchanged += 1  # the directory is this row's source: nothing to take from it
            continue
        term_name, term_kana = terms.get(record.category, ("", ""))
        service = existing.services.get(record.key)
        location = existing.locations.get(record.key)
        area_id, school_id = areas.of(record.latitude, record.longitude)
        step = _Step(
            record=record,
            service_id=service["id"] if service else None,
            location_id=location["id"] if location else None,
            organization=_resolve_organization(record, existing, new_organizations),
            categories={record.category},
            search_text=search_text(
                record.name, record.kana, record.description, record.address, term_name, term_kana
            ),
            area_id=area_id,
            school_district_id=school_id,
        )
        if service is None:
            added.append(step)
            continue
        kept = existing.categories.get(service["id"], set()) - MANAGED_CATEGORIES
        step.categories |= kept
        _compare(step, service, location, existing, areas, labels)
        if step.changes:
            changed.append(step)
        else:
            unchanged += 1
    present = {record.key for record in parsed.records} | parsed.held_keys
    exported = set(own.values())
    removed = [
        service
        for key, service in existing.services.items()
        if key not in present
        and service["id"] not in exported
        and not (service["status"] == ServiceStatus.INACTIVE and not service["is_published"])
    ]
    return _Plan(parsed.dataset, added, changed, removed, unchanged, existing, new_organizations)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _own_records(tenant_id: int, records: list[Record]) -> dict[str, int]:
    """Key → service id for rows of the platform's own export (places.csv), whose ID is the
    id of one of the tenant's services at a location (or of a service without one).

    Such a row describes a record this directory already holds, from whatever source; it is
    neither added again nor does its absence of a dataset key unpublish anything, so that
    exporting and importing the file again changes nothing.
    """
    ids: dict[str, str] = {}
    for record in records:
        identifier = record.key.split(":", 2)[-1].lower()
        if _UUID.fullmatch(identifier):
            ids[identifier] = record.key
    found: dict[str, int] = {}
    uids = list(ids)
    for part in _chunks(uids, 500):
        for model, column in ((ServiceAtLocation, "service_id"), (Service, "id")):
            for uid, service_id in model.objects.filter(
                tenant_id=tenant_id, uid__in=part
            ).values_list("uid", column):
                found[ids[str(uid)]] = service_id
    return found


def _search_text_function():
    """service_search_text, with each variant spelling folded once rather than on every call
    (ten times faster over a whole file). Used only if it agrees with service_search_text on
    a probe that has every variant; otherwise service_search_text itself."""
    variants = getattr(search, "_VARIANTS", None)
    if not variants:
        return service_search_text
    folded = [(normalize_for_search(variant), canonical) for variant, canonical in variants]

    @functools.lru_cache(maxsize=100_000)
    def fast_fold(text: str) -> str:
        result = normalize_for_search(text)
        for variant, canonical in folded:
            result = result.replace(variant, canonical)
        return result

    def fast(*parts: str | None) -> str:
        return "|".join(fast_fold(part) for part in parts if part)

    probe = (" ".join(v for v, _c in variants), "ｹｱﾌﾟﾗﾝ　センター", "", "埼玉県桶川市1-2", "ＡＢＣ")
    return fast if fast(*probe) == service_search_text(*probe) else service_search_text


def _resolve_organization(record: Record, existing: _Existing, new: dict) -> dict | str | None:
    """An organization of the tenant with the same corporate number or name, else a new one
    (one per name within a file)."""
    if not record.organization_name:
        return None
    if record.corporate_number in existing.organizations_by_number:
        return existing.organizations_by_number[record.corporate_number]
    if record.organization_name in existing.organizations_by_name:
        return existing.organizations_by_name[record.organization_name]
    for token, (name, number) in new.items():
        if name == record.organization_name or (number and number == record.corporate_number):
            return token
    token = record.corporate_number or record.organization_name
    new[token] = (record.organization_name, record.corporate_number)
    return token


def _record_phones(record: Record) -> list[tuple]:
    return [(p.number, p.extension, p.kind) for p in record.phones]


def _record_schedules(record: Record) -> list[tuple]:
    return [tuple(getattr(s, name) for name in _SCHEDULE_FIELDS) for s in record.schedules]


def _location_values(record: Record) -> dict:
    return {
        "name": record.name,
        "alternate_name": record.kana,
        "postal_code": record.postal_code,
        "address": record.address,
        "prefecture": record.prefecture,
        "city": record.city,
        "town": record.town,
        "street": record.street,
        "building": record.building,
        "latitude": record.latitude,
        "longitude": record.longitude,
        "transportation": record.transportation,
        "accessibility": record.accessibility,
        "step_free": record.step_free,
        "accessible_toilet": record.accessible_toilet,
        "parking": record.parking,
    }


def _service_values(record: Record) -> dict:
    return {
        "name": record.name,
        "alternate_name": record.kana,
        "name_en": record.name_en,
        "description": record.description,
        "url": record.url,
    }


def _organization_id(organization: dict | str | None, created: dict[str, int]) -> int | None:
    if organization is None:
        return None
    if isinstance(organization, dict):
        return organization["id"]
    return created[organization]


def _compare(step: _Step, service, location, existing: _Existing, areas: _Areas, labels) -> None:
    record, changes = step.record, step.changes

    def change(name, old, new, label=None):
        changes.append(FieldChange(name, label or labels[name], _show(old), _show(new)))

    for name, new in _service_values(record).items():
        if service[name] != new:
            change(name, service[name], new)
    wanted = step.organization
    old_org = service["organization_id"]
    if isinstance(wanted, str) or old_org != _organization_id(wanted, {}):
        new_name = (
            wanted["name"] if isinstance(wanted, dict) else (wanted and record.organization_name)
        )
        change("organization", existing.organization_names.get(old_org, ""), new_name or "")
    if service["status"] == ServiceStatus.INACTIVE:
        step.reactivate = True
        change("status", ServiceStatus.INACTIVE.label, ServiceStatus.ACTIVE.label)
    old_categories = existing.categories.get(service["id"], set())
    if old_categories != step.categories:
        step.categories_changed = True
        change("categories", ", ".join(sorted(old_categories)), ", ".join(sorted(step.categories)))
    if location is None:
        step.location_changed = True
        change("location.address", "", record.address)
    else:
        for name, new in _location_values(record).items():
            if location[name] != new:
                step.location_changed = True
                change(f"location.{name}", location[name], new)
        for name, new in (("area", step.area_id), ("school_district", step.school_district_id)):
            old = location[f"{name}_id"]
            if old != new:
                step.location_changed = True
                change(f"location.{name}", areas.names.get(old, ""), areas.names.get(new, ""))
        if isinstance(wanted, str) or location["organization_id"] != _organization_id(wanted, {}):
            step.location_changed = True
    old_phones, new_phones = existing.phones.get(service["id"], []), _record_phones(record)
    if old_phones != new_phones:
        step.phones_changed = True
        change("phones", _show_phones(old_phones), _show_phones(new_phones))
    old_rules, new_rules = existing.schedules.get(service["id"], []), _record_schedules(record)
    if old_rules != new_rules:
        step.schedules_changed = True
        change("schedules", _show_schedules(old_rules), _show_schedules(new_rules))
    if service["search_text"] != step.search_text and not changes:
        change("search_text", "", "")
    if step.location_changed and not changes:
        # Only the place's organization link moves: still a change to write and to show.
        change("organization", "", record.organization_name)


def _diff_of(parsed: ParsedFile, plan: _Plan, *, applied=False) -> ImportDiff:
    return ImportDiff(
        dataset=parsed.dataset,
        column_set=parsed.column_set,
        encoding=parsed.encoding,
        added=[RecordChange(s.key, s.record.name, s.record.line) for s in plan.added],
        changed=[
            RecordChange(s.key, s.record.name, s.record.line, s.changes) for s in plan.changed
        ],
        removed=[RecordChange(s["source_key"], s["name"]) for s in plan.removed],
        unchanged=plan.unchanged,
        problems=list(parsed.problems),
        applied=applied,
    )


def _check_tenant(parsed: ParsedFile, tenant_id: int) -> None:
    if parsed.tenant_id is not None and parsed.tenant_id != tenant_id:
        raise ValueError("The file was read for another tenant.")


def preview_import(parsed: ParsedFile, *, tenant_id: int) -> ImportDiff:
    """What applying the file would add, change and remove. Saves nothing."""
    _check_tenant(parsed, tenant_id)
    if not parsed.dataset:
        return ImportDiff("", parsed.column_set, parsed.encoding, [], [], [], 0, parsed.problems)
    with tenant_context(tenant_id):
        plan = _make_plan(parsed, tenant_id)
    return _diff_of(parsed, plan)


# --------------------------------------------------------------------------- applying


def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def apply_import(
    parsed: ParsedFile, *, actor: policy.Actor, tenant_id: int, check_permission: bool = True
) -> ImportDiff:
    """Write the difference in one transaction and audit it as one event.

    Raises OpenDataError (a ValidationError carrying `problems`) when any problem is an
    error; then nothing is saved. Web and API callers keep `check_permission`; the
    management command, acting for the system, passes False explicitly.
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
        selectors.forget_twins(tenant_id)
        diff = _diff_of(parsed, plan, applied=True)
        detail = {
            "operation": "open_data_import",
            "dataset": parsed.dataset,
            "column_set": parsed.column_set,
            "encoding": parsed.encoding,
            "rows": parsed.rows,
            **diff.counts,
            "severity_counts": parsed.severity_counts(),
        }
        event = event_for(Action.UPDATE, Tenant.objects.get(pk=tenant_id), detail=detail)
        audit_event(actor, dataclasses.replace(event, tenant_id=tenant_id))
    return diff


def _write(plan: _Plan, tenant_id: int, categories: dict[str, Category]) -> None:
    now = timezone.now()
    created = _create_organizations(plan, tenant_id)

    # New services, then a place for every record that has none.
    _insert(Service, [
        {"tenant_id": tenant_id, "organization_id": _organization_id(step.organization, created),
         "source_dataset": plan.dataset, "source_key": step.key, "search_text": step.search_text,
         "audiences": step.record.audiences, **_service_values(step.record)}
        for step in plan.added
    ], now)  # fmt: skip
    if plan.added:
        ids = dict(
            Service.objects.filter(tenant_id=tenant_id, source_dataset=plan.dataset)
            .order_by("id")
            .values_list("source_key", "id")
        )
        for step in plan.added:
            step.service_id = ids[step.key]
    homeless = [step for step in plan.added + plan.changed if step.location_id is None]
    _insert(Location, [
        {"tenant_id": tenant_id, "organization_id": _organization_id(step.organization, created),
         "source_key": step.key, "area_id": step.area_id,
         "school_district_id": step.school_district_id, **_location_values(step.record)}
        for step in homeless
    ], now)  # fmt: skip
    if homeless:
        ids = dict(
            Location.objects.filter(tenant_id=tenant_id, source_key__startswith=f"{plan.dataset}:")
            .order_by("id")
            .values_list("source_key", "id")
        )
        for step in homeless:
            step.location_id = ids[step.key]
    _insert(ServiceAtLocation, [
        {"tenant_id": tenant_id, "service_id": step.service_id, "location_id": step.location_id}
        for step in homeless
    ], now)  # fmt: skip

    # Changed services and places: only the rows that change.
    housed = {id(step) for step in homeless}
    service_fields = [*_SERVICE_FIELDS, "organization_id", "search_text", "updated_at", "version"]
    for reactivate, fields in ((False, service_fields),
                               (True, [*service_fields, "status", "is_published"])):  # fmt: skip
        _update(Service, fields, [
            {"id": step.service_id, **_service_values(step.record),
             "organization_id": _organization_id(step.organization, created),
             "search_text": step.search_text, "updated_at": now,
             "version": plan.existing.services[step.key]["version"] + 1,
             "status": ServiceStatus.ACTIVE, "is_published": True}
            for step in plan.changed
            if step.reactivate == reactivate
        ])  # fmt: skip
    location_fields = [*_LOCATION_FIELDS, "area_id", "school_district_id", "organization_id",
                       "updated_at"]  # fmt: skip
    _update(Location, location_fields, [
        {"id": step.location_id, **_location_values(step.record), "area_id": step.area_id,
         "school_district_id": step.school_district_id, "updated_at": now,
         "organization_id": _organization_id(step.organization, created)}
        for step in plan.changed
        if step.location_changed and id(step) not in housed
    ])  # fmt: skip

    # Telephones, opening hours and categories: replaced where they change.
    through = Service.categories.through
    for batch in _chunks([s.service_id for s in plan.changed if s.phones_changed]):
        Phone.objects.filter(tenant_id=tenant_id, service_id__in=batch).delete()
    for batch in _chunks([s.service_id for s in plan.changed if s.schedules_changed]):
        Schedule.objects.filter(tenant_id=tenant_id, service_id__in=batch).delete()
    for batch in _chunks([s.service_id for s in plan.changed if s.categories_changed]):
        through.objects.filter(service_id__in=batch).delete()
    _insert(Phone, [
        {"tenant_id": tenant_id, "service_id": step.service_id, "number": phone.number,
         "extension": phone.extension, "kind": phone.kind}
        for step in plan.added + [s for s in plan.changed if s.phones_changed]
        for phone in step.record.phones
    ], now)  # fmt: skip
    _insert(Schedule, [
        {"tenant_id": tenant_id, "service_id": step.service_id, "location_id": step.location_id,
         "weekday_mask": weekday_mask(rule.freq, rule.byday, rule.bymonthday),
         **{name: getattr(rule, name) for name in _SCHEDULE_FIELDS}}
        for step in plan.added + [s for s in plan.changed if s.schedules_changed]
        for rule in step.record.schedules
    ], now)  # fmt: skip
    _insert(through, [
        {"service_id": step.service_id, "category_id": categories[code].pk}
        for step in plan.added + [s for s in plan.changed if s.categories_changed]
        for code in sorted(step.categories)
        if code in categories
    ], now)  # fmt: skip

    # Gone from the file: unpublished and inactive, never deleted (history stays).
    _update(Service, ["status", "is_published", "updated_at", "version"], [
        {"id": values["id"], "status": ServiceStatus.INACTIVE, "is_published": False,
         "updated_at": now, "version": values["version"] + 1}
        for values in plan.removed
    ])  # fmt: skip


_PLAIN_TYPES = frozenset({"CharField", "TextField", "SlugField", "URLField", "EmailField"})


def _preparer(field, db):
    """How a value goes to the database: text as it is, anything else as Django prepares it."""
    if field.get_internal_type() in _PLAIN_TYPES:
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, db)


def _insert(model, rows: list[dict], now) -> None:
    """INSERT with executemany: a fraction of bulk_create's time for tens of thousands of
    rows. Unset fields take their defaults (uid a new UUID), auto_now(_add) fields `now`."""
    if not rows:
        return
    db = transaction.get_connection()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    prepare = [(f.attname, _preparer(f, db), _default_of(f, now)) for f in fields]
    quote = db.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model)
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    params = [
        [prep(row[name] if name in row else default()) for name, prep, default in prepare]
        for row in rows
    ]
    with db.cursor() as cursor:
        for batch in _chunks(params, 2000):
            cursor.executemany(sql, batch)


def _default_of(field, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda: now
    return field.get_default


def _update(model, names: list[str], rows: list[dict]) -> None:
    """UPDATE … WHERE id = %s with executemany, setting only `names` (bulk_update's CASE
    expressions are slow for thousands of rows, and it would not set updated_at)."""
    if not rows:
        return
    db = transaction.get_connection()
    fields = [model._meta.get_field(name) for name in names]
    prepare = [(f.attname, _preparer(f, db)) for f in fields]
    quote = db.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 (names from the model)
        quote(model._meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(model._meta.pk.column),
    )
    params = [[prep(row[name]) for name, prep in prepare] + [row["id"]] for row in rows]
    with db.cursor() as cursor:
        for batch in _chunks(params, 2000):
            cursor.executemany(sql, batch)


def _create_organizations(plan: _Plan, tenant_id: int) -> dict[str, int]:
    rows = [
        Organization(
            tenant_id=tenant_id,
            name=name,
            corporate_number=number,
            source_key=f"{plan.dataset}:org:{number or fold(name)}"[:200],
        )
        for name, number in plan.new_organizations.values()
    ]
    for batch in _chunks(rows):
        Organization.objects.bulk_create(batch)
    return {token: org.pk for token, org in zip(plan.new_organizations, rows, strict=True)}
