"""Parse cell text the way analysts type it, a whole column at a time.

Every parser takes a pandas Series of stripped, NFKC-normalised strings (missing = NA) and returns
the parsed values and a mask of the cells that could not be read with certainty. Nothing is guessed.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TRUE_WORDS = {"是", "y", "yes", "true", "t", "1", "√", "✓", "✔", "有", "在岗"}
FALSE_WORDS = {"否", "n", "no", "false", "f", "0", "×", "✗", "无", "离岗"}

# 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, each optionally followed by a time of day.
_DATE = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]+(?P<t>\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$"
)
_COMPACT_DATE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
# The same two patterns for Arrow's RE2, whose \s and \d are ASCII only: Python's whitespace spelled out (every
# character str.isspace() accepts) and any decimal digit (\p{Nd}), as Python's \d. Every one is at or below U+3000
# (tests/test_cold_start.py checks): scanning all of Unicode here cost 0.15-0.2 s of the app's first run.
_SPACE = "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x3001) if chr(c).isspace()) + "]"
_DATE_RE2 = _DATE.pattern.replace("\\s", _SPACE).replace("\\d", "\\p{Nd}")
_COMPACT_RE2 = _COMPACT_DATE.pattern.replace("\\d", "\\p{Nd}")
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
# 1200 / 1,200.50 / -3 ; thousands separators must be well formed.
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[+-]?\.\d+$")
_CURRENCY = re.compile(r"^(?:¥|rmb|cny|人民币)\s*|\s*(?:元|rmb|cny)$", re.IGNORECASE)


def normalize(series: pd.Series) -> pd.Series:
    """Text as compared: NFKC (full-width to half-width), surrounding spaces removed, '' as NA."""
    text = pa.array(series.astype("string[pyarrow]").array).cast(pa.large_string())
    if not pc.all(pc.string_is_ascii(text)).as_py():  # NFKC leaves ASCII as it is: most ID columns skip it
        text = pc.utf8_normalize(text, form="NFKC")
    text = pc.utf8_trim_whitespace(text)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.large_string()), text)
    return pd.Series(pd.arrays.ArrowStringArray(text), index=series.index)


def normalize_one(text: object) -> str:
    """One header or label as compared: NFKC, case-folded, inner spaces and trailing '*' removed."""
    value = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    return re.sub(r"\s+", "", value).rstrip("*")


def parse_number(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Plain numbers with optional thousands separators."""
    ok = s.str.fullmatch(_NUMBER).fillna(False).to_numpy(dtype=bool)
    present = s.notna().to_numpy()
    values = pd.to_numeric(s.where(ok).str.replace(",", "", regex=False), errors="coerce")
    return values.astype("Float64"), present & ~ok


