"""A report as a neutral document: headings, text, tables and figures, in order.

Builders (``builders.py``) make one from a snapshot; renderers turn the same document into HTML
(and PDF from that HTML), Word, Excel and a static site, so every format shows the same figures,
the same suppressed cells and the same footnotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wpstrack.lib import charts


@dataclass
class Heading:
    level: int  # 1 to 3
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

    def cell(self, row: int, col: int) -> str:
        return self.rows[row][col]


@dataclass
class Figure:
    chart: charts.Chart
    table: Table  # the same figures, for readers who do not see the chart


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
