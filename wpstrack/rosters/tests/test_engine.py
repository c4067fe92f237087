"""The roster engine on small files written in tmp_path: each measure at the period's edges,
problems, duplicates, filters, age bands, and the three formats giving the same answer."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from wpstrack.rosters.engine import (
    Measure,
    RosterFileError,
    aggregate,
    detect_format,
    preview,
    read_headers,
    spellings,
)
from wpstrack.rosters.spec import Filter, Spec, parse_spec

START, END = dt.date(2025, 4, 1), dt.date(2025, 6, 30)
UNITS = {"cbp": "DHS-CBP", "ice": "DHS-ICE", "customs & border": "DHS-CBP"}
BANDS = ["under-18", "18-24", "25-34", "35-49", "50-plus", "unknown"]
HR_HEADERS = ["Employee ID", "Org", "Gender", "Year of birth", "EOD", "Separation", "Supervisory"]


def hr_spec(**extra: Any) -> Spec:
    data: dict[str, Any] = {
        "wpstrack_roster_mapping": 1,
        "name": "HR",
        "kind": "hr",
        "columns": {
            "person_id": "Employee ID",
            "unit": "Org",
            "sex": "Gender",
            "birth_year": "Year of birth",
            "hire_date": "EOD",
            "separation_date": "Separation",
            "leadership": "Supervisory",
        },
        "date_formats": ["%Y-%m-%d", "%m/%d/%Y"],
    }
    data.update(extra)
    return parse_spec(data)


def write_csv(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Staff")
    sheet.write_row(0, 0, headers)
    for number, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            sheet.write_string(number, col, value)
    book.close()
    return path


def write_parquet(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    columns = {h: [row[i] for row in rows] for i, h in enumerate(headers)}
    pq.write_table(pa.table(columns), str(path))
    return path


def run(path: Path, spec: Spec, *measures: Measure) -> Any:
    return aggregate(
        path,
        detect_format(path),
        spec,
        start=START,
        end=END,
        units=UNITS,
        age_bands=BANDS,
        measures=measures,
    )


def person(pid: str, hire: str, leave: str = "", unit: str = "CBP", sex: str = "F") -> list[str]:
    return [pid, unit, sex, "1980", hire, leave, "N"]


EDGES = [
    person("A", "2025-04-01"),  # hired on the first day
    person("B", "2025-06-30"),  # hired on the last day
    person("C", "2025-07-01"),  # hired the day after the end
    person("D", "2020-01-01", "2025-04-01"),  # left on the first day
    person("E", "2020-01-01", "2025-06-30"),  # left on the last day
    person("F", "2020-01-01", "2025-03-31"),  # left the day before the start
    person("G", "2025-05-01", "2025-05-20"),  # joined and left within the quarter
    person("H", "2019-01-01"),  # there all along
]


def total(result: Any, key: str) -> int:
    return sum(counts.number for counts in result.values[key].values())


@pytest.fixture
def edges(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "edges.csv", HR_HEADERS, EDGES)


def test_headcount_counts_people_there_at_the_end_of_the_last_day(edges: Path) -> None:
    result = run(edges, hr_spec(), Measure("n", "headcount", ()))
    assert total(result, "n") == 3  # A, B, H; E left on the last day


def test_hires_include_the_first_and_last_day_of_the_period(edges: Path) -> None:
    result = run(edges, hr_spec(), Measure("n", "hires", ()))
    assert total(result, "n") == 3  # A, B, G


def test_exits_include_the_first_and_last_day_but_not_the_day_before(edges: Path) -> None:
    result = run(edges, hr_spec(), Measure("n", "exits", ()))
    assert total(result, "n") == 3  # D, E, G


def test_headcount_at_start_is_the_end_of_the_day_before_the_period(edges: Path) -> None:
    result = run(edges, hr_spec(), Measure("n", "headcount_start", ()))
    assert total(result, "n") == 3  # D, E, H; A was hired on the first day, F left the day before


def test_a_person_who_joins_and_leaves_in_the_same_quarter_is_a_hire_and_an_exit_but_not_in_the_headcount(
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path / "g.csv", HR_HEADERS, [person("G", "2025-05-01", "2025-05-20")])
    result = run(
        path,
        hr_spec(),
        Measure("h", "hires", ()),
        Measure("x", "exits", ()),
        Measure("n", "headcount", ()),
    )
    assert (total(result, "h"), total(result, "x"), result.values["n"]) == (1, 1, {})


def test_attrition_is_exits_over_the_mean_of_headcount_at_start_and_end(edges: Path) -> None:
    result = run(edges, hr_spec(), Measure("a", "attrition_rate", ()))
    counts = result.values["a"][()]
    assert (counts.numerator, counts.denominator, counts.percent) == (3, 3.0, 100.0)


def test_blank_sex_is_other_and_share_of_women_counts_it_in_the_denominator(
    tmp_path: Path,
) -> None:
    rows = [person("1", "2020-01-01", sex="Female"), person("2", "2020-01-01", sex=""),
            person("3", "2020-01-01", sex=" m ")]  # fmt: skip
    path = write_csv(tmp_path / "sex.csv", HR_HEADERS, rows)
    result = run(
        path, hr_spec(), Measure("n", "headcount", ("sex",)), Measure("w", "share_women", ("sex",))
    )
    assert {k: v.number for k, v in result.values["n"].items()} == {
        ("women",): 1, ("other",): 1, ("men",): 1,
    }  # fmt: skip
    share = result.values["w"][()]
    assert (share.numerator, share.denominator) == (1, 3)


def test_an_unknown_unit_or_sex_spelling_makes_the_row_unreadable_with_its_spelling(
    tmp_path: Path,
) -> None:
    rows = [person("1", "2020-01-01", unit="Nowhere"), person("2", "2020-01-01", sex="Femme"),
            person("3", "2020-01-01", unit="Customs & Border")]  # fmt: skip
    path = write_csv(tmp_path / "bad.csv", HR_HEADERS, rows)
    result = run(path, hr_spec(), Measure("n", "headcount", ("unit",)))
    assert result.unreadable == 2 and result.rows_counted == 1
    assert result.problems["unknown-unit"].spellings == [("nowhere", 1)]
    assert result.problems["unknown-unit"].rows == [2]
    assert result.problems["unknown-sex"].rows == [3]
    assert {k: v.number for k, v in result.values["n"].items()} == {("DHS-CBP",): 1}


def test_row_problems_are_reported_with_their_file_rows(tmp_path: Path) -> None:
    rows = [person("1", "2020-13-45"), person("2", "2021-01-01", "2020-01-01"),
            ["3", "CBP", "F", "nineteen", "2020-01-01", "", "N"], ["4", "", "F", "1980", "2020-01-01", "", "N"]]  # fmt: skip
    path = write_csv(tmp_path / "rows.csv", HR_HEADERS, rows)
    result = run(path, hr_spec(), Measure("n", "headcount", ()))
    found = {code: (p.field, p.rows) for code, p in result.problems.items()}
    assert found == {
        "bad-date": ("hire_date", [2]),
        "separation-before-hire": ("separation_date", [3]),
        "bad-number": ("birth_year", [4]),
        "blank-required": ("unit", [5]),
    }
    assert result.values["n"] == {}


def test_filters_and_rule_where_select_rows(tmp_path: Path) -> None:
    rows = [person("1", "2020-01-01"), person("2", "2020-01-01", unit="ICE"),
            [*person("3", "2020-01-01")[:6], "Y"]]  # fmt: skip
    path = write_csv(tmp_path / "f.csv", HR_HEADERS, rows)
    spec = hr_spec(filters=[{"field": "unit", "in": ["DHS-CBP"]}])
    leaders = Measure("l", "headcount", (), (Filter("leadership", "equals", ("y",)),))
    result = run(path, spec, Measure("n", "headcount", ()), leaders)
    assert (total(result, "n"), total(result, "l"), result.rows_counted) == (2, 1, 2)


def test_age_bands_come_from_birth_year_at_the_period_end(tmp_path: Path) -> None:
    rows = [[*person(str(n), "2020-01-01")[:3], year, "2020-01-01", "", "N"]
            for n, year in enumerate(["2008", "2007", "2001", "1975", ""])]  # fmt: skip
    path = write_csv(tmp_path / "age.csv", HR_HEADERS, rows)
    result = run(path, hr_spec(), Measure("n", "headcount", ("age",)))
    assert {k[0]: v.number for k, v in result.values["n"].items()} == {
        "under-18": 1, "18-24": 2, "50-plus": 1, "unknown": 1,
    }  # fmt: skip


def test_spelled_age_bands_are_read_through_the_values_map(tmp_path: Path) -> None:
    headers = ["Org", "Gender", "Age group"]
    path = write_csv(
        tmp_path / "band.csv",
        headers,
        [["CBP", "F", "18 to 24"], ["CBP", "F", "25-34"], ["CBP", "F", ""]],
    )
    spec = parse_spec({"wpstrack_roster_mapping": 1, "name": "s", "kind": "hr",
                       "columns": {"unit": "Org", "sex": "Gender", "age_band": "Age group"},
                       "values": {"age_band": {"18 to 24": "18-24"}}})  # fmt: skip
    result = run(path, spec, Measure("n", "headcount", ("age",)))
    assert {k[0]: v.number for k, v in result.values["n"].items()} == {
        "18-24": 1, "25-34": 1, "unknown": 1,
    }  # fmt: skip


MIXED = [*EDGES, person("X", "2020-01-01", sex="Woman", unit="ICE"), person("Y", "bad", unit="ICE")]


@pytest.mark.parametrize("writer", [write_xlsx, write_parquet])
def test_xlsx_and_parquet_give_the_same_result_as_csv(tmp_path: Path, writer: Any) -> None:
    measures = [Measure(k, k, ("unit", "sex")) for k in ("headcount", "hires", "exits")]
    expected = run(write_csv(tmp_path / "r.csv", HR_HEADERS, MIXED), hr_spec(), *measures)
    suffix = ".xlsx" if writer is write_xlsx else ".parquet"
    other = run(writer(tmp_path / f"r{suffix}", HR_HEADERS, MIXED), hr_spec(), *measures)
    assert other == expected


LEARNING_HEADERS = ["Person", "Org", "Sex", "Course", "Done"]


def learning_spec() -> Spec:
    return parse_spec({"wpstrack_roster_mapping": 1, "name": "l", "kind": "learning",
                       "columns": {"person_id": "Person", "unit": "Org", "sex": "Sex",
                                   "course": "Course", "completion_date": "Done"}})  # fmt: skip


def test_learning_counts_completions_and_distinct_people(tmp_path: Path) -> None:
    rows = [["1", "CBP", "F", "WPS", "2025-05-01"], ["1", "CBP", "F", "PSEA", "2025-05-02"],
            ["2", "CBP", "M", "WPS", "2025-07-01"]]  # fmt: skip
    path = write_csv(tmp_path / "learn.csv", LEARNING_HEADERS, rows)
    spec = learning_spec()
    result = run(path, spec, Measure("c", "completions", ()), Measure("p", "people_completed", ()))
    assert (total(result, "c"), total(result, "p")) == (2, 1)


def test_trainees_are_counted_by_country_when_their_course_ends_in_the_period(
    tmp_path: Path,
) -> None:
    headers = ["Trainee", "Country", "End"]
    rows = [
        ["t1", "Ghana", "2025-04-10"],
        ["t2", "Ghana", "2025-06-30"],
        ["t3", "Nepal", "2025-03-31"],
    ]
    path = write_csv(tmp_path / "t.csv", headers, rows)
    spec = parse_spec({"wpstrack_roster_mapping": 1, "name": "t", "kind": "trainees",
                       "columns": {"person_id": "Trainee", "country": "Country", "end_date": "End"}})  # fmt: skip
    result = run(path, spec, Measure("t", "trainees", ("country",)))
    assert {k: v.number for k, v in result.values["t"].items()} == {("ghana",): 2}


def test_preview_shows_keys_and_where_dates_fall_never_ids_or_raw_dates(edges: Path) -> None:
    rows = preview(edges, "csv", hr_spec(), start=START, end=END, units=UNITS, age_bands=BANDS, n=2)
    assert rows[0] == {"row": "2", "unit": "DHS-CBP", "sex": "women", "hire_date": "in period",
                       "separation_date": "blank", "leadership": "n", "age": "35-49", "problems": ""}  # fmt: skip
    assert "A" not in str(rows) and "2025" not in str(rows)


def test_a_date_outside_the_calendar_is_unreadable_and_the_preview_says_so(
    tmp_path: Path,
) -> None:
    # Polars reads "0000-01-01" as a date of year 0, which Python cannot hold.
    path = write_csv(tmp_path / "y0.csv", HR_HEADERS, [person("A", "0000-01-01")])
    result = run(path, hr_spec(), Measure("n", "headcount", ()))
    assert result.problems["bad-date"].rows == [2]
    rows = preview(path, "csv", hr_spec(), start=START, end=END, units=UNITS, age_bands=BANDS)
    assert rows[0]["hire_date"] == "unreadable"


def test_a_typed_date_outside_the_calendar_is_unreadable(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "y0.parquet", HR_HEADERS, [person("A", ""), person("B", "")])
    days = pl.Series("EOD", [-719_528, 0], dtype=pl.Int32).cast(pl.Date)  # 0000-01-01, 1970
    pl.read_parquet(path).with_columns(days).write_parquet(path)
    result = run(path, hr_spec(), Measure("n", "headcount", ()))
    assert result.problems["bad-date"].rows == [2]
    assert result.rows_counted == 1


def test_spellings_never_list_person_ids_or_dates(edges: Path) -> None:
    found = spellings(edges, "csv", hr_spec(), ["unit", "person_id", "hire_date", "sex"])
    assert found == {"unit": [("CBP", 8)], "sex": [("F", 8)]}


def test_spellings_that_look_like_names_or_ids_are_counted_not_listed(tmp_path: Path) -> None:
    rows = [person(f"P{n}", "2020-01-01", unit="CBP", sex=f"Name {n}") for n in range(60)]
    path = write_csv(tmp_path / "names.csv", HR_HEADERS, rows)
    found = spellings(path, "csv", hr_spec(), ["unit", "sex"])
    assert (found["sex"], found["sex"].withheld) == ([], 60)
    assert (found["unit"], found["unit"].withheld) == ([("CBP", 60)], 0)


def test_spellings_of_a_draft_mapping_skip_columns_the_file_lacks(edges: Path) -> None:
    draft = Spec(name="draft", kind="hr", columns={"unit": "Org", "grade": "Grade"})
    assert spellings(edges, "csv", draft, ["unit", "grade"]) == {"unit": [("CBP", 8)]}


def test_headers_are_read_from_each_format(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "h.xlsx", HR_HEADERS, EDGES)
    assert read_headers(path, "xlsx") == HR_HEADERS


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"", "empty-file"), (b"%PDF-1.4 x", "pdf-file"),
     (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "xls-file"), (b"\x00\x01\x02binary", "not-a-table")],
)  # fmt: skip
def test_files_that_are_not_tables_are_refused_with_a_code(
    tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(content)
    with pytest.raises(RosterFileError) as refused:
        detect_format(path)
    assert refused.value.code == code


def test_a_utf8_csv_with_a_byte_order_mark_reads_its_first_header(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffOrg;Gender\nCBP;F\n".encode())
    assert read_headers(path, detect_format(path)) == ["Org", "Gender"]


def test_a_cell_far_beyond_the_data_is_refused_before_calamine_reads_it(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "bomb.xlsx"))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Org", "Gender"])
    sheet.write_string(1, 0, "CBP")
    sheet.write_string(1_048_000, 16_000, "far")
    book.close()
    with pytest.raises(RosterFileError) as refused:
        read_headers(tmp_path / "bomb.xlsx", "xlsx")
    assert refused.value.code in ("corrupt-file", "too-many-cells")


def _rewrite_sheet(path: Path, change: Any) -> Path:
    """A copy of the workbook with its first sheet's XML changed by ``change``."""
    import zipfile

    out = path.with_name("changed-" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            target.writestr(info, data)
    return out


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sheet takes the streamed scan meant for large ones."""
    from wpstrack.rosters import engine_xlsx

    monkeypatch.setattr(engine_xlsx, "SMALL_SHEET", 0)


@pytest.mark.usefixtures("streamed")
def test_a_large_sheet_as_spreadsheet_programs_write_it_passes_the_streamed_scan(
    tmp_path: Path,
) -> None:
    path = write_xlsx(tmp_path / "ok.xlsx", HR_HEADERS, EDGES)
    assert total(run(path, hr_spec(), Measure("n", "headcount", ())), "n") == 3


@pytest.fixture(params=[8 << 20, 512], ids=["one-window", "small-windows"])
def streamed_windows(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The streamed scan in one window, and in windows so small that a sheet's references and
    tags fall across their edges."""
    from wpstrack.rosters import engine_xlsx

    monkeypatch.setattr(engine_xlsx, "SMALL_SHEET", 0)
    monkeypatch.setattr(engine_xlsx, "CHUNK", request.param)


LONG_PREFIX = b"x" * 5000


@pytest.mark.usefixtures("streamed_windows")
@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda xml: xml.replace(b"</row></sheetData>", b'</row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'), "corrupt-file"),
        (lambda xml: xml.replace(b'<c r="B2"', b"<c", 1), "corrupt-file"),
        (lambda xml: xml.replace(b'<c r="B2"', b"<c r='ZZ9'", 1), "corrupt-file"),
        (lambda xml: xml.replace(b'<c r="B2"', b'<c r="B02"', 1), "corrupt-file"),
        (lambda xml: xml.replace(b"<worksheet", b'<!DOCTYPE x [<!ENTITY e "x">]><worksheet', 1), "xml-entities"),
        (lambda xml: xml.replace(b'ref="A1:G9"', b'ref="A1:ZZ900000"'), "too-many-cells"),
        (lambda xml: xml.replace(b'<c r="B2"', b'<x:c r="B2"', 1).replace(b"</c>", b"</x:c>", 1), "corrupt-file"),
        (lambda xml: xml.replace(b'<c r="B2"', b'<' + LONG_PREFIX + b':c r="B2"', 1), "corrupt-file"),
        (lambda xml: xml.replace(b'<c r="B2"', b'<c r="b2"', 1), "corrupt-file"),
        (lambda xml: xml.replace(b'<c r="B2"', b'<c r="B$2"', 1), "corrupt-file"),
        (lambda xml: xml.replace(b'<c r="B2"', b'<c r="B' + b"1" * 3000 + b'"', 1), "corrupt-file"),
        (lambda xml: xml.replace(b'<c r="B2"', b'<c r="' + b"Z" * 3000 + b'2"', 1), "corrupt-file"),
        (lambda xml: xml.replace(b'<c r="B2"', b'<c s="0" r="B2"', 1), "corrupt-file"),
        (lambda xml: xml.replace(b"</sheetData>", b"</sheetData><!-- x -->", 1), "corrupt-file"),
    ],
    ids=["far-cell", "cell-without-reference", "quoted-reference", "leading-zero", "dtd", "huge-extent",
         "prefixed-cell", "long-prefixed-cell", "lower-case", "dollar", "long-row", "long-column",
         "reference-not-first", "comment"],
)  # fmt: skip
def test_a_sheet_a_byte_scan_could_misread_is_refused_before_calamine_reads_it(
    tmp_path: Path, change: Any, code: str
) -> None:
    path = _rewrite_sheet(write_xlsx(tmp_path / "s.xlsx", HR_HEADERS, EDGES), change)
    with pytest.raises(RosterFileError) as refused:
        read_headers(path, "xlsx")
    assert refused.value.code == code


