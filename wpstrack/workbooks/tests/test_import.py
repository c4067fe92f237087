"""The spreadsheet round trip through the one import service: templates out, whole files in."""

import io
import json
from decimal import Decimal

import openpyxl
import pytest

from wpstrack.audit.models import AuditEvent
from wpstrack.lib.errors import NotAllowed
from wpstrack.reporting import services as reporting
from wpstrack.reporting.models import ActionUpdate, Value
from wpstrack.testing import PersonasTestCase
from wpstrack.workbooks import services
from wpstrack.workbooks.tests.scenario import fill, open_round


def snapshot():
    return (
        sorted(
            Value.objects.values_list("metric__code", "combination", "number", "text", "comment")
        ),
        AuditEvent.objects.count(),
        list(ActionUpdate.objects.values_list("status", "narrative")),
    )


class ImportTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.round = open_round(cls.w.cora)
        cls.cbp = cls.w.cbp

    def template(self, unit=None):
        return services.template_xlsx(self.round, unit or self.cbp, by="test")

    def upload(self, data, name="cbp.xlsx", actor=None, unit="cbp", dry_run=False):
        return services.import_workbook(
            data=data,
            filename=name,
            actor=actor or self.w.fatima,
            reporting_round=self.round,
            unit=self.cbp if unit == "cbp" else unit,
            dry_run=dry_run,
        )


class TemplateTests(ImportTestCase):
    def test_the_template_holds_exactly_the_units_metrics_and_actions(self):
        book = openpyxl.load_workbook(io.BytesIO(self.template()))
        assert (
            book.sheetnames[:3] == ["Instructions", "Lists", "Values"]
            or "Values" in book.sheetnames
        )
        values = book["Values"]
        keys = [(r[1].value, r[4].value) for r in values.iter_rows(min_row=2)]
        assert keys == [
            ("1-M1", "sex=women"),
            ("1-M1", "sex=men"),
            ("1-M1", "sex=other"),
            ("1-M1", "total"),
            ("1-M2", "total"),
            ("1-M3", "total"),
            ("1-M4", "total"),
            ("1-M5", "total"),
            ("1-M6", "total"),
        ]
        assert [r[1].value for r in book["Actions"].iter_rows(min_row=2)] == ["1"]

    def test_totals_are_formulas_and_key_columns_are_locked(self):
        values = openpyxl.load_workbook(io.BytesIO(self.template()))["Values"]
        assert values["H5"].value == "=SUM(H2:H4)"
        assert values.protection.sheet
        assert values["A2"].protection.locked and values["E2"].protection.locked
        assert not values["H2"].protection.locked and not values["M2"].protection.locked
        assert values["I2"].protection.locked  # a count has no numerator
        assert not values["I6"].protection.locked  # a percentage has one

    def test_data_validation_limits_counts_percentages_and_lists(self):
        values = openpyxl.load_workbook(io.BytesIO(self.template()))["Values"]
        rules = {
            str(dv.sqref): (dv.type, dv.operator, dv.formula1, dv.formula2)
            for dv in values.data_validations.dataValidation
        }
        assert rules["H2:H4"][:3] == ("whole", "greaterThanOrEqual", "0")
        assert rules["H6"] == ("decimal", None, "0", "100")  # "between" is the default
        assert rules["H7"][0] == "list" and rules["H7"][2].startswith("Lists!")
        assert rules["H8"][0] == "list"

    def test_hidden_metadata_names_the_round_unit_version_and_key_checksum(self):
        book = openpyxl.load_workbook(io.BytesIO(self.template()))
        meta = dict((r[0].value, r[1].value) for r in book["_wpstrack"].iter_rows())
        assert book["_wpstrack"].sheet_state == "veryHidden"
        assert meta["round"] == "tiny/FY2025-Q3" and meta["unit"] == "DHS-CBP"
        assert meta["template_version"] == "1" and len(meta["checksum"]) == 16
        assert json.loads(meta["lock_versions"]) == {"DHS-CBP": 0}
        assert meta["generated_at"]

    def test_the_previous_periods_value_is_shown_for_reference(self):
        # No earlier round: the column is empty but present.
        values = openpyxl.load_workbook(io.BytesIO(self.template()))["Values"]
        assert values["G1"].value == "Previous value"


