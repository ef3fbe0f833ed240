"""Numbers and dates as people here read them: thousands separators, ¥, 万 and 2024年1月31日 in Chinese."""

from __future__ import annotations

import datetime as dt
import math

DASH = "—"


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def number(x: float | None, decimals: int = 0) -> str:
    """3165 -> '3,165'; decimals are kept only when the value has a fraction."""
    if _missing(x):
        return DASH
    if decimals and float(x) != round(float(x)):
        return f"{float(x):,.{decimals}f}"
    return f"{round(float(x)):,}"


def _wan(x: float) -> str:
    text = f"{x / 10_000:,.2f}".rstrip("0").rstrip(".")
    return f"{text}万"


def yuan(x: float | None, lang: str) -> str:
    """650000 -> '¥650,000' (en) or '¥65万' (zh, from 10,000 up)."""
    if _missing(x):
        return DASH
    sign = "-" if x < 0 else ""
    x = abs(float(x))
    if lang == "zh" and x >= 10_000:
        return f"{sign}¥{_wan(x)}"
    return f"{sign}¥{x:,.0f}"


def percent(x: float | None) -> str:
    """0.508 -> '50.8%'."""
    if _missing(x):
        return DASH
    return f"{float(x) * 100:.1f}%"


def signed(text: str, x: float) -> str:
    """Prefix '+' to a formatted positive change (the formatters already give '-')."""
    return f"+{text}" if x > 0 else text


# Streamlit's column_config date format (moment.js tokens) for each language, matching day().
DATE_FORMAT = {"zh": "YYYY年M月D日", "en": "YYYY-MM-DD"}
DATETIME_FORMAT = {"zh": "YYYY年M月D日 HH:mm:ss", "en": "YYYY-MM-DD HH:mm:ss"}


def day(d: dt.date | None, lang: str) -> str:
    """A date as the reader writes it: '2024年1月31日' (zh) or '2024-01-31' (en)."""
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return DASH
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def by_unit(unit: str, x: float | None, lang: str) -> str:
    """A value in a metric's unit (metrics.Metric.unit): count 3,165 · hours/decimal 112 or 6.8 · percent 100.0% ·
    yuan ¥650,000 (¥65万 in zh)."""
    if unit == "percent":
        return percent(x)
    if unit == "yuan":
        return yuan(x, lang)
    return number(x, 1 if unit in ("hours", "decimal") else 0)
