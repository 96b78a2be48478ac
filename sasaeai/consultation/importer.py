"""Bulk intake of consultations from a CSV file, all or nothing.

Offices that kept their consultation log in Excel bring it over as CSV (UTF-8 with or
without BOM, or CP932), one consultation a row, with Japanese headers:

    受付日時 (required), 受付方法, 相談内容 (required), 連絡先, 相談者氏名, 続柄, 地区,
    相談分類, 受付者, 対応状況

The whole file is checked first (`parse`): every problem is collected with its line,
column and code, the row rules being those of `services.check_consultation`. Only a file
without a single problem is saved (`save`): in one transaction, with bulk inserts, and one
audit entry for the whole file, so that 100,000 rows take seconds and a failure on the
way (a district deleted meanwhile) leaves nothing behind.
"""

import csv
import datetime
import hashlib
import io
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import Event, audit_event
from sasaeai.consultation.models import Channel, ConcernTag, Consultation, ConsultationStatus
from sasaeai.consultation.services import ConsultationInput, check_consultation
from sasaeai.core.csvio import CsvEncodingError, decode_csv_bytes
from sasaeai.core.fiscal import ERAS
from sasaeai.core.models import Area
from sasaeai.core.tenancy import tenant_context
from sasaeai.core.text import normalize_for_search

BATCH_SIZE = 5_000

RECEIVED_AT, CHANNEL, DESCRIPTION = "受付日時", "受付方法", "相談内容"
CONTACT, CALLER, RELATION = "連絡先", "相談者氏名", "続柄"
AREA, CONCERNS, RECEIVER, STATUS = "地区", "相談分類", "受付者", "対応状況"
COLUMNS = (
    RECEIVED_AT,
    CHANNEL,
    DESCRIPTION,
    CONTACT,
    CALLER,
    RELATION,
    AREA,
    CONCERNS,
    RECEIVER,
    STATUS,
)
REQUIRED_COLUMNS = (RECEIVED_AT, DESCRIPTION)

# The column each field of ConsultationInput is read from, to place the row rules' errors.
COLUMN_OF_FIELD = {
    "received_at": RECEIVED_AT, "channel": CHANNEL, "description": DESCRIPTION,
    "contact": CONTACT, "caller_name": CALLER, "caller_relation": RELATION,
    "area_id": AREA, "concern_codes": CONCERNS, "concerns": CONCERNS,
}  # fmt: skip
MAX_LENGTHS = {CONTACT: 200, CALLER: 100, RELATION: 60}
# Values every row rule accepts, to look past a field already reported (see _row_rules).
PASSING = {"description": "-", "channel": Channel.OTHER, "received_at": None, "contact": "",
           "caller_name": "", "caller_relation": "", "area_id": None, "concern_codes": []}  # fmt: skip

CHANNELS = {
    "窓口": Channel.COUNTER, "来所": Channel.COUNTER, "電話": Channel.PHONE, "訪問": Channel.VISIT,
    "家庭訪問": Channel.VISIT, "アウトリーチ": Channel.OUTREACH, "民生委員": Channel.COMMISSIONER,
    "関係機関": Channel.AGENCY, "メール": Channel.EMAIL, "電子メール": Channel.EMAIL,
    "その他": Channel.OTHER, **{value: value for value in Channel.values},
}  # fmt: skip
# Imported history is usually already dealt with; without the column it joins the queue.
STATUSES = {
    "受付": ConsultationStatus.RECEIVED, "未対応": ConsultationStatus.RECEIVED,
    "対応済": ConsultationStatus.ANSWERED, "対応済み": ConsultationStatus.ANSWERED,
    "received": ConsultationStatus.RECEIVED, "answered": ConsultationStatus.ANSWERED,
}  # fmt: skip
# 「子ども・子育て」 is one concern: the middle dot is not a separator.
CONCERN_SEPARATORS = re.compile(r"[、;,]")

