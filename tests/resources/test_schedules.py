"""Schedule text as Japanese open data and flyers write it, and the dates it means.

No database: rules are RuleSpec values (or unsaved models), exceptions a small dataclass.
Calendar facts used below (2026): Wednesdays in January are 7, 14, 21, 28; 2/11 (Wed) is
建国記念の日, 1/12 (Mon) 成人の日, 11/23 (Mon) 勤労感謝の日, 5/4–5/6 Golden Week with 5/6
a 振替休日; Fridays the 13th fall in February, March and November.
"""

import calendar
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from sasaeai.resources.models import Schedule
from sasaeai.resources.schedules import (
    END_OF_DAY,
    Occurrence,
    RuleSpec,
    ScheduleParseError,
    describe,
    is_open_at,
    next_occurrence,
    occurrences,
    open_state,
    parse_schedule_text,
    this_week,
    to_rrule,
    weekday_mask,
    with_note,
)

JST = ZoneInfo("Asia/Tokyo")
WEEKDAYS = "MO,TU,WE,TH,FR"
EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"


@dataclass(frozen=True)
class Change:
    """Stands in for ScheduleException."""

    date: date
    is_closed: bool = True
    opens_at: time | None = None
    closes_at: time | None = None


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST)


def dates(found: list[Occurrence]) -> list[date]:
    return [occurrence.date for occurrence in found]


SALON = RuleSpec("MONTHLY", byday="2WE,4WE", opens_at=time(10), closes_at=time(12))
MONDAY_OFFICE = RuleSpec("WEEKLY", byday="MO", opens_at=time(9), closes_at=time(17))


# --- parsing: days -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "freq", "byday", "bymonthday", "closed_on_holidays"),
    [
        ("月火水木金", "WEEKLY", WEEKDAYS, "", True),
        ("月,火,水,木,金", "WEEKLY", WEEKDAYS, "", True),
        ("月，火，水，木，金", "WEEKLY", WEEKDAYS, "", True),
        ("月、水、金", "WEEKLY", "MO,WE,FR", "", True),
        ("月・水・金", "WEEKLY", "MO,WE,FR", "", True),
        ("月曜日～金曜日", "WEEKLY", WEEKDAYS, "", True),
        ("月～金", "WEEKLY", WEEKDAYS, "", True),
        ("月〜金", "WEEKLY", WEEKDAYS, "", True),
        ("月-金", "WEEKLY", WEEKDAYS, "", True),
        ("月−金", "WEEKLY", WEEKDAYS, "", True),
        ("月ー金", "WEEKLY", WEEKDAYS, "", True),
        ("月曜日から金曜日まで", "WEEKLY", WEEKDAYS, "", True),
        ("金〜月", "WEEKLY", "MO,FR,SA,SU", "", True),
        ("平日", "WEEKLY", WEEKDAYS, "", True),
        ("土日", "WEEKLY", "SA,SU", "", True),
        ("土日祝", "WEEKLY", "SA,SU", "", False),
        ("日・祝日", "WEEKLY", "SU", "", False),
        ("毎日", "WEEKLY", EVERY_DAY, "", False),
        ("年中無休", "WEEKLY", EVERY_DAY, "", False),
        ("毎日曜日", "WEEKLY", "SU", "", True),
        ("月曜休館", "WEEKLY", "TU,WE,TH,FR,SA,SU", "", True),
        ("火～日（月曜休館）", "WEEKLY", "TU,WE,TH,FR,SA,SU", "", True),
        ("休館日 月曜日（祝日の場合は翌日）", "WEEKLY", "TU,WE,TH,FR,SA,SU", "", True),
        ("土日祝日を除く", "WEEKLY", WEEKDAYS, "", True),
        ("毎月第2・第4水曜日", "MONTHLY", "2WE,4WE", "", True),
        ("毎月第２・第４水曜日", "MONTHLY", "2WE,4WE", "", True),
        ("第1・3土曜日", "MONTHLY", "1SA,3SA", "", True),
        ("毎月第3日曜日", "MONTHLY", "3SU", "", True),
        ("第5火曜日", "MONTHLY", "5TU", "", True),
        ("毎月最終金曜日", "MONTHLY", "-1FR", "", True),
        ("毎月第1・第3土曜日・日曜日", "MONTHLY", "1SA,3SA,1SU,3SU", "", True),
        ("月1回（第2水曜日）", "MONTHLY", "2WE", "", True),
        ("毎月15日", "MONTHLY", "", "15", True),
        ("毎月1日・15日", "MONTHLY", "", "1,15", True),
        ("毎月末日", "MONTHLY", "", "-1", True),
    ],
)
def test_days_as_written_in_open_data(text, freq, byday, bymonthday, closed_on_holidays):
    assert parse_schedule_text(text) == [
        RuleSpec(
            freq,
            byday=byday,
            bymonthday=bymonthday,
            closed_on_holidays=closed_on_holidays,
            description=text,
        )
    ]


