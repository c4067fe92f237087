"""The generated demo history: a small slice of it (two DHS quarters and one DPO year), made by
the real services, checked as a reviewer would check reported data."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

from django.test import TestCase
from django.utils import timezone

from wpstrack.accounts import demo_history
from wpstrack.accounts.demo import load_demo
from wpstrack.accounts.models import User
from wpstrack.audit.models import AuditEvent
from wpstrack.lib.periods import Period
from wpstrack.reporting import approval, entry
from wpstrack.reporting.models import (
    ActionUpdate,
    Approval,
    Reminder,
    ReportingRound,
    Submission,
    SubmissionComment,
    Value,
)
from wpstrack.reporting.rules import TOTAL

SLICE = {
    "dhs-wps-2024": ["FY2024-Q3", "FY2024-Q4"],
    "dpo-gender-policy-2024": ["FY2023"],
}


class DemoHistoryTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.loaded = load_demo(periods=SLICE)
        cls.report = cls.loaded.history
        cls.rounds = ReportingRound.objects.filter(generated=True)
        cls.submissions = Submission.objects.filter(reporting_round__generated=True)

    def test_it_makes_closed_rounds_of_approved_reports_for_the_periods_asked(self):
        made = {(r.plan.slug, r.period) for r in self.rounds.select_related("plan")}
        assert made == {(slug, period) for slug, periods in SLICE.items() for period in periods}
        assert set(self.rounds.values_list("state", flat=True)) == {"closed"}
        assert self.submissions.count() == self.report.submissions > 20
        assert set(self.submissions.values_list("state", flat=True)) == {"approved"}
        # Every unit the round assigned reported: one approved report per unit.
        for reporting_round in self.rounds:
            units = set(reporting_round.assignments.values_list("unit", flat=True))
            assert units == set(reporting_round.submissions.values_list("unit", flat=True))

    def test_plans_built_together_are_the_plans_built_one_by_one(self):
        """A roster run or a workbook builds every unit's plan at once: each unit gets the
        previous figures and history it gets alone, in six queries however many units."""
        current = ReportingRound.objects.get(plan__slug="dhs-wps-2024", period="FY2025-Q3")
        submissions = list(current.submissions.select_related("unit", "reporting_round__plan"))
        with self.assertNumQueries(6):
            together = entry.EntryPlan.for_submissions(submissions)

        def shown(plan):
            items = [(i.code, i.combos, i.labels, i.previous, i.history) for i in plan.metrics]
            return items, plan.actions, plan.rules

        for submission in submissions:
            assert shown(together[submission.pk]) == shown(
                entry.EntryPlan.for_submission(submission)
            )
        metrics = [item for plan in together.values() for item in plan.metrics]
        assert len(submissions) > 3 and any(item.history for item in metrics)
        assert any(item.previous for item in metrics)

    def test_the_open_demo_round_is_left_alone(self):
        current = ReportingRound.objects.get(plan__slug="dhs-wps-2024", period="FY2025-Q3")
        assert current.state == "open" and not current.generated
        assert set(current.submissions.values_list("state", flat=True)) == {"draft"}
        assert not Reminder.objects.filter(submission__reporting_round=current).exists()
        assert not Value.objects.filter(submission__reporting_round=current).exists()

    def test_every_report_has_its_submitter_approvers_and_audit_rows(self):
        for submission in self.submissions.select_related("unit", "reporting_round__plan"):
            assert submission.submitted_by is not None and submission.approved_by is not None
            assert submission.submitted_by != submission.approved_by
            steps = approval.steps_for(submission)
            approvals = list(submission.approvals.filter(current=True).order_by("step"))
            assert [a.step for a in approvals] == list(range(len(steps)))
            assert len({a.approver_id for a in approvals}) == len(steps)  # nobody twice
            assert approvals[-1].approver == submission.approved_by
            states = [
                tuple(e.changes["state"])
                for e in AuditEvent.objects.for_object(submission)
                .filter(action="submission.state")
                .order_by("created_at", "id")
            ]
            assert states[0] == ("draft", "submitted") and states[-1] == ("submitted", "approved")
            audited = set(
                AuditEvent.objects.filter(
                    action__in=["value.set", "action_update.set"], unit=submission.unit
                ).values_list("object_type", "object_id")
            )
            rows = {
                ("reporting.value", str(pk))
                for pk in submission.values.values_list("pk", flat=True)
            }
            rows |= {
                ("reporting.actionupdate", str(pk))
                for pk in submission.action_updates.values_list("pk", flat=True)
            }
            assert rows and rows <= audited
        for reporting_round in self.rounds:
            actions = set(
                AuditEvent.objects.for_object(reporting_round).values_list("action", flat=True)
            )
            assert {"round.create", "round.generated", "round.open", "round.close"} <= actions

    def test_the_people_are_the_demo_focal_points_and_reviewers(self):
        ice = User.objects.get(email="reviewer.ice@example.org")
        ero = self.submissions.filter(unit__code="DHS-ICE-ERO")
        assert ero.exists()
        for submission in ero:
            assert submission.submitted_by.email == "focal.ero@example.org"
            assert submission.approvals.filter(current=True, step=1, approver=ice).exists()
            assert submission.approved_by.email == "coordinator@example.org"
        mission = self.submissions.filter(unit__code="UNMISS-HR").get()
        approvers = [
            a.approver.email for a in mission.approvals.filter(current=True).order_by("step")
        ]
        assert approvers == [
            "reviewer.unmiss-hr@example.org",
            "reviewer.unmiss@example.org",
            "coordinator.dpo@example.org",
        ]

    def test_counts_add_up_and_shares_are_shares(self):
        checked = 0
        for submission in self.submissions.select_related("unit", "reporting_round__plan"):
            plan = entry.EntryPlan.for_submission(submission)
            slot = demo_history.slot_of(submission)
            stored = {(v.metric.code, v.combination): v for v in submission.values.all()}
            for item in plan.metrics:
                typed = demo_history.figures(item, slot)
                if item.definition.type == "count" and item.combos != [TOTAL]:
                    parts = [stored[(item.code, c)].number for c in item.combos]
                    assert all(p == p.to_integral_value() and p >= 0 for p in parts)
                    assert sum(parts) == Decimal(typed[TOTAL]["number"])  # parts = total
                    assert (item.code, TOTAL) not in stored  # the total is derived, not kept
                    checked += 1
                if item.definition.type == "percentage":
                    for combo in item.combos:  # [TOTAL] unless broken down
                        value = stored[(item.code, combo)]
                        assert 0 <= value.number <= 100
                        if value.denominator is not None:
                            assert 0 <= value.numerator <= value.denominator
        assert checked > 10

    def test_the_ugps_metric_is_reported_per_category_and_judged_against_its_targets(self):
        from wpstrack.analysis.models import MetricStatus

        shares = Value.objects.filter(
            metric__code="17-M1", submission__reporting_round__generated=True
        )
        assert set(shares.values_list("submission__unit__code", flat=True)) == {"UN-DPO-GU"}
        troops = shares.get(combination="personnel-category=military-contingent")
        assert 5 <= troops.number <= 9 and troops.denominator > 50_000
        row = MetricStatus.objects.get(metric__code="17-M1", period="FY2023", unit__isnull=True)
        assert set(row.part_status) == {
            "personnel-category=military-contingent",
            "personnel-category=staff-officer",
            "personnel-category=formed-police-unit",
            "personnel-category=individual-police-officer",
        }  # justice and corrections: no confirmed target, so shown and not judged
        assert row.part_status["personnel-category=military-contingent"]["target"] == "12"
        assert row.status == "off_track"  # troops are short of their path
        # 30x30: DHS's share of women in law enforcement is judged against 30% by FY2030.
        thirty = MetricStatus.objects.get(
            metric__code="1.1-A2-M1", period="FY2024-Q4", unit__isnull=True
        )
        assert "30% by FY2030" in thirty.reason

    def test_some_reports_were_late_and_some_returned_once_then_approved(self):
        late = [
            s
            for s in self.submissions.select_related("reporting_round")
            if s.submitted_at.date() > s.reporting_round.due_date
        ]
        assert late and len(late) == self.report.late
        returned = AuditEvent.objects.filter(
            action="submission.state", changes__state=["submitted", "returned"]
        )
        assert returned.count() == self.report.returned > 0
        for event in returned:
            submission = self.submissions.get(pk=event.object_id)
            assert submission.state == "approved" and submission.approved_at > event.created_at
            comment = SubmissionComment.objects.get(submission=submission)
            assert comment.author_id == event.actor_id and comment.text == event.reason
            # The focal point's correction gives its reason.
            assert (
                AuditEvent.objects.for_object(submission)
                .filter(action="submission.save", created_at__gt=event.created_at)
                .exclude(reason="")
            )
        after = Reminder.objects.filter(submission__in=late, kind=Reminder.AFTER)
        assert after.exists()  # those still late a week after the due date were reminded

    def test_dates_are_historical_and_in_order(self):
        for submission in self.submissions.select_related("reporting_round"):
            reporting_round = submission.reporting_round
            assert reporting_round.opened_at.date() < reporting_round.period_end
            assert (
                reporting_round.opened_at
                < submission.submitted_at
                < submission.approved_at
                < reporting_round.closed_at
            )
            assert submission.submitted_at.weekday() < 5
            events = AuditEvent.objects.for_object(submission)
            assert max(e.created_at for e in events) < reporting_round.closed_at
        assert self.rounds.order_by("-closed_at").first().closed_at.year < 2026
        # The clock is Django's again.
        assert abs(timezone.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)

    def test_actions_get_updates_with_narratives(self):
        updates = ActionUpdate.objects.filter(submission__reporting_round__generated=True)
        assert updates.count() == self.report.action_updates > 50
        assert not updates.filter(narrative="").exists()
        assert {"on_track", "completed", "delayed"} <= set(updates.values_list("status", flat=True))
        assert updates.filter(status="on_track").exclude(evidence_links=[]).exists()

    def test_running_it_again_adds_nothing(self):
        counts = (
            ReportingRound.objects.count(),
            Submission.objects.count(),
            Value.objects.count(),
            ActionUpdate.objects.count(),
            Approval.objects.count(),
            AuditEvent.objects.count(),
            User.objects.count(),
        )
        again = load_demo(periods=SLICE)
        assert again.history.rounds == []
        assert counts == (
            ReportingRound.objects.count(),
            Submission.objects.count(),
            Value.objects.count(),
            ActionUpdate.objects.count(),
            Approval.objects.count(),
            AuditEvent.objects.count(),
            User.objects.count(),
        )

    def test_every_page_says_the_data_is_generated(self):
        assert b"Demo data:" in self.client.get("/login").content
        self.client.force_login(User.objects.get(email="viewer@example.org"))
        for address in ("/", "/rounds"):
            assert b"Demo data:" in self.client.get(address).content


def _item(code, kind):
    return SimpleNamespace(
        code=code, definition=SimpleNamespace(type=kind, scale=[]), combos=[TOTAL]
    )


def _series(code, unit, kind="percentage"):
    """A metric's figures over the whole DHS history, from the model alone (no database)."""
    start = Period.parse("FY2022-Q1", 10)
    figures = []
    for index in range(14):
        period = demo_history._shift(start, index)
        slot = demo_history.Slot(SimpleNamespace(code=unit), period, index, 4)
        cell = demo_history.figures(_item(code, kind), slot)[TOTAL]
        if "numerator" in cell:
            figures.append(100 * int(cell["numerator"]) / int(cell["denominator"]))
        else:
            figures.append(float(cell["number"]))
    return figures