_WESTERN = re.compile(
    r"(?P<y>\d{4})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
)
_WAREKI = re.compile(
    r"(?P<era>明治|大正|昭和|平成|令和|[MTSHRmtshr])\s*(?P<y>元|\d{1,2})\s*(?:[-/.]|年)\s*"
    r"(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
)
_TIME = re.compile(
    r"(?:T|\s*)(?P<h>\d{1,2})\s*(?::\s*(?P<mi>\d{2})(?::(?P<s>\d{2}))?|時\s*(?:(?P<mi2>\d{1,2})\s*分)?)\s*"
)
_ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}


@dataclass(frozen=True)
class Problem:
    line: int  # 1 = the header, 2 = the first data row (its first line if it spans several)
    column: str  # the column's header (an unknown one as written); "" for a row or the file
    code: str
    message: str

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
        }


@dataclass
class Row:
    line: int
    data: ConsultationInput
    concern_ids: list[int]
    received_by_id: int | None
    received_by_role: str
    status: str


@dataclass
class ParsedImport:
    tenant_id: int
    encoding: str = ""
    sha256: str = ""
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.problems)


@dataclass(frozen=True)
class ImportResult:
    created: int
    concerns: int
    first_id: int | None
    last_id: int | None


class ImportRefused(ValidationError):
    """The file has problems; nothing was saved. `problems` lists every one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(
            _("%(count)s problem(s) in the file; nothing was saved.") % {"count": len(problems)},
            code="import_refused",
        )


# ---- reading and checking -----------------------------------------------------------------


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _cell_error(line: int, column: str, code: str, message: str) -> Problem:
    return Problem(line, column, code, _("Line %(line)s, column %(column)s: %(message)s") % {
        "line": line, "column": column, "message": message,
    })  # fmt: skip


def parse_received_at(text: str) -> datetime.datetime:
    """2026-04-01 10:00, 2026/4/1 10:00, 2026年4月1日, 令和8年4月1日 10時, R8.4.1: local time.

    A date alone means the start of that day. Raises ValueError when it is none of these or
    no such day (2026-02-30, 令和元年4月1日 which was still 平成).
    """
    text = _fold(text)
    match = _WESTERN.match(text)
    if match:
        day = datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
    else:
        match = _WAREKI.match(text)
        if not match:
            raise ValueError("unknown format")
        day = _wareki_day(match)
    rest = text[match.end() :]
    hour = minute = second = 0
    if rest.strip():
        time_match = _TIME.fullmatch(rest)
        if not time_match:
            raise ValueError("unknown time format")
        hour, second = int(time_match["h"]), int(time_match["s"] or 0)
        minute = int(time_match["mi"] or time_match["mi2"] or 0)
    moment = datetime.datetime.combine(day, datetime.time(hour, minute, second))
    return timezone.make_aware(moment, timezone.get_current_timezone())


def _wareki_day(match: re.Match) -> datetime.date:
    era_name = _ERA_LETTERS.get(match["era"].upper(), match["era"])
    index = next(i for i, era in enumerate(ERAS) if era.name == era_name)
    number = 1 if match["y"] == "元" else int(match["y"])
    if number < 1:
        raise ValueError("era year 0")
    day = datetime.date(ERAS[index].start.year + number - 1, int(match["m"]), int(match["d"]))
    next_start = ERAS[index + 1].start if index + 1 < len(ERAS) else None
    if day < ERAS[index].start or (next_start and day >= next_start):
        raise ValueError("not a day of that era")
    return day


class _Lookups:
    """The tenant's districts, concerns and members, loaded once for the whole file."""

    def __init__(self, tenant_id: int):
        self.areas: dict[str, list[int]] = defaultdict(list)
        for pk, name in Area.objects.filter(tenant_id=tenant_id).values_list("pk", "name"):
            self.areas[normalize_for_search(name)].append(pk)
        self.concerns: dict[str, int] = {}
        for pk, code, name in ConcernTag.objects.filter(tenant_id=tenant_id).values_list(
            "pk", "code", "name"
        ):
            self.concerns.setdefault(normalize_for_search(name), pk)
            self.concerns[code.casefold()] = pk
        self.members = {
            username: (user_id, role)
            for user_id, username, role in Membership.objects.active()
            .filter(tenant_id=tenant_id)
            .values_list("user_id", "user__username", "role")
        }


