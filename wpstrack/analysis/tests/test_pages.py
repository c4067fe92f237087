"""The scorecard, the metric page and a figure's provenance: approved figures only, filters,
JSON twins, and a path from any figure back to its submission."""

import datetime as dt

from wpstrack.analysis.tests.test_refresh import ApprovedFiguresTestCase

COUNTS = {"women": 3, "men": 4, "other": 0}


class PageTests(ApprovedFiguresTestCase):
    def setUp(self):
        self.report("FY2024", "DHS-CBP", 19, 100, COUNTS)
        self.report("FY2025", "DHS-CBP", 22, 100, {"women": 1, "men": 2, "other": 0})
        self.report("FY2025", "DHS-ICE", 18, 300, COUNTS, approve=False)  # a draft
        self.client.force_login(self.w.vera)

    def test_the_scorecard_shows_each_metric_with_its_status_and_reason(self):
        page = self.client.get("/plans/tiny/scorecard")
        self.assertContains(page, "as of FY2025")
        self.assertContains(page, 'class="chip chip-on_track"')
        self.assertContains(page, "22% against 21.7% expected by FY2025")
        data = self.client.get("/plans/tiny/scorecard.json").json()
        metrics = {m["code"]: m for m in data["elements"][0]["metrics"]}
        assert metrics["1-M1"]["status"] == "on_track" and metrics["1-M1"]["value"] == "22"
        assert metrics["1-M2"]["status"] == "off_track"  # 7 -> 3 with direction increase
        assert data["elements"][0]["status"] == "off_track"  # the worst of its metrics
        counts = {c["status"]: c["count"] for c in data["counts"]}
        assert counts["on_track"] == 1 and counts["off_track"] == 1

    def test_the_scorecard_filters_by_status_unit_tag_and_period(self):
        data = self.client.get("/plans/tiny/scorecard.json?status=off_track").json()
        assert [m["code"] for m in data["elements"][0]["metrics"]] == ["1-M2"]
        earlier = self.client.get("/plans/tiny/scorecard.json?period=FY2024").json()
        assert earlier["as_of"] == "FY2024"
        assert earlier["elements"][0]["metrics"][0]["value"] == "19"
        none = self.client.get("/plans/tiny/scorecard.json?unit=DHS-FEMA").json()
        assert none["elements"] == []

    def test_drafts_never_reach_the_dashboards(self):
        data = self.client.get("/plans/tiny/metrics/1-M1.json").json()
        assert [row["units_reporting"] for row in data["series"]] == [1, 1]
        assert "DHS-ICE" not in {row["unit"] for row in data["by_unit"]}

    def test_the_metric_page_has_the_series_and_the_gap_to_the_target(self):
        data = self.client.get("/plans/tiny/metrics/1-M1.json").json()
        assert [(r["period"], r["value"]) for r in data["series"]] == [
            ("FY2024", "19"),
            ("FY2025", "22"),
        ]
        assert data["parity"]["people_needed"] == 8  # 30% of 100 is 30; 22 now
        assert data["parity"]["target_period"] == "FY2030"
        page = self.client.get("/plans/tiny/metrics/1-M1")
        self.assertContains(page, "8 more women are needed")

    def test_every_figure_leads_to_its_submission_submitter_approver_and_audit(self):
        data = self.client.get("/plans/tiny/metrics/1-M1/figures/FY2025.json").json()
        (row,) = data["values"]
        assert row["unit"] == "DHS-CBP" and row["numerator"] == "22"
        assert row["submitted_by"] == "fatima@example.org"
        assert row["approvals"][0]["by"] == "cora@example.org"
        assert row["submission"].endswith("/units/DHS-CBP")
        assert "/history?metric=1-M1" in row["history"]

    def test_people_without_a_role_see_no_dashboard(self):
        self.client.force_login(self.w.oscar)
        for url in (
            "/plans/tiny/scorecard",
            "/plans/tiny/metrics/1-M1",
            "/plans/tiny/metrics/1-M1/figures/FY2025",
        ):
            assert self.client.get(url).status_code == 403

    def test_an_unknown_metric_or_period_is_not_found(self):
        assert self.client.get("/plans/tiny/metrics/9-M9").status_code == 404
        assert self.client.get("/plans/tiny/metrics/1-M1/figures/FY20X5").status_code == 404


