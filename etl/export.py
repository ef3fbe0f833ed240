"""The warehouse's rows as a workbook in the template's layout, which the importer reads back to the same values.

An analyst downloads the current data, edits a few cells and uploads the file again: every untouched row must come
back equal to what is stored (the import is then `unchanged`), so each value is written the way the reader gives it
back exactly (measured on fastexcel 0.21 + xlsxwriter 3.3):

- enumerations as the template's dropdown values (Chinese labels in zh, codes in en), yes/no as 是/否 or yes/no;
- dates as Excel dates (written from `date` objects: xlsxwriter writes datetime(1900, 1, 1) as day 0), except
  before 1900-01-01, which Excel cannot hold as a date: those are written as ISO text, read as the same date;
- numbers as numbers when the reader gives them back equal (xlsxwriter writes 16 significant digits, the reader
  returns 9 decimals), else as the exact text of the number (1/3 of an hour, a target of 0.1234567891);
- IDs and text as text cells (leading zeros, '00123', '1e5', 'TRUE' stay text); a text starting with = + - @ gets
  Excel's quote prefix (the cell's own "typed with a leading apostrophe" flag): Excel shows and keeps it as text,
  never runs it, and the value read back has no apostrophe added;
- a missing value as an empty cell; training_coverage targets (stored as a fraction) as that fraction, shown as a
  percentage.

Large tables stream: rows are fetched in chunks and written row by row into a constant-memory workbook.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

import declared
from etl.kinds import AMOUNT, BOOL, DATE, ENUM, ID, INT, KINDS, LOAD_ORDER, NUMBER, TARGET, TEXT, YEAR, Column, Kind
from etl.template import Layout, choices, sheet_name
from i18n import t

MAX_ROWS = 1_048_575  # data rows on one sheet (Excel's 1,048,576 rows less the header); more go on a next sheet
CHUNK = 50_000  # rows fetched from the warehouse at a time
MAX_TEXT = 32_767  # characters Excel keeps in one cell
FIRST_EXCEL_DATE = date(1900, 1, 1)  # Excel's day 1: an earlier date is written as text
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula (etl.annotate.neutralise)


@dataclass
class Exported:
    """What an export wrote: rows per kind, the sheets holding them, and cells Excel could not hold whole."""

    rows: dict[str, int] = field(default_factory=dict)
    sheets: dict[str, list[str]] = field(default_factory=dict)
    truncated: list[str] = field(default_factory=list)  # "sheet!A2": text longer than an Excel cell holds


def exact_number(x: float) -> bool:
    """Whether a number written as a number cell is read back equal: xlsxwriter writes 16 significant digits and
    the reader (fastexcel) gives 9 decimals."""
    return float(f"{float(f'{x:.16G}'):.9f}") == x


def _number_text(x: float) -> str:
    """The shortest text of a float that reads back as the same float."""
    return repr(float(x))


def _percent_format(value: float) -> str:
    """A percentage with as many decimals as the value needs (up to 2): 1 -> 0%, 0.955 -> 0.0%."""
    for decimals in range(3):
        if round(value * 100, decimals) == round(value * 100, 9):
            return "0" + ("." + "0" * decimals if decimals else "") + "%"
    return "0.00%"


class _Formats:
    """The export's own cell formats, made once per workbook: text with Excel's quote prefix, and percentages."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.quoted = layout.book.add_format({"num_format": "@", "quote_prefix": True})
        self.percents: dict[str, Format] = {}

    def percent(self, value: float) -> Format:
        pattern = _percent_format(value)
        if pattern not in self.percents:
            self.percents[pattern] = self.layout.book.add_format({"num_format": pattern})
        return self.percents[pattern]


class _Cells:
    """Per-column writers of stored values into a kind's sheets, in the reader's language."""

    def __init__(self, layout: Layout, formats: _Formats, kind: Kind) -> None:
        self.layout = layout
        self.formats = formats
        self.kind = kind
        self.truncated: list[tuple[int, int]] = []

    def writer(self, c: int, column: Column) -> Callable[[Worksheet, int, object, tuple], None]:
        """A function (sheet, row, value, whole row) -> None writing one stored, non-missing value."""
        lang = self.layout.lang
        fmt = self.layout.column_format(column)
        quoted, as_text = self.formats.quoted, self.layout.styles["@"]

        def text(sheet: Worksheet, r: int, value: Any, row: tuple) -> None:
            value = str(value)
            if sheet.write_string(r, c, value, quoted if value.startswith(FORMULA_START) else fmt) == -2:
                self.truncated.append((r, c))

        if column.type in (ID, TEXT):
            return text
        if column.type == ENUM:
            shown = dict(zip(column.choices, choices(column, lang), strict=True))

            def enum(sheet: Worksheet, r: int, value: Any, row: tuple) -> None:
                text(sheet, r, shown.get(value, value), row)

            return enum
        if column.type == BOOL:
            yes, no = choices(column, lang)

            def boolean(sheet: Worksheet, r: int, value: Any, row: tuple) -> None:
                sheet.write_string(r, c, yes if value else no, fmt)

            return boolean
        if column.type == DATE:

            def day(sheet: Worksheet, r: int, value: Any, row: tuple) -> None:
                if isinstance(value, datetime):
                    value = value.date()
                if value < FIRST_EXCEL_DATE:
                    sheet.write_string(r, c, value.isoformat(), as_text)
                else:
                    sheet.write_datetime(r, c, value, fmt)

            return day
        if column.type in (AMOUNT, INT, YEAR):  # fen, whole numbers: always exact within their bounds

            def whole(sheet: Worksheet, r: int, value: Any, row: tuple) -> None:
                sheet.write_number(r, c, float(value) if column.type == AMOUNT else int(value), fmt)

            return whole
        if column.type in (NUMBER, TARGET):
            percent_of = self._percent_rows(column)

            def number(sheet: Worksheet, r: int, value: Any, row: tuple) -> None:
                value = float(value)
                if not exact_number(value):
                    sheet.write_string(r, c, _number_text(value), as_text)
                elif percent_of(row) and 0 <= value <= 1:
                    sheet.write_number(r, c, value, self.formats.percent(value))
                else:
                    sheet.write_number(r, c, value, fmt)

            return number
        raise ValueError(f"no export for column type {column.type!r}")

    def _percent_rows(self, column: Column) -> Callable[[tuple], bool]:
        """Which rows hold a fraction shown as a percentage: a training_coverage target (the importer reads 1 and
        100 % as full coverage; the number cell keeps the fraction)."""
        if column.type != TARGET or "metric" not in self.kind.column_names:
            return lambda row: False
        at = self.kind.column_names.index("metric")
        return lambda row: row[at] == "training_coverage"


