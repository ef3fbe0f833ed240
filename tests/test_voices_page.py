"""The 民意到实事 page (pages/voices.py) and its queries (queries.voices_*), on residents' voices written by hand
(tests/voices_fixture.py: every figure worked out there); the link from the Projects page's micro-renewals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
import voices_fixture as vf
from streamlit.testing.v1 import AppTest
from visitors import ROOT, array, charts, open_page

import metrics
import queries
from i18n import t


@pytest.fixture
def voices_app(app_env, tmp_path: Path) -> Path:
    """The app on the small hand-made warehouse with its eight voices, published (no sample)."""
    return vf.serve(app_env, tmp_path / "w.duckdb")


@pytest.fixture
def silent_app(app_env, tmp_path: Path) -> Path:
    """The same warehouse without any voice."""
    return vf.serve(app_env, tmp_path / "w.duckdb", voices=False)


published = vf.published


# --- the queries, against the figures worked out by hand


def test_the_funnel_counts_each_stage(voices_app):
    con = published(voices_app)
    for year, expected in ((2023, vf.FUNNEL_2023), (None, vf.FUNNEL_ALL)):
        funnel = queries.voices_funnel(con, year=year)
        assert dict(zip(funnel["stage"], funnel["voices"], strict=True)) == expected
    row = queries.voices_funnel(con, year=2023).iloc[0]
    assert (row["declined"], row["promise"]) == (1, 15)
    # collected and became projects are the catalogue's figures (metrics.py), counted once
    figures = queries.kpis(con, year=2023).set_index("metric")
    assert figures.at["voices_collected", "value"] == 6 and figures.at["voices_to_projects", "numerator"] == 3
    east = queries.voices_funnel(con, year=2023, community="东方")
    assert list(east["voices"]) == [3, 2, 1, 0]  # V03, V04, V05; V03's project is still in progress
    # as of a day (the deck's): V07, collected on 20 December, was answered on the 28th, not yet on the 27th
    early = queries.voices_funnel(con, year=2023, as_of=date(2023, 12, 27))
    assert list(early["voices"]) == [6, 4, 3, 2]
    # an open voice of an earlier year still waits in a later one (V05); V06 has waited 5 days only
    assert list(queries.voices_overdue(con, year=2024)["voice_id"]) == ["V05"]


def test_answer_times_by_group_and_open_voices(voices_app):
    con = published(voices_app)
    times = queries.voices_answer_times(con, year=2023)
    assert list(zip(times["days"], times["voices"], times["within"], strict=True)) == [
        (8, 1, True), (9, 1, True), (10, 1, True), (21, 1, False), (30, 1, False)
    ]  # fmt: skip
    by = queries.voices_outcomes_by(con, by="community", year=2023).set_index("key")
    assert by.loc["西方", ["collected", "project", "answered_only"]].tolist() == [3, 2, 1]
    assert by.loc["东方", ["collected", "project", "declined", "waiting"]].tolist() == [3, 1, 1, 1]
    # the catalogue's figures per community: 西方's voices answered within the promise (V01, V07; V02 took 21 days)
    west = queries.voices_by(con, by="community", year=2023).set_index("community").loc["西方"]
    assert (west["voices_collected"], west["voices_on_time"], west["voices_due"]) == (3, 2, 3)
    parts = by[["project", "declined", "answered_only", "waiting"]].sum(axis=1)
    assert (parts == by["collected"]).all()
    categories = queries.voices_outcomes_by(con, by="category", year=2023).set_index("key")
    assert categories.loc["elderly", "collected"] == 2 and categories.loc["elderly", "median_days"] == 15.5
    with pytest.raises(ValueError):
        queries.voices_outcomes_by(con, by="summary")
    late = queries.voices_overdue(con, year=2023)
    assert list(late["voice_id"]) == ["V05"] and late.iloc[0]["days"] == 61  # 2023-11-20 to 2024-01-20
    assert queries.voices_overdue(con, year=2022).empty


def test_each_figure_lists_its_rows(voices_app):
    con = published(voices_app)
    expected = {
        "collected": {"V01", "V02", "V03", "V04", "V05", "V07"},
        "answered": {"V01", "V02", "V03", "V04", "V07"},
        "project": {"V01", "V02", "V03"},
        "completed": {"V01", "V02"},
        "in_time": {"V01", "V03", "V07"},
        "late": {"V02", "V04"},
        "open_late": {"V05"},
        "declined": {"V04"},
    }
    for figure, ids in expected.items():
        assert set(queries.voices_rows(con, figure=figure, year=2023)["voice_id"]) == ids, figure
    assert set(queries.voices_rows(con, figure="project", year=2023, key="elderly")["voice_id"]) == {"V01", "V02"}
    with pytest.raises(ValueError):
        queries.voices_rows(con, figure="everything")


def test_a_promise_the_town_sets_replaces_the_default(voices_app, tmp_path):
    con = duckdb.connect(str(voices_app))
    con.execute("INSERT INTO targets VALUES ('voice_promise_days', 2023, 25, NULL)")
    assert queries.voices_promise(con, year=2023).iloc[0].tolist() == [25, True]
    assert queries.voices_promise(con, year=2024).iloc[0].tolist() == [metrics.VOICE_PROMISE_DAYS, False]
    times = queries.voices_answer_times(con, year=2023)
    assert times.loc[times["within"], "voices"].sum() == 4  # V02 (21 days) is now in time
    assert queries.kpis(con, year=2023).set_index("metric").at["voices_answered_in_time", "numerator"] == 4
    con.close()


# --- the page


def texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.success, *at.warning, *at.title, *at.header)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [frame.value.to_csv(index=False) for frame in at.dataframe]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_draws_the_funnel_answer_times_groups_and_open_voices(voices_app, lang):
    at = open_page("voices", lang=lang, year="2023")
    assert at.title[0].value == t("voices.title", lang)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles[t("voices.tile.collected", lang)] == "6"
    # the catalogue's rate: 3 answered within 15 days of the 6 due (5 answered, and V05 past the promise unanswered)
    assert tiles[t("voices.tile.in_time", lang)] == "50.0%"
    # 3 voices became projects; of their projects P2 was completed in 2023 (P3 is in progress): the catalogue's count
    assert tiles[t("voices.tile.project", lang)] == "3" and tiles[t("voices.tile.completed", lang)] == "1"
    drawn = charts(at)
    funnel = drawn["voices_funnel"]["data"][0]
    assert funnel["type"] == "funnel" and array(funnel["x"]) == [6, 5, 3, 2]
    assert funnel["y"] == [t(f"voices.stage.{s}", lang) for s in queries.VOICE_STAGES]
    times = drawn["voices_answer_times"]
    assert [tr["name"] for tr in times["data"]] == [t("voices.within", lang), t("voices.late", lang)]
    assert [array(tr["x"]) for tr in times["data"]] == [[8, 9, 10], [21, 30]]
    promise = [s for s in times["layout"]["shapes"] if s.get("name") == "promise"]
    assert promise and promise[0]["x0"] == 15.5  # between the last day in time and the first late one
    groups = drawn["voices_by_community"]
    assert [tr["name"] for tr in groups["data"]] == [
        t(f"voices.part.{p}", lang) for p in ("project", "answered_only", "declined", "waiting")
    ]
    assert sorted(groups["data"][0]["y"]) == ["东方", "西方"]
    text = texts(at)
    assert "V05" in text and "61" in text  # the one voice waiting past the promise
    if lang == "zh":
        assert "环境卫生" in text and "四百走访" in text and "sanitation" not in text


def test_by_category_in_the_readers_words(voices_app):
    at = open_page("voices", lang="zh", year="2023")
    at.radio(key="voices_by").set_value("category").run()
    spec = charts(at)["voices_by_category"]
    assert set(spec["data"][0]["y"]) == {"适老服务", "绿化景观", "停车交通", "环境卫生", "文体活动"}
    assert array(spec["data"][0]["x"])[0] == 2  # elderly: V01 and V02 became projects


def test_every_figure_drills_to_its_rows(voices_app, downloads):
    at = open_page("voices", lang="zh", year="2023")
    at.session_state["voices_drill"] = True  # 查看明细 opened
    at.run()
    for figure, ids in (("late", ["V04", "V02"]), ("project", ["V03", "V02", "V01"]), ("open_late", ["V05"])):
        at.selectbox(key="voices_drill_figure").set_value(figure).run()
        rows = at.dataframe[-1].value
        assert list(rows[t("voices.col.voice_id", "zh")]) == ids, figure
        assert f"共 {len(ids)} 条诉求。" in texts(at)
    at.selectbox(key="voices_drill_group").set_value("elderly").run()
    assert list(at.dataframe[-1].value[t("voices.col.voice_id", "zh")]) == []  # no elderly voice waits
    at.selectbox(key="voices_drill_figure").set_value("collected").run()
    rows = at.dataframe[-1].value
    assert list(rows[t("voices.col.voice_id", "zh")]) == ["V02", "V01"]
    assert set(rows[t("voices.col.status", "zh")]) == {"已立项", "已办结"}
    names = {name for name, _ in downloads.values()}
    assert any("明细" in n and n.endswith(".xlsx") for n in names)
    csv = next(
        make for name, make in downloads.values() if "转为项目" not in name and name.endswith(".csv") and "明细" in name
    )
    assert "V01" in csv().decode("utf-8-sig")


def test_no_voices_is_an_empty_state(silent_app):
    at = open_page("voices", lang="zh")
    assert [i.value for i in at.info] == [t("voices.empty", "zh")]
    assert not charts(at) and not at.metric
    projects = open_page("projects", lang="zh")
    assert not at.get("page_link") and not projects.get("page_link")  # nothing to link to


def test_a_year_without_voices_says_so(voices_app):
    at = open_page("voices", lang="en", year="2024")  # V06 only: collected, not answered
    assert {m.label: m.value for m in at.metric}[t("voices.tile.collected", "en")] == "1"
    assert t("voices.none_answered", "en") in texts(at)


def test_the_micro_renewals_link_to_the_page(voices_app):
    at = open_page("projects", lang="zh")
    at.radio(key="projects_programme").set_value("微更新").run()
    links = at.get("page_link")
    assert len(links) == 1 and "voices" in links[0].proto.page, links[0].proto
    assert links[0].proto.label == t("voices.to_page", "zh")
    at.radio(key="projects_programme").set_value("组团治理").run()
    assert not at.get("page_link")


def test_the_page_is_in_the_navigation_after_projects(voices_app):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    from ui import routing  # the list itself: voices right after projects

    source = Path(routing.__file__).read_text(encoding="utf-8")
    assert source.index('"pages/projects.py"') < source.index('"pages/voices.py"') < source.index('"pages/training.py"')
