"""Raw sheets -> typed frames per kind, and every problem found, each with its sheet, row and column."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import i18n
from etl import values
from etl.kinds import (
    AMOUNT,
    BOOL,
    DATE,
    ENUM,
    ID,
    INT,
    KINDS,
    NUMBER,
    PERSONAL_PATTERNS,
    PROGRAMS,
    TARGET,
    TEXT,
    YEAR,
    AcrossRule,
    AtMost,
    Column,
    Kind,
    Known,
    NoPersonalData,
    NotAfterAsOf,
    NotBefore,
    OnlyWhen,
    Percent,
    ReferencedAs,
    RequiredWhen,
    Rule,
)
from etl.read import RawSheet
from i18n import t

HEADER_SCAN_ROWS = 30
_TOTAL_HINT = r"(?i)合\s*计|总\s*计|小\s*计|total|sum"
_TOTAL_HINT_ASCII = ("total", "sum")  # all that _TOTAL_HINT can find in ASCII text, lower-cased
TOTAL_WORDS = {"合计", "总计", "小计", "total", "totals", "grandtotal", "sum", "总合计"}
SKIPPED_SHEETS = {"说明", "填写说明", "instructions", "readme"}


@dataclass(kw_only=True)
class Problem:
    """One problem: a message key with its parameters, and where it is and what the cell held (blank for a
    problem with a whole file or sheet)."""

    key: str
    params: dict = field(default_factory=dict)
    sheet: str = ""
    row: int | None = None
    column: str = ""  # the column letter
    header: str = ""  # the header text over it
    field: str = ""  # the kind's column name
    value: str = ""

    def message(self, lang: str) -> str:
        params = {k: i18n.worded(v, lang) for k, v in self.params.items()}
        return t(self.key, lang, **params)

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "header": self.header,
            "field": self.field,
            "value": self.value,
            "message": self.message("en"),
            "message_zh": self.message("zh"),
        }


@dataclass
class SheetResult:
    """A recognised sheet: its kind, where its columns are, and its rows typed for the warehouse."""

    sheet: str
    kind: str
    header_row: int
    columns: dict[str, tuple[str, str]]  # field -> (column letter, header text)
    frame: pd.DataFrame  # one column per field present, plus _row (Excel row number)


@dataclass
class Report:
    """Everything validation found in one workbook."""

    sheets: list[SheetResult] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def frames(self, kind: str) -> list[SheetResult]:
        return [s for s in self.sheets if s.kind == kind]


def _both(kind: Kind) -> dict:
    return {"en": kind.name, "zh": kind.zh}


def _alias_map(kind: Kind) -> dict[str, str]:
    return {values.normalize_one(h): c.name for c in kind.columns for h in c.headers}


ALIASES = {name: _alias_map(kind) for name, kind in KINDS.items()}
SHEET_NAMES = {
    values.normalize_one(n): kind.name for kind in KINDS.values() for n in (kind.name, kind.zh, *kind.sheet_names)
}


def _header_row(cells: pd.DataFrame, kinds: list[str]) -> tuple[int | None, dict[str, int]]:
    """The row among the first rows that matches the most headers, with the match count per kind."""
    best_row, best_score, best_counts = None, 0, {}
    for row_number, row in cells.head(HEADER_SCAN_ROWS).iterrows():
        texts = {values.normalize_one(v) for v in row.dropna()}
        counts = {k: len({ALIASES[k][x] for x in texts if x in ALIASES[k]}) for k in kinds}
        score = max(counts.values(), default=0)
        if score > best_score:
            best_row, best_score, best_counts = row_number, score, counts
    return best_row, best_counts


def _recognise(raw: RawSheet, report: Report) -> tuple[Kind, int] | None:
    """The kind a sheet holds and its header row, or None (with an error when it holds data)."""
    named = SHEET_NAMES.get(values.normalize_one(raw.name))
    kinds = [named] if named else list(KINDS)
    row, counts = _header_row(raw.cells, kinds)
    if row is None:
        if named:
            missing = _missing_params(KINDS[named].required[0])
            report.errors.append(Problem(key="sheet.missing_column", params=missing, sheet=raw.name))
        else:
            report.errors.append(_unknown_sheet(raw.name))
        return None
    if named:
        return KINDS[named], row
    texts = {values.normalize_one(v) for v in raw.cells.loc[row].dropna()}
    complete = [k for k in KINDS.values() if _has_required(k, texts)]
    if not complete:
        report.errors.append(_unknown_sheet(raw.name))
        return None
    top = max(counts[k.name] for k in complete)
    best = [k for k in complete if counts[k.name] == top]
    if len(best) > 1:
        report.errors.append(
            Problem(
                key="sheet.ambiguous",
                sheet=raw.name,
                row=row,
                params={
                    "sheet": raw.name,
                    "candidates": {
                        "en": " or ".join(f"'{k.name}'" for k in best),
                        "zh": "或".join(f"“{k.zh}”" for k in best),
                    },
                    "example": {"en": best[0].name, "zh": best[0].zh},
                },
            )
        )
        return None
    return best[0], row


def _has_required(kind: Kind, texts: set[str]) -> bool:
    present = {ALIASES[kind.name][x] for x in texts if x in ALIASES[kind.name]}
    return all(c.name in present for c in kind.required)


def _unknown_sheet(sheet: str) -> Problem:
    names = {
        "en": ", ".join(k.name for k in KINDS.values()),
        "zh": "、".join(k.zh for k in KINDS.values()),
    }
    return Problem(key="sheet.unknown", params={"sheet": sheet, "names": names}, sheet=sheet)


def _missing_params(column: Column) -> dict:
    return {"header": {"en": column.name, "zh": column.zh}, "name": {"en": column.zh, "zh": column.name}}


def _parse(column: Column, text: pd.Series) -> tuple[pd.Series, np.ndarray, str]:
    """Typed values, the mask of unreadable cells and the message key for them. A column of few distinct values
    (a roster's roles, a sheet's dates) is parsed once per value and spread back to its rows."""
    if column.type in (ID, TEXT) or len(text) < _DISTINCT_FROM:
        return _parse_each(column, text)
    codes, distinct = pd.factorize(text)  # a blank cell: -1
    if not len(distinct) or len(distinct) * 4 > len(text):
        return _parse_each(column, text)
    typed, bad, message = _parse_each(column, pd.Series(distinct, dtype=text.dtype))
    spread = typed.array.take(codes, allow_fill=True)  # -1: the column's missing value
    return pd.Series(spread, index=text.index), (codes >= 0) & bad[np.maximum(codes, 0)], message


_DISTINCT_FROM = 1_000  # rows; a shorter column is parsed as it is


def _parse_each(column: Column, text: pd.Series) -> tuple[pd.Series, np.ndarray, str]:
    if column.type == DATE:
        return (*values.parse_date(text), "cell.date")
    if column.type == AMOUNT:
        return (*values.parse_amount(text), "cell.amount")
    if column.type == INT:
        return (*values.parse_int(text), "cell.int")
    if column.type == NUMBER:
        return (*values.parse_number(text), "cell.number")
    if column.type == BOOL:
        return (*values.parse_bool(text), "cell.bool")
    if column.type == YEAR:
        return (*values.parse_year(text), "cell.year")
    if column.type == TARGET:
        return (*values.parse_target(text), "cell.target")
    if column.type == ENUM:
        return (*values.parse_enum(text, column.choices, column.choice_aliases), "cell.enum")
    return text, np.zeros(len(text), dtype=bool), ""


def _enum_params(column: Column) -> dict:
    return {
        "allowed": {
            "en": ", ".join(column.choices),
            "zh": "、".join(f"{label}（{code}）" for code, label in column.choices.items()),
        }
    }


def _check_sheet(raw: RawSheet, kind: Kind, header_row: int, report: Report) -> None:
    cells = raw.cells
    aliases = ALIASES[kind.name]
    columns: dict[str, tuple[str, str]] = {}
    for letter, header in cells.loc[header_row].dropna().items():
        field_name = aliases.get(values.normalize_one(header))
        if field_name is None:
            report.warnings.append(
                Problem(
                    key="sheet.unknown_column",
                    params={"column": letter, "header": str(header), "kind": _both(kind)},
                    sheet=raw.name,
                    row=header_row,
                    column=letter,
                    header=str(header),
                )
            )
        elif field_name in columns:
            report.errors.append(
                Problem(
                    key="sheet.duplicate_column",
                    params={"header": str(header), "other": columns[field_name][0]},
                    sheet=raw.name,
                    row=header_row,
                    column=letter,
                    header=str(header),
                    field=field_name,
                    value=str(header),
                )
            )
        else:
            columns[field_name] = (letter, str(header))
    missing = [c for c in kind.required if c.name not in columns]
    for column in missing:
        report.errors.append(
            Problem(
                key="sheet.missing_column",
                params=_missing_params(column),
                sheet=raw.name,
                row=header_row,
                header=column.zh,
                field=column.name,
            )
        )
    if missing:
        return

    data = cells.loc[header_row + 1 :]
    body = data[[letter for letter, _ in columns.values()]]
    body.columns = list(columns)
    invisible = {f: _visible(body, f) for f in columns if kind.column(f).type == TEXT}  # before anything reads them
    normal = body.apply(values.normalize)
    keep = np.zeros(len(normal), dtype=bool)
    for field_name in normal.columns:
        keep |= normal[field_name].notna().to_numpy()
    keep = pd.Series(keep, index=normal.index)
    keep &= ~_total_rows(data)
    repeated = keep & _repeated_header(normal, columns)
    for row in repeated[repeated].index:
        report.warnings.append(
            Problem(key="sheet.header_repeated", params={"row": int(row)}, sheet=raw.name, row=int(row))
        )
    keep &= ~repeated
    if not keep.all():  # usually every row stays: no copy of the sheet's columns then
        body, normal = body[keep], normal[keep]
    if normal.empty:
        report.warnings.append(Problem(key="sheet.no_rows", params={"sheet": raw.name}, sheet=raw.name, row=header_row))

    frame = pd.DataFrame({"_row": normal.index.to_numpy()}, index=normal.index)
    for field_name, (letter, header) in columns.items():
        column = kind.column(field_name)
        text = normal[field_name]
        formula = np.zeros(len(text), dtype=bool)
        if raw.formula_cells:
            formula = np.array([f"{letter}{r}" in raw.formula_cells for r in text.index], dtype=bool)
        excel_error = np.zeros(len(text), dtype=bool)
        if raw.error_cells:  # #N/A, #DIV/0! …: one error at the cell, not also "not a date"
            excel_error = np.array([f"{letter}{r}" in raw.error_cells for r in text.index], dtype=bool)
        parsed, bad, message = _parse(column, text)
        params = _enum_params(column) if column.type == ENUM else {}

        def add(mask: np.ndarray, key: str, extra: dict | None = None, *, where=(letter, header, field_name)) -> None:
            _cell_errors(report, raw.name, where, body[where[2]], mask, key, extra or {})

        add(formula, "cell.formula")
        add(excel_error, "cell.excel_error")
        if column.required:
            add(text.isna().to_numpy() & ~formula, "cell.required")
        add(np.asarray(bad, dtype=bool) & ~excel_error, message, params)
        if column.min is not None:
            below = (parsed <= column.min) if column.min_exclusive else (parsed < column.min)
            key = "cell.min_exclusive" if column.min_exclusive else "cell.min"
            add(below.fillna(False).to_numpy(dtype=bool), key, {"min": _plain(column.min)})
        if column.max is not None:
            add((parsed > column.max).fillna(False).to_numpy(dtype=bool), "cell.max", {"max": _plain(column.max)})
        if column.type == TEXT:
            parsed = body[field_name].str.strip().mask(text.isna())
            _invisible_warnings(report, raw.name, (letter, header, field_name), invisible[field_name], body.index)
            if column.max_chars is not None:
                parsed = _cut(report, raw.name, (letter, header, field_name), parsed, column.max_chars)
        if column.default is not None:
            parsed = parsed.fillna(column.default)
        frame[field_name] = parsed
    result = SheetResult(raw.name, kind.name, int(header_row), columns, frame)
    for rule in kind.rules:
        _apply(rule, result, report)
    report.sheets.append(result)


# Characters that cannot be seen yet change what text shows: direction controls (U+202E, right-to-left override,
# shows "invoice\u202efdp.exe" as "invoiceexe.pdf") and zero-width characters (two names that look alike, a word
# that escapes a search). Free text from a workbook is stored without them (_visible).
_DIRECTION = ((0x202A, 0x202E), (0x2066, 0x2069), (0x200E, 0x200F), (0x061C, 0x061C))
_ZERO_WIDTH = ((0x200B, 0x200D), (0x2060, 0x2060), (0xFEFF, 0xFEFF))
_ZERO_WIDTH_CHARS = {chr(c) for low, high in _ZERO_WIDTH for c in range(low, high + 1)}
INVISIBLE = frozenset(chr(c) for low, high in (*_DIRECTION, *_ZERO_WIDTH) for c in range(low, high + 1))
_INVISIBLE = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in (*_DIRECTION, *_ZERO_WIDTH)) + "]")
_INVISIBLE_RE2 = "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in (*_DIRECTION, *_ZERO_WIDTH)) + "]"  # Arrow's
# A zero-width joiner between two emoji makes them one (man, ZWJ, woman, ZWJ, girl: a family): it is kept there,
# removed elsewhere.
_PICTOGRAPH = "\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff"
_JOINED = re.compile(f"(?<=[{_PICTOGRAPH}\ufe0f\U0001f3fb-\U0001f3ff])\u200d(?=[{_PICTOGRAPH}])")


def _visible(body: pd.DataFrame, field_name: str) -> dict[int, tuple[str, str]]:
    """Remove the invisible characters from the text column `field_name` of `body`, in place; the cells changed:
    row -> (the cell with each removed character written out, as [U+202E], and which kinds were removed)."""
    column = body[field_name]
    text = pa.array(column.astype("string[pyarrow]").array)
    if pc.all(pc.string_is_ascii(text)).as_py() is not False:  # the usual case: no such character can be there
        return {}
    found = pc.match_substring_regex(text, _INVISIBLE_RE2).fill_null(False).to_numpy(zero_copy_only=False)
    changed: dict[int, tuple[str, str]] = {}
    cleaned = column.copy()
    for position in np.flatnonzero(found):
        cell = str(column.iloc[position])
        kept = _JOINED.sub("\0", cell)  # the joiners to keep, hidden from the removal behind a NUL
        removed = _INVISIBLE.findall(kept)
        if not removed:
            continue
        cleaned.iloc[position] = _INVISIBLE.sub("", kept).replace("\0", "\u200d")
        kinds = {"zero_width" if c in _ZERO_WIDTH_CHARS else "direction" for c in removed}
        shown = _INVISIBLE.sub(lambda m: f"[U+{ord(m.group()):04X}]", kept).replace("\0", "\u200d")
        changed[int(column.index[position])] = (shown, "both" if len(kinds) == 2 else kinds.pop())
    if changed:
        body[field_name] = cleaned
    return changed


def _invisible_warnings(
    report: Report, sheet: str, where: tuple[str, str, str], changed: dict[int, tuple[str, str]], rows: pd.Index
) -> None:
    """A warning at each cell of the rows kept that _visible changed, saying what it removed."""
    letter, header, field_name = where
    for row in rows.intersection(list(changed)) if changed else ():
        shown, removed = changed[int(row)]
        report.warnings.append(
            Problem(
                key="cell.invisible_removed",
                params={
                    "row": int(row),
                    "column": letter,
                    "header": header,
                    "removed": _words(f"cell.invisible.{removed}"),
                },
                sheet=sheet,
                row=int(row),
                column=letter,
                header=header,
                field=field_name,
                value=shown,
            )
        )


def _cut(report: Report, sheet: str, where: tuple[str, str, str], text: pd.Series, limit: int) -> pd.Series:
    """`text` with each value longer than `limit` characters cut to it, and a warning at each such cell."""
    long = (text.str.len() > limit).fillna(False).to_numpy(dtype=bool)
    if not long.any():
        return text
    letter, header, field_name = where
    for row, value in text[long].items():
        report.warnings.append(
            Problem(
                key="cell.text_cut",
                params={"row": int(row), "column": letter, "header": header, "limit": limit, "length": len(value)},
                sheet=sheet,
                row=int(row),
                column=letter,
                header=header,
                field=field_name,
                value=value,
            )
        )
    text = text.copy()
    text[long] = text[long].str[:limit].str.rstrip()
    return text


def _words(key: str) -> dict[str, str]:
    return {"en": t(key, "en"), "zh": t(key, "zh")}


def _total_rows(data: pd.DataFrame) -> pd.Series:
    """Rows whose first filled cell says 合计 / 总计 / Total (only rows where that cell mentions such a word are
    examined). The first filled cell of every row at once: the columns coalesced, in the sheet's order."""
    found = pd.Series(False, index=data.index)
    if data.empty or not len(data.columns):
        return found
    cells = [pa.array(data[letter].astype("string[pyarrow]").array) for letter in data.columns]
    first = pd.Series(pd.arrays.ArrowStringArray(pc.coalesce(*cells) if len(cells) > 1 else cells[0]))
    for position in np.flatnonzero(_mentions_total(first)):
        found.iloc[position] = values.normalize_one(first.iloc[position]) in TOTAL_WORDS
    return found


