"""An uploaded .xlsx roster, checked for hostile content and handed to the engine as Arrow columns.

Why not ``filecheck.inspect`` as is: it holds every part unpacked in memory and lists every cell
reference, which for a million-row roster is gigabytes. So the small parts go through its checks
unchanged (DTDs, parts named alike, the sheet found as calamine finds it), and the one sheet we read
is streamed in chunks, refused if any cell reference lies beyond Excel's grid or is written in a
form the byte scan could misread (the same reasoning as ``filecheck._scan_sheet``). Only then does
fastexcel (calamine straight to Arrow) read the sheet's mapped columns.
"""

from __future__ import annotations

import re
import zipfile
from collections import deque
from collections.abc import Collection
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext as _

from wpstrack.rosters import engine_xlsx_slabs as slabs
from wpstrack.workbooks import filecheck
from wpstrack.workbooks.report import FileRefused

MAX_CELLS = 40_000_000
EXCEL_ROWS = 1_048_576
SMALL_SHEET = 4 << 20
CHUNK = 8 << 20
PARSERS = 2  # slabs parsed at once (each on a core of its own)
OVERLAP = 4096  # more than any match of ``_refusals`` needs: each has a bounded length
DIMENSION = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?dimension ref="([A-Z]{1,3})?([0-9]{0,7}):?([A-Z]{1,3})?([0-9]{0,7})"'
)
SPACE = rb"[ \t\n\r\f\x0b]"
# What the streamed scan refuses besides references beyond the extent (``_far_pattern``), each
# of bounded length so that a window overlapping the last by OVERLAP bytes finds it whole:
# a DTD, comment or CDATA; a cell whose first attribute is not r="..." (calamine would place it
# after the previous cell); a reference not written [A-Z]{0,3}[0-9]{1,7} (lower case, "$", signs).
# A namespace-prefixed cell (<x:c>) is looked for as its last bytes ("x:c "), which text may hold
# too ("Ratio:c ..."): such a window is looked at again by ``_prefixed_cell``.
REFUSED = (
    rb"<!|<c(?:[>/\t\n\r\f\x0b]| (?:[^r]|r[^=]|r=[^\x22]))"
    rb'| r="(?:[A-Z]{0,3}[^A-Z0-9]|[A-Z]{0,3}[0-9]{1,7}[^0-9\x22]|[A-Z]{0,3}[0-9]{8})'
)
PREFIXED_END = rb"[\w.-]:c" + SPACE.replace(b"]", b">/]")
PREFIXED_CELL = re.compile(rb"<[\w.-]+:c" + SPACE.replace(b"]", b">/]"))


class XlsxRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_and_find_sheet(path: Path, sheet: str, max_unpacked: int) -> tuple[str, str]:
    """The name of the sheet to read (``sheet`` or the first) and its part, after the
    hostile-file checks."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts, sheet_paths = _small_parts(archive, max_unpacked)
            sheets = filecheck._sheet_parts(parts)
            if not sheets:
                raise XlsxRefused("no-sheet", _("The workbook has no sheet."))
            name = _choose(list(sheets), sheet)
            part = sheet_paths[sheets[name]]
            _scan_sheet(archive, part, max_unpacked)
            return name, part
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
    A small sheet this refuses is looked at again by filecheck's own scan, which holds the sheet
    in memory and takes any way of writing a cell (but is slower: 1 s for 10,000 rows)."""
    info = archive.getinfo(part)
    try:
        with archive.open(info) as stream:
            _scan_stream(stream, cap)
    except XlsxRefused as refused:
        if info.file_size > SMALL_SHEET or refused.code == "unpacked-too-large":
            raise
        xml = archive.read(info)
        filecheck._refuse_doctype(part, xml)
        scan = filecheck._scan_sheet(part, xml)
        if scan.max_row * max(scan.max_col, 1) > MAX_CELLS:
            raise _too_big() from None


def _scan_stream(stream: IO[bytes], cap: int) -> None:
    """Inflate the sheet on this thread while another looks through the previous window with
    Arrow's regex engine (RE2, a DFA: several times Python's re); both let go of the GIL."""
    pending: Future[bool] | None = None
    pattern = b""
    tail, total = b"", 0
    with ThreadPoolExecutor(1) as pool:
        while chunk := stream.read(CHUNK):
            total += len(chunk)
            if total > cap:
                raise XlsxRefused("unpacked-too-large", _("The sheet unpacks to too much data."))
            window = tail + chunk
            pattern = pattern or _refusals(window)
            if pending is not None and pending.result():
                raise _not_standard()
            pending = pool.submit(_refused, window, pattern)
            tail = window[-OVERLAP:]
        if pending is not None and pending.result():
            raise _not_standard()


def _refusals(head: bytes) -> bytes:
    """Everything the scan refuses, as one RE2 pattern (what a window may not hold)."""
    return b"|".join([_far_pattern(head).pattern, REFUSED, PREFIXED_END])


