"""A large XLSX sheet read slab by slab gives exactly what reading it whole gives (the slab size is
made small here so that small sheets are cut into many slabs)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from wpstrack.rosters import engine_xlsx, engine_xlsx_slabs
from wpstrack.rosters.engine import Measure
from wpstrack.rosters.synth import write_roster
from wpstrack.rosters.tests.test_engine import hr_spec, run, total

WANTED = ["Employee ID", "Org", "Gender", "EOD", "Separation"]


@pytest.fixture
def small_slabs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_xlsx_slabs, "SLAB", 16 << 10)
    monkeypatch.setattr(engine_xlsx_slabs, "WINDOW", 4 << 10)


def read(path: Path, wanted: list[str] | None = WANTED) -> pl.DataFrame:
    name, part = engine_xlsx.check_and_find_sheet(path, "", 1 << 30)
    return engine_xlsx.read_table(path, name, part, wanted)


def slabs_of(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(1 for _ in engine_xlsx_slabs.workbooks(archive, "xl/worksheets/sheet1.xml"))


def test_a_sheet_read_in_slabs_is_the_sheet_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_roster(tmp_path / "hr.xlsx", "hr", 3000, messy=True)
    whole = read(path)
    monkeypatch.setattr(engine_xlsx_slabs, "SLAB", 16 << 10)
    monkeypatch.setattr(engine_xlsx_slabs, "WINDOW", 4 << 10)
    assert slabs_of(path) > 10
    assert read(path).equals(whole)
    assert whole.height == 3000 and whole.columns == WANTED


def test_every_column_and_date_cells_come_out_alike_in_slabs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_roster(tmp_path / "clean.xlsx", "hr", 2000)  # dates as date cells
    whole = read(path, None)
    monkeypatch.setattr(engine_xlsx_slabs, "SLAB", 16 << 10)
    monkeypatch.setattr(engine_xlsx_slabs, "WINDOW", 4 << 10)
    slabbed = read(path, None)
    assert slabbed.equals(whole)
    assert slabbed["EOD"].str.contains(r"^\d{4}-\d{2}-\d{2}$").all()


def test_shared_strings_are_read_in_every_slab(tmp_path: Path, small_slabs: None) -> None:
    """Excel and LibreOffice keep text in a shared table, not in the cells (as XlsxWriter does
    unless told to save memory)."""
    path = tmp_path / "shared.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Staff")
    sheet.write_row(0, 0, ["Employee ID", "Org", "Gender", "EOD", "Separation"])
    for n in range(3000):
        row = [f"E{n:05}", ("CBP", "ICE")[n % 2], "FM"[n % 3 == 0], "2020-01-01", ""]
        sheet.write_row(n + 1, 0, row)
    book.close()
    with zipfile.ZipFile(path) as archive:
        assert "xl/sharedStrings.xml" in archive.namelist()
    assert slabs_of(path) > 2
    found = read(path)
    assert found.height == 3000
    assert found["Employee ID"].to_list() == [f"E{n:05}" for n in range(3000)]
    assert found["Org"].value_counts().sort("Org").rows() == [("CBP", 1500), ("ICE", 1500)]


def test_a_sheet_whose_slabs_do_not_line_up_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cell left of the header's first column, late in the sheet, moves that slab's columns."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([None, "Org", "Gender"])
    for n in range(3000):
        sheet.append([None, "CBP", "F"])
    sheet.cell(row=2900, column=1, value="stray")
    path = tmp_path / "stray.xlsx"
    book.save(path)
    whole = read(path, ["Org", "Gender"])
    monkeypatch.setattr(engine_xlsx_slabs, "SLAB", 16 << 10)
    monkeypatch.setattr(engine_xlsx_slabs, "WINDOW", 4 << 10)
    assert slabs_of(path) > 2
    assert read(path, ["Org", "Gender"]).equals(whole)
    assert whole.height == 3000


def test_headers_of_a_large_sheet_come_from_its_first_slab(
    tmp_path: Path, small_slabs: None
) -> None:
    path = write_roster(tmp_path / "hr.xlsx", "hr", 3000, messy=True)
    name, part = engine_xlsx.check_and_find_sheet(path, "", 1 << 30)
    assert engine_xlsx.read_headers(path, name, part) == [
        "Employee ID", "Org", "Gender", "Year of birth", "EOD", "Separation", "Series", "Grade",
        "Supervisory",
    ]  # fmt: skip


def test_a_run_over_a_slabbed_sheet_counts_as_over_the_same_rows_as_csv(
    tmp_path: Path, small_slabs: None
) -> None:
    xlsx = write_roster(tmp_path / "hr.xlsx", "hr", 3000, messy=True, date_format="%Y-%m-%d")
    csv = write_roster(tmp_path / "hr.csv", "hr", 3000, messy=True, date_format="%Y-%m-%d")
    spec = hr_spec(columns={"person_id": "Employee ID", "unit": "Org", "sex": "Gender",
                            "hire_date": "EOD", "separation_date": "Separation"})  # fmt: skip
    measure = Measure("n", "headcount", ("sex",))
    from_xlsx, from_csv = run(xlsx, spec, measure), run(csv, spec, measure)
    assert (from_xlsx.rows_read, total(from_xlsx, "n")) == (
        from_csv.rows_read,
        total(from_csv, "n"),
    )
    assert from_xlsx.problems.keys() == from_csv.problems.keys()


def test_slabs_leave_out_pictures_and_other_large_sheets(tmp_path: Path, small_slabs: None) -> None:
    path = tmp_path / "pictures.xlsx"
    book = xlsxwriter.Workbook(str(path))
    notes = book.add_worksheet("Notes")
    notes.insert_image("B2", str(Path(__file__).parents[3] / "docs" / "report-iptt.png"))
    for n in range(20000):
        notes.write_row(n + 10, 0, ["note", "x" * 40])
    staff = book.add_worksheet("Staff")
    staff.write_row(0, 0, ["Org", "Gender"])
    for n in range(3000):
        staff.write_row(n + 1, 0, ["CBP", "F"])
    book.close()
    with zipfile.ZipFile(path) as archive:
        slabs = list(engine_xlsx_slabs.workbooks(archive, "xl/worksheets/sheet2.xml", 16 << 10))
    assert len(slabs) > 2
    for slab in slabs:
        with zipfile.ZipFile(io.BytesIO(slab)) as inside:
            names = inside.namelist()
            assert not [name for name in names if name.startswith("xl/media/")]
            assert len(inside.read("xl/worksheets/sheet1.xml")) < 200  # the notes, emptied
    name, part = engine_xlsx.check_and_find_sheet(path, "Staff", 1 << 30)
    found = engine_xlsx.read_table(path, name, part, ["Org", "Gender"])
    assert found.height == 3000 and found["Org"].unique().to_list() == ["CBP"]


def test_a_sheet_with_no_row_to_cut_at_is_read_whole(tmp_path: Path, small_slabs: None) -> None:
    """Rows written with a namespace prefix (<x:row>) give the cutter no boundary."""
    path = write_roster(tmp_path / "hr.xlsx", "hr", 3000)
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    sheet = sheet.replace(
        b"<worksheet ",
        b'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ',
    )
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"<row ", b"<x:row ").replace(
        b"</row>", b"</x:row>"
    )
    prefixed = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(prefixed, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with zipfile.ZipFile(prefixed) as archive, pytest.raises(engine_xlsx_slabs.NotSlabbed):
        list(engine_xlsx_slabs.workbooks(archive, "xl/worksheets/sheet1.xml"))
    assert read(prefixed).equals(read(path))
