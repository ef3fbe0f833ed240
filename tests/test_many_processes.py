"""Many processes, one truth (issue 15): app processes read the current published version while another process
imports and publishes; a killed publish leaves the previous version current and readable.

The readers here are plain processes doing what every page run does (publish.current_file, a read-only open,
queries.kpis), many times a second, not browsers: what is tested is the file protocol the pages rely on. They read
from before the first publish until after the last one, however long that takes: the test waits for each event,
never for a fixed time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from workbooks import workbook_bytes

from etl import db, publish
from etl.load import PAUSE_ENV, import_file

ROOT = Path(__file__).resolve().parent.parent

READER = r"""
import json, sys, time
from pathlib import Path
import duckdb
import queries
from etl import publish
db_file, out, ready, stop = (Path(arg) for arg in sys.argv[1:5])
seen, errors, deadline = [], [], time.monotonic() + 600  # a guard against hanging, not a measurement
while time.monotonic() < deadline:
    stopping = stop.exists()  # one more run once told to stop: it reads what the last publish left
    try:
        version = publish.current_file(db_file)
        con = duckdb.connect(str(version), read_only=True)  # what a page run opens
        con.execute("BEGIN TRANSACTION")
        name = con.execute("SELECT version FROM publication").fetchone()[0]
        raised = float(queries.kpis(con, year=2023).set_index("metric").at["fund_raised", "value"])
        again = con.execute("SELECT version FROM publication").fetchone()[0]
        con.close()
        seen.append([name, again, raised])
        if not ready.exists():
            ready.write_text(name)  # the first version this reader read
    except Exception as exc:  # a failure to open or read: recorded, never expected
        errors.append(repr(exc))
    if stopping:
        break
out.write_text(json.dumps({"seen": seen, "errors": errors}))
"""

PUBLISHER = r"""
import sys
from pathlib import Path
from etl import db, publish
from etl.load import import_file
from workbooks import workbook_bytes
db_file = Path(sys.argv[1])
for i in range(1, 6):
    con = db.connect(db_file, wait=30)
    rows = [["捐赠编号", "捐赠日期", "金额(元)"], [f"MP-{i}", "2023-12-01", 10000]]
    import_file(con, workbook_bytes({"捐赠": rows}), f"d{i}.xlsx", user="ann")
    publish.publish(con, "abe")
    con.close()
print("done")
"""


def test_readers_in_three_processes_see_whole_versions_while_a_fourth_publishes(sample_file, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    con = db.connect(path)
    publish.ensure_published(con)
    con.close()
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}", "DASHBOARD_DB": str(path)}
    stop = tmp_path / "stop"
    ready = [tmp_path / f"r{i}.ready" for i in range(3)]
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(path), str(tmp_path / f"r{i}.json"), str(ready[i]), str(stop)],
            cwd=ROOT,
            env=env,
        )
        for i in range(3)
    ]
    deadline = time.monotonic() + 120  # a guard against hanging, not a measurement
    while not all(r.exists() for r in ready):  # every reader has read once
        assert all(r.poll() is None for r in readers), "a reader ended before it read"
        assert time.monotonic() < deadline, "the readers never read"
        time.sleep(0.05)
    assert [r.read_text() for r in ready] == ["v000001"] * 3  # the readers are reading version 1
    try:
        writer = subprocess.run(
            [sys.executable, "-c", PUBLISHER, str(path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
    finally:
        stop.touch()  # read once more, then stop
    assert writer.returncode == 0, writer.stderr
    for reader in readers:
        assert reader.wait(timeout=300) == 0
    expected = {f"v{n:06d}": 650_000 + 10_000 * (n - 1) for n in range(1, 7)}  # each version's fund raised
    for i in range(3):
        result = json.loads((tmp_path / f"r{i}.json").read_text())
        assert result["errors"] == [], result["errors"][:3]  # never a failure to open or read
        assert result["seen"], "the reader read nothing"
        for first, last, raised in result["seen"]:
            assert first == last and expected[first] == raised  # one whole version per run, never a mix
        assert result["seen"][-1][0] == "v000006"  # the last publish is what a run after it reads


KILLER = r"""
import sys
from pathlib import Path
from etl import db, publish
con = db.connect(Path(sys.argv[1]))
publish.publish(con, "abe")
print("published")
"""


def test_a_publish_killed_midway_leaves_the_previous_version_current_and_readable(sample_file, tmp_path):
    for point in ("publish_copied", "publish_recorded"):
        folder = tmp_path / point
        folder.mkdir()
        path = folder / "w.duckdb"
        shutil.copy(sample_file, path)
        con = db.connect(path)
        publish.ensure_published(con)
        import_file(
            con, workbook_bytes({"捐赠": [["捐赠编号", "捐赠日期", "金额(元)"], ["K-1", "2023-12-01", 1]]}), "k"
        )
        con.close()
        marker = folder / "paused"
        env = {**os.environ, "PYTHONPATH": str(ROOT), PAUSE_ENV: f"{point}:{marker}"}
        child = subprocess.Popen([sys.executable, "-c", KILLER, str(path)], cwd=ROOT, env=env, stdout=subprocess.PIPE)
        deadline = time.monotonic() + 120  # a guard against hanging, not a measurement
        while not marker.exists():
            assert child.poll() is None and time.monotonic() < deadline, "the publish never reached the point"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert publish.current(path) == "v000001", point  # the previous version stays current ...
        with duckdb.connect(str(publish.current_file(path)), read_only=True) as reader:  # ... and readable
            assert reader.execute("SELECT sum(amount_yuan) FROM donations").fetchone()[0] == 650_000
        con = db.connect(path)
        again = publish.publish(con, "abe")  # and the next publish works
        con.close()
        assert publish.current(path) == again.version
