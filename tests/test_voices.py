"""Resident voices (居民诉求, issue 26): each rule at its cell in both languages, bad input storing nothing, history and
undo, and each catalogue figure against independent pandas on a small hand-made workbook."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from workbooks import workbook_bytes

import metrics
import queries
from etl.load import import_file, undo
from etl.sample import build_projects, build_voices
from ui import widgets

HEADERS = [
    "诉求编号",
    "收集日期",
    "社区",
    "渠道",
    "类别",
    "内容摘要",
    "摘要可公开",
    "状态",
    "答复日期",
    "办结日期",
    "项目编号",
    "不予采纳理由",
    "回访满意度",
]
PROJECTS = [
    ["项目编号", "项目名称", "项目类型", "社区", "状态", "开始日期", "完成日期"],
    ["W1", "楼道扶手加装", "微更新", "杨行一村", "已完成", "2023-03-01", "2023-05-01"],
    ["W2", "路灯补光", "微更新", "富杨苑", "已完成", "2023-04-01", "2023-08-20"],
    ["W3", "停车位划线", "微更新", "杨行一村", "实施中", "2023-11-01", None],
    ["G1", "睦邻客厅", "组团治理", "杨行一村", "已完成", "2023-03-01", "2023-06-01"],
]
# A small town: two communities, ten voices of 2023 (the promise: 15 days, the default)
VOICES = [
    # id, collected, community, channel, category, summary, publishable, status, answered, resolved, project, reason, satisfaction
    [
        "V01",
        "2023-01-05",
        "杨行一村",
        "四百走访",
        "适老服务",
        "楼道加装扶手",
        "是",
        "已办结",
        "2023-01-10",
        "2023-05-01",
        "W1",
        None,
        "满意",
    ],
    [
        "V02",
        "2023-02-01",
        "杨行一村",
        "居民议事会",
        "适老服务",
        "扶手",
        None,
        "已办结",
        "2023-02-25",
        "2023-05-01",
        "W1",
        None,
        "基本满意",
    ],
    [
        "V03",
        "2023-03-01",
        "富杨苑",
        "12345热线",
        "安全隐患",
        "路灯不亮",
        "否",
        "已办结",
        "2023-03-05",
        "2023-08-20",
        "W2",
        None,
        "不满意",
    ],
    [
        "V04",
        "2023-09-01",
        "杨行一村",
        "线上",
        "停车交通",
        "停车难",
        None,
        "已立项",
        "2023-09-30",
        None,
        "W3",
        None,
        None,
    ],
    [
        "V05",
        "2023-04-01",
        "富杨苑",
        "四百走访",
        "环境卫生",
        "堆物",
        None,
        "已答复",
        "2023-04-03",
        None,
        None,
        None,
        None,
    ],
    [
        "V06",
        "2023-05-01",
        "富杨苑",
        "其他",
        "其他",
        "物业",
        None,
        "不予采纳",
        "2023-05-20",
        None,
        None,
        "不属于社区可办理范围",
        "基本满意",
    ],
    ["V07", "2023-12-01", "杨行一村", "四百走访", "文体活动", "读书角", None, "已受理", None, None, None, None, None],
    ["V08", "2023-12-25", "富杨苑", "线上", "绿化景观", "修剪树枝", None, "已受理", None, None, None, None, None],
    [
        "V09",
        "2023-06-01",
        "杨行一村",
        "四百走访",
        "环境卫生",
        "清运",
        None,
        "已办结",
        "2023-06-10",
        "2023-06-12",
        None,
        None,
        "满意",
    ],
    [
        "V10",
        "2022-12-20",
        "富杨苑",
        "四百走访",
        "绿化景观",
        "补种",
        None,
        "已答复",
        "2023-01-02",
        None,
        None,
        None,
        None,
    ],
]
AS_OF = date(2023, 12, 31)
METADATA = [["数据截至"], ["2023-12-31"]]


def book(voices: list[list], *, projects: list[list] | None = PROJECTS, metadata=METADATA) -> bytes:
    sheets = {} if projects is None else {"项目": projects}
    sheets["居民诉求"] = [HEADERS, *voices]
    if metadata:
        sheets["数据说明"] = metadata
    return workbook_bytes(sheets)


def row(**changes) -> list:
    """V05 (a valid answered voice) with some cells changed, by header."""
    out = list(VOICES[4])
    for header, value in changes.items():
        out[HEADERS.index(header)] = value
    return out


@pytest.fixture
def town(warehouse):
    result = import_file(warehouse, book(VOICES), "town.xlsx", user="t")
    assert result.status == "loaded", [e.as_dict() for e in result.errors]
    return warehouse


def problems(con, voices, **kwargs) -> tuple[list, list]:
    before = con.execute("SELECT count(*) FROM resident_voices").fetchone()[0]
    result = import_file(con, book(voices, **kwargs), "bad.xlsx", user="t")
    assert con.execute("SELECT count(*) FROM resident_voices").fetchone()[0] == before or result.status == "loaded"
    return result.errors, result.warnings


def one_error(con, voices, **kwargs):
    errors, _ = problems(con, voices, **kwargs)
    assert len(errors) == 1, [e.as_dict() for e in errors]
    [error] = errors
    assert error.row == 2 and error.sheet == "居民诉求"
    assert error.message("zh") != error.message("en") and error.message("zh") and error.message("en")
    return error


# --- rules at the cell


@pytest.mark.parametrize(
    ("changes", "field", "key"),
    [
        ({"答复日期": None}, "answered_date", "cell.voice_answered_needs_date"),
        ({"状态": "已立项"}, "project_id", "cell.voice_project_needs_id"),
        ({"状态": "已办结"}, "resolved_date", "cell.voice_resolved_needs_date"),
        ({"状态": "不予采纳"}, "decline_reason", "cell.voice_declined_needs_reason"),
        ({"项目编号": "W1"}, "project_id", "cell.voice_project_status"),
        ({"办结日期": "2023-04-10"}, "resolved_date", "cell.voice_resolved_status"),
        ({"不予采纳理由": "无"}, "decline_reason", "cell.voice_reason_status"),
        ({"答复日期": "2023-03-30"}, "answered_date", "cell.voice_answered_before_collected"),
        (
            {"状态": "已办结", "答复日期": "2023-04-10", "办结日期": "2023-04-05"},
            "resolved_date",
            "cell.voice_resolved_before_answered",
        ),
        ({"答复日期": "2024-01-02"}, "answered_date", "cell.voice_after_as_of"),
        ({"社区": "不存在村"}, "community", "cell.voice_community"),
        ({"状态": "已立项", "项目编号": "G1"}, "project_id", "cell.voice_program"),
        ({"状态": "已立项", "项目编号": "NOPE"}, "project_id", "cell.reference"),
        ({"渠道": "电话"}, "channel", "cell.enum"),
        ({"内容摘要": "长" * 201}, "summary", "cell.voice_summary_long"),
        ({"状态": "办理中"}, "status", "cell.enum"),
    ],
)
def test_each_rule_is_an_error_at_its_cell_and_stores_nothing(warehouse, changes, field, key):
    error = one_error(warehouse, [row(**changes)])
    assert (error.field, error.key) == (field, key)
    assert error.column == "ABCDEFGHIJKLM"[list(("voice_id", "collected_date", "community", "channel", "category",
                                                  "summary", "publishable", "status", "answered_date", "resolved_date",
                                                  "project_id", "decline_reason", "satisfaction")).index(field)]  # fmt: skip
    assert warehouse.execute("SELECT count(*) FROM resident_voices").fetchone()[0] == 0
    assert warehouse.execute("SELECT count(*) FROM projects").fetchone()[0] == 0  # nothing of the file


def test_an_unknown_channel_names_the_allowed_values(warehouse):
    error = one_error(warehouse, [row(渠道="电话")])
    assert "四百走访" in error.message("zh") and "12345热线" in error.message("zh")
    assert "visit, council, hotline, online, other" in error.message("en")


def test_the_project_may_be_stored_already_and_its_programme_is_checked_there(warehouse):
    assert import_file(warehouse, workbook_bytes({"项目": PROJECTS}), "p.xlsx", user="t").status == "loaded"
    ok = import_file(warehouse, book([row(状态="已立项", 项目编号="W2")], projects=None), "v.xlsx", user="t")
    assert ok.status == "loaded", [e.as_dict() for e in ok.errors]
    error = one_error(warehouse, [row(诉求编号="V99", 状态="已立项", 项目编号="G1")], projects=None)
    assert error.key == "cell.voice_program" and "组团治理" in error.message("zh") and "微更新" in error.message("zh")


def test_the_town_can_allow_another_programme(warehouse, monkeypatch):
    monkeypatch.setenv("DASHBOARD_VOICE_PROGRAMS", "micro_renewal,group_governance")
    result = import_file(warehouse, book([row(状态="已立项", 项目编号="G1")]), "v.xlsx", user="t")
    assert result.status == "loaded", [e.as_dict() for e in result.errors]


def test_many_voices_may_become_one_project(town):
    linked = town.execute("SELECT project_id, count(*) FROM resident_voices GROUP BY ALL ORDER BY 1").fetchall()
    assert ("W1", 2) in linked


@pytest.mark.parametrize(("summary", "what"), [("请联系13812345678", "phone"), ("身份证31011519800101123X", "id_card")])
def test_personal_data_in_a_summary_is_an_error_that_stores_nothing(warehouse, summary, what):
    result = import_file(warehouse, book([row(内容摘要=summary)]), "v.xlsx", user="t")
    assert result.status != "loaded" and result.warnings == []
    [error] = result.errors
    assert (error.key, error.field, error.row) == ("cell.voice_personal_data", "summary", 2)
    assert ("手机号码" if what == "phone" else "身份证号码") in error.message("zh") and "删去" in error.message("zh")
    assert ("phone" if what == "phone" else "ID card") in error.message("en") and "remove" in error.message("en")
    assert warehouse.execute("SELECT count(*) FROM resident_voices").fetchone()[0] == 0


def test_a_number_that_is_no_phone_is_not_flagged(warehouse):
    result = import_file(warehouse, book([row(内容摘要="12345热线转来，涉及2栋3单元")]), "v.xlsx", user="t")
    assert result.status == "loaded" and result.errors == [] and result.warnings == []


def test_publishable_defaults_to_no_and_the_row_is_updated_with_history_and_undo(town):
    assert town.execute("SELECT publishable FROM resident_voices WHERE voice_id = 'V05'").fetchone() == (False,)
    changed = [list(v) for v in VOICES]
    changed[4] = row(状态="已办结", 办结日期="2023-04-20")
    again = import_file(town, book(changed), "again.xlsx", user="t")
    assert again.status == "loaded" and again.counts["updated"] == 1
    assert town.execute("SELECT status FROM resident_voices WHERE voice_id = 'V05'").fetchone() == ("resolved",)
    assert town.execute("SELECT count(*) FROM resident_voices_history").fetchone()[0] == 1
    undo(town, again.batch_id, user="t")
    assert town.execute("SELECT status FROM resident_voices WHERE voice_id = 'V05'").fetchone() == ("answered",)


# --- the figures, against pandas on the same rows


def frame() -> pd.DataFrame:
    columns = ["voice_id", "collected", "community", "channel", "category", "summary", "publishable", "status",
               "answered", "resolved", "project", "reason", "satisfaction"]  # fmt: skip
    out = pd.DataFrame(VOICES, columns=columns)
    for c in ("collected", "answered", "resolved"):
        out[c] = pd.to_datetime(out[c])
    return out


def expected(community: str | None, promise: int = 15) -> dict[str, float | None]:
    v = frame()
    end = pd.Timestamp(AS_OF)
    v = v[(v["collected"] >= "2023-01-01") & (v["collected"] <= end)]
    if community:
        v = v[v["community"] == community]
    waited = (v["answered"] - v["collected"]).dt.days
    answered = v["answered"].notna() & (v["answered"] <= end)
    due = answered | ((end - v["collected"]).dt.days > promise)
    on_time = answered & (waited <= promise)
    asked = v["satisfaction"].notna()
    projects = pd.DataFrame(PROJECTS[1:], columns=["id", "name", "program", "community", "status", "start", "done"])
    projects = projects[(projects["status"] == "已完成") & projects["id"].isin(frame()["project"].dropna())]
    if community:
        projects = projects[projects["community"] == community]
    first = frame().groupby("project")["collected"].min()
    days = [(pd.Timestamp(p.done) - first[p.id]).days for p in projects.itertuples()]
    return {
        "voices_collected": len(v),
        "voices_answered_in_time": on_time.sum() / due.sum() if due.sum() else None,
        "voices_to_projects": v["project"].notna().sum() / len(v) if len(v) else None,
        "voice_projects_completed": len(projects),
        "voice_days_to_completion": float(pd.Series(days).median()) if days else None,
        "voices_satisfaction": v["satisfaction"].isin(["满意", "基本满意"]).sum() / asked.sum()
        if asked.sum()
        else None,
    }


@pytest.mark.parametrize("community", [None, "杨行一村", "富杨苑"])
def test_each_figure_agrees_with_pandas(town, community):
    got = metrics.figures(town, year=2023, as_of=AS_OF, community=community).set_index("code")["value"]
    for code, want in expected(community).items():
        value = got[code]
        if want is None:
            assert value is None or pd.isna(value), code
        else:
            assert value == pytest.approx(want), code
    assert expected(None)["voices_collected"] == 9  # V10 was collected in 2022


def test_the_promise_is_a_target_the_town_sets(town):
    town.execute("INSERT INTO targets VALUES ('voice_promise_days', 2023, 5, NULL)")
    got = metrics.figures(town, year=2023, as_of=AS_OF).set_index("code")["value"]
    assert got["voices_answered_in_time"] == pytest.approx(expected(None, promise=5)["voices_answered_in_time"])
    assert expected(None, promise=5)["voices_answered_in_time"] != expected(None)["voices_answered_in_time"]


def test_per_group_figures_are_the_catalogues(town):
    by = queries.voices_by(town, by="community", year=2023, as_of=AS_OF).set_index("community")
    for community in ("杨行一村", "富杨苑"):
        want = metrics.figures(town, year=2023, as_of=AS_OF, community=community).set_index("code")["value"]
        for code in ("voices_collected", "voices_answered_in_time", "voices_to_projects", "voices_satisfaction"):
            assert by.at[community, code] == pytest.approx(want[code]), (community, code)
    categories = queries.voices_by(town, by="category", year=2023, as_of=AS_OF)
    assert categories["voices_collected"].sum() == 9
    assert dict(zip(categories["category"], categories["voices_collected"], strict=True))["elderly"] == 2


def test_open_voices_past_the_promise(town):
    town.execute("DELETE FROM metadata; INSERT INTO metadata (as_of) VALUES ('2023-12-31')")
    overdue = queries.voices_overdue(town)
    assert overdue["voice_id"].tolist() == ["V07"]  # V08 is six days old: within the promise
    assert overdue.iloc[0]["days"] == 30 and overdue.iloc[0]["promise"] == 15
    assert queries.voices_overdue(town, community="富杨苑").empty


def test_the_overviews_needs_attention_lists_the_open_voices_past_the_promise(town):
    town.execute("DELETE FROM metadata; INSERT INTO metadata (as_of) VALUES ('2023-12-31')")
    issues = queries.needs_attention(town, year=2023)
    voices = issues[issues["issue"] == "voice_overdue"]
    assert voices[["subject", "value", "threshold"]].values.tolist() == [["V07", 30.0, 15.0]]
    assert voices.iloc[0]["community"] == queries.voices_overdue(town).iloc[0]["community"]
    assert "voice_overdue" not in set(queries.needs_attention(town, year=2023, community="富杨苑")["issue"])
    table = widgets.attention_table(issues, "zh")
    assert "诉求超时未答复" in set(table["issue"])


def test_the_sample_links_every_resident_proposed_micro_renewal_to_a_voice():
    projects = build_projects()
    voices = build_voices(projects)
    linked = {v.get("project_id") for v in voices}
    proposed = [p for p in projects["micro_renewal"] if p["resident_proposed"]]
    assert len([p for p in proposed if p["status"] == "completed"]) == 185
    assert all(p["project_id"] in linked for p in proposed)
    assert not any(p["project_id"] in linked for rows in projects.values() for p in rows if not p["resident_proposed"])
