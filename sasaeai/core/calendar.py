"""Working days, with Japanese public holidays from jpholiday and the year-end closure."""

from datetime import date, timedelta

import jpholiday


def is_closed_day(day: date) -> bool:
    """Saturdays, Sundays, public holidays and the 12/29–1/3 closure of municipal offices."""
    year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return day.weekday() >= 5 or jpholiday.is_holiday(day) or year_end


def holiday_name(day: date) -> str | None:
    return jpholiday.is_holiday_name(day)


def add_working_days(start: date, days: int) -> date:
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if not is_closed_day(day):
            remaining -= 1
    return day
