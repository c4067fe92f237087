import re

import altair as alt
import pytest
import vl_convert
from defusedxml import ElementTree

from wpstrack.lib import charts
from wpstrack.lib.charts import (
    CATEGORY_COLOURS,
    OKABE_ITO,
    STATUS_STYLES,
    grouped_bars,
    label_svg,
    period_order,
    show,
    time_series,
)

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

POINTS = [
    ("FY2024-Q1", 12.5),
    ("FY2024-Q2", None),
    ("FY2024-Q3", 14.0),
    ("FY2024-Q4", 15.5),
]


def women_share(**kwargs):
    options = {
        "unit": "%",
        "baseline": ("FY2020", 10.0),
        "targets": [("FY2025", 20.0), ("FY2030", 30.0)],
        "expected": [("FY2020", 10.0), ("FY2025", 20.0), ("FY2030", 30.0)],
    }
    options.update(kwargs)
    return time_series(
        "Women in peacekeeping", "Share of women among deployed personnel.", POINTS, **options
    )


def rows(chart, series=None):
    values = chart.spec["data"]["values"]
    return [row for row in values if series is None or row["series"] == series]


def keys_anywhere(tree):
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield key
            yield from keys_anywhere(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from keys_anywhere(item)


def strings_anywhere(tree):
    if isinstance(tree, str):
        yield tree
    elif isinstance(tree, dict):
        for value in tree.values():
            yield from strings_anywhere(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from strings_anywhere(item)


# Accessible SVG


def test_the_svg_is_xml_and_names_itself_with_escaped_text():
    title = 'Women <&> "peace"'
    chart = time_series(title, "Share <b>of</b> women & men.", POINTS, unit="%")
    svg = chart.svg()

    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == 'Women <&> "peace". Share <b>of</b> women & men.'
    first, second = list(root)[:2]
    assert (first.tag, first.text) == (f"{SVG}title", title)
    assert (second.tag, second.text) == (f"{SVG}desc", "Share <b>of</b> women & men.")
    assert "<title>Women &lt;&amp;&gt; &quot;peace&quot;</title>" in svg
    assert "<b>" not in svg


def test_labelling_replaces_any_role_or_label_and_keeps_other_attributes():
    svg = '<svg xmlns="http://www.w3.org/2000/svg" role="graphics-document" data-x=\'a>b\' aria-label="old"><g/></svg>'
    labelled = label_svg(svg, "New\x00 title", "")
    root = ElementTree.fromstring(labelled)
    assert root.get("role") == "img"
    assert root.get("aria-label") == "New title"
    assert root.get("data-x") == "a>b"
    assert [child.tag for child in root] == [f"{SVG}title", f"{SVG}desc", f"{SVG}g"]
    assert labelled.count("role=") == 1


def test_labelling_needs_an_svg_element():
    with pytest.raises(ValueError):
        label_svg("<html></html>", "t", "d")


def test_the_same_chart_draws_the_same_svg():
    assert women_share().svg() == women_share().svg()


# Data and drawing


def test_every_kind_of_chart_is_valid_vega_lite():
    made = [
        women_share(statuses={"FY2024-Q1": "on_track", "FY2024-Q3": "not_assessable"}),
        time_series("t", "d", POINTS),
        time_series("t", "d", [], unit="people"),
        grouped_bars("t", "d", [("FY2024", "Women", 1.0), ("FY2024", "Men", None)], unit="%"),
        grouped_bars("t", "d", [("FY2024", "Women", 1.0)], stacked=True),
    ]
    for chart in made:
        alt.LayerChart.validate(chart.spec)  # raises if not valid


def test_the_data_is_inline_and_rendering_allows_no_url(monkeypatch):
    chart = women_share()
    assert "url" not in set(keys_anywhere(chart.spec))
    spec = {key: value for key, value in chart.spec.items() if key != "$schema"}
    assert not any("://" in text for text in strings_anywhere(spec))
    assert len(rows(chart, "Reported")) == len(POINTS)

    calls = []
    real_svg, real_png = vl_convert.vegalite_to_svg, vl_convert.vegalite_to_png

    def spy(real):
        def convert(spec, **kwargs):
            calls.append(kwargs)
            return real(spec, **kwargs)

        return convert

    monkeypatch.setattr(vl_convert, "vegalite_to_svg", spy(real_svg))
    monkeypatch.setattr(vl_convert, "vegalite_to_png", spy(real_png))
    chart.svg()
    chart.png()
    assert [call["allowed_base_urls"] for call in calls] == [[], []]


def test_an_outside_url_would_not_be_fetched():
    chart = charts.Chart(
        "t",
        "d",
        {"data": {"url": "https://example.org/x.json"}, "mark": "point"},
        charts.Table("t", (), ()),
    )
    with pytest.raises(ValueError, match="not allowed"):
        chart.svg()


def test_a_missing_figure_is_a_gap_not_a_zero():
    chart = women_share()
    reported = {row["period"]: row for row in rows(chart, "Reported")}
    assert reported["FY2024-Q2"]["value"] is None
    assert reported["FY2024-Q2"]["marker"] is None
    assert "FY2024-Q2" in chart.spec["layer"][1]["encoding"]["x"]["scale"]["domain"]
    assert chart.table.rows[2][:2] == ("FY2024-Q2", charts.MISSING)

    # The reported line is drawn as two pieces: each piece starts with a move (M).
    svg = chart.svg()
    (line,) = re.findall(r'aria-roledescription="line mark" d="([^"]*)" stroke="#0072B2"', svg)
    assert line.count("M") == 2


def test_baseline_and_targets_are_drawn_and_labelled():
    chart = women_share()
    (baseline,) = rows(chart, "Baseline")
    assert (baseline["period"], baseline["value"]) == ("FY2020", 10.0)
    assert baseline["label"] == "Baseline 10% (FY2020)"
    targets = rows(chart, "Target")
    assert [(t["period"], t["value"], t["label"]) for t in targets] == [
        ("FY2025", 20.0, "Target 20%"),
        ("FY2030", 30.0, "Target 30%"),
    ]
    assert [r["value"] for r in rows(chart, "Expected")] == [10.0, 20.0, 30.0]
    marks = [layer["mark"]["type"] for layer in chart.spec["layer"]]
    assert marks[0] == "rule" and "line" in marks and "point" in marks and "text" in marks

    # Told apart by shape and dash, not by colour alone.
    point_layer = next(layer for layer in chart.spec["layer"] if layer["mark"]["type"] == "point")
    shapes = dict(
        zip(
            point_layer["encoding"]["shape"]["scale"]["domain"],
            point_layer["encoding"]["shape"]["scale"]["range"],
            strict=True,
        )
    )
    assert shapes["Target"] == "diamond" and shapes["Baseline"] == "square"
    assert shapes["Reported"] == "circle" and shapes["Expected"] == "stroke"
    line_layer = next(layer for layer in chart.spec["layer"] if layer["mark"]["type"] == "line")
    dashes = line_layer["encoding"]["strokeDash"]["scale"]
    assert dict(zip(dashes["domain"], dashes["range"], strict=True))["Expected"] != []

    assert chart.table.columns == ("Period", "Reported", "Baseline", "Target", "Expected")
    assert chart.table.rows[0] == ("FY2020", "", "10%", "", "10%")
    assert [row[0] for row in chart.table.rows] == [
        "FY2020",
        "FY2024-Q1",
        "FY2024-Q2",
        "FY2024-Q3",
        "FY2024-Q4",
        "FY2025",
        "FY2030",
    ]


def test_statuses_mark_figures_by_colour_and_shape():
    chart = women_share(statuses={"FY2024-Q3": "at_risk", "FY2024-Q4": "off_track"})
    markers = {row["period"]: row["marker"] for row in rows(chart, "Reported")}
    assert markers == {
        "FY2024-Q1": "Reported",
        "FY2024-Q2": None,
        "FY2024-Q3": "At risk",
        "FY2024-Q4": "Off track",
    }
    assert chart.table.columns[-1] == "Status"
    assert chart.table.rows[-3][-1] == "Off track"
    with pytest.raises(ValueError):
        women_share(statuses={"FY2024-Q3": "fine"})


def test_png_for_reports():
    png = women_share().png()
    assert png.startswith(PNG_SIGNATURE)
    assert charts.to_png(women_share(), scale=1).startswith(PNG_SIGNATURE)
    assert charts.to_svg(women_share()).startswith("<svg")


def test_colours_are_okabe_ito():
    assert OKABE_ITO == {
        "black": "#000000",
        "orange": "#E69F00",
        "sky_blue": "#56B4E9",
        "bluish_green": "#009E73",
        "yellow": "#F0E442",
        "blue": "#0072B2",
        "vermillion": "#D55E00",
        "reddish_purple": "#CC79A7",
    }
    palette = set(OKABE_ITO.values())
    assert set(CATEGORY_COLOURS) == palette
    assert {colour for colour, _shape in STATUS_STYLES.values()} <= palette
    assert len({shape for _colour, shape in STATUS_STYLES.values()}) == len(STATUS_STYLES)

    chart = women_share(statuses={"FY2024-Q1": "on_track", "FY2024-Q4": "off_track"})
    bars = grouped_bars("t", "d", [("FY2024", "Women", 1.0), ("FY2024", "Men", 2.0)])
    used = [
        colour
        for spec in (chart.spec, bars.spec)
        for layer in spec["layer"]
        for colour in layer["encoding"].get("color", {}).get("scale", {}).get("range", [])
    ]
    assert used and set(used) <= palette


# Grouped bars


def test_grouped_bars_by_period_and_category():
    chart = grouped_bars(
        "Police by sex",
        "Deployed police officers.",
        [
            ("FY2024-Q2", "Women", 130),
            ("FY2024-Q1", "Women", 120),
            ("FY2024-Q1", "Men", 880),
            ("FY2024-Q2", "Men", None),
        ],
        unit="people",
    )
    bar = chart.spec["layer"][0]
    assert bar["mark"]["type"] == "bar"
    assert bar["encoding"]["x"]["scale"]["domain"] == ["FY2024-Q1", "FY2024-Q2"]
    assert bar["encoding"]["xOffset"]["field"] == "category"
    assert bar["encoding"]["color"]["scale"] == {
        "domain": ["Women", "Men"],
        "range": [OKABE_ITO["blue"], OKABE_ITO["orange"]],
    }
    assert [r["value"] for r in chart.spec["data"]["values"]] == [130, 120, 880, None]
    assert chart.table.columns == ("Period", "Women", "Men")
    assert chart.table.rows == (
        ("FY2024-Q1", "120 people", "880 people"),
        ("FY2024-Q2", "130 people", charts.MISSING),
    )
    ElementTree.fromstring(chart.svg())


def test_stacked_bars():
    chart = grouped_bars("t", "d", [("FY2024", "Women", 1), ("FY2024", "Men", 3)], stacked=True)
    (bar,) = chart.spec["layer"]
    assert "xOffset" not in bar["encoding"]
    assert bar["encoding"]["y"]["stack"] == "zero"


def test_too_many_categories_cannot_be_told_apart():
    with pytest.raises(ValueError):
        grouped_bars("t", "d", [("FY2024", f"c{i}", 1) for i in range(9)])


# Periods and figures


def test_periods_in_time_order_when_all_are_codes():
    assert period_order(["FY2025-Q1", "FY2020", "FY2024-Q4", "FY2024", "FY2024-Q4"]) == [
        "FY2020",
        "FY2024-Q4",
        "FY2024",
        "FY2025-Q1",
    ]
    assert period_order(["2024 first half", "FY2020"]) == ["2024 first half", "FY2020"]


def test_figures_as_text():
    assert show(None) == charts.MISSING
    assert show(float("nan")) == charts.MISSING
    assert show(12.0, "%") == "12%"
    assert show(12.345, "%") == "12.35%"
    assert show(1234.5, "people") == "1,234.5 people"
    assert show(-0.001) == "0"
