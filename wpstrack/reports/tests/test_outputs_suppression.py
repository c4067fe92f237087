"""Small counts of a sensitive metric in every report and format (DISCLOSURE.md): the primary
(``<5``) and complementary (``x``) marks and the method's footnote are the same in every output,
decided once by ``suppression.suppress``, and the small figures themselves appear in none."""

from __future__ import annotations

import re
from typing import Any

from wpstrack.analysis.tests.test_refresh import COUNT, SHARE
from wpstrack.frameworks.services import load_plan_document
from wpstrack.reports import builders, protect, services, suppression
from wpstrack.reports.snapshot import take_snapshot
from wpstrack.reports.tests.test_outputs import (
    FORMATS,
    KINDS,
    READERS,
    OutputsTestCase,
    excel_value,
    squash,
)
from wpstrack.testing import plan_action, plan_document

SENSITIVE = {**COUNT, "sensitive": True}
MARKS = {"<5", "x"}


class SuppressedOutputsTestCase(OutputsTestCase):
    """The tiny plan with its count by sex made sensitive; FY2025: CBP women 3, men 40, other 0;
    ICE women 1, men 50, other 6 (the plan: women 4, men 90, other 6, total 100)."""

    @classmethod
    def setUpTestData(cls):
        super(OutputsTestCase, cls).setUpTestData()  # the plan and people, not the other figures
        document = plan_document([plan_action("1", ["DHS-CBP", "DHS-ICE"], [SHARE, SENSITIVE])])
        load_plan_document(document, file_name="tiny.yaml", sha256="5" * 64, actor=None)
        maker = cls.__new__(cls)
        maker.report("FY2024", "DHS-CBP", 18, 100, {"women": 9, "men": 29, "other": 2})
        maker.report("FY2024", "DHS-ICE", 14, 200, {"women": 21, "men": 60, "other": 3})
        maker.report("FY2025", "DHS-CBP", 22, 100, {"women": 3, "men": 40, "other": 0})
        maker.report("FY2025", "DHS-ICE", 30, 200, {"women": 1, "men": 50, "other": 6})
        cls.snapshot = take_snapshot(cls.plan, "FY2025", actor=cls.w.cora)
        cls.outputs, cls.documents = {}, {}
        for kind, options in KINDS.items():
            cls.documents[kind] = builders.build(cls.snapshot, kind, **options)
            for fmt in FORMATS:
                cls.outputs[(kind, fmt)] = services.render(cls.snapshot, kind, fmt, **options)[0]


def cells_of(fmt: str, read: dict[str, Any]) -> list[list[list[str]]]:
    """Every table of a file as rows of cell texts (without header rows)."""
    if fmt == "docx":
        return [t[1:] for t in read["tables"]]
    if fmt == "xlsx":
        return [
            [[excel_value(c.value) for c in row] for row in sheet.iter_rows(min_row=3)]
            for sheet in list(read["sheets"].values())[1:]
        ]
    return [rows[1:] for _name, rows in sorted(read["csvs"].items())]


def notes_of(fmt: str, read: dict[str, Any]) -> list[str]:
    """Every paragraph or cell of a file a footnote can be in."""
    if fmt == "docx":
        return [p for _style, p in read["paragraphs"]]
    if fmt == "xlsx":
        return [
            str(c.value)
            for sheet in list(read["sheets"].values())[1:]
            for row in sheet.iter_rows(min_row=3)
            for c in row
            if c.value
        ]
    return read["report"].footnotes