def test_every_other_week_keeps_its_interval():
    assert parse_schedule_text("隔週水曜日") == [
        RuleSpec("WEEKLY", byday="WE", interval=2, description="隔週水曜日")
    ]


@pytest.mark.parametrize("text", ["", "   ", "―", "-"])
def test_nothing_written_means_no_schedule(text):
    assert parse_schedule_text(text) == []
    assert parse_schedule_text(text, "", "", "祝日を除く") == []


# --- parsing: hours ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "opens", "closes"),
    [
        ("月～金 9:00～17:00", time(9), time(17)),
        ("月～金 ９：００～１７：００", time(9), time(17)),
        ("月 １０：００〜１２：００", time(10), time(12)),
        ("月 10時～12時", time(10), time(12)),
        ("月 10時30分～午後1時", time(10, 30), time(13)),
        ("月 午後1時～午後3時30分", time(13), time(15, 30)),
        ("月 10時から12時まで", time(10), time(12)),
        ("水 10時半〜正午", time(10, 30), time(12)),
        ("月 9:00 ー 12:00", time(9), time(12)),
        ("月 10:00〜", time(10), None),
        ("月 〜12:00", None, time(12)),
        ("毎日 9:00〜24:00", time(9), END_OF_DAY),
        ("毎日 24時間", time(0), END_OF_DAY),
    ],
)
def test_hours_written_with_the_days(text, opens, closes):
    [rule] = parse_schedule_text(text)
    assert (rule.opens_at, rule.closes_at) == (opens, closes)
    assert rule.description == text


def test_hour_columns_override_hours_in_the_text():
    assert parse_schedule_text("月～金", "9:00", "17:00") == [
        RuleSpec(
            "WEEKLY",
            byday=WEEKDAYS,
            opens_at=time(9),
            closes_at=time(17),
            description="月～金 9:00〜17:00",
        )
    ]
    [rule] = parse_schedule_text("月～金 10:00〜12:00", "9:00", "")
    assert (rule.opens_at, rule.closes_at) == (time(9), time(12))
    [rule] = parse_schedule_text("月～金", "９：００", "１７：００")
    assert (rule.opens_at, rule.closes_at) == (time(9), time(17))
    [rule] = parse_schedule_text("月～金", "9:00～17:00", "")
    assert (rule.opens_at, rule.closes_at) == (time(9), time(17))
    [rule] = parse_schedule_text("月～金", "―", "―")
    assert (rule.opens_at, rule.closes_at, rule.description) == (None, None, "月～金")


# --- parsing: holidays ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "note", "closed"),
    [
        ("月～金（祝日を除く）", "", True),
        ("月～金 祝日休み", "", True),
        ("月・水、祝日休み", "", True),
        ("毎日（祝日を除く）", "", True),
        ("月～金（祝日も開館）", "", False),
        ("月～金", "祝日も開館", False),
        ("月～金", "祝日を除く", True),
        ("土日祝", "祝日は休館", True),
        ("土日祝", "", False),
    ],
)
def test_holiday_rule_from_the_text_or_the_note(days, note, closed):
    [rule] = parse_schedule_text(days, "", "", note)
    assert rule.closed_on_holidays is closed


def test_closed_days_listed_with_holidays_are_taken_out():
    [rule] = parse_schedule_text("平日 9:00〜17:00（土日祝休み）")
    assert (rule.byday, rule.closed_on_holidays) == (WEEKDAYS, True)
    [rule] = parse_schedule_text("土曜・祝日も休み")
    assert (rule.byday, rule.closed_on_holidays) == ("MO,TU,WE,TH,FR,SU", True)


# --- parsing: several clauses --------------------------------------------------------------


