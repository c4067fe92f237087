"""An uploaded .xlsx roster, checked for hostile content and handed to DuckDB as Arrow columns.

Why not ``filecheck.inspect`` as is: it holds every part unpacked in memory and lists every cell
reference, which for a million-row roster is gigabytes. So the small parts go through its checks
unchanged (DTDs, parts named alike, the sheet found as calamine finds it), and the one sheet we read
is streamed in chunks, refused if any cell reference lies beyond Excel's grid or is written in a
form the byte scan could misread (the same reasoning as ``filecheck._scan_sheet``).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.utils.translation import gettext as _

from wpstrack.workbooks import filecheck
from wpstrack.workbooks.report import FileRefused

MAX_ROWS = 1_048_576  # Excel's grid
MAX_COLUMNS = 702  # up to ZZ; a roster with more columns is not an extract
MAX_CELLS = 40_000_000
CHUNK = 8 << 20
OVERLAP = 64
# A reference beyond the grid (3-letter column, 8-digit row), with a leading zero, or any r
# attribute not written r="..." right after the tag name's space: refused, never guessed at.
FAR_OR_ODD = re.compile(
    rb'\br="(?:[A-Z]{3}|[A-Z]{1,2}0|[A-Z]{1,2}[0-9]{8})'
    rb"|\br\s+=|\br=\s|\br='"
)
COLUMN_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c r="([A-Z]{2})[0-9]')


class XlsxRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_and_find_sheet(path: Path, sheet: str, max_unpacked: int) -> str:
    """The name of the sheet to read (``sheet`` or the first) after the hostile-file checks."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts, sheet_paths = _small_parts(archive, max_unpacked)
            sheets = filecheck._sheet_parts(parts)
            if not sheets:
                raise XlsxRefused("no-sheet", _("The workbook has no sheet."))
            name = _choose(list(sheets), sheet)
            _scan_sheet(archive, sheet_paths[sheets[name]], max_unpacked)
            return name
    except FileRefused as refused:
        raise XlsxRefused(refused.problem.code, refused.problem.message) from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise XlsxRefused(
            "corrupt-file", _("The file is damaged: it is not a complete .xlsx workbook.")
        ) from None


def _small_parts(archive: zipfile.ZipFile, cap: int) -> tuple[dict[str, bytes], dict[bytes, str]]:
    """Every XML part but the worksheets, checked as filecheck checks them; worksheets stand in as
    a marker naming their part (``_sheet_parts`` only looks them up), to be streamed later."""
    members = archive.infolist()
    names = [info.filename for info in members]
    if len({name.lower() for name in names}) != len(names):
        raise XlsxRefused("corrupt-file", _("Two parts of the workbook have the same name."))
    if "mimetype" in names:
        raise XlsxRefused(
            "ods-file", _("This is an OpenDocument spreadsheet (.ods), not an .xlsx workbook.")
        )
    if len(members) > filecheck.MAX_MEMBERS or "xl/vbaProject.bin" in names:
        raise XlsxRefused("not-a-roster", _("This workbook holds macros or too many parts."))
    if sum(info.file_size for info in members) > cap:
        raise XlsxRefused(
            "unpacked-too-large",
            _("The file unpacks to more than %(mb)s MB.") % {"mb": cap >> 20},
        )
    parts: dict[str, bytes] = {}
    markers: dict[bytes, str] = {}
    for info in members:
        if info.flag_bits & 0x1:
            raise XlsxRefused("password-protected", _("The workbook is encrypted."))
        if not info.filename.endswith((".xml", ".rels")):
            continue
        if info.filename.lower().startswith("xl/worksheets/") and info.file_size > 1 << 20:
            marker = f"\x00{len(markers)}".encode()
            markers[marker] = info.filename
            parts[info.filename] = marker
            continue
        body = archive.read(info)
        filecheck._refuse_doctype(info.filename, body)
        parts[info.filename] = body
        markers[body] = info.filename
    return parts, markers