def assert_marked_alike_everywhere(case: Any, footnote: str) -> None:
    """Every table of ``case.documents`` that holds a mark has ``footnote``, and reads back with
    the same cells (marks included) and the footnote from each file of ``case.outputs``."""
    for kind, report in case.documents.items():
        marked = [t for t in report.tables if any(c in MARKS for r in t.rows for c in r)]
        assert marked or kind not in ("annual", "unit"), kind  # the others show totals only
        for table in marked:
            assert footnote in table.notes, (kind, table.caption)
        for fmt in FORMATS:
            read = READERS[fmt](case.outputs[(kind, fmt)])
            if fmt == "pdf":
                text = squash(read["text"])
                for table in marked:
                    for row in table.rows:
                        assert squash(" ".join(row)) in text, (kind, row)
                if marked:
                    assert squash(footnote) in text, kind
                continue
            found = cells_of(fmt, read)
            for index, table in enumerate(report.tables):
                if table not in marked:
                    continue
                rows = [r[: len(table.columns)] for r in found[index]][: len(table.rows)]
                shown = [[c.replace(",", "").rstrip("%") for c in r] for r in table.rows]
                assert rows == shown, (kind, fmt, table.caption)
            assert notes_of(fmt, read).count(footnote) == len(marked), (kind, fmt)


class SuppressionInOutputsTests(SuppressedOutputsTestCase):
    def test_the_decision_is_the_suppression_modules_on_the_units_and_the_plan(self):
        guard = protect.Guard(self.snapshot.content)
        decided = guard.decide("1-M2", "FY2025")
        spec = suppression.two_way(
            [[3, 40, 0, 43], [1, 50, 6, 57], [4, 90, 6, 100]], row_totals_col=3, col_totals_row=2
        )
        expected = suppression.suppress(spec, threshold=5)
        units, keys = ["DHS-CBP", "DHS-ICE", ""], ["sex=women", "sex=men", "sex=other", ""]
        for r, unit in enumerate(units):
            for c, key in enumerate(keys):
                assert decided.mark(unit, key) == expected.mark(r, c), (unit, key)
        assert decided.mark("DHS-CBP", "sex=women") == "<5"  # primary
        assert decided.mark("", "sex=women") == "<5"  # the plan's 4 women
        assert "x" in decided.marks.values()  # complementary
        assert decided.mark("", "") is None  # 100: shown
        assert guard.plan("1-M1", "FY2025") is None  # not sensitive

    def test_primary_and_complementary_marks_and_the_footnote_are_the_same_everywhere(self):
        footnote = protect.footnote()
        annual = self.documents["annual"]
        parts = next(t for t in annual.tables if t.caption == "1-M2 by category")
        assert parts.rows[1][0] == "FY2025" and parts.rows[1][1] == "<5"
        assert {c for c in parts.rows[1]} & MARKS == {"<5", "x"}
        assert footnote in parts.notes
        assert_marked_alike_everywhere(self, footnote)

    def test_the_small_counts_themselves_appear_nowhere(self):
        guard = protect.Guard(self.snapshot.content)
        hidden = guard.decide("1-M2", "FY2025").marks
        for kind, report in self.documents.items():
            for table in report.tables:
                for row in table.rows:
                    if row[:1] == ["1-M2"] and "FY2025" in row:
                        assert "3" not in row[3:4] and "1" not in row[3:4]
            units = [t for t in report.tables if t.columns[:3] == ["Metric", "Period", "Unit"]]
            for table in units:
                for row in table.rows:
                    if row[:2] == ["1-M2", "FY2025"]:
                        women = row[3]
                        assert women == hidden[(row[2], "sex=women")], (kind, row)
        unit = self.documents["unit"]
        figures = next(t for t in unit.tables if t.caption == "Figures reported by DHS-CBP")
        cbp = {r[2]: r[3] for r in figures.rows if r[:2] == ["1-M2", "FY2025"]}
        raw = {"Women": "3", "Men": "40", "Other": "0"}
        for label, key in (("Women", "sex=women"), ("Men", "sex=men"), ("Other", "sex=other")):
            assert cbp[label] == hidden.get(("DHS-CBP", key), raw[label]), label
        assert cbp["Women"] == "<5"
        # The sentence of a status names no count of a sensitive metric.
        iptt = next(t for t in self.documents["iptt"].tables if t.wide)
        comment = next(r for r in iptt.rows if r[0] == "1-M2")[-1]
        assert not re.search(r"\d", comment)
        # ... and no chart draws it.
        assert not [f for f in self.documents["annual"].figures if "1-M2" in f.chart.title]
