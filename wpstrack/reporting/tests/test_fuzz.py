"""Whatever is typed into the grid, the answer is a save or a list of errors: never a crash,
and a refused save leaves the database as it was."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from wpstrack.frameworks.models import Plan
from wpstrack.frameworks.services import load_plan_document
from wpstrack.reporting import services
from wpstrack.reporting.models import Submission, Value
from wpstrack.reporting.tests.test_views import DOCUMENT
from wpstrack.testing import make_personas, make_sex_categories

typed = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "1",
            "-1",
            "1e400",
            "NaN",
            "Infinity",
            "1,5",
            "١٢",
            "0x10",
            " 7 ",
            "12,345",
            "9" * 40,
            "\x00",
        ]
    ),
)
PARTS = ["number", "numerator", "denominator", "comment", "currency", "done", "done_on", "text"]
cells = st.dictionaries(
    st.sampled_from(["sex=women", "sex=men", "sex=other", "", "sex=x"]),
    st.dictionaries(st.sampled_from(PARTS), typed, max_size=3),
    max_size=4,
)


class GridFuzzTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = make_personas()
        make_sex_categories()
        load_plan_document(DOCUMENT, file_name="tiny.yaml", sha256="0" * 64, actor=None)
        cls.round = services.create_round(
            plan=Plan.objects.get(), period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=None
        )
        services.open_round(reporting_round=cls.round, actor=None)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(values=cells, status=typed, percent=typed)
    def test_any_input_is_saved_or_refused_cleanly(self, values, status, percent):
        submission = Submission.objects.get(unit__code="DHS-CBP")
        before = sorted(Value.objects.values_list("combination", "number", "comment"))
        version = submission.lock_version
        try:
            services.save_submission(
                submission=submission,
                values={"1-M1": values},
                actions={"1": {"status": status, "percent_complete": percent}},
                lock_version=version,
                actor=self.w.fatima,
            )
        except services.InvalidSubmission as error:
            assert error.errors and all(e.code and e.message for e in error.errors)
            assert sorted(Value.objects.values_list("combination", "number", "comment")) == before
            assert Submission.objects.get(pk=submission.pk).lock_version == version

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(fields=st.dictionaries(st.text(max_size=40), typed, max_size=6), lock=typed)
    def test_any_form_post_answers_without_a_server_error(self, fields, lock):
        self.client.force_login(self.w.fatima)
        response = self.client.post(
            f"/rounds/{self.round.pk}/units/DHS-CBP",
            {**fields, "lock_version": lock, "action": "save"},
        )
        assert response.status_code in (302, 400, 409)
