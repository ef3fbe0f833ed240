"""The blank workbook analysts fill in, generated from the kinds: instructions, one sheet per kind, dropdowns."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from etl.kinds import AMOUNT, BOOL, DATE, ENUM, ID, INT, KINDS, LOAD_ORDER, NUMBER, TARGET, TEXT, YEAR, Column, Kind
from i18n import CATALOGUES, t

CREATED = datetime(2024, 1, 1)  # fixed, so the same template always has the same bytes
LAST_ROW = 1_048_575  # validations and formats reach the last Excel row (0-based)
LIST_SHEET = "_lists"  # sheets starting with "_" are skipped by the importer
INLINE_LIST_LIMIT = 255  # Excel's limit on an inline dropdown source

# The template's text is in the i18n catalogues under template.*.
# Examples of the forms each type accepts (the same in both languages).
FORMS = (
    (DATE, "2024-03-05 / 2024/3/5 / 2024年3月5日 / 2024.3.5"),
    (AMOUNT, "1200 / 1,200 / ¥1,200 / 1200元 / 6.5万"),
    (BOOL, "是 / 否 / Y / N / yes / no"),
    (ID, "000123 / YH0001"),
    (TARGET, "50 / 100%"),
)
RULES = 5  # template.rule.0 … template.rule.4
TABLE_COLUMNS = 5  # template.table.0 … template.table.4
NUMBER_FORMATS = {DATE: "yyyy-mm-dd", AMOUNT: "#,##0.00", INT: "0", YEAR: "0", ID: "@", TEXT: "@", ENUM: "@", BOOL: "@"}
WIDTHS = {ID: 14, TEXT: 24, ENUM: 14, DATE: 13, AMOUNT: 14, INT: 12, NUMBER: 10, BOOL: 10, YEAR: 10, TARGET: 12}


def _say(key: str, lang: str, **params: object) -> str:
    return t(f"template.{key}", lang, **params)


def _note(key: str, lang: str) -> str | None:
    """An optional note (template.column.<kind>.<column>), or None when the catalogue has none."""
    return CATALOGUES[lang].get(f"template.{key}")


def header(column: Column, lang: str) -> str:
    """The header a template shows for a column: its Chinese or English name, * when required."""
    return (column.zh if lang == "zh" else column.name) + ("*" if column.required else "")


def sheet_name(kind: Kind, lang: str) -> str:
    """The template sheet of a kind."""
    return kind.zh if lang == "zh" else kind.name


def choices(column: Column, lang: str) -> list[str]:
    """The dropdown values of an enumeration or yes/no column (Chinese labels, or English codes)."""
    if column.type == BOOL:
        return [_say("yes", lang), _say("no", lang)]
    return list(column.choices.values()) if lang == "zh" else list(column.choices)


def _comment(kind: Kind, column: Column, lang: str) -> str:
    lines = [(column.zh if lang == "zh" else column.name) + (_say("required", lang) if column.required else "")]
    lines.append(_say("other_header", lang, name=column.name if lang == "zh" else column.zh))
    lines.append(_say(f"type.{column.type}", lang))
    if column.type == ENUM:
        sep = "、" if lang == "zh" else ", "
        lines.append(_say("one_of", lang, values=sep.join(choices(column, lang))))
    for ref in kind.references:
        if ref.column == column.name:
            lines.append(_say("references", lang, target=sheet_name(KINDS[ref.kind], lang)))
    if column.min is not None:
        lines.append(_say("min_exclusive" if column.min_exclusive else "min", lang, n=f"{column.min:g}"))
    if column.max is not None:
        lines.append(_say("max", lang, n=f"{column.max:g}"))
    if column.default is True:
        lines.append(_say("default", lang, value=_say("yes", lang)))
    note = _note(f"column.{kind.name}.{column.name}", lang)
    if note:
        lines.append(note)
    return "\n".join(lines)


class _Lists:
    """Dropdown sources too long to write inline, kept on one hidden sheet (created when first needed). A list is
    written down its column at once, or with `defer` (a constant-memory book, whose cells must come row by row)
    when the book closes."""

    def __init__(self, book: xlsxwriter.Workbook, defer: bool = False) -> None:
        self.book = book
        self.defer = defer
        self.sheet: Worksheet | None = None
        self.columns: list[list[str]] = []

    def source(self, values: list[str]) -> list[str] | str:
        if len(",".join(values)) <= INLINE_LIST_LIMIT:
            return values
        if self.sheet is None:
            self.sheet = self.book.add_worksheet(LIST_SHEET)
            self.sheet.hide()
        col = len(self.columns)
        self.columns.append(values)
        if not self.defer:
            for r, value in enumerate(values):
                self.sheet.write_string(r, col, value)
        letter = xlsxwriter.utility.xl_col_to_name(col)
        return f"='{LIST_SHEET}'!${letter}$1:${letter}${len(values)}"

    def close(self) -> None:
        if self.sheet is None or not self.defer:
            return
        for r in range(max(len(values) for values in self.columns)):
            for col, values in enumerate(self.columns):
                if r < len(values):
                    self.sheet.write_string(r, col, values[r])


def _validate(sheet, c: int, column: Column, lang: str, lists: _Lists) -> None:
    """A dropdown on enumeration and yes/no columns; a range check on bounded numbers. Warnings, not blocks:
    the importer accepts more forms (codes and labels) than a dropdown can list."""
    if column.type in (ENUM, BOOL):
        sheet.data_validation(
            1,
            c,
            LAST_ROW,
            c,
            {
                "validate": "list",
                "source": lists.source(choices(column, lang)),
                "error_type": "warning",
                "error_title": _say("pick_title", lang),
                "error_message": _say("pick_message", lang),
            },
        )
    elif column.type in (INT, NUMBER) and (column.min is not None or column.max is not None):
        rule: dict[str, object] = {
            "validate": "integer" if column.type == INT else "decimal",
            "error_type": "warning",
            "error_title": _say("range_title", lang),
            "error_message": _say("range_message", lang),
        }
        if column.min is not None and column.max is not None:
            rule |= {"criteria": "between", "minimum": column.min, "maximum": column.max}
        elif column.min is not None:
            rule |= {"criteria": ">" if column.min_exclusive else ">=", "value": column.min}
        else:
            rule |= {"criteria": "<=", "value": column.max}
        sheet.data_validation(1, c, LAST_ROW, c, rule)


class Layout:
    """The template's workbook: an instructions sheet, then one sheet per kind with its headers (comments, required
    ones marked), dropdowns, number formats and frozen header row. The blank template and the data export
    (etl.export) are both written through it, so the two cannot drift apart.

    `target` is a path or a binary stream; `constant_memory` (for large exports) flushes each row once a later row
    is written: cells must then be written row by row, in order.
    """

    def __init__(
        self,
        target: Path | BinaryIO,
        lang: str,
        *,
        constant_memory: bool = False,
        title: str | None = None,
        created: datetime = CREATED,
    ) -> None:
        if lang not in ("zh", "en"):
            raise ValueError(f"unknown language {lang!r}: use 'zh' or 'en'")
        self.lang = lang
        options: dict[str, object] = {"constant_memory": True} if constant_memory else {}
        if not constant_memory and not isinstance(target, (str, Path)):
            options["in_memory"] = True  # (xlsxwriter lets in_memory override constant_memory: not both)
        self.book = xlsxwriter.Workbook(target if not isinstance(target, Path) else str(target), options)
        self.book.set_properties({"title": title or _say("title", lang), "created": created})
        book = self.book
        self.styles = {
            "title": book.add_format({"bold": True, "font_size": 14}),
            "bold": book.add_format({"bold": True}),
            "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
            "header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "valign": "vcenter"}),
            "required": book.add_format(
                {"bold": True, "bg_color": "#FCE4D6", "border": 1, "valign": "vcenter", "font_color": "#C00000"}
            ),
        }
        for number_format in set(NUMBER_FORMATS.values()):
            self.styles[number_format] = book.add_format({"num_format": number_format})
        self.lists = _Lists(book, defer=constant_memory)

    def column_format(self, column: Column) -> Format | None:
        """The number format a column's cells carry (dates as dates, amounts with separators, IDs and text as text)."""
        number_format = NUMBER_FORMATS.get(column.type)
        return self.styles.get(number_format) if number_format else None

    def instructions(self, notes: tuple[str, ...] = ()) -> Worksheet:
        """The instructions sheet (the importer skips it by its name); `notes` are lines shown under the title."""
        lang, styles = self.lang, self.styles
        sheet = self.book.add_worksheet(_say("instructions", lang))
        sheet.set_column(0, 0, 16)
        sheet.set_column(1, 1, 44, styles["wrap"])
        sheet.set_column(2, 2, 22, styles["wrap"])
        sheet.set_column(3, 3, 90, styles["wrap"])
        sheet.set_column(4, 4, 22, styles["wrap"])
        sheet.write_string(0, 0, _say("title", lang), styles["title"])
        row = 2
        for note in notes:
            sheet.merge_range(row, 0, row, 4, note, styles["bold"])
            row += 1
        if notes:
            row += 1
        for rule in range(RULES):
            sheet.write_string(row, 0, "•")
            sheet.merge_range(row, 1, row, 4, _say(f"rule.{rule}", lang), styles["wrap"])
            row += 1
        row += 1
        sheet.write_row(row, 0, [_say(f"table.{i}", lang) for i in range(TABLE_COLUMNS)], styles["header"])
        sep = "、" if lang == "zh" else ", "
        for name in LOAD_ORDER:
            kind = KINDS[name]
            row += 1
            sheet.write_string(row, 0, sheet_name(kind, lang), styles["bold"])
            sheet.write_string(row, 1, _say(f"kind.{name}", lang))
            sheet.write_string(row, 2, " + ".join(header(kind.column(k), lang).rstrip("*") for k in kind.key))
            sheet.write_string(row, 3, sep.join(header(c, lang) for c in kind.columns))
            refs = {sheet_name(KINDS[r.kind], lang) for r in kind.references}
            sheet.write_string(row, 4, sep.join(sorted(refs)))
        row += 2
        sheet.write_string(row, 0, _say("forms_title", lang), styles["bold"])
        for column_type, examples in FORMS:
            row += 1
            sheet.write_string(row, 1, _say(f"type.{column_type}", lang))
            sheet.merge_range(row, 2, row, 4, examples, styles["wrap"])
        return sheet

    def kind_sheet(self, kind: Kind, name: str | None = None) -> Worksheet:
        """A kind's sheet (named as the template names it unless `name` is given) with its header row written:
        data rows start at row 1 (0-based)."""
        lang, styles = self.lang, self.styles
        sheet = self.book.add_worksheet(name or sheet_name(kind, lang))
        for c, column in enumerate(kind.columns):
            text = header(column, lang)
            sheet.set_column(c, c, max(WIDTHS[column.type], 2 * len(text) + 4), self.column_format(column))
            sheet.write_string(0, c, text, styles["required" if column.required else "header"])
            sheet.write_comment(0, c, _comment(kind, column, lang), {"x_scale": 2.2, "y_scale": 1.6})
            _validate(sheet, c, column, lang, self.lists)
        sheet.freeze_panes(1, 0)
        sheet.set_row(0, 22)
        return sheet

    def close(self) -> None:
        self.lists.close()
        self.book.close()


