"""Where the warehouse lives, opening it, and its schema."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import duckdb

from etl.kinds import KINDS

FILE_MODE = 0o600  # the warehouse holds personal data (names, donors, the audit trail)
DIR_MODE = 0o700

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "warehouse.duckdb"
SCHEMA = Path(__file__).with_name("schema.sql")


class WarehouseLocked(Exception):
    """Another process holds the warehouse file."""


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The warehouse file: the given path, else $DASHBOARD_DB, else data/warehouse.duckdb."""
    return Path(path or os.environ.get("DASHBOARD_DB") or DEFAULT_DB)


def lock_wait() -> float:
    """How long to wait for another process's work on the warehouse ($DASHBOARD_LOCK_WAIT seconds, default 10)."""
    try:
        return max(0.0, float(os.environ.get("DASHBOARD_LOCK_WAIT", "10")))
    except ValueError:
        return 10.0


def connect(path: str | os.PathLike | None = None, wait: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse with its schema applied.

    When another process is working on it (an import, a publish), wait up to `wait` seconds, then raise
    WarehouseLocked: nobody waits without end, and nobody is told "locked" for a moment's work.
    """
    target = db_path(path)
    if not target.parent.exists() or target.parent.resolve() == DEFAULT_DB.parent:
        private_dir(target.parent)  # a folder we create, or data/: owner only
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(str(target))
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLocked(str(target)) from None
            time.sleep(0.1)
    private(target)  # DuckDB creates the file at the umask's mode (usually 0644)
    con.execute("SET enable_progress_bar = false")
    apply_schema(con)
    private(target)
    return con


def private(db_file: Path) -> None:
    """Make the warehouse file and its write-ahead log (when present) readable by their owner only.

    DuckDB creates both itself at the umask's mode and deletes and re-creates the log at each checkpoint, so
    this runs after opening and after each change; the folder (0700 when we made it) covers the moments between.
    """
    for path in (db_file, Path(f"{db_file}.wal")):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path, FILE_MODE)


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed and make it owner-only (0700, whatever the umask)."""
    path.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):  # a folder someone else owns: leave it as it is
        os.chmod(path, DIR_MODE)
    return path


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
