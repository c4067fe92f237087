"""Synthetic rosters (HR extract, learning export, trainee list) for tests, the demo and benchmarks.

Why DuckDB: ten million rows must come out in seconds, so every column is an expression over
``range(n)`` and the file is written by ``COPY``; no Python loop touches a row (XLSX excepted, which
XlsxWriter can only write cell by cell, in constant-memory mode). Each column draws from its own
``hash(row, seed, stream)``, so a seed gives the same file on every run and every machine.

``messy=True`` adds what real extracts hold: sex spelled a dozen ways or left blank, dates that are
not dates, units nobody mapped, the same person twice, a separation before the hire.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

UNITS = ("CBP", "ICE", "FEMA", "USCIS", "USCG", "CISA", "FLETC", "S&T")
SERIES = ("1811", "1896", "0083", "1801", "0343", "2210", "0301", "1102")
COURSES = ("WPS 101", "Gender analysis", "PSEA", "Negotiation", "Conflict-related sexual violence")
COUNTRIES = ("Ghana", "Kenya", "Nepal", "Indonesia", "Senegal", "Bangladesh", "Rwanda", "Peru")
MESSY_SEX = ("Female", "woman", " f ", "Male", "MAN", "m", "", "X", "Femme")
MESSY_UNITS = ("Customs & Border", "Unknown office", " cbp ")
EPOCH = dt.date(2000, 1, 1)
AS_OF_DAYS = (dt.date(2025, 12, 31) - EPOCH).days

HEADERS = {
    "hr": ("Employee ID", "Org", "Gender", "Year of birth", "EOD", "Separation", "Series",
           "Grade", "Supervisory"),
    "learning": ("Person ID", "Org", "Sex", "Year of birth", "Course", "Completed on"),
    "trainees": ("Trainee", "Country", "Sex", "Course", "Start", "End"),
}  # fmt: skip


def _draw(stream: int, modulo: int) -> str:
    """SQL for a deterministic whole number in [0, modulo) for the current row and stream."""
    return f"(hash(i, $seed, {stream}) % {modulo})::INTEGER"


def _pick(values: str, stream: int) -> str:
    return f"{values}[1 + (hash(i, $seed, {stream}) % len({values}))::INTEGER]"


def _sex(messy: bool, women: str = "470") -> str:
    """F for ``women`` per thousand (SQL, so it may depend on the row), M for the rest but 5 in
    a thousand left blank."""
    clean = (
        f"CASE WHEN {_draw(1, 1000)} < {women} THEN 'F' WHEN {_draw(1, 1000)} < 995 THEN 'M' "
        "ELSE '' END"
    )
    if not messy:
        return clean
    return f"CASE WHEN {_draw(20, 100)} < 6 THEN {_pick('$messy_sex', 21)} ELSE {clean} END"


def _unit(messy: bool) -> str:
    clean = _pick("$units", 2)
    if not messy:
        return clean
    return f"CASE WHEN {_draw(22, 1000)} < 15 THEN {_pick('$messy_units', 23)} ELSE {clean} END"


def _date(days: str, messy: bool, stream: int) -> str:
    """A DATE (clean) or text in $date_format with 1 in 200 unreadable (messy)."""
    value = f"(DATE '2000-01-01' + ({days}))"
    if not messy:
        return value
    return (
        f"CASE WHEN {value} IS NULL THEN NULL WHEN {_draw(stream, 200)} = 0 "
        f"THEN (['31/02/2020', 'not a date', '2021-13-01'])[1 + {_draw(stream + 1, 3)}] "
        f"ELSE strftime({value}, $date_format) END"
    )


# Women per thousand in an HR extract: 12% in the law-enforcement series (the first four of
# SERIES), as women are 12% of US sworn officers (policechiefmagazine.org, cited with the 30x30
# initiative in the design's DOMAIN-FACTS), 47% elsewhere; so the demo's share of women in
# law-enforcement positions looks like a real one, far below its 30x30 target.
HR_WOMEN = "(CASE WHEN (hash(i, $seed, 7) % len($series)) < 4 THEN 120 ELSE 470 END)"


def _hr_sql(messy: bool) -> str:
    hire = f"{_draw(4, AS_OF_DAYS - 30)}"
    # A quarter of the people have left, some time after their hire and before the as-of date.
    leave = (
        f"CASE WHEN {_draw(5, 100)} < 25 AND {hire} + 1 + {_draw(6, 3000)} <= {AS_OF_DAYS} "
        f"THEN {hire} + 1 + {_draw(6, 3000)} END"
    )
    if messy:  # a separation before the hire, 1 in 500
        leave = f"CASE WHEN {_draw(24, 500)} = 0 THEN {hire} - 10 ELSE {leave} END"
    person = "i" if not messy else f"CASE WHEN i > 0 AND {_draw(25, 200)} = 0 THEN i - 1 ELSE i END"
    return f"""
        SELECT printf('E%08d', {person} + 1) AS "Employee ID", {_unit(messy)} AS "Org",
               {_sex(messy, HR_WOMEN)} AS "Gender",
               CASE WHEN {"false" if not messy else _draw(26, 100) + " = 0"} THEN ''
                    ELSE (1958 + {_draw(3, 47)})::VARCHAR END AS "Year of birth",
               {_date(hire, messy, 10)} AS "EOD", {_date(leave, messy, 12)} AS "Separation",
               {_pick("$series", 7)} AS "Series", 'GS-' || (5 + {_draw(8, 11)}) AS "Grade",
               CASE WHEN {_draw(9, 100)} < 12 THEN 'Y' ELSE 'N' END AS "Supervisory"
        FROM range($n) AS t(i)"""  # noqa: S608 (no user text: generated expressions only)


def _learning_sql(messy: bool) -> str:
    # People take several courses: a person id drawn from a pool a third the size of the rows.
    return f"""
        SELECT printf('P%08d', (hash(i, $seed, 30) % greatest($n // 3, 1)) + 1) AS "Person ID",
               {_unit(messy)} AS "Org", {_sex(messy)} AS "Sex",
               (1958 + {_draw(3, 47)})::VARCHAR AS "Year of birth", {_pick("$courses", 31)} AS "Course",
               {_date(f"{AS_OF_DAYS - 3 * 365} + {_draw(32, 3 * 365)}", messy, 33)} AS "Completed on"
        FROM range($n) AS t(i)"""  # noqa: S608 (no user text: generated expressions only)


def _trainees_sql(messy: bool) -> str:
    start = f"{AS_OF_DAYS - 4 * 365} + {_draw(40, 4 * 365 - 60)}"
    return f"""
        SELECT printf('T%07d', i + 1) AS "Trainee", {_pick("$countries", 41)} AS "Country",
               {_sex(messy)} AS "Sex", {_pick("$courses", 42)} AS "Course",
               {_date(start, messy, 43)} AS "Start",
               {_date(f"{start} + 5 + {_draw(44, 40)}", messy, 45)} AS "End"
        FROM range($n) AS t(i)"""  # noqa: S608 (no user text: generated expressions only)


SQL = {"hr": _hr_sql, "learning": _learning_sql, "trainees": _trainees_sql}


def roster_relation(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    rows: int,
    *,
    seed: int = 1,
    messy: bool = False,
    date_format: str = "%Y-%m-%d",
) -> str:
    """Create the view ``roster`` holding the synthetic rows; return its name."""
    parameters: dict[str, Any] = {
        "n": rows,
        "seed": seed,
        "units": list(UNITS),
        "series": list(SERIES),
        "courses": list(COURSES),
        "countries": list(COUNTRIES),
        "messy_sex": list(MESSY_SEX),
        "messy_units": list(MESSY_UNITS),
        "date_format": date_format,
    }
    sql = SQL[kind](messy)
    used = {name: value for name, value in parameters.items() if f"${name}" in sql}
    con.execute("CREATE OR REPLACE TEMP TABLE roster AS " + sql, used)
    return "roster"


def write_roster(
    path: Path,
    kind: str,
    rows: int,
    *,
    seed: int = 1,
    messy: bool = False,
    date_format: str = "%Y-%m-%d",
) -> Path:
    """Write a synthetic roster; the format follows the suffix (.csv, .parquet, .xlsx).

    Clean rosters keep dates typed (DATE in Parquet, date cells in XLSX, ``date_format`` in CSV);
    messy ones hold dates as text, since some are deliberately unreadable."""
    fmt = path.suffix.lower().lstrip(".")
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    try:
        roster_relation(con, kind, rows, seed=seed, messy=messy, date_format=date_format)
        if fmt == "xlsx":
            _write_xlsx(con, path)
        elif fmt in ("csv", "parquet"):
            options = (
                "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true, DATEFORMAT $f"
            )
            params = {} if fmt == "parquet" else {"f": date_format}
            # COPY takes no bound file name, so the path is quoted as an SQL string literal.
            target = "'" + str(path).replace("'", "''") + "'"
            con.execute(f"COPY roster TO {target} ({options})", params)
        else:
            raise ValueError(f"unknown roster format {fmt!r}")
    finally:
        con.close()
    return path


def _write_xlsx(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """One sheet, written row by row in XlsxWriter's constant-memory mode (dates as date cells)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("Roster")
    date_cell = book.add_format({"num_format": "yyyy-mm-dd"})
    result = con.execute("SELECT * FROM roster")
    headers = [column[0] for column in result.description]
    sheet.write_row(0, 0, headers)
    number = 1
    while batch := result.fetchmany(50_000):
        for row in batch:
            for col, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(number, col, value, date_cell)
                elif value is not None:
                    sheet.write_string(number, col, value)
            number += 1
    book.close()
