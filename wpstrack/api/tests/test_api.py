"""The JSON API: keys and sessions, the same rules and messages as the pages, one error body."""

import datetime as dt

from django.core.management import call_command
from django.test import Client

from wpstrack.accounts.services import create_api_token, revoke_api_token
from wpstrack.frameworks.models import Plan
from wpstrack.frameworks.services import load_plan_document
from wpstrack.reporting import services
from wpstrack.reporting.models import Submission, Value
from wpstrack.reporting.tests.test_views import DOCUMENT
from wpstrack.testing import PersonasTestCase, make_sex_categories

CANONICAL = {"ok", "error", "errors", "code", "status"}


class ApiTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_sex_categories()
        load_plan_document(DOCUMENT, file_name="tiny.yaml", sha256="0" * 64, actor=None)
        cls.round = services.create_round(
            plan=Plan.objects.get(), period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=None
        )
        services.open_round(reporting_round=cls.round, actor=None)

    def key_for(self, user):
        return create_api_token(user=user, name="script", actor=user)[1]

    def call(self, method, path, user=None, body=None, key=None):
        headers = {}
        if user is not None or key is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {key or self.key_for(user)}"
        return getattr(self.client, method)(
            f"/api{path}", body, content_type="application/json", **headers
        )

    def values(self, women="3"):
        return {
            "values": {
                "1-M1": {
                    "sex=women": {"number": women},
                    "sex=men": {"number": "4"},
                    "sex=other": {"number": "0"},
                }
            },
            "actions": {"1": {"status": "on_track"}},
        }

    def unit_path(self):
        return f"/rounds/{self.round.pk}/units/DHS-CBP"

    def test_it_answers_401_in_the_canonical_body_without_a_key(self):
        for path in ("/rounds", "/plans", "/openapi.json"):
            body = self.client.get(f"/api{path}").json()
            assert set(body) == CANONICAL and body["status"] == 401, path
        assert self.call("get", "/rounds", key="wpst_not-a-real-key").status_code == 401

    def test_a_revoked_key_or_a_deactivated_user_is_refused(self):
        token, key = create_api_token(user=self.w.fatima, name="script", actor=self.w.fatima)
        assert self.call("get", "/rounds", key=key).status_code == 200
        revoke_api_token(token=token, actor=self.w.fatima)
        assert self.call("get", "/rounds", key=key).status_code == 401
        other = self.key_for(self.w.ravi)
        self.w.ravi.is_active = False
        self.w.ravi.save()
        assert self.call("get", "/rounds", key=other).status_code == 401

    def test_the_openapi_document_is_served_to_signed_in_callers(self):
        schema = self.call("get", "/openapi.json", user=self.w.fatima).json()
        assert "/api/rounds/{round_id}/units/{code}" in schema["paths"]

    def test_a_whole_submission_through_the_api(self):
        saved = self.call(
            "post", self.unit_path(), self.w.fatima, {**self.values(), "lock_version": 0}
        )
        assert saved.status_code == 200 and saved.json()["submission"]["lock_version"] == 1
        submitted = self.call(
            "post", self.unit_path(), self.w.fatima, {"submit": True, "lock_version": 1}
        )
        assert submitted.json()["submission"]["state"] == "submitted"
        returned = self.call(
            "post", self.unit_path() + "/return", self.w.ravi, {"comment": "recount"}
        )
        assert returned.json() == {"ok": True, "state": "returned"}
        self.call(
            "post",
            self.unit_path(),
            self.w.fatima,
            {**self.values("5"), "submit": True, "reason": "recounted"},
        )
        assert (
            self.call("post", self.unit_path() + "/approve", self.w.ravi).json()["state"]
            == "approved"
        )
        assert Value.objects.get(combination="sex=women").number == 5

    def test_it_gives_the_same_messages_as_the_form(self):
        body = self.call("post", self.unit_path(), self.w.fatima, self.values("2.5")).json()
        assert set(body) == CANONICAL and body["status"] == 400 and body["code"] == "invalid-values"
        assert (
            body["errors"][0]["code"] == "not-a-whole-number"
            and "whole number" in body["errors"][0]["message"]
        )
        assert Value.objects.count() == 0

    def test_malformed_input_is_a_400_naming_the_field(self):
        body = self.call("post", self.unit_path(), self.w.fatima, {"lock_version": "abc"}).json()
        assert body["status"] == 400 and body["code"] == "invalid-input"
        assert "lock_version" in body["errors"][0]["field"]

    def test_a_stale_save_is_a_409_conflict(self):
        self.call("post", self.unit_path(), self.w.fatima, {**self.values(), "lock_version": 0})
        body = self.call(
            "post", self.unit_path(), self.w.fatima, {**self.values("9"), "lock_version": 0}
        ).json()
        assert body["status"] == 409 and body["code"] == "stale-submission"

    def test_access_is_the_same_as_in_the_pages(self):
        for persona, status in {
            "cora": 200,
            "fatima": 200,
            "ravi": 403,
            "vera": 403,
            "oscar": 403,
        }.items():
            got = self.call("get", self.unit_path(), getattr(self.w, persona)).status_code
            assert got == status, persona
        body = self.call("post", self.unit_path(), self.w.ravi, self.values()).json()
        assert body["status"] == 403 and Value.objects.count() == 0
        assert self.call("get", "/rounds/999", self.w.cora).json()["code"] == "not-found"

    def test_the_browser_session_works_and_needs_the_csrf_token_to_write(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.w.fatima)
        assert client.get("/api/rounds").status_code == 200
        response = client.post(
            f"/api{self.unit_path()}", self.values(), content_type="application/json"
        )
        assert response.status_code in (401, 403) and Value.objects.count() == 0

    def test_a_coordinator_opens_a_round_through_the_api(self):
        body = self.call(
            "post",
            "/rounds",
            self.w.cora,
            {"plan": "tiny", "period": "FY2025-Q4", "due_date": "2025-10-31"},
        ).json()
        assert body["round"]["state"] == "open"
        assert Submission.objects.filter(reporting_round__period="FY2025-Q4").count() == 2
        refused = self.call(
            "post",
            "/rounds",
            self.w.fatima,
            {"plan": "tiny", "period": "FY2026-Q1", "due_date": "2026-01-31"},
        ).json()
        assert refused["status"] == 403 and refused["code"] == "not-plan-coordinator"

    def test_the_create_api_key_command_prints_a_working_key(self):
        from io import StringIO

        out = StringIO()
        call_command("create_api_key", "fatima@example.org", "--name", "nightly", stdout=out)
        key = out.getvalue().strip().splitlines()[-1]
        assert self.call("get", "/rounds", key=key).status_code == 200

    def test_a_cell_the_metric_does_not_have_is_refused_not_dropped(self):
        body = self.call(
            "post",
            self.unit_path(),
            self.w.fatima,
            {"values": {"1-M1": {"sex=woman": {"number": "3"}}}},
        ).json()
        assert body["status"] == 400 and body["errors"][0]["code"] == "unknown-combination"
        assert "sex=women" in body["errors"][0]["message"]
        body = self.call(
            "post",
            self.unit_path(),
            self.w.fatima,
            {"values": {"1-M1": {"sex=women": {"nmber": "3"}}}},
        ).json()
        assert body["errors"][0]["code"] == "unknown-field"
        body = self.call(
            "post", self.unit_path(), self.w.fatima, {"values": {"9-M9": {"": {"number": "3"}}}}
        ).json()
        assert body["errors"][0]["code"] == "unknown-metric"
        assert Value.objects.count() == 0

    def test_the_history_of_one_value_through_the_api(self):
        self.call("post", self.unit_path(), self.w.fatima, {**self.values(), "lock_version": 0})
        events = self.call(
            "get", self.unit_path() + "/history?metric=1-M1&combination=sex=women", self.w.fatima
        ).json()["events"]
        assert [e["changes"]["number"] for e in events] == [[None, "3"]]

    def test_a_coordinator_edits_targets_and_checks_through_the_api(self):
        body = self.call(
            "post",
            "/plans/tiny/metrics/1-M1",
            self.w.cora,
            {"targets": [{"value": 30, "period": "FY2030"}], "reason": "agreed"},
        ).json()
        assert body["ok"] and body["changed"]
        bad = self.call(
            "post",
            "/plans/tiny/metrics/1-M1",
            self.w.cora,
            {"targets": [{"value": "thirty", "period": "FY2030"}]},
        ).json()
        assert bad["status"] == 400 and bad["code"] == "not-a-number"
        rule = {
            "code": "R1",
            "left": "1-M1[sex=women]",
            "operator": "<=",
            "right": "100",
            "message": "At most 100.",
        }
        assert self.call("post", "/plans/tiny/rules", self.w.cora, rule).json()["changed"]
        assert self.call("post", "/plans/tiny/rules", self.w.fatima, rule).json()["status"] == 403
        assert self.call("delete", "/plans/tiny/rules/R1", self.w.cora).json()["changed"]

    def test_a_coordinator_sets_period_codes_and_the_status_rule_through_the_api(self):
        from wpstrack.frameworks.models import Metric

        target = {"value": 30, "period": "by 2030", "at": "FY2030"}
        body = self.call(
            "post",
            "/plans/tiny/metrics/1-M1",
            self.w.cora,
            {"targets": [target], "status": {"tolerance": 0.25}, "reason": "agreed"},
        ).json()
        assert body["ok"] and body["changed"]
        definition = Metric.objects.get(code="1-M1").current
        assert definition.targets == [target]
        assert definition.status_rule == {"tolerance": 0.25, "trajectory": "linear"}
        self.call(
            "post", "/plans/tiny/metrics/1-M1", self.w.cora, {"status": {"trajectory": "step"}}
        )
        definition = Metric.objects.get(code="1-M1").current
        assert definition.status_rule == {"tolerance": 0.25, "trajectory": "step"}
        bad = self.call(
            "post",
            "/plans/tiny/metrics/1-M1",
            self.w.cora,
            {"targets": [{**target, "at": "2030"}]},
        ).json()
        assert bad["status"] == 400 and bad["code"] == "bad-period-code"
        bad = self.call(
            "post", "/plans/tiny/metrics/1-M1", self.w.cora, {"status": {"trajectory": "curve"}}
        ).json()
        assert bad["status"] == 400 and bad["code"] == "bad-trajectory"
        exported = self.call("get", "/plans/tiny", self.w.fatima).json()["plan"]
        assert exported["status"] == {"tolerance": 0.1, "rollup": "worst", "rollup_share": 0.25}

    def test_a_coordinator_changes_the_plans_status_rules_through_the_api(self):
        body = self.call(
            "post", "/plans/tiny/status-rules", self.w.cora, {"rollup": "share", "reason": "x"}
        ).json()
        assert body["ok"] and body["changed"]
        plan = Plan.objects.get()
        assert plan.status_rules == {"tolerance": 0.1, "rollup": "share", "rollup_share": 0.25}
        bad = self.call("post", "/plans/tiny/status-rules", self.w.cora, {"tolerance": 2}).json()
        assert bad["status"] == 400 and bad["code"] == "bad-tolerance"
        bad = self.call("post", "/plans/tiny/status-rules", self.w.cora, {"rollup": "mean"}).json()
        assert bad["status"] == 400 and bad["code"] == "bad-rollup"
        refused = self.call("post", "/plans/tiny/status-rules", self.w.fatima, {"rollup": "worst"})
        assert refused.json()["status"] == 403
        assert Plan.objects.get().status_rules["rollup"] == "share"

    def test_a_coordinator_adjusts_a_prepared_round_through_the_api(self):
        prepared = self.call(
            "post",
            "/rounds",
            self.w.cora,
            {"plan": "tiny", "period": "FY2026-Q1", "due_date": "2026-01-31", "open": False},
        ).json()
        round_id = prepared["round"]["id"]
        items = self.call("get", f"/rounds/{round_id}/assignments", self.w.cora).json()[
            "assignments"
        ]
        assert self.call("get", f"/rounds/{round_id}/assignments", self.w.fatima).status_code == 403
        assert self.call(
            "delete", f"/rounds/{round_id}/assignments/{items[0]['id']}", self.w.cora
        ).json()["ok"]
        assert (
            self.call("post", f"/rounds/{round_id}/open", self.w.cora).json()["round"]["state"]
            == "open"
        )


class ApiKeyPageTestCase(PersonasTestCase):
    def test_a_person_makes_a_key_sees_it_once_and_revokes_it(self):
        self.client.force_login(self.w.fatima)
        response = self.client.post("/account/api-keys", {"name": "nightly"})
        key = response.context["created"]["key"]
        assert response.status_code == 201 and key.startswith("wpst_")
        listed = self.client.get("/account/api-keys.json").json()["keys"]
        assert [k["name"] for k in listed] == ["nightly"] and "key" not in listed[0]
        self.client.post(f"/account/api-keys/{listed[0]['id']}/revoke")
        self.client.logout()  # the session would sign the request in by itself
        assert self.client.get("/api/rounds", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401

    def test_nobody_revokes_someone_elses_key(self):
        token, _key = create_api_token(user=self.w.fatima, name="x", actor=self.w.fatima)
        self.client.force_login(self.w.ravi)
        assert self.client.post(f"/account/api-keys/{token.pk}/revoke").status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None

    def test_a_nameless_key_is_refused_with_a_field_error(self):
        self.client.force_login(self.w.fatima)
        self.assertContains(
            self.client.post("/account/api-keys", {"name": ""}),
            "This field is required",
            status_code=400,
        )
