"""The presenter page (AppTest), the .pptx deck (python-pptx) and the printed report, on the sample data.

Expected figures are computed here with independent SQL, not with the queries the slides use.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
from pptx import Presentation
from streamlit.testing.v1 import AppTest
from workbooks import strings_in

import metrics
from presenter import deck as pptx
from presenter import markdown, report, slides

ROOT = Path(__file__).resolve().parent.parent
CODES = {m.label(lang): m.code for m in metrics.CATALOGUE for lang in ("zh", "en")}
LATEST = date(2024, 1, 31)  # the as-of date the sample declares (its latest record is dated the 19th)
EARLY = date(2023, 10, 31)
TITLES = [
    "Community Governance in Yanghang Town",
    "Group governance",
    "Beautiful Community action",
    "Resident-proposed micro-renewal",
    "From residents' voices to projects",  # the sample's 2023 voices (issue 26)
    "Social-worker growth plan: who was trained",
    "Social-worker growth plan: training delivered",
    "Head Goose mentoring",
    "Warm Yang Hui community fund",
    "Against the 2023 targets",
]


@pytest.fixture
def con(sample_file):
    con = duckdb.connect(str(sample_file), read_only=True)
    yield con
    con.close()


def expected(con: duckdb.DuckDBPyConnection, day: date, year: int) -> dict[str, str]:
    """The headline figures as of `day` for `year`, formatted as the English slides show them."""

    def one(sql: str) -> float:
        params = {k: v for k, v in {"d": day, "y": year}.items() if f"${k}" in sql}
        return con.execute(sql, params).fetchone()[0] or 0

    def count(x: float) -> str:
        return f"{x:,.1f}".removesuffix(".0")

    done = "FROM projects WHERE status = 'completed' AND completed_date <= $d AND year(completed_date) = $y"
    sessions = "SELECT session_id FROM training_sessions WHERE date <= $d AND year(date) = $y"
    # the roster of the period: joined by its last day (the as-of day, or 31 December once the year is over)
    roster = (
        "FROM workers WHERE coalesce(active, TRUE) "
        "AND (joined_date IS NULL OR joined_date <= least($d, make_date($y, 12, 31)))"
    )
    trained = one(
        f"SELECT count(*) {roster} AND worker_id IN (SELECT worker_id FROM attendance WHERE session_id IN ({sessions}))"
    )
    pairs = "FROM mentorships WHERE start_date IS NULL OR start_date <= $d"
    bc = "AND program = 'beautiful_community'"
    return {
        "projects_completed": count(one(f"SELECT count(*) {done} AND program = 'group_governance'")),
        "group_governance_themes": count(one(f"SELECT count(DISTINCT theme) {done} AND program = 'group_governance'")),
        "promotion_meetings": count(
            one("SELECT count(*) FROM meetings WHERE type = 'promotion' AND date <= $d AND year(date) = $y")
        ),
        "beautiful_community_district_plus": count(
            one(f"SELECT count(*) {done} {bc} AND level IN ('district', 'municipal')")
        ),
        "beautiful_community_municipal": count(one(f"SELECT count(*) {done} {bc} AND level = 'municipal'")),
        "micro_renewal_completed": count(one(f"SELECT count(*) {done} AND program = 'micro_renewal'")),
        "trained": count(trained),
        "training_coverage": f"{trained / one(f'SELECT count(*) {roster}') * 100:.1f}%",
        "person_times": count(one(f"SELECT count(*) FROM attendance WHERE session_id IN ({sessions})")),
        "training_hours": count(one(f"SELECT sum(hours) FROM training_sessions WHERE session_id IN ({sessions})")),
        "sessions": count(one(f"SELECT count(*) FROM ({sessions})")),
        "mentors": count(one(f"SELECT count(DISTINCT mentor_id) {pairs}")),
        "mentees": count(one(f"SELECT count(*) {pairs}")),
        "fund_raised": f"¥{one('SELECT sum(amount_yuan) FROM donations WHERE date <= $d AND year(date) = $y'):,.0f}",
        "fund_used": f"¥{one('SELECT sum(amount_yuan) FROM disbursements WHERE date <= $d AND year(date) = $y'):,.0f}",
    }


def open_presenter() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/presenter.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> dict[str, str]:
    """The slide's figures by metric code (slides label them with the catalogue's names)."""
    return {CODES.get(markdown.unescape(m.label), m.label): m.value for m in at.metric}


def slide_text(at: AppTest) -> str:
    """The slide's text as the audience reads it (Markdown escapes of names and file names removed)."""
    return "\n".join(markdown.unescape(str(e.value)) for e in (*at.markdown, *at.caption))


