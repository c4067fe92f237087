"""A round's template as an .xlsx workbook: instructions, the Values and Actions sheets with
data validation and locked keys, hidden lists, and a very hidden metadata sheet."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from itertools import groupby
from typing import Any

from django.utils.translation import gettext as _
from xlsxwriter.utility import xl_col_to_name

from wpstrack.lib.spreadsheets import new_workbook, write_cell
from wpstrack.reporting.models import ActionStatus
from wpstrack.workbooks.layout import (
    ACTION_COLUMNS,
    ACTIONS,
    FORMAT,
    INSTRUCTIONS,
    META,
    TEMPLATE_VERSION,
    VALUE_COLUMNS,
    VALUES,
    Content,
    ValueRow,
    type_label,
)

GREY, YELLOW, BLUE = "#EDEDED", "#FFFBE6", "#DCE6F1"
VALUE_COL = [c.key for c in VALUE_COLUMNS].index("value")
# Which input columns a row of each metric type may fill; the others are locked and grey.
FILLABLE = {
    "percentage": {"value", "numerator", "denominator", "comment"},
    "ratio": {"value", "numerator", "denominator", "comment"},
    "money": {"value", "currency", "comment"},
    "milestone": {"value", "done_on", "comment"},
}


def metadata(content: Content, generated_by: str) -> list[tuple[str, str]]:
    rnd = content.reporting_round
    return [
        ("format", FORMAT),
        ("template_version", str(TEMPLATE_VERSION)),
        ("round", content.round_key),
        ("plan", rnd.plan.slug),
        ("period", rnd.period),
        ("unit", content.unit),
        ("generated_at", content.generated_at.isoformat(timespec="seconds")),
        ("generated_by", generated_by),
        ("checksum", content.checksum),
        ("template_id", content.template_id),
        ("lock_versions", json.dumps(content.lock_versions, sort_keys=True)),
    ]


class _Writer:
    def __init__(self, content: Content) -> None:
        self.content = content
        self.output = io.BytesIO()
        self.book = new_workbook(self.output)
        book = self.book
        self.head = book.add_format(
            {"bold": True, "bg_color": BLUE, "text_wrap": True, "valign": "top", "border": 1}
        )
        self.locked = book.add_format({"bg_color": GREY, "valign": "top", "text_wrap": True})
        self.locked_text = book.add_format(
            {"bg_color": GREY, "valign": "top", "text_wrap": True, "quote_prefix": True}
        )
        self.total = book.add_format({"bg_color": GREY, "bold": True, "valign": "top"})
        self.open = book.add_format(
            {"locked": False, "bg_color": YELLOW, "valign": "top", "text_wrap": True, "border": 1}
        )
        self.open_text = book.add_format(
            {
                "locked": False,
                "bg_color": YELLOW,
                "valign": "top",
                "text_wrap": True,
                "border": 1,
                "quote_prefix": True,
            }
        )
        self.open_date = book.add_format(
            {
                "locked": False,
                "bg_color": YELLOW,
                "valign": "top",
                "border": 1,
                "num_format": "yyyy-mm-dd",
            }
        )
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.title = book.add_format({"bold": True, "font_size": 14})

    def build(self, generated_by: str) -> bytes:
        self.instructions()
        lists = self.lists()
        self.values(lists)
        self.actions(lists)
        meta = self.book.add_worksheet(META)
        for number, (key, value) in enumerate(metadata(self.content, generated_by)):
            meta.write_string(number, 0, key)
            meta.write_string(number, 1, value)
        meta.very_hidden()
        self.book.get_worksheet_by_name(INSTRUCTIONS).activate()
        self.book.close()
        return self.output.getvalue()

    def instructions(self) -> None:
        sheet = self.book.add_worksheet(INSTRUCTIONS)
        rnd = self.content.reporting_round
        who = self.content.unit if self.content.unit != "*" else _("all units of the round")
        lines = [
            _("%(plan)s: reporting round %(period)s")
            % {"plan": rnd.plan.title, "period": rnd.period},
            _("For: %(who)s. Due by %(due)s.") % {"who": who, "due": rnd.due_date.isoformat()},
            "",
            _("How to fill this workbook"),
            _(
                "1. Go to the Values sheet. Each row is one figure: a metric, for one breakdown "
                "(for example Women, 18-24). Type the figure in the yellow Value cell."
            ),
            _(
                "2. Grey cells are fixed: do not change them, and do not add, delete or rename "
                "columns. You may sort and filter the rows."
            ),
            _(
                "3. Counts are whole numbers of 0 or more. Percentages are from 0 to 100, without "
                "the % sign. For a percentage you may give the numerator and denominator instead."
            ),
            _("4. Totals of counts are computed for you from the rows above them."),
            _("5. If a figure moved a lot since the previous value, say why in the Comment."),
            _(
                "6. On the Actions sheet, choose each action's status from the list and write what "
                "was done. Put each evidence link and each milestone on its own line."
            ),
            _(
                "7. Save the file as .xlsx (not .xls or .ods) and upload it on the round's page. "
                "Nothing is imported unless every cell is right: the report lists each problem with "
                "its cell and how to fix it, and you can download this file with those cells marked."
            ),
            _(
                "8. Uploading puts the figures in your draft. Review them on the page and submit "
                "when ready: uploading never submits."
            ),
            "",
            _("Template version %(version)s, made %(at)s.")
            % {
                "version": TEMPLATE_VERSION,
                "at": self.content.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
            },
        ]
        sheet.set_column(0, 0, 110)
        for number, line in enumerate(lines):
            write_cell(sheet, number, 0, line, self.title if number == 0 else self.wrap, self.wrap)

    def lists(self) -> dict[str, str]:
        """Drop-down sources on a hidden sheet (a list typed into the rule is capped at 255 chars)."""
        sheet = self.book.add_worksheet("Lists")
        sources: dict[str, str] = {}
        columns: list[tuple[str, list[str]]] = [
            ("status", [str(label) for _key, label in ActionStatus.choices]),
            ("milestone", ["yes", "no"]),
        ]
        seen = set()
        for row in self.content.values:
            if row.metric_type == "rating" and row.scale and row.metric not in seen:
                seen.add(row.metric)
                columns.append((f"scale:{row.metric}", row.scale))
        for number, (name, items) in enumerate(columns):
            letter = xl_col_to_name(number)
            sheet.write_string(0, number, name)
            for offset, item in enumerate(items, start=1):
                write_cell(sheet, offset, number, item, None, None)
            sources[name] = f"=Lists!${letter}$2:${letter}${len(items) + 1}"
        sheet.hide()
        return sources

    def _header(self, sheet: Any, columns: list[Any], rows: int) -> None:
        for number, column in enumerate(columns):
            sheet.write_string(0, number, column.header, self.head)
            sheet.set_column(number, number, column.width)
        sheet.freeze_panes(1, 2)
        sheet.autofilter(0, 0, max(rows, 1), len(columns) - 1)
        sheet.protect(
            "", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True}
        )

    def values(self, lists: dict[str, str]) -> None:
        sheet = self.book.add_worksheet(VALUES)
        rows = self.content.values
        self._header(sheet, VALUE_COLUMNS, len(rows))
        for number, row in enumerate(rows, start=1):
            self._value_row(sheet, number, row)
        self._validate(sheet, rows, lists)

    def _value_row(self, sheet: Any, number: int, row: ValueRow) -> None:
        fixed = {
            "unit": row.unit,
            "metric": row.metric,
            "title": row.title,
            "breakdown": row.breakdown,
            "key": row.key,
            "type": type_label(row.metric_type, row.scale),
            "previous": row.previous,
        }
        fillable = FILLABLE.get(row.metric_type, {"value", "comment"})
        for col, column in enumerate(VALUE_COLUMNS):
            if not column.input:
                write_cell(sheet, number, col, fixed[column.key], self.locked, self.locked_text)
            elif row.is_total:
                if column.key == "value":
                    letter = xl_col_to_name(VALUE_COL)
                    parts = [r for r in range(number - row.total_of, number)]
                    sheet.write_formula(
                        number,
                        col,
                        f"=SUM({letter}{parts[0] + 1}:{letter}{parts[-1] + 1})",
                        self.total,
                    )
                else:
                    sheet.write_blank(number, col, None, self.locked)
            elif column.key in fillable:
                value = row.cells.get(column.key)
                fmt = self.open_date if column.key == "done_on" else self.open
                write_cell(sheet, number, col, value, fmt, self.open_text)
            else:
                sheet.write_blank(number, col, None, self.locked)

    def _validate(self, sheet: Any, rows: list[ValueRow], lists: dict[str, str]) -> None:
        """Data validation on runs of rows that share a rule (one rule per run, not per cell)."""
        numbered = [(n, r) for n, r in enumerate(rows, start=1) if not r.is_total]
        runs = groupby(numbered, key=lambda pair: (pair[1].metric_type, pair[1].metric))
        for (metric_type, metric), group in runs:
            members = [n for n, _row in group]
            for first, last in _spans(members):
                for key, rule in _rules(metric_type, metric, lists).items():
                    col = [c.key for c in VALUE_COLUMNS].index(key)
                    sheet.data_validation(first, col, last, col, rule)

    def actions(self, lists: dict[str, str]) -> None:
        sheet = self.book.add_worksheet(ACTIONS)
        rows = self.content.actions
        self._header(sheet, ACTION_COLUMNS, len(rows))
        for number, row in enumerate(rows, start=1):
            fixed = {"unit": row.unit, "action": row.code, "title": row.title}
            for col, column in enumerate(ACTION_COLUMNS):
                if column.input:
                    write_cell(
                        sheet, number, col, row.cells.get(column.key), self.open, self.open_text
                    )
                else:
                    write_cell(sheet, number, col, fixed[column.key], self.locked, self.locked_text)
        if rows:
            keys = [c.key for c in ACTION_COLUMNS]
            sheet.data_validation(
                1,
                keys.index("status"),
                len(rows),
                keys.index("status"),
                _list_rule(lists["status"], _("Choose a status from the list.")),
            )
            sheet.data_validation(
                1,
                keys.index("percent_complete"),
                len(rows),
                keys.index("percent_complete"),
                _error(
                    {"validate": "integer", "criteria": "between", "minimum": 0, "maximum": 100},
                    _("A whole number from 0 to 100."),
                ),
            )


def _spans(numbers: list[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for number in numbers:
        if spans and spans[-1][1] == number - 1:
            spans[-1] = (spans[-1][0], number)
        else:
            spans.append((number, number))
    return spans


def _error(rule: dict[str, Any], message: str) -> dict[str, Any]:
    return {**rule, "error_title": _("Not allowed here"), "error_message": message[:255]}


def _list_rule(source: str, message: str) -> dict[str, Any]:
    return _error({"validate": "list", "source": source}, message)


def _rules(metric_type: str, metric: str, lists: dict[str, str]) -> dict[str, dict[str, Any]]:
    decimal_min: Callable[[float], dict[str, Any]] = lambda low: {  # noqa: E731
        "validate": "decimal",
        "criteria": ">=",
        "value": low,
    }
    shares = {
        "numerator": _error(decimal_min(0), _("A number of 0 or more.")),
        "denominator": _error(
            {"validate": "decimal", "criteria": ">", "value": 0}, _("A number more than 0.")
        ),
    }
    if metric_type == "count":
        return {
            "value": _error(
                {"validate": "integer", "criteria": ">=", "value": 0},
                _("A whole number of 0 or more."),
            )
        }
    if metric_type == "percentage":
        return {
            "value": _error(
                {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100},
                _("A percentage from 0 to 100, without %."),
            ),
            **shares,
        }
    if metric_type == "ratio":
        return {"value": _error(decimal_min(0), _("A number of 0 or more.")), **shares}
    if metric_type in ("money", "score"):
        rules = {
            "value": _error(
                {"validate": "decimal", "criteria": "between", "minimum": -1e14, "maximum": 1e14},
                _("A number."),
            )
        }
        if metric_type == "money":
            rules["currency"] = _error(
                {"validate": "length", "criteria": "==", "value": 3},
                _("A three-letter currency code, e.g. USD."),
            )
        return rules
    if metric_type == "milestone":
        return {
            "value": _list_rule(lists["milestone"], _("yes or no.")),
            "done_on": _error(
                {"validate": "date", "criteria": ">", "value": dt.date(1990, 1, 1)},
                _("A date, e.g. 2025-06-30."),
            ),
        }
    if metric_type == "rating" and f"scale:{metric}" in lists:
        return {"value": _list_rule(lists[f"scale:{metric}"], _("Choose from the list."))}
    return {}


def to_xlsx(content: Content, generated_by: str) -> bytes:
    return _Writer(content).build(generated_by)
