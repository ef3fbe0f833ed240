"""Rebuild the derived training tables (etl/derived.sql) from their sources, outside the import's transaction.

An import that changes their sources marks them stale (`derived_state`, in its own transaction) and brings them up
to date in a follow-up transaction right after its COMMIT, or leaves that to whoever needs them next: opening the
working warehouse (etl.db.connect) and publishing both refresh stale roll-ups first, so no reader is served them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SQL = Path(__file__).with_name("derived.sql")
TABLES = ("training_worker_year", "training_rollup", "session_communities", "session_attendance")
VERSION = "3"  # bump when derived.sql changes a table's shape


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every derived table and mark them fresh (inside the caller's transaction, if any)."""
    con.execute(SQL.read_text(encoding="utf-8"))
    for table in TABLES:  # the shape version, so an older warehouse gets rebuilt tables on opening
        con.execute(f"COMMENT ON TABLE {table} IS '{VERSION}'")
    _set(con, fresh=True)


def _set(con: duckdb.DuckDBPyConnection, *, fresh: bool) -> None:
    con.execute("DELETE FROM derived_state")
    con.execute("INSERT INTO derived_state VALUES ($f, now()::TIMESTAMP)", {"f": fresh})


def mark_stale(con: duckdb.DuckDBPyConnection) -> None:
    """Record that the sources changed and the derived tables do not follow yet (in the import's transaction)."""
    _set(con, fresh=False)


def is_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the derived tables agree with their sources (a warehouse without the state row: not known)."""
    rows = con.execute("SELECT fresh FROM derived_state").fetchall()
    return bool(rows and rows[0][0])


# Adding attendance rows only adds to the roll-ups; any other change to their sources rebuilds them.
_ADD_ATTENDANCE = """
CREATE OR REPLACE TEMP TABLE new_training AS
SELECT n.worker_id, s.date, s.format, w.community, n.session_id
FROM new_attendance n JOIN training_sessions s USING (session_id) JOIN workers w USING (worker_id);

-- the rows of one new batch: its (session, community, batch) and (session, batch) groups are new
INSERT INTO session_communities
SELECT n.session_id, w.community, n._batch_id, count(*)::BIGINT
FROM new_attendance n JOIN workers w USING (worker_id) GROUP BY ALL;
INSERT INTO session_attendance
SELECT n.session_id, s.date, n._batch_id, count(*)::BIGINT
FROM new_attendance n JOIN training_sessions s USING (session_id) GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE delta AS
SELECT worker_id, year(date)::INTEGER AS year, count(*)::BIGINT AS person_times, min(date) AS first_date
FROM new_training GROUP BY ALL;
UPDATE training_worker_year t SET person_times = t.person_times + d.person_times,
                                  first_date = least(t.first_date, d.first_date)
FROM delta d WHERE t.worker_id = d.worker_id AND t.year = d.year;
INSERT INTO training_worker_year SELECT d.* FROM delta d ANTI JOIN training_worker_year t USING (worker_id, year);

CREATE OR REPLACE TEMP TABLE delta AS
SELECT date_trunc('month', date)::DATE AS month, format, community, count(*)::BIGINT AS person_times
FROM new_training GROUP BY ALL;
UPDATE training_rollup t SET person_times = t.person_times + d.person_times
FROM delta d WHERE t.month = d.month AND t.format IS NOT DISTINCT FROM d.format
                   AND t.community IS NOT DISTINCT FROM d.community;
INSERT INTO training_rollup SELECT d.* FROM delta d
WHERE NOT EXISTS (SELECT 1 FROM training_rollup t WHERE t.month = d.month
                  AND t.format IS NOT DISTINCT FROM d.format AND t.community IS NOT DISTINCT FROM d.community);

DROP TABLE new_training;
DROP TABLE delta;
"""
SOURCES = {"attendance", "training_sessions", "workers"}


def catch_up(con: duckdb.DuckDBPyConnection, changed_kinds: set[str], *, incremental: bool) -> None:
    """Bring stale derived tables up to date in a transaction of their own, after an import's COMMIT.

    New attendance alone (the common, large case) is added incrementally from the temp table `new_attendance`
    when the tables were fresh before that import (`incremental`); anything else rebuilds them.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        if incremental and changed_kinds & SOURCES == {"attendance"}:
            con.execute(_ADD_ATTENDANCE)
            _set(con, fresh=True)
        else:
            refresh(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """Build the derived tables when a warehouse does not have them yet, has an older shape of them, or they are
    stale (an import left them for later, or its follow-up failed): readers are never served them stale."""
    rows = con.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE NOT temporary AND list_contains($t, table_name)",
        {"t": list(TABLES)},
    ).fetchall()
    if {name for name, _ in rows} != set(TABLES) or any(comment != VERSION for _, comment in rows) or not is_fresh(con):
        con.execute("BEGIN TRANSACTION")
        try:
            refresh(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
