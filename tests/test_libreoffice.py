"""Handouts render the same outside Microsoft Office (issue 24, item 5): the deck and the template as Debian's
LibreOffice prints them, read back with pdftotext.

The deck's fund chart stores its values in the unit it shows (万) with plain number formats: LibreOffice printed
Excel's '0!.0,"万"' as 347!.0 万 for 34.7万, and September's two labels over each other. Its Chinese runs are tagged
zh-CN with an East Asian typeface. The template's instructions rows are as tall as their wrapped sentences (Calc
cut them at one line) and print one landscape page wide, on two pages at most (they took four).
"""

from __future__ import annotations

import io
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from itertools import combinations

import duckdb
import openpyxl
import pytest
from lxml import etree
from rendered import Word, needs_office, pages, squeezed, to_pdf, words

from etl.kinds import KINDS
from etl.template import header, write_template
from presenter import deck as pptx
from presenter import slides

INSTRUCTIONS = {"zh": "说明", "en": "Instructions"}
CHART_LEFT = 5.2 * 72  # the chart frame's left edge on the slide, in points (presenter.deck.chart)
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def decks(sample_file):
    with duckdb.connect(str(sample_file), read_only=True) as con:
        return {lang: slides.build(con, lang=lang, mask=True) for lang in ("zh", "en")}


@pytest.fixture(scope="module")
def rendered(decks, tmp_path_factory):
    """The Chinese deck and both templates, printed to PDF by one LibreOffice run."""
    needs_office()
    folder = tmp_path_factory.mktemp("libreoffice")
    deck = folder / "deck.pptx"
    deck.write_bytes(pptx.to_pptx(decks["zh"]))
    templates = [write_template(folder / f"template_{lang}.xlsx", lang) for lang in ("zh", "en")]
    return folder, to_pdf([deck, *templates], folder)


def wan(yuan: float) -> Decimal:
    """Yuan in 万 to one decimal, as Excel and LibreOffice round it: half up."""
    return (Decimal(str(round(yuan, 2))) / 10_000).quantize(Decimal("0.1"), ROUND_HALF_UP)


def fund_labels(found: list[Word]) -> list[Word]:
    """The fund chart's data labels on its page: '34.7' (and the 万 after it, when drawn as a word of its own)."""
    labels = []
    for word in found:
        if word.x0 < CHART_LEFT or not re.fullmatch(r"\d[\d,]*\.\d万?", word.text):
            continue
        after = [
            w
            for w in found
            if w.text == "万" and abs(w.y0 - word.y0) < 1 and 0 <= w.x0 - word.x1 < 8 and not word.text.endswith("万")
        ]
        x1 = after[0].x1 if after else word.x1
        labels.append(Word(word.text + ("万" if after else ""), word.x0, word.y0, x1, word.y1))
    return labels


def test_the_fund_chart_reads_in_wan_in_libreoffice(decks, rendered):
    deck = decks["zh"]
    _, pdfs = rendered
    texts = pages(pdfs["deck.pptx"])
    assert len(texts) == len(deck.slides)
    assert not [i + 1 for i, text in enumerate(texts) if "!" in text], "Excel-only format codes shown as text"
    [fund] = [i for i, s in enumerate(deck.slides) if s.key == "fund"]
    chart = deck.slides[fund].chart
    assert chart is not None and chart.unit == "yuan"
    # e.g. 34.7万; an office suite rounds half up (98,500 reads 9.9万)
    expected = sorted(f"{wan(v):,}万" for s in chart.series for v in s.values if v)
    labels = fund_labels(words(pdfs["deck.pptx"], fund + 1))
    assert sorted(w.text for w in labels) == expected, texts[fund]
    overlapping = [(a.text, b.text) for a, b in combinations(labels, 2) if a.overlaps(b)]
    assert not overlapping, "labels drawn over each other"


def test_the_templates_instructions_print_whole_on_at_most_two_pages(rendered):
    folder, pdfs = rendered
    for lang in ("zh", "en"):
        name = f"template_{lang}.xlsx"
        book = openpyxl.load_workbook(folder / name)
        cells = [str(c.value) for row in book[INSTRUCTIONS[lang]].iter_rows() for c in row if c.value is not None]
        texts = [squeezed(text) for text in pages(pdfs[name], raw=True)]
        # the instructions end where the first kind's sheet (the roster: its header row) begins
        roster = squeezed("".join(header(c, lang) for c in KINDS["workers"].columns[:2]))
        first = next(i for i, text in enumerate(texts) if roster in text)
        assert 1 <= first <= 2, f"{name}: the instructions print on {first} pages"
        shown = "".join(texts[:first])
        cut = [cell for cell in cells if squeezed(cell) not in shown]
        assert not cut, f"{name}: instruction rows cut or missing in LibreOffice: {cut}"


@pytest.mark.parametrize(("lang", "tags"), [("zh", ("zh-CN", "en-US")), ("en", ("en-US", "zh-CN"))])
def test_every_run_says_its_languages_and_east_asian_font(decks, lang, tags):
    """Untagged Chinese was set in LibreOffice's default Asian font (Japanese on many installs)."""
    data = pptx.to_pptx(decks[lang])
    chinese = 0
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        parts = [n for n in package.namelist() if re.match(r"ppt/(slides|charts|notesSlides)/[^/]+\.xml$", n)]
        for part in parts:
            tree = etree.fromstring(package.read(part))
            props = tree.findall(f".//{{{A}}}r/{{{A}}}rPr") + tree.findall(f".//{{{A}}}defRPr")
            assert props, part
            for rpr in props:
                assert (rpr.get("lang"), rpr.get("altLang")) == tags, (part, etree.tostring(rpr)[:200])
                ea = rpr.find(f"{{{A}}}ea")
                assert ea is not None and ea.get("typeface") == pptx.EAST_ASIAN["typeface"], part
                assert ea.get("charset") == "-122"  # GB2312: a Simplified Chinese font
            chinese += sum(1 for r in tree.iter(f"{{{A}}}r") if CJK.search("".join(r.itertext())))
    assert chinese > 0
