"""Across editions (DISCLOSURE.md): a corrected edition of a year's report keeps hidden every
count the previous edition hid, whatever its new figure, runs the complementary suppression again
on the new figures, says so in the footnote, and does it alike in every format."""

from __future__ import annotations

from wpstrack.analysis.tests.test_refresh import COUNT, SHARE
from wpstrack.frameworks.services import load_plan_document
from wpstrack.reporting import services as reporting
from wpstrack.reports import builders, protect, services, suppression
from wpstrack.reports.snapshot import take_snapshot
from wpstrack.reports.tests.test_outputs import FORMATS, KINDS, OutputsTestCase
from wpstrack.reports.tests.test_outputs_suppression import (
    SENSITIVE,
    assert_marked_alike_everywhere,
)
from wpstrack.reports.tests.test_suppression import recoverable
from wpstrack.testing import plan_action, plan_document

UNITS = ["DHS-CBP", "DHS-ICE", ""]  # the rows of the decision; "" is the plan
KEYS = ["sex=women", "sex=men", "sex=other", ""]  # its columns; "" is the total


class EditionsTestCase(OutputsTestCase):
    """The tiny plan with its count by sex sensitive. Edition 1 of FY2025: CBP women 3, men 20,
    other 0; ICE women 30, men 7, other 7. Then two corrections make edition 2: CBP's women
    3 -> 12 (a cell edition 1 hid) and ICE's other 7 -> 3 (a cell edition 1 showed)."""

    @classmethod
    def setUpTestData(cls):
        super(OutputsTestCase, cls).setUpTestData()  # the plan and people, not the other figures
        document = plan_document([plan_action("1", ["DHS-CBP", "DHS-ICE"], [SHARE, SENSITIVE])])
        load_plan_document(document, file_name="tiny.yaml", sha256="5" * 64, actor=None)
        maker = cls.__new__(cls)
        maker.report("FY2025", "DHS-CBP", 22, 100, {"women": 3, "men": 20, "other": 0})
        maker.report("FY2025", "DHS-ICE", 30, 200, {"women": 30, "men": 7, "other": 7})
        cls.first = take_snapshot(cls.plan, "FY2025", actor=cls.w.cora)
        maker.correct("DHS-CBP", {"women": 12, "men": 20, "other": 0})
        maker.correct("DHS-ICE", {"women": 30, "men": 7, "other": 3})
        cls.snapshot = take_snapshot(cls.plan, "FY2025", actor=cls.w.cora)

    def correct(self, unit, counts):
        """A coordinator reopens the unit's approved FY2025 report, its focal point corrects the
        counts, and it is approved again."""
        submission = self.plan.rounds.get(period="FY2025").submissions.get(unit__code=unit)
        reason = "Corrected count"
        reporting.reopen_submission(submission=submission, actor=self.w.cora, reason=reason)
        submission.refresh_from_db()
        values = {f"sex={k}": {"number": str(v), "comment": reason} for k, v in counts.items()}
        reporting.save_submission(
            submission=submission,
            values={"1-M2": values},
            actions={"1": {"status": "on_track"}},
            lock_version=submission.lock_version,
            actor=self.focal(unit),
            reason=reason,
        )
        reporting.submit_submission(submission=submission, actor=self.focal(unit))
        reporting.approve_submission(submission=submission, actor=self.w.cora)

    @staticmethod
    def grid(guard: protect.Guard) -> list[list[str | None]]:
        decision = guard.decide("1-M2", "FY2025")
        return [[decision.mark(unit, key) for key in KEYS] for unit in UNITS]


