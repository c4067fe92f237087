"""The report kinds, each built from a snapshot (never from live data): the annual progress
report, the quarterly review pack, the one-page scorecard, the IPTT and the per-unit report."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from wpstrack.analysis import status as rules
from wpstrack.analysis.models import StatusChoice
from wpstrack.lib import charts
from wpstrack.reporting.models import ActionStatus
from wpstrack.reports import protect
from wpstrack.reports.document import (
    HEADING_LEVELS,
    Figure,
    Heading,
    PageBreak,
    Report,
    Table,
    Text,
)
from wpstrack.reports.models import Snapshot

KINDS = {
    "annual": "Annual progress report",
    "quarterly": "Quarterly review pack",
    "scorecard": "Scorecard",
    "iptt": "Indicator Performance Tracking Table",
    "unit": "Unit report",
}


def status_name(key: str | None) -> str:
    return str(StatusChoice(key).label) if key in StatusChoice.values else "–"


def _d(text: str | None) -> Decimal | None:
    try:
        return None if text in (None, "") else Decimal(str(text))
    except InvalidOperation:
        return None


def _show(value: Decimal | None, unit: str = "") -> str:
    return rules.show(value, unit) if value is not None else "–"


class Context:
    """A snapshot's content with the lookups every builder needs."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.data = snapshot.content
        self.elements = self.data["elements"]
        self.children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
        for element in self.elements:
            self.children[element["parent"]].append(element)
        self.periods = self.data["periods"]
        categories = self.data.get("categories") or []
        self.labels: dict[str, str] = {key: label for key, label in categories}
        self.guard = protect.Guard.of(snapshot)  # holding to what an earlier edition hid

    def meta(self) -> dict[str, Any]:
        snap = self.snapshot
        return {
            "plan": self.data["plan"]["slug"],
            "plan_title": self.data["plan"]["title"],
            "plan_short": self.data["plan"].get("short_title") or self.data["plan"]["slug"],
            "year": self.data["year"],
            "edition": snap.edition,
            "snapshot": snap.identifier,
            "sha256": snap.sha256,
            "snapshot_at": snap.created_at.isoformat(timespec="seconds"),
            "generated_at": timezone.now().isoformat(timespec="seconds"),
            "demo": self.data.get("demo", False),
        }

    def series(self, code: str) -> list[dict[str, Any]]:
        return self.data["figures"].get(code, [])

    def latest_in(self, code: str, periods: list[str]) -> dict[str, Any] | None:
        found = [f for f in self.series(code) if f["period"] in periods and f["value"] is not None]
        return found[-1] if found else None

    def year_periods(self, year: str) -> list[str]:
        return [year] + [f"{year}-Q{q}" for q in range(1, 5)]

    def unit_symbol(self, metric: dict[str, Any]) -> str:
        return "%" if metric["type"] == "percentage" else ""

    def label(self, combination: str) -> str:
        """A breakdown as people read it ("Women"; "Women, 18-24"); the total is "Total"."""
        if not combination:
            return _("Total")
        return ", ".join(self.labels.get(part, part) for part in combination.split("|"))

    def ordered(self, combinations: set[str]) -> list[str]:
        rank = {key: i for i, key in enumerate(self.labels)}
        return sorted(combinations, key=lambda c: (rank.get(c, len(rank)), c))

    def figure_text(self, metric: dict[str, Any], figure: dict[str, Any] | None) -> str:
        """The plan's figure as every table shows it: its suppression mark when hidden."""
        if not figure or figure.get("value") is None:
            return "–"
        mark = self.guard.plan(metric["code"], figure["period"])
        return mark or _show(_d(figure["value"]), self.unit_symbol(metric))

    def part_text(self, metric: dict[str, Any], figure: dict[str, Any] | None, key: str) -> str:
        if not figure or (figure.get("parts") or {}).get(key) is None:
            return "–"
        mark = self.guard.plan(metric["code"], figure["period"], key)
        return mark or _show(_d(figure["parts"][key]))

    def hidden(self, metric: dict[str, Any], *figures: dict[str, Any] | None) -> bool:
        return any(f and self.guard.plan(metric["code"], f["period"]) is not None for f in figures)

    def reason(self, metric: dict[str, Any], figure: dict[str, Any] | None) -> str:
        """Why the figure has its status; for a sensitive metric no sentence with its counts."""
        if not figure:
            return ""
        if self.guard.applies(metric["code"]):
            return _("Sensitive figures: see the tables, where small counts are hidden.")
        return str(figure.get("reason") or "")