def _missing(value: object) -> bool:
    return value is None


def _rows(con: duckdb.DuckDBPyConnection, kind: Kind) -> Iterable[list[tuple]]:
    """The kind's stored rows in key order, a chunk at a time."""
    names = ", ".join(f'"{c}"' for c in kind.column_names)
    order = ", ".join(f'"{k}"' for k in kind.key)
    cursor = con.cursor()
    try:
        cursor.execute(f"SELECT {names} FROM {kind.name} ORDER BY {order}")
        while chunk := cursor.fetchmany(CHUNK):
            yield chunk
    finally:
        cursor.close()


def _overflow_name(kind: Kind, lang: str, part: int) -> str:
    """The name of a kind's next sheet when one sheet cannot hold all its rows: 培训签到 (2). The importer
    recognises it by its headers."""
    return f"{sheet_name(kind, lang)} ({part})"


def _export_kind(con: duckdb.DuckDBPyConnection, layout: Layout, formats: _Formats, kind: Kind, done: Exported) -> None:
    cells = _Cells(layout, formats, kind)
    writers = [cells.writer(c, column) for c, column in enumerate(kind.columns)]
    sheet = layout.kind_sheet(kind)
    names = [sheet.name]
    r, count = 0, 0
    for chunk in _rows(con, kind):
        for row in chunk:
            if r == MAX_ROWS:
                done.truncated += [f"{sheet.name}!{_ref(rr, cc)}" for rr, cc in cells.truncated]
                cells.truncated = []
                sheet = layout.kind_sheet(kind, _overflow_name(kind, layout.lang, len(names) + 1))
                names.append(sheet.name)
                r = 0
            r += 1
            for write, value in zip(writers, row, strict=True):
                if not _missing(value):
                    write(sheet, r, value, row)
        count += len(chunk)
    done.truncated += [f"{sheet.name}!{_ref(rr, cc)}" for rr, cc in cells.truncated]
    done.rows[kind.name] = count
    done.sheets[kind.name] = names


def _ref(r: int, c: int) -> str:
    return xl_rowcol_to_cell(r, c)


def selected(kinds: Iterable[str] | None) -> list[str]:
    """The kinds to export in the template's order (all when None); an unknown name is a ValueError naming them."""
    if kinds is None:
        return list(LOAD_ORDER)
    wanted = [k.strip() for k in kinds if k.strip()]
    unknown = [k for k in wanted if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown kind(s) {', '.join(unknown)}: choose from {', '.join(LOAD_ORDER)}")
    return [k for k in LOAD_ORDER if k in wanted]


def export(
    con: duckdb.DuckDBPyConnection,
    target: Path | BinaryIO,
    lang: str = "zh",
    kinds: Iterable[str] | None = None,
    *,
    now: datetime | None = None,
) -> Exported:
    """Write the warehouse's rows of `kinds` (default: every kind) to `target` (a path or a binary stream) in the
    template's layout and `lang`'s headers and labels; returns what was written."""
    names = selected(kinds)
    now = (now or datetime.now()).replace(microsecond=0)
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
    title = t("roundtrip.book.title", lang, **declared.of(con).params(lang))  # the town as the data declare it
    from etl.bootstrap import is_sample_only

    # the sample's rows say so atop the instructions and in every sheet's printed header (as every handout does)
    sample = is_sample_only(con)
    mark = t("presenter.sample_mark", lang) if sample else ""
    layout = Layout(target, lang, constant_memory=True, title=title, created=now, mark=mark)
    notes = (
        *((t("export.sample", lang),) if sample else ()),
        t("roundtrip.book.when", lang, when=now.strftime("%Y-%m-%d %H:%M")),
        t("roundtrip.book.how", lang),
    )
    layout.instructions(notes)
    formats = _Formats(layout)
    done = Exported()
    try:
        for name in names:
            _export_kind(con, layout, formats, KINDS[name], done)
    finally:
        layout.close()
    return done


def export_bytes(
    con: duckdb.DuckDBPyConnection, lang: str = "zh", kinds: Iterable[str] | None = None
) -> tuple[bytes, Exported]:
    """The export as bytes (for a download), with what it holds."""
    buffer = io.BytesIO()
    done = export(con, buffer, lang, kinds)
    return buffer.getvalue(), done
