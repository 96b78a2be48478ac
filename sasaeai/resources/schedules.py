"""When a resource is open: reading schedule text, and working out dates from the rules.

Pure Python, no database: every function takes objects with the attribute names of
`models.Schedule` / `models.ScheduleException` (model instances, `RuleSpec`, or any
dataclass), so callers prefetch once and pages never query per day.

Decisions worth knowing:

* Times are local wall-clock times. An aware datetime is converted to Asia/Tokyo first; a
  naive one is taken as already local.
* A rule with neither opens_at nor closes_at says the day but not the hours: `open_state`
  calls that day "unknown" and `is_open_at` is False, because a resident must never be told
  a place is open when the source does not say so. 「24時間」 is written as 0:00〜24:00. With
  only one of them, the missing side is the start or the end of the day (「10:00〜」 is open
  from ten, 「18時まで」 until six).
* Closing time is exclusive and opening time inclusive. 「24:00」 is read as `END_OF_DAY`
  (`time.max`), shown again as 24:00.
* WEEKLY `interval` counts weeks (starting Monday, RFC 5545's default WKST) from
  `valid_from`, MONTHLY `interval` counts months from it. Without `valid_from` there is no
  first week to count from, so the interval is ignored and every week (month) counts.
* BYDAY and BYMONTHDAY together narrow each other, as RFC 5545 says (Friday the 13th). The
  parser never writes both in one rule.
* An exception with is_closed=True removes the day; with is_closed=False and hours it
  replaces the day's hours (and adds the day when no rule has it: 振替開催); with
  is_closed=False and no hours it lifts the holiday closure for that day, and adds an
  all-day occurrence when no rule has the day.

Reading text (`parse_schedule_text`):

* 祝 among the days (土日祝, 日・祝日) means closed_on_holidays=False: the listed days stay
  open when they are holidays. A holiday on another weekday is not added, as a rule cannot
  say "every holiday". 毎日 / 年中無休 also give False; otherwise the default is True, and
  words (祝日を除く, 祝日休み, 祝日も開館) in the text or the note decide.
* Closed days are taken out (「月曜休館」 is Tuesday to Sunday). A 休 / 除く that cannot be
  placed (「第3月曜日休館」) is an error, not a guess, because ignoring it would invert it;
  inside brackets it is a note and only closed weekdays and the holiday rule are read.
* 隔週 gives interval 2; 隔月 / 奇数月 and dated closures (12月29日〜) are refused.
* A note (利用可能日時特記事項) that gives hours for some days (「土曜日は18時まで」,
  「土日祝18時まで」) replaces those days' hours in the weekly rules: `with_note`. A note
  that cannot be read, or gives no hours, changes nothing; it is still shown as written.
"""

import calendar
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sasaeai.core.calendar import holiday_name

END_OF_DAY = time.max
ALL_DAYS_MASK = 0b1111111
SEARCH_DAYS = 400
LOCAL_ZONE = ZoneInfo("Asia/Tokyo")

_KANJI = "月火水木金土日"
_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_HOLIDAY = 7  # in a set of weekdays: "public holidays"


@dataclass(frozen=True)
class RuleSpec:
    """What the parser returns; the same attribute names as the Schedule model."""

    freq: str
    byday: str = ""
    bymonthday: str = ""
    opens_at: time | None = None
    closes_at: time | None = None
    closed_on_holidays: bool = True
    description: str = ""
    interval: int = 1
    valid_from: date | None = None
    valid_to: date | None = None


class ScheduleParseError(ValueError):
    """The text could not be read; the message (Japanese) names the part that failed."""


@dataclass(frozen=True)
class Occurrence:
    date: date
    opens_at: time | None
    closes_at: time | None


# --- reading schedule text ---------------------------------------------------------------

