"""Dashboards: the plan scorecard, a metric's page, and each figure's provenance.

Only approved figures appear here (``MetricStatus`` is built from approved submissions), so
anyone who may see the plan may see them; a unit's drafts never reach these pages.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from wpstrack.accounts import access
from wpstrack.analysis import charts as metric_charts
from wpstrack.analysis import scorecard
from wpstrack.analysis import status as rules
from wpstrack.analysis.completeness import metric_coverage
from wpstrack.analysis.models import MetricStatus, StatusChoice
from wpstrack.analysis.refresh import category_labels, label_of, rule_at, targeted_parts
from wpstrack.frameworks.models import Metric, Plan
from wpstrack.lib.pages import render_page
from wpstrack.lib.periods import Period, PeriodError
from wpstrack.reporting.models import Approval, SubmissionState, Value


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _plan_head(plan: Plan) -> dict[str, Any]:
    return {"slug": plan.slug, "title": plan.title, "short_title": plan.short_title}


@require_safe
def plan_scorecard(request: HttpRequest, slug: str) -> HttpResponse:
    plan = access.get_plan_for_user(request.user, slug)
    filters = scorecard.Filters.from_query(request.GET)
    data = {"plan": _plan_head(plan), **scorecard.build(plan, filters)}
    context = {"statuses": StatusChoice.choices}
    return render_page(request, "analysis/scorecard.html", data, context)


def _metric(plan: Plan, code: str) -> Metric:
    metric = (
        Metric.objects.select_related("current", "element").filter(plan=plan, code=code).first()
    )
    if metric is None or metric.current is None:
        raise Http404(code)
    return metric


def parity(plan: Plan, metric: Metric, latest: MetricStatus | None) -> dict[str, Any] | None:
    """For a share of women with a target: the people still needed and when the current rate
    gets there."""
    definition = metric.current
    if definition is None or definition.type != "percentage" or latest is None:
        return None
    period = Period.parse(latest.period, plan.fiscal_year_start_month)
    rule = rule_at(definition, plan, period)
    if rule.target is None or latest.value is None:
        return None
    history = [
        (day, value)
        for day, value in MetricStatus.objects.filter(metric=metric, unit__isnull=True)
        .order_by("period_end")
        .values_list("period_end", "value")
        if value is not None
    ]
    projected = rules.projected_period(history, rule.target.value)
    needed = None
    if latest.numerator is not None and latest.denominator:
        needed = rules.people_needed(
            int(latest.numerator), int(latest.denominator), rule.target.value
        )
    return {
        "target": _plain(rule.target.value),
        "target_period": rule.target.period.code,
        "people_needed": needed,
        "projected": projected.isoformat() if projected else None,
        "projected_period": Period.containing(
            projected, plan.fiscal_year_start_month, quarterly=False
        ).code
        if projected
        else None,
    }


def by_category(metric: Metric, rows: list[MetricStatus]) -> dict[str, Any] | None:
    """For a metric with targets per category: its targets with their words and sources, and
    each period's figure per category against the path to its target (the people still needed
    where the share was reported as numerator over denominator)."""
    definition = metric.current
    if definition is None or not targeted_parts(definition):
        return None
    known = category_labels()
    targets = [
        {
            "category": str(figure["for"]),
            "label": label_of(str(figure["for"]), known),
            "value": figure.get("value"),
            "period": figure.get("period"),
            "at": figure.get("at"),
            "as_written": figure.get("as_written", ""),
            "source": figure.get("source", ""),
            "note": figure.get("note", ""),
        }
        for figure in definition.targets or []
        if figure.get("for")
    ]
    figures = []
    for row in rows:
        for part in dict.fromkeys([*row.part_status, *sorted(row.parts)]):
            judged = row.part_status.get(part)
            figure = {"period": row.period, "category": part, "label": label_of(part, known)}
            if judged is None:  # reported, but no target of its own: shown, not judged
                figure.update(value=row.parts.get(part), status=None, status_name=None)
                figures.append(figure)
                continue
            figure.update(judged)
            figure["status_name"] = str(StatusChoice(judged["status"]).label)
            if definition.type == "percentage":
                figure["people_needed"] = _people_needed(judged)
            figures.append(figure)
    return {"targets": targets, "figures": figures}


def _people_needed(judged: dict[str, Any]) -> int | None:
    if not (judged.get("numerator") and judged.get("denominator") and judged.get("target")):
        return None
    return rules.people_needed(
        int(Decimal(judged["numerator"])),
        int(Decimal(judged["denominator"])),
        Decimal(judged["target"]),
    )


@require_safe
def metric_detail(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    plan = access.get_plan_for_user(request.user, slug)
    metric = _metric(plan, code)
    definition = metric.current
    assert definition is not None
    rows = list(
        MetricStatus.objects.filter(metric=metric, unit__isnull=True).order_by("period_end")
    )
    units = list(
        MetricStatus.objects.filter(metric=metric, unit__isnull=False)
        .select_related("unit")
        .order_by("unit__code", "period_end")
    )
    latest = rows[-1] if rows else None
    series = [
        {
            "period": row.period,
            "value": _plain(row.value),
            "numerator": _plain(row.numerator),
            "denominator": _plain(row.denominator),
            "expected": _plain(row.expected),
            "parts": row.parts,
            "units_reporting": row.units_reporting,
            "status": row.status,
            "status_name": str(StatusChoice(row.status).label),
            "reason": row.reason,
            "provenance": reverse("figure-provenance", args=(plan.slug, metric.code, row.period)),
        }
        for row in rows
    ]
    data = {
        "plan": _plan_head(plan),
        "metric": {
            "code": metric.code,
            "text": definition.text,
            "type": definition.type,
            "unit": definition.unit,
            "direction": definition.direction,
            "element": metric.element.code,
            "baselines": definition.baselines,
            "targets": definition.targets,
            "disaggregation": definition.disaggregation,
        },
        "status": series[-1] if series else None,
        "series": series,
        "by_unit": [
            {
                "unit": row.unit.code if row.unit else None,
                "period": row.period,
                "value": _plain(row.value),
                "status": row.status,
                "status_name": str(StatusChoice(row.status).label),
                "reason": row.reason,
            }
            for row in units
        ],
        "parity": parity(plan, metric, latest),
        "by_category": by_category(metric, rows),
        "charts": {
            "trend": reverse("metric-chart", args=(plan.slug, metric.code, "trend"))
            if rows
            else None,
            "breakdown": reverse("metric-chart", args=(plan.slug, metric.code, "breakdown"))
            if any(row.parts for row in rows)
            else None,
        },
        "coverage": metric_coverage(metric),
    }
    return render_page(request, "analysis/metric.html", data)


@require_safe
def metric_chart(request: HttpRequest, slug: str, code: str, kind: str) -> HttpResponse:
    """A metric's chart as an SVG image (the page shows the same figures in a table)."""
    plan = access.get_plan_for_user(request.user, slug)
    metric = _metric(plan, code)
    chart = metric_charts.time_series(plan, metric) if kind == "trend" else None
    if kind == "breakdown":
        chart = metric_charts.breakdown(plan, metric)
    if chart is None:
        raise Http404(kind)
    response = HttpResponse(metric_charts.svg(chart), content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_safe
def figure_provenance(request: HttpRequest, slug: str, code: str, period: str) -> HttpResponse:
    """Where a figure comes from: each approved value row, its submission, who submitted and
    approved it and when, with a link to the value's audit history."""
    plan = access.get_plan_for_user(request.user, slug)
    metric = _metric(plan, code)
    try:
        Period.parse(period, plan.fiscal_year_start_month)
    except PeriodError:
        raise Http404(period) from None
    figure = MetricStatus.objects.filter(metric=metric, unit__isnull=True, period=period).first()
    values = (
        Value.objects.filter(
            metric=metric,
            submission__reporting_round__plan=plan,
            submission__reporting_round__period=period,
            submission__state=SubmissionState.APPROVED,
        )
        .select_related(
            "submission__unit", "submission__submitted_by", "submission__reporting_round"
        )
        .order_by("submission__unit__code", "combination")
    )
    approvals: dict[int, list[dict[str, str]]] = {}
    for approval in Approval.objects.filter(
        submission__in={v.submission_id for v in values}, current=True
    ).select_related("approver"):
        approvals.setdefault(approval.submission_id, []).append(
            {
                "step": approval.step_name,
                "by": approval.approver.email,
                "at": approval.approved_at.isoformat(),
            }
        )
    rows = []
    for value in values:
        submission = value.submission
        round_id, unit = submission.reporting_round_id, submission.unit.code
        rows.append(
            {
                "unit": unit,
                "combination": value.combination,
                "number": _plain(value.number),
                "numerator": _plain(value.numerator),
                "denominator": _plain(value.denominator),
                "text": value.text,
                "comment": value.comment,
                "value_id": value.pk,
                "submission": reverse("submission-detail", args=(round_id, unit)),
                "submitted_by": submission.submitted_by.email if submission.submitted_by else None,
                "submitted_at": submission.submitted_at.isoformat()
                if submission.submitted_at
                else None,
                "approvals": approvals.get(submission.pk, []),
                "history": reverse("submission-history", args=(round_id, unit))
                + f"?metric={metric.code}&combination={value.combination}",
            }
        )
    data = {
        "plan": _plan_head(plan),
        "metric": {"code": metric.code, "text": metric.current.text if metric.current else ""},
        "period": period,
        "figure": {
            "value": _plain(figure.value),
            "status": figure.status,
            "status_name": str(StatusChoice(figure.status).label),
            "reason": figure.reason,
            "units_reporting": figure.units_reporting,
        }
        if figure
        else None,
        "values": rows,
        "note": _("Only approved submissions count; drafts and reports under review never do."),
    }
    return render_page(request, "analysis/provenance.html", data)