def walk(at: AppTest) -> list[tuple[str, dict[str, str], str]]:
    """Step through every slide with the Next button: (title, figures, all text) per slide."""
    seen = []
    while True:
        text = slide_text(at)
        title = html.unescape(re.search(r'class="slide-(?:title|cover)">([^<]+)<', text).group(1))
        seen.append((title, shown(at), text))
        if at.button(key="presenter_next").disabled:
            return seen
        at.button(key="presenter_next").click().run()
        assert not at.exception, [e.value for e in at.exception]


def test_every_slide_shows_the_published_2023_figures(sample_app, con):
    at = open_presenter()
    assert at.date_input(key="presenter_day").value == LATEST
    seen = walk(at)
    assert [title for title, _, _ in seen] == TITLES
    for i, (_, _, text) in enumerate(seen, start=1):
        assert f"Slide {i} / {len(TITLES)}" in text
        assert "As of 2024-01-31" in text  # every slide names its day and its files
        assert re.search(r"Source: \d\d_\S+\.xlsx", text)
    figures = {label: value for _, metrics, _ in seen for label, value in metrics.items()}
    published = {
        "projects_completed": "50",
        "group_governance_themes": "6",
        "promotion_meetings": "12",
        "beautiful_community_district_plus": "9",
        "beautiful_community_municipal": "1",
        "micro_renewal_completed": "185",
        "trained": "278",
        "training_coverage": "100.0%",
        "person_times": "3,165",
        "training_hours": "112",
        "mentors": "10",
        "mentees": "42",
        "fund_raised": "¥650,000",
        "fund_used": "¥330,000",
        "balance": "¥320,000",
        "Targets reached": "7 / 7",
    }
    assert {k: figures[k] for k in published} == published
    want = expected(con, LATEST, 2023)  # and they come from the data
    assert {k: figures[k] for k in want} == want
    assert "Source: 02_项目.xlsx, 03_会议.xlsx" in seen[1][2]
    assert "Source: 04_基金.xlsx" in seen[8][2]
    assert "Source: 02_项目.xlsx" in seen[4][2]  # the voices: sheet 居民诉求 of the projects' workbook
    assert at.button(key="presenter_next").disabled
    at.button(key="presenter_prev").click().run()
    assert "Slide 9 / 10" in slide_text(at)


def test_an_earlier_as_of_date_freezes_the_figures(sample_app, con):
    at = open_presenter()
    at.date_input(key="presenter_day").set_value(EARLY).run()
    assert not at.exception
    figures = {label: value for _, metrics, _ in walk(at) for label, value in metrics.items()}
    want = expected(con, EARLY, 2023)
    assert {k: figures[k] for k in want} == want
    assert figures["projects_completed"] != "50" and figures["person_times"] != "3,165"  # the date mattered
    assert figures["fund_raised"] == "¥431,800"
    assert "As of 2023-10-31" in slide_text(at)


def chart_strings(at: AppTest) -> set[str]:
    """Every string in the first Plotly chart's decoded figure (names, labels, titles)."""
    return strings_in(json.loads(at.get("plotly_chart")[0].proto.spec))


def test_chinese_slides_and_masked_names(sample_app, con):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.switch_page("pages/presenter.py").run()
    assert not at.exception
    seen = walk(at)
    assert seen[0][0] == "杨行镇社区治理"
    figures = {label: value for _, metrics, _ in seen for label, value in metrics.items()}
    assert figures["fund_raised"] == "¥65万" and figures["fund_used"] == "¥33万"
    assert figures["micro_renewal_completed"] == "185"
    assert "第 10 / 10 页" in seen[-1][2]
    at.button(key="presenter_prev").click().run()
    at.button(key="presenter_prev").click().run()  # the mentoring slide: masking is on by default
    assert "“头雁”带教" in slide_text(at)
    chart = chart_strings(at)
    mentors = [
        n
        for (n,) in con.execute(
            "SELECT DISTINCT w.name FROM mentorships m JOIN workers w ON w.worker_id = m.mentor_id"
        ).fetchall()
    ]
    assert f"{mentors[0][0]}*" in chart and not [s for s in chart if any(n in s for n in mentors)]
    at.toggle(key="presenter_mask").set_value(False).run()
    assert not at.exception
    unmasked = chart_strings(at)
    assert all(n in unmasked for n in mentors) and f"{mentors[0][0]}*" not in unmasked


def test_mask_name():
    assert slides.mask_name("张三") == "张*"
    assert slides.mask_name("欧阳娜娜") == "欧*"
    assert slides.mask_name("Zhang San") == "Z*"
    assert slides.mask_name("") == ""


def all_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "\n".join(z.read(name).decode("utf-8", "replace") for name in z.namelist())


