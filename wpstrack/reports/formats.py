"""Writing a report document in each format: PDF (from the HTML), Excel, Word and a static site.

Only the document is used, so every format shows the same figures and suppressed cells. None of
them fetches anything: WeasyPrint's fetcher allows only ``data:`` URLs (the charts), charts are
drawn from inline data, and the static site links only its own files."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from wpstrack.lib.spreadsheets import new_workbook, write_cell
from wpstrack.reports import html
from wpstrack.reports.document import Figure, Heading, PageBreak, Report, Table, Text
from wpstrack.reports.drawing import Drawing

Progress = Callable[[int], None]

# WeasyPrint logs every page it lays out at INFO (a line per page of an 80-page report), and the
# fontTools it subsets the embedded fonts with logs each table it prunes and every glyph name it
# keeps ("maxp pruned", "Glyph names: [...]"): hundreds of lines a PDF. Set here, where PDFs are
# made, so the worker that builds them in the background is as quiet as the command.
for _noisy in ("weasyprint.progress", "fontTools"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> Any:
    """WeasyPrint's fetcher for reports: ``data:`` URLs (the charts) and nothing else."""
    if url.startswith("data:"):
        from weasyprint import default_url_fetcher

        return default_url_fetcher(url)
    raise ValueError(f"reports fetch nothing: {url[:80]}")


def _fetcher(drawing: Drawing | None = None) -> Any:
    """WeasyPrint's fetcher for reports: ``data:`` URLs and the charts being drawn, nothing
    else."""
    try:
        from weasyprint.urls import URLFetcher, URLFetcherResponse  # WeasyPrint 68 and later
    except ImportError:  # pragma: no cover - older WeasyPrint takes a function

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            svg = drawing.fetch(url) if drawing else None
            if svg is not None:
                return {"string": svg, "mime_type": "image/svg+xml"}
            return _no_fetching(url)

        return fetch

    class Fetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            svg = drawing.fetch(url) if drawing else None
            if svg is not None:
                return URLFetcherResponse(url, svg, {"Content-Type": "image/svg+xml"})
            return super().fetch(url, headers)

    return Fetcher(allowed_protocols={"data"})


def to_pdf(
    report: Report, *, override: str | None = None, progress: Progress | None = None
) -> bytes:
    import weasyprint

    with Drawing(report.figures) as drawing:
        source = html.render(report, for_print=True, override=override, drawing=drawing)
        if progress:
            progress(50)
        document = weasyprint.HTML(string=source, url_fetcher=_fetcher(drawing), base_url=None)
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


_NUMBER = re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%?)")


def _number(text: str) -> tuple[float, bool] | None:
    """A shown figure as a number for Excel, and whether it was a percentage ("12", "2,131",
    "31.5%", "+3"); None for marks like "<5" or "x" and for anything else."""
    match = _NUMBER.fullmatch(str(text).strip())
    if not match:
        return None
    sign, whole, fraction, percent = match.groups()
    return float(sign + whole.replace(",", "") + (fraction or "")), bool(percent)


def to_xlsx(report: Report, **_options: Any) -> bytes:
    """One sheet per table: typed numbers, frozen headers, no formulas from anyone's text."""
    output = io.BytesIO()
    book = new_workbook(output)
    head = book.add_format(
        {"bold": True, "bg_color": "#DCE6F1", "text_wrap": True, "valign": "top"}
    )
    title = book.add_format({"bold": True, "font_size": 14})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    quoted = book.add_format({"text_wrap": True, "valign": "top", "quote_prefix": True})
    percent = book.add_format({"valign": "top", "num_format": '0.0##"%"'})
    about = book.add_worksheet(_("About"))
    about.write_string(0, 0, report.title, title)
    lines = [report.subtitle] + [text for _style, text in report.cover_lines()]
    lines += [f"{k}: {v}" for k, v in report.meta.items()]
    for number, line in enumerate(lines, start=1):
        write_cell(about, number, 0, str(line), wrap, quoted)
    about.set_column(0, 0, 100)
    used = {_("About").lower()}
    for table in report.tables:
        sheet = book.add_worksheet(_sheet_name(table.sheet or table.caption, used))
        sheet.write_string(0, 0, table.caption, head)
        weights = table.weights()
        for col, name in enumerate(table.columns):
            sheet.write_string(1, col, str(name), head)
            sheet.set_column(col, col, min(max(weights[col] * 1.1, 8), 60))
        for r, row in enumerate(table.rows, start=2):
            for c, cell in enumerate(row):
                found = _number(cell) if c in table.numeric else None
                if found is None:
                    write_cell(sheet, r, c, cell, wrap, quoted)
                else:
                    value, is_percent = found
                    sheet.write_number(r, c, value, percent if is_percent else None)
        for offset, note in enumerate(table.notes):
            write_cell(sheet, len(table.rows) + 3 + offset, 0, note, None, quoted)
        sheet.freeze_panes(2, 0)
    book.close()
    return output.getvalue()