class AcrossEditionsTests(EditionsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.outputs, cls.documents = {}, {}
        for kind, options in KINDS.items():
            cls.documents[kind] = builders.build(cls.snapshot, kind, **options)
            for fmt in FORMATS:
                cls.outputs[(kind, fmt)] = services.render(cls.snapshot, kind, fmt, **options)[0]

    def test_the_correction_makes_a_second_edition_that_keeps_the_first_ones_pattern(self):
        assert (self.first.edition, self.snapshot.edition) == (1, 2)
        first, second = protect.Guard.of(self.first), protect.Guard.of(self.snapshot)
        assert first.kept_from is None and second.kept_from == 1
        assert self.grid(first) == [
            ["<5", "x", None, None],  # CBP: 3, 20, 0 (23)
            ["x", "x", None, None],  # ICE: 30, 7, 7 (44)
            [None, None, None, None],  # the plan: 33, 27, 7 (67)
        ]
        hidden_before = set(first.decide("1-M2", "FY2025").marks)
        assert hidden_before <= set(second.decide("1-M2", "FY2025").marks)

    def test_a_cell_hidden_in_edition_1_whose_new_value_is_12_stays_hidden(self):
        second = protect.Guard.of(self.snapshot)
        assert second.unit("1-M2", "FY2025", "DHS-CBP", "sex=women") == "x"  # 12: not small
        # On the new figures alone it would have been shown.
        alone = protect.Guard(self.snapshot.content, order=KEYS[:3])
        assert alone.unit("1-M2", "FY2025", "DHS-CBP", "sex=women") is None
        rows = [
            (kind, row)
            for kind, report in self.documents.items()
            for table in report.tables
            for row in table.rows
            if row[:3] == ["1-M2", "FY2025", "DHS-CBP"]  # the values behind the figures
        ]
        assert {kind for kind, _row in rows} == {"annual"}
        assert all(row[3] == "x" for _kind, row in rows), rows
        unit = self.table(self.documents["unit"], "Figures reported by DHS-CBP")
        assert ["1-M2", "FY2025", "Women", "x"] in [r[:4] for r in unit.rows]

    def test_a_value_corrected_from_7_to_3_is_hidden_in_the_new_edition(self):
        first, second = protect.Guard.of(self.first), protect.Guard.of(self.snapshot)
        assert first.unit("1-M2", "FY2025", "DHS-ICE", "sex=other") is None  # 7 was shown
        assert second.unit("1-M2", "FY2025", "DHS-ICE", "sex=other") == "<5"
        assert second.plan("1-M2", "FY2025", "sex=other") == "<5"  # the plan's other: 0 + 3
        values = self.table(self.documents["annual"], "Approved values behind every figure, by sex")
        ice = next(r for r in values.rows if r[:3] == ["1-M2", "FY2025", "DHS-ICE"])
        assert ice[3:7] == ["x", "x", "<5", "40"]

    def test_the_complementary_cells_still_keep_the_kept_cell_from_being_worked_out(self):
        second = protect.Guard.of(self.snapshot)
        table = [[12, 20, 0, 32], [30, 7, 3, 40], [42, 27, 3, 72]]  # edition 2's figures
        marks = self.grid(second)
        hidden = {(r, c) for r, row in enumerate(marks) for c, mark in enumerate(row) if mark}
        assert (0, 0) in hidden and (1, 2) in hidden
        spec = suppression.two_way(table, row_totals_col=3, col_totals_row=2)
        for group in spec.groups:  # no row or column with a lone hidden cell
            assert sum(tuple(cell) in hidden for cell in group) != 1
        assert not recoverable(table, 2, 3, hidden)  # even knowing counts are never negative
        decided = suppression.suppress(spec, keep=[(0, 0), (0, 1), (1, 0), (1, 1)])
        assert {tuple(c) for c in decided.cells} == hidden  # the one decision, with what was kept

    def test_the_footnote_says_counts_are_kept_hidden_as_in_edition_1(self):
        footnote = protect.footnote(1)
        assert protect.footnote() in footnote
        assert "kept hidden as in edition 1" in footnote
        parts = self.table(self.documents["annual"], "1-M2 by category")
        assert parts.notes == [footnote]
        first = builders.build(self.first, "annual")
        assert self.table(first, "1-M2 by category").notes in ([], [protect.footnote()])

    def test_every_format_hides_the_same_cells_and_says_why(self):
        assert_marked_alike_everywhere(self, protect.footnote(1))


class FlagTakenOffTests(EditionsTestCase):
    def test_a_metric_no_longer_flagged_sensitive_keeps_what_the_earlier_edition_hid(self):
        document = plan_document([plan_action("1", ["DHS-CBP", "DHS-ICE"], [SHARE, COUNT])])
        load_plan_document(document, file_name="tiny.yaml", sha256="6" * 64, actor=None)
        third = take_snapshot(self.plan, "FY2025", actor=self.w.cora)
        assert third.edition == 3
        assert not any(m.get("sensitive") for e in third.content["elements"] for m in e["metrics"])
        guard = protect.Guard.of(third)
        assert guard.kept_from == 2 and guard.applies("1-M2")
        assert self.grid(guard) == self.grid(protect.Guard.of(self.snapshot))
        annual = builders.build(third, "annual")
        assert not [f for f in annual.figures if "1-M2" in f.chart.title]  # no chart either
