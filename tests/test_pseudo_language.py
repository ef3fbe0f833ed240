"""A language is one file: a test-only catalogue (every key pseudo-translated, ⟦…⟧ around each text with its
placeholders intact, and its own way of writing dates, months, money, lists and codes) is registered, and every page,
every slide of the deck model, the .pptx, the report, the public ledger and the CSV/Excel downloads render with it:
no key is missing and no text of the zh or en catalogue shows through (data, such as community names, may)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import re
import string
import types
import zipfile
from pathlib import Path

import pytest
from pptx import Presentation
from visitors import chart_labels, open_page, shown_text

import i18n
import metrics
from etl import db, kinds
from i18n import en, numbers, zh
from i18n.style import humane

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p.stem for p in (ROOT / "pages").glob("*.py"))
LANG = "xx"
WRAPPED = re.compile(r"⟦[^⟦⟧]*⟧")


def pseudo(text: str) -> str:
    """⟦text⟧: the placeholders inside kept as they are."""
    return f"⟦{text}⟧"


def _catalogue() -> types.SimpleNamespace:
    text = {key: pseudo(value) for key, value in en.TEXT.items()}
    for m in metrics.CATALOGUE:  # the figures' definitions (口径): declared in zh and en, any other language's own
        text[f"metric.{m.code}.explain"] = pseudo(m.explain("en"))
    style = dataclasses.replace(
        en.STYLE,
        native="⟦Pseudo⟧",
        html="en-XA",
        list_sep=" / ",
        clause_sep=" // ",
        day=lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
        month=lambda d, with_year: f"{d.month:02d}.{d.year}" if with_year else f"M{d.month:02d}",
        month_cell=lambda d: f"{d.month:02d}.{d.year}",
        quarter=lambda year, q: f"{year}/{q}",
        date_format="DD.MM.YYYY",
        datetime_format="DD.MM.YYYY HH:mm:ss",
        excel_dates={"date": "dd.mm.yyyy", "month": "mm.yyyy", "datetime": "dd.mm.yyyy hh:mm:ss"},
        label=lambda enum, code: pseudo(humane(code)),
        header=lambda name, zh_header: pseudo(name),
        inline=lambda words: words,
        neutral={k: pseudo(v) for k, v in en.STYLE.neutral.items()},
    )
    return types.SimpleNamespace(TEXT=text, STYLE=style)


@pytest.fixture
def pseudo_language():
    i18n.register(LANG, _catalogue())
    yield LANG
    i18n.unregister(LANG)


def _fragments(texts: list[str], shortest: int) -> set[str]:
    """The fixed parts of catalogue texts (between placeholders), long enough to be telling."""
    out = set()
    for text in texts:
        for literal, *_ in string.Formatter().parse(text):
            for part in re.split(r"[\n*`#|]+", literal):
                part = part.strip(" ，。：；、,.:;()（）[]—-·")
                if len(part) >= shortest:
                    out.add(part)
    return out


# Texts of the two real languages that must not show through: Chinese of 4 characters or more (the catalogue,
# the codes' labels, the figures' names), English of two words and 12 characters or more.
CJK = re.compile(r"[\u4e00-\u9fff]")
ZH = {
    f
    for f in _fragments(
        [*zh.TEXT.values(), *(v for labels in zh.LABELS.values() for v in labels.values())]
        + [m.label("zh") for m in metrics.CATALOGUE],
        4,
    )
    if CJK.search(f)
}
EN = {f for f in _fragments([*en.TEXT.values(), *(m.label("en") for m in metrics.CATALOGUE)], 12) if " " in f}


def readable(text: str) -> str:
    """A text as it reads: HTML's tags out, its entities, JSON's and CSS's escapes (content: "\\27e6 …") decoded."""
    text = html.unescape(re.sub(r"<[^>]+>", "\n", text))
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)  # JSON in a script
    return re.sub(r"\\([0-9a-fA-F]{1,6}) ?", lambda m: chr(int(m.group(1), 16)), text)


LABELS = {v for labels in zh.LABELS.values() for v in labels.values()}


def unwrapped(text: str) -> str:
    """What is left of a text once every pseudo-translated piece is taken out: data, numbers, or a fallback."""
    text = readable(text)
    while True:
        shorter = WRAPPED.sub("¦", text)
        if shorter == text:
            return re.sub(r"⟦[^⟦⟧\n'\"]*", "¦", text)  # one cut short (an Excel sheet's name: 31 characters)
        text = shorter


def fallbacks(texts: list[str], labels: bool = True) -> list[str]:
    """Catalogue text of zh or en left once the pseudo-translated pieces are out: a piece that is a short label
    (已完成, 美丽社区: data such as a project's name may contain one), or that holds a longer text."""
    pieces = {p.strip(" \t,，;；:：·/()（）") for t in texts if t for p in re.split(r"[¦\n\r\t\"]+", unwrapped(t))}
    short = {f for f in ZH | EN if len(f) < 8 and (labels or f not in LABELS)}
    return sorted(
        {p for p in pieces if p in short}
        | {f for f in ZH | EN if len(f) >= 8 for p in pieces if len(p) >= 8 and f in p}
    )


