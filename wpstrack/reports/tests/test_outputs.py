"""Every report kind in every format, read back with its reader library and checked against the
document it was written from and against the database: Word (python-docx), PDF (pypdf), Excel
(openpyxl) and the static site (zipfile, html.parser, csv). A draft's figures appear nowhere."""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from unittest import mock

import docx
import openpyxl
import pypdf

from wpstrack.analysis.models import MetricStatus
from wpstrack.analysis.status import show
from wpstrack.analysis.tests.test_refresh import ApprovedFiguresTestCase
from wpstrack.lib.spreadsheets import from_csv_cell
from wpstrack.reports import builders, document, drawing, formats, services
from wpstrack.reports.models import Snapshot
from wpstrack.reports.snapshot import take_snapshot

KINDS = {
    "annual": {},
    "quarterly": {"period": "FY2025-Q2"},
    "scorecard": {},
    "iptt": {},
    "unit": {"unit": "DHS-CBP"},
}
FORMATS = ("docx", "pdf", "xlsx", "html")
DRAFT_VALUES = ("424242", "31337", "99999")  # only ever in a draft


# -- reading the files back ---------------------------------------------------------------------


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class Page(HTMLParser):
    """An HTML page as headings, tables (rows of cell texts), captions and footnotes."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[str, str]] = []
        self.tables: list[list[list[str]]] = []
        self.captions: list[str] = []
        self.footnotes: list[str] = []
        self.svgs = 0
        self.text: list[str] = []
        self._open: list[tuple[str, list[str]]] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "svg":
            self.svgs += 1
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        if tag in ("h1", "h2", "h3", "h4", "h5", "td", "th", "caption") or (
            tag == "p" and "footnote" in classes
        ):
            self._open.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            name, parts = self._open.pop()
            text = squash("".join(parts))
            if name in ("td", "th"):
                self.tables[-1][-1].append(text)
            elif name == "caption":
                self.captions.append(text)
            elif name == "p":
                self.footnotes.append(text)
            else:
                self.headings.append((name, text))

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for _name, parts in self._open:
            parts.append(data)


def read_docx(content: bytes) -> dict[str, Any]:
    document_ = docx.Document(io.BytesIO(content))
    paragraphs = [(p.style.name if p.style else "", p.text) for p in document_.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document_.tables]
    text = "\n".join([p for _s, p in paragraphs] + [c for t in tables for r in t for c in r])
    return {"paragraphs": paragraphs, "tables": tables, "text": text, "document": document_}


def read_pdf(content: bytes) -> dict[str, Any]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    pages = [page.extract_text() for page in reader.pages]
    return {"reader": reader, "pages": pages, "text": "\n".join(pages)}


def structure_tags(reader: pypdf.PdfReader) -> set[str]:
    """The structure types of the PDF's tag tree (H2, Table, Figure...)."""
    found: set[str] = set()
    root: Any = reader.trailer["/Root"]
    pending = [root["/StructTreeRoot"]] if "/StructTreeRoot" in root else []
    seen = 0
    while pending and seen < 50000:
        node = pending.pop()
        seen += 1
        if isinstance(node, pypdf.generic.IndirectObject):
            node = node.get_object()
        if isinstance(node, pypdf.generic.ArrayObject):
            pending.extend(node)
        elif isinstance(node, pypdf.generic.DictionaryObject):
            if "/S" in node:
                found.add(str(node["/S"]).lstrip("/"))
            if "/K" in node:
                pending.append(node["/K"])
    return found


def read_xlsx(content: bytes) -> dict[str, Any]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {"book": book, "sheets": {s.title: s for s in book.worksheets}}


def read_site(content: bytes) -> dict[str, Any]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    files = {name: archive.read(name) for name in archive.namelist()}
    csvs = {  # a risky cell ("+6.7%") is neutralised in CSV; undone as the importer does
        name: [
            [from_csv_cell(c) for c in row]
            for row in csv.reader(io.StringIO(data.decode("utf-8-sig")))
        ]
        for name, data in files.items()
        if name.endswith(".csv")
    }
    return {
        "files": files,
        "index": Page(files["index.html"].decode()),
        "report": Page(files["report.html"].decode()),
        "csvs": csvs,
    }


READERS = {"docx": read_docx, "pdf": read_pdf, "xlsx": read_xlsx, "html": read_site}


