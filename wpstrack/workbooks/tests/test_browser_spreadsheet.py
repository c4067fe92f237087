"""The spreadsheet round trip in a real browser, as CBP's focal point works offline: download the
round's template, fill it in with three mistakes, see each mistake at its cell in the report and
in the marked copy, fix the marked copy, upload it again and find the draft filled."""

import io
import re
from pathlib import Path

import openpyxl
import pytest

from wpstrack.testing import PASSWORD, make_personas
from wpstrack.workbooks.tests.scenario import FILLED, fill, open_round

pytestmark = pytest.mark.browser

# Three mistakes, each in its own cell: a negative count (1-M1 men), text in a count cell
# (1-M1 other) and a percentage over 100 (1-M2).
MISTAKES = {"H3": -4, "H4": "none", "H6": 140}
EXPECTED = [
    ("Values", "H3", "negative-count"),
    ("Values", "H4", "not-a-number"),
    ("Values", "H6", "percentage-out-of-range"),
]


def sign_in(page, live_server, email):
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def download(page, link_name) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    return Path(info.value.path()).read_bytes()


def upload(page, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    page.get_by_label("Filled template (.xlsx or .csv)").set_input_files(path)
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()


def test_a_template_filled_offline_reports_each_mistake_at_its_cell_then_fills_the_draft(
    page, live_server, check_accessibility, tmp_path
):
    w = make_personas()
    open_round(w.cora)

    # Fatima finds CBP's report for the round and goes to its spreadsheet page.
    sign_in(page, live_server, "fatima@example.org")
    page.get_by_role("link", name=re.compile("tiny FY2025-Q3")).click()
    page.get_by_role(
        "link", name="Work offline in Excel: download the template, or upload a filled one"
    ).click()
    page.wait_for_url(re.compile(r"/rounds/\d+/units/DHS-CBP/spreadsheet$"))
    check_accessibility(page)

    # She downloads the template and fills it in, with three mistakes.
    template = download(page, "Excel template (.xlsx), with this round's figures so far")
    assert openpyxl.load_workbook(io.BytesIO(template))["Values"]["B2"].value == "1-M1"
    upload(page, tmp_path, "cbp.xlsx", fill(template, {**FILLED, **MISTAKES}))

    # The report lists all three, each at its sheet and cell, and nothing is imported.
    check_accessibility(page)
    assert "3 problem(s) found in cbp.xlsx: nothing was imported." in page.content()
    table = page.get_by_role("table", name="3 problems to fix")
    rows = table.locator("tbody tr")
    found = [
        (cells[0], cells[1], cells[6])
        for cells in (rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count()))
    ]
    assert found == EXPECTED

    # The marked copy highlights and comments the same three cells.
    marked = openpyxl.load_workbook(
        io.BytesIO(download(page, "Download your file with the problems marked"))
    )
    assert marked.sheetnames[0] == "Problems"
    for sheet, cell, code in EXPECTED:
        marked_cell = marked[sheet][cell]
        assert marked_cell.fill.fgColor.rgb.endswith("FFC7CE"), cell
        assert code in marked_cell.comment.text, cell
    assert not marked["Values"]["H2"].comment  # a right cell is left alone

    # She corrects the three cells in the marked copy and uploads it again.
    for cell in MISTAKES:
        marked["Values"][cell] = FILLED[cell]
    corrected = io.BytesIO()
    marked.save(corrected)
    upload(page, tmp_path, "cbp-problems.xlsx", corrected.getvalue())

    # Back on CBP's report: the draft holds her figures, still to be submitted.
    page.wait_for_url(re.compile(r"/rounds/\d+/units/DHS-CBP$"))
    check_accessibility(page)
    assert re.search(r"Imported cbp-problems\.xlsx: \d+ cell\(s\) changed", page.content())
    assert page.get_by_label("1-M1 Women").input_value() == "30"
    assert page.get_by_label("1-M1 Men").input_value() == "70"
    assert page.get_by_label("1-M1 Other").input_value() == "0"
    assert page.get_by_label("or the share").input_value() == "31.5"
    assert page.get_by_label("Currency").input_value() == "USD"
    assert "Draft" in page.locator("p", has_text="State:").inner_text()