def _refused(window: bytes, pattern: bytes) -> bool:
    # The window as a one-value Arrow array without a copy, and nothing kept in Arrow's own
    # memory pool, which would hold on to it while calamine needs the memory.
    offsets = pa.array([0, len(window)], pa.int32(), memory_pool=pa.system_memory_pool())
    text = pa.Array.from_buffers(pa.binary(), 1, [None, offsets.buffers()[1], pa.py_buffer(window)])
    found = pc.match_substring_regex(text, pattern.decode(), memory_pool=pa.system_memory_pool())
    if not found[0].as_py():
        return False
    # Something matched: refused, unless all that matched is text ending "x:c " (rare; the
    # whole pattern again without that part, in Python, and every such end looked at).
    strict = re.compile(pattern[: -len(PREFIXED_END) - 1])
    return bool(strict.search(window)) or _prefixed_cell(window)


def _prefixed_cell(window: bytes) -> bool:
    """Whether a tag named prefix:c is in the window, or might be (its "<" not in the window)."""
    for match in re.finditer(PREFIXED_END, window):
        opened, closed = window.rfind(b"<", 0, match.end()), window.rfind(b">", 0, match.end())
        if opened == closed == -1 or (
            opened > closed and PREFIXED_CELL.fullmatch(window, opened, match.end())
        ):
            return True
    return False


def _far_pattern(head: bytes) -> re.Pattern[bytes]:
    """A pattern for any reference beyond the declared extent, or with a leading zero; each
    alternative is of bounded length (more letters or digits than the extent's match at once)."""
    found = DIMENSION.search(head)
    if found is None:
        raise _not_standard()
    last_col = (found.group(3) or found.group(1) or b"A").decode()
    last_row = int(found.group(4) or found.group(2) or 1)
    if last_row > EXCEL_ROWS or filecheck.column_number(last_col) * last_row > MAX_CELLS:
        raise _too_big()
    columns = _letters_after(last_col)
    rows = _numbers_after(last_row)
    return re.compile(rb' r="(?:' + columns + rb"|[A-Z]{0,3}(?:" + rows + rb")|[A-Z]{0,3}0)")


def _numbers_after(number: int) -> bytes:
    """A regex for whole numbers (no leading zero) greater than ``number``: more digits, or as
    many (then the closing quote)."""
    digits = str(number)
    options = [f"[1-9][0-9]{{{len(digits)}}}"]
    for i, digit in enumerate(digits):
        if digit != "9":
            rest = len(digits) - i - 1
            options.append(f'{digits[:i]}[{int(digit) + 1}-9][0-9]{{{rest}}}"')
    return "|".join(options).encode()


def _letters_after(letters: str) -> bytes:
    """A regex for column letters after ``letters`` (AA after Z, B after AZ): more letters, or
    as many (then a digit)."""
    options = [f"[A-Z]{{{len(letters) + 1}}}"]
    for i, letter in enumerate(letters):
        if letter != "Z":
            rest = len(letters) - i - 1
            options.append(f"{letters[:i]}[{chr(ord(letter) + 1)}-Z][A-Z]{{{rest}}}[0-9]")
    return "|".join(options).encode()


def _not_standard() -> XlsxRefused:
    return XlsxRefused(
        "corrupt-file",
        _(
            "The sheet is not written as spreadsheet programs write it; open it in Excel or "
            "LibreOffice and save it again, or export it as CSV."
        ),
    )


def _damaged() -> XlsxRefused:
    return XlsxRefused(
        "corrupt-file", _("The file is damaged: it is not a complete .xlsx workbook.")
    )


def _too_big() -> XlsxRefused:
    return XlsxRefused(
        "too-many-cells",
        _("The sheet is larger than %(n)s cells; export it as CSV or Parquet instead.")
        % {"n": MAX_CELLS},
    )


def read_headers(path: Path, sheet: str, part: str) -> list[str]:
    """The sheet's header names as ``read_table`` names them, with no column turned into Arrow
    (an upload then leaves no Arrow or Polars memory behind for the run to add to); from the
    first slab of a large sheet (``engine_xlsx_slabs``), so calamine parses only that."""
    import fastexcel

    try:
        with zipfile.ZipFile(path) as archive:
            book = _first_slab(archive, part)
            columns = fastexcel.read_excel(book or str(path)).load_sheet(
                sheet, n_rows=1, eager=False
            )
            found = columns.available_columns()
    except fastexcel.FastExcelError:
        raise _damaged() from None
    if not found:
        raise XlsxRefused("no-header", _("The sheet is empty: it has no header row."))
    seen: set[str] = set()
    return [header_name(column.name, column.index, seen) for column in found]


def _first_slab(archive: zipfile.ZipFile, part: str) -> bytes | None:
    """A large sheet's first slab as a workbook; None for a sheet read whole."""
    if archive.getinfo(part).file_size <= 2 * slabs.SLAB:
        return None
    try:
        return next(slabs.workbooks(archive, part, slabs.WINDOW))  # a few MB of rows
    except slabs.NotSlabbed:
        return None


