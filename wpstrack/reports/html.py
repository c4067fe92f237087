"""A report as HTML: the page in the app, the source of the PDF, and the static site's pages.

One template set for all three (``reports/report.html`` and the block templates); a plan may
override it with its own template uploaded by a coordinator (``templates.py``).

On screen a chart is inline SVG (its text stays text, its title and description are read out).
For print it is the same SVG as an image, with the same words as its ``alt`` text: WeasyPrint
computes CSS styles for every element of an inline SVG as if it were HTML, which cost more than
drawing it; as an image it is only drawn (still as vectors), and the tagged PDF names it. The
PDF's charts are drawn by a helper process meanwhile (``drawing.py``)."""

from __future__ import annotations

import base64
import itertools
from typing import Any

from django.template import engines
from django.template.loader import render_to_string

from wpstrack.lib import charts
from wpstrack.reports.document import Figure, Heading, PageBreak, Report, Table, Text
from wpstrack.reports.drawing import Drawing, print_svg

CONTENTS_FROM = 5  # headings; a shorter report has no table of contents


def _figure(block: Figure, for_print: bool, drawing: Drawing | None) -> dict[str, Any]:
    chart = block.chart
    found: dict[str, Any] = {
        "type": "figure",
        "table": block.table,
        "title": chart.title,
        "caption": chart.description or chart.title,
        "alt": charts.accessible_name(chart.title, chart.description),
    }
    if for_print:
        found["src"] = drawing.src(block) if drawing else None
        if not found["src"]:
            svg = base64.b64encode(print_svg(block.svg()).encode()).decode("ascii")
            found["src"] = f"data:image/svg+xml;base64,{svg}"
    else:
        found["svg"] = block.svg()
    return found


def _block(block: Any, for_print: bool = False, drawing: Drawing | None = None) -> dict[str, Any]:
    if isinstance(block, Heading):
        return {"type": "heading", "level": block.level, "text": block.text, "anchor": block.anchor}
    if isinstance(block, Text):
        return {"type": "text", "text": block.text, "style": block.style}
    if isinstance(block, Table):
        return {"type": "table", "table": block, "wide": block.wide}
    if isinstance(block, Figure):
        return _figure(block, for_print, drawing)
    if isinstance(block, PageBreak):
        return {"type": "pagebreak"}
    raise TypeError(block)


def blocks(
    report: Report, *, for_print: bool = False, drawing: Drawing | None = None
) -> list[dict[str, Any]]:
    found = [_block(b, for_print, drawing) for b in report.blocks]
    # A heading goes onto the landscape page of the wide table it introduces.
    for here, after in itertools.pairwise(found):
        if here["type"] == "heading" and after.get("wide"):
            here["wide"] = True
    return found


def context(
    report: Report, *, for_print: bool = False, drawing: Drawing | None = None
) -> dict[str, Any]:
    contents = [h for h in report.headings if h.level <= 2]
    return {
        "report": report,
        "meta": report.meta,
        "cover": report.cover_lines(),
        "blocks": blocks(report, for_print=for_print, drawing=drawing),
        "contents": contents if len(contents) >= CONTENTS_FROM else [],
        "for_print": for_print,
    }


def render(
    report: Report,
    *,
    for_print: bool = False,
    override: str | None = None,
    drawing: Drawing | None = None,
) -> str:
    """The whole report as one HTML document (``override``: a plan's own template source;
    ``drawing``: charts being drawn meanwhile, for the PDF)."""
    data = context(report, for_print=for_print, drawing=drawing)
    if override:
        return engines["django"].from_string(override).render(data)
    return render_to_string("reports/report.html", data)
