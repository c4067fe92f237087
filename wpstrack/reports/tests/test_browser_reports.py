"""In a real browser: the coordinator writes the executive summary, builds the annual report in
Word from the plan's Reports page, waits for it and downloads it."""

import datetime as dt
import re

import docx
import pytest

from wpstrack.analysis.tests.test_refresh import DOCUMENT
from wpstrack.frameworks.models import Plan
from wpstrack.frameworks.services import load_plan_document
from wpstrack.reporting import services
from wpstrack.reporting.tests.test_browser_round import sign_in
from wpstrack.testing import make_personas, make_sex_categories

pytestmark = pytest.mark.browser

SUMMARY = "Women are 22 percent of new recruits, up from 20 percent."


def approved_year(w, plan):
    """CBP reports FY2025 for the tiny plan; the coordinator approves it."""
    rnd = services.create_round(
        plan=plan, period="FY2025", due_date=dt.date(2025, 10, 31), actor=w.cora
    )
    services.open_round(reporting_round=rnd, actor=w.cora)
    submission = rnd.submissions.get(unit__code="DHS-CBP")
    services.save_submission(
        submission=submission,
        values={
            "1-M1": {"": {"numerator": "22", "denominator": "100", "comment": "payroll"}},
            "1-M2": {
                f"sex={k}": {"number": str(v), "comment": "payroll"}
                for k, v in {"women": 3, "men": 4, "other": 0}.items()
            },
        },
        actions={"1": {"status": "on_track"}},
        lock_version=submission.lock_version,
        actor=w.fatima,
    )
    services.submit_submission(submission=submission, actor=w.fatima)
    services.approve_submission(submission=submission, actor=w.cora)
    submission.refresh_from_db()
    assert submission.state == "approved"


def test_the_coordinator_builds_the_annual_report_in_word_and_downloads_it(
    page, live_server, check_accessibility
):
    w = make_personas()
    make_sex_categories()
    load_plan_document(DOCUMENT, file_name="tiny.yaml", sha256="0" * 64, actor=None)
    approved_year(w, Plan.objects.get(slug="tiny"))

    sign_in(page, live_server, "cora@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").click()
    page.get_by_role("link", name="Tiny plan").click()
    check_accessibility(page)
    page.get_by_role("link", name="Reports", exact=True).click()
    check_accessibility(page)
    assert page.get_by_label("Fiscal year").input_value() == "FY2025"

    # The executive summary first, so the report opens with it.
    page.get_by_role("link", name="Write the executive summary and decisions needed").click()
    check_accessibility(page)
    page.get_by_label("Executive summary").fill(SUMMARY)
    page.get_by_role("button", name="Save").click()
    check_accessibility(page)
    assert "The narrative for FY2025 is saved" in page.content()
    page.get_by_role("link", name="Reports", exact=True).click()

    page.get_by_label(re.compile(r"^Report\b")).select_option("annual")
    page.get_by_label("Fiscal year").fill("FY2025")
    page.get_by_label("Format").select_option("docx")
    page.get_by_role("button", name="Build").click()
    page.wait_for_url(re.compile(r"/plans/tiny/reports/\d+$"))
    page.get_by_role("heading", name="State: Done").wait_for(timeout=60_000)
    check_accessibility(page)
    assert "tiny/FY2025/ed1" in page.content()

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^Download .*\.docx$")).click()
    download = download_info.value
    assert download.suggested_filename == "tiny-FY2025-ed1-annual.docx"
    document = docx.Document(str(download.path()))
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert styles[0] == ("Title", "Annual progress report FY2025")
    assert ("Heading 1", "Executive summary") in styles
    assert ("Normal", SUMMARY) in styles

    # The list shows the build to everyone who sees the plan; the templates page is checked too.
    page.get_by_role("link", name="Reports", exact=True).click()
    check_accessibility(page)
    assert "tiny-FY2025-ed1-annual.docx" in page.content()
    page.get_by_role("link", name="The plan's report templates").click()
    check_accessibility(page)


def test_a_build_page_follows_a_running_build_until_it_is_done(
    page, live_server, check_accessibility
):
    from wpstrack.reports.models import Build

    w = make_personas()
    load_plan_document(DOCUMENT, file_name="tiny.yaml", sha256="0" * 64, actor=None)
    build = Build.objects.create(
        plan=Plan.objects.get(slug="tiny"),
        year="FY2025",
        kind="scorecard",
        format="pdf",
        state=Build.RUNNING,
        progress=40,
        requested_by=w.cora,
    )
    sign_in(page, live_server, "vera@example.org")
    page.goto(f"{live_server.url}/plans/tiny/reports/{build.pk}")
    page.get_by_role("heading", name="State: Running").wait_for()
    check_accessibility(page)
    page.evaluate("window.stillTheSamePage = true")  # a reload would forget it

    # The worker finishes: the page shows it by itself (htmx polling), without reloading.
    Build.objects.filter(pk=build.pk).update(
        state=Build.DONE, progress=100, content=b"%PDF-1.7", filename="tiny-scorecard.pdf"
    )
    page.get_by_role("heading", name="State: Done").wait_for(timeout=10_000)
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.get_by_role("link", name="Download tiny-scorecard.pdf").is_visible()
    check_accessibility(page)
