"""Numbers as people here read them: thousands separators, ¥, 万 in Chinese, one-decimal percentages."""

from __future__ import annotations

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
