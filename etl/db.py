"""Where the warehouse lives, opening it, and its schema."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from etl.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "warehouse.duckdb"
SCHEMA = Path(__file__).with_name("schema.sql")


class WarehouseLocked(Exception):
    """Another process holds the warehouse file."""


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The warehouse file: the given path, else $DASHBOARD_DB, else data/warehouse.duckdb."""
    return Path(path or os.environ.get("DASHBOARD_DB") or DEFAULT_DB)


def connect(path: str | os.PathLike | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse with its schema applied."""
    target = db_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(target))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseLocked(str(target)) from None
        raise
    con.execute("SET enable_progress_bar = false")
    apply_schema(con)
    return con


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table that is missing; history tables mirror their kind's columns."""
    from etl import derived

    con.execute(SCHEMA.read_text(encoding="utf-8"))
    for kind in KINDS:
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {kind}_history AS "
            f"SELECT NULL::VARCHAR AS _batch_id, NULL::VARCHAR AS _action, * FROM {kind} LIMIT 0"
        )
    derived.ensure(con)


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when no import has ever changed the warehouse."""
    return con.execute("SELECT count(*) FROM import_batches").fetchall()[0][0] == 0