class _Reader:
    def __init__(self, tenant_id: int, actor: Actor | None, now: datetime.datetime):
        self.lookups = _Lookups(tenant_id)
        self.actor, self.now = actor, now
        self.problems: list[Problem] = []

    def header(self, raw: list[str]) -> dict[str, int] | None:
        """Where each known column is; every unknown, repeated or missing one is a problem."""
        index: dict[str, int] = {}
        for position, name in enumerate(raw):
            folded = _fold(name)
            if folded in COLUMNS and folded in index:
                self.problems.append(Problem(1, folded, "duplicate_column", _(
                    "Line 1, column %(column)s: the column appears twice."
                ) % {"column": folded}))  # fmt: skip
            elif folded in COLUMNS:
                index[folded] = position
            elif folded:
                self.problems.append(Problem(1, name, "unknown_column", _(
                    "Line 1, column %(column)s: this column is not known. The columns are: %(known)s."
                ) % {"column": name, "known": "、".join(COLUMNS)}))  # fmt: skip
        for name in REQUIRED_COLUMNS:
            if name not in index:
                self.problems.append(Problem(1, name, "missing_column", _(
                    "Line 1: the required column %(column)s is missing."
                ) % {"column": name}))  # fmt: skip
        return None if self.problems else index

    def row(self, line: int, cells: list[str], index: dict[str, int]) -> Row | None:
        if len(cells) > len(index) and any(
            _fold(c) for i, c in enumerate(cells) if i not in index.values()
        ):
            self.problems.append(Problem(line, "", "extra_cells", _(
                "Line %(line)s: the row has more cells than the header has columns."
            ) % {"line": line}))  # fmt: skip

        def cell(name: str) -> str:
            position = index.get(name)
            return cells[position].strip() if position is not None and position < len(cells) else ""

        before = len(self.problems)
        data = ConsultationInput(
            channel=self._channel(line, cell(CHANNEL)),
            description=cell(DESCRIPTION),
            contact=self._text(line, CONTACT, cell(CONTACT)),
            received_at=self._received_at(line, cell(RECEIVED_AT)),
            caller_name=self._text(line, CALLER, cell(CALLER)),
            caller_relation=self._text(line, RELATION, cell(RELATION)),
            area_id=self._area(line, cell(AREA)),
        )
        concern_ids = self._concerns(line, cell(CONCERNS))
        received_by = self._receiver(line, cell(RECEIVER))
        status = self._status(line, cell(STATUS))
        self._row_rules(line, data)
        if len(self.problems) > before:
            return None
        user_id, role = received_by
        return Row(line, data, concern_ids, user_id, role, status)

    def _row_rules(self, line: int, data: ConsultationInput) -> None:
        """The rules the form and the API apply, reported for every field that breaks one.

        check_consultation stops at the first broken rule; a field already reported is set
        to a value that passes and the row checked again, until nothing more is found.
        """
        probe = replace(data, channel=data.channel or Channel.OTHER)
        for _attempt in range(len(COLUMN_OF_FIELD)):
            try:
                check_consultation(0, probe, now=self.now)
                return
            except ValidationError as error:
                fields = getattr(error, "error_dict", None) or {"": error.error_list}
                for name, errors in fields.items():
                    for item in errors:
                        column = COLUMN_OF_FIELD.get(name, "")
                        message = " ".join(item.messages)
                        self.problems.append(
                            _cell_error(line, column, item.code or "invalid", message)
                        )
                if not all(name in PASSING for name in fields):
                    return  # a rule that no single field fixes: reported once, as it is
                probe = replace(probe, **{name: PASSING[name] for name in fields})

    def _received_at(self, line: int, text: str) -> datetime.datetime | None:
        if not text:
            self.problems.append(
                _cell_error(
                    line, RECEIVED_AT, "required", _("Enter when the consultation was received.")
                )
            )
            return None
        try:
            return parse_received_at(text)
        except ValueError:
            self.problems.append(_cell_error(line, RECEIVED_AT, "invalid_date", _(
                "%(value)s is not a date. Write it as 2026-04-01 10:00, 2026/4/1 or 令和8年4月1日."
            ) % {"value": text}))  # fmt: skip
            return None

    def _channel(self, line: int, text: str) -> str:
        if not text:
            return Channel.OTHER
        channel = CHANNELS.get(_fold(text))
        if channel is None:
            self.problems.append(_cell_error(line, CHANNEL, "invalid_choice", _(
                "%(value)s is not a way a consultation comes in. Use one of: %(known)s."
            ) % {"value": text, "known": "、".join(list(CHANNELS)[:11])}))  # fmt: skip
            return ""
        return channel

    def _text(self, line: int, column: str, text: str) -> str:
        if len(text) > MAX_LENGTHS[column]:
            self.problems.append(_cell_error(line, column, "too_long", _(
                "At most %(max)s characters (this has %(length)s)."
            ) % {"max": MAX_LENGTHS[column], "length": len(text)}))  # fmt: skip
        return text

    def _area(self, line: int, text: str) -> int | None:
        if not text:
            return None
        found = self.lookups.areas.get(normalize_for_search(text), [])
        if len(found) == 1:
            return found[0]
        code, message = ("ambiguous_area", _("Several districts are called %(value)s.")) if found else (
            "unknown_area", _("No district of this municipality is called %(value)s."))  # fmt: skip
        self.problems.append(_cell_error(line, AREA, code, message % {"value": text}))
        return None

    def _concerns(self, line: int, text: str) -> list[int]:
        ids = []
        for part in CONCERN_SEPARATORS.split(_fold(text)):
            part = part.strip()
            if not part:
                continue
            pk = self.lookups.concerns.get(part.casefold()) or self.lookups.concerns.get(
                normalize_for_search(part)
            )
            if pk is None:
                self.problems.append(_cell_error(line, CONCERNS, "unknown_concern", _(
                    "%(value)s is not a concern of this municipality (give its name or code)."
                ) % {"value": part}))  # fmt: skip
            elif pk not in ids:
                ids.append(pk)
        return ids

    def _receiver(self, line: int, text: str) -> tuple[int | None, str]:
        if not text:
            actor = self.actor
            return (actor.user_id, actor.role or "") if actor else (None, "")
        member = self.lookups.members.get(_fold(text))
        if member is None:
            self.problems.append(_cell_error(line, RECEIVER, "unknown_user", _(
                "%(value)s is not the user name of a member of this municipality."
            ) % {"value": text}))  # fmt: skip
            return None, ""
        return member

    def _status(self, line: int, text: str) -> str:
        if not text:
            return ConsultationStatus.RECEIVED
        status = STATUSES.get(_fold(text))
        if status is None:
            self.problems.append(_cell_error(line, STATUS, "invalid_choice", _(
                "%(value)s is not a status; use 受付 or 対応済み."
            ) % {"value": text}))  # fmt: skip
            return ConsultationStatus.RECEIVED
        return status


