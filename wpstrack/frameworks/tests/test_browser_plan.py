"""A focal point opens the DHS plan in a real browser and filters it to CBP's actions."""

import pytest
from django.conf import settings

from wpstrack.accounts.unitfile import load_unit_file
from wpstrack.frameworks.loading import bundled_plan_files, load_plan_files
from wpstrack.testing import PASSWORD, make_personas

pytestmark = pytest.mark.browser


def test_the_dhs_plan_filtered_by_cbp_shows_goal_4_2s_actions(
    page, live_server, check_accessibility
):
    make_personas()
    load_unit_file(settings.PLANS_DIR / "organisation.yaml", actor=None)
    assert load_plan_files(bundled_plan_files(), actor=None).ok
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email address").fill("fatima@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").click()
    check_accessibility(page)
    page.get_by_role("link", name="2024 WPS Implementation Plan").click()
    check_accessibility(page)
    page.get_by_label("Responsible unit").select_option("DHS-CBP")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**unit=DHS-CBP**")
    check_accessibility(page)
    tree = page.locator(".plan-tree").first
    for code in ("4.2-A1", "4.2-A2", "4.2-A3"):
        assert tree.get_by_role("link", name=code).count() == 1, code
    assert tree.get_by_role("link", name="1.1-A1").count() == 0
    page.get_by_role("link", name="4.2-A3").click()
    check_accessibility(page)
    assert (
        "CBP will provide supplemental guidance"
        in page.get_by_role("heading", level=1).inner_text()
    )