def _noted(ctx: Context, table: Table) -> Table:
    """The suppression footnote under a table that holds a mark."""
    marks = {protect.HIDDEN, f"<{protect.threshold()}"}
    if any(cell in marks for row in table.rows for cell in row):
        table.notes.append(protect.footnote(ctx.guard.kept_from))
    return table


def _figure_of(figures: list[dict[str, Any]], at: str | None) -> str:
    for figure in figures:
        if figure.get("at") == at or (at is None and figure.get("value") is not None):
            return str(figure.get("value"))
    return "–"


def _target(metric: dict[str, Any]) -> str:
    targets = [t for t in metric.get("targets") or [] if t.get("value") is not None]
    if not targets:
        return "–"
    target = targets[-1]
    when = target.get("at") or target.get("period") or ""
    return f"{target['value']} ({when})" if when else str(target["value"])


def _baseline(metric: dict[str, Any]) -> str:
    baselines = [b for b in metric.get("baselines") or [] if b.get("value") is not None]
    if not baselines:
        return "–"
    base = baselines[0]
    when = base.get("at") or base.get("period") or ""
    return f"{base['value']} ({when})" if when else str(base["value"])


def metric_table(ctx: Context, metrics: list[dict[str, Any]], caption: str) -> Table:
    """Baseline, previous year, this year, target, change and status of each metric."""
    year, previous = ctx.data["year"], ctx.data["previous_year"]
    rows = []
    for metric in metrics:
        now = ctx.latest_in(metric["code"], ctx.year_periods(year))
        before = ctx.latest_in(metric["code"], ctx.year_periods(previous))
        unit = ctx.unit_symbol(metric)
        change = "–"
        if ctx.hidden(metric, now, before):
            change = protect.HIDDEN
        elif now and before and _d(now["value"]) is not None and _d(before["value"]) is not None:
            delta = (_d(now["value"]) or Decimal(0)) - (_d(before["value"]) or Decimal(0))
            change = ("+" if delta > 0 else "") + _show(delta, unit)
        rows.append(
            [
                metric["code"],
                metric["text"],
                _baseline(metric),
                ctx.figure_text(metric, before),
                ctx.figure_text(metric, now),
                _target(metric),
                change,
                status_name(now["status"]) if now else status_name("no_data"),
            ]
        )
    return _noted(
        ctx,
        Table(
            caption,
            [
                _("Metric"),
                _("Text"),
                _("Baseline"),
                previous,
                year,
                _("Target"),
                _("Change"),
                _("Status"),
            ],
            rows,
            numeric={3, 4, 6},
            sheet=caption[:31],
        ),
    )


def parts_table(ctx: Context, metric: dict[str, Any]) -> Table | None:
    """The figure by category (e.g. women, men) in the year and the year before, with the
    total; small counts of sensitive metrics are suppressed (``protect.Guard``)."""
    year, previous = ctx.data["year"], ctx.data["previous_year"]
    found = [
        (label, ctx.latest_in(metric["code"], ctx.year_periods(label)))
        for label in (previous, year)
    ]
    keys = ctx.ordered({k for _l, f in found if f for k in f["parts"]})
    if not keys:
        return None
    rows = []
    for label, figure in found:
        period = figure["period"] if figure else label
        rows.append(
            [
                label if period == label else f"{label} ({period})",
                *[ctx.part_text(metric, figure, k) for k in keys],
                ctx.figure_text(metric, figure),
            ]
        )
    return _noted(
        ctx,
        Table(
            _("%(code)s by category") % {"code": metric["code"]},
            [_("Period"), *[ctx.label(k) for k in keys], _("Total")],
            rows,
            numeric=set(range(1, len(keys) + 2)),
            sheet=f"{metric['code']} parts"[:31],
        ),
    )


