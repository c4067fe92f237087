"""Suppression of small counts (DISCLOSURE.md): hand-checked tables, then property tests over
random two-way tables with margins, judged by two oracles written independently of the code:

* ``determined``: the rows and columns are linear equations over the hidden cells (shown figures
  are constants); a hidden cell is determined when its unit vector lies in the row space of the
  equations (ranks by Gaussian elimination over ``Fraction``).
* ``recoverable``: the same, knowing also that counts are never negative. In a two-way table with
  margins (totals flipped in sign) every row and column sums to zero, so the tables consistent
  with what is shown differ from the true one by sums of cycles of hidden cells, +1 and -1 in
  turn; a cell can take another value iff some cycle through it can be applied without making a
  count negative (a change decomposes into such cycles; the matrix is totally unimodular, so
  integers and reals agree). A cell with no such cycle is recoverable; ``determined`` cells have
  no cycle at all.
"""

from __future__ import annotations

import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wpstrack.reports.suppression import (
    Cell,
    Suppression,
    TableSpec,
    parts_and_total,
    suppress,
    two_way,
)

Pos = tuple[int, int]


# -- oracles --------------------------------------------------------------------------------------


def margin_equations(
    nrows: int, ncols: int, total_row: int, total_col: int
) -> list[dict[Pos, int]]:
    """Every row and every column of a table with margins: parts +1, total -1."""
    equations = []
    for r in range(nrows):
        equations.append({(r, c): -1 if c == total_col else 1 for c in range(ncols)})
    for c in range(ncols):
        equations.append({(r, c): -1 if r == total_row else 1 for r in range(nrows)})
    return equations


def rank(matrix: list[list[Fraction]]) -> int:
    rows = [list(row) for row in matrix]
    rank = 0
    for col in range(len(rows[0]) if rows else 0):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col] != 0:
                f = rows[i][col] / rows[rank][col]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def determined(equations: list[dict[Pos, int]], hidden: set[Pos]) -> set[Pos]:
    unknowns = sorted(hidden)
    if not unknowns:
        return set()
    matrix = [[Fraction(eq.get(u, 0)) for u in unknowns] for eq in equations]
    base = rank(matrix)
    found = set()
    for j, u in enumerate(unknowns):
        unit = [Fraction(int(i == j)) for i in range(len(unknowns))]
        if rank([*matrix, unit]) == base:
            found.add(u)
    return found


def recoverable(
    values: list[list[int | None]], total_row: int, total_col: int, hidden: set[Pos]
) -> set[Pos]:
    def sign(cell: Pos) -> int:
        return (-1 if cell[0] == total_row else 1) * (-1 if cell[1] == total_col else 1)

    def allowed(cell: Pos, step: int) -> bool:  # step is +1/-1 in the flipped table
        return (values[cell[0]][cell[1]] or 0) + step * sign(cell) >= 0

    in_row: dict[int, list[Pos]] = {}
    in_col: dict[int, list[Pos]] = {}
    for cell in hidden:
        in_row.setdefault(cell[0], []).append(cell)
        in_col.setdefault(cell[1], []).append(cell)

    def can_change(start: Pos) -> bool:
        for first in (1, -1):
            if not allowed(start, first):
                continue
            # leave start through its column, come back to its row
            stack = [(("col", start[1]), -first, frozenset({("row", start[0]), ("col", start[1])}))]
            while stack:
                (kind, index), step, seen = stack.pop()
                cells = in_col.get(index, []) if kind == "col" else in_row.get(index, [])
                for cell in cells:
                    if cell == start or not allowed(cell, step):
                        continue
                    node = ("row", cell[0]) if kind == "col" else ("col", cell[1])
                    if node == ("row", start[0]):
                        return True
                    if node not in seen:
                        stack.append((node, -step, seen | {node}))
        return False

    return {cell for cell in hidden if not can_change(cell)}


