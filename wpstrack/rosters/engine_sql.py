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


def date_sql(columns: Columns, name: str, query: Query) -> str:
    column, kind = columns.found[name]
    if kind == "DATE":
        return column
    if kind.startswith("TIMESTAMP"):
        return f"CAST({column} AS DATE)"
    formats = list(columns.spec.date_formats)
    if columns.fmt == "xlsx":  # date cells arrive as ISO text
        formats += ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S"]
    return f"CAST(try_strptime({text_sql(columns, name)}, {query.bind(formats)}) AS DATE)"


def number_sql(columns: Columns, name: str) -> str:
    column, kind = columns.found[name]
    if kind == "VARCHAR":
        return f"TRY_CAST(trim({column}) AS DOUBLE)"
    return f"TRY_CAST({column} AS DOUBLE)"


def normalised_sql(
    columns: Columns, query: Query, *, end: dt.date, needed: Sequence[str]
) -> list[str]:
    """The select list of one row as read: s_<field> spellings, d_<field> dates, the age in years,
    and one flag per row-level problem (bad_*, blank_*, sep_before_hire)."""
    spec = columns.spec
    select: list[str] = []
    for name in needed:
        if not columns.has(name):
            continue
        if is_categorical(name):
            select.append(f"lower({text_sql(columns, name)}) AS {quote('s_' + name)}")
        elif name in DATE_FIELDS:
            parsed = date_sql(columns, name, query)
            select.append(f"{parsed} AS {quote('d_' + name)}")
            select.append(
                f"({text_sql(columns, name)} IS NOT NULL AND {parsed} IS NULL) AS {quote('bad_' + name)}"
            )
    for name in NUMBER_FIELDS & set(columns.found):
        select.extend(_age_sql(columns, name, end))
    for name, required in FIELDS[spec.kind].items():
        if required and columns.has(name) and name not in spec.blank and name != "sex":
            select.append(f"({text_sql(columns, name)} IS NULL) AS {quote('blank_' + name)}")
    if columns.has("hire_date") and columns.has("separation_date"):
        select.append(
            f"(coalesce({date_sql(columns, 'separation_date', query)} < "
            f"{date_sql(columns, 'hire_date', query)}, false)) AS sep_before_hire"
        )
    if columns.has("person_id"):
        select.append(f"{text_sql(columns, 'person_id')} AS pid")
    return select


def _age_sql(columns: Columns, name: str, end: dt.date) -> list[str]:
    number = number_sql(columns, name)
    years = f"({end.year} - {number})" if name == "birth_year" else number
    low, high = (1900, end.year) if name == "birth_year" else (0, 120)
    ok = f"({number} BETWEEN {low} AND {high} AND {number} = floor({number}))"
    return [
        f"CASE WHEN {ok} THEN CAST({years} AS INTEGER) END AS age",
        f"({text_sql(columns, name)} IS NOT NULL AND NOT coalesce({ok}, false)) AS bad_number",
    ]


def filter_sql(item: Filter, spellings: Sequence[str], columns: Columns, query: Query) -> str:
    """A filter as SQL over the normalised row; ``spellings`` are the lower-cased spellings that
    read as one of the filter's values (found by the caller through the values maps)."""
    if not columns.has(item.field):
        return "true" if item.op in ("blank", "not_in", "not_equals") else "false"
    if item.op in ("blank", "not_blank"):
        blank = f"{text_sql(columns, item.field)} IS NULL"
        return blank if item.op == "blank" else f"NOT ({blank})"
    column = quote("s_" + item.field)
    inside = f"list_contains({query.bind(list(spellings))}, {column})"
    if item.op in ("in", "equals"):
        return f"coalesce({inside}, false)"
    return f"({column} IS NULL OR NOT {inside})"


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


def duplicates_sql(kind: str, columns: Columns) -> str:
    keys = ", ".join(_key_column(name) for name in DEDUP_KEYS[kind] if columns.has(name))
    return f"count(*) FILTER (WHERE pid IS NOT NULL) - count(DISTINCT hash({keys})) FILTER (WHERE pid IS NOT NULL)"


def _key_column(name: str) -> str:
    if name in IDENTITY_FIELDS:
        return "pid"
    return quote(("d_" if name in DATE_FIELDS else "s_") + name)


def needed_fields(spec: Spec, dims: Sequence[str], filters: Sequence[Filter]) -> list[str]:
    """Fields the run reads: the kind's required ones, dates, ages, values-mapped ones, dimensions
    and filtered ones; a column nobody asked for is never read."""
    names = [name for name, required in FIELDS[spec.kind].items() if required]
    names += [name for name in DATE_FIELDS if name in spec.columns]
    names += ["age_band", "sex", "unit", *spec.values, *dims, *(f.field for f in filters)]
    return list(dict.fromkeys(name for name in names if name in spec.columns))


def spelling_lookup(spec: Spec, units: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Per categorical field: lower-cased spelling -> key, as the engine reads it."""
    lookup = {name: spec.spelling_map(name) for name in spec.values}
    lookup["sex"] = spec.sex_map()
    unit_values = spec.spelling_map("unit")
    lookup["unit"] = {**{k: units.get(v.lower(), v) for k, v in unit_values.items()}, **units}
    return lookup
