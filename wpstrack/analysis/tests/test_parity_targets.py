"""Targets per category: each part of a metric with its own targets (``for:``) is judged against
its own path, the metric's status follows its parts by the plan's roll-up, and metrics without
them are judged as before."""

import datetime as dt
from decimal import Decimal

from wpstrack.analysis import status as rules
from wpstrack.analysis.models import MetricStatus
from wpstrack.frameworks.models import Category, DisaggregationSet, Plan
from wpstrack.frameworks.services import load_plan_document
from wpstrack.reporting import services
from wpstrack.testing import PersonasTestCase, plan_action, plan_document, plan_metric

MC = "personnel-category=military-contingent"
IPO = "personnel-category=individual-police-officer"
UGPS_TARGETS = [
    {"value": 8, "period": "2021", "at": "FY2021", "for": MC},
    {"value": 12, "period": "2025", "at": "FY2025", "for": MC},
    {"value": 30, "period": "2028", "at": "FY2028", "for": IPO},
]
UGPS = plan_metric(
    "1-M1", "percentage", ["personnel-category"], frequency="annual", targets=UGPS_TARGETS
)


def make_personnel_categories():
    personnel = DisaggregationSet.objects.create(key="personnel-category", name="Personnel")
    for position, (key, label) in enumerate(
        [("military-contingent", "Military contingent"), ("individual-police-officer", "IPO")]
    ):
        Category.objects.create(
            disaggregation_set=personnel, key=key, label=label, position=position
        )


class PartsTestCase(PersonasTestCase):
    """The tiny plan: CBP reports the share of women per category, Cora approves."""

    metric = UGPS
    rollup = {"tolerance": 0.1, "rollup": "worst", "rollup_share": 0.25}

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_personnel_categories()
        document = plan_document([plan_action("1", ["DHS-CBP"], [cls.metric])], status=cls.rollup)
        load_plan_document(document, file_name="tiny.yaml", sha256="0" * 64, actor=None)
        cls.plan = Plan.objects.get(slug="tiny")

    def report(self, period, shares):
        """``shares``: combination -> women per 1,000."""
        reporting_round = services.create_round(
            plan=self.plan, period=period, due_date=dt.date(2030, 1, 1), actor=self.w.cora
        )
        services.open_round(reporting_round=reporting_round, actor=self.w.cora)
        submission = reporting_round.submissions.get(unit__code="DHS-CBP")
        cells = {
            combo: {"numerator": str(women), "denominator": "1000", "comment": "x"}
            for combo, women in shares.items()
        }
        services.save_submission(
            submission=submission,
            values={"1-M1": cells},
            actions={"1": {"status": "on_track"}},
            lock_version=submission.lock_version,
            actor=self.w.fatima,
        )
        services.submit_submission(submission=submission, actor=self.w.fatima)
        services.approve_submission(submission=submission, actor=self.w.cora)
        return MetricStatus.objects.get(metric__code="1-M1", period=period, unit__isnull=True)


class PartStatusTests(PartsTestCase):
    def test_a_part_exactly_on_its_path_is_on_track(self):
        row = self.report("FY2021", {MC: 80, IPO: 300})
        assert row.part_status[MC]["status"] == "on_track"
        assert row.part_status[MC]["expected"] == "8"
        assert row.part_status[MC]["value"] == "8"
        assert (row.part_status[MC]["target"], row.part_status[MC]["target_period"]) == (
            "12",
            "FY2025",
        )
        assert row.status == "on_track"

    def test_a_part_behind_by_the_tolerance_of_its_planned_change_is_at_risk(self):
        # 8 -> 12 is a planned change of 4 points; 10% of it is 0.4.
        row = self.report("FY2021", {MC: 76, IPO: 300})
        assert row.part_status[MC]["status"] == "at_risk"
        assert row.status == "at_risk"  # the plan's roll-up: the worst part
        assert row.reason.startswith("1 of 2 with targets on track, 1 at risk, 0 off track.")
        assert "Military contingent: 7.6% against 8% expected by FY2021" in row.reason

    def test_a_part_further_behind_is_off_track(self):
        row = self.report("FY2021", {MC: 75, IPO: 300})
        assert row.part_status[MC]["status"] == "off_track"
        assert row.status == "off_track"

    def test_a_part_short_of_its_target_in_the_targets_year_is_off_track(self):
        row = self.report("FY2025", {MC: 119, IPO: 300})
        assert row.part_status[MC]["status"] == "off_track"
        assert "the target of 12% by FY2025 was not met" in row.part_status[MC]["reason"]

    def test_a_part_meeting_its_target_in_the_targets_year_is_on_track(self):
        row = self.report("FY2025", {MC: 120, IPO: 300})
        assert row.part_status[MC]["status"] == "on_track"
        assert row.part_status[MC]["expected"] == "12"

    def test_after_the_last_target_the_next_target_applies(self):
        row = self.report("FY2026", {MC: 120, IPO: 300})
        assert row.part_status[MC]["target"] == "12"  # no later target: the last one holds
        assert row.part_status[MC]["status"] == "on_track"

    def test_a_part_with_a_target_and_no_path_is_met_or_judged_by_its_move(self):
        row = self.report("FY2021", {MC: 80, IPO: 300})
        assert row.part_status[IPO]["status"] == "on_track"  # 30% met
        assert row.part_status[IPO]["expected"] is None
        row = self.report("FY2022", {MC: 90, IPO: 280})
        assert row.part_status[IPO]["status"] == "off_track"  # 28%, away from 30
        assert "moving away from 30% (was 30%)" in row.part_status[IPO]["reason"]

    def test_the_whole_metric_pools_its_parts_and_keeps_each_parts_share(self):
        row = self.report("FY2021", {MC: 80, IPO: 300})
        assert row.value == Decimal("19")  # 380 of 2,000
        assert row.parts == {MC: "8", IPO: "30"}
        assert row.part_status[IPO]["numerator"] == "300"
        assert row.part_status[IPO]["denominator"] == "1000"


