"""The shape of a round's spreadsheet, shared by the .xlsx template, the CSV files and the import.

One row per metric x breakdown combination on the Values sheet (one row per cell is what people fill
most reliably, sorts and filters well, and is the same as the CSV), one row per action on the
Actions sheet. Key columns say which cell a row is; input columns hold what the unit reports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from wpstrack.reporting.entry import EntryPlan
from wpstrack.reporting.models import ActionStatus, ReportingRound, Submission, Value
from wpstrack.reporting.rules import TOTAL, plain_number

FORMAT = "wpstrack-template"
TEMPLATE_VERSION = 1  # raise when columns or sheets change; older files are then refused
VALUES, ACTIONS, INSTRUCTIONS, META = "Values", "Actions", "Instructions", "_wpstrack"
TOTAL_KEY = "total"


@dataclass(frozen=True)
class Column:
    key: str
    english: str  # the header in English, accepted on import whatever the reader's language
    width: int = 14
    input: bool = False
    required: bool = False  # a key cell that must not be blank

    @property
    def header(self) -> str:
        return _(self.english)


VALUE_COLUMNS = [
    Column("unit", N_("Unit"), 10, required=True),
    Column("metric", N_("Metric"), 10, required=True),
    Column("title", N_("Metric text"), 48),
    Column("breakdown", N_("Breakdown"), 22),
    Column("key", N_("Breakdown key"), 22, required=True),
    Column("type", N_("Type"), 18),
    Column("previous", N_("Previous value"), 12),
    Column("value", N_("Value"), 12, input=True),
    Column("numerator", N_("Numerator"), 12, input=True),
    Column("denominator", N_("Denominator"), 12, input=True),
    Column("currency", N_("Currency"), 10, input=True),
    Column("done_on", N_("Done on"), 12, input=True),
    Column("comment", N_("Comment"), 40, input=True),
]
ACTION_COLUMNS = [
    Column("unit", N_("Unit"), 10, required=True),
    Column("action", N_("Action"), 10, required=True),
    Column("title", N_("Action text"), 48),
    Column("status", N_("Status"), 16, input=True),
    Column("percent_complete", N_("Percent complete"), 12, input=True),
    Column("narrative", N_("Narrative"), 48, input=True),
    Column("evidence_links", N_("Evidence links (one per line)"), 36, input=True),
    Column("milestones", N_("Milestones (title | due date, one per line)"), 36, input=True),
]
# Which part of a value each input column feeds (the grid's field names).
PART_OF = {
    "numerator": "numerator",
    "denominator": "denominator",
    "currency": "currency",
    "done_on": "done_on",
    "comment": "comment",
}
VALUE_PART = {"rating": "text", "text": "text", "milestone": "done"}
COLUMN_OF_PART = {
    "number": "value",
    "text": "value",
    "done": "value",
    "numerator": "numerator",
    "denominator": "denominator",
    "currency": "currency",
    "done_on": "done_on",
    "comment": "comment",
}


def type_label(metric_type: str, scale: Sequence[str] = ()) -> str:
    labels = {
        "count": _("count: whole number"),
        "percentage": _("percentage: 0-100"),
        "ratio": _("ratio: number"),
        "money": _("money: amount + currency"),
        "score": _("score: number"),
        "rating": _("rating: pick from list"),
        "text": _("text"),
        "milestone": _("milestone: yes / no + date"),
    }
    return labels.get(metric_type, metric_type)


@dataclass
class ValueRow:
    unit: str
    metric: str
    title: str
    breakdown: str
    combination: str  # "" for the total
    metric_type: str
    scale: list[str]
    previous: Any
    cells: dict[str, Any] = field(default_factory=dict)  # column key -> typed value
    total_of: int = 0  # a total row: the number of part rows just above it

    @property
    def key(self) -> str:
        return self.combination or TOTAL_KEY

    @property
    def is_total(self) -> bool:
        return self.total_of > 0


@dataclass
class ActionRow:
    unit: str
    code: str
    title: str
    cells: dict[str, Any] = field(default_factory=dict)


@dataclass
class Content:
    """Everything a template holds, for one unit or for a whole round."""

    reporting_round: ReportingRound
    unit: str  # a unit code, or "*" for the whole round
    values: list[ValueRow]
    actions: list[ActionRow]
    lock_versions: dict[str, int]
    generated_at: dt.datetime
    template_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def round_key(self) -> str:
        return round_key(self.reporting_round)

    @property
    def checksum(self) -> str:
        return checksum(
            [(r.unit, r.metric, r.key) for r in self.values if not r.is_total],
            [(r.unit, r.code) for r in self.actions],
        )


def plan_keys(
    unit: str, plan: EntryPlan
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """The key columns a unit's rows have, as ``checksum`` takes them."""
    values = [(unit, i.code, combo or TOTAL_KEY) for i in plan.metrics for combo in i.combos]
    return values, [(unit, element.code) for element in plan.actions]


