"""Each status rule with its edge cases: no baseline, target met early, decrease, zero
denominators, missing periods; milestones, actions, roll-ups and the parity projections."""

import datetime as dt
from decimal import Decimal as D

from wpstrack.analysis.status import (
    Point,
    Rule,
    Status,
    assess_action,
    assess_metric,
    assess_milestone,
    expected_at,
    people_needed,
    projected_period,
    roll_up,
)
from wpstrack.lib.periods import Period


def fy(code):
    return Period.parse(code, 10)


# 30% women in law enforcement by FY2030 from 20% in FY2020: 1 point a year.
THIRTY = Rule("increase", Point(fy("FY2020"), D(20)), Point(fy("FY2030"), D(30)), unit="%")


def test_the_expected_figure_follows_a_straight_line_from_baseline_to_target():
    assert expected_at(THIRTY, fy("FY2025")).quantize(D("0.1")) == D("25.0")
    assert expected_at(THIRTY, fy("FY2019")) == D(20)  # before the baseline: the baseline
    assert expected_at(THIRTY, fy("FY2031")) == D(30)  # after the target date: the target


def test_a_figure_on_or_above_the_path_is_on_track_and_says_why():
    result = assess_metric(THIRTY, fy("FY2025"), D("25.4"))
    assert result.status == Status.ON_TRACK
    assert result.reason == "25.4% against 25% expected by FY2025 on the way to 30% by FY2030."


def test_a_figure_a_little_behind_is_at_risk_and_far_behind_is_off_track():
    # tolerance 10% of the 10-point change: 1 point behind the path is still at risk
    assert assess_metric(THIRTY, fy("FY2025"), D("24.2")).status == Status.AT_RISK
    assert assess_metric(THIRTY, fy("FY2025"), D("23.5")).status == Status.OFF_TRACK


def test_a_target_met_early_is_on_track_and_says_so():
    result = assess_metric(THIRTY, fy("FY2024"), D(31))
    assert result.status == Status.ON_TRACK and "met early" in result.reason


def test_a_target_missed_at_its_date_is_off_track_whatever_the_tolerance():
    assert assess_metric(THIRTY, fy("FY2030"), D("29.9")).status == Status.OFF_TRACK
    assert assess_metric(THIRTY, fy("FY2031"), D("30")).status == Status.ON_TRACK


def test_a_decrease_is_on_track_when_the_figure_falls_fast_enough():
    attrition = Rule("decrease", Point(fy("FY2022"), D(12)), Point(fy("FY2026"), D(8)), unit="%")
    assert assess_metric(attrition, fy("FY2024"), D("9.5")).status == Status.ON_TRACK
    assert assess_metric(attrition, fy("FY2024"), D("10.3")).status == Status.AT_RISK
    assert assess_metric(attrition, fy("FY2024"), D("11")).status == Status.OFF_TRACK
    assert assess_metric(attrition, fy("FY2024"), D("7")).status == Status.ON_TRACK


def test_a_missing_figure_is_no_data():
    result = assess_metric(THIRTY, fy("FY2025-Q3"), None)
    assert result.status == Status.NO_DATA and "FY2025-Q3" in result.reason


def test_a_share_with_an_empty_denominator_cannot_be_assessed():
    result = assess_metric(THIRTY, fy("FY2025"), D(0), denominator=D(0))
    assert result.status == Status.NOT_ASSESSABLE


def test_without_a_baseline_a_target_is_judged_by_the_way_the_figure_moves():
    rule = Rule("increase", None, Point(fy("FY2030"), D(30)), unit="%")
    assert assess_metric(rule, fy("FY2025"), D(22), D(21)).status == Status.ON_TRACK
    assert assess_metric(rule, fy("FY2025"), D(21), D(21)).status == Status.AT_RISK
    assert assess_metric(rule, fy("FY2025"), D(20), D(21)).status == Status.OFF_TRACK
    assert assess_metric(rule, fy("FY2025"), D(22), None).status == Status.NOT_ASSESSABLE
    assert assess_metric(rule, fy("FY2025"), D(31), None).status == Status.ON_TRACK


