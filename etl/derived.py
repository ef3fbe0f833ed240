"""Rebuild the derived training tables (etl/derived.sql) from their sources."""

from __future__ import annotations

from pathlib import Path

import duckdb

SQL = Path(__file__).with_name("derived.sql")
TABLES = ("training_worker_year", "training_rollup", "session_communities")


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every derived table (call inside the transaction that changed the sources)."""
    con.execute(SQL.read_text(encoding="utf-8"))


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """Build the derived tables when a warehouse does not have them yet."""
    present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
    if not set(TABLES) <= present:
        refresh(con)
