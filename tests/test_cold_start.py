"""The first page after a start (issue 16, item 4): scripts/serve.py (what scripts/start.sh runs) runs the app once
in the server before any visitor arrives, and the app's first run imports nothing it does not use."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb

from etl import publish

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 90  # the warm-up's run of a fresh install loads the sample workbooks


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=STARTUP_SECONDS) as response:
        return response.read().decode()


def _answers(url: str) -> bool:
    try:
        return _get(url) == "ok"
    except OSError:
        return False


def test_start_runs_the_app_in_the_server_before_any_visitor(tmp_path: Path) -> None:
    """A fresh install started by scripts/serve.py has its sample loaded and published with nobody visiting: only
    the app's own bootstrap (ui.session, called by serve.py before the server listens, then the warm-up's run of the
    overview) does that; the warm-up then runs every other page once, as itself. Nobody else can have the app run
    without a
    session: Streamlit's script health check, which runs it for any caller, is off (even when asked for)."""
    assert "scripts/serve.py" in (ROOT / "scripts" / "start.sh").read_text(encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "DASHBOARD_DB": str(tmp_path / "warehouse.duckdb"), "DASHBOARD_BACKUPS": "0"}
    env.pop("DASHBOARD_NO_SAMPLE", None)
    command = [sys.executable, "scripts/serve.py", "--server.headless=true", "--server.address=127.0.0.1"]
    command += [f"--server.port={port}", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"]
    command += ["--server.scriptHealthCheckEnabled=true"]  # as someone might: serve.py switches it off after it
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        current = tmp_path / "published" / "CURRENT"
        deadline = time.monotonic() + STARTUP_SECONDS
        while not current.exists():
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "nothing published without a visitor:\n" + log.read_text()
            time.sleep(0.2)
        # the bootstrap runs before the server listens (scripts/serve.py, prepare): the server comes up after it
        while not _answers(f"http://127.0.0.1:{port}/_stcore/health"):
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the server did not start:\n" + log.read_text()
            time.sleep(0.2)
        # switched off, the endpoint is not there: the path gets the app's HTML page, as any unknown path does
        # (switched on, it runs the app and answers "ok" or "error" as text)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/script-health-check", timeout=30) as answer:
            kind, body = answer.headers.get_content_type(), answer.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-path", timeout=30) as answer:
            assert body == answer.read().decode()
        assert kind == "text/html" and '<div id="root">' in body and body.strip() not in ("ok", "error")
        assert _get(f"http://127.0.0.1:{port}/_stcore/health") == "ok"  # the server's own health check stays
        assert "warm-up:" not in log.read_text(errors="replace")  # serve.py says so when its run failed
        # then every other page of the dashboard, each run as itself (not the default page), for its first visitor
        while "warmed up in" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline + STARTUP_SECONDS, "the pages were not warmed:\n" + log.read_text()
            time.sleep(0.2)
        warmed = log.read_text(errors="replace").split("the default page, ", 1)[1].splitlines()[0].split(", ")
        pages = {p.stem for p in (ROOT / "pages").glob("*.py")} - {"overview"}  # the navigation's, but the default
        assert sorted(warmed) == sorted(pages), log.read_text(errors="replace")[-3000:]
        assert "warm-up:" not in log.read_text(errors="replace")
        # what the warm-up built is then kept out of the collection Streamlit runs after every visitor's run
        while "set aside from the collector" not in log.read_text(errors="replace"):
            assert process.poll() is None and time.monotonic() < deadline + 2 * STARTUP_SECONDS, log.read_text()
            time.sleep(0.2)
        frozen = re.search(r"(\d+) objects set aside from the collector", log.read_text(errors="replace"))
        assert frozen and int(frozen.group(1)) > 100_000, log.read_text(errors="replace")[-3000:]
    finally:
        process.terminate()
        process.wait(timeout=30)
    version = publish.current_file(tmp_path / "warehouse.duckdb")
    assert version is not None
    with duckdb.connect(str(version), read_only=True) as con:  # the sample's fund, as the overview shows it
        raised = con.execute("SELECT sum(amount_yuan) FROM donations").fetchone()
    assert raised is not None and raised[0] == 650_000


def test_the_first_run_imports_no_spreadsheet_reader(sample_file: Path, tmp_path: Path) -> None:
    """The overview's first run in a fresh process (what a visitor waits for after a start) leaves openpyxl
    (etl.annotate, ≈ 0.1 s) to the downloads and the Data page that use it."""
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    code = """
import json, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=120).run()
assert not at.exception, at.exception
print(json.dumps({"title": at.title[0].value, "loaded": [m for m in ("openpyxl", "etl.annotate") if m in sys.modules]}))
"""
    env = {**os.environ, "DASHBOARD_DB": str(path), "DASHBOARD_LANG": "en"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["title"]  # the overview ran
    assert seen["loaded"] == []


def test_the_date_pattern_knows_every_space_python_knows() -> None:
    """etl.values spells out Python's whitespace for Arrow's RE2 from the characters up to U+3000 (the whole of
    Unicode took 0.15-0.2 s of the first run): no whitespace lies beyond, and every one is in the class."""
    from etl import values

    assert [c for c in range(0x3001, 0x110000) if chr(c).isspace()] == []
    spaces = [c for c in range(0x3001) if chr(c).isspace()]
    assert len(spaces) == 29
    assert all(f"\\x{{{c:x}}}" in values._SPACE for c in spaces)
