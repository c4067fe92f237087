"""Plan files: read a whole file, list every problem as ``file:line: field: message (fix)``,
and turn a clean file into the canonical plan document (the export tree shape).

Nothing here touches the database except to look up the unit codes and tags that exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wpstrack.accounts.models import OrgUnit
from wpstrack.frameworks.models import Direction, Frequency, MetricType, Tag
from wpstrack.lib.filereader import FieldReader
from wpstrack.lib.yamlfile import LineDict, Problem, YamlFileError, load_yaml

FORMAT = "wpstrack-plan/1"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
DISAGGREGATIONS = ("sex", "age")
PEOPLE_WORDS = re.compile(
    r"\b(women|men|people|persons|individuals|employees|students|trainees|"
    r"mentees|participants|peacekeepers|staff|personnel)\b",
    re.I,
)

TOP_KEYS = {
    "format",
    "slug",
    "title",
    "short_title",
    "owner_unit",
    "source",
    "period",
    "fiscal_year_start_month",
    "levels",
    "sections",
    "obligations",
    "elements",
}
SOURCE_KEYS = {"file", "title", "publisher", "date", "note"}
PERIOD_KEYS = {"start", "end", "as_written"}
LEVEL_KEYS = {"key", "name"}
ELEMENT_KEYS = {
    "code",
    "level",
    "title",
    "text",
    "responsible_as_written",
    "units",
    "outcomes",
    "tags",
    "needs_indicators",
    "source",
    "note",
    "metrics",
    "children",
}
ELEMENT_SOURCE_KEYS = {"section", "page", "note"}
METRIC_KEYS = {
    "code",
    "text",
    "type",
    "unit",
    "direction",
    "compare_previous",
    "disaggregation",
    "frequency",
    "sensitive",
    "source_text",
    "appendix_text",
    "note",
    "baselines",
    "targets",
}
FIGURE_KEYS = {"value", "period", "as_written", "note"}
SECTION_KEYS = {"code", "title", "text", "source", "note"}
OBLIGATION_KEYS = {
    "code",
    "title",
    "text",
    "cadence",
    "due",
    "years",
    "units",
    "responsible_as_written",
    "source",
    "note",
}


@dataclass
class PlanFileReport:
    """The outcome of reading one plan file: problems, or the canonical document."""

    file: str
    sha256: str = ""
    problems: list[Problem] = field(default_factory=list)
    document: dict[str, Any] | None = None

    @property
    def valid(self) -> bool:
        return not self.problems and self.document is not None


class _Reader(FieldReader):
    """Walks the parsed YAML once, collecting problems and building the canonical document."""

    def __init__(self, file: str, units: set[str], tags: set[str]) -> None:
        super().__init__(file)
        self.units = units
        self.tags = tags
        self.levels: list[str] = []
        self.codes: dict[str, dict[str, int]] = {
            "element": {},
            "metric": {},
            "section": {},
            "obligation": {},
        }

    def unique(self, kind: str, code: str, line: int) -> None:
        seen = self.codes[kind]
        if code in seen:
            self.problem(
                line,
                "code",
                f"duplicate {kind} code {code!r} (first at line {seen[code]})",
                f"give each {kind} its own code",
                "duplicate-code",
            )
        else:
            seen[code] = line

    def code(self, mapping: LineDict, kind: str) -> str:
        code = self.text(mapping, "code", f"the {kind}", required=True)
        if code and not CODE_RE.match(code):
            self.problem(
                mapping.line_of("code"),
                "code",
                f"{code!r} is not a valid {kind} code",
                "use letters, digits, dots, hyphens or underscores (at most 60)",
                "bad-code",
            )
        elif code:
            self.unique(kind, code, mapping.line_of("code"))
        return code

    def unit_codes(self, mapping: LineDict, where: str) -> list[str]:
        codes = []
        for value in self.items(mapping, "units", where):
            if str(value) not in self.units:
                self.problem(
                    mapping.line_of("units"),
                    "units",
                    f"{where}: unknown unit {value!r}",
                    "use a unit code from plans/organisation.yaml, or add the unit there first",
                    "unknown-unit",
                )
            codes.append(str(value))
        return sorted(set(codes))  # order carries no meaning; sorted so exports round-trip

    # -- parts -----------------------------------------------------------------------------
    def read(self, data: Any) -> dict[str, Any] | None:
        top = self.mapping(data, 1, "file", "the plan file")
        if top is None:
            return None
        self.known(top, TOP_KEYS, "the plan")
        if top.get("format") != FORMAT:
            self.problem(
                top.line_of("format"),
                "format",
                f"must be {FORMAT!r}, found {top.get('format')!r}",
                f"write format: {FORMAT} on the first line",
                "bad-format",
            )
        slug = self.text(top, "slug", "the plan", required=True)
        if slug and not SLUG_RE.match(slug):
            self.problem(
                top.line_of("slug"),
                "slug",
                f"{slug!r} is not a valid slug",
                "use lower-case letters, digits and hyphens",
                "bad-slug",
            )
        owner = self.text(top, "owner_unit", "the plan", required=True)
        if owner and owner not in self.units:
            self.problem(
                top.line_of("owner_unit"),
                "owner_unit",
                f"unknown unit {owner!r}",
                "use a unit code from plans/organisation.yaml",
                "unknown-unit",
            )
        month = top.get("fiscal_year_start_month")
        if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
            self.problem(
                top.line_of("fiscal_year_start_month"),
                "fiscal_year_start_month",
                f"expected a month number 1-12, found {month!r}",
                "10 for US plans (October), 1 for UN plans (January)",
                "bad-month",
            )
        document: dict[str, Any] = {
            "format": FORMAT,
            "slug": slug,
            "title": self.text(top, "title", "the plan", required=True),
            "short_title": self.text(top, "short_title", "the plan"),
            "owner_unit": owner,
            "source": self.source(top),
            "period": self.period(top),
            "fiscal_year_start_month": month,
            "levels": self.read_levels(top),
        }
        document["sections"] = [
            s for s in (self.section(v, top) for v in self.items(top, "sections", "the plan")) if s
        ]
        document["obligations"] = [
            o
            for o in (self.obligation(v, top) for v in self.items(top, "obligations", "the plan"))
            if o
        ]
        elements = self.items(top, "elements", "the plan")
        if not elements and "elements" not in top:
            self.problem(
                top.line,
                "elements",
                "missing",
                "list the plan's elements under elements:",
                "missing-elements",
            )
        document["elements"] = [
            e for e in (self.element(v, top.line_of("elements"), None) for v in elements) if e
        ]
        return document

    def source(self, top: LineDict) -> dict[str, Any]:
        if top.get("source") is None:
            self.problem(
                top.line_of("source"),
                "source",
                "missing in the plan",
                "add source: {file: ..., title: ...} naming the document the plan comes from",
                "missing-source",
            )
            return {}
        source = self.mapping(
            top.get("source"), top.line_of("source"), "source", "the plan's source"
        )
        if source is None:
            return {}
        self.known(source, SOURCE_KEYS, "source")
        result: dict[str, Any] = {
            key: self.text(source, key, "the source", required=key in {"file", "title"})
            for key in ("file", "title", "publisher", "note")
        }
        result["date"] = None if source.get("date") is None else str(source.get("date"))
        return result

    def period(self, top: LineDict) -> dict[str, Any]:
        if top.get("period") is None:
            return {"start": None, "end": None, "as_written": ""}
        period = self.mapping(
            top.get("period"), top.line_of("period"), "period", "the plan's period"
        )
        if period is None:
            return {}
        self.known(period, PERIOD_KEYS, "period")
        result: dict[str, Any] = {"as_written": self.text(period, "as_written", "the period")}
        for key in ("start", "end"):
            value = period.get(key)
            result[key] = None if value is None else str(value)
            if value is not None:
                try:
                    dt.date.fromisoformat(str(value))
                except ValueError:
                    self.problem(
                        period.line_of(key),
                        key,
                        f"{value!r} is not a date",
                        "write YYYY-MM-DD, or null",
                        "bad-date",
                    )
        return result

    def read_levels(self, top: LineDict) -> list[dict[str, str]]:
        levels = []
        for value in self.items(top, "levels", "the plan"):
            level = self.mapping(value, top.line_of("levels"), "levels", "a level")
            if level is None:
                continue
            self.known(level, LEVEL_KEYS, "a level")
            key, name = (
                self.text(level, "key", "a level", required=True),
                self.text(level, "name", "a level", required=True),
            )
            if key in self.levels:
                self.problem(
                    level.line_of("key"),
                    "key",
                    f"duplicate level {key!r}",
                    "name each level once",
                    "duplicate-level",
                )
            self.levels.append(key)
            levels.append({"key": key, "name": name})
        if not levels:
            self.problem(
                top.line_of("levels"),
                "levels",
                "the plan names no levels",
                "list its levels top-down, e.g. - {key: goal, name: Goal}",
                "missing-levels",
            )
        return levels

    def element(self, value: Any, line: int, parent_level: str | None) -> dict[str, Any] | None:
        element = self.mapping(value, line, "elements", "an element")
        if element is None:
            return None
        self.known(element, ELEMENT_KEYS, "an element")
        code = self.code(element, "element")
        where = f"element {code or '?'}"
        level = self.text(element, "level", where, required=True)
        if level and level not in self.levels:
            self.problem(
                element.line_of("level"),
                "level",
                f"{where}: unknown level {level!r}",
                "use one of: " + ", ".join(self.levels),
                "unknown-level",
            )
        elif (
            level
            and parent_level is not None
            and self.levels.index(level) <= self.levels.index(parent_level)
        ):
            if parent_level == self.levels[-1]:
                self.problem(
                    element.line_of("code"),
                    "children",
                    f"{where} is under a {parent_level}, "
                    "the last level, which cannot have children",
                    "move it up to the right parent or fix its level",
                    "child-under-leaf",
                )
            else:
                self.problem(
                    element.line_of("level"),
                    "level",
                    f"{where}: a {level} cannot sit under a {parent_level}",
                    "a child's level must come after its parent's in levels",
                    "level-order",
                )
        tags = [str(t) for t in self.items(element, "tags", where)]
        for tag in tags:
            if tag not in self.tags:
                self.problem(
                    element.line_of("tags"),
                    "tags",
                    f"{where}: unknown tag {tag!r}",
                    "use <tag set>:<tag> from plans/tag-sets.yaml",
                    "unknown-tag",
                )
        result: dict[str, Any] = {
            "code": code,
            "level": level,
            "title": self.text(element, "title", where, required=True),
            "text": self.text(element, "text", where),
            "responsible_as_written": self.text(element, "responsible_as_written", where),
            "units": self.unit_codes(element, where),
            "outcomes": [str(o).strip() for o in self.items(element, "outcomes", where)],
            "tags": sorted(set(tags)),
            "needs_indicators": self.flag(element, "needs_indicators", where),
            "source": self.element_source(element, where),
            "note": self.text(element, "note", where),
        }
        result["metrics"] = [
            m
            for m in (
                self.metric(v, element.line_of("metrics"), code)
                for v in self.items(element, "metrics", where)
            )
            if m
        ]
        result["children"] = [
            c
            for c in (
                self.element(v, element.line_of("children"), level or None)
                for v in self.items(element, "children", where)
            )
            if c
        ]
        return result

    def element_source(self, element: LineDict, where: str) -> dict[str, Any]:
        source = element.get("source")
        if source is None:
            self.problem(
                element.line,
                "source",
                f"{where}: missing",
                'add source: {section: "..."} with the document\'s heading',
                "missing-source",
            )
            return {}
        checked = self.mapping(source, element.line_of("source"), "source", f"{where}'s source")
        if checked is None:
            return {}
        self.known(checked, ELEMENT_SOURCE_KEYS, f"{where}'s source")
        result: dict[str, Any] = {
            "section": self.text(checked, "section", f"{where}'s source", required=True)
        }
        if checked.get("page") is not None:
            result["page"] = checked["page"]
        if checked.get("note"):
            result["note"] = self.text(checked, "note", f"{where}'s source")
        return result

    def choice(
        self,
        mapping: LineDict,
        key: str,
        where: str,
        choices: list[str],
        default: str | None,
        code: str,
    ) -> str:
        value = mapping.get(key, default)
        if value not in choices:
            self.problem(
                mapping.line_of(key),
                key,
                f"{where}: {value!r} is not a {key.replace('_', ' ')}",
                "use one of: " + ", ".join(choices),
                code,
            )
            return default or ""
        return str(value)

    def metric(self, value: Any, line: int, element_code: str) -> dict[str, Any] | None:
        metric = self.mapping(value, line, "metrics", "a metric")
        if metric is None:
            return None
        self.known(metric, METRIC_KEYS, "a metric")
        code = self.code(metric, "metric")
        where = f"metric {code or '?'}"
        text = self.text(metric, "text", where, required=True)
        kind = self.choice(metric, "type", where, list(MetricType.values), None, "bad-metric-type")
        default_split = ["sex"] if kind == MetricType.COUNT and PEOPLE_WORDS.search(text) else []
        split = metric.get("disaggregation", default_split)
        if not isinstance(split, list) or any(s not in DISAGGREGATIONS for s in split):
            self.problem(
                metric.line_of("disaggregation"),
                "disaggregation",
                f"{where}: {split!r} is not a list of disaggregations",
                "use a list of: " + ", ".join(DISAGGREGATIONS),
                "bad-disaggregation",
            )
            split = []
        return {
            "code": code,
            "text": text,
            "type": kind,
            "unit": self.text(metric, "unit", where),
            "direction": self.choice(
                metric, "direction", where, list(Direction.values), None, "bad-direction"
            ),
            "compare_previous": self.flag(metric, "compare_previous", where),
            "disaggregation": list(split),
            "frequency": self.choice(
                metric, "frequency", where, list(Frequency.values), "annual", "bad-frequency"
            ),
            "sensitive": self.flag(metric, "sensitive", where),
            "source_text": self.choice(
                metric, "source_text", where, ["table", "appendix"], "table", "bad-source-text"
            ),
            "appendix_text": self.text(metric, "appendix_text", where),
            "note": self.text(metric, "note", where),
            "baselines": self.figures(metric, "baselines", where),
            "targets": self.figures(metric, "targets", where),
        }

    def figures(self, metric: LineDict, key: str, where: str) -> list[dict[str, Any]]:
        figures = []
        for value in self.items(metric, key, where):
            figure = self.mapping(value, metric.line_of(key), key, f"{where}'s {key}")
            if figure is None:
                continue
            self.known(figure, FIGURE_KEYS, f"{where}'s {key}")
            number = figure.get("value")
            if isinstance(number, bool) or not isinstance(number, int | float):
                self.problem(
                    figure.line_of("value"),
                    "value",
                    f"{where}: {key} value {number!r} is not a number",
                    "write the figure as a number, e.g. 30 or 12.5",
                    "not-a-number",
                )
            entry = {"value": number, "period": self.text(figure, "period", where)}
            for extra in ("as_written", "note"):
                if figure.get(extra):
                    entry[extra] = self.text(figure, extra, where)
            figures.append(entry)
        return figures

    def section(self, value: Any, top: LineDict) -> dict[str, Any] | None:
        section = self.mapping(value, top.line_of("sections"), "sections", "a section")
        if section is None:
            return None
        self.known(section, SECTION_KEYS, "a section")
        code = self.code(section, "section")
        source = section.get("source") if isinstance(section.get("source"), dict) else None
        source = source or {}
        return {
            "code": code,
            "title": self.text(section, "title", f"section {code}", required=True),
            "text": self.text(section, "text", f"section {code}"),
            "source": {"section": str(source.get("section", ""))},
            "note": self.text(section, "note", f"section {code}"),
        }

    def obligation(self, value: Any, top: LineDict) -> dict[str, Any] | None:
        obligation = self.mapping(value, top.line_of("obligations"), "obligations", "an obligation")
        if obligation is None:
            return None
        self.known(obligation, OBLIGATION_KEYS, "an obligation")
        code = self.code(obligation, "obligation")
        where = f"obligation {code}"
        years = self.items(obligation, "years", where)
        if any(isinstance(y, bool) or not isinstance(y, int) for y in years):
            self.problem(
                obligation.line_of("years"),
                "years",
                f"{where}: years must be whole numbers",
                "write e.g. [2016, 2018]",
                "bad-years",
            )
        source = obligation.get("source") if isinstance(obligation.get("source"), dict) else None
        source = source or {}
        return {
            "code": code,
            "title": self.text(obligation, "title", where, required=True),
            "text": self.text(obligation, "text", where),
            "cadence": self.text(obligation, "cadence", where),
            "due": self.text(obligation, "due", where),
            "years": list(years),
            "units": self.unit_codes(obligation, where),
            "responsible_as_written": self.text(obligation, "responsible_as_written", where),
            "source": {"section": str(source.get("section", ""))},
            "note": self.text(obligation, "note", where),
        }


def read_plan_file(path: Path) -> PlanFileReport:
    """Validate a plan file whole. The report holds every problem, or the canonical document."""
    report = PlanFileReport(file=path.name)
    try:
        report.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        data = load_yaml(path)
    except (OSError, YamlFileError) as error:
        problem = (
            error.problem
            if isinstance(error, YamlFileError)
            else Problem(path.name, 0, "file", f"cannot read: {error}", "check the path")
        )
        report.problems.append(problem)
        return report
    units = set(OrgUnit.objects.values_list("code", flat=True))
    tags = {f"{set_key}:{key}" for set_key, key in Tag.objects.values_list("tag_set__key", "key")}
    reader = _Reader(path.name, units, tags)
    document = reader.read(data)
    report.problems = sorted(reader.problems, key=lambda p: (p.line, p.field))
    report.document = document if not reader.problems else None
    return report
