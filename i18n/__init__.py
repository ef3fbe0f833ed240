"""User-facing text: one catalogue per language (i18n/en.py, i18n/zh.py), looked up by key."""

from __future__ import annotations

from i18n import en, zh

CATALOGUES: dict[str, dict[str, str]] = {"en": en.TEXT, "zh": zh.TEXT}
LANGUAGES = ("zh", "en")


def t(key: str, lang: str = "en", /, **params: object) -> str:
    """The text for `key` in `lang`, with `{name}` placeholders filled from params."""
    catalogue = CATALOGUES.get(lang, en.TEXT)
    text = catalogue.get(key)
    if text is None:
        raise KeyError(f"no text for {key!r} in {lang!r}")
    return text.format(**params) if params else text
