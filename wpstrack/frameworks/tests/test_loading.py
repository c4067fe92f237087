"""Loading, reloading, changing and exporting a plan file."""

import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.test import TestCase

from wpstrack.audit.models import AuditEvent
from wpstrack.frameworks.export import plan_document, to_yaml
from wpstrack.frameworks.loading import load_plan_files
from wpstrack.frameworks.models import Element, Metric, MetricDefinition, Plan, Tag, TagSet
from wpstrack.testing import make_personas

PLAN = """\
format: wpstrack-plan/1
slug: tiny
title: A tiny plan
owner_unit: DHS
source: {file: tiny.txt, title: A tiny plan}
fiscal_year_start_month: 10
levels:
  - {key: goal, name: Goal}
  - {key: action, name: Action}
elements:
  - code: "1"
    level: goal
    title: Recruit women
    tags: [pillar-1325:participation]
    source: {section: "Goal 1"}
    children:
      - code: 1-A1
        level: action
        title: Mentor women
        units: [DHS-CBP]
        outcomes: ["More mentees."]
        source: {section: "Goal 1, Action 1"}
        metrics:
          - code: 1-A1-M1
            text: Number of women mentees.
            type: count
            direction: increase
      - code: 1-A2
        level: action
        title: Train women
        source: {section: "Goal 1, Action 2"}
"""


