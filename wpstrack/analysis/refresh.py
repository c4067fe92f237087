"""Rebuilding a plan's figures and statuses from its approved submissions.

Per metric, unit and period the figure is the approved total (a typed total, or the sum of a
count's parts; for a share, numerator over denominator). The plan's figure adds the units up:
counts and money are summed, shares are pooled (all numerators over all denominators) or, where
units gave only the share, averaged; other kinds are judged only when one unit reports them.
Each series is then judged period by period by ``status.assess_metric`` with the metric's rule.
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
from wpstrack.frameworks.models import Metric, MetricDefinition, Plan
from wpstrack.lib.periods import Period, PeriodError
from wpstrack.reporting.models import SubmissionState, Value

SHARES = ("percentage", "ratio")
SUMMED = ("count", "money")


@dataclass
class Figure:
    period: str
    period_end: dt.date
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    parts: dict[str, Decimal] = field(default_factory=dict)
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


def rule_at(definition: MetricDefinition, plan: Plan, period: Period) -> rules.Rule:
    """The rule for one period: the latest baseline or target at or before it, and the next
    target after it (so several yearly targets make a piecewise path)."""
    month = plan.fiscal_year_start_month
    plan_rule = getattr(plan, "status_rules", None) or {}
    own = getattr(definition, "status_rule", None) or {}
    tolerance = Decimal(str(own.get("tolerance") or plan_rule.get("tolerance") or "0.1"))
    baselines = [p for f in definition.baselines or [] if (p := _point(f, month))]
    targets = [p for f in definition.targets or [] if (p := _point(f, month))]
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


def _judge(
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
        for figure, judged in zip(series, _judge(definition, plan, series, today), strict=True):
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
