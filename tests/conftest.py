"""Shared fixtures; the workbooks themselves come from tests/workbooks.py."""

from __future__ import annotations

import shutil
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
