"""CSV in and out the way Japanese offices exchange it: UTF-8 with or without BOM, or CP932.

Fields that a spreadsheet would run as a formula are written with a leading quote and read
back without it (core.spreadsheet), so a round trip through our own files changes nothing.
"""

import csv
import io
from collections.abc import Iterable, Sequence

from sasaeai.core.spreadsheet import csv_cell, csv_uncell

ENCODINGS = ("utf-8-sig", "cp932")


class CsvEncodingError(ValueError):
    pass


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """Return the text and the encoding it was read in; refuse what is neither."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise CsvEncodingError(
        "文字コードを判別できません。UTF-8 または Shift_JIS(CP932) で保存してください。"
    )


def read_csv(data: bytes) -> tuple[list[dict[str, str]], str]:
    """Rows as dicts keyed by the header, and the encoding found. CRLF and LF both work."""
    text, encoding = decode_csv_bytes(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = [
        {key: csv_uncell(value) if isinstance(value, str) else value for key, value in row.items()}
        for row in reader
    ]
    return rows, encoding


def write_csv(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, encoding: str = "utf-8-sig"
) -> bytes:
    """UTF-8 with BOM by default, so that Excel opens it as Japanese; CP932 on request.

    Characters CP932 cannot hold (e.g. 髙 in some fonts' variants) become '?' rather than
    failing the whole export. Text a spreadsheet would run as a formula gets a leading quote.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        writer.writerow(["" if value is None else csv_cell(value) for value in row])
    errors = "replace" if encoding == "cp932" else "strict"
    return buffer.getvalue().encode(encoding, errors=errors)
