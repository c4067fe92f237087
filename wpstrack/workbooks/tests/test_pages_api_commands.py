"""The spreadsheet pages, API endpoints and commands: all call the one import service, with the
same access rules and the same report."""

import io
import json
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from wpstrack.accounts.services import create_api_token
from wpstrack.audit.models import AuditEvent
from wpstrack.reporting.models import Value
from wpstrack.workbooks.tests.scenario import fill
from wpstrack.workbooks.tests.test_import import ImportTestCase

BAD = {"H2": 30, "H3": -4, "H4": 0, "H6": 140}


class PageTests(ImportTestCase):
    def url(self, tail=""):
        return f"/rounds/{self.round.pk}/units/DHS-CBP{tail}"

    def post_file(self, data, name="cbp.xlsx", tail="/spreadsheet", **extra):
        upload = SimpleUploadedFile(name, data)
        return self.client.post(self.url(tail), {"file": upload}, **extra)

    def test_the_focal_point_downloads_the_units_template(self):
        self.client.force_login(self.w.fatima)
        response = self.client.get(self.url("/template.xlsx"))
        assert response.status_code == 200
        assert (
            response["Content-Disposition"] == 'attachment; filename="tiny-FY2025-Q3-DHS-CBP.xlsx"'
        )
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        assert book["Values"]["B2"].value == "1-M1"
        csv = self.client.get(self.url("/template.csv"))
        assert csv.content.decode("utf-8-sig").startswith("Round,Unit,Metric")

    def test_people_who_may_not_see_the_report_get_no_template(self):
        for person in (self.w.vera, self.w.oscar):
            self.client.force_login(person)
            assert self.client.get(self.url("/template.xlsx")).status_code in (403, 404)
            assert self.client.get(self.url("/spreadsheet")).status_code in (403, 404)

    def test_a_reviewer_may_download_but_not_upload(self):
        self.client.force_login(self.w.ravi)
        data = fill(self.template())
        self.round.submissions.filter(unit=self.cbp).update(state="submitted", furthest_step=5)
        assert self.client.get(self.url("/template.xlsx")).status_code == 200
        assert self.post_file(data).status_code == 403
        assert not Value.objects.exists()

    def test_an_upload_with_mistakes_shows_each_cell_and_offers_a_marked_copy(self):
        self.client.force_login(self.w.fatima)
        response = self.post_file(fill(self.template(), BAD))
        assert response.status_code == 400
        self.assertContains(response, "negative-count", status_code=400)
        self.assertContains(response, "<td>H6</td>", status_code=400)
        report = response.context["report"]
        assert [(e["code"], e["cell"]) for e in report["errors"]] == [
            ("negative-count", "H3"),
            ("percentage-out-of-range", "H6"),
        ]
        marked = self.client.get(report["marked_copy"])
        assert marked.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(marked.content))
        assert book.sheetnames[0] == "Problems"
        assert "negative-count" in book["Values"]["H3"].comment.text
        assert book["Values"]["H3"].fill.fgColor.rgb.endswith("FFC7CE")
        self.client.force_login(self.w.cora)  # the link is for the uploader only
        assert self.client.get(report["marked_copy"]).status_code == 404
        assert not Value.objects.exists()

    def test_a_valid_upload_fills_the_draft_and_goes_back_to_it(self):
        self.client.force_login(self.w.fatima)
        response = self.post_file(fill(self.template()))
        assert response.status_code == 302 and response.url == self.url()
        page = self.client.get(self.url())
        self.assertContains(page, 'value="30"')
        assert Value.objects.get(metric__code="1-M1", combination="sex=women").number == 30

    def test_a_check_only_upload_imports_nothing(self):
        self.client.force_login(self.w.fatima)
        upload = SimpleUploadedFile("cbp.xlsx", fill(self.template()))
        response = self.client.post(self.url("/spreadsheet"), {"file": upload, "dry_run": "on"})
        assert response.status_code == 200
        assert response.context["report"]["status"] == "valid"
        assert not Value.objects.exists()

    def test_the_json_twin_returns_the_report(self):
        self.client.force_login(self.w.fatima)
        response = self.post_file(fill(self.template(), BAD), tail="/spreadsheet.json")
        body = response.json()
        assert response.status_code == 400 and body["code"] == "invalid-file"
        assert body["report"]["errors"][0]["cell"] == "H3"
        assert body["errors"][0]["fix"]

    def test_an_upload_form_without_a_file_names_the_field(self):
        self.client.force_login(self.w.fatima)
        response = self.client.post(self.url("/spreadsheet.json"), {})
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "file"

    def test_the_coordinator_round_trips_the_whole_round_in_one_workbook(self):
        self.client.force_login(self.w.cora)
        response = self.client.get(f"/rounds/{self.round.pk}/template.xlsx")
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        units = {row[0].value for row in book["Values"].iter_rows(min_row=2)}
        assert units == {"DHS-CBP", "DHS-ICE"}
        rows = {r[1].value: r[0].row for r in book["Values"].iter_rows(min_row=2)}
        book["Values"][f"H{rows['2-M1']}"] = 12
        output = io.BytesIO()
        book.save(output)
        upload = SimpleUploadedFile("round.xlsx", output.getvalue())
        response = self.client.post(f"/rounds/{self.round.pk}/spreadsheet", {"file": upload})
        assert response.status_code == 302
        assert Value.objects.get(metric__code="2-M1").number == 12
        self.client.force_login(self.w.fatima)  # a focal point has no whole-round workbook
        assert self.client.get(f"/rounds/{self.round.pk}/template.xlsx").status_code == 403


