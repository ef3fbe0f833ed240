"""The deck's 民意到实事 slide (issue 26): the report year's voices from collected to completed projects, on screen, in
the .pptx and in the printed report; left out when the year has no voices. Expected figures from independent SQL."""

from __future__ import annotations

import io
import shutil
from datetime import date
from html import escape

import duckdb
import pytest
import voices_fixture as vf
from pptx import Presentation

from etl import publish
from i18n import t
from presenter import deck as pptx
from presenter import report, slides


@pytest.fixture
def voiced(sample_file, tmp_path):
    """A published copy of the sample with the hand-made voices (linked to two of its micro-renewals)."""
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    vf.add_to_sample(path)
    con = duckdb.connect(str(publish.current_file(path)), read_only=True)
    yield con
    con.close()


def expected(con, day: date, year: int) -> list[int]:
    """Collected, answered, became projects, project completed: the year's voices as of `day`."""
    base = "FROM resident_voices v LEFT JOIN projects p USING (project_id) WHERE v.collected_date <= $d AND year(v.collected_date) = $y"
    sql = f"""SELECT count(*), count(*) FILTER (WHERE v.answered_date <= $d), count(v.project_id),
                     count(*) FILTER (WHERE p.status = 'completed' AND p.completed_date <= $d) {base}"""
    return list(con.execute(sql, {"d": day, "y": year}).fetchone())


def test_the_slide_shows_the_funnel_after_the_micro_renewals(voiced):
    deck = slides.build(voiced, lang="zh")
    keys = [s.key for s in deck.slides]
    assert keys.index("voices") == keys.index("micro_renewal") + 1
    slide = deck.slides[keys.index("voices")]
    counts = expected(voiced, deck.day, deck.year)
    assert counts[:3] == [6, 5, 3]
    assert slide.title == t("presenter.voices.title", "zh")
    assert list(slide.chart.series[0].values) == counts
    assert slide.chart.categories == tuple(
        t(f"voices.stage.{s}", "zh") for s in ("collected", "answered", "project", "completed")
    )
    assert slide.message == t(
        "presenter.voices.message", "zh", collected="6", answered="5", projects="3", completed=str(counts[3])
    )
    figures = {f.key: f.text for f in slide.figures}
    assert figures == {"voices_collected": "6", "voices_project": "3", "voices_in_time": "60.0%"}
    assert vf.SECRET not in repr(slide)  # no summary on a slide


def test_the_pptx_and_the_report_carry_it(voiced):
    deck = slides.build(voiced, lang="en")
    shown = Presentation(io.BytesIO(pptx.to_pptx(deck)))
    titles = [s.shapes.title.text if s.shapes.title else "" for s in shown.slides]
    texts = ["\n".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) for s in shown.slides]
    assert any(t("presenter.voices.title", "en") in x for x in [*titles, *texts])
    charts = [sh for s in shown.slides for sh in s.shapes if sh.has_chart]
    funnel = [c for c in charts if "Collected" in list(c.chart.plots[0].categories)]
    assert funnel and list(funnel[0].chart.plots[0].series[0].values)[:3] == [6.0, 5.0, 3.0]
    html = report.to_html(deck)
    assert escape(t("presenter.voices.title", "en")) in html and "Voices collected" in html


def test_no_voices_no_slide(sample_file):
    con = duckdb.connect(str(sample_file), read_only=True)
    try:
        deck = slides.build(con, lang="en")
    finally:
        con.close()
    assert "voices" not in [s.key for s in deck.slides]


def test_a_year_without_voices_has_no_slide(voiced):
    deck = slides.build(voiced, lang="en", day=date(2022, 12, 31))  # 2022: V08 only, collected in June
    assert [s.key for s in deck.slides].count("voices") == 1
    deck = slides.build(voiced, lang="en", day=date(2021, 12, 31))
    assert "voices" not in [s.key for s in deck.slides]
