"""What one submission owes, and checking what was typed for it against the rules."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from wpstrack.accounts.models import OrgUnit
from wpstrack.frameworks.models import Category, Element, Metric, MetricDefinition, ValidationRule
from wpstrack.lib.periods import Period
from wpstrack.reporting import checks, rules
from wpstrack.reporting.models import (
    ActionStatus,
    Assignment,
    Submission,
    SubmissionState,
    Value,
)
from wpstrack.reporting.rules import TOTAL, Cell, CellError, plain_number

URL_RE = re.compile(r"^https?://[^\s]+$")


@dataclass
class MetricEntry:
    metric: Metric
    definition: MetricDefinition
    element: Element
    combos: list[str]
    labels: dict[str, str]  # combination key -> "Women, 18-24"
    previous: dict[str, Decimal | None] = field(default_factory=dict)
    history: dict[str, list[Decimal]] = field(
        default_factory=dict
    )  # approved figures, oldest first

    @property
    def code(self) -> str:
        return self.metric.code


@dataclass
class EntryPlan:
    submission: Submission
    metrics: list[MetricEntry]
    actions: list[Element]
    rules: list[ValidationRule] = field(default_factory=list)

    @classmethod
    def for_submission(cls, submission: Submission) -> EntryPlan:
        return cls.for_submissions([submission])[submission.pk]

    @classmethod
    def for_submissions(cls, submissions: Sequence[Submission]) -> dict[int, EntryPlan]:
        """Each submission's plan, by its id. A workbook or a roster run fills every unit of a
        round: the assignments, sub-units, categories and rules are read once for all of them,
        and the previous values and history once a round (six queries, not seven per unit)."""
        if not submissions:
            return {}
        units = {s.unit_id for s in submissions}
        assignments: dict[tuple[int, int], list[Assignment]] = {}
        for assignment in Assignment.objects.filter(
            reporting_round__in={s.reporting_round_id for s in submissions}, unit__in=units
        ).select_related("metric", "definition", "element"):
            key = (assignment.reporting_round_id, assignment.unit_id)
            assignments.setdefault(key, []).append(assignment)
        below: dict[int, list[tuple[str, str]]] = {}
        for child in OrgUnit.objects.filter(parent__in=units, is_active=True):
            assert child.parent_id is not None
            below.setdefault(child.parent_id, []).append((child.code, child.short_name))
        categories = _categories()
        plan_ids = {s.reporting_round.plan_id for s in submissions}
        by_plan: dict[int, list[ValidationRule]] = {plan_id: [] for plan_id in plan_ids}
        for rule in ValidationRule.objects.filter(plan__in=plan_ids):
            by_plan[rule.plan_id].append(rule)
        plans: dict[int, EntryPlan] = {}
        by_round: dict[int, list[EntryPlan]] = {}
        for submission in submissions:
            unit = submission.unit
            # "unit" breaks a figure down by the reporting unit's own sub-units (active ones).
            own = {**categories, "unit": below.get(unit.pk) or [(unit.code, unit.short_name)]}
            found = assignments.get((submission.reporting_round_id, submission.unit_id), [])
            metrics, actions = cls._entries(found, own)
            plan = cls(submission, metrics, actions, by_plan[submission.reporting_round.plan_id])
            plans[submission.pk] = plan
            by_round.setdefault(submission.reporting_round_id, []).append(plan)
        for same_round in by_round.values():
            _load_previous(same_round)
        return plans

    @staticmethod
    def _entries(
        assignments: Sequence[Assignment], categories: dict[str, list[tuple[str, str]]]
    ) -> tuple[list[MetricEntry], list[Element]]:
        metrics, actions = [], []
        for assignment in assignments:
            if assignment.metric is None:
                actions.append(assignment.element)
                continue
            definition = assignment.definition or assignment.metric.current
            assert definition is not None
            sets = [
                (key, [c for c, _label in categories.get(key, [])])
                for key in definition.disaggregation
            ]
            combos = rules.combinations(sets)
            labels = {combo: _label_of(combo, categories) for combo in combos}
            metrics.append(
                MetricEntry(assignment.metric, definition, assignment.element, combos, labels)
            )
        return metrics, actions

    def check(
        self, values: Mapping[str, Mapping[str, dict[str, str]]]
    ) -> tuple[dict[str, dict[str, Cell]], list[CellError]]:
        cleaned: dict[str, dict[str, Cell]] = {}
        errors: list[CellError] = []
        known = {item.code for item in self.metrics}
        for code in values:
            if code not in known:
                errors.append(
                    CellError(
                        "unknown-metric",
                        _("Metric %(code)s is not part of this unit's round.") % {"code": code},
                        code,
                    )
                )
        for item in self.metrics:
            if item.code not in values:
                continue
            cells, found = rules.check_metric(
                item.code,
                item.definition.type,
                item.combos,
                values[item.code],
                item.definition.scale,
            )
            cleaned[item.code] = cells
            errors += found
            errors += _unexpected(item, values[item.code])
            errors += [w for w in self._warnings(item, cells) if not _commented(cells)]
        errors += checks.rule_failures(
            self.rules, self._figures(cleaned), self.owned, blocking=False
        )
        return cleaned, errors

    @property
    def owned(self) -> set[str]:
        return {item.code for item in self.metrics}

    def _figures(
        self, cleaned: Mapping[str, Mapping[str, Cell]]
    ) -> dict[tuple[str, str], Decimal | None]:
        """Every figure of the submission (typed now, else stored), with derived totals."""
        stored: dict[str, dict[str, Cell]] = {}
        rows = self.submission.values.values_list("metric__code", "combination", "number")
        for code, combination, number in rows:
            stored.setdefault(code, {})[combination] = Cell(number=number)
        figures: dict[tuple[str, str], Decimal | None] = {}
        for item in self.metrics:
            cells = cleaned.get(item.code) or stored.get(item.code, {})
            for combo, cell in cells.items():
                figures[(item.code, combo)] = cell.number
            if item.combos != [TOTAL] and len(cells) == len(item.combos):
                figures[(item.code, TOTAL)] = rules.derived_total(dict(cells), item.definition.type)
        return figures

    def _warnings(self, item: MetricEntry, cells: dict[str, Cell]) -> list[CellError]:
        """What needs a comment to be kept: big moves, implausible values, outliers."""
        found = self._change_warnings(item, cells)
        bounds = item.definition.plausible or {}
        for combo, cell in cells.items():
            for warning in (
                checks.plausible(item.code, combo, cell.number, bounds),
                checks.outlier(item.code, combo, cell.number, item.history.get(combo, [])),
            ):
                if warning is not None:
                    found.append(warning)
        return found

    def _change_warnings(self, item: MetricEntry, cells: dict[str, Cell]) -> list[CellError]:
        threshold = Decimal(str(settings.LARGE_CHANGE_SHARE))
        current = rules.derived_total(cells, item.definition.type)
        previous = item.previous.get(TOTAL)
        if previous is None and item.previous and item.definition.type == "count":
            parts = [v for v in item.previous.values() if v is not None]
            previous = sum(parts, Decimal(0)) if parts else None
        if not rules.large_change(current, previous, threshold):
            return []
        share = int(threshold * 100)
        return [
            CellError(
                "large-change",
                _(
                    "This moved more than %(share)s%% from %(previous)s to %(current)s: "
                    "say why in the comment."
                )
                % {
                    "share": share,
                    "previous": plain_number(previous),
                    "current": plain_number(current),
                },
                item.code,
                item.combos[0],
                "comment",
                blocking=False,
            )
        ]

    def check_actions(
        self, actions: Mapping[str, dict[str, Any]]
    ) -> tuple[list[CellError], dict[int, dict[str, Any]]]:
        by_code = {element.code: element for element in self.actions}
        errors: list[CellError] = []
        rows: dict[int, dict[str, Any]] = {}
        for code, raw in actions.items():
            element = by_code.get(code)
            if element is None:
                errors.append(
                    CellError(
                        "unknown-action",
                        _("Action %(code)s is not part of this unit's round.") % {"code": code},
                        code,
                    )
                )
                continue
            row, found = _check_action(code, raw)
            errors += found
            rows[element.pk] = row
        return errors, rows

    def completeness(self, submission: Submission) -> list[CellError]:
        """What must be in before submitting: every cell, every action's status, comments on big moves."""
        problems: list[CellError] = []
        stored = {(v.metric_id, v.combination): v for v in submission.values.all()}
        for item in self.metrics:
            for combo in item.combos:
                row = stored.get((item.metric.pk, combo))
                if row is None or _blank(row, item.definition.type):
                    problems.append(
                        CellError(
                            "missing-value",
                            _("Give a value for %(label)s (or 0).")
                            % {"label": item.labels[combo] or _("the total")},
                            item.code,
                            combo,
                        )
                    )
            cells = {
                c: Cell(
                    number=stored[(item.metric.pk, c)].number,
                    comment=stored[(item.metric.pk, c)].comment,
                )
                for c in item.combos
                if (item.metric.pk, c) in stored
            }
            if len(cells) == len(item.combos) and not _commented(cells):
                problems += [
                    CellError(e.code, e.message, e.metric, e.combination, e.part)
                    for e in self._warnings(item, cells)
                ]
        problems += checks.rule_failures(self.rules, self._figures({}), self.owned, blocking=True)
        updates = {u.element_id: u for u in submission.action_updates.all()}
        for element in self.actions:
            update = updates.get(element.pk)
            if update is None or not update.status:
                problems.append(
                    CellError(
                        "missing-status",
                        _("Give the status of action %(code)s.") % {"code": element.code},
                        element.code,
                        part="status",
                    )
                )
        return problems


