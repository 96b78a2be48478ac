"""Reading the 住基/介護/障害 extracts and comparing them with the register (docs/disaster.md).

`check_extract` reads a CSV (UTF-8 with or without BOM, or CP932: core.csvio), validates every
row and computes the difference with the register: new people (from the 介護/障害 extracts,
when they meet the city's criteria), changed items, moved out (転出), died (死亡), unchanged.
It saves nothing; services.register_import_preview stores the result, and
services.register_import_apply applies exactly what was shown.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from sasaeai.core.csvio import CsvEncodingError, read_csv
from sasaeai.core.models import Area
from sasaeai.disaster.models import EntryStatus, ExtractKind, RegisterEntry, RegisterReason

KEY = "宛名番号"
# The columns each extract defines (docs/disaster.md, "Extracts"); required ones first.
PERSON_COLUMNS = {
    "氏名": "name", "氏名カナ": "name_kana", "生年月日": "birth_date", "性別": "sex",
    "郵便番号": "postal_code", "住所": "address", "電話番号": "phone",
}  # fmt: skip
COLUMNS = {
    ExtractKind.RESIDENTS: {
        "required": (KEY, "氏名", "住所"),
        "optional": ("氏名カナ", "生年月日", "性別", "郵便番号", "電話番号", "異動事由", "異動日"),
    },
    ExtractKind.CARE: {
        "required": (KEY, "氏名", "住所", "要介護度"),
        "optional": ("氏名カナ", "生年月日", "性別", "郵便番号", "電話番号", "認定有効期間終了日"),
    },
    ExtractKind.DISABILITY: {
        "required": (KEY, "氏名", "住所", "手帳種別", "等級"),
        "optional": ("氏名カナ", "生年月日", "性別", "郵便番号", "電話番号"),
    },
}
MOVES = {"転入", "転出", "転居", "死亡", "出生", "住所変更", "氏名変更", "職権修正", "帰化", ""}
CARE_LEVELS = {
    "非該当", "要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4", "要介護5",
}  # fmt: skip
# The city's criteria (所沢市 地域防災計画 as a model): 要介護3 or above, 身体 1–2級,
# 療育 A (Ⓐ, A1, A2), 精神 1級. A city with other criteria changes these sets.
LISTED_CARE_LEVELS = {"要介護3", "要介護4", "要介護5"}
CERTIFICATES = {
    "身体障害者手帳": RegisterReason.PHYSICAL_DISABILITY, "身体": RegisterReason.PHYSICAL_DISABILITY,
    "療育手帳": RegisterReason.INTELLECTUAL_DISABILITY,
    "療育": RegisterReason.INTELLECTUAL_DISABILITY,
    "精神障害者保健福祉手帳": RegisterReason.MENTAL_DISABILITY,
    "精神": RegisterReason.MENTAL_DISABILITY,
}  # fmt: skip
LISTED_GRADES = {
    RegisterReason.PHYSICAL_DISABILITY: {"1", "2"},
    RegisterReason.INTELLECTUAL_DISABILITY: {"A", "Ⓐ", "A1", "A2", "マルA"},
    RegisterReason.MENTAL_DISABILITY: {"1"},
}
COMPARED = ("name", "name_kana", "birth_date", "sex", "postal_code", "address", "phone")
MAX_PROBLEMS = 200  # beyond this the file is plainly the wrong one; the rest are not listed


class Change:
    NEW = "new"
    CHANGED = "changed"
    MOVED = "moved"
    DIED = "died"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"  # not on the register and not meeting the criteria


@dataclass
class Checked:
    kind: str
    encoding: str = ""
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    warning_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_PROBLEMS:
            self.errors.append(message)

    def warn(self, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_PROBLEMS:
            self.warnings.append(message)

    def count(self, change: str) -> None:
        self.counts[change] = self.counts.get(change, 0) + 1


def _date(text: str) -> datetime.date | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    raise ValueError(text)


def _grade(text: str) -> str:
    text = text.strip().translate(str.maketrans("０１２３４５６７ＡＢ", "01234567AB"))
    return text.removesuffix("級").removesuffix("度")


class AreaMatcher:
    """An address's area: the tenant's area whose name (or name without 地区) appears in the
    address once the city's own name is taken off; the longest such name wins, a tie or no
    match leaves the entry without an area (and the import warns)."""

    def __init__(self, tenant_id: int, city_name: str = ""):
        self.city_name = city_name
        names: dict[str, set[int]] = {}
        for area_id, name in Area.objects.filter(tenant_id=tenant_id).values_list("id", "name"):
            for variant in {name, name.removesuffix("地区")}:
                if len(variant) >= 2:
                    names.setdefault(variant, set()).add(area_id)
        self.names = sorted(names.items(), key=lambda item: -len(item[0]))
        self._cache: dict[str, int | None] = {}

    def area_of(self, address: str) -> int | None:
        # The place name comes before the first digit (丁目・番地); the rest never names an area.
        text = re.split(r"[0-9０-９]", address, maxsplit=1)[0]
        if text not in self._cache:
            self._cache[text] = self._match(text)
        return self._cache[text]

    def _match(self, text: str) -> int | None:
        if self.city_name and self.city_name in text:
            text = text.split(self.city_name, 1)[1]
        best, ids = 0, set()
        for name, area_ids in self.names:
            if len(name) < best:
                break
            if name in text:
                best, ids = len(name), ids | area_ids
        return next(iter(ids)) if len(ids) == 1 else None


def _person(row: dict, number: int, checked: Checked) -> dict:
    person = {}
    for column, attr in PERSON_COLUMNS.items():
        value = (row.get(column) or "").strip()
        if attr == "birth_date" and value:
            try:
                value = _date(value).isoformat()
            except ValueError:
                checked.error(
                    _("Row %(row)s: 生年月日 「%(value)s」 is not a date (YYYY-MM-DD).")
                    % {"row": number, "value": value}
                )
                value = ""
        person[attr] = value
    for attr in ("name", "address"):
        if not person[attr]:
            column = "氏名" if attr == "name" else "住所"
            checked.error(
                _("Row %(row)s: %(column)s is empty.") % {"row": number, "column": column}
            )
    return person


def _reason(kind: str, row: dict, number: int, checked: Checked) -> tuple[str | None, str]:
    """The reason a care or disability row lists the person, or None (and a note of why not)."""
    if kind == ExtractKind.CARE:
        level = (row.get("要介護度") or "").strip()
        if level not in CARE_LEVELS:
            checked.error(
                _("Row %(row)s: 要介護度 「%(value)s」 is not one of %(allowed)s.")
                % {"row": number, "value": level, "allowed": "、".join(sorted(CARE_LEVELS))}
            )
            return None, ""
        listed = level in LISTED_CARE_LEVELS
        return (RegisterReason.CARE_LEVEL if listed else None), level
    certificate = (row.get("手帳種別") or "").strip()
    reason = CERTIFICATES.get(certificate)
    if reason is None:
        checked.error(
            _("Row %(row)s: 手帳種別 「%(value)s」 is not one of %(allowed)s.")
            % {"row": number, "value": certificate, "allowed": "、".join(CERTIFICATES)}
        )
        return None, ""
    grade = _grade(row.get("等級") or "")
    if not grade:
        checked.error(_("Row %(row)s: 等級 is empty.") % {"row": number})
        return None, ""
    note = f"{certificate} {grade}"
    return (reason if grade in LISTED_GRADES[reason] else None), note


def _header_problems(kind: str, header: list[str], checked: Checked) -> None:
    spec = COLUMNS[kind]
    missing = [c for c in spec["required"] if c not in header]
    for column in missing:
        checked.error(_("The required column 「%(column)s」 is missing.") % {"column": column})
    known = set(spec["required"]) | set(spec["optional"])
    unknown = [c for c in header if c not in known]
    if unknown:
        checked.warn(
            _("Columns not in the standard were left out: %(columns)s")
            % {"columns": "、".join(unknown)}
        )


def _existing(tenant_id: int, keys: list[str]) -> dict[str, RegisterEntry]:
    found: dict[str, RegisterEntry] = {}
    for start in range(0, len(keys), 2000):
        chunk = keys[start : start + 2000]
        for entry in RegisterEntry.objects.filter(tenant_id=tenant_id, resident_key__in=chunk):
            found[entry.resident_key] = entry
    return found


def _current(entry: RegisterEntry, attr: str) -> str:
    value = getattr(entry, attr)
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


def _compare(entry: RegisterEntry, person: dict, matcher: AreaMatcher, checked, number) -> dict:
    """The items that differ, as {attr: [old, new]}; a new address re-derives the area."""
    diff = {}
    for attr in COMPARED:
        new = person.get(attr, "")
        if attr != "address" and not new:
            continue  # an empty optional column keeps what the register holds
        if _current(entry, attr) != new:
            diff[attr] = [_current(entry, attr), new]
    if "address" in diff:
        area_id = matcher.area_of(person["address"])
        if area_id is None:
            checked.warn(
                _("Row %(row)s: no district matches the address; the entry has no district.")
                % {"row": number}
            )
        if area_id != entry.area_id:
            diff["area_id"] = [entry.area_id, area_id]
    return diff


def _move_of(row: dict, number: int, checked: Checked) -> tuple[str, str]:
    move = (row.get("異動事由") or "").strip()
    if move not in MOVES:
        checked.error(
            _("Row %(row)s: 異動事由 「%(value)s」 is not one of %(allowed)s.")
            % {"row": number, "value": move, "allowed": "、".join(sorted(m for m in MOVES if m))}
        )
    day = (row.get("異動日") or "").strip()
    if day:
        try:
            day = _date(day).isoformat()
        except ValueError:
            checked.error(
                _("Row %(row)s: 異動日 「%(value)s」 is not a date (YYYY-MM-DD).")
                % {"row": number, "value": day}
            )
            day = ""
    return move, day


def check_extract(data: bytes, *, kind: str, tenant_id: int, city_name: str = "") -> Checked:
    """Validate a whole extract and compute its difference with the register; saves nothing."""
    checked = Checked(kind=kind)
    if kind not in COLUMNS:
        checked.error(_("Unknown extract kind."))
        return checked
    try:
        rows, checked.encoding = read_csv(data)
    except CsvEncodingError as error:
        checked.error(str(error))
        return checked
    except Exception:  # noqa: BLE001 - a malformed CSV is the user's file, not our error
        checked.error(_("The file could not be read as CSV."))
        return checked
    header = list(rows[0].keys()) if rows else _header_of(data, checked)
    _header_problems(kind, [h for h in header if h is not None], checked)
    if not checked.ok:
        return checked
    checked.rows = len(rows)
    seen: dict[str, int] = {}
    parsed = []
    for index, row in enumerate(rows, start=2):  # row 1 is the header, as a spreadsheet shows
        if None in row:
            checked.error(_("Row %(row)s has more fields than the header.") % {"row": index})
            continue
        key = (row.get(KEY) or "").strip()
        if not key:
            checked.error(_("Row %(row)s: 宛名番号 is empty.") % {"row": index})
            continue
        if key in seen:
            checked.error(
                _("Row %(row)s: 宛名番号 %(key)s is already on row %(first)s.")
                % {"row": index, "key": key, "first": seen[key]}
            )
            continue
        seen[key] = index
        person = _person(row, index, checked)
        # Every value is checked in this first pass, so that all the problems are listed.
        if kind == ExtractKind.RESIDENTS:
            values = _move_of(row, index, checked)
        else:
            values = _reason(kind, row, index, checked)
        parsed.append((index, key, person, values))
    if not checked.ok:
        return checked
    existing = _existing(tenant_id, list(seen))
    matcher = AreaMatcher(tenant_id, city_name)
    for index, key, person, values in parsed:
        _diff_row(kind, index, key, values, person, existing.get(key), matcher, checked)
    return checked


def _header_of(data: bytes, checked: Checked) -> list[str]:
    """The header of a file without data rows (DictReader gives no row to read it from)."""
    from sasaeai.core.csvio import decode_csv_bytes

    text, _encoding = decode_csv_bytes(data)
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        checked.error(_("The file is empty."))
    return [c.strip() for c in first.split(",")] if first else []


def _diff_row(kind, number, key, values, person, entry, matcher, checked) -> None:
    """`values`: (異動事由, 異動日) of a 住基 row, or (reason or None, note) of the others."""
    listed = entry is not None and entry.status == EntryStatus.LISTED
    if kind == ExtractKind.RESIDENTS:
        move, day = values
        if move in ("転出", "死亡"):
            if not listed:
                checked.count(Change.SKIPPED)
                return
            change = Change.MOVED if move == "転出" else Change.DIED
            checked.changes.append(_removal(change, number, entry, day))
            checked.count(change)
            return
        if not listed:
            checked.count(Change.SKIPPED)  # the residents extract alone lists nobody
            return
        _changed_or_unchanged(number, entry, person, {}, matcher, checked)
        return
    reason, note = values
    if entry is None or not listed:
        if reason is None:
            checked.count(Change.SKIPPED)
            return
        checked.changes.append(_new(number, key, person, reason, note, matcher, checked, entry))
        checked.count(Change.NEW)
        return
    extra = {}
    if reason is not None and reason not in entry.reasons:
        extra["reasons"] = [list(entry.reasons), [*entry.reasons, reason]]
    _changed_or_unchanged(number, entry, person, extra, matcher, checked)


def _changed_or_unchanged(number, entry, person, extra, matcher, checked) -> None:
    diff = {**_compare(entry, person, matcher, checked, number), **extra}
    if not diff:
        checked.count(Change.UNCHANGED)
        return
    checked.changes.append(
        {"change": Change.CHANGED, "row": number, "entry_id": entry.pk, "key": entry.resident_key,
         "version": entry.version, "name": person.get("name") or entry.name, "diff": diff}
    )  # fmt: skip
    checked.count(Change.CHANGED)


def _removal(change: str, number: int, entry: RegisterEntry, day: str) -> dict:
    return {
        "change": change, "row": number, "entry_id": entry.pk, "key": entry.resident_key,
        "version": entry.version, "name": entry.name, "on": day,
    }  # fmt: skip


def _new(number, key, person, reason, note, matcher, checked, entry) -> dict:
    area_id = matcher.area_of(person["address"])
    if area_id is None:
        checked.warn(
            _("Row %(row)s: no district matches the address; the entry has no district.")
            % {"row": number}
        )
    return {
        "change": Change.NEW, "row": number, "key": key, "name": person["name"],
        "person": person, "area_id": area_id, "reason": reason, "note": note,
        # A removed entry listed again keeps its number (宛名番号 is unique per tenant).
        "entry_id": entry.pk if entry else None, "version": entry.version if entry else None,
    }  # fmt: skip
