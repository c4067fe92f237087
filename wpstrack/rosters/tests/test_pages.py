"""The roster pages through Django's test client: upload, map, preview, save, run, export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from wpstrack.audit.models import AuditEvent
from wpstrack.reporting.models import Value
from wpstrack.rosters import services
from wpstrack.rosters.models import RosterMapping, RosterRun, RosterUpload
from wpstrack.rosters.tests.test_runs import HEADER, MAPPING, ROWS, RoundCase

EXTRACT = (HEADER + "\n".join(ROWS) + "\n").encode()


class RosterPagesTests(RoundCase):
    def setUp(self) -> None:
        super().setUp()
        self.client.force_login(self.w.cora)

    def upload(self, content: bytes = EXTRACT, name: str = "extract.csv"):
        return self.client.post("/plans/tiny/rosters", {"file": SimpleUploadedFile(name, content)})

    def editor_post(self, upload: RosterUpload, action: str, **extra: str) -> dict[str, str]:
        data = {
            "action": action,
            "name": "NFC extract",
            "kind": "hr",
            "date_formats": "%Y-%m-%d",
            "blank_sex": "on",
            "filters": "occupation in 1811",
            "col_person_id": "Employee ID",
            "col_unit": "Org",
            "col_sex": "Gender",
            "col_hire_date": "EOD",
            "col_separation_date": "Separation",
            "col_occupation": "Series",
            "rule_metric_0": "1-M1",
            "rule_measure_0": "share_women",
            "rule_metric_1": "1-M2",
            "rule_measure_1": "hires",
            "reporting_round": str(self.round.pk),
            "accept_share": "0",
            **extra,
        }
        return data

    def test_an_upload_is_kept_and_leads_to_its_mapping_page(self):
        response = self.upload()
        upload = RosterUpload.objects.get()
        assert response.status_code == 302
        assert response.url == f"/plans/tiny/rosters/files/{upload.pk}"
        assert upload.headers == ["Employee ID", "Org", "Gender", "EOD", "Separation", "Series"]
        page = self.client.get(response.url)
        self.assertContains(page, "Employee ID")
        # The columns were guessed from the headers.
        self.assertContains(page, '<option value="Gender" selected>')

    def test_a_file_that_is_not_a_roster_gets_a_message_and_is_not_kept(self):
        response = self.upload(b"%PDF-1.7\x00\x01binary", "report.pdf")
        assert response.status_code == 400
        assert not RosterUpload.objects.exists()
        assert list(Path(self.tmp).iterdir()) == []
        json = self.client.post(
            "/plans/tiny/rosters.json",
            {"file": SimpleUploadedFile("report.pdf", b"%PDF-1.7\x00\x01binary")},
        ).json()
        assert json["ok"] is False and json["errors"][0]["field"] == "file"

    def test_the_spellings_found_are_offered_for_mapping(self):
        self.upload()
        upload = RosterUpload.objects.get()
        response = self.client.post(
            f"/plans/tiny/rosters/files/{upload.pk}", self.editor_post(upload, "preview")
        )
        assert response.status_code == 200
        self.assertContains(response, "<code>female</code>")
        self.assertContains(response, "<code>W</code>")
        self.assertContains(response, 'id="preview-table"')
        self.assertNotContains(response, "EMP-0001")  # no person ids on the page
        self.assertNotContains(response, "2020-01-01")  # nor dates

    def test_a_column_of_names_chosen_as_a_category_lists_none_of_them(self):
        names = [f"NEW-{n:04},CBP,Jane Doe-{n:04},2020-01-01,,1811" for n in range(80)]
        self.upload((HEADER + "\n".join([*ROWS, *names]) + "\n").encode())
        upload = RosterUpload.objects.get()
        response = self.client.post(
            f"/plans/tiny/rosters/files/{upload.pk}", self.editor_post(upload, "preview")
        )
        self.assertContains(response, "85 different values, not listed")  # and 5 of sex
        self.assertNotContains(response, "Jane Doe")
        self.assertContains(response, "<code>CBP</code>")  # the unit column still lists its own

    def test_a_preview_of_a_file_gone_meanwhile_says_so(self):
        self.upload()
        upload = RosterUpload.objects.get()
        (Path(self.tmp) / upload.stored_name).unlink()
        response = self.client.post(
            f"/plans/tiny/rosters/files/{upload.pk}", self.editor_post(upload, "preview")
        )
        self.assertContains(response, "could not be read", status_code=400)

    def test_save_then_run_fills_the_drafts_and_shows_the_run(self):
        self.upload()
        upload = RosterUpload.objects.get()
        page = self.client.get(f"/plans/tiny/rosters/files/{upload.pk}")
        spelled = {
            name: spelling
            for name, field in page.context["form"].fields.items()
            if name.startswith("spell_")
            for spelling in [field.initial]
        }
        extra = {}
        for name, spelling in spelled.items():
            if spelling in ("CBP", "ICE"):
                extra[name.replace("spell_", "val_")] = f"DHS-{spelling}"
                extra[name] = spelling
        post = self.editor_post(upload, "run", **extra)
        response = self.client.post(f"/plans/tiny/rosters/files/{upload.pk}", post)
        assert response.status_code == 302, response.content.decode()[:2000]
        run = RosterRun.objects.get()
        assert response.url == f"/plans/tiny/rosters/runs/{run.pk}"
        assert run.state == RosterRun.DONE, run.refusal
        assert Value.objects.filter(submission__unit__code="DHS-CBP").exists()
        shown = self.client.get(response.url)
        self.assertContains(shown, "Values written to drafts")
        data = self.client.get(f"{response.url}.json").json()
        assert {r["unit"] for r in data["run"]["results"]} == {"DHS", "DHS-CBP", "DHS-ICE"}

    def test_a_file_the_engine_refuses_while_running_saves_no_mapping_either(self):
        broken = HEADER + "\n".join(ROWS) + '\nEMP-0009,"CBP,F,2020-01-01,,1811\n'  # open quote
        self.upload(broken.encode())
        upload = RosterUpload.objects.get()
        events = AuditEvent.objects.count()
        response = self.client.post(
            f"/plans/tiny/rosters/files/{upload.pk}", self.editor_post(upload, "run")
        )
        self.assertContains(response, "could not be read", status_code=400)
        assert not RosterMapping.objects.exists() and not RosterRun.objects.exists()
        assert AuditEvent.objects.count() == events

    def test_a_run_refused_before_reading_saves_no_mapping_either(self):
        self.upload()
        upload = RosterUpload.objects.get()
        post = self.editor_post(upload, "run", rule_measure_0="hires")  # a count for a share
        response = self.client.post(f"/plans/tiny/rosters/files/{upload.pk}", post)
        self.assertContains(response, "hires is a count", status_code=400)
        assert not RosterMapping.objects.exists()
        assert not RosterRun.objects.exists()

    def test_an_incomplete_mapping_names_each_problem_and_saves_nothing(self):
        self.upload()
        upload = RosterUpload.objects.get()
        post = self.editor_post(upload, "save", col_sex="", name="")
        response = self.client.post(f"/plans/tiny/rosters/files/{upload.pk}", post)
        assert response.status_code == 400
        assert not RosterMapping.objects.exists()
        json = self.client.post(f"/plans/tiny/rosters/files/{upload.pk}.json", post).json()
        assert json["ok"] is False

    def test_a_mapping_exports_and_imports_as_a_file(self):
        mapping = services.save_mapping(plan=self.plan, data=MAPPING, actor=self.w.cora)
        exported = self.client.get(f"/plans/tiny/rosters/mappings/{mapping.slug}/mapping.yaml")
        assert exported.status_code == 200
        data = yaml.safe_load(exported.content)
        assert data["columns"]["sex"] == "Gender"
        data["name"] = "NFC extract (copy)"
        imported = self.client.post(
            "/plans/tiny/rosters/mappings/import",
            {"file": SimpleUploadedFile("m.yaml", yaml.safe_dump(data).encode())},
        )
        assert imported.status_code == 302
        copy = RosterMapping.objects.get(name="NFC extract (copy)")
        assert copy.spec["rules"] == mapping.spec["rules"]

    def test_a_mapping_edited_as_yaml_with_a_mistake_says_where(self):
        mapping = services.save_mapping(plan=self.plan, data=MAPPING, actor=self.w.cora)
        response = self.client.post(
            f"/plans/tiny/rosters/mappings/{mapping.slug}", {"text": "name: [unclosed"}
        )
        assert response.status_code == 400
        self.assertContains(response, "line 1", status_code=400)
        bad = yaml.safe_dump({**MAPPING, "kind": "payroll"})
        response = self.client.post(f"/plans/tiny/rosters/mappings/{mapping.slug}", {"text": bad})
        self.assertContains(response, "payroll", status_code=400)
        mapping.refresh_from_db()
        assert mapping.version == 1

    def test_a_mapping_nested_too_deeply_is_refused_not_a_server_error(self):
        mapping = services.save_mapping(plan=self.plan, data=MAPPING, actor=self.w.cora)
        deep = "name: " + "[" * 2000
        response = self.client.post(f"/plans/tiny/rosters/mappings/{mapping.slug}", {"text": deep})
        self.assertContains(response, "nested too deeply", status_code=400)
        imported = self.client.post(
            "/plans/tiny/rosters/mappings/import",
            {"file": SimpleUploadedFile("m.yaml", deep.encode())},
            follow=True,
        )
        self.assertContains(imported, "nested too deeply")
        assert RosterMapping.objects.count() == 1

    def test_a_mapping_never_run_can_be_deleted_and_its_deletion_is_audited(self):
        mapping = services.save_mapping(plan=self.plan, data=MAPPING, actor=self.w.cora)
        self.client.post(f"/plans/tiny/rosters/mappings/{mapping.slug}/delete")
        assert not RosterMapping.objects.exists()
        assert AuditEvent.objects.filter(action="roster_mapping.delete").exists()

    def test_a_waiting_file_can_be_deleted_by_hand(self):
        self.upload()
        upload = RosterUpload.objects.get()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/plans/tiny/rosters/files/{upload.pk}/delete")
        assert not RosterUpload.objects.exists()
        assert list(Path(self.tmp).iterdir()) == []

    def test_other_people_see_no_roster_page(self):
        self.upload()
        upload = RosterUpload.objects.get()
        for person in (self.w.fatima, self.w.ravi, self.w.vera, self.w.oscar):
            self.client.force_login(person)
            for url in ("/plans/tiny/rosters", f"/plans/tiny/rosters/files/{upload.pk}"):
                assert self.client.get(url).status_code == 403, (person, url)
            assert self.upload().status_code == 403
        assert RosterUpload.objects.count() == 1

    def test_expired_uploads_are_purged(self):
        self.upload()
        RosterUpload.objects.update(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        with self.captureOnCommitCallbacks(execute=True):
            assert services.purge_expired() == 1
        assert list(Path(self.tmp).iterdir()) == []

    def test_a_synthetic_sample_roster_can_be_downloaded_and_uploaded(self):
        sample = self.client.get("/plans/tiny/rosters/sample-hr.csv")
        assert sample.status_code == 200
        content = b"".join(sample.streaming_content) if sample.streaming else sample.content
        assert content.startswith(b"Employee ID,Org,Gender")
        assert self.upload(content, "sample.csv").status_code == 302
        assert self.client.get("/plans/tiny/rosters/sample-payroll.csv").status_code == 404
