"""Rebuilding a plan's figures and statuses from its approved submissions.

Per metric, unit and period the figure is the approved total (a typed total, or the sum of a
count's parts; for a share, numerator over denominator). The plan's figure adds the units up:
counts and money are summed, shares are pooled (all numerators over all denominators) or, where
units gave only the share, averaged; other kinds are judged only when one unit reports them.
Each series is then judged period by period by ``status.assess_metric`` with the metric's rule.

A metric whose baselines or targets name a category (``for: personnel-category=military-contingent``)
has each such part judged against its own path too, and its status follows its parts
(``status.combine_parts``; docs/status-rules.md, Targets per category).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wpstrack.analysis import status as rules
from wpstrack.analysis.models import MetricStatus
from wpstrack.frameworks.models import Category, Metric, MetricDefinition, Plan
from wpstrack.lib.periods import Period, PeriodError
from wpstrack.reporting.models import SubmissionState, Value

SHARES = ("percentage", "ratio")
FOUR_PLACES = Decimal("0.0001")
SUMMED = ("count", "money")


@dataclass
class Figure:
    period: str
    period_end: dt.date
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    parts: dict[str, Decimal] = field(default_factory=dict)
    # A share's parts as numerator and denominator, where each was typed so: pooled across units.
    part_shares: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    units: int = 1
    done: bool | None = None
    done_on: dt.date | None = None


def _point(figure: dict[str, Any], start_month: int) -> rules.Point | None:
    code = figure.get("at")
    if not code or figure.get("value") is None:
        return None
    try:
        return rules.Point(Period.parse(str(code), start_month), Decimal(str(figure["value"])))
    except (PeriodError, ArithmeticError, ValueError):
        return None


def category_labels() -> dict[str, str]:
    """Combination part -> its label: "personnel-category=military-contingent" -> "Military
    contingent"."""
    return {
        f"{set_key}={key}": label
        for set_key, key, label in Category.objects.values_list(
            "disaggregation_set__key", "key", "label"
        )
    }


def label_of(combination: str, labels: dict[str, str]) -> str:
    return ", ".join(labels.get(part, part) for part in combination.split("|"))


def figures_for(figures: list[dict[str, Any]] | None, part: str = "") -> list[dict[str, Any]]:
    """The baselines or targets for one part (a combination key), or for the whole metric ("")."""
    return [f for f in figures or [] if str(f.get("for") or "") == part]


def targeted_parts(definition: MetricDefinition) -> list[str]:
    """The combinations with baselines or targets of their own, in the order first named."""
    named = [
        str(f["for"])
        for f in [*(definition.targets or []), *(definition.baselines or [])]
        if f.get("for")
    ]
    return list(dict.fromkeys(named))


def rule_at(definition: MetricDefinition, plan: Plan, period: Period, part: str = "") -> rules.Rule:
    """The rule for one period: the latest baseline or target at or before it, and the next
    target after it (so several yearly targets make a piecewise path). ``part``: the rule of one
    combination, from the figures ``for`` it; "" the whole metric's, from those for no part."""
    month = plan.fiscal_year_start_month
    plan_rule = getattr(plan, "status_rules", None) or {}
    own = getattr(definition, "status_rule", None) or {}
    tolerance = Decimal(str(own.get("tolerance") or plan_rule.get("tolerance") or "0.1"))
    baselines = [p for f in figures_for(definition.baselines, part) if (p := _point(f, month))]
    targets = [p for f in figures_for(definition.targets, part) if (p := _point(f, month))]
    points = sorted(baselines + targets, key=lambda p: p.period.end)
    before = [p for p in points if p.period.end <= period.end]
    after = [t for t in sorted(targets, key=lambda p: p.period.end) if t.period.end > period.end]
    target = after[0] if after else (targets[-1] if targets else None)
    baseline = before[-1] if before else None
    if baseline is not None and target is not None and baseline == target:
        baseline = None
    unit = "%" if definition.type == "percentage" else ""
    trajectory = str(own.get("trajectory") or "linear")
    return rules.Rule(definition.direction, baseline, target, tolerance, unit, trajectory)


