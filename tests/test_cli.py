"""The CLI contract of DESIGN.md: commands, JSON document, exit codes, a locked warehouse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from workbooks import ATTENDANCE, ROSTER, SESSIONS, held_by_another_process, workbook_bytes

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DASHBOARD_DB": str(db)}
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
        done = cli("load", str(good), db=db)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        assert "in use by another program" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    time.sleep(0.2)
    assert cli("load", str(good), db=db).returncode == 0
