"""The round commands: open-round, close-round and send-reminders."""

import datetime as dt
from io import StringIO

from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings

from wpstrack.accounts.models import Membership, Role, User
from wpstrack.audit.models import AuditEvent
from wpstrack.reporting import services
from wpstrack.reporting.models import Reminder, ReportingRound
from wpstrack.reporting.tests.test_services import ACTIONS, grid, load_tiny_plan
from wpstrack.testing import PASSWORD, PersonasTestCase


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


class OpenRoundTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.plan = load_tiny_plan()

    def test_it_prepares_and_opens_a_round(self):
        out = run("open_round", "tiny", "fy2025-q3", "--due", "2025-07-31")
        reporting_round = ReportingRound.objects.get()
        assert out == (
            f"tiny FY2025-Q3: open, due 2025-07-31, 2 unit(s) to report "
            f"(round {reporting_round.pk})\n"
        )
        assert (reporting_round.period, reporting_round.state) == ("FY2025-Q3", "open")
        assert reporting_round.due_date == dt.date(2025, 7, 31)
        units = sorted(reporting_round.submissions.values_list("unit__code", "state"))
        assert units == [("DHS-CBP", "draft"), ("DHS-ICE", "draft")]
        events = AuditEvent.objects.filter(action__startswith="round.").order_by("id")
        assert [e.action for e in events] == ["round.create", "round.open"]
        assert all(e.actor is None for e in events)
        assert all(e.actor_label.startswith("command open-round (") for e in events)

    def test_it_names_an_unknown_plan(self):
        with self.assertRaisesMessage(
            CommandError, "no plan 'nope' (load it with wpstrack load-plans)"
        ):
            run("open_round", "nope", "FY2025-Q3", "--due", "2025-07-31")
        assert ReportingRound.objects.count() == 0

    def test_it_explains_a_bad_period(self):
        with self.assertRaisesMessage(
            CommandError,
            "bad-period: '2025-Q3' is not a period: write FY2025 for a fiscal year or FY2025-Q3 "
            "for a quarter",
        ):
            run("open_round", "tiny", "2025-Q3", "--due", "2025-07-31")
        assert ReportingRound.objects.count() == 0

    def test_it_explains_a_bad_due_date(self):
        with self.assertRaisesMessage(
            CommandError, "--due '31/07/2025' is not a date: write YYYY-MM-DD"
        ):
            run("open_round", "tiny", "FY2025-Q3", "--due", "31/07/2025")
        assert ReportingRound.objects.count() == 0

    def test_it_refuses_a_due_date_before_the_period(self):
        with self.assertRaisesMessage(CommandError, "due-before-period: The due date 2025-03-31"):
            run("open_round", "tiny", "FY2025-Q3", "--due", "2025-03-31")
        assert ReportingRound.objects.count() == 0

    def test_it_refuses_a_round_that_exists(self):
        run("open_round", "tiny", "FY2025-Q3", "--due", "2025-07-31")
        with self.assertRaisesMessage(
            CommandError, "round-exists: tiny already has a round for FY2025-Q3."
        ):
            run("open_round", "tiny", "FY2025-Q3", "--due", "2025-08-31")
        assert ReportingRound.objects.get().due_date == dt.date(2025, 7, 31)


class CloseRoundTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.plan = load_tiny_plan()
        cls.round = services.create_round(
            plan=cls.plan, period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=cls.w.cora
        )
        services.open_round(reporting_round=cls.round, actor=cls.w.cora)

    def test_it_closes_the_round(self):
        assert run("close_round", "tiny", "fy2025-q3") == "tiny FY2025-Q3: closed\n"
        self.round.refresh_from_db()
        assert self.round.state == "closed" and self.round.closed_at is not None
        event = AuditEvent.objects.get(action="round.close")
        assert event.actor is None and event.actor_label.startswith("command close-round (")
        assert event.changes == {"state": ["open", "closed"]}

    def test_it_names_a_round_that_does_not_exist(self):
        with self.assertRaisesMessage(CommandError, "no round 'FY2030' for plan 'tiny'"):
            run("close_round", "tiny", "FY2030")

    def test_it_refuses_to_close_a_closed_round(self):
        run("close_round", "tiny", "FY2025-Q3")
        with self.assertRaisesMessage(
            CommandError, "round-not-open: Only an open round can be closed."
        ):
            run("close_round", "tiny", "FY2025-Q3")


