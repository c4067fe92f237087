"""Status by written rules: on track, at risk, off track, no data, not assessable.

Each function takes the figures and the rule (data from the plan: direction, baseline, target and
their periods, tolerance) and returns an ``Assessment``: the status and the one sentence that
says why, so every chip on a page can be explained. The rules are documented in
``docs/status-rules.md``; a test keeps each rule's edge cases (no baseline, target met early,
decrease, zero denominators, missing periods).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

from wpstrack.lib.periods import Period


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"
    NOT_ASSESSABLE = "not_assessable"


@dataclass(frozen=True)
class Point:
    """A figure at a period (a baseline or a target)."""

    period: Period
    value: Decimal


@dataclass(frozen=True)
class Rule:
    """How a metric is judged. ``tolerance`` is the share of the whole planned change (baseline to
    target) a figure may fall behind the expected path and still be "at risk" rather than "off
    track"; for "maintain" and for metrics without a target it is the share of the reference
    figure a value may move."""

    direction: str  # increase, decrease, maintain, target, none
    baseline: Point | None = None
    target: Point | None = None
    tolerance: Decimal = Decimal("0.1")
    unit: str = ""  # "%" for percentages, shown in reasons
    trajectory: str = "linear"  # or "step": the target applies only from its period


@dataclass(frozen=True)
class Assessment:
    status: Status
    reason: str
    expected: Decimal | None = None  # the figure the trajectory expected at this period


def show(value: Decimal | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = format(value.quantize(Decimal("0.1")).normalize(), "f") if value % 1 else str(int(value))
    return f"{text}{unit}"


def expected_at(rule: Rule, period: Period) -> Decimal | None:
    """The figure a linear path from baseline to target expects at the end of ``period``
    (the baseline before its period ends, the target after its period ends)."""
    if rule.baseline is None or rule.target is None:
        return None
    start, end = rule.baseline.period.end, rule.target.period.end
    if rule.trajectory == "step":
        return rule.target.value if period.end >= end else rule.baseline.value
    if end <= start:
        return rule.target.value
    share = Decimal((period.end - start).days) / Decimal((end - start).days)
    share = min(max(share, Decimal(0)), Decimal(1))
    return rule.baseline.value + (rule.target.value - rule.baseline.value) * share


def _rising(rule: Rule) -> bool:
    """Whether "better" means higher: stated, or read from baseline and target."""
    if rule.direction in ("increase", "decrease"):
        return rule.direction == "increase"
    if rule.baseline is not None and rule.target is not None:
        return rule.target.value >= rule.baseline.value
    return True


def assess_metric(
    rule: Rule,
    period: Period,
    value: Decimal | None,
    previous: Decimal | None = None,
    *,
    denominator: Decimal | None = None,
) -> Assessment:
    """The status of one metric's figure for one period."""
    if value is None:
        return Assessment(
            Status.NO_DATA, _("No approved figure for %(period)s.") % {"period": period.code}
        )
    if denominator is not None and denominator == 0:
        return Assessment(
            Status.NOT_ASSESSABLE,
            _("No one was counted in the denominator in %(period)s, so there is no share to judge.")
            % {"period": period.code},
        )
    if rule.direction == "maintain":
        return _maintain(rule, period, value)
    if rule.target is not None:
        if rule.baseline is not None:
            return _trajectory(rule, period, value)
        return _target_only(rule, period, value, previous)
    if rule.direction in ("increase", "decrease"):
        return _change(rule, period, value, previous)
    return Assessment(
        Status.NOT_ASSESSABLE,
        _("%(value)s in %(period)s; the plan sets no direction or target to judge it by.")
        % {"value": show(value, rule.unit), "period": period.code},
    )


def _met(rule: Rule, value: Decimal, goal: Decimal) -> bool:
    return value >= goal if _rising(rule) else value <= goal


