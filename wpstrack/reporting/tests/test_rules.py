"""The one rule set for reported values: one test per rule, each asserting the stable code, the
cell it points at (metric, combination, part) and that the message says how to put it right."""

from decimal import Decimal

from wpstrack.reporting import rules
from wpstrack.reporting.rules import TOTAL, Cell

SEX = ["sex=women", "sex=men", "sex=other"]


def check_total(metric_type, **typed):
    """Check one undisaggregated cell of metric M1 as typed."""
    return rules.check_metric("M1", metric_type, [TOTAL], {TOTAL: typed})


def pointers(errors):
    return [(e.code, e.metric, e.combination, e.part) for e in errors]


def test_it_accepts_a_whole_count_and_stores_it_as_a_number():
    cells, errors = check_total("count", number="1,204")
    assert errors == []
    assert cells[TOTAL].number == Decimal(1204)


def test_it_rejects_a_count_that_is_not_a_whole_number():
    cells, errors = check_total("count", number="3.5")
    assert pointers(errors) == [("not-a-whole-number", "M1", TOTAL, "number")]
    assert "3.5 is not a whole number" in errors[0].message
    assert "counts of people or things are whole numbers" in errors[0].message
    assert cells[TOTAL].number is None


def test_it_rejects_a_negative_count():
    cells, errors = check_total("count", number="-2")
    assert pointers(errors) == [("negative-count", "M1", TOTAL, "number")]
    assert errors[0].message == "A count cannot be negative (-2): type 0 or more."
    assert cells[TOTAL].number is None


def test_it_rejects_text_that_is_not_a_number_and_says_to_type_digits():
    cells, errors = rules.check_metric("M1", "count", SEX, {"sex=men": {"number": "lots"}})
    assert pointers(errors) == [("not-a-number", "M1", "sex=men", "number")]
    assert errors[0].message == "'lots' is not a number: type digits only, e.g. 12 or 12.5."
    assert errors[0].blocking is True
    assert cells["sex=men"].number is None


def test_it_rejects_infinity_and_nan_as_not_a_number():
    for typed in ("Infinity", "NaN"):
        _cells, errors = check_total("score", number=typed)
        assert pointers(errors) == [("not-a-number", "M1", TOTAL, "number")], typed


def test_it_rejects_a_number_too_large_to_be_right():
    _cells, errors = check_total("count", number="1000000000000000")
    assert pointers(errors) == [("number-too-large", "M1", TOTAL, "number")]
    assert "check the figure" in errors[0].message


def test_it_rejects_a_percentage_outside_0_to_100():
    for typed in ("100.5", "-1"):
        cells, errors = check_total("percentage", number=typed)
        assert pointers(errors) == [("percentage-out-of-range", "M1", TOTAL, "number")], typed
        assert "is not a percentage between 0 and 100" in errors[0].message
        assert cells[TOTAL].number is None


def test_it_accepts_a_percentage_of_0_and_of_100():
    for typed in ("0", "100"):
        cells, errors = check_total("percentage", number=typed)
        assert errors == [] and cells[TOTAL].number == Decimal(typed)


def test_it_rejects_a_numerator_larger_than_the_denominator():
    cells, errors = check_total("percentage", numerator="12", denominator="10")
    assert pointers(errors) == [("numerator-exceeds-denominator", "M1", TOTAL, "numerator")]
    assert "The numerator (12) is larger than the denominator (10)" in errors[0].message
    assert cells[TOTAL].number is None


def test_it_allows_a_ratio_above_one():
    cells, errors = check_total("ratio", numerator="12", denominator="10")
    assert errors == [] and cells[TOTAL].number == Decimal("1.2")


def test_it_rejects_a_numerator_without_a_denominator():
    _cells, errors = check_total("percentage", numerator="3")
    assert pointers(errors) == [("missing-denominator", "M1", TOTAL, "denominator")]
    assert errors[0].message == "Give both the numerator and the denominator, or neither."


def test_it_rejects_a_denominator_without_a_numerator():
    _cells, errors = check_total("ratio", denominator="3")
    assert pointers(errors) == [("missing-numerator", "M1", TOTAL, "numerator")]


