"""Looking at an uploaded file before any spreadsheet library touches it.

Why: readers trust the file. calamine allocates the whole rectangle up to the furthest cell, so a
4 KB workbook with one cell at XFD1048576 makes it ask for tens of gigabytes and abort the process;
zip members can unpack to gigabytes; XML can declare entities. So we sniff the format from the
bytes (not the name), unpack every member under a cap, refuse any DTD, and scan each sheet's cell
references, formulas and merged ranges ourselves with byte-level searches (fast enough to add a
few milliseconds to a 5,000-row file). Only then is the workbook handed to calamine.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field

from defusedxml import ElementTree as SafeTree
from django.conf import settings
from django.utils.translation import gettext as _

from wpstrack.workbooks.report import FileRefused

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
MAX_MEMBERS = 2000
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

CELL_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c r="([A-Z]{1,3})([0-9]{1,7})"')
CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
ROW_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*?\br="([0-9]{1,7})"')
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
    if not content_types or "xl/workbook.xml" not in parts:
        raise _corrupt(_("it has no workbook part"))
    return {name: _scan_sheet(name, parts[path]) for name, path in _sheet_paths(parts).items()}


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


def _sheet_paths(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> path of its XML part, from workbook.xml and its relationships."""
    try:
        book = SafeTree.fromstring(parts["xl/workbook.xml"])
        rels = SafeTree.fromstring(parts.get("xl/_rels/workbook.xml.rels", b"<Relationships/>"))
    except Exception:  # defusedxml raises its own and ParseError; any means a damaged file
        raise _corrupt(_("its workbook part is not valid XML")) from None
    targets = {}
    for rel in rels.iter(f"{PKG_REL_NS}Relationship"):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[rel.get("Id", "")] = target
    paths = {}
    for sheet in book.iter(f"{MAIN_NS}sheet"):
        path = targets.get(sheet.get(f"{REL_NS}id", ""), "")
        if path in parts:
            paths[sheet.get("name", "")] = path
    return paths


def _scan_sheet(name: str, xml: bytes) -> SheetScan:
    scan = SheetScan(name)
    refs = CELL_REF.findall(xml)
    tags = len(CELL_TAG.findall(xml))
    if len(refs) != tags:
        # Some cells have no reference, or not as the first attribute: take the slow, sure way.
        refs = ANY_REF.findall(xml)
        rows = [int(r) for r in ROW_REF.findall(xml)]
        scan.max_row = max([*rows, *(int(r) for _c, r in refs), tags and 1])
        scan.max_col = max([*(column_number(c) for c in {c for c, _r in refs}), tags])
    elif refs:
        scan.max_row = max(int(r) for _c, r in refs)
        scan.max_col = max(column_number(c) for c in {c for c, _r in refs})
        rows = [int(r) for r in ROW_REF.findall(xml)]
        scan.max_row = max([scan.max_row, *rows])
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