# Every way flyers and open data write a range: 〜 (wave dash), ～ (NFKC: ~), minus, long
# vowel mark, hyphens, dashes, から.
_DASH = r"(?:~|〜|−|ー|-|‐|–|—|―|から)"
_TIME = r"(?:正午|(?:午前|午後)?\s*\d{1,2}\s*(?::\s*\d{1,2}|時(?!間)\s*(?:\d{1,2}\s*分|半)?))"
_DAY = r"(?:[月火水木金土日](?:曜日?)?)"
_HOLI = r"(?:振替休日|祝(?:祭|休)?日?|休日)"
_ITEM = rf"(?:{_DAY}|{_HOLI})"
# No 、 or space inside a list of closed days: in 「月・水、祝日休み」 only 祝日 is closed.
_LIST = rf"{_ITEM}(?:(?:[・,と]|及び)?{_ITEM})*"
_SEASONS = r"(?:\s*(?:[・,、と]|及び)\s*(?:年末年始|お盆|夏季休暇))*"
_OFF = r"(?:休館日?|休業日?|休所日?|休園日?|休日|休室|休診|休み|定休日?|休|除く|除き|以外)"
_ORD = r"(?:第\s*\d+|最終|最後の?)"
_ORDS = (
    rf"{_ORD}\s*週?\s*の?(?:\s*(?:[・,、と]|及び)\s*(?:{_ORD}|\d+(?!\d|\s*日(?!曜)))\s*週?\s*の?)*"
)

# Order matters: at one position the first alternative that matches wins, so phrases come
# before the single characters they contain (祝日を除く before 日, 毎日 before 日).
_TOKEN_KINDS = (
    ("allday", r"24\s*時間"),
    ("until", rf"{_TIME}\s*(?:まで|迄)"),
    ("times", rf"{_TIME}(?:\s*{_DASH}\s*(?:{_TIME})?)?|{_DASH}\s*{_TIME}"),
    ("offlist", rf"(?:休館日|定休日|休業日|休所日)\s*[:は]?\s*{_LIST}|休み\s*[:は]\s*{_LIST}"),
    # Not after a range mark or an ordinal: 「月〜金曜日、祝日休み」, 「第3月曜日休館」.
    ("off", rf"(?<![~〜−ー\-‐–—―\d第])(?<!から)(?:毎週)?{_LIST}{_SEASONS}\s*[はのをも]?\s*{_OFF}"),
    (
        "hol_open",
        rf"{_HOLI}\s*(?:も|を?含む)\s*(?:開館|開所|営業|利用可能?|実施|開催|可)?|{_HOLI}\s*(?:開館|開所|営業)",
    ),
    ("unsupported", rf"隔月|奇数月|偶数月|\d+\s*月\s*(?:\d+\s*日|{_DASH})"),
    (
        "noise",
        r"毎(?=[月火水木金土日]曜)|[月週]に?\s*\d+\s*回|終日|日中|当日|前日|翌日|日時|日程|曜日",
    ),
    ("seasons", rf"(?:年末年始|お盆|夏季休暇){_SEASONS}\s*[はのを]?\s*{_OFF}"),
    ("monthend", r"毎?月末日?|末日"),
    ("all", r"毎日|年中無休|無休|全日"),
    ("weekly", r"毎週"),
    ("biweekly", r"隔週"),
    ("monthly", r"毎月"),
    ("weekdays", r"平日"),
    ("ordinal", _ORDS),
    ("monthday", r"\d{1,2}\s*日(?!曜)"),
    ("holiday", _HOLI),
    ("day", _DAY),
    ("dash", _DASH),
)
_TOKENS = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _TOKEN_KINDS))
_OFF_LIST = re.compile(rf"(?:休館日|定休日|休業日|休所日|休み)?\s*[:は]?\s*(?:毎週)?({_LIST})")
_ITEMS = re.compile(rf"{_HOLI}|{_DAY}")
_TIME_RANGE = re.compile(rf"({_TIME})?\s*{_DASH}?\s*({_TIME})?")
_TIME_PARTS = re.compile(
    r"(午前|午後)?\s*(\d{1,2})\s*(?::\s*(\d{1,2})|時\s*(?:(\d{1,2})\s*分|(半))?)"
)
# A bracket that excludes something (（年末年始を除く）, （第3月曜日休館）) is a note: only the
# closed days and the holiday rule are read from it.
_BRACKET = re.compile(r"[(\[【「]([^)\]】」]*)[)\]】」]")
_NEGATION = re.compile(r"休|除|以外")
_DAYISH = {"all", "weekdays", "monthend", "ordinal", "monthday", "holiday", "day"}
_MARKERS = {"weekly", "biweekly", "monthly"}
_IN_NOTES = {"off", "offlist", "hol_open"}
_ENDS_CLAUSE = {"times", "until", "allday", *_IN_NOTES}
_SEPARATORS = " \t\r\n\u3000、,，/／;；・"


