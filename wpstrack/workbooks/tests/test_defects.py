"""The defect corpus: one committed file per defect in ``data/``, and the exact (code, cell) list
the import gives each one, with nothing written.

``defects`` says how each file was made from CBP's template (and how to make them again). Every
file here is a whole upload on CBP's page of round tiny/FY2025-Q3; one test per file, named for
what it proves.
"""

import csv
import io
import os
import re
import unittest
from unittest import mock

import openpyxl
from django.test import override_settings

from wpstrack.audit.models import AuditEvent
from wpstrack.reporting.models import Value
from wpstrack.workbooks import services
from wpstrack.workbooks.tests import defects
from wpstrack.workbooks.tests.scenario import DATA
from wpstrack.workbooks.tests.test_import import ImportTestCase

EXPECTED: dict[str, list[tuple[str, str]]] = {
    # whose file it is
    "wrong-unit.xlsx": [("wrong-unit", "")],
    "wrong-round.xlsx": [("wrong-round", "")],
    "old-template-version.xlsx": [("old-template-version", "")],
    "not-a-template.xlsx": [("not-a-template", "")],
    # columns
    "renamed-column.xlsx": [("renamed-column", "H1")],
    "missing-column.xlsx": [("missing-column", "")],
    "extra-column.xlsx": [("extra-column", "N1")],
    "value-outside-columns.xlsx": [("extra-column", "O3")],
    "reordered-columns.xlsx": [],
    "duplicate-column.xlsx": [("duplicate-column", "N1")],
    # rows and cells
    "blank-required.xlsx": [("blank-required", "B3"), ("blank-required", "E6")],
    "text-in-number-cell.xlsx": [("not-a-number", "H3")],
    "negative-count.xlsx": [("negative-count", "H3")],
    "fractional-count.xlsx": [("not-a-whole-number", "H4")],
    "percentage-over-100.xlsx": [("percentage-out-of-range", "H6")],
    "sex-total-mismatch.xlsx": [("sex-total-mismatch", "H5")],
    "duplicate-row.xlsx": [("duplicate-row", "E11")],
    "unknown-metric.xlsx": [("unknown-metric", "B6")],
    "unknown-breakdown-key.xlsx": [("unknown-combination", "E3")],
    "missing-row.xlsx": [("missing-row", "")],
    "not-for-this-metric.xlsx": [("not-for-this-metric", "I2")],
    "formula-without-value.xlsx": [("formula-without-value", "H2")],
    "merged-cells.xlsx": [("merged-cells", "H2")],
    # other formats
    "excel-97-2003.xls": [("xls-file", "")],
    "macro-enabled.xlsm": [("macro-enabled-file", "")],
    "opendocument.ods": [("ods-file", "")],
    "csv-renamed.xlsx": [("csv-renamed", "")],
    "password-protected.xlsx": [("password-protected", "")],
    "truncated.xlsx": [("corrupt-file", "")],
    # hostile files
    "zip-bomb.xlsx": [("unpacked-too-large", "")],
    "sparse-cell-bomb.xlsx": [("too-many-cells", "")],
    "sparse-cell-bomb-single-quotes.xlsx": [("too-many-cells", "")],
    "sparse-cell-bomb-twice-referenced.xlsx": [("corrupt-file", "")],
    "sparse-cell-bomb-unlisted-part.xlsx": [("corrupt-file", "")],
    "sparse-cell-bomb-case-twin.xlsx": [("corrupt-file", "")],
    "xml-external-entity.xlsx": [("xml-entities", "")],
    "over-size-limit.xlsx": [("file-too-large", "")],
    # CSV
    "csv-wrong-round.csv": [("wrong-round", "A3")],
    "csv-text-in-number-cell.csv": [("not-a-number", "I3")],
    # formula injection: accepted as text (see FormulaInjectionTests for the way out)
    "formula-injection.xlsx": [],
}
# Limits lowered so that these files show their defect while staying a few KB.
SETTINGS = {
    "over-size-limit.xlsx": {"UPLOAD_MAX_BYTES": 4096},
    "zip-bomb.xlsx": {"WORKBOOK_MAX_UNPACKED_BYTES": 1024 * 1024},
}
# Refused by ``filecheck`` before any reader opens the file. calamine is replaced by a tripwire
# for these: a sparse-cell bomb that reached it would abort the whole test run.
FILECHECK_CODES = {
    "file-too-large",
    "xls-file",
    "macro-enabled-file",
    "ods-file",
    "csv-renamed",
    "password-protected",
    "corrupt-file",
    "unpacked-too-large",
    "too-many-cells",
    "xml-entities",
}