class LoadingTestCase(TestCase):
    w: Any

    @classmethod
    def setUpTestData(cls):
        cls.w = make_personas()
        pillars = TagSet.objects.create(key="pillar-1325", name="1325 pillars")
        Tag.objects.create(tag_set=pillars, key="participation", name="Participation")

    def setUp(self):
        import tempfile

        self.dir = Path(tempfile.mkdtemp())

    def load(self, text: str, name: str = "tiny.yaml"):
        path = self.dir / name
        path.write_text(textwrap.dedent(text))
        result = load_plan_files([path], actor=self.w.cora)
        assert result.ok, [str(p) for p in result.problems]
        return result

    def test_it_loads_the_tree(self):
        self.load(PLAN)
        action = Element.objects.get(code="1-A1")
        assert action.parent.code == "1" and action.level.key == "action"
        assert list(action.units.values_list("code", flat=True)) == ["DHS-CBP"]
        metric = Metric.objects.get(code="1-A1-M1")
        assert metric.current.disaggregation == ["sex"]  # counts of people default to sex

    def test_loading_the_same_file_twice_changes_nothing(self):
        self.load(PLAN)
        events = AuditEvent.objects.count()
        result = self.load(PLAN)
        assert result.loaded == [("tiny", None, [])]
        assert AuditEvent.objects.count() == events
        assert Plan.objects.get().versions.count() == 1

    def test_a_changed_file_updates_elements_in_place_and_records_who_and_what(self):
        self.load(PLAN)
        element_id = Element.objects.get(code="1-A1").pk
        result = self.load(PLAN.replace("title: Mentor women", "title: Mentor more women"))
        assert result.loaded[0][1] == 2
        assert Element.objects.get(code="1-A1").pk == element_id
        event = AuditEvent.objects.get(action="element.update")
        assert event.actor == self.w.cora
        assert event.changes == {"title": ["Mentor women", "Mentor more women"]}

    def test_changing_a_metric_keeps_its_old_definition(self):
        self.load(PLAN)
        old = Metric.objects.get(code="1-A1-M1").current
        self.load(PLAN.replace("type: count", "type: percentage").replace("Number of", "Share of"))
        metric = Metric.objects.get(code="1-A1-M1")
        assert metric.current != old and metric.current.type == "percentage"
        assert MetricDefinition.objects.get(pk=old.pk).text == "Number of women mentees."
        assert metric.current.valid_from.number == 2 and old.valid_from.number == 1

    def test_an_element_left_out_is_retired_not_deleted(self):
        self.load(PLAN)
        without = PLAN[: PLAN.index("      - code: 1-A2")]
        self.load(without)
        retired = Element.objects.get(code="1-A2")
        assert retired.retired_in.number == 2
        assert "1-A2" not in str(plan_document(Plan.objects.get()))

    def test_export_then_load_gives_the_same_plan(self):
        self.load(PLAN)
        plan = Plan.objects.get()
        exported = to_yaml(plan_document(plan))
        result = self.load(exported, "exported.yaml")
        assert result.loaded == [("tiny", None, [])]
        assert plan_document(plan) == plan.current_version.content

    def test_changing_a_metrics_status_rule_is_a_new_definition_in_a_new_version(self):
        self.load(PLAN)
        old = Metric.objects.get(code="1-A1-M1").current
        assert old.status_rule == {"tolerance": None, "trajectory": "linear"}
        changed = PLAN.replace(
            "direction: increase\n",
            "direction: increase\n"
            "            targets: [{value: 30, period: by 2030, at: FY2030}]\n"
            "            status: {tolerance: 0.2, trajectory: step}\n",
        )
        result = self.load(changed)
        assert result.loaded[0][1] == 2
        metric = Metric.objects.get(code="1-A1-M1")
        assert metric.current != old
        assert metric.current.status_rule == {"tolerance": 0.2, "trajectory": "step"}
        assert metric.current.targets == [{"value": 30, "period": "by 2030", "at": "FY2030"}]
        event = AuditEvent.objects.get(action="metric.redefine")
        assert event.changes["status"] == [
            {"tolerance": None, "trajectory": "linear"},
            {"tolerance": 0.2, "trajectory": "step"},
        ]
        assert set(event.changes) == {"status", "targets"}

    def test_changing_the_plans_status_rule_makes_a_new_version(self):
        self.load(PLAN)
        plan = Plan.objects.get()
        assert plan.status_rules == {"tolerance": 0.1, "rollup": "worst", "rollup_share": 0.25}
        changed = PLAN.replace(
            "fiscal_year_start_month: 10\n",
            "fiscal_year_start_month: 10\nstatus: {tolerance: 0.05, rollup: share}\n",
        )
        result = self.load(changed)
        assert result.loaded[0][1] == 2
        plan.refresh_from_db()
        assert plan.status_rules == {"tolerance": 0.05, "rollup": "share", "rollup_share": 0.25}
        assert plan.current_version.changes[0] == "plan.update: status_rules"
        event = AuditEvent.objects.filter(action="plan.load").latest("id")
        assert event.changes["status_rules"][1]["rollup"] == "share"
        assert self.load(changed).loaded == [("tiny", None, [])]

    def test_status_rules_and_period_codes_survive_export_then_load(self):
        self.load(
            PLAN.replace(
                "fiscal_year_start_month: 10\n",
                "fiscal_year_start_month: 10\nstatus: {rollup: share, rollup_share: 0.4}\n",
            ).replace(
                "direction: increase\n",
                "direction: increase\n"
                "            baselines: [{value: 12, period: FY 2023, at: FY2023}]\n"
                "            targets: [{value: 30, period: by 2030, at: FY2030-Q4, note: n}]\n"
                "            status: {tolerance: 0.3}\n",
            )
        )
        plan = Plan.objects.get()
        document = plan_document(plan)
        assert document["status"] == {"tolerance": 0.1, "rollup": "share", "rollup_share": 0.4}
        metric = document["elements"][0]["children"][0]["metrics"][0]
        assert metric["status"] == {"tolerance": 0.3, "trajectory": "linear"}
        assert metric["targets"][0]["at"] == "FY2030-Q4"
        exported = to_yaml(document)
        assert "at: FY2030-Q4" in exported and "rollup_share: 0.4" in exported
        result = self.load(exported, "exported.yaml")
        assert result.loaded == [("tiny", None, [])]
        assert plan_document(plan) == plan.current_version.content

    def test_plans_stored_before_status_rules_reload_unchanged_after_the_migration(self):
        import importlib

        from django.apps import apps

        self.load(PLAN)
        version = Plan.objects.get().current_version
        content = version.content
        del content["status"]
        del content["elements"][0]["children"][0]["metrics"][0]["status"]
        version.content = content
        version.save()
        migration = importlib.import_module("wpstrack.frameworks.migrations.0006_status_rules")
        migration.add_status_to_stored_plans(apps, None)
        version.refresh_from_db()
        assert version.content["status"]["rollup"] == "worst"
        assert self.load(PLAN).loaded == [("tiny", None, [])]

    def test_a_document_built_without_status_blocks_loads_with_the_defaults(self):
        from wpstrack.frameworks.services import load_plan_document
        from wpstrack.testing import plan_action, plan_document, plan_metric

        metric = plan_metric("1-M1")
        del metric["status"]
        document = plan_document([plan_action("1", [], [metric])])
        del document["status"]
        plan, _version = load_plan_document(
            document, file_name="tiny.yaml", sha256="0" * 64, actor=None
        )
        assert "status" not in document  # the caller's document is left as it was
        assert plan.status_rules["tolerance"] == 0.1
        assert Metric.objects.get(code="1-M1").current.status_rule["trajectory"] == "linear"
        again = load_plan_document({**document}, file_name="tiny.yaml", sha256="0" * 64, actor=None)
        assert again[1] is None

    def test_a_bad_file_loads_nothing(self):
        path = self.dir / "bad.yaml"
        path.write_text(
            PLAN.replace(
                "level: action\n        title: Train", "level: acton\n        title: Train"
            )
        )
        result = load_plan_files([path], actor=None)
        assert not result.ok
        assert [str(p) for p in result.problems] == [
            "bad.yaml:29: level: element 1-A2: unknown level 'acton' (use one of: goal, action)"
        ]
        assert Plan.objects.count() == 0 and Element.objects.count() == 0


