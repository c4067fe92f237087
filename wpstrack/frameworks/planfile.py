"""Plan files: read a whole file, list every problem as ``file:line: field: message (fix)``,
and turn a clean file into the canonical plan document (the export tree shape).

Nothing here touches the database except to look up the unit codes and tags that exist.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wpstrack.accounts.models import OrgUnit, UnitKind
from wpstrack.frameworks.models import Category, DisaggregationSet, Tag
from wpstrack.frameworks.planfile_parts import ChecksReader, MetricReader
from wpstrack.frameworks.planformat import (
    CODE_RE,
    ELEMENT_KEYS,
    ELEMENT_SOURCE_KEYS,
    FORMAT,
    LEVEL_KEYS,
    OBLIGATION_KEYS,
    PERIOD_KEYS,
    SECTION_KEYS,
    SLUG_RE,
    SOURCE_KEYS,
    TOP_KEYS,
)
from wpstrack.lib.filereader import FieldReader, a_or_an
from wpstrack.lib.yamlfile import LineDict, Problem, YamlFileError, load_yaml


def _finite_number(value: Any) -> bool:
    """A real figure: not a flag, not text, not .nan or .inf (which JSON cannot store)."""
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


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


class _Reader(MetricReader, ChecksReader, FieldReader):
    """Walks the parsed YAML once, collecting problems and building the canonical document."""

    def __init__(self, file: str, units: set[str], tags: set[str]) -> None:
        super().__init__(file)
        self.units = units
        self.tags = tags
        self.disaggregations: set[str] = {"sex", "age"}
        self.categories: dict[str, set[str]] = {}
        self.unit_kinds: set[str] = set()
        self.levels: list[str] = []
        self.codes: dict[str, dict[str, int]] = {
            "element": {},
            "metric": {},
            "section": {},
            "obligation": {},
            "rule": {},
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
        code = self.word(mapping, "code", f"the {kind}", required=True)
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
        if data is None:
            self.problem(
                1,
                "file",
                "the file is empty",
                f"write the plan, starting with format: {FORMAT}",
                "empty-file",
            )
            return None
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
        if month is None:
            self.problem(
                top.line_of("fiscal_year_start_month"),
                "fiscal_year_start_month",
                "missing in the plan",
                "give the plan a fiscal_year_start_month: 10 for US plans (October), "
                "1 for UN plans (January)",
                "missing-fiscal-year-start-month",
            )
        elif not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
            self.problem(
                top.line_of("fiscal_year_start_month"),
                "fiscal_year_start_month",
                f"expected a month number 1-12, found {month!r}",
                "10 for US plans (October), 1 for UN plans (January)",
                "bad-month",
            )
        else:
            self.start_month = month  # figures' period codes are on this fiscal year
        document: dict[str, Any] = {
            "format": FORMAT,
            "slug": slug,
            "title": self.text(top, "title", "the plan", required=True),
            "short_title": self.text(top, "short_title", "the plan"),
            "owner_unit": owner,
            "source": self.source(top),
            "period": self.period(top),
            "fiscal_year_start_month": month,
            "approval": self.approval(top),
            "status": self.plan_status(top),
            "rules": [],
            "levels": self.read_levels(top),
        }
        document["sections"] = [
            self.section(s) for s in self.records(top, "sections", "the plan", "a section")
        ]
        document["obligations"] = [
            self.obligation(o)
            for o in self.records(top, "obligations", "the plan", "an obligation")
        ]
        if "elements" not in top:
            self.problem(
                top.line,
                "elements",
                "missing",
                "list the plan's elements under elements:",
                "missing-elements",
            )
        document["elements"] = [
            self.element(e, None) for e in self.records(top, "elements", "the plan", "an element")
        ]
        document["rules"] = [self.rule(r) for r in self.records(top, "rules", "the plan", "a rule")]
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
        self.date(source, "date", partial=True)
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
            result[key] = None if period.get(key) is None else str(period.get(key))
        start, end = self.date(period, "start"), self.date(period, "end")
        if start and end and end < start:
            self.problem(
                period.line_of("end"),
                "end",
                f"the period ends ({result['end']}) before it starts ({result['start']})",
                "check the dates: the end must not come before the start",
                "bad-period",
            )
        return result

    def read_levels(self, top: LineDict) -> list[dict[str, str]]:
        levels = []
        for level in self.records(top, "levels", "the plan", "a level"):
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
            if key:
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

    def element(self, element: LineDict, parent_level: str | None) -> dict[str, Any]:
        """An element and its subtree; ``parent_level`` is the parent's level if it is known."""
        self.known(element, ELEMENT_KEYS, "an element")
        code = self.code(element, "element")
        where = f"element {code or '?'}"
        level = self.text(element, "level", where, required=True)
        known_level = level if level in self.levels else None
        if level and self.levels and known_level is None:
            self.problem(
                element.line_of("level"),
                "level",
                f"{where}: unknown level {level!r}",
                "use one of: " + ", ".join(self.levels),
                "unknown-level",
            )
        elif (
            known_level is not None
            and parent_level is not None
            and self.levels.index(known_level) <= self.levels.index(parent_level)
        ):
            self.level_order(element, where, known_level, parent_level)
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
            "source": self.location(element, where),
            "note": self.text(element, "note", where),
        }
        result["metrics"] = [
            self.metric(m) for m in self.records(element, "metrics", where, "a metric")
        ]
        result["children"] = [
            self.element(c, known_level)
            for c in self.records(element, "children", where, "an element")
        ]
        return result

    def level_order(self, element: LineDict, where: str, level: str, parent_level: str) -> None:
        if parent_level == self.levels[-1]:
            self.problem(
                element.line_of("code"),
                "children",
                f"{where} is under {a_or_an(parent_level)}, "
                "the last level, which cannot have children",
                "move it under an element of an earlier level, or change its parent's level",
                "child-under-leaf",
            )
        else:
            self.problem(
                element.line_of("level"),
                "level",
                f"{where}: {a_or_an(level)} cannot sit under {a_or_an(parent_level)}",
                "a child's level must come after its parent's in levels",
                "level-order",
            )

    def location(self, item: LineDict, where: str) -> dict[str, Any]:
        """Where an element, section or obligation is in the document: ``source``."""
        source = item.get("source")
        if source is None:
            self.problem(
                item.line,
                "source",
                f"{where}: missing",
                'add source: {section: "..."} with the document\'s heading',
                "missing-source",
            )
            return {}
        checked = self.mapping(source, item.line_of("source"), "source", f"{where}'s source")
        if checked is None:
            return {}
        self.known(checked, ELEMENT_SOURCE_KEYS, f"{where}'s source")
        result: dict[str, Any] = {
            "section": self.text(checked, "section", f"{where}'s source", required=True)
        }
        page = self.whole_number(checked, "page", f"{where}'s source")
        if page is not None:
            result["page"] = page
        if checked.get("note"):
            result["note"] = self.text(checked, "note", f"{where}'s source")
        return result

    def section(self, section: LineDict) -> dict[str, Any]:
        self.known(section, SECTION_KEYS, "a section")
        code = self.code(section, "section")
        where = f"section {code or '?'}"
        source = self.location(section, where)
        return {
            "code": code,
            "title": self.text(section, "title", where, required=True),
            "text": self.text(section, "text", where),
            # Sections and obligations keep only the heading (what is stored and exported).
            "source": {"section": source.get("section", "")},
            "note": self.text(section, "note", where),
        }

    def obligation(self, obligation: LineDict) -> dict[str, Any]:
        self.known(obligation, OBLIGATION_KEYS, "an obligation")
        code = self.code(obligation, "obligation")
        where = f"obligation {code or '?'}"
        years = self.items(obligation, "years", where)
        if any(isinstance(y, bool) or not isinstance(y, int) for y in years):
            self.problem(
                obligation.line_of("years"),
                "years",
                f"{where}: years must be whole numbers",
                "write e.g. [2016, 2018]",
                "bad-years",
            )
        source = self.location(obligation, where)
        return {
            "code": code,
            "title": self.text(obligation, "title", where, required=True),
            "text": self.text(obligation, "text", where),
            "cadence": self.text(obligation, "cadence", where),
            "due": self.text(obligation, "due", where),
            "years": list(years),
            "units": self.unit_codes(obligation, where),
            "responsible_as_written": self.text(obligation, "responsible_as_written", where),
            "source": {"section": source.get("section", "")},
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
    # Sex and age are always available, as the product promises, even before the sets load.
    reader.unit_kinds = set(UnitKind.objects.values_list("key", flat=True))
    # "unit" (by the reporting unit's sub-units) is built in: its categories are the tree itself.
    reader.disaggregations = {
        "unit",
        "sex",
        "age",
        *DisaggregationSet.objects.values_list("key", flat=True),
    }
    # "unit": any unit of the tree.
    reader.categories = {"unit": set(units)}
    for set_key, key in Category.objects.values_list("disaggregation_set__key", "key"):
        reader.categories.setdefault(set_key, set()).add(key)
    document = reader.read(data)
    report.problems = sorted(reader.problems, key=lambda p: (p.line, p.field))
    report.document = document if not reader.problems else None
    return report
