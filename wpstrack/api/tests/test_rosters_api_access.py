"""Rosters in the API, who reaches what: only the plan's coordinators, as on the pages; 401, 403
or 404 for everyone else, in the one error body, with nothing seen and nothing written."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wpstrack.accounts.models import Role, User
from wpstrack.api.tests.test_rosters_api import BASE, EXTRACT, RostersApiCase
from wpstrack.frameworks.services import load_plan_document
from wpstrack.rosters import services
from wpstrack.rosters.models import RosterUpload
from wpstrack.rosters.tests.test_runs import MAPPING
from wpstrack.testing import plan_action, plan_document, plan_metric


class AccessTests(RostersApiCase):
    """Only the plan's coordinators, as on the pages; everyone else gets 401, 403 or 404 in the
    one error body, sees nothing and changes nothing."""

    cbp_coordinator: User
    dpo_coordinator: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        document = plan_document(
            [plan_action("D1", ["UN-DPO"], [plan_metric("D1-M1", "count", [])])],
            slug="dpo",
            owner_unit="UN-DPO",
        )
        load_plan_document(document, file_name="dpo.yaml", sha256="2" * 64, actor=None)
        cls.cbp_coordinator = cls.person("cbp.coord@example.org", cls.w.cbp, Role.COORDINATOR)
        cls.dpo_coordinator = cls.person("dpo.coord@example.org", cls.w.dpo, Role.COORDINATOR)

    def setUp(self) -> None:
        super().setUp()
        self.spare = services.save_mapping(
            plan=self.plan, data={**MAPPING, "name": "Spare"}, actor=self.w.cora
        )
        self.done = self.run_it(self.upload())
        self.waiting = self.upload()
        self.outsiders = [
            self.w.fatima,  # CBP's focal point: reports a unit's figures, not the plan's
            self.w.ravi,
            self.w.vera,
            self.w.alice,  # administrator of DHS: manages people, not plans
            self.w.oscar,  # no role at all
            self.cbp_coordinator,  # a coordinator below the plan's owner unit
            self.dpo_coordinator,  # the coordinator of another plan
        ]

    def endpoints(self, base: str = BASE) -> list[tuple[str, str, Any]]:
        """Every roster endpoint, with a body that would succeed for the plan's coordinator."""
        extract = SimpleUploadedFile("extract.csv", EXTRACT)
        changed = {**MAPPING, "date_formats": ["%Y-%m-%d", "%d/%m/%Y"]}
        run = self.run_body(self.waiting)
        return [
            ("get", f"{base}/mappings", None),
            ("post", f"{base}/mappings", {**MAPPING, "name": "Other"}),
            ("get", f"{base}/mappings/nfc-extract", None),
            ("put", f"{base}/mappings/nfc-extract", changed),
            ("delete", f"{base}/mappings/{self.spare.slug}", None),
            ("get", f"{base}/uploads", None),
            ("post", f"{base}/uploads", {"file": extract}),
            ("get", f"{base}/uploads/{self.waiting.pk}", None),
            ("delete", f"{base}/uploads/{self.waiting.pk}", None),
            ("get", f"{base}/runs", None),
            ("post", f"{base}/runs", run),
            ("get", f"{base}/runs/{self.done.pk}", None),
        ]

    def assert_sees_nothing(self, response: Any) -> None:
        text = response.content.decode()
        for shown in ("NFC extract", "Spare", "extract.csv", self.done.sha256, "Employee ID"):
            assert shown not in text, shown

    def test_every_endpoint_answers_401_without_a_key_and_writes_nothing(self):
        before = self.state()
        for method, path, body in self.endpoints():
            with self.captureOnCommitCallbacks(execute=True):
                response = self.call(method, path, None, body)
            self.assert_refused(response, 401, "not-signed-in")
            self.assert_sees_nothing(response)
        assert self.state() == before

    def test_people_without_the_coordinator_role_get_403_see_nothing_and_change_nothing(self):
        before = self.state()
        for user in self.outsiders:
            for method, path, body in self.endpoints():
                with self.captureOnCommitCallbacks(execute=True):
                    response = self.call(method, path, user, body)
                self.assert_refused(response, 403, "forbidden")
                self.assert_sees_nothing(response)
                assert self.state() == before, (user, method, path)
            self.client.force_login(user)  # as the pages refuse them
            assert self.client.get("/plans/tiny/rosters").status_code == 403, user

    def test_a_reporter_cannot_start_a_run(self):
        before = self.state()
        response = self.start(self.w.fatima, **self.run_body(self.waiting))
        self.assert_refused(response, 403, "forbidden")
        assert self.state() == before
        assert RosterUpload.objects.filter(pk=self.waiting.pk).exists()

    def test_a_coordinator_of_another_plan_reaches_nothing_of_this_one_through_their_own(self):
        before = self.state()
        for method, path, body in self.endpoints("/api/plans/dpo/rosters"):
            with self.captureOnCommitCallbacks(execute=True):
                response = self.call(method, path, self.dpo_coordinator, body)
            if method == "get" and path.endswith(("/mappings", "/uploads", "/runs")):
                listed = response.json()  # their own plan's, with nothing of this one
                assert listed["plan"]["slug"] == "dpo" and not listed[path.rsplit("/", 1)[1]]
            elif path.endswith(("/mappings", "/uploads")) and method == "post":
                continue  # a mapping or file of their own plan: theirs to make
            elif path.endswith("/runs"):
                self.assert_refused(response, 400, "unknown-upload", "upload")
            else:
                self.assert_refused(response, 404, "not-found")
            self.assert_sees_nothing(response)
        after = self.state()  # only their own plan has anything new
        assert [m for m in after["mappings"] if m[0] == self.plan.pk] == before["mappings"]
        assert set(before["uploads"]) < set(after["uploads"])
        assert (after["runs"], after["values"]) == (before["runs"], before["values"])

    def test_the_browser_session_needs_the_csrf_token_to_write(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.w.cora)
        assert client.get(f"{BASE}/runs").status_code == 200
        before = self.state()
        body = self.run_body(self.waiting)
        response = client.post(f"{BASE}/runs", body, content_type="application/json")
        assert response.status_code in (401, 403)
        assert client.delete(f"{BASE}/uploads/{self.waiting.pk}").status_code in (401, 403)
        assert self.state() == before
