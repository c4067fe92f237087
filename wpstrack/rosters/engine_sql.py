"""The SQL the roster engine runs: one pass that normalises each row and groups by raw spellings.

Why group by spellings and map afterwards: a unit has a handful of spellings and sex a dozen, so
the grouped result has hundreds of rows however long the file is. Mapping spellings to unit codes,
sex keys and age bands in Python over those few groups costs nothing, and unknown spellings come
out with their counts for free. Every user value (path, spellings, formats, dates) is a bound
parameter; column names are quoted identifiers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wpstrack.rosters.spec import (
    DATE_FIELDS,
    FIELDS,
    IDENTITY_FIELDS,
    NUMBER_FIELDS,
    Filter,
    Spec,
    is_categorical,
)

DEDUP_KEYS = {"hr": ("person_id",), "learning": ("person_id", "course", "completion_date"),
              "trainees": ("person_id", "course")}  # fmt: skip
PEOPLE_MEASURES = frozenset({"people_completed", "trainees"})


def quote(name: str) -> str:
    """A column name as a DuckDB identifier, whatever it holds."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Query:
    """Bound parameters collected while the SQL is written."""

    params: dict[str, Any] = field(default_factory=dict)

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"


@dataclass
class Columns:
    """The file's column (quoted) and DuckDB type for each mapped field."""

    spec: Spec
    found: dict[str, tuple[str, str]]  # field -> (quoted column, type)
    fmt: str
    read: set[str] = field(default_factory=set)  # the fields the normalised rows hold

    def has(self, name: str) -> bool:
        return name in self.found


def text_sql(columns: Columns, name: str) -> str:
    column, kind = columns.found[name]
    value = column if kind == "VARCHAR" else f"CAST({column} AS VARCHAR)"
    return f"nullif(trim({value}), '')"


def raw_sql(columns: Columns, name: str) -> str:
    """The cell as text, untrimmed: trimming ten million cells costs more than the grouping, so
    spellings are trimmed and lower-cased after grouping, in Python, on a few hundred groups."""
    column, kind = columns.found[name]
    return column if kind == "VARCHAR" else f"CAST({column} AS VARCHAR)"


def spelling_sql(name: str) -> str:
    """A grouped spelling as matched (trimmed, lower-cased), where SQL must compare it."""
    return f"lower(trim({quote('s_' + name)}))"


def empty_sql(text: str) -> str:
    """Blank: no value, or only spaces; trim runs only on values that start with a space (a CASE
    evaluates each branch on its own rows)."""
    return (
        f"(CASE WHEN {text} IS NULL OR {text} = '' THEN true "
        f"WHEN ord({text}) > 32 THEN false ELSE trim({text}) = '' END)"
    )


def is_text(columns: Columns, name: str) -> bool:
    return columns.found[name][1] == "VARCHAR"


def normalised_sql(
    columns: Columns, query: Query, source: str, *, end: dt.date, needed: Sequence[str]
) -> str:
    """One row as read, in three steps so each value is parsed once: the text of each field
    (t_), then raw spellings (s_), dates (d_) and numbers (n_), then the age in years and one
    flag per row-level problem (bad_*, blank_*, sep_before_hire). Person ids become hashes."""
    fields = [name for name in dict.fromkeys(needed) if columns.has(name)]
    texts = [_text_or_typed(columns, name) for name in fields]
    parsed = [_parsed(columns, name, query) for name in fields]
    flags = _flags(columns, fields, end)
    numbers = [quote("n_" + name) for name in fields if name in NUMBER_FIELDS]
    star = f"* EXCLUDE ({', '.join(numbers)})" if numbers else "*"
    inner = f"SELECT {', '.join(parsed)} FROM (SELECT {', '.join(texts)} FROM {source})"  # noqa: S608
    return f"SELECT {', '.join([star, *flags])} FROM ({inner})"  # noqa: S608


def _text_or_typed(columns: Columns, name: str) -> str:
    column, kind = columns.found[name]
    if name in DATE_FIELDS and (kind == "DATE" or kind.startswith("TIMESTAMP")):
        return f"CAST({column} AS DATE) AS {quote('d_' + name)}"
    raw = raw_sql(columns, name)
    if name in IDENTITY_FIELDS:  # only ever compared: a 64-bit hash, never the id itself
        return (
            f"CASE WHEN {raw} IS NULL OR {raw} = '' THEN NULL WHEN ord({raw}) > 32 "
            f"THEN hash({raw}) WHEN trim({raw}) = '' THEN NULL ELSE hash({raw}) END AS pid"
        )
    return f"{raw} AS {quote('t_' + name)}"


