"""Charts in the reader's language and one unit per chart (issue 14, item 4), read from each chart's decoded figure.

Pages are driven through AppTest on the sample; every chart's JSON spec is decoded and checked as the browser would
draw it: tick texts, categories, labels and hover texts, the money axis's unit, the donut's slice labels. The deck's
native fund chart is read back from the .pptx.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import pytest
import streamlit as st
from pptx import Presentation
from streamlit.testing.v1 import AppTest
from visitors import array, charts, open_page, slide_number

import queries
from etl import derived, publish
from i18n import numbers, t
from presenter import deck as pptx
from presenter import markdown, slides
from presenter.charts import legible

ROOT = Path(__file__).resolve().parent.parent
LATIN_DATES = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b|\bQ[1-4]\b")
GROUPED_YUAN = re.compile(r"¥\d{1,3}(,\d{3})+")  # '¥600,000': raw yuan, not 万


def unescaped(texts: list) -> list[str]:
    """Texts as the chart shows them (labels from the data are entity-escaped for Plotly's pseudo-HTML)."""
    return [str(s).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for s in texts]


def words(spec: dict) -> list[str]:
    """Every text a reader can see on the chart: axis titles and tick texts, categories, labels and hover texts."""
    found = []
    for name, axis in spec["layout"].items():
        if name.startswith(("xaxis", "yaxis")):
            found += [str(s) for s in axis.get("ticktext", [])]
            found.append(str(axis.get("title", {}).get("text", "")))
    for trace in spec["data"]:
        for key in ("x", "y", "labels", "text", "hovertext"):
            found += [s for s in array(trace.get(key)) if isinstance(s, str)]
    return unescaped(found)


def open_all_charts(lang: str) -> dict[str, dict]:
    """Every chart of the chart pages, with every grouping of the two radio buttons."""
    found = {}
    for page, radio, options in (
        ("projects", "projects_by", queries.PROJECT_DIMENSIONS),
        ("training", None, ()),
        ("fund", "fund_spending_by", queries.SPENDING_DIMENSIONS),
    ):
        at = open_page(page, lang=lang)
        found |= charts(at)
        for option in options:
            at.radio(key=radio).set_value(option).run()
            assert not at.exception
            found |= charts(at)
    return found


def test_chinese_charts_write_months_and_quarters_in_chinese(sample_app):
    zh = open_all_charts("zh")
    assert {"completions_burnup", "training_hours_by_month", "fund_over_time", "donations_by_quarter"} <= set(zh)
    for name, spec in zh.items():
        latin = [w for w in words(spec) if LATIN_DATES.search(w)]
        assert not latin, (name, latin)
    # date axes carry their own tick texts: Plotly's English month names are never left to draw them
    for name in ("completions_burnup", "training_hours_by_month", "person_times_by_month", "fund_over_time"):
        axis = zh[name]["layout"]["xaxis"]
        assert axis["tickmode"] == "array" and axis["ticktext"], name
        assert re.fullmatch(r"\d{4}年\d{1,2}月", axis["ticktext"][0]), (name, axis["ticktext"])
        assert all(re.fullmatch(r"(\d{4}年)?\d{1,2}月", s) for s in axis["ticktext"]), (name, axis["ticktext"])
        hover = unescaped(array(zh[name]["data"][0]["hovertext"]))
        assert all(re.search(r"\d{4}年\d{1,2}月：", h) for h in hover), (name, hover)
    assert array(zh["donations_by_quarter"]["data"][0]["x"]) == ["2023年第3季度", "2023年第4季度"]

    en = charts(open_page("fund", lang="en"))
    assert en["fund_over_time"]["layout"]["xaxis"]["ticktext"] == ["Aug 2023", "Sep", "Oct", "Nov", "Dec"]
    assert array(en["donations_by_quarter"]["data"][0]["x"]) == ["2023 Q3", "2023 Q4"]


def test_no_tick_label_is_measured_alone_to_be_hidden(sample_app):
    """Every axis of every chart on the chart pages keeps its tick labels ("allow"): Plotly then measures no label
    on its own for overflowing the chart's box (automatic margins make room for them); a chart's own choice stays."""
    for name, spec in open_all_charts("zh").items():
        axes = {key: axis for key, axis in spec["layout"].items() if key.startswith(("xaxis", "yaxis"))}
        assert axes and all(axis.get("ticklabeloverflow") == "allow" for axis in axes.values()), (name, axes)
    own = legible(go.Figure(layout={"yaxis": {"ticklabeloverflow": "hide past domain"}}))
    assert own.layout.yaxis.ticklabeloverflow == "hide past domain"


def money_axis(spec: dict) -> dict:
    """The value axis of a chart: x for horizontal bars, else y."""
    return spec["layout"]["xaxis" if spec["data"][0].get("orientation") == "h" else "yaxis"]


MONEY_CHARTS = ("fund_over_time", "donations_by_quarter", "spending_by_category")


def test_a_chinese_money_chart_counts_in_wan_throughout(sample_app, sample_file):
    zh = charts(open_page("fund", lang="zh"))
    for name in MONEY_CHARTS:
        spec = zh[name]
        axis = money_axis(spec)
        assert axis["ticksuffix"] == "万" and not axis.get("tickprefix"), name  # ticks: '20万', never '¥200,000'
        assert axis["title"]["text"] == "金额（万元）", name  # the unit is in the axis title
        for trace in spec["data"]:
            texts = unescaped(array(trace.get("text")) + array(trace.get("hovertext")))
            assert texts, name
            assert not [s for s in texts if GROUPED_YUAN.search(s) or "¥" in s], (name, texts)
            amounts = [s.rsplit("：", 1)[-1] for s in texts]
            assert all(a.endswith("万") or a == "0" for a in amounts), (name, amounts)
    # the bars stand where their labels say: drawn in 万, the amounts the query returns ÷ 10,000
    con = duckdb.connect(str(sample_file), read_only=True)
    quarters = queries.donations_by_quarter(con, year=2023)
    con.close()
    drawn = array(zh["donations_by_quarter"]["data"][0]["y"])
    assert drawn == pytest.approx([a / 10_000 for a in quarters["amount"]])
    assert array(zh["donations_by_quarter"]["data"][0]["text"]) == [
        numbers.chart_money(a, "zh") for a in quarters["amount"]
    ]
    assert array(zh["donations_by_quarter"]["data"][0]["text"]) == ["43.18万", "21.82万"]

    en = charts(open_page("fund", lang="en"))
    for name in MONEY_CHARTS:
        axis = money_axis(en[name])
        assert axis["tickprefix"] == "¥" and axis["tickformat"] == ",.0f" and not axis.get("ticksuffix"), name
        assert axis["title"]["text"] == "Amount (¥)", name
        texts = unescaped(array(en[name]["data"][0]["hovertext"]))
        assert all(re.search(r"¥\d{1,3}(,\d{3})*$|: 0$|¥0$", s) for s in texts), (name, texts)
    assert array(en["donations_by_quarter"]["data"][0]["text"]) == ["¥431,800", "¥218,200"]


def captions(at: AppTest) -> str:
    return "\n".join(markdown.unescape(str(c.value)) for c in (*at.caption, *at.success))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_projects_by_theme_draw_no_unspecified_bar_and_say_how_many_have_none(sample_app, sample_file, lang):
    at = open_page("projects", lang=lang)
    at.radio(key="projects_by").set_value("theme").run()
    assert not at.exception
    spec = charts(at)["projects_by_theme"]
    themes = unescaped(array(spec["data"][0]["y"]))
    assert t("common.unspecified", lang) not in themes and "" not in themes

    con = duckdb.connect(str(sample_file), read_only=True)
    projects = queries.project_list(con, year=2023)
    con.close()
    blank = int(projects["theme"].isna().sum())
    assert blank > 100  # the sample's micro-renewals have no theme: the bar that used to dwarf the rest
    drawn = sum(sum(array(trace["x"])) for trace in spec["data"])
    assert drawn + blank == len(projects)  # every project is either on a bar or in the note
    want = f"{blank} 个项目未填写主题" if lang == "zh" else f"{blank} projects have no theme"
    assert want in captions(at)


def test_spending_with_no_project_is_a_note_not_a_bar(sample_app, sample_file):
    at = open_page("fund", lang="zh")
    at.radio(key="fund_spending_by").set_value("project").run()
    assert not at.exception
    spec = charts(at)["spending_by_project"]
    assert t("common.unspecified", "zh") not in unescaped(array(spec["data"][0]["y"]))
    con = duckdb.connect(str(sample_file), read_only=True)
    total, blank = con.execute(
        "SELECT sum(amount_yuan)::DOUBLE, (sum(amount_yuan) FILTER (WHERE project_id IS NULL))::DOUBLE "
        "FROM disbursements WHERE year(date) = 2023"
    ).fetchone()
    con.close()
    assert blank > 0
    assert sum(array(spec["data"][0]["x"])) * 10_000 == pytest.approx(total - blank)
    assert f"另有 {numbers.yuan(blank, 'zh')} 支出未填写项目" in captions(at)


def test_coverage_by_community_collapses_the_communities_that_reached_the_target(sample_app):
    at = open_page("training", lang="zh")
    assert "coverage_by_community" not in charts(at)  # 40 identical 100 % bars are not drawn ...
    con = duckdb.connect(str(sample_app))
    communities = con.execute("SELECT count(DISTINCT community) FROM workers WHERE coalesce(active, TRUE)").fetchone()[
        0
    ]
    assert f"全部 {communities} 个社区的培训覆盖率均为 100.0%" in captions(at)  # ... they are one line

    # two communities fall below the target: only they are drawn, lowest first, and the line counts the rest
    low = con.execute(
        "SELECT community, min(worker_id) FROM workers WHERE coalesce(active, TRUE) GROUP BY community "
        "ORDER BY community LIMIT 2"
    ).fetchall()
    con.execute("DELETE FROM attendance WHERE worker_id = ?", [low[0][1]])
    con.execute(
        "DELETE FROM attendance WHERE worker_id IN (SELECT worker_id FROM workers WHERE community = ? LIMIT 2)",
        [low[1][0]],
    )
    derived.refresh(con)
    publish.publish(con, "test")  # rows changed by hand, not by an import: publish them for the readers
    coverage = dict(
        con.execute(
            "SELECT w.community, count(DISTINCT a.worker_id) / count(DISTINCT w.worker_id) FROM workers w "
            "LEFT JOIN attendance a ON a.worker_id = w.worker_id AND a.session_id IN "
            "(SELECT session_id FROM training_sessions WHERE year(date) = 2023) "
            "WHERE coalesce(w.active, TRUE) AND w.community IN (?, ?) GROUP BY ALL",
            [low[0][0], low[1][0]],
        ).fetchall()
    )
    con.close()
    assert all(c < 1 for c in coverage.values())
    st.cache_data.clear()
    at = open_page("training", lang="zh")
    spec = charts(at)["coverage_by_community"]
    drawn = unescaped(array(spec["data"][0]["y"]))
    assert drawn == sorted(coverage, key=lambda c: (coverage[c], c))
    assert array(spec["data"][0]["x"]) == pytest.approx([coverage[c] for c in drawn])
    assert f"其余 {communities - 2} 个社区的培训覆盖率均为 100.0%" in captions(at)


def test_small_slices_of_a_donut_carry_no_inside_label(sample_app):
    pies = {}
    for page in ("projects", "training", "fund"):
        at = open_page(page, lang="zh")
        if page == "projects":  # one programme's statuses: the micro-renewals, one of them still planned
            at.radio(key="projects_programme").set_value("微更新").run()
        pies |= {k: v for k, v in charts(at).items() if v["data"][0]["type"] == "pie"}
    assert {"project_status", "training_formats", "donors_by_type"} <= set(pies)
    for name, spec in pies.items():
        pie = spec["data"][0]
        values, texts, labels = array(pie["values"]), array(pie["text"]), unescaped(array(pie["labels"]))
        shares = [v / sum(values) for v in values]
        assert pie["textposition"] == "inside" and pie["textinfo"] == "text", name
        assert all(text == "" for text, share in zip(texts, shares, strict=True) if share < 0.05), (name, texts)
        # every slice, small or not, is named with its share in the legend
        assert all(label.endswith(f"（{numbers.percent(s)}）") for label, s in zip(labels, shares, strict=True))
    status = pies["project_status"]["data"][0]
    small = [s for s, v in zip(unescaped(array(status["labels"])), array(status["values"]), strict=True) if v < 5]
    assert small and all(re.search(r" \d+（\d+\.\d%）$", s) for s in small)  # '已取消 1（0.4%）'
    assert sum(1 for text in array(status["text"]) if text) == 1  # only the big slice is written on


def test_the_fund_slide_counts_in_wan_on_screen(sample_app):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.switch_page("pages/presenter.py").run()
    for _ in range(slide_number(sample_app, "fund") - 1):  # to the fund slide
        at.button(key="presenter_next").click().run()
    assert not at.exception
    html = "\n".join(str(m.value) for m in at.markdown)
    assert "每月募集与使用（万元）" in html
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    texts = [s for trace in spec["data"] for s in array(trace["text"]) if s]
    assert texts and all(s.endswith("万") for s in texts) and not any("¥" in s for s in texts), texts
    assert spec["layout"]["yaxis"]["ticksuffix"] == "万"
    for trace in spec["data"]:
        for drawn, text in zip(array(trace["y"]), array(trace["text"]), strict=True):
            if text:  # the column stands where its label says, to the label's one decimal as in the .pptx
                assert f"{drawn:.1f}".rstrip("0").rstrip(".") + "万" == text


@pytest.mark.parametrize(("lang", "unit", "sign"), [("zh", "（万元）", "万"), ("en", "(¥)", "¥")])
def test_the_decks_fund_chart_and_its_title_agree_on_the_unit(sample_file, lang, unit, sign):
    con = duckdb.connect(str(sample_file), read_only=True)
    deck = slides.build(con, lang=lang)
    con.close()
    [fund] = [i for i, s in enumerate(deck.slides) if s.key == "fund"]
    slide = Presentation(io.BytesIO(pptx.to_pptx(deck))).slides[fund]
    [chart] = [s.chart for s in slide.shapes if s.has_chart]
    texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
    title = deck.slides[fund].chart.title
    assert title in texts and title.endswith(unit)
    labels = chart.plots[0].data_labels.number_format
    axis = chart.value_axis.tick_labels.number_format
    assert sign in labels and sign in axis
    if lang == "zh":
        assert "¥" not in labels and "¥" not in axis  # no '¥347,000' beside '¥65万'
    # the figures beside the chart are in the same unit as the chart
    figures = [f.text for f in deck.slides[fund].figures]
    assert all(sign in f for f in figures), figures
