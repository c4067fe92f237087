"""Freezing a plan's approved data for a fiscal year, so a report can be built from it again.

The snapshot holds the plan's tree and metric definitions, every approved figure of the year and
the year before (with history up to the year's end for charts), the approved action updates of
the year, the provenance of every figure (value rows, submissions, submitters, approvers), the
rounds' completeness, the labels of the categories figures are broken down by, and the
coordinator's narrative. Drafts and reports under review never enter: everything comes from
``MetricStatus`` (built from approved submissions) and approved value rows.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from wpstrack.accounts.models import User
from wpstrack.analysis.completeness import timeliness
from wpstrack.analysis.models import MetricStatus
from wpstrack.audit.services import record_event
from wpstrack.frameworks.models import Category, DisaggregationSet, Element, Metric, Plan
from wpstrack.lib.periods import Period
from wpstrack.reporting.models import ActionUpdate, Approval, Submission, SubmissionState, Value
from wpstrack.reports.models import Narrative, Snapshot


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _tree(plan: Plan) -> list[dict[str, Any]]:
    elements = list(
        Element.objects.filter(plan=plan, retired_in=None)
        .select_related("level")
        .prefetch_related("units", "tags")
        .order_by("position")
    )
    metrics: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for metric in (
        Metric.objects.filter(plan=plan, retired_in=None, current__isnull=False)
        .select_related("current")
        .order_by("position")
    ):
        d = metric.current
        assert d is not None
        metrics[metric.element_id].append(
            {
                "code": metric.code,
                "text": d.text,
                "type": d.type,
                "unit": d.unit,
                "direction": d.direction,
                "sensitive": d.sensitive,
                "disaggregation": d.disaggregation,
                "baselines": d.baselines,
                "targets": d.targets,
            }
        )
    return [
        {
            "code": e.code,
            "parent": next((p.code for p in elements if p.pk == e.parent_id), None),
            "level": e.level.key,
            "level_name": e.level.name,
            "title": e.title,
            "units": sorted(u.code for u in e.units.all()),
            "tags": sorted(t.ref for t in e.tags.all()),
            "metrics": metrics.get(e.pk, []),
        }
        for e in elements
    ]


def _figures(plan: Plan, end: Any) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        MetricStatus.objects.filter(plan=plan, unit__isnull=True, period_end__lte=end)
        .order_by("metric__code", "period_end")
        .values(
            "metric__code",
            "period",
            "value",
            "numerator",
            "denominator",
            "parts",
            "status",
            "reason",
            "expected",
            "units_reporting",
        )
    ):
        found[row["metric__code"]].append(
            {
                "period": row["period"],
                "value": _text(row["value"]),
                "numerator": _text(row["numerator"]),
                "denominator": _text(row["denominator"]),
                "parts": row["parts"],
                "status": row["status"],
                "reason": row["reason"],
                "expected": _text(row["expected"]),
                "units_reporting": row["units_reporting"],
            }
        )
    return dict(found)


def _provenance(plan: Plan, periods: list[str]) -> list[dict[str, Any]]:
    values = (
        Value.objects.filter(
            submission__reporting_round__plan=plan,
            submission__reporting_round__period__in=periods,
            submission__state=SubmissionState.APPROVED,
        )
        .order_by(
            "metric__code",
            "submission__reporting_round__period_start",
            "submission__unit__code",
            "combination",
        )
        .values_list(
            "metric__code",
            "submission__reporting_round__period",
            "submission__unit__code",
            "combination",
            "number",
            "text",
            "submission_id",
        )
    )
    submissions = {
        s.pk: s
        for s in Submission.objects.filter(
            reporting_round__plan=plan, reporting_round__period__in=periods, state="approved"
        ).select_related("submitted_by", "approved_by")
    }
    approvals: dict[int, list[str]] = defaultdict(list)
    for approval in (
        Approval.objects.filter(submission__in=list(submissions), current=True)
        .select_related("approver")
        .order_by("step")
    ):
        approvals[approval.submission_id].append(
            f"{approval.step_name}: {approval.approver.email} {approval.approved_at.date().isoformat()}"
        )
    rows = []
    for code, period, unit, combination, number, text, submission_id in values:
        submission = submissions.get(submission_id)
        rows.append(
            {
                "metric": code,
                "period": period,
                "unit": unit,
                "combination": combination,
                "value": _text(number) if number is not None else text,
                "submission": submission_id,
                "submitted_by": submission.submitted_by.email
                if submission and submission.submitted_by
                else "",
                "submitted_at": submission.submitted_at.date().isoformat()
                if submission and submission.submitted_at
                else "",
                "approvals": approvals.get(submission_id, []),
            }
        )
    return rows


def _actions(plan: Plan, periods: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for update in (
        ActionUpdate.objects.filter(
            submission__reporting_round__plan=plan,
            submission__reporting_round__period__in=periods,
            submission__state=SubmissionState.APPROVED,
        )
        .select_related("element", "submission__unit", "submission__reporting_round")
        .order_by(
            "element__position",
            "submission__reporting_round__period_start",
            "submission__unit__code",
        )
    ):
        found[update.element.code].append(
            {
                "unit": update.submission.unit.code,
                "period": update.submission.reporting_round.period,
                "status": update.status,
                "percent_complete": update.percent_complete,
                "narrative": update.narrative,
                "milestones": update.milestones,
                "evidence_links": update.evidence_links,
            }
        )
    return dict(found)


def _completeness(plan: Plan, periods: list[str]) -> list[dict[str, Any]]:
    rows = []
    for submission in (
        Submission.objects.filter(reporting_round__plan=plan, reporting_round__period__in=periods)
        .select_related("reporting_round", "unit")
        .order_by("reporting_round__period_start", "unit__code")
    ):
        rows.append(
            {
                "period": submission.reporting_round.period,
                "unit": submission.unit.code,
                "state": submission.state,
                "timeliness": timeliness(submission),
            }
        )
    return rows


def _breakdowns(elements: list[dict[str, Any]]) -> tuple[list[list[str]], list[list[str]]]:
    """The sets the plan's metrics are broken down by, as [key, name] pairs, and their
    categories' labels as [combination, label] pairs, in display order (set by set, each in its
    own order)."""
    keys: list[str] = []
    for element in elements:
        for metric in element["metrics"]:
            for key in metric.get("disaggregation") or []:
                if key not in keys:
                    keys.append(key)
    names = dict(DisaggregationSet.objects.filter(key__in=keys).values_list("key", "name"))
    categories = [
        [f"{c.disaggregation_set.key}={c.key}", c.label]
        for c in Category.objects.filter(disaggregation_set__key__in=keys)
        .select_related("disaggregation_set")
        .order_by("position", "key")
    ]
    rank = {key: i for i, key in enumerate(keys)}
    categories.sort(key=lambda pair: rank[pair[0].split("=", 1)[0]])  # stable: keeps positions
    return [[key, names.get(key, key)] for key in keys], categories


def gather(plan: Plan, year: str) -> dict[str, Any]:
    """Everything a report of ``plan`` for fiscal ``year`` shows, as plain JSON."""
    period = Period.parse(year, plan.fiscal_year_start_month).year
    periods = [period.code] + [q.code for q in period.quarters()]
    narrative = Narrative.objects.filter(plan=plan, year=period.code).first()
    generated = plan.rounds.filter(period__in=periods, generated=True).exists()
    elements = _tree(plan)
    disaggregations, categories = _breakdowns(elements)
    return {
        "format": "wpstrack-snapshot/1",
        "plan": {
            "slug": plan.slug,
            "title": plan.title,
            "short_title": plan.short_title,
            "fiscal_year_start_month": plan.fiscal_year_start_month,
            "owner_unit": plan.owner_unit.code,
            "source": plan.source,
            "status_rules": plan.status_rules,
        },
        "year": period.code,
        "periods": periods,
        "previous_year": period.previous().code,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "demo": generated,
        "elements": elements,
        "disaggregations": disaggregations,
        "categories": categories,
        "figures": _figures(plan, period.end),
        "actions": _actions(plan, periods),
        "provenance": _provenance(plan, periods),
        "completeness": _completeness(plan, periods),
        "narrative": {
            "executive_summary": narrative.executive_summary if narrative else "",
            "decisions_needed": narrative.decisions_needed if narrative else "",
        },
    }


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def take_snapshot(
    plan: Plan, year: str, *, actor: User | None, actor_label: str | None = None
) -> Snapshot:
    """The snapshot of the data as it is now: the existing one when nothing changed, else the
    next edition (audited)."""
    content = gather(plan, year)
    digest = hashlib.sha256(canonical(content)).hexdigest()
    found = Snapshot.objects.filter(plan=plan, year=content["year"], sha256=digest).first()
    if found is not None:
        return found
    label = actor_label or (actor.email if actor else "system")
    for _attempt in range(3):
        try:
            with transaction.atomic():
                latest = (
                    Snapshot.objects.filter(plan=plan, year=content["year"]).aggregate(
                        n=Max("edition")
                    )["n"]
                    or 0
                )
                snapshot = Snapshot.objects.create(
                    plan=plan,
                    year=content["year"],
                    edition=latest + 1,
                    sha256=digest,
                    content=json.loads(canonical(content)),
                    created_by=actor,
                    created_by_label=label,
                )
                record_event(
                    actor=actor,
                    actor_label=label,
                    action="report.snapshot",
                    obj=snapshot,
                    unit=plan.owner_unit,
                    changes={"edition": [latest or None, latest + 1], "sha256": [None, digest]},
                )
                return snapshot
        except IntegrityError:  # two people froze the same year at once: take theirs
            found = Snapshot.objects.filter(plan=plan, year=content["year"], sha256=digest).first()
            if found is not None:
                return found
    raise RuntimeError("could not number the snapshot")
