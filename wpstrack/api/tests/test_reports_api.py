"""Reports in the API: snapshots and builds listed, a build requested, followed and downloaded,
with the report pages' access rules, and bad input refused in the one error body, naming the
field, with nothing written."""

from __future__ import annotations

import io
import typing
from unittest import mock

import docx

from wpstrack.accounts.models import Membership, Role, User
from wpstrack.accounts.services import create_api_token
from wpstrack.analysis.tests.test_refresh import ApprovedFiguresTestCase
from wpstrack.api import reports as api_reports
from wpstrack.audit.models import AuditEvent
from wpstrack.reports import builders, formats, services
from wpstrack.reports.models import Build, Snapshot
from wpstrack.testing import PASSWORD

CANONICAL = {"ok", "error", "errors", "code", "status"}
REPORTS = "/api/plans/tiny/reports"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ANNUAL = {"year": "FY2025", "kind": "annual", "format": "docx"}


class ReportsApiTestCase(ApprovedFiguresTestCase):
    """The tiny plan (owned by DHS) with CBP's FY2025 figures approved; Cora coordinates DHS."""

    def setUp(self):
        self.report("FY2025", "DHS-CBP", 22, 100, {"women": 3, "men": 4, "other": 0})

    def call(self, method, path, user, body=None):
        key = create_api_token(user=user, name="script", actor=user)[1]
        return getattr(self.client, method)(
            path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
        )

    def request_build(self, user=None, **fields):
        """POST a build as ``user`` (the coordinator); it runs at once when the request commits
        (the tests' task backend is immediate)."""
        with self.captureOnCommitCallbacks(execute=True):
            return self.call("post", REPORTS, user or self.w.cora, {**ANNUAL, **fields})

    def person(self, email, unit, role):
        user = User.objects.create_user(email=email, password=PASSWORD)
        Membership.objects.create(user=user, unit=unit, role=role)
        return user

    def assert_refused(self, response, status, code, field=None):
        body = response.json()
        assert response.status_code == status, body
        assert set(body) == CANONICAL and body["ok"] is False, body
        assert body["status"] == status and body["code"] == code, body
        if field is not None:  # a body field's name comes as "body.kind" from the schema
            named = [(e["field"] or "").removeprefix("body.") for e in body["errors"]]
            assert field in named, body
        return body


