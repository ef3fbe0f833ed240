"""What publishing would change, row by row, in business words (issue 23): etl.changes.between compares the working
data with the published version file; presenter.review.row_lines writes the rows added, changed and removed as people know
them (names, sessions, amounts, donors masked as the public ledger masks them), and attendance by session."""

from __future__ import annotations

import duckdb
import pytest
from workbooks import workbook_bytes

from etl import load, publish
from etl.changes import LISTED, between, compare
from etl.kinds import KINDS, LOAD_ORDER, ROLES
from presenter.review import row_lines

DONATIONS = [
    ["捐赠编号", "捐赠日期", "捐赠方", "捐赠方类型", "金额(元)"],
    ["JZ-NEW-1", "2024-01-10", "某企业", "企业", 40000],
    ["JZ-NEW-2", "2024-01-11", "赵一", "个人", 500],
]


def _published(con) -> publish.Published:
    done = publish.publish(con, "tester")
    assert done.path.exists()
    return done


def _one(con, sql: str) -> tuple:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row


def _import(con, sheets: dict[str, list[list]], name: str = "change.xlsx") -> load.FileResult:
    result = load.import_file(con, workbook_bytes(sheets), name, user="ann")
    assert result.status == "loaded", [e.as_dict() for e in result.errors[:5]]
    return result


@pytest.fixture
def changed(sample_con):
    """The sample, published; then its latest published import undone (the targets and the as-of date go) and a
    workbook imported that adds two donations, a worker and her attendance, completes a project and moves a worker."""
    version = _published(sample_con)
    load.undo(sample_con, "B00005", user="ann")
    pid, project, program, community = _one(
        sample_con,
        "SELECT project_id, name, program, community FROM projects WHERE status = 'in_progress' ORDER BY 1 LIMIT 1",
    )
    wid, worker, role = _one(sample_con, "SELECT worker_id, name, role FROM workers ORDER BY 1 LIMIT 1")
    sessions = sample_con.execute("SELECT session_id, title, date FROM training_sessions ORDER BY 1 LIMIT 2").fetchall()
    _import(
        sample_con,
        {
            "项目": [
                ["项目编号", "项目名称", "项目类型", "社区", "状态", "完成日期"],
                [pid, project, KINDS["projects"].column("program").choices[program], community, "已完成", "2024-01-10"],
            ],
            "社工名册": [
                ["人员编号", "姓名", "社区", "岗位"],
                [wid, worker, "新社区", ROLES[role]],
                ["NEW-0001", "林新", "杨行一村", "社工"],
            ],
            "培训签到": [["场次编号", "人员编号"], *[[s, "NEW-0001"] for s, _, _ in sessions]],
            "捐赠": DONATIONS,
        },
    )
    return sample_con, version.path, {"project": project, "worker": worker, "wid": wid, "sessions": sessions}


def test_publishing_names_the_rows_it_adds_changes_and_removes(changed):
    con, path, known = changed
    changes = between(con, path)
    assert changes.added_total == {"workers": 1, "attendance": 2, "donations": 2}
    assert changes.removed_total == {"targets": 14, "metadata": 1}
    assert changes.updated_total == {"projects": 1, "workers": 1}

    zh = row_lines(changes, "zh")
    donations = next(line for line in zh if line.startswith("新增捐赠"))
    assert "某企业" in donations and "¥40,000" in donations
    assert "赵*" in donations and "赵一" not in donations  # an individual is masked, as on the public ledger
    assert "新增社工名册：NEW-0001（林新 · 杨行一村）" in zh
    session, title, _ = known["sessions"][0]
    assert any(line.startswith(f"{session}（") and title in line and "新增培训签到 1 条：林新" in line for line in zh)
    assert any(known["project"] in line and "状态 实施中 → 已完成" in line for line in zh)
    moved = next(line for line in zh if line.startswith(f"社工名册 {known['wid']}"))
    assert known["worker"] in moved and "→ 新社区" in moved  # her name, not only her ID
    assert any(line.startswith("删除目标：") and "募集资金 / 2023" in line and "共 14 条" in line for line in zh)
    assert "删除数据说明：2024年1月31日（2024年社区治理论坛公布数据）" in zh

    en = row_lines(changes, "en")
    assert any(line.startswith("removed targets: ") and "Fund raised / 2023" in line for line in en)
    assert any("某企业" in line and "¥40,000" in line for line in en)
    assert any(line.startswith("1 attendance rows added for ") and line.endswith(": 林新") for line in en)


