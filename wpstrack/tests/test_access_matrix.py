"""Every persona against every page and its JSON twin: the expected answer, in one table."""

from wpstrack.testing import PersonasTestCase

OK, FORBIDDEN = 200, 403
PERSONAS = ("alice", "cora", "fatima", "ravi", "vera", "oscar")

# page -> expected status for alice, cora, fatima, ravi, vera, oscar
MATRIX = {
    "/": (OK, OK, OK, OK, OK, OK),
    "/units": (OK, OK, OK, OK, OK, OK),
    "/units/DHS": (OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/units/DHS-CBP": (OK, OK, OK, OK, FORBIDDEN, FORBIDDEN),
    "/units/DHS-ICE-ERO": (OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN),
    "/units/MINUSCA-GAU": (FORBIDDEN,) * 6,
    "/plans": (OK, OK, OK, OK, OK, OK),
    "/plans/tiny": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/plans/tiny/elements/1.1": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/crosswalk": (OK, OK, OK, OK, OK, OK),
    "/users": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/users/invite": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/users/{fatima}": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/users/{oscar}": (FORBIDDEN,) * 6,
}


def json_twin(url: str) -> str:
    return "/index.json" if url == "/" else url + ".json"


class AccessMatrixTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from wpstrack.frameworks.models import Element, Level, Plan

        plan = Plan.objects.create(slug="tiny", title="Tiny plan", owner_unit=cls.w.dhs)
        goal = Level.objects.create(plan=plan, key="goal", name="Goal", position=0)
        Element.objects.create(plan=plan, code="1.1", level=goal, title="Recruit women")

    def test_every_persona_gets_the_expected_answer_on_every_page_and_twin(self):
        ids = {"fatima": self.w.fatima.pk, "oscar": self.w.oscar.pk}
        failures = []
        for page, expected in MATRIX.items():
            url = page.format(**ids)
            for persona, status in zip(PERSONAS, expected, strict=True):
                self.client.force_login(getattr(self.w, persona))
                for address in (url, json_twin(url)):
                    got = self.client.get(address).status_code
                    if got != status:
                        failures.append(f"{persona} {address}: {got}, expected {status}")
        assert failures == []

    def test_a_viewer_of_one_unit_never_sees_another_units_people(self):
        self.client.force_login(self.w.vera)
        for address in (
            "/",
            "/index.json",
            "/units",
            "/units.json",
            "/units/DHS-ICE",
            "/units/DHS-ICE.json",
        ):
            self.assertNotContains(self.client.get(address), "fatima@example.org")

    def test_an_overlong_id_is_not_found_not_an_error(self):
        self.client.force_login(self.w.alice)
        assert self.client.get("/users/" + "9" * 40).status_code == 404
        assert self.client.get("/users/" + "9" * 18 + ".json").json()["code"] == "not-found"
        assert self.client.get("/units/" + "X" * 41).status_code == 404