def _mentions_total(column: pd.Series) -> np.ndarray:
    """Cells in which _TOTAL_HINT finds something (RE2, as pandas' str.contains runs it on Arrow text). An all-ASCII
    column is lower-cased and searched for the hint's two ASCII words instead: the same cells, ≈ 2-3× faster."""
    text = pa.array(column.astype("string[pyarrow]").array)
    if pc.all(pc.string_is_ascii(text)).as_py() is False:
        found = pc.match_substring_regex(text, _TOTAL_HINT)
    else:
        lower = pc.ascii_lower(text)
        found = pc.or_(*(pc.match_substring(lower, word) for word in _TOTAL_HINT_ASCII))
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def _repeated_header(normal: pd.DataFrame, columns: dict[str, tuple[str, str]]) -> pd.Series:
    """Rows that repeat the header row (a header pasted again further down)."""
    first = next(iter(columns))
    header = values.normalize(pd.Series([columns[first][1]])).iloc[0].lower()
    found = (normal[first].str.lower() == header).fillna(False).astype(bool)
    for row in found[found].index:
        found[row] = all(
            values.normalize_one(normal.at[row, f]) == values.normalize_one(h)
            for f, (_, h) in columns.items()
            if pd.notna(normal.at[row, f])
        )
    return found


def _cell_errors(
    report: Report,
    sheet: str,
    where: tuple[str, str, str],
    original: pd.Series,
    mask: np.ndarray,
    key: str,
    params: dict,
) -> None:
    """One error per masked cell, quoting what the cell held."""
    letter, header, field_name = where
    for row, value in original[mask].items():
        shown = "" if pd.isna(value) else str(value)
        report.errors.append(
            Problem(
                key=key,
                params=params,
                sheet=sheet,
                row=int(row),
                column=letter,
                header=header,
                field=field_name,
                value=shown,
            )
        )


