"""Text that a spreadsheet would run as a formula is written so that it stays text."""

import datetime as dt
import io

import openpyxl

from wpstrack.lib.spreadsheets import csv_cell, from_csv_cell, new_workbook, write_cell


def test_risky_text_is_written_as_quoted_text_never_as_a_formula():
    output = io.BytesIO()
    book = new_workbook(output)
    sheet = book.add_worksheet("S")
    quoted = book.add_format({"quote_prefix": True})
    for row, value in enumerate(
        ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "plain", 5, dt.date(2025, 1, 2)]
    ):
        write_cell(sheet, row, 0, value, None, quoted)
    book.close()
    cells = openpyxl.load_workbook(io.BytesIO(output.getvalue()))["S"]
    assert cells["A1"].value == '=HYPERLINK("http://x")' and cells["A1"].data_type == "s"
    assert all(cells[f"A{n}"].quotePrefix for n in range(1, 5))
    assert not cells["A5"].quotePrefix and cells["A6"].value == 5


def test_csv_cells_get_an_apostrophe_that_the_import_takes_off_again():
    for text in ("=1+1", "+cmd", "-2", "@x"):
        assert csv_cell(text) == "'" + text
        assert from_csv_cell(csv_cell(text)) == text
    assert csv_cell("'quoted") == "'quoted" and from_csv_cell("'quoted") == "'quoted"
    assert csv_cell(None) == "" and csv_cell(dt.date(2025, 1, 2)) == "2025-01-02"