class RoundTripTests(ImportTestCase):
    def test_a_filled_template_fills_the_draft_and_is_audited_with_its_file(self):
        data = fill(self.template())
        report = self.upload(data)
        assert report.errors == [], report.as_dict()
        assert report.status == "imported"
        stored = {(v.metric.code, v.combination): v for v in Value.objects.all()}
        assert stored[("1-M1", "sex=women")].number == 30
        assert stored[("1-M2", "")].number == Decimal("31.5")
        assert stored[("1-M3", "")].text == "medium"
        assert stored[("1-M4", "")].done is True
        assert str(stored[("1-M4", "")].done_on) == "2025-05-02"
        assert stored[("1-M5", "")].currency == "USD"
        assert stored[("1-M6", "")].comment == "@SUM(A1)"  # stored as typed: text, not a formula
        update = ActionUpdate.objects.get()
        assert update.status == "on_track" and update.percent_complete == 40
        event = AuditEvent.objects.get(action="submission.import")
        assert event.changes["file"] == [None, "cbp.xlsx"]
        assert event.changes["sha256"][1] == report.sha256
        assert event.actor == self.w.fatima
        assert (
            AuditEvent.objects.filter(action="value.set").count() == 8
        )  # 3 by sex + 5 single values
        submission = self.round.submissions.get(unit=self.cbp)
        assert submission.state == "draft"  # never submitted by an import

    def test_uploading_the_same_file_twice_changes_nothing_the_second_time(self):
        data = fill(self.template())
        self.upload(data)
        before = snapshot()
        report = self.upload(data)
        assert report.status == "unchanged"
        assert snapshot() == before

    def test_a_dry_run_checks_and_says_what_would_change_but_writes_nothing(self):
        before = snapshot()
        report = self.upload(fill(self.template()), dry_run=True)
        assert (
            report.status == "valid" and len(report.changed["DHS-CBP"]) == 9
        )  # 8 values and the action
        assert snapshot() == before

    def test_a_downloaded_template_is_prefilled_with_the_draft_so_it_round_trips(self):
        self.upload(fill(self.template()))
        again = self.template()
        values = openpyxl.load_workbook(io.BytesIO(again))["Values"]
        assert values["H2"].value == 30 and values["H7"].value == "medium"
        assert self.upload(again).status == "unchanged"

    def test_a_bad_file_is_refused_whole_with_each_cell_and_nothing_is_written(self):
        data = fill(self.template(), {"H2": 30, "H3": -4, "H4": 2.5, "H6": 140, "H7": "huge"})
        before = snapshot()
        report = self.upload(data)
        assert report.pairs() == [
            ("negative-count", "H3"),
            ("not-a-whole-number", "H4"),
            ("percentage-out-of-range", "H6"),
            ("not-on-scale", "H7"),
        ]
        problem = report.errors[0].as_dict()
        assert problem["sheet"] == "Values" and problem["column"] == "Value"
        assert problem["value"] == "-4" and problem["fix"]
        assert snapshot() == before

    def test_a_typed_total_that_is_not_the_sum_of_its_parts_is_refused(self):
        data = fill(self.template(), {"H2": 3, "H3": 4, "H4": 0, "H5": 9})
        assert self.upload(data).pairs() == [("sex-total-mismatch", "H5")]

    def test_formula_injection_is_stored_as_text_and_neutralised_on_the_way_out(self):
        self.upload(fill(self.template(), {"M2": "+cmd|' /C calc'!A0", "H10": "-2+3"}))
        values = openpyxl.load_workbook(io.BytesIO(self.template()))["Values"]
        assert values["M2"].value == "+cmd|' /C calc'!A0" and values["M2"].data_type == "s"
        assert values["M2"].quotePrefix
        csv_text = services.template_csv(self.round, self.cbp, "values").decode("utf-8-sig")
        assert "'+cmd|' /C calc'!A0" in csv_text and ",'-2+3," in csv_text