def trend_figure(ctx: Context, metric: dict[str, Any]) -> Figure | None:
    """The metric's figures by period as a chart (never for a sensitive metric: a chart cannot
    show a hidden count), with the same figures as a table."""
    series = ctx.series(metric["code"])
    points = [(f["period"], float(f["value"]) if f["value"] is not None else None) for f in series]
    sensitive = metric.get("sensitive") or ctx.guard.applies(metric["code"])
    if len([p for p in points if p[1] is not None]) < 2 or sensitive:
        return None
    targets = [
        (str(t["at"]), float(t["value"]))
        for t in metric.get("targets") or []
        if t.get("at") and t.get("value") is not None
    ]
    base = next(
        (
            (str(b["at"]), float(b["value"]))
            for b in metric.get("baselines") or []
            if b.get("at") and b.get("value") is not None
        ),
        None,
    )
    chart = charts.time_series(
        _("%(code)s by period") % {"code": metric["code"]},
        _("%(text)s Approved figures for the plan by period, with baseline and targets.")
        % {"text": metric["text"][:200]},
        points,
        unit=ctx.unit_symbol(metric),
        baseline=base,
        targets=targets,
        expected=[(f["period"], float(f["expected"])) for f in series if f.get("expected")],
        statuses={f["period"]: f["status"] for f in series},
    )
    columns = list(chart.table.columns)
    table = Table(
        _("%(code)s by period: the chart's figures") % {"code": metric["code"]},
        columns,
        [list(r) for r in chart.table.rows],
        numeric={i for i, c in enumerate(columns) if c not in (_("Period"), _("Status"))},
        sheet=f"{metric['code']} chart"[:31],
    )
    return Figure(chart, table)


def _action_status(ctx: Context, code: str) -> tuple[str, str] | None:
    updates = ctx.data["actions"].get(code, [])
    if not updates:
        return None
    latest: dict[str, dict[str, Any]] = {}
    for update in updates:
        latest[update["unit"]] = update
    end = dt.date.fromisoformat(ctx.data["end"])
    judged = [rules.assess_action(u["status"], u["milestones"] or [], end) for u in latest.values()]
    worst = min(
        judged,
        key=lambda a: [
            rules.Status.OFF_TRACK,
            rules.Status.AT_RISK,
            rules.Status.ON_TRACK,
            rules.Status.NO_DATA,
            rules.Status.NOT_ASSESSABLE,
        ].index(a.status),
    )
    return worst.status.value, worst.reason


def _narrative(ctx: Context, code: str) -> list[Text]:
    latest: dict[str, dict[str, Any]] = {}
    for update in ctx.data["actions"].get(code, []):
        if update["narrative"]:
            latest[update["unit"]] = update
    return [Text(f"{u['unit']} ({u['period']}): {u['narrative']}") for u in latest.values()]


def annual(ctx: Context, **_options: Any) -> Report:
    year = ctx.data["year"]
    report = Report(
        "annual",
        _("Annual progress report %(year)s") % {"year": year},
        ctx.data["plan"]["title"],
        ctx.meta(),
    )
    report.add(PageBreak(), Heading(1, _("Executive summary")))
    summary = ctx.data["narrative"]["executive_summary"] or _(
        "(The coordinator has not written the summary yet.)"
    )
    report.add(*[Text(p) for p in summary.split("\n\n") if p.strip()])
    report.add(*scorecard_blocks(ctx))

    def walk(parent: str | None, depth: int) -> None:
        for element in ctx.children.get(parent, []):
            report.add(
                Heading(
                    min(depth, HEADING_LEVELS),
                    f"{element['level_name']} {element['code']}: {element['title'][:150]}",
                )
            )
            action = _action_status(ctx, element["code"])
            if action:
                report.add(
                    Text(
                        _("Status: %(status)s. %(reason)s")
                        % {"status": status_name(action[0]), "reason": action[1]},
                        "status",
                    )
                )
            report.add(*_narrative(ctx, element["code"]))
            if element["metrics"]:
                report.add(
                    metric_table(
                        ctx,
                        element["metrics"],
                        _("Metrics of %(code)s") % {"code": element["code"]},
                    )
                )
                for metric in element["metrics"]:
                    parts = parts_table(ctx, metric)
                    if parts is not None:
                        report.add(parts)
                    figure = trend_figure(ctx, metric)
                    if figure is not None:
                        report.add(figure)
            walk(element["code"], depth + 1)

    report.add(PageBreak(), Heading(1, _("Progress by element")))
    walk(None, 2)
    report.add(PageBreak(), Heading(1, _("Annex A: Indicator Performance Tracking Table")))
    report.add(iptt_table(ctx))
    report.add(PageBreak(), Heading(1, _("Annex B: Where each figure comes from")))
    report.add(*provenance_tables(ctx))
    return report