@pytest.mark.usefixtures("streamed_windows")
def test_text_that_looks_like_the_end_of_a_prefixed_cell_passes_the_streamed_scan(
    tmp_path: Path,
) -> None:
    rows = [[*person("1", "2020-01-01")[:6], "Ratio:c / note:c>x " + "y" * 700]]
    path = write_xlsx(tmp_path / "t.xlsx", HR_HEADERS, rows * 5)
    assert read_headers(path, "xlsx") == HR_HEADERS


def test_xlsx_headers_are_named_as_the_csv_reader_names_them_and_date_cells_read_as_iso(
    tmp_path: Path,
) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "h.xlsx"))
    sheet = book.add_worksheet()
    sheet.write_row(2, 1, ["Org", " org ", "", "Gender", "EOD"])  # starts at B3
    sheet.write_row(3, 1, ["CBP", "x", "y", "F"])
    sheet.write_datetime(3, 5, dt.datetime(2025, 4, 1), book.add_format({"num_format": "d/m/yy"}))
    sheet.write_row(4, 1, ["CBP", "x", "y", "F", "2025-04-02"])
    book.close()
    path = tmp_path / "h.xlsx"
    assert read_headers(path, "xlsx") == ["Org", "org_1", "column2", "Gender", "EOD"]
    spec = parse_spec({"wpstrack_roster_mapping": 1, "name": "h", "kind": "hr",
                       "columns": {"unit": "org", "sex": "GENDER", "hire_date": "EOD"}})  # fmt: skip
    result = run(path, spec, Measure("n", "hires", ()))
    assert (total(result, "n"), result.rows_read, result.problems) == (2, 2, {})


