"""User-facing text: one catalogue per language (i18n/en.py, i18n/zh.py), looked up by key.

A language is one file: its TEXT (every key) and its STYLE (how it writes numbers, money, dates, lists and the labels
of stored codes, i18n/style.py). `register` adds one; LANGUAGES are the registered ones, in the picker's order."""

from __future__ import annotations

import functools
import string
from collections.abc import Iterable
from types import ModuleType, SimpleNamespace

from i18n import en, zh
from i18n.style import Style

CATALOGUES: dict[str, dict[str, str]] = {}
STYLES: dict[str, Style] = {}
LANGUAGES: list[str] = []
DEFAULT = "en"  # a language nobody registered reads as this one


def register(lang: str, catalogue: ModuleType | SimpleNamespace) -> None:
    """Make `lang` a language: `catalogue` has TEXT (key -> text) and STYLE (a Style)."""
    CATALOGUES[lang] = catalogue.TEXT
    STYLES[lang] = catalogue.STYLE
    if lang not in LANGUAGES:
        LANGUAGES.append(lang)
    _neutral.cache_clear()


def unregister(lang: str) -> None:
    """Forget a language `register` added (a test's own)."""
    CATALOGUES.pop(lang, None)
    STYLES.pop(lang, None)
    if lang in LANGUAGES:
        LANGUAGES.remove(lang)
    _neutral.cache_clear()


def known(lang: object) -> bool:
    """Whether `lang` is a registered language."""
    return lang in CATALOGUES


def style(lang: str) -> Style:
    """How `lang` writes things (the default language's way for one nobody registered)."""
    return STYLES.get(lang) or STYLES[DEFAULT]


def t(key: str, lang: str = "en", /, **params: object) -> str:
    """The text for `key` in `lang`, with `{name}` placeholders filled from params.

    The names the town declares ({town}, {fund}, … see declared.py) are filled by whoever read them with the data
    (Page.t, Deck.t, Ledger.t pass them); a text asked for without them reads without a name (社区基金), never
    with a raw placeholder."""
    catalogue = CATALOGUES.get(lang) or CATALOGUES[DEFAULT]
    text = catalogue.get(key)
    if text is None:
        raise KeyError(f"no text for {key!r} in {lang!r}")
    if "{" not in text:
        return text
    names = _neutral(lang)
    if not params and not set(_placeholders(text)) <= set(names):
        return text  # a text its caller fills itself
    return text.format(**{**names, **params})


def label(enum: str, code: object, lang: str) -> str:
    """A stored code as the reader sees it: 'completed' -> 已完成 (zh), Completed (en); `enum` names its list
    (program, status, role, …: the column that holds it). The one rule every page, slide, export and ledger uses."""
    return style(lang).label(enum, str(code))


def worded(value: object, lang: str) -> object:
    """A message parameter given in the spreadsheet contract's two forms ({"en": …, "zh": …}: a sheet's or column's
    name, a list of accepted values) as `lang` reads it: its own form, else the form its template writes (Style's
    contract); any other value as it is."""
    if not isinstance(value, dict):
        return value
    return value[lang] if lang in value else value.get(style(lang).contract, value)


def header(name: str, zh: str, lang: str) -> str:
    """A column or sheet of the spreadsheet contract as the reader calls it, from its own name and its Chinese
    header: 项目编号 (zh), project_id (en)."""
    return style(lang).header(name, zh)


def joined(items: Iterable[object], lang: str, sep: str = "list") -> str:
    """Items as one text, with the language's separator: 'list' (B00001、B00002 · B00001, B00002) or 'clause'
    (；· "; ")."""
    rules = style(lang)
    return (rules.list_sep if sep == "list" else rules.clause_sep).join(str(i) for i in items)


def bracketed(text: object, remark: object, lang: str) -> str:
    """A remark after a text in brackets: 张*（个人） · 张* (individual)."""
    opening, closing = style(lang).parens
    return f"{text}{opening}{remark}{closing}"


@functools.cache
def _neutral(lang: str) -> dict[str, str]:
    """The name placeholders where nothing is declared ({town}, {place}, {fund}, … and {Town}, … for a title): the
    language's own words (Style.neutral); declared.Names.params fills the declared ones."""
    out = dict(style(lang).neutral)
    out["place"] = out["town"]
    out.update({key.capitalize(): value[:1].upper() + value[1:] for key, value in list(out.items())})
    return out


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


register("zh", zh)
register("en", en)
