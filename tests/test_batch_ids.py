"""Each row carries the batch that inserted or last changed it: history keeps only replaced rows, undo is exact,
provenance (the drill-down's and the deck's sources) is read from the rows, and an older warehouse is migrated."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest
from warehouses import snapshot
from workbooks import ATTENDANCE, ROSTER, SESSIONS, workbook_bytes

import queries
from etl import db
from etl.kinds import KINDS
from etl.load import import_file, undo


def load(con, sheets, name):
    result = import_file(con, workbook_bytes(sheets), name, user="tester")
    assert result.status == "loaded", result.errors
    return result.batch_id


def batches_of(con, table: str) -> dict:
    key = ", ".join(KINDS[table].key)
    return {row[:-1]: row[-1] for row in con.execute(f"SELECT {key}, _batch_id FROM {table}").fetchall()}


def test_inserted_rows_carry_their_batch_and_leave_no_history(warehouse):
    first = load(warehouse, {"名册": ROSTER, "培训场次": SESSIONS}, "a.xlsx")
    second = load(warehouse, {"签到表": ATTENDANCE}, "b.xlsx")
    assert set(batches_of(warehouse, "workers").values()) == {first}
    assert batches_of(warehouse, "attendance") == {("S01", "000101"): second, ("S01", "000102"): second,
                                                  ("S02", "000101"): second}  # fmt: skip
    for kind in KINDS:
        assert warehouse.execute(f"SELECT count(*) FROM {kind}_history").fetchall() == [(0,)]


def test_an_update_undone_after_the_insert_of_its_key_in_an_earlier_batch(warehouse):
    first = load(warehouse, {"名册": ROSTER}, "a.xlsx")
    after_first = snapshot(warehouse)
    changed = [ROSTER[0], ["000101", "张三丰", "富杨苑", "主任", "2015-03-01", "是"], ROSTER[3]]
    second = load(warehouse, {"名册": changed}, "b.xlsx")
    assert batches_of(warehouse, "workers") == {("000101",): second, ("000102",): first, ("000103",): first}
    replaced = warehouse.execute(
        "SELECT _batch_id, _action, worker_id, name, community, _prev_batch_id FROM workers_history"
    ).fetchall()
    assert replaced == [(second, "update", "000101", "张三", "杨行一村", first)]  # 000103 came unchanged

    effects = undo(warehouse, second)
    assert effects == {"workers": {"removed": 0, "restored": 1}}
    assert snapshot(warehouse) == after_first  # the values and the batch each row came from
    assert batches_of(warehouse, "workers") == dict.fromkeys([("000101",), ("000102",), ("000103",)], first)

    assert undo(warehouse, first) == {"workers": {"removed": 3, "restored": 0}}
    assert warehouse.execute("SELECT count(*) FROM workers").fetchall() == [(0,)]


def test_undo_of_an_update_gives_a_row_written_outside_an_import_back_no_batch(warehouse):
    warehouse.execute(
        "INSERT INTO workers (worker_id, name, community, role, joined_date, active) "
        "VALUES ('000101', '张三', '杨行一村', 'secretary', NULL, TRUE)"
    )
    before = snapshot(warehouse)
    batch = load(warehouse, {"名册": ROSTER[:2]}, "a.xlsx")  # the joined date differs: an update
    assert batches_of(warehouse, "workers") == {("000101",): batch}
    undo(warehouse, batch)
    assert snapshot(warehouse) == before
    assert batches_of(warehouse, "workers") == {("000101",): None}


def test_sources_are_the_batches_the_rows_carry(warehouse):
    roster = load(warehouse, {"名册": ROSTER, "培训场次": SESSIONS}, "roster.xlsx")
    first = load(warehouse, {"签到表": ATTENDANCE[:3]}, "march.xlsx")
    second = load(warehouse, {"签到表": [ATTENDANCE[0], ATTENDANCE[3]]}, "april.xlsx")
    frame = queries.metric_sources(warehouse, code="person_times", year=2023)
    # the two sessions (roster.xlsx) and the three attendance rows (two in march.xlsx, one in april.xlsx)
    assert frame[["batch_id", "file_name", "rows"]].values.tolist() == [
        [roster, "roster.xlsx", 2],
        [first, "march.xlsx", 2],
        [second, "april.xlsx", 1],
    ]
    community = queries.metric_sources(warehouse, code="person_times", year=2023, community="杨行一村")
    assert community["rows"].tolist() == [2, 2, 1]  # both sessions were attended by its workers

    deck = queries.topic_sources(warehouse, year=2023, as_of=date(2023, 3, 31))
    training = deck[deck["topic"] == "training"]
    assert training["file_name"].tolist() == ["roster.xlsx", "march.xlsx"]  # April's session is after the day

    undo(warehouse, second)
    after = queries.metric_sources(warehouse, code="person_times", year=2023)
    assert after["file_name"].tolist() == ["roster.xlsx", "march.xlsx"]


def _old_shape(path) -> duckdb.DuckDBPyConnection:
    """A warehouse as the code before batch ids made it: kind tables without _batch_id, history tables holding
    a copy of each inserted row's key ('insert') and each replaced row ('update')."""
    con = duckdb.connect(str(path))
    schema = db.SCHEMA.read_text(encoding="utf-8")
    schema = re.sub(r",([ \t]*--[^\n]*)?\n\s*_batch_id\s+VARCHAR\n", r"\1\n", schema)  # the last column
    schema = re.sub(r"\n\s*_batch_id\s+VARCHAR,", "", schema)
    assert not re.search(r"_batch_id\s+VARCHAR", schema)
    con.execute(schema)
    for kind in KINDS:
        con.execute(
            f"CREATE TABLE {kind}_history AS "
            f"SELECT NULL::VARCHAR AS _batch_id, NULL::VARCHAR AS _action, * FROM {kind} LIMIT 0"
        )
    batches = [("B00001", 1, "loaded"), ("B00002", 2, "loaded"), ("B00003", 3, "undone"), ("B00004", 4, "loaded")]
    for batch, seq, status in batches:
        con.execute(
            "INSERT INTO import_batches VALUES ($b, $s, now()::TIMESTAMP, 'old', $f, '-', 0, 0, 0, '[]', $st, NULL)",
            {"b": batch, "s": seq, "f": f"{batch}.xlsx", "st": status},
        )
    # B00001 inserted W1 and W2; B00002 changed W1 (history keeps B00001's W1) and inserted W3; B00003 inserted W4
    # and was undone; B00004 changed W1 again and inserted an attendance row.
    con.execute("""
        INSERT INTO workers VALUES ('W1', '丙', '东方', 'secretary', NULL, TRUE), ('W2', '乙', '东方', 'director', NULL, TRUE),
                                   ('W3', '丁', '西方', 'secretary', NULL, TRUE);
        INSERT INTO training_sessions VALUES ('S1', '党建', '2023-03-05', 2, NULL, NULL, NULL);
        INSERT INTO attendance VALUES ('S1', 'W1');
        INSERT INTO workers_history (_batch_id, _action, worker_id) VALUES
            ('B00001', 'insert', 'W1'), ('B00001', 'insert', 'W2'), ('B00002', 'insert', 'W3'),
            ('B00003', 'insert', 'W4');
        INSERT INTO workers_history VALUES ('B00002', 'update', 'W1', '甲', '东方', 'secretary', NULL, TRUE),
                                           ('B00004', 'update', 'W1', '乙丙', '东方', 'secretary', NULL, TRUE);
        INSERT INTO training_sessions_history (_batch_id, _action, session_id) VALUES ('B00001', 'insert', 'S1');
        INSERT INTO attendance_history VALUES ('B00004', 'insert', 'S1', 'W1');
    """)
    return con


