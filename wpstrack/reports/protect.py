"""Suppressing small counts of sensitive metrics in published reports (see DISCLOSURE.md).

Builders never show a sensitive metric's count as it is: they ask a ``Guard``. The guard decides
once per metric and period, with the one decision ``suppression.suppress``, on the whole table
that period's figures make: the approved values of every reporting unit by category (rows), with
the plan's figure by category as the totals row and each row's total as the last column. What it
decided is then what every table of every report of the snapshot shows for those cells (the
parts table, the metric table, the IPTT, the quarterly pack, the provenance annex, the unit
report), and every format prints those tables as they are: the same answer everywhere.

A mark replaces the figure: ``<k`` for a small count (primary), ``x`` for a count hidden so the
small ones cannot be worked out (complementary). Each table that holds a mark gets the method's
footnote.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

HIDDEN = "x"  # a figure hidden with a small one (and anything computed from a hidden figure)


def threshold() -> int:
    return int(settings.SUPPRESSION_THRESHOLD)


def _int(text: Any) -> int | None:
    if text in (None, ""):
        return None
    try:
        number = Decimal(str(text))
    except InvalidOperation:
        return None
    return int(number) if number == number.to_integral_value() else None


@dataclass
class Decision:
    """What one metric's figures of one period show: marks by (unit or "" for the plan, combination
    or "" for the total); a cell not in ``marks`` shows its figure."""

    marks: dict[tuple[str, str], str] = field(default_factory=dict)

    def mark(self, unit: str, combination: str) -> str | None:
        return self.marks.get((unit, combination))


class Guard:
    """The suppression decisions of one snapshot's content (``Snapshot.content``)."""

    def __init__(self, data: dict[str, Any], *, order: list[str] | None = None) -> None:
        self.data = data
        self.k = threshold()
        self.sensitive = {
            m["code"]
            for e in data["elements"]
            for m in e["metrics"]
            if m.get("sensitive") and m.get("type") == "count"
        }
        self.order = order or []  # combinations in display order (the category sets' order)
        self._units: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        for row in data["provenance"]:
            if row["metric"] in self.sensitive:
                self._units[(row["metric"], row["period"])][row["unit"]][row["combination"]] = row[
                    "value"
                ]
        self._decided: dict[tuple[str, str], Decision] = {}

    def applies(self, code: str) -> bool:
        return code in self.sensitive

    def plan(self, code: str, period: str, combination: str = "") -> str | None:
        """The mark for the plan's figure of ``code`` in ``period`` (None: show it)."""
        if code not in self.sensitive:
            return None
        return self.decide(code, period).mark("", combination)

    def unit(self, code: str, period: str, unit: str, combination: str) -> str | None:
        """The mark for one unit's approved value (None: show it)."""
        if code not in self.sensitive:
            return None
        return self.decide(code, period).mark(unit, combination)

    def decide(self, code: str, period: str) -> Decision:
        key = (code, period)
        if key not in self._decided:
            self._decided[key] = self._decide(code, period)
        return self._decided[key]

    def _sorted(self, combinations: set[str]) -> list[str]:
        rank = {c: i for i, c in enumerate(self.order)}
        return sorted(combinations, key=lambda c: (rank.get(c, len(rank)), c))

    def _decide(self, code: str, period: str) -> Decision:
        from wpstrack.reports import suppression  # the one decision (DISCLOSURE.md)

        figure = next(
            (f for f in self.data["figures"].get(code, []) if f["period"] == period), None
        )
        units = self._units.get((code, period), {})
        parts = dict(figure["parts"] or {}) if figure else {}
        categories = self._sorted(
            {c for c in parts} | {c for values in units.values() for c in values if c}
        )
        names = sorted(units)

        def row(values: dict[str, Any], total: Any) -> list[int | None]:
            cells = [_int(values.get(c)) for c in categories]
            if total is None and categories and all(v is not None for v in cells):
                total = sum(v for v in cells if v is not None)
            return [*cells, _int(total)]

        values = [row(units[u], units[u].get("")) for u in names]
        values.append(row(parts, figure["value"] if figure else None))
        labels = [*names, ""]
        columns = [*categories, ""]
        if len(values) > 1:
            spec = suppression.two_way(
                values,
                row_totals_col=len(categories) if categories else None,
                col_totals_row=len(values) - 1,
            )
        elif categories:
            spec = suppression.parts_and_total(values[0])
        else:  # one figure on its own: only the small-count rule applies
            total = values[0][0]
            if total is not None and 0 < total < self.k:
                return Decision({("", ""): f"<{self.k}"})
            return Decision()
        result = suppression.suppress(spec, threshold=self.k)
        marks: dict[tuple[str, str], str] = {}
        for r, unit in enumerate(labels):
            for c, combination in enumerate(columns):
                mark = result.mark(r, c)
                if mark is not None:
                    marks[(unit, combination)] = mark
        return Decision(marks)


def footnote() -> str:
    """The method in plain words (the same text ``suppression`` gives for any table)."""
    from wpstrack.reports import suppression

    return suppression.suppress(
        suppression.parts_and_total([1, 9, 10]), threshold=threshold()
    ).footnote
