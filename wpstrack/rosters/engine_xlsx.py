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
from collections.abc import Collection
from operator import itemgetter
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
from django.utils.translation import gettext as _

from wpstrack.workbooks import filecheck
from wpstrack.workbooks.report import FileRefused

MAX_CELLS = 40_000_000
EXCEL_ROWS = 1_048_576
SMALL_SHEET = 4 << 20
CHUNK = 8 << 20
OVERLAP = 64
DIMENSION = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?dimension ref="([A-Z]{1,3})?([0-9]{0,7}):?([A-Z]{1,3})?([0-9]{0,7})"'
)
# A DTD, and a namespace-prefixed cell (which the counts of ``_unreferenced`` would not see),
# each looked for only in a window holding a byte it needs ("!", ":"): memchr-fast when absent.
# An r attribute written any other way than <c r="A1" (quotes, spaces, tabs) makes the counts
# of ``_unreferenced`` differ, so it needs no search of its own.
RARE = {
    b"!": re.compile(rb"<!"),
    b":": re.compile(rb"<[\w.-]+:c[\s>/]"),
}
CELL_TAG = re.compile(rb"<c[\s>/]")


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
    """The sheet calamine will read, streamed: no DTD, every cell written <c r="A1" ...>, and no
    cell or row beyond the extent its <dimension> declares, which must itself fit MAX_CELLS.
    A small sheet goes through filecheck's own scan instead (it holds the sheet in memory)."""
    info = archive.getinfo(part)
    if info.file_size <= SMALL_SHEET:
        xml = archive.read(info)
        filecheck._refuse_doctype(part, xml)
        scan = filecheck._scan_sheet(part, xml)
        if scan.max_row * max(scan.max_col, 1) > MAX_CELLS:
            raise _too_big()
        return
    far: re.Pattern[bytes] | None = None
    tail, total = b"", 0
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            total += len(chunk)
            if total > cap:
                raise XlsxRefused("unpacked-too-large", _("The sheet unpacks to too much data."))
            window = tail + chunk
            far = far or _far_pattern(window)
            if far.search(window) or _rare(window) or _unreferenced(window, tail):
                raise _not_standard()
            tail = window[-OVERLAP:]


def _rare(window: bytes) -> bool:
    return any(byte in window and odd.search(window) for byte, odd in RARE.items())


def _unreferenced(window: bytes, tail: bytes) -> bool:
    """Whether a cell lacks r="A1", so written, as its first attribute (calamine would place it
    after the previous cell, or read a reference the far pattern does not see). Counted with
    bytes.count; the regex runs only on a window that also holds other tags starting "<c"."""
    referenced = window.count(b'<c r="') - tail.count(b'<c r="')
    if window.count(b"<c") - tail.count(b"<c") == referenced:
        return False
    return len(CELL_TAG.findall(window)) - len(CELL_TAG.findall(tail)) != referenced


def _far_pattern(head: bytes) -> re.Pattern[bytes]:
    """A pattern for any reference beyond the declared extent, or with a leading zero."""
    found = DIMENSION.search(head)
    if found is None:
        raise _not_standard()
    last_col = (found.group(3) or found.group(1) or b"A").decode()
    last_row = int(found.group(4) or found.group(2) or 1)
    if last_row > EXCEL_ROWS or filecheck.column_number(last_col) * last_row > MAX_CELLS:
        raise _too_big()
    columns = _letters_after(last_col)
    rows = _numbers_after(last_row)
    return re.compile(
        rb' r="(?:(?:' + columns + rb")[0-9]|[A-Z]{0,3}(?:" + rows + rb')"|[A-Z]{0,3}0)'
    )


def _numbers_after(number: int) -> bytes:
    """A regex for whole numbers (no leading zero) greater than ``number``."""
    digits = str(number)
    options = [f"[1-9][0-9]{{{len(digits)},}}"]
    for i, digit in enumerate(digits):
        if digit != "9":
            rest = len(digits) - i - 1
            options.append(f"{digits[:i]}[{int(digit) + 1}-9][0-9]{{{rest}}}")
    return "|".join(options).encode()


def _letters_after(letters: str) -> bytes:
    """A regex for column letters after ``letters`` (AA after Z, B after AZ)."""
    options = [f"[A-Z]{{{len(letters) + 1},}}"]
    for i, letter in enumerate(letters):
        if letter != "Z":
            rest = len(letters) - i - 1
            options.append(f"{letters[:i]}[{chr(ord(letter) + 1)}-Z][A-Z]{{{rest}}}")
    return "|".join(options).encode()


def _not_standard() -> XlsxRefused:
    return XlsxRefused(
        "corrupt-file",
        _(
            "The sheet is not written as spreadsheet programs write it; open it in Excel or "
            "LibreOffice and save it again, or export it as CSV."
        ),
    )


def _too_big() -> XlsxRefused:
    return XlsxRefused(
        "too-many-cells",
        _("The sheet is larger than %(n)s cells; export it as CSV or Parquet instead.")
        % {"n": MAX_CELLS},
    )


def read_table(path: Path, sheet: str, wanted: Collection[str] | None = None) -> pa.Table:
    """The sheet as an Arrow table of text columns (dates as ISO text), via calamine and Polars:
    calamine returns the cells row by row, Polars turns each column of a batch into text in Rust.
    Only the ``wanted`` headers (matched trimmed, any case) are kept, all when None."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    try:
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=True)
    finally:
        book.close()
    if not rows:
        raise XlsxRefused("no-header", _("The sheet is empty: it has no header row."))
    headers = _headers(rows[0])
    folded = {w.strip().lower() for w in wanted} if wanted is not None else None
    keep = [n for n, name in enumerate(headers) if folded is None or name.lower() in folded]
    # One column at a time (itemgetter over the rows runs in C), each turned into text by Polars.
    # to_python over iter_rows: measured faster, and calamine's own range dominates the memory.
    series = [_text_column(headers[n], list(map(itemgetter(n), rows[1:]))) for n in keep]
    del rows
    return pl.DataFrame(series).to_arrow(compat_level=pl.CompatLevel.oldest())


def _text_column(name: str, values: list[Any]) -> pl.Series:
    column = pl.Series(name, values, dtype=pl.String, strict=False)
    # calamine gives numbers as floats: 1811.0 is the series code "1811" as typed.
    return column.str.replace(r"^(-?\d+)\.0$", "${1}").str.strip_suffix(" 00:00:00")


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