class RequestFollowDownloadTests(ReportsApiTestCase):
    def test_it_requests_a_build_follows_it_and_downloads_the_file(self):
        response = self.request_build()
        assert response.status_code == 202
        accepted = response.json()
        assert accepted["ok"] is True
        build = Build.objects.get()
        assert accepted["build"]["id"] == build.pk
        assert accepted["build"]["state"] == "queued"  # answered before the worker takes it
        assert accepted["build"]["url"] == f"{REPORTS}/{build.pk}"
        status = self.call("get", accepted["build"]["url"], self.w.cora).json()["build"]
        assert status["state"] == "done" and status["progress"] == 100 and status["error"] == ""
        assert status["snapshot"] == "tiny/FY2025/ed1" and status["edition"] == 1
        assert status["page_url"] == f"/plans/tiny/reports/{build.pk}"
        assert status["download_url"] == f"{REPORTS}/{build.pk}/download"
        download = self.call("get", status["download_url"], self.w.cora)
        build.refresh_from_db()
        assert download.status_code == 200 and download["Content-Type"] == DOCX
        assert download["Content-Disposition"] == f'attachment; filename="{build.filename}"'
        assert download.content == bytes(build.content)
        document = docx.Document(io.BytesIO(download.content))
        assert document.paragraphs[0].style.name == "Title"
        assert status["file_sha256"] == build.sha256
        assert AuditEvent.objects.filter(action="report.request", actor=self.w.cora).exists()

    def test_a_quarterly_pack_and_a_unit_report_take_their_quarter_and_unit(self):
        self.request_build(kind="quarterly", quarter="Q3", format="xlsx")
        self.request_build(kind="unit", unit="DHS-CBP", format="html")
        pack, unit = Build.objects.order_by("pk")
        assert pack.period == "FY2025-Q3" and pack.state == Build.DONE
        assert unit.unit_code == "DHS-CBP" and unit.state == Build.DONE

    def test_the_list_shows_the_plans_snapshots_and_builds(self):
        self.request_build()
        self.request_build(format="xlsx")
        body = self.call("get", REPORTS, self.w.vera).json()  # a viewer of ICE
        assert body["ok"] is True and body["can_build"] is False
        assert body["plan"]["slug"] == "tiny"
        snapshot = Snapshot.objects.get()
        assert body["snapshots"] == [
            {
                "identifier": "tiny/FY2025/ed1",
                "year": "FY2025",
                "edition": 1,
                "sha256": snapshot.sha256,
                "created_at": snapshot.created_at.isoformat(timespec="seconds"),
                "created_by": "cora@example.org",
            }
        ]
        assert [b["format"] for b in body["builds"]] == ["xlsx", "docx"]  # newest first
        assert {b["state"] for b in body["builds"]} == {"done"}
        assert body["default_year"] == "FY2025" and set(body["kinds"]) == set(builders.KINDS)
        assert self.call("get", REPORTS, self.w.cora).json()["can_build"] is True
        other_year = self.call("get", f"{REPORTS}?year=FY2024", self.w.cora).json()
        assert other_year["snapshots"] == [] and other_year["builds"] == []
        self.assert_refused(self.call("get", f"{REPORTS}?year=2024", self.w.cora), 400, "bad-year")

    def test_a_failed_build_says_why(self):
        with mock.patch.object(services, "render", side_effect=RuntimeError("the disk is full")):
            build_id = self.request_build().json()["build"]["id"]
        status = self.call("get", f"{REPORTS}/{build_id}", self.w.cora).json()["build"]
        assert status["state"] == "failed" and status["error"] == "the disk is full"
        assert status["download_url"] is None
        self.assert_refused(
            self.call("get", f"{REPORTS}/{build_id}/download", self.w.cora), 404, "not-built"
        )

    def test_a_build_not_yet_done_is_not_downloaded(self):
        response = self.call("post", REPORTS, self.w.cora, ANNUAL)  # never committed: queued
        build_id = response.json()["build"]["id"]
        self.assert_refused(
            self.call("get", f"{REPORTS}/{build_id}/download", self.w.cora), 404, "not-built"
        )

    def test_unknown_builds_and_plans_are_not_found(self):
        build_id = self.request_build().json()["build"]["id"]
        for path in (
            f"{REPORTS}/999999",
            f"{REPORTS}/999999/download",
            "/api/plans/nope/reports",
            f"/api/plans/nope/reports/{build_id}",
        ):
            self.assert_refused(self.call("get", path, self.w.cora), 404, "not-found")


class BadInputTests(ReportsApiTestCase):
    def assert_nothing_written(self):
        assert not Build.objects.exists() and not Snapshot.objects.exists()
        assert not AuditEvent.objects.filter(action__startswith="report.").exists()

    def test_unknown_kind_or_format_is_a_400_naming_the_field(self):
        for field, value in (("kind", "memo"), ("format", "odt")):
            response = self.request_build(**{field: value})
            body = self.assert_refused(response, 400, "invalid-input", field)
            assert len(body["errors"]) == 1, body
        self.assert_nothing_written()

    def test_a_year_that_is_not_a_fiscal_year_or_has_no_approved_data_is_refused(self):
        self.assert_refused(self.request_build(year="2025"), 400, "bad-year", "year")
        body = self.assert_refused(
            self.request_build(year="FY2030"), 400, "no-approved-data", "year"
        )
        assert "FY2030" in body["error"]
        self.report("FY2024", "DHS-CBP", 20, 100, {"women": 3, "men": 4, "other": 0}, approve=False)
        self.assert_refused(self.request_build(year="FY2024"), 400, "no-approved-data", "year")
        self.assert_nothing_written()  # a draft is not approved data

    def test_a_unit_report_needs_a_unit_of_the_plan_and_a_pack_a_real_quarter(self):
        self.assert_refused(self.request_build(kind="unit"), 400, "unit-required", "unit")
        self.assert_refused(
            self.request_build(kind="unit", unit="MINUSCA"), 400, "unknown-unit", "unit"
        )
        self.assert_refused(
            self.request_build(kind="quarterly", quarter="Q5"), 400, "invalid-input", "quarter"
        )
        self.assert_nothing_written()

    def test_a_malformed_or_missing_body_is_a_400_not_a_500(self):
        key = create_api_token(user=self.w.cora, name="script", actor=self.w.cora)[1]
        for raw in ("{not json", "[]", "{}", '{"year": 2025, "kind": "annual"}'):
            response = self.client.post(
                REPORTS, raw, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
            )
            code = response.json()["code"]
            assert code in ("invalid-input", "http-error"), raw  # http-error: not JSON at all
            self.assert_refused(response, 400, code)
        self.assert_refused(self.request_build(year="FY" + "9" * 40), 400, "invalid-input", "year")
        self.assert_nothing_written()