def test_it_rejects_a_zero_denominator():
    _cells, errors = check_total("percentage", numerator="0", denominator="0")
    assert pointers(errors) == [("bad-denominator", "M1", TOTAL, "denominator")]
    assert "The denominator must be more than 0" in errors[0].message


def test_it_derives_the_share_from_numerator_and_denominator():
    cells, errors = check_total("percentage", numerator="1", denominator="3")
    assert errors == []
    cell = cells[TOTAL]
    assert (cell.numerator, cell.denominator) == (Decimal(1), Decimal(3))
    assert cell.number == Decimal("33.3333")


def test_it_accepts_a_typed_share_that_agrees_with_numerator_and_denominator():
    cells, errors = check_total("percentage", number="33.3", numerator="1", denominator="3")
    assert errors == [] and cells[TOTAL].number == Decimal("33.3333")


def test_it_rejects_a_typed_share_that_disagrees_with_numerator_and_denominator():
    cells, errors = check_total("percentage", number="40", numerator="1", denominator="4")
    assert pointers(errors) == [("share-mismatch", "M1", TOTAL, "number")]
    assert "The share typed (40) does not match numerator / denominator (25" in errors[0].message
    assert "leave the share empty, it is computed" in errors[0].message
    assert cells[TOTAL].number is None


def test_it_rejects_money_without_a_currency():
    for currency in ("", "US", "U$D"):
        cells, errors = check_total("money", number="2500", currency=currency)
        assert pointers(errors) == [("missing-currency", "M1", TOTAL, "currency")], currency
        assert "three-letter code, e.g. USD" in errors[0].message
        assert cells[TOTAL].number is None


def test_it_keeps_money_with_its_currency_in_capitals():
    cells, errors = check_total("money", number="2500.50", currency="eur")
    assert errors == []
    assert (cells[TOTAL].number, cells[TOTAL].currency) == (Decimal("2500.50"), "EUR")


def test_it_rejects_a_milestone_done_without_a_date():
    _cells, errors = check_total("milestone", done="yes")
    assert pointers(errors) == [("missing-date", "M1", TOTAL, "done_on")]
    assert errors[0].message == "Give the date the milestone was done."


def test_it_rejects_a_milestone_with_a_bad_date():
    _cells, errors = check_total("milestone", done="yes", done_on="31/12/2025")
    assert pointers(errors) == [("bad-date", "M1", TOTAL, "done_on")]
    assert "write YYYY-MM-DD" in errors[0].message


def test_it_rejects_a_milestone_neither_done_nor_not_done():
    _cells, errors = check_total("milestone", done="maybe")
    assert pointers(errors) == [("bad-milestone", "M1", TOTAL, "done")]
    assert "yes or no" in errors[0].message


def test_it_keeps_a_milestone_done_with_its_date():
    cells, errors = check_total("milestone", done="yes", done_on="2025-06-30")
    assert errors == []
    assert cells[TOTAL].done is True and str(cells[TOTAL].done_on) == "2025-06-30"


def test_it_rejects_a_typed_total_that_does_not_add_up():
    typed = {
        "sex=women": {"number": "3"},
        "sex=men": {"number": "4"},
        "sex=other": {"number": "0"},
        TOTAL: {"number": "8"},
    }
    _cells, errors = rules.check_metric("M1", "count", SEX, typed)
    assert pointers(errors) == [("sex-total-mismatch", "M1", TOTAL, "number")]
    assert errors[0].message == (
        "The parts add up to 7 but the total says 8: correct a part or the total."
    )


def test_it_accepts_a_typed_total_that_adds_up():
    typed = {
        "sex=women": {"number": "3"},
        "sex=men": {"number": "4"},
        "sex=other": {"number": "0"},
        TOTAL: {"number": "7"},
    }
    cells, errors = rules.check_metric("M1", "count", SEX, typed)
    assert errors == []
    assert list(cells) == SEX  # the total is never stored: it is derived
    assert rules.derived_total(cells, "count") == Decimal(7)


def test_it_names_a_total_mismatch_of_another_breakdown_total_mismatch():
    combos = ["age=under-18", "age=18-plus"]
    typed = {combos[0]: {"number": "1"}, combos[1]: {"number": "1"}, TOTAL: {"number": "3"}}
    _cells, errors = rules.check_metric("M1", "count", combos, typed)
    assert pointers(errors) == [("total-mismatch", "M1", TOTAL, "number")]


