"""Every write of the reporting workflow, one transaction each, with its audit rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wpstrack.accounts import access
from wpstrack.accounts.models import OrgUnit, User
from wpstrack.audit.models import AuditEvent
from wpstrack.audit.services import record_event
from wpstrack.frameworks.models import Element, Plan
from wpstrack.lib.errors import Conflict, NotAllowed, ServiceError
from wpstrack.lib.periods import Period, PeriodError
from wpstrack.reporting import approval, entry, notifications
from wpstrack.reporting.models import (
    ActionUpdate,
    Approval,
    Assignment,
    ReportingRound,
    RoundState,
    Submission,
    SubmissionComment,
    SubmissionState,
    Value,
)
from wpstrack.reporting.rules import CellError


class InvalidSubmission(ServiceError):
    """Values that break the rules: nothing was saved; ``errors`` lists each cell."""

    def __init__(self, errors: list[CellError]) -> None:
        super().__init__(
            "invalid-values",
            _("%(n)s value(s) need correcting; nothing was saved.") % {"n": len(errors)},
        )
        self.errors = errors


def _responsible_units(element: Element, by_id: Mapping[int, Element]) -> list[OrgUnit]:
    """The element's own units, or those of the nearest element above that names any."""
    current: Element | None = element
    while current is not None:
        units = list(current.units.all())
        if units:
            return units
        current = by_id.get(current.parent_id) if current.parent_id else None
    return []


@transaction.atomic
def create_round(
    *,
    plan: Plan,
    period: str,
    due_date: dt.date,
    actor: User | None,
    actor_label: str | None = None,
) -> ReportingRound:
    """Prepare a round: each responsible unit gets exactly the metrics and actions it owns.
    The coordinator may adjust the assignments before opening it."""
    if actor is not None and not access.can_edit_plan(actor, plan):
        raise NotAllowed("not-plan-coordinator", _("Only the plan's coordinators open rounds."))
    try:
        parsed = Period.parse(period, plan.fiscal_year_start_month)
    except PeriodError as error:
        raise ServiceError("bad-period", str(error), field="period") from None
    if ReportingRound.objects.filter(plan=plan, period=parsed.code).exists():
        raise Conflict(
            "round-exists",
            _("%(plan)s already has a round for %(period)s.")
            % {"plan": plan.slug, "period": parsed.code},
            field="period",
        )
    if due_date < parsed.start:
        raise ServiceError(
            "due-before-period",
            _("The due date %(due)s is before the period starts (%(start)s).")
            % {"due": due_date, "start": parsed.start},
            field="due_date",
        )
    if plan.current_version is None:
        raise ServiceError("plan-not-loaded", _("The plan has no loaded version."))
    reporting_round = ReportingRound.objects.create(
        plan=plan,
        plan_version=plan.current_version,
        period=parsed.code,
        period_start=parsed.start,
        period_end=parsed.end,
        due_date=due_date,
    )
    elements = list(
        plan.elements.filter(retired_in=None).prefetch_related("units", "metrics__current")
    )
    by_id = {e.pk: e for e in elements}
    has_children = {e.parent_id for e in elements}
    rows = []
    for element in elements:
        units = _responsible_units(element, by_id)
        metrics = [m for m in element.metrics.all() if m.retired_in_id is None and m.current_id]
        for unit in units:
            rows += [
                Assignment(
                    reporting_round=reporting_round,
                    unit=unit,
                    element=element,
                    metric=m,
                    definition=m.current,
                )
                for m in metrics
            ]
            if element.pk not in has_children and element.units.exists():
                rows.append(Assignment(reporting_round=reporting_round, unit=unit, element=element))
    Assignment.objects.bulk_create(rows)
    record_event(
        actor=actor,
        actor_label=actor_label,
        action="round.create",
        obj=reporting_round,
        unit=plan.owner_unit,
        changes={
            "period": [None, parsed.code],
            "due_date": [None, due_date],
            "assignments": [None, len(rows)],
        },
    )
    return reporting_round