def test_clauses_with_their_own_hours_become_separate_rules():
    assert parse_schedule_text("月～金 9:00～17:00、土 9:00～12:00") == [
        RuleSpec(
            "WEEKLY",
            byday=WEEKDAYS,
            opens_at=time(9),
            closes_at=time(17),
            description="月～金 9:00～17:00",
        ),
        RuleSpec(
            "WEEKLY",
            byday="SA",
            opens_at=time(9),
            closes_at=time(12),
            description="土 9:00～12:00",
        ),
    ]


def test_clauses_split_on_slash_and_newline_keep_their_holiday_rules():
    weekday, weekend = parse_schedule_text("平日 9:00〜17:00／土日祝 10:00〜16:00")
    assert (weekday.byday, weekday.closed_on_holidays, weekday.description) == (
        WEEKDAYS,
        True,
        "平日 9:00〜17:00",
    )
    assert (weekend.byday, weekend.opens_at, weekend.closed_on_holidays) == (
        "SA,SU",
        time(10),
        False,
    )
    first, second = parse_schedule_text("月〜金 9:00〜17:00\n土 9:00〜12:00")
    assert (first.byday, second.byday, second.closes_at) == (WEEKDAYS, "SA", time(12))


def test_hours_written_before_the_days_stay_with_them():
    [rule] = parse_schedule_text("午前9時〜午後5時 月〜金")
    assert (rule.byday, rule.opens_at, rule.closes_at) == (WEEKDAYS, time(9), time(17))
    [rule] = parse_schedule_text("9:00〜17:00 月・水")
    assert rule.byday == "MO,WE"


def test_a_holiday_rule_ends_its_clause():
    monday, weekend = parse_schedule_text("毎週月曜日（祝日を除く）、毎週土・日（祝日も開館）")
    assert (monday.byday, monday.closed_on_holidays) == ("MO", True)
    assert (weekend.byday, weekend.closed_on_holidays) == ("SA,SU", False)


def test_a_lunch_break_gives_two_rules_for_the_same_days():
    morning, afternoon = parse_schedule_text("月〜金 9:00〜12:00、13:00〜17:00")
    assert (morning.byday, morning.opens_at, morning.closes_at) == (WEEKDAYS, time(9), time(12))
    assert (afternoon.byday, afternoon.opens_at, afternoon.closes_at) == (
        WEEKDAYS,
        time(13),
        time(17),
    )


def test_weekly_and_monthly_clauses_in_one_text():
    assert parse_schedule_text("毎週月曜日、毎月第2土曜日") == [
        RuleSpec("WEEKLY", byday="MO", description="毎週月曜日"),
        RuleSpec("MONTHLY", byday="2SA", description="毎月第2土曜日"),
    ]


# --- parsing: what cannot be read ----------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "opens", "closes", "message"),
    [
        ("不定期", "", "", "曜日を読み取れません: 不定期"),
        ("要問合せ", "", "", "曜日を読み取れません: 要問合せ"),
        ("第6火曜日", "", "", "曜日を読み取れません: 第6火曜日"),
        ("第3月曜日休館", "", "", "曜日を読み取れません: 第3月曜日休館"),
        ("隔月第2土曜日", "", "", "曜日を読み取れません: 隔月第2土曜日"),
        ("毎月32日", "", "", "日付を読み取れません: 32日"),
        ("月曜日 25:00", "", "", "時刻を読み取れません: 25:00"),
        ("月曜日 9:60", "", "", "時刻を読み取れません: 9:60"),
        ("月 17:00〜9:00", "", "", "開始時刻が終了時刻より後です: 17:00〜9:00"),
        ("月", "17:00", "9:00", "開始時刻が終了時刻より後です: 17:00〜9:00"),
        ("月", "なし", "", "時刻を読み取れません: なし"),
        ("", "9:00", "17:00", "曜日を読み取れません: （空欄）"),
    ],
)
def test_unreadable_text_names_what_failed(days, opens, closes, message):
    with pytest.raises(ScheduleParseError) as caught:
        parse_schedule_text(days, opens, closes)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


# --- weekday mask --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("freq", "byday", "bymonthday", "mask"),
    [
        ("WEEKLY", "MO,WE", "", 0b0000101),
        ("WEEKLY", "SU", "", 0b1000000),
        ("WEEKLY", WEEKDAYS, "", 0b0011111),
        ("MONTHLY", "2WE,4WE", "", 0b0000100),
        ("MONTHLY", "-1FR", "", 0b0010000),
        ("MONTHLY", "", "1,15", 0b1111111),
    ],
)
def test_weekday_mask(freq, byday, bymonthday, mask):
    assert weekday_mask(freq, byday, bymonthday) == mask