def literal_group_rule(spec: TableSpec, k: int = 5) -> set[Pos]:
    """DISCLOSURE.md read literally: primary cells, then the smallest figure (zeros included) of the
    first group holding exactly one hidden cell, until none does. No audit."""
    hidden = {(r, c) for r, row in enumerate(spec.values) for c, v in enumerate(row) if v and v < k}
    while True:
        for group in spec.groups:
            if sum(cell in hidden for cell in group) == 1:
                candidates = [
                    (v, place, cell)
                    for place, cell in enumerate(group)
                    if cell not in hidden and (v := spec.value(cell)) is not None
                ]
                if candidates:
                    hidden.add(min(candidates)[2])
                    break
        else:
            return hidden


def with_margins(inner: list[list[int]]) -> list[list[int]]:
    rows = [[*row, sum(row)] for row in inner]
    return [*rows, [sum(col) for col in zip(*rows, strict=True)]]


def shown(result: Suppression, spec: TableSpec) -> list[list[str]]:
    return [
        [result.mark(r, c) or str(v) for c, v in enumerate(row)]
        for r, row in enumerate(spec.values)
    ]


# -- hand-checked tables --------------------------------------------------------------------------


def test_a_small_count_of_women_hides_the_smallest_other_figure_above_zero():
    # women 3, men 40, other 0, total 43. Women is primary. Read literally the rule would hide
    # "other" (0); zeros come last (see the next test for why), so men (40 < 43) is hidden.
    spec = parts_and_total([3, 40, 0, 43])
    result = suppress(spec)
    assert result.primary == {(0, 0)}
    assert result.secondary == {(0, 1)}
    assert shown(result, spec) == [["<5", "x", "0", "43"]]
    assert literal_group_rule(spec) == {(0, 0), (0, 2)}


def test_hidden_zeros_as_complements_give_a_small_count_away_so_they_come_last():
    # Found by the property test. Read literally, the rule hides the 0 beside the 4, then the 0
    # below it, then the 53 beside that: a cycle, so the equations alone are safe. But column 1's
    # total is a shown 0, so both hidden zeros are 0, and the 4 is 49 - 45 - 0.
    spec = two_way(with_margins([[4, 0, 0, 0, 45], [53, 0, 0, 59, 0]]), 5, 2)
    literal = literal_group_rule(spec)
    assert literal == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert not determined(margin_equations(3, 6, 2, 5), literal)
    assert (0, 0) in recoverable(spec.values, 2, 5, literal)

    result = suppress(spec)
    assert result.primary == {(0, 0)}
    assert result.secondary == {(0, 4), (1, 0), (1, 3), (2, 3), (2, 4)}
    assert not recoverable(spec.values, 2, 5, result.cells)


def test_units_by_quarters_hide_three_quarters_of_both_small_units():
    table = [
        [12, 3, 15, 20, 50],  # unit A
        [25, 30, 22, 28, 105],  # unit B
        [18, 16, 2, 24, 60],  # unit C
        [55, 49, 39, 72, 215],  # total
    ]
    spec = two_way(table, 4, 3)
    result = suppress(spec)
    assert result.primary == {(0, 1), (2, 2)}
    assert result.secondary == {(0, 0), (0, 2), (2, 0), (2, 1)}
    assert shown(result, spec) == [
        ["x", "<5", "x", "20", "50"],
        ["25", "30", "22", "28", "105"],
        ["x", "x", "<5", "24", "60"],
        ["55", "49", "39", "72", "215"],
    ]
    assert not determined(margin_equations(4, 5, 3, 4), result.cells)


