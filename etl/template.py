"""The blank workbook analysts fill in, generated from the kinds: instructions, one sheet per kind, dropdowns."""

from __future__ import annotations

import io
import math
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

import i18n
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
# The instructions sheet's columns A-E, in characters (A widened to the longest sheet name): about 134 in all,
# one landscape A4 page wide at 100 %.
INSTRUCTION_WIDTHS = (14, 34, 18, 50, 18)
MARK_COLOUR = "#B71C1C"  # the sample mark's red, as on the slides and the printed report


def _units(text: str) -> float:
    """How many character widths (the column width's unit: a digit of the default 11-pt font, 7 px in Excel) a
    text takes: a Chinese character or full-width sign about 2 (14.7 px), anything else about 1."""
    return sum(2.0 if unicodedata.east_asian_width(c) in "WF" else 1.05 for c in text)


def row_height(*cells: tuple[str, float]) -> float:
    """The height (points) a row of wrapped cells needs to show every line of each (text, column width) pair:
    Excel and LibreOffice Calc keep a row's stored height and cut what does not fit, and a merged cell is never
    fitted, so the height is written rather than left to the reader."""
    lines = max(
        sum(max(1, math.ceil(_units(part) / (width - 2))) for part in text.split("\n")) for text, width in cells
    )
    chinese = any(unicodedata.east_asian_width(c) in "WF" for text, _ in cells for c in text)
    return lines * (16 if chinese else 15) + 3  # a line of Chinese in a CJK font is taller than Calibri's 15 pt


def _say(key: str, lang: str, **params: object) -> str:
    return t(f"template.{key}", lang, **params)


def _note(key: str, lang: str) -> str | None:
    """An optional note (template.column.<kind>.<column>), or None when the catalogue has none."""
    return CATALOGUES[lang].get(f"template.{key}")


def header(column: Column, lang: str) -> str:
    """The header a template shows for a column: its Chinese or English name, * when required."""
    return _own(column, lang) + ("*" if column.required else "")


def _chinese(lang: str) -> bool:
    """Whether a template in `lang` writes the contract's Chinese form (else its English one): the language says."""
    return i18n.style(lang).contract == "zh"


def _own(item: Column | Kind, lang: str) -> str:
    """A column's or a sheet's name in the contract's form the language writes: 项目编号 · project_id."""
    return item.zh if _chinese(lang) else item.name


def _other(item: Column | Kind, lang: str) -> str:
    """The contract's other name for it (the importer accepts both)."""
    return item.name if _chinese(lang) else item.zh


def sheet_name(kind: Kind, lang: str) -> str:
    """The template sheet of a kind."""
    return _own(kind, lang)


def choices(column: Column, lang: str) -> list[str]:
    """The dropdown values of an enumeration or yes/no column (Chinese labels, or English codes)."""
    if column.type == BOOL:
        return [_say("yes", lang), _say("no", lang)]
    return list(column.choices.values()) if _chinese(lang) else list(column.choices)


def _comment(kind: Kind, column: Column, lang: str) -> str:
    lines = [_own(column, lang) + (_say("required", lang) if column.required else "")]
    lines.append(_say("other_header", lang, name=_other(column, lang)))
    lines.append(_say(f"type.{column.type}", lang))
    if column.type == ENUM:
        sep = i18n.style(lang).list_sep
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
        mark: str = "",
    ) -> None:
        if not i18n.known(lang):
            raise ValueError(f"unknown language {lang!r}: use one of {', '.join(i18n.LANGUAGES)}")
        self.lang = lang
        self.mark = mark  # e.g. 示例数据 · 非正式统计: atop the instructions and in every sheet's printed header
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
            "note": book.add_format({"bold": True, "text_wrap": True, "valign": "top"}),
            "mark": book.add_format({"bold": True, "font_size": 12, "font_color": MARK_COLOUR}),
            "bold_top": book.add_format({"bold": True, "valign": "top"}),
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
        """The instructions sheet (the importer skips it by its name); `notes` are lines shown under the title.

        Every row is as tall as its wrapped text (row_height), and it prints on landscape A4, one page wide."""
        lang, styles = self.lang, self.styles
        sheet = self.book.add_worksheet(_say("instructions", lang))
        self._print_setup(sheet)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)  # one page wide, as many tall as it needs (one or two)
        a, b, c, d, e = INSTRUCTION_WIDTHS
        a = max(a, math.ceil(max(_units(sheet_name(k, lang)) for k in KINDS.values())) + 2)  # training_sessions
        widths = (a, b, c, d, e)
        sheet.set_column(0, 0, a)
        for col, width in enumerate((b, c, d, e), start=1):
            sheet.set_column(col, col, width, styles["wrap"])
        sheet.write_string(0, 0, _say("title", lang), styles["title"])
        row = 2
        if self.mark:
            sheet.write_string(1, 0, self.mark, styles["mark"])
        for note in notes:
            sheet.set_row(row, row_height((note, a + b + c + d + e)))
            sheet.merge_range(row, 0, row, 4, note, styles["note"])
            row += 1
        if notes:
            row += 1
        for rule in range(RULES):
            text = _say(f"rule.{rule}", lang)
            sheet.set_row(row, row_height((text, b + c + d + e)))
            sheet.write_string(row, 0, "•", styles["bold_top"])
            sheet.merge_range(row, 1, row, 4, text, styles["wrap"])
            row += 1
        row += 1
        headers = [_say(f"table.{i}", lang) for i in range(TABLE_COLUMNS)]
        sheet.set_row(row, row_height(*zip(headers, widths, strict=True)))
        sheet.write_row(row, 0, headers, styles["header"])
        sep = i18n.style(lang).list_sep
        for name in LOAD_ORDER:
            kind = KINDS[name]
            row += 1
            refs = {sheet_name(KINDS[r.kind], lang) for r in kind.references}
            cells = (
                sheet_name(kind, lang),
                _say(f"kind.{name}", lang),
                " + ".join(header(kind.column(k), lang).rstrip("*") for k in kind.key),
                sep.join(header(c, lang) for c in kind.columns),
                sep.join(sorted(refs)),
            )
            sheet.set_row(row, row_height(*zip(cells, widths, strict=True)))
            sheet.write_string(row, 0, cells[0], styles["bold_top"])
            for col, text in enumerate(cells[1:], start=1):
                sheet.write_string(row, col, text)
        row += 2
        sheet.write_string(row, 0, _say("forms_title", lang), styles["bold"])
        for column_type, examples in FORMS:
            row += 1
            text = _say(f"type.{column_type}", lang)
            sheet.set_row(row, row_height((text, b), (examples, c + d + e)))
            sheet.write_string(row, 1, text)
            sheet.merge_range(row, 2, row, 4, examples, styles["wrap"])
        return sheet

    def _print_setup(self, sheet: Worksheet) -> None:
        """What every sheet prints with: A4, and the mark (when there is one) in the header of every page."""
        sheet.set_paper(9)  # A4
        sheet.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.6)
        if self.mark:
            sheet.set_header(f'&C&"-,Bold"&12{self.mark.replace("&", "&&")}', {"margin": 0.3})

    def kind_sheet(self, kind: Kind, name: str | None = None) -> Worksheet:
        """A kind's sheet (named as the template names it unless `name` is given) with its header row written:
        data rows start at row 1 (0-based)."""
        lang, styles = self.lang, self.styles
        sheet = self.book.add_worksheet(name or sheet_name(kind, lang))
        self._print_setup(sheet)
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
    if not i18n.known(lang):
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(i18n.LANGUAGES)}")
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