def test_an_older_warehouse_is_migrated_and_undoes_exactly(tmp_path):
    path = tmp_path / "old.duckdb"
    _old_shape(path).close()
    con = db.connect(path)
    assert batches_of(con, "workers") == {("W1",): "B00004", ("W2",): "B00001", ("W3",): "B00002"}
    assert batches_of(con, "attendance") == {("S1", "W1"): "B00004"}
    assert batches_of(con, "training_sessions") == {("S1",): "B00001"}
    kept = con.execute(
        "SELECT _batch_id, _action, worker_id, name, _prev_batch_id FROM workers_history ORDER BY _batch_id"
    ).fetchall()
    assert kept == [("B00002", "update", "W1", "甲", "B00001"), ("B00004", "update", "W1", "乙丙", "B00002")]
    for kind in KINDS:  # no per-row copies of inserts are left
        assert con.execute(f"SELECT count(*) FROM {kind}_history WHERE _action = 'insert'").fetchall() == [(0,)]
    assert queries.metric_sources(con, code="person_times", year=2023)["batch_id"].tolist() == ["B00001", "B00004"]
    con.close()

    con = db.connect(path)  # opening it again changes nothing
    assert batches_of(con, "workers") == {("W1",): "B00004", ("W2",): "B00001", ("W3",): "B00002"}

    undo(con, "B00004")
    assert con.execute("SELECT count(*) FROM attendance").fetchall() == [(0,)]
    assert con.execute("SELECT name, _batch_id FROM workers WHERE worker_id = 'W1'").fetchall() == [("乙丙", "B00002")]
    undo(con, "B00002")
    assert sorted(con.execute("SELECT worker_id, name, _batch_id FROM workers").fetchall()) == [
        ("W1", "甲", "B00001"),
        ("W2", "乙", "B00001"),
    ]
    undo(con, "B00001")
    assert con.execute("SELECT count(*) FROM workers").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM training_sessions").fetchall() == [(0,)]
    con.close()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_history_keeps_the_replaced_rows_batch(warehouse, kind):
    columns = [c for (c,) in warehouse.execute(f"SELECT column_name FROM (DESCRIBE {kind}_history)").fetchall()]
    assert columns == ["_batch_id", "_action", *KINDS[kind].column_names, "_prev_batch_id"]


