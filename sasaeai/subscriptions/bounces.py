"""Bounce lists as mail servers export them: one address a line, or CSV whose first column is
the address and whose optional second column says permanent (5xx, hard) or soft (4xx).

The whole file is checked first; a single bad line refuses the file and nothing is saved.
Addresses that are not subscribers are counted and skipped (a server's export lists all mail).
"""

import csv
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from sasaeai.accounts.policy import Actor
from sasaeai.core.csvio import CsvEncodingError, decode_csv_bytes
from sasaeai.core.spreadsheet import csv_uncell
from sasaeai.subscriptions.services import bounce_record, normalise_email

PERMANENT_WORDS = {"", "hard", "permanent", "perm", "bounce", "bounced", "恒久", "ハード"}
SOFT_WORDS = {"soft", "transient", "temporary", "一時", "ソフト"}
MAX_LINES = 200_000


class BounceFileError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class BounceResult:
    bounced: int = 0
    soft: int = 0
    unknown: int = 0


def read_bounces(data: bytes, *, all_soft: bool = False) -> list[tuple[str, bool]]:
    """(address, permanent) per line; BounceFileError lists every problem with its line."""
    try:
        text, _encoding = decode_csv_bytes(data)
    except CsvEncodingError as error:
        raise BounceFileError([str(error)]) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if len(rows) > MAX_LINES:
        raise BounceFileError([_("The file has more than %(max)d lines.") % {"max": MAX_LINES}])
    found, problems = [], []
    for number, row in enumerate(rows, start=1):
        cells = [csv_uncell(cell).strip() for cell in row]
        if not cells or not cells[0]:
            continue
        address = cells[0].strip("<>")
        if number == 1 and "@" not in address:
            continue  # a header line ("email", "メールアドレス")
        try:
            validate_email(normalise_email(address))
        except ValidationError:
            problems.append(
                _("Line %(line)d: “%(value)s” is not an e-mail address.")
                % {"line": number, "value": address[:80]}
            )
            continue
        kind = cells[1].lower() if len(cells) > 1 else ""
        if kind in PERMANENT_WORDS or kind.startswith("5"):
            permanent = True
        elif kind in SOFT_WORDS or kind.startswith("4"):
            permanent = False
        else:
            problems.append(
                _("Line %(line)d: unknown kind of bounce “%(value)s” (use hard, soft, 5xx or 4xx).")
                % {"line": number, "value": cells[1][:40]}
            )
            continue
        found.append((normalise_email(address), permanent and not all_soft))
    if problems:
        raise BounceFileError(problems)
    if not found:
        raise BounceFileError([_("The file lists no e-mail address.")])
    return found


def bounces_import(
    *, actor: Actor, tenant_id: int, data: bytes, all_soft: bool = False
) -> BounceResult:
    entries = read_bounces(data, all_soft=all_soft)
    result = BounceResult()
    with transaction.atomic():
        for email, permanent in entries:
            subscriber = bounce_record(
                actor=actor, tenant_id=tenant_id, email=email, permanent=permanent
            )
            if subscriber is None:
                result.unknown += 1
            elif permanent:
                result.bounced += 1
            else:
                result.soft += 1
    return result