def _plain(number: float) -> str:
    return f"{number:g}"


def _apply(rule: Rule, result: SheetResult, report: Report) -> None:
    """Apply one of the kind's row rules (etl.kinds) to a parsed sheet: fix its values or report its rows."""
    frame, columns = result.frame, result.columns
    match rule:
        case Percent(column=column, when=when, equals=equals) if column in frame and when in frame:
            percent = (frame[when] == equals).fillna(False) & (frame[column] > 1).fillna(False)
            frame.loc[percent, column] = frame.loc[percent, column] / 100
        case RequiredWhen(column=column, when=when, equals=equals, key=key) if when in frame:
            applies = (frame[when] == equals).fillna(False)
            blank = applies & frame[column].isna() if column in frame else applies
            letter, header = columns[column] if column in frame else columns[when]
            for row in frame.loc[blank, "_row"]:
                report.errors.append(
                    Problem(key=key, sheet=result.sheet, row=int(row), column=letter, header=header, field=column)
                )
        case NotBefore(column=column, other=other, key=key) if column in frame and other in frame:
            early = (frame[column] < frame[other]).fillna(False).to_numpy(dtype=bool)
            _row_problems(report.errors, result, frame.loc[early], column, key)
        case OnlyWhen(column=column, when=when, equals=equals, key=key) if column in frame and when in frame:
            stray = frame[column].notna().to_numpy(dtype=bool) & ~frame[when].isin(list(equals)).to_numpy(dtype=bool)
            stray &= frame[when].notna().to_numpy(dtype=bool)  # a blank status is an error of its own
            _row_problems(report.errors, result, frame.loc[stray], column, key)
        case AtMost(column=column, chars=chars, key=key) if column in frame:
            long = (frame[column].str.len() > chars).fillna(False).to_numpy(dtype=bool)
            _row_problems(
                report.errors, result, frame.loc[long], column, key, lambda text: {"limit": chars, "length": len(text)}
            )
        case NoPersonalData(column=column, key=key) if column in frame:
            text = frame[column].fillna("").astype(str)
            for what, pattern in PERSONAL_PATTERNS:
                found = text.str.contains(pattern).to_numpy(dtype=bool)
                params = {"what": _words(f"cell.personal.{what}")}
                _row_problems(report.errors, result, frame.loc[found], column, key, params)