@dataclass
class _Group:
    """One clause of a text: its days, its hours, its holiday rule."""

    start: int
    source: str  # the text as written, named in errors
    days: set = field(default_factory=set)
    nth: set = field(default_factory=set)
    mdays: set = field(default_factory=set)
    off: set = field(default_factory=set)
    times: list = field(default_factory=list)
    ords: tuple = ()
    interval: int = 1
    positive: bool = False
    holiday_open: bool = False  # 祝 among the days, or every day
    explicit: bool | None = None  # closed_on_holidays said in words
    complete: bool = False  # days then hours or holiday rule: the next day is a new clause
    last_day: int | None = None
    range_from: int | None = None

    def starts_new(self, kind: str) -> bool:
        # A day after this clause's hours (or its holiday rule) begins the next clause, and
        # so does 毎週 / 毎月: 「月〜金 9:00〜17:00、土 9:00〜12:00」 is two rules, while
        # 「9:00〜17:00 月・水」 (hours first) stays one.
        if kind in _MARKERS:
            return self.positive
        return kind in _DAYISH and self.complete

    def add(self, kind: str, text: str, prev: str | None) -> None:
        if kind not in ("day", "dash", "noise"):
            self.range_from = None
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(text, prev)
        if self.positive and kind in _ENDS_CLAUSE:
            self.complete = True

    def _on_times(self, text, prev):
        self.times.append(_time_range(text))

    def _on_until(self, text, prev):
        self.times.append((None, _time(re.sub(r"\s*(?:まで|迄)$", "", text))))

    def _on_allday(self, text, prev):
        self.times.append((time(0), END_OF_DAY))

    def _on_off(self, text, prev):
        closed = _items(_OFF_LIST.match(text)[1])
        self.off |= closed - {_HOLIDAY}
        if _HOLIDAY in closed:
            self.explicit = True

    _on_offlist = _on_off

    def _on_hol_open(self, text, prev):
        self.explicit = False

    def _on_all(self, text, prev):
        self.days |= set(range(7))
        self.positive = self.holiday_open = True

    def _on_weekly(self, text, prev):
        self.ords = ()

    def _on_biweekly(self, text, prev):
        self.ords, self.interval = (), 2

    def _on_weekdays(self, text, prev):
        self.days |= set(range(5))
        self.positive = True

    def _on_monthend(self, text, prev):
        self.mdays.add(-1)
        self.positive = True

    def _on_monthday(self, text, prev):
        number = int(re.match(r"\d+", text)[0])
        if not 1 <= number <= 31:
            raise ScheduleParseError(f"日付を読み取れません: {text}")
        self.mdays.add(number)
        self.positive = True

    def _on_ordinal(self, text, prev):
        ords = tuple(-1 if n == "最" else int(n) for n in re.findall(r"\d+|最", text))
        if not all(1 <= n <= 5 or n == -1 for n in ords):
            raise ScheduleParseError(f"曜日を読み取れません: {self.source}")
        self.ords = ords

    def _on_holiday(self, text, prev):
        # Only a holiday listed with days (土日祝) opens on holidays; 「祝日の場合は翌日」 does not.
        if prev in ("day", "weekdays"):
            self.holiday_open = True

    def _on_dash(self, text, prev):
        if prev == "day":
            self.range_from = self.last_day

    def _on_day(self, text, prev):
        day = _KANJI.index(text[0])
        start = day if self.range_from is None else self.range_from
        for offset in range((day - start) % 7 + 1):  # 金〜月 wraps round the week
            self._add_day((start + offset) % 7)
        self.last_day, self.range_from = day, None

    def _add_day(self, day: int) -> None:
        if self.ords:
            self.nth |= {(n, day) for n in self.ords}
        else:
            self.days.add(day)
        self.positive = True

    def resolved(self, description: str) -> tuple[set, set, set]:
        days = self.days if self.positive else set(range(7))  # 「月曜休館」: all but Monday
        days = days - self.off
        nth = {(n, d) for n, d in self.nth if d not in self.off}
        if not (self.positive or self.off) or not (days or nth or self.mdays):
            raise ScheduleParseError(f"曜日を読み取れません: {description}")
        return days, nth, self.mdays