def excel_value(cell: Any) -> str:
    """A typed cell as the figure shown elsewhere (12 -> "12", 17.3 -> "17.3")."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return "" if cell is None else str(cell)


def shown_number(text: str) -> str:
    """A figure as Excel holds it: without its % sign and thousands separators."""
    return text.replace(",", "").rstrip("%").lstrip("+")


# -- the scenario -------------------------------------------------------------------------------


class OutputsTestCase(ApprovedFiguresTestCase):
    """Two years of approved figures of the tiny plan (CBP and ICE), one draft with figures
    found nowhere else, and every kind of report written in every format once."""

    snapshot: Snapshot
    outputs: dict[tuple[str, str], bytes]
    documents: dict[str, Any]

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        maker = cls.__new__(cls)  # report() needs only the class's people and plan
        maker.report("FY2024", "DHS-CBP", 18, 100, {"women": 11, "men": 29, "other": 2})
        maker.report("FY2024", "DHS-ICE", 14, 200, {"women": 21, "men": 60, "other": 3})
        maker.report("FY2025-Q1", "DHS-CBP", 20, 100, {"women": 12, "men": 30, "other": 2})
        maker.report("FY2025-Q2", "DHS-CBP", 21, 100, {"women": 12, "men": 31, "other": 2})
        maker.report("FY2025", "DHS-CBP", 22, 100, {"women": 13, "men": 31, "other": 2})
        maker.report("FY2025", "DHS-ICE", 30, 200, {"women": 24, "men": 58, "other": 1})
        maker.report(
            "FY2025-Q3",
            "DHS-CBP",
            31337,
            99999,
            {"women": 424242, "men": 1, "other": 0},
            approve=False,
        )
        cls.snapshot = take_snapshot(cls.plan, "FY2025", actor=cls.w.cora)
        cls.outputs = {}
        cls.documents = {}
        for kind, options in KINDS.items():
            cls.documents[kind] = builders.build(cls.snapshot, kind, **options)
            for fmt in FORMATS:
                content, _name = services.render(cls.snapshot, kind, fmt, **options)
                cls.outputs[(kind, fmt)] = content

    def read(self, kind: str, fmt: str) -> dict[str, Any]:
        return READERS[fmt](self.outputs[(kind, fmt)])

    def figure(self, code: str, period: str) -> MetricStatus:
        return MetricStatus.objects.get(metric__code=code, period=period, unit=None)

    @staticmethod
    def table(report: Any, caption: str) -> Any:
        return next(t for t in report.tables if t.caption == caption)


class OutputTests(OutputsTestCase):
    def test_the_document_holds_the_approved_figures_of_the_database(self):
        share, count = self.figure("1-M1", "FY2025"), self.figure("1-M2", "FY2025")
        assert share.value.quantize(Decimal("0.01")) == Decimal("17.33")  # (22 + 30) / 300
        assert count.value == 129
        annual = self.documents["annual"]
        metrics = self.table(annual, "Metrics of 1")
        rows = {row[0]: row for row in metrics.rows}
        assert rows["1-M1"][4] == show(share.value, "%") == "17.3%"
        assert rows["1-M1"][3] == show(self.figure("1-M1", "FY2024").value, "%")
        assert rows["1-M2"][3:5] == ["126", "129"]  # 11+29+2+21+60+3, 13+31+2+24+58+1
        parts = self.table(annual, "1-M2 by category")
        assert parts.columns == ["Period", "Women", "Men", "Other", "Total"]
        assert parts.rows == [
            ["FY2024", "32", "89", "5", "126"],
            ["FY2025", "37", "89", "3", "129"],
        ]
        iptt = self.table(self.documents["iptt"], "Indicator Performance Tracking Table FY2025")
        row = next(r for r in iptt.rows if r[0] == "1-M1")
        quarters = dict(zip(iptt.columns, row, strict=True))
        assert quarters["FY2025-Q1"] == "20%" and quarters["FY2025-Q2"] == "21%"
        assert quarters["FY2025-Q3"] == "–"  # only a draft there
        values = self.table(annual, "Approved values behind every figure, by sex")
        ice = next(r for r in values.rows if r[:3] == ["1-M2", "FY2025", "DHS-ICE"])
        assert ice[3:7] == ["24", "58", "1", "83"] and ice[7].startswith("#")

    def test_word_has_real_headings_and_tables_holding_the_figures(self):
        for kind, report in self.documents.items():
            read = self.read(kind, "docx")
            assert read["paragraphs"][0] == ("Title", report.title)
            headings = [(s, t) for s, t in read["paragraphs"] if s.startswith("Heading")]
            assert headings == [(f"Heading {h.level}", h.text) for h in report.headings], kind
            assert len(read["tables"]) == len(report.tables), kind
            for table, grid in zip(report.tables, read["tables"], strict=True):
                assert grid[0] == [str(c) for c in table.columns]
                assert grid[1:] == (table.rows or [["None."] + [""] * (len(table.columns) - 1)])
            assert self.snapshot.sha256 in read["text"] and self.snapshot.identifier in read["text"]
        annual = self.read("annual", "docx")
        assert ("Heading 1", "Executive summary") in annual["paragraphs"]
        assert ("Heading 2", "Action 1: Action 1") in annual["paragraphs"]
        assert "17.3%" in annual["text"] and "129" in annual["text"]
        shapes = annual["document"].inline_shapes
        assert len(shapes) == len(self.documents["annual"].figures) == 2
        assert "Approved figures for the plan by period" in shapes[0]._inline.docPr.get("descr")

    def test_the_pdf_has_page_numbers_the_snapshot_tags_and_the_figures(self):
        for kind, report in self.documents.items():
            read = self.read(kind, "pdf")
            pages = read["pages"]
            for number, text in enumerate(pages, start=1):
                assert f"{number} / {len(pages)}" in text, (kind, number)
                assert self.snapshot.identifier in text  # every page's footer
            first = squash(pages[0])
            assert self.snapshot.sha256 in first and f"Edition {self.snapshot.edition}" in first
            tags = structure_tags(read["reader"])
            assert {"H1", "Table"} <= tags, (kind, tags)
            if report.headings:
                assert "H2" in tags
            text = squash(read["text"])
            for table in report.tables:
                assert squash(table.caption) in text, (kind, table.caption)
        annual = squash(self.read("annual", "pdf")["text"])
        assert "1-M1 Metric 1-M1. 20 (FY2024) 10.7% 17.3% 30 (FY2030) +6.7% Off track" in annual
        assert "FY2025 37 89 3 129" in annual  # the breakdown
        assert "Figure" in structure_tags(self.read("annual", "pdf")["reader"])

    def test_excel_has_one_sheet_per_table_typed_frozen_and_without_formulas(self):
        for kind, report in self.documents.items():
            sheets = self.read(kind, "xlsx")["sheets"]
            names = list(sheets)
            assert names[0] == "About" and len(names) == len(report.tables) + 1, kind
            about = " ".join(str(c.value) for c in sheets["About"]["A"])
            assert self.snapshot.sha256 in about and self.snapshot.identifier in about
            for table, name in zip(report.tables, names[1:], strict=True):
                sheet = sheets[name]
                assert sheet.freeze_panes == "A3", name
                assert sheet["A1"].value == table.caption
                assert [c.value for c in sheet[2]][: len(table.columns)] == table.columns
                for r, row in enumerate(table.rows, start=3):
                    cells = [sheet.cell(r, c + 1) for c in range(len(row))]
                    for c, (cell, shown) in enumerate(zip(cells, row, strict=True)):
                        assert cell.data_type != "f", (name, cell.coordinate)
                        if c in table.numeric and re.fullmatch(r"[+-]?[\d,]+(\.\d+)?%?", shown):
                            assert isinstance(cell.value, int | float), (name, cell.coordinate)
                            assert excel_value(cell.value) == shown_number(shown)
                        elif shown not in ("", None):
                            assert cell.value == shown, (name, cell.coordinate)
        parts = self.read("annual", "xlsx")["sheets"]["1-M2 parts"]
        assert [c.value for c in parts[4]] == ["FY2025", 37, 89, 3, 129]

    def test_the_site_has_an_index_a_report_that_parses_and_csvs(self):
        for kind, report in self.documents.items():
            site = self.read(kind, "html")
            assert {"index.html", "report.html"} <= set(site["files"])
            page = site["report"]
            assert ("h1", report.title) in page.headings
            levels = {1: "h2", 2: "h3", 3: "h4", 4: "h5"}
            assert [
                h for h in page.headings if h not in (("h1", report.title), ("h2", "Contents"))
            ] == [(levels[h.level], h.text) for h in report.headings]
            assert (("h2", "Contents") in page.headings) == (kind == "annual")
            assert len(page.tables) == len(report.tables) == len(site["csvs"]), kind
            assert page.svgs == len(report.figures)  # charts inline, drawn, not fetched
            for table, grid, (name, rows) in zip(
                report.tables, page.tables, sorted(site["csvs"].items()), strict=True
            ):
                assert grid[0] == table.columns and rows[0] == table.columns
                assert rows[1:] == table.rows, name
                assert grid[1:] == (table.rows or [["None."]])
                assert f'href="{name}"' in site["files"]["index.html"].decode()
            index = site["index"]
            assert ("h1", report.title) in index.headings
            assert self.snapshot.sha256 in "".join(index.text)

    def test_drafts_never_appear_in_any_format(self):
        for (kind, fmt), content in self.outputs.items():
            read = READERS[fmt](content)
            if fmt == "xlsx":
                text = " ".join(
                    str(c.value) for s in read["sheets"].values() for r in s.iter_rows() for c in r
                )
            elif fmt == "html":
                text = " ".join(data.decode(errors="replace") for data in read["files"].values())
            else:
                text = read["text"]
            for value in DRAFT_VALUES:
                assert value not in text, (kind, fmt, value)
                assert value.encode() not in content, (kind, fmt, value)

    def test_every_table_is_the_same_in_every_format(self):
        """The document is the one source: a table's cells read back alike from each file."""
        annual = self.documents["annual"]
        word = self.read("annual", "docx")["tables"]
        site = self.read("annual", "html")["csvs"]
        sheets = list(self.read("annual", "xlsx")["sheets"].values())[1:]
        for index, table in enumerate(annual.tables):
            expected = [[str(c) for c in row] for row in table.rows]
            assert word[index][1:] == (expected or word[index][1:])
            assert sorted(site.items())[index][1][1:] == expected
            excel = [
                [excel_value(c.value) for c in row][: len(table.columns)]
                for row in sheets[index].iter_rows(min_row=3, max_row=2 + len(table.rows))
            ]
            assert excel == [
                [shown_number(c) if i in table.numeric else c for i, c in enumerate(r)]
                for r in expected
            ]


