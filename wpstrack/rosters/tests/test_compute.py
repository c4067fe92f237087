"""Leaf aggregates rolled up into each unit's cells: subtrees, sub-unit breakdowns, shares."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from wpstrack.rosters.compute import RulePlan, UnitTree, cells_for_unit
from wpstrack.rosters.engine import Counts, Measure

TREE = UnitTree(
    {"DHS": "/1/", "DHS-CBP": "/1/2/", "DHS-ICE": "/1/3/", "DHS-ICE-ERO": "/1/3/4/"},
    {"DHS": ["DHS-CBP", "DHS-ICE"], "DHS-ICE": ["DHS-ICE-ERO"]},
)
VALUES = {
    ("DHS-CBP", "women"): Counts(number=3),
    ("DHS-CBP", "men"): Counts(number=5),
    ("DHS-ICE-ERO", "women"): Counts(number=2),
    ("DHS-ICE", "men"): Counts(number=1),
}


def rule(kind: str, dims: tuple[str, ...]) -> RulePlan:
    definition = SimpleNamespace(type="count")
    return RulePlan("M", kind, definition, [], Measure("r0", kind, dims))  # type: ignore[arg-type]


def test_a_unit_gets_the_rows_of_its_whole_subtree_by_sex():
    cells, _figures, _unplaced = cells_for_unit(
        rule("headcount", ("unit", "sex")), VALUES, "DHS-ICE", ["sex=women", "sex=men"], TREE
    )
    assert cells == {"sex=women": {"number": "2"}, "sex=men": {"number": "1"}}


def test_a_breakdown_by_sub_unit_rolls_grandchildren_into_their_child():
    combos = ["unit=DHS-CBP|sex=women", "unit=DHS-ICE|sex=women"]
    cells, _figures, _unplaced = cells_for_unit(
        rule("headcount", ("unit", "sex")), VALUES, "DHS", combos, TREE
    )
    assert cells == {
        "unit=DHS-CBP|sex=women": {"number": "3"},
        "unit=DHS-ICE|sex=women": {"number": "2"},
    }


def test_a_unit_without_sub_units_is_broken_down_by_itself():
    cells, _figures, _unplaced = cells_for_unit(
        rule("headcount", ("unit",)),
        {("DHS-CBP",): Counts(number=8)},
        "DHS-CBP",
        ["unit=DHS-CBP"],
        TREE,
    )
    assert cells == {"unit=DHS-CBP": {"number": "8"}}


def test_shares_add_numerators_and_denominators_and_an_empty_one_stays_blank():
    values = {
        ("DHS-CBP",): Counts(numerator=3, denominator=8),
        ("DHS-ICE-ERO",): Counts(numerator=2, denominator=2),
    }
    share = rule("share_women", ("unit",))
    cells, figures, _unplaced = cells_for_unit(share, values, "DHS", [""], TREE)
    assert cells == {"": {"numerator": "5", "denominator": "10"}}
    assert figures[""].denominator == Decimal(10)
    empty, _figures, _unplaced = cells_for_unit(share, {}, "DHS", [""], TREE)
    assert empty == {"": {}}


def test_rows_coded_to_a_unit_broken_down_by_sub_unit_are_counted_aside_not_dropped():
    combos = ["unit=DHS-CBP|sex=men", "unit=DHS-ICE|sex=men"]
    cells, _figures, unplaced = cells_for_unit(
        rule("headcount", ("unit", "sex")), {**VALUES, ("DHS", "men"): Counts(number=4)}, "DHS",
        combos, TREE,
    )  # fmt: skip
    assert cells == {
        "unit=DHS-CBP|sex=men": {"number": "5"},
        "unit=DHS-ICE|sex=men": {"number": "1"},
    }
    assert unplaced.number == 4 + 3 + 2  # DHS itself, and the women no part of these lists
