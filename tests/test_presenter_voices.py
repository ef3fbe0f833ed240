"""The deck's 民意到实事 slide (issue 26): the report year's voices from collected to completed projects, on screen, in
the .pptx and in the printed report; left out when the year has no voices. Expected figures from independent SQL."""

from __future__ import annotations

import io
import re
import shutil
from datetime import date
from html import escape

import duckdb
import pytest
from pptx import Presentation

from i18n import numbers, t
from presenter import deck as pptx
from presenter import report, slides


@pytest.fixture
def voiced(sample_file):
    """The sample, whose 2023 voices (sheet 居民诉求 of 02_项目.xlsx) the slide shows."""
    con = duckdb.connect(str(sample_file), read_only=True)
    yield con
    con.close()


def expected(con, day: date, year: int) -> list[int]:
    """Collected, answered, became projects, project completed: the year's voices as of `day`, counted to the end of
    the deck's period (its year, up to the as-of day: the catalogue's period)."""
    day = min(day, date(year, 12, 31))
    base = "FROM resident_voices v LEFT JOIN projects p USING (project_id) WHERE v.collected_date <= $d AND year(v.collected_date) = $y"
    sql = f"""SELECT count(*), count(*) FILTER (WHERE v.answered_date <= $d), count(v.project_id),
                     count(*) FILTER (WHERE p.status = 'completed' AND p.completed_date <= $d) {base}"""
    return list(con.execute(sql, {"d": day, "y": year}).fetchone())


def in_time(con, day: date, year: int) -> float:
    """Answered within 15 days of those due (answered by `day` or past the promise by then), by independent SQL."""
    day = min(day, date(year, 12, 31))
    sql = """SELECT count(*) FILTER (WHERE v.answered_date <= $d AND v.answered_date - v.collected_date <= 15),
                    count(*) FILTER (WHERE v.answered_date <= $d OR $d - v.collected_date > 15)
             FROM resident_voices v WHERE v.collected_date <= $d AND year(v.collected_date) = $y"""
    on_time, due = con.execute(sql, {"d": day, "y": year}).fetchone()
    return on_time / due


def test_the_slide_shows_the_funnel_after_the_micro_renewals(voiced):
    deck = slides.build(voiced, lang="zh")
    assert deck.year == 2023
    keys = [s.key for s in deck.slides]
    assert keys.index("voices") == keys.index("micro_renewal") + 1
    slide = deck.slides[keys.index("voices")]
    counts = expected(voiced, deck.day, deck.year)
    assert counts[0] > counts[2] >= 185 and counts[3] >= 185  # every resident-proposed micro-renewal from a voice
    assert slide.title == t("presenter.voices.title", "zh")
    assert list(slide.chart.series[0].values) == counts
    assert slide.chart.categories == tuple(
        t(f"voices.stage.{s}", "zh") for s in ("collected", "answered", "project", "completed")
    )
    assert slide.message == t(
        "presenter.voices.message",
        "zh",
        **dict(
            zip(("collected", "answered", "projects", "completed"), (numbers.number(c) for c in counts), strict=True)
        ),
    )
    figures = {f.key: f.text for f in slide.figures}  # the catalogue's figures, as every page shows them
    assert figures == {
        "voices_collected": numbers.number(counts[0]),
        "voices_to_projects": numbers.percent(counts[2] / counts[0]),
        "voices_answered_in_time": numbers.percent(in_time(voiced, deck.day, deck.year)),
    }
    assert all("@" not in repr(f) for f in slide.figures)


def test_the_pptx_carries_it_and_the_report_keeps_to_two_pages(voiced):
    deck = slides.build(voiced, lang="en")
    shown = Presentation(io.BytesIO(pptx.to_pptx(deck)))
    titles = [s.shapes.title.text if s.shapes.title else "" for s in shown.slides]
    texts = ["\n".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) for s in shown.slides]
    assert any(t("presenter.voices.title", "en") in x for x in [*titles, *texts])
    charts = [sh for s in shown.slides for sh in s.shapes if sh.has_chart]
    funnel = [c for c in charts if "Collected" in list(c.chart.plots[0].categories)]
    want = [float(c) for c in expected(voiced, deck.day, deck.year)]
    assert funnel and list(funnel[0].chart.plots[0].series[0].values) == want
    # on paper too, within the leadership summary's two A4 pages (tests/test_report.py prints and counts them)
    html = report.to_html(deck)
    assert escape(t("presenter.voices.title", "en")) in html
    [card] = [c for c in html.split('<section class="card')[1:] if escape(t("presenter.voices.title", "en")) in c]
    assert [float(v) for v in re.findall(r'data-value="([\d.]+)"', card)] == want
    slide = next(s for s in deck.slides if s.key == "voices")
    assert all(escape(f.text) in card and escape(f.label) in card for f in slide.figures)


def test_no_voices_no_slide(sample_file, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM resident_voices")
    try:
        deck = slides.build(con, lang="en")
    finally:
        con.close()
    assert "voices" not in [s.key for s in deck.slides]


def test_a_year_without_voices_has_no_slide(voiced):
    first = voiced.execute("SELECT min(collected_date) FROM resident_voices").fetchone()[0]
    deck = slides.build(voiced, lang="en", day=date(first.year, 12, 31))
    assert [s.key for s in deck.slides].count("voices") == 1
    deck = slides.build(voiced, lang="en", day=date(first.year - 1, 12, 31))
    assert "voices" not in [s.key for s in deck.slides]
