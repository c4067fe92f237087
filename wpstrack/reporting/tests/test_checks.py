"""Plausible ranges, outliers against a unit's own history, and cross-metric rules."""

import datetime as dt
from decimal import Decimal

from django.test import override_settings

from wpstrack.frameworks.models import Plan
from wpstrack.frameworks.services import load_plan_document
from wpstrack.reporting import checks, services
from wpstrack.reporting.models import Submission
from wpstrack.reporting.tests.test_views import DOCUMENT, METRIC, element
from wpstrack.testing import PersonasTestCase, make_sex_categories

D = Decimal
HISTORY = [D(100), D(104), D(98), D(101), D(99)]


def test_a_value_outside_the_plausible_range_needs_a_comment():
    warning = checks.plausible("M1", "", D(120), {"min": 0, "max": 100})
    assert warning.code == "implausible-value" and not warning.blocking
    assert "outside the plausible range 0 to 100" in warning.message
    assert checks.plausible("M1", "", D(50), {"min": 0, "max": 100}) is None


def test_the_modified_z_score_flags_a_figure_far_from_the_units_history():
    assert checks.outlier("M1", "", D(400), HISTORY).code == "outlier"
    assert checks.outlier("M1", "", D(103), HISTORY) is None


def test_an_outlier_needs_enough_history():
    assert checks.outlier("M1", "", D(400), HISTORY[:3]) is None


@override_settings(OUTLIER_METHOD="z")
def test_the_z_score_method_flags_beyond_three_deviations():
    assert checks.outlier("M1", "", D(130), HISTORY) is not None
    assert checks.outlier("M1", "", D(105), HISTORY) is None


@override_settings(OUTLIER_METHOD="min-max")
def test_the_min_max_method_flags_anything_outside_the_range_seen():
    assert checks.outlier("M1", "", D(105), HISTORY) is not None
    assert checks.outlier("M1", "", D(100), HISTORY) is None


TRAINED = {**METRIC, "code": "1-M1", "text": "Number of women and men trained."}
EMPLOYED = {
    **METRIC,
    "code": "1-M2",
    "text": "Number of women and men employed.",
    "plausible": {"min": 0, "max": 1000},
}
RULE = {
    "code": "R1",
    "left": "1-M1[sex=women]",
    "operator": "<=",
    "right": "1-M2[sex=women]",
    "when_missing": "skip",
    "message": "Women trained cannot outnumber women employed.",
}


class ChecksInTheWorkflowTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_sex_categories()
        document = {
            **DOCUMENT,
            "elements": [element("1", ["DHS-CBP"], [TRAINED, EMPLOYED])],
            "rules": [RULE],
        }
        load_plan_document(document, file_name="tiny.yaml", sha256="0" * 64, actor=None)
        cls.round = services.create_round(
            plan=Plan.objects.get(), period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=None
        )
        services.open_round(reporting_round=cls.round, actor=None)

    def submission(self):
        return Submission.objects.get(unit__code="DHS-CBP")

    def save(self, trained_women="3", employed_women="10", employed_men="20", comment=""):
        def sex(w, m):
            return {
                "sex=women": {"number": w, "comment": comment},
                "sex=men": {"number": m},
                "sex=other": {"number": "0"},
            }

        services.save_submission(
            submission=self.submission(),
            lock_version=None,
            actor=self.w.fatima,
            values={"1-M1": sex(trained_women, "1"), "1-M2": sex(employed_women, employed_men)},
            actions={"1": {"status": "on_track"}},
        )

    def submit_codes(self):
        try:
            services.submit_submission(submission=self.submission(), actor=self.w.fatima)
        except services.InvalidSubmission as error:
            return [e.code for e in error.errors]
        return []

    def test_a_failing_rule_saves_as_a_draft_but_blocks_submitting_with_its_message(self):
        self.save(trained_women="30", employed_women="10")
        assert self.submission().values.count() == 6
        with self.assertRaises(services.InvalidSubmission) as caught:
            services.submit_submission(submission=self.submission(), actor=self.w.fatima)
        error = caught.exception.errors[0]
        assert error.code == "rule-failed"
        assert error.message.startswith("Women trained cannot outnumber women employed.")

    def test_a_passing_rule_lets_it_through(self):
        self.save(trained_women="3", employed_women="10")
        assert self.submit_codes() == []

    def test_an_implausible_value_needs_a_comment_to_be_submitted(self):
        self.save(employed_women="5000")
        assert self.submit_codes() == ["implausible-value"]
        self.save(employed_women="5000", comment="Census year: all staff counted")
        assert self.submit_codes() == []