class ChartTests(OutputsTestCase):
    def test_charts_are_drawn_once_per_report_whatever_the_formats(self):
        report = self.documents["annual"]
        document.forget_drawn_charts()
        with mock.patch.object(
            type(report.figures[0].chart), "svg", autospec=True, side_effect=lambda c: "<svg/>"
        ) as svg:
            formats.to_site(report)
            formats.to_site(report)
        assert svg.call_count == len(report.figures)
        document.forget_drawn_charts()

    def test_a_helper_process_draws_the_pdfs_charts_as_this_one_would(self):
        report = self.documents["annual"]
        document.forget_drawn_charts()
        with drawing.Drawing(report.figures, in_a_process=True) as helper:
            addresses = [helper.src(f) for f in report.figures]
            assert all(a and a.startswith(drawing.SCHEME) for a in addresses)
            drawn = [helper.fetch(a or "", wait=True) for a in addresses]
            assert helper.fetch("https://example.org/x.svg") is None
        document.forget_drawn_charts()
        here = [drawing.print_svg(f.svg()).encode() for f in report.figures]
        assert drawn == here

    def test_when_the_helper_fails_this_process_draws(self):
        report = self.documents["annual"]
        document.forget_drawn_charts()
        with (
            mock.patch.object(drawing, "_python", return_value="/bin/false"),
            drawing.Drawing(report.figures, in_a_process=True) as helper,
        ):
            drawn = [helper.fetch(helper.src(f) or "", wait=True) for f in report.figures]
        assert all(d and d.startswith(b"<svg") for d in drawn)
        document.forget_drawn_charts()

    def test_the_pdf_fetches_nothing_but_its_own_charts(self):
        fetch = formats._fetcher(None)
        for url in ("https://example.org/logo.png", "file:///etc/passwd"):
            try:
                fetch(url)
            except Exception as error:  # refused
                assert "disallowed" in str(error) or "fetch nothing" in str(error)
            else:
                raise AssertionError(f"{url} was fetched")

    def test_making_a_pdf_logs_nothing_below_a_warning(self):
        """fontTools (WeasyPrint's font subsetting) would log hundreds of INFO lines a PDF."""
        heard = []
        listener = logging.Handler(logging.DEBUG)
        listener.emit = heard.append
        for name in ("fontTools", "weasyprint"):  # the levels as set, not as a test sets them
            logging.getLogger(name).addHandler(listener)
        try:
            formats.to_pdf(self.documents["scorecard"])
        finally:
            for name in ("fontTools", "weasyprint"):
                logging.getLogger(name).removeHandler(listener)
        assert [r.getMessage() for r in heard if r.levelno < logging.WARNING] == []
