"""The report pages: who may build, list and download; a build through the page; the narrative;
and the plan's own templates."""

import io
import zipfile
from unittest import mock

import docx

from wpstrack.analysis.tests.test_refresh import ApprovedFiguresTestCase
from wpstrack.audit.models import AuditEvent
from wpstrack.reports.models import Build, ReportTemplate

REPORTS = "/plans/tiny/reports"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MARKER = "QZXMARKER7F3A"
CUSTOM = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{{ report.title }}</title>"
    "</head><body><h1>" + MARKER + " {{ report.title }}</h1><p>{{ meta.snapshot }} "
    "{{ meta.sha256 }}</p>{% for b in blocks %}{% if b.type == 'text' %}<p>{{ b.text }}</p>"
    "{% endif %}{% endfor %}</body></html>"
)


def docx_text(content):
    document = docx.Document(io.BytesIO(content))
    return document, "\n".join(p.text for p in document.paragraphs)


class ReportPageTestCase(ApprovedFiguresTestCase):
    """The tiny plan with CBP's FY2025 figures approved."""

    def setUp(self):
        self.report("FY2025", "DHS-CBP", 22, 100, {"women": 3, "men": 4, "other": 0})

    def build(self, user=None, **fields):
        """Request a build through the page as ``user`` (the coordinator), running it at once."""
        self.client.force_login(user or self.w.cora)
        form = {"kind": "annual", "year": "FY2025", "format": "docx", **fields}
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(REPORTS, form)
        return response

    def upload(self, name, content, field="html", json=False):
        self.client.force_login(self.w.cora)
        files = {field: io.BytesIO(content)}
        files[field].name = name
        url = REPORTS + "/templates" + (".json" if json else "")
        return self.client.post(url, files)


class BuildThroughThePageTests(ReportPageTestCase):
    def test_the_coordinator_builds_the_annual_report_and_downloads_a_word_file(self):
        self.client.force_login(self.w.cora)
        page = self.client.get(REPORTS)
        self.assertContains(page, "Build a report")
        self.assertContains(page, 'value="FY2025"')  # the latest year with approved data
        response = self.build()
        build = Build.objects.get()
        assert response.status_code == 302 and response.url == f"{REPORTS}/{build.pk}"
        assert build.state == Build.DONE and build.progress == 100
        page = self.client.get(response.url)
        self.assertContains(page, "Done")
        self.assertContains(page, build.snapshot.sha256)
        self.assertNotContains(page, "hx-trigger")  # finished: the page stops polling
        download = self.client.get(f"{REPORTS}/{build.pk}/download")
        assert download.status_code == 200 and download["Content-Type"] == DOCX
        assert download["Content-Disposition"] == f'attachment; filename="{build.filename}"'
        assert build.filename == "tiny-FY2025-ed1-annual.docx"
        document, text = docx_text(download.content)
        assert document.paragraphs[0].style.name == "Title"
        assert "Annual progress report FY2025" in document.paragraphs[0].text
        assert build.snapshot.sha256 in text  # the snapshot's fingerprint is printed in it
        assert AuditEvent.objects.filter(action="report.request", actor=self.w.cora).exists()

    def test_the_list_shows_each_build_with_its_snapshot_and_download(self):
        self.build()
        build = Build.objects.get()
        self.client.force_login(self.w.vera)
        body = self.client.get(REPORTS + ".json").json()
        (shown,) = body["builds"]
        assert shown["kind"] == "annual" and shown["year"] == "FY2025"
        assert shown["format"] == "docx" and shown["state"] == "done"
        assert shown["snapshot"] == "tiny/FY2025/ed1" and shown["edition"] == 1
        assert shown["snapshot_sha256"] == build.snapshot.sha256
        assert shown["requested_by"] == "cora@example.org"
        assert shown["download_url"] == f"{REPORTS}/{build.pk}/download"
        assert body["can_build"] is False
        self.assertContains(self.client.get(REPORTS), build.filename)

    def test_each_format_downloads_with_its_content_type(self):
        for fmt, content_type, extension in (
            ("pdf", "application/pdf", "pdf"),
            ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
            ("html", "application/zip", "zip"),
        ):
            self.build(format=fmt)
            build = Build.objects.filter(format=fmt).get()
            assert build.state == Build.DONE, build.message
            download = self.client.get(f"{REPORTS}/{build.pk}/download")
            assert download["Content-Type"] == content_type
            assert download["Content-Disposition"].endswith(f'.{extension}"')

    def test_a_quarterly_pack_builds_for_the_quarter_chosen(self):
        self.build(kind="quarterly", quarter="Q3", format="xlsx")
        build = Build.objects.get()
        assert build.period == "FY2025-Q3" and build.state == Build.DONE
        assert build.filename == "tiny-FY2025-ed1-quarterly-FY2025-Q3.xlsx"

    def test_a_unit_report_builds_for_a_unit_of_the_plan(self):
        self.build(kind="unit", unit="DHS-CBP", format="docx")
        build = Build.objects.get()
        assert build.unit_code == "DHS-CBP" and build.state == Build.DONE
        _document, text = docx_text(bytes(build.content))
        assert "Report of DHS-CBP, FY2025" in text


