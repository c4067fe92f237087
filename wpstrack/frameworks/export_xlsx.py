"""A plan as an Excel workbook: one sheet per table, typed cells, frozen headers, no formulas."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from wpstrack.lib.spreadsheets import new_workbook, write_cell


def _walk(
    elements: list[dict[str, Any]], parent: str | None = None
) -> Iterator[tuple[dict[str, Any], str | None]]:
    for element in elements:
        yield element, parent
        yield from _walk(element["children"], element["code"])


def _sheet(
    book: Any, name: str, header: list[str], rows: list[list[Any]], widths: list[int]
) -> None:
    sheet = book.add_worksheet(name)
    bold = book.add_format(
        {"bold": True, "bg_color": "#DCE6F1", "text_wrap": True, "valign": "top"}
    )
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    quoted = book.add_format({"text_wrap": True, "valign": "top", "quote_prefix": True})
    sheet.write_row(0, 0, header, bold)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            # never a formula, whatever the text starts with (lib.spreadsheets explains why)
            write_cell(sheet, number, column, value, wrap, quoted)
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(header) - 1)


def to_xlsx(document: dict[str, Any]) -> bytes:
    output = io.BytesIO()
    book = new_workbook(output)
    source = document["source"]
    status = document.get("status") or {}
    _sheet(
        book,
        "Plan",
        ["Field", "Value"],
        [
            ["Slug", document["slug"]],
            ["Title", document["title"]],
            ["Short title", document["short_title"]],
            ["Owner unit", document["owner_unit"]],
            ["Source file", source.get("file")],
            ["Source title", source.get("title")],
            ["Publisher", source.get("publisher")],
            ["Source date", source.get("date")],
            ["Fiscal year starts in month", document["fiscal_year_start_month"]],
            ["Levels", " > ".join(level["name"] for level in document["levels"])],
            ["Status tolerance", status.get("tolerance")],
            ["Status roll-up", status.get("rollup")],
            ["Status roll-up share", status.get("rollup_share")],
        ],
        [28, 100],
    )
    elements = list(_walk(document["elements"]))
    _sheet(
        book,
        "Elements",
        [
            "Code",
            "Level",
            "Parent",
            "Title",
            "Text",
            "Responsible (as written)",
            "Units",
            "Outcomes",
            "Tags",
            "Needs indicators",
            "Source section",
            "Note",
        ],
        [
            [
                e["code"],
                e["level"],
                parent,
                e["title"],
                e["text"],
                e["responsible_as_written"],
                ", ".join(e["units"]),
                "\n".join(e["outcomes"]),
                ", ".join(e["tags"]),
                e["needs_indicators"],
                e["source"].get("section"),
                e["note"],
            ]
            for e, parent in elements
        ],
        [12, 14, 10, 50, 60, 24, 18, 40, 30, 10, 30, 30],
    )
    _sheet(
        book,
        "Metrics",
        [
            "Code",
            "Element",
            "Text",
            "Type",
            "Unit",
            "Direction",
            "Compared with previous",
            "Disaggregation",
            "Frequency",
            "Sensitive",
            "Appendix text",
            "Note",
            "Tolerance",
            "Trajectory",
        ],
        [
            [
                m["code"],
                e["code"],
                m["text"],
                m["type"],
                m["unit"],
                m["direction"],
                m["compare_previous"],
                ", ".join(m["disaggregation"]),
                m["frequency"],
                m["sensitive"],
                m["appendix_text"],
                m["note"],
                m.get("status", {}).get("tolerance"),
                m.get("status", {}).get("trajectory"),
            ]
            for e, _parent in elements
            for m in e["metrics"]
        ],
        [14, 10, 60, 12, 24, 12, 10, 14, 12, 10, 40, 40, 10, 10],
    )
    _sheet(
        book,
        "Figures",
        ["Metric", "Kind", "Value", "Period", "At", "As written", "Note"],
        [
            [
                m["code"],
                kind[:-1],
                figure["value"],
                figure.get("period"),
                figure.get("at", ""),
                figure.get("as_written", ""),
                figure.get("note", ""),
            ]
            for e, _parent in elements
            for m in e["metrics"]
            for kind in ("baselines", "targets")
            for figure in m[kind]
        ],
        [14, 10, 10, 14, 10, 60, 40],
    )
    _sheet(
        book,
        "Obligations",
        ["Code", "Title", "Text", "Cadence", "Due", "Years", "Units", "Source section"],
        [
            [
                o["code"],
                o["title"],
                o["text"],
                o["cadence"],
                o["due"],
                ", ".join(str(y) for y in o["years"]),
                ", ".join(o["units"]),
                o["source"]["section"],
            ]
            for o in document["obligations"]
        ],
        [22, 40, 60, 16, 14, 16, 18, 30],
    )
    book.close()
    return output.getvalue()
