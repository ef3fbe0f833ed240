"""The printed report (presenter/report.py) as Chromium prints it, and `python -m etl report|deck` (issue 14).

The layout checks read the DOM with print media emulated at the width an A4 page prints (210 mm less the 12 mm
margins on each side): every column's height and every bar's length is proportional to its value, nothing inside a
card is drawn outside it, and month labels are whole, each on one line.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import pytest
from pptx import Presentation
from workbooks import held_by_another_process

from cli import main
from etl import db, publish
from presenter import report, slides

CHROMIUM = "/usr/bin/chromium"
FLAGS = list(report.CHROMIUM_FLAGS)
PRINT_WIDTH_PX = round((210 - 2 * 12) / 25.4 * 96)  # the @page's printable width in CSS pixels
EARLY = date(2023, 10, 31)
SLACK = 1.5  # px: rounding of millimetres to device pixels

MEASURE = """() => {
  const box = (e) => e.getBoundingClientRect();
  const textBoxes = (root) => {
    const out = [];
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (!n.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      for (const r of range.getClientRects()) out.push({text: n.textContent.trim(), r});
    }
    return out;
  };
  const outside = (r, c) => r.left < c.left - 1 || r.right > c.right + 1 || r.top < c.top - 1 || r.bottom > c.bottom + 1;
  const cards = [...document.querySelectorAll('.card')].map((card) => {
    const c = box(card);
    const spill = [];
    for (const el of card.querySelectorAll('*')) {
      const r = box(el);
      if ((r.width || r.height) && outside(r, c)) spill.push(`<${el.tagName.toLowerCase()} class="${el.className}">`);
    }
    for (const {text, r} of textBoxes(card)) if (outside(r, c)) spill.push(`text "${text}"`);
    const charts = [...card.querySelectorAll('.chart')].map((chart) => {
      const kind = chart.dataset.kind;
      const marks = [...chart.querySelectorAll('[data-value]')].map((m) => ({
        value: parseFloat(m.dataset.value),
        size: kind === 'columns' ? box(m).height : box(m).width,
        room: kind === 'columns' ? box(m.parentElement).height : box(m.parentElement).width,
      }));
      const labels = [...chart.querySelectorAll('.columns .axis')].map((a) => {
        const cell = box(a.parentElement);
        const rects = textBoxes(a).map((t) => t.r);
        return {
          text: a.textContent,
          lines: new Set(rects.map((r) => Math.round(r.top))).size,
          height: box(a).height,
          lineHeight: parseFloat(getComputedStyle(a).lineHeight),
          inCell: rects.every((r) => r.left >= cell.left - 1 && r.right <= cell.right + 1),
        };
      });
      const r = box(chart);
      return {kind, marks, labels, inCard: !outside(r, c)};
    });
    return {title: card.querySelector('h3').textContent, spill, charts};
  });
  const body = box(document.body);
  return {cards, bodyWidth: body.width, pageWidth: document.documentElement.scrollWidth};
}"""


def _measure(html_by_name: dict[str, str]) -> dict[str, tuple[dict, int]]:
    """For each report: its layout measured in print media at the printed width, and its page count as printed."""
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for name, html in html_by_name.items():
                page = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1100})
                page.emulate_media(media="print")
                page.set_content(html)
                page.evaluate("document.fonts.ready")
                layout = page.evaluate(MEASURE)
                pdf = page.pdf(format="A4", print_background=True)
                out[name] = (layout, len(re.findall(rb"/Type\s*/Page(?!s)", pdf)))
                page.close()
        finally:
            browser.close()
    return out


def _in_own_thread(fn, *args):
    # a thread of its own: the browser tests' Playwright session may hold this thread's event loop
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


@pytest.fixture(scope="module")
def con(sample_file):
    con = duckdb.connect(str(sample_file), read_only=True)
    yield con
    con.close()


@pytest.mark.e2e  # measured and printed in Chromium
def test_report_charts_are_proportional_whole_and_inside_their_cards(con):
    """Issue 14: columns were all drawn full height (3 looked like 185), the monthly chart spilled out of its card
    over the mentors' names, and month labels broke as '2 / 月'."""
    decks = {
        "zh": slides.build(con, lang="zh", mask=True),
        "zh-names": slides.build(con, lang="zh", mask=False),
        "en": slides.build(con, lang="en", mask=True),
        "en-early": slides.build(con, lang="en", day=EARLY, mask=True),
    }
    measured = _in_own_thread(_measure, {name: report.to_html(deck) for name, deck in decks.items()})
    for name, (layout, pages) in measured.items():
        assert 1 <= pages <= 2, (name, pages)
        assert layout["pageWidth"] <= PRINT_WIDTH_PX, (name, layout["pageWidth"])
        kinds = set()
        for card in layout["cards"]:
            where = f"{name}: {card['title']}"
            assert not card["spill"], (where, card["spill"])
            for chart in card["charts"]:
                kinds.add(chart["kind"])
                assert chart["inCard"], where
                marks = chart["marks"]
                assert marks, where
                biggest = max(marks, key=lambda m: m["value"])
                assert biggest["value"] > 0 and biggest["size"] > 0, where
                scale = biggest["size"] / biggest["value"]  # pixels per unit: one scale for the whole chart
                for mark in marks:
                    assert abs(mark["size"] - mark["value"] * scale) <= SLACK, (where, mark, scale)
                    assert mark["size"] <= mark["room"] + SLACK, (where, mark)
                for label in chart["labels"]:
                    assert label["lines"] == 1 and label["height"] <= label["lineHeight"] * 1.5, (where, label)
                    assert label["inCell"], (where, label)
        assert kinds == {"columns", "bars"}, (name, kinds)
    # the case of the issue: in the running total of micro-renewals, March's 3 is drawn 3/185 as tall as December
    zh_cards = {card["title"]: card for card in measured["zh"][0]["cards"]}
    running = zh_cards["居民提议微更新"]["charts"][0]
    assert running["kind"] == "columns"
    assert [x["text"] for x in running["labels"]] == [f"{m}月" for m in range(3, 13)]
    first, last = running["marks"][0], running["marks"][-1]
    assert (first["value"], last["value"]) == (3, 185)
    assert first["size"] < last["size"] / 20


