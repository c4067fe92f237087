"""A plan's scorecard: its tree with a status for every metric and a rolled-up status for every
element, as of a period, filtered by unit, tag and status. A few queries whatever the plan size:
elements, metrics, and the statuses up to the period (picked per metric in Python)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from wpstrack.analysis import status as rules
from wpstrack.analysis.models import MetricStatus, StatusChoice
from wpstrack.frameworks.models import Element, Plan
from wpstrack.lib.periods import Period, PeriodError
from wpstrack.reporting.models import ActionUpdate, SubmissionState

FILTERS = ("unit", "tag", "status", "period")


@dataclass
class Filters:
    unit: str = ""
    tag: str = ""
    status: str = ""
    period: str = ""

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        return cls(**{key: str(query.get(key, "")).strip()[:60] for key in FILTERS})

    def as_dict(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in FILTERS}


def _as_of(plan: Plan, filters: Filters) -> Period | None:
    if filters.period:
        try:
            return Period.parse(filters.period, plan.fiscal_year_start_month)
        except PeriodError:
            return None
    latest = (
        MetricStatus.objects.filter(plan=plan, unit__isnull=True)
        .order_by("-period_end")
        .values_list("period", flat=True)
        .first()
    )
    return Period.parse(latest, plan.fiscal_year_start_month) if latest else None


def _latest_statuses(
    plan: Plan, unit_id: int | None, as_of: Period | None
) -> dict[int, dict[str, Any]]:
    """metric id -> its most recent status at or before ``as_of`` (for the plan, or one unit)."""
    rows = MetricStatus.objects.filter(plan=plan, unit_id=unit_id)
    if unit_id is None:
        rows = MetricStatus.objects.filter(plan=plan, unit__isnull=True)
    if as_of is not None:
        rows = rows.filter(period_end__lte=as_of.end)
    latest: dict[int, dict[str, Any]] = {}
    for row in rows.order_by("period_end").values(
        "metric_id", "period", "value", "status", "reason", "units_reporting"
    ):
        latest[row["metric_id"]] = dict(row)
    return latest


def _responsible(elements: list[Element]) -> dict[int, set[str]]:
    """Element id -> the unit codes answering for it (its own, or the nearest ancestor's)."""
    by_id = {e.pk: e for e in elements}
    found: dict[int, set[str]] = {}
    for element in elements:
        current: Element | None = element
        codes: set[str] = set()
        while current is not None and not codes:
            codes = {u.code for u in current.units.all()}
            current = by_id.get(current.parent_id) if current.parent_id else None
        found[element.pk] = codes
    return found


def build(plan: Plan, filters: Filters, unit_id: int | None = None) -> dict[str, Any]:
    as_of = _as_of(plan, filters)
    elements = list(
        plan.elements.filter(retired_in=None)
        .select_related("level")
        .prefetch_related("units", "tags__tag_set", "metrics__current")
        .order_by("position")
    )
    statuses = _latest_statuses(plan, unit_id, as_of)
    action_statuses = _action_statuses(plan, as_of)
    responsible = _responsible(elements)
    tags_of = _tags_with_ancestors(elements)
    by_tag: dict[str, list[str]] = defaultdict(list)
    by_unit: dict[str, list[str]] = defaultdict(list)
    tagged = _tagged(elements, filters.tag)
    settings = getattr(plan, "status_rules", None) or {}
    rollup = settings.get("rollup", "worst")
    share = Decimal(str(settings.get("rollup_share") or "0.25"))
    children: dict[int | None, list[Element]] = defaultdict(list)
    for element in elements:
        children[element.parent_id].append(element)
    counts = {choice: 0 for choice in StatusChoice.values}

    def metric_rows(element: Element) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        if filters.unit and filters.unit not in responsible[element.pk]:
            return rows
        if element.pk not in tagged:
            return rows
        for metric in element.metrics.all():
            if metric.retired_in_id is not None:
                continue
            found = statuses.get(metric.pk)
            state = found["status"] if found else StatusChoice.NO_DATA
            if filters.status and state != filters.status:
                continue
            counts[state] += 1
            for ref in tags_of[element.pk]:
                by_tag[ref].append(state)
            for code in responsible[element.pk]:
                by_unit[code].append(state)
            rows.append(
                {
                    "code": metric.code,
                    "text": metric.current.text if metric.current else "",
                    "status": state,
                    "status_name": str(StatusChoice(state).label),
                    "reason": found["reason"] if found else _("No approved figure yet."),
                    "period": found["period"] if found else None,
                    "value": _plain(found["value"]) if found else None,
                    "units_reporting": found["units_reporting"] if found else 0,
                }
            )
        return rows

    def tree(parent_id: int | None) -> list[dict[str, Any]]:
        nodes = []
        for element in children.get(parent_id, []):
            below = tree(element.pk)
            metrics = metric_rows(element)
            action = action_statuses.get(element.pk)
            if action is not None and (
                (filters.status and action.status.value != filters.status)
                or (filters.unit and filters.unit not in responsible[element.pk])
                or element.pk not in tagged
            ):
                action = None
            if not metrics and not below and action is None:
                continue
            beneath = [m["status"] for m in metrics] + [n["status"] for n in below]
            if action is not None:
                beneath.append(action.status.value)
            state = rules.roll_up((rules.Status(s) for s in beneath), rollup, share).value
            nodes.append(
                {
                    "code": element.code,
                    "level": element.level.key,
                    "level_name": element.level.name,
                    "title": element.title,
                    "units": sorted(responsible[element.pk]),
                    "status": state,
                    "status_name": str(StatusChoice(state).label),
                    "action": {
                        "status": action.status.value,
                        "status_name": str(StatusChoice(action.status.value).label),
                        "reason": action.reason,
                    }
                    if action is not None
                    else None,
                    "metrics": metrics,
                    "children": below,
                }
            )
        return nodes

    nodes = tree(None)
    overall = rules.roll_up((rules.Status(n["status"]) for n in nodes), rollup, share).value
    return {
        "as_of": as_of.code if as_of else None,
        "filters": filters.as_dict(),
        "rollup_rule": rollup,
        "status": overall,
        "status_name": str(StatusChoice(overall).label),
        "counts": [
            {"status": key, "name": str(StatusChoice(key).label), "count": counts[key]}
            for key in StatusChoice.values
        ],
        "elements": nodes,
        "by_tag": _summaries(by_tag, rollup, share, names=dict(_tag_names(elements))),
        "by_unit": _summaries(by_unit, rollup, share),
        "unit_choices": sorted({c for codes in responsible.values() for c in codes}),
        "tag_choices": sorted({(t.ref, t.name) for e in elements for t in e.tags.all()}),
    }


def _summaries(
    groups: dict[str, list[str]],
    rollup: str,
    share: Decimal,
    names: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Counts of each status and the rolled-up status, per tag or per unit."""
    found = []
    for key in sorted(groups):
        states = groups[key]
        state = rules.roll_up((rules.Status(s) for s in states), rollup, share).value
        counts = rules.count(rules.Status(s) for s in states)
        found.append(
            {
                "key": key,
                "name": (names or {}).get(key, key),
                "status": state,
                "status_name": str(StatusChoice(state).label),
                "counts": {status.value: n for status, n in counts.items()},
                "metrics": len(states),
            }
        )
    return found


def _tag_names(elements: list[Element]) -> set[tuple[str, str]]:
    return {(t.ref, t.name) for e in elements for t in e.tags.all()}


def _tags_with_ancestors(elements: list[Element]) -> dict[int, set[str]]:
    """Element id -> the tags it carries or inherits from the elements above it."""
    by_id = {e.pk: e for e in elements}
    found: dict[int, set[str]] = {}
    for element in elements:
        refs: set[str] = set()
        current: Element | None = element
        while current is not None:
            refs |= {t.ref for t in current.tags.all()}
            current = by_id.get(current.parent_id) if current.parent_id else None
        found[element.pk] = refs
    return found


def _action_statuses(plan: Plan, as_of: Period | None) -> dict[int, rules.Assessment]:
    """Element id -> its action status from each unit's latest approved update (rolled up over
    units: the worst, with its reason)."""
    updates = ActionUpdate.objects.filter(
        submission__reporting_round__plan=plan, submission__state=SubmissionState.APPROVED
    )
    if as_of is not None:
        updates = updates.filter(submission__reporting_round__period_end__lte=as_of.end)
    latest: dict[tuple[int, int], tuple[str, list[Any]]] = {}
    for element_id, unit_id, state, milestones in updates.order_by(
        "submission__reporting_round__period_end"
    ).values_list("element_id", "submission__unit_id", "status", "milestones"):
        latest[(element_id, unit_id)] = (state, milestones)
    today = as_of.end if as_of is not None else timezone.localdate()
    order = [rules.Status.OFF_TRACK, rules.Status.AT_RISK, rules.Status.ON_TRACK]
    found: dict[int, rules.Assessment] = {}
    for (element_id, _unit), (state, milestones) in latest.items():
        judged = rules.assess_action(state, milestones or [], today)
        known = found.get(element_id)
        rank = order.index(judged.status) if judged.status in order else len(order)
        if known is None or rank < (
            order.index(known.status) if known.status in order else len(order)
        ):
            found[element_id] = judged
    return found


def _tagged(elements: list[Element], tag: str) -> set[int]:
    """Elements carrying the tag, or below one that does (every element without a tag filter)."""
    if not tag:
        return {e.pk for e in elements}
    by_id = {e.pk: e for e in elements}
    own = {e.pk for e in elements if tag in {t.ref for t in e.tags.all()}}
    found = set()
    for element in elements:
        current: Element | None = element
        while current is not None:
            if current.pk in own:
                found.add(element.pk)
                break
            current = by_id.get(current.parent_id) if current.parent_id else None
    return found


def _plain(value: Any) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f")


def unit_statuses(unit: Any) -> list[dict[str, Any]]:
    """The latest status of each metric the unit reports, across plans (approved figures only)."""
    latest: dict[int, dict[str, Any]] = {}
    for row in (
        MetricStatus.objects.filter(unit=unit)
        .order_by("period_end")
        .values("metric_id", "metric__code", "plan__slug", "period", "value", "status", "reason")
    ):
        latest[row["metric_id"]] = dict(row)
    return [
        {
            "plan": row["plan__slug"],
            "metric": row["metric__code"],
            "period": row["period"],
            "value": _plain(row["value"]),
            "status": row["status"],
            "status_name": str(StatusChoice(row["status"]).label),
            "reason": row["reason"],
        }
        for row in sorted(latest.values(), key=lambda r: (r["plan__slug"], r["metric__code"]))
    ]
