"""Workbook bytes -> sheets of cell text keyed by Excel row number and column letter.

Knows nothing of kinds or DuckDB. Every cell comes back as text (fastexcel reading all rows, so no
type guess from a sample blanks later cells); Excel dates come back as ISO text and are parsed by
the same rules as typed dates. Formula cells without a saved value are found in the sheet XML.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import fastexcel
import pandas as pd
from defusedxml import ElementTree

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass
class RawSheet:
    """One sheet's cells as text: index = Excel row number, columns = column letters."""

    name: str
    cells: pd.DataFrame
    visible: bool = True
    formula_cells: set[str] = field(default_factory=set)  # e.g. {"G10"}: formula, no saved value


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> path of its XML part inside the package."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_NS_PKG}Relationship")}
    parts = {}
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        parts[sheet.get("name")] = path
    return parts


_FORMULA = re.compile(rb"<f[\s>/]")
_CELL_START = re.compile(rb'<c\s[^>]*?r="([A-Z]+[0-9]+)"')
_VALUE = re.compile(rb"<v>[^<]+</v>|<v\s[^>]*>[^<]+</v>")


def _formulas_without_value(archive: zipfile.ZipFile, part: str) -> set[str]:
    """Cells of a sheet part holding a formula but no cached value, streamed in chunks."""
    found: set[str] = set()
    try:
        stream = archive.open(part)
    except KeyError:
        return found
    tail = b""
    with stream:
        while chunk := stream.read(8 * 2**20):
            data = tail + chunk
            # keep an unfinished cell for the next round
            cut = data.rfind(b"<c ")
            cut = cut if cut > data.rfind(b"</c>") else len(data)
            data, tail = data[:cut], data[cut:]
            if data.find(b"<f") < 0:  # memchr-fast; most sheets hold no formula at all
                continue
            for match in _FORMULA.finditer(data):
                start = data.rfind(b"<c ", 0, match.start())
                end = data.find(b"</c>", match.end())
                cell = _CELL_START.match(data, start)
                if start < 0 or end < 0 or not cell:
                    continue
                if not _VALUE.search(data, match.end(), end):
                    found.add(cell.group(1).decode())
    return found


def read_workbook(data: bytes) -> list[RawSheet]:
    """Every sheet of an .xlsx as text. `data` has passed etl.guard.check."""
    reader = fastexcel.read_excel(data)
    # The formula scan inflates the sheet XML again; it runs beside fastexcel (both release the GIL).
    with ThreadPoolExecutor(max_workers=1) as pool:
        scan = pool.submit(_scan_formulas, data)
        sheets = _load_sheets(reader)
        formulas = scan.result()
    for sheet in sheets:
        sheet.formula_cells = formulas.get(sheet.name, set())
    return sheets


def _scan_formulas(data: bytes) -> dict[str, set[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: _formulas_without_value(archive, part) for name, part in _sheet_parts(archive).items()}


def _load_sheets(reader: fastexcel.ExcelReader) -> list[RawSheet]:
    sheets = []
    for name in reader.sheet_names:
        sheet = reader.load_sheet(
            name,
            header_row=None,
            skip_rows=0,  # keep leading blank rows so positions are Excel row numbers
            schema_sample_rows=None,
            dtypes="string",
            whitespace_as_null=True,
        )
        letters = [column_letter(c.absolute_index) for c in sheet.selected_columns]
        table = sheet.to_arrow()
        # Columns with no value at all (formatting only) are dropped early: a sheet may span 16,384.
        filled = [i for i, column in enumerate(table.columns) if column.null_count < table.num_rows]
        table = table.select(filled)
        cells = table.to_pandas(types_mapper=pd.ArrowDtype) if table.num_rows else pd.DataFrame()
        cells.columns = [letters[i] for i in filled][: len(cells.columns)]
        cells.index = pd.RangeIndex(1, len(cells) + 1)
        sheets.append(RawSheet(name, cells, sheet.visible == "visible"))
    return sheets
