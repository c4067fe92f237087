"""Which file this is, how it is scanned, and how raw spellings become keys and problems."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.utils.translation import gettext as _

from wpstrack.rosters import engine_frame as frame
from wpstrack.rosters import engine_xlsx as xlsx
from wpstrack.rosters.engine_xlsx import header_name
from wpstrack.rosters.spec import (
    DATE_FIELDS,
    FIELDS,
    AgeBand,
    Filter,
    Spec,
    is_categorical,
    parse_age_band,
)
from wpstrack.workbooks import filecheck

SEX_OTHER = "other"
T = TypeVar("T")


class RosterFileError(Exception):
    """The file cannot be read as a table; ``code`` is stable, ``message`` says what to do."""

    def __init__(self, code: str, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.row = row

    @classmethod
    def long_row(cls, row: int | None) -> RosterFileError:
        """A row with more cells than the header row; named when its number is known."""
        message = _(
            "A row has more cells than the header row has columns: a cell holds the delimiter "
            "without quotes around it, or the header lacks a column. Quote such cells or add the "
            "header, and upload the file again."
        )
        if row is not None:
            message = _("Row %(row)s: %(message)s") % {"row": row, "message": message}
        return cls("long-row", message, row)

    @classmethod
    def from_engine(cls, error: Exception) -> RosterFileError:
        """The reader's own message can quote cell values, so it is never passed on."""
        text = str(error).lower()
        if "unicode" in text or "utf-8" in text or "utf8" in text:
            return cls("bad-encoding", _("The file is not UTF-8 text; save it as CSV UTF-8."))
        if "more fields than defined" in text:
            return cls.long_row(None)
        return cls(
            "unreadable-file",
            _("The file could not be read as a table with a header row; export it again."),
        )


RAGGED_SCAN_ROWS = 2_000_000  # how far the error path looks for the row, at most


def first_long_row(path: Path) -> int | None:
    """The file row (2 = the first under the header) of the first line with more cells than the
    header, for the message; None when not found within RAGGED_SCAN_ROWS lines."""
    delimiter, headers = sniff_csv(path)
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        next(reader, None)
        for number, row in enumerate(reader, start=2):
            if len(row) > len(headers):
                return number
            if number > RAGGED_SCAN_ROWS:
                return None
    return None


def detect_format(path: Path) -> str:
    """ "csv", "xlsx" or "parquet", from the bytes, never the name."""
    with open(path, "rb") as stream:
        head = stream.read(65536)
    if not head.strip():
        raise RosterFileError("empty-file", _("The file is empty."))
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(filecheck.OLE_MAGIC):
        raise RosterFileError(
            "xls-file", _("This is an old Excel 97-2003 file (.xls): save it as .xlsx or CSV.")
        )
    if head.startswith(b"%PDF"):
        raise RosterFileError("pdf-file", _("This is a PDF, not a table: export the data as CSV."))
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_format(path)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text" is UTF-16
        raise RosterFileError(
            "bad-encoding", _("The file is UTF-16 text, not UTF-8: save it as CSV UTF-8.")
        )
    if filecheck._looks_like_text(head):
        return "csv"
    raise RosterFileError(
        "not-a-table", _("The file is neither CSV, an .xlsx workbook nor Parquet.")
    )