def _trajectory(rule: Rule, period: Period, value: Decimal) -> Assessment:
    assert rule.target is not None and rule.baseline is not None
    target, unit = rule.target, rule.unit
    expected = expected_at(rule, period)
    assert expected is not None
    words = {
        "value": show(value, unit),
        "expected": show(expected, unit),
        "period": period.code,
        "target": show(target.value, unit),
        "by": target.period.code,
    }
    if _met(rule, value, target.value):
        if period.end < target.period.end:
            reason = _("%(value)s in %(period)s: the target of %(target)s by %(by)s is met early.")
        else:
            reason = _("%(value)s in %(period)s: the target of %(target)s by %(by)s is met.")
        return Assessment(Status.ON_TRACK, reason % words, expected)
    if period.end >= target.period.end:
        return Assessment(
            Status.OFF_TRACK,
            _("%(value)s in %(period)s: the target of %(target)s by %(by)s was not met.") % words,
            expected,
        )
    band = abs(target.value - rule.baseline.value) * rule.tolerance
    behind = (expected - value) if _rising(rule) else (value - expected)
    if behind <= 0:
        status = Status.ON_TRACK
    elif behind <= band:
        status = Status.AT_RISK
    else:
        status = Status.OFF_TRACK
    return Assessment(
        status,
        _(
            "%(value)s against %(expected)s expected by %(period)s on the way to %(target)s by %(by)s."
        )
        % words,
        expected,
    )


def _target_only(
    rule: Rule, period: Period, value: Decimal, previous: Decimal | None
) -> Assessment:
    """A target without a baseline: met or not; before its date, judged by the way it moves."""
    assert rule.target is not None
    words = {
        "value": show(value, rule.unit),
        "period": period.code,
        "target": show(rule.target.value, rule.unit),
        "by": rule.target.period.code,
        "previous": show(previous, rule.unit),
    }
    if _met(rule, value, rule.target.value):
        return Assessment(
            Status.ON_TRACK, _("%(value)s in %(period)s: the target of %(target)s is met.") % words
        )
    if period.end >= rule.target.period.end:
        return Assessment(
            Status.OFF_TRACK,
            _("%(value)s in %(period)s: the target of %(target)s by %(by)s was not met.") % words,
        )
    if previous is None:
        return Assessment(
            Status.NOT_ASSESSABLE,
            _(
                "%(value)s in %(period)s toward %(target)s by %(by)s; with no baseline and no "
                "earlier figure there is no path to compare with."
            )
            % words,
        )
    toward = (value > previous) if _rising(rule) else (value < previous)
    if toward:
        status, reason = (
            Status.ON_TRACK,
            _("%(value)s in %(period)s, up from %(previous)s, toward %(target)s by %(by)s."),
        )
        if not _rising(rule):
            reason = _(
                "%(value)s in %(period)s, down from %(previous)s, toward %(target)s by %(by)s."
            )
    elif value == previous:
        status, reason = (
            Status.AT_RISK,
            _("%(value)s in %(period)s, no change, short of %(target)s by %(by)s."),
        )
    else:
        status, reason = (
            Status.OFF_TRACK,
            _("%(value)s in %(period)s, moving away from %(target)s (was %(previous)s)."),
        )
    return Assessment(status, reason % words)


def _change(rule: Rule, period: Period, value: Decimal, previous: Decimal | None) -> Assessment:
    """No target: the change against the previous period, in the direction the plan wants."""
    words = {
        "value": show(value, rule.unit),
        "period": period.code,
        "previous": show(previous, rule.unit),
    }
    if previous is None:
        return Assessment(
            Status.NOT_ASSESSABLE,
            _("%(value)s in %(period)s; no figure for the period before to compare with.") % words,
        )
    change = value - previous
    band = abs(previous) * rule.tolerance
    better = change > 0 if rule.direction == "increase" else change < 0
    if better:
        return Assessment(
            Status.ON_TRACK,
            _("%(value)s in %(period)s, from %(previous)s: the way the plan wants.") % words,
        )
    if abs(change) <= band:
        return Assessment(
            Status.AT_RISK, _("%(value)s in %(period)s, from %(previous)s: about the same.") % words
        )
    return Assessment(
        Status.OFF_TRACK, _("%(value)s in %(period)s, from %(previous)s: the wrong way.") % words
    )


