"""Odd but legitimate workbooks: each loads right or gets its own clear message; nothing half-loaded."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import xlsxwriter
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from workbooks import ROSTER, workbook_bytes

from etl.load import import_file


def test_1904_date_system(warehouse):
    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "捐赠"
    ws.append(["捐赠编号", "捐赠日期", "金额(元)"])
    ws.append(["D1", dt.date(2023, 8, 15), 100])
    buffer = io.BytesIO()
    wb.save(buffer)
    assert import_file(warehouse, buffer.getvalue(), "mac.xlsx").status == "loaded"
    assert warehouse.execute("SELECT date FROM donations").fetchone()[0] == dt.date(2023, 8, 15)


def test_sheet_with_16384_columns(warehouse):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名册"
    for row in ROSTER:
        ws.append(row)
    ws.cell(row=1, column=16384, value="备注")
    buffer = io.BytesIO()
    wb.save(buffer)
    result = import_file(warehouse, buffer.getvalue(), "wide.xlsx")
    assert result.status == "loaded"
    assert [w.column for w in result.warnings] == ["XFD"]


def test_a_million_empty_formatted_rows(tmp_path, warehouse):
    path = tmp_path / "tall.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("名册")
    for r, row in enumerate(ROSTER):
        sheet.write_row(r, 0, row)
    yellow = book.add_format({"bg_color": "#FFFF00"})
    sheet.set_row(1_048_575, None, yellow)  # formatting reaching the last row of the sheet
    sheet.write_blank(1_048_575, 0, None, yellow)
    book.close()
    result = import_file(warehouse, path.read_bytes(), "tall.xlsx")
    assert result.status == "loaded"
    assert result.counts["inserted"] == 3


def test_header_repeated_mid_sheet_is_skipped_with_warning(warehouse):
    rows = [ROSTER[0], ROSTER[1], ROSTER[0], ROSTER[2]]
    result = import_file(warehouse, workbook_bytes({"名册": rows}), "rep.xlsx")
    assert result.status == "loaded"
    assert [(w.key, w.row) for w in result.warnings] == [("sheet.header_repeated", 3)]


def test_long_strings_emoji_and_odd_characters_survive(warehouse):
    long_name = "长" * 5000
    rows = [
        ROSTER[0],
        ["1", long_name, "社区🏠", "社工", None, None],
        ["2", "Zoë \u200b O'Brien", "A", "社工", None, None],
    ]
    assert import_file(warehouse, workbook_bytes({"名册": rows}), "odd.xlsx").status == "loaded"
    names = dict(warehouse.execute("SELECT worker_id, name FROM workers").fetchall())
    assert names == {"1": long_name, "2": "Zoë \u200b O'Brien"}
    assert warehouse.execute("SELECT community FROM workers WHERE worker_id = '1'").fetchone()[0] == "社区🏠"


def test_dates_at_the_edges_of_two_centuries(warehouse):
    rows = [["会议编号", "日期"], ["M1", "1900-01-01"], ["M2", "2100-12-31"], ["M3", dt.datetime(1900, 3, 1)]]
    assert import_file(warehouse, workbook_bytes({"会议": rows}), "edge.xlsx").status == "loaded"
    got = dict(warehouse.execute("SELECT meeting_id, date FROM meetings").fetchall())
    assert got == {"M1": dt.date(1900, 1, 1), "M2": dt.date(2100, 12, 31), "M3": dt.date(1900, 3, 1)}


def test_password_protected_workbook_says_remove_the_password(warehouse):
    # An encrypted .xlsx is an OLE compound file, like an old .xls: the message names both causes.
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096
    result = import_file(warehouse, encrypted, "secret.xlsx")
    assert result.status == "rejected"
    assert "password" in result.errors[0].message("en")
    assert "密码" in result.errors[0].message("zh")
