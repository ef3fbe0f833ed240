"""The reader refuses a damaged package with the catalogue's message; a bug in it surfaces as a bug."""

from __future__ import annotations

import pytest
from workbooks import ROSTER, SHEET_PART, repack, sheet_xml, workbook_bytes

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


def test_the_scan_on_the_guards_pass_finds_what_the_careful_scan_finds():
    # 3 MB of sheet XML: the guard inflates it in 1 MB chunks, so cells fall across its chunk boundaries.
    cells = []
    for r in range(1, 40_001):
        if r % 997 == 0:
            cells.append(f'<row r="{r}"><c r="A{r}"><f>B{r}*2</f></c><c r="B{r}"><v>{r}</v></c></row>')
        elif r % 1_499 == 0:
            cells.append(
                f'<row r="{r}"><c r="A{r}" t="e"><v>#N/A</v></c><c r="B{r}" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
            )
        else:
            cells.append(
                f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>名字 {r} of a row</t></is></c><c r="B{r}"><f>A{r}</f><v>{r}</v></c></row>'
            )
    xml = sheet_xml("".join(cells))
    assert len(xml) > 3 * 2**20
    data = repack(GOOD, replace={SHEET_PART: xml})
    watch = read._Watch(data)
    guard.check(data, watch=watch)
    found = watch.found()
    assert found == read._scan(data)
    formulas, errors = found["名册"]
    assert formulas == {f"A{r}" for r in range(997, 40_001, 997)}
    assert errors == {
        **{f"A{r}": "#N/A" for r in range(1_499, 40_001, 1_499) if r % 997},
        **{f"B{r}": "#DIV/0!" for r in range(1_499, 40_001, 1_499) if r % 997},
    }
    passed = read.Reading(data)
    passed.sheets()
    assert passed._first.result().scan is None  # the guard's pass was used: no second inflation


def test_a_cell_cut_by_a_chunk_boundary_is_still_found():
    xml = sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c><c r="B1"><f>A1</f></c></row>'
        '<row r="2"><c r="A2" t="e"><v>#REF!</v></c><c r="B2" s="1"/><c r="C2"><f>1/0</f><v>1</v></c></row>'
    )
    whole = read._CellFinder()
    whole.feed(xml)
    assert whole.found() == ({"B1"}, {"A2": "#REF!"})
    for cut in range(1, len(xml)):
        cells = read._CellFinder()
        cells.feed(xml[:cut])
        cells.feed(xml[cut:])
        assert cells.found() == whole.found(), cut