@transaction.atomic
def open_round(
    *, reporting_round: ReportingRound, actor: User | None, actor_label: str | None = None
) -> ReportingRound:
    """Open a prepared round: each assigned unit gets its (empty) draft submission."""
    _require_manager(reporting_round, actor)
    if reporting_round.state != RoundState.DRAFT:
        raise Conflict(
            "round-not-draft",
            _("This round is already %(state)s.") % {"state": reporting_round.get_state_display()},
        )
    unit_ids = set(reporting_round.assignments.values_list("unit_id", flat=True))
    Submission.objects.bulk_create(
        [Submission(reporting_round=reporting_round, unit_id=u) for u in unit_ids]
    )
    reporting_round.state, reporting_round.opened_at = RoundState.OPEN, timezone.now()
    reporting_round.save(update_fields=["state", "opened_at"])
    record_event(
        actor=actor,
        actor_label=actor_label,
        action="round.open",
        obj=reporting_round,
        unit=reporting_round.plan.owner_unit,
        changes={"state": ["draft", "open"]},
    )
    return reporting_round


@transaction.atomic
def close_round(
    *, reporting_round: ReportingRound, actor: User | None, actor_label: str | None = None
) -> ReportingRound:
    """Close a round: it is frozen; nothing in it can change any more."""
    _require_manager(reporting_round, actor)
    if reporting_round.state != RoundState.OPEN:
        raise Conflict("round-not-open", _("Only an open round can be closed."))
    reporting_round.state, reporting_round.closed_at = RoundState.CLOSED, timezone.now()
    reporting_round.save(update_fields=["state", "closed_at"])
    record_event(
        actor=actor,
        actor_label=actor_label,
        action="round.close",
        obj=reporting_round,
        unit=reporting_round.plan.owner_unit,
        changes={"state": ["open", "closed"]},
    )
    return reporting_round


@transaction.atomic
def remove_assignment(*, assignment: Assignment, actor: User) -> None:
    """Before opening, a coordinator may take an item off a unit's list."""
    reporting_round = assignment.reporting_round
    _require_manager(reporting_round, actor)
    if reporting_round.state != RoundState.DRAFT:
        raise Conflict("round-not-draft", _("Assignments can change only before the round opens."))
    record_event(
        actor=actor,
        action="assignment.delete",
        obj=assignment,
        unit=assignment.unit,
        changes={
            "unit": [assignment.unit.code, None],
            "item": [
                assignment.metric.code if assignment.metric else assignment.element.code,
                None,
            ],
        },
    )
    assignment.delete()


@transaction.atomic
def add_assignment(
    *, reporting_round: ReportingRound, unit: OrgUnit, item: str, actor: User
) -> Assignment:
    """Before opening, a coordinator may give a unit one more item: a metric code (its figures)
    or an element code (that action's status)."""
    _require_manager(reporting_round, actor)
    if reporting_round.state != RoundState.DRAFT:
        raise Conflict("round-not-draft", _("Assignments can change only before the round opens."))
    plan = reporting_round.plan
    metric = (
        plan.metrics.filter(code=item, retired_in=None).select_related("element", "current").first()
    )
    element = metric.element if metric else plan.elements.filter(code=item, retired_in=None).first()
    if element is None:
        raise ServiceError(
            "unknown-item",
            _("%(item)s is neither a metric nor an element of %(plan)s.")
            % {"item": item, "plan": plan.slug},
            field="item",
        )
    existing = reporting_round.assignments.filter(unit=unit, element=element, metric=metric)
    if existing.exists():
        raise Conflict(
            "already-assigned",
            _("%(unit)s already owes %(item)s.") % {"unit": unit.code, "item": item},
            field="item",
        )
    assignment = Assignment.objects.create(
        reporting_round=reporting_round,
        unit=unit,
        element=element,
        metric=metric,
        definition=metric.current if metric else None,
    )
    record_event(
        actor=actor,
        action="assignment.create",
        obj=assignment,
        unit=unit,
        changes={"unit": [None, unit.code], "item": [None, item]},
    )
    return assignment


def _require_manager(reporting_round: ReportingRound, actor: User | None) -> None:
    if actor is not None and not access.can_manage_round(actor, reporting_round):
        raise NotAllowed(
            "not-plan-coordinator", _("Only the plan's coordinators manage its rounds.")
        )