def round_key(reporting_round: ReportingRound) -> str:
    return f"{reporting_round.plan.slug}/{reporting_round.period}"


def checksum(values: Iterable[tuple[str, str, str]], actions: Iterable[tuple[str, str]]) -> str:
    """Of the key columns, in any order: sorting the rows does not change it, adding or removing
    one does."""
    lines = sorted("|".join(key) for key in values) + sorted("|".join(key) for key in actions)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def _number(value: Decimal | None) -> Any:
    if value is None:
        return None
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(plain_number(value))


def value_cells(row: Value | None, metric_type: str) -> dict[str, Any]:
    """A stored value as the template shows it (numbers as numbers, so Excel can add them up)."""
    if row is None:
        return {}
    if metric_type in ("rating", "text"):
        main: Any = row.text
    elif metric_type == "milestone":
        main = None if row.done is None else ("yes" if row.done else "no")
    else:
        main = _number(row.number)
    return {
        "value": main,
        "numerator": _number(row.numerator),
        "denominator": _number(row.denominator),
        "currency": row.currency,
        "done_on": row.done_on,
        "comment": row.comment,
    }


def build(reporting_round: ReportingRound, submissions: Sequence[Submission], unit: str) -> Content:
    from django.utils import timezone

    values: list[ValueRow] = []
    actions: list[ActionRow] = []
    plans = EntryPlan.for_submissions(submissions)
    for submission in submissions:
        plan = plans[submission.pk]
        stored = {(v.metric_id, v.combination): v for v in submission.values.all()}
        code = submission.unit.code
        for item in plan.metrics:
            definition = item.definition
            for combo in item.combos:
                values.append(
                    ValueRow(
                        code,
                        item.code,
                        definition.text,
                        item.labels[combo] or _("Total"),
                        combo,
                        definition.type,
                        list(definition.scale or []),
                        item.previous.get(combo),
                        value_cells(stored.get((item.metric.pk, combo)), definition.type),
                    )
                )
            if item.combos != [TOTAL] and definition.type == "count":
                values.append(
                    ValueRow(
                        code,
                        item.code,
                        definition.text,
                        _("Total (computed)"),
                        TOTAL,
                        definition.type,
                        [],
                        item.previous.get(TOTAL),
                        total_of=len(item.combos),
                    )
                )
        updates = {u.element_id: u for u in submission.action_updates.all()}
        for element in plan.actions:
            update = updates.get(element.pk)
            actions.append(ActionRow(code, element.code, element.title, action_cells(update)))
    return Content(
        reporting_round,
        unit,
        values,
        actions,
        {s.unit.code: s.lock_version for s in submissions},
        timezone.now(),
    )


def action_cells(update: Any) -> dict[str, Any]:
    if update is None:
        return {}
    return {
        "status": str(ActionStatus(update.status).label) if update.status else "",
        "percent_complete": update.percent_complete,
        "narrative": update.narrative,
        "evidence_links": "\n".join(update.evidence_links),
        "milestones": "\n".join(
            f"{m['title']} | {m.get('due', '')}".rstrip(" |") for m in update.milestones
        ),
    }


def status_key(text: str) -> str:
    """A status as typed (label in any case, or key) -> its key; unknown text is passed on for
    the rules to refuse."""
    wanted = text.strip().lower()
    for key, label in ActionStatus.choices:
        if wanted in (key, str(label).lower(), key.replace("_", " ")):
            return key
    return text.strip()