def parse_schedule_text(
    days: str, opens: str = "", closes: str = "", note: str = ""
) -> list[RuleSpec]:
    """Read 利用可能曜日 / 開始時間 / 終了時間 / 利用可能日時特記事項, or free text, into rules.

    `opens` / `closes` given separately override the hours written in `days`; `note` is read
    for the holiday rule only (祝日を除く, 祝日も開館). Nothing at all gives []; hours
    without days raise, as they cannot be placed.
    """
    columns = _column_times(opens, closes)
    if not re.search(r"\w", unicodedata.normalize("NFKC", days or "")):
        if columns == (None, None):
            return []
        raise ScheduleParseError("曜日を読み取れません: （空欄）")
    text, origin = _normalise(days)
    groups = _groups(text, days)
    note_rule = _holiday_rule(unicodedata.normalize("NFKC", note or ""))
    ends = [origin[g.start] for g in groups[1:]] + [len(days)]
    specs = []
    for group, start, end in zip(groups, [0, *ends], ends, strict=False):
        description = days[start:end].strip(_SEPARATORS)
        if any(c is not None for c in columns):
            written = [part.strip() for part in (opens, closes) if part and part.strip()]
            description = f"{description} {'〜'.join(written)}"
        specs.extend(_specs(group, columns, note_rule, description[:300]))
    return list(dict.fromkeys(specs))  # lunch-break hours overridden by columns repeat


def _normalise(raw: str) -> tuple[str, list[int]]:
    # NFKC character by character, keeping where each character came from, so that a
    # clause's description is cut from the text exactly as written.
    text, origin = [], []
    for index, char in enumerate(raw):
        folded = unicodedata.normalize("NFKC", char)
        text.append(folded)
        origin.extend([index] * len(folded))
    return "".join(text), origin


def _groups(text: str, raw: str) -> list[_Group]:
    notes = [m.span() for m in _BRACKET.finditer(text) if _NEGATION.search(m[1])]
    source = raw.strip()
    groups, covered, prev = [_Group(0, source)], list(notes), None
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup
        if any(a <= match.start() < b for a, b in notes) and kind not in _IN_NOTES:
            continue
        if kind == "unsupported":
            raise ScheduleParseError(f"曜日を読み取れません: {source}")
        covered.append(match.span())
        if groups[-1].starts_new(kind):
            groups.append(_Group(match.start(), source))
        groups[-1].add(kind, match[0], prev)
        prev = kind
    _refuse_unread_negation(text, covered, raw)
    return groups


def _refuse_unread_negation(text: str, covered: list, raw: str) -> None:
    # A 休 or 除く we did not understand (「第3月曜日休館」) would turn the meaning round if
    # ignored, so it is an error rather than a guess.
    left = "".join(c for i, c in enumerate(text) if not any(a <= i < b for a, b in covered))
    if _NEGATION.search(left):
        raise ScheduleParseError(f"曜日を読み取れません: {raw.strip()}")


def _holiday_rule(note: str) -> bool | None:
    group = _Group(0, note)
    for match in _TOKENS.finditer(note):
        if match.lastgroup in _IN_NOTES:
            group.add(match.lastgroup, match[0], None)
    return group.explicit