def _maintain(rule: Rule, period: Period, value: Decimal) -> Assessment:
    reference = rule.target or rule.baseline
    if reference is None:
        return Assessment(
            Status.NOT_ASSESSABLE,
            _("%(value)s in %(period)s; there is no level stated to maintain.")
            % {"value": show(value, rule.unit), "period": period.code},
        )
    band = abs(reference.value) * rule.tolerance
    gap = abs(value - reference.value)
    words = {
        "value": show(value, rule.unit),
        "period": period.code,
        "level": show(reference.value, rule.unit),
    }
    if gap <= band:
        return Assessment(
            Status.ON_TRACK, _("%(value)s in %(period)s, holding at %(level)s.") % words
        )
    if gap <= 2 * band:
        return Assessment(
            Status.AT_RISK, _("%(value)s in %(period)s, drifting from %(level)s.") % words
        )
    return Assessment(
        Status.OFF_TRACK, _("%(value)s in %(period)s, off the level of %(level)s.") % words
    )


# -- milestones and actions ---------------------------------------------------------------------
def assess_milestone(
    done: bool | None, done_on: dt.date | None, due: dt.date | None, today: dt.date
) -> Assessment:
    """Done, due or overdue."""
    if done:
        return Assessment(Status.ON_TRACK, _("Done on %(day)s.") % {"day": done_on or "?"})
    if due is None:
        if done is None:
            return Assessment(Status.NO_DATA, _("Not reported."))
        return Assessment(Status.NOT_ASSESSABLE, _("Not done; no date was promised."))
    if today > due:
        return Assessment(Status.OFF_TRACK, _("Overdue: promised by %(day)s.") % {"day": due})
    return Assessment(Status.ON_TRACK, _("Not done yet; due by %(day)s.") % {"day": due})


def assess_action(status: str, milestones: Sequence[dict[str, str]], today: dt.date) -> Assessment:
    """From the latest update's status and its promised dates: an action past a promised date and
    not completed is off track."""
    if status == "completed":
        return Assessment(Status.ON_TRACK, _("Completed."))
    if status == "cancelled":
        return Assessment(Status.NOT_ASSESSABLE, _("Cancelled."))
    if not status:
        return Assessment(Status.NO_DATA, _("No update reported."))
    overdue = []
    for milestone in milestones:
        try:
            due = dt.date.fromisoformat(str(milestone.get("due", "")))
        except ValueError:
            continue
        if due < today and not milestone.get("done_on"):
            overdue.append((due, milestone.get("title", "")))
    if overdue:
        due, title = min(overdue)
        return Assessment(
            Status.OFF_TRACK,
            _("Past its promised date: %(title)s by %(day)s.") % {"title": title, "day": due},
        )
    if status == "delayed":
        return Assessment(Status.AT_RISK, _("Reported as delayed."))
    if status == "not_started":
        return Assessment(Status.AT_RISK, _("Not started yet."))
    return Assessment(Status.ON_TRACK, _("Reported on track."))


# -- roll-ups -----------------------------------------------------------------------------------
def count(statuses: Iterable[Status]) -> dict[Status, int]:
    counts = {status: 0 for status in Status}
    for status in statuses:
        counts[status] += 1
    return counts


