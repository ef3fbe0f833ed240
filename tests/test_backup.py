"""Backups after every change, restore, rebuild from the kept raw files, and crash safety."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from visitors import ROOT
from warehouses import TABLES, snapshot
from workbooks import ATTENDANCE, ROSTER, SESSIONS, held_by_another_process, workbook_bytes

from etl import backup, db, load, rebuild
from etl.load import PAUSE_ENV, import_file, undo


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
    original = snapshot(con, batches=False)  # the replay numbers its batches afresh (c.xlsx is not replayed)
    sources = "SELECT w.worker_id, b.file_name FROM workers w JOIN import_batches b ON b.batch_id = w._batch_id"
    original_sources = sorted(con.execute(sources).fetchall())
    con.close()
    rebuilt_path = tmp_path / "rebuilt.duckdb"
    results = rebuild.rebuild(path, rebuilt_path)
    assert [r.file for r in results] == ["a.xlsx", "b.xlsx", "d.xlsx"]
    rebuilt = db.connect(rebuilt_path)
    assert snapshot(rebuilt, batches=False) == original
    assert sorted(rebuilt.execute(sources).fetchall()) == original_sources  # each row from the same file
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
import_file(con, open(sys.argv[2], "rb").read(), "big.xlsx")
print("done", flush=True)
"""