def _locked(submission: Submission, lock_version: int | None) -> Submission:
    """Re-read the submission under a row lock and refuse a save made on a stale copy."""
    fresh = (
        Submission.objects.select_for_update()
        .select_related("reporting_round__plan", "unit")
        .get(pk=submission.pk)
    )
    if lock_version is not None and fresh.lock_version != lock_version:
        raise Conflict(
            "stale-submission",
            _(
                "Someone saved this submission after you opened it (now version %(now)s, yours %(yours)s)%(what)s. "
                "Nothing of yours was saved: reload to see their changes, then make yours again."
            )
            % {
                "now": fresh.lock_version,
                "yours": lock_version,
                "what": _changed_since(fresh, lock_version),
            },
        )
    return fresh


def _changed_since(submission: Submission, version: int) -> str:
    """Who saved what since ``version``, from the audit, for the conflict message."""
    saves = AuditEvent.objects.filter(
        action="submission.save", object_type="reporting.submission", object_id=str(submission.pk)
    ).order_by("created_at", "id")
    parts = []
    for event in saves:
        _old, new = event.changes.get("lock_version", [None, None])
        if isinstance(new, int) and new > version:
            cells = event.changes.get("cells", [None, []])[1] or []
            parts.append(
                f"{event.actor_label}: {', '.join(cells[:10])}"
                + (" ..." if len(cells) > 10 else "")
            )
    return (": " + "; ".join(parts)) if parts else ""


@transaction.atomic
def save_submission(
    *,
    submission: Submission,
    values: Mapping[str, Mapping[str, dict[str, str]]],
    actions: Mapping[str, dict[str, Any]],
    lock_version: int | None,
    actor: User,
    reason: str = "",
) -> Submission:
    """Save figures and action updates as a draft. Any cell that breaks a rule and nothing is saved."""
    submission = _locked(submission, lock_version)
    if not access.can_edit_submission(actor, submission):
        raise NotAllowed(
            "cannot-edit", _("Only the unit's focal points can change a draft of an open round.")
        )
    plan = entry.EntryPlan.for_submission(submission)
    cleaned, errors = plan.check(values)
    action_errors, action_rows = plan.check_actions(actions)
    blocking = [e for e in errors + action_errors if e.blocking]
    if blocking:
        raise InvalidSubmission(blocking)
    changed = _store_values(submission, plan, cleaned, actor, reason)
    changed += _store_actions(submission, action_rows, actor, reason)
    if changed and submission.furthest_step >= 0 and not reason.strip():
        # Once a report has been submitted, every later change says why (the reviewer reads it).
        raise ServiceError(
            "reason-required",
            _("This report was submitted before: say what you changed and why."),
            field="reason",
        )
    if changed:
        record_event(
            actor=actor,
            action="submission.save",
            obj=submission,
            unit=submission.unit,
            changes={
                "lock_version": [submission.lock_version, submission.lock_version + 1],
                "cells": [None, changed],
            },
            reason=reason,
        )
        if submission.state == SubmissionState.RETURNED:
            record_event(
                actor=actor,
                action="submission.state",
                obj=submission,
                unit=submission.unit,
                changes={"state": ["returned", "draft"]},
            )
            submission.state = SubmissionState.DRAFT
        submission.lock_version += 1
        submission.updated_at = timezone.now()
        submission.save(update_fields=["state", "lock_version", "updated_at"])
    return submission


