"""The roster mapping: which column is which field, how the source spells its values, which rows
count, and the rules that turn a roster into plan metrics (docs/roster-mapping.md).

Why a parser that collects problems rather than stopping at the first: the mapping is edited by a
person on a page or in a YAML file, and one report listing every mistake with its path and its fix
saves them a round trip per mistake. Each problem has a stable ``code`` for scripts and tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

VERSION = 1
KINDS = ("hr", "learning", "trainees")
SEX_KEYS = ("women", "men", "other")
STANDARD_SEX = {
    **dict.fromkeys(("f", "female", "woman", "women", "w"), "women"),
    **dict.fromkeys(("m", "male", "man", "men"), "men"),
}
OPS = ("in", "not_in", "equals", "not_equals", "blank", "not_blank")
AGE_FIELDS = ("birth_year", "age", "age_band")
DATE_FIELDS = frozenset(
    {"hire_date", "separation_date", "completion_date", "start_date", "end_date"}
)
NUMBER_FIELDS = frozenset({"birth_year", "age"})
IDENTITY_FIELDS = frozenset({"person_id"})  # never shown, never a dimension
REQUIRED, OPTIONAL = True, False
FIELDS: dict[str, dict[str, bool]] = {
    "hr": {
        "person_id": OPTIONAL,
        "unit": REQUIRED,
        "sex": REQUIRED,
        **dict.fromkeys(AGE_FIELDS, OPTIONAL),
        "hire_date": OPTIONAL,
        "separation_date": OPTIONAL,
        "occupation": OPTIONAL,
        "grade": OPTIONAL,
        "leadership": OPTIONAL,
        "personnel_category": OPTIONAL,
    },
    "learning": {
        "person_id": REQUIRED,
        "unit": REQUIRED,
        "sex": REQUIRED,
        "course": REQUIRED,
        "completion_date": REQUIRED,
        **dict.fromkeys(AGE_FIELDS, OPTIONAL),
    },
    "trainees": {
        "person_id": OPTIONAL,
        "country": REQUIRED,
        "sex": OPTIONAL,
        "course": OPTIONAL,
        "start_date": OPTIONAL,
        "end_date": REQUIRED,
        **dict.fromkeys(AGE_FIELDS, OPTIONAL),
    },
}
# measure -> kind -> the fields it needs mapped beyond the kind's required ones
MEASURES: dict[str, dict[str, tuple[str, ...]]] = {
    "headcount": {"hr": ()},
    "headcount_start": {"hr": ("hire_date",)},
    "hires": {"hr": ("hire_date",)},
    "exits": {"hr": ("separation_date",)},
    "attrition_rate": {"hr": ("hire_date", "separation_date")},
    "share_women": {"hr": ("sex",), "learning": ("sex",), "trainees": ("sex",)},
    "completions": {"learning": ()},
    "people_completed": {"learning": ()},
    "trainees": {"trainees": ()},
}
RATE_MEASURES = frozenset({"attrition_rate", "share_women"})
# strptime directives DuckDB and Python agree on; anything else is refused before it reaches SQL.
DATE_DIRECTIVES = frozenset("dmyYbBHMSjaA%")
BAND = re.compile(r"(?:under-(\d+)|(\d+)-(\d+)|(\d+)-plus|unknown)")
TOP_KEYS = (
    "wpstrack_roster_mapping",
    "name",
    "kind",
    "sheet",
    "columns",
    "values",
    "blank",
    "date_formats",
    "filters",
    "rules",
)


@dataclass(frozen=True)
class SpecProblem:
    code: str
    path: str
    message: str


class SpecError(Exception):
    """The mapping cannot be used; ``problems`` says every reason at once."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Filter:
    """A condition on one field's value as read (after the values map; sex as women|men|other)."""

    field: str
    op: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    metric: str
    measure: str
    where: tuple[Filter, ...] = ()


@dataclass(frozen=True)
class AgeBand:
    """An age band key parsed: ``under-18`` (0..17), ``18-24``, ``50-plus``, ``unknown``."""

    key: str
    low: int | None
    high: int | None  # inclusive

    @property
    def is_unknown(self) -> bool:
        return self.key == "unknown"


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str
    sheet: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    blank: Mapping[str, str] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    filters: tuple[Filter, ...] = ()
    rules: tuple[Rule, ...] = ()

    def spelling_map(self, field_name: str) -> dict[str, str]:
        """The field's values map keyed as matched: trimmed and lower-cased."""
        return {k.strip().lower(): v for k, v in self.values.get(field_name, {}).items()}

    def sex_map(self) -> dict[str, str]:
        return {**STANDARD_SEX, **self.spelling_map("sex")}