class ApiTests(ImportTestCase):
    def key(self, user):
        return create_api_token(user=user, name="script", actor=user)[1]

    def post(self, data, user, name="cbp.xlsx", dry_run=False):
        return self.client.post(
            f"/api/rounds/{self.round.pk}/units/DHS-CBP/workbook",
            {"file": SimpleUploadedFile(name, data), "dry_run": "true" if dry_run else "false"},
            HTTP_AUTHORIZATION=f"Bearer {self.key(user)}",
        )

    def test_a_script_downloads_and_imports_a_template_with_its_key(self):
        key = self.key(self.w.fatima)
        response = self.client.get(
            f"/api/rounds/{self.round.pk}/units/DHS-CBP/template.xlsx",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert response.status_code == 200
        answer = self.post(fill(response.content), self.w.fatima)
        assert answer.status_code == 200
        assert answer.json()["report"]["status"] == "imported"
        assert answer.json()["report"]["changed"] == {"DHS-CBP": 9}

    def test_a_bad_file_answers_400_with_the_report(self):
        answer = self.post(fill(self.template(), BAD), self.w.fatima)
        body = answer.json()
        assert answer.status_code == 400 and body["ok"] is False and body["code"] == "invalid-file"
        assert [(e["code"], e["cell"]) for e in body["report"]["errors"]] == [
            ("negative-count", "H3"),
            ("percentage-out-of-range", "H6"),
        ]
        assert not Value.objects.exists()

    def test_the_api_applies_the_pages_access_rules(self):
        assert self.post(fill(self.template()), self.w.ravi).status_code == 403
        assert self.post(fill(self.template()), self.w.oscar).status_code in (403, 404)
        assert not Value.objects.exists()


class CommandTests(ImportTestCase):
    def run_command(self, *args):
        out = io.StringIO()
        call_command(*args, stdout=out)
        return out.getvalue()

    def test_export_template_writes_the_units_workbook_and_csv(self):
        folder = Path(self.tmp_path)
        out = self.run_command(
            "export_template",
            "--round",
            "tiny/FY2025-Q3",
            "--unit",
            "DHS-CBP",
            "--out",
            str(folder / "cbp.xlsx"),
        )
        assert "cbp.xlsx" in out
        book = openpyxl.load_workbook(folder / "cbp.xlsx")
        assert book["Values"]["A2"].value == "DHS-CBP"
        self.run_command(
            "export_template", "--round", str(self.round.pk), "--out", str(folder / "all.csv")
        )
        assert "DHS-ICE" in (folder / "all.csv").read_text(encoding="utf-8-sig")

    def test_import_workbook_prints_the_report_and_exits_1_when_invalid(self):
        path = Path(self.tmp_path) / "bad.xlsx"
        path.write_bytes(fill(self.template(), BAD))
        with pytest.raises(SystemExit) as exit_info:
            self.run_command("import_workbook", str(path))
        assert exit_info.value.code == 1
        assert not Value.objects.exists()

    def test_import_workbook_dry_run_then_import(self):
        path = Path(self.tmp_path) / "cbp.xlsx"
        path.write_bytes(fill(self.template()))
        out = self.run_command("import_workbook", str(path), "--dry-run")
        assert "would change" in out and not Value.objects.exists()
        out = self.run_command("import_workbook", str(path), "--json")
        assert json.loads(out)["status"] == "imported"
        event = AuditEvent.objects.get(action="submission.import")
        assert event.actor is None and event.actor_label.startswith("command import-workbook")

    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path):
        self.tmp_path = tmp_path


class RoundPageFormTests(ImportTestCase):
    def test_the_units_round_page_has_the_upload_form_for_those_who_may_import(self):
        self.client.force_login(self.w.fatima)
        page = self.client.get(f"/rounds/{self.round.pk}/units/DHS-CBP")
        self.assertContains(page, f'action="/rounds/{self.round.pk}/units/DHS-CBP/spreadsheet"')
        self.client.force_login(self.w.ravi)
        self.round.submissions.filter(unit=self.cbp).update(state="submitted", furthest_step=5)
        page = self.client.get(f"/rounds/{self.round.pk}/units/DHS-CBP")
        self.assertNotContains(page, 'name="file"')
        self.assertContains(page, "template.xlsx")