def test_a_complementary_cell_cascades_into_its_column_then_its_row():
    spec = two_way([[2, 10, 12], [7, 30, 37], [9, 40, 49]], 2, 2)
    result = suppress(spec)
    rows_then_columns = [(s.rule, s.group, s.cell) for s in result.steps]
    assert rows_then_columns == [
        ("group", 0, (0, 1)),  # row 0 had only the 2: its smallest other figure, 10
        ("group", 3, (1, 0)),  # column 0 then had only the 2: 7 (smaller than 9)
        ("group", 1, (1, 1)),  # row 1 then had only the 7: 30 (smaller than 37)
    ]
    assert result.cells == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_two_blocks_joined_by_one_cell_pass_the_group_rule_but_not_the_audit():
    inner = [[1, 1, 2, 50], [1, 1, 50, 50], [50, 50, 1, 1], [50, 50, 1, 1]]
    spec = two_way(with_margins(inner), 4, 4)
    equations = margin_equations(5, 5, 4, 4)
    literal = literal_group_rule(spec)
    assert literal == {(r, c) for r in range(4) for c in range(4) if spec.values[r][c] < 5}
    # rows 0 + 1 minus columns 0 + 1 leave (0, 2) alone
    assert determined(equations, literal) == {(0, 2)}

    result = suppress(spec)
    assert result.primary == literal
    assert [(s.rule, s.cell, s.protects) for s in result.steps] == [("exposed", (0, 3), (0, 2))]
    assert not determined(equations, result.cells)


def test_the_group_rule_read_literally_left_a_cell_exposed_in_a_table_the_property_test_found():
    spec = two_way(
        [
            [46, 37, 4, 59, 146],
            [4, 6, 5, 42, 57],
            [1, 24, 55, 0, 80],
            [16, 23, 51, 3, 93],
            [67, 90, 115, 104, 376],
        ],
        4,
        4,
    )
    equations = margin_equations(5, 5, 4, 4)
    assert determined(equations, literal_group_rule(spec)) == {(1, 0)}
    result = suppress(spec)
    assert not determined(equations, result.cells)
    assert not recoverable(spec.values, 4, 4, result.cells)


def test_cells_an_earlier_edition_hid_stay_hidden_and_are_protected_again():
    # Edition 1 hid the 3 and its complements; the correction makes it 12, and 7 becomes 3.
    before = two_way(with_margins([[3, 20, 0], [30, 7, 7]]), row_totals_col=3, col_totals_row=2)
    first = suppress(before)
    assert shown(first, before)[:2] == [["<5", "x", "0", "23"], ["x", "x", "7", "44"]]
    after = two_way(with_margins([[12, 20, 0], [30, 7, 3]]), row_totals_col=3, col_totals_row=2)
    assert shown(suppress(after), after)[0] == ["12", "20", "0", "32"]  # alone: shown
    second = suppress(after, keep=first.cells)
    assert shown(second, after) == [
        ["x", "x", "0", "32"],
        ["x", "x", "<5", "40"],
        ["42", "x", "<5", "72"],
    ]
    assert second.kept == {(0, 0), (0, 1), (1, 0), (1, 1)} and second.primary == {(1, 2), (2, 2)}
    assert [step.cell for step in second.steps] == [(2, 1)]  # the plan's men: the lone x's mate
    assert not recoverable(after.values, 2, 3, second.cells)


def test_a_kept_cell_without_a_figure_now_hides_nothing_and_one_outside_is_refused():
    spec = parts_and_total([None, 9, 9])
    assert suppress(spec, keep=[(0, 0)]).cells == set()
    with pytest.raises(ValueError, match="not in the table"):
        suppress(spec, keep=[(1, 0)])


def test_a_table_without_small_counts_hides_nothing():
    spec = two_way(with_margins([[12, 30], [25, 8]]), 2, 2)
    result = suppress(spec)
    assert result.cells == set() and result.steps == []
    assert all(result.mark(r, c) is None for r in range(3) for c in range(3))


def test_zeros_are_shown_unless_suppress_zero_says_none_is_revealing():
    spec = parts_and_total([0, 12, 9, 21])
    assert suppress(spec).cells == set()
    result = suppress(spec, suppress_zero=True)
    assert result.primary == {(0, 0)} and result.secondary == {(0, 2)}
    assert shown(result, spec) == [["<5", "12", "x", "21"]]