def test_spellings_are_matched_trimmed_and_in_any_case(tmp_path: Path) -> None:
    rows = [person("1", "2020-01-01", unit=" cbp ", sex=" FEMALE"), person("2", " 2020-01-01 ")]
    path = write_csv(tmp_path / "spaces.csv", HR_HEADERS, rows)
    result = run(path, hr_spec(), Measure("n", "headcount", ("unit", "sex")))
    assert {k: v.number for k, v in result.values["n"].items()} == {("DHS-CBP", "women"): 2}


def test_a_filter_on_blank_dates_keeps_the_people_still_there(tmp_path: Path) -> None:
    rows = [person("1", "2020-01-01"), person("2", "2020-01-01", "2021-01-01")]
    path = write_csv(tmp_path / "blank.csv", HR_HEADERS, rows)
    spec = hr_spec(filters=[{"field": "separation_date", "blank": True}])
    result = run(path, spec, Measure("n", "headcount_start", ()))
    assert (total(result, "n"), result.rows_counted) == (1, 1)


def test_a_messy_synthetic_roster_reports_each_kind_of_problem(tmp_path: Path) -> None:
    from wpstrack.rosters.synth import write_roster

    path = write_roster(tmp_path / "messy.csv", "hr", 3000, seed=3, messy=True)
    spec = hr_spec(values={"sex": {"Femme": "women"}})
    result = run(path, spec, Measure("n", "headcount", ("unit", "sex", "age")))
    assert {"unknown-unit", "unknown-sex", "bad-date", "separation-before-hire"} <= set(
        result.problems
    )
    assert result.duplicates > 0 and result.problems["duplicate-person"].rows
    assert result.rows_counted + result.unreadable + result.duplicates == result.rows_read
    assert all(len(p.rows) <= 10 for p in result.problems.values())


