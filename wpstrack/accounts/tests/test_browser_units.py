"""A coordinator finds a unit's members in a real browser; an outsider cannot reach the unit."""

import pytest

from wpstrack.testing import PASSWORD, make_personas

pytestmark = pytest.mark.browser


def sign_in(page, live_server, email, check_accessibility):
    page.goto(f"{live_server.url}/login")
    check_accessibility(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def test_a_coordinator_opens_a_unit_and_sees_its_members(page, live_server, check_accessibility):
    make_personas()
    sign_in(page, live_server, "cora@example.org", check_accessibility)
    check_accessibility(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Units").click()
    check_accessibility(page)
    page.get_by_role("link", name="DHS-CBP", exact=True).click()
    page.wait_for_url(f"{live_server.url}/units/DHS-CBP")
    check_accessibility(page)
    assert page.get_by_role("heading", level=1).inner_text() == "U.S. Customs and Border Protection"
    focal_points = page.locator("h3:text-is('Focal point') + ul")
    assert "Fatima Focal" in focal_points.inner_text()
    assert "Ravi Reviewer" in page.locator("h3:text-is('Reviewer') + ul").inner_text()


def test_an_outsider_does_not_see_the_unit(page, live_server, check_accessibility):
    make_personas()
    sign_in(page, live_server, "oscar@example.org", check_accessibility)
    assert "You have no role on any unit yet" in page.content()
    page.goto(f"{live_server.url}/units")
    check_accessibility(page)
    assert page.get_by_role("link", name="DHS-CBP").count() == 0
    response = page.goto(f"{live_server.url}/units/DHS-CBP")
    assert response.status == 403
    check_accessibility(page)
    assert "Fatima" not in page.content()
    assert page.get_by_role("heading", level=1).inner_text() == "Not yours to see"
