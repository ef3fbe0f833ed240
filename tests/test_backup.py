"""Backups after every change, restore, rebuild from the kept raw files, and crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_load import TABLES, snapshot
from workbooks import ATTENDANCE, ROSTER, SESSIONS, held_by_another_process, workbook_bytes

from etl import backup, db
from etl.load import import_file, undo

ROOT = Path(__file__).resolve().parent.parent


def test_rotating_backups_and_restore(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_BACKUPS", "2")
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    import_file(con, workbook_bytes({"名册": ROSTER}), "a.xlsx")
    first_state = snapshot(con)
    import_file(con, workbook_bytes({"培训场次": SESSIONS}), "b.xlsx")
    import_file(con, workbook_bytes({"签到表": ATTENDANCE}), "c.xlsx")
    backups = backup.list_backups(path)
    assert len(backups) == 2  # only the newest two are kept
    assert backups[0].name.endswith("-B00003.duckdb")
    con.close()
    oldest_kept = backups[-1]  # after B00002
    backup.restore(path, oldest_kept)
    con = db.connect(path)
    state = snapshot(con)
    assert state["training_sessions"] and not state["attendance"]
    assert state["workers"] == first_state["workers"]
    con.close()


def test_restore_refused_while_warehouse_in_use(tmp_path):
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    import_file(con, workbook_bytes({"名册": ROSTER}), "a.xlsx")
    con.close()
    # the app (another process) holds the file: restore must refuse, not overwrite it
    with held_by_another_process(path), pytest.raises(db.WarehouseLocked):
        backup.restore(path, backup.list_backups(path)[0])


def test_rebuild_equals_original(tmp_path):
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    import_file(con, workbook_bytes({"名册": ROSTER, "培训场次": SESSIONS}), "a.xlsx")
    changed = [ROSTER[0], ["000101", "张三丰", "富杨苑", "主任", None, "否"]]
    import_file(con, workbook_bytes({"名册": changed}), "b.xlsx")
    undone = import_file(con, workbook_bytes({"签到表": ATTENDANCE}), "c.xlsx")
    undo(con, undone.batch_id)
    import_file(con, workbook_bytes({"签到表": ATTENDANCE[:2]}), "d.xlsx")
    original = snapshot(con)
    con.close()
    rebuilt_path = tmp_path / "rebuilt.duckdb"
    results = backup.rebuild(path, rebuilt_path)
    assert [r.file for r in results] == ["a.xlsx", "b.xlsx", "d.xlsx"]
    rebuilt = db.connect(rebuilt_path)
    assert snapshot(rebuilt) == original
    rebuilt.close()


def test_cli_restore_and_rebuild(tmp_path):
    path = tmp_path / "w.duckdb"
    (tmp_path / "a.xlsx").write_bytes(workbook_bytes({"名册": ROSTER}))
    env = {**os.environ, "DASHBOARD_DB": str(path)}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True, text=True)

    assert cli("load", str(tmp_path / "a.xlsx")).returncode == 0
    listed = cli("restore")
    assert listed.returncode == 0 and "-B00001.duckdb" in listed.stdout
    assert cli("restore", listed.stdout.split()[0]).returncode == 0
    assert cli("rebuild", str(tmp_path / "r.duckdb")).returncode == 0
    assert cli("rebuild", str(tmp_path / "r.duckdb")).returncode == 2  # never overwrites


KILLER = """
import sys
from etl import db
from etl.load import import_file
con = db.connect(sys.argv[1])
print("start", flush=True)
import_file(con, open(sys.argv[2], "rb").read(), "big.xlsx")
print("done", flush=True)
"""


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5, 2.5])
def test_sigkill_during_import_leaves_before_or_after(tmp_path, delay, monkeypatch):
    """Kill an import at several points: the warehouse opens and holds the state before or after it."""
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    import_file(con, workbook_bytes({"名册": ROSTER, "培训场次": SESSIONS}), "base.xlsx")
    before = snapshot(con)
    con.close()
    rows = [["场次编号", "人员编号"]] + [[s, w] for s in ("S01", "S02") for w in ("000101", "000102", "000103")]
    big = [["捐赠编号", "捐赠日期", "金额(元)"]] + [[f"D{i:06d}", "2023-08-01", 10] for i in range(60_000)]
    file = tmp_path / "big.xlsx"
    file.write_bytes(workbook_bytes({"签到表": rows, "捐赠": big}))
    child = subprocess.Popen(
        [sys.executable, "-c", KILLER, str(path), str(file)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "start"
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait()
    con = db.connect(path)
    after = snapshot(con)
    batches = con.execute("SELECT count(*) FROM import_batches").fetchone()[0]
    con.close()
    if after == before:
        assert batches == 1
    else:  # the whole import, never a part of it
        assert batches == 2
        assert len(after["donations"]) == 60_000
        assert len(after["attendance"]) == 6
    assert set(after) == set(TABLES)
    # and the app starts on it
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(path))
    monkeypatch.setenv("DASHBOARD_LANG", "en")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["year"] = "2023"
    at.run()
    assert not at.exception
    assert any(m.label == "Fund raised" for m in at.metric)
    st.cache_resource.clear()


def test_backup_when_another_session_holds_a_transaction(tmp_path):
    """The app gives each run its own cursor; one left with an open read must not break undo's backup."""
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    reader = con.cursor()
    reader.execute("SELECT count(*) FROM workers").fetchone()  # result left open: its transaction stays active
    loaded = import_file(con.cursor(), workbook_bytes({"名册": ROSTER}), "a.xlsx")
    undo(con.cursor(), loaded.batch_id)
    newest = backup.list_backups(path)[0]
    assert newest.name.endswith(f"undo-{loaded.batch_id}.duckdb")
    con.close()
    copy = db.connect(newest)
    assert copy.execute("SELECT count(*) FROM workers").fetchall() == [(0,)]
    assert copy.execute("SELECT status FROM import_batches").fetchall() == [("undone",)]
    copy.close()


def test_the_warehouse_stays_locked_after_a_backup(tmp_path):
    """Taking a backup must not release the lock that keeps other processes (the CLI) out."""
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    import_file(con, workbook_bytes({"名册": ROSTER}), "a.xlsx")  # takes a backup
    assert backup.list_backups(path)
    probe = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r})"], capture_output=True, text=True
    )
    con.close()
    assert probe.returncode != 0
    assert "lock" in probe.stderr.lower()
