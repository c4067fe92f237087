"""Duplicate people in the roster engine: a person counts once, and only records that count in
the period are compared, so a post left before the period or taken up after it (a rehire) is not
a duplicate and loses no exit, hire or headcount."""

from __future__ import annotations

from pathlib import Path

import pytest

from wpstrack.rosters.engine import Measure
from wpstrack.rosters.spec import parse_spec
from wpstrack.rosters.tests.test_engine import (
    HR_HEADERS,
    LEARNING_HEADERS,
    hr_spec,
    learning_spec,
    person,
    run,
    total,
    write_csv,
    write_parquet,
    write_xlsx,
)

WRITERS = {"csv": write_csv, "parquet": write_parquet, "xlsx": write_xlsx}


def test_a_person_listed_twice_counts_once_and_is_reported(tmp_path: Path) -> None:
    rows = [person("1", "2020-01-01"), person("2", "2020-01-01"), person("1", "2020-01-01")]
    path = write_csv(tmp_path / "dup.csv", HR_HEADERS, rows)
    result = run(path, hr_spec(), Measure("n", "headcount", ()))
    assert (total(result, "n"), result.duplicates, result.rows_read) == (2, 1, 3)
    assert result.problems["duplicate-person"].rows == [4]
    assert result.unreadable == 0


def test_a_person_whose_other_row_is_filtered_out_is_no_duplicate(tmp_path: Path) -> None:
    rows = [person("1", "2020-01-01"), person("1", "2019-01-01", unit="ICE"), person("2", "")]
    path = write_csv(tmp_path / "f.csv", HR_HEADERS, rows)
    spec = hr_spec(filters=[{"field": "unit", "in": ["DHS-CBP"]}])
    result = run(path, spec, Measure("n", "headcount", ()))
    assert (total(result, "n"), result.duplicates) == (2, 0)
    both = run(path, hr_spec(), Measure("n", "headcount", ()))
    assert (total(both, "n"), both.duplicates) == (2, 1)


def test_hr_ids_of_spaces_only_are_blank_not_one_person_repeated(tmp_path: Path) -> None:
    rows = [person("  ", "2025-05-01"), person("  ", "2025-05-02"), person(" ", "2025-05-03")]
    path = write_csv(tmp_path / "spaces.csv", HR_HEADERS, rows)
    result = run(path, hr_spec(), Measure("h", "hires", ("unit",)))
    assert result.duplicates == 0 and "duplicate-person" not in result.problems
    assert total(result, "h") == 3
    rows += [person("A", "2025-05-04"), person("A", "2025-05-05")]  # one real duplicate
    path = write_csv(tmp_path / "both.csv", HR_HEADERS, rows)
    result = run(path, hr_spec(), Measure("h", "hires", ("unit",)))
    assert result.duplicates == 1 and result.problems["duplicate-person"].rows == [6]
    assert total(result, "h") == 4


@pytest.mark.parametrize("fmt", WRITERS)
def test_a_person_who_left_in_the_period_and_came_back_after_it_is_an_exit_not_a_duplicate(
    tmp_path: Path, fmt: str
) -> None:
    rows = [person("A", "2015-01-01", "2025-05-15"), person("B", "2020-01-01"),
            person("A", "2025-08-01")]  # fmt: skip
    path = WRITERS[fmt](tmp_path / f"rehired.{fmt}", HR_HEADERS, rows)
    measures = [Measure(k, k, ()) for k in ("headcount_start", "exits", "headcount", "hires")]
    result = run(path, hr_spec(), *measures)
    counted = [total(result, k) if result.values.get(k) else 0 for k in ("headcount_start",
               "exits", "headcount", "hires")]  # fmt: skip
    assert counted == [2, 1, 1, 0]
    assert result.duplicates == 0 and "duplicate-person" not in result.problems
    assert result.rows_counted == 3


def test_a_post_left_before_the_period_is_no_duplicate_of_the_current_one(tmp_path: Path) -> None:
    rows = [person("A", "2005-01-01", "2010-03-01", unit="ICE"), person("A", "2018-01-01")]
    path = write_csv(tmp_path / "returned.csv", HR_HEADERS, rows)
    result = run(path, hr_spec(), Measure("n", "headcount", ("unit",)))
    assert {k: v.number for k, v in result.values["n"].items()} == {("DHS-CBP",): 1}
    assert result.duplicates == 0 and "duplicate-person" not in result.problems


def test_two_records_of_one_person_in_the_period_count_once_as_the_latest(
    tmp_path: Path,
) -> None:
    rows = [person("A", "2020-01-01"), person("B", "2015-01-01", "2019-01-01"),
            person("A", "2021-01-01", unit="ICE"), person("B", "2016-01-01", "2018-01-01")]  # fmt: skip
    path = write_csv(tmp_path / "twice.csv", HR_HEADERS, rows)
    result = run(path, hr_spec(), Measure("n", "headcount", ("unit",)))
    assert {k: v.number for k, v in result.values["n"].items()} == {("DHS-ICE",): 1}
    assert result.duplicates == 1 and result.problems["duplicate-person"].rows == [4]