@override_settings(REMINDER_DAYS=7)
class SendRemindersTestCase(PersonasTestCase):
    """The round is due on 31 July 2025; reminders go 7 days before (24 July) and after (7 August)."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.plan = load_tiny_plan()
        cls.emil = User.objects.create_user(
            email="emil@example.org", password=PASSWORD, full_name="Emil Focal"
        )
        Membership.objects.create(user=cls.emil, unit=cls.w.ice, role=Role.FOCAL_POINT)
        cls.round = services.create_round(
            plan=cls.plan, period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=cls.w.cora
        )
        services.open_round(reporting_round=cls.round, actor=cls.w.cora)

    def remind(self, today, *extra):
        with self.captureOnCommitCallbacks(execute=True):
            return run("send_reminders", "--today", today, *extra)

    def reminders(self):
        return sorted(
            (r.submission.unit.code, r.kind, r.recipients) for r in Reminder.objects.all()
        )

    def test_it_sends_nothing_before_the_reminder_window(self):
        assert self.remind("2025-07-23") == "0 reminder(s) sent\n"
        assert Reminder.objects.count() == 0 and mail.outbox == []

    def test_it_reminds_each_unit_before_the_due_date(self):
        out = self.remind("2025-07-24")
        assert out.splitlines() == [
            "tiny FY2025-Q3 DHS-CBP: before reminder to 1 focal point(s)",
            "tiny FY2025-Q3 DHS-ICE: before reminder to 1 focal point(s)",
            "2 reminder(s) sent",
        ]
        assert self.reminders() == [
            ("DHS-CBP", "before", ["fatima@example.org"]),
            ("DHS-ICE", "before", ["emil@example.org"]),
        ]
        assert sorted(m.to[0] for m in mail.outbox) == ["emil@example.org", "fatima@example.org"]
        [to_fatima] = [m for m in mail.outbox if m.to == ["fatima@example.org"]]
        assert to_fatima.subject == "Due 2025-07-31: tiny FY2025-Q3"
        assert "U.S. Customs and Border Protection" in to_fatima.body
        assert f"/rounds/{self.round.pk}/units/DHS-CBP" in to_fatima.body

    def test_it_sends_the_before_reminder_once(self):
        self.remind("2025-07-24")
        mail.outbox.clear()
        assert self.remind("2025-07-24") == "0 reminder(s) sent\n"
        assert self.remind("2025-07-31") == "0 reminder(s) sent\n"
        assert mail.outbox == []
        assert Reminder.objects.count() == 2

    def test_it_records_each_reminder_in_the_audit_log(self):
        self.remind("2025-07-24")
        cbp = self.round.submissions.get(unit__code="DHS-CBP")
        event = AuditEvent.objects.for_object(cbp).get(action="reminder.before")
        assert (event.actor, event.actor_label) == (None, "command send-reminders")
        assert event.changes == {"recipients": [None, ["fatima@example.org"]]}
        assert event.unit == self.w.cbp
        assert AuditEvent.objects.filter(action__startswith="reminder.").count() == 2

    def test_it_sends_nothing_between_the_due_date_and_the_late_reminder(self):
        self.remind("2025-07-24")
        mail.outbox.clear()
        assert self.remind("2025-08-06") == "0 reminder(s) sent\n"
        assert mail.outbox == []

    def test_it_reminds_again_after_the_due_date_once(self):
        self.remind("2025-07-24")
        mail.outbox.clear()
        out = self.remind("2025-08-07")
        assert "tiny FY2025-Q3 DHS-CBP: after reminder to 1 focal point(s)" in out
        assert "2 reminder(s) sent" in out
        assert [r for r in self.reminders() if r[1] == "after"] == [
            ("DHS-CBP", "after", ["fatima@example.org"]),
            ("DHS-ICE", "after", ["emil@example.org"]),
        ]
        [to_fatima] = [m for m in mail.outbox if m.to == ["fatima@example.org"]]
        assert to_fatima.subject == "Overdue since 2025-07-31: tiny FY2025-Q3"
        assert AuditEvent.objects.filter(action="reminder.after").count() == 2
        mail.outbox.clear()
        assert self.remind("2025-08-20") == "0 reminder(s) sent\n"
        assert mail.outbox == []

    def test_a_submitted_unit_gets_no_reminder(self):
        cbp = self.round.submissions.get(unit__code="DHS-CBP")
        services.save_submission(
            submission=cbp, values=grid(), actions=ACTIONS, lock_version=0, actor=self.w.fatima
        )
        services.submit_submission(submission=cbp, actor=self.w.fatima)
        mail.outbox.clear()
        self.remind("2025-07-24")
        self.remind("2025-08-07")
        assert [r[:2] for r in self.reminders()] == [("DHS-ICE", "after"), ("DHS-ICE", "before")]
        assert {m.to[0] for m in mail.outbox} == {"emil@example.org"}

    def test_a_returned_unit_is_reminded(self):
        cbp = self.round.submissions.get(unit__code="DHS-CBP")
        services.save_submission(
            submission=cbp, values=grid(), actions=ACTIONS, lock_version=0, actor=self.w.fatima
        )
        services.submit_submission(submission=cbp, actor=self.w.fatima)
        services.return_submission(submission=cbp, actor=self.w.ravi, comment="Check women.")
        self.remind("2025-07-24")
        assert ("DHS-CBP", "before", ["fatima@example.org"]) in self.reminders()

    def test_a_closed_round_sends_no_reminders(self):
        services.close_round(reporting_round=self.round, actor=self.w.cora)
        assert self.remind("2025-08-07") == "0 reminder(s) sent\n"
        assert Reminder.objects.count() == 0

    def test_days_overrides_the_setting(self):
        assert self.remind("2025-07-24", "--days", "3") == "0 reminder(s) sent\n"
        assert "2 reminder(s) sent" in self.remind("2025-07-28", "--days", "3")

    @override_settings(REMINDER_DAYS=10)
    def test_it_follows_reminder_days(self):
        assert "2 reminder(s) sent" in self.remind("2025-07-21")

    def test_it_explains_a_bad_today_or_days(self):
        with self.assertRaisesMessage(
            CommandError, "--today '24 July' is not a date: write YYYY-MM-DD"
        ):
            run("send_reminders", "--today", "24 July")
        with self.assertRaisesMessage(CommandError, "--days must be at least 1"):
            run("send_reminders", "--today", "2025-07-24", "--days", "0")
        assert Reminder.objects.count() == 0
