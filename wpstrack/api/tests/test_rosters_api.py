"""Rosters in the API: mappings, uploads and runs with the Rosters pages' access, services, data
and codes; every refusal in the one error body with nothing written; nothing person-level in any
answer; and the whole path on the demo's DHS plan."""

from __future__ import annotations

import json
import typing
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings

from wpstrack.accounts.demo import load_demo
from wpstrack.accounts.models import Membership, User
from wpstrack.accounts.services import create_api_token
from wpstrack.api import rosters as api_rosters
from wpstrack.audit.models import AuditEvent
from wpstrack.reporting import services as reporting
from wpstrack.reporting.models import ReportingRound, Value
from wpstrack.rosters import services, spec
from wpstrack.rosters.models import RosterMapping, RosterRun, RosterUpload
from wpstrack.rosters.tests.test_runs import HEADER, MAPPING, ROWS, RosterRunCase, _tmpdir

CANONICAL = {"ok", "error", "errors", "code", "status"}
BASE = "/api/plans/tiny/rosters"
EXTRACT = (HEADER + "\n".join(ROWS) + "\n").encode()
# What a roster row holds that must never come back: person ids and dates.
PERSON_LEVEL = ["EMP-000", "2020-01-01", "2025-04-01", "2025-05-01", "2025-06-15", "2019-01-01"]


class RostersApiCase(RosterRunCase):
    """The tiny plan (owned by DHS, Cora coordinates it) with its open FY2025-Q3 round and the
    NFC mapping (RosterRunCase), roster files in a temporary folder, and an API key per person
    (made on first use)."""

    def setUp(self) -> None:
        super().setUp()
        self.keys: dict[int, str] = {}

    def key(self, user: User) -> str:
        if user.pk not in self.keys:
            self.keys[user.pk] = create_api_token(user=user, name="script", actor=user)[1]
        return self.keys[user.pk]

    def call(self, method: str, path: str, user: User | None = None, body: Any = None) -> Any:
        """A request with ``user``'s API key (none: anonymous); a body with a file goes as
        multipart, any other as JSON."""
        headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {self.key(user)}"} if user else {}
        if isinstance(body, dict) and "file" in body:
            return self.client.post(path, body, **headers)
        return getattr(self.client, method)(path, body, content_type="application/json", **headers)

    def upload_file(
        self, user: User, content: bytes = EXTRACT, name: str = "x.csv", **fields: str
    ) -> Any:
        body = {"file": SimpleUploadedFile(name, content), **fields}
        return self.call("post", f"{BASE}/uploads", user, body)

    def start(self, user: User, **body: Any) -> Any:
        with self.captureOnCommitCallbacks(execute=True):  # the file goes when the run commits
            return self.call("post", f"{BASE}/runs", user, body)

    def run_body(self, upload: Any, **fields: Any) -> dict[str, Any]:
        """A run of ``upload`` through the NFC mapping into the open round, with ``fields``."""
        return {
            "upload": str(upload.pk),
            "mapping": "nfc-extract",
            "round": self.round.pk,
            **fields,
        }

    def state(self) -> dict[str, Any]:
        """Everything a roster write could change, to compare before and after a refusal."""
        return {
            "mappings": list(RosterMapping.objects.values_list("plan", "slug", "version", "spec")),
            "uploads": sorted(str(pk) for pk in RosterUpload.objects.values_list("pk", flat=True)),
            "runs": list(RosterRun.objects.values_list("pk", "state")),
            "values": list(Value.objects.values_list("pk", "number", "numerator", "denominator")),
            # Every audit row but the test's own API keys.
            "audit": AuditEvent.objects.exclude(action="api_token.create").count(),
            "files": sorted(p.name for p in Path(self.tmp).iterdir()),
        }

    def assert_refused(
        self, response: Any, status: int, code: str | None = None, field: str | None = None
    ) -> dict[str, Any]:
        body = response.json()
        assert response.status_code == status, body
        assert set(body) == CANONICAL and body["ok"] is False and body["status"] == status, body
        if code is not None:
            assert body["code"] == code, body
        if field is not None:  # a body field's name comes as "body.name" from the schema
            named = [(e.get("field") or "").removeprefix("body.") for e in body["errors"]]
            assert field in named, body
        return body

    def assert_nothing_person_level(self, response: Any) -> None:
        text = response.content.decode()
        for value in PERSON_LEVEL:
            assert value not in text, value

    def page(self, path: str) -> Any:
        """What the page at ``path`` gives Cora (its JSON twin, or the YAML export), as data."""
        self.client.force_login(self.w.cora)
        content = self.client.get(path).content
        self.client.logout()
        return json.loads(content) if path.endswith(".json") else yaml.safe_load(content)

    @staticmethod
    def person(email: str, unit: Any, role: str) -> User:
        user = User.objects.create_user(email=email, password=None)  # signs in by key only
        Membership.objects.create(user=user, unit=unit, role=role)
        return user