def test_without_a_target_the_change_against_the_previous_period_decides():
    rule = Rule("increase")
    assert assess_metric(rule, fy("FY2025"), D(12), D(10)).status == Status.ON_TRACK
    assert assess_metric(rule, fy("FY2025"), D("9.5"), D(10)).status == Status.AT_RISK
    assert assess_metric(rule, fy("FY2025"), D(8), D(10)).status == Status.OFF_TRACK
    # a missing previous period: nothing to compare with
    assert assess_metric(rule, fy("FY2025"), D(8), None).status == Status.NOT_ASSESSABLE


def test_maintain_holds_within_the_tolerance_of_its_level():
    rule = Rule("maintain", Point(fy("FY2020"), D(50)))
    assert assess_metric(rule, fy("FY2025"), D(53)).status == Status.ON_TRACK
    assert assess_metric(rule, fy("FY2025"), D(58)).status == Status.AT_RISK
    assert assess_metric(rule, fy("FY2025"), D(39)).status == Status.OFF_TRACK
    assert assess_metric(Rule("maintain"), fy("FY2025"), D(40)).status == Status.NOT_ASSESSABLE


def test_a_metric_with_no_direction_or_target_is_not_assessable():
    assert assess_metric(Rule("none"), fy("FY2025"), D(4)).status == Status.NOT_ASSESSABLE


def test_milestones_are_done_due_or_overdue():
    today = dt.date(2025, 6, 1)
    assert (
        assess_milestone(True, dt.date(2025, 5, 1), dt.date(2025, 9, 30), today).status
        == Status.ON_TRACK
    )
    assert assess_milestone(False, None, dt.date(2025, 9, 30), today).status == Status.ON_TRACK
    overdue = assess_milestone(False, None, dt.date(2025, 3, 31), today)
    assert overdue.status == Status.OFF_TRACK and "2025-03-31" in overdue.reason
    assert assess_milestone(None, None, None, today).status == Status.NO_DATA


def test_an_action_past_a_promised_date_and_not_completed_is_off_track():
    today = dt.date(2025, 6, 1)
    promised = [{"title": "Finalize the WPS Management Directive", "due": "2025-03-31"}]
    result = assess_action("on_track", promised, today)
    assert result.status == Status.OFF_TRACK and "Management Directive" in result.reason
    assert assess_action("completed", promised, today).status == Status.ON_TRACK
    assert assess_action("delayed", [], today).status == Status.AT_RISK
    assert (
        assess_action("on_track", [{"title": "x", "due": "2025-12-31"}], today).status
        == Status.ON_TRACK
    )
    assert assess_action("", [], today).status == Status.NO_DATA
    assert assess_action("cancelled", promised, today).status == Status.NOT_ASSESSABLE


def test_roll_ups_by_the_worst_rule_and_by_share():
    on, risk, off, none = Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK, Status.NO_DATA
    assert roll_up([on, on, risk]) == risk
    assert roll_up([on, off, none]) == off
    assert roll_up([none, none]) == none
    assert roll_up([on, on, on, off], rule="share") == on  # 1 of 4 is not more than 25%
    assert roll_up([on, on, off, off], rule="share") == off
    assert roll_up([on, on, risk, off], rule="share") == risk


def test_the_gap_in_people_and_the_year_the_target_is_met_at_the_current_rate():
    assert people_needed(women=34, total=200, target_percent=D(30)) == 26
    assert people_needed(women=70, total=200, target_percent=D(30)) == 0
    assert people_needed(women=0, total=0, target_percent=D(30)) == 0
    history = [
        (dt.date(2022, 9, 30), D(20)),
        (dt.date(2023, 9, 30), D(22)),
        (dt.date(2024, 9, 30), D(24)),
    ]
    met = projected_period(history, D(30))
    assert met is not None and met.year == 2027
    assert projected_period(history[:1], D(30)) is None  # one figure is no rate
    falling = [(dt.date(2022, 9, 30), D(24)), (dt.date(2023, 9, 30), D(22))]
    assert projected_period(falling, D(30)) is None  # moving away never gets there


def test_a_step_target_applies_only_from_its_period():
    step = Rule(
        "increase", Point(fy("FY2020"), D(20)), Point(fy("FY2030"), D(30)), trajectory="step"
    )
    assert expected_at(step, fy("FY2025")) == D(20)
    assert assess_metric(step, fy("FY2025"), D(21)).status == Status.ON_TRACK
    assert assess_metric(step, fy("FY2025"), D("19.5")).status == Status.AT_RISK
    assert assess_metric(step, fy("FY2030"), D(29)).status == Status.OFF_TRACK