PARTS = {"number", "numerator", "denominator", "currency", "text", "done", "done_on", "comment"}


def _unexpected(item: MetricEntry, typed: Mapping[str, Mapping[str, str]]) -> list[CellError]:
    """A cell or field the metric does not have: refused, never silently dropped."""
    errors = []
    for combo, parts in typed.items():
        if combo not in item.combos and not (combo == TOTAL and item.definition.type == "count"):
            errors.append(
                CellError(
                    "unknown-combination",
                    _("%(metric)s has no cell %(combo)r: use one of %(known)s.")
                    % {
                        "metric": item.code,
                        "combo": combo,
                        "known": ", ".join(item.combos) or "''",
                    },
                    item.code,
                    combo,
                )
            )
            continue
        for part in parts:
            if part not in PARTS:
                errors.append(
                    CellError(
                        "unknown-field",
                        _("%(part)r is not a field of a value: use %(known)s.")
                        % {"part": part, "known": ", ".join(sorted(PARTS))},
                        item.code,
                        combo,
                        part,
                    )
                )
    return errors


def _commented(cells: Mapping[str, Cell]) -> bool:
    return any(cell.comment for cell in cells.values())


def _blank(row: Value, metric_type: str) -> bool:
    if metric_type in ("text", "rating"):
        return not row.text
    if metric_type == "milestone":
        return row.done is None
    return row.number is None