def parse_amount(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Yuan: 1200, 1,200, ¥1,200, 1200元, 6.5万 (= 65,000), 1.2亿."""
    present = s.notna().to_numpy()
    text = s.str.replace(_CURRENCY, "", regex=True).str.strip()
    scale = pd.Series(1.0, index=s.index)
    wan = text.str.endswith("万").fillna(False)
    yi = text.str.endswith("亿").fillna(False)
    scale[wan.to_numpy()] = 1e4
    scale[yi.to_numpy()] = 1e8
    text = text.mask(wan | yi, text.str[:-1].str.strip())
    values, bad = parse_number(text)
    # round to fen so that 6.5万 is exactly 65000.00 and not 64999.99999
    values = (values * scale).round(2)
    return values, present & (bad | values.isna().to_numpy())


def parse_int(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Whole numbers (12, 1,200, 12.0)."""
    values, bad = parse_number(s)
    fractional = (values.fillna(0) % 1 != 0).to_numpy(dtype=bool)
    huge = (values.abs() > 2**53).fillna(False).to_numpy(dtype=bool)  # beyond exact whole numbers
    bad = bad | fractional | huge
    return values.where(~bad).round().astype("Int64"), bad


def parse_year(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """A year such as 2024 (2024年 also accepted)."""
    values, bad = parse_int(s.str.removesuffix("年"))
    out_of_range = ((values < 1900) | (values > 2200)).fillna(False).to_numpy(dtype=bool)
    bad = bad | out_of_range
    return values.where(~bad), bad


def parse_target(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """A target value: a number, or a percentage (100% = 1)."""
    percent = s.str.endswith("%").fillna(False)
    values, bad = parse_number(s.mask(percent, s.str[:-1].str.strip()))
    values = values.mask(percent.to_numpy(), values / 100)
    return values, bad


def parse_bool(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """是/否, Y/N, yes/no, true/false, 1/0, √/×."""
    folded = s.str.casefold()
    is_true = folded.isin(TRUE_WORDS).fillna(False).to_numpy(dtype=bool)
    is_false = folded.isin(FALSE_WORDS).fillna(False).to_numpy(dtype=bool)
    values = pd.Series(pd.NA, index=s.index, dtype="boolean")
    values[is_true] = True
    values[is_false] = False
    return values, s.notna().to_numpy() & ~(is_true | is_false)


def parse_date(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Excel dates (read as ISO text) and typed dates: 2024-03-05, 2024/3/5, 2024年3月5日, 2024.3.5, 20240305.

    Vectorised: the patterns run in Arrow (RE2, with Python's whitespace spelled out), the calendar check in numpy.
    """
    present = s.notna().to_numpy()
    text = pa.array(s.astype("string[pyarrow]").array).cast(pa.large_string())
    parts = pc.extract_regex(text, _DATE_RE2)
    compact = pc.extract_regex(text, _COMPACT_RE2)

    def field(name: str) -> np.ndarray:
        chosen = pc.coalesce(pc.struct_field(parts, name), pc.struct_field(compact, name))
        ascii_ = pc.fill_null(pc.string_is_ascii(chosen), True)
        numbers = (
            pc.fill_null(pc.cast(pc.if_else(ascii_, chosen, None), pa.int64()), -1)
            .to_numpy(zero_copy_only=False)
            .copy()
        )
        for i in np.flatnonzero(~ascii_.to_numpy(zero_copy_only=False)):  # other scripts' digits: rare
            numbers[i] = int(chosen[i].as_py())
        return numbers

    year, month, day = field("y"), field("m"), field("d")
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = np.choose(np.clip(month, 1, 12) - 1, _MONTH_DAYS) + ((month == 2) & leap)
    ok = (year >= 0) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= last)
    dates = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[s]")
    if ok.any():
        iso = np.char.add(
            np.char.add(np.char.zfill(year[ok].astype(str), 4), "-"),
            np.char.add(
                np.char.add(np.char.zfill(month[ok].astype(str), 2), "-"), np.char.zfill(day[ok].astype(str), 2)
            ),
        )
        dates[ok] = iso.astype("datetime64[D]").astype("datetime64[s]")
    return pd.Series(dates, index=s.index), present & ~ok


def parse_enum(
    s: pd.Series, choices: dict[str, str], aliases: dict[str, str] | None = None
) -> tuple[pd.Series, np.ndarray]:
    """The English code or the Chinese label (or an alias), ignoring case, spaces, '-' and full-width forms."""
    lookup: dict[str, str] = {}
    for code, label in (*choices.items(), *((code, word) for word, code in (aliases or {}).items())):
        lookup[normalize_one(code)] = code
        lookup[normalize_one(code.replace("_", " "))] = code
        lookup[normalize_one(label)] = code
        lookup[re.sub(r"\s+", "", label.casefold())] = code  # as written, full-width brackets and all: 时限（天）
    keys = s.str.casefold().str.replace(r"[\s\-]+", "_", regex=True)
    keys_nospace = s.str.casefold().str.replace(r"\s+", "", regex=True)
    values = keys.map(lookup).fillna(keys_nospace.map(lookup))
    bad = s.notna().to_numpy() & values.isna().to_numpy()
    return values.astype("string"), bad


_CODE_LIMIT = 2**62  # combined row codes stay below this (int64)


def distinct(frame: pd.DataFrame) -> bool:
    """True when no row of `frame` repeats another (hash-counted in Arrow; no missing values expected)."""
    if len(frame) < 2:
        return True
    code = np.zeros(len(frame), dtype=np.int64)
    span = 1  # code < span: the combinations so far
    for column in frame.columns:  # each column's values as codes, combined into one integer per row
        codes, uniques = pd.factorize(frame[column])
        width = max(len(uniques), 1)
        if span * width >= _CODE_LIMIT:  # would overflow: number the combinations seen so far densely first
            code, seen = pd.factorize(code)
            span = max(len(seen), 1)
        code = code * width + codes
        span *= width
    return pd.Index(code).is_unique


def isin(series: pd.Series, known: pd.Series) -> np.ndarray:
    """Which values of `series` occur in `known` (hash lookup in Arrow; missing values are not in)."""
    text = pa.array(series.astype("string[pyarrow]").array).cast(pa.large_string())
    keys = pc.unique(pa.array(known.astype("string[pyarrow]").array).cast(pa.large_string()))
    return pc.fill_null(pc.is_in(text, value_set=keys), False).to_numpy(zero_copy_only=False)
