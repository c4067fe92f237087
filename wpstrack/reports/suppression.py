"""Cell suppression: which figures of a published table of sensitive counts are hidden.

This is the one function every output asks (page, JSON, CSV, XLSX, DOCX, PDF, static site, API),
so a table hides the same cells wherever it appears. The rules are in
``/work/shared/design/DISCLOSURE.md``; :func:`suppress` applies them in this order, repeating
from 2 after every cell it hides, until nothing changes:

1. **Primary**: a count ``n`` with ``0 < n < k`` is hidden (``n == 0`` too with
   ``suppress_zero``). It is marked ``<k``; every other hidden cell is marked ``x``.
   **Kept**: so are the cells named in ``keep`` (those an earlier edition of the same table hid:
   a corrected edition that showed one would give the figure away by difference, DISCLOSURE.md
   "Across editions"), whatever their figure now; the rules below then run on the new figures.
2. **Group rule** (the simple heuristic of sdcTable): the first additive group (parts with their
   total: a row with its row total, a column with its column total, the sex parts of a total...)
   that holds exactly one hidden cell gets one more: its smallest figure not yet hidden, the first
   in the group's display order among equal ones, and **a zero only if nothing else is left**
   (see below). Groups with nothing left to hide (their other cells are hidden or have no figure)
   are left as they are.
3. **Small totals**: a shown total below ``k`` whose parts are all hidden (or have no figure) is
   hidden.
4. **Zero sums**: a group whose total is shown and whose shown parts add up to it gives its hidden
   parts away: counts are never negative, so they are all 0. Its smallest shown figure above zero
   is hidden (the total if there is none).
5. **Audit**: the groups are equations (sum of parts - total = 0) whose unknowns are the hidden
   cells and the cells with no figure, and counts are at least 0. An unknown that is 0 in every
   solution is found by exact linear programming (with a certificate); the rest is exact Gaussian
   elimination over the rationals. A hidden cell is *exposed* when it is forced to 0 or determined
   by the equations (its unit vector lies in their row space once the forced zeros are known);
   that is exactly when every table consistent with what is shown has the same figure there.
   For the first exposed cell (row-major order), the smallest shown figure whose hiding frees it
   is hidden (zeros last, then row-major order).

Why more than the group rule. The property tests in ``tests/test_suppression.py`` found both:

* Rules 1-2 alone leave cells exposed in about 1 random two-way table in 100 of up to 5 x 5
  (none up to 3 x 3): two blocks of hidden cells joined by a single hidden cell (a bridge between
  two cycles, in graph terms) pass the group rule, but adding the rows of one block and
  subtracting its columns gives the joining cell. The audit (5) adds one cell to close the cycle.
* Read literally, the group rule picks zeros (the smallest figures). A hidden zero protects
  nothing: where the hidden cells of a row add up to the shown difference 0 they are all known to
  be 0, and through them the small count they were meant to protect (in random tables where half
  the figures are 0, nearly 1 in 5 ended with a primary cell recoverable that way, even after the
  linear audit). So zeros come last (2), as in sdcTable, which does not use zeros as complements
  unless zeros are protected (``protectZeros``). Then, if no hidden cell is 0 (``suppress_zero`` off, no cells without a figure), nonnegativity
  tells a reader nothing exact beyond the equations. With ``suppress_zero`` the hidden zeros are
  primary, and rules 4-5 deal with them.

What it does not promise: intervals. A reader still learns bounds (a hidden count lies between
0 and its shown total minus the shown parts); the promise is that no hidden figure can be worked
out exactly. And it is only as good as ``groups``: every additive relation a reader can see
(including those across tables published together) must be a group, and groups must add up.

Positions are ``(row, col)`` in the table as displayed; ``None`` is a cell with no figure.
Everything is deterministic: the order of ``groups`` and the display order inside them decide ties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal, NamedTuple, TypeVar

from django.utils.translation import gettext as _

__all__ = [
    "Cell",
    "Step",
    "Suppression",
    "TableSpec",
    "parts_and_total",
    "suppress",
    "two_way",
]


class Cell(NamedTuple):
    """A position in the table as displayed. A tuple, so ``Cell(1, 2) == (1, 2)``."""

    row: int
    col: int


@dataclass
class TableSpec:
    """A table as displayed and the additive groups in it.

    ``values``: rows x columns; ``None`` is a cell with no figure.
    ``groups``: each is the list of cells whose parts add up to a total, *including the total
    cell*, in display order (the order decides ties).
    ``totals``: the total cell of each group, in the same order as ``groups``. The helpers
    (:func:`two_way`, :func:`parts_and_total`) fill it. Left empty, each group's total is taken to
    be its largest figure (the last of equal ones), which is right for any table whose groups
    add up; pass it when you build groups by hand and a group may have no figures.
    """

    values: list[list[int | None]]
    groups: list[list[tuple[int, int]]]
    totals: list[tuple[int, int]] = field(default_factory=list)

    def value(self, cell: tuple[int, int]) -> int | None:
        return self.values[cell[0]][cell[1]]

    def total_of(self, index: int) -> Cell | None:
        """The total cell of group ``index`` (``None`` for a group with no figures at all)."""
        if self.totals:
            return Cell(*self.totals[index])
        best: Cell | None = None
        best_value = -1
        for cell in self.groups[index]:
            v = self.value(cell)
            if v is not None and v >= best_value:
                best, best_value = Cell(*cell), v
        return best


Rule = Literal["group", "small_total", "zero_sum", "exposed"]
_Value = Callable[[tuple[int, int]], int | None]
_K = TypeVar("_K")


@dataclass(frozen=True)
class Step:
    """Why one secondary cell was hidden, in the order the cells were hidden.

    ``rule`` and ``group`` (an index in ``TableSpec.groups``): ``"group"``, the group held exactly
    one hidden cell; ``"small_total"``, the group's total was below k with all its parts hidden;
    ``"zero_sum"``, the group's hidden parts were known to add up to zero. ``"exposed"``: the audit
    found ``protects`` (a hidden cell) could be worked out, and hiding ``cell`` stops that.
    """

    cell: Cell
    rule: Rule
    group: int | None = None
    protects: Cell | None = None


@dataclass
class Suppression:
    """The cells of one table to hide, and how to mark them."""

    primary: set[Cell]
    secondary: set[Cell]
    threshold: int = 5
    suppress_zero: bool = False
    steps: list[Step] = field(default_factory=list)
    #: Cells hidden because ``keep`` named them (an earlier edition hid them) and not small now.
    kept: set[Cell] = field(default_factory=set)
    #: Hidden cells a reader can still work out however much else is hidden: only possible when
    #: the groups force a figure by their shape alone (e.g. a part that must be zero). Never
    #: seen for two-way tables with margins (a property test checks it).
    unprotected: set[Cell] = field(default_factory=set)

    @property
    def cells(self) -> set[Cell]:
        return self.primary | self.secondary | self.kept

    def mark(self, row: int, col: int) -> str | None:
        """What to print instead of the figure: ``<k`` (small count), ``x`` (hidden so the small
        ones cannot be worked out), or ``None`` (show the figure)."""
        if (row, col) in self.primary:
            return f"<{self.threshold}"
        if (row, col) in self.secondary or (row, col) in self.kept:
            return "x"
        return None

    @property
    def footnote(self) -> str:
        """The method in plain words, for the report footnote (in the active language)."""
        k = self.threshold
        if k == 1:
            small = (
                _("Counts of 0 are hidden and shown as “<1”.")
                if self.suppress_zero
                else _("No count is too small to show.")
            )
        elif self.suppress_zero:
            small = _("Counts from 0 to %(largest)d are hidden and shown as “<%(k)d”.") % {
                "largest": k - 1,
                "k": k,
            }
        else:
            small = _("Counts from 1 to %(largest)d are hidden and shown as “<%(k)d”.") % {
                "largest": k - 1,
                "k": k,
            }
        rest = _(
            "So that a hidden count cannot be worked out from the totals and the other figures, "
            "more counts are hidden and shown as “x”: wherever a row, column or other set of "
            "counts that adds up to a total has only one hidden count, its smallest other count "
            "is hidden too (a zero only if nothing else is left; the first of equal ones); a "
            "total below %(k)d whose parts are all hidden is hidden; and further counts are "
            "hidden wherever the figures shown would still give a hidden count away, even "
            "knowing that counts are never negative."
        ) % {"k": k}
        return f"{small} {rest}"


# -- building groups for the usual shapes ---------------------------------------------------------


def two_way(
    values: Sequence[Sequence[int | None]],
    row_totals_col: int | None,
    col_totals_row: int | None,
) -> TableSpec:
    """A rows x columns table whose column ``row_totals_col`` holds each row's total and whose row
    ``col_totals_row`` holds each column's total (either may be ``None``: no such margin).

    Groups: every row (with its total cell), then every column (with its total cell), in display
    order, including the margins themselves (the totals column adds up to the grand total).
    """
    table = [list(row) for row in values]
    width = len(table[0]) if table else 0
    if any(len(row) != width for row in table):
        raise ValueError("a two-way table needs rows of equal length")
    if row_totals_col is not None and not 0 <= row_totals_col < width:
        raise ValueError(f"no column {row_totals_col} for the row totals")
    if col_totals_row is not None and not 0 <= col_totals_row < len(table):
        raise ValueError(f"no row {col_totals_row} for the column totals")
    groups: list[list[tuple[int, int]]] = []
    totals: list[tuple[int, int]] = []
    if row_totals_col is not None and width > 1:
        for r in range(len(table)):
            groups.append([Cell(r, c) for c in range(width)])
            totals.append(Cell(r, row_totals_col))
    if col_totals_row is not None and len(table) > 1:
        for c in range(width):
            groups.append([Cell(r, c) for r in range(len(table))])
            totals.append(Cell(col_totals_row, c))
    return TableSpec(values=table, groups=groups, totals=totals)


def parts_and_total(
    values: Sequence[int | None], total_at: int = -1, *, vertical: bool = False
) -> TableSpec:
    """A 1-D list of parts with their total, as displayed (e.g. women, men, other, total).

    ``total_at``: the total's index in ``values`` (default: the last). The table is one row, or
    one column with ``vertical=True``; the one group is the whole list.
    """
    if len(values) < 2:
        raise ValueError("parts and a total need at least two figures")
    at = range(len(values))[total_at]
    if vertical:
        table: list[list[int | None]] = [[v] for v in values]
        cells = [Cell(i, 0) for i in range(len(values))]
    else:
        table = [list(values)]
        cells = [Cell(0, i) for i in range(len(values))]
    return TableSpec(values=table, groups=[list(cells)], totals=[cells[at]])


# -- the decision ---------------------------------------------------------------------------------


def suppress(
    table: TableSpec,
    *,
    threshold: int = 5,
    suppress_zero: bool = False,
    keep: Iterable[tuple[int, int]] = (),
) -> Suppression:
    """Decide which cells of ``table`` to hide (see the module docstring for the method).

    ``keep``: cells to hide whatever their figure (an earlier edition hid them); a kept cell with
    no figure now has nothing to hide."""
    keep = list(keep)
    _check(table, threshold, keep)
    k = threshold
    groups = [[Cell(*c) for c in g] for g in table.groups]
    totals = [table.total_of(i) for i in range(len(groups))]
    value = table.value

    def is_primary(v: int | None) -> bool:
        return v is not None and (0 < v < k or (suppress_zero and v == 0))

    order = [Cell(r, c) for r, row in enumerate(table.values) for c in range(len(row))]
    primary = {cell for cell in order if is_primary(value(cell))}
    kept = {Cell(*cell) for cell in keep if value(cell) is not None} - primary
    hidden = primary | kept
    steps: list[Step] = []
    given_up: set[Cell] = set()

    while True:
        step = (
            _group_step(groups, hidden, value)
            or _small_total_step(groups, totals, hidden, value, k)
            or _zero_sum_step(groups, totals, hidden, value)
        )
        if step is None:
            audit = _Audit(groups, totals, hidden, value)
            exposed = [cell for cell in order if audit.exposed(cell) and cell not in given_up]
            if not exposed:
                break
            step = audit.protect(exposed[0])
            if step is None:
                given_up.add(exposed[0])
                continue
        hidden.add(step.cell)
        steps.append(step)

    final = _Audit(groups, totals, hidden, value)
    return Suppression(
        primary=primary,
        secondary=hidden - primary - kept,
        threshold=k,
        suppress_zero=suppress_zero,
        steps=steps,
        kept=kept,
        unprotected={cell for cell in order if final.exposed(cell)},
    )


def _check(table: TableSpec, threshold: int, keep: Iterable[tuple[int, int]] = ()) -> None:
    if threshold < 1:
        raise ValueError("the threshold must be at least 1")
    for r, c in keep:
        if not (0 <= r < len(table.values) and 0 <= c < len(table.values[r])):
            raise ValueError(f"cannot keep ({r}, {c}) hidden: it is not in the table")
    for row in table.values:
        for v in row:
            if v is not None and v < 0:
                raise ValueError("counts cannot be negative")
    if table.totals and len(table.totals) != len(table.groups):
        raise ValueError("give one total per group, or none")
    for i, group in enumerate(table.groups):
        if len(group) < 2:
            raise ValueError(f"group {i} needs parts and a total")
        if len(set(group)) != len(group):
            raise ValueError(f"group {i} names a cell twice")
        for r, c in group:
            if not (0 <= r < len(table.values) and 0 <= c < len(table.values[r])):
                raise ValueError(f"group {i} names ({r}, {c}), which is not in the table")
        if table.totals and tuple(table.totals[i]) not in {tuple(c) for c in group}:
            raise ValueError(f"the total of group {i} is not in the group")


def _group_step(groups: list[list[Cell]], hidden: set[Cell], value: _Value) -> Step | None:
    """The first group holding exactly one hidden cell and something left to hide."""
    for i, group in enumerate(groups):
        if sum(cell in hidden for cell in group) != 1:
            continue
        candidates = [
            (v == 0, v, place, cell)
            for place, cell in enumerate(group)
            if cell not in hidden and (v := value(cell)) is not None
        ]
        if candidates:
            return Step(cell=min(candidates)[3], rule="group", group=i)
    return None


def _zero_sum_step(
    groups: list[list[Cell]],
    totals: list[Cell | None],
    hidden: set[Cell],
    value: _Value,
) -> Step | None:
    """The first group whose hidden parts are known to add up to zero (its total is shown, and
    so are its other parts, which add up to it): counts are never negative, so the hidden ones are
    all known to be zero. Its smallest shown figure above zero is hidden too (the first of equal
    ones), or its total if there is none. The audit would find these too; this is the quick, local
    case, and the common one with ``suppress_zero``."""
    for i, (group, total) in enumerate(zip(groups, totals, strict=True)):
        if total is None or total in hidden or (t := value(total)) is None:
            continue
        parts = [cell for cell in group if cell != total]
        if not any(cell in hidden for cell in parts):
            continue
        shown = [value(cell) for cell in parts if cell not in hidden]
        if None in shown or t != sum(v or 0 for v in shown):
            continue
        above_zero = [
            (v, place, cell)
            for place, cell in enumerate(group)
            if cell not in hidden and (v := value(cell))
        ]
        cell = min(above_zero)[2] if above_zero else total
        return Step(cell=cell, rule="zero_sum", group=i)
    return None


def _small_total_step(
    groups: list[list[Cell]],
    totals: list[Cell | None],
    hidden: set[Cell],
    value: _Value,
    k: int,
) -> Step | None:
    """The first shown total below k whose parts are all hidden (or have no figure)."""
    for i, (group, total) in enumerate(zip(groups, totals, strict=True)):
        if total is None or total in hidden:
            continue
        v = value(total)
        if v is None or v >= k:
            continue
        parts = [cell for cell in group if cell != total]
        if any(cell in hidden for cell in parts) and all(
            cell in hidden or value(cell) is None for cell in parts
        ):
            return Step(cell=total, rule="small_total", group=i)
    return None


_Sparse = dict[Cell, Fraction]
_Combination = dict[int, Fraction]


class _Audit:
    """What a reader can work out about the hidden cells from the figures shown.

    Each group is an equation, sum of parts - total = 0, over the unknown cells (hidden, or with
    no figure); shown figures are constants. Counts are never negative, so some unknowns may be
    zero in every solution (``forced_zero``, found by linear programming); those are known, and the
    rest are reduced to row echelon form, keeping with each row the combination of groups that
    produced it. A hidden cell is exposed when it is forced to zero or determined by the equations;
    this is exact: the solutions fill the set cut out by the equations and the forced zeros.
    """

    def __init__(
        self,
        groups: list[list[Cell]],
        totals: list[Cell | None],
        hidden: set[Cell],
        value: _Value,
    ) -> None:
        self.hidden = hidden
        self.value = value
        self.coefficients: dict[Cell, list[tuple[int, int]]] = {}  # cell -> [(group, ±1)]
        for i, (group, total) in enumerate(zip(groups, totals, strict=True)):
            for cell in group:
                self.coefficients.setdefault(cell, []).append((i, -1 if cell == total else 1))
        unknowns = sorted(c for c in self.coefficients if c in hidden or value(c) is None)
        is_unknown = set(unknowns)
        rows: list[dict[Cell, int]] = []
        constants: list[int] = []
        for group, total in zip(groups, totals, strict=True):
            row: dict[Cell, int] = {}
            constant = 0
            for cell in group:
                sign = -1 if cell == total else 1
                if cell in is_unknown:
                    row[cell] = sign
                else:
                    constant -= sign * (value(cell) or 0)
            rows.append(row)
            constants.append(constant)
        # A hidden figure above zero cannot be forced to zero when the groups add up; cells with
        # no figure can, and so can hidden zeros.
        candidates = [c for c in unknowns if value(c) in (None, 0)]
        point = {c: v for c in unknowns if (v := value(c)) is not None}
        adds_up = len(point) == len(unknowns) and all(
            sum(x * point[c] for c, x in row.items()) == b
            for row, b in zip(rows, constants, strict=True)
        )
        self.forced_zero = _forced_zeros(
            rows, constants, unknowns, candidates, point if adds_up else None
        )
        self.pivots: dict[Cell, tuple[_Sparse, _Combination]] = {}
        self.left_null: list[_Combination] = []  # combinations of groups that cancel every unknown
        for i, row in enumerate(rows):
            self._add(
                {c: Fraction(x) for c, x in row.items() if c not in self.forced_zero},
                {i: Fraction(1)},
            )

    def _add(self, row: _Sparse, combination: _Combination) -> None:
        for pivot, (prow, pcomb) in self.pivots.items():
            if (f := row.get(pivot)) is not None:
                _axpy(row, -f, prow)
                _axpy(combination, -f, pcomb)
        if not row:
            self.left_null.append(combination)
            return
        pivot = min(row)
        f = row[pivot]
        row = {cell: x / f for cell, x in row.items()}
        combination = {g: x / f for g, x in combination.items()}
        for prow, pcomb in self.pivots.values():
            if (g := prow.get(pivot)) is not None:
                _axpy(prow, -g, row)
                _axpy(pcomb, -g, combination)
        self.pivots[pivot] = (row, combination)

    def exposed(self, cell: Cell) -> bool:
        """A hidden cell a reader can work out."""
        if cell not in self.hidden:
            return False
        if cell in self.forced_zero:
            return True
        entry = self.pivots.get(cell)
        return entry is not None and len(entry[0]) == 1

    def protect(self, cell: Cell) -> Step | None:
        """The figure to hide so that ``cell`` can no longer be worked out this way.

        Determined by the equations: ``y0`` (a combination of groups) gives ``cell``; every other
        combination that does is ``y0`` plus one of the left null space. Once a shown cell ``s``
        (its coefficients in the groups: ``a_s``) becomes unknown, ``cell`` stays determined iff
        one of them gives ``s`` the coefficient 0: so ``s`` frees it iff ``a_s`` is orthogonal to
        the left null space and ``y0 . a_s != 0``.

        Forced to zero: the certificate ``y`` combines the groups into ``sum c_i u_i = 0`` with
        every ``c_i >= 0`` and ``c_cell > 0``. Hiding ``s`` (figure ``v``) adds ``(y . a_s) u_s``
        on the left and ``(y . a_s) v`` on the right, which breaks the certificate when
        ``y . a_s != 0`` and ``v > 0``, or when ``y . a_s < 0``.

        The smallest figure that does it is chosen, zeros last (a hidden zero protects little),
        then row-major order. If there is none, the smallest figure of the groups involved is
        hidden instead, which makes progress; ``None`` if nothing is left to hide there.
        """
        certificate = self.forced_zero.get(cell)
        y = certificate if certificate is not None else self.pivots[cell][1]
        shown = sorted(
            (v == 0, v, s)
            for s in self.coefficients
            if s not in self.hidden and (v := self.value(s)) is not None
        )
        for _zero, v, s in shown:
            a_s = self.coefficients[s]
            d = _dot(y, a_s)
            if certificate is not None:
                frees = d < 0 or (d > 0 and v > 0)
            else:
                frees = d != 0 and all(_dot(ell, a_s) == 0 for ell in self.left_null)
            if frees:
                return Step(cell=s, rule="exposed", protects=cell)
        for _zero, _v, s in shown:
            if any(g in y for g, _ in self.coefficients[s]):
                return Step(cell=s, rule="exposed", protects=cell)
        return None


def _forced_zeros(
    rows: list[dict[Cell, int]],
    constants: list[int],
    unknowns: list[Cell],
    candidates: list[Cell],
    point: dict[Cell, int] | None,
) -> dict[Cell, _Combination]:
    """The candidates that are zero in every solution of ``rows . u = constants, u >= 0``.

    Each comes with a certificate: a combination ``y`` of the rows with ``y . constants == 0`` whose
    coefficient is at least 1 on the candidate and at least 0 on every unknown.

    ``point``, when given, is a solution (the true figures). Directions that keep the equations
    and do not push a zero below zero show which zeros can grow (:func:`_growing_zeros`); that is
    quick and settles most candidates. The rest go to the exact simplex method (Bland's rule,
    fractions): maximise the sum of the candidates not yet seen positive; every candidate positive
    in the optimum (or along an unbounded ray) can be positive, and if the optimum is 0 the dual
    solution certifies that all the rest are forced to zero. Returns nothing when the equations
    have no solution (groups that do not add up).
    """
    if point is not None:
        grow = _growing_zeros(rows, unknowns, point)
        candidates = [c for c in candidates if c not in grow]
    if not candidates:
        return {}
    m, n = len(rows), len(unknowns)
    column = {cell: j for j, cell in enumerate(unknowns)}
    signs = [1 if b >= 0 else -1 for b in constants]
    # Tableau [A | I | b] with rows signed so that b >= 0; the identity block is B^-1 throughout.
    zero = Fraction(0)
    tableau = []
    for i, row in enumerate(rows):
        line = [zero] * (n + m + 1)
        for cell, x in row.items():
            line[column[cell]] = Fraction(signs[i] * x)
        line[n + i] = Fraction(1)
        line[-1] = Fraction(signs[i] * constants[i])
        tableau.append(line)
    basis = [n + i for i in range(m)]
    phase_one = [zero] * n + [Fraction(-1)] * m
    _simplex(tableau, basis, phase_one, n + m)  # bounded: the artificial variables are >= 0
    if any(tableau[i][-1] for i in range(m) if basis[i] >= n):
        return {}  # no solution: the groups do not add up
    for i in range(m):  # artificial variables left at zero: swap them for unknowns where possible
        if basis[i] >= n and (j := next((j for j in range(n) if tableau[i][j]), None)) is not None:
            _pivot(tableau, basis, i, j)

    remaining = [column[c] for c in candidates]
    while remaining:
        cost = [zero] * (n + m)
        for j in remaining:
            cost[j] = Fraction(1)
        ray = _simplex(tableau, basis, cost, n)
        positive = {basis[i] for i in range(m) if tableau[i][-1] > 0}
        if ray is not None:
            positive |= ray
        elif not positive & set(remaining):
            duals = [
                sum((cost[basis[i]] * tableau[i][n + k] for i in range(m)), zero) for k in range(m)
            ]
            certificate = {k: signs[k] * y for k, y in enumerate(duals) if y}
            return {unknowns[j]: certificate for j in remaining}
        remaining = [j for j in remaining if j not in positive]
    return {}


def _growing_zeros(
    rows: list[dict[Cell, int]], unknowns: list[Cell], point: dict[Cell, int]
) -> set[Cell]:
    """Zeros of ``point`` that some solution makes positive, found without linear programming.

    The solutions are ``point + d`` with ``rows . d = 0``; a direction is usable when it does not
    lower a zero. The kernel directions of the reduced rows (one per free unknown, both ways) are
    tried; each usable one shows its raised zeros can grow. Once some zeros can grow, a solution
    has them all positive at once (the average), and from there a direction only has to spare the
    other zeros; so this repeats until nothing changes. Sound, not complete: what it misses goes to
    the simplex method.
    """
    pivots: dict[Cell, _Sparse] = {}
    for row in rows:
        reduced: _Sparse = {c: Fraction(x) for c, x in row.items()}
        for pivot, prow in pivots.items():
            if (f := reduced.get(pivot)) is not None:
                _axpy(reduced, -f, prow)
        if not reduced:
            continue
        pivot = min(reduced)
        f = reduced[pivot]
        reduced = {c: x / f for c, x in reduced.items()}
        for prow in pivots.values():
            if (g := prow.get(pivot)) is not None:
                _axpy(prow, -g, reduced)
        pivots[pivot] = reduced
    through: dict[Cell, list[tuple[Cell, Fraction]]] = {}
    for pivot, prow in pivots.items():
        for c, x in prow.items():
            if c != pivot:
                through.setdefault(c, []).append((pivot, -x))
    directions = [{f: Fraction(1), **dict(through.get(f, []))} for f in unknowns if f not in pivots]
    zeros = {c for c in unknowns if point[c] == 0}
    changed = True
    while changed and zeros:
        changed = False
        for d in directions:
            for way in (1, -1):
                if all(way * x >= 0 for c, x in d.items() if c in zeros):
                    raised = {c for c, x in d.items() if c in zeros and way * x > 0}
                    if raised:
                        zeros -= raised
                        changed = True
    return {c for c in unknowns if point[c] == 0} - zeros


def _simplex(
    tableau: list[list[Fraction]], basis: list[int], cost: list[Fraction], allowed: int
) -> set[int] | None:
    """Maximise ``cost . x`` from the feasible basis, entering only columns below ``allowed``.

    Bland's rule, so it ends. Returns ``None`` at the optimum, or the columns that grow along the
    ray when the objective is unbounded."""
    m = len(tableau)
    # reduced costs, kept up to date through the pivots like one more row of the tableau
    reduced = [*cost, Fraction(0)]
    for i in range(m):
        if c := cost[basis[i]]:
            reduced = [r - c * t if t else r for r, t in zip(reduced, tableau[i], strict=True)]
    while True:
        entering = next((j for j in range(allowed) if reduced[j] > 0), None)
        if entering is None:
            return None
        best: tuple[Fraction, int, int] | None = None
        for i in range(m):
            if tableau[i][entering] > 0:
                key = (tableau[i][-1] / tableau[i][entering], basis[i], i)
                if best is None or key < best:
                    best = key
        if best is None:
            return {entering} | {basis[i] for i in range(m) if tableau[i][entering] < 0}
        _pivot(tableau, basis, best[2], entering)
        g = reduced[entering]
        reduced = [r - g * t if t else r for r, t in zip(reduced, tableau[best[2]], strict=True)]


def _pivot(tableau: list[list[Fraction]], basis: list[int], r: int, j: int) -> None:
    f = tableau[r][j]
    pivot_line = [x / f if x else x for x in tableau[r]]
    tableau[r] = pivot_line
    for i, line in enumerate(tableau):
        if i != r and (g := line[j]):
            tableau[i] = [x - g * y if y else x for x, y in zip(line, pivot_line, strict=True)]
    basis[r] = j


def _axpy(target: dict[_K, Fraction], factor: Fraction, source: dict[_K, Fraction]) -> None:
    """target += factor * source, dropping zeros."""
    for key, x in source.items():
        y = target.get(key, Fraction(0)) + factor * x
        if y:
            target[key] = y
        else:
            target.pop(key, None)


def _dot(combination: _Combination, coefficients: Iterable[tuple[int, int]]) -> Fraction:
    return sum((combination.get(g, Fraction(0)) * c for g, c in coefficients), Fraction(0))
