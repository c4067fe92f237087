"""Rounds, a unit's submission (the data-entry grid), and the review workflow."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from wpstrack.accounts import access
from wpstrack.accounts.models import OrgUnit
from wpstrack.analysis.completeness import round_matrix
from wpstrack.audit.models import AuditEvent
from wpstrack.frameworks.models import Plan
from wpstrack.lib.errors import ServiceError
from wpstrack.lib.pages import act, error_page, invalid_form, refused_form, render_page, wants_json
from wpstrack.reporting import approval, services
from wpstrack.reporting.entry import EntryPlan
from wpstrack.reporting.models import ActionStatus, ReportingRound, Submission, SubmissionState
from wpstrack.reporting.rules import CellError


def round_summary(reporting_round: ReportingRound) -> dict[str, Any]:
    return {
        "id": reporting_round.pk,
        "plan": reporting_round.plan.slug,
        "period": reporting_round.period,
        "period_start": reporting_round.period_start.isoformat(),
        "period_end": reporting_round.period_end.isoformat(),
        "due_date": reporting_round.due_date.isoformat(),
        "state": reporting_round.state,
        "state_name": str(reporting_round.get_state_display()),
    }


@require_safe
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = [round_summary(r) for r in access.get_rounds_for_user(request.user)]
    can_open = any(
        access.can_edit_plan(request.user, p) for p in access.get_plans_for_user(request.user)
    )
    return render_page(
        request, "reporting/round_list.html", {"rounds": rounds, "can_open": can_open}
    )


class RoundForm(forms.Form):
    plan = forms.ChoiceField(label=gettext_lazy("Plan"))
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=12,
        help_text=gettext_lazy("FY2025 for a fiscal year, FY2025-Q3 for a quarter."),
    )
    due_date = forms.DateField(
        label=gettext_lazy("Due date"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, plans: list[Plan], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [(p.slug, p.short_title or p.title) for p in plans]  # type: ignore[attr-defined]


@require_http_methods(["GET", "HEAD", "POST"])
def round_create(request: HttpRequest) -> HttpResponse:
    plans = [
        p for p in access.get_plans_for_user(request.user) if access.can_edit_plan(request.user, p)
    ]
    if not plans:
        raise PermissionDenied
    form = RoundForm(request.POST or None, plans=plans)
    data: dict[str, Any] = {"plans": [p.slug for p in plans]}
    if request.method != "POST":
        return render_page(request, "reporting/round_create.html", data, {"form": form})
    if not form.is_valid():
        return invalid_form(request, "reporting/round_create.html", data, form)
    plan = next(p for p in plans if p.slug == form.cleaned_data["plan"])
    try:
        created = services.create_round(
            plan=plan,
            period=form.cleaned_data["period"],
            due_date=form.cleaned_data["due_date"],
            actor=access.actor(request),
        )
    except ServiceError as error:
        return refused_form(request, error, "reporting/round_create.html", data, form)
    messages.success(request, _("Round prepared: check what each unit owes, then open it."))
    return redirect("round-detail", round_id=created.pk)


@require_safe
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    reporting_round = access.get_round_for_user(request.user, round_id)
    manager = access.can_manage_round(request.user, reporting_round)
    visible = access.get_submissions_for_user(request.user, reporting_round)
    today = timezone.localdate()
    submissions = [
        {
            "unit": s.unit.code,
            "unit_name": s.unit.short_name,
            "state": s.state,
            "state_name": str(s.get_state_display()),
            "late": s.state in (SubmissionState.DRAFT, SubmissionState.RETURNED)
            and today > reporting_round.due_date,
        }
        for s in visible
    ]
    owed: dict[str, int] = defaultdict(int)
    assignments = reporting_round.assignments.select_related("unit", "metric", "element")
    visible_units = {s.unit_id for s in visible}
    for a in assignments:
        if manager or a.unit_id in visible_units:
            owed[a.unit.code] += 1
    data = {
        "round": round_summary(reporting_round),
        "submissions": submissions,
        "not_submitted": [s["unit"] for s in submissions if s["state"] in ("draft", "returned")],
        "owed": dict(owed),
        "can_manage": manager,
        # units x metrics: how much of what each unit owes is filled, and whether it was on time
        "completeness": round_matrix(reporting_round, visible)
        if reporting_round.state != "draft"
        else None,
    }
    drafting = manager and reporting_round.state == "draft"
    context = {
        "assignments": assignments if drafting else [],
        "drafting": drafting,
        "all_units": OrgUnit.objects.filter(is_active=True) if drafting else [],
    }
    return render_page(request, "reporting/round_detail.html", data, context)


def _round_action(request: HttpRequest, round_id: int, action: Any, done: str) -> HttpResponse:
    reporting_round = access.get_round_for_user(request.user, round_id)
    if not access.can_manage_round(request.user, reporting_round):
        raise PermissionDenied
    return act(
        request, lambda: action(reporting_round), done, reverse("round-detail", args=[round_id])
    )


@require_POST
def round_open(request: HttpRequest, round_id: int) -> HttpResponse:
    return _round_action(
        request,
        round_id,
        lambda r: services.open_round(reporting_round=r, actor=access.actor(request)),
        _("The round is open; each unit can now report."),
    )


@require_POST
def round_close(request: HttpRequest, round_id: int) -> HttpResponse:
    return _round_action(
        request,
        round_id,
        lambda r: services.close_round(reporting_round=r, actor=access.actor(request)),
        _("The round is closed."),
    )


@require_POST
def assignment_add(request: HttpRequest, round_id: int) -> HttpResponse:
    def add(reporting_round: ReportingRound) -> None:
        unit = OrgUnit.objects.filter(code=request.POST.get("unit", "")[:40]).first()
        if unit is None:
            raise ServiceError("unknown-unit", _("Choose a unit from the list."), field="unit")
        services.add_assignment(
            reporting_round=reporting_round,
            unit=unit,
            item=request.POST.get("item", "").strip()[:60],
            actor=access.actor(request),
        )

    return _round_action(request, round_id, add, _("Item added to the round."))


@require_POST
def assignment_remove(request: HttpRequest, round_id: int, assignment_id: int) -> HttpResponse:
    def remove(reporting_round: ReportingRound) -> None:
        assignment = reporting_round.assignments.filter(pk=assignment_id).first()
        if assignment is None:
            raise ServiceError("not-found", _("That item is no longer in the round."))
        services.remove_assignment(assignment=assignment, actor=access.actor(request))

    return _round_action(request, round_id, remove, _("Item removed from the round."))


# -- the submission page ------------------------------------------------------------------------
def parse_entry(
    post: QueryDict,
) -> tuple[dict[str, dict[str, dict[str, str]]], dict[str, dict[str, str]]]:
    """Read the grid's fields (``m|CODE|COMBINATION|PART`` and ``a|CODE|FIELD``) into the shapes
    the service takes."""
    values: dict[str, dict[str, dict[str, str]]] = {}
    actions: dict[str, dict[str, str]] = {}
    for name in post:
        value = str(post.get(name, ""))
        parts = name.split("|")
        if parts[0] == "m" and len(parts) == 4:
            values.setdefault(parts[1], {}).setdefault(parts[2], {})[parts[3]] = value[:10000]
        elif parts[0] == "a" and len(parts) == 3:
            actions.setdefault(parts[1], {})[parts[2]] = value[:20000]
    return values, actions


def _grid(
    plan: EntryPlan, typed: dict[str, dict[str, dict[str, str]]] | None, errors: list[CellError]
) -> list[dict[str, Any]]:
    stored = {(v.metric_id, v.combination): v for v in plan.submission.values.all()}
    by_cell: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for error in errors:
        by_cell[(error.metric, error.combination)].append(error.as_dict())
    rows = []
    for item in plan.metrics:
        cells = []
        for combo in item.combos:
            row = stored.get((item.metric.pk, combo))
            shown = (typed or {}).get(item.code, {}).get(combo) if typed else None
            current = (
                shown
                if shown is not None
                else {
                    "number": _plain(row.number) if row else "",
                    "numerator": _plain(row.numerator) if row else "",
                    "denominator": _plain(row.denominator) if row else "",
                    "currency": row.currency if row else "",
                    "text": row.text if row else "",
                    "done": "" if not row or row.done is None else ("yes" if row.done else "no"),
                    "done_on": row.done_on.isoformat() if row and row.done_on else "",
                    "comment": row.comment if row else "",
                }
            )
            cells.append(
                {
                    "combination": combo,
                    "label": item.labels[combo] or _("Total"),
                    "value": current,
                    "previous": _plain(item.previous.get(combo)),
                    "errors": by_cell.get((item.code, combo), []),
                }
            )
        total = None
        if item.combos != [""] and item.definition.type == "count":
            numbers = [stored.get((item.metric.pk, c)) for c in item.combos]
            if all(n is not None and n.number is not None for n in numbers):
                total = _plain(
                    sum(n.number for n in numbers if n is not None and n.number is not None)
                )
        rows.append(
            {
                "code": item.code,
                "text": item.definition.text,
                "type": item.definition.type,
                "scale": item.definition.scale,
                "unit": item.definition.unit,
                "element": item.element.code,
                "cells": cells,
                "derived_total": total,
                "metric_errors": by_cell.get((item.code, ""), []) if item.combos != [""] else [],
            }
        )
    return rows


def _plain(value: Any) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text


def _actions(
    plan: EntryPlan, typed: dict[str, dict[str, str]] | None, errors: list[CellError]
) -> list[dict[str, Any]]:
    updates = {u.element_id: u for u in plan.submission.action_updates.all()}
    rows = []
    for element in plan.actions:
        update = updates.get(element.pk)
        stored = {
            "status": update.status if update else "",
            "percent_complete": ""
            if not update or update.percent_complete is None
            else str(update.percent_complete),
            "narrative": update.narrative if update else "",
            "evidence_links": "\n".join(update.evidence_links) if update else "",
            "milestones": "\n".join(f"{m['title']} | {m.get('due', '')}" for m in update.milestones)
            if update
            else "",
        }
        rows.append(
            {
                "code": element.code,
                "title": element.title,
                "value": (typed or {}).get(element.code, stored),
                "errors": [e.as_dict() for e in errors if e.metric == element.code],
            }
        )
    return rows


def submission_data(
    request: HttpRequest,
    submission: Submission,
    typed: Any = None,
    errors: list[CellError] | None = None,
) -> dict[str, Any]:
    plan = EntryPlan.for_submission(submission)
    errors = errors or []
    values, actions = typed if typed else (None, None)
    return {
        "round": round_summary(submission.reporting_round),
        "unit": {"code": submission.unit.code, "name": submission.unit.name},
        "submission": {
            "state": submission.state,
            "state_name": str(submission.get_state_display()),
            "lock_version": submission.lock_version,
            "submitted_before": submission.furthest_step >= 0,
            "submitted_by": submission.submitted_by.email if submission.submitted_by else None,
            "submitted_at": submission.submitted_at.isoformat()
            if submission.submitted_at
            else None,
            "approved_by": submission.approved_by.email if submission.approved_by else None,
            "approved_at": submission.approved_at.isoformat() if submission.approved_at else None,
        },
        "metrics": _grid(plan, values, errors),
        "actions": _actions(plan, actions, errors),
        "approval": {
            "steps": [
                {"name": step.name, "unit": step.unit.code if step.unit else None}
                for step in approval.steps_for(submission)
            ],
            "current_step": submission.approval_step if submission.state == "submitted" else None,
            "approvals": [
                {
                    "step": a.step,
                    "name": a.step_name,
                    "by": a.approver.email,
                    "at": a.approved_at.isoformat(),
                }
                for a in submission.approvals.filter(current=True).select_related("approver")
            ],
        },
        "errors": [e.as_dict() for e in errors],
        # Checks on what is stored, for the focal point and the reviewer alike.
        "checks": [e.as_dict() for e in plan.completeness(submission) if e.code == "large-change"],
        "comments": [
            {"author": c.author.email, "text": c.text, "at": c.created_at.isoformat()}
            for c in submission.comments.select_related("author")
        ],
        "can_edit": access.can_edit_submission(request.user, submission),
        "can_import": access.can_import_submission(request.user, submission),
        "can_review": access.can_review_submission(request.user, submission),
        "can_reopen": access.can_edit_plan(request.user, submission.reporting_round.plan)
        and submission.state in ("submitted", "approved")
        and submission.reporting_round.state == "open",
    }


CONTEXT = {"statuses": ActionStatus.choices}


@require_http_methods(["GET", "HEAD", "POST"])
def submission_detail(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    reporting_round = access.get_round_for_user(request.user, round_id)
    submission = access.get_submission_for_user(request.user, reporting_round, code)
    if request.method != "POST":
        return render_page(
            request, "reporting/submission.html", submission_data(request, submission), CONTEXT
        )
    if not access.can_edit_submission(request.user, submission):
        raise PermissionDenied
    values, actions = parse_entry(request.POST)
    lock = request.POST.get("lock_version", "")
    try:
        services.save_submission(
            submission=submission,
            values=values,
            actions=actions,
            lock_version=int(lock) if re.fullmatch(r"[0-9]{1,9}", lock) else None,
            actor=access.actor(request),
            reason=request.POST.get("reason", "")[:500],
        )
        if request.POST.get("action") == "submit":
            services.submit_submission(submission=submission, actor=access.actor(request))
    except services.InvalidSubmission as error:
        submission.refresh_from_db()
        data = submission_data(request, submission, (values, actions), error.errors)
        if wants_json(request):
            return error_page(
                request, 400, error.code, _("Not saved"), error.message, data["errors"]
            )
        messages.error(request, error.message)
        return render_page(request, "reporting/submission.html", data, CONTEXT, status=400)
    except ServiceError as error:
        if wants_json(request):
            return error_page(
                request, error.status, error.code, _("Not saved"), error.message, [error.as_dict()]
            )
        submission.refresh_from_db()
        messages.error(request, error.message)
        data = submission_data(request, submission, (values, actions))
        return render_page(request, "reporting/submission.html", data, CONTEXT, status=error.status)
    messages.success(
        request,
        _("Submitted for review.") if request.POST.get("action") == "submit" else _("Saved."),
    )
    return redirect("submission-detail", round_id=round_id, code=code)


def _workflow(
    request: HttpRequest, round_id: int, code: str, action: Any, done: str
) -> HttpResponse:
    reporting_round = access.get_round_for_user(request.user, round_id)
    submission = access.get_submission_for_user(request.user, reporting_round, code)
    back = reverse("submission-detail", args=[round_id, code])
    return act(request, lambda: action(submission), done, back)


@require_POST
def submission_approve(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    def approve(submission: Submission) -> None:
        approved = services.approve_submission(submission=submission, actor=access.actor(request))
        step = approval.current_step(approved)
        if step is not None:
            messages.info(request, _("It now goes to: %(step)s.") % {"step": step.name})

    return _workflow(request, round_id, code, approve, _("Approved."))


@require_POST
def submission_return(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    comment = request.POST.get("comment", "")[:5000]
    return _workflow(
        request,
        round_id,
        code,
        lambda s: services.return_submission(
            submission=s, actor=access.actor(request), comment=comment
        ),
        _("Returned to the focal point."),
    )


@require_POST
def submission_reopen(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    reason = request.POST.get("reason", "")[:500]
    return _workflow(
        request,
        round_id,
        code,
        lambda s: services.reopen_submission(
            submission=s, actor=access.actor(request), reason=reason
        ),
        _("Reopened as a draft."),
    )


@require_POST
def submission_comment(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    text = request.POST.get("text", "")[:5000]
    return _workflow(
        request,
        round_id,
        code,
        lambda s: services.add_comment(submission=s, actor=access.actor(request), text=text),
        _("Comment added."),
    )


def history_data(
    submission: Submission, metric: str = "", combination: str | None = None
) -> dict[str, Any]:
    """Every recorded change to the submission, its values and action updates, newest first;
    with ``metric`` (and ``combination``), one value's history only."""
    values = submission.values.all()
    if metric:
        values = values.filter(metric__code=metric)
        if combination is not None:
            values = values.filter(combination=combination)
    value_ids = [str(i) for i in values.values_list("id", flat=True)]
    if metric:
        events = AuditEvent.objects.filter(_q("reporting.value", value_ids))
    else:
        update_ids = [str(i) for i in submission.action_updates.values_list("id", flat=True)]
        events = AuditEvent.objects.filter(
            _q("reporting.submission", [str(submission.pk)])
            | _q("reporting.value", value_ids)
            | _q("reporting.actionupdate", update_ids)
        )
    return {
        "round": round_summary(submission.reporting_round),
        "unit": {"code": submission.unit.code},
        "metric": metric or None,
        "events": [
            {
                "at": e.created_at.isoformat(),
                "who": e.actor_label,
                "action": e.action,
                "object": e.object_repr,
                "changes": e.changes,
                "reason": e.reason,
            }
            for e in events
        ],
    }