def _zip_format(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = {name.lower() for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError):
        raise RosterFileError("corrupt-file", _("The file is a damaged zip archive.")) from None
    if "mimetype" in names:
        raise RosterFileError(
            "ods-file", _("This is an OpenDocument spreadsheet (.ods): save it as .xlsx or CSV.")
        )
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise RosterFileError("not-a-table", _("The file is a zip archive but not an .xlsx workbook."))


def scan(
    path: Path, fmt: str, sheet: str = "", wanted: Collection[str] | None = None
) -> pl.LazyFrame:
    """The file as a lazy Polars frame whose columns are named as ``read_headers`` names them (of
    an XLSX sheet, only the ``wanted`` columns)."""
    if fmt == "csv":
        return _scan_csv(path)
    if fmt == "parquet":
        return pl.scan_parquet(path)
    if fmt != "xlsx":
        raise RosterFileError("not-a-table", _("Unknown roster format."))
    return read_sheet(path, sheet, wanted).lazy()


def parquet_dates_in_range(path: Path, columns: Mapping[str, str]) -> frozenset[str]:
    """The fields (of ``columns``: field -> column) whose every value the Parquet file's own
    statistics put within the calendar (``frame.in_range``), so no row needs that test: reading
    the footer takes 2-4 ms, and the test on two typed date columns cost a 10M-row file's count
    0.05 s. A row group without statistics, or with any outside the calendar, leaves the field
    tested row by row. A file whose statistics lie gets its dates counted as they are; listing
    a problem's rows tests every date again (``engine._aggregate``)."""
    try:
        meta = pq.read_metadata(path)
    except (OSError, pa.ArrowException):
        return frozenset()
    index = {meta.schema.column(j).path: j for j in range(meta.num_columns)}
    return frozenset(
        name
        for name, column in columns.items()
        if column in index and _in_calendar(meta, index[column])
    )


def _in_calendar(meta: Any, column: int) -> bool:
    for group in range(meta.num_row_groups):
        chunk = meta.row_group(group).column(column)
        stats = chunk.statistics
        if stats is not None and stats.has_null_count and stats.null_count == chunk.num_values:
            continue  # nothing but nulls
        try:
            if stats is None or not stats.has_min_max:
                return False
            low, high = stats.min, stats.max  # converted to Python: fails outside its calendar
        except (ValueError, OverflowError, pa.ArrowException):
            return False
        low, high = (v.date() if isinstance(v, dt.datetime) else v for v in (low, high))
        if not (isinstance(low, dt.date) and isinstance(high, dt.date)):
            return False
        if low < frame.EARLIEST or high > frame.LATEST:
            return False
    return True


def read_headers(path: Path, fmt: str, sheet: str = "") -> list[str]:
    if fmt == "csv":
        return sniff_csv(path)[1]
    if fmt == "xlsx":
        return _checked_xlsx(path, sheet, lambda name, part: xlsx.read_headers(path, name, part))
    return list(collect_schema(scan(path, fmt)).names())


def collect_schema(frame: pl.LazyFrame) -> pl.Schema:
    try:
        return frame.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as error:
        raise RosterFileError.from_engine(error) from None


def _scan_csv(path: Path) -> pl.LazyFrame:
    """Polars reads the text, with the delimiter and header names ``sniff_csv`` found."""
    delimiter, headers = sniff_csv(path)
    return pl.scan_csv(
        path,
        separator=delimiter,
        quote_char='"',
        has_header=True,
        new_columns=headers,
        infer_schema=False,
        encoding="utf8",
    )


DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 1 << 16


def sniff_csv(path: Path) -> tuple[str, list[str]]:
    """The delimiter and the header names, from the file's first 64 KB (in Python: DuckDB's
    sniffer took 0.09 s of a 0.3 s run). The delimiter is the one that splits every whole line
    of the sample into as many fields as the header, the most fields winning (a file of one
    column takes a comma); headers are named as a spreadsheet's are (``header_name``: a, a_1 for
    a repeat, column2 for a blank one)."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(SNIFF_BYTES)
    except OSError as error:
        raise RosterFileError.from_engine(error) from None
    cut = head if len(head) < SNIFF_BYTES else head[: head.rfind(b"\n") + 1] or head
    try:
        text = cut.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start < len(cut) - 3:  # not only a character cut at the sample's end
            raise RosterFileError.from_engine(error) from None
        text = cut[: error.start].decode("utf-8-sig")
    try:
        return _dialect(text)
    except csv.Error as error:  # e.g. a NUL byte, or a cell beyond the csv module's limit
        raise RosterFileError.from_engine(error) from None


def _dialect(text: str) -> tuple[str, list[str]]:
    """The delimiter that splits the header into the most fields, preferring one that splits at
    least 90% of the sample's lines as it splits the header (a stray line must not make a file
    of many columns read as one)."""
    best, best_score = ",", (False, 0)
    for delimiter in DELIMITERS:
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row]
        if not rows:
            raise RosterFileError(
                "unreadable-file", _("The file has no header row; export it again with one.")
            )
        width = len(rows[0])
        alike = sum(len(row) == width for row in rows)
        score = (width > 1 and alike >= 0.9 * len(rows), width)
        if score > best_score:
            best, best_score = delimiter, score
    reader = csv.reader(io.StringIO(text), delimiter=best)
    header = next(reader)
    for row in reader:  # the sample's rows; beyond it, see first_long_row
        if len(row) > len(header):
            raise RosterFileError.long_row(reader.line_num)
    seen: set[str] = set()
    return best, [header_name(cell, number, seen) for number, cell in enumerate(header)]


def read_sheet(path: Path, sheet: str, wanted: Collection[str] | None = None) -> pl.DataFrame:
    """An XLSX sheet's columns as text, after the hostile-file checks."""
    return _checked_xlsx(path, sheet, lambda name, part: xlsx.read_table(path, name, part, wanted))