def parse(
    data: bytes, *, tenant_id: int, actor: Actor | None = None, now: datetime.datetime | None = None
) -> ParsedImport:
    """Read and check the whole file. `parsed.problems` is empty only if every row is good."""
    parsed = ParsedImport(tenant_id=tenant_id, sha256=hashlib.sha256(data).hexdigest())
    try:
        text, parsed.encoding = decode_csv_bytes(data)
    except CsvEncodingError:
        parsed.problems.append(Problem(1, "", "encoding", _(
            "The file is neither UTF-8 nor Shift_JIS (CP932); save it as CSV UTF-8 and try again."
        )))  # fmt: skip
        return parsed
    with tenant_context(tenant_id):
        reader = _Reader(tenant_id, actor, now or timezone.now())
    # csv.reader rather than csvio.read_csv: a description often spans lines, and the
    # report must name the line the row starts on in the file the user opens.
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(rows, None)
        if not header or not any(_fold(name) for name in header):
            parsed.problems.append(
                Problem(1, "", "empty_file", _("Line 1: the file has no header row."))
            )
            return parsed
        index = reader.header(header)
        if index is None:
            parsed.problems.extend(reader.problems)
            return parsed
        line = rows.line_num + 1
        for cells in rows:
            if any(cell.strip() for cell in cells):  # Excel leaves rows of empty cells
                row = reader.row(line, cells, index)
                if row is not None:
                    parsed.rows.append(row)
            line = rows.line_num + 1
    except csv.Error as error:
        reader.problems.append(Problem(line, "", "malformed_csv", _(
            "Line %(line)s: the CSV cannot be read from here on (%(error)s)."
        ) % {"line": line, "error": error}))  # fmt: skip
    parsed.problems.extend(reader.problems)
    if not parsed.problems and not parsed.rows:
        parsed.problems.append(
            Problem(2, "", "no_rows", _("The file has a header but no consultations."))
        )
    return parsed