@pytest.mark.django_db
def test_the_export_plan_command_writes_yaml_that_loads_back(tmp_path):
    from django.conf import settings
    from django.core.management import call_command

    from wpstrack.accounts.unitfile import load_unit_file

    load_unit_file(settings.PLANS_DIR / "organisation.yaml", actor=None)
    call_command("load_plans")
    out = tmp_path / "dhs.yaml"
    call_command("export_plan", "dhs-wps-2024", "--out", str(out))
    result = load_plan_files([out], actor=None)
    assert result.ok and result.loaded == [("dhs-wps-2024", None, [])]


@pytest.mark.django_db
def test_a_reference_file_with_a_nameless_set_is_refused_not_a_crash(tmp_path):
    from wpstrack.frameworks.services import load_disaggregations

    path = tmp_path / "disaggregations.yaml"
    path.write_text("sets:\n  - key: sex\n    categories: [{key: women, label: Women}]\n")
    problems = load_disaggregations(path, actor=None)
    assert [str(p) for p in problems] == [
        "disaggregations.yaml:2: sets: each set needs a key and a name (write - {key: ..., name: ...})"
    ]
    from wpstrack.frameworks.models import DisaggregationSet

    assert not DisaggregationSet.objects.exists()


@pytest.mark.django_db
def test_a_relabelled_category_is_renamed_in_place_and_audited(tmp_path):
    from wpstrack.frameworks.models import Category
    from wpstrack.frameworks.services import load_disaggregations

    path = tmp_path / "disaggregations.yaml"
    path.write_text("sets:\n  - {key: sex, name: Sex, categories: [{key: other, label: Other}]}\n")
    load_disaggregations(path, actor=None)
    path.write_text(
        "sets:\n  - {key: sex, name: Sex, categories: [{key: other, label: Not recorded}]}\n"
    )
    load_disaggregations(path, actor=None)
    assert Category.objects.get(key="other").label == "Not recorded"
    event = AuditEvent.objects.filter(action="category.save").latest("id")
    assert event.changes == {"label": ["Other", "Not recorded"]}