class MappingTests(RostersApiCase):
    def test_a_coordinator_lists_reads_and_replaces_a_mapping_as_its_document(self):
        listed = self.call("get", f"{BASE}/mappings", self.w.cora).json()
        assert [m["slug"] for m in listed["mappings"]] == ["nfc-extract"]
        shown = self.call("get", f"{BASE}/mappings/nfc-extract", self.w.cora).json()
        exported = self.page("/plans/tiny/rosters/mappings/nfc-extract/mapping.yaml")
        assert shown["mapping"]["spec"] == exported
        changed = {**shown["mapping"]["spec"], "date_formats": ["%Y-%m-%d", "%d/%m/%Y"]}
        replaced = self.call("put", f"{BASE}/mappings/nfc-extract", self.w.cora, changed).json()
        assert replaced["mapping"]["version"] == 2
        assert replaced["mapping"]["spec"]["date_formats"] == ["%Y-%m-%d", "%d/%m/%Y"]
        again = self.call("put", f"{BASE}/mappings/nfc-extract", self.w.cora, changed).json()
        assert again["mapping"]["version"] == 2  # nothing changed: no new version
        events = AuditEvent.objects.filter(action="roster_mapping.save", actor=self.w.cora)
        assert events.count() == 2  # the first save (setUp) and the replacement

    def test_a_coordinator_creates_a_mapping_from_a_json_body(self):
        created = self.call("post", f"{BASE}/mappings", self.w.cora, {**MAPPING, "name": "HR v2"})
        assert created.status_code == 201
        mapping = created.json()["mapping"]
        assert mapping["slug"] == "hr-v2" and mapping["version"] == 1 and mapping["rules"] == 3
        assert mapping["spec"]["columns"] == MAPPING["columns"]
        assert RosterMapping.objects.get(slug="hr-v2").spec == mapping["spec"]

    def test_an_invalid_mapping_lists_every_problem_with_its_path_and_saves_nothing(self):
        before = self.state()
        bad = {
            **MAPPING,
            "name": "Broken",
            "kind": "payroll",
            "colour": "blue",
            "date_formats": ["%Q"],
            "rules": [{"metric": "9-M9", "measure": "hires"}],
        }
        body = self.assert_refused(
            self.call("post", f"{BASE}/mappings", self.w.cora, bad), 400, "invalid-mapping"
        )
        paths = {(e["code"], e["path"]) for e in body["errors"]}
        assert {("bad-kind", "kind"), ("unknown-key", "colour")} <= paths
        assert ("bad-date-format", "date_formats[0]") in paths
        assert all(e["field"] == e["path"] and e["message"] for e in body["errors"])
        mistyped = {**MAPPING, "columns": ["Gender"], "rules": "share_women"}
        body = self.assert_refused(
            self.call("put", f"{BASE}/mappings/nfc-extract", self.w.cora, mistyped), 400
        )
        assert {e["path"] for e in body["errors"]} >= {"columns", "rules"}
        unknown_metric = {**MAPPING, "rules": [{"metric": "9-M9", "measure": "hires"}]}
        body = self.assert_refused(
            self.call("post", f"{BASE}/mappings", self.w.cora, unknown_metric), 400
        )
        assert body["errors"][0]["path"] == "rules[0].metric"
        assert self.state() == before

    def test_a_body_that_is_not_a_mapping_is_a_400_not_a_500(self):
        key = self.key(self.w.cora)
        before = self.state()
        auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        for raw in ("{not json", "[]", '"text"', "3"):
            response = self.client.post(f"{BASE}/mappings", raw, "application/json", **auth)
            self.assert_refused(response, 400)
        assert self.state() == before

    def test_a_mapping_never_run_is_deleted_and_one_run_stays(self):
        spare = services.save_mapping(
            plan=self.plan, data={**MAPPING, "name": "Spare"}, actor=self.w.cora
        )
        self.run_it(self.upload())
        before = self.state()
        in_use = self.call("delete", f"{BASE}/mappings/nfc-extract", self.w.cora)
        self.assert_refused(in_use, 400, "mapping-in-use")
        assert self.state() == before
        deleted = self.call("delete", f"{BASE}/mappings/{spare.slug}", self.w.cora)
        assert deleted.json() == {"ok": True}
        assert not RosterMapping.objects.filter(pk=spare.pk).exists()
        assert AuditEvent.objects.filter(action="roster_mapping.delete").exists()
        gone = self.call("get", f"{BASE}/mappings/{spare.slug}", self.w.cora)
        self.assert_refused(gone, 404, "not-found")