class ShareRollupTests(PartsTestCase):
    rollup = {"tolerance": 0.1, "rollup": "share", "rollup_share": 0.5}

    def test_with_the_share_rule_one_part_of_two_off_track_is_not_enough(self):
        row = self.report("FY2021", {MC: 50, IPO: 300})
        assert row.part_status[MC]["status"] == "off_track"
        assert row.status == "on_track"  # 1 of 2 off track is not more than half


class WholeAndPartsTests(PartsTestCase):
    metric = {
        **UGPS,
        "targets": [*UGPS_TARGETS, {"value": 50, "period": "2021", "at": "FY2021"}],
    }

    def test_a_target_for_the_whole_metric_counts_as_one_more_item(self):
        row = self.report("FY2021", {MC: 80, IPO: 300})
        assert {p["status"] for p in row.part_status.values()} == {"on_track"}
        assert row.status == "off_track"  # 19% overall against 50%
        assert "All categories: 19% in FY2021: the target of 50%" in row.reason


def test_combine_parts_quotes_the_most_telling_part():
    on = rules.Assessment(rules.Status.ON_TRACK, "fine.")
    risk = rules.Assessment(rules.Status.AT_RISK, "behind.")
    none = rules.Assessment(rules.Status.NO_DATA, "nothing.")
    combined = rules.combine_parts({"a": on, "b": risk, "c": none}, None, labels={"b": "Bee"})
    assert combined.status == rules.Status.AT_RISK
    assert combined.reason == (
        "1 of 3 with targets on track, 1 at risk, 0 off track, 1 not assessed. Bee: behind."
    )
    assert rules.combine_parts({"c": none}, None).status == rules.Status.NO_DATA


class PageTests(PartsTestCase):
    def setUp(self):
        self.report("FY2021", {MC: 52, IPO: 290})
        self.report("FY2022", {MC: 61, IPO: 305})
        self.client.force_login(self.w.vera)

    def test_the_metric_page_shows_each_category_against_its_target(self):
        page = self.client.get("/plans/tiny/metrics/1-M1")
        self.assertContains(page, "By category, against its own target")
        # Two periods, and two targets with their words and sources.
        self.assertContains(page, "<td>Military contingent</td>", count=4)
        self.assertContains(page, "12 by FY2025")
        self.assertContains(page, "30 by FY2028")
        self.assertContains(page, "6.1% against 9% expected by FY2022 on the way to 12% by FY2025")
        data = self.client.get("/plans/tiny/metrics/1-M1.json").json()
        latest = [f for f in data["by_category"]["figures"] if f["period"] == "FY2022"]
        troops = next(f for f in latest if f["category"] == MC)
        assert (troops["value"], troops["target"], troops["status"]) == ("6.1", "12", "off_track")
        assert troops["expected"] == "8.9993"  # 8 by FY2021 to 12 by FY2025, a year on
        assert troops["people_needed"] == 59  # 12% of 1,000 is 120; 61 now
        assert [(t["label"], t["value"], t["at"]) for t in data["by_category"]["targets"]] == [
            ("Military contingent", 8, "FY2021"),
            ("Military contingent", 12, "FY2025"),
            ("IPO", 30, "FY2028"),
        ]

    def test_the_chart_draws_a_target_path_per_category(self):
        data = self.client.get("/plans/tiny/metrics/1-M1.json").json()
        assert data["charts"]["breakdown"] == "/plans/tiny/metrics/1-M1/breakdown.svg"
        svg = self.client.get(data["charts"]["breakdown"])
        assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
        text = svg.content.decode()
        assert "Target path" in text and "Military contingent" in text and "FY2028" in text

    def test_the_chart_spec_is_valid_vega_lite_with_the_path_to_each_target(self):
        from wpstrack.analysis.charts import against_targets
        from wpstrack.frameworks.models import Metric

        chart = against_targets(self.plan, Metric.objects.get(code="1-M1"))
        paths = {
            (row["category"], row["period"]): row["value"]
            for row in chart.spec["data"]["values"]
            if row["series"] == "Target path"
        }
        assert paths[("Military contingent", "FY2021")] == 8
        assert paths[("Military contingent", "FY2025")] == 12
        assert paths[("IPO", "FY2028")] == 30 and ("IPO", "FY2022") not in paths
        assert chart.table.rows[0][0] == "FY2021" and chart.table.rows[-1][0] == "FY2028"

    def test_the_scorecard_counts_the_status_that_follows_the_parts(self):
        data = self.client.get("/plans/tiny/scorecard.json").json()
        (metric,) = data["elements"][0]["metrics"]
        assert metric["status"] == "off_track"
        counts = {c["status"]: c["count"] for c in data["counts"]}
        assert counts["off_track"] == 1
