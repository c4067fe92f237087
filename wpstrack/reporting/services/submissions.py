"""Saving, submitting, returning, approving, reopening and commenting on a unit's submission,
each under the submission's row lock where it changes it, with its audit rows and emails."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wpstrack.accounts import access
from wpstrack.accounts.models import User
from wpstrack.analysis.refresh import refresh_for_submission
from wpstrack.audit.models import AuditEvent
from wpstrack.audit.services import record_event
from wpstrack.lib.errors import Conflict, NotAllowed, ServiceError
from wpstrack.reporting import approval, entry, notifications
from wpstrack.reporting.models import (
    Approval,
    RoundState,
    Submission,
    SubmissionComment,
    SubmissionState,
)
from wpstrack.reporting.rules import CellError
from wpstrack.reporting.services.storing import store_entry


class InvalidSubmission(ServiceError):
    """Values that break the rules: nothing was saved; ``errors`` lists each cell."""

    def __init__(self, errors: list[CellError]) -> None:
        super().__init__(
            "invalid-values",
            _("%(n)s value(s) need correcting; nothing was saved.") % {"n": len(errors)},
        )
        self.errors = errors


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
    changed = store_entry(submission, plan, cleaned, action_rows, actor=actor, reason=reason)
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
    refresh_for_submission(submission)  # dashboards show approved figures only, at once
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
    was_approved = submission.state == SubmissionState.APPROVED
    submission = _change_state(
        submission,
        SubmissionState.DRAFT,
        actor,
        reason=reason.strip(),
        approved_at=None,
        approved_by=None,
        approval_step=0,
    )
    if was_approved:
        refresh_for_submission(submission)  # its figures leave the dashboards
    return submission


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
