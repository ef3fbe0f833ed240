"""What the Data page shows before an import: the change summary, the annotated copy, reconciliation."""

from __future__ import annotations

import io

import openpyxl
from workbooks import ATTENDANCE, ROSTER, SESSIONS, workbook_bytes

from etl.annotate import annotate, neutralise
from etl.checks import reconcile
from etl.load import import_file
from etl.summary import change_summary

PROJECT_HEAD = ["项目编号", "项目名称", "项目类型", "社区", "状态", "开始日期", "完成日期"]


def test_summary_in_business_terms(warehouse):
    import_file(
        warehouse, workbook_bytes({"捐赠": [["捐赠编号", "捐赠日期", "金额(元)"], ["D1", "2023-08-01", "62万"]]}), "a"
    )
    projects = [PROJECT_HEAD, ["P1", "a", "微更新", "X", "实施中", "2023-01-01", None]]
    import_file(warehouse, workbook_bytes({"项目": projects}), "p")
    data = workbook_bytes(
        {
            "名册": ROSTER,
            "培训场次": SESSIONS,
            "签到表": ATTENDANCE,
            "项目": [PROJECT_HEAD, ["P1", "a", "微更新", "X", "已完成", "2023-01-01", "2023-05-01"]],
            "捐赠": [["捐赠编号", "捐赠日期", "金额(元)"], ["D2", "2023-11-01", "3万"]],
        }
    )
    preview = import_file(warehouse, data, "b.xlsx", dry_run=True)
    items = dict(change_summary(preview))
    assert items["summary.adds"]  # several kinds added; checked in full below
    summary = change_summary(preview)
    assert ("summary.adds", {"n": 2, "kind": "training_sessions"}) in summary
    assert ("summary.adds", {"n": 3, "kind": "attendance"}) in summary
    assert ("summary.updates", {"n": 1, "kind": "projects"}) in summary
    assert ("summary.completed", {"n": 1}) in summary
    assert ("summary.fund_raised", {"before": 620000.0, "after": 650000.0}) in summary
    # the dry run wrote nothing
    assert warehouse.execute("SELECT count(*) FROM attendance").fetchone()[0] == 0


def test_annotated_copy_marks_each_bad_cell(warehouse):
    data = workbook_bytes(
        {"名册": [ROSTER[0], ["1", "a", "b", "厨师", "明天", "是"], ["2", "=cmd", "b", "社工", None, "否"]]}
    )
    result = import_file(warehouse, data, "bad.xlsx")
    copy = openpyxl.load_workbook(io.BytesIO(annotate(data, result.errors, "zh")))
    assert copy.sheetnames[0] == "_问题清单"
    sheet = copy["名册"]
    for address in ("D2", "E2"):
        assert sheet[address].fill.start_color.rgb.endswith("FFC7CE")
        assert sheet[address].comment is not None
    assert "允许的取值" in sheet["D2"].comment.text
    listing = list(copy["_问题清单"].values)
    assert listing[1][:5] == ("名册", 2, "D", "岗位", "厨师")
    # "=cmd" was written as a formula with no saved value: that is the third problem
    assert len(listing) == 1 + len(result.errors) == 4
    assert sheet["B3"].comment is not None


def test_neutralise_formula_injection():
    assert neutralise("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert neutralise("+1") == "'+1"
    assert neutralise("@x") == "'@x"
    assert neutralise("-") == "'-"
    assert neutralise("普通") == "普通"
    assert neutralise(-5) == -5


def test_reconciliation_passes_and_fails(warehouse):
    import_file(warehouse, workbook_bytes({"名册": ROSTER, "培训场次": SESSIONS, "签到表": ATTENDANCE}), "a")
    import_file(
        warehouse, workbook_bytes({"捐赠": [["捐赠编号", "捐赠日期", "金额(元)"], ["D1", "2023-08-01", 100]]}), "b"
    )
    assert all(c.passed for c in reconcile(warehouse))
    overspend = [
        ["支出编号", "日期", "金额(元)", "用途"],
        ["X1", "2023-07-01", 50, "早"],
        ["X2", "2023-08-02", 80, "多"],
    ]
    import_file(warehouse, workbook_bytes({"支出": overspend}), "c")
    checks = {c.key: c for c in reconcile(warehouse)}
    assert not checks["fund_cover"].passed
    # 2023-07-01: 50 used before anything raised; 2023-08-02: 130 used > 100 raised
    assert checks["fund_cover"].examples == ["2023-07-01: 50 > 0", "2023-08-02: 130 > 100"]
    assert checks["attendance_roster"].passed
    # a roster row removed behind the loader's back is caught
    warehouse.execute("DELETE FROM workers WHERE worker_id = '000102'")
    checks = {c.key: c for c in reconcile(warehouse)}
    assert checks["attendance_roster"].examples == ["000102"]
