"""Shared fixtures; the workbooks themselves come from tests/workbooks.py."""

from __future__ import annotations

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