class UploadTests(RostersApiCase):
    def test_an_upload_shows_headers_guessed_columns_and_spellings_not_person_level_values(self):
        response = self.upload_file(self.w.cora)
        assert response.status_code == 201, response.json()
        upload = RosterUpload.objects.get()
        shown = response.json()["upload"]
        assert (shown["id"], shown["format"], shown["kind"]) == (str(upload.pk), "csv", "hr")
        assert shown["size"] == len(EXTRACT) and shown["sha256"] == upload.sha256
        assert shown["headers"] == ["Employee ID", "Org", "Gender", "EOD", "Separation", "Series"]
        assert shown["columns"]["sex"] == "Gender" and shown["columns"]["hire_date"] == "EOD"
        assert shown["spellings"]["unit"] == [["CBP", 4], ["DHS-ICE-ERO", 1], ["ICE", 1]]
        assert ["female", 1] in shown["spellings"]["sex"]
        self.assert_nothing_person_level(response)
        again = self.call("get", f"{BASE}/uploads/{upload.pk}", self.w.cora)
        assert again.json()["upload"] == shown
        self.assert_nothing_person_level(again)
        listed = self.call("get", f"{BASE}/uploads", self.w.cora).json()["uploads"]
        assert [u["id"] for u in listed] == [str(upload.pk)]
        assert AuditEvent.objects.filter(action="roster.upload", actor=self.w.cora).exists()

    def test_a_column_of_names_guessed_as_a_category_lists_none_of_them(self):
        names = [f"NEW-{n:04},CBP,Jane Doe-{n:04},2020-01-01,,1811" for n in range(80)]
        content = (HEADER + "\n".join([*ROWS, *names]) + "\n").encode()
        response = self.upload_file(self.w.cora, content)
        shown = response.json()["upload"]
        assert shown["spellings_withheld"] == {"sex": 85}  # 80 names and 5 sex spellings
        assert "sex" not in shown["spellings"] and shown["spellings"]["unit"]
        assert "Jane Doe" not in response.content.decode()
        self.assert_nothing_person_level(response)

    def test_the_columns_are_guessed_for_the_kind_asked(self):
        learning = "Person ID,Unit,Sex,Course,Completion date\nP1,CBP,F,GBV 101,2025-05-01\n"
        response = self.upload_file(self.w.cora, learning.encode(), kind="learning")
        shown = response.json()["upload"]
        assert shown["kind"] == "learning"
        assert shown["columns"]["completion_date"] == "Completion date"
        self.assert_nothing_person_level(response)
        assert "P1" not in response.content.decode() and "2025-05-01" not in str(shown)

    def test_a_bad_file_gets_the_pages_code_and_is_not_kept(self):
        before = self.state()
        self.client.force_login(self.w.cora)
        for name, content in (
            ("report.pdf", b"%PDF-1.7\x00\x01binary"),
            ("empty.csv", b""),
            ("latin1.csv", "Nom,Sexe\nGaëlle,F\n".encode("latin-1")),
            ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
        ):
            page = self.client.post(
                "/plans/tiny/rosters.json", {"file": SimpleUploadedFile(name, content)}
            ).json()
            response = self.upload_file(self.w.cora, content, name)
            body = self.assert_refused(response, page["status"], page["code"], "file")
            assert body["errors"] == page["errors"], name
        assert self.state() == before

    def test_a_request_without_a_file_or_with_an_unknown_kind_names_the_field(self):
        before = self.state()
        no_file = self.call("post", f"{BASE}/uploads", self.w.cora, {"kind": "hr"})
        self.assert_refused(no_file, 400, "invalid-input", "file")
        bad_kind = self.upload_file(self.w.cora, kind="payroll")
        self.assert_refused(bad_kind, 400, "invalid-input", "kind")
        assert self.state() == before

    def test_a_waiting_file_is_deleted_on_request(self):
        upload_id = self.upload_file(self.w.cora).json()["upload"]["id"]
        with self.captureOnCommitCallbacks(execute=True):
            deleted = self.call("delete", f"{BASE}/uploads/{upload_id}", self.w.cora)
        assert deleted.json() == {"ok": True}
        assert not RosterUpload.objects.exists() and list(Path(self.tmp).iterdir()) == []
        assert AuditEvent.objects.filter(action="roster.delete_file", actor=self.w.cora).exists()
        for path in (f"{BASE}/uploads/{upload_id}", f"{BASE}/uploads/not-a-uuid"):
            self.assert_refused(self.call("get", path, self.w.cora), 404, "not-found")


