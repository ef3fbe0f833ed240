"""The blank workbook analysts fill in, generated from the kinds: instructions, one sheet per kind, dropdowns."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from etl.kinds import AMOUNT, BOOL, DATE, ENUM, ID, INT, KINDS, LOAD_ORDER, NUMBER, TARGET, TEXT, YEAR, Column, Kind

CREATED = datetime(2024, 1, 1)  # fixed, so the same template always has the same bytes
LAST_ROW = 1_048_575  # validations and formats reach the last Excel row (0-based)
LIST_SHEET = "_lists"  # sheets starting with "_" are skipped by the importer
INLINE_LIST_LIMIT = 255  # Excel's limit on an inline dropdown source

# Template text, in the order (zh, en).
WORDS = {
    "instructions": ("说明", "Instructions"),
    "title": (
        "杨行镇社区治理数据填报模板 — 填写说明",
        "Yanghang Town community governance data template — instructions",
    ),
    "required": ("（必填）", " (required)"),
    "other_header": ("英文列名：{name}", "Chinese header: {name}"),
    "one_of": ("可选：{values}（也可填英文代码）", "One of: {values} (the Chinese labels are accepted too)"),
    "references": (
        "须为“{target}”中已有的编号（本文件或已导入的数据）",
        "Must be an ID in '{target}' (this file or already imported)",
    ),
    "default": ("留空视为“{value}”", "Blank means {value}"),
    "min": ("不小于 {n}", "At least {n}"),
    "min_exclusive": ("须大于 {n}", "Greater than {n}"),
    "max": ("不大于 {n}", "At most {n}"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "pick_title": ("请从列表中选择", "Choose from the list"),
    "pick_message": ("此值不在列表中。仍要保留吗？", "This value is not in the list. Keep it anyway?"),
    "range_title": ("超出范围", "Out of range"),
    "range_message": ("此值超出允许范围。仍要保留吗？", "This value is outside the allowed range. Keep it anyway?"),
    "table": (
        ("工作表", "内容", "每行唯一", "列（* 为必填）", "引用"),
        ("Sheet", "What it holds", "Unique per row", "Columns (* = required)", "Refers to"),
    ),
    "forms_title": ("可接受的写法", "Accepted value forms"),
}
RULES = (
    (
        "每个工作表填写一类记录，工作表名称和第一行列标题请勿修改；带 * 的列为必填。",
        "Each sheet holds one kind of record. Keep the sheet names and the header row; columns marked * are required.",
    ),
    (
        "可以只填写部分工作表；空白工作表会被跳过。本说明页和以“_”开头的工作表不会导入。",
        "Fill in only the sheets you need; blank sheets are skipped. This sheet and sheets starting with '_' are "
        "never imported.",
    ),
    (
        "空行和最后的“合计”行会被忽略。同一编号在文件中只能出现一次。",
        "Blank rows and a final total row (合计 / Total) are ignored. Each ID may appear only once in a file.",
    ),
    (
        "重新导入同一文件是安全的：按编号更新已有记录，新增新记录，不会删除记录。",
        "Re-importing a file is safe: rows are matched on their ID, new ones added and changed ones updated; "
        "nothing is deleted.",
    ),
    (
        "带下拉列表的列也可填写英文代码（如 completed）；列标题可用中文或英文。",
        "Dropdown columns also accept the Chinese label (e.g. 已完成); headers may be English or Chinese.",
    ),
)
KIND_NOTES = {
    "workers": (
        "社区工作者名册：每人一行（书记、主任、委员、社工、后备干部）",
        "The roster: one row per community worker",
    ),
    "training_sessions": ("培训场次：每场培训一行", "Training sessions: one row per session"),
    "projects": (
        "项目台账：每个项目一行；级别填项目达到的最高级别",
        "Projects: one row per project; level is the highest",
    ),
    "attendance": ("培训签到：每人每场一行", "Attendance: one row per worker per session"),
    "mentorships": (
        "师徒结对：每对师徒一行（共 10 项规定活动）",
        "Mentoring pairs: one row per pair (ten set activities)",
    ),
    "meetings": ("会议记录：每次会议一行", "Meetings: one row per meeting"),
    "donations": ("社区基金捐赠：每笔捐赠一行", "Community fund donations: one row per donation"),
    "disbursements": ("社区基金使用：每笔支出一行", "Community fund spending: one row per disbursement"),
    "targets": ("年度目标：每个指标每年一行", "Yearly targets: one row per metric and year"),
    "metadata": (
        "数据说明：填写“数据截至”日期（各页面、幻灯片和报告都显示该日期；不填则取最新记录的日期）",
        "About the data: the date its figures are as of (shown on every page, slide and report; "
        "blank = the latest record's date)",
    ),
}
TYPE_NOTES = {
    ID: ("编号，按文本保存（前导零会保留）", "An ID, kept as text (leading zeros are kept)"),
    TEXT: ("文本", "Text"),
    ENUM: ("从下拉列表选择", "Choose from the dropdown"),
    DATE: ("日期：2024-03-05、2024/3/5 或 2024年3月5日", "A date: 2024-03-05, 2024/3/5 or 2024年3月5日"),
    AMOUNT: ("金额（元）：1200、1,200、¥1,200 或 6.5万", "Yuan: 1200, 1,200, ¥1,200 or 6.5万 (= 65,000)"),
    INT: ("整数，如 12", "A whole number, e.g. 12"),
    NUMBER: ("数字，如 2.5", "A number, e.g. 2.5"),
    BOOL: ("是 或 否（也可填 Y / N）", "yes or no (是/否 and Y/N are accepted too)"),
    YEAR: ("年份，如 2024", "A year, e.g. 2024"),
    TARGET: ("数字（如 50）或百分比（如 100%）", "A number (e.g. 50) or a percentage (e.g. 100%)"),
}
COLUMN_NOTES = {
    ("projects", "completed_date"): (
        "状态为“已完成”时必填，且不早于开始日期",
        "Required when completed; not before the start date",
    ),
    ("projects", "level"): ("项目达到的最高级别", "The highest level the project reached"),
    ("projects", "resident_proposed"): ("项目是否由居民提出", "Whether residents proposed the project"),
    ("donations", "donor"): ("不愿具名的可填“匿名”", "Write 匿名 for an anonymous donor"),
    ("mentorships", "activities_done"): ("已完成的规定活动数（共 10 项）", "Set activities completed (out of ten)"),
    ("targets", "target"): ("培训覆盖率填 100% 或 1", "Training coverage: 100% or 1"),
}
FORMS = (
    (TYPE_NOTES[DATE], "2024-03-05 / 2024/3/5 / 2024年3月5日 / 2024.3.5"),
    (TYPE_NOTES[AMOUNT], "1200 / 1,200 / ¥1,200 / 1200元 / 6.5万"),
    (TYPE_NOTES[BOOL], "是 / 否 / Y / N / yes / no"),
    (TYPE_NOTES[ID], "000123 / YH0001"),
    (TYPE_NOTES[TARGET], "50 / 100%"),
)
NUMBER_FORMATS = {DATE: "yyyy-mm-dd", AMOUNT: "#,##0.00", INT: "0", YEAR: "0", ID: "@", TEXT: "@", ENUM: "@", BOOL: "@"}
WIDTHS = {ID: 14, TEXT: 24, ENUM: 14, DATE: 13, AMOUNT: 14, INT: 12, NUMBER: 10, BOOL: 10, YEAR: 10, TARGET: 12}


def _say(key: str, lang: str, **params: object) -> str:
    text = WORDS[key][0 if lang == "zh" else 1]
    return text.format(**params) if params else text


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


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
    lines.append(_pick(TYPE_NOTES[column.type], lang))
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
    note = COLUMN_NOTES.get((kind.name, column.name))
    if note:
        lines.append(_pick(note, lang))
    return "\n".join(lines)


class _Lists:
    """Dropdown sources too long to write inline, kept on one hidden sheet."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self.sheet = None
        self.used = 0

    def source(self, values: list[str]) -> list[str] | str:
        if len(",".join(values)) <= INLINE_LIST_LIMIT:
            return values
        if self.sheet is None:
            self.sheet = self.book.add_worksheet(LIST_SHEET)
            self.sheet.hide()
        col = self.used
        self.used += 1
        for r, value in enumerate(values):
            self.sheet.write_string(r, col, value)
        letter = xlsxwriter.utility.xl_col_to_name(col)
        return f"='{LIST_SHEET}'!${letter}$1:${letter}${len(values)}"


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
        rule = {
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


def _kind_sheet(book: xlsxwriter.Workbook, kind: Kind, lang: str, styles: dict, lists: _Lists) -> None:
    sheet = book.add_worksheet(sheet_name(kind, lang))
    for c, column in enumerate(kind.columns):
        text = header(column, lang)
        fmt = styles.get(NUMBER_FORMATS.get(column.type))
        sheet.set_column(c, c, max(WIDTHS[column.type], 2 * len(text) + 4), fmt)
        sheet.write_string(0, c, text, styles["required" if column.required else "header"])
        sheet.write_comment(0, c, _comment(kind, column, lang), {"x_scale": 2.2, "y_scale": 1.6})
        _validate(sheet, c, column, lang, lists)
    sheet.freeze_panes(1, 0)
    sheet.set_row(0, 22)


def _instructions(book: xlsxwriter.Workbook, lang: str, styles: dict) -> None:
    sheet = book.add_worksheet(_say("instructions", lang))
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 44, styles["wrap"])
    sheet.set_column(2, 2, 22, styles["wrap"])
    sheet.set_column(3, 3, 90, styles["wrap"])
    sheet.set_column(4, 4, 22, styles["wrap"])
    sheet.write_string(0, 0, _say("title", lang), styles["title"])
    row = 2
    for rule in RULES:
        sheet.write_string(row, 0, "•")
        sheet.merge_range(row, 1, row, 4, _pick(rule, lang), styles["wrap"])
        row += 1
    row += 1
    sheet.write_row(row, 0, _pick(WORDS["table"], lang), styles["header"])
    sep = "、" if lang == "zh" else ", "
    for name in LOAD_ORDER:
        kind = KINDS[name]
        row += 1
        sheet.write_string(row, 0, sheet_name(kind, lang), styles["bold"])
        sheet.write_string(row, 1, _pick(KIND_NOTES[name], lang))
        sheet.write_string(row, 2, " + ".join(header(kind.column(k), lang).rstrip("*") for k in kind.key))
        sheet.write_string(row, 3, sep.join(header(c, lang) for c in kind.columns))
        refs = {sheet_name(KINDS[r.kind], lang) for r in kind.references}
        sheet.write_string(row, 4, sep.join(sorted(refs)))
    row += 2
    sheet.write_string(row, 0, _say("forms_title", lang), styles["bold"])
    for note, examples in FORMS:
        row += 1
        sheet.write_string(row, 1, _pick(note, lang))
        sheet.merge_range(row, 2, row, 4, examples, styles["wrap"])


def write_template(path: Path, lang: str = "zh") -> Path:
    """Write the blank workbook (instructions first, then one sheet per kind) in `lang` (zh or en)."""
    if lang not in ("zh", "en"):
        raise ValueError(f"unknown language {lang!r}: use 'zh' or 'en'")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"title": _say("title", lang), "created": CREATED})
    styles = {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "bold": book.add_format({"bold": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "valign": "vcenter"}),
        "required": book.add_format(
            {"bold": True, "bg_color": "#FCE4D6", "border": 1, "valign": "vcenter", "font_color": "#C00000"}
        ),
    }
    for number_format in set(NUMBER_FORMATS.values()):
        styles[number_format] = book.add_format({"num_format": number_format})
    _instructions(book, lang, styles)
    lists = _Lists(book)
    for name in LOAD_ORDER:
        _kind_sheet(book, KINDS[name], lang, styles, lists)
    book.close()
    return path


def metadata_workbook(as_of: date, note: str = "") -> bytes:
    """A one-sheet workbook declaring the data's as-of date (数据截至), as the Data page imports it: through the
    same checks, batch, audit trail and undo as any upload."""
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
    book.close()
    return buffer.getvalue()
