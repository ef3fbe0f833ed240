"""A year that is not over (issue 24, item 2): one rule, metrics.Period.judged, on every tile, list, chart and slide.

Before a year's first quarter has passed nothing is measured against a target: no community is 未达标, no tile
gives a share of its pace or its target, the deck's targets slide and the report say when they will be judged.
The sample as of 2024-01-31, year 2024, once read '39 个未达标社区' on the Training page, drew no bar and no label
for the community with nobody trained, and four Overview tiles read '已达进度的 0.0%'.
"""

from __future__ import annotations

from datetime import date
from html import escape

import duckdb
import pytest
from streamlit.testing.v1 import AppTest
from visitors import array, charts, open_page

import metrics
import queries
from i18n import t
from presenter import markdown, report, slides


def texts(at: AppTest) -> str:
    """Every text of the page a reader sees outside the charts."""
    parts = [*at.markdown, *at.caption, *at.info, *at.success, *at.warning, *at.title, *at.header, *at.subheader]
    return "\n".join(markdown.unescape(str(e.value)) for e in parts)


def chart_words(at: AppTest) -> str:
    found = []
    for spec in charts(at).values():
        for trace in spec["data"]:
            for key in ("x", "y", "text", "hovertext", "labels"):
                found += [str(s) for s in array(trace.get(key)) if isinstance(s, str)]
    return "\n".join(found)


@pytest.mark.parametrize(
    ("end", "judged"),
    [
        (date(2024, 1, 31), False),
        (date(2024, 3, 30), False),
        (date(2024, 3, 31), True),  # the first quarter over
        (date(2024, 12, 31), True),
        (date(2025, 2, 1), True),  # 2024 is over
    ],
)
def test_a_year_is_judged_once_its_first_quarter_has_passed(end, judged):
    assert metrics.Period.of(2024, end).judged is judged
    assert metrics.Period.of(None, end).judged  # all years: no target to judge against, nothing withheld


def test_the_training_page_calls_no_community_below_target_a_month_in(sample_app, sample_file):
    con = duckdb.connect(str(sample_file), read_only=True)
    by_community = queries.coverage_by(con, by="community", year=2024)
    con.close()
    nobody = by_community.loc[by_community["trained"] == 0, "community"].tolist()
    assert nobody and (by_community["coverage"] < 1).sum() > 20  # 2024: one community at 0 %, 39 below 100 %

    at = open_page("training", lang="zh", year="2024")
    words = texts(at) + chart_words(at)
    assert "未达标" not in words  # '39 个未达标社区' a month into the year
    assert t("training.not_judged", "zh", year=2024, end="2024年1月31日") in words
    spec = charts(at)["coverage_by_community"]
    bars = spec["data"][0]
    names, drawn, labels = array(bars["y"]), array(bars["x"]), array(bars["text"])
    positions = bars.get("textposition")
    for community in nobody:  # drawn and labelled: a sliver with its 0.0 % beside it
        i = names.index(community)
        assert drawn[i] > 0 and labels[i] == "0.0%" and positions[i] == "outside"
        assert array(bars["hovertext"])[i].startswith(f"{community}：0.0%")
    assert not [s for s in spec["layout"].get("shapes", []) if str(s.get("name", "")).startswith("target:")]

    en = open_page("training", lang="en", year="2024")
    assert "below the target" not in (texts(en) + chart_words(en))


def test_the_overview_shows_no_share_of_pace_a_month_in(sample_app):
    at = open_page("overview", lang="zh", year="2024")
    assert len(at.get("progress")) == 0  # no '已达进度的 0.0%'
    words = texts(at).replace(t("overview.attention_help", "zh"), "")
    assert "已达进度" not in words and "已完成全年目标的" not in words and "按进度应达" not in words
    assert "各社区均达到覆盖率目标" not in words  # nor 'every community meets the target' in January
    assert words.count(t("kpi.not_judged", "zh")) >= 7  # every tile with a target says when it will be judged
    assert "全年目标 55（2024 年）" in words  # the target itself is still given
    assert t("overview.partial_note_early", "zh", year=2024, end="2024年1月31日", before=2023) in words

    whole = open_page("overview", lang="zh", year="2023")  # a whole year: measured as before
    assert len(whole.get("progress")) >= 7
    assert t("kpi.not_judged", "zh") not in texts(whole)


def test_no_coverage_alarm_before_the_quarter_but_after_it(sample_con):
    con = sample_con
    assert "low_coverage" not in set(queries.needs_attention(con, year=2024)["issue"])
    con.execute("UPDATE metadata SET as_of = DATE '2024-03-31'")  # the data declared as of the quarter's end
    assert queries.as_of_date(con) == date(2024, 3, 31)
    assert "low_coverage" in set(queries.needs_attention(con, year=2024)["issue"])


def _deck_of_2024(con: duckdb.DuckDBPyConnection, lang: str) -> slides.Deck:
    """The deck as of 2024-01-31 reporting 2024 (the Presenter reports 2023 then; a town with no 2023 would not)."""

    def run(fn, **params):
        frame = fn(con, **params)
        if fn is queries.default_year:
            frame = frame.assign(year=2024)
        return frame

    return slides.build(lang=lang, run=run)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_deck_and_report_judge_no_target_a_month_in(sample_file, lang):
    con = duckdb.connect(str(sample_file), read_only=True)
    deck = _deck_of_2024(con, lang)
    con.close()
    assert deck.year == 2024 and not deck.judged
    assert deck.kpis and all(k.reached is None for k in deck.kpis)
    by_key = {s.key: s for s in deck.slides}
    targets = by_key["targets"]
    assert targets.message == deck.t("presenter.targets.not_judged", year=2024, met=0, total=0)
    assert targets.chart is None and targets.figures == ()
    shares = [f.detail for s in deck.slides for f in s.figures if f.detail]
    reached = deck.t("presenter.reached", share="").strip()
    assert not [d for d in shares if reached and reached in d], shares
    html = report.to_html(deck)
    assert html.count(escape(t("kpi.not_judged", lang))) >= len(deck.kpis)