class _Word:
    """Writing one report into a python-docx document: styles looked up once, and landscape
    sections for wide tables (the IPTT, the provenance annex)."""

    def __init__(self, document: Any) -> None:
        from docx.shared import Cm

        self.document = document
        self.styles: dict[str, Any] = {}
        self.landscape = False
        section = document.sections[-1]
        self.portrait_width = section.page_width - section.left_margin - section.right_margin
        self.picture_width = min(Cm(16), self.portrait_width)

    def style(self, *names: str) -> Any:
        """The first of ``names`` the document defines (a plan's own .docx may lack Heading 4);
        KeyError when it has none."""
        for name in names:
            if name not in self.styles:
                try:
                    self.styles[name] = self.document.styles[name]
                except KeyError:
                    continue
            return self.styles[name]
        raise KeyError(names[0])

    def paragraph(self, text: str, *styles: str) -> Any:
        return self.document.add_paragraph(text, style=self.style(*styles) if styles else None)

    def heading(self, text: str, level: int) -> None:
        names = [f"Heading {n}" for n in range(min(level, 9), 0, -1)]
        self.paragraph(text, *names)

    def orient(self, landscape: bool) -> None:
        """Start a new section turned to ``landscape`` (or back) when it changes."""
        if landscape == self.landscape:
            return
        from docx.enum.section import WD_ORIENT, WD_SECTION

        before = self.document.sections[-1]
        section = self.document.add_section(WD_SECTION.NEW_PAGE)
        width, height = before.page_width, before.page_height
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = height, width
        self.landscape = landscape

    def table(self, table: Table) -> None:
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.shared import Emu

        self.paragraph(table.caption, "Caption")
        grid = self.document.add_table(rows=1, cols=len(table.columns))
        grid.style = self.style("Table Grid")
        grid.alignment = WD_TABLE_ALIGNMENT.LEFT
        section = self.document.sections[-1]
        width = section.page_width - section.left_margin - section.right_margin
        grid.autofit = False
        for column, share in zip(grid.columns, table.percentages(), strict=True):
            column.width = Emu(int(width * share / 100))
        for cell, name in zip(grid.rows[0].cells, table.columns, strict=True):
            cell.text = str(name)
            for run in cell.paragraphs[0].runs:
                run.bold = True
        _repeat_header(grid.rows[0])
        for row in table.rows:
            cells = grid.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = str(text)
        if not table.rows:
            cells = grid.add_row().cells
            cells[0].text = _("None.")
        for note in table.notes:
            self.paragraph(note)


def to_docx(
    report: Report,
    *,
    reference: bytes | None = None,
    progress: Progress | None = None,
    **_options: Any,
) -> bytes:
    """Word with real styles (Title, Heading 1-4: the navigation pane works), tables as Word
    tables, wide ones on landscape pages, and charts as pictures with their alternative text;
    ``reference``: a plan's own .docx whose styles are used."""
    import docx
    from docx.shared import Pt

    document = docx.Document(io.BytesIO(reference)) if reference else docx.Document()
    if reference:
        body = document.element.body
        for child in list(body):
            if not child.tag.endswith("sectPr"):
                body.remove(child)
    document.core_properties.title = report.title
    document.core_properties.subject = report.subtitle
    document.core_properties.keywords = f"{report.meta.get('snapshot')} {report.meta.get('sha256')}"
    word = _Word(document)
    word.paragraph(report.title, "Title")
    word.paragraph(report.subtitle, "Subtitle")
    for style, text in report.cover_lines():
        paragraph = word.paragraph(text)
        for run in paragraph.runs:
            run.font.size = Pt(9) if style in ("edition", "sha", "note") else run.font.size
            run.bold = style == "demo"
    blocks = report.blocks
    wanted = _landscape(blocks)
    total = max(len(blocks), 1)
    for index, block in enumerate(blocks):
        if progress and index % 20 == 0:
            progress(10 + 80 * index // total)
        if isinstance(block, PageBreak):
            # Turning the page's orientation starts a new page already.
            if index + 1 < len(blocks) and wanted[index + 1] == word.landscape:
                document.add_page_break()
            continue
        word.orient(wanted[index])
        if isinstance(block, Heading):
            word.heading(block.text, block.level)
        elif isinstance(block, Text):
            paragraph = word.paragraph(block.text)
            if block.style in ("note", "status"):
                for run in paragraph.runs:
                    run.font.size = Pt(9) if block.style == "note" else run.font.size
                    run.bold = block.style == "status"
        elif isinstance(block, Table):
            word.table(block)
        elif isinstance(block, Figure):
            _picture(word, block)
            word.table(block.table)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def _landscape(blocks: list[Any]) -> list[bool]:
    """For each block whether it goes on a landscape page: a wide table, and the heading just
    before it."""
    found = []
    for index, block in enumerate(blocks):
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if isinstance(block, Table):
            found.append(block.wide)
        elif isinstance(block, Heading):
            found.append(isinstance(following, Table) and following.wide)
        else:
            found.append(False)
    return found


def _picture(word: _Word, figure: Figure) -> None:
    """The chart as a picture whose alternative text is the chart's title and description."""
    from wpstrack.lib import charts

    word.document.add_picture(io.BytesIO(figure.png(scale=1.5)), width=word.picture_width)
    shape = word.document.inline_shapes[-1]
    properties = shape._inline.docPr
    properties.set("title", figure.chart.title)
    properties.set("descr", charts.accessible_name(figure.chart.title, figure.chart.description))
    word.paragraph(figure.chart.description or figure.chart.title, "Caption")


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
            lines = [",".join(_csv(csv_cell(c)) for c in table.columns)]
            lines += [",".join(_csv(csv_cell(c)) for c in row) for row in table.rows]
            archive.writestr(name, "\ufeff" + "\r\n".join(lines) + "\r\n")
            notes = "".join(f'<p class="footnote">{_esc(n)}</p>' for n in table.notes)
            links.append(f'<li><a href="{name}">{_esc(table.caption)}</a>{notes}</li>')
        cover = "".join(f'<p class="{s}">{_esc(t)}</p>' for s, t in report.cover_lines())
        index = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>'
            + _esc(report.title)
            + "</title></head><body><header><h1>"
            + _esc(report.title)
            + "</h1><p>"
            + _esc(report.subtitle)
            + "</p>"
            + cover
            + f'</header><main><p><a href="report.html">{_esc(_("Read the report"))}</a></p><h2>'
            + _esc(_("Tables as CSV"))
            + "</h2><ul>"
            + "".join(links)
            + "</ul></main></body></html>"
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
