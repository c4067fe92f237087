"""A report as a neutral document: headings, text, tables and figures, in order.

Builders (``builders.py``) make one from a snapshot; renderers turn the same document into HTML
(and PDF from that HTML), Word, Excel and a static site, so every format shows the same figures,
the same suppressed cells and the same footnotes.

A chart is drawn once per report whatever the formats asked for: ``Figure.svg()`` and
``Figure.png()`` keep what vl-convert drew in a small cache keyed by the chart's spec (drawing is
deterministic, and a changed figure changes the spec), so the worker that builds the PDF, the Word
and the site of one report draws each chart once.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import vl_convert

from wpstrack.lib import charts

HEADING_LEVELS = 4  # 1: a section of the report; 2-4: the plan's levels below it
LINE, LINE_WIDE = 100, 148  # characters of table text across a portrait, a landscape page


@dataclass
class Heading:
    level: int  # 1 to HEADING_LEVELS
    text: str

    @property
    def anchor(self) -> str:
        return "s-" + re.sub(r"[^a-z0-9]+", "-", self.text.lower()).strip("-")[:60]


@dataclass
class Text:
    text: str
    style: str = "body"  # body, lead, note, status


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)  # column indexes holding numbers
    notes: list[str] = field(default_factory=list)  # footnotes (e.g. the suppression method)
    sheet: str = ""  # name for its Excel sheet
    wide: bool = False  # printed across a landscape page (the IPTT)

    def cell(self, row: int, col: int) -> str:
        return self.rows[row][col]

    def weights(self) -> list[float]:
        """Each column's width in characters: its longest word (so a code, a date or a figure
        is not broken; words longer than 24 characters, like e-mail addresses, may be), and more
        for long texts when the line has room (up to 60 characters for a column whose texts are
        mostly longer). Headers are bold: their words count a fifth more."""
        longest, typical = [], []
        for index, name in enumerate(self.columns):
            cells = [str(row[index]) for row in self.rows if index < len(row)]
            words = [len(w) for text in cells for w in text.split()]
            words += [math.ceil(len(w) * 1.2) for w in str(name).split()]
            lengths = sorted(len(c) for c in cells) or [len(str(name))]
            longest.append(max(words or [1]))
            typical.append(lengths[(len(lengths) - 1) * 9 // 10])
        room = LINE_WIDE if self.wide else LINE
        for cap in (24, 18, 14, 10):  # long words give way first when the line is full
            least = [min(w, cap) + 2.5 for w in longest]
            if sum(least) <= room:
                break
        wanted = [max(m, min(t, 60) + 2.5) for m, t in zip(least, typical, strict=True)]
        if sum(wanted) <= room or sum(least) >= room:
            return wanted if sum(least) < room else least
        spare, extra = room - sum(least), [w - m for w, m in zip(wanted, least, strict=True)]
        return [m + spare * e / sum(extra) for m, e in zip(least, extra, strict=True)]

    def percentages(self) -> list[float]:
        """The column widths in percent of the table's (for ``<col>`` and Word's grid)."""
        weights = self.weights()
        total = sum(weights) or 1
        return [round(100 * w / total, 2) for w in weights]


@dataclass
class Figure:
    chart: charts.Chart
    table: Table  # the same figures, for readers who do not see the chart

    def svg(self) -> str:
        """The chart as accessible SVG (drawn once, then from the cache)."""
        key = spec_key(self.chart)
        found = cached_svg(key)
        if found is None:
            found = self.chart.svg()
            keep_svg(key, found)
        return found

    def png(self, scale: float = 2) -> bytes:
        """The chart as PNG, rasterised from the cached SVG (vl-convert draws PNGs that way too)."""
        key = (f"png{scale}", spec_key(self.chart))
        found = _drawn.get(key)
        if found is None:
            found = vl_convert.svg_to_png(self.svg(), scale=scale)
            _keep(key, found)
        return bytes(found)  # type: ignore[arg-type]


CACHE_SIZE = 256
_drawn: OrderedDict[tuple[str, str], str | bytes] = OrderedDict()


def spec_key(chart: charts.Chart) -> str:
    return hashlib.sha256(json.dumps(chart.spec, sort_keys=True, default=str).encode()).hexdigest()


def _keep(key: tuple[str, str], value: str | bytes) -> None:
    _drawn[key] = value
    _drawn.move_to_end(key)
    while len(_drawn) > CACHE_SIZE:
        _drawn.popitem(last=False)


def cached_svg(key: str) -> str | None:
    found = _drawn.get(("svg", key))
    return None if found is None else str(found)


def keep_svg(key: str, svg: str) -> None:
    _keep(("svg", key), svg)


def forget_drawn_charts() -> None:
    """Empty the chart cache (the benchmark times drawing from cold)."""
    _drawn.clear()


@dataclass
class PageBreak:
    pass


Block = Heading | Text | Table | Figure | PageBreak


@dataclass
class Report:
    kind: str
    title: str
    subtitle: str
    meta: dict[str, Any]  # plan, year, edition, snapshot, sha256, generated_at, demo
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    @property
    def headings(self) -> list[Heading]:
        return [b for b in self.blocks if isinstance(b, Heading)]

    @property
    def tables(self) -> list[Table]:
        found = []
        for block in self.blocks:
            if isinstance(block, Table):
                found.append(block)
            elif isinstance(block, Figure):
                found.append(block.table)
        return found

    @property
    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]

    def cover_lines(self) -> list[tuple[str, str]]:
        """What the cover says besides the titles, as (style, text): the edition, the snapshot
        and its SHA-256, when it was frozen, and the demo warning. Every format prints these."""
        from django.utils.translation import gettext as _

        meta = self.meta
        lines = [
            (
                "edition",
                _("Edition %(edition)s · snapshot %(snapshot)s")
                % {"edition": meta.get("edition"), "snapshot": meta.get("snapshot")},
            ),
            ("sha", _("SHA-256 %(sha)s") % {"sha": meta.get("sha256")}),
            (
                "note",
                _(
                    "Built by wpstrack on %(built)s from the approved data as frozen on %(at)s; "
                    "drafts and reports under review never enter."
                )
                % {"built": meta.get("generated_at"), "at": meta.get("snapshot_at")},
            ),
        ]
        if meta.get("demo"):
            lines.append(
                ("demo", _("Demo data: the figures in this report are generated, not reported."))
            )
        return lines