def test_removed_rows_are_named_from_the_published_version(sample_con):
    """A worker and her attendance imported, published, then undone: gone from the working data, they are still
    named (from the version that holds them), the attendance by session."""
    sessions = sample_con.execute("SELECT session_id, title FROM training_sessions ORDER BY 1 LIMIT 2").fetchall()
    batch = _import(
        sample_con,
        {
            "社工名册": [["人员编号", "姓名", "社区", "岗位"], ["NEW-0002", "韩梅", "富杨苑", "社工"]],
            "培训签到": [["场次编号", "人员编号"], *[[s, "NEW-0002"] for s, _ in sessions]],
        },
    ).batch_id
    version = _published(sample_con)
    load.undo(sample_con, batch, user="ann")
    changes = between(sample_con, version.path)
    assert changes.removed_total == {"workers": 1, "attendance": 2} and not changes.added
    lines = row_lines(changes, "en")
    assert "removed workers on the roster: NEW-0002 (韩梅 · 富杨苑)" in lines
    for session, title in sessions:
        assert any(f"removed for {session} (" in line and title in line and line.endswith("): 韩梅") for line in lines)
    assert any(line.startswith("1 attendance rows removed for ") for line in lines)


def test_nothing_changed_and_nothing_published(sample_con):
    version = _published(sample_con)
    unchanged = between(sample_con, version.path)
    assert unchanged.empty and row_lines(unchanged, "zh") == []
    everything = between(sample_con, None)  # nothing published yet: every row is added
    counts = {k: _one(sample_con, f"SELECT count(*) FROM {k}")[0] for k in LOAD_ORDER}
    assert everything.added_total == {k: n for k, n in counts.items() if n}
    assert not everything.removed and not everything.updated


def test_a_big_attendance_change_is_summarised_by_session(sample_con):
    """100,000 attendance rows added: one line for each of the first sessions (how many, a few names), one for the
    rest; never a line per row."""
    version = _published(sample_con)
    sample_con.execute(
        "INSERT INTO workers (worker_id, name, community, role, _batch_id) "
        "SELECT printf('BIG%05d', i), '工' || i, '杨行一村', 'social_worker', 'B99999' FROM range(2500) t(i)"
    )
    sessions = _one(sample_con, "SELECT count(*) FROM training_sessions")[0]
    sample_con.execute(
        "INSERT INTO attendance SELECT s.session_id, w.worker_id, 'B99999' FROM training_sessions s, workers w "
        "WHERE w.worker_id LIKE 'BIG%'"
    )
    changes = between(sample_con, version.path)
    assert changes.added_total == {"workers": 2500, "attendance": 2500 * sessions}
    lines = row_lines(changes, "zh")
    assert len(lines) <= 1 + LISTED + 1  # the roster's line, a line per session named, the rest in one
    attendance = [line for line in lines if "培训签到" in line]
    assert len(attendance) == LISTED + 1
    assert "新增培训签到 2,500 条：工0、工1、工2、工3、工4 等" in attendance[0]
    assert attendance[-1] == f"另有 {sessions - LISTED} 个培训场次新增培训签到 {2500 * (sessions - LISTED):,} 条"


def test_the_version_stays_readable_while_compared(sample_con):
    """The app keeps the current version open read-only; comparing attaches the same file beside it (each time
    under its own name) and detaches it after."""
    version = _published(sample_con)
    reader = duckdb.connect(str(version.path), read_only=True)
    try:
        load.undo(sample_con, "B00005", user="ann")
        for _ in range(2):
            assert between(sample_con, version.path).removed_total == {"targets": 14, "metadata": 1}
        assert _one(reader, "SELECT count(*) FROM targets")[0] == 14
    finally:
        reader.close()
    attached = sample_con.execute("SELECT database_name FROM duckdb_databases() WHERE NOT internal").fetchall()
    assert not [name for (name,) in attached if name.startswith("published_version")]


def test_an_upload_is_described_the_same_way(sample_con):
    """The Data page's preview (compare) names rows as the Review page does: workers new in the same file by their
    names, attendance by session, donors masked."""
    session, title, _ = _one(sample_con, "SELECT session_id, title, date FROM training_sessions ORDER BY 1 LIMIT 1")
    data = workbook_bytes(
        {
            "社工名册": [["人员编号", "姓名", "社区", "岗位"], ["NEW-0003", "周雨", "富杨苑", "社工"]],
            "培训签到": [["场次编号", "人员编号"], [session, "NEW-0003"]],
            "捐赠": DONATIONS,
        }
    )
    checked = load.import_file(sample_con, data, "u.xlsx", dry_run=True)
    assert checked.status == "valid"
    lines = row_lines(compare(sample_con, checked), "zh")
    assert "新增社工名册：NEW-0003（周雨 · 富杨苑）" in lines
    assert any(
        line.startswith(f"{session}（") and title in line and line.endswith("新增培训签到 1 条：周雨") for line in lines
    )
    assert "新增捐赠：JZ-NEW-1（某企业 · ¥40,000）、JZ-NEW-2（赵* · ¥500）" in lines