class RunTests(RostersApiCase):
    def test_a_run_fills_the_drafts_and_reads_as_its_page_shows_it(self):
        self.upload_file(self.w.cora)
        response = self.start(self.w.cora, **self.run_body(RosterUpload.objects.get()))
        assert response.status_code == 201, response.json()
        run = RosterRun.objects.get()
        assert run.state == RosterRun.DONE and run.actor == self.w.cora
        cbp = self.value("DHS-CBP", "1-M1")
        assert (cbp.numerator, cbp.denominator) == (Decimal(1), Decimal(2))
        page = self.page(f"/plans/tiny/rosters/runs/{run.pk}.json")
        assert response.json() == page
        read = self.call("get", f"{BASE}/runs/{run.pk}", self.w.cora)
        assert read.json() == page
        assert {r["unit"] for r in page["run"]["results"]} == {"DHS", "DHS-CBP", "DHS-ICE"}
        listed = self.call("get", f"{BASE}/runs", self.w.cora).json()["runs"]
        assert [(r["id"], r["state"]) for r in listed] == [(run.pk, "done")]
        for shown in (response, read):
            self.assert_nothing_person_level(shown)
        assert not RosterUpload.objects.exists()  # the file went with the run

    def test_a_run_can_name_its_round_by_period(self):
        upload = self.upload()
        response = self.start(self.w.cora, **self.run_body(upload, round=None, period="FY2025-Q3"))
        assert response.status_code == 201 and response.json()["run"]["round"] == "FY2025-Q3"

    def test_a_refused_run_is_a_422_with_the_refusal_and_the_problem_rows_of_its_page(self):
        rows = [*ROWS, "EMP-0007,CBP,Q,2020-01-01,,1811", "EMP-0008,NOWHERE,F,2020-01-01,,1811"]
        upload = self.upload(rows)
        response = self.start(self.w.cora, **self.run_body(upload))
        body = response.json()
        assert response.status_code == 422 and body["ok"] is False and body["status"] == 422
        assert body["code"] == "too-many-unreadable-rows" and "2 of 8 rows" in body["error"]
        run = RosterRun.objects.get()
        page = self.page(f"/plans/tiny/rosters/runs/{run.pk}.json")
        assert body["run"] == page["run"] and body["errors"] == page["run"]["refusal"]
        problems = {p["code"]: p for p in body["run"]["problems"]}
        assert problems["unknown-sex"]["rows"] == [8] and problems["unknown-sex"]["count"] == 1
        assert problems["unknown-unit"]["rows"] == [9]
        assert problems["unknown-sex"]["spellings"] == [["q", 1]]
        self.assert_nothing_person_level(response)
        assert not Value.objects.exists()
        assert RosterUpload.objects.filter(pk=upload.pk).exists()  # kept to run again
        accepted = self.start(self.w.cora, **self.run_body(upload, accept_share="25"))
        assert accepted.status_code == 201 and accepted.json()["run"]["accepted_share"] == "25.00"

    def test_a_file_with_no_rows_is_a_422_naming_the_refusal(self):
        response = self.start(self.w.cora, **self.run_body(self.upload([])))
        body = response.json()
        assert response.status_code == 422 and body["code"] == "no-rows", body
        assert body["run"]["state"] == "refused" and not Value.objects.exists()

    def test_a_mapping_that_does_not_fit_the_file_or_round_lists_every_problem(self):
        bad = {
            **MAPPING,
            "columns": {**MAPPING["columns"], "sex": "Sex"},
            "rules": [{"metric": "1-M1", "measure": "hires"}],
        }
        self.call("put", f"{BASE}/mappings/nfc-extract", self.w.cora, bad)
        upload = self.upload()
        before = self.state()
        response = self.start(self.w.cora, **self.run_body(upload))
        body = self.assert_refused(response, 400, "invalid-mapping")
        codes = {e["code"]: e for e in body["errors"]}
        assert codes["missing-column"]["path"] == "columns.sex"
        assert "Gender" in codes["missing-column"]["message"]  # the file's headers are listed
        assert "measure-type-mismatch" in codes
        assert self.state() == before

    def test_a_run_naming_nothing_of_the_plan_names_each_field(self):
        upload = self.upload()
        before = self.state()
        nothing = {"upload": str(uuid.UUID(int=0)), "mapping": "nope", "period": "FY2031-Q1"}
        body = self.assert_refused(self.start(self.w.cora, **nothing), 400, "unknown-upload")
        assert [(e["code"], e["field"]) for e in body["errors"]] == [
            ("unknown-upload", "upload"),
            ("unknown-mapping", "mapping"),
            ("unknown-round", "period"),
        ]
        assert "nfc-extract" in body["errors"][1]["message"]  # the mappings it has
        for body in (self.run_body(upload, period="FY2025-Q3"), self.run_body(upload, round=None)):
            self.assert_refused(self.start(self.w.cora, **body), 400, "round-required", "round")
        assert self.state() == before

    def test_malformed_run_input_is_a_400_naming_the_field(self):
        upload = self.upload()
        before = self.state()
        good = self.run_body(upload)
        for field, value in (
            ("accept_share", "101"),
            ("accept_share", -1),
            ("accept_share", "abc"),
            ("accept_share", "0.001"),
            ("upload", "not-a-uuid"),
            ("round", "third"),
            ("mapping", None),
        ):
            response = self.start(self.w.cora, **{**good, field: value})
            self.assert_refused(response, 400, "invalid-input", field)
        assert self.state() == before

    def test_a_closed_round_is_refused_with_409(self):
        upload = self.upload()
        reporting.close_round(reporting_round=self.round, actor=self.w.cora)
        before = self.state()
        response = self.start(self.w.cora, **self.run_body(upload))
        self.assert_refused(response, 409, "round-not-open", "reporting_round")
        assert self.state() == before