def test_with_suppress_zero_two_hidden_zeros_in_a_row_need_a_figure_above_zero_beside_them():
    # 0 + 0 + 12 = 12 would tell that both hidden cells are 0: the first 12 is hidden too.
    result = suppress(parts_and_total([0, 0, 12, 12]), suppress_zero=True)
    assert result.primary == {(0, 0), (0, 1)}
    assert [(s.rule, s.cell) for s in result.steps] == [("zero_sum", (0, 2))]


def test_a_total_below_the_threshold_whose_parts_are_all_hidden_is_hidden():
    # The 4 is hidden; its row has no total, so its only other figure, a 0, goes; that 0's
    # column then hides its other 0; its total (0) would say both are 0, so it goes too.
    spec = TableSpec(
        values=[[4, 0, None], [None, 0, 0]],
        groups=[[(0, 0), (0, 1), (0, 2)], [(0, 1), (1, 1), (1, 2)]],
        totals=[(0, 2), (1, 2)],
    )
    result = suppress(spec)
    assert [(s.rule, s.group, s.cell) for s in result.steps] == [
        ("group", 0, (0, 1)),
        ("group", 1, (1, 1)),
        ("small_total", 1, (1, 2)),
    ]


def test_a_group_with_nothing_left_to_hide_is_left_alone():
    result = suppress(parts_and_total([3, None, None]))
    assert result.primary == {(0, 0)} and result.secondary == set()


def test_the_threshold_is_a_setting_and_shows_in_the_mark():
    spec = parts_and_total([3, 7, 12, 22])
    result = suppress(spec, threshold=10)
    assert result.primary == {(0, 0), (0, 1)}
    assert shown(result, spec) == [["<10", "<10", "12", "22"]]


def test_the_footnote_says_what_was_done_in_plain_words():
    footnote = suppress(parts_and_total([3, 40, 43])).footnote
    assert "Counts from 1 to 4 are hidden and shown as “<5”." in footnote
    assert "“x”" in footnote and "smallest" in footnote and "never negative" in footnote
    assert (
        "from 0 to 9"
        in suppress(parts_and_total([3, 40, 43]), threshold=10, suppress_zero=True).footnote
    )


def test_the_total_is_the_largest_figure_when_the_groups_do_not_say():
    values = [[3, 40, 0, 43], [20, 2, 9, 31]]
    groups = [[(r, c) for c in range(4)] for r in range(2)]
    inferred = suppress(TableSpec(values=values, groups=groups))
    explicit = suppress(TableSpec(values=values, groups=groups, totals=[(0, 3), (1, 3)]))
    assert inferred.cells == explicit.cells == {(0, 0), (0, 1), (1, 1), (1, 2)}


def test_two_way_groups_are_rows_then_columns_with_their_margins():
    spec = two_way([[10, 1, 2], [3, 4, 7]], row_totals_col=0, col_totals_row=0)
    assert spec.groups == [[(0, 0), (0, 1), (0, 2)], [(1, 0), (1, 1), (1, 2)]] + [
        [(0, c), (1, c)] for c in range(3)
    ]
    assert spec.totals == [(0, 0), (1, 0), (0, 0), (0, 1), (0, 2)]
    assert two_way([[1, 2]], row_totals_col=None, col_totals_row=None).groups == []


def test_parts_and_total_can_put_the_total_first_or_stand_in_a_column():
    first = parts_and_total([43, 3, 40, 0], total_at=0)
    assert first.totals == [(0, 0)] and first.groups == [[(0, 0), (0, 1), (0, 2), (0, 3)]]
    column = parts_and_total([3, 40, 43], vertical=True)
    assert column.values == [[3], [40], [43]] and column.totals == [(2, 0)]
    assert suppress(column).cells == {(0, 0), (1, 0)}