# --- occurrences ---------------------------------------------------------------------------


def test_second_and_fourth_wednesday_skip_national_foundation_day():
    found = occurrences([SALON], [], date(2026, 1, 1), date(2026, 3, 31))
    assert found == [
        Occurrence(date(2026, 1, 14), time(10), time(12)),
        Occurrence(date(2026, 1, 28), time(10), time(12)),
        # 2026-02-11 is the second Wednesday and 建国記念の日.
        Occurrence(date(2026, 2, 25), time(10), time(12)),
        Occurrence(date(2026, 3, 11), time(10), time(12)),
        Occurrence(date(2026, 3, 25), time(10), time(12)),
    ]


def test_second_and_fourth_wednesday_agree_with_the_calendar_all_year():
    rule = replace(SALON, closed_on_holidays=False)
    expected = []
    for month in range(1, 13):
        wednesdays = [w[calendar.WEDNESDAY] for w in calendar.monthcalendar(2026, month)]
        wednesdays = [d for d in wednesdays if d]
        expected += [date(2026, month, wednesdays[1]), date(2026, month, wednesdays[3])]
    assert dates(occurrences([rule], [], date(2026, 1, 1), date(2026, 12, 31))) == expected
    assert date(2026, 2, 11) in expected


def test_last_friday_even_in_a_month_with_five():
    rule = RuleSpec("MONTHLY", byday="-1FR")
    assert dates(occurrences([rule], [], date(2026, 1, 1), date(2026, 5, 31))) == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 27),
        date(2026, 4, 24),
        date(2026, 5, 29),
    ]


def test_fifth_tuesday_only_in_months_that_have_one():
    rule = RuleSpec("MONTHLY", byday="5TU", closed_on_holidays=False)
    assert dates(occurrences([rule], [], date(2026, 1, 1), date(2026, 6, 30))) == [
        date(2026, 3, 31),
        date(2026, 6, 30),
    ]


def test_days_of_the_month_and_the_last_day():
    rule = RuleSpec("MONTHLY", bymonthday="1,15,-1", closed_on_holidays=False)
    assert dates(occurrences([rule], [], date(2026, 2, 1), date(2026, 2, 28))) == [
        date(2026, 2, 1),
        date(2026, 2, 15),
        date(2026, 2, 28),
    ]


def test_byday_and_bymonthday_together_narrow_as_in_rfc5545():
    friday_13th = RuleSpec("MONTHLY", byday="FR", bymonthday="13")
    assert dates(occurrences([friday_13th], [], date(2026, 1, 1), date(2026, 12, 31))) == [
        date(2026, 2, 13),
        date(2026, 3, 13),
        date(2026, 11, 13),
    ]


def test_public_holidays_are_dropped_unless_the_rule_opens_on_them():
    monday = RuleSpec("WEEKLY", byday="MO")
    november = dates(occurrences([monday], [], date(2026, 11, 1), date(2026, 11, 30)))
    assert november == [
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
        date(2026, 11, 30),
    ]
    holidays_too = replace(monday, closed_on_holidays=False)
    assert date(2026, 11, 23) in dates(
        occurrences([holidays_too], [], date(2026, 11, 1), date(2026, 11, 30))
    )


def test_golden_week_including_the_substitute_holiday():
    weekdays = RuleSpec("WEEKLY", byday=WEEKDAYS)
    assert dates(occurrences([weekdays], [], date(2026, 5, 1), date(2026, 5, 8))) == [
        date(2026, 5, 1),
        date(2026, 5, 7),
        date(2026, 5, 8),
    ]


def test_valid_from_and_valid_to_bound_the_dates():
    rule = RuleSpec("WEEKLY", byday="WE", valid_from=date(2026, 1, 10), valid_to=date(2026, 1, 31))
    assert dates(occurrences([rule], [], date(2026, 1, 1), date(2026, 2, 28))) == [
        date(2026, 1, 14),
        date(2026, 1, 21),
        date(2026, 1, 28),
    ]


