"""From the engine's aggregates per leaf unit to the cells of each unit's draft.

The engine groups by the org unit each row names (a leaf, usually) and by the categories a
metric is broken down by; here those additive counts are summed over each reporting unit's
subtree (and, for a breakdown by sub-unit, over each child's subtree) and shaped as the raw cells
the entry rules check, so a roster's figures pass exactly the rules a typed figure passes.
Rates are summed as numerator and denominator, never averaged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from wpstrack.accounts.models import OrgUnit
from wpstrack.frameworks.models import MetricDefinition
from wpstrack.rosters.engine import Measure

# Each measure gives a count, or a share as numerator and denominator.
COUNT_MEASURES = {
    "headcount",
    "headcount_start",
    "hires",
    "exits",
    "completions",
    "people_completed",
    "trainees",
}
SHARE_MEASURES = {"share_women", "attrition_rate"}
MEASURES = COUNT_MEASURES | SHARE_MEASURES
# Breakdown set of a metric -> the roster field that holds it ("unit" is the row's org unit).
SET_FIELDS = {
    "sex": "sex",
    "age": "age",
    "unit": "unit",
    "personnel-category": "personnel_category",
}


@dataclass
class RulePlan:
    """One rule of the mapping resolved against the plan: what to ask the engine for."""

    metric_code: str
    measure: str
    definition: MetricDefinition
    sets: list[str]  # the metric's breakdown sets, in declared order
    engine: Measure

    @property
    def dims(self) -> tuple[str, ...]:
        return self.engine.dims


@dataclass
class RuleProblem:
    code: str
    message: str
    path: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "path": self.path}


def plan_rule(
    index: int,
    rule: Any,
    definition: MetricDefinition,
    filters: tuple[Any, ...],
    *,
    has_unit: bool = True,
) -> tuple[RulePlan | None, list[RuleProblem]]:
    """Check that a rule's measure fits its metric (type and breakdown) and say what to compute."""
    path = f"rules[{index}]"
    problems: list[RuleProblem] = []
    measure = rule.measure
    metric_type = definition.type
    if measure in COUNT_MEASURES and metric_type != "count":
        problems.append(
            RuleProblem(
                "measure-type-mismatch",
                _(
                    "%(measure)s is a count but metric %(metric)s is a %(type)s: choose "
                    "share_women or attrition_rate, or a count metric."
                )
                % {"measure": measure, "metric": rule.metric, "type": metric_type},
                f"{path}.measure",
            )
        )
    if measure in SHARE_MEASURES and metric_type not in ("percentage", "ratio"):
        problems.append(
            RuleProblem(
                "measure-type-mismatch",
                _(
                    "%(measure)s is a percentage but metric %(metric)s is a %(type)s: choose a "
                    "count measure such as headcount or hires."
                )
                % {"measure": measure, "metric": rule.metric, "type": metric_type},
                f"{path}.measure",
            )
        )
    sets = list(definition.disaggregation)
    dims: list[str] = []
    for key in sets:
        if key not in SET_FIELDS:
            problems.append(
                RuleProblem(
                    "cannot-break-down",
                    _(
                        "Metric %(metric)s is broken down by %(set)s, which no roster field "
                        "holds: rosters break figures down by sex, age, unit and personnel "
                        "category."
                    )
                    % {"metric": rule.metric, "set": key},
                    f"{path}.metric",
                )
            )
        elif key == "sex" and measure == "share_women":
            problems.append(
                RuleProblem(
                    "cannot-break-down",
                    _(
                        "Metric %(metric)s is broken down by sex, but the share of women is "
                        "already a comparison of the sexes: use headcount for a count by sex."
                    )
                    % {"metric": rule.metric},
                    f"{path}.measure",
                )
            )
        elif key == "unit" and not has_unit:
            problems.append(
                RuleProblem(
                    "cannot-break-down",
                    _(
                        "Metric %(metric)s is broken down by sub-unit, but this roster has no "
                        "unit column."
                    )
                    % {"metric": rule.metric},
                    f"{path}.metric",
                )
            )
        elif key != "unit":
            dims.append(SET_FIELDS[key])
    if problems:
        return None, problems
    # Without a unit column (a trainee list) the whole file is the figure of each unit asked.
    lead = ("unit",) if has_unit else ()
    engine_measure = Measure(
        key=f"r{index}", kind=measure, dims=(*lead, *dims), where=tuple(filters)
    )
    return RulePlan(rule.metric, measure, definition, sets, engine_measure), []