class CompletenessTests(ApprovedFiguresTestCase):
    def test_the_round_page_shows_what_each_unit_filled_and_whether_it_was_on_time(self):
        self.report("FY2025", "DHS-CBP", 22, 100, COUNTS)
        ice = self.report(
            "FY2025", "DHS-ICE", 18, 300, {"women": 1, "men": 1, "other": 1}, approve=False
        )
        rnd = ice.reporting_round
        self.client.force_login(self.w.cora)
        data = self.client.get(f"/rounds/{rnd.pk}.json").json()["completeness"]
        assert data["metrics"] == ["1-M1", "1-M2"]
        rows = {row["unit"]: row for row in data["units"]}
        assert rows["DHS-CBP"]["timeliness"] == "on_time"
        assert rows["DHS-ICE"]["timeliness"] == "not_due"  # a draft, due in 2030
        assert [(c["filled"], c["cells"]) for c in rows["DHS-ICE"]["cells"]] == [(1, 1), (3, 3)]
        self.assertContains(self.client.get(f"/rounds/{rnd.pk}"), "3/3")

    def test_a_unit_that_submitted_after_the_due_date_was_late(self):
        from wpstrack.analysis.completeness import timeliness

        submission = self.report("FY2025", "DHS-CBP", 22, 100, COUNTS)
        submission.refresh_from_db()
        submission.reporting_round.due_date = dt.date(2020, 1, 1)
        assert timeliness(submission) == "late"

    def test_a_reviewer_sees_only_the_rows_of_submissions_they_may_see(self):
        self.report("FY2025", "DHS-ICE", 18, 300, COUNTS, approve=False)
        rnd = self.plan.rounds.get(period="FY2025")
        self.client.force_login(self.w.ravi)  # CBP's reviewer: ICE's draft is not theirs
        data = self.client.get(f"/rounds/{rnd.pk}.json").json()["completeness"]
        assert "DHS-ICE" not in {row["unit"] for row in data["units"]}

    def test_the_unit_page_lists_its_rounds_and_the_status_of_its_metrics(self):
        self.report("FY2025", "DHS-CBP", 22, 100, COUNTS)
        self.client.force_login(self.w.fatima)
        data = self.client.get("/units/DHS-CBP.json").json()
        assert data["rounds"][0]["timeliness"] == "on_time"
        assert {m["metric"]: m["status"] for m in data["metric_statuses"]}["1-M1"] == "on_track"


class ChartTests(ApprovedFiguresTestCase):
    def test_the_metric_page_links_accessible_charts_of_its_figures(self):
        self.report("FY2024", "DHS-CBP", 19, 100, COUNTS)
        self.report("FY2025", "DHS-CBP", 22, 100, COUNTS)
        self.client.force_login(self.w.vera)
        page = self.client.get("/plans/tiny/metrics/1-M2")
        self.assertContains(page, 'src="/plans/tiny/metrics/1-M2/trend.svg"')
        self.assertContains(page, 'src="/plans/tiny/metrics/1-M2/breakdown.svg"')
        trend = self.client.get("/plans/tiny/metrics/1-M2/trend.svg")
        assert trend["Content-Type"].startswith("image/svg+xml")
        assert b'role="img"' in trend.content and b"<title>" in trend.content
        bars = self.client.get("/plans/tiny/metrics/1-M2/breakdown.svg").content.decode()
        assert "Women" in bars
        assert self.client.get("/plans/tiny/metrics/1-M1/breakdown.svg").status_code == 404
        self.client.force_login(self.w.oscar)
        assert self.client.get("/plans/tiny/metrics/1-M2/trend.svg").status_code == 403


class RollUpTests(ApprovedFiguresTestCase):
    def test_the_scorecard_rolls_up_by_responsible_unit(self):
        self.report("FY2024", "DHS-CBP", 19, 100, COUNTS)
        self.report("FY2025", "DHS-CBP", 22, 100, {"women": 1, "men": 2, "other": 0})
        self.client.force_login(self.w.cora)
        data = self.client.get("/plans/tiny/scorecard.json").json()
        by_unit = {g["key"]: g for g in data["by_unit"]}
        # both units answer for action 1, so both carry its two metrics' statuses
        assert by_unit["DHS-CBP"]["status"] == "off_track"
        assert by_unit["DHS-CBP"]["counts"]["on_track"] == 1
        assert by_unit["DHS-CBP"]["metrics"] == 2

    def test_an_action_past_a_promised_date_is_off_track_on_the_scorecard(self):
        late = {"1": {"status": "on_track", "milestones": "Finalize the directive | 2024-12-31"}}
        self.report("FY2025", "DHS-CBP", 22, 100, COUNTS, actions=late)
        self.client.force_login(self.w.cora)
        node = self.client.get("/plans/tiny/scorecard.json").json()["elements"][0]
        assert node["action"]["status"] == "off_track"
        assert "Finalize the directive" in node["action"]["reason"]
        assert node["status"] == "off_track"
        only = self.client.get("/plans/tiny/scorecard.json?status=off_track").json()
        assert only["elements"][0]["action"]["status"] == "off_track"


class PlanRuleTests(ApprovedFiguresTestCase):
    def test_the_plans_declared_roll_up_rule_and_share_decide_the_elements_status(self):
        self.report("FY2024", "DHS-CBP", 19, 100, COUNTS)
        self.report("FY2025", "DHS-CBP", 22, 100, {"women": 1, "men": 2, "other": 0})
        self.client.force_login(self.w.cora)
        assert (
            self.client.get("/plans/tiny/scorecard.json").json()["elements"][0]["status"]
            == "off_track"
        )
        self.plan.status_rules = {"tolerance": 0.1, "rollup": "share", "rollup_share": 0.5}
        self.plan.save()
        # one of two metrics off track (and the action on track): not more than half
        data = self.client.get("/plans/tiny/scorecard.json").json()
        assert data["rollup_rule"] == "share" and data["elements"][0]["status"] == "on_track"
