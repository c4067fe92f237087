from wpstrack.testing import PersonasTestCase


class HomeTestCase(PersonasTestCase):
    def test_it_shows_what_the_user_is_responsible_for(self):
        self.client.force_login(self.w.cora)
        response = self.client.get("/")
        self.assertContains(response, "Plan coordinator")
        self.assertContains(response, "DHS-ICE-ERO")

    def test_its_json_twin_shows_the_same_responsibilities(self):
        self.client.force_login(self.w.fatima)
        data = self.client.get("/index.json").json()
        assert data["ok"] is True
        assert [r["unit"] for r in data["responsibilities"]] == ["DHS-CBP"]
        assert data["responsibilities"][0]["role"] == "focal_point"

    def test_the_accept_header_also_asks_for_json(self):
        self.client.force_login(self.w.fatima)
        response = self.client.get("/", HTTP_ACCEPT="application/json")
        assert response["Content-Type"] == "application/json"

    def test_an_outsider_is_told_they_have_no_role(self):
        self.client.force_login(self.w.oscar)
        self.assertContains(self.client.get("/"), "You have no role on any unit yet")
        assert self.client.get("/index.json").json()["responsibilities"] == []


class UnitListTestCase(PersonasTestCase):
    def test_it_lists_only_visible_units(self):
        self.client.force_login(self.w.vera)
        codes = [u["code"] for u in self.client.get("/units.json").json()["units"]]
        assert codes == ["DHS-ICE", "DHS-ICE-ERO"]
        response = self.client.get("/units")
        self.assertContains(response, "DHS-ICE-ERO")
        self.assertNotContains(response, "DHS-CBP")


class UnitDetailTestCase(PersonasTestCase):
    def test_it_shows_members_by_role(self):
        self.client.force_login(self.w.cora)
        response = self.client.get("/units/DHS-CBP")
        self.assertContains(response, "Fatima Focal")
        self.assertContains(response, "Ravi Reviewer")
        self.assertContains(response, "Cora Coordinator")  # acting from DHS above

    def test_its_json_twin_groups_members_by_role(self):
        self.client.force_login(self.w.ravi)
        data = self.client.get("/units/DHS-CBP.json").json()
        groups = {g["role"]: [p["email"] for p in g["people"]] for g in data["members"]}
        assert groups["focal_point"] == ["fatima@example.org"]
        assert groups["reviewer"] == ["ravi@example.org"]
        assert data["unit"]["parent"] == "DHS"

    def test_it_forbids_a_unit_beside_the_users_own(self):
        self.client.force_login(self.w.fatima)
        response = self.client.get("/units/DHS-ICE")
        self.assertContains(response, "Not yours to see", status_code=403)
        body = self.client.get("/units/DHS-ICE.json").json()
        assert body == {
            "ok": False,
            "error": body["error"],
            "errors": [],
            "code": "forbidden",
            "status": 403,
        }

    def test_it_answers_not_found_for_an_unknown_unit(self):
        self.client.force_login(self.w.cora)
        self.assertContains(self.client.get("/units/NOPE"), "Page not found", status_code=404)
        assert self.client.get("/units/NOPE.json").json()["code"] == "not-found"

    def test_it_hides_units_above_from_breadcrumb_links(self):
        self.client.force_login(self.w.fatima)
        data = self.client.get("/units/DHS-CBP.json").json()
        assert data["ancestors"] == [{"code": "DHS", "short_name": "DHS", "visible": False}]

    def test_it_refuses_a_post(self):
        self.client.force_login(self.w.cora)
        assert self.client.post("/units/DHS-CBP").status_code == 405
