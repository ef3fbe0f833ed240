"""The derived training tables always agree with their sources, through imports and undo."""

from __future__ import annotations

import datetime as dt

from workbooks import ATTENDANCE, ROSTER, SESSIONS, workbook_bytes

from etl import derived
from etl.load import import_file, undo


def derived_state(con) -> dict[str, list]:
    return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in derived.TABLES}


def recomputed(con) -> dict[str, list]:
    con.execute("BEGIN TRANSACTION")
    derived.refresh(con)
    state = derived_state(con)
    con.execute("ROLLBACK")
    return state


def test_derived_tables_follow_imports_and_undo(warehouse):
    import_file(warehouse, workbook_bytes({"名册": ROSTER, "培训场次": SESSIONS, "签到表": ATTENDANCE}), "a")
    assert derived_state(warehouse) == recomputed(warehouse)
    assert sorted(warehouse.execute("SELECT * FROM training_worker_year").fetchall()) == [
        ("000101", 2023, 2, dt.date(2023, 3, 5)),
        ("000102", 2023, 1, dt.date(2023, 3, 5)),
    ]
    moved = [ROSTER[0], ["000102", "李四", "富杨苑", "后备干部", "2021/6/1", "是"]]  # changes the rollup's community
    second = import_file(warehouse, workbook_bytes({"名册": moved}), "b")
    assert ("2023-03-01", "lecture", "富杨苑", 1) in {
        (str(m), f, c, n) for m, f, c, n in warehouse.execute("SELECT * FROM training_rollup").fetchall()
    }
    assert derived_state(warehouse) == recomputed(warehouse)
    undo(warehouse, second.batch_id)
    assert derived_state(warehouse) == recomputed(warehouse)
    by_community = warehouse.execute("SELECT session_id, community, person_times FROM session_communities").fetchall()
    assert sorted(by_community) == [("S01", "杨行一村", 2), ("S02", "杨行一村", 1)]  # 000102 is back in 杨行一村


def test_dry_run_leaves_derived_tables_alone(warehouse):
    import_file(warehouse, workbook_bytes({"名册": ROSTER, "培训场次": SESSIONS}), "a")
    before = derived_state(warehouse)
    import_file(warehouse, workbook_bytes({"签到表": ATTENDANCE}), "b", dry_run=True)
    assert derived_state(warehouse) == before


def test_attendance_only_import_updates_incrementally_and_exactly(warehouse, monkeypatch):
    import_file(warehouse, workbook_bytes({"名册": ROSTER, "培训场次": SESSIONS}), "a")
    import_file(warehouse, workbook_bytes({"签到表": ATTENDANCE[:2]}), "b")  # S01/000101
    rebuilt = []
    monkeypatch.setattr(derived, "refresh", lambda con: rebuilt.append(1))  # the incremental path must not rebuild
    more = [ATTENDANCE[0], ["S01", "000102"], ["S02", "000101"], ["S02", "000103"]]  # adds to an existing worker-year
    import_file(warehouse, workbook_bytes({"签到表": more}), "c")
    assert rebuilt == []
    monkeypatch.undo()
    assert derived_state(warehouse) == recomputed(warehouse)
    rows = warehouse.execute("SELECT * FROM training_worker_year").fetchall()
    assert ("000101", 2023, 2, dt.date(2023, 3, 5)) in rows  # added to, first date kept
    assert ("000103", 2023, 1, dt.date(2023, 4, 10)) in rows  # new worker-year