def _unit_figures(
    rows: Iterable[tuple[Any, ...]], types: dict[int, str]
) -> dict[tuple[int, int, str], Figure]:
    """(metric, unit, period) -> the unit's approved figure."""
    cells: dict[tuple[int, int, str], list[tuple[Any, ...]]] = defaultdict(list)
    ends: dict[str, dt.date] = {}
    for row in rows:
        metric_id, unit_id, period, end = row[:4]
        ends[period] = end
        cells[(metric_id, unit_id, period)].append(row[4:])
    figures = {}
    for (metric_id, unit_id, period), found in cells.items():
        figure = Figure(period, ends[period])
        kind = types[metric_id]
        totals = [c for c in found if c[0] == ""]
        parts = [c for c in found if c[0] != ""]
        figure.parts = {c[0]: c[1] for c in parts if c[1] is not None}
        if kind in SHARES:
            figure.part_shares = {
                c[0]: (c[2], c[3]) for c in parts if c[2] is not None and c[3] is not None
            }
            chosen = totals or parts
            numerators = [c[2] for c in chosen if c[2] is not None]
            denominators = [c[3] for c in chosen if c[3] is not None]
            if numerators and len(numerators) == len(denominators) == len(chosen):
                numerator = sum(numerators, Decimal(0))
                denominator = sum(denominators, Decimal(0))
                figure.numerator, figure.denominator = numerator, denominator
                if denominator:
                    factor = Decimal(100) if kind == "percentage" else Decimal(1)
                    figure.value = numerator / denominator * factor
            elif totals:
                figure.value = totals[0][1]
        elif totals:
            figure.value = totals[0][1]
            figure.done, figure.done_on = totals[0][4], totals[0][5]
        elif parts and kind == "count" and all(c[1] is not None for c in parts):
            figure.value = sum(c[1] for c in parts)
        figures[(metric_id, unit_id, period)] = figure
    return figures


def _plan_figure(kind: str, figures: list[Figure]) -> Figure:
    first = figures[0]
    figure = Figure(first.period, first.period_end, units=len(figures))
    if len(figures) == 1:
        return Figure(**{**first.__dict__, "units": 1})
    parts: dict[str, Decimal] = defaultdict(Decimal)
    for one in figures:
        for key, number in one.parts.items():
            parts[key] += number
    figure.parts = dict(parts) if kind in SUMMED else {}
    if kind in SHARES:
        figure.parts, figure.part_shares = _pooled_parts(kind, figures)
    values = [f.value for f in figures if f.value is not None]
    if kind in SUMMED and len(values) == len(figures):
        figure.value = sum(values, Decimal(0))
    elif kind in SHARES:
        if all(f.numerator is not None and f.denominator is not None for f in figures):
            numerator = sum(((f.numerator or Decimal(0)) for f in figures), Decimal(0))
            denominator = sum(((f.denominator or Decimal(0)) for f in figures), Decimal(0))
            figure.numerator, figure.denominator = numerator, denominator
            if denominator:
                factor = Decimal(100) if kind == "percentage" else Decimal(1)
                figure.value = numerator / denominator * factor
        elif values:
            figure.value = sum(values, Decimal(0)) / len(values)
    elif kind == "milestone":
        figure.done = all(f.done for f in figures)
    return figure


