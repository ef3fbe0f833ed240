"""How a language writes what is not a sentence: numbers, money, dates, months, lists, enum and column labels.

Each language's catalogue file (i18n/zh.py, i18n/en.py) declares one `Style` beside its TEXT; i18n.numbers and
i18n.label read the reader's. This module imports nothing of the project, so a catalogue file may import it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Style:
    """One language's rules for writing things down."""

    native: str  # the language's own name, on the language picker: 中文, English
    html: str  # the lang attribute of an HTML page (the report, the ledger)
    pptx: tuple[str, str]  # a .pptx text run's (lang, altLang)
    font: str  # the .pptx's Latin typeface
    list_sep: str  # between a list's items: 、 · ", "
    clause_sep: str  # between clauses: ； · "; "
    comma: str  # between two parts of one remark: ，· ", "
    colon: str  # between a thing and what is said of it: ： · ": "
    sentence_sep: str  # between sentences run into a paragraph: "" · " "
    parens: tuple[str, str]  # a remark in brackets: （…） · " (…)"
    day: Callable[[date], str]  # 2024年1月31日 · 2024-01-31
    month: Callable[[date, bool], str]  # (month, with its year): 2023年4月 / 4月 · Apr 2023 / Apr
    month_name: Callable[[int], str]  # a month named on its own in a sentence: 4月 · April
    day_in_year: Callable[[date], str]  # a day of a year already named: 31日 / 4月30日 · 2024-04-30
    month_cell: Callable[[date], str]  # a month in a table's cell: 2023年4月 · 2023-04
    quarter: Callable[[int, int], str]  # (year, quarter): 2023年第3季度 · 2023 Q3
    year: Callable[[int], str]  # a year on its own: 2023年 · 2023
    yuan: Callable[[float], str]  # a non-negative amount of money: ¥65万 · ¥650,000
    chart_money: Callable[[float, int], str]  # (non-negative amount, decimals) in a money chart's unit: 43.18万
    money_scale: int  # what one unit of a money chart is worth in yuan: 10,000 (万) · 1
    money_unit: str  # that unit's word after a number ('万'), '' when money is counted in yuan with ¥
    date_format: str  # Streamlit's DateColumn format (moment.js tokens), matching day()
    datetime_format: str
    excel_dates: Mapping[str, str]  # Excel number formats of 'date', 'month' and 'datetime' cells
    label: Callable[[str, str], str]  # (enumeration, stored code) -> the reader's word: 已完成 · Completed
    header: Callable[[str, str], str]  # (a column's or sheet's own name, its Chinese header in the contract)
    inline: Callable[[str], str]  # a label used inside a sentence: as is · lower-case
    contract: str  # which of the spreadsheet contract's two forms its template writes: "zh" (项目编号, 已完成) or "en"
    # (project_id, completed); the importer accepts only those
    english_data: bool  # reads the English forms the data give (town_en, a note's text_en), else the Chinese
    neutral: Mapping[str, str]  # what stands for a name nobody declared: 本镇, 社区基金 · the town, community fund
    place: Callable[[str, str], str]  # (town, district): 宝山区杨行镇 · Yanghang Town, Baoshan District
    fund_name: Callable[[str], str]  # a declared fund name as a name: “暖杨汇”社区基金 · Warm Yang Hui community fund
    mentoring_name: Callable[[str], str]  # “头雁”带教 · Head Goose mentoring


def humane(code: str) -> str:
    """A stored code as readable English: 'in_progress' -> 'In progress'."""
    return code.replace("_", " ").capitalize()


def grouped(x: float, decimals: int = 0) -> str:
    """A number with thousands separators: 3165 -> '3,165'."""
    return f"{x:,.{decimals}f}"
