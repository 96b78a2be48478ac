"""Exports that a spreadsheet opens safely: text that looks like a formula stays text.

A name, title or note typed as `=HYPERLINK("http://x","y")`, `+1+1`, `-2+3` or `@SUM(A1)`
must not become a live formula in the municipality's Excel (OWASP: CSV injection). Every
export goes through this module:

- CSV: `csv_cell` puts a single quote in front of such text (the quote Excel reads as "this
  is text"); `csv_uncell` takes exactly that quote away again, so that re-importing our own
  file changes nothing.
- Excel: `workbook_bytes` saves a workbook after turning every such cell into a text cell with
  Excel's quote prefix set, so it shows as typed and stays text even when edited.

Only text is touched: numbers, dates and text that is just a number ("-2", "+3.5") stay as
they are, since a spreadsheet reads them as numbers, never as formulas.

Besides = + - @ and a leading tab or carriage return, the full-width ＝ ＋ － ＠ are escaped:
Japanese Excel turns them into formulas when they are typed, and we could not rule out that
it does so when it opens a file. The cost is one quote before such rare text.
"""

import io
import re

from django.utils.functional import Promise

FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
QUOTE = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def looks_like_formula(text: str) -> bool:
    """Would a spreadsheet read this text (after any quotes we added) as a formula?"""
    bare = text.lstrip(QUOTE)
    if not bare or bare[0] not in FORMULA_STARTS:
        return False
    # A number is read as a number; quotes in front of one are someone's data, kept as is.
    return bare != text or not _PLAIN_NUMBER.fullmatch(text)


def csv_cell(value: object) -> object:
    """The value to write in a CSV field: text that a spreadsheet would run gets a quote.

    Text that already starts with quotes before such a character gets one more, so that
    `csv_uncell` gives back exactly what was written.
    """
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and looks_like_formula(value):
        return QUOTE + value
    return value


def csv_uncell(text: str) -> str:
    """The text a field of one of our CSV exports stood for (the inverse of `csv_cell`)."""
    if text.startswith(QUOTE) and looks_like_formula(text[1:]):
        return text[1:]
    return text


def protect_workbook(book) -> None:
    """Make every formula-like text cell of an openpyxl workbook a text cell shown as typed.

    openpyxl stores any string starting with "=" as a formula; our exports never write real
    formulas, so every such cell came from data.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and looks_like_formula(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def workbook_bytes(book) -> bytes:
    """The workbook as .xlsx bytes, with formula-like text made harmless first."""
    protect_workbook(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