class AccessTests(ReportsApiTestCase):
    def test_only_the_plans_coordinators_request_builds(self):
        cbp_coordinator = self.person("cc@example.org", self.w.cbp, Role.COORDINATOR)
        dpo_coordinator = self.person("dc@example.org", self.w.dpo, Role.COORDINATOR)
        for user in (
            self.w.fatima,  # focal point of CBP, no coordinator role
            self.w.ravi,
            self.w.vera,
            self.w.alice,  # administrator: manages people, not plans
            cbp_coordinator,  # a coordinator below the plan's owner unit
            dpo_coordinator,  # a coordinator of another organisation
        ):
            self.assert_refused(self.request_build(user), 403, "not-plan-coordinator")
        self.assert_refused(self.request_build(self.w.oscar), 403, "forbidden")  # no role at all
        assert not Build.objects.exists()

    def test_who_may_see_the_plan_lists_and_downloads_as_on_the_page_and_nobody_else(self):
        build_id = self.request_build().json()["build"]["id"]
        paths = (REPORTS, f"{REPORTS}/{build_id}", f"{REPORTS}/{build_id}/download")
        dpo_focal = self.person("df@example.org", self.w.gau, Role.FOCAL_POINT)
        for user in (self.w.fatima, self.w.ravi, self.w.vera, self.w.alice, dpo_focal):
            for path in paths:
                page = path.removeprefix("/api")
                self.client.force_login(user)
                expected = self.client.get(page).status_code
                assert self.call("get", path, user).status_code == expected == 200, (user, path)
        for path in paths:
            self.assert_refused(self.call("get", path, self.w.oscar), 403, "forbidden")
            self.client.logout()
            self.assert_refused(self.client.get(path), 401, "not-signed-in")

    def test_the_browser_session_needs_the_csrf_token_to_request(self):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(self.w.cora)
        assert client.get(REPORTS).status_code == 200
        response = client.post(REPORTS, ANNUAL, content_type="application/json")
        assert response.status_code in (401, 403) and not Build.objects.exists()


class OpenApiTests(ReportsApiTestCase):
    def test_the_schemas_document_the_endpoints_and_their_choices(self):
        schema = self.call("get", "/api/openapi.json", self.w.fatima).json()
        paths = schema["paths"]
        assert {"get", "post"} <= set(paths["/api/plans/{slug}/reports"])
        assert "get" in paths["/api/plans/{slug}/reports/{build_id}"]
        assert "get" in paths["/api/plans/{slug}/reports/{build_id}/download"]
        assert "202" in paths["/api/plans/{slug}/reports"]["post"]["responses"]
        fields = schema["components"]["schemas"]["BuildIn"]["properties"]
        assert fields["kind"]["enum"] == list(builders.KINDS)
        assert fields["format"]["enum"] == list(formats.WRITERS)
        assert set(schema["components"]["schemas"]["BuildOut"]["properties"]) >= {
            "state",
            "progress",
            "error",
            "download_url",
        }

    def test_the_choices_are_the_builders_and_writers_own(self):
        assert list(typing.get_args(api_reports.Kind)) == list(builders.KINDS)
        assert list(typing.get_args(api_reports.Format)) == list(formats.WRITERS)