# Where the test hook (etl.load.PAUSE_ENV) stops the import before the kill, and whether the import is in by then.
KILL_POINTS = {"after_begin": False, "mid_upsert": False, "before_commit": False, "after_commit": True}


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_during_import_leaves_before_or_after(tmp_path, point, monkeypatch):
    """Kill an import at named points: inside its transaction the state before it stays; after COMMIT, the import.

    The import itself writes a marker and waits at the point (the test hook), so each kill is known to land
    there, not at a moment a timer guessed.
    """
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    import_file(con, workbook_bytes({"名册": ROSTER, "培训场次": SESSIONS}), "base.xlsx")
    before = snapshot(con)
    trail_before = con.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()
    con.close()
    rows = [["场次编号", "人员编号"]] + [[s, w] for s in ("S01", "S02") for w in ("000101", "000102", "000103")]
    big = [["捐赠编号", "捐赠日期", "金额(元)"]] + [[f"D{i:06d}", "2023-08-01", 10] for i in range(60_000)]
    file = tmp_path / "big.xlsx"
    file.write_bytes(workbook_bytes({"签到表": rows, "捐赠": big}))
    marker = tmp_path / "paused"
    env = {**os.environ, PAUSE_ENV: f"{point}:{marker}"}
    child = subprocess.Popen(
        [sys.executable, "-c", KILLER, str(path), str(file)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 300  # a guard against hanging, not a measurement
    while not marker.exists():
        assert child.poll() is None, "the import ended without reaching the point"
        assert time.monotonic() < deadline, "the import never reached the point"
        time.sleep(0.05)
    assert marker.read_text() == point
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.stdout.read() == ""  # killed while paused: it never finished
    con = db.connect(path)
    after = snapshot(con)
    batches = con.execute("SELECT count(*) FROM import_batches").fetchone()[0]
    trail_after = con.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()
    if KILL_POINTS[point]:  # the whole import, never a part of it
        assert batches == 2
        assert len(after["donations"]) == 60_000
        assert len(after["attendance"]) == 6
        assert trail_after[: len(trail_before)] == trail_before and trail_after[-1][3] == "import"
    else:  # killed inside the transaction: exactly the state before it
        assert after == before
        assert batches == 1
        assert trail_after == trail_before
    assert set(after) == set(TABLES)
    if point == "before_commit":  # the raw file was kept, but its batch never committed: never replayed
        small = import_file(con, workbook_bytes({"签到表": rows}), "small.xlsx")
        assert small.batch_id == "B00002" and not small.warnings
        assert [u["file"] for u in backup.loaded_uploads(path)] == ["base.xlsx", "small.xlsx"]
        assert not any("big" in p.name for p in backup.uploads_dir(path).iterdir())
    con.close()
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


# --- nothing after COMMIT may fail or lose a record (issue 12)


@pytest.mark.parametrize("stem", ["yanghang-2024", "my warehouse", "杨行镇 数据", 'it\'s "quoted"', "data[1]"])
def test_backups_work_whatever_the_warehouse_is_called(tmp_path, stem):
    """Another session's open read forces the copy through DuckDB (COPY FROM DATABASE): the name must be quoted."""
    path = tmp_path / f"{stem}.duckdb"
    con = db.connect(path)
    reader = con.cursor()
    reader.execute("SELECT count(*) FROM workers").fetchone()  # its transaction stays open: no CHECKPOINT
    loaded = import_file(con.cursor(), workbook_bytes({"名册": ROSTER}), "a.xlsx")
    assert loaded.status == "loaded" and loaded.warnings == []
    effects = undo(con.cursor(), loaded.batch_id)
    assert effects.warnings == []
    names = [p.name for p in backup.list_backups(path)]
    assert names[0].endswith(f"-undo-{loaded.batch_id}.duckdb") and names[1].endswith(f"-{loaded.batch_id}.duckdb")
    con.close()
    copy = db.connect(backup.list_backups(path)[1])
    assert copy.execute("SELECT count(*) FROM workers").fetchall() == [(3,)]
    copy.close()
    assert backup.restore(path, backup.list_backups(path)[1]) == 1  # the undo's audit row, carried across


def test_a_very_long_chinese_file_name_is_kept_and_rebuilt(tmp_path):
    """95 Chinese characters are 285 bytes: the kept name is cut by bytes (valid UTF-8), never too long to write."""
    path = tmp_path / "w.duckdb"
    name = "杨" * 95 + ".xlsx"
    con = db.connect(path)
    data = workbook_bytes({"名册": ROSTER})
    result = import_file(con, data, name)
    assert result.status == "loaded" and result.warnings == []
    [kept] = backup.loaded_uploads(path)
    assert kept["file"] == name
    stored = kept["stored"].encode("utf-8")
    assert len(stored) <= backup.NAME_BYTES and kept["stored"].endswith(".xlsx")
    assert (backup.uploads_dir(path) / kept["stored"]).read_bytes() == data
    assert backup.list_backups(path)
    original = snapshot(con)
    con.close()
    [replayed] = rebuild.rebuild(path, tmp_path / "r.duckdb")
    assert replayed.file == name
    rebuilt = db.connect(tmp_path / "r.duckdb")
    assert snapshot(rebuilt) == original
    rebuilt.close()


@pytest.mark.parametrize("limit", [10, 50, 100, 240])
def test_names_are_cut_by_bytes_inside_characters_never(limit):
    for name in ("杨" * 95 + ".xlsx", "a" * 300 + ".xlsx", "🙂" * 100, "x" * 20 + "杨" * 100 + ".xlsx"):
        cut = backup.fit(name, limit)
        assert len(cut.encode("utf-8")) <= limit
        assert cut.encode("utf-8").decode("utf-8") == cut
        assert name.startswith(cut.removesuffix(".xlsx"))
    assert backup.fit("short.xlsx", limit) == "short.xlsx"


def test_rebuild_says_loudly_when_a_kept_file_is_missing(tmp_path):
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    import_file(con, workbook_bytes({"名册": ROSTER}), "a.xlsx")
    import_file(con, workbook_bytes({"培训场次": SESSIONS}), "b.xlsx")
    con.close()
    first = backup.loaded_uploads(path)[0]
    (backup.uploads_dir(path) / first["stored"]).unlink()
    with pytest.raises(rebuild.MissingUploads) as refused:
        rebuild.rebuild(path, tmp_path / "r.duckdb")
    assert len(refused.value.missing) == 1 and refused.value.missing[0].startswith("B00001 (a.xlsx)")
    assert not (tmp_path / "r.duckdb").exists()  # nothing written
    env = {**os.environ, "DASHBOARD_DB": str(path)}
    cli = [sys.executable, "-m", "etl", "rebuild"]
    done = subprocess.run([*cli, str(tmp_path / "r.duckdb")], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "B00001 (a.xlsx)" in done.stderr and "missing" in done.stderr
    skipped = subprocess.run(
        [*cli, str(tmp_path / "r.duckdb"), "--skip-missing"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert skipped.returncode == 1 and "b.xlsx: loaded" in skipped.stdout and "skipped B00001" in skipped.stderr
    # a batch whose raw file was never recorded at all (the manifest lost): named from the warehouse's own list
    backup.uploads_dir(path).joinpath("w.manifest.jsonl").unlink()
    assert [m.split(":")[0] for m in rebuild.missing_uploads(path)] == ["B00001 (a.xlsx)", "B00002 (b.xlsx)"]


def test_the_raw_file_is_kept_before_commit_or_the_import_fails(tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    import_file(con, workbook_bytes({"名册": ROSTER}), "a.xlsx")
    before = snapshot(con)
    trail = con.execute("SELECT * FROM audit_log").fetchall()
    kept = sorted(backup.uploads_dir(path).iterdir())

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "_append", disk_full)
    with pytest.raises(OSError, match="No space left"):
        import_file(con, workbook_bytes({"培训场次": SESSIONS}), "b.xlsx")
    monkeypatch.undo()
    assert snapshot(con) == before
    assert con.execute("SELECT count(*) FROM import_batches").fetchall() == [(1,)]
    assert con.execute("SELECT * FROM audit_log").fetchall() == trail
    assert sorted(backup.uploads_dir(path).iterdir()) == kept  # the half-kept file is gone too
    assert import_file(con, workbook_bytes({"培训场次": SESSIONS}), "b.xlsx").batch_id == "B00002"
    con.close()


def test_a_failed_backup_after_commit_is_a_warning_in_the_result_and_the_trail(tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    con = db.connect(path)

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "snapshot", broken)
    result = import_file(con, workbook_bytes({"名册": ROSTER}), "a.xlsx")
    assert result.status == "loaded" and result.batch_id == "B00001"
    assert con.execute("SELECT count(*) FROM workers").fetchall() == [(3,)]
    [warning] = result.after_commit
    assert "No space left on device" in warning.message("en") and "B00001" in warning.message("en")
    assert "备份" in warning.message("zh")
    assert result.as_dict()["warnings"][0]["message_zh"] == warning.message("zh")
    rows = con.execute("SELECT user_name, action, details FROM audit_log ORDER BY seq").fetchall()
    assert [r[1] for r in rows] == ["import", "warning"]
    details = json.loads(rows[1][2])
    assert details["batch_id"] == "B00001" and details["step"] == "backup" and "No space" in details["error"]
    effects = undo(con, "B00001")
    assert con.execute("SELECT count(*) FROM workers").fetchall() == [(0,)]
    assert [w.params["step"]["en"] for w in effects.warnings] == ["the backup copy"]
    con.close()


def test_the_data_page_shows_a_warning_after_commit(tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("DASHBOARD_NO_SAMPLE", "1")
    monkeypatch.setenv("DASHBOARD_LANG", "en")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "snapshot", broken)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].upload("roster.xlsx", workbook_bytes({"社工名册": ROSTER}), "application/octet-stream").run()
    next(b for b in at.button if b.label.startswith("Import")).click().run()
    assert not at.exception, at.exception
    assert any("imported as batch B00001" in s.value for s in at.success)
    assert [w.value for w in at.warning if "No space left on device" in w.value]
    st.cache_resource.clear()


def test_the_data_page_shows_a_warning_after_an_undo_commits(tmp_path, monkeypatch):
    """publish.undo_as returns load.Effects, whose .warnings the Data page shows once the undo stands."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from etl import publish
    from presenter import markdown

    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("DASHBOARD_NO_SAMPLE", "1")
    monkeypatch.setenv("DASHBOARD_LANG", "en")
    con = db.connect(tmp_path / "w.duckdb")
    import_file(con, workbook_bytes({"社工名册": ROSTER}), "roster.xlsx")
    con.close()

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "snapshot", broken)
    undone: list[load.Effects] = []
    undo_as = publish.undo_as

    def seen(*args):  # what the page was given
        undone.append(undo_as(*args))
        return undone[-1]

    monkeypatch.setattr(publish, "undo_as", seen)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/data.py").run()
    next(c for c in at.checkbox if c.key == "undo_sure_B00001").check().run()
    next(b for b in at.button if b.label == "Undo B00001").click().run()
    assert not at.exception, at.exception
    [effects] = undone
    assert isinstance(effects, load.Effects) and effects == {"workers": {"removed": 3, "restored": 0}}
    [warning] = effects.warnings
    assert any("Batch B00001 was undone" in s.value for s in at.success)
    shown = [markdown.unescape(w.value) for w in at.warning if "No space left on device" in w.value]
    assert shown == [warning.message("en")] and "the backup copy" in shown[0]
    st.cache_resource.clear()


# --- the audit trail keeps everything (issue 12)


def audit_rows(con) -> list[tuple]:
    return con.execute('SELECT seq, "at", user_name, action, details, event_id FROM audit_log ORDER BY seq').fetchall()


def test_restore_keeps_the_newer_audit_trail_and_records_itself(tmp_path, no_accounts):
    from etl import accounts

    accounts.add_user("ada", "admin", "admin-secret-1")
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    import_file(con, workbook_bytes({"名册": ROSTER}), "a.xlsx")
    old = backup.list_backups(path)[0]  # holds one audit row: the import
    for _ in range(3):
        accounts.sign_in(con, "ada", "wrong-password")
    import_file(con, workbook_bytes({"培训场次": SESSIONS}), "b.xlsx")
    before = audit_rows(con)
    assert len(before) == 5
    assert accounts.recent_failures(con, accounts.LOCAL_CLIENT, "ada") == 3
    con.close()
    assert backup.restore(path, old, user="operator") == 4
    con = db.connect(path)
    after = audit_rows(con)
    assert after[:5] == before  # every row as it was, number, time and all
    assert after[5][2:4] == ("operator", "restore")
    assert json.loads(after[5][4]) == {"backup": old.name, "carried": 4}
    assert accounts.recent_failures(con, accounts.LOCAL_CLIENT, "ada") == 3  # the lockout counter survives
    assert con.execute("SELECT count(*) FROM training_sessions").fetchall() == [(0,)]  # the data did go back
    accounts.sign_in(con, "ada", "admin-secret-1")  # the sequence continues after the carried rows
    assert [r[0] for r in audit_rows(con)] == sorted({r[0] for r in audit_rows(con)})
    # a new import reuses B00002 (the restored warehouse never had it); rebuild replays the restored history
    assert import_file(con, workbook_bytes({"培训场次": SESSIONS[:2]}), "c.xlsx").batch_id == "B00002"
    original = snapshot(con)
    con.close()
    assert [u["file"] for u in backup.loaded_uploads(path)] == ["a.xlsx", "c.xlsx"]
    rebuild.rebuild(path, tmp_path / "r.duckdb")
    rebuilt = db.connect(tmp_path / "r.duckdb")
    assert snapshot(rebuilt) == original
    rebuilt.close()


def test_cli_restore_records_the_operating_system_user(tmp_path):
    import getpass

    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    import_file(con, workbook_bytes({"名册": ROSTER}), "a.xlsx")
    con.close()
    env = {**os.environ, "DASHBOARD_DB": str(path)}
    oldest = backup.list_backups(path)[0]
    done = subprocess.run(
        [sys.executable, "-m", "etl", "restore", str(oldest)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    con = db.connect(path)
    assert audit_rows(con)[-1][2:4] == (getpass.getuser(), "restore")
    con.close()


def test_the_audit_trail_only_ever_grows(tmp_path, no_accounts):
    """Run every operation that touches the trail; after each, every earlier row is still there, unchanged."""
    from etl import accounts, audit

    accounts.add_user("ada", "admin", "admin-secret-1")
    path = tmp_path / "w.duckdb"
    seen: list[tuple] = []
    con = db.connect(path)

    def check(grew: bool = True) -> None:
        nonlocal seen
        rows = audit_rows(con)
        assert rows[: len(seen)] == seen, "an earlier audit row changed or went missing"
        assert len(rows) > len(seen) if grew else len(rows) == len(seen)
        seen = rows

    first = import_file(con, workbook_bytes({"名册": ROSTER}), "a.xlsx")
    check()
    import_file(con, workbook_bytes({"名册": [ROSTER[0], ["1", "a", "b", "厨师", None, None]]}), "bad.xlsx")
    check()
    import_file(con, workbook_bytes({"培训场次": SESSIONS}), "dry.xlsx", dry_run=True)
    check(grew=False)  # a dry run changes nothing and is not recorded
    second = import_file(con, workbook_bytes({"培训场次": SESSIONS}), "b.xlsx")
    check()
    with pytest.raises(load.UndoRefused):
        undo(con, first.batch_id)
    check()
    undo(con, second.batch_id)
    check()
    accounts.sign_in(con, "ada", "wrong-password")
    check()
    accounts.sign_in(con, "ada", "admin-secret-1")
    check()
    journal = accounts.journal_path()
    audit.append_pending(journal, "root", "role_changed", account="ada", role="admin", before="analyst")
    audit.absorb(con, journal)
    check()
    audit.absorb(con, journal)  # copied once
    check(grew=False)
    con.close()
    backup.restore(path, backup.list_backups(path)[-1])
    con = db.connect(path)
    check()
    import_file(con, workbook_bytes({"签到表": ATTENDANCE}), "c.xlsx")
    check()
    con.close()


# --- files hold personal data: owner only (issue 12)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_owner_only_whatever_the_umask(tmp_path, no_accounts):
    from etl import accounts, audit

    previous = os.umask(0o022)  # the usual umask, under which files come out 0644
    try:
        path = tmp_path / "new" / "w.duckdb"
        con = db.connect(path)
        assert mode(path) == 0o600 and mode(path.parent) == 0o700
        loaded = import_file(con, workbook_bytes({"名册": ROSTER}), "a.xlsx")
        wal = Path(f"{path}.wal")
        if wal.exists():
            assert mode(wal) == 0o600
        undo(con, loaded.batch_id)
        con.close()
        assert mode(path) == 0o600
        for folder in (backup.uploads_dir(path), backup.backups_dir(path)):
            assert mode(folder) == 0o700
            files = list(folder.iterdir())
            assert files and {mode(f) for f in files} == {0o600}, folder
        backup.restore(path, backup.list_backups(path)[-1])
        assert mode(path) == 0o600
        rebuild.rebuild(path, tmp_path / "r.duckdb")
        assert mode(tmp_path / "r.duckdb") == 0o600
        journal = accounts.journal_path()
        audit.append_pending(journal, "root", "account_removed", account="x")
        assert mode(journal) == 0o600
    finally:
        os.umask(previous)


def test_personal_data_is_ignored_by_git():
    paths = [
        "data/warehouse.duckdb",
        "data/warehouse.duckdb.wal",
        "data/uploads/warehouse-B00001-a.xlsx",
        "data/uploads/warehouse.manifest.jsonl",
        "data/backups/warehouse-20240101-000000-B00001.duckdb",
        "data/backups/warehouse-20240101-000000-B00001.partial",
        "data/warehouse.duckdb.restoring",
        "data/accounts.json",
    ]
    done = subprocess.run(["git", "check-ignore", "--no-index", *paths], cwd=ROOT, capture_output=True, text=True)
    assert sorted(done.stdout.split()) == sorted(paths)


def test_the_data_page_says_why_an_undo_was_refused_in_the_readers_language(tmp_path, monkeypatch):
    """The page offered B00001; another session imported B00002 meanwhile: the refusal comes from the catalogue."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from i18n import t
    from ui import session

    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("DASHBOARD_NO_SAMPLE", "1")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.switch_page("pages/data.py").run()
    shared = session.warehouse(str(db.db_path())).cursor()  # the app's own connection, as another session uses it
    import_file(shared, workbook_bytes({"名册": ROSTER}), "a.xlsx", user="web")
    at.run()
    at.checkbox[0].check().run()
    real_undo = load.undo

    def meanwhile(*args, **kwargs):  # another session imports between the page's drawing and its undo
        import_file(shared, workbook_bytes({"培训场次": SESSIONS}), "b.xlsx", user="web")
        return real_undo(*args, **kwargs)

    monkeypatch.setattr(load, "undo", meanwhile)
    next(b for b in at.button if b.label.startswith("撤销 B00001")).click().run()
    assert not at.exception, at.exception
    [error] = at.error
    assert t("undo.refused.not_latest", "zh", latest="B00002") in error.value
    assert shared.execute("SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1").fetchall() == [("undo_refused",)]
    st.cache_resource.clear()


def test_backup_is_a_leaf_below_the_loader():
    """etl.backup keeps files and copies warehouses; replaying imports is etl.rebuild's, so no cycle with etl.load."""
    code = "import sys, etl.backup; print('etl.load' in sys.modules, 'etl.rebuild' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.split() == ["False", "False"]