def test_deck_has_every_slide_native_charts_and_notes(con):
    deck = slides.build(con, lang="en", mask=True)
    prs = Presentation(io.BytesIO(pptx.to_pptx(deck)))
    assert len(prs.slides) == len(TITLES)
    assert prs.slide_width * 9 == prs.slide_height * 16
    texts = ["\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in prs.slides]
    for title, text in zip(TITLES, texts, strict=True):
        assert title in text and "As of 2024-01-31" in text
    for figure in ("50", "185", "278", "100.0%", "3,165", "112", "¥650,000", "¥330,000", "7 / 7"):
        assert any(f"\n{figure}\n" in f"\n{text}\n" for text in texts), figure

    charts = {i: [s.chart for s in slide.shapes if s.has_chart] for i, slide in enumerate(prs.slides)}
    # slide 6's five roles all at 100 %: one line where the chart would be, not five equal bars (slide 5: the voices)
    assert [len(c) for c in charts.values()] == [0, 1, 1, 1, 1, 0, 1, 1, 1, 1]
    assert "All 5 roles have 100.0% coverage" in texts[5]
    themes = charts[1][0]
    want = con.execute(
        "SELECT theme, count(*) FROM projects WHERE program = 'group_governance' AND status = 'completed' "
        "GROUP BY theme ORDER BY count(*) DESC, theme"
    ).fetchall()
    assert list(themes.plots[0].categories) == [t for t, _ in want]
    assert list(themes.series[0].values) == [float(n) for _, n in want]
    fund = charts[8][0]
    assert [s.name for s in fund.series] == ["Raised", "Used"]
    assert sum(fund.series[0].values) == 650_000 and sum(fund.series[1].values) == 330_000
    monthly = con.execute(
        "SELECT count(*) FROM attendance a JOIN training_sessions s USING (session_id) WHERE year(s.date) = 2023 "
        "GROUP BY month(s.date) ORDER BY month(s.date)"
    ).fetchall()
    assert list(charts[6][0].series[0].values) == [float(n) for (n,) in monthly]
    for slide in prs.slides:
        assert slide.has_notes_slide and "As of 2024-01-31" in slide.notes_slide.notes_text_frame.text
    notes = prs.slides[5].notes_slide.notes_text_frame.text
    assert "Workers trained: 278." in notes and "attended at least one session" in notes


def test_masked_deck_and_report_hold_no_full_name(con):
    names = [n for (n,) in con.execute("SELECT DISTINCT name FROM workers").fetchall()]
    mentors = [
        n
        for (n,) in con.execute(
            "SELECT DISTINCT w.name FROM mentorships m JOIN workers w ON w.worker_id = m.mentor_id"
        ).fetchall()
    ]
    for lang in ("zh", "en"):
        masked = slides.build(con, lang=lang, mask=True)
        data, html = all_text(pptx.to_pptx(masked)), report.to_html(masked)
        assert not [n for n in names if n in data], lang
        assert not [n for n in names if n in html], lang
        assert f"{mentors[0][0]}*" in data  # the mentors are there, masked
    plain = all_text(pptx.to_pptx(slides.build(con, lang="zh", mask=False)))
    assert all(n in plain for n in mentors)  # without masking the names are shown (the check above is meaningful)


def test_report_has_the_kpis_targets_and_as_of_date(con):
    html = report.to_html(slides.build(con, lang="en", day=EARLY, mask=True))
    assert "2023-10-31" in html and "<style>" in html and "@page" in html
    names = [metrics.METRICS[c].label("en") for c in ("projects_completed", "training_coverage", "fund_raised")]
    for text in (*names, "¥431,800", "¥600,000", "Target"):
        assert text in html, text
    zh = report.to_html(slides.build(con, lang="zh", mask=True))
    assert "¥65万" in zh and "2024年1月31日" in zh and "主要指标与目标" in zh


def _pdf_pages(html_by_lang: dict[str, str]) -> dict[str, int]:
    """Print each HTML page to A4 in Chromium and count the PDF's pages."""
    from playwright.sync_api import sync_playwright

    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    counts = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=flags)
        try:
            for lang, html in html_by_lang.items():
                page = browser.new_page()
                page.set_content(html)
                pdf = page.pdf(format="A4", print_background=True)
                counts[lang] = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
        finally:
            browser.close()
    return counts


@pytest.mark.e2e  # printed by Chromium
def test_report_prints_on_at_most_two_a4_pages(con):
    """Leadership gets one to two pages: the report printed by Chromium, as a browser prints it."""
    from concurrent.futures import ThreadPoolExecutor

    html = {lang: report.to_html(slides.build(con, lang=lang)) for lang in ("en", "zh")}
    # a thread of its own: the browser tests' Playwright session may hold this thread's event loop
    with ThreadPoolExecutor(max_workers=1) as pool:
        counts = pool.submit(_pdf_pages, html).result()
    assert all(1 <= n <= 2 for n in counts.values()), counts
