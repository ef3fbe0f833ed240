"""The command line's first file: its largest sheet read by a child process beside the guard (etl.read._Isolated).

What it must give: the very sheets an in-process read gives; what it must never do: let a hostile file end the
import (the child reads under a memory cap), or hand the importing process rows the guard has not passed."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time

import duckdb
import openpyxl
import pandas as pd
import pytest
from warehouses import snapshot
from workbooks import GOOD, ROSTER, SHEET_PART, repack, sheet_xml, workbook_bytes

from cli import main
from etl import guard, read
from etl.sample import write_samples
from i18n import t

CORNERS = repack(
    GOOD,
    replace={
        SHEET_PART: sheet_xml(
            '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
        )
    },
)


def odd_workbook() -> bytes:
    """Gaps before and between the columns, a hidden sheet, an error value, a formula without its saved value,
    trailing blank rows: what the in-process read turns into RawSheets, the child's read must too."""
    book = openpyxl.Workbook()
    roster = book.active
    roster.title = "名册"
    for r, row in enumerate(ROSTER, start=3):
        for c, value in enumerate(row):
            roster.cell(row=r, column=2 + 2 * c, value=value)
    roster["B9"] = "=1/0"
    roster["D9"] = "#N/A"
    roster.cell(row=12, column=2).number_format = "0.00"  # formatting only: a blank row
    hidden = book.create_sheet("旧表")
    hidden.append(["人员编号", "姓名"])
    hidden.append(["000001", "张三"])
    hidden.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheets_of(data: bytes, isolated: bool) -> list[read.RawSheet]:
    return read.Reading(data, isolated=isolated).sheets()