def test_a_version_published_by_older_code_is_republished_in_todays_shape(tmp_path):
    from etl import publish

    con = db.connect(tmp_path / "w.duckdb")
    load(con, {"名册": ROSTER, "培训场次": SESSIONS, "签到表": ATTENDANCE}, "a.xlsx")
    first = publish.publish(con, "tester").version
    pending = load(con, {"签到表": [ATTENDANCE[0], ["S02", "000102"]]}, "b.xlsx")  # not published: stays out
    old = publish.version_file(tmp_path / "w.duckdb", first)
    older = duckdb.connect(str(old))
    for kind in KINDS:  # as the code before batch ids wrote it: a copy of each inserted row's key in the history
        keys = ", ".join(KINDS[kind].key)
        older.execute(
            f"INSERT INTO {kind}_history (_batch_id, _action, {keys}) SELECT _batch_id, 'insert', {keys} FROM {kind}"
        )
        older.execute(f"ALTER TABLE {kind} DROP COLUMN _batch_id")
        older.execute(f"ALTER TABLE {kind}_history DROP COLUMN _prev_batch_id")
    older.close()

    version = publish.ensure_published(con)
    assert version not in (None, first) and publish.current(tmp_path / "w.duckdb") == version
    reader = duckdb.connect(str(publish.current_file(tmp_path / "w.duckdb")), read_only=True)
    assert queries.headline(reader, year=2023).iloc[0]["person_times"] == 3  # the same figures, b.xlsx not in
    assert queries.metric_sources(reader, code="person_times", year=2023)["file_name"].tolist() == ["a.xlsx"]
    assert not reader.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'audit_log'").fetchall()[0][0]
    reader.close()
    assert publish.pending(con)["batch_id"].tolist() == [pending]
    assert publish.ensure_published(con) is None  # today's shape: nothing to do
    con.close()
