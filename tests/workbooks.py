"""Workbooks the tests build in memory: a writer and small, valid sheets of each kind."""

from __future__ import annotations

import contextlib
import io
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import openpyxl


def workbook_bytes(sheets: dict[str, list[list]], *, title: str | None = None, start_column: int = 1) -> bytes:
    """An .xlsx with one sheet per entry; rows as lists (first row = headers); optional merged title row."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        offset = 0
        if title:
            ws.cell(row=1, column=start_column, value=title)
            ws.merge_cells(start_row=1, start_column=start_column, end_row=1, end_column=start_column + 3)
            offset = 2  # title, blank row, then the header
        for r, row in enumerate(rows, start=1 + offset):
            for c, value in enumerate(row, start=start_column):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


ROSTER = [
    ["人员编号", "姓名", "社区", "岗位", "入职日期", "在岗"],
    ["000101", "张三", "杨行一村", "书记", "2015-03-01", "是"],
    ["000102", "李四", "杨行一村", "后备干部", "2021/6/1", "是"],
    ["000103", "王五", "富杨苑", "社工", "2019年9月1日", "否"],
]
SESSIONS = [
    ["场次编号", "培训主题", "日期", "学时", "形式"],
    ["S01", "基层治理能力", "2023-03-05", 3, "授课"],
    ["S02", "现场教学", "2023-04-10", "2.5", "现场教学"],
]
DONATIONS = [
    ["捐赠编号", "捐赠日期", "捐赠方", "捐赠方类型", "金额(元)", "渠道"],
    ["D1", "2023-08-01", "某公司", "企业", 10000, None],
    ["D2", "2023-08-02", "张三", "个人", "2.5万", None],
    ["D3", "2023-08-03", "睦邻会", "社会组织", 12345.67, "银行转账"],
]
CSV_ROSTER = "人员编号,姓名\n000101,张三\n".encode()  # a roster saved as CSV: not a workbook
ATTENDANCE = [
    ["场次编号", "人员编号"],
    ["S01", "000101"],
    ["S01", "000102"],
    ["S02", "000101"],
]
PROJECTS = [
    ["项目编号", "项目名称", "项目类型", "主题", "级别", "社区", "状态", "开始日期", "完成日期", "预算（元）"],
    ["P001", "楼道微更新", "微更新", "环境", "镇级", "杨行一村", "已完成", "2023-01-10", "2023-06-30", "¥12,000"],
    ["P002", "睦邻点", "组团治理", "邻里", "区级", "富杨苑", "实施中", "2023-05-01", None, "6.5万"],
]


@contextlib.contextmanager
def held_by_another_process(path: Path) -> Iterator[None]:
    """Another process (as the running app would) holds the warehouse file open while the block runs."""
    code = f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok", "the holding process could not open the warehouse"
        yield
    finally:
        holder.kill()
        holder.wait()


def repack(
    data: bytes,
    *,
    rename: dict[str, str] | None = None,
    replace: dict[str, bytes] | None = None,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """A copy of a package with entries renamed (old name -> new), bodies replaced (by old name) or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = (replace or {}).get(info.filename, src.read(info.filename))
            dst.writestr((rename or {}).get(info.filename, info.filename), body)
        for name, body in (extra or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


SHEET_PART = "xl/worksheets/sheet1.xml"


def sheet_xml(rows: str, *, head: str = "") -> bytes:
    """A worksheet part holding `rows` (the XML inside <sheetData>)."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{head}<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def understate_size(data: bytes, part: str, declared: int) -> bytes:
    """The package with `part`'s recorded size set to `declared` bytes, and its CRC to that of the first
    `declared` bytes (a reader trusting the directory sees a small, intact part; the stream holds more)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(part)
        crc = zlib.crc32(archive.read(part)[:declared])
    patched = bytearray(data)
    local = info.header_offset
    struct.pack_into("<I", patched, local + 14, crc)
    struct.pack_into("<I", patched, local + 22, declared)
    central = patched.find(b"PK\x01\x02")
    name = part.encode()
    while True:
        assert central >= 0, f"{part} is not in the central directory"
        name_len = struct.unpack_from("<H", patched, central + 28)[0]
        if bytes(patched[central + 46 : central + 46 + name_len]) == name:
            break
        central = patched.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", patched, central + 16, crc)
    struct.pack_into("<I", patched, central + 24, declared)
    return bytes(patched)


def strings_in(value: object) -> set[str]:
    """Every string in a decoded JSON value (a Plotly figure's spec: names, labels, titles, hover texts).

    The spec's bytes depend on the JSON encoder Plotly finds (orjson writes UTF-8, the standard library writes
    \\u escapes); what the browser draws is the decoded figure, so tests read that.
    """
    if isinstance(value, str):
        return {value}
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return set().union(*(strings_in(item) for item in items))


def rezip(data: bytes, extra: dict[str, bytes] | None = None, replace: dict[str, bytes] | None = None) -> bytes:
    """A copy of an .xlsx package with parts added or replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = (replace or {}).get(info.filename, src.read(info.filename))
            dst.writestr(info.filename, body)
        for name, body in (extra or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


GOOD = workbook_bytes({"名册": ROSTER})

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol3;</t></si></sst>"""

# Files refused as a whole, each with the message key it gets (the guard's tests and the Data page's).
REFUSED = {
    "empty": (b"", "file.empty"),
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(2000), "file.xls"),
    "csv renamed": ("人员编号,姓名\n1,张三\n".encode(), "file.not_xlsx"),
    "random bytes": (bytes(range(256)) * 8, "file.not_xlsx"),
    "truncated zip": (GOOD[: len(GOOD) // 2], "file.corrupt"),
    "zip of other files": (rezip(b"PK\x05\x06" + b"\0" * 18, {"a.txt": b"hi"}), "file.not_xlsx"),
    "macros": (rezip(GOOD, {"xl/vbaProject.bin": b"\0" * 100}), "file.macros"),
    "billion laughs": (rezip(GOOD, {"xl/sharedStrings2.xml": BILLION_LAUGHS}), "file.xml_entities"),
    "damaged part": (GOOD[:400] + bytes(b ^ 0x5A for b in GOOD[400:900]) + GOOD[900:], "file.corrupt"),
    "zip bomb": (rezip(GOOD, {"xl/worksheets/sheet9.xml": b" " * (20 * 2**20)}), "file.zip_ratio"),
}
