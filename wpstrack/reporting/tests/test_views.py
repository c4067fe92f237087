"""The round and submission pages: who sees what, and what a save through the form does."""

from wpstrack.accounts.models import Membership, OrgUnit, Role
from wpstrack.frameworks.models import Plan
from wpstrack.frameworks.services import load_plan_document
from wpstrack.reporting import services
from wpstrack.reporting.models import Submission, Value
from wpstrack.testing import (
    PersonasTestCase,
    make_sex_categories,
    plan_action,
    plan_document,
    plan_metric,
)

METRIC = plan_metric("1-M1", text="Number of women and men trained.", unit="people")
element = plan_action
DOCUMENT = plan_document(
    [
        element("1", ["DHS-CBP"], [METRIC]),
        element("2", ["DHS-ICE-ERO"], [{**METRIC, "code": "2-M1"}]),
    ]
)


class RoundPagesTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_sex_categories()
        load_plan_document(DOCUMENT, file_name="tiny.yaml", sha256="0" * 64, actor=None)
        plan = Plan.objects.get()
        import datetime as dt

        cls.round = services.create_round(
            plan=plan, period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=None
        )
        services.open_round(reporting_round=cls.round, actor=None)

    def grid(self, women="3", men="4", other="0"):
        return {
            "lock_version": "0",
            "action": "save",
            "m|1-M1|sex=women|number": women,
            "m|1-M1|sex=men|number": men,
            "m|1-M1|sex=other|number": other,
            "a|1|status": "on_track",
        }

    def url(self, unit="DHS-CBP"):
        return f"/rounds/{self.round.pk}/units/{unit}"

    def test_the_focal_point_saves_the_grid_one_row_per_combination(self):
        self.client.force_login(self.w.fatima)
        response = self.client.post(self.url(), self.grid())
        self.assertRedirects(response, self.url())
        rows = dict(Value.objects.values_list("combination", "number"))
        assert {k: int(v) for k, v in rows.items()} == {
            "sex=women": 3,
            "sex=men": 4,
            "sex=other": 0,
        }
        data = self.client.get(self.url() + ".json").json()
        assert data["metrics"][0]["derived_total"] == "7"

    def test_a_bad_value_rerenders_the_form_with_what_was_typed_and_saves_nothing(self):
        self.client.force_login(self.w.fatima)
        response = self.client.post(self.url(), self.grid(women="3.5", men="lots"))
        self.assertContains(response, "is not a whole number", status_code=400)
        self.assertContains(response, "is not a number", status_code=400)
        self.assertContains(response, 'value="lots"', status_code=400)
        assert Value.objects.count() == 0

    def test_its_json_twin_answers_the_canonical_error_body(self):
        self.client.force_login(self.w.fatima)
        body = self.client.post(self.url() + ".json", self.grid(women="-1")).json()
        assert body["ok"] is False and body["status"] == 400 and body["code"] == "invalid-values"
        assert body["errors"][0]["code"] == "negative-count"
        assert body["errors"][0]["combination"] == "sex=women"

    def test_a_stale_form_gets_a_conflict_message_and_overwrites_nothing(self):
        self.client.force_login(self.w.fatima)
        self.client.post(self.url(), self.grid())
        response = self.client.post(self.url(), self.grid(women="9"))  # still lock_version 0
        self.assertContains(
            response, "Someone saved this submission after you opened it", status_code=409
        )
        assert Value.objects.get(combination="sex=women").number == 3

    def test_one_units_draft_never_shows_in_another_units_pages(self):
        self.client.force_login(self.w.fatima)
        self.client.post(self.url(), self.grid(women="31337"))
        Membership.objects.create(
            user=self.w.vera, unit=OrgUnit.objects.get(code="DHS-ICE-ERO"), role=Role.FOCAL_POINT
        )
        self.client.force_login(self.w.vera)
        for address in (
            f"/rounds/{self.round.pk}",
            f"/rounds/{self.round.pk}.json",
            self.url("DHS-ICE-ERO"),
            self.url("DHS-ICE-ERO") + ".json",
            "/",
            "/index.json",
            self.url("DHS-ICE-ERO") + "/history",
        ):
            response = self.client.get(address)
            assert response.status_code == 200, address
            assert "31337" not in response.content.decode(), address
        assert self.client.get(self.url()).status_code == 403
        assert self.client.get(self.url() + ".json").json()["code"] == "forbidden"

    def test_who_may_see_a_draft(self):
        expected = {
            "alice": 403,
            "cora": 200,
            "fatima": 200,
            "ravi": 403,
            "vera": 403,
            "oscar": 403,
        }
        for persona, status in expected.items():
            self.client.force_login(getattr(self.w, persona))
            for address in (self.url(), self.url() + ".json", self.url() + "/history"):
                assert self.client.get(address).status_code == status, (persona, address)

    def test_a_viewer_sees_a_submission_only_once_approved(self):
        Membership.objects.create(user=self.w.vera, unit=self.w.cbp, role=Role.VIEWER)
        self.client.force_login(self.w.vera)
        assert self.client.get(self.url()).status_code == 403
        Submission.objects.filter(unit__code="DHS-CBP").update(state="approved")
        assert self.client.get(self.url()).status_code == 200

    def test_only_the_focal_point_can_post_the_grid(self):
        for persona in ("ravi", "cora", "vera", "oscar", "alice"):
            self.client.force_login(getattr(self.w, persona))
            assert self.client.post(self.url(), self.grid()).status_code == 403, persona
        assert Value.objects.count() == 0

    def test_the_home_page_lists_what_the_focal_point_owes(self):
        self.client.force_login(self.w.fatima)
        owed = self.client.get("/index.json").json()["owed"]
        assert [(o["plan"], o["period"], o["unit"], o["state"]) for o in owed] == [
            ("tiny", "FY2025-Q3", "DHS-CBP", "draft")
        ]

    def test_the_round_page_lists_units_not_yet_submitted(self):
        self.client.force_login(self.w.cora)
        data = self.client.get(f"/rounds/{self.round.pk}.json").json()
        assert data["not_submitted"] == ["DHS-CBP", "DHS-ICE-ERO"]

    def test_preparing_a_round_rerenders_with_a_clear_error(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            "/rounds/new", {"plan": "tiny", "period": "2025", "due_date": "2025-07-31"}
        )
        self.assertContains(response, "is not a period", status_code=400)
        response = self.client.post(
            "/rounds/new", {"plan": "tiny", "period": "FY2025-Q3", "due_date": "2025-07-31"}
        )
        self.assertContains(response, "already has a round for FY2025-Q3", status_code=400)
        self.client.force_login(self.w.fatima)
        assert self.client.get("/rounds/new").status_code == 403

    def test_a_reviewer_sees_it_once_submitted_and_a_plan_can_open_drafts_to_them(self):
        self.client.force_login(self.w.fatima)
        self.client.post(self.url(), self.grid())
        self.client.force_login(self.w.ravi)
        assert self.client.get(self.url()).status_code == 403
        Plan.objects.update(higher_levels_see_unapproved=True)
        assert self.client.get(self.url()).status_code == 200
        Plan.objects.update(higher_levels_see_unapproved=False)
        self.client.force_login(self.w.fatima)
        self.client.post(self.url(), {**self.grid(), "lock_version": "1", "action": "submit"})
        self.client.force_login(self.w.ravi)
        assert self.client.get(self.url()).status_code == 200

    def test_the_history_shows_who_changed_a_value_from_what_to_what(self):
        self.client.force_login(self.w.fatima)
        self.client.post(self.url(), self.grid())
        self.client.post(self.url(), {**self.grid(women="5"), "lock_version": "1"})
        events = self.client.get(
            self.url() + "/history.json?metric=1-M1&combination=sex=women"
        ).json()["events"]
        assert [(e["who"], e["changes"]["number"]) for e in events] == [
            ("fatima@example.org", ["3", "5"]),
            ("fatima@example.org", [None, "3"]),
        ]
        everything = self.client.get(self.url() + "/history.json").json()["events"]
        assert len(everything) > len(events)