class OpenApiTests(RostersApiCase):
    def test_the_openapi_document_describes_the_roster_endpoints_and_bodies(self):
        schema = self.call("get", "/api/openapi.json", self.w.fatima).json()
        prefix = "/api/plans/{slug}/rosters"
        paths = {p.removeprefix(prefix): o for p, o in schema["paths"].items() if prefix in p}
        assert {path: set(operations) for path, operations in paths.items()} == {
            "/mappings": {"get", "post"},
            "/mappings/{mapping_slug}": {"get", "put", "delete"},
            "/uploads": {"get", "post"},
            "/uploads/{upload_id}": {"get", "delete"},
            "/runs": {"get", "post"},
            "/runs/{run_id}": {"get"},
        }
        start = paths["/runs"]["post"]
        assert {"201", "400", "422"} <= set(start["responses"])
        assert start["tags"] == ["rosters"]
        upload = paths["/uploads"]["post"]
        assert "multipart/form-data" in upload["requestBody"]["content"]
        components = schema["components"]["schemas"]
        document = components["MappingDocument"]
        assert set(document["properties"]) == set(spec.TOP_KEYS)
        kinds = [t["enum"] for t in document["properties"]["kind"]["anyOf"] if "enum" in t]
        assert kinds == [list(spec.KINDS)]
        assert "name" in document["required"]
        run_in = components["RunIn"]["properties"]
        assert set(run_in) == {"upload", "mapping", "round", "period", "accept_share"}
        assert set(components["RunOut"]["properties"]) >= {"problems", "refusal", "results"}

    def test_the_choices_are_the_mappings_own(self):
        assert list(typing.get_args(api_rosters.Kind)) == list(spec.KINDS)
        assert list(typing.get_args(api_rosters.Measure)) == list(spec.MEASURES)


