"""The warehouse behind the pages: the working warehouse opened for a run's work, the published versions the
readers read, the run's snapshot and the cached query results."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

import queries
from etl import accounts, db, publish
from i18n import t


@st.cache_resource(show_spinner=False)
def _bootstrap(path: str) -> bool:
    """Once per process: a fresh install gets the sample data (unless DASHBOARD_NO_SAMPLE is set), published by
    its loading (a warehouse that was never published — from before publishing existed — is published as it was
    live; a current version in an older shape is brought to today's)."""
    con = db.connect(path, wait=db.lock_wait())
    try:
        if not os.environ.get("DASHBOARD_NO_SAMPLE"):
            from etl.bootstrap import ensure_sample

            ensure_sample(con)
        publish.ensure_published(con)
    finally:
        con.close()
    return True


def warehouse(path: str) -> duckdb.DuckDBPyConnection:
    """A connection to the working warehouse, opened for a piece of work (an import, an undo, a publish, sign-in
    records, the draft view) and closed when that work is done: between runs the app holds no lock on the file,
    so the CLI can import while the app serves readers (who read published versions). Waits a bounded time for
    another process's work."""
    _bootstrap(path)
    return db.connect(path, wait=db.lock_wait())


# The run's working connection and the cursors handed out on it, per script thread: not in st.session_state, which
# raises StopException again on every access once a run was stopped (st.stop, a rerun request), so a clean-up that
# read it there never closed the file (a failed sign-in left the warehouse locked until that session ran again).
_run = threading.local()


def working() -> duckdb.DuckDBPyConnection:
    """A cursor on the working warehouse for this run, opened on first use and closed when the run ends
    (release_working, called by ui.routing.run after every page run, whatever its outcome)."""
    if getattr(_run, "con", None) is None:
        _run.con, _run.cursors = warehouse(str(db.db_path())), []
    cursor = _run.con.cursor()
    _run.cursors.append(cursor)
    return cursor


def release_working() -> None:
    """Close this run's working connection and every cursor handed out on it: DuckDB keeps the file open (and locked
    against other processes) while any cursor lives, and a cursor can outlive the run in a frame an exception or
    st.stop kept."""
    con, cursors = getattr(_run, "con", None), getattr(_run, "cursors", [])
    _run.con, _run.cursors = None, []
    for cursor in cursors:
        cursor.close()
    if con is not None:
        con.close()


@st.cache_resource(show_spinner=False, max_entries=8)
def _published(version_file: str) -> duckdb.DuckDBPyConnection:
    """A published version, opened read-only (immutable: any number of processes may read it)."""
    return duckdb.connect(version_file, read_only=True)


def published_cursor(version_file: Path) -> duckdb.DuckDBPyConnection:
    """A cursor on a published version (shared read-only connection)."""
    return _published(str(version_file)).cursor()


@st.cache_resource(show_spinner=False)
def _nothing() -> duckdb.DuckDBPyConnection:
    """An empty warehouse in memory: what a run reads while nothing is published (never the unapproved data)."""
    con = duckdb.connect()
    db.apply_schema(con)
    return con


def reader(path: str, lang: str, user: accounts.User | None) -> tuple[str, duckdb.DuckDBPyConnection, bool]:
    """What this run reads: (cache key, cursor, draft), chosen by the one reader (etl.publish.source): the current
    published version; the working data only for analysts and above who switch to the draft view. Reading never
    publishes: imports publish themselves with no accounts, approvers publish with accounts."""
    _bootstrap(path)
    draft = bool(user and user.may("analyst")) and _draft_toggle(lang)
    chosen = publish.source(Path(path), draft=draft)
    if chosen is None:  # nothing published yet: no figures, not the working data
        return NOTHING, _nothing().cursor(), False
    if draft:
        return path, working(), True
    return str(chosen), published_cursor(chosen), False


NOTHING = ":nothing:"  # the source of a run while nothing is published (an empty warehouse in memory)


def version_key(source: str) -> tuple[str, int]:
    """What a public page's cached results are keyed on (pages/ledger.py, pages/proposals.py): the published version
    file a run read (immutable once written; its modification time too, in case a folder is ever reused)."""
    try:
        return source, Path(source).stat().st_mtime_ns
    except OSError:
        return source, 0


@contextmanager
def opened(source: str, path: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on what a run read (its `source`), for work done after the run ended (a download built when it is
    clicked): the published version's shared read-only connection, or the working data through a connection of its
    own, closed when done (a clicked download runs outside any page run, so nothing else would close it)."""
    if source == NOTHING:
        yield _nothing().cursor()
    elif source in ("", path):
        con = db.connect(path, wait=db.lock_wait())
        try:
            yield con
        finally:
            con.close()
    else:
        yield published_cursor(Path(source))


def _draft_toggle(lang: str) -> bool:
    """The sidebar switch between the published figures and the working (draft) data, for analysts and above."""
    return st.sidebar.toggle(t("publish.draft_view", lang), key="draft_view", help=t("publish.draft_help", lang))


@st.cache_data(show_spinner=False, max_entries=1000)
def query(path: str, name: str, params: tuple, version: str, _con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    # `version` names the imports the run's snapshot holds, so a run that started before an import can never
    # leave its older figures in the cache for the runs after it
    return getattr(queries, name)(_con, **dict(params))


def snapshot(con: duckdb.DuckDBPyConnection) -> str:
    """Start the run's read transaction (every query of the run sees the same data) and name its version."""
    con.execute("BEGIN TRANSACTION")
    seq, undone = con.execute(
        "SELECT coalesce(max(seq), 0), count(*) FILTER (WHERE status = 'undone') FROM import_batches"
    ).fetchall()[0]
    return f"{seq}.{undone}"


def working_state(con: duckdb.DuckDBPyConnection) -> str:
    """A name for the working data's state: it changes with every import and undo (what results computed from the
    working data are cached by)."""
    seq, undone, latest = con.execute(
        "SELECT coalesce(max(seq), 0), count(*) FILTER (WHERE status = 'undone'), max(imported_at)::VARCHAR "
        "FROM import_batches"
    ).fetchall()[0]
    return f"{seq}.{undone}.{latest}"


def clear_caches() -> None:
    """Forget every cached query result (call after an import or an undo)."""
    query.clear()