def test_some_metrics_improve_some_stay_flat_and_some_go_the_wrong_way():
    women_in_law_enforcement = _series("1.1-A2-M1", "DHS")  # up, towards 30% by 2030
    assert women_in_law_enforcement[-1] - women_in_law_enforcement[0] > 2
    assert all(15 < f < 30 for f in women_in_law_enforcement)
    attrition = _series("1.2-A1-M2", "DHS-ST")  # should fall, rises
    assert attrition[-1] - attrition[0] > 0.8
    flat = _series("1.2-A3-M1", "DHS-ST")
    assert max(flat) - min(flat) < 1
    fevs = _series("1.2-A2-M2", "DHS-ST", "score")  # one survey a year, falling
    assert fevs[0] == fevs[3] and fevs[-1] < fevs[0]


def test_the_same_slot_always_reports_the_same():
    assert _series("1.1-A2-M3", "DHS") == _series("1.1-A2-M3", "DHS")


def test_a_milestone_is_done_when_its_action_completes():
    done = []
    for index in range(14):
        slot = demo_history.Slot(
            SimpleNamespace(code="DHS-CCGBV"),
            demo_history._shift(Period.parse("FY2022-Q1", 10), index),
            index,
            4,
        )
        cell = demo_history.figures(_item("2.1-A1-M1", "milestone"), slot)[TOTAL]
        update = demo_history.action_update(SimpleNamespace(code="2.1-A1"), slot)
        done.append((cell["done"], update["status"]))
        if cell["done"] == "yes":  # done in FY2023 Q2, as the action's story has it
            assert "2023-01-01" <= cell["done_on"] <= "2023-03-31"
    assert done[4] == ("no", "on_track") and done[5] == ("yes", "completed")
    assert done[-1] == ("yes", "completed")