SMALL_HR = (
    "Employee ID,Org,Gender,EOD,Separation,Series\n"
    "HR-101,CBP,F,2020-01-01,,1811\n"  # a woman at CBP all quarter
    "HR-102,CBP,M,2025-04-01,,1811\n"  # a man hired in Q3
    "HR-103,CBP,Female,2025-05-01,,1811\n"  # a woman hired in Q3
    "HR-104,ICE,M,2019-01-01,2025-06-30,1811\n"  # left on the quarter's last day
    "HR-105,CBP,W,2018-01-01,,0343\n"  # not a law-enforcement series: not counted
)


class EndToEndTests(TestCase):
    def test_a_script_uploads_maps_and_runs_an_hr_csv_into_the_dhs_plans_q3_round(self):
        tmp = self.enterContext(_tmpdir())
        self.enterContext(override_settings(ROSTER_DIR=tmp))
        load_demo(history=False)
        coordinator = User.objects.get(email="coordinator@example.org")
        key = create_api_token(user=coordinator, name="nightly", actor=coordinator)[1]
        auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        base = "/api/plans/dhs-wps-2024/rosters"

        uploaded = self.client.post(
            f"{base}/uploads", {"file": SimpleUploadedFile("hr.csv", SMALL_HR.encode())}, **auth
        )
        assert uploaded.status_code == 201, uploaded.json()
        upload = uploaded.json()["upload"]
        assert upload["columns"]["unit"] == "Org" and upload["columns"]["sex"] == "Gender"
        mapping = {  # the columns guessed, and the law-enforcement series only, as in the tests
            **MAPPING,
            "name": "CBP HR extract (API)",
            "columns": {**upload["columns"], "occupation": "Series"},
            "rules": [
                {"metric": "1.1-A2-M1", "measure": "share_women"},
                {"metric": "1.1-A2-M2", "measure": "hires"},
            ],
        }
        saved = self.client.post(f"{base}/mappings", mapping, "application/json", **auth)
        assert saved.status_code == 201, saved.json()
        slug = saved.json()["mapping"]["slug"]
        with self.captureOnCommitCallbacks(execute=True):
            ran = self.client.post(
                f"{base}/runs",
                {"upload": upload["id"], "mapping": slug, "period": "FY2025-Q3"},
                "application/json",
                **auth,
            )
        assert ran.status_code == 201, ran.json()
        run = ran.json()["run"]
        assert run["state"] == "done" and run["rows"] == 5 and run["rows_counted"] == 4
        assert {r["unit"] for r in run["results"]} >= {"DHS", "DHS-CBP", "DHS-ICE"}

        reporting_round = ReportingRound.objects.get(plan__slug="dhs-wps-2024", period="FY2025-Q3")
        cbp = self.client.get(f"/api/rounds/{reporting_round.pk}/units/DHS-CBP", **auth).json()
        assert cbp["submission"]["state"] == "draft"
        cells = {
            (metric["code"], cell["combination"]): cell["value"]
            for metric in cbp["metrics"]
            for cell in metric["cells"]
        }
        share = cells[("1.1-A2-M1", "")]
        assert (share["numerator"], share["denominator"]) == ("2", "3")
        hires = [cells[("1.1-A2-M2", f"sex={sex}")]["number"] for sex in ("women", "men", "other")]
        assert hires == ["1", "1", "0"]
        for response in (uploaded, saved, ran):
            text = response.content.decode()
            assert "HR-10" not in text and "2025-05-01" not in text and "2020-01-01" not in text
        assert list(Path(tmp).iterdir()) == []  # the file went

        focal = User.objects.get(email="focal.cbp@example.org")
        focal_key = create_api_token(user=focal, name="x", actor=focal)[1]
        refused = self.client.get(f"{base}/runs", HTTP_AUTHORIZATION=f"Bearer {focal_key}")
        assert refused.status_code == 403