def parse_age_band(key: str) -> AgeBand | None:
    """The band a plan's age category key stands for, or None when the key is not a band."""
    match = BAND.fullmatch(key.strip().lower())
    if match is None:
        return None
    under, low, high, plus = match.groups()
    if under is not None:
        return AgeBand(key, 0, int(under) - 1)
    if low is not None:
        return AgeBand(key, int(low), int(high)) if int(low) <= int(high) else None
    if plus is not None:
        return AgeBand(key, int(plus), None)
    return AgeBand(key, None, None)


def is_field(kind: str, name: str) -> bool:
    return name in FIELDS.get(kind, {}) or (name.startswith("extra_") and len(name) > 6)


def is_categorical(name: str) -> bool:
    return name not in DATE_FIELDS | NUMBER_FIELDS | IDENTITY_FIELDS


class _Checker:
    """Collects problems while the parts of the mapping are read."""

    def __init__(self) -> None:
        self.problems: list[SpecProblem] = []

    def add(self, code: str, path: str, message: str) -> None:
        self.problems.append(SpecProblem(code, path, message))

    def text(self, value: Any, path: str, *, required: bool = False) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float | type(None)):
            self.add("bad-type", path, _("Write a piece of text here."))
            return ""
        text = "" if value is None else str(value).strip()
        if required and not text:
            self.add("missing-value", path, _("This cannot be empty."))
        return text

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add("bad-type", path, _("Write a mapping here (name: value on each line)."))
            return {}
        return value

    def listing(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add("bad-type", path, _("Write a list here ([a, b] or one '- item' per line)."))
            return []
        return value


def parse_spec(data: Any) -> Spec:
    """The mapping read from its data (JSON or YAML), or SpecError naming every problem."""
    check = _Checker()
    if not isinstance(data, dict):
        raise SpecError([SpecProblem("bad-type", "", _("A roster mapping is a mapping of keys."))])
    _check_header(check, data)
    kind = check.text(data.get("kind"), "kind", required=True)
    if kind and kind not in KINDS:
        check.add(
            "bad-kind",
            "kind",
            _("%(kind)s is not a roster kind; write one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(KINDS)},
        )
        kind = ""
    columns = _columns(check, kind, data.get("columns"))
    spec = Spec(
        name=check.text(data.get("name"), "name", required=True),
        kind=kind,
        sheet=check.text(data.get("sheet"), "sheet"),
        columns=columns,
        values=_values(check, kind, data.get("values")),
        blank=_blanks(check, kind, data.get("blank")),
        date_formats=_date_formats(check, data.get("date_formats")),
        filters=_filters(check, kind, data.get("filters"), "filters"),
        rules=_rules(check, kind, columns, data.get("rules")),
    )
    if check.problems:
        raise SpecError(check.problems)
    return spec


def _check_header(check: _Checker, data: dict[str, Any]) -> None:
    version = data.get("wpstrack_roster_mapping")
    if version != VERSION:
        check.add(
            "bad-version",
            "wpstrack_roster_mapping",
            _("Start the file with wpstrack_roster_mapping: 1 (the format version)."),
        )
    for key in data:
        if key not in TOP_KEYS:
            check.add(
                "unknown-key",
                str(key),
                _("%(key)s is not part of a roster mapping; the keys are: %(keys)s.")
                % {"key": key, "keys": ", ".join(TOP_KEYS)},
            )


def _unknown_field(check: _Checker, kind: str, name: str, path: str) -> bool:
    """Report a field the kind does not have; True when it was unknown."""
    if not kind or is_field(kind, name):
        return False
    check.add(
        "unknown-field",
        path,
        _(
            "%(field)s is not a field of a %(kind)s roster; the fields are: %(fields)s, or "
            "extra_<name> for any other category."
        )
        % {"field": name, "kind": kind, "fields": ", ".join(FIELDS[kind])},
    )
    return True


def _columns(check: _Checker, kind: str, raw: Any) -> dict[str, str]:
    columns: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, header in check.mapping(raw, "columns").items():
        path = f"columns.{name}"
        if _unknown_field(check, kind, str(name), path):
            continue
        text = check.text(header, path, required=True)
        if text and text.lower() in seen:
            check.add(
                "duplicate-column",
                path,
                _("Column %(header)s is already mapped to %(other)s; map each column once.")
                % {"header": text, "other": seen[text.lower()]},
            )
        elif text:
            seen[text.lower()] = str(name)
            columns[str(name)] = text
    if kind:
        _required_columns(check, kind, columns)
    return columns


def _required_columns(check: _Checker, kind: str, columns: dict[str, str]) -> None:
    for name, required in FIELDS[kind].items():
        if required and name not in columns:
            check.add(
                "missing-field",
                f"columns.{name}",
                _("A %(kind)s roster needs the column of %(field)s: add %(field)s: <its header>.")
                % {"kind": kind, "field": name},
            )
    ages = [name for name in AGE_FIELDS if name in columns]
    if len(ages) > 1:
        check.add(
            "conflicting-fields",
            f"columns.{ages[1]}",
            _("Map only one of birth_year, age and age_band (found %(fields)s).")
            % {"fields": ", ".join(ages)},
        )


def _values(check: _Checker, kind: str, raw: Any) -> dict[str, dict[str, str]]:
    values: dict[str, dict[str, str]] = {}
    for name, spellings in check.mapping(raw, "values").items():
        name = str(name)
        if _unknown_field(check, kind, name, f"values.{name}"):
            continue
        if not is_categorical(name):
            check.add(
                "not-categorical",
                f"values.{name}",
                _("%(field)s is a date, number or identifier; spellings apply to categories only.")
                % {"field": name},
            )
            continue
        values[name] = _spellings(check, name, check.mapping(spellings, f"values.{name}"))
    return values


def _spellings(check: _Checker, name: str, raw: dict[str, Any]) -> dict[str, str]:
    spellings: dict[str, str] = {}
    matched: dict[str, str] = {}
    for spelling, key in raw.items():
        path = f"values.{name}.{spelling}"
        target = check.text(key, path, required=True)
        if target and not _valid_key(check, name, target, path):
            continue
        folded = str(spelling).strip().lower()
        if folded in matched and matched[folded] != target:
            check.add(
                "duplicate-spelling",
                path,
                _(
                    "%(spelling)s is matched without regard to case or spaces, and is already "
                    "mapped to %(other)s: keep one."
                )
                % {"spelling": spelling, "other": matched[folded]},
            )
            continue
        matched[folded] = target
        spellings[str(spelling)] = target
    return spellings


def _valid_key(check: _Checker, name: str, key: str, path: str) -> bool:
    if name == "sex" and key not in SEX_KEYS:
        check.add(
            "bad-sex-key",
            path,
            _("%(key)s is not a sex category; write women, men or other (other = not recorded).")
            % {"key": key},
        )
        return False
    if name == "age_band" and parse_age_band(key) is None:
        check.add(
            "bad-age-band",
            path,
            _("%(key)s is not an age band key; write under-18, 18-24, 50-plus or unknown.")
            % {"key": key},
        )
        return False
    return True


def _blanks(check: _Checker, kind: str, raw: Any) -> dict[str, str]:
    blanks: dict[str, str] = {}
    for name, key in check.mapping(raw, "blank").items():
        name, path = str(name), f"blank.{name}"
        if _unknown_field(check, kind, name, path):
            continue
        if not is_categorical(name):
            check.add(
                "not-categorical",
                path,
                _("A blank %(field)s cannot stand for a value; only categories can.")
                % {"field": name},
            )
            continue
        target = check.text(key, path, required=True)
        if target and _valid_key(check, name, target, path):
            blanks[name] = target
    return blanks


def _date_formats(check: _Checker, raw: Any) -> tuple[str, ...]:
    formats = [
        check.text(item, f"date_formats[{n}]")
        for n, item in enumerate(check.listing(raw, "date_formats"))
    ]
    for number, fmt in enumerate(formats):
        directives = re.findall(r"%(.)", fmt)
        if not directives or any(d not in DATE_DIRECTIVES for d in directives) or fmt.endswith("%"):
            check.add(
                "bad-date-format",
                f"date_formats[{number}]",
                _(
                    "%(format)s is not a date format; write it as for strptime, e.g. %%Y-%%m-%%d "
                    "or %%m/%%d/%%Y (directives: %(directives)s)."
                )
                % {"format": fmt, "directives": " ".join(f"%{d}" for d in sorted(DATE_DIRECTIVES))},
            )
    return tuple(f for f in formats if f) or ("%Y-%m-%d",)


def _filters(check: _Checker, kind: str, raw: Any, path: str) -> tuple[Filter, ...]:
    parsed = (
        _filter(check, kind, item, f"{path}[{n}]")
        for n, item in enumerate(check.listing(raw, path))
    )
    return tuple(f for f in parsed if f is not None)


def _filter(check: _Checker, kind: str, raw: Any, path: str) -> Filter | None:
    item = check.mapping(raw, path)
    name = check.text(item.get("field"), f"{path}.field", required=True)
    ops = [key for key in item if key != "field"]
    if len(ops) != 1 or ops[0] not in OPS:
        check.add(
            "bad-filter",
            path,
            _("A filter is field: <name> and exactly one of %(ops)s.") % {"ops": ", ".join(OPS)},
        )
        return None
    if not name or _unknown_field(check, kind, name, f"{path}.field"):
        return None
    op = ops[0]
    if op in ("blank", "not_blank"):
        return Filter(name, op)
    if not is_categorical(name):
        check.add(
            "bad-filter",
            f"{path}.{op}",
            _("%(field)s is a date, number or identifier: filter it only with blank or not_blank.")
            % {"field": name},
        )
        return None
    if op in ("in", "not_in"):
        values = tuple(
            check.text(v, f"{path}.{op}[{n}]")
            for n, v in enumerate(check.listing(item[op], f"{path}.{op}"))
        )
    else:
        values = (check.text(item[op], f"{path}.{op}"),)
    return Filter(name, op, values)


def _rules(check: _Checker, kind: str, columns: dict[str, str], raw: Any) -> tuple[Rule, ...]:
    rules = []
    for number, item in enumerate(check.listing(raw, "rules")):
        path = f"rules[{number}]"
        data = check.mapping(item, path)
        for key in data:
            if key not in ("metric", "measure", "where"):
                check.add(
                    "unknown-key",
                    f"{path}.{key}",
                    _("A rule has metric, measure and where; %(key)s is not one of them.")
                    % {"key": key},
                )
        metric = check.text(data.get("metric"), f"{path}.metric", required=True)
        measure = check.text(data.get("measure"), f"{path}.measure", required=True)
        if measure:
            _check_measure(check, kind, columns, measure, f"{path}.measure")
        where = _filters(check, kind, data.get("where"), f"{path}.where")
        rules.append(Rule(metric, measure, where))
    return tuple(rules)


def _check_measure(
    check: _Checker, kind: str, columns: Mapping[str, str], measure: str, path: str
) -> None:
    for problem in measure_problems(kind, columns, measure, path):
        check.problems.append(problem)


def measure_problems(
    kind: str, columns: Mapping[str, str], measure: str, path: str
) -> list[SpecProblem]:
    """Why this measure cannot be computed from a roster of this kind with these columns."""
    if measure not in MEASURES:
        return [
            SpecProblem(
                "unknown-measure",
                path,
                _("%(measure)s is not a measure; write one of: %(measures)s.")
                % {"measure": measure, "measures": ", ".join(MEASURES)},
            )
        ]
    if not kind:
        return []
    if kind not in MEASURES[measure]:
        return [
            SpecProblem(
                "measure-not-for-kind",
                path,
                _(
                    "%(measure)s cannot be computed from a %(kind)s roster; it needs a %(kinds)s one."
                )
                % {"measure": measure, "kind": kind, "kinds": " or ".join(MEASURES[measure])},
            )
        ]
    missing = [name for name in MEASURES[measure][kind] if name not in columns]
    if not missing:
        return []
    message = _("%(measure)s needs the column of %(fields)s: map it under columns.") % {
        "measure": measure,
        "fields": ", ".join(missing),
    }
    if "hire_date" in missing:
        message += " " + _(
            "Without a hire date the extract is a snapshot at the period end: only headcount "
            "and share_women can be computed."
        )
    return [SpecProblem("rule-needs-field", path, message)]


def spec_to_data(spec: Spec) -> dict[str, Any]:
    """The mapping as data again (for a YAML or JSON file): parse_spec(spec_to_data(s)) == s."""
    return {
        "wpstrack_roster_mapping": VERSION,
        "name": spec.name,
        "kind": spec.kind,
        "sheet": spec.sheet,
        "columns": dict(spec.columns),
        "values": {name: dict(spellings) for name, spellings in spec.values.items()},
        "blank": dict(spec.blank),
        "date_formats": list(spec.date_formats),
        "filters": [_filter_data(f) for f in spec.filters],
        "rules": [_rule_data(rule) for rule in spec.rules],
    }


def _filter_data(item: Filter) -> dict[str, Any]:
    if item.op in ("blank", "not_blank"):
        return {"field": item.field, item.op: True}
    if item.op in ("in", "not_in"):
        return {"field": item.field, item.op: list(item.values)}
    return {"field": item.field, item.op: item.values[0]}


def _rule_data(rule: Rule) -> dict[str, Any]:
    data: dict[str, Any] = {"metric": rule.metric, "measure": rule.measure}
    if rule.where:
        data["where"] = [_filter_data(f) for f in rule.where]
    return data


def check_against_headers(spec: Spec, headers: Sequence[str]) -> list[SpecProblem]:
    """Every mapped column the file lacks (headers matched trimmed, without regard to case)."""
    present = {header.strip().lower() for header in headers}
    return [
        SpecProblem(
            "missing-column",
            f"columns.{name}",
            _("The file has no column %(header)s (for %(field)s). Its columns are: %(headers)s.")
            % {"header": header, "field": name, "headers": _listed(headers)},
        )
        for name, header in spec.columns.items()
        if header.strip().lower() not in present
    ]


def _listed(headers: Iterable[str]) -> str:
    return ", ".join(f'"{header}"' for header in headers)