def _pooled_parts(
    kind: str, figures: list[Figure]
) -> tuple[dict[str, Decimal], dict[str, tuple[Decimal, Decimal]]]:
    """A share's parts across units: all numerators over all denominators where every unit
    reporting the part gave both, else the average of the units' shares."""
    factor = Decimal(100) if kind == "percentage" else Decimal(1)
    values: dict[str, list[Decimal]] = defaultdict(list)
    pairs: dict[str, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for one in figures:
        for key, number in one.parts.items():
            values[key].append(number)
            if key in one.part_shares:
                pairs[key].append(one.part_shares[key])
    parts: dict[str, Decimal] = {}
    shares: dict[str, tuple[Decimal, Decimal]] = {}
    for key, found in values.items():
        if len(pairs[key]) == len(found):
            numerator = sum((n for n, _d in pairs[key]), Decimal(0))
            denominator = sum((d for _n, d in pairs[key]), Decimal(0))
            shares[key] = (numerator, denominator)
            if denominator:
                parts[key] = (numerator / denominator * factor).quantize(FOUR_PLACES)
        else:
            parts[key] = (sum(found, Decimal(0)) / len(found)).quantize(FOUR_PLACES)
    return parts, shares


def _expected(rule: rules.Rule, period: Period, assessed: rules.Assessment) -> Decimal | None:
    """The figure the part's path expects: on the path, or its target once the target's date
    has come (where the path is only that target)."""
    if assessed.expected is not None:
        return assessed.expected
    found = rules.expected_at(rule, period)
    if found is None and rule.target is not None and period.end >= rule.target.period.end:
        return rule.target.value
    return found


@dataclass
class Judged:
    """One figure's status, and, for a metric with targets per category, each part's."""

    assessment: rules.Assessment
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)


def _part_series(
    definition: MetricDefinition, plan: Plan, series: list[Figure], overall: list[rules.Assessment]
) -> list[Judged]:
    """Each targeted part judged against its own path; the metric's status then follows them."""
    parts = targeted_parts(definition)
    if not parts or definition.type not in (*SHARES, *SUMMED, "score"):
        return [Judged(a) for a in overall]
    plan_rule = getattr(plan, "status_rules", None) or {}
    rollup = str(plan_rule.get("rollup") or "worst")
    share = Decimal(str(plan_rule.get("rollup_share") or "0.25"))
    whole_counts = bool(figures_for(definition.targets) or figures_for(definition.baselines))
    known = category_labels()
    labels = {part: label_of(part, known) for part in parts}
    judged = []
    previous: dict[str, Decimal | None] = {}
    for figure, whole in zip(series, overall, strict=True):
        period = Period.parse(figure.period, plan.fiscal_year_start_month)
        found: dict[str, dict[str, Any]] = {}
        for part in parts:
            value = figure.parts.get(part)
            numerator, denominator = figure.part_shares.get(part, (None, None))
            rule = rule_at(definition, plan, period, part)
            assessed = rules.assess_metric(
                rule, period, value, previous.get(part), denominator=denominator
            )
            found[part] = {
                "value": value,
                "numerator": numerator,
                "denominator": denominator,
                "status": assessed.status,
                "reason": assessed.reason,
                "expected": _expected(rule, period, assessed),
                "target": rule.target,
            }
            if value is not None:
                previous[part] = value
        combined = rules.combine_parts(
            {part: rules.Assessment(f["status"], f["reason"]) for part, f in found.items()},
            whole if whole_counts else None,
            rollup,
            share,
            labels,
        )
        judged.append(Judged(combined, found))
    return judged


def _judge(
    definition: MetricDefinition, plan: Plan, series: list[Figure], today: dt.date
) -> list[Judged]:
    return _part_series(definition, plan, series, _judge_whole(definition, plan, series, today))


def _judge_whole(
    definition: MetricDefinition, plan: Plan, series: list[Figure], today: dt.date
) -> list[rules.Assessment]:
    found = []
    previous: Decimal | None = None
    for figure in series:
        period = Period.parse(figure.period, plan.fiscal_year_start_month)
        if definition.type == "milestone":
            rule = rule_at(definition, plan, period)
            due = rule.target.period.end if rule.target else None
            found.append(rules.assess_milestone(figure.done, figure.done_on, due, today))
        elif definition.type in ("text", "rating"):
            found.append(
                rules.Assessment(
                    rules.Status.NOT_ASSESSABLE,
                    _("Answers in words are read by people, not scored."),
                )
            )
        else:
            found.append(
                rules.assess_metric(
                    rule_at(definition, plan, period),
                    period,
                    figure.value,
                    previous,
                    denominator=figure.denominator,
                )
            )
        previous = figure.value if figure.value is not None else previous
    return found


