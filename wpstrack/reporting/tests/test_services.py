"""The reporting workflow services: preparing and opening rounds, saving, submitting, returning,
approving, reopening and closing, each with its refusals, its audit rows and its emails."""

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction

from wpstrack.accounts import access
from wpstrack.accounts.models import Membership, Role
from wpstrack.audit.models import AuditEvent
from wpstrack.frameworks.models import Metric, Plan
from wpstrack.frameworks.services import load_plan_document
from wpstrack.lib.errors import Conflict, NotAllowed, ServiceError
from wpstrack.reporting import services
from wpstrack.reporting.models import (
    ActionUpdate,
    Assignment,
    ReportingRound,
    Submission,
    SubmissionComment,
    Value,
)
from wpstrack.reporting.services import InvalidSubmission
from wpstrack.testing import (
    PersonasTestCase,
    make_personas,
    make_sex_categories,
    plan_action,
    plan_document,
    plan_metric,
)

metric, action = plan_metric, plan_action
DOCUMENT = plan_document(
    [
        action(
            "1", ["DHS-CBP"], [metric("1-M1", "count", ["sex"]), metric("1-M2", "percentage", [])]
        ),
        # Another unit's action: CBP must not owe it.
        action("2", ["DHS-ICE"], [metric("2-M1", "count", [])]),
    ]
)

Q3_DUE = dt.date(2025, 7, 31)
ACTIONS = {"1": {"status": "on_track", "percent_complete": "40"}}


def grid(women="3", men="4", other="0", comment=""):
    """CBP's whole grid as typed: the count by sex, and the share as numerator/denominator."""
    return {
        "1-M1": {
            "sex=women": {"number": women, "comment": comment},
            "sex=men": {"number": men},
            "sex=other": {"number": other},
        },
        "1-M2": {"": {"numerator": "1", "denominator": "4"}},
    }


def load_tiny_plan():
    make_sex_categories()
    load_plan_document(DOCUMENT, file_name="tiny.yaml", sha256="0" * 64, actor=None)
    return Plan.objects.get(slug="tiny")


class ReportingServicesTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.plan = load_tiny_plan()
        cls.round = services.create_round(
            plan=cls.plan, period="FY2025-Q3", due_date=Q3_DUE, actor=cls.w.cora
        )
        services.open_round(reporting_round=cls.round, actor=cls.w.cora)

    def submission(self, unit="DHS-CBP", reporting_round=None):
        return Submission.objects.get(
            reporting_round=reporting_round or self.round, unit__code=unit
        )

    def save(self, values=None, actions=None, actor=None, submission=None, reason=None):
        """Save as someone who has just opened the page (the current lock_version); after a first
        submission a change needs a reason, so one is given unless the test says otherwise."""
        submission = submission or self.submission()
        if reason is None:
            reason = "corrected" if submission.furthest_step >= 0 else ""
        return services.save_submission(
            submission=submission,
            values=grid() if values is None else values,
            actions=ACTIONS if actions is None else actions,
            lock_version=submission.lock_version,
            actor=actor or self.w.fatima,
            reason=reason,
        )

    def submit(self, actor=None, submission=None):
        return services.submit_submission(
            submission=submission or self.submission(), actor=actor or self.w.fatima
        )

    def stored(self, submission=None):
        rows = Value.objects.filter(submission=submission or self.submission())
        return {(v.metric.code, v.combination): v.number for v in rows}

    def state_events(self, submission):
        events = AuditEvent.objects.filter(
            action="submission.state", object_type="reporting.submission", object_id=submission.pk
        ).order_by("id")
        return [(e.actor, e.changes["state"], e.reason) for e in events]

    # -- preparing and opening a round -------------------------------------------------------
    def test_it_assigns_each_unit_exactly_the_metrics_and_actions_it_is_responsible_for(self):
        rows = Assignment.objects.filter(reporting_round=self.round)
        owed = {(a.unit.code, a.element.code, a.metric.code if a.metric else None) for a in rows}
        assert owed == {
            ("DHS-CBP", "1", "1-M1"),
            ("DHS-CBP", "1", "1-M2"),
            ("DHS-CBP", "1", None),  # the action's status
            ("DHS-ICE", "2", "2-M1"),
            ("DHS-ICE", "2", None),
        }
        for assignment in rows.exclude(metric=None):
            assert assignment.definition == assignment.metric.current
        event = AuditEvent.objects.get(action="round.create")
        assert event.actor == self.w.cora
        assert event.changes["period"] == [None, "FY2025-Q3"]
        assert event.changes["assignments"] == [None, 5]

    def test_it_refuses_a_period_it_cannot_read(self):
        with self.assertRaises(ServiceError) as caught:
            services.create_round(
                plan=self.plan, period="2025 Q4", due_date=dt.date(2025, 10, 31), actor=self.w.cora
            )
        assert (caught.exception.code, caught.exception.field) == ("bad-period", "period")
        assert "write FY2025 for a fiscal year or FY2025-Q3 for a quarter" in str(caught.exception)
        assert ReportingRound.objects.count() == 1

    def test_it_refuses_a_second_round_for_the_same_period(self):
        with self.assertRaises(Conflict) as caught:
            services.create_round(
                plan=self.plan, period="fy2025-q3", due_date=Q3_DUE, actor=self.w.cora
            )
        assert caught.exception.code == "round-exists"
        assert caught.exception.message == "tiny already has a round for FY2025-Q3."
        assert ReportingRound.objects.count() == 1

    def test_it_refuses_a_due_date_before_the_period_starts(self):
        with self.assertRaises(ServiceError) as caught:
            services.create_round(
                plan=self.plan, period="FY2025-Q4", due_date=dt.date(2025, 6, 30), actor=self.w.cora
            )
        assert (caught.exception.code, caught.exception.field) == ("due-before-period", "due_date")
        assert "before the period starts (2025-07-01)" in caught.exception.message
        assert not ReportingRound.objects.filter(period="FY2025-Q4").exists()

    def test_only_the_plans_coordinators_prepare_a_round(self):
        for persona in ("alice", "fatima", "ravi", "vera", "oscar"):
            with self.assertRaises(NotAllowed, msg=persona) as caught:
                services.create_round(
                    plan=self.plan,
                    period="FY2025-Q4",
                    due_date=dt.date(2025, 10, 31),
                    actor=getattr(self.w, persona),
                )
            assert caught.exception.code == "not-plan-coordinator"
        assert not ReportingRound.objects.filter(period="FY2025-Q4").exists()

    def test_opening_gives_each_unit_one_empty_draft(self):
        prepared = services.create_round(
            plan=self.plan, period="FY2025-Q4", due_date=dt.date(2025, 10, 31), actor=self.w.cora
        )
        assert prepared.state == "draft" and prepared.submissions.count() == 0
        services.open_round(reporting_round=prepared, actor=self.w.cora)
        prepared.refresh_from_db()
        assert prepared.state == "open" and prepared.opened_at is not None
        drafts = [(s.unit.code, s.state, s.lock_version) for s in prepared.submissions.all()]
        assert sorted(drafts) == [("DHS-CBP", "draft", 0), ("DHS-ICE", "draft", 0)]
        assert not Value.objects.filter(submission__reporting_round=prepared).exists()

    def test_a_round_opens_only_once(self):
        with self.assertRaises(Conflict) as caught:
            services.open_round(reporting_round=self.round, actor=self.w.cora)
        assert caught.exception.code == "round-not-draft"
        assert self.round.submissions.count() == 2

    def test_only_the_plans_coordinators_open_a_round(self):
        prepared = services.create_round(
            plan=self.plan, period="FY2025-Q4", due_date=dt.date(2025, 10, 31), actor=self.w.cora
        )
        with self.assertRaises(NotAllowed):
            services.open_round(reporting_round=prepared, actor=self.w.fatima)
        assert prepared.submissions.count() == 0

    # -- saving --------------------------------------------------------------------------------
    def test_a_save_stores_one_value_row_per_combination(self):
        submission = self.save()
        assert self.stored() == {
            ("1-M1", "sex=women"): Decimal(3),
            ("1-M1", "sex=men"): Decimal(4),
            ("1-M1", "sex=other"): Decimal(0),
            ("1-M2", ""): Decimal(25),  # computed from 1 of 4
        }
        share = Value.objects.get(metric__code="1-M2")
        assert (share.numerator, share.denominator) == (Decimal(1), Decimal(4))
        assert share.definition == Metric.objects.get(code="1-M2").current
        update = ActionUpdate.objects.get(submission=submission)
        assert (update.element.code, update.status, update.percent_complete) == (
            "1",
            "on_track",
            40,
        )
        assert (submission.state, submission.lock_version) == ("draft", 1)

    def test_a_save_audits_each_value_with_its_old_and_new_value(self):
        self.save()
        self.save(values=grid(women="5"), reason="recount")
        women = Value.objects.get(combination="sex=women")
        events = AuditEvent.objects.for_object(women).filter(action="value.set").order_by("id")
        assert [(e.actor, e.changes, e.reason) for e in events] == [
            (self.w.fatima, {"number": [None, "3"]}, ""),
            (self.w.fatima, {"number": ["3", "5"]}, "recount"),
        ]
        share = Value.objects.get(metric__code="1-M2")
        event = AuditEvent.objects.for_object(share).get(action="value.set")
        assert event.changes == {
            "number": [None, "25"],
            "numerator": [None, "1"],
            "denominator": [None, "4"],
        }
        assert event.unit == self.w.cbp
        # an unchanged cell is not written or audited again
        assert AuditEvent.objects.filter(action="value.set").count() == 5

    def test_a_save_with_any_invalid_cell_saves_nothing_and_lists_every_error(self):
        self.save()
        before = self.stored()
        events_before = AuditEvent.objects.count()
        bad = grid(women="9", men="-1", other="lots")
        bad["1-M2"] = {"": {"numerator": "5", "denominator": "4"}}
        bad["9-M9"] = {"": {"number": "1"}}
        with self.assertRaises(InvalidSubmission) as caught:
            self.save(values=bad, actions={"1": {"status": "finished", "percent_complete": "140"}})
        errors = [(e.code, e.metric, e.combination, e.part) for e in caught.exception.errors]
        assert errors == [
            ("unknown-metric", "9-M9", "", "number"),
            ("negative-count", "1-M1", "sex=men", "number"),
            ("not-a-number", "1-M1", "sex=other", "number"),
            ("numerator-exceeds-denominator", "1-M2", "", "numerator"),
            ("bad-status", "1", "", "status"),
            ("percent-out-of-range", "1", "", "percent_complete"),
        ]
        assert caught.exception.code == "invalid-values"
        assert caught.exception.message == "6 value(s) need correcting; nothing was saved."
        assert self.stored() == before  # women is still 3, not 9
        assert ActionUpdate.objects.get().status == "on_track"
        assert self.submission().lock_version == 1
        assert AuditEvent.objects.count() == events_before

    def test_a_save_on_a_stale_version_is_refused_and_saves_nothing(self):
        opened = self.submission()  # Fatima opens the page at version 0...
        self.save(values=grid(women="3"))  # ...and meanwhile the page is saved from elsewhere
        events_before = AuditEvent.objects.count()
        with self.assertRaises(Conflict) as caught:
            services.save_submission(
                submission=opened,
                values=grid(women="9"),
                actions=ACTIONS,
                lock_version=opened.lock_version,
                actor=self.w.fatima,
            )
        assert caught.exception.code == "stale-submission"
        assert "Nothing of yours was saved: reload" in caught.exception.message
        assert self.stored()[("1-M1", "sex=women")] == Decimal(3)
        assert self.submission().lock_version == 1
        assert AuditEvent.objects.count() == events_before

    def test_only_the_units_focal_point_can_save(self):
        for persona in ("ravi", "vera", "oscar", "cora", "alice"):
            with self.assertRaises(NotAllowed, msg=persona) as caught:
                self.save(actor=getattr(self.w, persona))
            assert caught.exception.code == "cannot-edit"
        with self.assertRaises(NotAllowed):  # Fatima's role is on CBP, not ICE
            self.save(values={}, actions={}, submission=self.submission("DHS-ICE"))
        assert Value.objects.count() == 0 and ActionUpdate.objects.count() == 0

    # -- submitting ----------------------------------------------------------------------------
    def test_submitting_an_incomplete_draft_lists_what_is_missing(self):
        self.save(values=grid(other=""), actions={"1": {"percent_complete": "10"}})
        with self.assertRaises(InvalidSubmission) as caught:
            self.submit()
        problems = [(e.code, e.metric, e.combination) for e in caught.exception.errors]
        assert problems == [
            ("missing-value", "1-M1", "sex=other"),
            ("missing-status", "1", ""),
        ]
        messages = [e.message for e in caught.exception.errors]
        assert messages == ["Give a value for Other (or 0).", "Give the status of action 1."]
        assert self.submission().state == "draft"

    def test_submitting_an_empty_draft_lists_every_cell_and_action(self):
        with self.assertRaises(InvalidSubmission) as caught:
            self.submit()
        problems = [(e.code, e.metric, e.combination) for e in caught.exception.errors]
        assert problems == [
            ("missing-value", "1-M1", "sex=women"),
            ("missing-value", "1-M1", "sex=men"),
            ("missing-value", "1-M1", "sex=other"),
            ("missing-value", "1-M2", ""),
            ("missing-status", "1", ""),
        ]
        assert caught.exception.errors[3].message == "Give a value for the total (or 0)."

    def test_a_complete_draft_submits(self):
        self.save()
        submission = self.submit()
        submission.refresh_from_db()
        assert submission.state == "submitted"
        assert submission.submitted_by == self.w.fatima and submission.submitted_at is not None
        assert submission.lock_version == 2

    def test_a_large_change_from_the_previous_approved_period_needs_a_comment(self):
        previous_round = services.create_round(
            plan=self.plan, period="FY2025-Q2", due_date=dt.date(2025, 4, 30), actor=self.w.cora
        )
        services.open_round(reporting_round=previous_round, actor=self.w.cora)
        previous = self.submission(reporting_round=previous_round)
        self.save(values=grid(women="10", men="10", other="0"), submission=previous)
        self.submit(submission=previous)
        services.approve_submission(submission=previous, actor=self.w.ravi)

        self.save(values=grid(women="30", men="10", other="0"))  # a warning does not stop a save
        with self.assertRaises(InvalidSubmission) as caught:
            self.submit()
        [problem] = caught.exception.errors
        assert (problem.code, problem.metric, problem.combination, problem.part) == (
            "large-change",
            "1-M1",
            "sex=women",
            "comment",
        )
        assert "moved more than 50%" in problem.message
        assert "say why in the comment" in problem.message

        self.save(values=grid(women="30", men="10", other="0", comment="New recruitment drive"))
        assert self.submit().state == "submitted"

    def test_a_change_against_a_previous_period_not_yet_approved_needs_no_comment(self):
        previous_round = services.create_round(
            plan=self.plan, period="FY2025-Q2", due_date=dt.date(2025, 4, 30), actor=self.w.cora
        )
        services.open_round(reporting_round=previous_round, actor=self.w.cora)
        previous = self.submission(reporting_round=previous_round)
        self.save(values=grid(women="10", men="10", other="0"), submission=previous)
        self.submit(submission=previous)  # submitted, never approved
        self.save(values=grid(women="30", men="10", other="0"))
        assert self.submit().state == "submitted"

    def test_the_large_change_message_shows_the_figures_as_people_wrote_them(self):
        previous_round = services.create_round(
            plan=self.plan, period="FY2025-Q2", due_date=dt.date(2025, 4, 30), actor=self.w.cora
        )
        services.open_round(reporting_round=previous_round, actor=self.w.cora)
        previous = self.submission(reporting_round=previous_round)
        self.save(values=grid(women="10", men="10", other="0"), submission=previous)
        self.submit(submission=previous)
        services.approve_submission(submission=previous, actor=self.w.ravi)
        self.save(values=grid(women="30", men="10", other="0"))
        with self.assertRaises(InvalidSubmission) as caught:
            self.submit()
        assert "from 20 to 40" in caught.exception.errors[0].message

    # -- returning -----------------------------------------------------------------------------
    def test_returning_needs_a_comment(self):
        self.save()
        self.submit()
        with self.assertRaises(ServiceError) as caught:
            services.return_submission(submission=self.submission(), actor=self.w.ravi, comment=" ")
        assert (caught.exception.code, caught.exception.field) == ("comment-required", "comment")
        assert self.submission().state == "submitted"
        assert SubmissionComment.objects.count() == 0

    def test_returning_adds_the_comment_to_the_thread_and_returns_it(self):
        self.save()
        self.submit()
        services.return_submission(
            submission=self.submission(), actor=self.w.ravi, comment=" Women looks low. "
        )
        submission = self.submission()
        assert submission.state == "returned"
        comment = SubmissionComment.objects.get(submission=submission)
        assert (comment.author, comment.text) == (self.w.ravi, "Women looks low.")

    def test_a_change_after_submission_needs_a_reason(self):
        self.save()
        self.submit()
        services.return_submission(
            submission=self.submission(), actor=self.w.ravi, comment="Recount."
        )
        with self.assertRaises(ServiceError) as caught:
            self.save(values=grid(women="9"), reason="")
        assert caught.exception.code == "reason-required"
        self.save(values=grid(women="9"), reason="recounted the register")
        event = AuditEvent.objects.filter(action="value.set").latest("id")
        assert event.reason == "recounted the register"

    def test_a_save_after_return_puts_it_back_to_draft(self):
        self.save()
        self.submit()
        services.return_submission(
            submission=self.submission(), actor=self.w.ravi, comment="Women looks low."
        )
        submission = self.save(values=grid(women="13"))
        assert self.submission().state == "draft" == submission.state
        assert self.stored()[("1-M1", "sex=women")] == Decimal(13)

    def test_only_a_reviewer_or_coordinator_returns_a_submission(self):
        self.save()
        self.submit()
        for persona in ("fatima", "vera", "oscar", "alice"):
            with self.assertRaises(NotAllowed, msg=persona):
                services.return_submission(
                    submission=self.submission(), actor=getattr(self.w, persona), comment="No."
                )
        services.return_submission(submission=self.submission(), actor=self.w.cora, comment="No.")
        assert self.submission().state == "returned"

    # -- approving, reopening, closing ---------------------------------------------------------
    def test_nobody_approves_their_own_submission(self):
        # One role per unit: Fatima reviews CBP through DHS, above it.
        Membership.objects.create(user=self.w.fatima, unit=self.w.dhs, role=Role.REVIEWER)
        access.forget_memberships(self.w.fatima)
        self.save()
        self.submit()
        with self.assertRaises(NotAllowed) as caught:
            services.approve_submission(submission=self.submission(), actor=self.w.fatima)
        assert caught.exception.code == "own-submission"
        assert "someone else must decide on it" in caught.exception.message
        assert self.submission().state == "submitted"

    def test_the_reviewer_approves_and_the_approved_data_is_locked(self):
        self.save()
        self.submit()
        services.approve_submission(submission=self.submission(), actor=self.w.ravi)
        submission = self.submission()
        assert submission.state == "approved"
        assert submission.approved_by == self.w.ravi and submission.approved_at is not None
        with self.assertRaises(NotAllowed) as caught:
            self.save(values=grid(women="99"))
        assert caught.exception.code == "cannot-edit"
        assert self.stored()[("1-M1", "sex=women")] == Decimal(3)

    def test_a_draft_cannot_be_approved(self):
        self.save()
        with self.assertRaises(Conflict) as caught:
            services.approve_submission(submission=self.submission(), actor=self.w.ravi)
        assert caught.exception.code == "not-submitted"
        assert self.submission().state == "draft"

    def test_the_coordinator_reopens_an_approved_submission_with_a_reason(self):
        self.save()
        self.submit()
        services.approve_submission(submission=self.submission(), actor=self.w.ravi)
        with self.assertRaises(ServiceError) as caught:
            services.reopen_submission(submission=self.submission(), actor=self.w.cora, reason="")
        assert (caught.exception.code, caught.exception.field) == ("reason-required", "reason")
        assert self.submission().state == "approved"

        services.reopen_submission(
            submission=self.submission(), actor=self.w.cora, reason="CBP found a double count"
        )
        submission = self.submission()
        assert submission.state == "draft"
        assert submission.approved_by is None and submission.approved_at is None
        self.save(values=grid(women="2"))  # the focal point can correct it again
        assert self.stored()[("1-M1", "sex=women")] == Decimal(2)

    def test_only_the_plans_coordinators_reopen(self):
        self.save()
        self.submit()
        services.approve_submission(submission=self.submission(), actor=self.w.ravi)
        for persona in ("ravi", "fatima", "alice", "vera"):
            with self.assertRaises(NotAllowed, msg=persona):
                services.reopen_submission(
                    submission=self.submission(), actor=getattr(self.w, persona), reason="why not"
                )
        assert self.submission().state == "approved"

    def test_closing_the_round_freezes_its_submissions(self):
        self.save()
        self.submit()
        services.approve_submission(submission=self.submission(), actor=self.w.ravi)
        services.close_round(reporting_round=self.round, actor=self.w.cora)
        self.round.refresh_from_db()
        assert self.round.state == "closed" and self.round.closed_at is not None
        with self.assertRaises(NotAllowed):
            self.save(submission=self.submission("DHS-ICE"), values={}, actions={})
        with self.assertRaises(Conflict) as caught:
            services.reopen_submission(
                submission=self.submission(), actor=self.w.cora, reason="late correction"
            )
        assert caught.exception.code == "round-not-open"
        assert self.submission().state == "approved"
        with self.assertRaises(Conflict):
            services.close_round(reporting_round=self.round, actor=self.w.cora)

    def test_a_draft_of_a_closed_round_cannot_be_saved(self):
        services.close_round(reporting_round=self.round, actor=self.w.cora)
        with self.assertRaises(NotAllowed) as caught:
            self.save()
        assert caught.exception.code == "cannot-edit"
        assert Value.objects.count() == 0

    def test_a_closed_round_refuses_approving_or_returning_what_was_left_submitted(self):
        self.save()
        self.submit()
        services.close_round(reporting_round=self.round, actor=self.w.cora)
        with self.assertRaises(Conflict) as returned:
            services.return_submission(
                submission=self.submission(), actor=self.w.ravi, comment="Too late."
            )
        with self.assertRaises(Conflict) as approved:
            services.approve_submission(submission=self.submission(), actor=self.w.ravi)
        assert returned.exception.code == approved.exception.code == "round-not-open"
        assert self.submission().state == "submitted"

    def test_only_the_plans_coordinators_close_a_round(self):
        with self.assertRaises(NotAllowed):
            services.close_round(reporting_round=self.round, actor=self.w.ravi)
        self.round.refresh_from_db()
        assert self.round.state == "open"

    # -- audit and email -----------------------------------------------------------------------
    def test_every_transition_is_audited_with_old_and_new_state_and_the_actor(self):
        self.save()
        self.submit()
        services.return_submission(
            submission=self.submission(), actor=self.w.ravi, comment="Women looks low."
        )
        self.save(values=grid(women="13"))
        self.submit()
        services.approve_submission(submission=self.submission(), actor=self.w.ravi)
        services.reopen_submission(
            submission=self.submission(), actor=self.w.cora, reason="double count"
        )
        assert self.state_events(self.submission()) == [
            (self.w.fatima, ["draft", "submitted"], ""),
            (self.w.ravi, ["submitted", "returned"], "Women looks low."),
            (self.w.fatima, ["returned", "draft"], ""),
            (self.w.fatima, ["draft", "submitted"], ""),
            (self.w.ravi, ["submitted", "approved"], "Review by DHS-CBP"),
            (self.w.cora, ["approved", "draft"], "double count"),
        ]
        labels = set(
            AuditEvent.objects.filter(action="submission.state").values_list(
                "actor_label", flat=True
            )
        )
        assert labels == {"fatima@example.org", "ravi@example.org", "cora@example.org"}

    def test_submitting_emails_the_reviewers(self):
        self.save()
        with self.captureOnCommitCallbacks(execute=True):
            self.submit()
        [message] = mail.outbox
        assert message.to == ["ravi@example.org"]
        assert message.subject == "DHS-CBP submitted tiny FY2025-Q3"
        assert f"/rounds/{self.round.pk}/units/DHS-CBP" in message.body

    def test_returning_emails_the_focal_point_with_the_comment(self):
        self.save()
        self.submit()
        with self.captureOnCommitCallbacks(execute=True):
            services.return_submission(
                submission=self.submission(), actor=self.w.ravi, comment="Women looks low."
            )
        [message] = mail.outbox
        assert message.to == ["fatima@example.org"]
        assert message.subject == "tiny FY2025-Q3 returned to DHS-CBP"
        assert "Women looks low." in message.body

    def test_approving_emails_the_focal_point(self):
        self.save()
        self.submit()
        with self.captureOnCommitCallbacks(execute=True):
            services.approve_submission(submission=self.submission(), actor=self.w.ravi)
        [message] = mail.outbox
        assert message.to == ["fatima@example.org"]
        assert message.subject == "tiny FY2025-Q3 approved for DHS-CBP"

    def test_a_refused_submit_sends_no_email(self):
        with self.captureOnCommitCallbacks(execute=True), self.assertRaises(InvalidSubmission):
            self.submit()
        assert mail.outbox == []


