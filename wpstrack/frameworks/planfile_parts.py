"""Parts of the plan-file reader kept apart to keep modules small: metrics (with their figures,
plausible ranges, scales and status rules) and the plan-wide checks (cross-metric rules, approval
chain, the plan's status rule).
They are mixed into ``planfile._Reader``, which supplies the shared state they use."""

from __future__ import annotations

import math
from typing import Any

from wpstrack.frameworks.models import Direction, Frequency, MetricType
from wpstrack.frameworks.planformat import (
    FIGURE_KEYS,
    METRIC_KEYS,
    METRIC_STATUS_DEFAULTS,
    PEOPLE_WORDS,
    PLAN_STATUS_DEFAULTS,
    ROLLUPS,
    RULE_KEYS,
    SOURCE_TEXTS,
    TERM_RE,
    TRAJECTORIES,
)
from wpstrack.lib.filereader import FieldReader, a_or_an
from wpstrack.lib.periods import Period, PeriodError
from wpstrack.lib.yamlfile import LineDict
from wpstrack.reporting.approval import valid_step


def _finite_number(value: Any) -> bool:
    """A real figure: not a flag, not text, not .nan or .inf (which JSON cannot store)."""
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _share(value: Any, *, upto_one: bool) -> bool:
    """A share: a number above 0 and at most 1 (``upto_one``) or below 1."""
    return _finite_number(value) and value > 0 and (value <= 1 if upto_one else value < 1)


class StatusReader(FieldReader):
    """The status rules' data: tolerances, a metric's trajectory, the plan's roll-up."""

    def tolerance(self, mapping: LineDict, where: str) -> Any:
        value = mapping.get("tolerance")
        if value is not None and not _share(value, upto_one=True):
            self.problem(
                mapping.line_of("tolerance"),
                "tolerance",
                f"{where}: tolerance {value!r} is not a share above 0 and at most 1",
                "write the share of the planned change a figure may lag and still be at risk, "
                "e.g. 0.1 for 10%",
                "bad-tolerance",
            )
            return None
        return value

    def status_block(self, mapping: LineDict, where: str, keys: set[str]) -> LineDict | None:
        if mapping.get("status") is None:
            return None
        block = self.mapping(mapping["status"], mapping.line_of("status"), "status", where)
        if block is not None:
            self.known(block, keys, where)
        return block

    def metric_status(self, metric: LineDict, where: str) -> dict[str, Any]:
        """``status: {tolerance: 0.2, trajectory: step}``; each key optional."""
        result = dict(METRIC_STATUS_DEFAULTS)
        block = self.status_block(metric, f"{where}'s status", {"tolerance", "trajectory"})
        if block is None:
            return result
        result["tolerance"] = self.tolerance(block, where)
        result["trajectory"] = self.choice(
            block, "trajectory", where, list(TRAJECTORIES), "linear", "bad-trajectory"
        )
        return result

    def plan_status(self, top: LineDict) -> dict[str, Any]:
        """``status: {tolerance: 0.1, rollup: worst, rollup_share: 0.25}``; each key optional."""
        result = dict(PLAN_STATUS_DEFAULTS)
        where = "the plan's status"
        block = self.status_block(top, where, {"tolerance", "rollup", "rollup_share"})
        if block is None:
            return result
        tolerance = self.tolerance(block, where)
        if tolerance is not None:
            result["tolerance"] = tolerance
        result["rollup"] = self.choice(block, "rollup", where, list(ROLLUPS), "worst", "bad-rollup")
        share = block.get("rollup_share")
        if share is not None and not _share(share, upto_one=False):
            self.problem(
                block.line_of("rollup_share"),
                "rollup_share",
                f"{where}: rollup_share {share!r} is not a share above 0 and below 1",
                "write the share of a group's assessed items that may be off track (or at risk) "
                "before the group is, e.g. 0.25",
                "bad-rollup-share",
            )
        elif share is not None:
            result["rollup_share"] = share
        return result


