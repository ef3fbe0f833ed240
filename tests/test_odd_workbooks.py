"""Odd but legitimate workbooks: each loads right or gets its own clear message; nothing half-loaded."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import xlsxwriter
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from workbooks import ROSTER, SHEET_PART, repack, sheet_xml, workbook_bytes

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
    # a name is not cut (only notes are); a zero-width space is removed, with a warning at its cell (test_validate)
    long_name = "长" * 5000
    rows = [
        ROSTER[0],
        ["1", long_name, "社区🏠", "社工", None, None],
        ["2", "Zoë \u200b O'Brien", "A", "社工", None, None],
    ]
    result = import_file(warehouse, workbook_bytes({"名册": rows}), "odd.xlsx")
    assert result.status == "loaded"
    assert [(w.key, w.row, w.column) for w in result.warnings] == [("cell.invisible_removed", 3, "B")]
    names = dict(warehouse.execute("SELECT worker_id, name FROM workers").fetchall())
    assert names == {"1": long_name, "2": "Zoë  O'Brien"}
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


EXCEL_ERRORS = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]


def test_excel_error_values_are_errors_at_their_cells(warehouse):
    # openpyxl writes these strings as typed error cells (t="e"); the reader returns them as blanks.
    rows = [ROSTER[0]] + [[f"{i:06d}", "张三", "杨行一村", "社工", None, None] for i in range(1, 8)]
    for row, error in zip(rows[1:], EXCEL_ERRORS, strict=True):
        row[4] = error  # 入职日期, column E
    rows[1][1] = "#N/A"  # a required column too (姓名, column B)
    rows.append(["#REF!", None, None, None, None, None])  # a row holding nothing but an error
    result = import_file(warehouse, workbook_bytes({"名册": rows}), "errors.xlsx")
    assert result.status == "rejected"
    got = [(e.sheet, e.row, e.column, e.header, e.value, e.key) for e in result.errors]
    expected = [
        ("名册", r, "E", "入职日期", v, "cell.excel_error") for r, v in zip(range(2, 9), EXCEL_ERRORS, strict=True)
    ]
    expected += [
        ("名册", 2, "B", "姓名", "#N/A", "cell.excel_error"),
        ("名册", 9, "A", "人员编号", "#REF!", "cell.excel_error"),
    ]
    assert sorted(g for g in got if g[-1] == "cell.excel_error") == sorted(expected)
    # one error per error cell (not also "not a date"); the rest of row 9 is blank, so "required"
    assert sorted(g[2] for g in got if g[-1] != "cell.excel_error") == ["B", "C", "D"]
    assert all(g[1] == 9 and g[-1] == "cell.required" for g in got if g[-1] != "cell.excel_error")
    error = next(e for e in result.errors if e.key == "cell.excel_error")
    assert "Excel" in error.message("en") and "错误" in error.message("zh")
    assert warehouse.execute("SELECT count(*) FROM workers").fetchone()[0] == 0


def test_formula_whose_saved_result_is_an_error(warehouse):
    data = workbook_bytes(
        {"捐赠": [["捐赠编号", "捐赠日期", "金额(元)"], ["D1", "2023-08-15", 100], ["D2", "2023-08-16", 5]]}
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read(SHEET_PART)
    cell = re.search(rb'<c r="C3"[^>]*>.*?</c>', xml).group(0)
    xml = xml.replace(cell, b'<c r="C3" t="e"><f>C2/0</f><v>#DIV/0!</v></c>')
    result = import_file(warehouse, repack(data, replace={SHEET_PART: xml}), "formula.xlsx")
    assert result.status == "rejected"
    assert [(e.row, e.column, e.header, e.value, e.key) for e in result.errors] == [
        (3, "C", "金额(元)", "#DIV/0!", "cell.excel_error")
    ]


def _xlsxwriter_roster() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("名册")
    for r, row in enumerate(ROSTER):
        sheet.write_row(r, 0, row)  # shared strings, unlike openpyxl's inline ones
    book.close()
    return buffer.getvalue()


def _rows_loaded(warehouse) -> list[tuple]:
    return warehouse.execute("SELECT worker_id, name, community, role FROM workers ORDER BY 1").fetchall()


ROSTER_ROWS = [
    ("000101", "张三", "杨行一村", "secretary"),
    ("000102", "李四", "杨行一村", "reserve_cadre"),
    ("000103", "王五", "富杨苑", "social_worker"),
]


def test_package_with_backslash_names_imports(warehouse):
    data = _xlsxwriter_roster()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [i.filename for i in archive.infolist()]
    odd = repack(data, rename={n: n.replace("/", "\\") for n in names})
    with zipfile.ZipFile(io.BytesIO(odd)) as archive:
        assert "xl\\workbook.xml" in archive.namelist()
    result = import_file(warehouse, odd, "backslash.xlsx")
    assert result.status == "loaded", [e.message("en") for e in result.errors]
    assert _rows_loaded(warehouse) == ROSTER_ROWS


def test_package_with_non_standard_part_names_imports(warehouse):
    # The workbook found through _rels/.rels and [Content_Types].xml, not by its usual name.
    data = _xlsxwriter_roster()
    moves = {
        "xl/workbook.xml": "book/main.xml",
        "xl/_rels/workbook.xml.rels": "book/_rels/main.xml.rels",
        "xl/worksheets/sheet1.xml": "book/data/roster.xml",
        "xl/sharedStrings.xml": "book/strings.xml",
        "xl/styles.xml": "book/looks.xml",
        "xl/theme/theme1.xml": "book/theme/theme1.xml",
    }
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        rels = archive.read("xl/_rels/workbook.xml.rels")
        types = archive.read("[Content_Types].xml")
        package_rels = archive.read("_rels/.rels")
    for old, new in moves.items():
        types = types.replace(f'"/{old}"'.encode(), f'"/{new}"'.encode())
    rels = rels.replace(b"worksheets/sheet1.xml", b"data/roster.xml")
    rels = rels.replace(b'"sharedStrings.xml"', b'"strings.xml"').replace(b'"styles.xml"', b'"looks.xml"')
    replace = {
        "_rels/.rels": package_rels.replace(b"xl/workbook.xml", b"book/main.xml"),
        "[Content_Types].xml": types,
        "xl/_rels/workbook.xml.rels": rels,
    }
    odd = repack(data, rename=moves, replace=replace)
    with zipfile.ZipFile(io.BytesIO(odd)) as archive:
        assert not any(n.startswith("xl/") for n in archive.namelist())
    result = import_file(warehouse, odd, "renamed.xlsx")
    assert result.status == "loaded", [e.message("en") for e in result.errors]
    assert _rows_loaded(warehouse) == ROSTER_ROWS


def test_a_chart_sheet_is_passed_over_quietly(warehouse, capfd):
    # a tab holding only a chart (Excel's "move chart to a new sheet"): no cells to read, and nothing said about it
    # on the terminal (fastexcel, asked to read one, writes "'chartsheet' not a valid worksheet" to stderr)
    from openpyxl.chart import BarChart, Reference

    from etl.read import Reading

    wb = openpyxl.Workbook()
    roster = wb.active
    roster.title = "社工名册"
    for row in ROSTER:
        roster.append(row)
    chart = BarChart()
    chart.add_data(Reference(roster, min_col=1, min_row=1, max_row=len(ROSTER)))
    wb.create_chartsheet("图表", 0).add_chart(chart)  # the first tab, before the data
    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()
    capfd.readouterr()
    for isolated in (False, True):
        assert [s.name for s in Reading(data, isolated=isolated).sheets()] == ["社工名册"]
    result = import_file(warehouse, data, "chart.xlsx")
    assert result.status == "loaded" and result.counts["inserted"] == len(ROSTER) - 1
    assert capfd.readouterr().err == ""


def strict(data: bytes) -> bytes:
    """The package as Excel saves it with "Strict Open XML Spreadsheet": other namespaces for the workbook's parts."""
    renamed = {
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
            b"http://purl.oclc.org/ooxml/officeDocument/relationships"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            for old, new in renamed.items():
                body = body.replace(old, new)
            target.writestr(info.filename, body)
    return out.getvalue()


def test_a_strict_open_xml_workbook_loads_like_any_other(warehouse):
    # Strict saves dates as ISO text (t="d"); before, no sheet of such a file was found ("no recognisable sheet")
    cell = '<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
    header = "".join(cell.format(ref=f"{c}1", text=h) for c, h in zip("ABCDEF", ROSTER[0], strict=True))
    values = ["000104", "赵六", "富杨苑", "社工"]
    row = "".join(cell.format(ref=f"{c}2", text=v) for c, v in zip("ABCD", values, strict=True))
    row += '<c r="E2" t="d"><v>2020-05-06T00:00:00</v></c>' + cell.format(ref="F2", text="是")
    xml = sheet_xml(f'<row r="1">{header}</row><row r="2">{row}</row>')
    data = strict(repack(workbook_bytes({"社工名册": ROSTER[:1]}), replace={SHEET_PART: xml}))
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert b"purl.oclc.org" in package.read("xl/workbook.xml")
    result = import_file(warehouse, data, "strict.xlsx")
    assert (result.status, result.counts["inserted"]) == ("loaded", 1), [e.message("en") for e in result.errors]
    assert warehouse.execute("SELECT worker_id, joined_date FROM workers").fetchall() == [
        ("000104", dt.date(2020, 5, 6))
    ]
