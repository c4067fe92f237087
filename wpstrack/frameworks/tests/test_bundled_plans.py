"""The four bundled plans load completely, and their words are the documents' words."""

import re
from pathlib import Path

from django.conf import settings
from django.db.models import Count
from django.test import TestCase

from wpstrack.accounts.unitfile import load_unit_file
from wpstrack.frameworks.loading import bundled_plan_files, load_plan_files
from wpstrack.frameworks.models import Element, Metric, Plan

SEEDS = Path(settings.PLANS_DIR) / "sources"


def normalise(text: str) -> str:
    text = re.sub(r"\*\*|<u>|</u>", "", text)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip().lower()


def letters(text: str) -> str:
    """Only letters and digits: hyphenation, line breaks and footnote marks do not count."""
    return re.sub(r"[^a-z0-9]", "", normalise(text))


class BundledPlansTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_unit_file(settings.PLANS_DIR / "organisation.yaml", actor=None)
        result = load_plan_files(bundled_plan_files(), actor=None, actor_label="test")
        assert result.ok, [str(p) for p in result.problems]

    def counts(self, slug):
        rows = (
            Element.objects.filter(plan__slug=slug)
            .values_list("level__key")
            .annotate(n=Count("id"))
            .order_by("level__position")
        )
        return dict(rows)

    def test_the_four_plans_load_with_their_slugs(self):
        assert sorted(Plan.objects.values_list("slug", flat=True)) == [
            "dhs-wps-2024",
            "dpko-dfs-gender-2014-2018",
            "dpo-gender-policy-2024",
            "state-pm-wps",
        ]

    def test_the_dhs_plan_has_5_lines_of_effort_10_goals_and_25_actions(self):
        assert self.counts("dhs-wps-2024") == {"line_of_effort": 5, "goal": 10, "action": 25}
        assert Metric.objects.filter(plan__slug="dhs-wps-2024").count() == 44
        # 30x30: the target DHS's dashboards track for women in law enforcement.
        thirty = Metric.objects.get(plan__slug="dhs-wps-2024", code="1.1-A2-M1").current
        assert thirty.targets[0]["value"] == 30 and thirty.targets[0]["at"] == "FY2030"
        plan = Plan.objects.get(slug="dhs-wps-2024")
        assert plan.fiscal_year_start_month == 10
        assert plan.obligations.filter(title__icontains="Congress").exists()

    def test_every_dhs_action_has_outcomes_metrics_and_a_responsible_office(self):
        for action in Element.objects.filter(plan__slug="dhs-wps-2024", level__key="action"):
            assert action.outcomes, action.code
            assert action.metrics.exists(), action.code
            assert action.units.exists() and action.responsible_as_written, action.code

    def test_goal_4_2_actions_belong_to_cbp(self):
        codes = set(
            Element.objects.filter(plan__slug="dhs-wps-2024", units__code="DHS-CBP").values_list(
                "code", flat=True
            )
        )
        assert {"4.2-A1", "4.2-A2", "4.2-A3"} <= codes

    def test_the_state_plan_has_the_four_outcomes_and_its_programmes(self):
        assert self.counts("state-pm-wps") == {"outcome": 4, "programme": 4}
        titles = set(
            Element.objects.filter(plan__slug="state-pm-wps", level__key="programme").values_list(
                "code", flat=True
            )
        )
        assert titles == {"GPOI", "IMET", "CWD", "GDRP"}
        trained = Metric.objects.filter(plan__slug="state-pm-wps", current__baselines__isnull=False)
        assert trained.count() >= 9

    def test_the_dpko_dfs_strategy_has_every_level(self):
        assert self.counts("dpko-dfs-gender-2014-2018") == {
            "objective": 3,
            "outcome": 3,
            "sub_outcome": 9,
            "output": 24,
            "approach": 3,
            "priority_area": 8,
            "role": 9,
        }
        plan = Plan.objects.get(slug="dpko-dfs-gender-2014-2018")
        assert plan.fiscal_year_start_month == 1
        evaluations = [
            o for o in plan.obligations.all() if "evaluation" in (o.title + o.text).lower()
        ]
        assert {2016, 2018} <= {year for o in evaluations for year in o.years} or any(
            "mid-term" in o.text.lower() for o in evaluations
        )

    def test_the_dpo_policy_has_21_annex_components_and_their_functions(self):
        counts = self.counts("dpo-gender-policy-2024")
        assert (
            counts["component"] == 21 and counts["function"] == 110 and counts["requirement"] == 57
        )
        flagged = Element.objects.filter(
            plan__slug="dpo-gender-policy-2024", level__key="function", needs_indicators=True
        )
        assert flagged.count() >= 7
        for function in flagged:
            assert "indicator" in function.title.lower() + function.text.lower()
        # The policy's own metrics, and the one wpstrack added for the UGPS targets (17-M1).
        assert Metric.objects.filter(plan__slug="dpo-gender-policy-2024").count() == 4
        fifteen = Metric.objects.get(plan__slug="dpo-gender-policy-2024", code="52-M1")
        assert fifteen.current.targets[0]["value"] == 15

    def test_titles_and_texts_are_the_documents_own_words(self):
        sources = {
            p.slug: letters((SEEDS / p.source["file"]).read_text()) for p in Plan.objects.all()
        }
        missing = []
        for element in Element.objects.select_related("plan", "level").exclude(level__key="role"):
            document = sources[element.plan.slug]
            for words in [element.title, *element.text.split("\n")]:
                # The seeds break table cells across lines, so check that each passage opens
                # with the document's own words.
                opening = letters(words)[:40]
                if len(opening) == 40 and opening not in document:
                    missing.append(f"{element.plan.slug} {element.code}: {words[:60]}")
        assert missing == [], missing[:20]

    def test_metric_texts_are_the_documents_own_words(self):
        sources = {
            p.slug: normalise((SEEDS / p.source["file"]).read_text()) for p in Plan.objects.all()
        }
        for metric in Metric.objects.select_related("plan", "current").filter(
            plan__slug="dhs-wps-2024", current__source_text="table"
        ):
            assert normalise(metric.current.text) in sources["dhs-wps-2024"], metric.code
        # The DPO policy's metrics open with its words, except the one wpstrack added.
        document = letters((SEEDS / "004_38d32995a4253855.txt").read_text())
        for metric in Metric.objects.select_related("current").filter(
            plan__slug="dpo-gender-policy-2024"
        ):
            opening = letters(metric.current.text)[:40]
            written = opening in document
            assert written == (metric.current.source_text != "added"), metric.code

    def test_a_metric_wpstrack_added_says_so_and_names_its_source(self):
        added = Metric.objects.select_related("plan", "current").filter(
            current__source_text="added"
        )
        assert [(m.plan.slug, m.code) for m in added] == [("dpo-gender-policy-2024", "17-M1")]
        for metric in added:
            assert metric.current.note.startswith("Added by wpstrack"), metric.code
            assert "Uniformed Gender Parity Strategy" in metric.current.source
            assert "https://peacekeeping.un.org/" in metric.current.source
            assert all(t.get("source") and t.get("as_written") for t in metric.current.targets)

    def test_the_ugps_targets_are_per_category_with_their_sources(self):
        ugps = Metric.objects.get(plan__slug="dpo-gender-policy-2024", code="17-M1").current
        assert ugps.disaggregation == ["personnel-category"]
        targets = {
            (t["for"].removeprefix("personnel-category="), t["at"]): t["value"]
            for t in ugps.targets
        }
        assert targets == {
            ("military-contingent", "FY2021"): 8,
            ("military-contingent", "FY2025"): 12,
            ("military-contingent", "FY2028"): 15,
            ("staff-officer", "FY2021"): 18,
            ("staff-officer", "FY2025"): 22,
            ("staff-officer", "FY2028"): 25,
            ("formed-police-unit", "FY2022"): 12,
            ("formed-police-unit", "FY2025"): 15,
            ("formed-police-unit", "FY2028"): 20,
            ("individual-police-officer", "FY2028"): 30,
        }
        # Not confirmed, so not entered: justice and corrections, and the IPO 2025 figure.
        assert "justice and corrections" in ugps.note and "2025 target" in ugps.note
        assert not ugps.baselines

    def test_figures_have_period_codes_only_where_the_document_dates_them(self):
        dated = {
            (metric.plan.slug, metric.code, kind, figure["value"]): figure.get("at")
            for metric in Metric.objects.select_related("plan", "current").exclude(
                current__source_text="added"  # the UGPS targets: dated by their sources
            )
            for kind in ("baselines", "targets")
            for figure in getattr(metric.current, kind)
        }
        assert {key: at for key, at in dated.items() if at} == {
            ("dhs-wps-2024", "1.1-A2-M1", "targets", 30): "FY2030",
            ("state-pm-wps", "GPOI-M2", "baselines", 63): "FY2021",
            ("state-pm-wps", "GPOI-M3", "baselines", 44): "FY2021",
            ("state-pm-wps", "GPOI-M10", "targets", 1): "FY2022",
            ("state-pm-wps", "IMET-M3", "targets", 3000000): "FY2022",
        }
        # The document's own words for the period stay as they were.
        thirty = Metric.objects.get(plan__slug="dhs-wps-2024", code="1.1-A2-M1").current
        assert (
            thirty.targets[0]["period"] == "2030"
            and "30% by 2030" in thirty.targets[0]["as_written"]
        )
        assert "assumption" in thirty.targets[0]["note"]

    def test_the_plans_use_the_default_status_rules(self):
        for plan in Plan.objects.all():
            assert plan.status_rules == {"tolerance": 0.1, "rollup": "worst", "rollup_share": 0.25}
        assert not Metric.objects.exclude(
            current__status_rule={"tolerance": None, "trajectory": "linear"}
        ).exists()

    def test_the_plan_files_and_their_exports_match_the_json_schema(self):
        import json

        import jsonschema

        from wpstrack.frameworks.export import plan_document
        from wpstrack.lib.yamlfile import load_yaml

        schema = json.loads(
            (Path(settings.BASE_DIR) / "docs" / "plan-file.schema.json").read_text()
        )
        validator = jsonschema.Draft202012Validator(schema)
        for path in bundled_plan_files():
            errors = [
                e.message for e in validator.iter_errors(json.loads(json.dumps(load_yaml(path))))
            ]
            assert errors == [], (path.name, errors[:3])
        for plan in Plan.objects.all():
            errors = [e.message for e in validator.iter_errors(plan_document(plan))]
            assert errors == [], (plan.slug, errors[:3])
