"""A whole quarterly round in a real browser: open, report, fail validation, submit, return,
resubmit, approve, and the coordinator sees the approved figures and the late list shrink."""

import re

import pytest
from django.conf import settings

from wpstrack.accounts.unitfile import load_unit_file
from wpstrack.frameworks.loading import bundled_plan_files, load_plan_files
from wpstrack.testing import PASSWORD, make_personas

pytestmark = pytest.mark.browser


def sign_in(page, live_server, email):
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def sign_out(page):
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    page.wait_for_url(re.compile("/login"))


def fill_cbp_report(page, first_value):
    page.get_by_label("4.2-A1-M1 Total").fill(first_value)
    page.get_by_label("4.2-A2-M1 Total").fill("2")
    page.get_by_label("4.2-A3-M1 Total").fill("1")
    for code in ("4.2-A1", "4.2-A2", "4.2-A3"):
        page.locator(f"select[name='a|{code}|status']").select_option("on_track")


def test_a_whole_round_from_opening_to_approval(page, live_server, check_accessibility):
    make_personas()
    load_unit_file(settings.PLANS_DIR / "organisation.yaml", actor=None)
    assert load_plan_files(bundled_plan_files(), actor=None).ok

    # The coordinator prepares and opens FY2025 Q3 for the DHS plan.
    sign_in(page, live_server, "cora@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rounds").click()
    check_accessibility(page)
    page.get_by_role("link", name="Prepare a round").click()
    check_accessibility(page)
    page.get_by_label("Plan").select_option("dhs-wps-2024")
    page.get_by_label("Period").fill("FY2025-Q3")
    page.get_by_label("Due date").fill("2025-07-31")
    page.get_by_role("button", name="Prepare").click()
    check_accessibility(page)
    page.get_by_role("button", name="Open the round").click()
    check_accessibility(page)
    round_url = page.url
    late = page.locator("h2:text-is('Units not yet submitted') + ul")
    assert "DHS-CBP" in late.inner_text()
    sign_out(page)

    # CBP's focal point reports, hits a validation error, fixes it and submits.
    sign_in(page, live_server, "fatima@example.org")
    page.get_by_role("link", name=re.compile("dhs-wps-2024 FY2025-Q3")).click()
    check_accessibility(page)
    fill_cbp_report(page, "three")
    page.get_by_role("button", name="Save and submit").click()
    check_accessibility(page)
    assert "is not a number" in page.content()
    assert page.get_by_label("4.2-A1-M1 Total").input_value() == "three"  # what was typed is kept
    page.get_by_label("4.2-A1-M1 Total").fill("3")
    page.get_by_role("button", name="Save and submit").click()
    page.wait_for_load_state()
    assert "Submitted for review." in page.content()
    sign_out(page)

    # The reviewer returns it with a comment.
    sign_in(page, live_server, "ravi@example.org")
    page.goto(f"{round_url.rstrip('/')}/units/DHS-CBP")
    check_accessibility(page)
    page.get_by_label("Comment for the focal point (required to return)").fill(
        "Please recount 4.2-A1."
    )
    page.get_by_role("button", name="Return with comment").click()
    page.wait_for_load_state()
    assert "Returned to the focal point." in page.content()
    sign_out(page)

    # The focal point corrects and resubmits.
    sign_in(page, live_server, "fatima@example.org")
    page.goto(f"{round_url.rstrip('/')}/units/DHS-CBP")
    assert "Please recount 4.2-A1." in page.content()
    page.get_by_label("4.2-A1-M1 Total").fill("4")
    page.get_by_label(re.compile("What you changed and why")).fill(
        "Recounted the policies reviewed."
    )
    page.get_by_role("button", name="Save and submit").click()
    page.wait_for_load_state()
    assert "Submitted for review." in page.content()
    sign_out(page)

    # The reviewer approves.
    sign_in(page, live_server, "ravi@example.org")
    page.goto(f"{round_url.rstrip('/')}/units/DHS-CBP")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    assert "It now goes to: Plan coordinator acceptance." in page.content()
    sign_out(page)

    # The coordinator accepts it, sees the approved figures, and CBP is off the late list.
    sign_in(page, live_server, "cora@example.org")
    page.goto(f"{round_url.rstrip('/')}/units/DHS-CBP")
    check_accessibility(page)
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    assert "Approved." in page.content()
    page.goto(round_url)
    check_accessibility(page)
    assert "DHS-CBP" not in page.locator("h2:text-is('Units not yet submitted') + ul").inner_text()
    page.get_by_role("link", name="CBP", exact=True).click()
    check_accessibility(page)
    assert page.get_by_label("4.2-A1-M1 Total").input_value() == "4"
    assert "Approved" in page.content()