def _parsed(columns: Columns, name: str, query: Query) -> str:
    if name in IDENTITY_FIELDS:
        return "pid"
    if is_categorical(name):
        return f"{quote('t_' + name)} AS {quote('s_' + name)}"
    if name in NUMBER_FIELDS:
        text = quote("t_" + name)
        return f"{text}, TRY_CAST(trim({text}) AS DOUBLE) AS {quote('n_' + name)}"
    if not is_text(columns, name):
        return quote("d_" + name)
    formats = list(columns.spec.date_formats)
    fmt: Any = formats[0] if len(formats) == 1 else formats
    text, bound = quote("t_" + name), query.bind(fmt)
    # Trimmed only where the text as it is does not read (the rare cell with spaces).
    parsed = f"coalesce(try_strptime({text}, {bound}), try_strptime(trim({text}), {bound}))"
    if columns.fmt == "xlsx" or formats[0] == "%Y-%m-%d":
        # DuckDB's own date cast reads ISO dates at a fraction of strptime's cost (date cells
        # of a workbook arrive as ISO text too); strptime reads what it leaves.
        parsed = f"coalesce(TRY_CAST({text} AS DATE), {parsed})"
    # A blank cell (NULL: often most of a separation date column) skips every parse: DuckDB
    # evaluates a CASE branch only on its own rows (measured 0.1 s on ten million rows).
    parsed = f"CASE WHEN {text} IS NULL THEN NULL ELSE CAST({parsed} AS DATE) END"
    return f"{text}, {parsed} AS {quote('d_' + name)}"


def _flags(columns: Columns, fields: Sequence[str], end: dt.date) -> list[str]:
    spec = columns.spec
    flags = []
    for name in fields:
        if name in DATE_FIELDS and is_text(columns, name):
            flags.append(
                f"(CASE WHEN d_{name} IS NOT NULL THEN false ELSE NOT {empty_sql('t_' + name)} END)"
                f" AS {quote('bad_' + name)}"
            )
        if name in NUMBER_FIELDS:
            flags.extend(_age_sql(name, end))
    for name, required in FIELDS[spec.kind].items():
        # A blank unit is found on the grouped spellings (Reader.problems); a blank sex is "other".
        blank_means = is_categorical(name) and name in spec.blank
        if required and name in fields and name not in ("unit", "sex") and not blank_means:
            flags.append(f"({blank_sql(columns, name)}) AS {quote('blank_' + name)}")
    if "hire_date" in fields and "separation_date" in fields:
        flags.append("coalesce(d_separation_date < d_hire_date, false) AS sep_before_hire")
    return flags


def blank_sql(columns: Columns, name: str) -> str:
    """Whether the field's cell is blank, over the normalised row."""
    if name in IDENTITY_FIELDS:
        return "pid IS NULL"
    if is_categorical(name):
        return empty_sql(quote("s_" + name))
    if name in DATE_FIELDS and not is_text(columns, name):
        return f"{quote('d_' + name)} IS NULL"
    if name in DATE_FIELDS:  # the blank test only where no date was read
        empty = empty_sql(quote("t_" + name))
        return f"(CASE WHEN {quote('d_' + name)} IS NOT NULL THEN false ELSE {empty} END)"
    return empty_sql(quote("t_" + name))


def _age_sql(name: str, end: dt.date) -> list[str]:
    number = quote("n_" + name)
    years = f"({end.year} - {number})" if name == "birth_year" else number
    low, high = (1900, end.year) if name == "birth_year" else (0, 120)
    ok = f"({number} BETWEEN {low} AND {high} AND {number} = floor({number}))"
    return [
        f"CASE WHEN {ok} THEN CAST({years} AS INTEGER) END AS age",
        f"(NOT {empty_sql(quote('t_' + name))} AND NOT coalesce({ok}, false)) AS bad_number",
    ]


def filter_sql(item: Filter, spellings: Sequence[str], columns: Columns, query: Query) -> str:
    """A filter as SQL over the normalised row; ``spellings`` are the lower-cased spellings that
    read as one of the filter's values (found by the caller through the values maps)."""
    if not columns.has(item.field):
        return "true" if item.op in ("blank", "not_in", "not_equals") else "false"
    if item.op in ("blank", "not_blank"):
        blank = blank_sql(columns, item.field)
        return blank if item.op == "blank" else f"NOT ({blank})"
    inside = f"list_contains({query.bind(list(spellings))}, {spelling_sql(item.field)})"
    if item.op in ("in", "equals"):
        return f"coalesce({inside}, false)"
    return f"NOT coalesce({inside}, false)"