def _specs(group: _Group, columns: tuple, note_rule: bool | None, description: str):
    days, nth, mdays = group.resolved(description)
    closed = next(r for r in (group.explicit, note_rule, not group.holiday_open) if r is not None)
    for written_opens, written_closes in group.times or [(None, None)]:
        opens = columns[0] if columns[0] is not None else written_opens
        closes = columns[1] if columns[1] is not None else written_closes
        _check_order(opens, closes)
        common = {"opens_at": opens, "closes_at": closes, "closed_on_holidays": closed,
                  "description": description}  # fmt: skip
        if days:
            byday = ",".join(_CODES[d] for d in sorted(days))
            yield RuleSpec("WEEKLY", byday=byday, interval=group.interval, **common)
        if nth:
            ordered = sorted(nth, key=lambda p: (p[1], p[0] < 0, p[0]))
            yield RuleSpec(
                "MONTHLY", byday=",".join(f"{n}{_CODES[d]}" for n, d in ordered), **common
            )
        if mdays:
            bymonthday = ",".join(str(m) for m in sorted(mdays, key=lambda m: (m < 0, m)))
            yield RuleSpec("MONTHLY", bymonthday=bymonthday, **common)


def _check_order(opens: time | None, closes: time | None) -> None:
    if opens is None or closes is None:
        return
    if opens > closes:
        raise ScheduleParseError(f"開始時刻が終了時刻より後です: {_hm(opens)}〜{_hm(closes)}")
    if opens == closes:
        raise ScheduleParseError(f"開始時刻と終了時刻が同じです: {_hm(opens)}〜{_hm(closes)}")


def _items(text: str) -> set[int]:
    found = set()
    for match in _ITEMS.finditer(text):
        item = match[0]
        found.add(_KANJI.index(item[0]) if re.fullmatch(_DAY, item) else _HOLIDAY)
    return found


def _time_range(text: str) -> tuple[time | None, time | None]:
    match = _TIME_RANGE.fullmatch(text.strip())
    return (
        _time(match[1]) if match[1] else None,
        _time(match[2]) if match[2] else None,
    )


def _time(text: str) -> time:
    text = text.strip()
    if text == "正午":
        return time(12)
    match = _TIME_PARTS.fullmatch(text)
    hour, minute = int(match[2]), int(match[3] or match[4] or (30 if match[5] else 0))
    if match[1] == "午後" and hour < 12:
        hour += 12
    if (hour, minute) == (24, 0):
        return END_OF_DAY  # 「〜24:00」: until midnight
    if hour > 23 or minute > 59:
        raise ScheduleParseError(f"時刻を読み取れません: {text}")
    return time(hour, minute)


def _column_times(opens: str, closes: str) -> tuple[time | None, time | None]:
    first, last = _clock_times(opens), _clock_times(closes)
    if not last and len(first) > 1:  # 「9:00〜17:00」 written in the 開始時間 column alone
        first, last = first[:1], first[1:]
    return (first[0] if first else None, last[-1] if last else None)


def _clock_times(text: str) -> list[time]:
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not re.search(r"\w", text):  # blank, or 「-」「―」 for "none"
        return []
    if re.search(r"24\s*時間", text):
        return [time(0), END_OF_DAY]
    found = [_time(m[0]) for m in re.finditer(_TIME, text)]
    if not found:
        raise ScheduleParseError(f"時刻を読み取れません: {text}")
    return found


# --- rules to dates ------------------------------------------------------------------------

_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")


@dataclass(frozen=True)
class _Rule:
    freq: str
    interval: int
    byday: tuple
    mdays: tuple
    opens_at: time | None
    closes_at: time | None
    valid_from: date | None
    valid_to: date | None
    closed_on_holidays: bool


def _compile(schedule) -> _Rule:
    if schedule.freq not in ("WEEKLY", "MONTHLY"):
        raise ScheduleParseError(f"繰り返しの種類を読み取れません: {schedule.freq}")
    return _Rule(
        schedule.freq, max(schedule.interval or 1, 1), _parse_byday(schedule.byday),
        _parse_monthdays(schedule.bymonthday), schedule.opens_at, schedule.closes_at,
        schedule.valid_from, schedule.valid_to, schedule.closed_on_holidays,
    )  # fmt: skip