def _row_problems(
    into: list[Problem],
    result: SheetResult,
    rows: pd.DataFrame,
    column: str,
    key: str,
    params: dict | Callable[[Any], dict] | None = None,
) -> None:
    """One problem (`key`) at `column` of each of `rows` (a slice of the result's frame), quoting the cell; its
    `params` the same for every row, or made from the cell's value (a callable)."""
    letter, header = result.columns[column]
    for _, item in rows[["_row", column]].iterrows():
        into.append(
            Problem(
                key=key,
                params=params(item[column]) if callable(params) else params or {},
                sheet=result.sheet,
                row=int(item["_row"]),
                column=letter,
                header=header,
                field=column,
                value=_shown(item[column]),
            )
        )


def _shown(value: object) -> str:
    """A parsed value as the error quotes it (a date without its time)."""
    return str(value.date()) if isinstance(value, pd.Timestamp) else str(value)


def _check_duplicates(report: Report) -> None:
    for kind in KINDS.values():
        results = report.frames(kind.name)
        if not results:
            continue
        # the usual case, found set-wise on the key columns alone; the rows (with their sheets) only when not
        alone = pd.concat([r.frame[list(kind.key)] for r in results], ignore_index=True)
        if values.distinct(alone.dropna(subset=list(kind.key))):
            continue
        del alone
        keys = pd.concat(
            [r.frame[[*kind.key, "_row"]].assign(_sheet=r.sheet, _letter=r.columns[kind.key[-1]][0]) for r in results],
            ignore_index=True,
        )
        keys = keys.dropna(subset=list(kind.key))
        dup = keys.duplicated(subset=list(kind.key), keep="first")
        if not dup.any():
            continue
        first = keys[~dup].set_index(list(kind.key))
        key_name = {
            "en": " + ".join(kind.key),
            "zh": "+".join(kind.column(k).zh for k in kind.key),
        }
        for _, item in keys[dup].iterrows():
            origin = first.loc[tuple(item[k] for k in kind.key) if len(kind.key) > 1 else item[kind.key[0]]]
            first_row = _first_met(int(origin["_row"]), origin["_sheet"], item["_sheet"])
            report.errors.append(
                Problem(
                    key="cell.duplicate_key",
                    params={"key": key_name, "first_row": first_row},
                    sheet=item["_sheet"],
                    row=int(item["_row"]),
                    column=item["_letter"],
                    header=kind.column(kind.key[-1]).zh,
                    field=kind.key[-1],
                    value=" / ".join(str(item[k]) for k in kind.key),
                )
            )


