"""The dashboard pages driven through Streamlit's AppTest: the figures a user sees, filters, languages, empty states."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from visitors import charts, open_drilldown, open_page
from warehouses import ROWS

import metrics
import queries
from etl import db, derived, publish
from i18n import t
from presenter import markdown

PAGES = ("overview", "projects", "voices", "training", "fund")
TITLES = {
    "overview": "overview.title",
    "projects": "projects.title",
    "voices": "voices.title",
    "training": "training.title",
    "fund": "fund.title",
}


CODES = {m.label(lang): m.code for m in metrics.CATALOGUE for lang in ("zh", "en")}


def shown_by_code(at: AppTest) -> dict[str, str]:
    """The tiles' values by metric code (tiles carry the catalogue's names, '(town-wide)' added where it applies)."""
    out = {}
    for m in at.metric:
        label = m.label
        for lang in ("en", "zh"):
            label = label.removesuffix(t("kpi.town_wide", lang))
        out[CODES.get(label, m.label)] = m.value
    return out


def texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.success, *at.title, *at.header)]
    return "\n".join(str(p) for p in parts)


def test_overview_shows_the_published_figures(sample_app):
    at = open_page("overview")
    shown = shown_by_code(at)
    assert at.sidebar.selectbox(key="_year_widget").value == 2023  # January 2024: last year's figures first
    published = {
        "projects_completed": "50",
        "group_governance_themes": "6",
        "promotion_meetings": "12",
        "beautiful_community_district_plus": "9",
        "beautiful_community_municipal": "1",
        "micro_renewal_completed": "185",
        "training_coverage": "100.0%",
        "training_hours": "112",
        "person_times": "3,165",
        "mentors": "10",
        "mentees": "42",
        "fund_raised": "¥650,000",
        "fund_used": "¥330,000",
        "usage_rate": "50.8%",
        "balance": "¥320,000",
    }
    assert {k: shown[k] for k in published} == published
    assert "278 / 278 workers trained" in texts(at)
    assert "Target 110 (2023)" in texts(at)  # training hours target from the targets sheet
    assert "Target 50 (2023)" in texts(at)  # group-governance projects: no all-programme total anywhere
    assert at.header[0].value == t("overview.programme", "en")  # the programmes lead
    assert at.metric[0].label == metrics.METRICS["projects_completed"].label("en")
    assert [w.value for w in at.warning] == [t("page.sample", "en")]  # a banner, not a caption
    assert at.query_params["year"] == "2023"


def test_overview_in_chinese_uses_wan(sample_app):
    at = open_page("overview", lang="zh")
    shown = shown_by_code(at)
    assert shown["fund_raised"] == "¥65万" and shown["fund_used"] == "¥33万" and shown["usage_rate"] == "50.8%"
    assert shown["person_times"] == "3,165"
    assert "培训人次" in [m.label for m in at.metric]
    assert t("overview.title", "zh") in texts(at)


def test_community_filter_changes_the_figures_and_the_url(sample_app):
    con = db.connect(sample_app)
    community = queries.communities(con)["community"].iloc[0]
    figures = queries.kpis(con, year=2023, community=community).set_index("metric")
    expected = {
        "trained": int(figures.at["training_coverage", "numerator"]),
        "roster": int(figures.at["training_coverage", "denominator"]),
    }
    person_times = int(figures.at["person_times", "value"])
    used = figures.at["fund_used", "value"]
    con.close()
    st.cache_resource.clear()

    at = open_page("overview")
    at.sidebar.selectbox(key="_community_widget").set_value(community).run()
    assert not at.exception
    shown = shown_by_code(at)
    assert f"{expected['trained']} / {expected['roster']} workers trained" in texts(at)
    assert expected["roster"] < 278
    assert shown["person_times"] == f"{person_times:,}" != "3,165"
    assert shown["fund_used"] == f"¥{used:,.0f}"
    assert shown["fund_raised"] == "¥650,000"  # donations have no community, and the page says so
    labels = [m.label for m in at.metric]
    for town_wide in ("Fund raised", "Usage rate", "Fund balance", "Promotion meetings"):
        assert f"{town_wide} (town-wide)" in labels  # never mixed with the community's figures unannounced
    assert "Fund used" in labels
    assert "Donations are not recorded by community" in texts(at)
    assert at.query_params["community"] == community

    # The filter follows the user to the next page.
    at.switch_page("pages/training.py").run()
    assert not at.exception
    assert shown_by_code(at)["trained"] == str(expected["trained"])
    assert f"{expected['trained']} / {expected['roster']} workers trained" in texts(at)


def test_a_link_reproduces_the_view(sample_app):
    con = db.connect(sample_app)
    community = queries.communities(con)["community"].iloc[-1]
    everything = int(queries.headline(con).iloc[0]["person_times"])
    con.close()
    st.cache_resource.clear()
    at = open_page("overview", year="all", community=community, lang="en")
    assert at.sidebar.selectbox(key="_community_widget").value == community
    assert at.sidebar.selectbox(key="_year_widget").value == "all"
    st.cache_data.clear()
    at = open_page("overview", year="all")
    assert shown_by_code(at)["person_times"] == f"{everything:,}"
    assert "Targets are annual" in texts(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_both_languages(sample_app, page, lang):
    at = open_page(page, lang=lang)
    assert at.title[0].value == t(TITLES[page], lang)
    assert len(at.get("plotly_chart")) >= (0 if page == "overview" else 3)
    labels = [b.label for b in at.get("download_button")]
    assert t("download.csv", lang) in labels and t("download.xlsx", lang) in labels


def test_pages_show_their_sample_figures(sample_app):
    projects = open_page("projects")
    assert "projects. Click a column header to sort." in texts(projects)
    training = open_page("training")
    assert shown_by_code(training)["trained"] == "278"
    assert "278 / 278 workers trained" in texts(training)
    assert "10 mentors paired with 42 mentees" in texts(training)
    voices = open_page("voices", year="2023")  # the sample's voices (02_项目.xlsx, sheet 居民诉求)
    tiles = {m.label: m.value for m in voices.metric}
    assert tiles[t("voices.tile.collected", "en")] == "467"
    assert {"voices_funnel", "voices_answer_times", "voices_by_community"} <= set(charts(voices))
    fund = open_page("fund")
    assert shown_by_code(fund)["fund_raised"] == "¥650,000"
    assert "in proportion to what each type gave" in texts(fund)


def test_project_search_filters_the_table(sample_app):
    at = open_page("projects")
    at.text_input(key="projects_search").input("no project is called this").run()
    assert not at.exception
    assert t("empty.search", "en") in texts(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_empty_warehouse_shows_empty_states(app_env, tmp_path, page, lang):
    app_env.setenv("DASHBOARD_DB", str(tmp_path / "empty.duckdb"))
    app_env.setenv("DASHBOARD_NO_SAMPLE", "1")
    at = open_page(page, lang=lang)
    assert t("empty.warehouse", lang) in [i.value for i in at.info]
    assert not at.get("plotly_chart")


def test_a_filter_that_selects_nothing_is_explained(sample_app):
    # The sample holds no completion, donation or spending dated 2024 (only January's training).
    at = open_page("projects", year="2024")
    assert t("empty.no_completions", "en") in [i.value for i in at.info]
    at = open_page("fund", year="2024", lang="zh")
    shown = [i.value for i in at.info]
    assert t("empty.no_fund_activity", "zh") in shown and t("empty.no_donations", "zh") in shown
    assert shown_by_code(at)["balance"] == "¥32万"  # the balance carries over into the new year


def test_kpis_show_the_change_against_the_year_before(app_env, tmp_path):
    path = tmp_path / "hand.duckdb"
    con = db.connect(path)
    con.execute(ROWS)
    derived.refresh(con)  # the loader does this with every import; these rows were written by hand
    publish.publish(con, "tester")  # ... and published by hand: pages read only what is published
    con.close()
    app_env.setenv("DASHBOARD_DB", str(path))
    app_env.setenv("DASHBOARD_NO_SAMPLE", "1")
    at = open_page("overview", year="2023")
    tiles = {CODES[m.label]: m for m in at.metric}
    assert (tiles["micro_renewal_completed"].value, tiles["micro_renewal_completed"].delta) == ("1", "+1")
    assert (tiles["projects_completed"].value, tiles["projects_completed"].delta) == ("1", "0")
    assert (tiles["training_coverage"].value, tiles["training_coverage"].delta) == ("66.7%", "+33.3 pts")
    assert tiles["fund_raised"].delta in (None, "")  # the fund did not exist in 2022: nothing to compare
    assert "Target 3 (2023)" in texts(at) and "**花园** (东方) has been in progress for 325 days." in texts(at)


def test_every_figure_shows_the_rows_it_counts_and_their_files(sample_app):
    at = open_drilldown(open_page("overview"))
    drill = at.selectbox(key="drill_metric")
    assert drill.value == metrics.METRICS["projects_completed"].label("en")
    assert "50 projects" in texts(at) and "02_项目.xlsx (batch B00002, 50 rows)" in markdown.unescape(texts(at))
    drill.set_value(metrics.METRICS["person_times"].label("en")).run()
    assert not at.exception
    said = markdown.unescape(texts(at))
    assert "38 training sessions" in said and "3,165 attendance rows" in said  # 3,165 = the tile's figure
    sessions = next(d.value for d in at.dataframe if "person-times" in d.value.columns)
    assert sessions["person-times"].sum() == 3165
    labels = [b.label for b in at.get("download_button")]
    assert labels.count(t("download.csv", "en")) >= 3  # the KPI table, the sessions and the attendance rows


def test_the_rows_of_a_figure_follow_the_community_and_say_when_they_are_town_wide(sample_app):
    con = db.connect(sample_app)
    community = queries.communities(con)["community"].iloc[0]
    trained = queries.kpis(con, year=2023, community=community).set_index("metric").at["trained", "value"]
    con.close()
    st.cache_resource.clear()
    at = open_drilldown(open_page("overview", community=community))
    at.selectbox(key="drill_metric").set_value(metrics.METRICS["trained"].label("en")).run()
    shown_trained, shown_community = t("export.col.trained", "en"), t("table.community", "en")  # as in its download
    roster = next(d.value for d in at.dataframe if shown_trained in d.value.columns)
    assert set(roster[shown_community]) == {community}
    assert (roster[shown_trained] == t("common.yes", "en")).sum() == trained
    at.selectbox(key="drill_metric").set_value(metrics.METRICS["fund_raised"].label("en")).run()
    assert t("drill.town_wide", "en") in texts(at)
