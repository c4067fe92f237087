"""A report as HTML: the page in the app, the source of the PDF, and the static site's pages.

One template set for all three (``reports/report.html`` and the block templates); a plan may
override it with its own template uploaded by a coordinator (``templates.py``)."""

from __future__ import annotations

from typing import Any

from django.template import engines
from django.template.loader import render_to_string

from wpstrack.reports.document import Figure, Heading, PageBreak, Report, Table, Text


def _block(block: Any) -> dict[str, Any]:
    if isinstance(block, Heading):
        return {"type": "heading", "level": block.level, "text": block.text, "anchor": block.anchor}
    if isinstance(block, Text):
        return {"type": "text", "text": block.text, "style": block.style}
    if isinstance(block, Table):
        return {"type": "table", "table": block}
    if isinstance(block, Figure):
        return {
            "type": "figure",
            "svg": block.chart.svg(),
            "table": block.table,
            "title": block.chart.title,
        }
    if isinstance(block, PageBreak):
        return {"type": "pagebreak"}
    raise TypeError(block)


def context(report: Report, *, for_print: bool = False) -> dict[str, Any]:
    return {
        "report": report,
        "meta": report.meta,
        "blocks": [_block(b) for b in report.blocks],
        "contents": [h for h in report.headings if h.level <= 2],
        "for_print": for_print,
    }


def render(report: Report, *, for_print: bool = False, override: str | None = None) -> str:
    """The whole report as one HTML document (``override``: a plan's own template source)."""
    data = context(report, for_print=for_print)
    if override:
        return engines["django"].from_string(override).render(data)
    return render_to_string("reports/report.html", data)