class InvalidFormTests(ReportPageTestCase):
    def test_an_unknown_kind_is_refused_naming_the_field(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            REPORTS + ".json", {"kind": "memo", "year": "FY2025", "format": "docx"}
        )
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid-form"
        assert [e["field"] for e in body["errors"]] == ["kind"]
        html = self.client.post(REPORTS, {"kind": "memo", "year": "FY2025", "format": "docx"})
        self.assertContains(html, "Select a valid choice", status_code=400)
        assert not Build.objects.exists()

    def test_a_year_that_is_not_a_fiscal_year_is_refused_naming_the_field(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            REPORTS + ".json", {"kind": "annual", "year": "2025", "format": "pdf"}
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "year"
        html = self.client.post(REPORTS, {"kind": "annual", "year": "2025", "format": "pdf"})
        self.assertContains(html, "is not a fiscal year", status_code=400)
        assert not Build.objects.exists()

    def test_a_year_without_approved_data_is_refused_naming_the_field(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            REPORTS + ".json", {"kind": "annual", "year": "FY2030", "format": "pdf"}
        )
        assert response.status_code == 400
        assert response.json()["errors"][0] == {
            "code": "no-approved-data",
            "field": "year",
            "message": response.json()["errors"][0]["message"],
        }
        html = self.client.post(REPORTS, {"kind": "annual", "year": "FY2030", "format": "pdf"})
        self.assertContains(html, "No report of FY2030 has been approved yet", status_code=400)
        assert not Build.objects.exists()

    def test_a_unit_report_needs_its_unit_and_a_unit_of_the_plan(self):
        self.client.force_login(self.w.cora)
        form = {"kind": "unit", "year": "FY2025", "format": "docx"}
        response = self.client.post(REPORTS + ".json", form)
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "unit"
        response = self.client.post(REPORTS + ".json", {**form, "unit": "MINUSCA"})
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "unit"
        assert not Build.objects.exists()

    def test_an_unknown_format_is_refused_naming_the_field(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            REPORTS + ".json", {"kind": "annual", "year": "FY2025", "format": "odt"}
        )
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "format"


class AccessTests(ReportPageTestCase):
    def test_focal_point_reviewer_and_viewer_list_and_download_but_do_not_build(self):
        self.build()
        build = Build.objects.get()
        for person in (self.w.fatima, self.w.ravi, self.w.vera):
            self.client.force_login(person)
            page = self.client.get(REPORTS)
            assert page.status_code == 200
            self.assertNotContains(page, "Build a report")
            self.assertContains(page, build.filename)
            assert self.client.get(f"{REPORTS}/{build.pk}").status_code == 200
            assert self.client.get(f"{REPORTS}/{build.pk}/download").status_code == 200
            refused = self.client.post(
                REPORTS, {"kind": "annual", "year": "FY2025", "format": "pdf"}
            )
            assert refused.status_code == 403, person
            for page in ("/narrative", "/templates", "/templates/default.html"):
                assert self.client.get(REPORTS + page).status_code == 403, (person, page)
            assert (
                self.client.post(REPORTS + "/templates/remove", {"part": "html"}).status_code == 403
            )
        assert Build.objects.count() == 1

    def test_an_outsider_sees_no_report_at_all(self):
        self.build()
        build = Build.objects.get()
        self.client.force_login(self.w.oscar)
        for url in (
            REPORTS,
            REPORTS + ".json",
            f"{REPORTS}/{build.pk}",
            f"{REPORTS}/{build.pk}.json",
            f"{REPORTS}/{build.pk}/download",
            REPORTS + "/narrative",
            REPORTS + "/templates",
        ):
            assert self.client.get(url).status_code == 403, url
        assert (
            self.client.post(
                REPORTS, {"kind": "annual", "year": "FY2025", "format": "pdf"}
            ).status_code
            == 403
        )

    def test_a_build_of_another_plan_is_not_found_under_this_one(self):
        self.build()
        build = Build.objects.get()
        self.client.force_login(self.w.cora)
        assert self.client.get(f"/plans/other/reports/{build.pk}").status_code == 404
        assert self.client.get(f"{REPORTS}/{build.pk + 1}").status_code == 404
        assert self.client.get(f"{REPORTS}/{build.pk + 1}/download").status_code == 404


class BuildPageTests(ReportPageTestCase):
    def queued(self, **fields):
        return Build.objects.create(
            plan=self.plan,
            year="FY2025",
            kind="annual",
            format="pdf",
            requested_by=self.w.cora,
            **fields,
        )

    def test_a_running_build_polls_its_state_every_two_seconds_with_a_refresh_link(self):
        build = self.queued(state=Build.RUNNING, progress=40)
        self.client.force_login(self.w.vera)
        page = self.client.get(f"{REPORTS}/{build.pk}")
        self.assertContains(page, f'hx-get="{REPORTS}/{build.pk}"')
        self.assertContains(page, 'hx-trigger="every 2s"')
        self.assertContains(page, 'value="40"')
        self.assertContains(page, f'<a href="{REPORTS}/{build.pk}">Refresh</a>', html=True)
        assert "<script" not in page.content.decode().split("</head>")[1]  # no inline script
        fragment = self.client.get(f"{REPORTS}/{build.pk}", headers={"HX-Request": "true"})
        assert fragment.content.decode().lstrip().startswith('<div id="build-state"')
        assert "<html" not in fragment.content.decode()
        assert "HX-Request" in fragment["Vary"]
        twin = self.client.get(f"{REPORTS}/{build.pk}.json").json()["build"]
        assert (
            twin["state"] == "running" and twin["progress"] == 40 and twin["download_url"] is None
        )

    def test_once_done_the_fragment_stops_polling_and_offers_the_download(self):
        self.build()
        build = Build.objects.get()
        fragment = self.client.get(f"{REPORTS}/{build.pk}", headers={"HX-Request": "true"})
        body = fragment.content.decode()
        assert "hx-trigger" not in body and f"{REPORTS}/{build.pk}/download" in body

    def test_a_failed_build_shows_why_and_has_nothing_to_download(self):
        with mock.patch("wpstrack.reports.builders.build", side_effect=ValueError("no metric 9-Z")):
            response = self.build()
        build = Build.objects.get()
        assert response.status_code == 302 and build.state == Build.FAILED
        page = self.client.get(response.url)
        self.assertContains(page, "Failed")
        self.assertContains(page, "no metric 9-Z")
        self.assertNotContains(page, "hx-trigger")
        assert self.client.get(f"{REPORTS}/{build.pk}/download").status_code == 404

    def test_a_queued_build_has_nothing_to_download_yet(self):
        build = self.queued()
        self.client.force_login(self.w.cora)
        response = self.client.get(f"{REPORTS}/{build.pk}/download")
        self.assertContains(response, "has not been built", status_code=404)


class NarrativeTests(ReportPageTestCase):
    def test_the_narrative_is_saved_audited_and_printed_in_the_annual_report(self):
        self.client.force_login(self.w.cora)
        page = self.client.get(REPORTS + "/narrative?year=FY2025")
        self.assertContains(page, "Executive summary")
        summary = "Recruitment of women rose to 22 percent.\n\nThe office met its milestones."
        response = self.client.post(
            REPORTS + "/narrative",
            {
                "year": "FY2025",
                "executive_summary": summary,
                "decisions_needed": "Fund the course.",
            },
        )
        assert response.status_code == 302 and response.url == REPORTS + "/narrative?year=FY2025"
        event = AuditEvent.objects.get(action="report.narrative")
        assert event.actor == self.w.cora
        assert event.changes["executive_summary"] == ["", summary]
        self.assertContains(self.client.get(response.url), "Recruitment of women rose")
        self.build()
        _document, text = docx_text(bytes(Build.objects.get().content))
        assert "Recruitment of women rose to 22 percent." in text
        assert "The office met its milestones." in text

    def test_the_decisions_needed_close_the_quarterly_pack(self):
        self.client.force_login(self.w.cora)
        self.client.post(
            REPORTS + "/narrative.json",
            {"year": "FY2025", "executive_summary": "", "decisions_needed": "Fund the course."},
        )
        self.build(kind="quarterly", format="docx")
        _document, text = docx_text(bytes(Build.objects.get().content))
        assert "Fund the course." in text

    def test_a_year_that_is_not_a_fiscal_year_is_refused(self):
        self.client.force_login(self.w.cora)
        response = self.client.get(REPORTS + "/narrative.json?year=last")
        assert response.status_code == 400 and response.json()["code"] == "bad-year"

    def test_saving_the_same_text_again_writes_no_audit_row(self):
        self.client.force_login(self.w.cora)
        form = {"year": "FY2025", "executive_summary": "Same.", "decisions_needed": ""}
        self.client.post(REPORTS + "/narrative", form)
        self.client.post(REPORTS + "/narrative", form)
        assert AuditEvent.objects.filter(action="report.narrative").count() == 1


class TemplateOverrideTests(ReportPageTestCase):
    def test_the_plans_html_template_is_used_for_the_web_site_and_the_pdf(self):
        response = self.upload("ours.html", CUSTOM.encode())
        assert response.status_code == 302, response.content.decode()[:2000]
        stored = ReportTemplate.objects.get(plan=self.plan)
        assert stored.html == CUSTOM and stored.updated_by == self.w.cora
        self.build(format="html")
        build = Build.objects.get()
        with zipfile.ZipFile(io.BytesIO(bytes(build.content))) as site:
            page = site.read("report.html").decode()
        assert MARKER in page and build.snapshot.sha256 in page
        self.build(format="pdf")
        import pypdf

        pdf = pypdf.PdfReader(io.BytesIO(bytes(Build.objects.get(format="pdf").content)))
        assert MARKER in "".join(p.extract_text() for p in pdf.pages)
        self.build(format="docx")  # Word is not made from the HTML template
        _document, text = docx_text(bytes(Build.objects.get(format="docx").content))
        assert MARKER not in text

    def test_an_upload_is_audited_by_its_sha256_and_size_not_its_content(self):
        import hashlib

        self.upload("ours.html", CUSTOM.encode())
        event = AuditEvent.objects.get(action="report.template")
        assert event.actor == self.w.cora
        assert event.changes == {
            "html_sha256": [None, hashlib.sha256(CUSTOM.encode()).hexdigest()],
            "html_size": [None, len(CUSTOM.encode())],
        }
        assert MARKER not in str(event.changes)

    def test_a_template_that_does_not_compile_is_refused_with_its_line(self):
        source = "<html>\n<body>\n{% for b in blocks %}\n<p>{{ b.text }}</p>\n</body>"
        response = self.upload("broken.html", source.encode(), json=True)
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "bad-template" and body["errors"][0]["field"] == "html"
        assert "Line 3" in body["error"] and "endfor" in body["error"]
        page = self.upload("broken.html", source.encode())
        self.assertContains(page, "Line 3", status_code=400)
        assert not ReportTemplate.objects.exists()

    def test_a_template_that_fails_on_a_sample_report_is_refused_with_its_line(self):
        source = "<html>\n<body>\n{% include 'reports/no-such-part.html' %}\n</body></html>"
        response = self.upload("broken.html", source.encode(), json=True)
        assert response.status_code == 400
        assert "Line 3" in response.json()["error"]
        assert "reports/no-such-part.html" in response.json()["error"]
        unknown_filter = "<p>{{ report.title|shout }}</p>"
        response = self.upload("broken.html", unknown_filter.encode(), json=True)
        assert response.status_code == 400 and "shout" in response.json()["error"]
        assert not ReportTemplate.objects.exists()

    def test_the_debug_tag_and_text_that_is_not_utf8_are_refused(self):
        response = self.upload("debug.html", b"<p>{% debug %}</p>", json=True)
        assert response.status_code == 400 and response.json()["code"] == "bad-template"
        response = self.upload("latin.html", "<p>caf\xe9</p>".encode("latin-1"), json=True)
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "html"

    def test_the_default_template_downloads_to_start_from_and_works_when_uploaded(self):
        self.client.force_login(self.w.cora)
        default = self.client.get(REPORTS + "/templates/default.html")
        assert default.status_code == 200
        assert 'filename="report.html"' in default["Content-Disposition"]
        source = default.content.decode()
        assert "{% for b in blocks %}" in source
        assert (
            self.upload(
                "report.html", source.replace("<main>", f"<main><p>{MARKER}</p>").encode()
            ).status_code
            == 302
        )
        current = self.client.get(REPORTS + "/templates/report.html")
        assert MARKER in current.content.decode()

    def test_a_word_reference_documents_styles_are_used(self):
        reference = docx.Document()
        reference.styles["Title"].font.name = "Marker Serif"
        reference.add_paragraph("This text is not copied into reports.")
        out = io.BytesIO()
        reference.save(out)
        response = self.upload("ours.docx", out.getvalue(), field="reference_docx")
        assert response.status_code == 302
        event = AuditEvent.objects.get(action="report.template")
        assert set(event.changes) == {"reference_docx_sha256", "reference_docx_size"}
        self.build(format="docx")
        document, text = docx_text(bytes(Build.objects.get().content))
        assert document.styles["Title"].font.name == "Marker Serif"
        assert "This text is not copied" not in text
        self.client.force_login(self.w.cora)
        current = self.client.get(REPORTS + "/templates/reference.docx")
        assert current["Content-Type"] == DOCX and current.content == out.getvalue()

    def test_a_file_that_is_not_a_word_document_is_refused(self):
        for name, content in (
            ("notes.docx", b"just text"),
            ("book.docx", _zip({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<x/>"})),
        ):
            response = self.upload(name, content, field="reference_docx", json=True)
            assert response.status_code == 400, name
            assert response.json()["code"] == "not-a-docx"
            assert response.json()["errors"][0]["field"] == "reference_docx"
        assert not ReportTemplate.objects.exists()

    def test_a_word_document_over_5_mb_is_refused(self):
        response = self.upload(
            "big.docx", b"PK" + b"0" * (5 * 1024 * 1024), field="reference_docx", json=True
        )
        assert response.status_code == 400 and response.json()["code"] == "file-too-large"

    def test_a_word_document_without_a_style_the_reports_use_is_refused(self):
        reference = docx.Document()
        table_grid = reference.styles["Table Grid"].element
        table_grid.getparent().remove(table_grid)
        out = io.BytesIO()
        reference.save(out)
        response = self.upload("nostyles.docx", out.getvalue(), field="reference_docx", json=True)
        assert response.status_code == 400 and response.json()["code"] == "missing-style"
        assert "Table Grid" in response.json()["error"]

    def test_nothing_chosen_is_refused(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(REPORTS + "/templates.json", {})
        assert response.status_code == 400 and response.json()["code"] == "invalid-form"

    def test_removing_a_template_goes_back_to_the_default_and_is_audited(self):
        self.upload("ours.html", CUSTOM.encode())
        self.client.force_login(self.w.cora)
        response = self.client.post(REPORTS + "/templates/remove", {"part": "html"})
        assert response.status_code == 302 and response.url == REPORTS + "/templates"
        assert ReportTemplate.objects.get().html == ""
        event = AuditEvent.objects.get(action="report.template.remove")
        assert event.changes["html_sha256"][1] is None
        assert self.client.get(REPORTS + "/templates/report.html").status_code == 404
        self.build(format="html")
        with zipfile.ZipFile(io.BytesIO(bytes(Build.objects.get().content))) as site:
            assert MARKER not in site.read("report.html").decode()
        bad = self.client.post(
            REPORTS + "/templates/remove",
            {"part": "everything"},
            headers={"Accept": "application/json"},
        )
        assert bad.status_code == 400 and bad.json()["code"] == "unknown-part"

    def test_the_templates_page_lists_what_is_in_use(self):
        self.upload("ours.html", CUSTOM.encode())
        self.client.force_login(self.w.cora)
        body = self.client.get(REPORTS + "/templates.json").json()
        assert body["templates"]["html"]["size"] == len(CUSTOM.encode())
        assert body["templates"]["reference_docx"] is None
        assert body["updated_by"] == "cora@example.org"
        self.assertContains(self.client.get(REPORTS + "/templates"), "Remove the HTML template")


def _zip(files):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()
