"""The roster engine's expressions: each row normalised, flagged and counted, as Polars expressions
over a lazy scan of the file.

Why Polars rather than DuckDB SQL: measured here (bench-rosters, 2 cores) Polars groups a 10M-row
CSV in about 1.0 s where DuckDB takes 1.3-1.7 s, and Parquet in 0.1-0.2 s where DuckDB takes
0.26-0.38 s; and it counts 10M distinct person keys in 0.2 s, which DuckDB's count(DISTINCT) takes
a second to do.

Why group by spellings and map afterwards: a unit has a handful of spellings and sex a dozen, so
the grouped result has hundreds of rows however long the file is. Mapping spellings to unit codes,
sex keys and age bands in Python over those few groups costs nothing, and unknown spellings come
out with their counts for free. Column names and user values are never code: expressions are built
from them as data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from wpstrack.rosters.spec import (
    DATE_FIELDS,
    FIELDS,
    IDENTITY_FIELDS,
    MEASURES,
    NUMBER_FIELDS,
    Filter,
    Spec,
    is_categorical,
)

DEDUP_KEYS = {"hr": ("person_id",), "learning": ("person_id", "course", "completion_date"),
              "trainees": ("person_id", "course")}  # fmt: skip
PEOPLE_MEASURES = frozenset({"people_completed", "trainees"})
HASH_SEED = 20250401  # fixed, so a person's key is the same in every pass of a run
NO_DATE = pl.lit(None, dtype=pl.Date)


@dataclass
class Columns:
    """The file's column name and Polars type for each mapped field."""

    spec: Spec
    found: dict[str, tuple[str, pl.DataType]]  # field -> (column name, type)
    read: set[str] = field(default_factory=set)  # the fields the normalised rows hold
    lenient_dates: bool = False  # trim dates and try the ISO forms of LENIENT (see parse_date)
    exact_ids: bool = True  # False: an id of spaces only is an id (see _text_or_typed)
    # Typed date fields the file's statistics put within the calendar: no row is tested, and
    # no bad_ flag is made (engine_read.parquet_dates_in_range).
    dates_in_range: frozenset[str] = frozenset()

    def has(self, name: str) -> bool:
        return name in self.found

    def is_text(self, name: str) -> bool:
        return self.found[name][1] == pl.String

    def is_typed_date(self, name: str) -> bool:
        return self.has(name) and _is_typed_date(self.found[name][1])


def blank(text: pl.Expr) -> pl.Expr:
    """No value, or only white space: one search for a character that is not white space (which
    stops at the first character of nearly every cell) rather than trimming every cell."""
    return text.is_null() | ~text.str.contains(r"\S")


def empty(trimmed: pl.Expr) -> pl.Expr:
    """Blank by length alone, no search: exact for trimmed text (dates and numbers on a lenient
    count); on untrimmed text a cell of spaces passes for a value, which the first count allows
    (``engine.aggregate`` counts again when that could matter)."""
    return trimmed.is_null() | (trimmed.str.len_bytes() == 0)


def matched(text: pl.Expr) -> pl.Expr:
    """A spelling as matched: trimmed and lower-cased (``engine_read.matched`` in Python)."""
    return text.str.strip_chars().str.to_lowercase()


def _text(columns: Columns, name: str) -> pl.Expr:
    column, kind = columns.found[name]
    return pl.col(column) if kind == pl.String else pl.col(column).cast(pl.String)


def _is_typed_date(kind: pl.DataType) -> bool:
    return kind == pl.Date or isinstance(kind, pl.Datetime)


def normalised(
    frame: pl.LazyFrame,
    columns: Columns,
    *,
    end: dt.date,
    needed: Sequence[str],
    numbered: bool = False,
    drop_empty: bool = False,
) -> pl.LazyFrame:
    """One row as read, in three steps so each value is parsed once: the text of each field
    (t_), then raw spellings (s_), dates (d_) and numbers (n_), then the age in years and one
    flag per row-level problem (bad_*, blank_*, sep_before_hire). Person ids become hashes.
    ``numbered`` adds ``file_row`` (2 for the first row under the header); ``drop_empty`` drops
    the rows with none of the read fields filled (a CSV's blank lines)."""
    fields = [name for name in dict.fromkeys(needed) if columns.has(name)]
    if numbered:
        frame = frame.with_row_index("file_row", offset=2)
    first = [_text_or_typed(columns, name) for name in fields]
    frame = frame.select(*(["file_row"] if numbered else []), *first)
    if drop_empty and fields:
        values = [c for c in frame.collect_schema().names() if c != "file_row"]
        frame = frame.filter(~pl.all_horizontal(pl.col(values).is_null()))
    frame = frame.with_columns(*(e for name in fields for e in _parsed(columns, name)))
    frame = frame.with_columns(_flags(columns, fields, end))
    numbers = [f"n_{name}" for name in fields if name in NUMBER_FIELDS]
    categorical = {f"t_{name}": f"s_{name}" for name in fields if is_categorical(name)}
    return frame.drop(numbers).rename(categorical)