def all_metrics(ctx: Context) -> list[dict[str, Any]]:
    return [m for e in ctx.elements for m in e["metrics"]]


def scorecard_blocks(ctx: Context) -> list[Any]:
    year = ctx.year_periods(ctx.data["year"])
    counts: Counter[str] = Counter()
    off = []
    for metric in all_metrics(ctx):
        now = ctx.latest_in(metric["code"], year)
        state = now["status"] if now else "no_data"
        counts[state] += 1
        if state == "off_track" and now:
            off.append([metric["code"], metric["text"][:150], ctx.reason(metric, now)])
    blocks: list[Any] = [
        Heading(1, _("Scorecard")),
        Table(
            _("Metrics by status"),
            [_("Status"), _("Metrics")],
            [[status_name(k), str(counts.get(k, 0))] for k in StatusChoice.values],
            numeric={1},
            sheet="Scorecard",
        ),
    ]
    tops = []
    for element in ctx.children.get(None, []):
        states = [
            rules.Status((ctx.latest_in(m["code"], year) or {"status": "no_data"})["status"])
            for m in _beneath(ctx, element["code"])
        ]
        tops.append(
            [element["code"], element["title"][:120], status_name(rules.roll_up(states).value)]
        )
    blocks.append(
        Table(
            _("Status by top-level element"),
            [_("Code"), _("Title"), _("Status")],
            tops,
            sheet="By element",
        )
    )
    blocks.append(
        Table(_("Off-track metrics"), [_("Metric"), _("Text"), _("Why")], off, sheet="Off track")
    )
    return blocks


def _beneath(ctx: Context, code: str) -> list[dict[str, Any]]:
    found = []
    for element in ctx.children.get(code, []):
        found += element["metrics"] + _beneath(ctx, element["code"])
    own = next((e for e in ctx.elements if e["code"] == code), None)
    return (own["metrics"] if own else []) + found


def iptt_table(ctx: Context) -> Table:
    quarters = [p for p in ctx.periods if "-Q" in p]
    rows = []
    for metric in all_metrics(ctx):
        figures = {f["period"]: f for f in ctx.series(metric["code"])}
        now = ctx.latest_in(metric["code"], ctx.year_periods(ctx.data["year"]))
        target = next(
            (t for t in reversed(metric.get("targets") or []) if t.get("value") is not None), None
        )
        achieved = "–"
        if ctx.hidden(metric, now):
            achieved = protect.HIDDEN
        elif now and target and _d(now["value"]) is not None and _d(target["value"]):
            achieved = _show(
                (_d(now["value"]) or Decimal(0)) / (_d(target["value"]) or Decimal(1)) * 100, "%"
            )
        rows.append(
            [metric["code"], metric["text"][:200], _baseline(metric), _target(metric)]
            + [ctx.figure_text(metric, figures.get(q)) for q in quarters]
            + [ctx.figure_text(metric, now), achieved, ctx.reason(metric, now)]
        )
    return _noted(
        ctx,
        Table(
            _("Indicator Performance Tracking Table %(year)s") % {"year": ctx.data["year"]},
            [
                _("Indicator"),
                _("Text"),
                _("Baseline"),
                _("Target"),
                *quarters,
                _("Year"),
                _("% of target"),
                _("Comments"),
            ],
            rows,
            numeric=set(range(4, 4 + len(quarters) + 2)),
            sheet="IPTT",
            wide=True,
        ),
    )


def _value_text(ctx: Context, row: dict[str, Any]) -> str:
    """One approved value as the provenance shows it (hidden by the guard when it must be)."""
    mark = ctx.guard.unit(row["metric"], row["period"], row["unit"], row["combination"])
    return mark or str(row["value"] or "")


WIDEST_BREAKDOWN = 8  # categories as columns of the values annex; more go one per row


def _unit_total(ctx: Context, code: str, period: str, unit: str, parts: list[str]) -> str:
    """A unit's computed total of its parts (never typed), hidden like any other cell."""
    mark = ctx.guard.unit(code, period, unit, "")
    if mark:
        return mark
    numbers = [_d(p) for p in parts]
    if any(n is None for n in numbers):
        return "–"
    return _show(sum((n for n in numbers if n is not None), Decimal(0)))


