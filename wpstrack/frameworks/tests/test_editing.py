"""Coordinators edit elements and metrics in the pages; each edit is a new, audited plan version."""

from wpstrack.audit.models import AuditEvent
from wpstrack.frameworks.models import Element, Metric, MetricDefinition, Plan, Tag, TagSet
from wpstrack.frameworks.services import load_plan_document
from wpstrack.testing import PersonasTestCase, plan_action, plan_document, plan_metric

GOAL = {
    **plan_action(
        "1", [], [plan_metric("1-M1", text="Number of women hired.", frequency="annual")]
    ),
    "level": "goal",
    "title": "Recruit women",
    "source": {"section": "Goal 1"},
}
DOCUMENT = plan_document([GOAL], levels=[{"key": "goal", "name": "Goal"}])

ELEMENT_FORM = {
    "base_version": 1,
    "title": "Recruit more women",
    "text": "",
    "responsible_as_written": "CBP",
    "units": ["DHS-CBP"],
    "outcomes": "More women.\nBetter retention.",
    "tags": [],
    "note": "",
    "reason": "typo in the document",
}


class EditingTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        load_plan_document(DOCUMENT, file_name="tiny.yaml", sha256="0" * 64, actor=None)

    def test_a_coordinator_edits_an_element_into_a_new_version(self):
        self.client.force_login(self.w.cora)
        response = self.client.post("/plans/tiny/elements/1/edit", ELEMENT_FORM)
        self.assertRedirects(response, "/plans/tiny/elements/1")
        element = Element.objects.get(code="1")
        assert element.title == "Recruit more women"
        assert element.outcomes == ["More women.", "Better retention."]
        assert list(element.units.values_list("code", flat=True)) == ["DHS-CBP"]
        assert Plan.objects.get().current_version.number == 2
        event = AuditEvent.objects.get(action="element.update")
        assert event.actor == self.w.cora and event.changes["title"] == [
            "Recruit women",
            "Recruit more women",
        ]
        assert AuditEvent.objects.get(action="element.edit").reason == "typo in the document"

    def test_editing_a_metric_keeps_the_old_definition(self):
        self.client.force_login(self.w.cora)
        form = {
            "base_version": 1,
            "text": "Share of women hired.",
            "type": "percentage",
            "unit": "percent",
            "direction": "increase",
            "frequency": "annual",
            "disaggregation": [],
            "note": "",
            "reason": "the office reports shares",
        }
        self.client.post("/plans/tiny/metrics/1-M1/edit", form)
        metric = Metric.objects.get(code="1-M1")
        assert metric.current.type == "percentage"
        assert MetricDefinition.objects.filter(metric=metric).count() == 2
        assert MetricDefinition.objects.filter(metric=metric, type="count").exists()

    def test_the_edit_is_refused_when_the_plan_changed_meanwhile(self):
        self.client.force_login(self.w.cora)
        self.client.post("/plans/tiny/elements/1/edit", ELEMENT_FORM)
        stale = {**ELEMENT_FORM, "title": "Something else"}
        response = self.client.post("/plans/tiny/elements/1/edit", stale)
        self.assertContains(response, "The plan changed (now version 2)", status_code=400)
        assert Element.objects.get(code="1").title == "Recruit more women"

    def test_the_form_rerenders_with_field_errors(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            "/plans/tiny/elements/1/edit", {**ELEMENT_FORM, "title": "", "units": ["NOPE"]}
        )
        self.assertContains(response, "This field is required", status_code=400)
        self.assertContains(response, "Select a valid choice", status_code=400)
        assert Plan.objects.get().current_version.number == 1

    def test_only_the_plans_coordinators_may_edit(self):
        for persona in ("fatima", "ravi", "vera", "oscar"):
            self.client.force_login(getattr(self.w, persona))
            assert self.client.get("/plans/tiny/elements/1/edit").status_code == 403, persona
            assert (
                self.client.post("/plans/tiny/elements/1/edit", ELEMENT_FORM).status_code == 403
            ), persona
        assert Plan.objects.get().current_version.number == 1

    def test_an_unchanged_form_makes_no_new_version(self):
        self.client.force_login(self.w.cora)
        same = {
            **ELEMENT_FORM,
            "title": "Recruit women",
            "units": [],
            "outcomes": "",
            "responsible_as_written": "",
        }
        self.client.post("/plans/tiny/elements/1/edit", same)
        assert Plan.objects.get().current_version.number == 1

    def test_the_edited_plan_downloads_as_a_plan_file(self):
        self.client.force_login(self.w.cora)
        self.client.post("/plans/tiny/elements/1/edit", ELEMENT_FORM)
        response = self.client.get("/plans/tiny/plan-file.yaml")
        assert response["Content-Disposition"] == 'attachment; filename="tiny.yaml"'
        assert "Recruit more women" in response.content.decode()


