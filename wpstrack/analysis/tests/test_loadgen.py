"""The benchmark's load generator, at a tiny scale: what it writes, that only approved figures
are stored, that it is deterministic and resumable, and that the dashboards make the same few
queries however big the load (no query per element, metric, unit or period). No timing here:
``wpstrack bench-analysis`` measures speed."""

from django.db import connection
from django.db.models import Exists, OuterRef, Sum
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from wpstrack.accounts.models import OrgUnit
from wpstrack.analysis import loadgen
from wpstrack.analysis.models import MetricStatus
from wpstrack.frameworks.models import Metric, Plan
from wpstrack.reporting.models import ActionUpdate, Assignment, ReportingRound, Submission, Value

TINY = loadgen.Scale(plans=2, units=2, metrics=6, years=2)  # 2 departments of 2 units: 4 units
BIGGER = loadgen.Scale(plans=2, units=3, metrics=11, years=3)
MOST_QUERIES = 15  # a page's queries, whatever the plan's size


def counts() -> dict[str, int]:
    bench = {"plan__slug__startswith": loadgen.PLAN_PREFIX}
    rounds = {"reporting_round__plan__slug__startswith": loadgen.PLAN_PREFIX}
    return {
        "plans": loadgen.bench_plans().count(),
        "units": OrgUnit.objects.filter(code__startswith=loadgen.UNIT_PREFIX, depth=1).count(),
        "metrics": Metric.objects.filter(**bench).count(),
        "rounds": ReportingRound.objects.filter(**bench).count(),
        "assignments": Assignment.objects.filter(**rounds, metric__isnull=False).count(),
        "submissions": Submission.objects.filter(**rounds).count(),
        "updates": ActionUpdate.objects.filter(
            **{f"submission__{k}": v for k, v in rounds.items()}
        ).count(),
        "values": Value.objects.filter(
            **{f"submission__{k}": v for k, v in rounds.items()}
        ).count(),
        "statuses": MetricStatus.objects.filter(**bench).count(),
    }


class LoadGeneratorTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.report = loadgen.generate(TINY)

    def test_it_writes_the_plans_rounds_and_values_the_scale_asks_for(self):
        assert self.report.generated == 2 and self.report.skipped == 0
        periods, per_metric = 8, 2 * 15  # 2 units, sex x age
        assert counts() == {
            "plans": 2,
            "units": 4,
            "metrics": 12,
            "rounds": 2 * periods,
            "assignments": 12 * 2 * periods,
            "submissions": 2 * periods * 2,
            "updates": 2 * periods * 2 * 2,  # 2 actions a plan, each with 2 units
            "values": 12 * periods * per_metric,
            "statuses": 12 * periods * 3,  # each unit, and the plan
        }
        plan = Plan.objects.get(slug="bench-analysis-01")
        assert plan.current_version is not None and plan.owner_unit.code == "BENCH-D01"
        assert list(plan.rounds.order_by("period_start").values_list("period", flat=True))[:2] == [
            "FY2024-Q1",
            "FY2024-Q2",
        ]
        assert {m.current.type for m in plan.metrics.select_related("current")} == {
            "count",
            "percentage",
        }
        share = plan.metrics.get(code="P1-A2-M1").current  # the sixth: a share with targets
        assert share.type == "percentage" and share.disaggregation == ["sex", "age"]
        assert share.baselines == [{"value": 20, "period": "FY2020", "at": "FY2020"}]
        assert share.targets[-1] == {"value": 30, "period": "2030", "at": "FY2030"}

    def test_every_value_belongs_to_an_approved_submission_of_a_unit_that_owes_it(self):
        values = Value.objects.all()
        assert values.count() == counts()["values"]
        assert not values.exclude(submission__state="approved").exists()
        assert not values.filter(combination="").exists()  # totals are derived, not stored
        owed = Assignment.objects.filter(
            reporting_round=OuterRef("submission__reporting_round"),
            unit=OuterRef("submission__unit"),
            metric=OuterRef("metric"),
        )
        assert not values.exclude(Exists(owed)).exists()
        submissions = Submission.objects.all()
        assert not submissions.filter(submitted_by__isnull=True).exists()
        assert not submissions.filter(approvals__isnull=True).exists()
        assert set(submissions.values_list("approved_by__email", flat=True)) == {
            loadgen.GENERATOR_EMAIL
        }

    def test_a_second_run_skips_and_a_regeneration_writes_the_same_figures(self):
        before = counts()
        total = Value.objects.aggregate(n=Sum("number"))["n"]
        again = loadgen.generate(TINY)
        assert (again.generated, again.skipped) == (0, 2) and counts() == before
        fresh = loadgen.generate(TINY, regenerate=True)
        assert (fresh.wiped, fresh.generated) == (2, 2) and counts() == before
        assert Value.objects.aggregate(n=Sum("number"))["n"] == total

    def test_a_load_of_another_scale_is_replaced_only_when_asked(self):
        with self.assertRaisesMessage(ValueError, "another scale"):
            loadgen.generate(BIGGER)

    def test_the_dashboards_make_the_same_few_queries_whatever_the_size(self):
        small = self.queries()
        loadgen.generate(BIGGER, regenerate=True)
        assert counts()["values"] == 22 * 12 * 2 * 15
        bigger = self.queries()
        assert bigger == small, (small, bigger)
        assert max(small.values()) <= MOST_QUERIES, small

    def queries(self) -> dict[str, int]:
        self.client.force_login(loadgen.coordinator())
        found = {}
        for name, url in (
            ("scorecard", "/plans/bench-analysis-01/scorecard"),
            ("unit", "/plans/bench-analysis-01/scorecard?unit=BENCH-D01-U01"),
            ("metric", "/plans/bench-analysis-01/metrics/P1-A1-M2"),
            ("provenance", "/plans/bench-analysis-01/metrics/P1-A1-M2/figures/FY2025-Q4"),
        ):
            with CaptureQueriesContext(connection) as queries:
                page = self.client.get(url)
            assert page.status_code == 200, url
            found[name] = len(queries)
        return found