def _check_references(report: Report, stored_keys: Callable[[str], pd.Series]) -> None:
    for kind in KINDS.values():
        for ref in kind.references:
            target = KINDS[ref.kind]
            known = [r.frame[target.key[0]] for r in report.frames(target.name)]
            known_keys = pd.concat([*known, stored_keys(target.name)], ignore_index=True)
            for result in report.frames(kind.name):
                if ref.column not in result.frame:
                    continue
                ids = result.frame[ref.column]
                missing = ids.notna().to_numpy() & ~values.isin(ids, known_keys)
                letter, header = result.columns[ref.column]
                same_number = _by_number(known_keys) if missing.any() else {}
                for _, item in result.frame.loc[missing, ["_row", ref.column]].iterrows():
                    typed = str(item[ref.column])
                    stored = same_number.get(typed.lstrip("0")) if typed.isascii() and typed.isdigit() else None
                    params: dict = {"target": _both(target)}
                    if stored is not None and stored != typed:  # 101 for 000101, or the other way round
                        params |= {"typed": typed, "stored": stored}
                    report.errors.append(
                        Problem(
                            key="cell.reference_zeros" if "stored" in params else "cell.reference",
                            params=params,
                            sheet=result.sheet,
                            row=int(item["_row"]),
                            column=letter,
                            header=header,
                            field=ref.column,
                            value=typed,
                        )
                    )