def roll_up(
    statuses: Iterable[Status], rule: str = "worst", share: Decimal = Decimal("0.25")
) -> Status:
    """The status of a group. "worst": any off track makes it off track, else any at risk makes
    it at risk. "share": off track when more than ``share`` of the assessed items are off track,
    at risk when more than ``share`` are at risk or off track. Items without data or not
    assessable are left out; a group with none assessed has no data."""
    counts = count(statuses)
    assessed = counts[Status.ON_TRACK] + counts[Status.AT_RISK] + counts[Status.OFF_TRACK]
    if assessed == 0:
        return (
            Status.NO_DATA
            if counts[Status.NO_DATA] or not counts[Status.NOT_ASSESSABLE]
            else Status.NOT_ASSESSABLE
        )
    if rule == "worst":
        if counts[Status.OFF_TRACK]:
            return Status.OFF_TRACK
        return Status.AT_RISK if counts[Status.AT_RISK] else Status.ON_TRACK
    if counts[Status.OFF_TRACK] > assessed * share:
        return Status.OFF_TRACK
    if counts[Status.OFF_TRACK] + counts[Status.AT_RISK] > assessed * share:
        return Status.AT_RISK
    return Status.ON_TRACK


# How telling a part's status is, for naming the one that explains the metric's status.
SEVERITY = (
    Status.OFF_TRACK,
    Status.AT_RISK,
    Status.ON_TRACK,
    Status.NOT_ASSESSABLE,
    Status.NO_DATA,
)


def combine_parts(
    parts: Mapping[str, Assessment],
    whole: Assessment | None,
    rule: str = "worst",
    share: Decimal = Decimal("0.25"),
    labels: Mapping[str, str] | None = None,
) -> Assessment:
    """A metric with targets per category: the roll-up (by the plan's rule) of its parts, each
    judged against its own path, and of the whole metric when it has targets of its own
    (``whole``; None when only the parts have). The reason counts them and quotes the part that
    explains the status (the first of the most telling)."""
    labels = labels or {}
    named = [(labels.get(key, key), found) for key, found in parts.items()]
    if whole is not None:
        named.append((_("All categories"), whole))
    status = roll_up((found.status for _name, found in named), rule, share)
    counts = count(found.status for _name, found in named)
    name, quoted = min(named, key=lambda item: SEVERITY.index(item[1].status))
    summary = _("%(on)s of %(n)s with targets on track, %(risk)s at risk, %(off)s off track") % {
        "on": counts[Status.ON_TRACK],
        "n": len(named),
        "risk": counts[Status.AT_RISK],
        "off": counts[Status.OFF_TRACK],
    }
    missing = counts[Status.NO_DATA] + counts[Status.NOT_ASSESSABLE]
    if missing:
        summary += _(", %(n)s not assessed") % {"n": missing}
    return Assessment(
        status,
        f"{summary}. {name}: {quoted.reason}",
        whole.expected if whole is not None else None,
    )


# -- parity -------------------------------------------------------------------------------------
def people_needed(women: int, total: int, target_percent: Decimal) -> int:
    """How many more women a target share (in percent) needs with the same total (posts filled by
    women as they fall vacant): ceil(target% x total) - women, never below 0."""
    if total <= 0:
        return 0
    wanted = math.ceil(target_percent * total / 100)
    return max(0, wanted - women)


def projected_period(history: Sequence[tuple[dt.date, Decimal]], target: Decimal) -> dt.date | None:
    """When the current rate (a least-squares line through the figures) reaches ``target``; None
    when there are fewer than two figures or the line does not move toward it."""
    if len(history) < 2:
        return None
    xs = [Decimal(day.toordinal()) for day, _v in history]
    ys = [value for _d, value in history]
    mean_x = sum(xs, Decimal(0)) / len(xs)
    mean_y = sum(ys, Decimal(0)) / len(ys)
    spread = sum(((x - mean_x) ** 2 for x in xs), Decimal(0))
    if spread == 0:
        return None
    slope = (
        sum(((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)), Decimal(0)) / spread
    )
    last_day, last = history[-1]
    if (target - last) == 0:
        return last_day
    if slope == 0 or (target - last) / slope < 0:
        return None
    days = int(((target - last) / slope).to_integral_value(rounding="ROUND_CEILING"))
    if days > 365 * 200:
        return None
    return last_day + dt.timedelta(days=days)
