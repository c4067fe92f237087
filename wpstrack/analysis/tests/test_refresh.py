"""Figures and statuses are rebuilt from approved submissions only, per unit and for the plan."""

import datetime as dt
from decimal import Decimal

from wpstrack.accounts.models import Membership, Role, User
from wpstrack.analysis.models import MetricStatus
from wpstrack.analysis.refresh import refresh_plan
from wpstrack.frameworks.models import Plan
from wpstrack.frameworks.services import load_plan_document
from wpstrack.reporting import services
from wpstrack.testing import (
    PASSWORD,
    PersonasTestCase,
    make_sex_categories,
    plan_action,
    plan_document,
    plan_metric,
)

SHARE = plan_metric(
    "1-M1",
    "percentage",
    [],
    direction="increase",
    baselines=[{"value": 20, "period": "FY 2024", "at": "FY2024"}],
    targets=[{"value": 30, "period": "by 2030", "at": "FY2030"}],
)
COUNT = plan_metric("1-M2", "count", ["sex"], direction="increase")
DOCUMENT = plan_document([plan_action("1", ["DHS-CBP", "DHS-ICE"], [SHARE, COUNT])])


class ApprovedFiguresTestCase(PersonasTestCase):
    """The tiny plan with CBP and ICE answering for it, and a way to report and approve."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_sex_categories()
        load_plan_document(DOCUMENT, file_name="tiny.yaml", sha256="0" * 64, actor=None)
        cls.plan = Plan.objects.get(slug="tiny")
        cls.ivan = User.objects.create_user(email="ivan@example.org", password=PASSWORD)
        Membership.objects.create(user=cls.ivan, unit=cls.w.ice, role=Role.FOCAL_POINT)

    def report(self, period, unit, women, total, counts, approve=True, actions=None):
        rnd = self.plan.rounds.filter(period=period).first()
        if rnd is None:
            rnd = services.create_round(
                plan=self.plan, period=period, due_date=dt.date(2030, 1, 1), actor=self.w.cora
            )
            services.open_round(reporting_round=rnd, actor=self.w.cora)
        submission = rnd.submissions.get(unit__code=unit)
        services.save_submission(
            submission=submission,
            values={
                "1-M1": {"": {"numerator": str(women), "denominator": str(total), "comment": "x"}},
                "1-M2": {f"sex={k}": {"number": str(v), "comment": "x"} for k, v in counts.items()},
            },
            actions=actions or {"1": {"status": "on_track"}},
            lock_version=submission.lock_version,
            actor=self.focal(unit),
        )
        if approve:
            services.submit_submission(submission=submission, actor=self.focal(unit))
            services.approve_submission(submission=submission, actor=self.w.cora)
        return submission

    def focal(self, unit):
        return self.w.fatima if unit == "DHS-CBP" else self.ivan

    def status(self, code, period, unit=None):
        return MetricStatus.objects.get(metric__code=code, period=period, unit__code=unit)


class RefreshTests(ApprovedFiguresTestCase):
    def test_an_approval_brings_its_figures_and_statuses_in_at_once(self):
        self.report("FY2025", "DHS-CBP", 22, 100, {"women": 3, "men": 4, "other": 0})
        mine = self.status("1-M1", "FY2025", "DHS-CBP")
        assert mine.value == Decimal(22) and mine.status == "on_track"
        assert "22% against 21.7% expected by FY2025 on the way to 30% by FY2030" in mine.reason
        whole = self.status("1-M1", "FY2025")
        assert whole.value == Decimal(22) and whole.units_reporting == 1

    def test_the_plans_figure_pools_the_units_shares_and_sums_their_counts(self):
        self.report("FY2025", "DHS-CBP", 22, 100, {"women": 3, "men": 4, "other": 0})
        self.report("FY2025", "DHS-ICE", 18, 300, {"women": 5, "men": 5, "other": 1})
        whole = self.status("1-M1", "FY2025")
        assert whole.numerator == 40 and whole.denominator == 400 and whole.value == 10
        assert whole.status == "off_track"  # 10% against 21.7% expected
        count = self.status("1-M2", "FY2025")
        assert count.value == 18 and count.parts == {
            "sex=women": "8",
            "sex=men": "9",
            "sex=other": "1",
        }

    def test_drafts_and_submitted_reports_never_count(self):
        self.report("FY2025", "DHS-CBP", 22, 100, {"women": 3, "men": 4, "other": 0}, approve=False)
        refresh_plan(self.plan)
        assert not MetricStatus.objects.exists()

    def test_without_a_target_the_change_from_the_previous_period_decides(self):
        self.report("FY2024", "DHS-CBP", 20, 100, {"women": 3, "men": 4, "other": 0})
        self.report("FY2025", "DHS-CBP", 21, 100, {"women": 1, "men": 2, "other": 0})
        assert self.status("1-M2", "FY2024", "DHS-CBP").status == "not_assessable"
        assert self.status("1-M2", "FY2025", "DHS-CBP").status == "off_track"  # 7 -> 3

    def test_reopening_an_approved_report_takes_its_figures_out(self):
        submission = self.report("FY2025", "DHS-CBP", 22, 100, {"women": 3, "men": 4, "other": 0})
        services.reopen_submission(submission=submission, actor=self.w.cora, reason="recount")
        assert not MetricStatus.objects.filter(unit__code="DHS-CBP").exists()

    def test_a_new_target_in_the_plan_file_rebuilds_the_statuses_at_once(self):
        self.report("FY2025", "DHS-CBP", 22, 100, {"women": 3, "men": 4, "other": 0})
        assert self.status("1-M1", "FY2025").status == "on_track"
        harder = {**SHARE, "targets": [{"value": 60, "period": "by 2030", "at": "FY2030"}]}
        document = plan_document([plan_action("1", ["DHS-CBP", "DHS-ICE"], [harder, COUNT])])
        load_plan_document(document, file_name="tiny.yaml", sha256="1" * 64, actor=None)
        assert self.status("1-M1", "FY2025").status == "off_track"
