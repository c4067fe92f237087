"""Snapshots: approved data only, the same data gives the same snapshot, a correction gives the next
edition with its own SHA-256 while the earlier edition stays as it was, and the report prints the
edition and the SHA-256 it was built from."""

from __future__ import annotations

import copy
import hashlib
import io
import json

import docx

from wpstrack.analysis.tests.test_refresh import ApprovedFiguresTestCase
from wpstrack.audit.models import AuditEvent
from wpstrack.reporting import services as reporting
from wpstrack.reports import services
from wpstrack.reports.models import Snapshot
from wpstrack.reports.snapshot import canonical, gather, take_snapshot


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


class SnapshotTests(ApprovedFiguresTestCase):
    def setUp(self):
        super().setUp()
        self.cbp = self.report("FY2025", "DHS-CBP", 22, 100, {"women": 13, "men": 31, "other": 2})
        self.report("FY2025", "DHS-ICE", 30, 200, {"women": 24, "men": 58, "other": 1})

    def snapshot(self):
        return take_snapshot(self.plan, "FY2025", actor=self.w.cora)

    def test_the_same_data_gives_the_same_snapshot(self):
        first, again = self.snapshot(), self.snapshot()
        assert first.pk == again.pk and first.edition == 1
        assert Snapshot.objects.count() == 1
        assert first.sha256 == hashlib.sha256(canonical(first.content)).hexdigest()
        assert AuditEvent.objects.filter(action="report.snapshot").count() == 1

    def test_a_draft_never_enters_a_snapshot(self):
        self.report(
            "FY2025-Q3",
            "DHS-CBP",
            31337,
            99999,
            {"women": 424242, "men": 1, "other": 0},
            approve=False,
        )
        content = json.dumps(self.snapshot().content)
        for value in ("31337", "99999", "424242"):
            assert value not in content
        # ... nor a report waiting for approval
        submission = self.report(
            "FY2025-Q2", "DHS-ICE", 27182, 88888, {"women": 0, "men": 0, "other": 0}, approve=False
        )
        reporting.submit_submission(submission=submission, actor=self.ivan)
        content = json.dumps(gather(self.plan, "FY2025"))
        assert "27182" not in content and "88888" not in content

    def test_the_snapshot_holds_what_the_reports_need(self):
        content = self.snapshot().content
        assert [f["value"] for f in content["figures"]["1-M2"]] == ["129"]
        assert content["figures"]["1-M2"][0]["parts"] == {
            "sex=women": "37",
            "sex=men": "89",
            "sex=other": "3",
        }
        assert content["categories"] == [
            ["sex=women", "Women"],
            ["sex=men", "Men"],
            ["sex=other", "Other"],
        ]
        assert content["disaggregations"] == [["sex", "Sex"]]
        women = [p for p in content["provenance"] if p["combination"] == "sex=women"]
        assert [(p["unit"], p["value"]) for p in women] == [("DHS-CBP", "13"), ("DHS-ICE", "24")]
        assert all(p["approvals"] and p["submitted_by"] for p in content["provenance"])

    def test_a_correction_is_a_new_edition_and_the_first_stays_as_it_was(self):
        first = self.snapshot()
        kept = copy.deepcopy(first.content)
        reporting.reopen_submission(submission=self.cbp, actor=self.w.cora, reason="recount")
        self.cbp.refresh_from_db()
        reporting.save_submission(
            submission=self.cbp,
            values={
                "1-M2": {
                    f"sex={k}": {"number": str(v), "comment": "recount"}
                    for k, v in {"women": 15, "men": 31, "other": 2}.items()
                }
            },
            actions={},
            lock_version=self.cbp.lock_version,
            actor=self.w.fatima,
            reason="recount",
        )
        reporting.submit_submission(submission=self.cbp, actor=self.w.fatima)
        reporting.approve_submission(submission=self.cbp, actor=self.w.cora)
        second = self.snapshot()
        assert second.edition == 2 and second.sha256 != first.sha256
        assert second.content["figures"]["1-M2"][0]["value"] == "131"
        first.refresh_from_db()
        assert first.content == kept and first.edition == 1
        assert first.sha256 == hashlib.sha256(canonical(first.content)).hexdigest()
        # Each edition's report prints its own edition and fingerprint.
        for snapshot in (first, second):
            content, name = services.render(snapshot, "annual", "docx")
            text = docx_text(content)
            assert f"Edition {snapshot.edition}" in text and snapshot.sha256 in text
            assert name == f"tiny-FY2025-ed{snapshot.edition}-annual.docx"
        assert "131" in docx_text(services.render(second, "annual", "docx")[0])
        assert "131" not in docx_text(services.render(first, "annual", "docx")[0])