def _first_met(row: int, sheet: str, here: str) -> int | str:
    """The row where a value was first met, as a message names it: with its sheet when that is another one."""
    return row if sheet == here else f"{row} ({sheet})"


def _check_key_zeros(report: Report, stored_keys: Callable[[str], pd.Series]) -> None:
    """An incoming ID that differs from a stored one, or from another row's, only by leading zeros (101 and 000101):
    loaded, it would be a second record of the same person or project, and every count would include both. Found
    set-wise; rows are visited only for the IDs in error."""
    for name in ID_KEYED:
        results = report.frames(name)
        if not results:
            continue
        kind = KINDS[name]
        key = kind.key[0]
        incoming = pd.concat(
            [
                pd.DataFrame(
                    {"typed": r.frame[key].astype("string"), "row": r.frame["_row"], "sheet": r.sheet, "at": i}
                )
                for i, r in enumerate(results)
            ],
            ignore_index=True,
        )
        incoming = incoming[incoming["typed"].str.fullmatch(r"[0-9]+").fillna(False).to_numpy(dtype=bool)]
        incoming = incoming.assign(number=incoming["typed"].str.lstrip("0"))
        incoming = incoming[(incoming["number"] != "").to_numpy(dtype=bool)]
        if incoming.empty:
            continue
        stored = stored_keys(name).dropna().astype("string")
        new = incoming[~values.isin(incoming["typed"], stored)]  # a stored ID itself is an update
        if new.empty:
            continue
        by_number = _by_number(stored)
        in_warehouse = new["number"].isin(list(by_number)).to_numpy(dtype=bool)
        first = new.groupby("number", sort=False).head(1).set_index("number")
        in_file = ~in_warehouse & (new["typed"] != new["number"].map(first["typed"])).to_numpy(dtype=bool)
        for item, warehouse in [(item, True) for _, item in new[in_warehouse].iterrows()] + [
            (item, False) for _, item in new[in_file].iterrows()
        ]:
            params: dict = {"typed": item["typed"], "target": _both(kind)}
            if warehouse:
                params["stored"] = by_number[item["number"]]
            else:
                origin = first.loc[item["number"]]
                params["stored"] = origin["typed"]
                params["first_row"] = _first_met(int(origin["row"]), origin["sheet"], item["sheet"])
            letter, header = results[int(item["at"])].columns[key]
            report.errors.append(
                Problem(
                    key="cell.key_zeros" if warehouse else "cell.key_zeros_row",
                    params=params,
                    sheet=item["sheet"],
                    row=int(item["row"]),
                    column=letter,
                    header=header,
                    field=key,
                    value=str(item["typed"]),
                )
            )