def _text_or_typed(columns: Columns, name: str) -> pl.Expr:
    column, kind = columns.found[name]
    if name in DATE_FIELDS and _is_typed_date(kind):
        return pl.col(column).cast(pl.Date).alias("t_" + name)  # in range: _parsed
    text = _text(columns, name)
    if name in IDENTITY_FIELDS:  # only ever compared: a 64-bit hash, never the id itself
        # Without exact_ids only an empty cell is blank, a length test instead of a search of
        # every id (0.08 s on ten million): the caller makes sure an id of spaces cannot change
        # the result (engine.aggregate: HR ids only find duplicates; any found, exactly again).
        empty_id = blank(text) if columns.exact_ids else empty(text)
        return pl.when(empty_id).then(None).otherwise(text.hash(HASH_SEED)).alias("pid")
    if name in NUMBER_FIELDS or (name in DATE_FIELDS and columns.lenient_dates):
        # Read trimmed; the text is kept only to tell blank from bad. A first count reads dates
        # untrimmed (0.08 s less per column of ten million): a date with spaces around it is
        # then unreadable, so the count is done again leniently (engine.aggregate).
        return text.str.strip_chars().alias("t_" + name)
    return text.alias("t_" + name)


def _parsed(columns: Columns, name: str) -> list[pl.Expr]:
    text = pl.col("t_" + name)
    if name in NUMBER_FIELDS:
        return [text.cast(pl.Float64, strict=False).alias("n_" + name)]
    if name in DATE_FIELDS and columns.is_text(name):
        formats = list(columns.spec.date_formats)
        if columns.lenient_dates and formats[0] == "%Y-%m-%d":
            formats += [f for f in LENIENT if f not in formats]
        return [parse_date(text, formats).alias("d_" + name)]
    if name in DATE_FIELDS:
        return [(text if name in columns.dates_in_range else in_range(text)).alias("d_" + name)]
    return []


# ISO dates as spreadsheets and databases also write them, tried after the mapping's formats (when
# %Y-%m-%d is the first) only when a run found unreadable dates, or for a preview: each format is
# one more parse of the whole column, which the usual clean file should not pay.
LENIENT = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y/%m/%d")


def parse_date(text: pl.Expr, formats: Sequence[str]) -> pl.Expr:
    """The first format that reads the (trimmed) cell; a cell no format reads is null. Each
    format is one parse of the whole column (0.2 s on ten million cells), so the usual single
    format costs one."""
    tries = [_to_date(text, fmt) for fmt in formats]
    return in_range(tries[0] if len(tries) == 1 else pl.coalesce(tries))


# The days a date can be: Polars reads "0000-01-01" and keeps year 0 or negative years from a
# typed column, which no calendar of people has and Python (the preview, the spellings) cannot
# hold. 9999-12-31 stays: HR systems write it for "no end date", which counts as not left.
EARLIEST, LATEST = dt.date(1, 1, 1), dt.date(9999, 12, 31)


def in_range(date: pl.Expr) -> pl.Expr:
    """The date, or null (then flagged unreadable: bad_<field>) outside the calendar."""
    return pl.when(date.is_between(EARLIEST, LATEST)).then(date)


def _to_date(text: pl.Expr, fmt: str) -> pl.Expr:
    if any(f"%{d}" in fmt for d in "HMS") or "%.f" in fmt:
        return text.str.to_datetime(fmt, strict=False, time_unit="us").dt.date()
    return text.str.to_date(fmt, strict=False)


