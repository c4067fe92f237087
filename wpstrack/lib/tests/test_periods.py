import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wpstrack.lib.periods import Period, PeriodError

OCTOBER, JANUARY = 10, 1


def test_a_us_fiscal_year_starts_the_october_before():
    fy = Period.parse("FY2025", OCTOBER)
    assert (fy.start, fy.end) == (dt.date(2024, 10, 1), dt.date(2025, 9, 30))


def test_a_us_third_quarter_is_april_to_june():
    q3 = Period.parse("FY2025-Q3", OCTOBER)
    assert (q3.start, q3.end) == (dt.date(2025, 4, 1), dt.date(2025, 6, 30))


def test_a_un_fiscal_year_is_the_calendar_year():
    fy = Period.parse("fy2025", JANUARY)
    assert (fy.start, fy.end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert Period.parse("FY2025-Q4", JANUARY).start == dt.date(2025, 10, 1)


def test_it_finds_the_period_a_date_falls_in():
    assert Period.containing(dt.date(2024, 11, 15), OCTOBER).code == "FY2025-Q1"
    assert Period.containing(dt.date(2025, 9, 30), OCTOBER).code == "FY2025-Q4"
    assert Period.containing(dt.date(2025, 9, 30), JANUARY).code == "FY2025-Q3"
    assert Period.containing(dt.date(2025, 9, 30), OCTOBER, quarterly=False).code == "FY2025"


def test_previous_periods_cross_year_ends():
    assert Period.parse("FY2025-Q1", OCTOBER).previous().code == "FY2024-Q4"
    assert Period.parse("FY2025", OCTOBER).previous().code == "FY2024"
    assert Period.parse("FY2025-Q3", OCTOBER).same_period_last_year().code == "FY2024-Q3"


@pytest.mark.parametrize("code", ["2025", "FY25", "FY2025-Q5", "FY2025Q1", "", "FY2025-Q"])
def test_it_rejects_what_is_not_a_period_with_the_fix(code):
    with pytest.raises(PeriodError, match="write FY2025 for a fiscal year"):
        Period.parse(code, OCTOBER)


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)), st.integers(1, 12))
def test_every_date_falls_inside_its_period(day, start_month):
    period = Period.containing(day, start_month)
    assert period.start <= day <= period.end
    year = period.year
    assert year.start <= day <= year.end
    quarters = year.quarters()
    assert quarters[0].start == year.start and quarters[-1].end == year.end
