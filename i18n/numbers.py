"""Numbers and dates as people here read them: thousands separators, ¥, 万 and 2024年1月31日 in Chinese.

The rules are each language's (its catalogue file's STYLE, i18n/style.py); these functions apply the reader's."""

from __future__ import annotations

import datetime as dt
import math

from i18n import style

DASH = "—"


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def number(x: float | None, decimals: int = 0) -> str:
    """3165 -> '3,165'; decimals are kept only when the value has a fraction."""
    if x is None or _missing(x):
        return DASH
    if decimals and float(x) != round(float(x)):
        return f"{float(x):,.{decimals}f}"
    return f"{round(float(x)):,}"


def yuan(x: float | None, lang: str) -> str:
    """650000 -> '¥650,000' (en) or '¥65万' (zh, from 10,000 up)."""
    if x is None or _missing(x):
        return DASH
    sign = "-" if x < 0 else ""
    return sign + style(lang).yuan(abs(float(x)))


def percent(x: float | None) -> str:
    """0.508 -> '50.8%'."""
    if x is None or _missing(x):
        return DASH
    return f"{float(x) * 100:.1f}%"


def signed(text: str, x: float) -> str:
    """Prefix '+' to a formatted positive change (the formatters already give '-')."""
    return f"+{text}" if x > 0 else text


def date_format(lang: str) -> str:
    """Streamlit's column_config date format (moment.js tokens) for the language, matching day()."""
    return style(lang).date_format


def datetime_format(lang: str) -> str:
    return style(lang).datetime_format


def day(d: dt.date | None, lang: str) -> str:
    """A date as the reader writes it: '2024年1月31日' (zh) or '2024-01-31' (en)."""
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return DASH
    return style(lang).day(d)


def by_unit(unit: str, x: float | None, lang: str) -> str:
    """A value in a metric's unit (metrics.Metric.unit): count 3,165 · hours/decimal 112 or 6.8 · percent 100.0% ·
    yuan ¥650,000 (¥65万 in zh)."""
    if unit == "percent":
        return percent(x)
    if unit == "yuan":
        return yuan(x, lang)
    return number(x, 1 if unit in ("hours", "decimal") else 0)


# --- charts (issue 14): dates, quarters and money as the reader reads them, one unit per chart


def month(d: dt.date, lang: str, with_year: bool = True) -> str:
    """A month: '2023年4月' or '4月' (zh), 'Apr 2023' or 'Apr' (en)."""
    return style(lang).month(d, with_year)


def month_cell(d: dt.date, lang: str) -> str:
    """A month in a table's cell: '2023年4月' (zh), '2023-04' (en)."""
    return style(lang).month_cell(d)


def year(y: int, lang: str) -> str:
    """A year on its own: '2023年' (zh), '2023' (en)."""
    return style(lang).year(y)


def month_ticks(months: list[dt.date], lang: str, most: int = 12) -> tuple[list[dt.date], list[str]]:
    """Tick positions and texts for an axis over the months from the first to the last of `months`: at most `most`
    ticks, the year written on the first tick and wherever it changes ('2023年11月', '12月', '2024年1月')."""
    if not months:
        return [], []
    first, last = min(months), max(months)
    every = [
        dt.date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
        for i in range((last.year - first.year) * 12 + last.month - first.month + 1)
    ]
    shown = every[:: -(-len(every) // most)]
    texts = [month(m, lang, with_year=i == 0 or m.year != shown[i - 1].year) for i, m in enumerate(shown)]
    return shown, texts


def quarter(label: str, lang: str) -> str:
    """'2023 Q3' (the queries' form) -> '2023年第3季度' (zh) or '2023 Q3' (en); anything else is kept."""
    parts = str(label).split(" Q")
    if len(parts) != 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        return str(label)
    return style(lang).quarter(int(parts[0]), int(parts[1]))


def money_scale(lang: str) -> int:
    """What one unit on a money chart's axis is worth in yuan: 10,000 (万) in zh, 1 in en.

    A money chart counts in one unit: 万 in Chinese (axis, labels and hover), yuan with separators in English."""
    return style(lang).money_scale


def money_unit(lang: str) -> str:
    """The word after a number on a money chart counted in money_scale ('万'); '' where money is counted in ¥."""
    return style(lang).money_unit


def chart_money(x: float | None, lang: str, decimals: int = 2) -> str:
    """Money on a chart: always in 万 in zh ('43.18万', '0.3万', '0'; `decimals` at most), '¥431,800' in en."""
    if x is None or _missing(x):
        return DASH
    text = style(lang).chart_money(abs(float(x)), decimals)
    return ("-" if x < 0 and text != "0" else "") + text