def provenance_tables(ctx: Context) -> list[Table]:
    """Every approved value behind the figures, one row per metric, period and unit with its
    categories side by side (one table per way of breaking down), and the approved reports they
    come from (who submitted and who approved each, and when), one row per report."""
    reports: dict[int, dict[str, Any]] = {}
    found: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
    for row in ctx.data["provenance"]:
        reports.setdefault(row["submission"], row)
        found.setdefault((row["metric"], row["period"], row["unit"]), {})[row["combination"]] = row
    shapes: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
    for key, cells in found.items():
        shape = tuple(ctx.ordered({c for c in cells if c}))
        shapes.setdefault(shape, []).append(key)
    sets = dict(ctx.data.get("disaggregations") or [])
    first = [_("Metric"), _("Period"), _("Unit")]
    tables = []
    for shape, keys in shapes.items():
        if not shape:  # figures not broken down
            rows = [
                [*key, _value_text(ctx, cell), f"#{cell['submission']}"]
                for key in keys
                for cell in [found[key][""]]
            ]
            table = Table(
                _("Approved values behind every figure"),
                [*first, _("Value"), _("Report")],
                rows,
                numeric={3},
                sheet="Values",
            )
        elif len(shape) > WIDEST_BREAKDOWN:  # too many categories for columns: one a row
            rows = [
                [*key, ctx.label(c), _value_text(ctx, cell), f"#{cell['submission']}"]
                for key in keys
                for c in shape
                if (cell := found[key].get(c))
            ]
            table = Table(
                _("Approved values behind every figure, by category"),
                [*first, _("Breakdown"), _("Value"), _("Report")],
                rows,
                numeric={4},
                sheet="Values by category",
            )
        else:
            rows = []
            for key in keys:
                cells = found[key]
                parts = [cells[c] for c in shape if c in cells]
                total = (
                    _unit_total(ctx, *key, [p["value"] for p in parts])
                    if len(parts) == len(shape)
                    else "–"
                )
                rows.append(
                    [
                        *key,
                        *[_value_text(ctx, cells[c]) if c in cells else "–" for c in shape],
                        total,
                        f"#{parts[0]['submission']}" if parts else "",
                    ]
                )
            keys_of_sets = [p.split("=")[0] for c in shape for p in c.split("|")]
            names = [sets.get(k, k) for k in dict.fromkeys(keys_of_sets)]
            breakdown = ", ".join(n.lower() for n in names)
            table = Table(
                _("Approved values behind every figure, by %(breakdown)s")
                % {"breakdown": breakdown},
                [*first, *[ctx.label(c) for c in shape], _("Total"), _("Report")],
                rows,
                numeric=set(range(3, 3 + len(shape) + 1)),
                sheet=f"Values by {breakdown}"[:31],
            )
        tables.append(_noted(ctx, table))
    tables.append(
        Table(
            _("The approved reports they come from"),
            [
                _("Report"),
                _("Unit"),
                _("Period"),
                _("Submitted by"),
                _("Submitted"),
                _("Approved by"),
            ],
            [
                [
                    f"#{number}",
                    p["unit"],
                    p["period"],
                    p["submitted_by"],
                    p["submitted_at"],
                    "; ".join(p["approvals"]),
                ]
                for number, p in sorted(
                    reports.items(), key=lambda item: (item[1]["period"], item[1]["unit"])
                )
            ],
            sheet="Reports",
        )
    )
    return tables


def iptt(ctx: Context, **_options: Any) -> Report:
    report = Report(
        "iptt",
        _("Indicator Performance Tracking Table %(year)s") % {"year": ctx.data["year"]},
        ctx.data["plan"]["title"],
        ctx.meta(),
    )
    report.add(
        Heading(1, _("Figures by quarter against baselines and targets")),
        iptt_table(ctx),
    )
    return report


def scorecard(ctx: Context, **_options: Any) -> Report:
    report = Report(
        "scorecard",
        _("Scorecard %(year)s") % {"year": ctx.data["year"]},
        ctx.data["plan"]["title"],
        ctx.meta(),
    )
    report.add(*scorecard_blocks(ctx))
    return report


