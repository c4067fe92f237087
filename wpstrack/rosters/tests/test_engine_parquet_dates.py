"""Typed Parquet dates trusted from the file's statistics: a file whose footer puts every date
within the calendar skips the per-row test, and any doubt (no statistics, a date outside the
calendar, a column that is not dates) keeps it. The counts are the same either way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from wpstrack.rosters.engine import Measure
from wpstrack.rosters.engine_read import parquet_dates_in_range
from wpstrack.rosters.tests.test_engine import HR_HEADERS, hr_spec, person, run, write_parquet

COLUMNS = {"hire_date": "EOD", "separation_date": "Separation", "unit": "Org"}


def dated_table(hires: Sequence[dt.date | None], leaves: Sequence[dt.date | None]) -> pa.Table:
    return pa.table(
        {
            "Employee ID": [f"P{n}" for n in range(len(hires))],
            "Org": ["CBP"] * len(hires),
            "Gender": ["F"] * len(hires),
            "Year of birth": ["1980"] * len(hires),
            "EOD": pa.array(hires, pa.date32()),
            "Separation": pa.array(leaves, pa.date32()),
            "Supervisory": ["N"] * len(hires),
        }
    )


def test_dates_the_statistics_put_in_the_calendar_are_trusted_and_text_columns_are_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.parquet"
    pq.write_table(dated_table([dt.date(2025, 4, 1)] * 3, [None, None, None]), path)
    # A column of nulls only has no dates to doubt; Org holds text, whatever it looks like.
    assert parquet_dates_in_range(path, COLUMNS) == {"hire_date", "separation_date"}


def test_timestamps_are_judged_by_their_day(tmp_path: Path) -> None:
    path = tmp_path / "ts.parquet"
    stamps = pa.array([dt.datetime(2025, 4, 1, 8, 30), dt.datetime(9999, 12, 31, 23, 0)])
    pq.write_table(pa.table({"EOD": stamps}), path)
    assert parquet_dates_in_range(path, {"hire_date": "EOD"}) == {"hire_date"}


def test_no_statistics_or_a_date_past_the_calendar_keeps_the_row_test(tmp_path: Path) -> None:
    bare = tmp_path / "bare.parquet"
    pq.write_table(dated_table([dt.date(2025, 4, 1)], [None]), bare, write_statistics=False)
    assert parquet_dates_in_range(bare, COLUMNS) == frozenset()
    late = tmp_path / "late.parquet"
    days = pa.array([0, 2_932_897 + 1], pa.int32()).cast(pa.date32())  # 1970; 10000-01-01
    pq.write_table(pa.table({"EOD": days}), late)
    assert parquet_dates_in_range(late, {"hire_date": "EOD"}) == frozenset()


def test_a_file_that_is_not_parquet_trusts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_bytes(b"PAR1 not really")
    assert parquet_dates_in_range(path, COLUMNS) == frozenset()


def test_a_date_without_statistics_outside_the_calendar_is_still_unreadable(
    tmp_path: Path,
) -> None:
    path = write_parquet(tmp_path / "y0.parquet", HR_HEADERS, [person("A", ""), person("B", "")])
    table = pq.read_table(path)
    days = pa.array([-719_528, 0], pa.int32()).cast(pa.date32())  # 0000-01-01, 1970-01-01
    table = table.set_column(table.schema.get_field_index("EOD"), "EOD", days)
    pq.write_table(table, path, write_statistics=False)
    result = run(path, hr_spec(), Measure("n", "headcount", ()))
    assert result.problems["bad-date"].rows == [2]
    assert result.rows_counted == 1


def test_trusted_and_tested_dates_count_the_same(tmp_path: Path) -> None:
    hires = [dt.date(2025, 4, 1), dt.date(2025, 6, 30), dt.date(2025, 7, 1), dt.date(2020, 1, 1)]
    leaves = [None, dt.date(2025, 6, 30), None, dt.date(2025, 5, 1)]
    measures = [Measure(k, k, ("unit",)) for k in ("headcount", "hires", "exits")]
    results = []
    for statistics in (True, False):
        path = tmp_path / f"s{statistics}.parquet"
        pq.write_table(dated_table(hires, leaves), path, write_statistics=statistics)
        results.append(run(path, hr_spec(), *measures))
    assert results[0] == results[1] and results[0].rows_counted == 4
