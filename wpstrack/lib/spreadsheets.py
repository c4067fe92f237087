"""Writing cells that people typed into spreadsheets and CSV files without letting them run.

Text beginning with =, +, - or @ is a formula to Excel and LibreOffice (formula injection:
``=HYPERLINK(...)`` or ``=cmd|...``). We store such text as typed, and on the way out: in .xlsx it is
written as a string cell with Excel's quote prefix (shown as text, still text after editing); in
CSV it gets a leading apostrophe, which the CSV import takes off again so a round trip is exact.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import IO, Any

import xlsxwriter

RISKY = ("=", "+", "-", "@", "\t", "\r")


def new_workbook(output: IO[bytes]) -> xlsxwriter.Workbook:
    """An in-memory workbook that never turns strings into formulas, links or numbers."""
    return xlsxwriter.Workbook(
        output,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "remove_timezone": True,
        },
    )


def is_risky(text: str) -> bool:
    return text.startswith(RISKY)


def write_cell(
    sheet: Any, row: int, col: int, value: Any, fmt: Any = None, text_fmt: Any = None
) -> None:
    """Write a value by its type; text never becomes a formula (``text_fmt`` has quote_prefix)."""
    if value is None or value == "":
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, col, float(value), fmt)
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, value, fmt)
    else:
        text = str(value)
        sheet.write_string(row, col, text, text_fmt if text_fmt and is_risky(text) else fmt)


def csv_cell(value: Any) -> str:
    """A value for a CSV file, neutralised if a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if is_risky(text) else text


def from_csv_cell(text: str) -> str:
    """Undo ``csv_cell``: an apostrophe before a risky character was ours."""
    if text.startswith("'") and is_risky(text[1:]):
        return text[1:]
    return text
