"""Workbook bytes -> sheets of cell text keyed by Excel row number and column letter.

Knows nothing of kinds or DuckDB. Every cell comes back as text (fastexcel reading all rows, so no
type guess from a sample blanks later cells); Excel dates come back as ISO text and are parsed by
the same rules as typed dates. Formula cells without a saved value, and Excel error values (#N/A,
#DIV/0! … typed, or the saved result of a formula; the reader returns them as blanks), are found in
the sheet XML; an error value is put back into its cell so validation reports it there. Whatever goes
wrong inside the reader is a FileRefused with a catalogue message, never the library's own text.
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
import pyarrow as pa
from defusedxml import ElementTree

from etl import guard

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
    error_cells: dict[str, str] = field(default_factory=dict)  # e.g. {"E2": "#N/A"}: an Excel error value


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
_ERROR_CELL = re.compile(rb'<c\s[^>]*?\bt="e"[^>]*>')
_ERROR_VALUE = re.compile(rb"<v(?:\s[^>]*)?>([^<]*)</v>")
_REF = re.compile(r"([A-Z]+)([0-9]+)")


def _scan_cells(archive: zipfile.ZipFile, part: str) -> tuple[set[str], dict[str, str]]:
    """Cells of a sheet part holding a formula but no cached value, and cells holding an Excel
    error value (`t="e"`: typed, or a formula's saved result), streamed in chunks."""
    formulas: set[str] = set()
    errors: dict[str, str] = {}
    try:
        stream = archive.open(part)
    except KeyError:
        return formulas, errors
    tail = b""
    with stream:
        while chunk := stream.read(8 * 2**20):
            data = tail + chunk
            # keep an unfinished cell for the next round
            cut = data.rfind(b"<c ")
            cut = cut if cut > data.rfind(b"</c>") else len(data)
            data, tail = data[:cut], data[cut:]
            if data.find(b"<f") >= 0:  # memchr-fast; most sheets hold no formula at all
                _find_formulas(data, formulas)
            if data.find(b't="e"') >= 0:
                _find_errors(data, errors)
    return formulas, errors


def _find_formulas(data: bytes, found: set[str]) -> None:
    for match in _FORMULA.finditer(data):
        start = data.rfind(b"<c ", 0, match.start())
        end = data.find(b"</c>", match.end())
        cell = _CELL_START.match(data, start)
        if start < 0 or end < 0 or not cell:
            continue
        if not _VALUE.search(data, match.end(), end):
            found.add(cell.group(1).decode())


def _find_errors(data: bytes, found: dict[str, str]) -> None:
    for match in _ERROR_CELL.finditer(data):
        cell = _CELL_START.match(data, match.start())
        if not cell or data[match.end() - 2 : match.end()] == b"/>":
            continue
        end = data.find(b"</c>", match.end())
        value = _ERROR_VALUE.search(data, match.end(), end if end >= 0 else len(data))
        text = value.group(1).decode("utf-8", "replace").strip() if value else ""
        found[cell.group(1).decode()] = text or "#VALUE!"


def read_workbook(data: bytes) -> list[RawSheet]:
    """Every sheet of an .xlsx as text. `data` has passed etl.guard.check.

    Raises guard.FileRefused (a catalogue message) when the reader cannot make sense of the file.
    """
    try:
        data = guard.normalise(data)
        reader = fastexcel.read_excel(data)
        # The cell scan inflates the sheet XML again; it runs beside fastexcel (both release the GIL).
        with ThreadPoolExecutor(max_workers=1) as pool:
            scan = pool.submit(_scan, data)
            sheets = _load_sheets(reader)
            found = scan.result()
    except guard.FileRefused:
        raise
    except MemoryError:
        raise
    except Exception:  # fastexcel, zipfile, zlib and XML errors: the library's words never reach a user
        raise guard.damaged("unreadable") from None
    for sheet in sheets:
        sheet.formula_cells, sheet.error_cells = found.get(sheet.name, (set(), {}))
        _show_errors(sheet)
    return sheets


def _scan(data: bytes) -> dict[str, tuple[set[str], dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: _scan_cells(archive, part) for name, part in _sheet_parts(archive).items()}


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _show_errors(sheet: RawSheet) -> None:
    """Put each error value back into its cell (the reader left it blank), so it is reported there."""
    if not sheet.error_cells:
        return
    cells = sheet.cells
    by_column: dict[str, dict[int, str]] = {}
    for ref, value in sheet.error_cells.items():
        letters, row = _REF.fullmatch(ref).groups()
        by_column.setdefault(letters, {})[int(row)] = value
    last = max(max(rows) for rows in by_column.values())
    if last > len(cells.index):
        cells = cells.reindex(pd.RangeIndex(1, last + 1))
    dtype = cells.dtypes.iloc[0] if len(cells.columns) else pd.ArrowDtype(pa.string())
    for letters, rows in by_column.items():
        column = cells[letters].copy() if letters in cells else pd.Series(pd.NA, index=cells.index, dtype=dtype)
        column.loc[list(rows)] = list(rows.values())
        cells[letters] = column
    order = sorted(cells.columns, key=_column_number)
    sheet.cells = cells[order]


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
