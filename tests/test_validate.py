"""Row rules are declared on the kinds (etl.kinds) and applied by validation to any kind that declares them."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pyarrow as pa
import pytest
from workbooks import PROJECTS, workbook_bytes

from etl import validate as validation
from etl.kinds import KINDS, Percent, RequiredWhen
from etl.read import read_workbook
from etl.validate import Problem, validate


def no_stored_keys(kind: str) -> pd.Series:
    return pd.Series([], dtype="string")


def check(sheets: dict[str, list[list]]) -> validation.Report:
    return validate(read_workbook(workbook_bytes(sheets)), no_stored_keys)


def test_a_completed_project_needs_its_date_where_the_date_goes():
    done_no_date = ["P9", "x", "微更新", "", "", "A", "已完成", "2023-05-01", None, None]
    report = check({"项目": [PROJECTS[0], done_no_date, PROJECTS[2]]})
    assert [(e.row, e.column, e.header, e.field, e.key) for e in report.errors] == [
        (2, "I", "完成日期", "completed_date", "cell.completed_needs_date")
    ]
    # Without a 完成日期 column, the error sits on the 状态 cell of each completed row.
    without = [[c for i, c in enumerate(row) if i != 8] for row in PROJECTS]
    report = check({"项目": without})
    assert [(e.row, e.column, e.header, e.key) for e in report.errors] == [
        (2, "G", "状态", "cell.completed_needs_date")
    ]


def test_completed_before_it_started_quotes_the_date():
    early = ["P9", "x", "微更新", "", "", "A", "已完成", "2023-05-01", "2023-04-01", None]
    [error] = check({"项目": [PROJECTS[0], early]}).errors
    assert (error.row, error.column, error.value, error.key) == (2, "I", "2023-04-01", "cell.completed_before_start")


def test_coverage_targets_written_as_percentages_are_stored_as_fractions():
    rows = [
        ["指标", "年份", "目标值"],
        ["培训覆盖率", 2023, 100],
        ["培训覆盖率", 2024, 0.8],
        ["培训覆盖率", 2025, "85%"],
        ["培训学时", 2023, 500],
    ]
    report = check({"目标": rows})
    assert not report.errors
    [sheet] = report.sheets
    assert sheet.frame[["metric", "year", "target"]].values.tolist() == [
        ["training_coverage", 2023, 1.0],
        ["training_coverage", 2024, 0.8],
        ["training_coverage", 2025, 0.85],
        ["training_hours", 2023, 500.0],
    ]


def test_a_rule_declared_on_another_kind_is_applied_the_same_way(monkeypatch):
    # validate.py knows no kind by name: give meetings rules and they hold there.
    meetings = replace(
        KINDS["meetings"],
        rules=(
            RequiredWhen("topic", when="type", equals="promotion", key="cell.completed_needs_date"),
            Percent("attendees", when="type", equals="other"),
        ),
    )
    monkeypatch.setitem(KINDS, "meetings", meetings)
    rows = [
        ["会议编号", "日期", "类型", "主题", "参会人数"],
        ["M1", "2023-01-01", "推进会", None, 10],
        ["M2", "2023-01-02", "其他", "x", 300],
        ["M3", "2023-01-03", "推进会", "y", 300],
    ]
    report = check({"会议": rows})
    assert [(e.row, e.column, e.key) for e in report.errors] == [(2, "D", "cell.completed_needs_date")]
    assert report.sheets[0].frame["attendees"].tolist() == [10, 3, 300]


def test_problems_are_built_by_keyword_with_blank_positions():
    with pytest.raises(TypeError):
        Problem("file.no_sheets")
    problem = Problem(key="file.no_sheets")
    assert (problem.sheet, problem.row, problem.column, problem.value) == ("", None, "", "")
    assert problem.message("zh") and problem.message("en")


TOTAL_TEXTS = ["合计", "合 计", "总　计", "Total", "TOTALS", "grand total", "SUM", "ſum", "summe", "Σ", "S00001", None]
TOTAL_TEXTS += ["", "小计：", "tot al", "su m", "Subtotal", "x合计y", "000123", "TOTAL 合计"]


@pytest.mark.parametrize("ascii_only", [False, True])
def test_total_hint_fast_path_finds_what_the_pattern_finds(ascii_only):
    # An all-ASCII column is searched for the hint's ASCII words instead of with the pattern: the same cells.
    texts = [x for x in TOTAL_TEXTS if x is None or x.isascii()] if ascii_only else TOTAL_TEXTS
    column = pd.Series(pd.array(texts, dtype=pd.ArrowDtype(pa.string())))
    by_pattern = column.str.contains(validation._TOTAL_HINT, regex=True).fillna(False).to_numpy(dtype=bool)
    assert validation._mentions_total(column).tolist() == by_pattern.tolist()
    assert by_pattern.sum() >= (6 if ascii_only else 11)


def test_a_total_row_is_one_whose_first_filled_cell_says_so():
    # the first filled cell of each row, whichever column it is in; a total word further right is data
    data = pd.DataFrame(
        {
            "A": ["000101", None, "合计", None, None, "备注"],
            "B": ["张三", "总 计", None, None, "Total", "合计"],
            "C": ["杨行一村", "10", "3", None, "x", None],
        },
        index=[4, 5, 6, 7, 8, 9],
        dtype=pd.ArrowDtype(pa.string()),
    )
    assert validation._total_rows(data).tolist() == [False, True, True, False, True, False]
    assert not validation._total_rows(data.iloc[:0]).any()
    assert validation._total_rows(data[["B"]]).tolist() == [False, True, False, False, True, True]
