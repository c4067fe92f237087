from django.conf import settings

from wpstrack.frameworks.loading import bundled_plan_files, load_plan_files
from wpstrack.testing import PersonasTestCase


class PlanPagesTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from wpstrack.accounts.unitfile import load_unit_file

        load_unit_file(
            settings.PLANS_DIR / "organisation.yaml", actor=None
        )  # adds the units plans name
        result = load_plan_files(bundled_plan_files(), actor=None)
        assert result.ok, result.problems

    def test_the_plan_list_shows_the_four_plans_with_counts(self):
        self.client.force_login(self.w.fatima)
        plans = {p["slug"]: p for p in self.client.get("/plans.json").json()["plans"]}
        assert set(plans) == {
            "dhs-wps-2024",
            "state-pm-wps",
            "dpko-dfs-gender-2014-2018",
            "dpo-gender-policy-2024",
        }
        assert [lv["count"] for lv in plans["dhs-wps-2024"]["levels"]] == [5, 10, 25]

    def test_the_plan_page_filters_by_unit_and_keeps_the_path_to_each_match(self):
        self.client.force_login(self.w.fatima)
        data = self.client.get("/plans/dhs-wps-2024.json?unit=DHS-CBP").json()
        loe4 = next(e for e in data["elements"] if e["code"] == "LOE4")
        goal = next(g for g in loe4["children"] if g["code"] == "4.2")
        assert [a["code"] for a in goal["children"]] == ["4.2-A1", "4.2-A2", "4.2-A3"]
        assert all(a["match"] for a in goal["children"]) and not goal["match"]

    def test_the_plan_page_filters_by_level_tag_and_text(self):
        self.client.force_login(self.w.cora)
        data = self.client.get("/plans/dhs-wps-2024.json?level=goal").json()
        assert data["matches"] == 10
        data = self.client.get(
            "/plans/dhs-wps-2024.json?tag=us-wps-loe:partnerships&level=action"
        ).json()
        assert data["matches"] >= 1
        data = self.client.get("/plans/dhs-wps-2024.json?q=mentoring").json()
        assert data["matches"] >= 1
        response = self.client.get("/plans/dhs-wps-2024?q=mentoring")
        self.assertContains(response, "WLE Mentoring Program")

    def test_unknown_filters_match_nothing_rather_than_fail(self):
        self.client.force_login(self.w.cora)
        for query in ("unit=NOPE", "level=planet", "tag=nope", "tag=a:b", "q=" + "x" * 5000):
            response = self.client.get(f"/plans/dhs-wps-2024.json?{query}")
            assert response.status_code == 200, query

    def test_the_element_page_shows_text_outcomes_metrics_units_and_source(self):
        self.client.force_login(self.w.ravi)
        data = self.client.get("/plans/dhs-wps-2024/elements/1.1-A1.json").json()
        element = data["element"]
        assert element["outcomes"] and element["metrics"][0]["code"] == "1.1-A1-M1"
        assert element["source"]["file"] == "000_6250814667351768.txt"
        assert [a["code"] for a in data["ancestors"]] == ["LOE1", "1.1"]
        response = self.client.get("/plans/dhs-wps-2024/elements/1.1-A1")
        self.assertContains(response, "WLE Mentoring Program")

    def test_the_element_page_answers_not_found_for_an_unknown_code(self):
        self.client.force_login(self.w.ravi)
        assert self.client.get("/plans/dhs-wps-2024/elements/9.9").status_code == 404
        assert self.client.get("/plans/nope.json").json()["code"] == "not-found"

    def test_the_crosswalk_groups_elements_of_all_plans_by_pillar(self):
        self.client.force_login(self.w.vera)
        data = self.client.get("/crosswalk.json").json()
        participation = next(p for p in data["pillars"] if p["tag"] == "pillar-1325:participation")
        with_elements = {c["plan"] for c in participation["plans"] if c["elements"]}
        assert {"dhs-wps-2024", "state-pm-wps", "dpo-gender-policy-2024"} <= with_elements

    def test_a_unit_page_lists_the_elements_it_is_responsible_for(self):
        self.client.force_login(self.w.fatima)
        data = self.client.get("/units/DHS-CBP.json").json()
        assert {"4.2-A1", "4.2-A3"} <= {e["code"] for e in data["responsible_for"]}

    def test_an_outsider_sees_no_plan(self):
        self.client.force_login(self.w.oscar)
        assert self.client.get("/plans.json").json()["plans"] == []
        for url in ("/plans/dhs-wps-2024", "/plans/dhs-wps-2024/elements/1.1.json", "/crosswalk"):
            response = self.client.get(url)
            assert response.status_code == 403 or "Recruitment" not in response.content.decode(), (
                url
            )

    def test_the_element_page_shows_where_the_appendix_words_a_metric_differently(self):
        self.client.force_login(self.w.cora)
        response = self.client.get("/plans/dhs-wps-2024/elements/1.1-A2")
        self.assertContains(response, "Appendix wording")
        self.assertContains(
            response, "Increase in overall number or proportion of women applicants to law"
        )