def test_every_other_week_counts_from_valid_from():
    rule = RuleSpec("WEEKLY", byday="WE", interval=2, valid_from=date(2026, 1, 5))
    assert dates(occurrences([rule], [], date(2026, 1, 1), date(2026, 2, 10))) == [
        date(2026, 1, 7),
        date(2026, 1, 21),
        date(2026, 2, 4),
    ]
    # Without a first date there is nothing to count from: every week counts.
    unanchored = replace(rule, valid_from=None)
    assert len(occurrences([unanchored], [], date(2026, 1, 1), date(2026, 1, 31))) == 4


def test_several_rules_are_merged_in_date_and_time_order():
    afternoon = RuleSpec("WEEKLY", byday="MO", opens_at=time(13), closes_at=time(17))
    morning = RuleSpec("WEEKLY", byday="MO", opens_at=time(9), closes_at=time(12))
    found = occurrences([afternoon, morning, SALON], [], date(2026, 1, 13), date(2026, 1, 19))
    assert found == [
        Occurrence(date(2026, 1, 14), time(10), time(12)),
        Occurrence(date(2026, 1, 19), time(9), time(12)),
        Occurrence(date(2026, 1, 19), time(13), time(17)),
    ]


def test_exceptions_close_days_change_hours_and_add_days():
    changes = [
        Change(date(2026, 1, 28)),  # 臨時休館
        Change(date(2026, 1, 14), is_closed=False, opens_at=time(13), closes_at=time(15)),
        Change(date(2026, 1, 21), is_closed=False, opens_at=time(10), closes_at=time(11)),
    ]
    assert occurrences([SALON], changes, date(2026, 1, 1), date(2026, 1, 31)) == [
        Occurrence(date(2026, 1, 14), time(13), time(15)),
        Occurrence(date(2026, 1, 21), time(10), time(11)),  # 振替開催
    ]


def test_an_open_exception_without_hours_lifts_the_holiday_closure():
    change = Change(date(2026, 2, 11), is_closed=False)
    found = occurrences([SALON], [change], date(2026, 2, 1), date(2026, 2, 28))
    assert found[0] == Occurrence(date(2026, 2, 11), time(10), time(12))
    extra = occurrences(
        [SALON], [Change(date(2026, 2, 12), is_closed=False)], date(2026, 2, 12), date(2026, 2, 12)
    )
    assert extra == [Occurrence(date(2026, 2, 12), None, None)]


def test_unsaved_model_instances_work_like_rule_specs():
    model = Schedule(freq="MONTHLY", byday="2WE,4WE", opens_at=time(10), closes_at=time(12))
    assert occurrences([model], [], date(2026, 1, 1), date(2026, 1, 31)) == occurrences(
        [SALON], [], date(2026, 1, 1), date(2026, 1, 31)
    )
    assert describe(model) == "毎月第2・第4水曜日 10:00〜12:00（祝日を除く）"


def test_a_broken_rule_is_reported_not_ignored():
    with pytest.raises(ScheduleParseError, match="6WE"):
        occurrences([RuleSpec("MONTHLY", byday="6WE")], [], date(2026, 1, 1), date(2026, 1, 31))


# --- open now, next, this week ------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "open_"),
    [(8, 59, False), (9, 0, True), (12, 0, True), (16, 59, True), (17, 0, False)],
)
def test_open_from_opening_time_until_just_before_closing(hour, minute, open_):
    assert is_open_at([MONDAY_OFFICE], [], at(date(2026, 1, 19), hour, minute)) is open_


def test_not_open_on_another_weekday_a_holiday_or_a_closed_day():
    assert not is_open_at([MONDAY_OFFICE], [], at(date(2026, 1, 20), 10))
    assert not is_open_at([MONDAY_OFFICE], [], at(date(2026, 1, 12), 10))  # 成人の日
    closed = [Change(date(2026, 1, 19))]
    assert not is_open_at([MONDAY_OFFICE], closed, at(date(2026, 1, 19), 10))


def test_a_day_without_hours_is_unknown_not_open():
    days_only = RuleSpec("WEEKLY", byday="MO")
    assert not is_open_at([days_only], [], at(date(2026, 1, 19), 10, 0))
    assert open_state([days_only], [], at(date(2026, 1, 19), 10, 0)) == "unknown"
    assert open_state([days_only], [], at(date(2026, 1, 20), 10, 0)) == "closed"
    assert open_state([MONDAY_OFFICE], [], at(date(2026, 1, 19), 10, 0)) == "open"