# ---- saving -------------------------------------------------------------------------------


def save(
    parsed: ParsedImport,
    *,
    actor: Actor,
    check_permission: bool = True,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    """Insert every row of a checked file in one transaction, and one audit entry for it.

    A database error on any batch (a district or concern deleted since the check) rolls
    the whole file back: the office fixes the file and imports it again, never half of it.
    """
    if check_permission:
        policy.require(actor, "consultation.record_consultation")
    if parsed.has_errors:
        raise ImportRefused(parsed.problems)
    tenant_id = parsed.tenant_id
    now = timezone.now()
    with tenant_context(tenant_id), transaction.atomic():
        created = Consultation.objects.bulk_create(
            (_consultation(tenant_id, row, now) for row in parsed.rows), batch_size=batch_size
        )
        links = [
            (consultation.pk, tag_id)
            for consultation, row in zip(created, parsed.rows, strict=True)
            for tag_id in row.concern_ids
        ]
        _insert_links(links, batch_size)
        ids = [c.pk for c in created]
        result = ImportResult(
            len(created), len(links), min(ids, default=None), max(ids, default=None)
        )
        audit_event(actor, Event(
            action=Action.CREATE, object_type=Consultation._meta.label_lower,
            object_repr=f"CSV import: {result.created} consultations", tenant_id=tenant_id,
            detail={"import": "csv", "count": result.created, "concerns": result.concerns,
                    "sha256": parsed.sha256, "encoding": parsed.encoding,
                    "first_id": result.first_id, "last_id": result.last_id},
        ))  # fmt: skip
    return result


def _insert_links(links: list[tuple[int, int]], batch_size: int) -> None:
    """The concerns' link rows, two integers each: a plain executemany, as building a model
    instance per link would double the time of a large import."""
    through = Consultation.concerns.through
    table = connection.ops.quote_name(through._meta.db_table)
    sql = f"INSERT INTO {table} (consultation_id, concerntag_id) VALUES (%s, %s)"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(links), batch_size):
            cursor.executemany(sql, links[start : start + batch_size])


def _consultation(tenant_id: int, row: Row, now: datetime.datetime) -> Consultation:
    data = row.data
    return Consultation(
        tenant_id=tenant_id, received_at=data.received_at, channel=data.channel,
        description=data.description, contact=data.contact, caller_name=data.caller_name,
        caller_relation=data.caller_relation, area_id=data.area_id, received_by_id=row.received_by_id,
        received_by_role=row.received_by_role, status=row.status,
        acknowledged_at=now if row.status == ConsultationStatus.ANSWERED else None,
    )  # fmt: skip


def import_consultations(data: bytes, *, tenant_id: int, actor: Actor, check_only: bool = False,
                         check_permission: bool = True) -> tuple[ParsedImport, ImportResult | None]:  # fmt: skip
    """Check the file and, if it has no problem and `check_only` is off, save all of it."""
    if check_permission:
        policy.require(actor, "consultation.record_consultation")
    parsed = parse(data, tenant_id=tenant_id, actor=actor)
    if parsed.has_errors or check_only:
        return parsed, None
    return parsed, save(parsed, actor=actor, check_permission=False)
