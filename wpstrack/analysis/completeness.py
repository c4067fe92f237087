"""Who reported, when, and how much: per round and unit (on time, late, missing) and per metric
(the share of periods with an approved figure)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wpstrack.analysis.models import MetricStatus
from wpstrack.frameworks.models import Category, Metric
from wpstrack.reporting.models import Assignment, ReportingRound, Submission, Value
from wpstrack.reporting.rules import combinations

ON_TIME, LATE, MISSING, OPEN = "on_time", "late", "missing", "not_due"


def timeliness(submission: Submission, today: dt.date | None = None) -> str:
    """on_time / late (first submitted after the due date) / missing (not submitted, past due) /
    not_due (not submitted, still time)."""
    due = submission.reporting_round.due_date
    if submission.submitted_at is not None:
        return ON_TIME if timezone.localdate(submission.submitted_at) <= due else LATE
    if submission.state in ("submitted", "approved"):
        return ON_TIME
    return MISSING if (today or timezone.localdate()) > due else OPEN


LABELS = {ON_TIME: "On time", LATE: "Late", MISSING: "Missing", OPEN: "Not yet due"}


def _cells_owed(definitions: dict[int, Any]) -> dict[int, int]:
    """metric id -> how many cells a unit fills for it (its combinations)."""
    categories: dict[str, list[str]] = defaultdict(list)
    for set_key, key in Category.objects.values_list("disaggregation_set__key", "key"):
        categories[set_key].append(key)
    owed = {}
    for metric_id, definition in definitions.items():
        keys = [k for k in definition.disaggregation if k != "unit"]
        owed[metric_id] = len(combinations([(k, categories.get(k, [])) for k in keys]))
    return owed


def round_matrix(
    reporting_round: ReportingRound, submissions: Sequence[Submission]
) -> dict[str, Any]:
    """Units x metrics of one round: how many of the cells each unit owes are filled. Only the
    submissions given (those the viewer may see) appear."""
    assignments = Assignment.objects.filter(
        reporting_round=reporting_round, metric__isnull=False
    ).select_related("metric", "definition", "unit")
    owed_by_unit: dict[int, dict[str, int]] = defaultdict(dict)  # unit -> metric code -> id
    definitions: dict[int, Any] = {}
    for assignment in assignments:
        metric = assignment.metric
        assert metric is not None  # the query asks for metric assignments only
        owed_by_unit[assignment.unit_id][metric.code] = metric.pk
        definitions[metric.pk] = assignment.definition or metric.current
    cells = _cells_owed(definitions)
    filled = _filled(submissions)
    metric_codes = sorted({code for owed in owed_by_unit.values() for code in owed}, key=_natural)
    rows: list[dict[str, Any]] = []
    for submission in submissions:
        owed = owed_by_unit.get(submission.unit_id, {})
        row_cells = []
        for code in metric_codes:
            if code not in owed:
                row_cells.append({"metric": code, "owed": False})
                continue
            have = filled.get((submission.pk, owed[code]), 0)
            need = cells[owed[code]]
            row_cells.append(
                {
                    "metric": code,
                    "owed": True,
                    "filled": min(have, need),
                    "cells": need,
                    "state": "complete" if have >= need else ("partial" if have else "empty"),
                }
            )
        when = timeliness(submission)
        rows.append(
            {
                "unit": submission.unit.code,
                "state": submission.state,
                "timeliness": when,
                "timeliness_name": _(LABELS[when]),
                "submitted_at": submission.submitted_at.isoformat()
                if submission.submitted_at
                else None,
                "cells": row_cells,
            }
        )
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row["timeliness"]] += 1
    return {"metrics": metric_codes, "units": rows, "totals": dict(totals)}


def _filled(submissions: Sequence[Submission]) -> dict[tuple[int, int], int]:
    """(submission, metric) -> cells with a value (totals of broken-down metrics not counted)."""
    rows = (
        Value.objects.filter(submission__in=[s.pk for s in submissions])
        .filter(Q(number__isnull=False) | ~Q(text="") | Q(done__isnull=False))
        .values_list("submission_id", "metric_id", "combination", "definition__disaggregation")
    )
    found: dict[tuple[int, int], int] = defaultdict(int)
    for submission_id, metric_id, combination, disaggregation in rows:
        if combination == "" and disaggregation:
            continue
        found[(submission_id, metric_id)] += 1
    return found


def _natural(code: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", code)]


def metric_coverage(metric: Metric) -> dict[str, int]:
    """How many of the periods the metric was asked for have an approved figure for the plan."""
    asked = (
        Assignment.objects.filter(metric=metric)
        .values_list("reporting_round__period", flat=True)
        .distinct()
    )
    periods = set(asked)
    with_data = set(
        MetricStatus.objects.filter(
            metric=metric, unit__isnull=True, value__isnull=False
        ).values_list("period", flat=True)
    )
    return {
        "periods": len(periods),
        "with_data": len(with_data & periods) if periods else len(with_data),
    }


def unit_history(unit: Any, limit: int = 12) -> list[dict[str, Any]]:
    """The unit's latest rounds: due date, state and whether it reported on time."""
    found = []
    for submission in (
        Submission.objects.filter(unit=unit)
        .select_related("reporting_round__plan")
        .order_by("-reporting_round__period_start")[:limit]
    ):
        when = timeliness(submission)
        found.append(
            {
                "round": submission.reporting_round_id,
                "plan": submission.reporting_round.plan.slug,
                "period": submission.reporting_round.period,
                "due_date": submission.reporting_round.due_date.isoformat(),
                "state": submission.state,
                "timeliness": when,
                "timeliness_name": _(LABELS[when]),
            }
        )
    return found