def test_open_all_day_when_said_and_from_opening_without_closing():
    (all_day,) = parse_schedule_text("月曜日 24時間")
    assert is_open_at([all_day], [], at(date(2026, 1, 19), 0, 0))
    assert is_open_at([all_day], [], at(date(2026, 1, 19), 23, 59))
    from_ten = RuleSpec("WEEKLY", byday="MO", opens_at=time(10))
    assert not is_open_at([from_ten], [], at(date(2026, 1, 19), 9, 59))
    assert is_open_at([from_ten], [], at(date(2026, 1, 19), 23, 0))
    until_midnight = RuleSpec("WEEKLY", byday="MO", opens_at=time(9), closes_at=END_OF_DAY)
    assert is_open_at([until_midnight], [], at(date(2026, 1, 19), 23, 59))


def test_until_a_time_is_a_closing_time():
    (saturday,) = parse_schedule_text("土曜日は18時まで")
    assert (saturday.byday, saturday.opens_at, saturday.closes_at) == ("SA", None, time(18))


@pytest.mark.parametrize(
    ("note", "saturday", "sunday"),
    [
        ("土曜日は18時まで", (time(9), time(18)), (time(9), time(21))),
        ("土日祝18時まで", (time(9), time(18)), (time(9), time(18))),
        ("土曜日は10時から", (time(10), time(21)), (time(9), time(21))),
    ],
)
def test_a_note_with_hours_for_some_days_overrides_those_days(note, saturday, sunday):
    rules = with_note(parse_schedule_text("毎日", "9:00", "21:00", note), note)
    hours = {
        day: (rule.opens_at, rule.closes_at) for rule in rules for day in rule.byday.split(",")
    }
    assert hours["MO"] == (time(9), time(21))
    assert (hours["SA"], hours["SU"]) == (saturday, sunday)


def test_a_note_without_hours_or_unreadable_changes_nothing():
    rules = parse_schedule_text("月〜金", "9:00", "17:00")
    assert with_note(rules, "祝日、年末年始を除く") == rules
    assert with_note(rules, "臨時休館あり。詳しくはお問い合わせください") == rules


def test_an_aware_moment_is_read_in_japan_time():
    # 00:30 UTC is 09:30 in Tokyo.
    utc = datetime(2026, 1, 19, 0, 30, tzinfo=UTC)
    assert is_open_at([MONDAY_OFFICE], [], utc)
    naive_local = datetime.combine(date(2026, 1, 19), time(9, 30))
    assert is_open_at([MONDAY_OFFICE], [], naive_local)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(date(2026, 1, 14), 9, 0), date(2026, 1, 14)),  # later today
        (at(date(2026, 1, 14), 11, 59), date(2026, 1, 14)),  # open now
        (at(date(2026, 1, 14), 12, 0), date(2026, 1, 28)),  # closed for today
        (at(date(2026, 1, 29), 8, 0), date(2026, 2, 25)),  # 2/11 is a holiday
    ],
)
def test_next_occurrence(moment, expected):
    assert next_occurrence([SALON], [], moment) == Occurrence(expected, time(10), time(12))


def test_next_occurrence_of_an_all_day_rule_counts_today_until_midnight():
    all_day = RuleSpec("WEEKLY", byday="MO")
    assert next_occurrence([all_day], [], at(date(2026, 1, 19), 23, 30)).date == date(2026, 1, 19)


def test_next_occurrence_looks_about_400_days_ahead_and_no_further():
    after = at(date(2026, 1, 1))
    soon = RuleSpec("WEEKLY", byday="MO", valid_from=date(2026, 12, 1))
    assert next_occurrence([soon], [], after).date == date(2026, 12, 7)
    too_far = replace(soon, valid_from=date(2028, 1, 1))
    assert next_occurrence([too_far], [], after) is None
    over = replace(soon, valid_from=None, valid_to=date(2025, 12, 31))
    assert next_occurrence([over], [], after) is None


def test_this_week_runs_from_today_for_seven_days():
    found = this_week([SALON, MONDAY_OFFICE], [], date(2026, 1, 14))
    assert found == [
        Occurrence(date(2026, 1, 14), time(10), time(12)),
        Occurrence(date(2026, 1, 19), time(9), time(17)),
    ]
    assert dates(this_week([MONDAY_OFFICE], [], date(2026, 1, 20))) == [date(2026, 1, 26)]