def _parse_byday(text: str) -> tuple:
    found = []
    for part in filter(None, (text or "").upper().replace(" ", "").split(",")):
        match = _BYDAY.fullmatch(part)
        ordinal = int(match[1]) if match and match[1] else None
        if not match or (ordinal is not None and not 1 <= abs(ordinal) <= 5):
            raise ScheduleParseError(f"曜日の指定を読み取れません: {part}")
        found.append((ordinal, _CODES.index(match[2])))
    return tuple(found)


def _parse_monthdays(text: str) -> tuple:
    found = []
    for part in filter(None, (text or "").replace(" ", "").split(",")):
        if not re.fullmatch(r"[+-]?\d{1,2}", part) or not 1 <= abs(int(part)) <= 31:
            raise ScheduleParseError(f"日付の指定を読み取れません: {part}")
        found.append(int(part))
    return tuple(found)


def weekday_mask(freq: str, byday: str, bymonthday: str = "") -> int:
    """Bit 0 = Monday … bit 6 = Sunday; a day-of-month rule can fall on any weekday."""
    if freq == "MONTHLY" and (bymonthday or "").strip():
        return ALL_DAYS_MASK
    mask = 0
    for _, day in _parse_byday(byday):
        mask |= 1 << day
    return mask


def _matches(rule: _Rule, day: date) -> bool:
    if (rule.valid_from and day < rule.valid_from) or (rule.valid_to and day > rule.valid_to):
        return False
    if not _on_interval(rule, day):
        return False
    if rule.freq == "WEEKLY":
        return any(weekday == day.weekday() for _, weekday in rule.byday)
    return _monthly(rule, day)