@dataclass
class Figure:
    number: int = 0
    numerator: Decimal = Decimal(0)
    denominator: Decimal = Decimal(0)

    def add(self, counts: Any) -> None:
        if getattr(counts, "numerator", None) is not None:
            self.numerator += Decimal(counts.numerator)
            self.denominator += Decimal(counts.denominator)
        else:
            self.number += int(counts.number or 0)


@dataclass
class UnitTree:
    """Which leaf codes lie under each unit (itself included), from the units' materialised paths."""

    paths: dict[str, str]
    children: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> UnitTree:
        rows = list(OrgUnit.objects.values_list("code", "path", "parent__code", "is_active"))
        tree = cls({code: path for code, path, _parent, _active in rows})
        for code, _path, parent, active in rows:
            # The breakdown by sub-unit has the active children only, as EntryPlan's has.
            if parent and active:
                tree.children.setdefault(parent, []).append(code)
        return tree

    def under(self, code: str) -> set[str]:
        prefix = self.paths.get(code)
        if prefix is None:
            return set()
        return {c for c, p in self.paths.items() if p == prefix or p.startswith(prefix)}


def _combo_parts(combo: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in combo.split("|")) if combo else {}


def cells_for_unit(
    rule: RulePlan,
    values: Mapping[tuple[str, ...], Any],
    unit_code: str,
    combos: Sequence[str],
    tree: UnitTree,
) -> tuple[dict[str, dict[str, str]], dict[str, Figure], Figure]:
    """The raw cells of one metric for one unit's draft, the figures behind them, and what of
    the unit's rows fell in none of its parts (rows coded to the unit itself when it is broken
    down by sub-unit, a category the metric does not list), for the run to say, never drop."""
    figures: dict[str, Figure] = {combo: Figure() for combo in combos}
    unplaced = Figure()
    subtree = tree.under(unit_code)
    child_trees = {child: tree.under(child) for child in tree.children.get(unit_code, [])}
    has_unit = rule.dims[:1] == ("unit",)
    dim_names = rule.dims[1:] if has_unit else rule.dims
    parts = {combo: _combo_parts(combo) for combo in combos}
    for key, counts in values.items():
        leaf = key[0] if has_unit else unit_code
        cats = dict(zip(dim_names, key[1:] if has_unit else key, strict=True))
        if has_unit and leaf not in subtree:
            continue
        placed = False
        for combo, combo_parts in parts.items():
            if _matches(combo_parts, leaf, cats, unit_code, child_trees):
                figures[combo].add(counts)
                placed = True
        if not placed:
            unplaced.add(counts)
    return {combo: _raw(rule, fig) for combo, fig in figures.items()}, figures, unplaced


def _matches(
    parts: dict[str, str],
    leaf: str,
    cats: dict[str, str],
    unit_code: str,
    child_trees: dict[str, set[str]],
) -> bool:
    for set_key, category in parts.items():
        if set_key == "unit":
            # A unit with no sub-units is broken down by itself (see EntryPlan).
            if category == unit_code and not child_trees:
                continue
            if leaf not in child_trees.get(category, set()):
                return False
        elif cats.get(SET_FIELDS[set_key]) != category:
            return False
    return True


def _raw(rule: RulePlan, figure: Figure) -> dict[str, str]:
    if rule.measure in SHARE_MEASURES:
        if figure.denominator <= 0:
            return {}
        return {"numerator": _plain(figure.numerator), "denominator": _plain(figure.denominator)}
    return {"number": str(figure.number)}


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def is_empty(figure: Figure) -> bool:
    return not (figure.number or figure.numerator or figure.denominator)


def total_of(rule: RulePlan, figures: Mapping[str, Figure]) -> dict[str, Any]:
    """The figure summed over every part, for the run's summary (never person-level)."""
    total = Figure()
    for fig in figures.values():
        total.number += fig.number
        total.numerator += fig.numerator
        total.denominator += fig.denominator
    if rule.measure in SHARE_MEASURES:
        share = (
            (total.numerator / total.denominator * 100).quantize(Decimal("0.1"))
            if total.denominator > 0
            else None
        )
        return {
            "numerator": _plain(total.numerator),
            "denominator": _plain(total.denominator),
            "share": None if share is None else str(share),
        }
    return {"number": total.number}