def test_the_synthetic_roster_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    from wpstrack.rosters.synth import write_roster

    first = write_roster(tmp_path / "a.csv", "trainees", 500, seed=7, messy=True).read_bytes()
    again = write_roster(tmp_path / "b.csv", "trainees", 500, seed=7, messy=True).read_bytes()
    other = write_roster(tmp_path / "c.csv", "trainees", 500, seed=8, messy=True).read_bytes()
    assert first == again != other


def test_a_spelling_outside_a_fields_values_map_is_an_unknown_value(tmp_path: Path) -> None:
    headers = [*HR_HEADERS, "Series"]
    rows = [[*person("1", "2020-01-01"), "1811"], [*person("2", "2020-01-01"), "9999"]]
    path = write_csv(tmp_path / "series.csv", headers, rows)
    columns = {**hr_spec().columns, "occupation": "Series"}
    spec = hr_spec(columns=columns, values={"occupation": {"1811": "criminal-investigator"}})
    result = run(path, spec, Measure("n", "headcount", ("occupation",)))
    assert result.problems["unknown-value"].spellings == [("9999", 1)]
    assert {k: v.number for k, v in result.values["n"].items()} == {("criminal-investigator",): 1}


def test_a_learning_row_without_its_course_or_completion_date_is_unreadable(
    tmp_path: Path,
) -> None:
    rows = [["1", "CBP", "F", "", "2025-05-01"], ["2", "CBP", "F", "WPS", ""],
            ["3", "CBP", "F", "WPS", "2025-05-01"]]  # fmt: skip
    path = write_csv(tmp_path / "learn.csv", LEARNING_HEADERS, rows)
    spec = learning_spec()
    result = run(path, spec, Measure("c", "completions", ()))
    blank = result.problems["blank-required"]
    assert (blank.field, blank.rows, total(result, "c")) == ("completion_date, course", [2, 3], 1)


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_typed_dates_in_parquet_and_date_cells_in_xlsx_read_as_the_csv_text_does(
    tmp_path: Path, suffix: str
) -> None:
    from wpstrack.rosters.synth import write_roster

    measures = [Measure(k, k, ("unit", "sex")) for k in ("headcount", "hires", "exits")]
    spec = hr_spec(
        values={"unit": {u: f"DHS-{u}" for u in ("FEMA", "USCIS", "USCG", "CISA", "FLETC", "S&T")}}
    )
    csv_result = run(write_roster(tmp_path / "r.csv", "hr", 2000, seed=5), spec, *measures)
    other = run(write_roster(tmp_path / f"r{suffix}", "hr", 2000, seed=5), spec, *measures)
    assert other == csv_result and csv_result.rows_counted > 1900


