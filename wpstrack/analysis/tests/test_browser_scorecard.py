"""In a real browser: the DHS scorecard, filtered to what is off track, down to one metric and
from its figure back to the approved submission it came from."""

import datetime as dt
import re

import pytest
from django.conf import settings

from wpstrack.accounts.unitfile import load_unit_file
from wpstrack.frameworks.loading import bundled_plan_files, load_plan_files
from wpstrack.frameworks.models import Plan
from wpstrack.reporting import services
from wpstrack.reporting.tests.test_browser_round import sign_in
from wpstrack.testing import make_personas

pytestmark = pytest.mark.browser


def approved_quarter(w, plan, period, due, figures):
    """CBP reports its three counts for a quarter; its reviewer and the coordinator approve."""
    rnd = services.create_round(plan=plan, period=period, due_date=due, actor=w.cora)
    services.open_round(reporting_round=rnd, actor=w.cora)
    submission = rnd.submissions.get(unit__code="DHS-CBP")
    services.save_submission(
        submission=submission,
        values={code: {"": {"number": str(n), "comment": "demo"}} for code, n in figures.items()},
        actions={code: {"status": "on_track"} for code in ("4.2-A1", "4.2-A2", "4.2-A3")},
        lock_version=submission.lock_version,
        actor=w.fatima,
    )
    services.submit_submission(submission=submission, actor=w.fatima)
    for approver in (w.ravi, w.cora):
        submission.refresh_from_db()
        if submission.state == "approved":
            break
        services.approve_submission(submission=submission, actor=approver)
    submission.refresh_from_db()
    assert submission.state == "approved"
    return rnd


def test_the_scorecard_leads_from_an_off_track_metric_to_its_approved_submission(
    page, live_server, check_accessibility
):
    w = make_personas()
    load_unit_file(settings.PLANS_DIR / "organisation.yaml", actor=None)
    assert load_plan_files(bundled_plan_files(), actor=None).ok
    plan = Plan.objects.get(slug="dhs-wps-2024")
    approved_quarter(
        w, plan, "FY2025-Q1", dt.date(2025, 1, 31), {"4.2-A1-M1": 5, "4.2-A2-M1": 2, "4.2-A3-M1": 1}
    )
    approved_quarter(
        w, plan, "FY2025-Q2", dt.date(2025, 4, 30), {"4.2-A1-M1": 2, "4.2-A2-M1": 3, "4.2-A3-M1": 1}
    )

    sign_in(page, live_server, "cora@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").click()
    page.get_by_role("link", name=re.compile("Implementation Plan")).first.click()
    page.get_by_role("link", name="Scorecard: what is on track").click()
    check_accessibility(page)
    assert "as of FY2025-Q2" in page.content()

    page.get_by_label("Status").select_option("off_track")
    page.get_by_role("button", name="Filter").click()
    check_accessibility(page)
    metrics = page.locator("ul.metrics > li")
    assert metrics.count() == 1
    assert "4.2-A1-M1" in metrics.first.inner_text() and "Off track" in metrics.first.inner_text()

    page.get_by_role("link", name="4.2-A1-M1").click()
    check_accessibility(page)
    assert "2 in FY2025-Q2, from 5: the wrong way." in page.content()
    page.get_by_role("link", name="Sources for FY2025-Q2").click()
    check_accessibility(page)
    row = page.locator("tbody tr").first
    assert "DHS-CBP" in row.inner_text() and "fatima@example.org" in row.inner_text()
    assert "cora@example.org" in row.inner_text()

    row.get_by_role("link", name="Submission").click()
    check_accessibility(page)
    assert "Approved" in page.content()
    assert page.url.endswith("/units/DHS-CBP")
