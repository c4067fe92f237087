"""A metric's charts, built from its approved figures with the one chart code path
(``wpstrack.lib.charts``) that the reports will use too.

Pages load them as separate SVG images so the page itself answers fast; drawing is deterministic,
so each SVG is cached in the process by the hash of its spec (a new figure changes the spec)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from typing import Any

import altair as alt
from django.utils.translation import gettext as _

from wpstrack.analysis import status as rules
from wpstrack.analysis.models import MetricStatus
from wpstrack.analysis.refresh import (
    category_labels,
    figures_for,
    label_of,
    rule_at,
    targeted_parts,
)
from wpstrack.frameworks.models import Category, Metric, Plan
from wpstrack.lib import charts
from wpstrack.lib.periods import Period, PeriodError

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
    """The latest periods' parts (e.g. women, men) side by side; None when not broken down. A
    metric with targets per category gets each category's figures against its target path."""
    if metric.current is not None and targeted_parts(metric.current):
        return against_targets(plan, metric)
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


YEAR_RE = re.compile(r"^FY(\d{4})$")


def _axis_periods(codes: list[str]) -> list[str]:
    """The x axis: every fiscal year from the first to the last when all are years (so a gap of
    years shows as one), else the periods in time order."""
    years = [int(m.group(1)) for code in codes if (m := YEAR_RE.match(code))]
    if codes and len(years) == len(codes):
        return [f"FY{year}" for year in range(min(years), max(years) + 1)]
    return charts.period_order(codes)


def _paths(
    plan: Plan, metric: Metric, parts: list[str], axis: list[str]
) -> dict[str, dict[str, float]]:
    """Part -> period -> the figure its target path expects (or its target in its own year)."""
    definition = metric.current
    assert definition is not None
    found: dict[str, dict[str, float]] = {part: {} for part in parts}
    for code in axis:
        try:
            period = Period.parse(code, plan.fiscal_year_start_month)
        except PeriodError:
            continue
        for part in parts:
            rule = rule_at(definition, plan, period, part)
            expected = rules.expected_at(rule, period)
            if expected is not None:
                found[part][code] = float(expected)
    for part in parts:
        for figure in figures_for(definition.targets, part):
            if figure.get("at") and figure.get("value") is not None:
                found[part][str(figure["at"])] = float(figure["value"])
    return found


def against_targets(plan: Plan, metric: Metric) -> charts.Chart:
    """Each category's approved figures (solid line, circles) against its target path (dashed
    line of the same colour, diamonds at the targets), one colour per category."""
    definition = metric.current
    assert definition is not None
    rows = list(
        MetricStatus.objects.filter(metric=metric, unit__isnull=True)
        .order_by("period_end")
        .values_list("period", "parts")
    )
    parts = targeted_parts(definition)
    shown = list(dict.fromkeys([*parts, *(c for _p, found in rows for c in sorted(found))]))
    targets = [str(f["at"]) for f in definition.targets or [] if f.get("for") and f.get("at")]
    axis = _axis_periods([period for period, _parts in rows] + targets)
    paths = _paths(plan, metric, parts, axis)
    known = category_labels()
    names = {part: label_of(part, known) for part in shown}
    reported, path_name = _("Reported"), _("Target path")
    data: list[dict[str, Any]] = []
    for period, found in rows:
        for part, value in found.items():
            data.append(
                {
                    "period": period,
                    "category": names[part],
                    "series": reported,
                    "value": float(value),
                }
            )
    target_codes = {(f.get("for"), str(f.get("at"))) for f in definition.targets or []}
    for part, path in paths.items():
        for period, value in path.items():
            data.append(
                {
                    "period": period,
                    "category": names[part],
                    "series": path_name,
                    "value": value,
                    "target": (part, period) in target_codes,
                }
            )
    categories = [names[part] for part in shown][: len(charts.CATEGORY_COLOURS)]
    colour = alt.Scale(domain=categories, range=list(charts.CATEGORY_COLOURS[: len(categories)]))
    dash = alt.Scale(domain=[reported, path_name], range=[charts.SOLID, [5, 3]])
    x = alt.X("period:O", scale=alt.Scale(domain=axis), axis=charts._x_axis(len(axis)))
    unit = "%" if definition.type == "percentage" else (definition.unit or "")
    y = alt.Y("value:Q", axis=charts._y_axis(unit), scale=alt.Scale(zero=True, nice=True))
    base = alt.Chart()
    layers = [
        base.mark_line(strokeWidth=2).encode(
            x=x,
            y=y,
            color=alt.Color("category:N", scale=colour, title=None),
            strokeDash=alt.StrokeDash("series:N", scale=dash, title=None),
            detail="series:N",
        ),
        base.mark_point(filled=True, size=60, stroke=charts.OUTLINE, strokeWidth=0.75)
        .encode(x=x, y=y, color=alt.Color("category:N", scale=colour, title=None))
        .transform_filter(alt.datum.series == reported),
        base.mark_point(shape="diamond", filled=True, size=90, stroke=charts.OUTLINE)
        .encode(x=x, y=y, color=alt.Color("category:N", scale=colour, title=None))
        .transform_filter("datum.target === true"),
    ]
    values = {(r["period"], r["category"], r["series"]): r["value"] for r in data}
    columns = [(name, series) for name in categories for series in (reported, path_name)]
    table = charts.Table(
        caption=metric.code,
        columns=(_("Period"), *(f"{name}: {series}" for name, series in columns)),
        rows=tuple(
            (
                period,
                *(
                    charts.show(values.get((period, name, series)), unit)
                    for name, series in columns
                ),
            )
            for period in axis
        ),
    )
    return charts._finish(
        layers,
        data,
        metric.code,
        _(
            "Approved figures per category, each against its own target path "
            "(dashed; diamonds mark the targets)."
        ),
        table,
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