def _on_interval(rule: _Rule, day: date) -> bool:
    # Counting needs a first period; without valid_from every period counts (see above).
    if rule.interval == 1 or rule.valid_from is None:
        return True
    start = rule.valid_from
    if rule.freq == "WEEKLY":
        return (_monday(day) - _monday(start)).days // 7 % rule.interval == 0
    months = (day.year - start.year) * 12 + day.month - start.month
    return months % rule.interval == 0


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _monthly(rule: _Rule, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    by_day = any(_nth_weekday(n, weekday, day, last) for n, weekday in rule.byday)
    by_mday = any(day.day == (m if m > 0 else last + 1 + m) for m in rule.mdays)
    if rule.byday and rule.mdays:
        return by_day and by_mday
    return by_day or by_mday


def _nth_weekday(n: int | None, weekday: int, day: date, last: int) -> bool:
    if day.weekday() != weekday:
        return False
    if n is None:
        return True
    if n > 0:
        return (day.day - 1) // 7 + 1 == n
    return (last - day.day) // 7 + 1 == -n  # -1: no same weekday left in the month


def _day_occurrences(rules: list[_Rule], change, day: date) -> list[Occurrence]:
    if change is not None and change.is_closed:
        return []
    if change is not None and (change.opens_at is not None or change.closes_at is not None):
        return [Occurrence(day, change.opens_at, change.closes_at)]
    matching = [rule for rule in rules if _matches(rule, day)]
    if change is None and any(rule.closed_on_holidays for rule in matching):
        if holiday_name(day) is not None:
            matching = [rule for rule in matching if not rule.closed_on_holidays]
    found = [Occurrence(day, rule.opens_at, rule.closes_at) for rule in matching]
    if change is not None and not found:
        found = [Occurrence(day, None, None)]
    return found


def _order(occurrence: Occurrence) -> tuple:
    return (
        occurrence.date,
        occurrence.opens_at or time.min,
        occurrence.closes_at or END_OF_DAY,
    )


def _between(rules: list[_Rule], changes: dict, start: date, end: date) -> list[Occurrence]:
    found = set()
    day = start
    while day <= end:
        found.update(_day_occurrences(rules, changes.get(day), day))
        day += timedelta(days=1)
    return sorted(found, key=_order)


def _prepared(schedules: Iterable, exceptions: Iterable) -> tuple[list[_Rule], dict]:
    return [_compile(s) for s in schedules], {e.date: e for e in exceptions}


def occurrences(
    schedules: Iterable, exceptions: Iterable, start: date, end: date
) -> list[Occurrence]:
    """Every opening from start to end inclusive, by date and then opening time."""
    return _between(*_prepared(schedules, exceptions), start, end)


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(LOCAL_ZONE).replace(tzinfo=None)


def _hours_known(occurrence: Occurrence) -> bool:
    return occurrence.opens_at is not None or occurrence.closes_at is not None


def _covers(occurrence: Occurrence, clock: time) -> bool:
    if not _hours_known(occurrence):
        return False
    opened = occurrence.opens_at is None or occurrence.opens_at <= clock
    return opened and (occurrence.closes_at is None or clock < occurrence.closes_at)


def is_open_at(schedules: Iterable, exceptions: Iterable, moment: datetime) -> bool:
    return open_state(schedules, exceptions, moment) == "open"


def open_state(schedules: Iterable, exceptions: Iterable, moment: datetime) -> str:
    """ "open", "closed", or "unknown" when the day is listed without its hours."""
    moment = _local(moment)
    today = occurrences(schedules, exceptions, moment.date(), moment.date())
    if any(_covers(occurrence, moment.time()) for occurrence in today):
        return "open"
    return "unknown" if any(not _hours_known(o) for o in today) else "closed"


def with_note(rules: Iterable, note: str) -> list:
    """The weekly rules with the hours a note gives for some of their days.

    「土曜日は18時まで」 on 毎日 9:00〜21:00 gives 月〜金・日 9:00〜21:00 and 土 9:00〜18:00:
    the note's side that is said replaces the rule's, the other side is kept. Monthly rules
    and notes without hours are left as they are. Works on any frozen dataclass with the
    Schedule attribute names (RuleSpec, the importer's ScheduleSpec).
    """
    rules = list(rules)
    try:
        said = parse_schedule_text(note) if note else []
    except ScheduleParseError:
        return rules
    overrides = [
        o for o in said
        if o.freq == "WEEKLY" and o.byday and (o.opens_at is not None or o.closes_at is not None)
    ]  # fmt: skip
    if not overrides:
        return rules
    result = []
    for rule in rules:
        if rule.freq != "WEEKLY" or rule.bymonthday or not rule.byday:
            result.append(rule)
            continue
        remaining = set(rule.byday.split(","))
        changed = []
        for override in overrides:
            shared = remaining & set(override.byday.split(","))
            if not shared:
                continue
            remaining -= shared
            changed.append(replace(
                rule,
                byday=_byday_of(shared),
                opens_at=override.opens_at if override.opens_at is not None else rule.opens_at,
                closes_at=override.closes_at if override.closes_at is not None else rule.closes_at,
                closed_on_holidays=rule.closed_on_holidays and override.closed_on_holidays,
                description=f"{rule.description} {override.description}".strip()[:300],
            ))  # fmt: skip
        if remaining:
            result.append(replace(rule, byday=_byday_of(remaining)))
        result.extend(changed)
    return result


def _byday_of(codes: set[str]) -> str:
    return ",".join(code for code in _CODES if code in codes)


def next_occurrence(
    schedules: Iterable, exceptions: Iterable, after: datetime
) -> Occurrence | None:
    """The first opening that has not closed by `after`, within SEARCH_DAYS."""
    after = _local(after)
    rules, changes = _prepared(schedules, exceptions)
    last = after.date() + timedelta(days=SEARCH_DAYS)
    start = after.date()
    while start <= last:  # a month at a time: most rules answer within the first window
        end = min(start + timedelta(days=30), last)
        for occurrence in _between(rules, changes, start, end):
            if occurrence.date > after.date() or occurrence.closes_at is None:
                return occurrence
            if after.time() < occurrence.closes_at:
                return occurrence
        start = end + timedelta(days=1)
    return None


def this_week(schedules: Iterable, exceptions: Iterable, today: date) -> list[Occurrence]:
    return occurrences(schedules, exceptions, today, today + timedelta(days=6))


# --- rules to words ------------------------------------------------------------------------


def describe(schedule) -> str:
    """Japanese, as a flyer says it: 「毎月第2・第4水曜日 10:00〜12:00（祝日を除く）」.

    The holiday rule is always said, except for a rule open every day and on holidays
    (「毎日」 says it already), so that the text reads back into the same rule.
    """
    rule = _compile(schedule)
    hours = _describe_hours(rule.opens_at, rule.closes_at)
    text = _describe_days(rule) + (f" {hours}" if hours else "")
    if rule.closed_on_holidays:
        return f"{text}（祝日を除く）"
    every_day = rule.freq == "WEEKLY" and rule.interval == 1 and len(_weekdays(rule)) == 7
    return text if every_day else f"{text}（祝日も開館）"


def _weekdays(rule: _Rule) -> list[int]:
    return sorted({weekday for _, weekday in rule.byday})


def _describe_days(rule: _Rule) -> str:
    if rule.freq == "WEEKLY":
        days = _weekdays(rule)
        if len(days) == 7 and rule.interval == 1:
            return "毎日"
        prefix = {1: "毎週", 2: "隔週"}.get(rule.interval, f"{rule.interval}週ごとの")
        return prefix + _weekday_list(days)
    prefix = {1: "毎月", 2: "隔月"}.get(rule.interval, f"{rule.interval}か月ごとの")
    mdays = "・".join(_monthday_name(m) for m in rule.mdays)
    byday = "、".join(_nth_names(rule))
    if mdays and byday:
        return f"{prefix}{mdays}のうち{byday}"
    return prefix + (mdays or byday)


def _weekday_list(days: list[int]) -> str:
    if len(days) == 1:
        return f"{_KANJI[days[0]]}曜日"
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    # Three days or more in a row read as a range: 月〜金.
    parts = [
        f"{_KANJI[r[0]]}〜{_KANJI[r[-1]]}" if len(r) >= 3 else "・".join(_KANJI[d] for d in r)
        for r in runs
    ]
    return "・".join(parts)


def _nth_names(rule: _Rule) -> list[str]:
    names = []
    for weekday in _weekdays(rule):
        ords = sorted(
            {n for n, d in rule.byday if d == weekday and n is not None}, key=lambda n: (n < 0, n)
        )
        ordinals = "・".join(
            "最終" if n == -1 else f"第{n}" if n > 0 else f"最後から{-n}番目の" for n in ords
        )
        names.append(f"{ordinals}{_KANJI[weekday]}曜日")
    return names


def _monthday_name(day: int) -> str:
    if day > 0:
        return f"{day}日"
    return "末日" if day == -1 else f"末日の{-day - 1}日前"


def _hm(value: time) -> str:
    if value >= time(23, 59, 59):
        return "24:00"
    return f"{value.hour}:{value.minute:02d}"


def _describe_hours(opens: time | None, closes: time | None) -> str:
    if opens is None and closes is None:
        return ""
    start = "" if opens is None else _hm(opens)
    return f"{start}〜{'' if closes is None else _hm(closes)}"


def to_rrule(schedule) -> str:
    """RFC 5545 RRULE text; valid_from / valid_to stay with the caller (DTSTART / UNTIL)."""
    rule = _compile(schedule)
    parts = [f"FREQ={rule.freq}"]
    if rule.interval > 1:
        parts.append(f"INTERVAL={rule.interval}")
    if rule.byday:
        parts.append("BYDAY=" + ",".join(f"{n or ''}{_CODES[d]}" for n, d in rule.byday))
    if rule.mdays:
        parts.append("BYMONTHDAY=" + ",".join(str(m) for m in rule.mdays))
    return ";".join(parts)
