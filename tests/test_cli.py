"""The CLI contract of DESIGN.md: commands, JSON document, exit codes, a locked warehouse."""

from __future__ import annotations

import getpass
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from workbooks import ATTENDANCE, ROSTER, SESSIONS, held_by_another_process, workbook_bytes

from cli import main
from etl import backup
from i18n import t

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, db: Path, wait: float = 1) -> subprocess.CompletedProcess:
    env = {**os.environ, "DASHBOARD_DB": str(db), "DASHBOARD_LOCK_WAIT": str(wait)}
    return subprocess.run(
        [sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def write(path: Path, sheets) -> Path:
    path.write_bytes(workbook_bytes(sheets))
    return path


def test_load_json_history_undo(tmp_path):
    db = tmp_path / "w.duckdb"
    roster = write(tmp_path / "roster.xlsx", {"社工名册": ROSTER, "培训场次": SESSIONS})
    attendance = write(tmp_path / "attendance.xlsx", {"签到表": ATTENDANCE})
    done = cli("load", str(roster), str(attendance), "--json", db=db)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [f["status"] for f in doc["files"]] == ["loaded", "loaded"]
    first = doc["files"][0]
    assert first["file"] == "roster.xlsx"
    assert first["batch_id"] == "B00001"
    assert first["sheets"][0] == {
        "sheet": "社工名册",
        "kind": "workers",
        "rows": 3,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
    }
    again = json.loads(cli("load", str(roster), "--json", db=db).stdout)
    assert again["files"][0]["status"] == "unchanged"

    listed = json.loads(cli("history", "--json", db=db).stdout)
    assert [b["batch_id"] for b in listed] == ["B00002", "B00001"]
    assert cli("undo", "B00001", db=db).returncode == 1  # not the latest
    undone = cli("undo", "B00002", db=db)
    assert undone.returncode == 0
    assert "attendance: 3 removed" in undone.stdout
    assert "undone" in cli("history", db=db).stdout


def test_rejected_file_exit_1_with_errors(tmp_path):
    db = tmp_path / "w.duckdb"
    bad = write(tmp_path / "bad.xlsx", {"名册": [ROSTER[0], ["1", "a", "b", "厨师", "明天", "也许"]]})
    done = cli("load", str(bad), "--json", db=db)
    assert done.returncode == 1
    errors = json.loads(done.stdout)["files"][0]["errors"]
    assert [(e["row"], e["column"], e["field"]) for e in errors] == [
        (2, "D", "role"),
        (2, "E", "joined_date"),
        (2, "F", "active"),
    ]
    assert set(errors[0]) == {"sheet", "row", "column", "header", "field", "value", "message", "message_zh"}
    text = cli("load", str(bad), db=db)
    assert "row 2 column D 岗位 = '厨师'" in text.stdout


def test_dry_run(tmp_path):
    db = tmp_path / "w.duckdb"
    good = write(tmp_path / "good.xlsx", {"名册": ROSTER})
    done = cli("load", str(good), "--dry-run", "--json", db=db)
    assert done.returncode == 0
    assert json.loads(done.stdout)["files"][0]["status"] == "valid"
    assert json.loads(cli("history", "--json", db=db).stdout) == []


def test_usage_errors_exit_2(tmp_path):
    db = tmp_path / "w.duckdb"
    assert cli("load", str(tmp_path / "missing.xlsx"), db=db).returncode == 2
    assert cli("frobnicate", db=db).returncode == 2


def test_locked_warehouse_exit_2_one_line(tmp_path):
    db = tmp_path / "w.duckdb"
    good = write(tmp_path / "good.xlsx", {"名册": ROSTER})
    with held_by_another_process(db):
        started = time.monotonic()
        done = cli("load", str(good), db=db, wait=2)
        assert time.monotonic() - started >= 2  # it waited (bounded) for the other process's work first
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        assert "busy with another program" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    # the holder has exited: the next load gets the file (within a generous bounded wait, never a fixed pause)
    assert cli("load", str(good), db=db, wait=30).returncode == 0


# --- issue 12: who did it, what was refused, and warnings after COMMIT


def test_load_user_is_recorded_beside_the_operating_system_user(tmp_path):
    db = tmp_path / "w.duckdb"
    roster = write(tmp_path / "roster.xlsx", {"社工名册": ROSTER})
    assert cli("load", str(roster), "--user", "mallory", db=db).returncode == 0
    [batch] = json.loads(cli("history", "--json", db=db).stdout)
    assert batch["user_name"] == getpass.getuser()  # who ran the command, whatever name was typed
    assert batch["claimed_user"] == "mallory"
    con = duckdb.connect(str(db))
    user, details = con.execute("SELECT user_name, details FROM audit_log WHERE action = 'import'").fetchone()
    con.close()
    assert user == getpass.getuser() and json.loads(details)["claimed_user"] == "mallory"


def test_rejected_loads_and_refused_undos_are_audited_and_refusals_speak_chinese(tmp_path):
    db = tmp_path / "w.duckdb"
    bad = write(tmp_path / "bad.xlsx", {"名册": [ROSTER[0], ["1", "a", "b", "厨师", None, None]]})
    assert cli("load", str(bad), db=db).returncode == 1
    assert cli("load", str(write(tmp_path / "a.xlsx", {"社工名册": ROSTER})), db=db).returncode == 0
    assert cli("load", str(write(tmp_path / "b.xlsx", {"培训场次": SESSIONS})), db=db).returncode == 0
    refused = cli("undo", "B00001", "--lang", "zh", db=db)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "未执行：" + t("undo.refused.not_latest", "zh", latest="B00002")
    english = cli("undo", "B00001", db=db)
    assert english.stderr.strip() == "refused: " + t("undo.refused.not_latest", "en", latest="B00002")
    con = duckdb.connect(str(db))
    actions = [r[0] for r in con.execute("SELECT action FROM audit_log ORDER BY seq").fetchall()]
    con.close()
    # no accounts here: each load publishes what it committed
    assert actions == ["import_rejected", "import", "publish", "import", "publish", "undo_refused", "undo_refused"]


def test_a_failed_backup_after_commit_is_printed_and_in_the_json(tmp_path, monkeypatch, capsys):
    db = tmp_path / "w.duckdb"
    roster = write(tmp_path / "roster.xlsx", {"社工名册": ROSTER})
    sessions = write(tmp_path / "sessions.xlsx", {"培训场次": SESSIONS})

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "snapshot", broken)
    assert main(["load", str(roster), "--db", str(db), "--json"]) == 0
    [file] = json.loads(capsys.readouterr().out)["files"]
    assert file["status"] == "loaded" and file["batch_id"] == "B00001"
    [warning] = file["warnings"]
    assert "No space left on device" in warning["message"] and "备份" in warning["message_zh"]
    assert main(["load", str(sessions), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "sessions.xlsx: loaded (batch B00002)" in out
    step = t("after_commit.step.backup", "en")
    detail = "OSError: [Errno 28] No space left on device"
    assert "  warning: " + t("after_commit.failed", "en", batch="B00002", step=step, detail=detail) in out
    assert main(["undo", "B00002", "--db", str(db)]) == 0
    assert "warning:" in capsys.readouterr().out
    con = duckdb.connect(str(db))
    actions = [r[0] for r in con.execute("SELECT action FROM audit_log ORDER BY seq").fetchall()]
    con.close()
    # no accounts here: each load and the undo publish what they committed
    assert actions == ["import", "warning", "publish", "import", "warning", "publish", "undo", "warning", "publish"]


def test_load_starts_the_first_file_before_importing_duckdb_and_pandas(tmp_path):
    # ≈ 0.4 s of imports run beside the read instead of before it (issue 16).
    roster = write(tmp_path / "roster.xlsx", {"社工名册": ROSTER, "培训场次": SESSIONS})
    code = f"""
import json, sys
from etl import read
from cli import main
seen = []
class Spy(read.Reading):
    def __init__(self, data, **options):
        seen.append([sorted(m for m in ("duckdb", "pandas", "pyarrow") if m in sys.modules), options])
        super().__init__(data, **options)
    def then(self, work):
        seen.append([work.__name__, "duckdb" in sys.modules])
        super().then(work)
read.Reading = Spy
code = main(["load", {str(roster)!r}, "--db", {str(tmp_path / "w.duckdb")!r}, "--no-progress"])
print(json.dumps([code, seen]))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    code, seen = json.loads(done.stdout.splitlines()[-1])
    assert code == 0
    # one file, started with none of them imported, its largest sheet read by a child beside the guard; each
    # sheet's own checks handed to it before DuckDB is imported (they run while the warehouse is opened)
    assert seen == [[[], {"isolated": True}], ["check_sheets", False]]


def test_load_and_undo_speak_chinese_with_lang_zh(tmp_path):
    # the framing of each line (status, batch, counts, where a problem is), not only the problems' messages
    db = tmp_path / "w.duckdb"
    roster = write(tmp_path / "roster.xlsx", {"社工名册": ROSTER})
    bad = write(tmp_path / "bad.xlsx", {"社工名册": [ROSTER[0], ["000104", "赵六", "富杨苑", "社工", "明年", "是"]]})
    loaded = cli("load", str(roster), str(bad), "--lang", "zh", db=db)
    assert loaded.returncode == 1, loaded.stderr
    lines = loaded.stdout.splitlines()
    assert lines[0] == "roster.xlsx: 已导入（批次 B00001） — 新增 3 行，更新 0 行，未变 0 行"
    assert lines[1] == "bad.xlsx: 未导入（有错误）"
    assert lines[2].startswith("  错误 【社工名册】 第 2 行 E 列 入职日期 = '明年': ")
    undone = cli("undo", "B00001", "--lang", "zh", db=db)
    said = undone.stdout.strip().splitlines()
    assert said[0] == "已撤销 B00001 — 社工名册：删除 3 行，恢复 0 行", undone.stderr
    assert said[1] == t("cli.published", "zh", version="v000002")  # no accounts: the undo is published at once
    english = re.compile(r"\b(?:loaded|rejected|inserted|updated|unchanged|batch|error|row|column|undid|removed)\b")
    assert not english.search(loaded.stdout + undone.stdout)


def test_output_cut_short_by_its_reader_is_not_an_error(tmp_path, monkeypatch, capsys):
    # `python -m etl history | head -1`: the reader closes the pipe early; nothing is said about it
    db = tmp_path / "w.duckdb"
    assert main(["load", str(write(tmp_path / "r.xlsx", {"社工名册": ROSTER})), "--db", str(db)]) == 0
    capsys.readouterr()
    reader, writer = os.pipe()
    os.close(reader)
    with open(writer, "w", buffering=1) as closed:  # line-buffered: the first line meets the closed pipe
        monkeypatch.setattr(sys, "stdout", closed)
        assert main(["history", "--db", str(db)]) == 0
    assert capsys.readouterr().err == ""