def _store_values(
    submission: Submission,
    plan: entry.EntryPlan,
    cleaned: dict[str, dict[str, Any]],
    actor: User,
    reason: str,
) -> list[str]:
    existing = {(v.metric_id, v.combination): v for v in submission.values.all()}
    changed: list[str] = []
    for item in plan.metrics:
        for combo, cell in cleaned.get(item.code, {}).items():
            new = {
                "number": cell.number,
                "numerator": cell.numerator,
                "denominator": cell.denominator,
                "currency": cell.currency,
                "text": cell.text,
                "done": cell.done,
                "done_on": cell.done_on,
                "comment": cell.comment,
            }
            row = existing.get((item.metric.pk, combo))
            old = {k: getattr(row, k) for k in new} if row else {k: None for k in new}
            differences = {
                k: [_show(old[k]), _show(v)] for k, v in new.items() if _show(old[k]) != _show(v)
            }
            if not differences:
                continue
            if row is None:
                if cell.is_empty and not cell.comment:
                    continue
                row = Value(
                    submission=submission,
                    metric=item.metric,
                    definition=item.definition,
                    combination=combo,
                )
            for key, value in new.items():
                setattr(row, key, value)
            row.definition, row.updated_at = item.definition, timezone.now()
            row.save()
            record_event(
                actor=actor,
                action="value.set",
                obj=row,
                unit=submission.unit,
                changes=differences,
                reason=reason,
            )
            changed.append(f"{item.code} {combo or 'total'}")
    return changed


def _show(value: Any) -> Any:
    """Compare and audit values as text, so Decimal('5') and Decimal('5.0000') are the same."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value) if not isinstance(value, bool) else value


def _store_actions(
    submission: Submission, rows: dict[int, dict[str, Any]], actor: User, reason: str
) -> list[str]:
    existing = {u.element_id: u for u in submission.action_updates.all()}
    changed: list[str] = []
    for element_id, new in rows.items():
        update = existing.get(element_id)
        old = {k: getattr(update, k) for k in new} if update else {k: None for k in new}
        differences = {k: [old[k], v] for k, v in new.items() if (old[k] or None) != (v or None)}
        if not differences:
            continue
        update = update or ActionUpdate(submission=submission, element_id=element_id)
        for key, value in new.items():
            setattr(update, key, value)
        update.updated_at = timezone.now()
        update.save()
        record_event(
            actor=actor,
            action="action_update.set",
            obj=update,
            unit=submission.unit,
            changes=differences,
            reason=reason,
        )
        changed.append(f"action {update.element.code}")
    return changed


def _change_state(
    submission: Submission, new: str, actor: User, reason: str = "", **fields: Any
) -> Submission:
    old = submission.state
    submission.state = new
    for key, value in fields.items():
        setattr(submission, key, value)
    submission.lock_version += 1
    submission.updated_at = timezone.now()
    submission.save()
    record_event(
        actor=actor,
        action="submission.state",
        obj=submission,
        unit=submission.unit,
        changes={"state": [old, new]},
        reason=reason,
    )
    return submission


@transaction.atomic
def submit_submission(
    *, submission: Submission, actor: User, lock_version: int | None = None
) -> Submission:
    """Send a complete, valid draft to the first level of the approval chain."""
    submission = _locked(submission, lock_version)
    if not access.can_edit_submission(actor, submission):
        raise NotAllowed("cannot-submit", _("Only the unit's focal points can submit its draft."))
    problems = entry.EntryPlan.for_submission(submission).completeness(submission)
    if problems:
        raise InvalidSubmission(problems)
    submission.approvals.filter(current=True).update(current=False)
    _change_state(
        submission,
        SubmissionState.SUBMITTED,
        actor,
        submitted_at=timezone.now(),
        submitted_by=actor,
        approval_step=0,
        furthest_step=max(submission.furthest_step, 0),
    )
    transaction.on_commit(lambda: notifications.submitted(submission))
    return submission


def _require_reviewer(submission: Submission, actor: User, verb: str) -> None:
    if submission.reporting_round.state != RoundState.OPEN:
        raise Conflict("round-not-open", _("The round is closed: its submissions are frozen."))
    if submission.state != SubmissionState.SUBMITTED:
        raise Conflict(
            "not-submitted", _("Only a submitted report can be %(verb)s.") % {"verb": verb}
        )
    if submission.submitted_by_id == actor.pk:
        raise NotAllowed("own-submission", _("You submitted this: someone else must decide on it."))
    if not access.can_review_submission(actor, submission):
        step = approval.current_step(submission)
        raise NotAllowed(
            "cannot-review",
            _(
                "This report now waits for: %(step)s. You are not a reviewer at "
                "that level (or you already approved an earlier one)."
            )
            % {"step": step.name if step else "-"},
        )


@transaction.atomic
def return_submission(*, submission: Submission, actor: User, comment: str) -> Submission:
    """Send a submission back to the focal point with a comment saying what to fix."""
    submission = _locked(submission, None)
    if not comment.strip():
        raise ServiceError(
            "comment-required",
            _("Say what needs fixing: a comment is required to return it."),
            field="comment",
        )
    _require_reviewer(submission, actor, _("returned"))
    SubmissionComment.objects.create(submission=submission, author=actor, text=comment.strip())
    submission.approvals.filter(current=True).update(current=False)
    _change_state(
        submission, SubmissionState.RETURNED, actor, reason=comment.strip(), approval_step=0
    )
    transaction.on_commit(lambda: notifications.returned(submission, comment.strip()))
    return submission


@transaction.atomic
def approve_submission(*, submission: Submission, actor: User) -> Submission:
    """Approve at the current level of the chain; the last level's approval locks the figures."""
    submission = _locked(submission, None)
    _require_reviewer(submission, actor, _("approved"))
    steps = approval.steps_for(submission)
    step = steps[submission.approval_step]
    Approval.objects.create(
        submission=submission, step=submission.approval_step, step_name=step.name, approver=actor
    )
    if submission.approval_step + 1 < len(steps):
        following = submission.approval_step + 1
        record_event(
            actor=actor,
            action="submission.approve_step",
            obj=submission,
            unit=submission.unit,
            changes={"approval_step": [submission.approval_step, following]},
            reason=step.name,
        )
        submission.approval_step = following
        submission.furthest_step = max(submission.furthest_step, following)
        submission.lock_version += 1
        submission.save(update_fields=["approval_step", "furthest_step", "lock_version"])
        transaction.on_commit(lambda: notifications.submitted(submission))
        return submission
    _change_state(
        submission,
        SubmissionState.APPROVED,
        actor,
        reason=step.name,
        approved_at=timezone.now(),
        approved_by=actor,
    )
    transaction.on_commit(lambda: notifications.approved(submission))
    return submission