def _checked_xlsx(path: Path, sheet: str, read: Callable[[str, str], T]) -> T:
    cap = getattr(settings, "ROSTER_XLSX_MAX_UNPACKED_MB", 4096) << 20
    try:
        return read(*xlsx.check_and_find_sheet(path, sheet, cap))
    except xlsx.XlsxRefused as refused:
        raise RosterFileError(refused.code, refused.message) from None


class Reader:
    """Spellings to keys (unit codes, women|men|other, age bands) and the problems of a group."""

    def __init__(self, spec: Spec, units: Mapping[str, str], age_bands: Sequence[str]) -> None:
        self.spec = spec
        self.lookup = frame.spelling_lookup(spec, {k.strip().lower(): v for k, v in units.items()})
        self.bands = [band for key in age_bands if (band := parse_age_band(key)) is not None]
        self.unknown_band = next((b.key for b in self.bands if b.is_unknown), "unknown")
        band_keys = {b.key.lower(): b.key for b in self.bands}
        self.lookup["age_band"] = {
            **band_keys,
            **{k: band_keys.get(v.lower(), v) for k, v in spec.spelling_map("age_band").items()},
        }

    def checked(self, name: str) -> bool:
        """Whether a spelling outside the map is a problem for this field."""
        return name in ("unit", "sex", "age_band") or name in self.spec.values

    def key(self, name: str, raw: str | None) -> str | None:
        spelling = matched(raw)
        if spelling is None:
            default = SEX_OTHER if name == "sex" else ""
            return self.spec.blank.get(name, default)
        if name in self.lookup and self.checked(name):
            return self.lookup[name].get(spelling)
        return spelling

    def age_band(self, group: Mapping[str, Any]) -> str:
        if "s_age_band" in group:
            return self.key("age_band", group["s_age_band"]) or self.unknown_band
        age = group.get("age")
        if age is None:
            return self.unknown_band
        return next((b.key for b in self.bands if _holds(b, age)), self.unknown_band)

    def dimension(self, name: str, group: Mapping[str, Any]) -> str:
        if name == "age":
            return self.age_band(group)
        if name == "sex" and "s_sex" not in group:
            return SEX_OTHER
        return self.key(name, group.get("s_" + name)) or ""

    def problems(self, group: Mapping[str, Any]) -> list[tuple[str, str, str | None]]:
        """(code, field, unknown spelling or None) for every blocking problem of the group."""
        found: list[tuple[str, str, str | None]] = []
        for column, value in group.items():
            if not value or not isinstance(value, bool):
                continue
            if column.startswith("bad_") and column[4:] in DATE_FIELDS:
                found.append(("bad-date", column[4:], None))
            elif column.startswith("blank_"):
                found.append(("blank-required", column[6:], None))
            elif column == "bad_number":
                found.append(("bad-number", self._age_field(), None))
            elif column == "sep_before_hire":
                found.append(("separation-before-hire", "separation_date", None))
        for column, raw in group.items():
            if not column.startswith("s_"):
                continue
            name, spelling = column[2:], matched(raw)
            if spelling is None and self._required(name):
                found.append(("blank-required", name, None))
            elif spelling is not None and self.checked(name) and self.key(name, raw) is None:
                found.append((_unknown_code(name), name, spelling))
        return found

    def _required(self, name: str) -> bool:
        """Whether a blank unit is a problem (other required categories carry row flags, as
        they are not always grouped; a blank sex is "other")."""
        kind_fields = FIELDS[self.spec.kind]
        return name == "unit" and kind_fields.get(name, False) and name not in self.spec.blank

    def _age_field(self) -> str:
        return "birth_year" if "birth_year" in self.spec.columns else "age"

    def spellings_for(self, item: Filter) -> list[str]:
        """Lower-cased spellings that read as one of the filter's values."""
        wanted = {value.strip().lower() for value in item.values}
        mapped = {s for s, key in self.lookup.get(item.field, {}).items() if key.lower() in wanted}
        return sorted(wanted | mapped)

    def problem_conditions(
        self, problems: Mapping[str, Any], columns: frame.Columns, twice: pl.Expr
    ) -> dict[str, pl.Expr]:
        """The condition that picks the rows of each problem code found, over the kept rows in
        file order; ``twice``: the rows of the people found more than once among the rows that
        count in the period, each but the first a duplicate."""
        conditions: dict[str, pl.Expr] = {}
        flags: dict[str, list[pl.Expr]] = {
            "bad-date": [
                pl.col(f"bad_{n}") for n in DATE_FIELDS if _flag_exists(f"bad_{n}", columns)
            ],
            "blank-required": [
                pl.col(f"blank_{n}")
                for n in self.spec.columns
                if n not in ("unit", "sex") and _flag_exists(f"blank_{n}", columns)
            ]
            + [
                frame.blank(pl.col("s_" + n))
                for n in self.spec.columns
                if is_categorical(n) and columns.has(n) and n in columns.read and self._required(n)
            ],
            "bad-number": [pl.col("bad_number")] if _flag_exists("bad_number", columns) else [],
            "separation-before-hire": [pl.col("sep_before_hire")]
            if _flag_exists("sep_before_hire", columns)
            else [],
        }
        for code, exprs in flags.items():
            if code in problems:
                conditions[code] = pl.any_horizontal(exprs) if exprs else pl.lit(False)
        for code in ("unknown-unit", "unknown-sex", "unknown-value"):
            if code in problems:
                conditions[code] = self._unknown(code, columns)
        if "duplicate-person" in problems:
            key = pl.when(twice).then(frame.duplicate_key(self.spec.kind, columns))
            conditions["duplicate-person"] = twice & ~key.is_first_distinct()
        return conditions

    def _unknown(self, code: str, columns: frame.Columns) -> pl.Expr:
        names = [
            n
            for n in self.lookup
            if columns.has(n) and self.checked(n) and _unknown_code(n) == code
        ]
        parts = [
            ~frame.blank(pl.col("s_" + n))
            & ~frame.matched(pl.col("s_" + n)).is_in(sorted(self.lookup[n])).fill_null(False)
            for n in names
        ]
        return pl.any_horizontal(parts) if parts else pl.lit(False)


def matched(raw: str | None) -> str | None:
    """A spelling as matched: trimmed and lower-cased; None when blank."""
    if raw is None:
        return None
    return raw.strip().lower() or None


def _flag_exists(name: str, columns: frame.Columns) -> bool:
    if name.startswith("bad_") and name[4:] in DATE_FIELDS:
        return columns.has(name[4:]) and name[4:] not in columns.dates_in_range
    if name.startswith("blank_"):
        field_name = name[6:]
        blank_means = is_categorical(field_name) and field_name in columns.spec.blank
        required = bool(FIELDS[columns.spec.kind].get(field_name))
        return columns.has(field_name) and required and not blank_means
    if name == "bad_number":
        return columns.has("birth_year") or columns.has("age")
    if name == "sep_before_hire":
        return columns.has("hire_date") and columns.has("separation_date")
    return True


def _unknown_code(name: str) -> str:
    return {"unit": "unknown-unit", "sex": "unknown-sex"}.get(name, "unknown-value")


def _holds(band: AgeBand, age: int) -> bool:
    if band.is_unknown:
        return False
    return (band.low is None or age >= band.low) and (band.high is None or age <= band.high)
