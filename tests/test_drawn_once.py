"""A chart is drawn once for what it shows (ui.page.Page.chart): building a Plotly figure took most of a page's
server time (fund: 0.3 of 0.4 s at the bench warehouse), on every run of every reader. The finished figure is kept
per published version, language, filters and data; a new publication, another language, period or grouping draws
anew, and what a reader is sent is what a fresh drawing would send."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from visitors import charts, open_page
from workbooks import workbook_bytes

from etl import db, publish
from etl.load import import_file
from ui import page as page_module
from ui import session


@pytest.fixture
def drawn(sample_app, monkeypatch) -> list[str]:
    """The names of the charts drawn (built, not taken from what was kept), in order."""
    names: list[str] = []
    draw = page_module.Page._draw

    def counted(self, fig, data, name, *args):
        names.append(name)
        return draw(self, fig, data, name, *args)

    monkeypatch.setattr(page_module.Page, "_draw", counted)
    return names


FUND = ["fund_over_time", "donations_by_quarter", "donors_by_type", "spending_by_category", "fund_flows"]


def test_a_second_run_and_a_second_reader_get_the_chart_without_drawing_it(drawn):
    at = open_page("fund", lang="zh")
    first = charts(at)
    assert sorted(drawn) == sorted(FUND) and sorted(first) == sorted(FUND)
    at.run()  # the same reader again (a rerun: a widget, a refresh)
    again = open_page("fund", lang="zh")  # another reader
    assert sorted(drawn) == sorted(FUND), "nothing drawn twice"
    assert charts(at) == first and charts(again) == first


def test_what_is_kept_is_what_a_fresh_drawing_sends(drawn):
    kept = charts(open_page("projects", lang="zh"))
    kept = charts(open_page("projects", lang="zh"))  # the second reader's, from what was kept
    page_module._drawn.clear()
    fresh = charts(open_page("projects", lang="zh"))
    assert kept == fresh and len(drawn) == 2 * len(fresh)


def test_another_language_period_or_grouping_is_drawn_anew(drawn):
    zh = charts(open_page("fund", lang="zh"))
    en = charts(open_page("fund", lang="en"))
    assert len(drawn) == 2 * len(FUND)
    assert zh["fund_over_time"]["data"][0]["name"] != en["fund_over_time"]["data"][0]["name"]  # 累计筹集 / Raised
    before = len(drawn)
    charts(open_page("fund", lang="zh", year="all"))  # the same entries (the sample's are all of 2023) ...
    assert drawn[before:].count("fund_flows") == 1, "another period: drawn for it"  # ... drawn for its own period
    before = len(drawn)
    other = charts(open_page("fund", lang="zh", community="杨行一村"))
    assert drawn[before:].count("fund_flows") == 1 and other["fund_flows"] != zh["fund_flows"]
    at = open_page("fund", lang="zh")
    before = len(drawn)
    at.radio(key="fund_spending_by").set_value("community").run()
    assert drawn[before:] == ["spending_by_community"]  # only the chart the choice changed
    assert "spending_by_community" in charts(at)


def test_a_new_publication_is_drawn_with_its_figures(drawn):
    year = "2023"
    before = charts(open_page("fund", lang="en", year=year))["donors_by_type"]
    working = session.warehouse(str(db.db_path())).cursor()
    donation = [
        ["捐赠编号", "捐赠日期", "捐赠方", "捐赠方类型", "金额(元)", "渠道"],
        ["JZ2023-999", "2023-06-15", "新的捐赠方", "企业", 1_000_000, "银行转账"],
    ]
    result = import_file(working, workbook_bytes({"捐赠": donation}), "d.xlsx", user="ann")
    assert not result.errors, result.errors
    publish.publish(working, "ada")
    drawn.clear()
    after = charts(open_page("fund", lang="en", year=year))["donors_by_type"]
    assert "donors_by_type" in drawn
    assert sum(after["data"][0]["values"]) == pytest.approx(sum(before["data"][0]["values"]) + 1_000_000)


def test_the_digest_tells_frames_apart():
    frame = pd.DataFrame({"label": ["甲", None, "丙"], "amount": [1.0, float("nan"), 3.0]})
    assert page_module._digest(frame) == page_module._digest(frame.copy())
    assert page_module._digest(frame) != page_module._digest(frame.assign(amount=[1.0, 2.0, 3.0]))
    assert page_module._digest(frame) != page_module._digest(frame.rename(columns={"amount": "yuan"}))
    assert page_module._digest(frame) != page_module._digest(frame.astype({"amount": "float32"}))
    listed = pd.DataFrame({"cells": [[1, 2], [3]]})  # a cell holding a list: digested too
    assert page_module._digest(listed) != page_module._digest(pd.DataFrame({"cells": [[1, 2], [4]]}))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_labels_looked_up_once_a_code_read_as_row_by_row(lang, monkeypatch):
    """Page.labelled words each distinct code once (a 20,000-row project list took 0.27 s row by row) and gives what
    the row-by-row lookup gave: the label, or a missing value kept missing."""
    page = page_module.Page(None, "", lang, None, None)  # type: ignore[arg-type]
    codes = pd.Series(["completed", None, "in_progress", "completed", "planned"] * 3, dtype="string")
    frame = pd.DataFrame({"status": codes, "n": range(15)})
    looked_up: list[object] = []
    label = page_module.Page.label
    monkeypatch.setattr(
        page_module.Page, "label", lambda self, enum, code: looked_up.append(code) or label(self, enum, code)
    )
    out = page.labelled(frame, status="status")
    assert sorted(looked_up) == ["completed", "in_progress", "planned"]
    expected = [None if pd.isna(c) else label(page, "status", c) for c in codes]
    assert out.equals(frame.assign(status=expected))  # as the row-by-row lookup assigned it
    assert frame["status"].equals(codes), "the frame given is not changed"


def test_a_version_file_written_again_is_drawn_anew(drawn):
    """Keyed on the version file and its modification time, as the public pages' results are (ui.session.version_key):
    a folder of versions restored or reused under the same names never shows charts kept from the files before."""
    open_page("fund", lang="zh")
    current = publish.current_file(db.db_path())
    assert current is not None
    stamp = current.stat().st_mtime_ns + 10**9
    os.utime(current, ns=(stamp, stamp))
    drawn.clear()
    open_page("fund", lang="zh")
    assert sorted(drawn) == sorted(FUND)