@transaction.atomic
def reopen_submission(*, submission: Submission, actor: User, reason: str) -> Submission:
    """A coordinator reopens an approved (or submitted) submission, with a stated reason."""
    submission = _locked(submission, None)
    if not access.can_edit_plan(actor, submission.reporting_round.plan):
        raise NotAllowed(
            "not-plan-coordinator", _("Only the plan's coordinators can reopen a submission.")
        )
    if submission.state not in (SubmissionState.APPROVED, SubmissionState.SUBMITTED):
        raise Conflict(
            "not-reopenable", _("Only a submitted or approved submission can be reopened.")
        )
    if submission.reporting_round.state != RoundState.OPEN:
        raise Conflict("round-not-open", _("The round is closed: its submissions are frozen."))
    if not reason.strip():
        raise ServiceError("reason-required", _("Give the reason for reopening."), field="reason")
    submission.approvals.filter(current=True).update(current=False)
    return _change_state(
        submission,
        SubmissionState.DRAFT,
        actor,
        reason=reason.strip(),
        approved_at=None,
        approved_by=None,
        approval_step=0,
    )


@transaction.atomic
def add_comment(*, submission: Submission, actor: User, text: str) -> SubmissionComment:
    if not access.can_view_submission(actor, submission) or access.roles_on(
        actor, submission.unit
    ) == {"viewer"}:
        raise NotAllowed(
            "cannot-comment", _("Only the unit's focal points, reviewers and coordinators comment.")
        )
    if not text.strip():
        raise ServiceError("empty-comment", _("Write the comment first."), field="text")
    comment = SubmissionComment.objects.create(
        submission=submission, author=actor, text=text.strip()[:5000]
    )
    record_event(
        actor=actor,
        action="submission.comment",
        obj=submission,
        unit=submission.unit,
        changes={"comment": [None, comment.text]},
    )
    return comment


def change_threshold() -> Decimal:
    return Decimal(str(getattr(settings, "LARGE_CHANGE_SHARE", 0.5)))