def _check_action(code: str, raw: dict[str, Any]) -> tuple[dict[str, Any], list[CellError]]:
    errors = []
    status = str(raw.get("status", "")).strip()
    if status and status not in ActionStatus.values:
        errors.append(
            CellError("bad-status", _("Choose a status from the list."), code, part="status")
        )
        status = ""
    percent_raw = str(raw.get("percent_complete", "")).strip()
    percent = None
    if percent_raw:
        if not re.fullmatch(r"[0-9]{1,3}", percent_raw) or int(percent_raw) > 100:
            errors.append(
                CellError(
                    "percent-out-of-range",
                    _("Percent complete is a whole number from 0 to 100."),
                    code,
                    part="percent_complete",
                )
            )
        else:
            percent = int(percent_raw)
    links = [
        line.strip() for line in str(raw.get("evidence_links", "")).splitlines() if line.strip()
    ]
    for link in links:
        if not URL_RE.match(link) or len(link) > 500:
            errors.append(
                CellError(
                    "bad-link",
                    _("%(link)r is not a web address: start it with https://")
                    % {"link": link[:80]},
                    code,
                    part="evidence_links",
                )
            )
    milestones = []
    for line in str(raw.get("milestones", "")).splitlines():
        if not line.strip():
            continue
        title, _sep, due = line.rpartition("|")
        if not title:
            title, due = due, ""
        milestones.append({"title": title.strip()[:300], "due": due.strip()[:20]})
    return {
        "status": status,
        "percent_complete": percent,
        "narrative": str(raw.get("narrative", "")).strip()[:20000],
        "evidence_links": links,
        "milestones": milestones,
    }, errors


def _load_previous(plans: Sequence[EntryPlan]) -> None:
    """Each plan's approved values for the period its metrics are compared with, and their
    approved history, for plans of one round (one submission a unit): two queries for all
    their units and metrics (a round may ask hundreds of each)."""
    items = {
        (plan.submission.unit_id, item.metric.pk): item for plan in plans for item in plan.metrics
    }
    if not items:
        return
    reporting_round = plans[0].submission.reporting_round
    period = Period.parse(reporting_round.period, reporting_round.plan.fiscal_year_start_month)
    wanted = {
        key: (
            period.same_period_last_year()
            if item.definition.compare_previous
            else period.previous()
        ).code
        for key, item in items.items()
    }
    units = {unit_id for unit_id, _metric in items}
    metrics = {metric_id for _unit, metric_id in items}
    rows = Value.objects.filter(
        submission__unit__in=units,
        submission__reporting_round__plan=reporting_round.plan,
        submission__reporting_round__period__in=set(wanted.values()),
        submission__state=SubmissionState.APPROVED,
        metric__in=metrics,
    ).values_list(
        "submission__unit_id",
        "metric_id",
        "submission__reporting_round__period",
        "combination",
        "number",
    )
    for unit_id, metric_id, period_code, combination, number in rows:
        if wanted.get((unit_id, metric_id)) == period_code:
            items[unit_id, metric_id].previous[combination] = number
    earlier = (
        Value.objects.filter(
            submission__unit__in=units,
            submission__state=SubmissionState.APPROVED,
            submission__reporting_round__period_start__lt=reporting_round.period_start,
            metric__in=metrics,
            number__isnull=False,
        )
        .order_by("submission__reporting_round__period_start")
        .values_list("submission__unit_id", "metric_id", "combination", "number")
    )
    for unit_id, metric_id, combination, number in earlier:
        item = items.get((unit_id, metric_id))
        if item is not None and number is not None:
            item.history.setdefault(combination, []).append(number)


def _categories() -> dict[str, list[tuple[str, str]]]:
    result: dict[str, list[tuple[str, str]]] = {}
    for category in Category.objects.select_related("disaggregation_set"):
        result.setdefault(category.disaggregation_set.key, []).append(
            (category.key, category.label)
        )
    return result


def _label_of(combo: str, categories: dict[str, list[tuple[str, str]]]) -> str:
    if combo == TOTAL:
        return ""
    labels = []
    for part in combo.split("|"):
        set_key, _eq, key = part.partition("=")
        labels.append(dict(categories.get(set_key, [])).get(key, key))
    return ", ".join(labels)