class UnitBreakdownTestCase(PersonasTestCase):
    def test_a_metric_by_unit_has_one_cell_per_sub_unit_of_the_reporting_unit(self):
        import datetime as dt

        by_unit = {**METRIC, "code": "1-M1", "disaggregation": ["unit"]}
        document = {**DOCUMENT, "elements": [element("1", ["DHS-ICE"], [by_unit])]}
        load_plan_document(document, file_name="tiny.yaml", sha256="0" * 64, actor=None)
        reporting_round = services.create_round(
            plan=Plan.objects.get(), period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=None
        )
        services.open_round(reporting_round=reporting_round, actor=None)
        self.client.force_login(self.w.cora)
        data = self.client.get(f"/rounds/{reporting_round.pk}/units/DHS-ICE.json").json()
        cells = data["metrics"][0]["cells"]
        assert [(c["combination"], c["label"]) for c in cells] == [
            ("unit=DHS-ICE-ERO", "DHS-ICE-ERO")
        ]


class AdjustRoundTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        import datetime as dt

        make_sex_categories()
        load_plan_document(DOCUMENT, file_name="tiny.yaml", sha256="0" * 64, actor=None)
        cls.round = services.create_round(
            plan=Plan.objects.get(), period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=None
        )

    def owed(self, unit):
        return sorted(
            a.metric.code if a.metric else a.element.code
            for a in self.round.assignments.filter(unit__code=unit).select_related(
                "metric", "element"
            )
        )

    def test_a_coordinator_gives_a_unit_one_more_item_before_opening(self):
        self.client.force_login(self.w.cora)
        self.client.post(
            f"/rounds/{self.round.pk}/assignments", {"unit": "DHS-ICE", "item": "1-M1"}
        )
        assert self.owed("DHS-ICE") == ["1-M1"]
        response = self.client.post(
            f"/rounds/{self.round.pk}/assignments", {"unit": "DHS-ICE", "item": "9-M9"}, follow=True
        )
        self.assertContains(response, "is neither a metric nor an element")
        services.open_round(reporting_round=self.round, actor=None)
        response = self.client.post(
            f"/rounds/{self.round.pk}/assignments", {"unit": "DHS-ICE", "item": "1"}, follow=True
        )
        self.assertContains(response, "Assignments can change only before the round opens")
        assert self.owed("DHS-ICE") == ["1-M1"]

    def test_only_coordinators_adjust_a_round(self):
        self.client.force_login(self.w.fatima)
        response = self.client.post(
            f"/rounds/{self.round.pk}/assignments", {"unit": "DHS-ICE", "item": "1-M1"}
        )
        assert response.status_code == 403 and self.owed("DHS-ICE") == []
