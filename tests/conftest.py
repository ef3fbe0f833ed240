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