# -- two database connections ------------------------------------------------------------------
def open_tiny_round():
    personas = make_personas()
    plan = load_tiny_plan()
    reporting_round = services.create_round(
        plan=plan, period="FY2025-Q3", due_date=Q3_DUE, actor=personas.cora
    )
    services.open_round(reporting_round=reporting_round, actor=personas.cora)
    return personas, reporting_round.submissions.get(unit__code="DHS-CBP")


class OwnConnection(threading.Thread):
    """Runs ``work`` in its own thread, so on its own database connection; keeps its outcome."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work, self.result, self.error = work, None, None

    def run(self):
        try:
            self.result = self.work()
        except Exception as error:  # the test asserts on it
            self.error = error
        finally:
            connection.close()

    def finish(self):
        self.join(timeout=30)
        assert not self.is_alive(), "the thread did not finish"
        return self


def save_as(fatima, submission, lock_version, women):
    return lambda: services.save_submission(
        submission=submission,
        values=grid(women=women),
        actions=ACTIONS,
        lock_version=lock_version,
        actor=fatima,
    )


@pytest.mark.django_db(transaction=True)
def test_it_refuses_the_second_of_two_saves_from_the_same_version_on_another_connection():
    personas, submission = open_tiny_round()
    # Two people open the same page: both forms carry version 0.
    first_copy = Submission.objects.get(pk=submission.pk)
    second_copy = Submission.objects.get(pk=submission.pk)
    first = OwnConnection(save_as(personas.fatima, first_copy, 0, "3"))
    first.start()
    assert first.finish().error is None
    second = OwnConnection(save_as(personas.fatima, second_copy, 0, "9"))
    second.start()
    assert isinstance(second.finish().error, Conflict)
    assert second.error.code == "stale-submission"
    assert Value.objects.get(combination="sex=women").number == 3
    assert Submission.objects.get(pk=submission.pk).lock_version == 1


def waiting_on_a_lock():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database cannot hold a row lock across connections",
)
@pytest.mark.django_db(transaction=True)
def test_a_save_waiting_on_another_save_in_progress_gets_the_conflict():
    personas, submission = open_tiny_round()
    first_saved, first_may_commit = threading.Event(), threading.Event()

    def first_save_held_open():
        with transaction.atomic():
            save_as(personas.fatima, Submission.objects.get(pk=submission.pk), 0, "3")()
            first_saved.set()
            assert first_may_commit.wait(timeout=30)

    first = OwnConnection(first_save_held_open)
    first.start()
    assert first_saved.wait(timeout=30)
    second = OwnConnection(
        save_as(personas.fatima, Submission.objects.get(pk=submission.pk), 0, "9")
    )
    second.start()
    deadline = time.monotonic() + 20
    while not waiting_on_a_lock():  # the second save is queued behind the first's row lock
        assert time.monotonic() < deadline, "the second save never waited for the first"
        time.sleep(0.02)
    first_may_commit.set()
    assert first.finish().error is None
    assert isinstance(second.finish().error, Conflict)
    assert second.error.code == "stale-submission"
    assert Value.objects.get(combination="sex=women").number == 3
