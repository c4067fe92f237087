"""Writing a report document in each format: PDF (from the HTML), Excel, Word and a static site.

Only the document is used, so every format shows the same figures and suppressed cells. None of
them fetches anything: WeasyPrint gets a URL fetcher that refuses every URL, charts are drawn
from inline data, and the static site links only its own files."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from wpstrack.lib.spreadsheets import new_workbook, write_cell
from wpstrack.reports import html
from wpstrack.reports.document import Figure, Heading, PageBreak, Report, Table, Text

Progress = Callable[[int], None]


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"reports fetch nothing: {url[:80]}")


def to_pdf(
    report: Report, *, override: str | None = None, progress: Progress | None = None
) -> bytes:
    import weasyprint

    source = html.render(report, for_print=True, override=override)
    if progress:
        progress(50)
    document = weasyprint.HTML(string=source, url_fetcher=_no_fetching, base_url=None)
    return document.write_pdf(pdf_tags=True, custom_metadata=True)


def to_html(report: Report, *, override: str | None = None, **_options: Any) -> bytes:
    return html.render(report, override=override).encode()


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:28] or "Table"
    candidate, n = base, 2
    while candidate.lower() in used:
        candidate, n = f"{base[:25]} {n}", n + 1
    used.add(candidate.lower())
    return candidate


def _number(text: str) -> float | None:
    """A shown figure as a number for Excel ("12", "31.5%", "+3"); None for marks like "<5"."""
    match = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)%?", text.strip())
    return float(match.group(1)) if match else None


def to_xlsx(report: Report, **_options: Any) -> bytes:
    """One sheet per table: typed numbers, frozen headers, no formulas from anyone's text."""
    output = io.BytesIO()
    book = new_workbook(output)
    head = book.add_format(
        {"bold": True, "bg_color": "#DCE6F1", "text_wrap": True, "valign": "top"}
    )
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    quoted = book.add_format({"text_wrap": True, "valign": "top", "quote_prefix": True})
    about = book.add_worksheet(_("About"))
    lines = [report.title, report.subtitle] + [f"{k}: {v}" for k, v in report.meta.items()]
    for number, line in enumerate(lines):
        write_cell(about, number, 0, str(line), wrap, quoted)
    about.set_column(0, 0, 100)
    used = {"about"}
    for table in report.tables:
        sheet = book.add_worksheet(_sheet_name(table.sheet or table.caption, used))
        sheet.write_string(0, 0, table.caption, head)
        for col, name in enumerate(table.columns):
            sheet.write_string(1, col, str(name), head)
            sheet.set_column(col, col, 14 if col in table.numeric else 32)
        for r, row in enumerate(table.rows, start=2):
            for c, cell in enumerate(row):
                value = _number(cell) if c in table.numeric else None
                write_cell(sheet, r, c, value if value is not None else cell, wrap, quoted)
        for offset, note in enumerate(table.notes):
            write_cell(sheet, len(table.rows) + 3 + offset, 0, note, wrap, quoted)
        sheet.freeze_panes(2, 0)
    book.close()
    return output.getvalue()


def to_docx(
    report: Report,
    *,
    reference: bytes | None = None,
    progress: Progress | None = None,
    **_options: Any,
) -> bytes:
    """Word with real styles (Title, Heading 1-3: the navigation pane works), tables as Word
    tables and charts as pictures; ``reference``: a plan's own .docx whose styles are used."""
    import docx
    from docx.shared import Cm, Pt

    document = docx.Document(io.BytesIO(reference)) if reference else docx.Document()
    if reference:
        body = document.element.body
        for child in list(body):
            if not child.tag.endswith("sectPr"):
                body.remove(child)
    document.core_properties.title = report.title
    document.core_properties.subject = report.subtitle
    document.add_paragraph(report.title, style="Title")
    document.add_paragraph(report.subtitle, style="Subtitle")
    total = max(len(report.blocks), 1)
    for index, block in enumerate(report.blocks):
        if progress and index % 20 == 0:
            progress(10 + 80 * index // total)
        if isinstance(block, Heading):
            document.add_heading(block.text, level=block.level)
        elif isinstance(block, Text):
            paragraph = document.add_paragraph(block.text)
            if block.style in ("note", "status"):
                for run in paragraph.runs:
                    run.font.size = Pt(9) if block.style == "note" else run.font.size
                    run.bold = block.style == "status"
        elif isinstance(block, Table):
            _docx_table(document, block)
        elif isinstance(block, Figure):
            document.add_picture(io.BytesIO(block.chart.png(scale=1.5)), width=Cm(16))
            document.add_paragraph(block.chart.title, style="Caption")
            _docx_table(document, block.table)
        elif isinstance(block, PageBreak):
            document.add_page_break()
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def _docx_table(document: Any, table: Table) -> None:
    document.add_paragraph(table.caption, style="Caption")
    grid = document.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    for cell, name in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = str(name)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    _repeat_header(grid.rows[0])
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = str(text)
    for note in table.notes:
        document.add_paragraph(note)


def _repeat_header(row: Any) -> None:
    """Mark a table's first row as a header that repeats on each page (and is read as one)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def to_site(report: Report, *, override: str | None = None, **_options: Any) -> bytes:
    """A zip of plain pages that works from a folder or any static host: the report as one
    page (charts inline as SVG), each table as CSV, and an index."""
    from wpstrack.lib.spreadsheets import csv_cell

    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.html", html.render(report, override=override))
        links = []
        for number, table in enumerate(report.tables, start=1):
            name = f"tables/table-{number:03d}.csv"
            lines = [",".join(_csv(c) for c in table.columns)]
            lines += [",".join(_csv(csv_cell(c)) for c in row) for row in table.rows]
            archive.writestr(name, "\ufeff" + "\r\n".join(lines) + "\r\n")
            links.append(f'<li><a href="{name}">{_esc(table.caption)}</a></li>')
        index = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>'
            + _esc(report.title)
            + "</title></head><body><h1>"
            + _esc(report.title)
            + "</h1><p>"
            + _esc(report.subtitle)
            + f'</p><p><a href="report.html">{_esc(_("Read the report"))}</a></p><h2>'
            + _esc(_("Tables as CSV"))
            + "</h2><ul>"
            + "".join(links)
            + "</ul></body></html>"
        )
        archive.writestr("index.html", index)
    return output.getvalue()


def _esc(text: str) -> str:
    from html import escape

    return escape(str(text))


def _csv(text: str) -> str:
    text = str(text)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text


WRITERS: dict[str, Callable[..., bytes]] = {
    "pdf": to_pdf,
    "docx": to_docx,
    "xlsx": to_xlsx,
    "html": to_site,
}
EXTENSIONS = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "html": "zip"}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "application/zip",
}
