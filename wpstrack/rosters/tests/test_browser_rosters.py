"""In a real browser: the DHS coordinator uploads a small HR extract with messy spellings, maps
it (columns, spellings, the law-enforcement filter, two metrics), previews it, runs it for
FY2025 Q3 and finds CBP's draft filled with the figures the file gives."""

from __future__ import annotations

import re

import pytest

from wpstrack.accounts.demo import DEMO_PASSWORD, load_demo
from wpstrack.reporting.models import ReportingRound
from wpstrack.rosters.models import RosterUpload

pytestmark = pytest.mark.browser

EXTRACT = """Emp #,Component,Sex,EOD Date,Sep Date,Series
A1,CBP,F,01/15/2019,,1811
A2,CBP,Fem,04/02/2025,,1811
A3,CBP,male,05/01/2025,,1896
A4,CBP,Mle,03/01/2018,06/30/2025,1811
A5,CBP,,02/01/2017,,1811
A6,Customs & Border,WOMAN,06/01/2025,,1811
A7,ICE,m,01/01/2016,,1811
A8,CBP,F,01/01/2016,,0343
"""
# CBP's law-enforcement series (1811, 1896) at the end of FY2025 Q3 (30 June 2025): A1, A2 and A6
# (women), A3 (man), A5 (not recorded); A4 left on 30 June. Hires in the quarter: A2, A3, A6.


def test_the_coordinator_maps_a_messy_extract_and_fills_cbps_draft(
    page, live_server, check_accessibility, tmp_path, settings
):
    settings.ROSTER_DIR = tmp_path / "rosters"
    load_demo(history=False)
    extract = tmp_path / "nfc-extract.csv"
    extract.write_text(EXTRACT)

    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email address").fill("coordinator@example.org")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/plans/dhs-wps-2024")
    page.get_by_role("link", name="Rosters").click()
    check_accessibility(page)
    page.get_by_label("Roster file").set_input_files(str(extract))
    page.get_by_role("button", name="Upload and map").click()
    page.wait_for_url(re.compile(r"/rosters/files/[0-9a-f-]+$"))
    check_accessibility(page)

    page.get_by_label("Name of the source").fill("NFC law enforcement extract")
    # The columns were guessed from their headers; the coordinator checks and completes them.
    assert page.get_by_label("Sex", exact=True).input_value() == "Sex"
    assert page.get_by_label("Unit", exact=True).input_value() == "Component"
    page.get_by_label("Person id (counts each person once)").select_option("Emp #")
    page.get_by_label("Hire (entry on duty) date").select_option("EOD Date")
    page.get_by_label("Separation date").select_option("Sep Date")
    page.get_by_label("Occupation").select_option("Series")
    page.get_by_label("Date formats, tried in order").fill("%m/%d/%Y")
    page.get_by_label(re.compile("^Which rows count")).fill("occupation in 1811, 1896")
    page.get_by_label("Metric 1", exact=True).select_option("1.1-A2-M1")
    page.get_by_label("Computed as 1", exact=True).select_option("share_women")
    page.get_by_label("Metric 2", exact=True).select_option("1.1-A2-M2")
    page.get_by_label("Computed as 2", exact=True).select_option("hires")
    page.get_by_role("button", name="Preview").click()

    # The spellings found, with how many rows use each: the odd ones are mapped by hand.
    page.get_by_role("cell", name="Fem", exact=True).wait_for()
    page.get_by_label("Fem", exact=True).select_option("women")
    page.get_by_label("Mle", exact=True).select_option("men")
    page.get_by_label("Customs & Border", exact=True).select_option("DHS-CBP")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview-table")
    preview.wait_for()
    check_accessibility(page)
    assert "A1" not in preview.inner_text()  # no person ids on the page
    assert "01/15/2019" not in page.content()  # nor dates

    page.get_by_label("Round to fill").select_option(label="FY2025-Q3")
    page.get_by_role("button", name="Save and run").click()
    page.wait_for_url(re.compile(r"/rosters/runs/\d+$"))
    check_accessibility(page)
    assert "Values written to drafts" in page.locator("#run-state").inner_text()
    assert not RosterUpload.objects.exists()  # the file went with the run

    reporting_round = ReportingRound.objects.get(plan__slug="dhs-wps-2024", period="FY2025-Q3")
    page.goto(f"{live_server.url}/rounds/{reporting_round.pk}/units/DHS-CBP")
    check_accessibility(page)
    share = page.locator('input[name="m|1.1-A2-M1||numerator"]')
    assert float(share.input_value()) == 3
    assert float(page.locator('input[name="m|1.1-A2-M1||denominator"]').input_value()) == 5
    assert float(page.locator('input[name="m|1.1-A2-M2|sex=women|number"]').input_value()) == 2
    assert float(page.locator('input[name="m|1.1-A2-M2|sex=men|number"]').input_value()) == 1
    assert "Draft" in page.content()
