"""Workbook bytes -> sheets of cell text keyed by Excel row number and column letter.

Knows nothing of kinds or DuckDB. Every cell comes back as text (fastexcel reading all rows, so no
type guess from a sample blanks later cells); Excel dates come back as ISO text and are parsed by
the same rules as typed dates. Formula cells without a saved value, and Excel error values (#N/A,
#DIV/0! … typed, or the saved result of a formula; the reader returns them as blanks), are found in
the sheet XML; an error value is put back into its cell so validation reports it there. What the libraries
raise on a damaged package (caught by type where they are called) becomes UnreadableWorkbook, a FileRefused
with a catalogue message, never the library's own text; anything else is a bug and propagates.
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib
import io
import json
import mmap
import os
import posixpath
import re
import resource
import select
import signal
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar
from xml.etree.ElementTree import Element, ParseError

import fastexcel
from defusedxml import DefusedXmlException, ElementTree

from etl import guard

if TYPE_CHECKING:  # imported where used: a Reading starts before pandas is imported (≈ 0.3 s), see Reading
    import pandas as pd

T = TypeVar("T")

# The workbook part's namespaces, as Excel writes them by default (Transitional) and when saved as "Strict Open XML
# Spreadsheet"; the package's own relationships (_NS_PKG) are the same in both.
_NS_MAIN = (
    "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}",
    "{http://purl.oclc.org/ooxml/spreadsheetml/main}",
)
_NS_REL = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}",
    "{http://purl.oclc.org/ooxml/officeDocument/relationships}",
)
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class UnreadableWorkbook(guard.FileRefused):
    """A package the guard passed that the reader cannot make sense of: the "damaged workbook" message."""

    def __init__(self, detail: str = "unreadable") -> None:
        refused = guard.damaged(detail)
        super().__init__(refused.key, refused.params)


# What the libraries raise on a damaged package, by library. Their other exceptions (fastexcel's
# InvalidParametersError, a KeyError or ValueError in this module's own code...) are bugs, and propagate.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError)  # a part that does not inflate to what the directory says
_XML_ERRORS = (ParseError, DefusedXmlException)  # not XML, or XML with entities or a DTD
_FASTEXCEL_ERRORS = (
    fastexcel.CalamineError,
    fastexcel.CalamineCellError,
    fastexcel.CannotRetrieveCellDataError,
    fastexcel.ArrowError,
)


@contextmanager
def _damaged_if(*errors: type[BaseException]) -> Iterator[None]:
    """Turn the named library exceptions raised inside into UnreadableWorkbook (the library's words dropped)."""
    try:
        yield
    except errors:
        raise UnreadableWorkbook() from None


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


def _small_part(archive: zipfile.ZipFile, name: str) -> Element:
    """A small structural part, parsed (a package without it is damaged)."""
    if name not in archive.NameToInfo:
        raise UnreadableWorkbook()
    with _damaged_if(*_ZIP_ERRORS), archive.open(name) as stream:
        body = stream.read(_SMALL_PART + 1)
    if len(body) > _SMALL_PART:
        raise _Stopped
    with _damaged_if(*_XML_ERRORS):
        return ElementTree.fromstring(body)


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet name -> path of its XML part inside the package. Chart sheets (a tab holding only a chart) are left
    out: they have no cells, and fastexcel, asked for one, says so on stderr."""
    workbook = _small_part(archive, "xl/workbook.xml")
    rels = _small_part(archive, "xl/_rels/workbook.xml.rels")
    relations = list(rels.iter(f"{_NS_PKG}Relationship"))
    targets = {r.get("Id"): r.get("Target", "") for r in relations}
    charts = {r.get("Id") for r in relations if r.get("Type", "").endswith("/chartsheet")}
    parts = {}
    for sheet in (sheet for main in _NS_MAIN for sheet in workbook.iter(f"{main}sheet")):
        rid = next((sheet.get(f"{rel}id") for rel in _NS_REL if sheet.get(f"{rel}id") is not None), None)
        if rid in charts:
            continue
        target = targets.get(rid, "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        parts[sheet.get("name", "")] = path
    return parts


_FORMULA = re.compile(rb"<f[\s>/]")
_CELL_START = re.compile(rb'<c\s[^>]*?r="([A-Z]+[0-9]+)"')
_VALUE = re.compile(rb"<v>[^<]+</v>|<v\s[^>]*>[^<]+</v>")
_ERROR_CELL = re.compile(rb'<c\s[^>]*?\bt="e"[^>]*>')
_ERROR_VALUE = re.compile(rb"<v(?:\s[^>]*)?>([^<]*)</v>")
_REF = re.compile(r"([A-Z]+)([0-9]+)")


class _Stopped(Exception):
    """The scan was cancelled (the guard refused the file) or met something only the guard should judge."""


_SMALL_PART = 16 * 2**20  # workbook.xml and its relationships: read whole, but never more than this


def _scan_cells(
    archive: zipfile.ZipFile, part: str, stop: threading.Event | None = None
) -> tuple[set[str], dict[str, str]]:
    """Cells of a sheet part holding a formula but no cached value, and cells holding an Excel
    error value (`t="e"`: typed, or a formula's saved result), streamed in chunks."""
    cells = _CellFinder()
    if part not in archive.NameToInfo:  # a sheet named in the workbook without a part: the reader judges it
        return cells.found()
    with _damaged_if(*_ZIP_ERRORS), archive.open(part) as stream:
        while chunk := stream.read(8 * 2**20):
            if stop is not None and stop.is_set():
                raise _Stopped
            cells.feed(chunk)
    return cells.found()


class _CellFinder:
    """The scan of one sheet part (see _scan_cells), fed its XML chunk by chunk, in order."""

    def __init__(self) -> None:
        self.formulas: set[str] = set()
        self.errors: dict[str, str] = {}
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        if len(self._tail) > 2**20:  # no cell is that long: a hostile part, left to the guard
            raise _Stopped
        data = self._tail + chunk if self._tail else chunk
        # keep an unfinished cell for the next round, also one cut before its "<c " is whole
        cut = data.rfind(b"<c ")
        cut = cut if cut > data.rfind(b"</c>") else len(data)
        if cut == len(data) and data.endswith((b"<", b"<c")):
            cut = data.rfind(b"<")
        self._tail = data[cut:]
        # "f" alone is memchr-fast (a third of the search for "<f"), and most sheets hold none at all: their
        # text is in sharedStrings.xml, and no tag or attribute of a cell without a formula has an "f"
        if data.find(b"f", 0, cut) >= 0 and data.find(b"<f", 0, cut) >= 0:
            _find_formulas(data, cut, self.formulas)
        if data.find(b't="e"', 0, cut) >= 0:
            _find_errors(data, cut, self.errors)

    def found(self) -> tuple[set[str], dict[str, str]]:
        return self.formulas, self.errors


class _Watch:
    """The formula/error scan done on the guard's own pass over the sheets (etl.guard.check's `watch`), so that
    they are inflated once. The sheets are named by the workbook's two small parts, read capped before the guard
    has passed the file (as the reader reads them after). A scan that meets anything odd gives up: found() is then
    None, and the file is scanned again, the careful way, once the guard has passed it."""

    def __init__(self, data: bytes) -> None:
        self._parts: dict[str, str] = {}  # sheet name -> part
        self._cells: dict[str, _CellFinder] = {}  # part -> its scan
        self._failed = not _standard(data)
        if not self._failed:
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    self._parts = _sheet_parts(archive)
            except Exception:  # a damaged package or an odd workbook part: the guard or the careful scan judges it
                self._failed = True
        self._sheets = set(self._parts.values())

    def __call__(self, part: str) -> Callable[[bytes], None] | None:
        if self._failed or part not in self._sheets:
            return None
        cells = self._cells[part] = _CellFinder()

        def feed(chunk: bytes) -> None:
            if self._failed:
                return
            try:
                cells.feed(chunk)
            except Exception:  # never the guard's business: the careful scan meets it again (a bug is raised there)
                self._failed = True

        return feed

    def found(self) -> dict[str, tuple[set[str], dict[str, str]]] | None:
        """Sheet name -> its cells (as _scan gives them), or None when this scan cannot be used."""
        if self._failed:
            return None
        return {
            name: self._cells[part].found() if part in self._cells else (set(), {})
            for name, part in self._parts.items()
        }


def _find_formulas(data: bytes, limit: int, found: set[str]) -> None:
    """Formula cells without a saved value in data[:limit] (complete cells only)."""
    for match in _FORMULA.finditer(data, 0, limit):
        start = data.rfind(b"<c ", 0, match.start())
        end = data.find(b"</c>", match.end(), limit)
        cell = _CELL_START.match(data, start, limit)
        if start < 0 or end < 0 or not cell:
            continue
        if not _VALUE.search(data, match.end(), end):
            found.add(cell.group(1).decode())


def _find_errors(data: bytes, limit: int, found: dict[str, str]) -> None:
    """Error cells in data[:limit] (complete cells only)."""
    for match in _ERROR_CELL.finditer(data, 0, limit):
        cell = _CELL_START.match(data, match.start(), limit)
        if not cell or data[match.end() - 2 : match.end()] == b"/>":
            continue
        end = data.find(b"</c>", match.end(), limit)
        value = _ERROR_VALUE.search(data, match.end(), end if end >= 0 else limit)
        text = value.group(1).decode("utf-8", "replace").strip() if value else ""
        found[cell.group(1).decode()] = text or "#VALUE!"


class CellScan:
    """The formula/error scan of a package (see _scan_cells), started at once in a thread of its own.

    Reading starts it, once the guard has passed the file, when the scan on the guard's pass cannot be used (the
    package's parts were renamed for the reader, or that scan gave up); it streams the sheets in chunks and stops
    when cancelled.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._stop = threading.Event()
        self._found: dict | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if _standard(data):
            self._thread = threading.Thread(target=self._run, name="cell-scan", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._found = _scan(self.data, self._stop)
        except BaseException as exc:  # re-raised by result() in the reader's thread
            self._error = exc

    def result(self, data: bytes) -> dict[str, tuple[set[str], dict[str, str]]]:
        """The cells found in `data` (the reader's bytes: scanned here when they are not the ones scanned)."""
        if self._thread is None or data is not self.data:
            return _scan(data)
        self._thread.join()
        if self._error is not None:
            if isinstance(self._error, _Stopped):
                return _scan(data)  # the guard passed the file after all: scan it the careful way
            raise self._error
        return self._found or {}

    def cancel(self) -> None:
        self._stop.set()


def _standard(data: bytes) -> bool:
    """A package with the part names the reader expects (read from the zip directory: nothing inflated)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except Exception:  # a damaged package: the guard says so
        return False
    return {"xl/workbook.xml", "xl/_rels/workbook.xml.rels"} <= names


@dataclass
class _Passed:
    """What the first stage of a Reading hands on: the reader's bytes, the sheets in order, the largest one read."""

    data: bytes
    order: list[str]
    largest: str | None
    big: list[RawSheet]
    found: dict[str, tuple[set[str], dict[str, str]]] | None  # the scan done on the guard's pass, if it could be
    scan: CellScan | None  # else the scan started once the guard had passed the file

    def cancel(self) -> None:
        if self.scan is not None:
            self.scan.cancel()

    def cells(self) -> dict[str, tuple[set[str], dict[str, str]]]:
        if self.found is not None:
            return self.found
        assert self.scan is not None  # started whenever the guard-pass scan could not be used
        return self.scan.result(self.data)


class Reading:
    """A file's guard check, then the read of its largest sheet, started at once in a thread of its own.

    The reader in this process never sees bytes that etl.guard.check has not passed: a file of 9 KB with cells at
    A1 and XFD1048576 makes it allocate 512 GB, which aborts the process. The check and the read run in one thread,
    one after the other; fastexcel and zlib release the GIL, so a caller can import pandas and DuckDB and open
    the warehouse meanwhile. With `isolated` (the command line's first file) the largest sheet is read by a
    memory-capped child process beside the check instead (_Isolated), its rows taken once the check has passed.
    The formula/error scan rides on the guard's pass (one inflation of the sheets), or, for a package the reader
    gets renamed, runs beside the read; the other sheets are read by sheets(); then() hands the sheets to work
    that can begin as soon as they are read.
    """

    def __init__(self, data: bytes, *, isolated: bool = False) -> None:
        self.data = data
        # isolated: the largest sheet is read at once, beside the guard, by a child process of its own (see
        # _Isolated); only from a process with no other thread yet (a fork copies one thread): the command line
        self._child = _Isolated.start(data) if isolated else None
        self._first: Future[_Passed] = Future()
        self._judged = threading.Event()
        self._then: tuple[Callable, Future] | None = None
        threading.Thread(target=self._run, name="reading", daemon=False).start()

    def _run(self) -> None:
        try:
            self._first.set_result(self._guard_then_read())
        except BaseException as exc:  # the guard's refusal, the reader's UnreadableWorkbook or a bug: for sheets()
            self._first.set_exception(exc)
        finally:
            self._judged.set()

    def judged(self) -> None:
        """Wait until the guard has passed or refused the file (the read goes on, or there is none).

        The guard's byte scans hold the GIL; a caller with imports to do waits for this first, so that they do not
        slow the guard down and run beside the read instead (fastexcel releases the GIL)."""
        self._judged.wait()

    def _guard_then_read(self) -> _Passed:
        child = self._child
        try:
            watch = _Watch(self.data)
            try:
                guard.check(self.data, watch=watch)  # the formula/error scan rides on its pass
            finally:
                self._judged.set()
            with _damaged_if(*_ZIP_ERRORS):  # the guard's rewrite of non-standard part names inflates every part
                data = guard.normalise(self.data)
        except BaseException:
            if child is not None:
                child.cancel()  # refused: whatever the child read is never used
            raise
        found = watch.found() if data is self.data else None
        passed = _Passed(data, [], None, [], found, CellScan(data) if found is None else None)
        try:
            passed.largest, passed.order = _largest_sheet(data)
            if child is not None and (
                data is not self.data
                or child.sheet != passed.largest
                or {child.sheet, *child.others} != set(passed.order)
            ):
                child.cancel()  # it read other bytes than the reader's (renamed parts): read here
                child = None
            big = child.results() if child is not None else None
            if big is not None:
                passed.big = big
            elif passed.largest is not None:  # no child, or one that failed on a bug: read here, where it shows
                passed.big = _load_sheets(data, [passed.largest])
        except BaseException:
            passed.cancel()
            if child is not None:
                child.cancel()
            raise
        return passed

    def then(self, work: Callable[[list[RawSheet]], T]) -> None:
        """Read the sheets and run work(sheets) on them in a thread of its own, as soon as they are read: for a
        caller with other work meanwhile (the command line opens the warehouse while the first file's sheets are
        checked); read_then(work) waits for both."""
        done: Future[tuple[list[RawSheet], T]] = Future()
        self._then = (work, done)

        def run() -> None:
            try:
                sheets = self.sheets()
                done.set_result((sheets, work(sheets)))
            except BaseException as exc:  # the guard's refusal, or a bug: raised by read_then
                done.set_exception(exc)

        threading.Thread(target=run, name="reading-then", daemon=True).start()

    def read_then(self, work: Callable[[list[RawSheet]], T]) -> tuple[list[RawSheet], T]:
        """The sheets, and work(sheets): done by then() when it was handed this work, else here."""
        if self._then is not None and self._then[0] is work:
            return self._then[1].result()
        sheets = self.sheets()
        return sheets, work(sheets)

    def sheets(self) -> list[RawSheet]:
        """Every sheet as text, in the workbook's order. Raises FileRefused (the guard's refusal, or
        UnreadableWorkbook when the libraries cannot make sense of the file); any other exception is a bug."""
        passed = self._first.result()
        try:
            done = {sheet.name for sheet in passed.big}  # the largest, or every sheet (the child's)
            others = [name for name in passed.order if name not in done]
            rest = _load_sheets(passed.data, others) if others else []  # no other sheet: no second reader
        except BaseException:
            passed.cancel()
            raise
        found = passed.cells()
        loaded = {sheet.name: sheet for sheet in [*rest, *passed.big]}
        sheets = [loaded[name] for name in passed.order if name in loaded]
        for sheet in sheets:
            sheet.formula_cells, sheet.error_cells = found.get(sheet.name, (set(), {}))
            _show_errors(sheet)
        return sheets


def read_workbook(data: bytes) -> list[RawSheet]:
    """Every sheet of an .xlsx as text; etl.guard.check judges the file first (see Reading)."""
    return Reading(data).sheets()


def _largest_sheet(data: bytes) -> tuple[str | None, list[str]]:
    """The sheet whose part is the largest (by the zip directory), read first, in the Reading's thread, and
    every sheet's name in the workbook's order."""
    with _package(data) as archive:
        parts = _sheet_parts(archive)
        sizes = {name: archive.getinfo(part).file_size for name, part in parts.items() if part in archive.NameToInfo}
    return (max(sizes, key=sizes.__getitem__) if sizes else None), list(parts)


def _package(data: bytes) -> zipfile.ZipFile:
    """The zip package of a file the guard passed."""
    with _damaged_if(zipfile.BadZipFile):
        return zipfile.ZipFile(io.BytesIO(data))


def _scan(data: bytes, stop: threading.Event | None = None) -> dict[str, tuple[set[str], dict[str, str]]]:
    with _package(data) as archive:
        return {name: _scan_cells(archive, part, stop) for name, part in _sheet_parts(archive).items()}


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _show_errors(sheet: RawSheet) -> None:
    """Put each error value back into its cell (the reader left it blank), so it is reported there."""
    if not sheet.error_cells:
        return
    import pandas as pd
    import pyarrow as pa

    cells = sheet.cells
    by_column: dict[str, dict[int, str]] = {}
    for ref, value in sheet.error_cells.items():
        match = _REF.fullmatch(ref)
        assert match is not None  # refs come from _CELL_START, which matches only letters then digits
        letters, row = match.groups()
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


def _load_sheets(data: bytes, names: list[str]) -> list[RawSheet]:
    """The sheets named, read by a reader of their own."""
    with _damaged_if(*_FASTEXCEL_ERRORS):
        reader = fastexcel.read_excel(data)
    sheets = []
    for name in names:
        with _damaged_if(*_FASTEXCEL_ERRORS):
            sheet = _load_sheet(reader, name)
            table = sheet.to_arrow()
        letters = [column_letter(c.absolute_index) for c in sheet.selected_columns]
        sheets.append(_raw_sheet(name, table, letters, sheet.visible == "visible"))
    return sheets


def _load_sheet(reader: fastexcel.ExcelReader, name: str) -> fastexcel.ExcelSheet:
    """One sheet, every cell as text, its rows at their Excel row numbers (leading blank rows kept)."""
    return reader.load_sheet(
        name, header_row=None, skip_rows=0, schema_sample_rows=None, dtypes="string", whitespace_as_null=True
    )


def _raw_sheet(name: str, table, letters: list[str], visible: bool) -> RawSheet:
    """A sheet as fastexcel read it (an Arrow table or record batch; `letters`: its columns') as a RawSheet."""
    # Columns with no value at all (formatting only) are dropped early: a sheet may span 16,384.
    filled = [i for i, column in enumerate(table.columns) if column.null_count < table.num_rows]
    table = table.select(filled)
    # Imported here, after the read, not at the top: a Reading's read starts while its caller imports pandas
    # (≈ 0.3 s), and an import here before it would wait for that.
    import pandas as pd

    cells = table.to_pandas(types_mapper=pd.ArrowDtype) if table.num_rows else pd.DataFrame()
    cells.columns = [letters[i] for i in filled][: len(cells.columns)]
    cells.index = pd.RangeIndex(1, len(cells) + 1)
    return RawSheet(name, cells, visible)


class _Isolated:
    """A workbook's largest sheet read by fastexcel in a child process, begun before the guard has judged the file.

    In the importing process the reader never meets bytes the guard has not passed (see Reading). A child may: it
    reads under a cap on its address space (a 9 KB file that makes fastexcel allocate 512 GB ends the child, not
    the import), and its rows are used only after the guard has passed the file; until then the guard runs here,
    beside the read, on the other core. The rows come back as an Arrow IPC stream in an anonymous memory file
    (memfd), mapped, not copied. Linux only (fork, memfd); elsewhere the sheet is read in process.

    The child also has a time limit (time_limit: a base plus seconds per MB of XML the package unpacks to, counted
    from its start), as the command line holds the warehouse while it waits: a child still reading then is killed
    and the file refused (file.read_timeout), never read again in this process, whose read could not be stopped.
    """

    MEMORY_CAP = 8 * 2**30  # far above what any file the guard passes needs (its 30M-cell limit), far below 512 GB
    OK, DAMAGED, FAILED = 0, 3, 4  # the child's exit codes: read; fastexcel's refusal; anything else (a bug)
    # The time limit: at a load of 7-9 on 2 shared cores the child read 0.06-0.1 s per MB of sheet XML (a 48.6 MB
    # workbook, 296 MB of XML: 17-21 s; 1,000,000 attendance rows, 126 MB: 8-13 s; 871 MB: 83 s); this allows
    # 5-10 times that: 60-572 s (the guard's 1 GB of XML at most). DASHBOARD_READ_SECONDS sets it instead.
    BASE_SECONDS = 60.0
    SECONDS_PER_MB = 0.5

    def __init__(self, data: bytes, sheet: str, unpacked: int = 0, others: tuple[str, ...] = ()) -> None:
        self.sheet = sheet
        self.others = tuple(o for o in others if o != sheet)  # the workbook's other sheets, read beside it
        self.limit = self.time_limit(unpacked)
        self._deadline = time.monotonic() + self.limit
        self._fds = {name: os.memfd_create("etl-sheet", os.MFD_CLOEXEC) for name in (sheet, *self.others)}
        self._fd = self._fds[sheet]
        self._status: int | None = None
        self.pid = os.fork()
        if self.pid == 0:  # the child: reads, writes, and leaves without running any of the parent's clean-up
            code = self.FAILED
            try:
                # fastexcel's abort message is not the analyst's business, nor a fault handler's dump (one writes
                # to a descriptor of its own)
                faulthandler.disable()
                quiet = os.open(os.devnull, os.O_WRONLY)
                os.dup2(quiet, 1)
                os.dup2(quiet, 2)
                code = self._read(data)
            finally:
                os._exit(code)
        try:  # the child as a file descriptor, to wait for it with a timeout
            self._pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):  # a kernel before 5.3: _wait polls instead
            self._pidfd = -1

    @classmethod
    def start(cls, data: bytes) -> _Isolated | None:
        if not (hasattr(os, "fork") and hasattr(os, "memfd_create")):
            return None
        try:  # the zip directory and two small parts, read capped (as _Watch does before the guard)
            sheet, order = _largest_sheet(data)
            with _package(data) as archive:  # the sizes its directory declares (the guard checks them)
                unpacked = sum(info.file_size for info in archive.infolist())
        except Exception:  # a damaged or odd package: the guard judges it, the reader reads it in process
            return None
        # every sheet: a town's first workbook holds the roster and the sessions beside the attendance
        return cls(data, sheet, unpacked, tuple(order)) if sheet is not None else None

    @classmethod
    def time_limit(cls, unpacked: int) -> float:
        """Seconds the child may read a package that unpacks to `unpacked` bytes (DASHBOARD_READ_SECONDS: fixed;
        a value that is not a positive number is not used)."""
        with contextlib.suppress(ValueError):
            fixed = float(os.environ.get("DASHBOARD_READ_SECONDS", ""))
            if fixed > 0:
                return fixed
        return cls.BASE_SECONDS + cls.SECONDS_PER_MB * min(unpacked, guard.MAX_TOTAL_BYTES) / 2**20

    def _read(self, data: bytes) -> int:
        """In the child: the sheet, as an Arrow IPC stream into the memory file; the exit code."""
        resource.setrlimit(resource.RLIMIT_AS, (self.MEMORY_CAP, self.MEMORY_CAP))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # fastexcel's to_arrow needs pyarrow (≈ 0.1 s to import): imported while the read, which releases the GIL,
        # goes on
        arrow = threading.Thread(target=importlib.import_module, args=("pyarrow",), daemon=True)
        arrow.start()
        # the other sheets by a reader of their own, in a thread beside the largest (fastexcel releases the GIL):
        # for the import their read overlaps the largest one's instead of following it
        codes: dict[str, int] = {}
        rest = threading.Thread(target=self._write_all, args=(data, self.others, codes, arrow), daemon=True)
        if self.others:
            rest.start()
        self._write_all(data, (self.sheet,), codes, arrow)
        if self.others:
            rest.join()
        return max(codes.values(), default=self.OK)

    def _write_all(self, data: bytes, names: tuple[str, ...], codes: dict[str, int], arrow: threading.Thread) -> None:
        """In the child: each sheet named, as an Arrow IPC stream into its memory file; its code in `codes`."""
        try:
            reader = fastexcel.read_excel(data)
        except _FASTEXCEL_ERRORS:
            codes.update(dict.fromkeys(names, self.DAMAGED))
            return
        for name in names:
            try:
                sheet = _load_sheet(reader, name)
                arrow.join()
                batch = sheet.to_arrow()
            except _FASTEXCEL_ERRORS:
                codes[name] = self.DAMAGED
                return
            except BaseException:
                codes[name] = self.FAILED
                return
            import pyarrow as pa

            about = {
                "letters": [column_letter(c.absolute_index) for c in sheet.selected_columns],
                "visible": sheet.visible == "visible",
            }
            schema = batch.schema.with_metadata({b"etl": json.dumps(about).encode()})
            with open(self._fds[name], "wb", closefd=False) as out, pa.ipc.new_stream(out, schema) as stream:
                stream.write_batch(batch)
            codes[name] = self.OK

    def _wait(self, deadline: float | None = None) -> int | None:
        """The child's exit code, once it has ended and been reaped; None when it still runs at `deadline`."""
        if self._status is None:
            if deadline is not None and not self._ended_by(deadline):
                return None
            _, status = os.waitpid(self.pid, 0)
            self._status = os.waitstatus_to_exitcode(status)
            if self._pidfd >= 0:
                os.close(self._pidfd)
                self._pidfd = -1
        return self._status

    def _ended_by(self, deadline: float) -> bool:
        """Whether the child ends (or has ended) before `deadline` (time.monotonic()); it is not reaped here."""
        poll = None
        if self._pidfd >= 0:  # readable once the child has ended
            poll = select.poll()
            poll.register(self._pidfd, select.POLLIN)
        while True:
            if poll is not None:
                if poll.poll(min(max(deadline - time.monotonic(), 0), 60) * 1000):
                    return True
            elif os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
            else:
                time.sleep(0.01)
            if time.monotonic() >= deadline:
                return False

    def _close(self) -> None:
        for fd in self._fds.values():
            if fd >= 0:
                os.close(fd)
        self._fds = dict.fromkeys(self._fds, -1)
        self._fd = -1

    def result(self) -> RawSheet | None:
        """The largest sheet (see results)."""
        sheets = self.results()
        return None if sheets is None else sheets[0]

    def results(self) -> list[RawSheet] | None:
        """The sheets, the largest first (raises UnreadableWorkbook when fastexcel refused one or the child ended
        on a signal, e.g. out of its memory; FileRefused, file.read_timeout, when it was still reading at its time
        limit: it is killed); None when the child failed otherwise: the caller reads the sheets in process, where a
        bug shows with its traceback."""
        status = self._wait(self._deadline)
        if status is None:  # out of time: killed, and the file refused (not read here instead, see the class)
            self.cancel()
            raise guard.FileRefused("file.read_timeout", {"seconds": max(round(self.limit), 1)})
        try:
            if status == self.DAMAGED or status < 0:
                raise UnreadableWorkbook()
            if status != self.OK:
                return None
            # the rows point into the mapped memory files
            views = {n: mmap.mmap(fd, os.fstat(fd).st_size, prot=mmap.PROT_READ) for n, fd in self._fds.items()}
        finally:
            self._close()
        import pyarrow as pa

        sheets = []
        for name, view in views.items():
            stream = pa.ipc.open_stream(pa.py_buffer(view))
            about = json.loads(stream.schema.metadata[b"etl"])
            sheets.append(_raw_sheet(name, stream.read_next_batch(), about["letters"], about["visible"]))
        return sheets

    def cancel(self) -> None:
        """Stop the child (if it still runs) and reap it; its rows are never used."""
        if self._status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._wait()
        self._close()
