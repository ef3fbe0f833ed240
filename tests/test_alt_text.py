"""Charts carry alternative text off the screen too (issue 19, item 5): the .pptx's chart frames have a description
(PowerPoint's Alt Text) and the printed report's charts are images named by their figures, in the deck's language."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import duckdb
import pytest
from pptx import Presentation

from presenter import deck as pptx
from presenter import report, slides


@pytest.fixture(scope="module")
def con(sample_file):
    con = duckdb.connect(str(sample_file), read_only=True)
    yield con
    con.close()


def test_describe_says_every_category_and_value(con):
    deck = slides.build(con, lang="en", mask=True)
    charts = [s.chart for s in deck.slides if s.chart is not None]
    assert charts
    for chart in charts:
        text = slides.describe(chart, "en")
        assert text.startswith(f"Chart: {chart.title}.")
        for category in chart.categories:
            assert f"{category}: " in text, (category, text)
        if len(chart.series) > 1:
            assert all(s.name in text for s in chart.series), text
    zh = next(s.chart for s in slides.build(con, lang="zh", mask=True).slides if s.chart is not None)
    assert slides.describe(zh, "zh").startswith(f"图表：{zh.title}。")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_pptx_chart_has_alt_text_with_its_figures(con, lang):
    deck = slides.build(con, lang=lang, mask=True)
    expected = [slides.describe(s.chart, lang) for s in deck.slides if s.chart is not None]
    prs = Presentation(io.BytesIO(pptx.to_pptx(deck)))
    found = [
        shape._element.nvGraphicFramePr.cNvPr.get("descr")
        for slide in prs.slides
        for shape in slide.shapes
        if shape.has_chart
    ]
    assert found == expected
    assert all(re.search(r"\d", text) for text in found), found


class _Charts(HTMLParser):
    """The report's chart boxes: (role, aria-label) of every element of class "chart"."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[tuple[str | None, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "chart" in (attrs.get("class") or "").split():
            self.charts.append((attrs.get("role"), attrs.get("aria-label")))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_report_chart_is_an_image_named_by_its_figures(con, lang):
    deck = slides.build(con, lang=lang, mask=True)
    # the report draws every slide's chart but the targets slide's, which it prints as its KPI table instead
    drawn = [s for s in deck.slides if s.key not in ("cover", "targets")]
    expected = [slides.describe(s.chart, lang) for s in drawn if s.chart is not None]
    assert expected
    parser = _Charts()
    parser.feed(report.to_html(deck))
    assert parser.charts == [("img", text) for text in expected]