def test_positions_are_plain_tuples():
    result = suppress(parts_and_total([3, 40, 43]))
    assert Cell(0, 0) == (0, 0) and (0, 0) in result.primary
    assert result.cells == {(0, 0), (0, 1)}


@pytest.mark.parametrize(
    ("spec", "threshold"),
    [
        (TableSpec(values=[[-1, 2, 1]], groups=[[(0, 0), (0, 1), (0, 2)]]), 5),
        (TableSpec(values=[[1, 2, 3]], groups=[[(0, 0), (0, 3)]]), 5),
        (TableSpec(values=[[1, 2, 3]], groups=[[(0, 0), (0, 0)]]), 5),
        (TableSpec(values=[[1, 2, 3]], groups=[[(0, 2)]]), 5),
        (
            TableSpec(
                values=[[1, 2, 3]], groups=[[(0, 0), (0, 1), (0, 2)]], totals=[(0, 0), (0, 1)]
            ),
            5,
        ),
        (TableSpec(values=[[1, 2, 3]], groups=[[(0, 0), (0, 2)]], totals=[(0, 1)]), 5),
        (parts_and_total([1, 2, 3]), 0),
    ],
)
def test_impossible_tables_are_refused(spec, threshold):
    with pytest.raises(ValueError):
        suppress(spec, threshold=threshold)


def test_a_long_table_with_many_hidden_zeros_is_decided_quickly_and_safely():
    inner = [[(r * 7 + c * 3) % 11 if (r + c) % 3 else 0 for c in range(4)] for r in range(100)]
    long = two_way(with_margins(inner), 4, 100)
    started = time.perf_counter()
    result = suppress(long, suppress_zero=True)
    assert time.perf_counter() - started < 5  # about 0.05 s; exact arithmetic must stay cheap
    assert not result.unprotected
    assert all(sum(cell in result.cells for cell in group) != 1 for group in long.groups)
    # the oracle is slow on 500 cells: check the first 20 units with the same method
    short = two_way(with_margins(inner[:20]), 4, 20)
    assert not determined(margin_equations(21, 5, 20, 4), suppress(short, suppress_zero=True).cells)


# -- properties over random two-way tables with margins -------------------------------------------

counts = st.one_of(st.just(0), st.integers(1, 6), st.integers(0, 60))


@st.composite
def tables(draw: st.DrawFn) -> tuple[TableSpec, int, int]:
    """A table with margins, totals first or last; returns it with the totals' row and column."""
    nrows, ncols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    inner = [[draw(counts) for _ in range(ncols)] for _ in range(nrows)]
    totals_first_row, totals_first_col = draw(st.booleans()), draw(st.booleans())
    table = with_margins(inner)
    if totals_first_col:
        table = [[row[-1], *row[:-1]] for row in table]
    if totals_first_row:
        table = [table[-1], *table[:-1]]
    total_row = 0 if totals_first_row else nrows
    total_col = 0 if totals_first_col else ncols
    spec = two_way(table, row_totals_col=total_col, col_totals_row=total_row)
    return spec, total_row, total_col


options = st.fixed_dictionaries(
    {"threshold": st.sampled_from([3, 5, 10]), "suppress_zero": st.booleans()}
)
examples = settings(max_examples=300, deadline=None)


@examples
@given(tables(), options)
def test_every_small_count_is_hidden_and_marked_as_small(drawn, opts):
    spec, _, _ = drawn
    result = suppress(spec, **opts)
    k = opts["threshold"]
    small = {
        (r, c)
        for r, row in enumerate(spec.values)
        for c, v in enumerate(row)
        if v is not None and (0 < v < k or (opts["suppress_zero"] and v == 0))
    }
    assert result.primary == small
    assert not result.primary & result.secondary
    for r, c in result.primary:
        assert result.mark(r, c) == f"<{k}"
    for r, c in result.secondary:
        assert result.mark(r, c) == "x"


