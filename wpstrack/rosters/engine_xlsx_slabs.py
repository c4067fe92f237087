"""A large XLSX sheet cut into slabs of rows, each handed to calamine as a workbook of its own.

Why: calamine parses a whole sheet into memory before fastexcel keeps any column, every cell of
every column (mapped or not) at about 90 bytes when its strings are inline: a 1M-row sheet of nine
columns took 0.8 GB at its peak, over the goal of 1 GB for a run, and a real HR extract has far
more columns than nine. Cut into slabs of SLAB bytes of XML, the peak is one slab's cells, plus
the mapped columns as Arrow, whatever the sheet's length or width.

How: the sheet's XML is streamed (after ``engine_xlsx``'s hostile-file scan passed) and cut at
``<row`` boundaries. Each slab becomes a stored (uncompressed) in-memory workbook: the original's
small parts (workbook, relationships, styles, shared strings), its other large sheets emptied, and
the sheet itself as what came before ``<sheetData>`` (its ``<dimension>`` dropped: it declares the
whole sheet's extent), the header row, the slab's rows and the closing tags. The header row is
copied into every slab just above its first row, so calamine finds the same header and the same
columns in each; a slab whose columns come out otherwise (a cell left of the header, rows out of
order) makes the caller read the sheet whole, as before.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

SLAB = 16 << 20  # bytes of sheet XML per slab (about 40 MB of calamine's cells)
WINDOW = 8 << 20
SHEET_DATA = re.compile(rb"<sheetData\b[^>]*?(/?)>")
DIMENSION = re.compile(rb"<dimension\b[^>]*>")
CELL_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
REFERENCE = re.compile(rb' r="([A-Z]{0,3})[0-9]{1,7}"')
EMPTY_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData/></worksheet>"
)
CLOSING = b"</sheetData></worksheet>"
SHARED = "xl/sharedstrings.xml"


class NotSlabbed(Exception):
    """The sheet is not written so that it can be cut (no <sheetData>, no header row)."""


@dataclass
class Slabs:
    """The pieces a slab workbook is made of: every part but the sheet, and the sheet's head."""

    parts: dict[str, bytes]
    part: str
    head: bytes  # the sheet's XML before <sheetData>, without its <dimension>
    header: bytes  # the header row's element

    def workbook(self, rows: bytes, *, first: bool) -> bytes:
        """A stored workbook whose sheet holds the header row and ``rows``."""
        if first:
            body = rows
        else:
            found = CELL_ROW.search(rows)
            if found is None:  # rows without a cell: nothing to read
                return b""
            body = _header_at(self.header, int(found.group(1)) - 1) + rows
        sheet = self.head + b"<sheetData>" + body + CLOSING
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            for name, data in self.parts.items():
                archive.writestr(name, sheet if name == self.part else data)
        return out.getvalue()


def _header_at(header: bytes, row: int) -> bytes:
    """The header row moved to ``row`` (every r="..." of the row and its cells)."""
    number = str(max(row, 1)).encode()
    return REFERENCE.sub(lambda m: b' r="' + m.group(1) + number + b'"', header)


def workbooks(archive: zipfile.ZipFile, part: str, size: int = 0) -> Iterator[bytes]:
    """The sheet ``part`` as in-memory workbooks of about ``size`` bytes of rows each; the first
    holds the header row where the sheet has it, and the rows that follow it (``size``: SLAB
    when 0)."""
    parts = {
        info.filename: (
            b"" if info.filename == part
            else EMPTY_SHEET if _large_sheet(info)
            else archive.read(info)
        )
        for info in archive.infolist()
        if info.filename.endswith((".xml", ".rels"))  # pictures and the like: not read
    }  # fmt: skip
    # calamine parses the shared strings again for every slab: slabs twice their size keep
    # that below half the parsing (an Excel-saved roster's ids are all shared strings).
    strings = sum(i.file_size for i in archive.infolist() if i.filename.lower() == SHARED)
    with archive.open(part) as stream:
        pieces = _row_pieces(stream, max(size or SLAB, 2 * strings))
        head = next(pieces)
        rows = next(pieces, b"")
        slabs = Slabs(parts, part, head, _first_row(rows))
        yield slabs.workbook(rows, first=True)
        for rows in pieces:
            book = slabs.workbook(rows, first=False)
            if book:
                yield book


def _large_sheet(info: zipfile.ZipInfo) -> bool:
    return info.filename.lower().startswith("xl/worksheets/") and info.file_size > 1 << 20


def _row_pieces(stream: IO[bytes], size: int) -> Iterator[bytes]:
    """The sheet's head (its XML before <sheetData>, without <dimension>), then its rows in
    pieces of about ``size`` bytes, each ending where a <row begins: whole rows only."""
    buffer = bytearray()
    started = False
    while True:
        chunk = stream.read(WINDOW)
        buffer += chunk
        if not started:
            found = SHEET_DATA.search(buffer)
            if found is None:
                if not chunk or len(buffer) > size:  # nothing to cut: the sheet is read whole
                    raise NotSlabbed
                continue
            if found.group(1):  # <sheetData/>: no rows
                raise NotSlabbed
            yield DIMENSION.sub(b"", bytes(buffer[: found.start()]))
            started = True
            del buffer[: found.end()]
        if not chunk:
            end = buffer.find(b"</sheetData>")
            yield bytes(buffer[: end if end >= 0 else len(buffer)])
            return
        while len(buffer) >= size and (cut := _last_row_start(buffer)) > 0:
            yield bytes(buffer[:cut])
            del buffer[:cut]
        if len(buffer) > 4 * size:  # no <row to cut at (rows written <x:row ...)
            raise NotSlabbed


def _last_row_start(buffer: bytearray) -> int:
    """Where the last <row element in the buffer starts (not <rowBreaks), or -1."""
    at = len(buffer)
    while (at := buffer.rfind(b"<row", 0, at)) >= 0:
        if buffer[at + 4 : at + 5] in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
            return at
    return -1


def _first_row(rows: bytes) -> bytes:
    """The first row element holding a cell: the header row, as calamine takes it."""
    at = 0
    while (at := rows.find(b"<row", at)) >= 0:
        end = rows.find(b"<row", at + 4)
        element = rows[at : end if end >= 0 else len(rows)]
        if b"<c " in element:
            return element
        at += 4
    raise NotSlabbed
