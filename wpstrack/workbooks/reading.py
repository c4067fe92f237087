"""Reading an uploaded template (after ``filecheck`` passed it) into tables of text cells.

Every cell becomes the text a person would have typed in the web form, so the one rule set in
``reporting.rules`` checks it: 12.0 -> "12", a date -> "2025-06-30", TRUE -> "yes".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook
from xlsxwriter.utility import xl_col_to_name

from wpstrack.lib.spreadsheets import from_csv_cell
from wpstrack.workbooks.filecheck import Inspection, SheetScan
from wpstrack.workbooks.layout import Column
from wpstrack.workbooks.report import FileRefused, Problem

MAX_CSV_ROWS = 200_000


@dataclass
class Sheet:
    name: str
    rows: list[list[str]]  # row 0 is the header
    scan: SheetScan = field(default_factory=lambda: SheetScan(""))


@dataclass
class Table:
    """A sheet whose headers matched: each row as {column key: text}, with where it came from."""

    sheet: str
    letters: dict[str, str]  # column key -> letter
    headers: dict[str, str]  # column key -> header as found
    rows: list[tuple[int, dict[str, str]]]  # (row number as Excel counts, cells)
    _by_number: dict[int, dict[str, str]] | None = field(default=None, repr=False)

    def cell(self, row: int, key: str) -> str:
        return f"{self.letters.get(key, 'A')}{row}"

    def rows_by_number(self) -> dict[int, dict[str, str]]:
        if self._by_number is None:
            self._by_number = dict(self.rows)
        return self._by_number


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes, inspection: Inspection) -> dict[str, Sheet]:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = {}
        for name in book.sheet_names:
            raw = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            sheets[name] = Sheet(
                name,
                [[text_of(v) for v in row] for row in raw],
                inspection.sheets.get(name, SheetScan(name)),
            )
    except (CalamineError, ValueError, OSError) as error:
        raise FileRefused(
            "corrupt-file",
            _("The workbook could not be read (%(detail)s).") % {"detail": str(error)[:120]},
        ) from None
    return sheets


def read_csv(data: bytes, name: str) -> Sheet:
    """A CSV in UTF-8 (with or without BOM) or, failing that, Windows-1252 as Excel saves it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = []
    try:
        for number, row in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ):
            if number > MAX_CSV_ROWS:
                raise FileRefused(
                    "too-many-cells",
                    _("The file has more than %(n)s rows.") % {"n": MAX_CSV_ROWS},
                )
            rows.append([from_csv_cell(cell) for cell in row])
    except csv.Error as error:
        raise FileRefused(
            "corrupt-file", _("The CSV file could not be read: %(e)s") % {"e": error}
        ) from None
    return Sheet(name, rows)


def match_columns(sheet: Sheet, columns: list[Column], problems: list[Problem]) -> Table | None:
    """Map headers to columns. Reordered columns are fine when the headers match; missing,
    renamed, duplicate and extra ones are each reported at their header cell."""
    header = sheet.rows[0] if sheet.rows else []
    known = {c.key: {c.english.casefold(), c.header.casefold(), c.key} for c in columns}
    found: dict[str, int] = {}
    extras: list[int] = []
    # Counted from here, so a duplicate column stops the rows too: read on, its figures were
    # each reported again as "outside the template's columns".
    start = len(problems)
    for index, text in enumerate(header):
        label = text.strip().casefold()
        if not label:
            continue
        key = next((k for k, names in known.items() if label in names), None)
        if key is None:
            extras.append(index)
        elif key in found:
            problems.append(
                _at(
                    sheet,
                    index,
                    "duplicate-column",
                    _("Column %(h)r appears twice.") % {"h": text},
                    text,
                )
            )
        else:
            found[key] = index
    missing = [c for c in columns if c.key not in found]
    for column in missing:
        position = columns.index(column)
        renamed = next(
            (i for i in extras if i == position and all(v != i for v in found.values())), None
        )
        if renamed is not None:
            extras.remove(renamed)
            problems.append(
                _at(
                    sheet,
                    renamed,
                    "renamed-column",
                    _("Column %(letter)s is headed %(found)r; it should be %(header)r.")
                    % {
                        "letter": xl_col_to_name(renamed),
                        "found": header[renamed],
                        "header": column.header,
                    },
                    header[renamed],
                )
            )
        else:
            problems.append(
                Problem(
                    "missing-column",
                    _("The column %(header)r is missing.") % {"header": column.header},
                    sheet.name,
                    "",
                    column.header,
                )
            )
    for index in extras:
        problems.append(
            _at(
                sheet,
                index,
                "extra-column",
                _("Column %(letter)s (%(found)r) is not part of the template.")
                % {"letter": xl_col_to_name(index), "found": header[index]},
                header[index],
            )
        )
    if len(problems) > start or not sheet.rows:
        return None
    table = Table(
        sheet.name,
        {key: xl_col_to_name(index) for key, index in found.items()},
        {key: header[index] for key, index in found.items()},
        [],
    )
    used = set(found.values())
    stray: set[int] = set()
    for number, row in enumerate(sheet.rows[1:], start=2):
        cells = {key: (row[index] if index < len(row) else "") for key, index in found.items()}
        for index, value in enumerate(row):
            if index not in used and index not in stray and value.strip():
                stray.add(index)  # once per column is enough to find it
                problems.append(
                    _at(
                        sheet,
                        index,
                        "extra-column",
                        _("Cell %(cell)s lies outside the template's columns.")
                        % {"cell": f"{xl_col_to_name(index)}{number}"},
                        value,
                        row=number,
                    )
                )
        if any(v.strip() for v in cells.values()):
            table.rows.append((number, cells))
    return table


def _at(sheet: Sheet, index: int, code: str, message: str, value: str, row: int = 1) -> Problem:
    header = sheet.rows[0][index] if sheet.rows and index < len(sheet.rows[0]) else ""
    return Problem(
        code, message, sheet.name, f"{xl_col_to_name(index)}{row}", header[:100], value[:200]
    )