@examples
@given(tables(), options)
def test_no_row_or_column_is_left_with_exactly_one_hidden_cell(drawn, opts):
    spec, _, _ = drawn
    result = suppress(spec, **opts)
    for group in spec.groups:
        assert sum(cell in result.cells for cell in group) != 1


@examples
@given(tables(), options)
def test_no_hidden_cell_is_determined_by_the_rows_and_columns(drawn, opts):
    spec, total_row, total_col = drawn
    result = suppress(spec, **opts)
    equations = margin_equations(len(spec.values), len(spec.values[0]), total_row, total_col)
    assert equations == [
        dict.fromkeys(group, 1) | {spec.totals[i]: -1} for i, group in enumerate(spec.groups)
    ]
    assert not determined(equations, result.cells)
    assert not result.unprotected


@examples
@given(tables(), options)
def test_no_hidden_cell_can_be_worked_out_even_knowing_counts_are_never_negative(drawn, opts):
    spec, total_row, total_col = drawn
    result = suppress(spec, **opts)
    assert not recoverable(spec.values, total_row, total_col, result.cells)


@examples
@given(tables(), options)
def test_every_secondary_cell_was_hidden_for_a_reason_given_at_the_time(drawn, opts):
    spec, total_row, total_col = drawn
    k = opts["threshold"]
    result = suppress(spec, **opts)
    hidden = set(result.primary)
    for step in result.steps:
        assert step.cell not in hidden and spec.value(step.cell) is not None
        if step.rule == "exposed":
            assert step.protects in recoverable(spec.values, total_row, total_col, hidden)
            hidden.add(step.cell)
            continue
        assert step.group is not None
        group = spec.groups[step.group]
        total = spec.totals[step.group]
        parts = [cell for cell in group if cell != total]
        figures = {cell: spec.value(cell) or 0 for cell in group}  # no None in these tables
        if step.rule == "group":
            assert sum(cell in hidden for cell in group) == 1
            smallest = min(
                (figures[cell] == 0, figures[cell], place, cell)
                for place, cell in enumerate(group)
                if cell not in hidden
            )
            assert step.cell == smallest[3]
        elif step.rule == "small_total":
            assert step.cell == total and figures[total] < k
            assert all(cell in hidden for cell in parts)
        else:
            assert step.rule == "zero_sum"
            assert total not in hidden and any(cell in hidden for cell in parts)
            assert sum(figures[cell] for cell in parts if cell not in hidden) == figures[total]
            assert step.cell in group
        hidden.add(step.cell)
    assert hidden == result.cells
    assert len(result.steps) == len(result.secondary)


@examples
@given(tables(), options, st.data())
def test_cells_kept_from_an_earlier_edition_are_hidden_and_none_can_be_worked_out(
    drawn, opts, data
):
    spec, total_row, total_col = drawn
    every = [(r, c) for r, row in enumerate(spec.values) for c in range(len(row))]
    keep = data.draw(st.sets(st.sampled_from(every), max_size=4))
    result = suppress(spec, keep=keep, **opts)
    assert set(keep) <= result.cells
    assert result.kept == set(keep) - result.primary
    assert all(result.mark(r, c) == "x" for r, c in result.kept)
    for group in spec.groups:
        assert sum(cell in result.cells for cell in group) != 1
    assert not recoverable(spec.values, total_row, total_col, result.cells)
    assert not result.unprotected


@settings(max_examples=50, deadline=None)
@given(tables(), options)
def test_the_same_table_always_gets_the_same_answer(drawn, opts):
    spec, _, _ = drawn
    first = suppress(spec, **opts)
    again = suppress(
        TableSpec(
            values=[list(r) for r in spec.values],
            groups=list(spec.groups),
            totals=list(spec.totals),
        ),
        **opts,
    )
    assert (first.primary, first.secondary, first.steps) == (
        again.primary,
        again.secondary,
        again.steps,
    )
