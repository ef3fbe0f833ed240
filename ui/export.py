"""Downloads of the data behind a chart or table, as CSV and Excel, with formula injection neutralised."""

from __future__ import annotations

import io

import pandas as pd

from etl.annotate import neutralise as _safe  # one rule for every file the product writes


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (and headers) starting with = + - @ get a leading ' so no program runs them."""
    out = frame.copy()
    out.columns = [_safe(str(c)) for c in out.columns]
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].map(_safe)
    return out


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Chinese text correctly."""
    return neutralise(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """One sheet; text is always written as text, never as a formula or link."""
    buffer = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        neutralise(frame).to_excel(writer, sheet_name=sheet[:31], index=False)
    return buffer.getvalue()