class MetricReader(StatusReader):
    disaggregations: set[str]
    # Each set's category keys, where they are loaded; a set without any is not checked.
    categories: dict[str, set[str]]
    start_month: int | None = None  # the plan's fiscal_year_start_month, once read and valid

    def code(self, mapping: LineDict, kind: str) -> str:  # supplied by planfile._Reader
        raise NotImplementedError

    def metric(self, metric: LineDict) -> dict[str, Any]:
        self.known(metric, METRIC_KEYS, "a metric")
        code = self.code(metric, "metric")
        where = f"metric {code or '?'}"
        text = self.text(metric, "text", where, required=True)
        kind = self.choice(
            metric,
            "type",
            where,
            list(MetricType.values),
            None,
            "bad-metric-type",
            owner="the metric",
        )
        default_split = ["sex"] if kind == MetricType.COUNT and PEOPLE_WORDS.search(text) else []
        split = metric.get("disaggregation", default_split)
        if not isinstance(split, list) or any(s not in self.disaggregations for s in split):
            self.problem(
                metric.line_of("disaggregation"),
                "disaggregation",
                f"{where}: {split!r} is not a list of disaggregations",
                "use a list of: " + ", ".join(sorted(self.disaggregations)),
                "bad-disaggregation",
            )
            split = []
        result = {
            "code": code,
            "text": text,
            "type": kind,
            "unit": self.text(metric, "unit", where),
            "direction": self.choice(
                metric,
                "direction",
                where,
                list(Direction.values),
                None,
                "bad-direction",
                owner="the metric",
            ),
            "compare_previous": self.flag(metric, "compare_previous", where),
            "disaggregation": list(split),
            "frequency": self.choice(
                metric, "frequency", where, list(Frequency.values), "annual", "bad-frequency"
            ),
            "sensitive": self.flag(metric, "sensitive", where),
            "source_text": self.source_text(metric, where),
            "appendix_text": self.text(metric, "appendix_text", where),
            "note": self.text(metric, "note", where),
            "baselines": self.figures(metric, "baselines", where, split),
            "targets": self.figures(metric, "targets", where, split),
            "plausible": self.plausible(metric, where),
            "scale": self.scale(metric, where, kind),
            "status": self.metric_status(metric, where),
        }
        source = self.text(metric, "source", where)
        if source:  # only where a metric has one, so documents without it stay as they were
            result["source"] = source
        return result

    def source_text(self, metric: LineDict, where: str) -> str:
        """``added``: not in the document; then the note says why and ``source`` where from."""
        found = self.choice(
            metric, "source_text", where, list(SOURCE_TEXTS), "table", "bad-source-text"
        )
        if found == "added":
            for key, fix in (
                ("note", "say in note that wpstrack added it, and why"),
                ("source", "name in source where its words and figures come from"),
            ):
                if not self.text(metric, key, where):
                    self.problem(
                        metric.line_of("source_text"),
                        key,
                        f"{where} is added (not in the document) but has no {key}",
                        fix,
                        f"added-without-{key}",
                    )
        return found

    def scale(self, metric: LineDict, where: str, kind: str) -> list[str]:
        """A rating's answers, in order (``scale: [Low, Medium, High]``); only ratings have one."""
        answers = [str(a).strip() for a in self.items(metric, "scale", where)]
        if kind == "rating" and not answers:
            self.problem(
                metric.line,
                "scale",
                f"{where}: a rating needs its scale",
                "add scale: [first answer, second answer, ...]",
                "missing-scale",
            )
        if answers and kind != "rating":
            self.problem(
                metric.line_of("scale"),
                "scale",
                f"{where}: only a rating has a scale",
                "remove scale, or make the type rating",
                "scale-not-rating",
            )
        if len(set(answers)) != len(answers) or any(not a for a in answers):
            self.problem(
                metric.line_of("scale"),
                "scale",
                f"{where}: each answer must be given once",
                "list each answer once",
                "bad-scale",
            )
        return answers

    def plausible(self, metric: LineDict, where: str) -> dict[str, Any]:
        """Bounds outside which a value needs a comment: ``plausible: {min: 0, max: 5000}``."""
        if metric.get("plausible") is None:
            return {}
        bounds = self.mapping(metric["plausible"], metric.line_of("plausible"), "plausible", where)
        if bounds is None:
            return {}
        self.known(bounds, {"min", "max"}, f"{where}'s plausible range")
        result = {}
        for key in ("min", "max"):
            value = bounds.get(key)
            if value is None:
                continue
            if not _finite_number(value):
                self.problem(
                    bounds.line_of(key),
                    key,
                    f"{where}: plausible {key} {value!r} is not a number",
                    "write a number, e.g. 0 or 5000",
                    "not-a-number",
                )
                continue
            result[key] = value
        if "min" in result and "max" in result and result["min"] > result["max"]:
            self.problem(
                bounds.line_of("max"),
                "max",
                f"{where}: plausible max is below min",
                "swap the two figures",
                "bad-plausible-range",
            )
        return result

    def figures(
        self, metric: LineDict, key: str, where: str, split: list[str]
    ) -> list[dict[str, Any]]:
        figures = []
        one = key.removesuffix("s")  # baseline, target
        for figure in self.records(metric, key, where, f"{where}'s {key}"):
            self.known(figure, FIGURE_KEYS, f"{where}'s {key}")
            number = figure.get("value")
            if not _finite_number(number):
                self.problem(
                    figure.line_of("value"),
                    "value",
                    f"{where}: {key} value {number!r} is not a number",
                    "write the figure as a number, e.g. 30 or 12.5",
                    "not-a-number",
                )
            if "period" not in figure:
                self.problem(
                    figure.line,
                    "period",
                    f"missing in {a_or_an(one)} of {where}",
                    f"give the {one} the period as written, or period: null where the "
                    "document states none",
                    "missing-period",
                )
            entry = {"value": number, "period": self.text(figure, "period", where)}
            at = self.period_code(figure, f"{where}: {one}")
            if at:
                entry["at"] = at
            part = self.figure_for(figure, f"{where}: {one}", split)
            if part:
                entry["for"] = part
            for extra in ("as_written", "source", "note"):
                if figure.get(extra):
                    entry[extra] = self.text(figure, extra, where)
            figures.append(entry)
        return figures

    def figure_for(self, figure: LineDict, where: str, split: list[str]) -> str:
        """``for``: the combination a figure is for (``personnel-category=military-contingent``;
        ``sex=women|age=18-24`` with two sets), one category of each set the metric is broken
        down by; written in the metric's order, as values store it. "" for the whole metric."""
        value = figure.get("for")
        if value is None:
            return ""
        line = figure.line_of("for")
        if not isinstance(value, str) or not value.strip():
            self.problem(
                line,
                "for",
                f"{where} for {value!r} is not a combination",
                "write set=category, e.g. for: personnel-category=military-contingent",
                "bad-figure-for",
            )
            return ""
        chosen: dict[str, str] = {}
        for part in value.split("|"):
            set_key, equals, category = (p.strip() for p in part.partition("="))
            if not equals or not set_key or not category or set_key in chosen:
                self.problem(
                    line,
                    "for",
                    f"{where} for {value!r} is not a combination",
                    "write set=category (joined by | for several sets, each once), e.g. "
                    "for: personnel-category=military-contingent",
                    "bad-figure-for",
                )
                return ""
            if set_key not in split:
                self.problem(
                    line,
                    "for",
                    f"{where} is for {set_key!r}, which the metric is not broken down by",
                    "use a set of the metric's disaggregation ("
                    + (", ".join(split) or "none")
                    + "), or add the set to it",
                    "figure-for-unknown-set",
                )
                return ""
            known = self.categories.get(set_key)
            if known and category not in known:
                self.problem(
                    line,
                    "for",
                    f"{where}: {set_key} has no category {category!r}",
                    "use one of: " + ", ".join(sorted(known)),
                    "figure-for-unknown-category",
                )
                return ""
            chosen[set_key] = category
        if len(chosen) != len(split):
            self.problem(
                line,
                "for",
                f"{where} for {value!r} names {len(chosen)} of the metric's "
                f"{len(split)} sets ({', '.join(split)})",
                "name one category of each set the metric is broken down by, joined by |",
                "figure-for-incomplete",
            )
            return ""
        return "|".join(f"{set_key}={chosen[set_key]}" for set_key in split)

    def period_code(self, figure: LineDict, where: str) -> str:
        """``at``: the period a figure is for, as a code (FY2030, FY2025-Q3); "" when not given."""
        value = figure.get("at")
        if value is None:
            return ""
        try:
            if not isinstance(value, str):
                raise PeriodError(str(value))
            return Period.parse(value, self.start_month or 1).code
        except PeriodError:
            shown = repr(value) if isinstance(value, str) else f"{value!r} (not in quotes)"
            self.problem(
                figure.line_of("at"),
                "at",
                f"{where} at {shown} is not a period code",
                "write FY2030 for a fiscal year or FY2030-Q3 for a quarter of it; or leave at "
                "out where the document states no period",
                "bad-period-code",
            )
            return ""


