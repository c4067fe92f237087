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

Across editions (DISCLOSURE.md): a snapshot that is a later edition of its plan's year keeps
hidden every cell the previous edition hid (``Guard.of``: that edition's own guard, which kept its
predecessor's, so the pattern only grows), marked ``x`` unless the cell is small now, and the
decision then runs again on the new figures, so the complementary cells protect the new pattern.
Otherwise a correction would show a figure the earlier edition hid, and its neighbours (shown in
both) would give the old one away too. The footnote says which edition the hidden cells come from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from wpstrack.reports.models import Snapshot

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
    """The suppression decisions of one snapshot's content (``Snapshot.content``).

    ``earlier``: the guard of the previous edition of the same plan and year, and ``kept_from``
    that edition's number (``Guard.of`` finds both for a stored snapshot); it is loaded when first
    needed. A metric sensitive in the earlier edition stays so here: taking the flag off in the
    plan does not show what was hidden."""

    def __init__(
        self,
        data: dict[str, Any],
        *,
        order: list[str] | None = None,
        earlier: Callable[[], Guard] | None = None,
        kept_from: int | None = None,
    ) -> None:
        self.data = data
        self.kept_from = kept_from
        self._earlier = earlier
        self._earlier_guard: Guard | None = None
        self.k = threshold()
        counts = {m["code"]: m for e in data["elements"] for m in e["metrics"]}
        self.counts = {code for code, m in counts.items() if m.get("type") == "count"}
        self.flagged = {code for code in self.counts if counts[code].get("sensitive")}
        self.order = order or []  # combinations in display order (the category sets' order)
        self._units: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        for row in data["provenance"]:
            if row["metric"] in self.counts:
                self._units[(row["metric"], row["period"])][row["unit"]][row["combination"]] = row[
                    "value"
                ]
        self._decided: dict[tuple[str, str], Decision] = {}
        self._applies: dict[str, bool] = {}

    @classmethod
    def of(cls, snapshot: Snapshot) -> Guard:
        """The guard of a snapshot: its content's decisions, holding to what its previous edition
        (of the same plan and year) hid."""
        data = snapshot.content
        order = [key for key, _label in data.get("categories") or []]
        before = None
        if snapshot.edition > 1 and snapshot.plan_id is not None:
            before = (
                Snapshot.objects.filter(
                    plan_id=snapshot.plan_id, year=snapshot.year, edition__lt=snapshot.edition
                )
                .order_by("-edition")
                .values_list("edition", flat=True)
                .first()
            )
        if before is None:
            return cls(data, order=order)

        def earlier() -> Guard:
            found = Snapshot.objects.get(
                plan_id=snapshot.plan_id, year=snapshot.year, edition=before
            )
            return cls.of(found)

        return cls(data, order=order, earlier=earlier, kept_from=before)

    @property
    def earlier(self) -> Guard | None:
        """The previous edition's guard (loaded when first asked)."""
        if self._earlier_guard is None and self._earlier is not None:
            self._earlier_guard = self._earlier()
        return self._earlier_guard

    def earlier_marks(self, code: str, period: str) -> dict[tuple[str, str], str]:
        """What the previous edition hid of ``code`` in ``period`` (nothing without one)."""
        earlier = self.earlier
        if earlier is None or not earlier.applies(code):
            return {}
        return earlier.decide(code, period).marks

    def applies(self, code: str) -> bool:
        """Whether ``code``'s counts are suppressed: flagged sensitive here or in an earlier
        edition."""
        if code not in self._applies:
            earlier = self.earlier if code in self.counts and code not in self.flagged else None
            self._applies[code] = code in self.flagged or (
                earlier is not None and earlier.applies(code)
            )
        return self._applies[code]

    def plan(self, code: str, period: str, combination: str = "") -> str | None:
        """The mark for the plan's figure of ``code`` in ``period`` (None: show it)."""
        if not self.applies(code):
            return None
        return self.decide(code, period).mark("", combination)

    def unit(self, code: str, period: str, unit: str, combination: str) -> str | None:
        """The mark for one unit's approved value (None: show it)."""
        if not self.applies(code):
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
        earlier = self.earlier_marks(code, period)
        keep = [
            (r, c)
            for r, unit in enumerate(labels)
            for c, combination in enumerate(columns)
            if (unit, combination) in earlier
        ]
        if len(values) > 1:
            spec = suppression.two_way(
                values,
                row_totals_col=len(categories) if categories else None,
                col_totals_row=len(values) - 1,
            )
        elif categories:
            spec = suppression.parts_and_total(values[0])
        else:  # one figure on its own: only the small-count rule applies (and what was hidden)
            total = values[0][0]
            if total is not None and 0 < total < self.k:
                return Decision({("", ""): f"<{self.k}"})
            if total is not None and keep:
                return Decision({("", ""): HIDDEN})
            return Decision()
        result = suppression.suppress(spec, threshold=self.k, keep=keep)
        marks: dict[tuple[str, str], str] = {}
        for r, unit in enumerate(labels):
            for c, combination in enumerate(columns):
                mark = result.mark(r, c)
                if mark is not None:
                    marks[(unit, combination)] = mark
        return Decision(marks)


def footnote(kept_from: int | None = None) -> str:
    """The method in plain words (the same text ``suppression`` gives for any table), and for a
    later edition that the counts the previous one hid stay hidden."""
    from django.utils.translation import gettext as _

    from wpstrack.reports import suppression

    method = suppression.suppress(
        suppression.parts_and_total([1, 9, 10]), threshold=threshold()
    ).footnote
    if kept_from is None:
        return method
    kept = _(
        "Counts are kept hidden as in edition %(edition)d: every count it hid stays hidden in "
        "this edition (as “x” where it is no longer small), so that comparing the editions "
        "gives none away."
    ) % {"edition": kept_from}
    return f"{method} {kept}"
