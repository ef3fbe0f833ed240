"""User-facing text: one catalogue per language (i18n/en.py, i18n/zh.py), looked up by key."""

from __future__ import annotations

import functools
import string

from i18n import en, zh

CATALOGUES: dict[str, dict[str, str]] = {"en": en.TEXT, "zh": zh.TEXT}
LANGUAGES = ("zh", "en")


def t(key: str, lang: str = "en", /, **params: object) -> str:
    """The text for `key` in `lang`, with `{name}` placeholders filled from params.

    The names the town declares ({town}, {fund}, … see declared.py) are filled by whoever read them with the data
    (Page.t, Deck.t, Ledger.t pass them); a text asked for without them reads without a name (社区基金), never
    with a raw placeholder."""
    catalogue = CATALOGUES.get(lang, en.TEXT)
    text = catalogue.get(key)
    if text is None:
        raise KeyError(f"no text for {key!r} in {lang!r}")
    if "{" not in text:
        return text
    names = _neutral(lang)
    if not params and not set(_placeholders(text)) <= set(names):
        return text  # a text its caller fills itself
    return text.format(**{**names, **params})


@functools.cache
def _neutral(lang: str) -> dict[str, str]:
    """The name placeholders where nothing is declared (declared.NEUTRAL)."""
    from declared import Names

    return Names().params(lang if lang in CATALOGUES else "en")


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]
