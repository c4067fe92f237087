"""Charts: Vega-Lite specs built with Altair, drawn on the server by vl-convert.

The one chart code path for pages (SVG) and reports (PNG). Every chart is built from data given
inline, is rendered with no base URL allowed (so drawing it never fetches anything) and comes
with the table of its figures, which pages show beside it. The SVG names itself for screen
readers (``role="img"``, ``aria-label``, ``<title>``, ``<desc>``).

Colours are the Okabe-Ito palette, and no series is told apart by colour alone: each also has its
own marker shape or line dash, and text labels name baselines and targets.

    chart = time_series("Women in peacekeeping", "Share of women among deployed personnel.",
                        [("FY2024-Q1", 12.5), ("FY2024-Q2", None), ("FY2024-Q3", 14.0)],
                        unit="%", baseline=("FY2020", 10.0), targets=[("FY2025", 15.0)])
    chart.svg(); chart.png(); chart.spec; chart.table
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import altair as alt
import vl_convert
from django.utils.translation import gettext as _

from wpstrack.lib.periods import CODE_RE

# The Okabe-Ito palette, safe for the common kinds of colour blindness: M. Okabe and K. Ito,
# "Color Universal Design (CUD): how to make figures and presentations that are friendly to
# colorblind people" (2002, revised 2008), https://jfly.uni-koeln.de/color/ (table "Set of colors
# that is unambiguous both to colorblinds and non-colorblinds").
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

# Categories (e.g. women, men) take colours in this order: neighbours differ in hue and in
# lightness; yellow, the faintest on white, comes last.
CATEGORY_COLOURS: tuple[str, ...] = tuple(
    OKABE_ITO[name]
    for name in (
        "blue",
        "orange",
        "bluish_green",
        "vermillion",
        "reddish_purple",
        "sky_blue",
        "black",
        "yellow",
    )
)

# Status of a figure (the values of wpstrack.analysis.status.Status): colour and marker shape, so
# on track and off track differ in shape as well as in colour (green and red-orange).
STATUS_STYLES: dict[str, tuple[str, str]] = {
    "on_track": (OKABE_ITO["bluish_green"], "circle"),
    "at_risk": (OKABE_ITO["orange"], "triangle-down"),
    "off_track": (OKABE_ITO["vermillion"], "cross"),
    "not_assessable": (OKABE_ITO["sky_blue"], "triangle-up"),
}

WIDTH, HEIGHT = 640, 280
MISSING = "–"  # shown in tables for a period without a figure
OUTLINE = "#000000"  # drawn round markers and bars, so light colours still stand out from white
SOLID: list[int] = []


def status_label(status: str) -> str:
    labels = {
        "on_track": _("On track"),
        "at_risk": _("At risk"),
        "off_track": _("Off track"),
        "no_data": _("No data"),
        "not_assessable": _("Not assessable"),
    }
    return labels[status]


@dataclass(frozen=True)
class Table:
    """The figures of a chart, as text, for the table shown beside it."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, eq=False)
class Chart:
    """A chart: its Vega-Lite spec (data inline) and the table of its figures."""

    title: str
    description: str
    spec: dict[str, Any]
    table: Table

    def svg(self) -> str:
        """The chart as an accessible SVG document (a string)."""
        svg = vl_convert.vegalite_to_svg(self.spec, allowed_base_urls=[])
        return label_svg(svg, self.title, self.description)

    def png(self, scale: float = 2) -> bytes:
        """The chart as a PNG image (for Word and PDF reports); ``scale`` 2 suits print."""
        return vl_convert.vegalite_to_png(self.spec, scale=scale, allowed_base_urls=[])


def to_svg(chart: Chart) -> str:
    return chart.svg()


def to_png(chart: Chart, scale: float = 2) -> bytes:
    return chart.png(scale)


# Accessible SVG

# Characters XML 1.0 does not allow at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SVG_START = re.compile(r"""<svg\b((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(/?)>""")
_ATTRIBUTE = re.compile(r"""\s+([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')""")


def _xml_text(text: str) -> str:
    return escape(_NOT_XML.sub("", text), {'"': "&quot;", "'": "&apos;"})


def accessible_name(title: str, description: str) -> str:
    title, description = title.strip(), description.strip()
    if not description:
        return title
    if not title:
        return description
    return f"{title}{'' if title[-1] in '.!?:' else '.'} {description}"


