"""Loading real generated workbooks: kinds, headers, every error, all-or-nothing, re-import, undo."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pandas as pd
import pytest
from warehouses import TABLES, snapshot
from workbooks import ATTENDANCE, PROJECTS, ROSTER, SESSIONS, workbook_bytes

from etl import audit, db
from etl.load import UndoRefused, history, import_file, latest_batch, undo
from i18n import t


def load(con, sheets, name="x.xlsx", **kwargs):
    return import_file(con, workbook_bytes(sheets, **kwargs), name, user="tester")


def test_every_kind_loads_with_chinese_headers(warehouse):
    result = load(
        warehouse,
        {
            "社工名册": ROSTER,
            "培训场次": SESSIONS,
            "签到表": ATTENDANCE,
            "项目": PROJECTS,
            "师徒结对": [["师傅编号", "徒弟编号", "结对日期", "完成活动数"], ["000101", "000102", "2023-03-01", 4]],
            "会议": [["会议编号", "日期", "类型", "主题", "参会人数"], ["M1", "2023-02-01", "推进会", "启动", 30]],
            "捐赠": [
                ["捐赠编号", "捐赠日期", "捐赠方", "捐赠方类型", "金额(元)"],
                ["D1", "2023-08-15", "匿名", "个人", "6.5万"],
            ],
            "资金使用": [
                ["支出编号", "日期", "金额(元)", "用途", "类别", "项目编号"],
                ["X1", "2023-09-01", "1,000", "慰问", "为老服务", "P001"],
            ],
            "目标": [["指标", "年份", "目标值"], ["培训覆盖率", 2023, "100%"], ["training_hours", "2023", 110]],
        },
    )
    assert result.status == "loaded", [e.as_dict() for e in result.errors]
    assert {s["kind"]: s["inserted"] for s in result.sheets} == {
        "workers": 3,
        "training_sessions": 2,
        "projects": 2,
        "attendance": 3,
        "mentorships": 1,
        "meetings": 1,
        "donations": 1,
        "disbursements": 1,
        "targets": 2,
    }
    con = warehouse
    assert con.execute("SELECT worker_id, role, active FROM workers ORDER BY 1").fetchall() == [
        ("000101", "secretary", True),
        ("000102", "reserve_cadre", True),
        ("000103", "social_worker", False),
    ]
    assert con.execute("SELECT joined_date FROM workers WHERE worker_id = '000103'").fetchone()[0] == dt.date(
        2019, 9, 1
    )
    assert con.execute("SELECT budget_yuan FROM projects ORDER BY 1").fetchall() == [(12000,), (65000,)]
    assert con.execute("SELECT hours FROM training_sessions ORDER BY session_id").fetchall() == [(3.0,), (2.5,)]
    assert con.execute("SELECT amount_yuan, donor_type FROM donations").fetchone() == (65000, "individual")
    assert con.execute("SELECT target FROM targets WHERE metric = 'training_coverage'").fetchone()[0] == 1.0
    assert con.execute("SELECT type FROM meetings").fetchone()[0] == "promotion"


def test_english_headers_and_kind_from_headers(warehouse):
    """A sheet named 'Sheet1' is recognised by its English headers."""
    result = load(
        warehouse,
        {
            "Sheet1": [
                ["Worker_ID", "Name", "Community", "Role"],
                ["w1", "Zhao", "A", "social_worker"],
            ]
        },
    )
    assert result.status == "loaded"
    assert result.sheets[0]["kind"] == "workers"


def test_title_row_merged_cells_and_offset_columns(warehouse):
    """Header under a merged title, data starting in column C: row numbers and letters stay right."""
    rows = [ROSTER[0], ROSTER[1], ["000102", "李四", "杨行一村", "队长", None, None]]
    result = load(warehouse, {"名册": rows}, title="2023年社工名册", start_column=3)
    assert result.status == "rejected"
    [error] = result.errors
    # title at row 1, blank row 2, header row 3, data rows 4 and 5; role is the 4th column from C = F
    assert (error.row, error.column, error.header, error.value) == (5, "F", "岗位", "队长")


def test_five_problems_reported_at_once_with_rows_and_columns(warehouse):
    rows = [
        PROJECTS[0],
        ["P001", "A", "微更新", "", "", "杨行一村", "已完成", "2023-01-10", "2023-06-30", "100"],
        ["P002", "B", "微更新?", "", "", "杨行一村", "计划中", "2023-01-10", None, "100"],  # bad program (C)
        ["P003", "C", "微更新", "", "", None, "计划中", "2023-01-10", None, "100"],  # community missing (F)
        ["P004", "D", "微更新", "", "", "杨行一村", "已完成", "2023-01-10", None, "100"],  # no completion date (I)
        ["P005", "E", "微更新", "", "", "杨行一村", "计划中", "下周", None, "一百"],  # bad date (H) + amount (J)
    ]
    result = load(warehouse, {"项目": rows})
    assert result.status == "rejected"
    found = sorted((e.row, e.column, e.field) for e in result.errors)
    assert found == [
        (3, "C", "program"),
        (4, "F", "community"),
        (5, "I", "completed_date"),
        (6, "H", "start_date"),
        (6, "J", "budget_yuan"),
    ]
    by_field = {e.field: e for e in result.errors}
    assert by_field["program"].value == "微更新?"
    assert "组团治理" in by_field["program"].message("zh")
    assert "group_governance" in by_field["program"].message("en")
    assert by_field["budget_yuan"].header == "预算（元）"
    assert all(e.message("en") and e.message("zh") for e in result.errors)


def test_rejected_file_changes_nothing(warehouse):
    assert load(warehouse, {"名册": ROSTER}).status == "loaded"
    before = snapshot(warehouse)
    batches = len(history(warehouse))
    bad = [ROSTER[0], ["000101", "张三改", "杨行一村", "书记", None, None], ["000999", "新人", "A", "厨师", None, None]]
    result = load(warehouse, {"名册": bad})
    assert result.status == "rejected"
    assert snapshot(warehouse) == before
    assert len(history(warehouse)) == batches


def test_reimport_counts_and_unchanged(warehouse):
    first = load(warehouse, {"名册": ROSTER})
    assert first.counts == {"inserted": 3, "updated": 0, "unchanged": 0}
    again = load(warehouse, {"名册": ROSTER})
    assert again.status == "unchanged"
    assert again.batch_id is None
    assert len(history(warehouse)) == 1
    changed = [
        ROSTER[0],
        ROSTER[1],
        ["000102", "李四", "富杨苑", "后备干部", "2021/6/1", "是"],
        ["000104", "新", "A", "社工"],
    ]
    third = load(warehouse, {"名册": changed})
    assert third.status == "loaded"
    assert third.counts == {"inserted": 1, "updated": 1, "unchanged": 1}
    # rows missing from the file are not deleted
    assert warehouse.execute("SELECT count(*) FROM workers").fetchone()[0] == 4


def test_blank_optional_cell_clears_and_absent_column_keeps(warehouse):
    load(warehouse, {"名册": ROSTER})
    # joined_date column present but blank for 000101 -> cleared; 在岗 column absent -> kept (000103 stays inactive)
    rows = [["人员编号", "姓名", "社区", "岗位", "入职日期"], ["000101", "张三", "杨行一村", "书记", None]]
    rows.append(["000103", "王五", "富杨苑", "社工", "2019-09-01"])
    result = load(warehouse, {"名册": rows})
    assert result.counts["updated"] == 1
    got = dict(warehouse.execute("SELECT worker_id, joined_date FROM workers").fetchall())
    assert got["000101"] is None
    assert warehouse.execute("SELECT active FROM workers WHERE worker_id = '000103'").fetchone()[0] is False


def test_duplicate_key_names_first_row(warehouse):
    rows = [ROSTER[0], ROSTER[1], ROSTER[2], ["000101", "重复", "A", "社工", None, None]]
    result = load(warehouse, {"名册": rows})
    [error] = result.errors
    assert (error.row, error.column, error.value) == (4, "A", "000101")
    assert "row 2" in error.message("en")
    assert "第 2 行" in error.message("zh")


def test_references_checked_in_file_and_warehouse(warehouse):
    bad = load(warehouse, {"签到表": ATTENDANCE})
    assert bad.status == "rejected"
    assert {(e.row, e.column) for e in bad.errors} == {(2, "A"), (3, "A"), (4, "A"), (2, "B"), (3, "B"), (4, "B")}
    # roster + sessions + attendance in one workbook
    ok = load(warehouse, {"名册": ROSTER, "培训场次": SESSIONS, "签到表": ATTENDANCE})
    assert ok.status == "loaded"
    # later file references rows of the earlier one (now in the warehouse)
    later = load(warehouse, {"签到表": [["场次编号", "人员编号"], ["S02", "000102"]]})
    assert later.status == "loaded"
    orphan = load(warehouse, {"签到表": [["场次编号", "人员编号"], ["S02", "999999"]]})
    [error] = orphan.errors
    assert (error.row, error.column, error.value) == (2, "B", "999999")


def test_disbursement_project_must_exist(warehouse):
    rows = [
        ["支出编号", "日期", "金额(元)", "用途", "项目编号"],
        ["X1", "2023-09-01", 100, "慰问", "NOPE"],
        ["X2", "2023-09-01", 5, "b", None],
    ]
    result = load(warehouse, {"资金使用": rows})
    [error] = result.errors
    assert (error.row, error.column, error.field) == (2, "E", "project_id")


def test_rules(warehouse):
    rows = [
        ["场次编号", "培训主题", "日期", "学时"],
        ["S1", "a", "2023-01-01", 0],
        ["S2", "b", "2023-01-01", 25],
        ["S3", "c", "2023-01-01", 24],
    ]
    result = load(warehouse, {"培训场次": rows})
    assert sorted((e.row, e.key) for e in result.errors) == [(2, "cell.min_exclusive"), (3, "cell.max")]
    money = [["捐赠编号", "捐赠日期", "金额(元)"], ["D1", "2023-01-01", -5], ["D2", "2023-01-01", 0]]
    assert [e.row for e in load(warehouse, {"捐赠": money}).errors] == [2, 3]
    pairs = [["师傅编号", "徒弟编号", "完成活动数"], ["a", "b", 11]]
    assert "cell.max" in {e.key for e in load(warehouse, {"师徒结对": pairs}).errors}
    early = [PROJECTS[0], ["P9", "x", "微更新", "", "", "A", "已完成", "2023-05-01", "2023-04-01", None]]
    [error] = load(warehouse, {"项目": early}).errors
    assert (error.row, error.column, error.key) == (2, "I", "cell.completed_before_start")


def test_blank_and_total_rows_skipped(warehouse):
    rows = [ROSTER[0], ROSTER[1], [None] * 6, ROSTER[2], ["合计", None, None, None, None, None]]
    result = load(warehouse, {"名册": rows})
    assert result.status == "loaded"
    assert result.counts["inserted"] == 2


def test_unknown_column_warned_not_stored(warehouse):
    rows = [[*ROSTER[0], "备注"], [*ROSTER[1], "好同志"]]
    result = load(warehouse, {"名册": rows})
    assert result.status == "loaded"
    [warning] = result.warnings
    assert warning.column == "G"
    assert "备注" in warning.message("zh")


def test_missing_required_column(warehouse):
    rows = [["人员编号", "姓名", "社区"], ["1", "a", "b"]]
    result = load(warehouse, {"名册": rows})
    [error] = result.errors
    assert error.key == "sheet.missing_column"
    assert error.header == "岗位"


def test_unknown_and_ambiguous_sheets(warehouse):
    unknown = load(warehouse, {"Sheet1": [["甲", "乙"], [1, 2]]})
    assert unknown.errors[0].key == "sheet.unknown"
    assert "社工名册" in unknown.errors[0].message("zh")
    # session_id + worker_id is attendance; nothing else has both required columns
    attendance = load(warehouse, {"Sheet1": [["场次编号", "人员编号"], ["S01", "000101"]]})
    assert attendance.errors[0].key == "cell.reference"


def test_undo_restores_previous_rows_exactly(warehouse):
    load(warehouse, {"名册": ROSTER, "培训场次": SESSIONS})
    before = snapshot(warehouse)
    changed = [
        ROSTER[0],
        ["000101", "张三丰", "富杨苑", "主任", None, "否"],
        ["000200", "新人", "A", "社工", None, None],
    ]
    second = load(warehouse, {"名册": changed, "签到表": ATTENDANCE})
    assert second.status == "loaded"
    assert snapshot(warehouse) != before
    with pytest.raises(UndoRefused):
        undo(warehouse, "B00001")  # not the latest
    undo(warehouse, second.batch_id)
    assert snapshot(warehouse) == before
    assert latest_batch(warehouse) == "B00001"
    undo(warehouse, "B00001")
    assert all(not rows for rows in snapshot(warehouse).values())
    with pytest.raises(UndoRefused):
        undo(warehouse, "B00001")
    statuses = history(warehouse)[["batch_id", "status"]].values.tolist()
    assert statuses == [["B00002", "undone"], ["B00001", "undone"]]


def test_dry_run_writes_nothing_but_counts(warehouse):
    data = workbook_bytes({"名册": ROSTER})
    result = import_file(warehouse, data, "r.xlsx", dry_run=True)
    assert result.status == "valid"
    assert result.counts["inserted"] == 3
    assert warehouse.execute("SELECT count(*) FROM workers").fetchone()[0] == 0
    assert history(warehouse).empty


def test_leading_zero_ids_and_numeric_ids(warehouse):
    rows = [ROSTER[0], ["000101", "a", "A", "社工", None, None], [123, "b", "A", "社工", None, None]]
    load(warehouse, {"名册": rows})
    assert sorted(r[0] for r in warehouse.execute("SELECT worker_id FROM workers").fetchall()) == ["000101", "123"]


def test_late_text_cell_in_long_column_not_lost(warehouse):
    """A text cell in row 1,502 after 1,500 real dates is parsed, not blanked by a type guess."""
    rows = [["捐赠编号", "捐赠日期", "金额(元)"]]
    rows += [[f"D{i:05d}", dt.datetime(2023, 1, 1) + dt.timedelta(days=i % 300), 10] for i in range(1500)]
    rows.append(["D99999", "2023年12月1日", "待定"])
    result = load(warehouse, {"捐赠": rows})
    [error] = result.errors
    assert (error.row, error.column, error.value) == (1502, "C", "待定")
    rows[-1][2] = "1万"
    assert load(warehouse, {"捐赠": rows}).status == "loaded"
    assert warehouse.execute("SELECT date FROM donations WHERE donation_id = 'D99999'").fetchone()[0] == dt.date(
        2023, 12, 1
    )


def test_formula_without_cached_value_is_an_error(warehouse):
    data = workbook_bytes({"捐赠": [["捐赠编号", "捐赠日期", "金额(元)"], ["D1", "2023-01-01", "=100*2"]]})
    result = import_file(warehouse, data, "f.xlsx")
    [error] = result.errors
    assert (error.row, error.column, error.key) == (2, "C", "cell.formula")


def test_absurd_amounts_and_counts_are_errors(warehouse):
    money = [
        ["捐赠编号", "捐赠日期", "金额(元)"],
        ["D1", "2023-01-01", "99999999999999999999"],
        ["D2", "2023-01-01", "2亿"],
    ]
    result = load(warehouse, {"捐赠": money})
    assert [(e.row, e.key) for e in result.errors] == [(2, "cell.max")]
    meetings = [["会议编号", "日期", "参会人数"], ["M1", "2023-01-01", "123456789012"]]
    assert [e.key for e in load(warehouse, {"会议": meetings}).errors] == ["cell.max"]


def test_attendance_key_stays_unique_without_an_index(warehouse):
    load(warehouse, {"名册": ROSTER, "培训场次": SESSIONS, "签到表": ATTENDANCE})
    assert load(warehouse, {"签到表": ATTENDANCE}).status == "unchanged"
    overlap = load(warehouse, {"签到表": [ATTENDANCE[0], ATTENDANCE[1], ["S02", "000102"]]})
    assert overlap.counts == {"inserted": 1, "updated": 0, "unchanged": 1}
    pairs = warehouse.execute("SELECT session_id, worker_id, count(*) FROM attendance GROUP BY ALL").fetchall()
    assert len(pairs) == 4 and all(n == 1 for *_, n in pairs)


# --- the audit trail keeps everything (issue 12)


def trail(con) -> list[tuple[str, str, dict]]:
    rows = con.execute("SELECT user_name, action, details FROM audit_log ORDER BY seq").fetchall()
    return [(user, action, json.loads(details)) for user, action, details in rows]


def test_a_rejected_import_is_in_the_audit_trail_a_dry_run_is_not(warehouse):
    bad_rows = [ROSTER[0], ["000999", "新人", "A", "厨师", None, "也许"]]
    data = workbook_bytes({"名册": bad_rows})
    assert import_file(warehouse, data, "bad.xlsx", user="ann", dry_run=True).status == "rejected"
    assert trail(warehouse) == []  # a dry run changes nothing and is not recorded
    result = import_file(warehouse, data, "bad.xlsx", user="ann")
    assert result.status == "rejected" and len(result.errors) == 2
    assert trail(warehouse) == [
        ("ann", "import_rejected", {"file": "bad.xlsx", "hash": hashlib.sha256(data).hexdigest(), "errors": 2})
    ]
    import_file(warehouse, b"not a workbook at all", "evil.xlsx", user="ann")  # refused before reading
    user, action, details = trail(warehouse)[-1]
    assert (user, action, details["file"], details["errors"]) == ("ann", "import_rejected", "evil.xlsx", 1)
    assert details["reason"].startswith("file.")
    assert snapshot(warehouse) == {t: [] for t in TABLES}


def test_a_refused_undo_is_in_the_audit_trail_in_the_readers_language(warehouse):
    with pytest.raises(UndoRefused) as nothing:
        undo(warehouse, "B00001", user="ada")
    assert nothing.value.key == "undo.refused.nothing"
    load(warehouse, {"名册": ROSTER})
    load(warehouse, {"培训场次": SESSIONS})
    with pytest.raises(UndoRefused) as refused:
        undo(warehouse, "B00001", user="ada")
    assert (refused.value.key, refused.value.params) == (
        "undo.refused.not_latest",
        {"batch": "B00001", "latest": "B00002"},
    )
    assert refused.value.message("en") == t("undo.refused.not_latest", "en", latest="B00002")
    assert refused.value.message("zh") == t("undo.refused.not_latest", "zh", latest="B00002")
    assert "B00002" in refused.value.message("zh") and refused.value.message("zh") != refused.value.message("en")
    with pytest.raises(UndoRefused) as unknown:
        undo(warehouse, "B00999", user="ada")
    assert unknown.value.message("zh") == t("undo.refused.unknown", "zh", batch="B00999")
    refusals = [(u, d) for u, a, d in trail(warehouse) if a == "undo_refused"]
    assert refusals == [
        ("ada", {"batch_id": "B00001", "reason": "undo.refused.nothing"}),
        ("ada", {"batch_id": "B00001", "reason": "undo.refused.not_latest", "latest": "B00002"}),
        ("ada", {"batch_id": "B00999", "reason": "undo.refused.unknown"}),
    ]
    undo(warehouse, "B00002", user="ada")
    undo(warehouse, "B00001", user="ada")
    with pytest.raises(UndoRefused) as again:
        undo(warehouse, "B00001", user="ada")
    assert again.value.key == "undo.refused.nothing"
    assert [a for _, a, _ in trail(warehouse)][-3:] == ["undo", "undo", "undo_refused"]


def test_a_claimed_user_is_kept_beside_the_acting_user(warehouse):
    result = import_file(warehouse, workbook_bytes({"名册": ROSTER}), "a.xlsx", claimed_user="mallory")
    batch = history(warehouse).iloc[0]
    assert batch["user_name"] == audit.os_user() and batch["claimed_user"] == "mallory"
    assert trail(warehouse)[0][:2] == (audit.os_user(), "import")
    assert trail(warehouse)[0][2]["claimed_user"] == "mallory"
    plain = import_file(warehouse, workbook_bytes({"培训场次": SESSIONS}), "b.xlsx", user="ann")
    assert pd.isna(history(warehouse).set_index("batch_id").loc[plain.batch_id, "claimed_user"])
    assert "claimed_user" not in trail(warehouse)[1][2]
    assert result.batch_id == "B00001"


def test_a_warehouse_from_before_the_claims_table_opens_and_imports(tmp_path):
    path = tmp_path / "old.duckdb"
    con = db.connect(path)
    load(con, {"名册": ROSTER})
    con.execute("DROP TABLE batch_claims")  # as a warehouse made before issue 12 is
    con.close()
    con = db.connect(path)
    assert history(con)["claimed_user"].isna().tolist() == [True]
    assert import_file(con, workbook_bytes({"培训场次": SESSIONS}), "b.xlsx", claimed_user="x").status == "loaded"
    assert con.execute("SELECT * FROM batch_claims").fetchall() == [("B00002", "x")]
    con.close()


def test_problems_found_beside_the_load_roll_it_back(warehouse):
    # The checks across sheets (repeated keys, references) run beside the load of the first sheet (etl.load._Across):
    # a file they reject changes nothing, and says everything, at its cells, as a file rejected before loading.
    assert load(warehouse, {"社工名册": ROSTER, "培训场次": SESSIONS}).status == "loaded"
    before = snapshot(warehouse)
    batches = history(warehouse)
    stages = []
    rows = [*ATTENDANCE, ["S01", "000101"], ["S02", "000999"]]  # row 5 repeats row 2; 000999 is nobody
    result = import_file(
        warehouse,
        workbook_bytes({"签到表": rows}),
        "att.xlsx",
        user="tester",
        progress=lambda stage, done, total: stages.append(stage),
    )
    assert result.status == "rejected"
    assert [(e.key, e.row, e.column) for e in result.errors] == [
        ("cell.duplicate_key", 5, "B"),
        ("cell.reference", 6, "B"),
    ]
    assert snapshot(warehouse) == before
    assert history(warehouse).equals(batches)
    assert "load" not in stages and stages[-1] == "check"
    [rejected] = warehouse.execute("SELECT details FROM audit_log WHERE action = 'import_rejected'").fetchall()
    assert json.loads(rejected[0])["errors"] == 2
    # and the same file, corrected, loads
    assert load(warehouse, {"签到表": ATTENDANCE}).status == "loaded"


def test_a_bug_in_the_checks_beside_the_load_is_raised_and_changes_nothing(warehouse, monkeypatch):
    from etl import load as loader

    assert load(warehouse, {"社工名册": ROSTER, "培训场次": SESSIONS}).status == "loaded"
    before = snapshot(warehouse)

    def broken(report, stored_keys):
        raise KeyError("a bug in the checks")

    monkeypatch.setattr(loader, "check_across", broken)
    with pytest.raises(KeyError, match="a bug in the checks"):
        load(warehouse, {"签到表": ATTENDANCE})
    assert snapshot(warehouse) == before


def test_an_id_that_lost_its_leading_zeros_says_so(warehouse):
    # 101 typed (or kept by a cell formatted as a number) where the roster says 000101: the commonest "unknown ID"
    assert load(warehouse, {"社工名册": ROSTER, "培训场次": SESSIONS}).status == "loaded"
    rows = [ATTENDANCE[0], ["S01", 101], ["S01", "0102"], ["S02", 999]]
    result = load(warehouse, {"签到表": rows})
    assert [(e.key, e.row, e.value) for e in result.errors] == [
        ("cell.reference_zeros", 2, "101"),
        ("cell.reference_zeros", 3, "0102"),
        ("cell.reference", 4, "999"),
    ]
    assert "000101" in result.errors[0].message("zh") and "开头的 0" in result.errors[0].message("zh")
    assert "000102" in result.errors[1].message("en") and "leading zeros" in result.errors[1].message("en")
    # the other way round: a roster whose IDs lost their zeros, an attendance sheet typed with them
    assert (
        load(warehouse, {"社工名册": [ROSTER[0], [7, "周七", "富杨苑", "社工", "2020-01-01", "是"]]}).status == "loaded"
    )
    [error] = load(warehouse, {"签到表": [ATTENDANCE[0], ["S01", "000007"]]}).errors
    assert (error.key, error.params["stored"]) == ("cell.reference_zeros", "7")


def test_a_key_that_differs_from_another_only_by_leading_zeros_is_refused(warehouse):
    # loaded, 101 beside 000101 would be the same person twice, and every count would include both
    assert load(warehouse, {"社工名册": ROSTER}).status == "loaded"
    before = snapshot(warehouse)
    again = [
        ROSTER[0],
        [101, "张三", "杨行一村", "书记", "2015-03-01", "是"],
        ["000104", "赵六", "富杨苑", "社工", "2020-1-1", "是"],
    ]
    result = load(warehouse, {"社工名册": again})
    assert [(e.key, e.row, e.column, e.value) for e in result.errors] == [("cell.key_zeros", 2, "A", "101")]
    assert "000101" in result.errors[0].message("zh") and "数字格式" in result.errors[0].message("zh")
    assert snapshot(warehouse) == before
    # within one file: the second spelling is the one refused, and the first is named
    twice = [
        ROSTER[0],
        ["7", "周七", "富杨苑", "社工", "2020-1-1", "是"],
        ["0007", "周七", "富杨苑", "社工", "2020-1-1", "是"],
    ]
    [error] = load(warehouse, {"社工名册": twice}).errors
    assert (error.key, error.row, error.params["first_row"], error.params["stored"]) == (
        "cell.key_zeros_row",
        3,
        2,
        "7",
    )
    # the stored spelling itself, other IDs and IDs with letters are not concerned
    assert load(warehouse, {"社工名册": ROSTER}).status == "unchanged"
    projects = [PROJECTS[0], ["P1", *PROJECTS[1][1:]], ["P001", *PROJECTS[1][1:]]]
    assert not [e for e in load(warehouse, {"项目": projects}).errors if e.key.startswith("cell.key_zeros")]