def test_month_labels_are_chinese_months_in_the_chinese_report(con):
    html = report.to_html(slides.build(con, lang="zh", mask=True))
    axis = re.findall(r'<div class="axis">([^<]*)</div>', html)
    assert axis and all(re.fullmatch(r"(\d{4}年)?\d{1,2}月", label) for label in axis), axis
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b", html)


def test_money_on_the_chinese_report_is_in_wan_as_its_title_says(con):
    html = report.to_html(slides.build(con, lang="zh", mask=True))
    chart = html[html.index("（万元）") :]
    chart = chart[: chart.index("</section>")]
    values = re.findall(r'title="[^":]+: ([^"]+)"', chart) + re.findall(r"</i>[^<]+ ([^<]+)", chart)
    assert values and all(v.endswith("万") or v == "0" for v in values), values  # one unit: 万, never ¥3,000
    assert "¥" not in chart


# --- python -m etl report | deck


@pytest.fixture
def warehouse(sample_file, tmp_path, monkeypatch) -> Path:
    """A copy of the sample warehouse, published as a fresh install's first start publishes it."""
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    con = db.connect(path)
    publish.ensure_published(con)
    con.close()
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    monkeypatch.delenv("DASHBOARD_LANG", raising=False)
    return path


def _mentor_names(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as c:
        rows = c.execute(
            "SELECT DISTINCT w.name FROM mentorships m JOIN workers w ON w.worker_id = m.mentor_id"
        ).fetchall()
    return [n for (n,) in rows]


def _pptx_text(data: bytes) -> str:
    """Every slide's text and notes, and the chart workbooks' XML (category labels)."""
    prs = Presentation(io.BytesIO(data))
    parts = []
    for slide in prs.slides:
        parts += [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        if slide.has_notes_slide:
            parts.append(slide.notes_slide.notes_text_frame.text)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")]
    return "\n".join(parts)


def test_cli_report_html_is_the_pages_report(warehouse, tmp_path, capsys):
    names = _mentor_names(warehouse)
    out = tmp_path / "简报.html"
    assert main(["report", str(out), "--lang", "zh", "--mask-names"]) == 0
    html = out.read_text(encoding="utf-8")
    for text in ("杨行镇社区治理2023年度简报", "2024年1月31日", "¥65万", "¥33万", "3,165", "185", "278"):
        assert text in html, text
    assert not [n for n in names if n in html]
    assert f"{names[0][0]}*" in html  # the mentors are there, masked
    with duckdb.connect(str(publish.current_file(warehouse)), read_only=True) as c:
        same = report.to_html(slides.build(c, lang="zh", mask=True))
    assert html == same  # the same code as the Presenter page's download, on the version the page reads
    assert "2024-01-31" in capsys.readouterr().out

    early = tmp_path / "early.html"
    assert main(["report", str(early), "--db", str(warehouse), "--as-of", "2023-10-31", "--lang", "en"]) == 0
    html = early.read_text(encoding="utf-8")
    for text in ("Figures as of 2023-10-31", "¥431,800", "¥600,000", "Key figures against targets"):
        assert text in html, text
    assert not [n for n in names if n in html]  # masked unless --no-mask, as on the Presenter


def test_cli_deck_pptx(warehouse, tmp_path):
    names = _mentor_names(warehouse)
    out = tmp_path / "deck.pptx"
    assert main(["deck", str(out), "--lang", "en", "--mask-names"]) == 0
    text = _pptx_text(out.read_bytes())
    for figure in ("As of 2024-01-31", "Warm Yang Hui community fund", "3,165", "¥650,000", "278", "100.0%"):
        assert figure in text, figure
    assert not [n for n in names if n in text]
    early = tmp_path / "early.pptx"
    assert main(["deck", str(early), "--lang", "zh", "--as-of", "2023-10-31", "--no-mask"]) == 0
    text = _pptx_text(early.read_bytes())
    assert "2023年10月31日" in text and "2024年1月31日" not in text  # the pages' date style
    assert all(n in text for n in names)  # --no-mask: names in full (masked is the default)


@pytest.mark.e2e  # printed by Chromium
def test_cli_report_pdf_prints_on_at_most_two_a4_pages(warehouse, tmp_path):
    out = tmp_path / "report.pdf"
    assert main(["report", str(out), "--lang", "zh", "--mask-names"]) == 0
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert 1 <= len(re.findall(rb"/Type\s*/Page(?!s)", data)) <= 2
    assert boxes and all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes)  # A4


def test_cli_report_says_when_chromium_is_missing(warehouse, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "report.pdf"
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Chromium" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["report", str(tmp_path / "report.html")]) == 0  # HTML needs no browser


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["report", "{tmp}/r.docx"], "not 'r.docx'"),
        (["deck", "{tmp}/d.pdf"], "not 'd.pdf'"),
        (["report", "{tmp}/r.html", "--as-of", "2031-01-01"], "after the data's as-of date 2024-01-31"),
        (["report", "{tmp}/r.html", "--as-of", "31/01/2024"], "not a date"),
        (["deck", "{tmp}/nowhere/d.pptx"], "no such folder"),
        (["deck", "{tmp}/d.pptx", "--db", "{tmp}/missing.duckdb"], "no warehouse"),
        (["report", "{tmp}/r.html", "--lang", "fr"], "invalid choice"),
    ],
)
def test_cli_handout_usage_errors_exit_2(warehouse, tmp_path, capsys, args, says):
    assert main([a.format(tmp=tmp_path) for a in args]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert not list(tmp_path.glob("[rd].*"))


def test_cli_handout_refuses_an_empty_or_locked_warehouse(warehouse, tmp_path, monkeypatch, capsys):
    (tmp_path / "empty").mkdir()
    empty = tmp_path / "empty" / "empty.duckdb"  # a folder of its own: published/ beside it is its own
    monkeypatch.setenv("DASHBOARD_NO_SAMPLE", "1")
    duckdb.connect(str(empty)).close()
    assert main(["deck", str(tmp_path / "d.pptx"), "--db", str(empty)]) == 2
    assert "holds no data" in capsys.readouterr().err
    monkeypatch.setenv("DASHBOARD_LOCK_WAIT", "0.5")  # the bounded wait for another program's work
    with held_by_another_process(warehouse):
        assert main(["report", str(tmp_path / "r.html"), "--draft"]) == 2  # the working data is busy ...
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "busy with another program" in err
        assert not (tmp_path / "r.html").exists() and not (tmp_path / "d.pptx").exists()
        assert main(["report", str(tmp_path / "r.html")]) == 0  # ... the published version is not: read it


def _slide(key: str, kind: str | None, bars: int = 3) -> slides.Slide:
    categories = tuple(f"m{i}" for i in range(bars))
    chart = None if kind is None else slides.Chart(kind, key, categories, (slides.Series(key, (1.0,) * bars),))
    return slides.Slide(key=key, title=key, message="", chart=chart)


def test_a_row_left_half_empty_widens_its_longest_bar_chart_which_then_sits_beside_its_text():
    """The report's grid has four columns; a chart over months takes two. A row with a hole is closed by widening its
    cards with bar charts, a column each, the longest first (drawn beside their text, so the row gets lower), else
    its last card."""
    months = _slide("months", "column", bars=12)
    short, long_, none = _slide("short", "bar", 2), _slide("long", "bar", 10), _slide("none", None)
    assert report._spans([short, long_, months]) == [1, 1, 2]  # a full row: nothing to widen
    assert report._spans([long_, months]) == [2, 2]  # the mentors' card beside the fund's months
    assert report._spans([short, long_, none, months]) == [1, 2, 1, 4]  # the hole goes to the longest
    assert report._spans([none, months]) == [1, 3]  # no bar chart: the last card closes the row
    assert report._spans([short, long_]) == [2, 2]  # a column each (the mentors and the fund's three months)
    assert report._spans([short, long_, none]) == [1, 2, 1]
    assert report._spans([months, months, none]) == [2, 2, 4]
    html = report.to_html(slides.Deck("t", "en", EARLY, 2023, EARLY, True, (long_, months)))
    assert '<section class="card span2 beside"><div class="text"><h3>long' in html
    assert '<section class="card span2"><div class="text"><h3>months' in html  # months stay under their text


def test_the_page_mark_is_in_every_printed_pages_margin_and_cannot_break_out_of_the_style(con):
    deck = slides.build(con, lang="en", mask=True)
    hostile = '管理员"; } </style><script>alert(1)</script>'
    html = report.to_html(slides.Deck(**{**deck.__dict__, "draft": True, "stamp": hostile}))
    style = html[html.index("<style>") : html.index("</style>")]
    assert "@bottom-right" in style and "<" not in style.split("@bottom-right")[1]
    assert "<script>" not in html  # the stamp as text on the page is escaped as well
    assert "\\000022" in style  # the quote as a CSS hex escape