def label_svg(svg: str, title: str, description: str) -> str:
    """``svg`` with ``role="img"`` and an ``aria-label`` on its root element, and ``<title>`` and
    ``<desc>`` as the root's first children (any role or label it had is replaced)."""
    match = _SVG_START.search(svg)
    if match is None:
        raise ValueError("no <svg> element to label")
    kept = [
        (name, value)
        for name, value in _ATTRIBUTE.findall(match.group(1))
        if name not in {"role", "aria-label", "aria-labelledby", "aria-describedby"}
    ]
    attributes = "".join(f" {name}={value}" for name, value in kept)
    label = _xml_text(accessible_name(title, description))
    children = f"<title>{_xml_text(title)}</title><desc>{_xml_text(description)}</desc>"
    start = f'<svg{attributes} role="img" aria-label="{label}">{children}'
    if match.group(2):  # an empty <svg/>
        start += "</svg>"
    return svg[: match.start()] + start + svg[match.end() :]


# Figures and periods


def show(value: float | None, unit: str = "") -> str:
    """A figure as text: at most two decimals, thousands separated, with its unit."""
    if value is None or not math.isfinite(value):
        return MISSING
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return with_unit(text, unit)


def with_unit(text: str, unit: str) -> str:
    if not unit:
        return text
    return f"{text}{unit}" if not unit[0].isalnum() else f"{text} {unit}"


