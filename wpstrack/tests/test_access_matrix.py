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
    "/tag-sets": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/disaggregations": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/plans/tiny/rules": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/plans/tiny/status-rules": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/plans/tiny/elements/1.1/edit": (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    # dashboards: approved figures only, for anyone with a role
    "/plans/reported/scorecard": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/plans/reported/metrics/1-M1": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/plans/reported/metrics/1-M1/figures/FY2025-Q3": (OK, OK, OK, OK, OK, FORBIDDEN),
    # built reports hold approved data only: anyone who sees the plan lists and opens them;
    # its coordinators write the narrative and change the templates
    "/plans/tiny/reports": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/plans/tiny/reports/{build}": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/plans/tiny/reports/narrative": (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/plans/tiny/reports/templates": (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    # rosters are person-level files: the plan's coordinators alone
    "/plans/tiny/rosters": (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/plans/tiny/rosters/mappings/nfc": (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/plans/tiny/rosters/files/{upload}": (
        FORBIDDEN,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
    ),
    "/plans/tiny/rosters/runs/{run}": (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/rounds": (OK, OK, OK, OK, OK, OK),
    "/rounds/new": (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/rounds/{round}": (OK, OK, OK, OK, OK, FORBIDDEN),
    # CBP's draft: its focal point and the coordinator; its reviewer once it is submitted
    "/rounds/{round}/units/DHS-CBP": (FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/rounds/{round}/units/DHS-CBP/history": (FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    # Spreadsheets: whoever may edit (or, for the coordinator, collect) the draft
    "/rounds/{round}/units/DHS-CBP/spreadsheet": (
        FORBIDDEN,
        OK,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
    ),
    "/rounds/{round}/spreadsheet": (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/account/api-keys": (OK, OK, OK, OK, OK, OK),
}

# The API answers the same questions the same way.
API_MATRIX = {
    "/api/plans/tiny": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/api/rounds/{round}": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/api/plans/tiny/reports": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/api/plans/tiny/reports/{build}": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/api/plans/tiny/reports/{build}/download": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/api/rounds/{round}/units/DHS-CBP": (FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/api/rounds/{round}/units/DHS-CBP/template.xlsx": (
        FORBIDDEN,
        OK,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
    ),
    "/api/rounds/{round}/template.xlsx": (
        FORBIDDEN,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
    ),
    # downloads (no JSON twin): the same answers as the pages they belong to
    "/rounds/{round}/units/DHS-CBP/template.xlsx": (
        FORBIDDEN,
        OK,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
    ),
    "/rounds/{round}/units/DHS-CBP/template.csv": (
        FORBIDDEN,
        OK,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
    ),
    "/rounds/{round}/template.xlsx": (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/plans/tiny/reports/{build}/download": (OK, OK, OK, OK, OK, FORBIDDEN),
    "/plans/tiny/reports/templates/default.html": (
        FORBIDDEN,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
    ),
    "/rounds/{round}/template.actions.csv": (
        FORBIDDEN,
        OK,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
    ),
}


def json_twin(url: str) -> str:
    return "/index.json" if url == "/" else url + ".json"


class AccessMatrixTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from wpstrack.frameworks.models import Element, Level, Plan, PlanVersion

        plan = Plan.objects.create(slug="tiny", title="Tiny plan", owner_unit=cls.w.dhs)
        goal = Level.objects.create(plan=plan, key="goal", name="Goal", position=0)
        Element.objects.create(plan=plan, code="1.1", level=goal, title="Recruit women")
        plan.current_version = PlanVersion.objects.create(
            plan=plan,
            number=1,
            created_by_label="test",
            file_name="tiny.yaml",
            file_sha256="0",
            content={},
        )
        plan.save()
        import datetime as dt

        from wpstrack.frameworks.services import load_plan_document
        from wpstrack.reporting import services
        from wpstrack.reporting.tests.test_views import DOCUMENT

        reported, _version = load_plan_document(
            {**DOCUMENT, "slug": "reported"}, file_name="r.yaml", sha256="0" * 64, actor=None
        )
        cls.round = services.create_round(
            plan=reported, period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=None
        )
        services.open_round(reporting_round=cls.round, actor=None)
        from wpstrack.reports.models import Build

        cls.build = Build.objects.create(
            plan=plan,
            year="FY2025",
            kind="annual",
            format="pdf",
            state=Build.DONE,
            content=b"%PDF-1.7 approved figures only",
            filename="tiny-FY2025-ed1-annual.pdf",
        )
        cls.make_roster_objects(plan)

    @classmethod
    def make_roster_objects(cls, plan):
        """A mapping, a waiting upload (its file is not there: the page still answers) and a run."""
        import datetime as dt

        from wpstrack.rosters.models import RosterMapping, RosterRun, RosterUpload

        spec = {"wpstrack_roster_mapping": 1, "name": "NFC", "kind": "hr", "rules": []}
        mapping = RosterMapping.objects.create(
            plan=plan, slug="nfc", name="NFC", kind="hr", spec=spec
        )
        cls.upload = RosterUpload.objects.create(
            plan=plan,
            file_name="extract.csv",
            fmt="csv",
            size=10,
            sha256="0" * 64,
            headers=["Org", "Gender"],
            stored_name="missing.roster",
            uploaded_by=cls.w.cora,
            expires_at=dt.datetime(2100, 1, 1, tzinfo=dt.UTC),
        )
        cls.roster_run = RosterRun.objects.create(
            plan=plan,
            mapping=mapping,
            mapping_version=1,
            spec=spec,
            reporting_round=cls.round,
            state=RosterRun.DONE,
            file_name="extract.csv",
            fmt="csv",
            size=10,
            sha256="0" * 64,
            actor=cls.w.cora,
        )

    def test_every_persona_gets_the_expected_answer_on_every_page_and_twin(self):
        ids = {
            "upload": self.upload.pk,
            "run": self.roster_run.pk,
            "fatima": self.w.fatima.pk,
            "oscar": self.w.oscar.pk,
            "round": self.round.pk,
            "build": self.build.pk,
        }
        failures = []
        for page, expected in MATRIX.items():
            url = page.format(**ids)
            for persona, status in zip(PERSONAS, expected, strict=True):
                self.client.force_login(getattr(self.w, persona))
                for address in (url, json_twin(url)):
                    got = self.client.get(address).status_code
                    if got != status:
                        failures.append(f"{persona} {address}: {got}, expected {status}")
        for page, expected in API_MATRIX.items():
            url = page.format(**ids)
            for persona, status in zip(PERSONAS, expected, strict=True):
                self.client.force_login(getattr(self.w, persona))
                got = self.client.get(url).status_code
                if got != status:
                    failures.append(f"{persona} {url}: {got}, expected {status}")
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