class TagSetTestCase(PersonasTestCase):
    def test_a_coordinator_adds_a_tag_set_and_a_tag(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            "/tag-sets",
            {
                "tag_set_key": "dhs-priority",
                "tag_set_name": "DHS priorities",
                "key": "border",
                "name": "Border security",
            },
        )
        self.assertRedirects(response, "/tag-sets")
        assert Tag.objects.get(tag_set__key="dhs-priority", key="border").name == "Border security"
        assert AuditEvent.objects.filter(action="tag.create", actor=self.w.cora).exists()

    def test_a_duplicate_tag_is_refused_with_a_message(self):
        TagSet.objects.create(key="dhs-priority", name="DHS priorities").tags.create(
            key="border", name="B"
        )
        self.client.force_login(self.w.cora)
        response = self.client.post(
            "/tag-sets", {"tag_set_key": "dhs-priority", "key": "border", "name": "x"}
        )
        self.assertContains(response, "already exists", status_code=400)

    def test_focal_points_cannot_add_tags(self):
        self.client.force_login(self.w.fatima)
        response = self.client.post(
            "/tag-sets", {"tag_set_key": "x", "tag_set_name": "X", "key": "y", "name": "Y"}
        )
        assert response.status_code == 403 and not TagSet.objects.exists()
        assert self.client.get("/tag-sets.json").json()["can_add"] is False


class WorkbookExportTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        document = {
            **DOCUMENT,
            "elements": [{**DOCUMENT["elements"][0], "title": '=HYPERLINK("http://x")'}],
        }
        load_plan_document(document, file_name="tiny.yaml", sha256="0" * 64, actor=None)

    def test_the_plan_downloads_as_a_workbook_with_typed_cells_and_no_formulas(self):
        import io

        import openpyxl

        self.client.force_login(self.w.fatima)
        response = self.client.get("/plans/tiny/plan-file.xlsx")
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["Plan", "Elements", "Metrics", "Figures", "Obligations"]
        elements = book["Elements"]
        assert elements.freeze_panes == "A2"
        assert elements["D2"].value == '=HYPERLINK("http://x")' and elements["D2"].data_type == "s"
        assert elements["J2"].value is False
        assert book["Metrics"]["A2"].value == "1-M1"
        metrics = book["Metrics"]
        assert (metrics["M1"].value, metrics["N1"].value) == ("Tolerance", "Trajectory")
        assert (metrics["M2"].value, metrics["N2"].value) == (None, "linear")
        assert book["Figures"]["E1"].value == "At"
        plan = {row[0].value: row[1].value for row in book["Plan"].iter_rows()}
        assert plan["Status tolerance"] == 0.1 and plan["Status roll-up"] == "worst"


class TargetsTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        metric = {
            **DOCUMENT["elements"][0]["metrics"][0],
            "baselines": [
                {"value": 12, "period": "FY2023", "as_written": "12 in 2023", "note": "report"}
            ],
        }
        document = {**DOCUMENT, "elements": [{**DOCUMENT["elements"][0], "metrics": [metric]}]}
        load_plan_document(document, file_name="tiny.yaml", sha256="0" * 64, actor=None)

    def form(self, **changes):
        data = {
            "base_version": 1,
            "text": "Number of women hired.",
            "type": "count",
            "unit": "",
            "direction": "increase",
            "frequency": "annual",
            "disaggregation": ["sex"],
            "note": "",
            "baselines": "FY2023: 12 | 12 in 2023 | report",
            "targets": "",
            "reason": "targets agreed",
        }
        return {**data, **changes}

    def test_a_coordinator_sets_targets_per_period_kept_with_the_plan(self):
        self.client.force_login(self.w.cora)
        page = self.client.get("/plans/tiny/metrics/1-M1/edit")
        self.assertContains(page, "FY2023: 12 | 12 in 2023 | report")
        self.client.post(
            "/plans/tiny/metrics/1-M1/edit", self.form(targets="FY2027: 20\nFY2030: 30 | 30x30")
        )
        definition = Metric.objects.get(code="1-M1").current
        assert definition.targets == [
            {"value": 20, "period": "FY2027"},
            {"value": 30, "period": "FY2030", "as_written": "30x30"},
        ]
        assert definition.baselines == [
            {"value": 12, "period": "FY2023", "as_written": "12 in 2023", "note": "report"}
        ]
        exported = self.client.get("/plans/tiny/plan-file.yaml").content.decode()
        assert "FY2030" in exported and "30x30" in exported

    def test_a_target_that_is_not_a_number_is_refused_at_the_field(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            "/plans/tiny/metrics/1-M1/edit", self.form(targets="FY2030: thirty")
        )
        self.assertContains(response, "Line 1: write it as period: value", status_code=400)
        assert Metric.objects.get(code="1-M1").current.targets == []


