"""Hostile and unreadable files are refused before parsing, each with its own message; nothing changes."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from workbooks import ROSTER, workbook_bytes

from etl import guard
from etl.load import import_file


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

CASES = {
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


@pytest.mark.parametrize("case", CASES)
def test_hostile_file_refused_and_warehouse_untouched(case, warehouse):
    data, key = CASES[case]
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
        guard.check(CASES["csv renamed"][0])
    assert "CSV" in str(refused.value)
    assert ".xlsx" in str(refused.value)


def test_workbook_with_no_data(warehouse):
    result = import_file(warehouse, workbook_bytes({"Sheet1": []}), "empty.xlsx")
    assert result.status == "rejected"
    assert [e.key for e in result.errors] == ["file.no_sheets"]