class CsvTests(ImportTestCase):
    def test_the_csv_round_trips_and_the_apostrophe_we_add_is_taken_off(self):
        self.upload(fill(self.template(), {"H2": 5, "H3": 6, "H4": 1, "M2": "=1+1"}))
        before = snapshot()
        data = services.template_csv(self.round, self.cbp, "values")
        assert self.upload(data, "cbp.csv").status == "unchanged"
        assert snapshot() == before

    def test_a_csv_row_for_another_round_is_refused_at_its_cell(self):
        text = services.template_csv(self.round, self.cbp, "values").decode("utf-8-sig")
        lines = text.splitlines()
        lines[2] = lines[2].replace("tiny/FY2025-Q3", "tiny/FY2025-Q2", 1)
        report = self.upload("\r\n".join(lines).encode(), "cbp.csv")
        assert report.pairs() == [("wrong-round", "A3")]


class AccessTests(ImportTestCase):
    def test_only_the_units_focal_points_and_coordinators_may_import(self):
        data = fill(self.template())
        for person in (self.w.ravi, self.w.vera, self.w.oscar):
            with pytest.raises(NotAllowed):
                self.upload(data, actor=person)
        assert self.upload(data, actor=self.w.cora).status == "imported"

    def test_a_submitted_report_cannot_be_changed_by_a_coordinators_round_workbook(self):
        self.upload(fill(self.template()))
        submission = self.round.submissions.get(unit=self.cbp)
        reporting.submit_submission(submission=submission, actor=self.w.fatima)
        book = openpyxl.load_workbook(io.BytesIO(services.template_xlsx(self.round, None, by="t")))
        rows = {
            (r[0].value, r[1].value, r[4].value): r[0].row
            for r in book["Values"].iter_rows(min_row=2)
        }
        book["Values"][f"H{rows[('DHS-CBP', '1-M1', 'sex=women')]}"] = 31
        output = io.BytesIO()
        book.save(output)
        report = self.upload(output.getvalue(), "round.xlsx", actor=self.w.cora, unit=None)
        assert [p.code for p in report.errors] == ["cannot-edit"]
        assert Value.objects.get(metric__code="1-M1", combination="sex=women").number == 30

    def test_a_file_for_another_unit_is_refused(self):
        ice = services.template_xlsx(self.round, self.w.ice, by="t")
        report = self.upload(ice)
        assert report.pairs() == [("wrong-unit", "")]


class ConflictTests(ImportTestCase):
    def test_a_draft_saved_by_someone_after_the_template_was_made_is_not_overwritten(self):
        old = self.template()
        submission = self.round.submissions.get(unit=self.cbp)
        reporting.save_submission(
            submission=submission,
            values={"1-M1": {"sex=women": {"number": "9"}}},
            actions={},
            lock_version=submission.lock_version,
            actor=self.w.fatima,
        )
        report = self.upload(fill(old))
        assert [p.code for p in report.errors] == ["draft-changed-since"]
        assert "fatima@example.org" in report.errors[0].message
        assert Value.objects.get(metric__code="1-M1", combination="sex=women").number == 9

    def test_the_same_template_corrected_and_uploaded_again_is_not_a_conflict(self):
        template = self.template()
        self.upload(fill(template))
        report = self.upload(fill(template, {"H2": 31, "H3": 70, "H4": 0}))
        assert report.status == "imported", report.as_dict()
        assert Value.objects.get(metric__code="1-M1", combination="sex=women").number == 31

    def test_a_returned_report_goes_back_to_draft_when_a_file_is_imported(self):
        self.upload(fill(self.template()))
        submission = self.round.submissions.get(unit=self.cbp)
        reporting.submit_submission(submission=submission, actor=self.w.fatima)
        reporting.return_submission(submission=submission, actor=self.w.cora, comment="Check H2")
        data = fill(self.template(), {"H2": 32, "H3": 70, "H4": 0})
        assert [p.code for p in self.upload(data).errors] == ["reason-required"]
        report = services.import_workbook(
            data=data,
            filename="cbp.xlsx",
            actor=self.w.fatima,
            reporting_round=self.round,
            unit=self.cbp,
            reason="Corrected the count of women",
        )
        assert report.status == "imported"
        event = AuditEvent.objects.filter(action="submission.import").latest("id")
        assert event.reason == "Imported from cbp.xlsx: Corrected the count of women"
        submission.refresh_from_db()
        assert submission.state == "draft"
