"""Fiscal years (年度: April to March) and the Japanese era (和暦) they are shown with."""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Era:
    name: str
    start: date


ERAS = (
    Era("明治", date(1868, 10, 23)),
    Era("大正", date(1912, 7, 30)),
    Era("昭和", date(1926, 12, 25)),
    Era("平成", date(1989, 1, 8)),
    Era("令和", date(2019, 5, 1)),
)


def fiscal_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    return date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)


def era_of_fiscal_year(fiscal_year: int) -> tuple[Era, int]:
    """The era a fiscal year is named in, and its year number within that era.

    An era that begins during a fiscal year names it (FY2019, which began under 平成, is
    令和元年度), unless it began only in the January to March tail, as 平成 did in 1989:
    FY1988 stays 昭和63年度.
    """
    _, end = fiscal_year_bounds(fiscal_year)
    for era in reversed(ERAS):
        if era.start <= end and era.start.year <= fiscal_year:
            return era, fiscal_year - era.start.year + 1
    raise ValueError(f"No era for fiscal year {fiscal_year}")


def era_year_label(fiscal_year: int) -> str:
    era, number = era_of_fiscal_year(fiscal_year)
    return f"{era.name}{'元' if number == 1 else number}"


def fiscal_year_label(fiscal_year: int) -> str:
    """令和7年度（2025年度）"""
    return _("%(era)s fiscal year (FY%(year)s)") % {
        "era": era_year_label(fiscal_year),
        "year": fiscal_year,
    }


def wareki_date(day: date) -> str:
    """令和7年4月1日"""
    era = next(e for e in reversed(ERAS) if e.start <= day)
    number = day.year - era.start.year + 1
    return f"{era.name}{'元' if number == 1 else number}年{day.month}月{day.day}日"
