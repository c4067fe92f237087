"""The roster engine: scan a roster file in place with Polars and count what the rules ask.

Nothing person-level leaves this module: results are counts by unit, sex, age band and other
categories, problems are codes with row numbers and (for categories only) the unknown spellings.
The file is scanned lazily (CSV and Parquet in place, an XLSX sheet through fastexcel to Arrow);
no row is loaded into the database and no Python loop touches a row (docs/roster-mapping.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from wpstrack.rosters import engine_frame as frame
from wpstrack.rosters import engine_keys
from wpstrack.rosters.engine_read import (
    Reader,
    RosterFileError,
    collect_schema,
    detect_format,
    first_long_row,
    parquet_dates_in_range,
    read_headers,
    scan,
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
    "Spellings",
    "aggregate",
    "detect_format",
    "looks_personal",
    "preview",
    "read_headers",
    "spellings",
]
MAX_PROBLEM_ROWS = 10
# A column whose spellings are mostly one row's own is not a category but names or ids (a mapping
# that took the wrong column, or values shifted by a stray delimiter): listing them would put
# person-level data on a page and in the run's record, so they are counted and not listed.
PERSONAL_MIN_SPELLINGS = 50


def looks_personal(spellings: int, rows: int) -> bool:
    """More than PERSONAL_MIN_SPELLINGS spellings, and more spellings than half the rows."""
    return spellings > PERSONAL_MIN_SPELLINGS and spellings * 2 > rows


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


def collect(query: pl.LazyFrame, *, streaming: bool = True) -> pl.DataFrame:
    """Run a query; a file Polars cannot read becomes a RosterFileError with a stable code.
    The streaming engine keeps memory flat however long the file is; it keeps no file order."""
    try:
        return query.collect(engine="streaming" if streaming else "in-memory")
    except (pl.exceptions.PolarsError, OSError) as error:
        raise RosterFileError.from_engine(error) from None


def collect_all(queries: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    """Several queries in one streaming pipeline, each column read once for all of them (the
    spellings of several columns; a CSV's grouping and person keys)."""
    try:
        return pl.collect_all(queries, engine="streaming")
    except (pl.exceptions.PolarsError, OSError) as error:
        raise RosterFileError.from_engine(error) from None


def _columns(scanned: pl.LazyFrame, spec: Spec) -> frame.Columns:
    schema = collect_schema(scanned)
    problems = check_against_headers(spec, list(schema.names()))
    if problems:
        raise SpecError(problems)
    by_name = {name.strip().lower(): (name, kind) for name, kind in schema.items()}
    found = {name: by_name[header.strip().lower()] for name, header in spec.columns.items()}
    return frame.Columns(spec, found)


def spellings(
    path: Path, fmt: str, spec: Spec, fields: list[str], limit: int = 50
) -> dict[str, Spellings]:
    """The most frequent spellings of categorical fields (never ids, names, numbers or dates).
    Fields whose column the file lacks are left out: the mapping may still be a draft."""
    wanted = [name for name in fields if is_categorical(name) and name in spec.columns]
    scanned = scan(path, fmt, spec.sheet, [spec.columns[name] for name in wanted])
    present = {name.strip().lower() for name in collect_schema(scanned).names()}
    found = {n: spec.columns[n] for n in wanted if spec.columns[n].strip().lower() in present}
    columns = _columns(scanned, replace(spec, columns=found))
    # Grouped by the raw cell first (a few hundred values however long the file), then trimmed
    # and lower-cased on the groups: doing it to every cell took 3.8 s on ten million rows.
    queries = [
        scanned.group_by(pl.col(columns.found[name][0]).cast(pl.String).alias("raw")).len("n")
        for name in found
    ]
    result: dict[str, Spellings] = {}
    for name, raw in zip(found, collect_all(queries), strict=True):
        text = pl.col("raw").str.strip_chars()
        grouped = (
            raw.with_columns(spelling=pl.when(text == "").then(None).otherwise(text))
            .group_by(pl.col("spelling").str.to_lowercase().alias("key"))
            .agg(pl.col("spelling").min(), pl.col("n").sum())
        )
        if looks_personal(grouped.height, int(raw["n"].sum())):
            result[name] = Spellings(withheld=grouped.height)
            continue
        rows = (
            grouped.sort(["n", "spelling"], descending=[True, False], nulls_last=True)
            .head(limit)
            .select("spelling", "n")
            .rows()
        )
        result[name] = Spellings((value or "", int(count)) for value, count in rows)
    return result


class Spellings(list[tuple[str, int]]):
    """A field's spellings with their row counts, most frequent first; when they look like names
    or ids (``looks_personal``), none, and ``withheld`` says how many there are."""

    def __init__(self, items: Iterable[tuple[str, int]] = (), *, withheld: int = 0) -> None:
        super().__init__(items)
        self.withheld = withheld


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
    scanned = scan(path, fmt, spec.sheet, spec.columns.values())
    columns = _columns(scanned, spec)
    columns.lenient_dates = True  # ten rows: every form the run could come to read
    base = frame.normalised(
        scanned.head(n + 1000),
        columns,
        end=end,
        needed=list(spec.columns),
        numbered=True,
        drop_empty=fmt == "csv",
    )
    rows = collect(base.head(n), streaming=False).to_dicts()
    return [_preview_row(reader, row, start, end) for row in rows]


def _preview_row(
    reader: Reader, row: dict[str, Any], start: dt.date, end: dt.date
) -> dict[str, str]:
    shown: dict[str, str] = {"row": str(row["file_row"])}
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
    """Count every measure for the period [start, end] (both days included).

    Two checks are cheap only on clean files, so a first count skips them and a file that needs
    them is counted once more: when dates did not read, they are trimmed and tried again, also
    with the ISO forms of ``frame.LENIENT`` when the first format is %Y-%m-%d; and HR ids made
    of spaces only are told from ids when duplicates were found. An HR id serves only to find
    duplicates, so while none is found, an id of spaces changes nothing."""
    job = Job(path, fmt, spec, (start, end), units, age_bands, measures)
    exact_ids = spec.kind != "hr"
    try:
        result = _aggregate(job, lenient=False, exact_ids=exact_ids)
        lenient = "bad-date" in result.problems
        if lenient or (result.duplicates and not exact_ids):
            result = _aggregate(job, lenient=lenient, exact_ids=True)
    except RosterFileError as error:
        # Polars refuses the row without its number: the error path alone pays for finding it.
        if error.code != "long-row" or error.row is not None or fmt != "csv":
            raise
        row = first_long_row(path)
        if row is None:
            raise
        raise RosterFileError.long_row(row) from None
    return result


@dataclass(frozen=True)
class Job:
    """What ``aggregate`` was asked, for each of its counts."""

    path: Path
    fmt: str
    spec: Spec
    period: tuple[dt.date, dt.date]
    units: Mapping[str, str]
    age_bands: Sequence[str]
    measures: Sequence[Measure]


def _aggregate(job: Job, *, lenient: bool, exact_ids: bool) -> Result:
    spec, fmt, measures, (start, end) = job.spec, job.fmt, job.measures, job.period
    _check_measures(spec, measures)
    reader = Reader(spec, job.units, job.age_bands)
    dims = list(dict.fromkeys(d for m in measures for d in m.dims))
    where = [f for m in measures for f in m.where]
    scanned = scan(job.path, fmt, spec.sheet, spec.columns.values())
    columns = _columns(scanned, spec)
    columns.lenient_dates, columns.exact_ids = lenient, exact_ids
    if fmt == "parquet":
        typed = {n: columns.found[n][0] for n in DATE_FIELDS if columns.is_typed_date(n)}
        columns.dates_in_range = parquet_dates_in_range(job.path, typed)
    needed = frame.needed_fields(spec, [d for d in dims if d != "age"], [*spec.filters, *where])
    columns.read = set(needed)

    marks = _marks(reader, columns, measures)
    counted = frame.counts_in_period(spec.kind, columns, start, end)

    def rows(numbered: bool = False) -> pl.LazyFrame:
        normal = frame.normalised(
            scanned, columns, end=end, needed=needed, numbered=numbered, drop_empty=fmt == "csv"
        )
        return normal.with_columns(marks)

    def people(in_period: bool = False) -> pl.LazyFrame:
        """The keys of the kept rows that have an id; ``in_period``: of those that count for
        something in the period. Read through a plan of its own, not ``rows()``: sharing that
        wide plan with the grouping, the streaming engine held its rows for whichever branch
        lagged (0.8-1.0 GB on a 10M-row CSV against 0.45-0.65 GB; 30M rows: 1.8 GB against
        0.86 GB). A blank line has no id, so it needs no dropping here."""
        fields = [n for n in frame.DEDUP_KEYS[spec.kind] if columns.has(n)]
        fields += [f.field for f in spec.filters]
        fields += [n for n in DATE_FIELDS if in_period and columns.has(n)]
        normal = frame.normalised(
            scanned, columns, end=end, needed=list(dict.fromkeys(fields)), drop_empty=False
        )
        key = frame.duplicate_key(spec.kind, columns)
        who = [*kept(spec), pl.col("pid").is_not_null(), *([counted] if in_period else [])]
        keep = marks[:1] if spec.filters else []
        return normal.with_columns(keep).filter(pl.all_horizontal(who)).select(key)

    grouping = _grouping(rows(), columns, measures, (start, end))
    result = Result()
    repeated = pl.Series(dtype=pl.UInt64)
    if columns.has("person_id"):
        groups, found = _grouped_and_repeated(grouping, people(), shared=fmt == "csv")
        result.rows_read = int(groups["n_rows"].sum())
        if found and not exact_ids:  # aggregate() counts again, ids of spaces told from ids
            result.duplicates = found
            _tally(result, groups.to_dicts(), reader, measures)  # for its problems
            return result
        if found:  # only records that count in the period are one person twice
            in_period = collect(people(in_period=True), streaming=False).to_series()
            repeats = engine_keys.repeats(in_period)
            result.duplicates, repeated = len(repeats), repeats.unique()
    else:
        groups = collect(grouping)
        result.rows_read = int(groups["n_rows"].sum())
    if result.duplicates:
        once = _counted_once(rows(), columns, measures, (counted, repeated), (start, end))
        groups = collect(_grouping(once, columns, measures, (start, end), once=True))
    _tally(result, groups.to_dicts(), reader, measures)
    if result.problems or result.duplicates:
        twice = counted & frame.among(spec.kind, columns, repeated)
        columns.dates_in_range = frozenset()  # every date tested, in case statistics lied
        numbered = rows(numbered=True)
        numbered = numbered.filter(KEEP) if spec.filters else numbered
        _problem_rows(numbered, result, reader, columns, twice)
    return result


KEEP = pl.col("keep")


def kept(spec: Spec) -> list[pl.Expr]:
    """The mapping's filters as a condition to add to others: none when it has none (a column
    of trues, and it in every measure, cost the 10M-row Parquet's grouping 0.015 s)."""
    return [KEEP] if spec.filters else []


def _n_kept(spec: Spec) -> pl.Expr:
    return (KEEP.sum() if spec.filters else pl.len()).alias("n_kept")


def _grouped_and_repeated(
    grouping: pl.LazyFrame, people: pl.LazyFrame, *, shared: bool
) -> tuple[pl.DataFrame, int]:
    """The grouping, and how many kept rows repeat a person's key (this cheap count compares
    every record). ``shared``: a CSV is read once for both, in one streaming pipeline (1.67-1.76
    s on 10M rows against 1.73-1.83 s one after the other). Parquet's and an XLSX sheet's keys
    are read first, on their own (a Parquet column costs less to read twice than to share: in
    one in-memory pass whole columns were cached, 1.7 GB), and counted in a thread while
    Polars groups the rows (10M-row Parquet, where numpy's sort is a SIMD sort: 0.37 s against
    0.42 s one after the other; where Polars counts, the two share the cores and it gains
    little, but costs nothing)."""
    if shared:
        groups, read = collect_all([grouping, people])
        return groups, engine_keys.repeated(read.to_series())
    keys = collect(people, streaming=False).to_series()
    with engine_keys.beside(lambda: engine_keys.repeated(keys)) as found:
        return collect(grouping), found()


def _marks(reader: Reader, columns: frame.Columns, measures: Sequence[Measure]) -> list[pl.Expr]:
    """The mapping's filters as one ``keep`` column and each rule's ``where`` as ``w<n>``,
    computed once per row: written inside every measure's aggregate, a filter that trims and
    lower-cases a column would run once per measure part."""
    filters = [_filter(reader, f, columns) for f in columns.spec.filters]
    marks = [pl.all_horizontal(filters).fill_null(False).alias("keep")] if filters else []
    for number, measure in enumerate(measures):
        if measure.where:
            where = [_filter(reader, f, columns) for f in measure.where]
            marks.append(pl.all_horizontal(where).fill_null(False).alias(f"w{number}"))
    return marks


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


def _parts(
    columns: frame.Columns, measures: Sequence[Measure], period: tuple[dt.date, dt.date]
) -> list[tuple[str, pl.Expr, bool]]:
    """Every measure's parts: its name, the condition a row meets to count in it, and whether
    it counts distinct people rather than rows."""
    kind = columns.spec.kind
    found = []
    for number, measure in enumerate(measures):
        conditions = frame.measure_exprs(measure.kind, kind, columns, *period)
        extra = [pl.col(f"w{number}")] if measure.where else []
        people = measure.kind in frame.PEOPLE_MEASURES or (
            measure.kind == "share_women" and kind != "hr"
        )
        for part, condition in conditions.items():
            full = pl.all_horizontal([condition, *kept(columns.spec), *extra])
            found.append((f"m{number}.{part}", full, people))
    return found


def _grouping(
    rows: pl.LazyFrame,
    columns: frame.Columns,
    measures: Sequence[Measure],
    period: tuple[dt.date, dt.date],
    *,
    once: bool = False,
) -> pl.LazyFrame:
    """One row per combination of spellings, flags and age, with every measure's parts;
    ``once``: rows flagged by ``_counted_once``, each part counting its flag's rows."""
    parts = [
        frame.aggregate_expr(name, pl.col(ONCE + name) if once and not people else full,
                             people, columns)
        for name, full, people in _parts(columns, measures, period)
    ]  # fmt: skip
    if once:
        repeat = pl.all_horizontal([*kept(columns.spec), pl.col(REPEAT)])
        parts.append(repeat.sum().alias("n_repeat"))
    keys = _grouped_columns(rows, columns, measures)
    flags = [key for key in keys if key.startswith(FLAG_PREFIXES)]
    if len(flags) < 2:
        return rows.group_by(keys).agg(pl.len().alias("n_rows"), _n_kept(columns.spec), *parts)
    # The row's problem flags as the bits of one key: grouping by three boolean keys more than
    # by one small number cost a 10M-row Parquet 0.02-0.04 s. Unpacked on the few grouped rows.
    packed = pl.sum_horizontal(
        pl.col(flag).cast(pl.UInt32) * (1 << bit) for bit, flag in enumerate(flags)
    ).alias(FLAGS)
    others = [key for key in keys if key not in flags]
    grouped = rows.group_by([*others, packed]).agg(
        pl.len().alias("n_rows"), _n_kept(columns.spec), *parts
    )
    unpacked = [(pl.col(FLAGS) & (1 << bit) != 0).alias(flag) for bit, flag in enumerate(flags)]
    return grouped.with_columns(unpacked).drop(FLAGS)


FLAG_PREFIXES, FLAGS = ("bad_", "blank_", "sep_before_hire"), "flags"


ONCE, REPEAT = "once:", "repeat"


def _counted_once(
    rows: pl.LazyFrame,
    columns: frame.Columns,
    measures: Sequence[Measure],
    compared: tuple[pl.Expr, pl.Series],
    period: tuple[dt.date, dt.date],
) -> pl.LazyFrame:
    """The rows with, for each part counting rows, a flag on the one row of each person that
    counts in it: of the person's rows meeting the part, the first in ``frame.dedup_sort``'s
    order (for HR the latest record), so a person who left in the period and came back in it
    is an exit of the old record and a hire of the new one. ``repeat`` marks the rows that
    repeat a person among those counting in the period (the same order): the duplicates, left
    out of the totals of rows. ``compared``: the rows that count in the period and the keys
    found repeated among them; only those people's rows are sorted, the others stream.
    Parts counting people are left to ``frame.aggregate_expr``'s distinct count."""
    counted, repeated = compared
    kind = columns.spec.kind
    key = frame.duplicate_key(kind, columns)
    parts = [(ONCE + name, full) for name, full, people in _parts(columns, measures, period)]
    twice = frame.among(kind, columns, repeated)
    meets = pl.all_horizontal([*kept(columns.spec), counted])
    plain = rows.filter(~twice).with_columns(
        *(full.alias(name) for name, full in parts), pl.lit(False).alias(REPEAT)
    )

    def first(condition: pl.Expr) -> pl.Expr:
        return condition & pl.when(condition).then(key).is_first_distinct()

    names, descending, nulls_last = frame.dedup_sort(kind, columns)
    again = rows.filter(twice)
    if names:
        again = again.sort(names, descending=descending, nulls_last=nulls_last, maintain_order=True)
    again = again.with_columns(
        *(first(full).alias(name) for name, full in parts),
        (meets & ~first(meets)).alias(REPEAT),
    )
    return pl.concat([plain, again])


def _grouped_columns(
    rows: pl.LazyFrame, columns: frame.Columns, measures: Sequence[Measure]
) -> list[str]:
    """Everything but the person id, dates (used only inside the measures' conditions) and
    categories read only for filters, blanks or duplicates: grouping by them would multiply the
    groups and split a person's rows, counting them twice in distinct counts."""
    grouped = {"unit", "sex", "age_band", *columns.spec.values}
    grouped.update(d for m in measures for d in m.dims)
    hidden = {f"s_{name}" for name in columns.read if is_categorical(name) and name not in grouped}
    hidden |= {
        f"{prefix}{name}"
        for name in columns.read
        if name in DATE_FIELDS | NUMBER_FIELDS
        for prefix in ("d_", "t_")
    }
    hidden |= {"pid", "file_row", "keep", REPEAT, *(f"w{n}" for n in range(len(measures)))}
    names = collect_schema(rows).names()
    return [name for name in names if name not in hidden and not name.startswith(ONCE)]


def _filter(reader: Reader, item: Filter, columns: frame.Columns) -> pl.Expr:
    return frame.filter_expr(item, reader.spellings_for(item), columns)


def _tally(
    result: Result, groups: list[dict[str, Any]], reader: Reader, measures: Sequence[Measure]
) -> None:
    """Map each group's spellings to keys; a group with a blocking problem counts nowhere."""
    for measure in measures:
        result.values[measure.key] = {}
    for group in groups:
        if not group["n_kept"]:
            continue
        kept = group["n_kept"] - group.get("n_repeat", 0)  # a duplicate is in no total of rows
        problems = reader.problems(group)
        if problems:
            _add_problems(result, problems, kept)
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


def _add_problems(result: Result, problems: list[tuple[str, str, str | None]], rows: int) -> None:
    """A group's problems, over its rows that are not duplicates (those are counted once)."""
    if not rows:
        return
    result.unreadable += rows
    for code, field_name, spelling in problems:
        summary = result.problems.setdefault(code, ProblemSummary(code, field_name))
        if field_name not in summary.field.split(", "):  # one code, several fields
            summary.field = ", ".join(sorted([*summary.field.split(", "), field_name]))
        summary.count += rows
        if spelling is not None:
            _add_spelling(summary, spelling, rows)


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
    kept: pl.LazyFrame, result: Result, reader: Reader, columns: frame.Columns, twice: pl.Expr
) -> None:
    """The first file rows of each problem, all in one more pass in file order (the in-memory
    engine keeps it); paid only when the first pass found something. ``twice``: the rows of
    the people found more than once among those counting in the period."""
    conditions = reader.problem_conditions(result.problems, columns, twice)
    if not conditions:
        return
    firsts = [
        pl.col("file_row").filter(condition).head(MAX_PROBLEM_ROWS).implode().alias(code)
        for code, condition in conditions.items()
    ]
    found = collect(kept.select(firsts), streaming=False).row(0)
    for code, rows in zip(conditions, found, strict=True):
        result.problems[code].rows = sorted(int(row) for row in rows or [])
