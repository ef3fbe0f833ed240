"""English a Chinese reader would have to read: the Latin words of a text beyond an allow-list of names that are the
same in both languages (tests/test_chinese.py, tests/test_chinese_surfaces.py)."""

from __future__ import annotations

import re

# Words that a Chinese reader sees as they are: formats, units, keys on the keyboard, products, standards.
ALLOWED = {
    "excel", "wps", "xlsx", "xls", "xlsm", "xlsb", "csv", "pdf", "pptx", "html", "xml", "utf", "vba", "sha",
    "mb", "kb", "gb", "ctrl", "esc", "end", "readme", "english", "zhang", "san", "powerpoint", "id", "chromium",
    "language",  # the language switch says 语言 / Language, so an English reader finds it too
}  # fmt: skip
_CODE = re.compile(r"`[^`]*`")  # commands and options, shown as code
# Markup the reader never sees: HTML tags, Streamlit's colour directives and icons, link targets.
_MARKUP = re.compile(r"<[^>]+>|:material/[a-z_]+:|:[a-z]+\[|\]\([^)]*\)")
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
_FILE = re.compile(r"[\w.\-]+\.(?:xlsx|xls|xlsm|xlsb|csv|pdf|pptx|html|duckdb)\b", re.IGNORECASE)
_OPTION = re.compile(r"\(--[a-z-]+\)|--[a-z-]+")
_WORD = re.compile(r"[A-Za-z]{2,}")
# Tokens with digits or upper-case letters next to digits are identifiers from the data (B00001, XM2023-001, v000003).
_IDENTIFIER = re.compile(r"\b[A-Za-z_]*\d[\w\-]*\b")


def english_words(text: str) -> set[str]:
    """The Latin words of `text` a Chinese reader would have to read as English (allow-list and codes removed)."""
    for pattern in (_MARKUP, _CODE, _PLACEHOLDER, _FILE, _OPTION, _IDENTIFIER):
        text = pattern.sub(" ", text)
    return {w for w in _WORD.findall(text) if w.lower() not in ALLOWED}
