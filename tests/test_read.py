"""The reader refuses a damaged package with the catalogue's message; a bug in it surfaces as a bug."""

from __future__ import annotations

import pytest
from workbooks import ROSTER, SHEET_PART, repack, workbook_bytes

from etl import guard, read
from etl.load import check_file, import_file

GOOD = workbook_bytes({"名册": ROSTER})


@pytest.mark.parametrize(
    "damage",
    {
        "sheet XML cut short": {SHEET_PART: b"<worksheet><sheetData><row><c r="},
        "workbook.xml not XML": {"xl/workbook.xml": b"\x00not xml"},
        "styles cut short": {"xl/styles.xml": b'<styleSheet xmlns="x"><numFmts count="1"><numFmt'},
    }.items(),
    ids=lambda case: case[0] if isinstance(case, tuple) else case,
)
def test_a_damaged_package_is_an_unreadable_workbook(damage, warehouse):
    _, parts = damage
    data = repack(GOOD, replace=parts)
    guard.check(data)  # the guard lets it through: the reader is the one to judge it
    with pytest.raises(read.UnreadableWorkbook) as refused:
        read.read_workbook(data)
    assert refused.value.key == "file.corrupt"
    assert "calamine" not in refused.value.message("en").lower()
    result = import_file(warehouse, data, "damaged.xlsx")
    assert result.status == "rejected"
    [error] = result.errors
    assert error.key == "file.corrupt"
    assert "工作簿已损坏" in error.message("zh")


@pytest.mark.parametrize("where", ["_load_sheets", "_sheet_parts", "_show_errors"])
@pytest.mark.parametrize("bug", [ValueError, KeyError, OSError, TypeError])
def test_a_bug_in_the_reader_is_not_reported_as_a_damaged_workbook(where, bug, warehouse, monkeypatch):
    def broken(*args, **kwargs):
        raise bug("a bug in the reader")

    monkeypatch.setattr(read, where, broken)
    data = workbook_bytes({"名册": ROSTER, "Sheet2": [["x"], ["#N/A"]]})
    with pytest.raises(bug, match="a bug in the reader"):
        check_file(warehouse, data, "good.xlsx")
    assert warehouse.execute("SELECT count(*) FROM import_batches").fetchone()[0] == 0


def test_a_library_misuse_is_a_bug_too(monkeypatch, warehouse):
    # fastexcel's InvalidParametersError means this program called it wrongly, whatever the file.
    load_sheet = read.fastexcel.ExcelReader.load_sheet

    def misused(self, name, **kwargs):
        return load_sheet(self, name, **{**kwargs, "dtypes": "nonsense"})

    monkeypatch.setattr(read.fastexcel.ExcelReader, "load_sheet", misused)
    with pytest.raises(read.fastexcel.InvalidParametersError):
        check_file(warehouse, GOOD, "good.xlsx")
