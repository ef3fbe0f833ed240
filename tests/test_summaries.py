"""Long lists and big charts are summarised (issue 16, item 4): the overview's "needs attention" list writes out a
few issues and counts every one, with all of them in a table; the training chart of many communities draws at most
MOST_BARS bars, the last pooling the rest; the Data page shows an import's progress."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from visitors import array, charts
from workbooks import workbook_bytes

import queries
from presenter import charts as chart_module
from presenter import markdown
from ui import widgets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.warehouse import build  # noqa: E402

SCALE = {
    "communities": 300,
    "workers": 3000,
    "sessions": 200,
    "attendance": 8000,
    "projects": 400,
    "donations": 500,
    "disbursements": 200,
}
YEAR = 2023


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    """A small city: 285 communities all below full coverage in 2023, 80 stalled and 80 late projects."""
    return build(tmp_path_factory.mktemp("city") / "w.duckdb", **SCALE)


@pytest.fixture
def open_page(city, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(city))
    monkeypatch.setenv("DASHBOARD_NO_SAMPLE", "1")
    monkeypatch.setenv("DASHBOARD_LANG", "en")
    st.cache_data.clear()
    st.cache_resource.clear()

    def run(page: str, year: int = YEAR) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["year"] = str(year)
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    yield run
    st.cache_resource.clear()


def read(city: Path, fn, **params) -> pd.DataFrame:
    con = duckdb.connect(str(city), read_only=True)
    try:
        return fn(con, **params)
    finally:
        con.close()


def test_attention_list_writes_a_few_and_counts_and_tables_them_all(city, open_page):
    issues = read(city, queries.needs_attention, year=YEAR)
    counts = issues["issue"].value_counts()
    assert len(issues) > 100 * widgets.ATTENTION_LINES / 8  # the case this is about: far more than are written out
    at = open_page("overview")
    sentences = [
        line
        for m in at.markdown
        for line in str(m.value).splitlines()
        if line.startswith("- ") and ("has been in progress" in line or "was planned to start" in line)
    ]
    assert len(sentences) == widgets.ATTENTION_LINES
    said = "\n".join(markdown.unescape(str(m.value)) for m in at.markdown)
    assert f"{counts['stalled']:,} stalled projects · {counts['late']:,} late projects" in said
    expander = next(e for e in at.expander if e.label.startswith("All "))
    assert expander.label == f"All {len(issues):,} issues, as a table"
    assert not expander.dataframe  # the table is drawn when the expander is opened, not with the page
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)  # a visitor who has opened it
    at.query_params["year"] = str(YEAR)
    at.session_state[widgets.ATTENTION_TABLE] = True
    at.switch_page("pages/overview.py").run()
    expander = next(e for e in at.expander if e.label.startswith("All "))
    table = expander.dataframe[0].value
    assert len(table) == len(issues)  # every issue reachable, not only the first few
    assert table["Issue"].value_counts().to_dict() == {  # the bench city's voices too (100,000 of them)
        "Stalled project": counts["stalled"],
        "Late project": counts["late"],
        "Voice past the promise": counts["voice_overdue"],
    }
    assert sorted(table["Project or community"]) == sorted(issues["subject"])
    keys = {b.proto.id.rsplit("-", 1)[-1] for b in at.get("download_button")}
    assert {"csv_needs_attention", "xlsx_needs_attention"} <= keys


def test_a_short_attention_list_is_written_out_whole(city):
    issues = read(city, queries.needs_attention, year=YEAR).head(5)
    table = widgets.attention_table(issues, "zh")
    assert len(table) == 5 and set(table["issue"]) <= {"项目停滞", "项目逾期未开始"}
    assert widgets.attention_counts(issues, "en").count("·") == issues["issue"].nunique() - 1


def test_lowest_with_rest_keeps_every_worker_in_its_bars():
    rng = np.random.default_rng(7)
    roster = rng.integers(5, 60, 1900)
    trained = (roster * rng.uniform(0, 0.99, 1900)).astype(int)
    frame = pd.DataFrame(
        {
            "community": [f"c{i:04d}" for i in range(1900)],
            "roster": roster,
            "trained": trained,
            "coverage": trained / roster,
        }
    )
    bars = chart_module.lowest_with_rest(frame, "community", 20, "others")
    assert len(bars) == 20
    lowest = frame.sort_values(["coverage", "community"]).head(19)
    assert bars["community"].tolist()[:19] == lowest["community"].tolist()
    assert bars.iloc[-1]["community"] == "others" and bars.iloc[-1]["pooled"] == 1881
    assert bars["roster"].sum() == roster.sum() and bars["trained"].sum() == trained.sum()
    rest = frame.drop(lowest.index)
    assert bars.iloc[-1]["coverage"] == pytest.approx(rest["trained"].sum() / rest["roster"].sum())
    few = chart_module.lowest_with_rest(frame.head(12), "community", 20, "others")
    assert len(few) == 12 and "others" not in set(few["community"])


def test_training_chart_of_many_communities_pools_the_rest(city, open_page):
    # 2022, which the city's data run to (1 November): in 2023, not begun by then, every community is at 0 %,
    # bars that would all be the same and so one line (issue 24)
    year = YEAR - 1
    by_community = read(city, queries.coverage_by, by="community", year=year)
    below = by_community[by_community["coverage"] < 1 - 1e-9].sort_values(["coverage", "community"])
    assert len(below) > 200 and by_community["coverage"].nunique() > 1
    at = open_page("training", year)
    bars = charts(at)["coverage_by_community"]["data"][0]
    names = list(bars["y"])
    assert len(names) == 20  # at most MOST_BARS bars, not one per community
    assert names[:19] == below["community"].head(19).tolist()
    rest = below.iloc[19:]
    assert names[-1] == f"Other {len(rest):,} below the target"
    trained, roster = int(rest["trained"].sum()), int(rest["roster"].sum())
    assert array(bars["x"])[-1] == pytest.approx(trained / roster)
    assert bars["hovertext"][-1].endswith(f"({trained:,} / {roster:,})")  # the pooled bar's workers: the rest's sum
    headings = [h.value for h in at.header]
    assert "Coverage by community: the 19 lowest" in headings  # the title says what the chart shows
    table = next(e for e in at.expander if e.label.startswith("All ")).dataframe[0].value
    assert len(table) == len(by_community)  # every community in the table


ROWS = 400


def roster(rows: int) -> list[list]:
    return [["人员编号", "姓名", "社区", "岗位"]] + [[f"{i:06d}", f"人{i}", "杨行一村", "社工"] for i in range(rows)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_data_page_shows_progress_through_read_check_and_load(tmp_path, monkeypatch, lang):
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("DASHBOARD_NO_SAMPLE", "1")
    st.cache_data.clear()
    st.cache_resource.clear()
    seen: list[tuple[str, float, str]] = []
    original = widgets.ImportProgress.__call__

    def recorded(self, stage: str, done: int, total: int) -> None:
        original(self, stage, done, total)
        seen.append(self.last)

    monkeypatch.setattr(widgets.ImportProgress, "__call__", recorded)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].upload("roster.xlsx", workbook_bytes({"社工名册": roster(ROWS)}), "application/xlsx").run()
    assert not at.exception, at.exception
    checked = [s for s, _, _ in seen]  # the preview is a dry run: read, check, load, rolled back
    assert checked == sorted(checked, key=["read", "check", "load"].index) and checked[0] == "read"
    assert seen[-1][1] == 1.0
    assert not at.get("progress")  # the preview's result replaces its bar
    seen.clear()
    next(b for b in at.button if b.label.startswith(("Import", "导入"))).click().run()
    assert not at.exception, at.exception
    stages = [s for s, _, _ in seen]
    assert stages == sorted(stages, key=["read", "check", "load"].index) and set(stages) == {"read", "check", "load"}
    shares = [share for _, share, _ in seen]
    assert shares == sorted(shares) and shares[-1] == 1.0  # the bar only moves forward, and ends full
    if lang == "zh":
        assert seen[-1][2].startswith(f"正在导入 {ROWS} / {ROWS} 行 · 每秒 ")
    else:
        assert seen[-1][2].startswith(f"loading {ROWS} of {ROWS} rows · ") and seen[-1][2].endswith(" rows/s")
    # after the import the page shows each file's bar as it ended
    ended = at.get("progress")
    assert len(ended) == 1 and ended[0].proto.value == 100
    done = f"已完成：{ROWS} 行，用时" if lang == "zh" else f"Done: {ROWS} rows in"
    assert f"roster.xlsx · {done}" in markdown.unescape(ended[0].proto.text)
    st.cache_resource.clear()