def _by_number(keys: pd.Series) -> dict[str, str]:
    """Known all-digit keys by the number they read as, leading zeros dropped ("101" -> "000101"): an ID typed into a
    cell formatted as a number loses them, the commonest reason an ID "does not exist"."""
    digits = [key for key in keys.dropna().astype(str).unique() if key.isascii() and key.isdigit()]
    return {key.lstrip("0"): key for key in digits if key.lstrip("0")}


def validate(raw_sheets: list[RawSheet], stored_keys: Callable[[str], pd.Series]) -> Report:
    """Recognise, parse and check every sheet; `stored_keys(kind)` gives the keys already in the warehouse."""
    report = check_sheets(raw_sheets)
    check_across(report, stored_keys)
    return report


def check_sheets(raw_sheets: list[RawSheet]) -> Report:
    """validate's first half: recognise, parse and check every sheet on its own."""
    report = Report()
    for raw in raw_sheets:
        if raw.cells.empty or raw.cells.isna().all().all():
            continue
        if values.normalize_one(raw.name) in SKIPPED_SHEETS or raw.name.startswith("_"):
            continue
        if not raw.visible:
            report.warnings.append(Problem(key="sheet.hidden", params={"sheet": raw.name}, sheet=raw.name))
            continue
        found = _recognise(raw, report)
        if found:
            _check_sheet(raw, *found, report)
    return report


def _check_rules_across(report: Report, stored_keys: Callable[[str], pd.Series]) -> None:
    """Each kind's rules that need the other sheets of the file or the warehouse (Kind.across)."""
    for kind in KINDS.values():
        results = report.frames(kind.name)
        for rule in kind.across if results else ():
            for result in results:
                _apply_across(rule, result, report, stored_keys)


def _declared_as_of(report: Report) -> pd.Timestamp:
    """The as-of date the workbook declares (its metadata sheet's latest 数据截至), else today."""
    days = [r.frame["as_of"].dropna() for r in report.frames("metadata") if "as_of" in r.frame]
    declared = pd.concat(days) if days else pd.Series([], dtype="datetime64[us]")
    return pd.Timestamp(declared.max()) if not declared.empty else pd.Timestamp.today().normalize()


