"""Generated (demo) rounds are labelled on every page: one cheap query per request."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from wpstrack.reporting import services
from wpstrack.reporting.models import ReportingRound
from wpstrack.reporting.tests.test_services import load_tiny_plan
from wpstrack.testing import PersonasTestCase

BANNER = b"Demo data:"


class DemoBannerTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.round = services.create_round(
            plan=load_tiny_plan(), period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=None
        )

    def test_no_banner_while_every_round_is_real(self):
        page = self.client.get("/login")
        assert page.status_code == 200 and BANNER not in page.content
        self.client.force_login(self.w.cora)
        assert BANNER not in self.client.get("/").content

    def test_every_page_says_so_once_a_round_is_generated(self):
        ReportingRound.objects.filter(pk=self.round.pk).update(generated=True)
        with CaptureQueriesContext(connection) as queries:
            page = self.client.get("/login")  # even before signing in
        assert BANNER in page.content and b'role="note"' in page.content
        assert sum('"generated"' in q["sql"] for q in queries.captured_queries) == 1
        self.client.force_login(self.w.fatima)
        for address in ("/", "/rounds", f"/rounds/{self.round.pk}"):
            page = self.client.get(address)
            assert page.status_code == 200 and BANNER in page.content, address

    def test_json_twins_carry_no_banner(self):
        ReportingRound.objects.filter(pk=self.round.pk).update(generated=True)
        self.client.force_login(self.w.fatima)
        page = self.client.get("/rounds.json")
        assert page.status_code == 200 and BANNER not in page.content
