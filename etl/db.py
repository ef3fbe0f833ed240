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


# Catalogues (see _catalogue) seen right after apply_schema ran in full, in this process: a warehouse whose catalogue
# is one of them is in today's shape already, and only the derived tables' freshness is looked at.
_APPLIED: set[str] = set()


def _catalogue(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of the warehouse's catalogue: every table (with its comment), column and type, sequence and view."""
    return con.execute(
        """
        SELECT md5(coalesce(string_agg(item, chr(10) ORDER BY item), '')) FROM (
            SELECT 'c ' || table_name || '.' || column_name || ' ' || data_type AS item FROM duckdb_columns()
            WHERE database_name = current_database()
            UNION ALL SELECT 't ' || schema_name || '.' || table_name || ' ' || coalesce(comment, '')
            FROM duckdb_tables() WHERE database_name = current_database()
            UNION ALL SELECT 's ' || schema_name || '.' || sequence_name FROM duckdb_sequences()
            WHERE database_name = current_database()
            UNION ALL SELECT 'v ' || schema_name || '.' || view_name FROM duckdb_views()
            WHERE database_name = current_database() AND NOT internal
        )
        """
    ).fetchall()[0][0]


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table that is missing and bring an older warehouse's tables to today's shape; history tables
    mirror their kind's columns. A warehouse whose catalogue is one this process saw right after doing all that is
    in today's shape: only its derived tables' freshness is looked at (each opening of the working warehouse, e.g.
    every run of the Data page, saved ≈ 0.1 s)."""
    from etl import derived

    if _APPLIED and _catalogue(con) in _APPLIED:
        derived.ensure(con)
        return
    con.execute(SCHEMA.read_text(encoding="utf-8"))
    migrate_batch_ids(con)
    for name, kind in KINDS.items():
        columns = ", ".join(f'"{c}"' for c in kind.column_names)
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {name}_history AS SELECT NULL::VARCHAR AS _batch_id, "
            f"NULL::VARCHAR AS _action, {columns}, NULL::VARCHAR AS _prev_batch_id FROM {name} LIMIT 0"
        )
    _add_history_columns(con)
    derived.ensure(con)
    _APPLIED.add(_catalogue(con))


def _add_history_columns(con: duckdb.DuckDBPyConnection) -> None:
    """A column a kind gained after its history table was made (metadata's names) is added to the history too, of
    the type its table gives it."""
    missing = con.execute(
        """
        SELECT t.table_name, t.column_name, t.data_type FROM duckdb_columns() t
        WHERE t.database_name = current_database() AND t.schema_name = 'main'
          AND list_contains($kinds, t.table_name) AND NOT starts_with(t.column_name, '_')
          AND NOT EXISTS (SELECT 1 FROM duckdb_columns() h
                          WHERE h.database_name = t.database_name AND h.schema_name = 'main'
                            AND h.table_name = t.table_name || '_history' AND h.column_name = t.column_name)
        """,
        {"kinds": list(KINDS)},
    ).fetchall()
    for table, column, sql_type in missing:
        con.execute(f'ALTER TABLE {table}_history ADD COLUMN "{column}" {sql_type}')


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' "
            "AND table_name = $t AND column_name = $c",
            {"t": table, "c": column},
        ).fetchall()[0][0]
    )


def migrate_batch_ids(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse from before rows carried their batch: each kind's rows get `_batch_id` (the latest loaded batch
    that inserted or changed them, from `<kind>_history`), each kept replaced row the batch it came from
    (`_prev_batch_id`, so undo restores it), and the per-row copies of inserts leave the history. One transaction."""
    old = [name for name in KINDS if not _has_column(con, name, "_batch_id")]
    if not old:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        for name in old:
            kind = KINDS[name]
            con.execute(f"ALTER TABLE {name} ADD COLUMN _batch_id VARCHAR")
            if not _has_column(con, f"{name}_history", "_action"):
                continue  # no history table yet: apply_schema creates it in today's shape
            if not _has_column(con, f"{name}_history", "_prev_batch_id"):
                con.execute(f"ALTER TABLE {name}_history ADD COLUMN _prev_batch_id VARCHAR")
            keys = ", ".join(f'"{k}"' for k in kind.key)
            on = " AND ".join(f'h."{k}" = t."{k}"' for k in kind.key)
            # The loaded batches that inserted or changed each row, in import order: the row now carries the last
            # of them, and an update replaced what the batch before it had written.
            con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE batch_trail AS
                SELECT {keys}, _batch_id, lag(_batch_id) OVER (PARTITION BY {keys} ORDER BY seq) AS prev,
                       seq = max(seq) OVER (PARTITION BY {keys}) AS last
                FROM (SELECT DISTINCT {", ".join(f'h."{k}"' for k in kind.key)}, h._batch_id, b.seq
                      FROM {name}_history h JOIN import_batches b ON b.batch_id = h._batch_id AND b.status = 'loaded')
                """
            )
            con.execute(
                f"UPDATE {name} AS t SET _batch_id = h._batch_id FROM (SELECT * FROM batch_trail WHERE last) h "
                f"WHERE {on}"
            )
            con.execute(
                f"UPDATE {name}_history AS t SET _prev_batch_id = h.prev FROM batch_trail h "
                f"WHERE t._action = 'update' AND t._batch_id = h._batch_id AND {on}"
            )
            con.execute(f"DELETE FROM {name}_history WHERE _action = 'insert'")
            con.execute("DROP TABLE batch_trail")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when no import has ever changed the warehouse."""
    return con.execute("SELECT count(*) FROM import_batches").fetchall()[0][0] == 0