def _number(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _period_key(code: str) -> tuple[int, int, int] | None:
    match = CODE_RE.match(code.strip().upper())
    if not match:
        return None
    quarter = match.group("quarter")
    # A fiscal year ends with its fourth quarter: FY2025-Q4 comes just before FY2025.
    return (int(match.group("year")), int(quarter) if quarter else 4, 0 if quarter else 1)


def period_order(codes: Iterable[str]) -> list[str]:
    """The periods in time order if all are period codes, else in the order first seen."""
    seen = list(dict.fromkeys(codes))
    keyed = [(key, code) for code in seen if (key := _period_key(code)) is not None]
    if len(keyed) == len(seen):
        return [code for _key, code in sorted(keyed)]
    return seen


def _y_axis(unit: str) -> alt.Axis:
    # A symbol such as % follows each tick label; a word (people, units) titles the axis.
    if not unit:
        return alt.Axis(title=None)
    if unit[0].isalnum():
        return alt.Axis(title=unit)
    return alt.Axis(title=None, labelExpr=f"datum.label + {json.dumps(unit)}")


def _on_chart(value: float | None, unit: str) -> str | None:
    """A figure as labelled on the chart: a symbol unit shown, a word left to the axis title."""
    if value is None:
        return None
    return show(value, unit if unit and not unit[0].isalnum() else "")


def _labels(chart: alt.Chart, **mark: Any) -> list[alt.Chart]:
    """Text marks drawn twice, on a white halo, so lines under them do not hide them."""
    halo = chart.mark_text(stroke="white", strokeWidth=3, strokeJoin="round", fontSize=11, **mark)
    text = chart.mark_text(color=OKABE_ITO["black"], fontSize=11, **mark)
    return [halo, text]


def _x_axis(count: int) -> alt.Axis:
    return alt.Axis(title=None, labelAngle=-45 if count > 8 else 0, labelOverlap="parity")


def _finish(
    layers: list[alt.Chart], data: list[dict[str, Any]], title: str, description: str, table: Table
) -> Chart:
    # The rows go into the finished spec as they are: handed to Altair, they would be deep-copied
    # at every step. Nor is the spec checked against the Vega-Lite schema here (that would double
    # the time to build a chart); the tests validate every kind of chart this module makes.
    chart = alt.layer(
        *layers,
        data=alt.Data(values=[]),  # a place for the rows, so the layers need no data of their own
        title=title,
        description=accessible_name(title, description),
        width=WIDTH,
        height=HEIGHT,
    )
    spec = chart.to_dict(validate=False)
    assert spec["data"] == {"values": []}
    spec["data"]["values"] = data
    spec["config"] = {
        "background": "white",
        "view": {"stroke": None},
        "legend": {
            "orient": "bottom",
            "direction": "horizontal",
            "symbolSize": 160,
            "symbolStrokeColor": OUTLINE,
            "labelFontSize": 12,
        },
        "title": {"anchor": "start"},
    }
    return Chart(title=title, description=description, spec=spec, table=table)


# Charts


def time_series(
    title: str,
    description: str,
    points: Sequence[tuple[str, float | None]],
    *,
    unit: str = "",
    baseline: tuple[str, float] | None = None,
    targets: Sequence[tuple[str, float]] = (),
    expected: Sequence[tuple[str, float]] = (),
    statuses: Mapping[str, str] | None = None,
) -> Chart:
    """A metric's figures per period on an ordinal axis of period codes.

    ``points`` are (period, figure) with None for a period without a figure: the line breaks
    there rather than dropping to zero. ``baseline`` is drawn as a labelled square and a dotted
    rule across the chart, each of ``targets`` as a labelled diamond, ``expected`` (the planned
    path from baseline to target) as a dashed line. ``statuses`` maps periods to a status
    (``on_track``, ``at_risk``, ``off_track``, ``not_assessable``, ``no_data``): the figure's
    marker then takes that status's colour and shape, and the table a status column.
    """
    reported, expected_name = _("Reported"), _("Expected")
    baseline_name, target_name = _("Baseline"), _("Target")
    statuses = dict(statuses or {})
    for status in statuses.values():
        if status not in STATUS_STYLES and status != "no_data":
            raise ValueError(f"unknown status {status!r}")

    # One long table: "series" names the line a row belongs to, "marker" the point drawn for it.
    rows: list[dict[str, Any]] = []
    for period, value in points:
        number = _number(value)
        period_status = statuses.get(period)
        marker: str | None
        if number is None:
            marker = None
        elif period_status is not None and period_status in STATUS_STYLES:
            marker = status_label(period_status)
        else:
            marker = reported
        rows.append(
            {"period": period, "series": reported, "marker": marker, "value": number, "label": None}
        )
    for period, value in expected:
        rows.append(
            {
                "period": period,
                "series": expected_name,
                "marker": None,
                "value": _number(value),
                "label": None,
            }
        )
    if baseline is not None:
        period, value = baseline
        label = f"{baseline_name} {show(value, unit)} ({period})"
        rows.append(
            {
                "period": period,
                "series": baseline_name,
                "marker": baseline_name,
                "value": _number(value),
                "label": label,
            }
        )
    for period, value in targets:
        label = f"{target_name} {show(value, unit)}"
        rows.append(
            {
                "period": period,
                "series": target_name,
                "marker": target_name,
                "value": _number(value),
                "label": label,
            }
        )

    periods = period_order(
        [p for p, _v in points]
        + ([baseline[0]] if baseline else [])
        + [p for p, _v in expected]
        + [p for p, _v in targets]
    )

    # Every series drawn gets one colour, shape and dash, in one legend.
    styles: dict[str, tuple[str, str, list[int]]] = {}
    status_markers = {row["marker"] for row in rows if row["series"] == reported} - {None, reported}
    if points:
        # With statuses, the reported line's own marker only shows for figures without one.
        styles[reported] = (OKABE_ITO["blue"], "circle", SOLID)
    if expected:
        styles[expected_name] = (OKABE_ITO["black"], "stroke", [5, 3])
    if baseline is not None:
        styles[baseline_name] = (OKABE_ITO["black"], "square", SOLID)
    if targets:
        styles[target_name] = (OKABE_ITO["reddish_purple"], "diamond", SOLID)
    for status, (status_colour, status_shape) in STATUS_STYLES.items():
        if status_label(status) in status_markers:
            styles[status_label(status)] = (status_colour, status_shape, SOLID)
    names = list(styles)
    colour = alt.Scale(domain=names, range=[styles[n][0] for n in names])
    shape = alt.Scale(domain=names, range=[styles[n][1] for n in names])
    dash = alt.Scale(domain=names, range=[styles[n][2] for n in names])

    x = alt.X("period:O", scale=alt.Scale(domain=periods), axis=_x_axis(len(periods)))
    y = alt.Y("value:Q", axis=_y_axis(unit), scale=alt.Scale(zero=True, nice=True))
    base = alt.Chart()  # the data is given once, to the whole layered chart (in _finish)
    layers: list[alt.Chart] = []
    if baseline is not None:
        layers.append(
            base.mark_rule(color=OKABE_ITO["black"], strokeDash=[2, 3], strokeWidth=1)
            .encode(y=y)
            .transform_filter(alt.datum.series == baseline_name)
        )
    layers.append(
        base.mark_line(strokeWidth=2, invalid="break-paths-show-domains")
        .encode(
            x=x,
            y=y,
            color=alt.Color("series:N", scale=colour, title=None),
            strokeDash=alt.StrokeDash("series:N", scale=dash, title=None),
        )
        .transform_filter(alt.FieldOneOfPredicate(field="series", oneOf=[reported, expected_name]))
    )
    if baseline is not None:
        # Named at the right-hand end of its rule.
        layers += _labels(
            base.encode(y=y, x=alt.value(WIDTH), text="label:N").transform_filter(
                alt.datum.series == baseline_name
            ),
            align="right",
            baseline="bottom",
            dy=-3,
        )
    if targets:
        layers += _labels(
            base.encode(x=x, y=y, text="label:N").transform_filter(alt.datum.series == target_name),
            dy=-14,
        )

    # Markers last, over the labels' halos.
    layers.append(
        base.mark_point(filled=True, size=70, opacity=1, stroke=OUTLINE, strokeWidth=0.75)
        .encode(
            x=x,
            y=y,
            color=alt.Color("marker:N", scale=colour, title=None),
            shape=alt.Shape("marker:N", scale=shape, title=None),
        )
        .transform_filter("isValid(datum.marker) && isValid(datum.value)")
    )
    table = _series_table(
        title, points, unit, baseline, targets, expected, statuses, periods, reported
    )
    return _finish(layers, rows, title, description, table)


def _series_table(
    title: str,
    points: Sequence[tuple[str, float | None]],
    unit: str,
    baseline: tuple[str, float] | None,
    targets: Sequence[tuple[str, float]],
    expected: Sequence[tuple[str, float]],
    statuses: Mapping[str, str],
    periods: list[str],
    reported: str,
) -> Table:
    columns: list[tuple[str, dict[str, str]]] = [
        (reported, {p: show(_number(v), unit) for p, v in points}),
    ]
    if baseline is not None:
        columns.append((_("Baseline"), {baseline[0]: show(_number(baseline[1]), unit)}))
    if targets:
        columns.append((_("Target"), {p: show(_number(v), unit) for p, v in targets}))
    if expected:
        columns.append((_("Expected"), {p: show(_number(v), unit) for p, v in expected}))
    if statuses:
        columns.append((_("Status"), {p: status_label(s) for p, s in statuses.items()}))
    return Table(
        caption=title,
        columns=(_("Period"), *(name for name, _values in columns)),
        rows=tuple(
            (period, *(values.get(period, "") for _name, values in columns)) for period in periods
        ),
    )


def grouped_bars(
    title: str,
    description: str,
    rows: Sequence[tuple[str, str, float | None]],
    *,
    unit: str = "",
    stacked: bool = False,
    value_labels: bool = True,
) -> Chart:
    """Figures by period and category (e.g. women and men): bars side by side per period, or
    stacked with ``stacked=True``. Periods and categories keep the order first seen (periods
    in time order if all are period codes); a None figure draws no bar."""
    periods = period_order(period for period, _c, _v in rows)
    categories = list(dict.fromkeys(category for _p, category, _v in rows))
    if len(categories) > len(CATEGORY_COLOURS):
        raise ValueError(f"at most {len(CATEGORY_COLOURS)} categories can be told apart")
    data = [
        {
            "period": period,
            "category": category,
            "order": categories.index(category),
            "value": _number(value),
            "label": _on_chart(_number(value), unit),
        }
        for period, category, value in rows
    ]
    colour = alt.Scale(domain=categories, range=list(CATEGORY_COLOURS[: len(categories)]))
    x = alt.X("period:O", scale=alt.Scale(domain=periods), axis=_x_axis(len(periods)))
    y = alt.Y(
        "value:Q", axis=_y_axis(unit), stack="zero" if stacked else None, scale=alt.Scale(zero=True)
    )
    base = alt.Chart()
    encoding: dict[str, Any] = {
        "x": x,
        "y": y,
        "color": alt.Color("category:N", scale=colour, title=None),
        "order": alt.Order("order:Q"),
    }
    if not stacked:
        encoding["xOffset"] = alt.XOffset("category:N", scale=alt.Scale(domain=categories))
    layers: list[alt.Chart] = [
        base.mark_bar(stroke=OUTLINE, strokeWidth=0.75).encode(**encoding),
    ]
    if value_labels and not stacked:
        layers += _labels(
            base.encode(x=x, y=y, xOffset=encoding["xOffset"], text="label:N").transform_filter(
                "isValid(datum.value)"
            ),
            baseline="bottom",
            dy=-3,
        )

    values = {(period, category): show(_number(value), unit) for period, category, value in rows}
    table = Table(
        caption=title,
        columns=(_("Period"), *categories),
        rows=tuple(
            (period, *(values.get((period, category), MISSING) for category in categories))
            for period in periods
        ),
    )
    return _finish(layers, data, title, description, table)