def _plain(value: Decimal | None) -> str | None:
    """A figure as stored text, to the four places ``MetricStatus`` keeps."""
    return None if value is None else format(value.quantize(FOUR_PLACES).normalize(), "f")


def _stored_parts(parts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each targeted part's figure, status and path as JSON: the figures as plain text, the
    target the path leads to as its value and period code."""
    stored = {}
    for part, found in parts.items():
        target = found["target"]
        stored[part] = {
            "value": _plain(found["value"]),
            "numerator": _plain(found["numerator"]),
            "denominator": _plain(found["denominator"]),
            "status": str(found["status"]),
            "reason": found["reason"],
            "expected": _plain(found["expected"]),
            "target": _plain(target.value) if target else None,
            "target_period": target.period.code if target else None,
        }
    return stored


def _rows_for(plan: Plan, metric_ids: list[int] | None) -> Iterable[tuple[Any, ...]]:
    values = Value.objects.filter(
        submission__reporting_round__plan=plan, submission__state=SubmissionState.APPROVED
    )
    if metric_ids is not None:
        values = values.filter(metric_id__in=metric_ids)
    return values.values_list(
        "metric_id",
        "submission__unit_id",
        "submission__reporting_round__period",
        "submission__reporting_round__period_end",
        "combination",
        "number",
        "numerator",
        "denominator",
        "done",
        "done_on",
    ).iterator(chunk_size=5000)


@transaction.atomic
def refresh_plan(
    plan: Plan, *, metric_ids: list[int] | None = None, today: dt.date | None = None
) -> int:
    """Rebuild the plan's statuses (all metrics, or those given) and return how many rows."""
    today = today or timezone.localdate()
    metrics = Metric.objects.filter(plan=plan, current__isnull=False).select_related("current")
    if metric_ids is not None:
        metrics = metrics.filter(pk__in=metric_ids)
    definitions = {m.pk: m.current for m in metrics if m.current is not None}
    types = {pk: d.type for pk, d in definitions.items()}
    figures = _unit_figures(_rows_for(plan, list(definitions)), types)
    by_series: dict[tuple[int, int | None], list[Figure]] = defaultdict(list)  # None: the plan
    by_plan: dict[tuple[int, str], list[Figure]] = defaultdict(list)
    for (metric_id, unit_id, period), figure in figures.items():
        by_series[(metric_id, unit_id)].append(figure)
        by_plan[(metric_id, period)].append(figure)
    for (metric_id, _period), group in by_plan.items():
        by_series[(metric_id, None)].append(_plan_figure(types[metric_id], group))
    rows = []
    now = timezone.now()
    for (metric_id, owner), series in by_series.items():
        series.sort(key=lambda f: f.period_end)
        definition = definitions[metric_id]
        for figure, found in zip(series, _judge(definition, plan, series, today), strict=True):
            judged = found.assessment
            rows.append(
                MetricStatus(
                    plan=plan,
                    metric_id=metric_id,
                    unit_id=owner,
                    period=figure.period,
                    period_end=figure.period_end,
                    value=figure.value,
                    numerator=figure.numerator,
                    denominator=figure.denominator,
                    parts={k: format(v.normalize(), "f") for k, v in figure.parts.items()},
                    units_reporting=figure.units if owner is None else 1,
                    status=judged.status.value,
                    reason=judged.reason,
                    expected=judged.expected,
                    part_status=_stored_parts(found.parts),
                    computed_at=now,
                )
            )
    stale = MetricStatus.objects.filter(plan=plan)
    if metric_ids is not None:
        stale = stale.filter(metric_id__in=list(definitions))
    stale.delete()
    MetricStatus.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def refresh_for_submission(submission: Any) -> int:
    """After a submission is approved or reopened: its metrics, across the plan."""
    metric_ids = list(
        submission.reporting_round.assignments.filter(
            unit=submission.unit, metric__isnull=False
        ).values_list("metric_id", flat=True)
    )
    return refresh_plan(submission.reporting_round.plan, metric_ids=metric_ids)