def test_a_filter_matches_a_spelling_trimmed_and_in_any_case_whatever_characters_it_holds() -> None:
    """The case-insensitive pattern that filters ASCII spellings agrees with trimming and
    lower-casing every cell, for regex characters, spaces and non-ASCII text alike."""
    import polars as pl

    from wpstrack.rosters.engine_frame import is_one_of, matched

    cells = ["S&T", " s&t ", "S&T2", "c.b", "cxb", "\tCustoms & Border ", "a|b", "A", "(x)", "x",
             "[1-2]", "1", "$^", "été", "ÉTÉ", "", "  ", None]  # fmt: skip
    for wanted in (["s&t", "c.b", "customs & border"], ["a|b", "(x)", "[1-2]", "$^"], ["été"]):
        frame = pl.DataFrame({"s": cells})
        fast = frame.select(is_one_of(pl.col("s"), wanted).fill_null(False)).to_series()
        slow = frame.select(matched(pl.col("s")).is_in(wanted).fill_null(False)).to_series()
        assert fast.to_list() == slow.to_list(), wanted


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_iso_dates_with_a_time_of_day_or_slashes_read_as_their_day(
    tmp_path: Path, writer: Any
) -> None:
    rows = [
        person("A", "2025-04-01 08:30:00"),
        person("B", "2025-06-30T17:00:00"),
        person("C", "2025/05/02"),
        person("D", "2025-05-03 09:15"),
        person("E", "2025-13-01"),  # no month 13: still unreadable
    ]
    path = writer(tmp_path / f"times.{'csv' if writer is write_csv else 'xlsx'}", HR_HEADERS, rows)
    result = run(path, hr_spec(), Measure("h", "hires", ("unit",)))
    assert total(result, "h") == 4
    assert result.problems["bad-date"].rows == [6]
    assert result.unreadable == 1