def quarterly(ctx: Context, *, period: str = "", **_options: Any) -> Report:
    quarters = [p for p in ctx.periods if "-Q" in p]
    with_data = [
        q
        for q in quarters
        if any(f["period"] == q for s in ctx.data["figures"].values() for f in s)
    ]
    period = period or (with_data[-1] if with_data else quarters[-1])
    before = (
        quarters[quarters.index(period) - 1]
        if period in quarters and quarters.index(period) > 0
        else None
    )
    report = Report(
        "quarterly",
        _("Quarterly review pack %(period)s") % {"period": period},
        ctx.data["plan"]["title"],
        {**ctx.meta(), "period": period},
    )
    changed, off = [], []
    for metric in all_metrics(ctx):
        figures = {f["period"]: f for f in ctx.series(metric["code"])}
        now, prev = figures.get(period), figures.get(before or "")
        if now and now["status"] == "off_track":
            off.append([metric["code"], metric["text"][:150], ctx.reason(metric, now)])
        if now and (not prev or prev["status"] != now["status"] or prev["value"] != now["value"]):
            changed.append(
                [
                    metric["code"],
                    ctx.figure_text(metric, prev),
                    ctx.figure_text(metric, now),
                    status_name(prev["status"]) if prev else "–",
                    status_name(now["status"]),
                ]
            )
    late = [
        [r["unit"], r["state"], r["timeliness"]]
        for r in ctx.data["completeness"]
        if r["period"] == period and r["timeliness"] in ("late", "missing")
    ]
    report.add(
        Heading(1, _("What changed since last quarter")),
        _noted(
            ctx,
            Table(
                _("Changes since %(before)s") % {"before": before or "–"},
                [_("Metric"), _("Before"), _("Now"), _("Status before"), _("Status now")],
                changed,
                numeric={1, 2},
                sheet="Changes",
            ),
        ),
        Heading(1, _("Off-track items")),
        Table(
            _("Off track in %(period)s") % {"period": period},
            [_("Metric"), _("Text"), _("Why")],
            off,
            sheet="Off track",
        ),
        Heading(1, _("Late units")),
        Table(
            _("Units late or missing in %(period)s") % {"period": period},
            [_("Unit"), _("State"), _("Reported")],
            late,
            sheet="Late units",
        ),
        Heading(1, _("Decisions needed")),
        Text(ctx.data["narrative"]["decisions_needed"] or _("(None recorded.)")),
    )
    return report


def unit_report(ctx: Context, *, unit: str = "", **_options: Any) -> Report:
    report = Report(
        "unit",
        _("Report of %(unit)s, %(year)s") % {"unit": unit, "year": ctx.data["year"]},
        ctx.data["plan"]["title"],
        {**ctx.meta(), "unit": unit},
    )
    rows = [
        [
            p["metric"],
            p["period"],
            ctx.label(p["combination"]),
            _value_text(ctx, p),
            "; ".join(p["approvals"]),
        ]
        for p in ctx.data["provenance"]
        if p["unit"] == unit
    ]
    report.add(
        Heading(1, _("Approved figures")),
        _noted(
            ctx,
            Table(
                _("Figures reported by %(unit)s") % {"unit": unit},
                [_("Metric"), _("Period"), _("Breakdown"), _("Value"), _("Approved by")],
                rows,
                numeric={3},
                sheet="Figures",
            ),
        ),
    )
    actions = [
        [
            code,
            u["period"],
            str(ActionStatus(u["status"]).label) if u["status"] else "–",
            u["narrative"][:500],
        ]
        for code, updates in ctx.data["actions"].items()
        for u in updates
        if u["unit"] == unit
    ]
    report.add(
        Heading(1, _("Actions")),
        Table(
            _("Action updates of %(unit)s") % {"unit": unit},
            [_("Action"), _("Period"), _("Status"), _("Narrative")],
            actions,
            sheet="Actions",
        ),
    )
    timely = [
        [r["period"], r["state"], r["timeliness"]]
        for r in ctx.data["completeness"]
        if r["unit"] == unit
    ]
    report.add(
        Heading(1, _("Reporting")),
        Table(_("Rounds"), [_("Period"), _("State"), _("Reported")], timely, sheet="Rounds"),
    )
    return report


BUILDERS: dict[str, Callable[..., Report]] = {
    "annual": annual,
    "quarterly": quarterly,
    "scorecard": scorecard,
    "iptt": iptt,
    "unit": unit_report,
}


def build(snapshot: Snapshot, kind: str, **options: Any) -> Report:
    return BUILDERS[kind](Context(snapshot), **options)
