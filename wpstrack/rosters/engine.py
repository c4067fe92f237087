"""The roster engine: read a roster file in place with DuckDB and count what the rules ask.

Nothing person-level leaves this module: results are counts by unit, sex, age band and other
categories, problems are codes with row numbers and (for categories only) the unknown spellings.
Every call opens its own in-memory DuckDB with a thread and memory budget that may read only the
given file (``ROSTER_ENGINE_THREADS``, ``ROSTER_ENGINE_MEMORY``; docs/roster-mapping.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.utils.translation import gettext as _

from wpstrack.rosters import engine_sql as sql
from wpstrack.rosters.engine_read import (
    Reader,
    RosterFileError,
    detect_format,
    read_sheet,
    source_sql,
)
from wpstrack.rosters.spec import (
    DATE_FIELDS,
    NUMBER_FIELDS,
    Filter,
    Spec,
    SpecError,
    SpecProblem,
    check_against_headers,
    is_categorical,
    measure_problems,
)

__all__ = [
    "Counts",
    "Measure",
    "ProblemSummary",
    "Result",
    "RosterFileError",
    "aggregate",
    "detect_format",
    "preview",
    "read_headers",
    "spellings",
]
MAX_PROBLEM_ROWS = 10


@dataclass(frozen=True)
class Measure:
    key: str
    kind: str
    dims: tuple[str, ...]
    where: tuple[Filter, ...] = ()


@dataclass
class Counts:
    """A count (``number``) or the additive parts of a rate (``numerator``, ``denominator``)."""

    number: int | None = None
    numerator: int | None = None
    denominator: float | None = None

    @property
    def percent(self) -> float | None:
        if self.numerator is None or not self.denominator:
            return None
        return 100 * self.numerator / self.denominator


@dataclass
class ProblemSummary:
    """One problem code over the file; ``field`` lists every field it was found in ("a, b")."""

    code: str
    field: str
    count: int = 0
    rows: list[int] = dataclasses.field(default_factory=list)
    spellings: list[tuple[str, int]] = dataclasses.field(default_factory=list)


@dataclass
class Result:
    rows_read: int = 0
    rows_counted: int = 0
    unreadable: int = 0
    duplicates: int = 0
    problems: dict[str, ProblemSummary] = dataclasses.field(default_factory=dict)
    values: dict[str, dict[tuple[str, ...], Counts]] = dataclasses.field(default_factory=dict)


PARAMETER = re.compile(r"\$([a-z]\w*)")


def run(con: duckdb.DuckDBPyConnection, text: str, params: Mapping[str, Any]) -> Any:
    """Execute with just the parameters the text uses (DuckDB refuses unused ones)."""
    used = set(PARAMETER.findall(text))
    try:
        return con.execute(text, {k: v for k, v in params.items() if k in used})
    except duckdb.Error as error:
        raise RosterFileError.from_duckdb(error) from None


def arrow(con: duckdb.DuckDBPyConnection, text: str, params: Mapping[str, Any]) -> pa.Table:
    used = set(PARAMETER.findall(text))
    try:
        return con.sql(text, params={k: v for k, v in params.items() if k in used}).to_arrow_table()
    except duckdb.Error as error:
        raise RosterFileError.from_duckdb(error) from None


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


@contextmanager
def connect(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB that may read ``path`` and spill only to its own temp directory."""
    spill = tempfile.mkdtemp(prefix="wpstrack-roster-")
    con = duckdb.connect(
        config={
            "threads": _setting("ROSTER_ENGINE_THREADS", 2),
            "memory_limit": _setting("ROSTER_ENGINE_MEMORY", "800MB"),
            "temp_directory": spill,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET allowed_paths = $p", {"p": [str(path)]})
        con.execute("SET allowed_directories = $d", {"d": [spill]})
        con.execute("SET enable_external_access = false")
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def read_headers(path: Path, fmt: str, sheet: str = "") -> list[str]:
    with connect(path) as con:
        source, params = source_sql(con, path, fmt, sheet)
        return [row[0] for row in _describe(con, source, params)]


def _describe(con: duckdb.DuckDBPyConnection, source: str, params: dict[str, Any]) -> list[Any]:
    return list(run(con, f"DESCRIBE SELECT * FROM {source}", params).fetchall())  # noqa: S608


def _columns(
    con: duckdb.DuckDBPyConnection, source: str, params: dict[str, Any], spec: Spec, fmt: str
) -> sql.Columns:
    described = _describe(con, source, params)
    headers = [row[0] for row in described]
    problems = check_against_headers(spec, headers)
    if problems:
        raise SpecError(problems)
    by_name = {row[0].strip().lower(): (sql.quote(row[0]), str(row[1])) for row in described}
    found = {name: by_name[header.strip().lower()] for name, header in spec.columns.items()}
    return sql.Columns(spec, found, fmt)


def spellings(
    path: Path, fmt: str, spec: Spec, fields: list[str], limit: int = 50
) -> dict[str, list[tuple[str, int]]]:
    """The most frequent spellings of categorical fields (never ids, names, numbers or dates).
    Fields whose column the file lacks are left out: the mapping may still be a draft."""
    wanted = [name for name in fields if is_categorical(name) and name in spec.columns]
    result: dict[str, list[tuple[str, int]]] = {}
    with connect(path) as con:
        headers = [spec.columns[name] for name in wanted]
        source, params = source_sql(con, path, fmt, spec.sheet, headers)
        present = {row[0].strip().lower() for row in _describe(con, source, params)}
        found = {n: spec.columns[n] for n in wanted if spec.columns[n].strip().lower() in present}
        columns = _columns(con, source, params, replace(spec, columns=found), fmt)
        for name in found:
            text = sql.text_sql(columns, name)
            rows = run(
                con,
                f"SELECT coalesce(min({text}), ''), count(*) AS n FROM {source} "  # noqa: S608
                f"GROUP BY lower({text}) ORDER BY n DESC, 1 LIMIT {int(limit)}",
                params,
            ).fetchall()
            result[name] = [(str(value), int(count)) for value, count in rows]
    return result


def preview(
    path: Path,
    fmt: str,
    spec: Spec,
    *,
    start: dt.date,
    end: dt.date,
    units: Mapping[str, str],
    age_bands: Sequence[str],
    n: int = 10,
) -> list[dict[str, str]]:
    """The first rows as read through the mapping, with nothing that points at a person: keys
    instead of spellings, each date only as where it falls against the period."""
    reader = Reader(spec, units, age_bands)
    with connect(path) as con:
        con.execute("SET threads = 1")  # file order
        source, params = source_sql(con, path, fmt, spec.sheet, spec.columns.values())
        columns = _columns(con, source, params, spec, fmt)
        query = sql.Query(dict(params))
        base = sql.normalised_sql(columns, query, source, end=end, needed=list(spec.columns))
        cursor = run(con, f"{base} LIMIT {int(n)}", query.params)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return [_preview_row(reader, row, number + 2, start, end) for number, row in enumerate(rows)]


def _preview_row(
    reader: Reader, row: dict[str, Any], number: int, start: dt.date, end: dt.date
) -> dict[str, str]:
    shown: dict[str, str] = {"row": str(number)}
    problems = [code for code, _field, _s in reader.problems(row)]
    for name in reader.spec.columns:
        if name in DATE_FIELDS:
            shown[name] = _where_date(row, name, start, end)
        elif is_categorical(name):
            shown[name] = reader.key(name, row.get("s_" + name)) or ""
    if "age" in row or "s_age_band" in row:
        shown["age"] = reader.age_band(row)
    shown.pop("age_band", None)
    shown["problems"] = ", ".join(dict.fromkeys(problems))
    return shown


def _where_date(row: dict[str, Any], name: str, start: dt.date, end: dt.date) -> str:
    value = row.get("d_" + name)
    if row.get("bad_" + name):
        return _("unreadable")
    if value is None:
        return _("blank")
    if value < start:
        return _("before period")
    return _("in period") if value <= end else _("after period")


def aggregate(
    path: Path,
    fmt: str,
    spec: Spec,
    *,
    start: dt.date,
    end: dt.date,
    units: Mapping[str, str],
    age_bands: Sequence[str],
    measures: Sequence[Measure],
) -> Result:
    """Count every measure for the period [start, end] (both days included)."""
    _check_measures(spec, measures)
    reader = Reader(spec, units, age_bands)
    dims = list(dict.fromkeys(d for m in measures for d in m.dims))
    where = [f for m in measures for f in m.where]
    sheet = read_sheet(path, spec.sheet, spec.columns.values()) if fmt == "xlsx" else None
    with connect(path) as con:
        source, params = source_sql(con, path, fmt, spec.sheet, spec.columns.values(), sheet)
        del sheet  # DuckDB holds it now
        columns = _columns(con, source, params, spec, fmt)
        query = sql.Query(dict(params))
        needed = sql.needed_fields(spec, [d for d in dims if d != "age"], [*spec.filters, *where])
        base = sql.normalised_sql(columns, query, source, end=end, needed=needed)
        columns.read = set(needed)
        result = Result()
        keep = " AND ".join(_filter(reader, f, columns, query) for f in spec.filters) or "true"
        period = (start, end)
        # Columnar files read the person ids again cheaply; text files are read once, collecting
        # them in the grouped pass (measured: bench-rosters).
        in_pass = fmt != "parquet"
        text = _group_sql(base, keep, reader, columns, measures, query, period, people_keys=in_pass)
        groups, result.duplicates = _groups(con, text, query)
        if columns.has("person_id") and not in_pass:
            result.duplicates = _repeated_people(con, base, keep, columns, query)
        result.rows_read = sum(group["n_rows"] for group in groups)
        if result.duplicates:
            unique = f"SELECT * FROM ({base}) WHERE {keep} {sql.dedup_sql(spec.kind, columns)}"  # noqa: S608
            text = _group_sql(unique, keep, reader, columns, measures, query, period)
            groups, _repeated = _groups(con, text, query)
        _tally(result, groups, reader, measures)
        if result.problems or result.duplicates:
            _problem_rows(con, base, query, keep, result, reader, columns)
    return result


def _check_measures(spec: Spec, measures: Sequence[Measure]) -> None:
    problems: list[SpecProblem] = []
    for number, measure in enumerate(measures):
        problems += measure_problems(spec.kind, spec.columns, measure.kind, f"measures[{number}]")
        for dim in measure.dims:
            if dim not in ("age", "sex") and dim not in spec.columns:
                problems.append(
                    SpecProblem(
                        "unmapped-dimension",
                        f"measures[{number}].dims",
                        _("%(dim)s is asked for but no column is mapped to it.") % {"dim": dim},
                    )
                )
    if problems:
        raise SpecError(problems)


def _group_sql(
    base: str,
    keep: str,
    reader: Reader,
    columns: sql.Columns,
    measures: Sequence[Measure],
    query: sql.Query,
    period: tuple[dt.date, dt.date],
    *,
    people_keys: bool = False,
) -> str:
    """One row per combination of spellings, flags and age, with every measure's parts (and,
    with ``people_keys``, the list of the kept rows' person keys, to find duplicates)."""
    spec = columns.spec
    first, last = query.bind(period[0]), query.bind(period[1])
    parts = []
    for number, measure in enumerate(measures):
        conditions = sql.measure_sql(measure.kind, spec.kind, columns, first, last)
        extra = [_filter(reader, f, columns, query) for f in measure.where]
        for part, condition in conditions.items():
            full = " AND ".join([f"({condition})", f"({keep})", *extra])
            people = measure.kind in sql.PEOPLE_MEASURES or (
                measure.kind == "share_women" and spec.kind != "hr"
            )
            parts.append(sql.aggregate_sql(f"m{number}.{part}", full, people, columns))
    star = _grouped_columns(columns, measures)
    if people_keys and columns.has("person_id"):
        key = sql.duplicate_key_sql(spec.kind, columns)
        parts.append(f"list({key}) FILTER (WHERE pid IS NOT NULL AND {keep}) AS dup_keys")
    return (
        f"SELECT {star}, count(*) AS n_rows, count(*) FILTER (WHERE {keep}) AS n_kept, "  # noqa: S608
        f"{', '.join(parts) or '0 AS none'} FROM ({base}) GROUP BY ALL"
    )


def _repeated_people(
    con: duckdb.DuckDBPyConnection, base: str, keep: str, columns: sql.Columns, query: sql.Query
) -> int:
    """Rows repeating a kept person. No WHERE: a filter would stop DuckDB streaming the column
    out (measured 5x slower); blanks and rows filtered out come as NULL and are dropped here."""
    key = sql.duplicate_key_sql(columns.spec.kind, columns)
    text = f"SELECT CASE WHEN pid IS NOT NULL AND {keep} THEN {key} END AS k FROM ({base})"  # noqa: S608
    keys = _series(arrow(con, text, query.params).column("k"))
    blanks = keys.null_count()
    return len(keys) - blanks - (keys.n_unique() - (1 if blanks else 0))


def _groups(
    con: duckdb.DuckDBPyConnection, text: str, query: sql.Query
) -> tuple[list[dict[str, Any]], int]:
    """The grouped rows and, when the query collects people's keys, how many kept rows repeat a
    person: the keys are gathered in the same pass (one read of the file) and counted by Polars,
    far faster at it than a second DuckDB aggregate."""
    collect = "dup_keys" in text
    table = arrow(con, text, query.params)
    repeated = 0
    if collect:
        keys = pc.list_flatten(table.column("dup_keys"))
        repeated = len(keys) - _series(keys).n_unique() if len(keys) else 0
        table = table.drop_columns(["dup_keys"])
    return table.to_pylist(), repeated


def _series(keys: pa.ChunkedArray | pa.Array) -> pl.Series:
    """The keys as a Polars series in their Arrow chunks (n_unique needs no copy into one)."""
    series = pl.from_arrow(keys, rechunk=False)
    assert isinstance(series, pl.Series)  # an array, never a table
    return series


def _grouped_columns(columns: sql.Columns, measures: Sequence[Measure]) -> str:
    """Everything but the person id, dates (used only inside the measures' conditions) and
    categories read only for filters, blanks or duplicates: grouping by them would multiply the
    groups and split a person's rows, counting them twice in distinct counts."""
    grouped = {"unit", "sex", "age_band", *columns.spec.values}
    grouped.update(d for m in measures for d in m.dims)
    hidden = [f"s_{name}" for name in columns.read if is_categorical(name) and name not in grouped]
    hidden += [
        f"{prefix}{name}"
        for name in columns.read
        if name in DATE_FIELDS | NUMBER_FIELDS
        for prefix in ("d_", "t_")
        if prefix + name in _output_columns(columns, name)
    ]
    hidden += ["pid"] if columns.has("person_id") else []
    return f"* EXCLUDE ({', '.join(sql.quote(h) for h in hidden)})" if hidden else "*"


def _output_columns(columns: sql.Columns, name: str) -> set[str]:
    """The normalised row's columns for a date or number field."""
    if name in NUMBER_FIELDS:
        return {"t_" + name}
    return {"d_" + name, "t_" + name} if sql.is_text(columns, name) else {"d_" + name}


def _filter(reader: Reader, item: Filter, columns: sql.Columns, query: sql.Query) -> str:
    return sql.filter_sql(item, reader.spellings_for(item), columns, query)


def _tally(
    result: Result, groups: list[dict[str, Any]], reader: Reader, measures: Sequence[Measure]
) -> None:
    """Map each group's spellings to keys; a group with a blocking problem counts nowhere."""
    for measure in measures:
        result.values[measure.key] = {}
    for group in groups:
        kept = group["n_kept"]
        if not kept:
            continue
        problems = reader.problems(group)
        if problems:
            result.unreadable += kept
            for code, field_name, spelling in problems:
                summary = result.problems.setdefault(code, ProblemSummary(code, field_name))
                if field_name not in summary.field.split(", "):  # one code, several fields
                    summary.field = ", ".join(sorted([*summary.field.split(", "), field_name]))
                summary.count += kept
                if spelling is not None:
                    _add_spelling(summary, spelling, kept)
            continue
        result.rows_counted += kept
        for number, measure in enumerate(measures):
            _add(result.values[measure.key], reader, group, measure, number)
    for summary in result.problems.values():
        summary.spellings.sort(key=lambda item: (-item[1], item[0]))
    if result.duplicates:
        result.problems["duplicate-person"] = ProblemSummary(
            "duplicate-person", "person_id", result.duplicates
        )


def _add_spelling(summary: ProblemSummary, spelling: str, count: int) -> None:
    for number, (text, seen) in enumerate(summary.spellings):
        if text == spelling:
            summary.spellings[number] = (text, seen + count)
            return
    summary.spellings.append((spelling, count))


def _add(
    values: dict[tuple[str, ...], Counts],
    reader: Reader,
    group: dict[str, Any],
    measure: Measure,
    number: int,
) -> None:
    dims = tuple(d for d in measure.dims if not (measure.kind == "share_women" and d == "sex"))
    key = tuple(reader.dimension(d, group) for d in dims)
    counts = values.setdefault(key, Counts())
    part = f"m{number}."
    if measure.kind == "share_women":
        population = group[part + "population"]
        women = population if reader.key("sex", group.get("s_sex")) == "women" else 0
        counts.numerator = (counts.numerator or 0) + women
        counts.denominator = (counts.denominator or 0) + population
    elif measure.kind == "attrition_rate":
        counts.numerator = (counts.numerator or 0) + group[part + "exits"]
        mean = (group[part + "start"] + group[part + "end"]) / 2
        counts.denominator = (counts.denominator or 0) + mean
    else:
        counts.number = (counts.number or 0) + group[part + "number"]
    if not any(v for v in (counts.number, counts.numerator, counts.denominator)):
        del values[key]


def _problem_rows(
    con: duckdb.DuckDBPyConnection,
    base: str,
    query: sql.Query,
    keep: str,
    result: Result,
    reader: Reader,
    columns: sql.Columns,
) -> None:
    """The first file rows of each problem, all in one more pass, single-threaded so rows keep
    their file order; paid only when the first pass found something."""
    con.execute("SET threads = 1")
    conditions = reader.problem_conditions(result.problems, columns, query)
    if not conditions:
        return
    numbered = base.replace("SELECT ", "SELECT row_number() OVER () + 1 AS file_row, ", 1)
    flags = [f"({condition}) AS {sql.quote(code)}" for code, condition in conditions.items()]
    firsts = [
        f"min(file_row, {MAX_PROBLEM_ROWS}) FILTER (WHERE {sql.quote(code)})" for code in conditions
    ]
    found = run(
        con,
        f"SELECT {', '.join(firsts)} FROM (SELECT file_row, {', '.join(flags)} "  # noqa: S608
        f"FROM ({numbered}) WHERE {keep})",
        query.params,
    ).fetchall()[0]
    for code, rows in zip(conditions, found, strict=True):
        result.problems[code].rows = sorted(int(row) for row in rows or [])