def measure_sql(measure: str, kind: str, columns: Columns, start: str, end: str) -> dict[str, str]:
    """Each part of a measure as an aggregate condition (or a whole aggregate for people)."""
    hire = "d_hire_date" if columns.has("hire_date") else "NULL::DATE"
    leave = "d_separation_date" if columns.has("separation_date") else "NULL::DATE"
    active_end = f"({hire} IS NULL OR {hire} <= {end}) AND ({leave} IS NULL OR {leave} > {end})"
    active_eve = f"({hire} IS NULL OR {hire} < {start}) AND ({leave} IS NULL OR {leave} >= {start})"
    done = f"d_completion_date BETWEEN {start} AND {end}"
    trained = f"d_end_date BETWEEN {start} AND {end}"
    population = {"hr": active_end, "learning": done, "trainees": trained}.get(kind, "false")
    return {
        "headcount": {"number": active_end},
        "headcount_start": {"number": active_eve},
        "hires": {"number": f"{hire} BETWEEN {start} AND {end}"},
        "exits": {"number": f"{leave} BETWEEN {start} AND {end}"},
        "attrition_rate": {"exits": f"{leave} BETWEEN {start} AND {end}", "start": active_eve,
                           "end": active_end},
        "share_women": {"population": population},
        "completions": {"number": done},
        "people_completed": {"number": done},
        "trainees": {"number": trained},
    }[measure]  # fmt: skip


def aggregate_sql(part: str, condition: str, distinct_people: bool, columns: Columns) -> str:
    if distinct_people and columns.has("person_id"):
        return f"count(DISTINCT pid) FILTER (WHERE {condition}) AS {quote(part)}"
    return f"count(*) FILTER (WHERE {condition}) AS {quote(part)}"


def dedup_sql(kind: str, columns: Columns) -> str:
    """Keep one row of each person (rows without an id all stay): for HR the latest record (the
    latest hire, a current one before a closed one), else the first by the row's own values."""
    keys = [_key_column(name) for name in DEDUP_KEYS[kind] if columns.has(name)]
    order = []
    if kind == "hr" and columns.has("hire_date"):
        order.append("d_hire_date DESC NULLS LAST")
    if kind == "hr" and columns.has("separation_date"):
        order.append("d_separation_date DESC NULLS FIRST")
    order += [
        f"{quote(c)} NULLS LAST" for c in ("s_unit", "s_sex", "s_country") if c[2:] in columns.found
    ]
    partition = ", ".join(keys)
    return (
        f"QUALIFY pid IS NULL OR row_number() OVER (PARTITION BY {partition} "
        f"ORDER BY {', '.join(order) or 'pid'}) = 1"
    )


def duplicate_key_sql(kind: str, columns: Columns) -> str:
    """What makes two rows the same person (same course and date for learning)."""
    keys = [_key_column(name) for name in DEDUP_KEYS[kind] if columns.has(name)]
    return keys[0] if len(keys) == 1 else f"hash({', '.join(keys)})"


def _key_column(name: str) -> str:
    if name in IDENTITY_FIELDS:
        return "pid"
    return quote(("d_" if name in DATE_FIELDS else "s_") + name)


def needed_fields(spec: Spec, dims: Sequence[str], filters: Sequence[Filter]) -> list[str]:
    """Fields the run reads: the kind's required ones, dates, ages, values-mapped ones, dimensions
    and filtered ones; a column nobody asked for is never read."""
    names = [name for name, required in FIELDS[spec.kind].items() if required]
    names += [name for name in DATE_FIELDS if name in spec.columns]
    names += ["person_id", "birth_year", "age", "age_band", "sex", "unit", *spec.values]
    names += [*dims, *(f.field for f in filters)]
    return list(dict.fromkeys(name for name in names if name in spec.columns))


def spelling_lookup(spec: Spec, units: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Per categorical field: lower-cased spelling -> key, as the engine reads it."""
    lookup = {name: spec.spelling_map(name) for name in spec.values}
    lookup["sex"] = spec.sex_map()
    unit_values = spec.spelling_map("unit")
    lookup["unit"] = {**{k: units.get(v.lower(), v) for k, v in unit_values.items()}, **units}
    return lookup