class ChecksReader(FieldReader):
    codes: dict[str, dict[str, int]]
    unit_kinds: set[str]

    def code(self, mapping: LineDict, kind: str) -> str:  # supplied by planfile._Reader
        raise NotImplementedError

    def rule(self, rule: LineDict) -> dict[str, Any]:
        """A check across metrics; each side is a sum of metric codes (with [combination]) or numbers."""
        self.known(rule, RULE_KEYS, "a rule")
        code = self.code(rule, "rule")
        where = f"rule {code or '?'}"
        result: dict[str, Any] = {"code": code, "when_missing": rule.get("when_missing", "skip")}
        for side in ("left", "right"):
            text = self.text(rule, side, where, required=True)
            for term in (t.strip() for t in text.split("+")):
                match = TERM_RE.match(term)
                if not match or (
                    match.group("metric") and match.group("metric") not in self.codes["metric"]
                ):
                    self.problem(
                        rule.line_of(side),
                        side,
                        f"{where}: {term!r} is not a metric of this plan or a number",
                        "write metric codes (with [sex=women] for one part) joined by +",
                        "bad-rule-term",
                    )
            result[side] = text
        operator = rule.get("operator")
        if operator not in ("<=", "<", ">=", ">", "=="):
            self.problem(
                rule.line_of("operator"),
                "operator",
                f"{where}: {operator!r} is not an operator",
                "use one of: <=, <, >=, >, ==",
                "bad-operator",
            )
        if result["when_missing"] not in ("skip", "fail"):
            self.problem(
                rule.line_of("when_missing"),
                "when_missing",
                f"{where}: use skip or fail",
                "skip: the rule waits until both sides are reported; fail: a missing side fails it",
                "bad-when-missing",
            )
        result["operator"] = operator
        result["message"] = self.text(rule, "message", where, required=True)
        return result

    def approval(self, top: LineDict) -> dict[str, Any]:
        """Who approves a unit's submission, level by level (see reporting/approval.py)."""
        result: dict[str, Any] = {"steps": [], "higher_levels_see_unapproved": False}
        if top.get("approval") is None:
            return result
        approval = self.mapping(
            top["approval"], top.line_of("approval"), "approval", "the approval chain"
        )
        if approval is None:
            return result
        self.known(approval, {"steps", "higher_levels_see_unapproved"}, "approval")
        for step in self.items(approval, "steps", "the approval chain"):
            if not isinstance(step, str) or not valid_step(step, self.unit_kinds):
                self.problem(
                    approval.line_of("steps"),
                    "steps",
                    f"{step!r} is not an approval step",
                    "use unit, coordinator, or ancestor:<unit kind> (one of: "
                    + ", ".join(sorted(self.unit_kinds))
                    + ")",
                    "bad-approval-step",
                )
                continue
            result["steps"].append(step)
        result["higher_levels_see_unapproved"] = self.flag(
            approval, "higher_levels_see_unapproved", "the approval chain"
        )
        return result