def read_table(
    path: Path, sheet: str, part: str, wanted: Collection[str] | None = None
) -> pl.DataFrame:
    """The sheet as a table of text columns (dates as ISO text), read by fastexcel
    (calamine to Arrow in Rust) only after ``check_and_find_sheet`` passed. Only the ``wanted``
    headers (matched trimmed, any case) are kept, all when None; calamine still parses every
    column, but no column left out is ever turned into Arrow. A sheet of more than two slabs'
    XML is read slab by slab (``engine_xlsx_slabs``); one whose slabs do not line up, whole."""
    folded = {w.strip().lower() for w in wanted} if wanted is not None else None
    try:
        with zipfile.ZipFile(path) as archive:
            if archive.getinfo(part).file_size > 2 * slabs.SLAB:
                table = _read_slabs(archive, sheet, part, folded)
                if table is not None:
                    return table
    except slabs.NotSlabbed:
        pass
    return _read_whole(str(path), sheet, folded)


def _read_whole(source: str, sheet: str, folded: set[str] | None) -> pl.DataFrame:
    names, batch = _read_first(source, sheet, folded)
    return _as_text(pa.Table.from_batches([batch]), names)


def _read_first(
    source: str | bytes, sheet: str, folded: set[str] | None
) -> tuple[dict[int, str], pa.RecordBatch]:
    """The sheet's wanted columns from its header row, named by ``header_name``."""
    import fastexcel

    names: dict[int, str] = {}
    seen: set[str] = set()

    def use(column: fastexcel.ColumnInfoNoDtype) -> bool:
        # Called once per column, in order: headers named by header_name (a, a_1).
        name = header_name(column.name, column.index, seen)
        keep = folded is None or name.lower() in folded
        if keep:
            names[column.index] = name
        return keep

    try:
        batch = fastexcel.read_excel(source).load_sheet(
            sheet, dtypes="string", use_columns=use, eager=True
        )
    except fastexcel.FastExcelError:
        raise _damaged() from None
    if not seen:
        raise XlsxRefused("no-header", _("The sheet is empty: it has no header row."))
    assert isinstance(batch, pa.RecordBatch)  # eager=True gives a batch
    return names, batch


def _read_slabs(
    archive: zipfile.ZipFile, sheet: str, part: str, folded: set[str] | None
) -> pl.DataFrame | None:
    """Slab by slab: the first names the columns; the others are parsed two at a time (calamine
    lets go of the GIL) while this thread cuts the next, and each must come out with the same
    header names (else None: the sheet is read whole)."""
    books = slabs.workbooks(archive, part)
    names, first = _read_first(next(books), sheet, folded)
    columns = list(names)

    def parse(book: bytes) -> pa.RecordBatch | None:
        import fastexcel

        try:
            batch = fastexcel.read_excel(book).load_sheet(
                sheet, dtypes="string", use_columns=columns, eager=True
            )
        except fastexcel.FastExcelError:
            return None
        assert isinstance(batch, pa.RecordBatch)
        return batch if batch.schema.names == first.schema.names else None

    batches: list[pa.RecordBatch | None] = [first]
    pending: deque[Future[pa.RecordBatch | None]] = deque()
    with ThreadPoolExecutor(PARSERS, thread_name_prefix="roster-xlsx") as pool:
        for book in books:
            pending.append(pool.submit(parse, book))
            while len(pending) >= PARSERS:  # no more slabs in memory than parsers at work
                batches.append(pending.popleft().result())
        batches.extend(future.result() for future in pending)
    if any(batch is None for batch in batches):
        return None
    return _as_text(pa.Table.from_batches(batches), names)


def _as_text(table: pa.Table, names: dict[int, str]) -> pl.DataFrame:
    table = table.rename_columns(list(names.values()))
    # A date cell comes as "2025-04-01 00:00:00": the text a CSV export of it would hold.
    text = pl.from_arrow(table)
    assert isinstance(text, pl.DataFrame)  # a table, never a series
    return text.with_columns(pl.all().cast(pl.String).str.strip_suffix(" 00:00:00"))


UNNAMED = re.compile(r"__UNNAMED__\d+")


def header_name(cell: str, number: int, seen: set[str]) -> str:
    """A header text made unique (a, a_1), a blank one named column<n>, as DuckDB's CSV reader
    names them (the names mappings made before session 4 were written against); ``seen`` holds
    the lower-cased names so far. CSV headers are named by it too (engine_read.sniff_csv)."""
    name = "" if UNNAMED.fullmatch(cell) else cell.strip()
    name = name or f"column{number}"
    base, suffix = name, 1
    while name.lower() in seen:
        name, suffix = f"{base}_{suffix}", suffix + 1
    seen.add(name.lower())
    return name
