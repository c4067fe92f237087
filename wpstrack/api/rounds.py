"""Rounds and submissions in the API: the same services, rules and messages as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status

from wpstrack.accounts import access
from wpstrack.frameworks.models import Plan
from wpstrack.reporting import services
from wpstrack.reporting.views import history_data, round_summary, submission_data

router = Router(tags=["rounds"])


class RoundIn(Schema):
    plan: str
    period: str
    due_date: dt.date
    open: bool = True


class SaveIn(Schema):
    lock_version: int | None = None
    values: dict[str, dict[str, dict[str, str]]] = {}
    actions: dict[str, dict[str, str]] = {}
    reason: str = ""
    submit: bool = False


class CommentIn(Schema):
    comment: str


class ReasonIn(Schema):
    reason: str


class TextIn(Schema):
    text: str


def _user(request: HttpRequest) -> Any:
    return access.actor(request)


@router.get("/rounds")
def list_rounds(request: HttpRequest) -> dict[str, Any]:
    return {
        "ok": True,
        "rounds": [round_summary(r) for r in access.get_rounds_for_user(_user(request))],
    }


@router.post("/rounds", response={201: dict})
def create_round(request: HttpRequest, body: RoundIn) -> Status:
    plan = access.get_plan_for_user(_user(request), body.plan)
    if not isinstance(plan, Plan):
        raise TypeError
    created = services.create_round(
        plan=plan, period=body.period, due_date=body.due_date, actor=_user(request)
    )
    if body.open:
        services.open_round(reporting_round=created, actor=_user(request))
    return Status(201, {"ok": True, "round": round_summary(created)})


@router.get("/rounds/{round_id}")
def get_round(request: HttpRequest, round_id: int) -> dict[str, Any]:
    reporting_round = access.get_round_for_user(_user(request), round_id)
    visible = access.get_submissions_for_user(_user(request), reporting_round)
    return {
        "ok": True,
        "round": round_summary(reporting_round),
        "submissions": [{"unit": s.unit.code, "state": s.state} for s in visible],
    }


@router.post("/rounds/{round_id}/close")
def close_round(request: HttpRequest, round_id: int) -> dict[str, Any]:
    reporting_round = access.get_round_for_user(_user(request), round_id)
    services.close_round(reporting_round=reporting_round, actor=_user(request))
    return {"ok": True, "round": round_summary(reporting_round)}


def _submission(request: HttpRequest, round_id: int, code: str) -> Any:
    reporting_round = access.get_round_for_user(_user(request), round_id)
    return access.get_submission_for_user(_user(request), reporting_round, code)


@router.get("/rounds/{round_id}/units/{code}")
def get_submission(request: HttpRequest, round_id: int, code: str) -> dict[str, Any]:
    submission = _submission(request, round_id, code)
    return {"ok": True, **submission_data(request, submission)}


@router.post("/rounds/{round_id}/units/{code}")
def save_submission(request: HttpRequest, round_id: int, code: str, body: SaveIn) -> dict[str, Any]:
    """Save figures and action updates as a draft (and submit with ``submit: true``)."""
    submission = _submission(request, round_id, code)
    services.save_submission(
        submission=submission,
        values=body.values,
        actions=body.actions,
        lock_version=body.lock_version,
        actor=_user(request),
        reason=body.reason,
    )
    if body.submit:
        services.submit_submission(submission=submission, actor=_user(request))
    submission.refresh_from_db()
    return {"ok": True, **submission_data(request, submission)}


@router.post("/rounds/{round_id}/units/{code}/approve")
def approve(request: HttpRequest, round_id: int, code: str) -> dict[str, Any]:
    submission = services.approve_submission(
        submission=_submission(request, round_id, code), actor=_user(request)
    )
    return {"ok": True, "state": submission.state}


@router.post("/rounds/{round_id}/units/{code}/return")
def return_(request: HttpRequest, round_id: int, code: str, body: CommentIn) -> dict[str, Any]:
    submission = services.return_submission(
        submission=_submission(request, round_id, code), actor=_user(request), comment=body.comment
    )
    return {"ok": True, "state": submission.state}


@router.post("/rounds/{round_id}/units/{code}/reopen")
def reopen(request: HttpRequest, round_id: int, code: str, body: ReasonIn) -> dict[str, Any]:
    submission = services.reopen_submission(
        submission=_submission(request, round_id, code), actor=_user(request), reason=body.reason
    )
    return {"ok": True, "state": submission.state}


@router.post("/rounds/{round_id}/units/{code}/comments", response={201: dict})
def comment(request: HttpRequest, round_id: int, code: str, body: TextIn) -> Status:
    services.add_comment(
        submission=_submission(request, round_id, code), actor=_user(request), text=body.text
    )
    return Status(201, {"ok": True})


@router.post("/rounds/{round_id}/open")
def open_round(request: HttpRequest, round_id: int) -> dict[str, Any]:
    reporting_round = access.get_round_for_user(_user(request), round_id)
    services.open_round(reporting_round=reporting_round, actor=_user(request))
    return {"ok": True, "round": round_summary(reporting_round)}


@router.get("/rounds/{round_id}/assignments")
def list_assignments(request: HttpRequest, round_id: int) -> dict[str, Any]:
    """What each unit owes (coordinators of the plan only)."""
    reporting_round = access.get_round_for_user(_user(request), round_id)
    if not access.can_manage_round(_user(request), reporting_round):
        raise PermissionDenied
    items = reporting_round.assignments.select_related("unit", "metric", "element")
    return {
        "ok": True,
        "assignments": [
            {
                "id": a.pk,
                "unit": a.unit.code,
                "element": a.element.code,
                "metric": a.metric.code if a.metric else None,
            }
            for a in items
        ],
    }


@router.delete("/rounds/{round_id}/assignments/{assignment_id}")
def remove_assignment(request: HttpRequest, round_id: int, assignment_id: int) -> dict[str, Any]:
    reporting_round = access.get_round_for_user(_user(request), round_id)
    assignment = reporting_round.assignments.filter(pk=assignment_id).first()
    if assignment is None:
        raise Http404(str(assignment_id))
    services.remove_assignment(assignment=assignment, actor=_user(request))
    return {"ok": True}


@router.get("/rounds/{round_id}/units/{code}/history")
def history(
    request: HttpRequest, round_id: int, code: str, metric: str = "", combination: str | None = None
) -> dict[str, Any]:
    submission = _submission(request, round_id, code)
    return {"ok": True, **history_data(submission, metric[:60], combination)}
