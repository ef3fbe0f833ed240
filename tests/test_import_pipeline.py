"""The import pipeline: progress reported stage by stage, and roll-ups kept off the import's transaction but never
served stale (figures read through the metric catalogue equal counts from the raw attendance)."""

from __future__ import annotations

from datetime import date

import duckdb
from workbooks import ATTENDANCE, ROSTER, SESSIONS, workbook_bytes

import metrics
from etl import db, derived, publish
from etl.load import import_file

STAGES = ("read", "check", "load")


def figure(con, code: str, year: int = 2023) -> float:
    frame = metrics.figures(con, year=year, as_of=date(2023, 12, 31))
    return float(frame.set_index("code").loc[code, "value"])


def raw_counts(con, year: int = 2023) -> tuple[int, int]:
    """Person-times and trained workers counted from the raw rows, not the roll-ups."""
    return con.execute(
        "SELECT count(*), count(DISTINCT a.worker_id) FROM attendance a JOIN training_sessions s USING (session_id) "
        "JOIN workers w USING (worker_id) WHERE year(s.date) = $y AND coalesce(w.active, TRUE)",
        {"y": year},
    ).fetchall()[0]


def test_progress_reports_read_check_load_in_order_with_rows(warehouse):
    calls = []
    data = workbook_bytes({"名册": ROSTER, "培训场次": SESSIONS, "签到表": ATTENDANCE})
    result = import_file(warehouse, data, "a.xlsx", progress=lambda *call: calls.append(call))
    assert result.status == "loaded"
    stages = [stage for stage, _, _ in calls]
    assert set(stages) == set(STAGES)
    assert stages == sorted(stages, key=STAGES.index)  # read, then check, then load; never back
    loaded = len(ROSTER) + len(SESSIONS) + len(ATTENDANCE) - 3  # the rows under the three header rows
    assert calls[-1] == ("load", loaded, loaded)
    for stage in STAGES:  # every stage ends with done == total
        done, total = [c for c in calls if c[0] == stage][-1][1:]
        assert done == total > 0


def test_a_rejected_file_reports_read_and_check_but_not_load(warehouse):
    calls = []
    bad = [ATTENDANCE[0], ["S01", "000101"]]  # neither the session nor the worker exists
    result = import_file(warehouse, workbook_bytes({"签到表": bad}), "b.xlsx", progress=lambda *c: calls.append(c))
    assert result.status == "rejected"
    assert [c[0] for c in calls if c[0] == "load"] == []
    assert {c[0] for c in calls} == {"read", "check"}


def test_roll_ups_follow_an_import_and_agree_with_raw_attendance(warehouse):
    import_file(warehouse, workbook_bytes({"名册": ROSTER, "培训场次": SESSIONS}), "a.xlsx")
    import_file(warehouse, workbook_bytes({"签到表": ATTENDANCE}), "b.xlsx")
    assert derived.is_fresh(warehouse)
    person_times, trained = raw_counts(warehouse)
    assert person_times > 0
    assert figure(warehouse, "person_times") == person_times
    assert figure(warehouse, "trained") == trained


def test_deferred_roll_ups_are_stale_until_the_warehouse_is_opened_or_published(tmp_path):
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    import_file(con, workbook_bytes({"名册": ROSTER, "培训场次": SESSIONS}), "a.xlsx", roll_ups=False)
    import_file(con, workbook_bytes({"签到表": ATTENDANCE}), "b.xlsx", roll_ups=False)
    assert not derived.is_fresh(con)
    assert con.execute("SELECT count(*) FROM training_worker_year").fetchall()[0][0] == 0  # stale, and says so
    con.close()
    con = db.connect(path)  # the next reader of the working data refreshes first
    assert derived.is_fresh(con)
    person_times, trained = raw_counts(con)
    assert figure(con, "person_times") == person_times
    assert figure(con, "trained") == trained
    more = [ATTENDANCE[0], ["S02", "000102"]]
    import_file(con, workbook_bytes({"签到表": more}), "c.xlsx", roll_ups=False)
    assert not derived.is_fresh(con)
    version = publish.publish(con, "tester")  # publishing rebuilds them before viewers get a copy
    con.close()
    viewer = duckdb.connect(str(version.path), read_only=True)
    assert viewer.execute("SELECT fresh FROM derived_state").fetchall() == [(True,)]
    assert figure(viewer, "person_times") == person_times + 1
    viewer.close()


def test_a_failed_follow_up_leaves_the_roll_ups_marked_stale(warehouse, monkeypatch):
    import_file(warehouse, workbook_bytes({"名册": ROSTER, "培训场次": SESSIONS}), "a.xlsx")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(derived, "catch_up", broken)
    result = import_file(warehouse, workbook_bytes({"签到表": ATTENDANCE}), "b.xlsx")
    assert result.status == "loaded"
    assert [w.key for w in result.after_commit] == ["after_commit.failed"]
    assert not derived.is_fresh(warehouse)
    monkeypatch.undo()
    derived.ensure(warehouse)
    assert figure(warehouse, "person_times") == raw_counts(warehouse)[0]