def _flags(columns: Columns, fields: Sequence[str], end: dt.date) -> list[pl.Expr]:
    spec = columns.spec
    flags = []
    for name in fields:
        if name in DATE_FIELDS and name not in columns.dates_in_range:  # no date read from it
            cell = pl.col("t_" + name)
            given = ~empty(cell) if columns.is_text(name) else cell.is_not_null()
            flags.append((pl.col("d_" + name).is_null() & given).alias("bad_" + name))
        if name in NUMBER_FIELDS:
            flags.extend(_age(name, end))
    for name, required in FIELDS[spec.kind].items():
        # A blank unit is found on the grouped spellings (Reader.problems); a blank sex is "other".
        blank_means = is_categorical(name) and name in spec.blank
        if required and name in fields and name not in ("unit", "sex") and not blank_means:
            flags.append(blank_cell(columns, name, raw=True).alias("blank_" + name))
    if "hire_date" in fields and "separation_date" in fields:
        before = pl.col("d_separation_date") < pl.col("d_hire_date")
        flags.append(before.fill_null(False).alias("sep_before_hire"))
    return flags


def blank_cell(columns: Columns, name: str, *, raw: bool = False) -> pl.Expr:
    """Whether the field's cell is blank, over the normalised row (``raw``: while categorical
    fields are still named t_, as when the flags are made)."""
    if name in IDENTITY_FIELDS:
        return pl.col("pid").is_null()
    if is_categorical(name):
        return blank(pl.col(("t_" if raw else "s_") + name))
    if name in DATE_FIELDS and not columns.is_text(name):
        return pl.col("t_" + name).is_null()
    if name in DATE_FIELDS:  # blank where no date was read and the text is empty
        return pl.col("d_" + name).is_null() & empty(pl.col("t_" + name))
    return empty(pl.col("t_" + name))


def _age(name: str, end: dt.date) -> list[pl.Expr]:
    number = pl.col("n_" + name)
    years = pl.lit(end.year) - number if name == "birth_year" else number
    low, high = (1900, end.year) if name == "birth_year" else (0, 120)
    ok = number.is_between(low, high) & (number == number.floor())
    return [
        pl.when(ok).then(years.cast(pl.Int32)).otherwise(None).alias("age"),
        (~empty(pl.col("t_" + name)) & ~ok.fill_null(False)).alias("bad_number"),
    ]


def filter_expr(item: Filter, spellings: Sequence[str], columns: Columns) -> pl.Expr:
    """A filter over the normalised row; ``spellings`` are the lower-cased spellings that read
    as one of the filter's values (found by the caller through the values maps)."""
    if not columns.has(item.field):
        return pl.lit(item.op in ("blank", "not_in", "not_equals"))
    if item.op in ("blank", "not_blank"):
        empty = blank_cell(columns, item.field)
        return empty if item.op == "blank" else ~empty
    inside = is_one_of(pl.col("s_" + item.field), spellings).fill_null(False)
    return inside if item.op in ("in", "equals") else ~inside


def is_one_of(text: pl.Expr, spellings: Sequence[str]) -> pl.Expr:
    """Whether the cell, trimmed and lower-cased, is one of ``spellings`` (lower-cased). ASCII
    spellings are matched by one case-insensitive pattern, which allocates nothing: trimming
    and lower-casing every cell first cost 0.5 s on ten million rows."""
    if not spellings:
        return pl.lit(False)
    if all(s.isascii() for s in spellings):
        choices = "|".join(_escape(s) for s in sorted(spellings, key=len, reverse=True))
        return text.str.contains(rf"(?i)^\s*(?:{choices})\s*$")
    return matched(text).is_in(list(spellings))


def _escape(text: str) -> str:
    """A literal for the Rust regex syntax Polars uses (Python's re.escape escapes spaces and
    other characters Rust refuses to see escaped)."""
    return re.sub(r"([\\.+*?()|\[\]{}^$#&\-~])", r"\\\1", text)


def measure_exprs(
    measure: str, kind: str, columns: Columns, start: dt.date, end: dt.date
) -> dict[str, pl.Expr]:
    """Each part of a measure as a row condition."""
    hire = pl.col("d_hire_date") if columns.has("hire_date") else NO_DATE
    leave = pl.col("d_separation_date") if columns.has("separation_date") else NO_DATE
    active_end = (hire.is_null() | (hire <= end)) & (leave.is_null() | (leave > end))
    active_eve = (hire.is_null() | (hire < start)) & (leave.is_null() | (leave >= start))
    done = pl.col("d_completion_date").is_between(start, end) if kind == "learning" else None
    trained = pl.col("d_end_date").is_between(start, end) if kind == "trainees" else None
    population = {"hr": active_end, "learning": done, "trainees": trained}.get(kind)
    parts: dict[str, dict[str, pl.Expr | None]] = {
        "headcount": {"number": active_end},
        "headcount_start": {"number": active_eve},
        "hires": {"number": hire.is_between(start, end)},
        "exits": {"number": leave.is_between(start, end)},
        "attrition_rate": {"exits": leave.is_between(start, end), "start": active_eve,
                           "end": active_end},
        "share_women": {"population": population},
        "completions": {"number": done},
        "people_completed": {"number": done},
        "trainees": {"number": trained},
    }  # fmt: skip
    return {part: pl.lit(False) if e is None else e for part, e in parts[measure].items()}