def write_template(path: Path, lang: str = "zh") -> Path:
    """Write the blank workbook (instructions first, then one sheet per kind) in `lang` (zh or en)."""
    if lang not in ("zh", "en"):
        raise ValueError(f"unknown language {lang!r}: use 'zh' or 'en'")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    layout = Layout(path, lang)
    layout.instructions()
    for name in LOAD_ORDER:
        layout.kind_sheet(KINDS[name])
    layout.close()
    return path


def metadata_workbook(as_of: date, note: str = "", names: dict[str, str] | None = None) -> bytes:
    """A one-sheet workbook declaring the data's as-of date (数据截至), as the Data page imports it: through the
    same checks, batch, audit trail and undo as any upload. `names` (declared.Names.declared(): the town's, the
    fund's, …) are declared again with it, so a new as-of date keeps them whatever row it replaces."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    kind = KINDS["metadata"]
    sheet = book.add_worksheet(kind.zh)
    sheet.write_row(0, 0, [c.zh for c in kind.columns])
    sheet.write_datetime(
        1, 0, datetime(as_of.year, as_of.month, as_of.day), book.add_format({"num_format": "yyyy-mm-dd"})
    )
    if note:
        sheet.write_string(1, 1, note)
    for name, value in (names or {}).items():
        if value and name in kind.column_names:
            sheet.write_string(1, kind.column_names.index(name), value)
    book.close()
    return buffer.getvalue()
