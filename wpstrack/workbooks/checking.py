"""Checking every row of an uploaded template against its round, with the web form's rules.

The file's tables are turned into the shapes the web form posts (``{metric: {combination:
{part: text}}}`` and ``{action: {field: text}}``) per unit, then ``EntryPlan.check`` judges them:
one rule set. What this module adds is what only a file can get wrong (keys, duplicates, missing
rows, formulas, cells that belong to no field) and the way back from a rule's error to its cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from wpstrack.reporting.entry import EntryPlan, MetricEntry
from wpstrack.reporting.models import Submission
from wpstrack.reporting.rules import TOTAL, Cell, CellError
from wpstrack.workbooks.filecheck import SheetScan
from wpstrack.workbooks.layout import (
    ACTION_COLUMNS,
    COLUMN_OF_PART,
    PART_OF,
    TOTAL_KEY,
    VALUE_COLUMNS,
    VALUE_PART,
    status_key,
)
from wpstrack.workbooks.reading import Table
from wpstrack.workbooks.report import Problem

OUR_TOTAL = re.compile(r"^SUM\(\$?[A-Z]{1,3}\$?[0-9]+:\$?[A-Z]{1,3}\$?[0-9]+\)$")
FILLABLE = {
    "percentage": {"numerator", "denominator"},
    "ratio": {"numerator", "denominator"},
    "money": {"currency"},
    "milestone": {"done_on"},
}


@dataclass
class Place:
    table: Table
    row: int

    def problem(self, code: str, message: str, key: str, blocking: bool = True) -> Problem:
        cells = dict(self.table.rows_by_number().get(self.row, {}))
        return Problem(
            code,
            message,
            self.table.sheet,
            self.table.cell(self.row, key),
            self.table.headers.get(key, key),
            str(cells.get(key, ""))[:200],
            blocking,
        )


@dataclass
class UnitEntry:
    """What the file says for one unit, and where each of its cells is."""

    submission: Submission
    plan: EntryPlan
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    actions: dict[str, dict[str, str]] = field(default_factory=dict)
    places: dict[tuple[str, str], Place] = field(
        default_factory=dict
    )  # (metric, combo) or (action, "")
    cleaned: dict[str, dict[str, Cell]] = field(default_factory=dict)
    action_rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    metrics: dict[str, MetricEntry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.metrics = {item.code: item for item in self.plan.metrics}


def _blank_problem(place: Place, key: str) -> Problem:
    return place.problem(
        "blank-required",
        _("%(header)s is empty: every row needs it to say what the row is.")
        % {"header": place.table.headers.get(key, key)},
        key,
    )


class Checker:
    """Walks a file's tables for one round and collects problems; ``entries`` holds the units."""

    def __init__(self, submissions: dict[str, Submission], only_unit: str | None) -> None:
        self.submissions = submissions
        self.only_unit = only_unit
        self.entries: dict[str, UnitEntry] = {}
        self.problems: list[Problem] = []
        # Sheets with a row whose key cells are blank or unknown: that row may well be the one
        # ``missing_rows`` would call missing, so it is reported once, at its cell, instead.
        self.unkeyed: set[str] = set()

    def entry(self, unit: str, place: Place, key: str = "unit") -> UnitEntry | None:
        if self.only_unit and unit != self.only_unit:
            self.problems.append(
                place.problem(
                    "wrong-unit",
                    _("This row is for %(unit)s, but the file is for %(only)s.")
                    % {"unit": unit, "only": self.only_unit},
                    key,
                )
            )
            return None
        if unit not in self.entries:
            submission = self.submissions.get(unit)
            if submission is None:
                self.problems.append(
                    place.problem(
                        "unknown-unit",
                        _("%(unit)s does not report in this round.") % {"unit": unit[:40]},
                        key,
                    )
                )
                return None
            self.entries[unit] = UnitEntry(submission, EntryPlan.for_submission(submission))
        return self.entries[unit]

    # -- the Values table ------------------------------------------------------------------
    def values(self, table: Table, scan: SheetScan) -> None:
        seen: dict[tuple[str, str, str], int] = {}
        for number, cells in table.rows:
            place = Place(table, number)
            missing = [
                c.key for c in VALUE_COLUMNS if c.required and not cells.get(c.key, "").strip()
            ]
            if missing:
                self.problems += [_blank_problem(place, key) for key in missing]
                self.unkeyed.add(table.sheet)
                continue
            unit, code, key = (cells[k].strip() for k in ("unit", "metric", "key"))
            entry = self.entry(unit, place)
            if entry is None:
                self.unkeyed.add(table.sheet)
                continue
            item = entry.metrics.get(code)
            if item is None:
                self.unkeyed.add(table.sheet)
                self.problems.append(
                    place.problem(
                        "unknown-metric",
                        _("Metric %(code)s is not part of %(unit)s's round.")
                        % {"code": code[:40], "unit": unit},
                        "metric",
                    )
                )
                continue
            combo = TOTAL if key.casefold() == TOTAL_KEY else key
            is_total = combo == TOTAL and item.combos != [TOTAL]
            if combo not in item.combos and not (is_total and item.definition.type == "count"):
                self.unkeyed.add(table.sheet)
                self.problems.append(
                    place.problem(
                        "unknown-combination",
                        _("%(code)s has no breakdown %(key)r.") % {"code": code, "key": key[:60]},
                        "key",
                    )
                )
                continue
            if (unit, code, combo) in seen:
                self.problems.append(
                    place.problem(
                        "duplicate-row",
                        _("This row repeats row %(row)s (%(code)s, %(key)s).")
                        % {"row": seen[(unit, code, combo)], "code": code, "key": key},
                        "key",
                    )
                )
                continue
            seen[(unit, code, combo)] = number
            entry.places[(code, combo)] = place
            self._formulas(place, cells, scan, is_total)
            if is_total:
                self._total_row(entry, item, place, cells)
            else:
                entry.values.setdefault(code, {})[combo] = self._parts(item, place, cells)

    def _formulas(self, place: Place, cells: dict[str, str], scan: SheetScan, total: bool) -> None:
        for column in VALUE_COLUMNS + ACTION_COLUMNS:
            if not column.input or column.key not in place.table.letters:
                continue
            ref = place.table.cell(place.row, column.key)
            found = scan.formulas.get(ref)
            if found is None:
                continue
            text, has_value = found
            if total and column.key == "value" and OUR_TOTAL.match(text.strip()):
                cells["value"] = ""  # our own total, there for the reader: computed again here
            elif not has_value:
                cells[column.key] = "=" + text
                self.problems.append(
                    place.problem(
                        "formula-without-value",
                        _("%(cell)s holds the formula =%(f)s but no computed value.")
                        % {"cell": ref, "f": text[:80]},
                        column.key,
                    )
                )
                cells[column.key] = ""

    def _total_row(
        self, entry: UnitEntry, item: MetricEntry, place: Place, cells: dict[str, str]
    ) -> None:
        typed = cells.get("value", "").strip()
        if typed:
            entry.values.setdefault(item.code, {})[TOTAL] = {"number": typed}
        for key in ("numerator", "denominator", "currency", "done_on", "comment"):
            if cells.get(key, "").strip():
                self.problems.append(
                    place.problem(
                        "not-for-this-metric",
                        _("The total row is computed; put this in one of the rows above it."),
                        key,
                    )
                )

    def _parts(self, item: MetricEntry, place: Place, cells: dict[str, str]) -> dict[str, str]:
        metric_type = item.definition.type
        parts = {VALUE_PART.get(metric_type, "number"): cells.get("value", "")}
        allowed = FILLABLE.get(metric_type, set()) | {"comment"}
        for key, part in PART_OF.items():
            text = cells.get(key, "")
            if key in allowed:
                parts[part] = text
            elif text.strip():
                self.problems.append(
                    place.problem(
                        "not-for-this-metric",
                        _("%(header)s is not used for a %(type)s metric: clear the cell.")
                        % {"header": place.table.headers.get(key, key), "type": metric_type},
                        key,
                    )
                )
        return parts

    # -- the Actions table -----------------------------------------------------------------
    def actions(self, table: Table, scan: SheetScan) -> None:
        seen: dict[tuple[str, str], int] = {}
        for number, cells in table.rows:
            place = Place(table, number)
            missing = [
                c.key for c in ACTION_COLUMNS if c.required and not cells.get(c.key, "").strip()
            ]
            if missing:
                self.problems += [_blank_problem(place, key) for key in missing]
                self.unkeyed.add(table.sheet)
                continue
            unit, code = cells["unit"].strip(), cells["action"].strip()
            entry = self.entry(unit, place)
            if entry is None:
                self.unkeyed.add(table.sheet)
                continue
            if code not in {a.code for a in entry.plan.actions}:
                self.unkeyed.add(table.sheet)
                self.problems.append(
                    place.problem(
                        "unknown-action",
                        _("Action %(code)s is not part of %(unit)s's round.")
                        % {"code": code[:40], "unit": unit},
                        "action",
                    )
                )
                continue
            if (unit, code) in seen:
                self.problems.append(
                    place.problem(
                        "duplicate-row",
                        _("This row repeats row %(row)s (action %(code)s).")
                        % {"row": seen[(unit, code)], "code": code},
                        "action",
                    )
                )
                continue
            seen[(unit, code)] = number
            entry.places[(code, "")] = place
            self._formulas(place, cells, scan, False)
            fields = {c.key: cells.get(c.key, "") for c in ACTION_COLUMNS if c.input}
            fields["status"] = status_key(fields["status"]) if fields["status"].strip() else ""
            entry.actions[code] = fields

    # -- what only the whole file can say ---------------------------------------------------
    def missing_rows(self, values: Table | None, actions: Table | None) -> None:
        values = None if values is None or values.sheet in self.unkeyed else values
        actions = None if actions is None or actions.sheet in self.unkeyed else actions
        for unit, entry in self.entries.items():
            for item in entry.plan.metrics:
                for combo in item.combos:
                    if (item.code, combo) not in entry.places and values is not None:
                        self.problems.append(
                            Problem(
                                "missing-row",
                                _("The row for %(unit)s %(code)s %(label)s is missing.")
                                % {
                                    "unit": unit,
                                    "code": item.code,
                                    "label": item.labels[combo] or _("(total)"),
                                },
                                values.sheet,
                            )
                        )
            for element in entry.plan.actions:
                if (element.code, "") not in entry.places and actions is not None:
                    self.problems.append(
                        Problem(
                            "missing-row",
                            _("The row for %(unit)s action %(code)s is missing.")
                            % {"unit": unit, "code": element.code},
                            actions.sheet,
                        )
                    )

    def judge(self) -> None:
        """The web form's rules, unit by unit, with each error sent back to its cell."""
        for entry in self.entries.values():
            cleaned, errors = entry.plan.check(entry.values)
            action_errors, action_rows = entry.plan.check_actions(entry.actions)
            entry.cleaned, entry.action_rows = cleaned, action_rows
            self.problems += [self.locate(entry, e) for e in errors]
            self.problems += [self.locate(entry, e, action=True) for e in action_errors]

    def locate(self, entry: UnitEntry, error: CellError, action: bool = False) -> Problem:
        key = error.part if action else COLUMN_OF_PART.get(error.part, "value")
        place = entry.places.get((error.metric, "" if action else error.combination))
        if place is None and not action:  # a total of parts that has no total row
            item = entry.metrics.get(error.metric)
            place = entry.places.get((error.metric, item.combos[0])) if item else None
        if place is None:
            return Problem(error.code, error.message, blocking=error.blocking)
        return place.problem(error.code, error.message, key, error.blocking)
