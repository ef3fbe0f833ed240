"""A public page's copies (the fund ledger, the residents' proposals): what they share — the file's name, the download
(presenter.export) with its header block, the version line, and the printable page's frame (head, CSS, sample mark,
print hint, header, the source line at the foot) and its tables. Each page writes its own words and its own body;
the page printed to PDF is presenter.report.print_pdf. Never imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from html import escape
from typing import Protocol

import pandas as pd

import declared
import i18n
from i18n import numbers, t
from presenter import export


class Public(Protocol):
    """What a public page's book holds that its copies read (presenter.ledger.Ledger, presenter.proposals.Proposals)."""

    @property
    def lang(self) -> str: ...
    @property
    def year(self) -> int | None: ...
    @property
    def version(self) -> str | None: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def sample(self) -> bool: ...
    @property
    def names(self) -> declared.Names: ...

    def t(self, key: str, **params: object) -> str: ...


def version_line(book: Public) -> str:
    """Which published version the copy is read from, and when it was published."""
    if book.version is None:
        return book.t("ledger.version_none")
    when = book.published_at
    stamp = numbers.day(when.date(), book.lang) if when else ""
    return book.t("ledger.version", version=book.version, date=stamp)


def stem(book: Public, title: str) -> str:
    """杨行镇_基金收支公示_全部年份_v000003: what the file is, for which period, from which version."""
    what = str(book.year) if book.year is not None else t("filter.all_years", book.lang)
    parts = [book.names.name("town", book.lang), title, what, book.version or ""]
    return export.safe_name("_".join(export.safe_name(p) for p in parts if p))


def to_export(book: Public, frame: pd.DataFrame, kinds: dict[str, str], title: str, lines: list[str]) -> export.Export:
    """`frame` (reader's headers, their export kinds in `kinds`) as a download with the header block above it and
    the sample's notice when the figures are the sample's."""
    return export.Export(
        frame,
        kinds,
        title=title,
        lines=lines,
        notice=t("export.sample", book.lang) if book.sample else "",
        lang=book.lang,
        stem=stem(book, title),
    )


# --- the printable page

CSS = """
@page { size: A4; margin: 12mm 10mm 14mm; }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC", system-ui, sans-serif;
       color: #1b2a41; margin: 0 auto; max-width: 190mm; font-size: 8.5pt; line-height: 1.35; }
header { border-left: 6px solid #c62828; padding: 2mm 0 2mm 5mm; margin: 3mm 0; }
header .town { color: #5b6778; }
h1 { font-size: 17pt; margin: 1mm 0; }
.sample-mark { padding: 1.5mm 3mm; border: 0.6mm solid #b71c1c; color: #b71c1c; font-weight: 700; text-align: center; }
.meta { color: #5b6778; margin: 0.5mm 0; }
table { width: 100%; border-collapse: collapse; }
thead { display: table-header-group; }  /* the header row repeats on every printed page */
tr { break-inside: avoid; }
th, td { padding: 0.8mm 1.2mm; border-bottom: 1px solid #e3e6ea; text-align: left; vertical-align: top; }
th { color: #5b6778; font-weight: 600; background: #f4f6f8; }
td.d { white-space: nowrap; }
.print-hint { color: #5b6778; }
@media print { .print-hint { display: none; } }
"""


def _class(name: str) -> str:
    return f' class="{name}"' if name else ""


def shown(value: object) -> str:
    """A cell's text: '' for nothing (None, NA, NaN, '')."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
        return ""
    return str(value)


def day(value: date | None, lang: str) -> str:
    """A date cell's text in the reader's way of writing a day; '' for none."""
    return numbers.day(value, lang) if value else ""


def cell(text: str, name: str = "") -> str:
    """<td> of `text` (escaped), of class `name` when one is given (d: a date, n: a number)."""
    return f"<td{_class(name)}>{escape(text)}</td>"


def row(cells: Iterable[str], name: str = "") -> str:
    return f"<tr{_class(name)}>{''.join(cells)}</tr>"


def table(head: Sequence[tuple[str, str]], rows: Iterable[str], foot: str = "") -> str:
    """A table: `head` (header text, its class) repeated on every printed page, `foot` (a <tfoot>) and the rows."""
    th = "".join(f"<th{_class(name)}>{escape(text)}</th>" for text, name in head)
    return f"<table><thead><tr>{th}</tr></thead>{foot}<tbody>{''.join(rows)}</tbody></table>"


def page(book: Public, title: str, lines: Sequence[str], body: str, *, css: str = "", marks: str = "") -> str:
    """The printable page: the print hint, the sample mark (when the figures are the sample's) and `marks` after
    it, the header (town, `title`, a line each of `lines`), `body`, and the source at the foot; the page's own
    rules in `css` after the shared ones."""
    sample = f'<p class="sample-mark">{escape(t("export.sample", book.lang))}</p>' if book.sample else ""
    meta = "".join(f'<p class="meta">{escape(x)}</p>' for x in lines)
    return f"""<!DOCTYPE html>
<html lang="{i18n.style(book.lang).html}"><head><meta charset="utf-8">
<title>{escape(title)}</title><style>{CSS}{css}</style></head>
<body>
<p class="print-hint">{escape(book.t("ledger.print_hint"))}</p>
{sample}{marks}
<header><div class="town">{escape(book.t("presenter.footer_town"))}</div>
<h1>{escape(title)}</h1>{meta}</header>
{body}
<p class="meta">{escape(book.t("export.source"))}</p>
</body></html>
"""