def test_dates_with_spaces_around_them_read_in_any_format_and_spaces_alone_are_blank(
    tmp_path: Path,
) -> None:
    rows = [
        person("A", " 05/02/2025 "),
        person("B", "05/03/2025\t"),
        person("C", "2020-01-01", "   "),
    ]
    path = write_csv(tmp_path / "spaced.csv", HR_HEADERS, rows)
    spec = hr_spec(date_formats=["%m/%d/%Y", "%Y-%m-%d"])
    result = run(path, spec, Measure("h", "hires", ("unit",)), Measure("n", "headcount", ("unit",)))
    assert total(result, "h") == 2 and total(result, "n") == 3
    assert not result.problems and result.unreadable == 0


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_found_even_when_cells_hold_other_delimiters(
    tmp_path: Path, delimiter: str
) -> None:
    path = tmp_path / "d.csv"
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, delimiter=delimiter)
        writer.writerow(HR_HEADERS)
        writer.writerows([[*row[:6], "Y; N, or | maybe"] for row in EDGES])
    assert read_headers(path, "csv") == HR_HEADERS
    result = run(path, hr_spec(), Measure("n", "headcount", ("unit",)))
    assert total(result, "n") == 3 and not result.problems


def test_repeated_and_blank_headers_are_named_as_a_spreadsheets_are(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("Org,Org, ,Sex\nCBP,ICE,x,F\n", encoding="utf-8")
    assert read_headers(path, "csv") == ["Org", "Org_1", "column2", "Sex"]


@pytest.mark.parametrize(
    ("content", "code"),
    [("Org,Sex\nCBP,Féminin\n".encode("latin-1"), "bad-encoding"),  # in the sniffed sample
     (("Org,Sex\n" + "CBP,F\n" * 20000 + "CBP,Féminin\n").encode("latin-1"), "bad-encoding")],
)  # fmt: skip
def test_a_csv_that_is_not_utf8_is_refused_with_what_to_do(
    tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "enc.csv"
    path.write_bytes(content)
    spec = parse_spec({"wpstrack_roster_mapping": 1, "name": "x", "kind": "hr",
                       "columns": {"unit": "Org", "sex": "Sex"}})  # fmt: skip
    with pytest.raises(RosterFileError) as refused:
        run(path, spec, Measure("n", "headcount", ("unit",)))
    assert refused.value.code == code
    assert "UTF-8" in refused.value.message


def test_a_stray_line_does_not_change_the_delimiter_and_a_long_row_is_named(tmp_path: Path) -> None:
    rows = [",".join(person(str(n), "2025-05-01")) for n in range(30)]
    rows[20] += ",Arlington, VA"  # an unquoted cell holding the delimiter
    path = tmp_path / "long.csv"
    path.write_text(",".join(HR_HEADERS) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(RosterFileError) as refused:
        read_headers(path, "csv")
    assert refused.value.code == "long-row"
    assert refused.value.message.startswith("Row 22:")
    # Beyond the sniffed sample a long row is read by its first columns, unless every column
    # is read: then the run is refused with the row's number.
    rows = rows[:20] + rows[21:] + [",".join(person(f"B{n}", "2025-05-01")) for n in range(3000)]
    rows.append(",".join(person("X", "2025-05-01")) + ",Arlington, VA")
    path.write_text(",".join(HR_HEADERS) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert total(run(path, hr_spec(), Measure("h", "hires", ("unit",))), "h") == len(rows)
    with pytest.raises(RosterFileError) as refused:  # leadership read as a dimension
        run(path, hr_spec(), Measure("h", "hires", ("leadership",)))
    assert refused.value.code == "long-row"
    assert refused.value.message.startswith(f"Row {len(rows) + 1}:")
