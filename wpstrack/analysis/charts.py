"""A metric's charts, built from its approved figures with the one chart code path
(``wpstrack.lib.charts``) that the reports will use too.

Pages load them as separate SVG images so the page itself answers fast; drawing is deterministic,
so each SVG is cached in the process by the hash of its spec (a new figure changes the spec)."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import Any

from django.utils.translation import gettext as _

from wpstrack.analysis.models import MetricStatus
from wpstrack.analysis.refresh import rule_at
from wpstrack.frameworks.models import Category, Metric, Plan
from wpstrack.lib import charts
from wpstrack.lib.periods import Period

CACHE_SIZE = 256
_svgs: OrderedDict[str, str] = OrderedDict()


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def time_series(plan: Plan, metric: Metric) -> charts.Chart:
    definition = metric.current
    assert definition is not None
    rows = list(
        MetricStatus.objects.filter(metric=metric, unit__isnull=True)
        .order_by("period_end")
        .values_list("period", "value", "expected", "status")
    )
    unit = "%" if definition.type == "percentage" else (definition.unit or "")
    month = plan.fiscal_year_start_month
    baseline = None
    targets: list[tuple[str, float]] = []
    expected: list[tuple[str, float]] = []
    if rows:
        last = Period.parse(rows[-1][0], month)
        rule = rule_at(definition, plan, last)
        if rule.baseline is not None:
            baseline = (rule.baseline.period.code, float(rule.baseline.value))
    for figure in definition.targets or []:
        if figure.get("at") and figure.get("value") is not None:
            targets.append((str(figure["at"]), float(figure["value"])))
    expected = [(period, float(path)) for period, _v, path, _s in rows if path is not None]
    return charts.time_series(
        f"{metric.code}",
        _(
            "%(text)s Approved figures for the plan by period, with baseline, targets and the expected path."
        )
        % {"text": definition.text[:200]},
        [(period, _number(value)) for period, value, _e, _s in rows],
        unit=unit,
        baseline=baseline,
        targets=targets,
        expected=expected,
        statuses={period: state for period, _v, _e, state in rows},
    )


def breakdown(plan: Plan, metric: Metric, periods: int = 4) -> charts.Chart | None:
    """The latest periods' parts (e.g. women, men) side by side; None when not broken down."""
    rows = list(
        MetricStatus.objects.filter(metric=metric, unit__isnull=True)
        .exclude(parts={})
        .order_by("-period_end")
        .values_list("period", "parts")[:periods]
    )
    if not rows:
        return None
    labels = dict(
        (f"{set_key}={key}", label)
        for set_key, key, label in Category.objects.values_list(
            "disaggregation_set__key", "key", "label"
        )
    )

    def name(combination: str) -> str:
        return ", ".join(labels.get(part, part) for part in combination.split("|"))

    bars = [
        (period, name(combination), float(value))
        for period, parts in reversed(rows)
        for combination, value in sorted(parts.items())
    ]
    return charts.grouped_bars(
        f"{metric.code}",
        _("Approved figures by category for the latest periods."),
        bars,
        unit=metric.current.unit if metric.current else "",
    )


def svg(chart: charts.Chart) -> str:
    key = hashlib.sha256(json.dumps(chart.spec, sort_keys=True, default=str).encode()).hexdigest()
    found = _svgs.get(key)
    if found is None:
        found = chart.svg()
        _svgs[key] = found
        if len(_svgs) > CACHE_SIZE:
            _svgs.popitem(last=False)
    else:
        _svgs.move_to_end(key)
    return found