def _known(report: Report, stored_keys: Callable[[str], pd.Series], among: tuple[tuple[str, str], ...]) -> pd.Series:
    """The values of (kind, column) pairs in the file and the warehouse."""
    parts = [
        r.frame[column].dropna().astype("string")
        for kind, column in among
        for r in report.frames(kind)
        if column in r.frame
    ]
    parts += [stored_keys(lookup(kind, column)).astype("string") for kind, column in among]
    return pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True).dropna()


def _apply_across(
    rule: AcrossRule, result: SheetResult, report: Report, stored_keys: Callable[[str], pd.Series]
) -> None:
    frame = result.frame
    match rule:
        case NotAfterAsOf(columns=dates, key=key):
            limit = _declared_as_of(report)
            for column in (c for c in dates if c in frame):
                late = (frame[column] > limit).fillna(False).to_numpy(dtype=bool)
                _row_problems(report.errors, result, frame.loc[late], column, key, {"as_of": str(limit.date())})
        case Known(column=column, among=among, key=key) if column in frame:
            known = _known(report, stored_keys, among)
            if known.empty:
                return  # nothing known yet: not judged
            unknown = frame[column].notna().to_numpy(dtype=bool) & ~values.isin(frame[column], known)
            if unknown.any():
                some = "、".join(sorted(known.unique())[:5])
                _row_problems(report.errors, result, frame.loc[unknown], column, key, {"known": some})
        case ReferencedAs(column=column, kind=target, attribute=attribute, allowed=allowed, key=key) if column in frame:
            programmes: dict[str, str] = {}
            stored = stored_keys(lookup(target, attribute))
            if len(stored):
                programmes.update(zip(stored.index.astype(str), stored.astype(str), strict=True))
            key_column = KINDS[target].key[0]
            for r in report.frames(target):  # the file's own rows count over the warehouse's
                if attribute in r.frame and key_column in r.frame:
                    pairs = r.frame[[key_column, attribute]].dropna()
                    programmes.update(zip(pairs[key_column].astype(str), pairs[attribute].astype(str), strict=True))
            ok = set(allowed())
            linked = frame[column].astype("string")
            wrong = np.array(
                [pd.notna(v) and str(v) in programmes and programmes[str(v)] not in ok for v in linked], dtype=bool
            )
            if wrong.any():
                names = {
                    "en": ", ".join(p.replace("_", " ") for p in ok),
                    "zh": "、".join(PROGRAMS.get(p, p) for p in ok),
                }

                def named(value: object) -> dict:
                    program = programmes[str(value)]
                    return {
                        "program": {"en": program.replace("_", " "), "zh": PROGRAMS.get(program, program)},
                        "allowed": names,
                    }

                _row_problems(report.errors, result, frame.loc[wrong], column, key, named)


def lookup(kind: str, column: str) -> str:
    """The name `stored_keys` is asked for the stored values of a kind's column ("projects.program"): a Series of
    them, indexed by the kind's key."""
    return f"{kind}.{column}"


# The kinds identified by one ID column, whose IDs are checked against each other for lost leading zeros.
ID_KEYED = [kind.name for kind in KINDS.values() if len(kind.key) == 1 and kind.column(kind.key[0]).type == "id"]
# The kinds whose keys check_across asks `stored_keys` for, and the columns of stored rows its rules read (lookup).
_LOOKUPS = {
    lookup(k, c)
    for kind in KINDS.values()
    for rule in kind.across
    for k, c in (
        rule.among
        if isinstance(rule, Known)
        else ((rule.kind, rule.attribute),)
        if isinstance(rule, ReferencedAs)
        else ()
    )
}
STORED = sorted({ref.kind for kind in KINDS.values() for ref in kind.references} | set(ID_KEYED) | _LOOKUPS)


def check_across(report: Report, stored_keys: Callable[[str], pd.Series]) -> None:
    """validate's second half, on what check_sheets found: keys repeated within or across sheets, references to
    keys of the file or the warehouse (`stored_keys(kind)`, asked for the STORED kinds only), IDs that differ from
    others only by leading zeros; then every problem in reading order. It only reads the report's frames: it may
    run beside a load of them."""
    _check_duplicates(report)
    _check_references(report, stored_keys)
    _check_key_zeros(report, stored_keys)
    _check_rules_across(report, stored_keys)
    if not report.sheets and not report.errors:
        report.errors.append(Problem(key="file.no_sheets"))
    report.errors.sort(key=lambda p: (p.sheet, p.row or 0, len(p.column), p.column))