def counts_in_period(kind: str, columns: Columns, start: dt.date, end: dt.date) -> pl.Expr:
    """True for a row that some measure of its kind counts for the period [start, end]: for HR
    a record whose time in post meets the period, for learning a completion in it, for trainees
    a course ending in it. Only such rows are compared for duplicates: a record that counts for
    nothing in the period (a post left before it, or taken up after it: a rehire) is not the
    same person counted twice, and keeping it instead of the other would lose an exit."""
    parts = [
        condition.fill_null(False)
        for measure, kinds in MEASURES.items()
        if kind in kinds
        for condition in measure_exprs(measure, kind, columns, start, end).values()
    ]
    return pl.any_horizontal(parts)


def aggregate_expr(
    part: str, condition: pl.Expr, distinct_people: bool, columns: Columns
) -> pl.Expr:
    met = condition.fill_null(False)
    if distinct_people and columns.has("person_id"):
        # A row without an id is someone, told from no one: it counts as one more person.
        pid = pl.col("pid")
        return (pid.filter(met).drop_nulls().n_unique() + (met & pid.is_null()).sum()).alias(part)
    return met.sum().alias(part)


def dedup_sort(kind: str, columns: Columns) -> tuple[list[str], list[bool], list[bool]]:
    """The order in which a person's first row is the one kept: for HR the latest record (the
    latest hire, a current one before a closed one), then the row's own spellings."""
    order: list[tuple[str, bool, bool]] = []  # column, descending, nulls last
    if kind == "hr" and columns.has("hire_date"):
        order.append(("d_hire_date", True, True))
    if kind == "hr" and columns.has("separation_date"):
        order.append(("d_separation_date", True, False))
    order += [
        ("s_" + name, False, True) for name in ("unit", "sex", "country") if columns.has(name)
    ]
    names = [name for name, _d, _n in order]
    descending = [d for _name, d, _n in order]
    nulls_last = [n for _name, _d, n in order]
    return names, descending, nulls_last


def key_columns(kind: str, columns: Columns) -> list[str]:
    """What makes two rows the same person (same course and date for learning)."""
    return [_key_column(name) for name in DEDUP_KEYS[kind] if columns.has(name)]


def duplicate_key(kind: str, columns: Columns) -> pl.Expr:
    keys = key_columns(kind, columns)
    if len(keys) == 1:
        return pl.col(keys[0])
    return pl.struct(keys).hash(HASH_SEED)


def among(kind: str, columns: Columns, keys: pl.Series) -> pl.Expr:
    """The rows whose person key is one of ``keys`` (a few repeated ones: a hash lookup per
    row, where comparing every row with every other is a sort or a table of them all)."""
    return pl.col("pid").is_not_null() & duplicate_key(kind, columns).is_in(keys.implode())


def _key_column(name: str) -> str:
    if name in IDENTITY_FIELDS:
        return "pid"
    return ("d_" if name in DATE_FIELDS else "s_") + name


def needed_fields(spec: Spec, dims: Sequence[str], filters: Sequence[Filter]) -> list[str]:
    """Fields the run reads: the kind's required ones, dates, what tells one person from another,
    ages, values-mapped ones, dimensions and filtered ones; a column nobody asked for is never
    read."""
    names = [name for name, required in FIELDS[spec.kind].items() if required]
    names += [name for name in DATE_FIELDS if name in spec.columns]
    names += ["person_id", *DEDUP_KEYS[spec.kind], "birth_year", "age", "age_band", "sex", "unit"]
    names += spec.values
    names += [*dims, *(f.field for f in filters)]
    return list(dict.fromkeys(name for name in names if name in spec.columns))


def spelling_lookup(spec: Spec, units: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Per categorical field: lower-cased spelling -> key, as the engine reads it."""
    lookup = {name: spec.spelling_map(name) for name in spec.values}
    lookup["sex"] = spec.sex_map()
    unit_values = spec.spelling_map("unit")
    lookup["unit"] = {**{k: units.get(v.lower(), v) for k, v in unit_values.items()}, **units}
    return lookup