def _choose(names: list[str], wanted: str) -> str:
    if not wanted:
        return names[0]
    for name in names:
        if name.strip().lower() == wanted.strip().lower():
            return name
    raise XlsxRefused(
        "no-sheet",
        _("The workbook has no sheet %(sheet)s; its sheets are: %(sheets)s.")
        % {"sheet": wanted, "sheets": ", ".join(names)},
    )


def _scan_sheet(archive: zipfile.ZipFile, part: str, cap: int) -> None:
    """Stream the sheet: no DTD, no reference beyond the grid, no oddly written reference, and
    a rectangle (last row x widest column) calamine can hold."""
    total, tail, last_row, two_letter, digits = 0, b"", 0, b"", 1
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            total += len(chunk)
            if total > cap:
                raise XlsxRefused("unpacked-too-large", _("The sheet unpacks to too much data."))
            window = tail + chunk
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window or FAR_OR_ODD.search(window):
                raise XlsxRefused(
                    "corrupt-file",
                    _("The sheet is not written as a spreadsheet program writes it."),
                )
            two_letter = max([two_letter, *COLUMN_REF.findall(window)])
            last_row = _last_row(window, last_row)
            while re.search(rb'\br="[A-Z]{0,3}[0-9]{%d}' % (digits + 1), window):
                digits += 1
            tail = window[-OVERLAP:]
    columns = filecheck.column_number(two_letter) if two_letter else 26
    if digits > len(str(last_row)):  # a cell far below the last row: calamine would reach it
        raise XlsxRefused(
            "corrupt-file", _("The sheet has a cell below its last row; save it again.")
        )
    if (
        min(columns, MAX_COLUMNS) * 10 ** len(str(last_row)) > MAX_CELLS * 10
        or columns > MAX_COLUMNS
    ):
        raise XlsxRefused(
            "too-many-cells",
            _("The sheet is larger than %(n)s cells; export it as CSV or Parquet instead.")
            % {"n": MAX_CELLS},
        )


def _last_row(window: bytes, last_row: int) -> int:
    """The digits of the largest row number bound every row: 7-digit rows are < 10,000,000, so
    ``FAR_OR_ODD`` already caps them; here the last row element gives the common case."""
    found = re.findall(rb'<(?:[A-Za-z_][\w.-]*:)?row r="([0-9]{1,7})"', window[-(1 << 16) :])
    return max([last_row, *(int(r) for r in found)])


def read_table(path: Path, sheet: str) -> pa.Table:
    """The sheet as an Arrow table of text columns (dates as ISO text), via calamine and Polars:
    calamine returns the cells, Polars turns each column into text in Rust."""
    import polars as pl
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    try:
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=True)
    finally:
        book.close()
    if not rows:
        raise XlsxRefused("no-header", _("The sheet is empty: it has no header row."))
    headers = _headers(rows[0])
    columns: list[Any] = list(zip(*rows[1:], strict=True)) if len(rows) > 1 else []
    del rows
    series = []
    for number, name in enumerate(headers):
        values = columns[number] if columns else ()
        column = pl.Series(name, values, dtype=pl.String, strict=False)
        # calamine gives numbers as floats: 1811.0 is the series code "1811" as typed.
        series.append(column.str.replace(r"^(-?\d+)\.0$", "${1}").str.strip_suffix(" 00:00:00"))
    frame = pl.DataFrame(series)
    return frame.to_arrow(compat_level=pl.CompatLevel.oldest())


def _headers(row: list[Any]) -> list[str]:
    """Header texts made unique the way DuckDB's CSV reader does (a, a_1), blanks named."""
    seen: set[str] = set()
    headers = []
    for number, cell in enumerate(row):
        name = str(cell).strip() or f"column{number}"
        base, suffix = name, 1
        while name.lower() in seen:
            name, suffix = f"{base}_{suffix}", suffix + 1
        seen.add(name.lower())
        headers.append(name)
    return headers