@require_safe
def submission_history(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    """The history page; ``?metric=CODE&combination=sex=women`` narrows it to one value."""
    reporting_round = access.get_round_for_user(request.user, round_id)
    submission = access.get_submission_for_user(request.user, reporting_round, code)
    combination = request.GET["combination"][:200] if "combination" in request.GET else None
    data = history_data(submission, request.GET.get("metric", "")[:60], combination)
    return render_page(request, "reporting/history.html", data)


def _q(object_type: str, ids: list[str]) -> Any:
    from django.db.models import Q

    return Q(object_type=object_type, object_id__in=ids)


def owed_by(user: Any) -> list[dict[str, Any]]:
    """For the home page: the submissions this person's units owe in open rounds."""
    units = access.focal_point_units(user)
    submissions = (
        Submission.objects.filter(unit__in=units, reporting_round__state="open")
        .select_related("reporting_round__plan", "unit")
        .order_by("reporting_round__due_date")
    )
    today = dt.date.today()
    return [
        {
            "round": s.reporting_round_id,
            "plan": s.reporting_round.plan.slug,
            "period": s.reporting_round.period,
            "unit": s.unit.code,
            "unit_name": s.unit.short_name,
            "due_date": s.reporting_round.due_date.isoformat(),
            "state": s.state,
            "state_name": str(s.get_state_display()),
            "late": s.state in ("draft", "returned") and today > s.reporting_round.due_date,
        }
        for s in submissions
    ]