def test_a_registered_language_is_accepted(pseudo_language):
    assert pseudo_language in i18n.LANGUAGES
    assert i18n.t("common.unspecified", LANG) == pseudo(en.TEXT["common.unspecified"])
    assert i18n.label("status", "completed", LANG) == "⟦Completed⟧"
    assert numbers.day(dt.date(2024, 1, 31), LANG) == "31.01.2024"
    assert set(_catalogue().TEXT) >= set(zh.TEXT) | set(en.TEXT)  # every key


@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_the_pseudo_language(sample_app, pseudo_language, page, downloads):
    at = open_page(page, lang=LANG)
    texts = shown_text(at) + chart_labels(at)
    assert at.title[0].value.startswith("⟦"), at.title[0].value
    assert fallbacks(texts) == [], (f"zh or en text on {page}", _debug_where(texts))
    files = []
    for name, make in downloads.values():
        if not name.endswith((".csv", ".xlsx")):
            continue  # a PDF is the printed HTML (tested in tests/e2e), a browser's work
        data = make()  # type: ignore[operator]
        if name.endswith(".csv"):
            files.append(data.decode("utf-8-sig") if isinstance(data, bytes) else str(data))
        elif name.endswith(".xlsx"):
            files.append(_xlsx_text(data))
    # a download's rows are data: a theme may be written as a programme's label is (生命教育)
    assert fallbacks(files, labels=False) == [], (f"zh or en text in the downloads of {page}", _debug_where(files))


def _xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return "\n".join(book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml"))


def _cells(data: bytes) -> list[str]:
    """The strings of a workbook's shared strings, one by one."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        if "xl/sharedStrings.xml" not in book.namelist():
            return []
        xml = book.read("xl/sharedStrings.xml").decode("utf-8")
    return [re.sub(r"<[^>]+>", "", s) for s in re.findall(r"<si>(.*?)</si>", xml, re.S)]


def test_deck_report_and_ledger_in_the_pseudo_language(sample_file, tmp_path, pseudo_language):
    import shutil

    from presenter import deck as pptx
    from presenter import ledger, report, slides

    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    con = db.connect(path)
    try:
        deck = slides.build(con, lang=LANG, mask=True)
        model = [
            str(v)
            for s in deck.slides
            for v in dataclasses.asdict(s).values()  # type: ignore[call-overload]
            if isinstance(v, str | list | tuple | dict)
        ]
        assert fallbacks(model) == [], "zh or en text on the deck's slides"
        shown = []
        for slide in Presentation(io.BytesIO(pptx.to_pptx(deck))).slides:
            for shape in slide.shapes:
                if shape.has_text_frame:
                    shown.append(shape.text_frame.text)
                if getattr(shape, "has_chart", False) and shape.has_chart:
                    chart = shape.chart
                    shown += [str(c) for c in chart.plots[0].categories]
                    shown += [s.name for s in chart.plots[0].series]
            if slide.has_notes_slide:
                shown.append(slide.notes_slide.notes_text_frame.text)
        assert fallbacks(shown) == [], "zh or en text in the .pptx"
        html = report.to_html(deck)
        assert 'lang="en-XA"' in html
        assert fallbacks([re.sub(r"<[^>]+>", "\n", html)]) == [], "zh or en text in the report"

        book = ledger.build(con, lang=LANG)
        assert fallbacks([re.sub(r"<[^>]+>", "\n", ledger.to_html(book))]) == [], "zh or en text in the ledger"
        assert fallbacks([ledger.to_csv(book).decode("utf-8-sig")], labels=False) == []  # rows are data
        assert fallbacks(_cells(ledger.to_xlsx(book)), labels=False) == []
    finally:
        con.close()


def test_codes_labels_are_the_contracts_chinese():
    """The codes' Chinese labels are the catalogue's, and the spreadsheet contract accepts exactly those."""
    assert kinds.ENUMS["status"] is zh.LABELS["status"]
    assert {m.code: m.label("zh") for m in metrics.CATALOGUE if m.shown} == kinds.NOTE_METRICS


def _debug_where(texts: list[str]) -> list[str]:
    found = fallbacks(texts)
    return [
        u[max(0, u.find(f) - 80) : u.find(f) + 80] for t in texts if t for u in [unwrapped(t)] for f in found if f in u
    ]


def test_an_imports_problems_in_the_pseudo_language(pseudo_language, tmp_path):
    """A refused file and a file's problems at their cells read in the registered language: its own words, the
    contract's names (sheets, columns, accepted values) in the form its template writes, never a KeyError."""
    from workbooks import ROSTER, workbook_bytes

    from etl import db, guard
    from etl.load import import_file

    with pytest.raises(guard.FileRefused) as refused:
        guard.check(b"not a workbook at all")
    assert refused.value.message(LANG).startswith("⟦")

    bad = [
        ROSTER[0],
        ["000101", "张三", "杨行一村", "园长", "2015-03-01", "是"],
        ["000102", "", "富杨苑", "社工", "", ""],
    ]
    con = db.connect(tmp_path / "w.duckdb")
    result = import_file(con, workbook_bytes({"社工名册": bad}), "roster.xlsx")
    con.close()
    assert result.status == "rejected" and len(result.errors) >= 2
    for problem in result.errors:
        text = problem.message(LANG)
        assert text.startswith("⟦"), text
        assert fallbacks([text]) == [], text