# --- words and RRULE -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (SALON, "毎月第2・第4水曜日 10:00〜12:00（祝日を除く）"),
        (
            RuleSpec("WEEKLY", byday="MO,WE,FR", opens_at=time(9), closes_at=time(17), closed_on_holidays=False),
            "毎週月・水・金 9:00〜17:00（祝日も開館）",
        ),
        (RuleSpec("WEEKLY", byday=WEEKDAYS), "毎週月〜金（祝日を除く）"),
        (RuleSpec("WEEKLY", byday="MO,TU,WE,FR"), "毎週月〜水・金（祝日を除く）"),
        (RuleSpec("WEEKLY", byday=EVERY_DAY, closed_on_holidays=False), "毎日"),
        (RuleSpec("WEEKLY", byday="WE", interval=2), "隔週水曜日（祝日を除く）"),
        (RuleSpec("MONTHLY", byday="-1FR", opens_at=time(13, 30), closes_at=time(15, 30)), "毎月最終金曜日 13:30〜15:30（祝日を除く）"),
        (RuleSpec("MONTHLY", bymonthday="1,15"), "毎月1日・15日（祝日を除く）"),
        (RuleSpec("MONTHLY", bymonthday="-1"), "毎月末日（祝日を除く）"),
        (RuleSpec("WEEKLY", byday="MO", opens_at=time(10)), "毎週月曜日 10:00〜（祝日を除く）"),
        (RuleSpec("WEEKLY", byday="SA", opens_at=time(9), closes_at=END_OF_DAY), "毎週土曜日 9:00〜24:00（祝日を除く）"),
    ],
)  # fmt: skip
def test_describe(rule, text):
    assert describe(rule) == text


@pytest.mark.parametrize(
    "text",
    [
        "毎月第2・第4水曜日 10:00～12:00",
        "月～金 8:30～17:15",
        "月〜水・金 9:00〜12:00",
        "土日祝 10:00〜16:00",
        "毎日",
        "毎月最終金曜日 13:30～15:30",
        "毎月1日・15日・末日 10時〜正午",
        "隔週水曜日 17:00〜24:00",
        "月〜金 9:00〜17:00、土 9:00〜12:00（祝日も開館）",
    ],
)
def test_describe_reads_back_into_the_same_rules(text):
    rules = parse_schedule_text(text)
    # The edit form shows the rules joined by 「、」 and reads them back on save.
    again = parse_schedule_text("、".join(describe(rule) for rule in rules))
    assert [replace(r, description="") for r in again] == [
        replace(r, description="") for r in rules
    ]


@pytest.mark.parametrize(
    ("rule", "rrule"),
    [
        (SALON, "FREQ=MONTHLY;BYDAY=2WE,4WE"),
        (RuleSpec("MONTHLY", byday="-1FR"), "FREQ=MONTHLY;BYDAY=-1FR"),
        (RuleSpec("WEEKLY", byday="MO,WE,FR"), "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
        (RuleSpec("WEEKLY", byday="WE", interval=2), "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"),
        (RuleSpec("MONTHLY", bymonthday="1,15"), "FREQ=MONTHLY;BYMONTHDAY=1,15"),
    ],
)
def test_to_rrule(rule, rrule):
    assert to_rrule(rule) == rrule


@pytest.mark.parametrize(
    "text", ["毎月第2・第4水曜日", "毎月最終金曜日", "隔週水曜日", "月・水・金", "毎月1日・15日"]
)
def test_to_rrule_carries_every_recurrence_field(text):
    [rule] = parse_schedule_text(text)
    fields = dict(part.split("=") for part in to_rrule(rule).split(";"))
    assert fields.pop("FREQ") == rule.freq
    assert int(fields.pop("INTERVAL", "1")) == rule.interval
    assert fields.pop("BYDAY", "") == rule.byday
    assert fields.pop("BYMONTHDAY", "") == rule.bymonthday
    assert fields == {}


def test_rules_read_from_text_fall_on_the_dates_they_describe():
    [rule] = parse_schedule_text("毎月最終金曜日 13:30～15:30")
    assert occurrences([rule], [], date(2026, 1, 1), date(2026, 1, 31)) == [
        Occurrence(date(2026, 1, 30), time(13, 30), time(15, 30))
    ]
    assert weekday_mask(rule.freq, rule.byday, rule.bymonthday) == 0b0010000