def test_it_lists_combinations_of_sex_by_age_in_declared_order():
    sets = [("sex", ["women", "men", "other"]), ("age", ["under-18", "18-plus"])]
    assert rules.combinations(sets) == [
        "sex=women|age=under-18",
        "sex=women|age=18-plus",
        "sex=men|age=under-18",
        "sex=men|age=18-plus",
        "sex=other|age=under-18",
        "sex=other|age=18-plus",
    ]


def test_it_has_one_combination_the_total_when_not_disaggregated():
    assert rules.combinations([]) == [TOTAL]


def test_it_derives_a_total_only_when_every_part_is_in():
    whole = {c: Cell(number=Decimal(n)) for c, n in zip(SEX, (3, 4, 0), strict=True)}
    assert rules.derived_total(whole, "count") == Decimal(7)
    partial = {**whole, "sex=other": Cell()}
    assert rules.derived_total(partial, "count") is None
    assert rules.derived_total(whole, "percentage") is None  # shares do not add up
    assert rules.derived_total({TOTAL: Cell(number=Decimal(5))}, "percentage") == Decimal(5)


def test_it_flags_a_change_of_more_than_the_threshold():
    half = Decimal("0.5")
    assert rules.large_change(Decimal(16), Decimal(10), half) is True
    assert rules.large_change(Decimal(4), Decimal(10), half) is True
    assert rules.large_change(Decimal(15), Decimal(10), half) is False  # exactly 50%: not more
    assert rules.large_change(Decimal(5), Decimal(10), half) is False


def test_it_flags_any_change_from_a_previous_zero():
    half = Decimal("0.5")
    assert rules.large_change(Decimal(1), Decimal(0), half) is True
    assert rules.large_change(Decimal(0), Decimal(0), half) is False


def test_it_flags_nothing_without_a_previous_or_a_current_value():
    half = Decimal("0.5")
    assert rules.large_change(Decimal(100), None, half) is False
    assert rules.large_change(None, Decimal(100), half) is False


def test_it_keeps_the_comment_and_ignores_empty_cells():
    cells, errors = check_total("count", number="", comment="  no training this quarter ")
    assert errors == []
    assert cells[TOTAL].number is None
    assert cells[TOTAL].comment == "no training this quarter"
    assert cells[TOTAL].is_empty


def test_it_reports_every_bad_cell_of_a_metric_at_once():
    typed = {
        "sex=women": {"number": "1.5"},
        "sex=men": {"number": "-1"},
        "sex=other": {"number": "x"},
    }
    _cells, errors = rules.check_metric("M1", "count", SEX, typed)
    assert [(e.combination, e.code) for e in errors] == [
        ("sex=women", "not-a-whole-number"),
        ("sex=men", "negative-count"),
        ("sex=other", "not-a-number"),
    ]
    assert errors[0].as_dict() == {
        "code": "not-a-whole-number",
        "message": errors[0].message,
        "metric": "M1",
        "combination": "sex=women",
        "field": "number",
        "blocking": True,
    }


def test_it_asks_about_a_comma_that_could_be_a_decimal_point():
    _cells, errors = rules.check_metric("M1", "count", SEX, {"sex=men": {"number": "2,5"}})
    assert pointers(errors) == [("ambiguous-comma", "M1", "sex=men", "number")]
    assert "write decimals with a point" in errors[0].message


def test_it_reads_thousands_separators():
    cells, errors = rules.check_metric("M1", "count", SEX, {"sex=men": {"number": "12,345"}})
    assert errors == [] and cells["sex=men"].number == 12345


def test_it_accepts_only_answers_on_a_ratings_scale():
    scale = ["Low", "Medium", "High"]
    cells, errors = rules.check_metric("M1", "rating", [TOTAL], {TOTAL: {"text": "High"}}, scale)
    assert errors == [] and cells[TOTAL].text == "High"
    _cells, errors = rules.check_metric("M1", "rating", [TOTAL], {TOTAL: {"text": "Great"}}, scale)
    assert pointers(errors) == [("not-on-scale", "M1", TOTAL, "text")]
    assert "choose one of Low, Medium, High" in errors[0].message
