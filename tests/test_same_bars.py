"""Bars that all say the same are one line (issue 24, item 8), on the Training page, the slides and the report.

In 2023 every role of the sample's roster was trained: five bars at 100 % stood on the Training page, slide 5 and
the printed report, while the forty communities at 100 % were already one line. presenter.slides.same_value is the
one rule for both.
"""

from __future__ import annotations

import io
from html import escape

import duckdb
from pptx import Presentation
from visitors import array, charts, open_page

from i18n import t
from presenter import deck as pptx
from presenter import markdown, report, slides


def test_same_value_is_the_value_every_bar_shares():
    assert slides.same_value([1.0, 1.0, 1.0 + 1e-12]) == 1.0
    assert slides.same_value([0.25, 0.25]) == 0.25
    assert slides.same_value([1.0, 0.9]) is None
    assert slides.same_value([]) is None


def test_the_training_page_says_five_equal_roles_in_one_line(sample_app):
    at = open_page("training", lang="zh", year="2023")
    assert "coverage_by_role" not in charts(at)  # no five bars at 100 %
    line = t("chart.coverage_roles_same", "zh", count=5, coverage="100.0%")
    assert line in [markdown.unescape(str(s.value)) for s in at.success]
    assert "xlsx_coverage_by_role" in [b.key for b in at.get("download_button")]  # its figures still downloadable
    communities = [markdown.unescape(str(s.value)) for s in at.success if "个社区" in str(s.value)]
    assert communities  # as the communities are

    later = open_page("training", lang="zh", year="2024")  # roles that differ are still bars, one each
    bars = charts(later)["coverage_by_role"]["data"][0]
    assert len(array(bars["y"])) == 5 and len(set(array(bars["x"]))) > 1


def test_slide_5_and_the_report_say_five_equal_roles_in_one_line(sample_file):
    con = duckdb.connect(str(sample_file), read_only=True)
    for lang in ("zh", "en"):
        deck = slides.build(con, lang=lang, mask=True)
        coverage = next(s for s in deck.slides if s.key == "coverage")
        line = t("presenter.coverage.same", lang, count=5, value="100.0%")
        assert coverage.chart is None and coverage.line == line
        # the .pptx: slide 5 carries the line and no chart
        prs = Presentation(io.BytesIO(pptx.to_pptx(deck)))
        number = deck.slides.index(coverage)
        shapes = list(prs.slides[number].shapes)
        assert not [s for s in shapes if s.has_chart]
        assert line in [s.text_frame.text for s in shapes if s.has_text_frame]
        # the report: the card has the line where its bars were
        html = report.to_html(deck)
        assert f'<p class="line">{escape(line)}</p>' in html
        assert escape(t("presenter.chart.coverage_by_role", lang)) not in html
    con.close()


def test_mentors_who_all_did_the_same_share_are_one_line(sample_con):
    sample_con.execute("UPDATE mentorships SET activities_done = 10")
    deck = slides.build(sample_con, lang="zh", mask=True)
    mentoring = next(s for s in deck.slides if s.key == "mentoring")
    mentors = int(sample_con.execute("SELECT count(DISTINCT mentor_id) FROM mentorships").fetchone()[0])
    assert mentoring.chart is None
    assert mentoring.line == t("presenter.mentoring.same", "zh", count=mentors, value="100.0%")


def test_the_presenter_page_shows_the_line_on_the_coverage_slide(sample_app):
    from streamlit.testing.v1 import AppTest
    from visitors import ROOT, slide_number

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.switch_page("pages/presenter.py").run()
    for _ in range(slide_number(sample_app, "coverage") - 1):  # to the coverage slide
        at.button(key="presenter_next").click().run()
    assert not at.exception
    html = "\n".join(str(m.value) for m in at.markdown)
    assert escape(t("presenter.coverage.same", "zh", count=5, value="100.0%")) in html
    assert not [c for c in at.get("plotly_chart") if "slide_chart" in c.proto.id]