class StatusRuleEditingTestCase(PersonasTestCase):
    """Coordinators set each figure's period code, the tolerance and the trajectory on the
    metric's edit page; the plan-file rules check them, as they check a file."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        metric = {
            **DOCUMENT["elements"][0]["metrics"][0],
            "baselines": [{"value": 12, "period": "FY 2023", "at": "FY2023"}],
            "targets": [{"value": 30, "period": "by 2030", "as_written": "30x30"}],
        }
        document = {**DOCUMENT, "elements": [{**DOCUMENT["elements"][0], "metrics": [metric]}]}
        load_plan_document(document, file_name="tiny.yaml", sha256="0" * 64, actor=None)

    def form(self, **changes):
        data = {
            "base_version": 1,
            "text": "Number of women hired.",
            "type": "count",
            "unit": "",
            "direction": "increase",
            "frequency": "annual",
            "disaggregation": ["sex"],
            "note": "",
            "baselines": "FY 2023: 12 @ FY2023",
            "targets": "by 2030: 30 | 30x30",
            "tolerance": "",
            "trajectory": "linear",
            "reason": "dates agreed with the components",
        }
        return {**data, **changes}

    def test_the_page_shows_each_figures_period_code_and_the_status_rule(self):
        self.client.force_login(self.w.cora)
        page = self.client.get("/plans/tiny/metrics/1-M1/edit")
        self.assertContains(page, "FY 2023: 12 @ FY2023")
        self.assertContains(page, "by 2030: 30 | 30x30")
        self.assertContains(page, 'name="tolerance"')
        self.assertContains(page, '<option value="linear" selected>')
        self.assertContains(page, "the plan&#x27;s tolerance (0.1)")
        data = self.client.get("/plans/tiny/metrics/1-M1/edit.json").json()
        assert data["metric"]["status"] == {"tolerance": None, "trajectory": "linear"}

    def test_a_coordinator_dates_a_target_and_sets_the_tolerance_and_trajectory(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            "/plans/tiny/metrics/1-M1/edit",
            self.form(targets="by 2030: 30 @ fy2030 | 30x30", tolerance="0.2", trajectory="step"),
        )
        self.assertRedirects(response, "/plans/tiny/elements/1")
        metric = Metric.objects.get(code="1-M1")
        definition = metric.current
        assert definition.targets == [
            {"value": 30, "period": "by 2030", "at": "FY2030", "as_written": "30x30"}
        ]
        assert definition.status_rule == {"tolerance": 0.2, "trajectory": "step"}
        assert definition.valid_from.number == 2
        assert MetricDefinition.objects.filter(metric=metric).count() == 2
        event = AuditEvent.objects.get(action="metric.redefine")
        assert set(event.changes) == {"status", "targets"} and event.actor == self.w.cora
        exported = self.client.get("/plans/tiny/plan-file.yaml").content.decode()
        assert "at: FY2030" in exported and "trajectory: step" in exported
        page = self.client.get("/plans/tiny/metrics/1-M1/edit")
        self.assertContains(page, "by 2030: 30 @ FY2030 | 30x30")
        self.assertContains(page, '<option value="step" selected>')

    def test_an_unchanged_form_makes_no_new_version(self):
        self.client.force_login(self.w.cora)
        self.client.post("/plans/tiny/metrics/1-M1/edit", self.form())
        assert Plan.objects.get().current_version.number == 1

    def test_a_period_code_that_is_not_one_is_refused_at_the_field(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            "/plans/tiny/metrics/1-M1/edit", self.form(targets="by 2030: 30 @ 2030")
        )
        self.assertContains(
            response, "Line 1: &#x27;2030&#x27; is not a period code", status_code=400
        )
        assert Plan.objects.get().current_version.number == 1

    def test_a_tolerance_out_of_range_is_refused_with_the_plan_file_message(self):
        self.client.force_login(self.w.cora)
        response = self.client.post("/plans/tiny/metrics/1-M1/edit", self.form(tolerance="10"))
        self.assertContains(
            response, "tolerance 10 is not a share above 0 and at most 1", status_code=400
        )
        body = self.client.post(
            "/plans/tiny/metrics/1-M1/edit.json", self.form(tolerance="1.5")
        ).json()
        assert body["code"] == "bad-tolerance" and body["errors"][0]["field"] == "tolerance"
        assert Metric.objects.get(code="1-M1").current.status_rule["tolerance"] is None

    def test_a_blank_tolerance_takes_the_plans_again(self):
        self.client.force_login(self.w.cora)
        self.client.post("/plans/tiny/metrics/1-M1/edit", self.form(tolerance="0.3"))
        self.client.post("/plans/tiny/metrics/1-M1/edit", self.form(base_version=2, tolerance=""))
        assert Metric.objects.get(code="1-M1").current.status_rule == {
            "tolerance": None,
            "trajectory": "linear",
        }
        assert Plan.objects.get().current_version.number == 3


class PlanStatusRulesPageTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        metric = {**DOCUMENT["elements"][0]["metrics"][0], "status": {"tolerance": 0.3}}
        document = {**DOCUMENT, "elements": [{**DOCUMENT["elements"][0], "metrics": [metric]}]}
        load_plan_document(document, file_name="tiny.yaml", sha256="0" * 64, actor=None)

    def form(self, **changes):
        data = {
            "base_version": 1,
            "tolerance": "0.1",
            "rollup": "worst",
            "rollup_share": "0.25",
            "reason": "agreed at the working group",
        }
        return {**data, **changes}

    def test_anyone_who_sees_the_plan_reads_its_status_rules(self):
        self.client.force_login(self.w.vera)
        data = self.client.get("/plans/tiny/status-rules.json").json()
        assert data["status"] == {"tolerance": 0.1, "rollup": "worst", "rollup_share": 0.25}
        assert data["metrics_with_own_rule"] == [
            {"code": "1-M1", "status": {"tolerance": 0.3, "trajectory": "linear"}}
        ]
        assert data["can_edit"] is False
        assert self.client.post("/plans/tiny/status-rules", self.form()).status_code == 403
        self.assertContains(self.client.get("/plans/tiny"), "/plans/tiny/status-rules")

    def test_a_coordinator_changes_the_roll_up_rule_into_a_new_version(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            "/plans/tiny/status-rules", self.form(rollup="share", rollup_share="0.5")
        )
        self.assertRedirects(response, "/plans/tiny/status-rules")
        plan = Plan.objects.get()
        assert plan.status_rules == {"tolerance": 0.1, "rollup": "share", "rollup_share": 0.5}
        assert plan.current_version.number == 2
        event = AuditEvent.objects.get(action="plan.status_rules.edit")
        assert event.reason == "agreed at the working group" and event.actor == self.w.cora
        exported = self.client.get("/plans/tiny/plan-file.yaml").content.decode()
        assert "rollup: share" in exported and "rollup_share: 0.5" in exported

    def test_a_share_out_of_range_is_refused_with_the_plan_file_message(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            "/plans/tiny/status-rules", self.form(rollup="share", rollup_share="25")
        )
        self.assertContains(
            response, "rollup_share 25 is not a share above 0 and below 1", status_code=400
        )
        assert Plan.objects.get().current_version.number == 1

    def test_an_unchanged_form_makes_no_new_version(self):
        self.client.force_login(self.w.cora)
        self.client.post("/plans/tiny/status-rules", self.form(tolerance="", rollup_share=""))
        assert Plan.objects.get().current_version.number == 1


class RulesPageTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        load_plan_document(DOCUMENT, file_name="tiny.yaml", sha256="0" * 64, actor=None)

    def rule(self, **changes):
        data = {
            "base_version": 1,
            "code": "R1",
            "left": "1-M1[sex=women]",
            "operator": "<=",
            "right": "100",
            "when_missing": "skip",
            "message": "At most 100 women hired.",
        }
        return {**data, **changes}

    def test_a_coordinator_adds_and_removes_a_check(self):
        self.client.force_login(self.w.cora)
        self.assertRedirects(
            self.client.post("/plans/tiny/rules", self.rule()), "/plans/tiny/rules"
        )
        rules = self.client.get("/plans/tiny/rules.json").json()["rules"]
        assert [(r["code"], r["left"], r["operator"], r["right"]) for r in rules] == [
            ("R1", "1-M1[sex=women]", "<=", "100")
        ]
        assert (
            "At most 100 women hired."
            in self.client.get("/plans/tiny/plan-file.yaml").content.decode()
        )
        self.client.post("/plans/tiny/rules/R1/remove")
        assert self.client.get("/plans/tiny/rules.json").json()["rules"] == []

    def test_a_check_on_a_metric_the_plan_lacks_is_refused_with_the_plan_file_message(self):
        self.client.force_login(self.w.cora)
        response = self.client.post("/plans/tiny/rules", self.rule(left="9-M9"))
        self.assertContains(response, "is not a metric of this plan", status_code=400)
        assert Plan.objects.get().rules.count() == 0

    def test_focal_points_read_the_checks_but_cannot_change_them(self):
        self.client.force_login(self.w.fatima)
        assert self.client.get("/plans/tiny/rules").status_code == 200
        assert self.client.post("/plans/tiny/rules", self.rule()).status_code == 403
        assert self.client.post("/plans/tiny/rules/R1/remove").status_code == 403


class CategorySetsTestCase(PersonasTestCase):
    def test_a_coordinator_adds_a_category_set_that_metrics_can_use(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            "/disaggregations",
            {
                "key": "personnel",
                "name": "Personnel category",
                "categories": "mil: Military contingent\nfpu: Formed police unit\nIndividual police officer",
            },
        )
        self.assertRedirects(response, "/disaggregations")
        sets = {s["key"]: s for s in self.client.get("/disaggregations.json").json()["sets"]}
        assert [c["key"] for c in sets["personnel"]["categories"]] == [
            "mil",
            "fpu",
            "individual-police-officer",
        ]
        from wpstrack.frameworks.forms import MetricForm

        assert ("personnel", "Personnel category") in MetricForm().fields["disaggregation"].choices

    def test_a_bad_category_line_is_refused_at_the_field(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            "/disaggregations", {"key": "x", "name": "X", "categories": "bad key!: Label"}
        )
        self.assertContains(response, "Line 1: write key: label", status_code=400)

    def test_focal_points_read_category_sets_but_cannot_add_them(self):
        self.client.force_login(self.w.fatima)
        assert self.client.get("/disaggregations").status_code == 200
        response = self.client.post(
            "/disaggregations", {"key": "x", "name": "X", "categories": "a: A"}
        )
        assert response.status_code == 403