def assert_same(got: list[read.RawSheet], expected: list[read.RawSheet]) -> None:
    assert [s.name for s in got] == [s.name for s in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert (mine.visible, mine.formula_cells, mine.error_cells) == (
            theirs.visible,
            theirs.formula_cells,
            theirs.error_cells,
        )
        pd.testing.assert_frame_equal(mine.cells, theirs.cells)


def test_the_child_reads_what_the_process_reads(tmp_path):
    workbooks = [odd_workbook(), GOOD, *(path.read_bytes() for path in write_samples(tmp_path))]
    for data in workbooks:
        reading = read.Reading(data, isolated=True)
        assert reading._child is not None  # the largest sheet was handed to a child
        got = reading.sheets()
        assert reading._child._status == read._Isolated.OK  # and the child's rows were used
        # every sheet, not only the largest: a first workbook's roster and sessions are read beside its attendance
        assert [s.name for s in reading._first.result().big] == [reading._child.sheet, *reading._child.others]
        assert {s.name for s in reading._first.result().big} == {s.name for s in got}
        assert_same(got, sheets_of(data, isolated=False))
    odd = sheets_of(workbooks[0], isolated=True)
    assert odd[0].error_cells == {"D9": "#N/A"} and odd[0].formula_cells == {"B9"}
    assert [s.visible for s in odd] == [True, False]


def test_a_file_that_would_take_512_gb_ends_the_child_not_this_process():
    # read alone, with no guard to stop it: the child asks for 512 GB, its cap refuses, it ends on a signal
    child = read._Isolated(CORNERS, "名册")
    with pytest.raises(read.UnreadableWorkbook):
        child.result()
    assert child._status is not None and child._status < 0
    # in a Reading the guard's own verdict is what the analyst sees, and the child is reaped
    reading = read.Reading(CORNERS, isolated=True)
    with pytest.raises(guard.FileRefused) as refused:
        reading.sheets()
    assert refused.value.key == "file.sheet_too_large"
    assert reading._child is not None and reading._child._status is not None
    with pytest.raises(ChildProcessError):  # no child left behind, not even a zombie
        os.waitpid(reading._child.pid, os.WNOHANG)


def test_a_bug_in_the_child_is_read_again_here_where_it_shows(monkeypatch):
    def broken(self, data):
        raise KeyError("a bug")

    monkeypatch.setattr(read._Isolated, "_read", broken)  # the child is forked with it
    reading = read.Reading(GOOD, isolated=True)
    got = reading.sheets()
    assert reading._child is not None and reading._child._status == read._Isolated.FAILED
    assert_same(got, sheets_of(GOOD, isolated=False))
    # and a bug in the in-process read, after the child failed, surfaces as itself (not "damaged workbook")
    monkeypatch.setattr(read, "_raw_sheet", lambda *args: {}["bug"])
    with pytest.raises(KeyError):
        read.Reading(GOOD, isolated=True).sheets()


def test_rows_of_bytes_the_reader_does_not_get_are_never_used(monkeypatch):
    # the guard rewrites a package with non-standard part names for the reader: the child read the original
    # bytes, so its rows are dropped and the rewritten package is read here
    calls = []
    real = read._load_sheets

    def spy(data, *args, **kwargs):
        calls.append(data)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(read, "_load_sheets", spy)
    monkeypatch.setattr(guard, "normalise", lambda data: bytes(bytearray(data)))  # other bytes than the child's
    reading = read.Reading(GOOD, isolated=True)
    got = reading.sheets()
    assert reading._child is not None and reading._child._status is not None  # cancelled and reaped
    assert calls and all(data is not GOOD and data == GOOD for data in calls)
    assert [s.name for s in got] == ["名册"]


def test_work_handed_to_then_runs_once_on_the_sheets_it_read():
    # the command line hands each sheet's own checks to the first file's Reading (Reading.then), so that they run
    # while it opens the warehouse; the import asks for them with read_then and gets that very result
    calls = []

    def work(sheets: list[read.RawSheet]) -> list[str]:
        calls.append(len(sheets))
        return [s.name for s in sheets]

    reading = read.Reading(GOOD, isolated=True)
    reading.then(work)
    sheets, names = reading.read_then(work)
    assert names == ["名册"] and [s.name for s in sheets] == names and calls == [1]
    assert reading.read_then(len)[1] == 1  # other work: done there and then
    refused = read.Reading(CORNERS, isolated=True)
    refused.then(work)
    with pytest.raises(guard.FileRefused) as raised:
        refused.read_then(work)
    assert raised.value.key == "file.sheet_too_large" and calls == [1]


def slow_child(monkeypatch, seconds: float = 120) -> None:
    """The child (forked with this) sleeps before it reads: by default, a read that does not end in time."""
    real = read._Isolated._read

    def sleeping(self, data):
        time.sleep(seconds)
        return real(self, data)

    monkeypatch.setattr(read._Isolated, "_read", sleeping)


def test_the_time_limit_grows_with_the_xml_a_package_unpacks_to(monkeypatch):
    monkeypatch.delenv("DASHBOARD_READ_SECONDS", raising=False)
    limit = read._Isolated.time_limit
    assert limit(0) == 60
    assert limit(296 * 2**20) == 60 + 148  # a 48.6 MB workbook of 1,000,000 rows: read in 17-21 s at load 7-9
    assert limit(10 * 2**30) == limit(guard.MAX_TOTAL_BYTES) == 60 + 512  # no package the guard passes unpacks more
    monkeypatch.setenv("DASHBOARD_READ_SECONDS", "2.5")
    assert limit(296 * 2**20) == 2.5
    for unusable in ("", "soon", "0", "-1", "nan"):
        monkeypatch.setenv("DASHBOARD_READ_SECONDS", unusable)
        assert limit(0) == 60


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polled"])
def test_a_child_still_reading_at_its_time_limit_is_killed_and_the_file_refused(monkeypatch, pidfd):
    if not pidfd:  # a kernel before 5.3: the child is polled for

        def no_pidfd(pid: int) -> int:
            raise OSError("no pidfd")

        monkeypatch.setattr(os, "pidfd_open", no_pidfd)
    slow_child(monkeypatch)
    monkeypatch.setenv("DASHBOARD_READ_SECONDS", "1")
    in_process = []
    monkeypatch.setattr(read, "_load_sheets", lambda data, names: in_process.append(names) or [])
    started = time.monotonic()
    reading = read.Reading(GOOD, isolated=True)
    with pytest.raises(guard.FileRefused) as refused:
        reading.sheets()
    assert time.monotonic() - started < 30
    assert refused.value.key == "file.read_timeout" and refused.value.params == {"seconds": 1}
    assert "longer than 1 seconds" in refused.value.message("en") and "超过了 1 秒" in refused.value.message("zh")
    child = reading._child
    assert child is not None and child._status is not None and child._status < 0  # killed
    assert (child._pidfd, child._fd) == (-1, -1)  # nothing left open
    with pytest.raises(ChildProcessError):  # and reaped
        os.waitpid(child.pid, os.WNOHANG)
    assert in_process == []  # the file is not read again in this process, where a read could not be stopped


def test_a_slow_child_that_ends_in_time_is_used(monkeypatch):
    slow_child(monkeypatch, seconds=1)
    monkeypatch.setenv("DASHBOARD_READ_SECONDS", "30")
    reading = read.Reading(GOOD, isolated=True)
    got = reading.sheets()
    assert reading._child is not None and reading._child._status == read._Isolated.OK
    assert_same(got, sheets_of(GOOD, isolated=False))


def test_the_command_line_refuses_a_file_read_too_long_and_lets_the_warehouse_go(tmp_path, monkeypatch, capsys):
    db = tmp_path / "w.duckdb"
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(GOOD)
    assert main(["load", str(roster), "--db", str(db), "--no-progress"]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        before = snapshot(con)
    capsys.readouterr()
    slow_child(monkeypatch)
    monkeypatch.setenv("DASHBOARD_READ_SECONDS", "1")
    again = tmp_path / "again.xlsx"
    again.write_bytes(workbook_bytes({"名册": [ROSTER[0], ["000104", "赵六", "富杨苑", "社工", None, None]]}))
    started = time.monotonic()
    assert main(["load", str(again), "--db", str(db), "--json", "--no-progress"]) == 1  # a rejected file
    assert time.monotonic() - started < 30
    [file] = json.loads(capsys.readouterr().out)["files"]
    assert file["status"] == "rejected"
    [error] = file["errors"]
    assert error["message"] == t("file.read_timeout", "en", seconds=1)
    assert error["message_zh"] == t("file.read_timeout", "zh", seconds=1)
    # the warehouse is free at once (another process writes to it) and holds what it held, the refusal in its trail
    code = f"import duckdb; duckdb.connect({str(db)!r}).execute('CREATE TABLE probe AS SELECT 1 AS x').close()"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    with duckdb.connect(str(db), read_only=True) as con:
        assert snapshot(con) == before
        events = con.execute("SELECT action, details FROM audit_log ORDER BY seq").fetchall()
    refused = [json.loads(details) for action, details in events if action == "import_rejected"]
    assert [(d["file"], d["reason"]) for d in refused] == [("again.xlsx", "file.read_timeout")]
    # in Chinese on the terminal
    assert main(["load", str(again), "--db", str(db), "--lang", "zh", "--no-progress"]) == 1
    assert t("file.read_timeout", "zh", seconds=1) in capsys.readouterr().out
