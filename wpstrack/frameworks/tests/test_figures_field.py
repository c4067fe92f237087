"""The edit form's figure lines keep every part of a figure: its period code, the category it is
for, its words, its note and its source, so an edit never drops a per-category target."""

from django import forms

from wpstrack.frameworks.forms import FiguresField, figures_text

UGPS_TARGET = {
    "value": 15,
    "period": "2028",
    "at": "FY2028",
    "for": "personnel-category=military-contingent",
    "as_written": "15% for troops by 2028",
    "source": "https://example.org/ugps",
    "note": "end of the strategy",
}


def test_it_writes_and_reads_back_a_target_for_one_category():
    text = figures_text([UGPS_TARGET])
    assert text == (
        "2028: 15 @ FY2028 for personnel-category=military-contingent | 15% for troops by 2028"
        " | end of the strategy | https://example.org/ugps"
    )
    assert FiguresField().clean(text) == [UGPS_TARGET]


def test_a_line_without_category_or_source_reads_as_before():
    assert FiguresField().clean("by 2030: 30 @ FY2030 | 30x30") == [
        {"value": 30, "period": "by 2030", "at": "FY2030", "as_written": "30x30"}
    ]
    assert FiguresField().clean("2028: 20 for personnel-category=formed-police-unit") == [
        {"value": 20, "period": "2028", "for": "personnel-category=formed-police-unit"}
    ]


def test_a_bad_period_code_before_the_category_is_refused():
    try:
        FiguresField().clean("2028: 15 @ 2028 for personnel-category=military-contingent")
    except forms.ValidationError as error:
        assert "is not a period code" in error.messages[0]
    else:
        raise AssertionError("accepted")
