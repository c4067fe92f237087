"""The rules a reported value must follow, by metric type. One rule set for the web form, the
spreadsheet import and the API: each yields ``CellError``s with a stable code, a message and
the fix, and returns the cleaned value to store.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

TOTAL = ""


@dataclass(frozen=True)
class CellError:
    """One problem with one reported cell (metric + combination + part)."""

    code: str
    message: str
    metric: str
    combination: str = TOTAL
    part: str = "number"  # number, numerator, denominator, currency, text, done, done_on, comment
    blocking: bool = True  # False: a warning the reviewer sees

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "metric": self.metric,
            "combination": self.combination,
            "field": self.part,
            "blocking": self.blocking,
        }


@dataclass
class Cell:
    """A cell as typed (strings) and as cleaned (typed values), with its errors."""

    raw: dict[str, str] = field(default_factory=dict)
    number: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    currency: str = ""
    text: str = ""
    done: bool | None = None
    done_on: dt.date | None = None
    comment: str = ""

    @property
    def is_empty(self) -> bool:
        return not any(str(v).strip() for k, v in self.raw.items() if k != "comment")


def combinations(sets: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """Every combination key of the given (set key, category keys) pairs, in declared order.
    A set with no categories (not loaded) is left out rather than making no cells at all."""
    sets = [(key, categories) for key, categories in sets if categories]
    if not sets:
        return [TOTAL]
    keys = [[f"{set_key}={category}" for category in categories] for set_key, categories in sets]
    return ["|".join(parts) for parts in itertools.product(*keys)]


THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def plain_number(value: Decimal | None) -> str:
    """A stored figure as people write it: 20, not 20.0000."""
    return "" if value is None else format(value.normalize(), "f")


class AmbiguousComma(ValueError):
    """'2,5' could be two and a half or twenty-five: we ask rather than guess."""


def _decimal(raw: str) -> Decimal | None:
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if text == "":
        return None
    if "," in text:
        if not THOUSANDS.match(text):
            raise AmbiguousComma(raw)
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(raw) from None
    if not value.is_finite():
        raise ValueError(raw)
    return value


class MetricRules:
    """Checks the cells of one metric in one submission."""

    def __init__(
        self, code: str, metric_type: str, combos: list[str], scale: Sequence[str] = ()
    ) -> None:
        self.code = code
        self.type = metric_type
        self.scale = list(scale)
        self.combos = combos
        self.errors: list[CellError] = []

    def error(
        self,
        code: str,
        message: str,
        combination: str = TOTAL,
        part: str = "number",
        blocking: bool = True,
    ) -> None:
        self.errors.append(CellError(code, message, self.code, combination, part, blocking))

    def number(self, cell: Cell, combo: str, part: str) -> Decimal | None:
        try:
            value = _decimal(cell.raw.get(part, ""))
        except AmbiguousComma:
            self.error(
                "ambiguous-comma",
                _(
                    "%(value)r: write decimals with a point (2.5) and thousands without a comma or as 1,234."
                )
                % {"value": cell.raw.get(part, "")},
                combo,
                part,
            )
            return None
        except ValueError:
            self.error(
                "not-a-number",
                _("%(value)r is not a number: type digits only, e.g. 12 or 12.5.")
                % {"value": cell.raw.get(part, "")},
                combo,
                part,
            )
            return None
        if value is not None and abs(value) >= Decimal("1e15"):
            self.error(
                "number-too-large",
                _("%(value)s is too large to be right: check the figure.")
                % {"value": cell.raw[part]},
                combo,
                part,
            )
            return None
        return value

    def check_count(self, cell: Cell, combo: str) -> None:
        value = self.number(cell, combo, "number")
        if value is None:
            return
        if value != value.to_integral_value():
            self.error(
                "not-a-whole-number",
                _("%(value)s is not a whole number: counts of people or things are whole numbers.")
                % {"value": value},
                combo,
            )
        elif value < 0:
            self.error(
                "negative-count",
                _("A count cannot be negative (%(value)s): type 0 or more.") % {"value": value},
                combo,
            )
        else:
            cell.number = value

    def check_share(self, cell: Cell, combo: str) -> None:
        """Percentages and ratios: a share typed directly, or numerator and denominator."""
        numerator = self.number(cell, combo, "numerator")
        denominator = self.number(cell, combo, "denominator")
        share = self.number(cell, combo, "number")
        if numerator is not None or denominator is not None:
            if numerator is None or denominator is None:
                missing = "numerator" if numerator is None else "denominator"
                self.error(
                    "missing-" + missing,
                    _("Give both the numerator and the denominator, or neither."),
                    combo,
                    missing,
                )
                return
            if numerator < 0 or denominator <= 0:
                self.error(
                    "bad-denominator" if denominator <= 0 else "negative-count",
                    _("The denominator must be more than 0 and the numerator at least 0."),
                    combo,
                    "denominator" if denominator <= 0 else "numerator",
                )
                return
            if self.type == "percentage" and numerator > denominator:
                self.error(
                    "numerator-exceeds-denominator",
                    _(
                        "The numerator (%(n)s) is larger than the denominator (%(d)s): a share cannot "
                        "be more than all of them."
                    )
                    % {"n": numerator, "d": denominator},
                    combo,
                    "numerator",
                )
                return
            cell.numerator, cell.denominator = numerator, denominator
            factor = Decimal(100) if self.type == "percentage" else Decimal(1)
            derived = (numerator / denominator * factor).quantize(Decimal("0.0001"))
            if share is not None and abs(share - derived) > Decimal(
                "0.05"
            ) * factor / 100 + Decimal("0.05"):
                self.error(
                    "share-mismatch",
                    _(
                        "The share typed (%(s)s) does not match numerator / denominator "
                        "(%(d)s): leave the share empty, it is computed."
                    )
                    % {"s": share, "d": derived},
                    combo,
                )
                return
            cell.number = derived
            return
        if share is None:
            return
        if self.type == "percentage" and not Decimal(0) <= share <= Decimal(100):
            self.error(
                "percentage-out-of-range",
                _("%(value)s is not a percentage between 0 and 100.") % {"value": share},
                combo,
            )
            return
        if share < 0:
            self.error("negative-ratio", _("A ratio cannot be negative."), combo)
            return
        cell.number = share

    def check_money(self, cell: Cell, combo: str) -> None:
        value = self.number(cell, combo, "number")
        currency = cell.raw.get("currency", "").strip().upper()
        if value is None:
            return
        if len(currency) != 3 or not currency.isalpha():
            self.error(
                "missing-currency",
                _("Give the currency as a three-letter code, e.g. USD."),
                combo,
                "currency",
            )
            return
        cell.number, cell.currency = value, currency

    def check_milestone(self, cell: Cell, combo: str) -> None:
        raw = cell.raw.get("done", "").strip().lower()
        if raw in ("", "none"):
            return
        if raw not in ("yes", "no", "true", "false", "done", "not done", "1", "0", "on"):
            self.error(
                "bad-milestone", _("Say whether the milestone is done: yes or no."), combo, "done"
            )
            return
        cell.done = raw in ("yes", "true", "done", "1", "on")
        day = cell.raw.get("done_on", "").strip()
        if cell.done and not day:
            self.error("missing-date", _("Give the date the milestone was done."), combo, "done_on")
            return
        if day:
            try:
                cell.done_on = dt.date.fromisoformat(day)
            except ValueError:
                self.error(
                    "bad-date",
                    _("%(value)r is not a date: write YYYY-MM-DD.") % {"value": day},
                    combo,
                    "done_on",
                )

    def check(self, cell: Cell, combo: str) -> None:
        cell.comment = cell.raw.get("comment", "").strip()
        if self.type == "count":
            self.check_count(cell, combo)
        elif self.type in ("percentage", "ratio"):
            self.check_share(cell, combo)
        elif self.type == "money":
            self.check_money(cell, combo)
        elif self.type == "milestone":
            self.check_milestone(cell, combo)
        elif self.type == "rating":
            answer = cell.raw.get("text", "").strip()
            if answer and self.scale and answer not in self.scale:
                self.error(
                    "not-on-scale",
                    _("%(answer)r is not on this rating's scale: choose one of %(scale)s.")
                    % {"answer": answer[:60], "scale": ", ".join(self.scale)},
                    combo,
                    "text",
                )
            else:
                cell.text = answer
        elif self.type == "text":
            cell.text = cell.raw.get("text", "").strip()
        else:  # score
            cell.number = self.number(cell, combo, "number")


def check_metric(
    code: str,
    metric_type: str,
    combos: list[str],
    raw: Mapping[str, dict[str, str]],
    scale: Sequence[str] = (),
) -> tuple[dict[str, Cell], list[CellError]]:
    """Check every cell of one metric; a typed total of a disaggregated metric must match its parts."""
    rules = MetricRules(code, metric_type, combos, scale)
    cells: dict[str, Cell] = {}
    for combo in combos:
        cell = Cell(raw=dict(raw.get(combo, {})))
        rules.check(cell, combo)
        cells[combo] = cell
    if combos != [TOTAL] and metric_type == "count":
        parts: list[Decimal] = [n for c in combos if (n := cells[c].number) is not None]
        typed_total = raw.get(TOTAL, {}).get("number", "").strip()
        if typed_total and len(parts) == len(combos):
            try:
                total = _decimal(typed_total)
            except ValueError:
                total = None
            parts_sum = sum(parts, Decimal(0))
            if total is not None and total != parts_sum:
                rules.error(
                    "sex-total-mismatch" if combos[0].startswith("sex=") else "total-mismatch",
                    _(
                        "The parts add up to %(sum)s but the total says %(total)s: correct a part or "
                        "the total."
                    )
                    % {"sum": parts_sum, "total": total},
                )
    return cells, rules.errors


def derived_total(cells: Mapping[str, Cell], metric_type: str) -> Decimal | None:
    """The total of a disaggregated count (sum of its parts), or None until every part is in."""
    if TOTAL in cells:
        return cells[TOTAL].number
    numbers: list[Decimal] = [n for cell in cells.values() if (n := cell.number) is not None]
    if metric_type != "count" or len(numbers) != len(cells):
        return None
    return sum(numbers, Decimal(0))


def large_change(current: Decimal | None, previous: Decimal | None, threshold: Decimal) -> bool:
    """Whether a value moved more than ``threshold`` (a share, e.g. 0.5) from the previous period."""
    if current is None or previous is None:
        return False
    if previous == 0:
        return current != 0
    return abs(current - previous) / abs(previous) > threshold