def test_a_trainee_who_took_the_course_before_counts_in_the_period_of_the_retake(
    tmp_path: Path,
) -> None:
    headers = ["Trainee", "Country", "Course", "End"]
    rows = [["t1", "Ghana", "Patrol", "2024-11-01"], ["t1", "Ghana", "Patrol", "2025-05-01"],
            ["t2", "Nepal", "Patrol", "2025-05-01"], ["t2", "Nepal", "Patrol", "2025-05-01"]]  # fmt: skip
    path = write_csv(tmp_path / "retake.csv", headers, rows)
    columns = {"person_id": "Trainee", "country": "Country", "course": "Course", "end_date": "End"}
    spec = parse_spec({"wpstrack_roster_mapping": 1, "name": "t", "kind": "trainees",
                       "columns": columns})  # fmt: skip
    result = run(path, spec, Measure("t", "trainees", ("country",)))
    assert {k: v.number for k, v in result.values["t"].items()} == {("ghana",): 1, ("nepal",): 1}
    assert result.duplicates == 1 and result.problems["duplicate-person"].rows == [5]


def test_a_person_who_left_and_came_back_within_the_period_is_an_exit_and_a_hire(
    tmp_path: Path,
) -> None:
    rows = [person("A", "2015-01-01", "2025-05-15"), person("B", "2020-01-01"),
            person("A", "2025-06-10", unit="ICE")]  # fmt: skip
    path = write_csv(tmp_path / "back.csv", HR_HEADERS, rows)
    kinds = ("headcount_start", "exits", "hires", "headcount")
    result = run(path, hr_spec(), *(Measure(k, k, ("unit",)) for k in kinds))
    found = {k: {u[0]: c.number for u, c in result.values[k].items()} for k in kinds}
    assert found == {
        "headcount_start": {"DHS-CBP": 2},
        "exits": {"DHS-CBP": 1},
        "hires": {"DHS-ICE": 1},
        "headcount": {"DHS-CBP": 1, "DHS-ICE": 1},
    }
    attrition = run(path, hr_spec(), Measure("a", "attrition_rate", ())).values["a"][()]
    assert (attrition.numerator, attrition.denominator) == (1, 2.0)
    assert result.problems["duplicate-person"].rows == [4]
    assert (result.rows_read, result.rows_counted, result.duplicates) == (3, 2, 1)


def test_a_completion_recorded_twice_counts_once_and_another_course_counts_again(
    tmp_path: Path,
) -> None:
    rows = [["1", "CBP", "F", "WPS", "2025-05-01"], ["1", "CBP", "F", "WPS", "2025-05-01"],
            ["1", "CBP", "F", "PSEA", "2025-05-01"], ["2", "ICE", "M", "WPS", "2025-06-01"]]  # fmt: skip
    path = write_csv(tmp_path / "learn.csv", LEARNING_HEADERS, rows)
    result = run(
        path, learning_spec(), Measure("c", "completions", ()), Measure("p", "people_completed", ())
    )
    assert (total(result, "c"), total(result, "p"), result.duplicates) == (3, 2, 1)
    assert result.problems["duplicate-person"].rows == [3]


def test_an_unreadable_record_of_a_person_listed_twice_is_counted_once_among_the_rows(
    tmp_path: Path,
) -> None:
    rows = [person("A", "2020-01-01"), person("A", "2021-01-01", sex="Femme"),
            person("B", "2020-01-01"), person("B", "2020-01-01")]  # fmt: skip
    path = write_csv(tmp_path / "both.csv", HR_HEADERS, rows)
    result = run(path, hr_spec(), Measure("n", "headcount", ()))
    assert (result.rows_read, result.rows_counted, result.unreadable) == (4, 1, 1)
    assert result.duplicates == 2 and result.problems["duplicate-person"].rows == [3, 5]
    assert result.problems["unknown-sex"].rows == [3] and total(result, "n") == 1


def test_trainees_without_an_id_each_count_as_one_beside_those_with_one(tmp_path: Path) -> None:
    headers = ["Trainee", "Country", "Sex", "End"]
    rows = [["t1", "Ghana", "F", "2025-05-01"], ["t1", "Ghana", "F", "2025-06-01"],
            ["", "Ghana", "F", "2025-05-01"], ["", "Ghana", "M", "2025-05-02"]]  # fmt: skip
    path = write_csv(tmp_path / "noid.csv", headers, rows)
    columns = {"person_id": "Trainee", "country": "Country", "sex": "Sex", "end_date": "End"}
    spec = parse_spec({"wpstrack_roster_mapping": 1, "name": "t", "kind": "trainees",
                       "columns": columns})  # fmt: skip
    result = run(path, spec, Measure("t", "trainees", ()), Measure("w", "share_women", ()))
    share = result.values["w"][()]
    assert (total(result, "t"), share.numerator, share.denominator) == (3, 2, 3)


@pytest.mark.parametrize("fmt", WRITERS)
def test_a_person_listed_twice_counts_once_in_every_format(tmp_path: Path, fmt: str) -> None:
    """Parquet's and XLSX's keys are counted in a thread beside the grouping, CSV's after it."""
    rows = [person("1", "2020-01-01"), person("2", "2020-01-01"), person("1", "2020-01-01")]
    path = WRITERS[fmt](tmp_path / f"dup.{fmt}", HR_HEADERS, rows)
    result = run(path, hr_spec(), Measure("n", "headcount", ()))
    assert (total(result, "n"), result.duplicates, result.rows_read) == (2, 1, 3)
    assert result.problems["duplicate-person"].rows == [4]