class DemoCommandHistoryTestCase(TestCase):
    def test_the_command_reports_what_it_made_and_then_that_it_is_there(self):
        from io import StringIO

        from django.core.management import call_command

        one = (
            demo_history.PlanHistory(
                "dhs-wps-2024",
                "FY2022-Q1",
                "FY2022-Q1",
                "coordinator@example.org",
                due_months=1,
                late=(1,),
                returned=(1,),
            ),
        )
        with mock.patch.object(demo_history, "PLANS", one):
            first, second = StringIO(), StringIO()
            call_command("demo", stdout=first)
            call_command("demo", stdout=second)
        assert "Demo history (generated, not reported): 1 closed round, 9 approved" in (
            first.getvalue()
        )
        assert "reviewer.ice@example.org" in first.getvalue()
        assert "Demo history: already there, nothing added." in second.getvalue()
        assert ReportingRound.objects.filter(generated=True).count() == 1


class DemoHistoryRemindersTestCase(TestCase):
    def test_the_reminder_job_never_writes_to_the_open_demo_round(self):
        # With 60 days, FY2025-Q2's late reminder (2025-06-29) would fall in FY2025-Q3's window.
        with self.settings(REMINDER_DAYS=60):
            load_demo(periods={"dhs-wps-2024": ["FY2025-Q2"]})
        current = ReportingRound.objects.get(plan__slug="dhs-wps-2024", period="FY2025-Q3")
        assert not Reminder.objects.filter(submission__reporting_round=current).exists()
        assert Reminder.objects.filter(submission__reporting_round__generated=True).exists()
