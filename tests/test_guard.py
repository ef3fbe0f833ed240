"""Hostile and unreadable files are refused before parsing, each with its own message; nothing changes."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from workbooks import (
    BILLION_LAUGHS,
    GOOD,
    REFUSED,
    SHEET_PART,
    repack,
    rezip,
    sheet_xml,
    understate_size,
    workbook_bytes,
)

from etl import guard, read
from etl.load import import_file


def _rows_xml(rows: int) -> str:
    return "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>{r * 7}</v></c></row>' for r in range(1, rows)
    )


# Issue 12: a sheet of ~3 MB whose directory says 300 KB, and its CRC is that of the first 300 KB.
UNDERSTATED = understate_size(repack(GOOD, replace={SHEET_PART: sheet_xml(_rows_xml(60_000))}), SHEET_PART, 300_000)
# The same lie on a bomb: 20 MB of spaces declared as 900 KB is a "normal" 50:1 by the directory.
UNDERSTATED_BOMB = understate_size(
    rezip(GOOD, {"xl/worksheets/sheet9.xml": b" " * (20 * 2**20)}), "xl/worksheets/sheet9.xml", 900_000
)
UTF16_LAUGHS = b"\xff\xfe" + BILLION_LAUGHS.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode(
    "utf-16-le"
)
# A DOCTYPE used to hide behind a long comment: only the first 8 KB of a part were looked at.
LATE_DOCTYPE = BILLION_LAUGHS.replace(b"<!DOCTYPE", b"<!--" + b"x" * 20_000 + b"--><!DOCTYPE", 1)
LEGIT_UTF16 = b"\xff\xfe" + sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>').decode().replace(
    "UTF-8", "UTF-16"
).encode("utf-16-le")
CORNERS = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
WIDE_AND_TALL = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row><row r="1000000"><c r="AE1000000"><v>1</v></c></row>')
OFF_GRID = sheet_xml('<row r="1"><c r="A1"><v>1</v></c><c r="A1048577"><v>1</v></c></row>')

HOSTILE = {
    **REFUSED,
    "understated size": (UNDERSTATED, "file.corrupt"),
    "understated bomb": (UNDERSTATED_BOMB, "file.corrupt"),
    "utf-16 billion laughs": (rezip(GOOD, {"xl/sharedStrings2.xml": UTF16_LAUGHS}), "file.xml_entities"),
    "utf-16 without BOM": (rezip(GOOD, {"xl/s.xml": UTF16_LAUGHS[2:]}), "file.xml_entities"),
    "utf-32 billion laughs": (rezip(GOOD, {"xl/s.xml": BILLION_LAUGHS.decode().encode("utf-32")}), "file.xml_entities"),
    "doctype after 20 KB": (rezip(GOOD, {"xl/sharedStrings2.xml": LATE_DOCTYPE}), "file.xml_entities"),
    "utf-16 sheet": (repack(GOOD, replace={SHEET_PART: LEGIT_UTF16}), "file.xml_encoding"),
    "utf-7 declared": (
        repack(GOOD, replace={SHEET_PART: sheet_xml("").replace(b'encoding="UTF-8"', b'encoding="UTF-7"')}),
        "file.xml_encoding",
    ),
    "cells at A1 and XFD1048576": (repack(GOOD, replace={SHEET_PART: CORNERS}), "file.sheet_too_large"),
    "1,000,000 rows x 31 columns": (repack(GOOD, replace={SHEET_PART: WIDE_AND_TALL}), "file.sheet_too_large"),
    "cell beyond the grid": (repack(GOOD, replace={SHEET_PART: OFF_GRID}), "file.corrupt"),
    "unreadable sheet": (repack(GOOD, replace={SHEET_PART: b"<worksheet><sheetData><row><c r="}), "file.corrupt"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_file_refused_and_warehouse_untouched(case, warehouse):
    data, key = HOSTILE[case]
    assert import_file(warehouse, GOOD, "good.xlsx").status == "loaded"
    before = warehouse.execute("SELECT * FROM workers ORDER BY 1").fetchall()
    result = import_file(warehouse, data, f"{case}.xlsx")
    assert result.status == "rejected"
    [error] = result.errors
    assert error.key == key
    assert error.message("en") and error.message("zh")
    assert warehouse.execute("SELECT * FROM workers ORDER BY 1").fetchall() == before
    assert warehouse.execute("SELECT count(*) FROM import_batches").fetchone()[0] == 1


def test_too_large_and_too_much_uncompressed(monkeypatch):
    with pytest.raises(guard.FileRefused) as refused:
        guard.check(GOOD, max_bytes=1000)
    assert refused.value.key == "file.too_large"
    monkeypatch.setattr(guard, "MAX_TOTAL_BYTES", 10_000)
    with pytest.raises(guard.FileRefused) as refused:
        guard.check(GOOD)
    assert refused.value.key == "file.zip_total"


def test_messages_say_what_to_do():
    with pytest.raises(guard.FileRefused) as refused:
        guard.check(REFUSED["csv renamed"][0])
    assert "CSV" in str(refused.value)
    assert ".xlsx" in str(refused.value)


def test_workbook_with_no_data(warehouse):
    result = import_file(warehouse, workbook_bytes({"Sheet1": []}), "empty.xlsx")
    assert result.status == "rejected"
    assert [e.key for e in result.errors] == ["file.no_sheets"]


@pytest.mark.parametrize(
    "case", ["understated size", "understated bomb", "cells at A1 and XFD1048576", "utf-16 billion laughs"]
)
def test_refused_by_the_guard_before_the_reader_sees_it(case, warehouse, monkeypatch):
    handed = []

    def reader_must_not_run(data, *args, **kwargs):
        handed.append(len(data))
        raise AssertionError("the reader was handed a file the guard should have refused")

    monkeypatch.setattr(read.fastexcel, "read_excel", reader_must_not_run)
    data, key = HOSTILE[case]
    result = import_file(warehouse, data, f"{case}.xlsx")
    assert [e.key for e in result.errors] == [key]
    assert handed == []
    # the same file started early, as the command line does (read.Reading before the import), also with its
    # largest sheet read by a child process beside the guard: the child may be handed it (its calls are made in
    # its own memory, not recorded here); this process never is
    for early in (read.Reading(data), read.Reading(data, isolated=True)):
        result = import_file(warehouse, data, f"{case}.xlsx", reading=early)
        assert [e.key for e in result.errors] == [key]
        assert handed == []


def test_the_command_line_refuses_the_corner_cells_without_reading_them(tmp_path):
    # fastexcel would allocate 512 GB for this 9 KB file and abort the process: `load` reads its first file's
    # largest sheet in a child process beside the guard (tests/test_isolated_read.py), whose end must not be
    # the import's, and whose own words (Rust's "memory allocation of … failed") must not reach the analyst.
    data, key = HOSTILE["cells at A1 and XFD1048576"]
    assert len(data) < 16_000 and key == "file.sheet_too_large"
    path = tmp_path / "corners.xlsx"
    path.write_bytes(data)
    code = "import sys; from cli import main; sys.exit(main(sys.argv[1:]))"
    args = ["load", str(path), "--db", str(tmp_path / "w.duckdb"), "--json", "--no-progress"]
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr  # refused: not aborted (-6), not a crash
    assert done.stderr == ""
    [file] = json.loads(done.stdout)["files"]
    assert file["status"] == "rejected"
    [error] = file["errors"]
    assert "1,048,576 rows × 16,384 columns" in error["message"]


def test_the_directory_is_never_trusted_for_sizes():
    # The directory's sizes look harmless; only the bytes really inflated tell the truth.
    with zipfile.ZipFile(io.BytesIO(UNDERSTATED)) as archive:
        info = archive.getinfo(SHEET_PART)
        assert info.file_size == 300_000 and info.file_size < guard.MAX_RATIO * info.compress_size
    with zipfile.ZipFile(io.BytesIO(UNDERSTATED_BOMB)) as archive:
        info = archive.getinfo("xl/worksheets/sheet9.xml")
        assert info.file_size < guard.MAX_RATIO * info.compress_size
    for data in (UNDERSTATED, UNDERSTATED_BOMB):
        with pytest.raises(guard.FileRefused) as refused:
            guard.check(data)
        assert refused.value.key == "file.corrupt"


def test_ratio_and_total_count_real_bytes(monkeypatch):
    # A part that really expands 1000:1 is a bomb whatever its size; the total counts what came out.
    bomb = rezip(GOOD, {"xl/worksheets/sheet9.xml": b" " * (20 * 2**20)})
    with pytest.raises(guard.FileRefused) as refused:
        guard.check(bomb)
    assert refused.value.key == "file.zip_ratio" and refused.value.params["ratio"] > 100
    monkeypatch.setattr(guard, "MAX_TOTAL_BYTES", 2 * 2**20)
    spread = rezip(GOOD, {f"xl/media/image{i}.bin": os.urandom(2**20) for i in range(3)})
    with pytest.raises(guard.FileRefused) as refused:
        guard.check(spread)
    assert refused.value.key == "file.zip_total"


def test_cell_limits_let_real_sheets_through(monkeypatch):
    # A sheet reaching the last row in columns A-I (the shape of a 1,000,000-row import) passes ...
    def spanning(last: str) -> bytes:
        xml = sheet_xml(f'<row r="1"><c r="A1"><v>1</v></c></row><row r="{last[-7:]}"><c r="{last}"><v>1</v></c></row>')
        return repack(GOOD, replace={SHEET_PART: xml})

    for last in ("C1048576", "I1048576", "J1000000"):
        guard.check(spanning(last))
    # ... one that the reader could not hold in 1 GB (A-Z to the last row: 27,262,976 cells) does not.
    with pytest.raises(guard.FileRefused) as wide_and_long:
        guard.check(spanning("Z1048576"))
    assert wide_and_long.value.key == "file.sheet_too_large"
    # ... and a wide sheet of a few thousand rows, whose bound needs the exact second look.
    wide = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>1</v></c>' for c in ("A", "AA", "AZ")) + "</row>"
        for r in range(1, 5000)
    )
    guard.check(repack(GOOD, replace={SHEET_PART: sheet_xml(wide)}))
    monkeypatch.setattr(guard, "MAX_CELLS", 20)
    with pytest.raises(guard.FileRefused) as refused:
        guard.check(GOOD)  # 24 cells
    assert refused.value.key == "file.too_many_cells"


def _letters(column: int) -> str:
    text = ""
    while column:
        column, rest = divmod(column - 1, 26)
        text = chr(65 + rest) + text
    return text


@settings(max_examples=300, deadline=None)
@given(
    refs=st.lists(
        st.tuples(st.integers(1, 40), st.integers(1, guard.MAX_ROWS))
        | st.tuples(st.integers(1, 26), st.integers(1, 99)),
        min_size=1,
        max_size=40,
    ),
    rows_too=st.booleans(),
    cut=st.integers(2 * guard._OVERLAP, 400),
)
def test_the_reach_bound_covers_every_reference_and_stays_near_it(refs, rows_too, cut):
    """The guard reads far references exactly and keeps of the near ones (one letter, six digits) only the furthest
    letter and the row's digits and leading digit: its bound is never short of the exact reach (what the reader
    allocates) and at most twice the last row — whatever the order, and wherever the chunks are cut."""
    body = "".join(
        (f'<row r="{r}">' if rows_too else "")
        + f'<c r="{_letters(c)}{r}"><v>1</v></c>'
        + ("</row>" if rows_too else "")
        for c, r in refs
    ).encode()
    cells = guard._Cells(body[:4096])
    tail = b""
    for i in range(0, len(body), cut):  # small chunks (the overlap kept at least): references cut at every seam
        chunk = body[i : i + cut]
        cells.feed(tail, chunk)
        tail = chunk[-(guard._OVERLAP - 1) :]
    rows, columns = cells.bound()
    exact_rows, exact_columns = max(r for _, r in refs), max(c for c, _ in refs)
    assert (rows, columns) >= (exact_rows, exact_columns) and rows >= exact_rows and columns == exact_columns
    assert rows < 2 * exact_rows or rows == exact_rows


_REFS = st.tuples(st.text("ABCDXYZ", min_size=0, max_size=3), st.text("0123456789", min_size=1, max_size=8)).map(
    lambda ref: ref[0] + ref[1]
)
_NOISE = st.sampled_from(
    # the last: a reference away from the chunks' seams (each seam is scanned whatever the searches say)
    ["<v>1234567</v>", ' s="12"', "<t>AB123 Z9 0000000</t>", ' r="', 'r="A1', ' spans="1:3"', "AA", "<x/>" * 20]
)


def _apart(first: str, second: str) -> list[str]:
    """Two references, the second in the middle of the second chunk of 300 bytes (away from the seams)."""
    return [f'<c r="{first}"><v>1</v></c>', *["<x/>" * 20] * 5, f'<c r="{second}"><v>1</v></c>', *["<x/>" * 20] * 3]


@settings(max_examples=1000, deadline=None)
@example(pieces=_apart("D1", "A5"), cut=300)  # a higher leading digit, after a letter
@example(pieces=_apart("D1", "5"), cut=300)  # and with none
@example(pieces=_apart("D1", "Z1"), cut=300)  # a further column
@example(pieces=_apart("D1", "AA1"), cut=300)  # two letters
@example(pieces=_apart("D1", "A12"), cut=300)  # more digits
@example(pieces=_apart("D1", "12"), cut=300)
@given(
    pieces=st.lists(st.one_of(_REFS.map(lambda ref: f'<c r="{ref}"><v>1</v></c>'), _NOISE), min_size=1, max_size=60),
    cut=st.integers(2 * guard._OVERLAP, 300),
)
def test_a_chunk_is_skipped_only_when_its_scan_would_change_nothing(pieces, cut):
    """The byte searches that let a chunk skip the reference scan never skip one the scan would act on: after every
    chunk, the guard's reach (far rows and columns, the near column, digits and leading digit) is what scanning
    every chunk gives — for references of any shape (no letter, up to three, up to eight digits) among other text."""
    body = "".join(pieces).encode()
    checked, scanned = guard._Cells(body[:4096]), guard._Cells(body[:4096])
    scanned._may_reach_further = lambda chunk: True  # type: ignore[method-assign]
    tail = b""
    for i in range(0, len(body), cut):
        chunk = body[i : i + cut]
        for cells in (checked, scanned):
            try:
                cells.feed(tail, chunk)
            except guard.FileRefused as refused:
                cells.refused = refused.key  # type: ignore[attr-defined]
        tail = chunk[-(guard._OVERLAP - 1) :]
        assert vars(checked).keys() == vars(scanned).keys() - {"_may_reach_further"}
        assert all(getattr(checked, k) == getattr(scanned, k) for k in vars(checked)), (vars(checked), vars(scanned))


def test_a_million_row_sheet_needs_no_second_look(monkeypatch):
    """The usual big sheet (1,000,000 rows of a few columns) is judged in one pass: the exact second pass over the
    part is only for a sheet whose bound comes near the cell limit (it took 4 s of 6 at the 10,000,000 limit)."""
    rows = "".join(
        f'<row r="{r}"><c r="A{r}"><v>1</v></c><c r="C{r}"><v>2</v></c></row>' for r in range(1, 1_000_001, 997)
    )
    rows += '<row r="999999"><c r="C999999"><v>1</v></c></row><row r="1000001"><c r="C1000001"><v>1</v></c></row>'

    def second_look(chunks):
        raise AssertionError("the exact pass ran")

    monkeypatch.setattr(guard._Cells, "exact", staticmethod(second_look))
    guard.check(repack(GOOD, replace={SHEET_PART: sheet_xml(rows)}))
    # a sparse sheet reaching Z999999 from A1 is still measured exactly, and refused for its 25,999,974 cells
    monkeypatch.undo()
    sparse = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row><row r="999999"><c r="Z999999"><v>1</v></c></row>')
    with pytest.raises(guard.FileRefused) as refused:
        guard.check(repack(GOOD, replace={SHEET_PART: sparse}))
    assert refused.value.key == "file.sheet_too_large" and refused.value.params["rows"] == 999_999


# Words a Chinese message may carry in Latin letters: formats and products, never a library's words.
ALLOWED_LATIN = {"Excel", "WPS", "xlsx", "xls", "xlsb", "XML", "UTF", "CSV", "PDF", "VBA", "MB", "Ctrl", "End"}


@pytest.mark.parametrize("case", HOSTILE)
def test_refusals_speak_the_readers_language(case, warehouse):
    data, _ = HOSTILE[case]
    [error] = import_file(warehouse, data, f"{case}.xlsx").errors
    zh, en = error.message("zh"), error.message("en")
    for name in (str(v) for v in error.params.values() if isinstance(v, str)):
        zh = zh.replace(name, "")  # a part's name is the file's own text
    assert re.search(r"[\u4e00-\u9fff]", zh), zh
    latin = set(re.findall(r"[A-Za-z]{2,}", zh)) - ALLOWED_LATIN
    assert not latin, f"{zh!r} carries {latin}"
    assert not re.search(r"[\u4e00-\u9fff]", en) or "{" in en, en
    for internal in ("calamine", "Context", "Error", "error:", "Traceback", "zlib", "zipfile", "Bad", "0:"):
        assert internal not in en and internal not in zh, (internal, en)
