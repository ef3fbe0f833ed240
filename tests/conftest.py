"""Shared fixtures; the workbooks themselves come from tests/workbooks.py. No browser outside the e2e tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Generator
from pathlib import Path

import pytest

from etl import db


@pytest.fixture
def warehouse(tmp_path: Path):
    """A fresh, empty warehouse file."""
    con = db.connect(tmp_path / "warehouse.duckdb")
    yield con
    con.close()


@pytest.fixture(autouse=True)
def no_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test starts with no accounts file (the app runs open) unless it writes one at this path."""
    from etl import accounts

    path = tmp_path / "accounts.json"
    monkeypatch.delenv("DASHBOARD_ACCOUNTS", raising=False)  # set but missing would mean "locked", not open
    monkeypatch.setattr(accounts, "default_path", lambda: path)
    monkeypatch.delenv("DASHBOARD_PUBLIC", raising=False)
    return path


@pytest.fixture(scope="session")
def sample_file(tmp_path_factory) -> Path:
    """The sample warehouse, built once per test session; tests copy it rather than change it."""
    from etl.bootstrap import ensure_sample

    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    con = db.connect(path)
    assert ensure_sample(con)
    con.close()
    return path


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch):
    """The app's process state for one test, in English: Streamlit's caches (connections, query results) cleared
    before and after; the monkeypatch is yielded for the test to set the app's environment."""
    import streamlit as st

    monkeypatch.setenv("DASHBOARD_LANG", "en")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield monkeypatch
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def empty_app(app_env: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The app on an empty warehouse of its own (no sample loaded), in English."""
    path = tmp_path / "w.duckdb"
    app_env.setenv("DASHBOARD_DB", str(path))
    app_env.setenv("DASHBOARD_NO_SAMPLE", "1")
    return path


@pytest.fixture
def sample_app(app_env: pytest.MonkeyPatch, sample_file: Path, tmp_path: Path) -> Path:
    """The app on a copy of the sample warehouse, in English."""
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    app_env.delenv("DASHBOARD_NO_SAMPLE", raising=False)
    app_env.setenv("DASHBOARD_DB", str(path))
    return path


@pytest.fixture
def sample_con(sample_file: Path, tmp_path: Path):
    """A connection to a copy of the sample warehouse (the test may change it)."""
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    con = db.connect(path)
    yield con
    con.close()


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str, object]]:
    """What the download buttons of a page run registered with Streamlit's media manager, by deferred file id:
    (file name, the callable that makes the file only when it is asked for)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    registered: dict[str, tuple[str, object]] = {}
    original = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        file_id = original(self, data_callable, mimetype, coordinates, file_name, **kwargs)
        registered[file_id] = (file_name, data_callable)
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return registered


# --- no browser outside the e2e tests: `pytest -m "not e2e"` (the fast loop) never starts Chromium
#
# Every test not marked e2e (tests/e2e/conftest.py marks everything in that folder) runs with the browsers refused:
# a Playwright launch and a Chromium started from this process raise, and a chromium found on PATH (what
# presenter.report.chromium looks for, in this process and in the command-line processes a test starts) is a stub
# that fails. Either way the test fails, saying so: a test that prints a PDF or drives a page goes in tests/e2e or is
# marked @pytest.mark.e2e.

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")  # presenter.report.BROWSERS
NO_BROWSER = "a test not marked e2e started a browser: move it to tests/e2e or mark it @pytest.mark.e2e"


class BrowserOutsideE2E(AssertionError):
    pass


def _stubs() -> Path:
    """A folder of stub browsers (made once per run): each leaves a mark in the folder and fails."""
    folder = Path(tempfile.mkdtemp(prefix="no-browser-"))
    for name in BROWSERS:
        stub = folder / name
        stub.write_text(f'#!/bin/sh\necho "$0" >> "{folder}/started"\necho "{NO_BROWSER}" >&2\nexit 3\n')
        stub.chmod(0o755)
    return folder


def _started(folder: Path) -> str | None:
    """The stub browsers started since the last look, if any."""
    mark = folder / "started"
    if not mark.exists():
        return None
    text = mark.read_text()
    mark.unlink()
    return text.strip()


_STUBS = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STUBS] = _stubs()


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(config.stash.get(_STUBS, None) or "", ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    """Around a test not marked e2e (its fixtures' setup and teardown included): no browser."""
    if item.get_closest_marker("e2e"):
        return (yield)
    stubs = item.config.stash[_STUBS]

    def refused(*args, **kwargs):
        raise BrowserOutsideE2E(NO_BROWSER)

    popen = subprocess.Popen.__init__

    def no_browser_popen(self, args, *rest, **kwargs):
        program = args if isinstance(args, str | bytes | os.PathLike) else args[0]
        if not kwargs.get("shell") and Path(os.fsdecode(program)).name in BROWSERS:
            raise BrowserOutsideE2E(f"{NO_BROWSER} ({os.fsdecode(program)})")
        popen(self, args, *rest, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{stubs}{os.pathsep}{os.environ.get('PATH', '')}")
        patch.setattr(subprocess.Popen, "__init__", no_browser_popen)
        try:
            from playwright.sync_api import BrowserType
        except ImportError:
            pass
        else:
            for launch in ("launch", "launch_persistent_context"):
                patch.setattr(BrowserType, launch, refused)
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A stub browser started by a test not marked e2e (in a process of its own) fails the test."""
    report = yield
    started = None if item.get_closest_marker("e2e") else _started(item.config.stash[_STUBS])
    if started and report.passed:
        report.outcome = "failed"
        report.longrepr = f"{NO_BROWSER}: {started}"
    return report
