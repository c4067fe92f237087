"""Looking at an uploaded file before any spreadsheet library touches it.

Why: readers trust the file. calamine allocates the whole rectangle up to the furthest cell, so a
4 KB workbook with one cell at XFD1048576 makes it ask for tens of gigabytes and abort the process;
zip members can unpack to gigabytes; XML can declare entities. So we sniff the format from the
bytes (not the name), unpack every member under a cap, refuse any DTD, and scan each sheet's cell
references, formulas and merged ranges ourselves with byte-level searches (fast enough to add a
few milliseconds to a 5,000-row file). Only then is the workbook handed to calamine.

The scan must see what calamine will read, or a bomb slips past it: calamine finds parts without
regard to case, takes relationship targets as written, reads r attributes in either quote and
places a cell without one after the previous cell. So each sheet is found the way calamine finds
it, anything that could make the two readings differ is refused as damaged, and a sheet whose
cells do not all carry a plain r="A1" reference is parsed for real (see ``_extent``).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

from wpstrack.workbooks.report import FileRefused

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
MAX_MEMBERS = 2000

CELL_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c r="([A-Z]{1,3})([0-9]{1,7})"')
# Every cell element, whatever its prefix (calamine goes by the local name): the byte scan is
# trusted only when each of them is a CELL_REF match and every r attribute (R_ATTR) is a CELL_REF
# or ROW_REF one; otherwise ``_extent`` parses the sheet.
CELL_TAG = re.compile(rb"<(?:[^\s<>/:=\"']+:)?c[\s>/]")
ROW_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*?\br="([0-9]{1,7})"')
R_ATTR = re.compile(rb"\br\s*=")  # every r attribute however written (and, rarely, text)
A1_REF = re.compile(r"([A-Za-z]{0,9})([0-9]{1,15})")
ANY_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
FORMULA = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?f\b([^>]*?)(/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?f>)", re.S
)
CELL_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?c>")
VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v>([^<]+)</")
MERGE = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)"'
)


@dataclass
class SheetScan:
    """What the XML of one worksheet holds, found without trusting a reader."""

    name: str
    max_row: int = 0  # 1-based
    max_col: int = 0  # 1-based
    formulas: dict[str, tuple[str, bool]] = field(default_factory=dict)  # A1 -> (text, has value)
    merged: list[str] = field(default_factory=list)  # "A1:B2"


@dataclass
class Inspection:
    kind: str  # "xlsx" or "csv"
    sheets: dict[str, SheetScan] = field(default_factory=dict)


def column_number(letters: bytes | str) -> int:
    text = letters.decode() if isinstance(letters, bytes) else letters
    number = 0
    for char in text:
        number = number * 26 + ord(char) - 64
    return number


def inspect(data: bytes, filename: str) -> Inspection:
    """Say what the file is, or refuse it with the reason; xlsx files are scanned sheet by sheet."""
    limit = settings.UPLOAD_MAX_BYTES
    if len(data) > limit:
        raise FileRefused(
            "file-too-large",
            _("The file is larger than %(limit)s MB, the limit for uploads.")
            % {"limit": limit // 1048576},
        )
    if not data.strip():
        raise FileRefused("empty-file", _("The file is empty."))
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED in data:
            raise FileRefused(
                "password-protected",
                _("The workbook is protected by a password, so it cannot be read."),
            )
        raise FileRefused(
            "xls-file", _("This is an old Excel 97-2003 file (.xls), not an .xlsx workbook.")
        )
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return Inspection("xlsx", _scan_zip(data))
    if _looks_like_text(data):
        if filename.lower().endswith(".csv"):
            return Inspection("csv")
        raise FileRefused(
            "csv-renamed",
            _(
                "The file %(name)s is plain text (CSV), not an Excel workbook, whatever its name says."
            )
            % {"name": filename},
        )
    raise FileRefused(
        "not-a-spreadsheet",
        _("The file %(name)s is neither an .xlsx workbook nor a CSV file.") % {"name": filename},
    )


def _looks_like_text(data: bytes) -> bool:
    head = data[:65536]
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 4:
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return True


def _corrupt(detail: str = "") -> FileRefused:
    message = _("The file is damaged: it is not a complete .xlsx workbook.")
    if detail:
        message = f"{message} ({detail})"
    return FileRefused("corrupt-file", message)


def _scan_zip(data: bytes) -> dict[str, SheetScan]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _corrupt() from None
    names = {info.filename for info in members}
    if len({name.lower() for name in names}) != len(members):
        # calamine takes the first part whose name matches without regard to case, zipfile the
        # last of the same name: the two could read different parts.
        raise _corrupt(_("two of its parts have the same name, ignoring case"))
    if "mimetype" in names and archive.read("mimetype").startswith(
        b"application/vnd.oasis.opendocument"
    ):
        raise FileRefused(
            "ods-file", _("This is an OpenDocument spreadsheet (.ods), not an .xlsx workbook.")
        )
    if len(members) > MAX_MEMBERS:
        raise FileRefused(
            "unpacked-too-large",
            _("The file holds %(n)s parts; a workbook has a few dozen.") % {"n": len(members)},
        )
    parts = _unpack(archive, members)
    content_types = parts.get("[Content_Types].xml", b"")
    if "xl/vbaProject.bin" in names or b"macroEnabled" in content_types:
        raise FileRefused(
            "macro-enabled-file",
            _("This is a macro-enabled workbook (.xlsm); macros are not accepted."),
        )
    if not content_types:
        raise _corrupt(_("it has no workbook part"))
    return {name: _scan_sheet(name, xml) for name, xml in _sheet_parts(parts).items()}


def _unpack(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> dict[str, bytes]:
    """Every XML part, unpacked under a cap that counts real bytes, not what the zip declares."""
    cap = settings.WORKBOOK_MAX_UNPACKED_BYTES
    total = 0
    parts: dict[str, bytes] = {}
    refused = FileRefused(
        "unpacked-too-large",
        _("The file unpacks to more than %(limit)s MB; a template unpacks to a few MB.")
        % {"limit": cap // 1048576},
    )
    if sum(info.file_size for info in members) > cap:
        raise refused
    for info in members:
        if info.flag_bits & 0x1:
            raise FileRefused(
                "password-protected", _("Parts of the file are encrypted, so it cannot be read.")
            )
        chunks = []
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(1 << 20):
                    total += len(chunk)
                    if total > cap:
                        raise refused
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError):
            raise _corrupt(info.filename) from None
        if info.filename.endswith((".xml", ".rels")):
            body = b"".join(chunks)
            _refuse_doctype(info.filename, body)
            parts[info.filename] = body
    return parts


def _refuse_doctype(name: str, body: bytes) -> None:
    """No DTDs at all (the defusedxml rule): that shuts out external entities and entity bombs.
    Text cannot hide a '<!' in a well-formed part, since '<' in text is written '&lt;'."""
    head = body[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise FileRefused(
            "xml-entities",
            _("Part %(part)s is not in UTF-8; this file was not saved by a spreadsheet program.")
            % {"part": name},
        )
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise FileRefused(
            "xml-entities",
            _("Part %(part)s declares XML entities, which could read files on the server.")
            % {"part": name},
        )


def _sheet_parts(parts: dict[str, bytes]) -> dict[str, bytes]:
    """Sheet name -> the XML calamine will read for it, found as calamine finds it: every element
    named ``sheet`` (any prefix) with its literal ``r:id`` (or ``relationships:id``) attribute,
    the relationship's Target as written, "xl/" put before it unless it starts with "xl/" or
    "/xl/", the part looked up without regard to case. A sheet this cannot settle is refused,
    never skipped: a skipped sheet would reach calamine unscanned."""
    by_name = {name.lower(): body for name, body in parts.items()}
    book = by_name.get("xl/workbook.xml")
    rels = by_name.get("xl/_rels/workbook.xml.rels")
    if book is None or rels is None:
        raise _corrupt(_("it has no workbook part"))
    if b"&" in rels or re.search(rb"\b(?:r|relationships):id\s*=\s*[\"'][^\"']*&", book):
        # calamine compares ids and takes targets without decoding entities; we would decode them
        raise _corrupt(_("its workbook part is not as a spreadsheet program writes it"))
    targets = {rel.get("Id", ""): rel.get("Target", "") for rel in _elements(rels, "Relationship")}
    sheets: dict[str, bytes] = {}
    for sheet in _elements(book, "sheet"):
        name = sheet.get("name", "")
        ids = [sheet[key] for key in ("r:id", "relationships:id") if key in sheet]
        target = targets.get(ids[0], "") if len(ids) == 1 else ""
        path = target[1:] if target.startswith("/xl/") else target
        path = path if path.startswith("xl/") else f"xl/{path}"
        xml = by_name.get(path.lower()) if target else None
        if xml is None:
            raise _corrupt(_("its sheet %(name)s cannot be found") % {"name": name[:40]})
        if name in sheets:  # calamine would read the first of the two for both
            raise _corrupt(_("two of its sheets are named %(name)s") % {"name": name[:40]})
        sheets[name] = xml
    return sheets


def _elements(xml: bytes, local: str) -> list[dict[str, str]]:
    """The attributes of every element whose local name is ``local``, under their names as
    written ("r:id"), which is how calamine matches them. DTDs were refused before this."""
    found: list[dict[str, str]] = []

    def start(tag: str, attributes: dict[str, str]) -> None:
        if tag.rpartition(":")[2] == local:
            found.append(attributes)

    parser = _parser()
    parser.StartElementHandler = start
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        raise _corrupt(_("its workbook part is not valid XML")) from None
    return found


def _parser() -> expat.XMLParserType:
    """An expat parser that stops at any DTD, whatever encoding hid it from ``_refuse_doctype``."""

    def refuse(*_args: object) -> None:
        raise FileRefused(
            "xml-entities",
            _("The file declares XML entities, which could read files on the server."),
        )

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _extent(name: str, xml: bytes) -> tuple[int, int]:
    """The furthest row and column calamine would place a cell at, from a real parse: it follows
    r attributes whatever their quotes, spacing or leading zeros, and puts a cell without one
    after the previous cell (or in the row after the previous row). Slower than the byte scan,
    so used only for sheets that scan could misread; a cell reference calamine would reject
    is refused here as damaged."""
    row, col, far_row, far_col = 1, 1, 0, 0

    def number(text: str) -> tuple[int, int]:
        match = A1_REF.fullmatch(text.strip())
        if match is None:
            raise _corrupt(_("sheet %(name)s has a bad cell reference") % {"name": name[:40]})
        return int(match.group(2)), column_number(match.group(1).upper())

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal row, col, far_row, far_col
        local = tag.rpartition(":")[2]
        if local == "row" and "r" in attributes:
            row = number(attributes["r"])[0]
        elif local == "c":
            at_row, at_col = number(attributes["r"]) if "r" in attributes else (row, col)
            far_row, far_col = max(far_row, at_row, row), max(far_col, at_col)
            col = at_col + 1

    def end(tag: str) -> None:
        nonlocal row, col
        if tag.rpartition(":")[2] == "row":
            row, col = row + 1, 1

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        raise _corrupt(_("sheet %(name)s is not valid XML") % {"name": name[:40]}) from None
    return far_row, far_col


def _scan_sheet(name: str, xml: bytes) -> SheetScan:
    scan = SheetScan(name)
    refs = CELL_REF.findall(xml)
    rows = ROW_REF.findall(xml)
    if len(refs) != len(CELL_TAG.findall(xml)) or len(R_ATTR.findall(xml)) != len(refs) + len(rows):
        # Some cell lacks a plain r="A1" as its first attribute, or some r attribute is written
        # otherwise (quotes, spaces, zeros, twice): the byte scan could misplace a far cell.
        scan.max_row, scan.max_col = _extent(name, xml)
    elif refs:
        scan.max_row = max(int(r) for r in [*(r for _c, r in refs), *rows])
        scan.max_col = max(column_number(c) for c in {c for c, _r in refs})
    if scan.max_row * max(scan.max_col, 1) > settings.WORKBOOK_MAX_CELLS:
        raise FileRefused(
            "too-many-cells",
            _(
                "Sheet %(sheet)s reaches row %(rows)s and column %(cols)s; a template needs far fewer "
                "(limit %(limit)s cells)."
            )
            % {
                "sheet": name,
                "rows": scan.max_row,
                "cols": scan.max_col,
                "limit": settings.WORKBOOK_MAX_CELLS,
            },
            sheet=name,
        )
    for match in FORMULA.finditer(xml):
        start = xml.rfind(b"<", 0, match.start())
        ref = ANY_REF.search(xml, start, match.start())
        end = CELL_END.search(xml, match.end())
        if ref is None:
            continue
        body = xml[match.end() : end.start() if end else match.end()]
        text = (match.group(3) or b"").decode("utf-8", "replace")
        scan.formulas[(ref.group(1) + ref.group(2)).decode()] = (
            text,
            VALUE.search(body) is not None,
        )
    scan.merged = [m.decode() for m in MERGE.findall(xml)]
    return scan