def _test_name(name: str, expected: list[tuple[str, str]]) -> str:
    stem = re.sub(r"[^a-z0-9]+", "_", name.lower())
    if not expected:
        return f"test_{stem}_is_accepted_and_imported"
    found = "_and_".join(
        re.sub(r"[^A-Za-z0-9]+", "_", f"{code} at {cell}" if cell else code)
        for code, cell in expected
    )
    return f"test_{stem}_is_refused_with_{found}_and_nothing_is_written"


class DefectCorpusTests(ImportTestCase):
    """One test per file of EXPECTED, added below the class."""

    def check_defect(self, name: str) -> None:
        expected = EXPECTED[name]
        data = (DATA / name).read_bytes()
        before = (Value.objects.count(), AuditEvent.objects.count())
        calamine = mock.Mock()
        calamine.from_filelike.side_effect = AssertionError(f"{name} reached calamine")
        tripwire = mock.patch("wpstrack.workbooks.reading.CalamineWorkbook", calamine)
        refused_early = bool(expected) and all(code in FILECHECK_CODES for code, _c in expected)
        with override_settings(**SETTINGS.get(name, {})):
            if refused_early:
                with tripwire:
                    report = self.upload(data, name)
            else:
                report = self.upload(data, name)
        assert report.pairs() == expected, report.as_dict()["errors"]
        for problem in report.as_dict()["errors"]:
            assert problem["message"].strip() and problem["fix"].strip(), problem
        if expected:
            assert report.status == "invalid"
            assert (Value.objects.count(), AuditEvent.objects.count()) == before
        else:
            assert report.status == "imported", report.as_dict()
            assert Value.objects.count() > before[0]

    def test_the_corpus_is_every_file_in_the_data_folder_and_each_is_tiny(self):
        assert sorted(p.name for p in DATA.iterdir()) == sorted(EXPECTED)
        assert sorted(defects.DEFECTS) == sorted(EXPECTED)
        sizes = {p.name: p.stat().st_size for p in DATA.iterdir()}
        assert max(sizes.values()) < 20_000, sizes


for _name, _expected in EXPECTED.items():
    setattr(
        DefectCorpusTests,
        _test_name(_name, _expected),
        lambda self, name=_name: self.check_defect(name),
    )


class AcceptedDefectTests(ImportTestCase):
    def test_reordered_columns_are_read_by_their_headers(self):
        report = self.upload((DATA / "reordered-columns.xlsx").read_bytes(), "reordered.xlsx")
        assert report.status == "imported", report.as_dict()
        stored = {(v.metric.code, v.combination): v for v in Value.objects.all()}
        assert stored[("1-M1", "sex=women")].number == 30
        assert stored[("1-M1", "sex=men")].number == 70
        assert stored[("1-M3", "")].text == "medium"
        assert stored[("1-M5", "")].currency == "USD"
        assert stored[("1-M6", "")].comment == "@SUM(A1)"

    def test_formula_injection_is_stored_as_text_and_neutralised_in_both_exports(self):
        report = self.upload((DATA / "formula-injection.xlsx").read_bytes(), "injection.xlsx")
        assert report.status == "imported", report.as_dict()
        rows = {"M2": ("1-M1", "sex=women"), "M3": ("1-M1", "sex=men")}
        rows |= {"M4": ("1-M1", "sex=other"), "M6": ("1-M2", "")}
        stored = {(v.metric.code, v.combination): v.comment for v in Value.objects.all()}
        assert {ref: stored[key] for ref, key in rows.items()} == defects.INJECTED
        values = openpyxl.load_workbook(io.BytesIO(self.template()))["Values"]
        for ref, text in defects.INJECTED.items():
            cell = values[ref]
            assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True), ref
        exported = services.template_csv(self.round, self.cbp, "values").decode("utf-8-sig")
        comments = [row[-1] for row in csv.reader(io.StringIO(exported))][1:]
        for text in defects.INJECTED.values():
            assert "'" + text in comments, (text, comments)


@unittest.skipUnless(os.environ.get("REGENERATE_DEFECTS") == "1", "set REGENERATE_DEFECTS=1")
class RegenerateDefectFiles(ImportTestCase):
    """Writes data/ again from templates made in this test database (see ``defects``)."""

    def test_regenerate_the_defect_files(self):
        written = defects.write_all(
            defects.Sources(
                template=self.template(),
                ice_template=services.template_xlsx(self.round, self.w.ice, by="defects"),
                csv=services.template_csv(self.round, self.cbp, "values"),
            )
        )
        assert sorted(written) == sorted(EXPECTED)
