"""Validated rows -> the warehouse: one transaction per file, batches, row history and undo."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

import i18n
from etl import audit, backup, derived, guard
from etl.checks import totals
from etl.kinds import KINDS, LOAD_ORDER, Kind
from etl.read import Reading
from etl.validate import STORED, Problem, Report, check_across, check_sheets
from i18n import t

# One import at a time per process: the app's sessions share a connection.
IMPORT_LOCK = threading.RLock()  # re-entrant: a rejection holds it across the undos it makes

# Test-only: "POINT:MARKER" makes an import that reaches POINT (after_begin, mid_upsert, before_commit,
# after_commit) write MARKER and sleep, so a test can kill the process exactly there.
PAUSE_ENV = "DASHBOARD_TEST_PAUSE_AT"

# The key of a warning about work after a COMMIT that failed (the change stands; see _after_commit).
AFTER_COMMIT = "after_commit.failed"

# progress(stage, done, total): stage is "read", "check" or "load", in that order; done and total count rows.
Progress = Callable[[str, int, int], None]


@dataclass
class FileResult:
    """What happened to one file: loaded | unchanged | rejected | valid (a dry run that passed)."""

    file: str
    status: str
    batch_id: str | None = None
    sheets: list[dict] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    report: Report | None = None
    before: dict = field(default_factory=dict)  # etl.checks.totals before and after the change
    after: dict = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {k: sum(s[k] for s in self.sheets) for k in ("inserted", "updated", "unchanged")}

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "status": self.status,
            "batch_id": self.batch_id,
            "sheets": self.sheets,
            "errors": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
        }

    @property
    def after_commit(self) -> list[Problem]:
        """Warnings about work after the COMMIT (backup, checkpoint) that failed: the batch is in regardless."""
        return [w for w in self.warnings if w.key == AFTER_COMMIT]


class UndoRefused(Exception):
    """The batch cannot be undone (not the latest, or already undone, or unknown).

    Carries an i18n key and its params; message(lang) is the text for people, str() the English one for logs.
    """

    def __init__(self, key: str, **params: object):
        self.key, self.params = key, params
        super().__init__(t(key, "en", **params))

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


class Effects(dict[str, dict[str, int]]):
    """What undo did, {kind: {"removed": n, "restored": n}}, plus warnings about work after its COMMIT."""

    warnings: list[Problem]

    def __init__(self, effects: dict[str, dict[str, int]], warnings: list[Problem]):
        super().__init__(effects)
        self.warnings = warnings


def _pause(point: str) -> None:
    """Test hook (PAUSE_ENV): stop here so a test can kill the process at a known point of an import."""
    spec = os.environ.get(PAUSE_ENV)
    if not spec:
        return
    name, _, marker = spec.partition(":")
    if name == point:
        with open(marker, "w", encoding="utf-8") as out:
            out.write(point)
        time.sleep(3600)


def _after_commit(con: duckdb.DuckDBPyConnection, user: str, batch_id: str, file: str, steps) -> list[Problem]:
    """Run best-effort work after a COMMIT; a failure becomes a warning (returned, and in the audit trail)."""
    warnings = []
    for step, work in steps:
        try:
            work()
        except Exception as exc:  # the change is committed: report, never raise
            detail = f"{type(exc).__name__}: {exc}"[:300]
            label = {lang: t(f"after_commit.step.{step}", lang) for lang in i18n.LANGUAGES}
            params = {"batch": batch_id, "step": label, "detail": detail}
            warnings.append(Problem(key=AFTER_COMMIT, params=params))
            with contextlib.suppress(Exception):  # unrecorded, the warning still reaches the caller
                audit.record(con, user, "warning", batch_id=batch_id, file=file, step=step, error=detail)
    return warnings


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall())


def _stored_keys(con: duckdb.DuckDBPyConnection):
    def keys(kind: str) -> pd.Series:
        if "." in kind:  # a column of the stored rows, by their key (etl.validate.lookup: "projects.program")
            table, column = kind.split(".")
            key = KINDS[table].key[0]
            got = con.execute(f'SELECT "{key}", "{column}" FROM {table}').fetchnumpy()
            return pd.Series(got[column], index=pd.Index(got[key], dtype="string"), dtype="string")
        key = KINDS[kind].key[0]
        return pd.Series(con.execute(f"SELECT {key} FROM {kind}").fetchnumpy()[key], dtype="string")

    return keys


def _refused(file_name: str, exc: guard.FileRefused) -> FileResult:
    return FileResult(file_name, "rejected", errors=[Problem(key=exc.key, params=exc.params)])


def check_file(
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    file_name: str,
    progress: Progress | None = None,
    reading: Reading | None = None,
) -> FileResult:
    """Guard, read and validate a file against the warehouse; writes nothing (`progress`, `reading`: see
    import_file)."""
    result, rows = _check_sheets(data, file_name, progress, reading)
    if result.report is not None:
        _check_across(result, _stored_keys(con))
        if progress:
            progress("check", rows, rows)
    return result


def _check_sheets(
    data: bytes, file_name: str, progress: Progress | None, reading: Reading | None
) -> tuple[FileResult, int]:
    """check_file's first half: guard, read and check each sheet on its own. The result is rejected (refused, no
    report) or "checking" until _check_across gives the verdict; with the rows read."""
    # The reader waits for the guard (inside Reading): a file of 9 KB with cells at A1 and XFD1048576 makes it
    # allocate 512 GB, which aborts the process.
    if reading is None:
        reading = Reading(data)
    elif reading.data is not data:
        raise ValueError("the Reading given was started on other bytes than the file's")
    try:
        raw, report = reading.read_then(check_sheets)  # perhaps begun by the caller (Reading.then)
    except guard.FileRefused as exc:  # the guard's refusals and the reader's UnreadableWorkbook
        return _refused(file_name, exc), 0
    rows = sum(len(sheet.cells) for sheet in raw)
    if progress:
        progress("read", rows, rows)
        progress("check", 0, rows)
    return FileResult(file_name, "checking", report=report), rows


def _check_across(result: FileResult, stored_keys: Callable[[str], pd.Series]) -> FileResult:
    """check_file's second half (etl.validate.check_across), and the verdict."""
    report = result.report
    assert report is not None  # _check_sheets read the file
    check_across(report, stored_keys)
    result.status = "rejected" if report.errors else "valid"
    result.errors, result.warnings = report.errors, report.warnings
    return result


class _Across:
    """_check_across in a thread of its own, beside the load of the first sheet (the checks only read the frames;
    pandas, Arrow and DuckDB release the GIL): if they find a problem, the transaction is rolled back. The
    warehouse's keys are read first, here: the connection is the load's meanwhile."""

    def __init__(self, con: duckdb.DuckDBPyConnection, result: FileResult) -> None:
        keys = _stored_keys(con)
        stored = {kind: keys(kind) for kind in STORED}
        self._done: Future[FileResult] = Future()
        self.result = result
        threading.Thread(target=self._run, args=(stored,), name="checks", daemon=True).start()

    def _run(self, stored: dict[str, pd.Series]) -> None:
        try:
            self._done.set_result(_check_across(self.result, stored.__getitem__))
        except BaseException as exc:  # a bug: raised in the importing thread
            self._done.set_exception(exc)

    def verdict(self) -> FileResult:
        return self._done.result()


class _Rejected(Exception):
    """The checks beside the load found problems: the transaction is rolled back."""


def _upsert(
    con: duckdb.DuckDBPyConnection, kind: Kind, frame: pd.DataFrame, batch_id: str, keep_new: bool = True
) -> dict[str, int]:
    """Insert new keys, update changed rows (present columns only), keep what they replaced."""
    table = kind.name
    types = _columns(con, table)
    present = [c for c in kind.column_names if c in frame]
    key = list(kind.key)
    casts = ", ".join(f'CAST("{c}" AS {types[c]}) AS "{c}"' for c in present)
    con.register("incoming", frame[present])
    # the rows as the table types them, read from the frame where used (materialised, they cost 50 ms a million)
    incoming = f"(SELECT {casts} FROM incoming)"
    on = " AND ".join(f's."{k}" = t."{k}"' for k in key)
    values = [c for c in present if c not in key]
    updated = 0
    if values:  # a table of keys alone (attendance) has nothing to update
        differs = " OR ".join(f's."{c}" IS DISTINCT FROM t."{c}"' for c in values)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE changed AS SELECT s.* FROM {incoming} s JOIN {table} t ON {on} "
            f"WHERE {differs}"
        )
        updated = _one(con.execute("SELECT count(*) FROM changed"))
        if updated:  # history keeps the replaced row and the batch it came from; the row now carries this batch
            columns = ", ".join(f'"{c}"' for c in kind.column_names)
            replaced = ", ".join(f't."{c}"' for c in kind.column_names)
            con.execute(
                f"INSERT INTO {table}_history (_batch_id, _action, {columns}, _prev_batch_id) "
                f"SELECT $b, 'update', {replaced}, t._batch_id FROM {table} t SEMI JOIN changed s ON {on}",
                {"b": batch_id},
            )
            assignments = ", ".join(f'"{c}" = s."{c}"' for c in values)
            con.execute(
                f"UPDATE {table} AS t SET {assignments}, _batch_id = $b FROM changed s WHERE {on}", {"b": batch_id}
            )
        con.execute("DROP TABLE changed")
    # the new keys (the updated ones are in the table by now), each row carrying its batch: undo deletes the
    # batch's rows, no copy in the history; the INSERT's result is the count of rows it inserted
    defaults = {c.name: c.default for c in kind.columns if c.default is not None and c.name not in present}
    names = [*present, *defaults, "_batch_id"]
    selects = [f's."{c}"' for c in present] + [f"${c}" for c in defaults] + ["$_batch"]
    inserted = _one(
        con.execute(
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(selects)} FROM {incoming} s "
            f"ANTI JOIN {table} t ON {on}",
            {**defaults, "_batch": batch_id},
        )
    )
    con.unregister("incoming")
    if table == "attendance" and inserted and keep_new:  # kept for the derived tables' incremental update
        con.execute(
            "INSERT INTO new_attendance SELECT session_id, worker_id, _batch_id FROM attendance WHERE _batch_id = $b",
            {"b": batch_id},
        )
    return {"rows": len(frame), "inserted": inserted, "updated": updated, "unchanged": len(frame) - inserted - updated}


def _one(result: duckdb.DuckDBPyConnection) -> Any:
    """The value of a statement that returns one row of one value (an aggregate, or the rows a DML changed)."""
    row = result.fetchone()
    assert row is not None  # such statements always return their row
    return row[0]


def _next_batch(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """The next batch's number and id, after every batch this warehouse or a version published from it ever held:
    after a restore, a batch id the published figures know is never given to another import."""
    seq = _one(
        con.execute(
            "SELECT greatest((SELECT coalesce(max(seq), 0) FROM import_batches), "
            "(SELECT coalesce(max(batch_seq), 0) FROM published_versions)) + 1"
        )
    )
    return seq, f"B{seq:05d}"


def import_file(
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    file_name: str,
    *,
    user: str | None = None,
    claimed_user: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    roll_ups: bool = True,
    reading: Reading | None = None,
) -> FileResult:
    """Check a file and, unless it has errors or this is a dry run, load it in one transaction.

    `progress(stage, done, total)`, when given, is called as the work advances: stage is "read", then "check",
    then "load" (each at least once, in that order; "load" only when the file is valid), done and total count the
    rows of the workbook's sheets, and done == total when a stage ends. It runs in the importing thread.
    The derived training tables are marked stale in the import's transaction and brought up to date in a
    transaction of their own after its COMMIT; `roll_ups=False` leaves that to the next opening of the warehouse
    or the next publish (a command-line load of many files, or of one that nobody reads at once).
    `reading`: the file's etl.read.Reading (guard, then read), when the caller started it earlier for these same
    bytes, e.g. before importing pandas and DuckDB (the command line's `load`); default: started here.

    `user` is who is acting as far as this program knows (the signed-in account; default the operating-system
    user); `claimed_user` a name someone typed (`load --user`), recorded beside it, never instead of it.
    Everything that must hold for the batch (rows, batch, audit row, the kept raw file) is done before the
    COMMIT; what follows it (backup, checkpoint) is best effort, and a failure there is a warning.
    """
    user = user or _user()
    digest = hashlib.sha256(data).hexdigest()
    with IMPORT_LOCK:
        if progress:
            progress("read", 0, 0)
        result, rows = _check_sheets(data, file_name, progress, reading)
        report = result.report
        if report is None:  # refused
            return _rejected(con, user, claimed_user, file_name, digest, result, dry_run)
        if report.errors:  # a sheet's own errors: the rest is checked too, and nothing is loaded
            _check_across(result, _stored_keys(con))
            if progress:
                progress("check", rows, rows)
            return _rejected(con, user, claimed_user, file_name, digest, result, dry_run)
        # the checks across sheets, beside the load of the first sheet: if they find a problem, it is rolled back
        across: _Across | None = _Across(con, result)
        total = sum(len(sheet.frame) for sheet in report.sheets)
        done = 0

        def checked() -> None:
            """Wait for the checks beside the load; go on (saying so) or reject."""
            nonlocal across
            if across is None:
                return
            verdict, across = across.verdict(), None
            if progress:
                progress("check", rows, rows)
            if verdict.status == "rejected":
                raise _Rejected
            if progress:
                progress("load", 0, total)

        batch_id, stored = None, None
        con.execute("BEGIN TRANSACTION")
        try:
            _pause("after_begin")
            result.before = totals(con)
            was_fresh = derived.is_fresh(con)
            con.execute(
                "CREATE OR REPLACE TEMP TABLE new_attendance (session_id VARCHAR, worker_id VARCHAR, _batch_id VARCHAR)"
            )
            seq, batch_id = _next_batch(con)
            sheets: list[dict[str, Any]] = []
            for kind_name in LOAD_ORDER:
                for sheet in report.frames(kind_name):
                    try:
                        counts = _upsert(con, KINDS[kind_name], sheet.frame, batch_id, keep_new=roll_ups and was_fresh)
                    except duckdb.Error:  # e.g. a key the file repeats: the checks say where, if they find it
                        checked()
                        raise
                    checked()  # the first sheet was loaded beside the checks
                    sheets.append({"sheet": sheet.sheet, "kind": kind_name, **counts})
                    done += len(sheet.frame)
                    if progress:
                        progress("load", done, total)
                    _pause("mid_upsert")
            checked()
            result.sheets = sheets
            changed = sum(s["inserted"] + s["updated"] for s in sheets)
            changed_kinds = {s["kind"] for s in sheets if s["inserted"] + s["updated"]}
            if changed_kinds & derived.SOURCES and not dry_run:
                derived.mark_stale(con)
            result.after = totals(con)
            if dry_run or not changed:
                con.execute("ROLLBACK")
                result.status = "valid" if dry_run else "unchanged"
                return result
            counts = result.counts
            con.execute(
                "INSERT INTO import_batches (batch_id, seq, imported_at, user_name, file_name, file_hash, inserted, "
                "updated, unchanged, sheets, status, undone_at) "
                "VALUES ($id, $seq, $at, $user, $file, $hash, $ins, $upd, $unc, $sheets, 'loaded', NULL)",
                {
                    "id": batch_id,
                    "seq": seq,
                    "at": datetime.now().replace(microsecond=0),
                    "user": user,
                    "file": file_name,
                    "hash": digest,
                    "ins": counts["inserted"],
                    "upd": counts["updated"],
                    "unc": counts["unchanged"],
                    "sheets": json.dumps(sheets, ensure_ascii=False),
                },
            )
            claim = {}
            if claimed_user:
                claim = {"claimed_user": claimed_user}
                con.execute("INSERT INTO batch_claims VALUES ($b, $c)", {"b": batch_id, "c": claimed_user})
            audit.record(con, user, "import", batch_id=batch_id, file=file_name, **counts, **claim)
            # The raw file is kept before the COMMIT: if it cannot be, the import fails and changes nothing.
            stored = backup.keep_upload(con, batch_id, file_name, data, user, claimed_user, digest)
            _pause("before_commit")
            con.execute("COMMIT")
        except _Rejected:
            _rollback(con)
            return _rejected(con, user, claimed_user, file_name, digest, result, dry_run)
        except BaseException:
            _rollback(con)
            if stored is not None and batch_id is not None:
                backup.forget_upload(con, batch_id, stored)
            raise
        result.status, result.batch_id = "loaded", batch_id
        _pause("after_commit")
        steps = []
        if roll_ups and changed_kinds & derived.SOURCES:
            steps.append(("roll_ups", lambda: derived.catch_up(con, changed_kinds, incremental=was_fresh)))
        steps.append(("backup", lambda: _backup(con, batch_id)))
        result.warnings = result.warnings + _after_commit(con, user, batch_id, file_name, steps)
        return result


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction (a COMMIT that failed has already ended it)."""
    with contextlib.suppress(duckdb.TransactionException):
        con.execute("ROLLBACK")


def _backup(con: duckdb.DuckDBPyConnection, label: str) -> None:
    """Checkpoint and copy the warehouse to backups/, and keep its files owner-only."""
    db_file = backup.file_of(con)
    if db_file is not None:
        from etl.db import private

        private(db_file)
    backup.snapshot(con, label)


def _rejected(
    con: duckdb.DuckDBPyConnection,
    user: str,
    claimed_user: str | None,
    file_name: str,
    digest: str,
    result: FileResult,
    dry_run: bool,
) -> FileResult:
    """The rejected result. A refused import changes no data, but the attempt is in the audit trail (a dry run's
    is not)."""
    if dry_run:
        return result
    details: dict[str, object] = {"file": file_name, "hash": digest, "errors": len(result.errors)}
    if result.report is None and result.errors:  # refused before reading: say why
        details["reason"] = result.errors[0].key
        if result.errors[0].params:
            details["reason_params"] = result.errors[0].params
    if claimed_user:
        details["claimed_user"] = claimed_user
    audit.record(con, user, "import_rejected", **details)
    return result


def _user() -> str:
    return audit.os_user()


def history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every batch, newest first (claimed_user: the name given with `load --user`, else empty)."""
    return con.execute(
        "SELECT b.batch_id, imported_at, user_name, file_name, inserted, updated, unchanged, status, undone_at, "
        "file_hash, sheets, c.claimed_user FROM import_batches b LEFT JOIN batch_claims c USING (batch_id) "
        "ORDER BY seq DESC"
    ).df()


def latest_batch(con: duckdb.DuckDBPyConnection) -> str | None:
    """The batch that undo would remove next."""
    # fetchall, not fetchone: an unfinished result keeps its transaction open, which blocks CHECKPOINT
    rows = con.execute(
        "SELECT batch_id FROM import_batches WHERE status = 'loaded' ORDER BY seq DESC LIMIT 1"
    ).fetchall()
    return rows[0][0] if rows else None


def _refuse(con: duckdb.DuckDBPyConnection, user: str, batch_id: str, key: str, **params: object) -> UndoRefused:
    """Record a refused undo in the audit trail and return the exception to raise."""
    audit.record(con, user, "undo_refused", batch_id=batch_id, reason=key, **params)
    return UndoRefused(key, batch=batch_id, **params)


def undo(con: duckdb.DuckDBPyConnection, batch_id: str, *, user: str | None = None) -> Effects:
    """Undo the latest loaded batch exactly; returns {kind: {"removed": n, "restored": n}} (with .warnings)."""
    user = user or _user()
    with IMPORT_LOCK:
        latest = latest_batch(con)
        if latest is None:
            raise _refuse(con, user, batch_id, "undo.refused.nothing")
        if batch_id != latest:
            rows = con.execute("SELECT status FROM import_batches WHERE batch_id = $b", {"b": batch_id}).fetchall()
            if not rows:
                raise _refuse(con, user, batch_id, "undo.refused.unknown")
            if rows[0][0] == "undone":
                raise _refuse(con, user, batch_id, "undo.refused.undone")
            raise _refuse(con, user, batch_id, "undo.refused.not_latest", latest=latest)
        effects: dict[str, dict[str, int]] = {}
        con.execute("BEGIN TRANSACTION")
        try:
            for kind_name in reversed(LOAD_ORDER):
                kind = KINDS[kind_name]
                table, key = kind.name, list(kind.key)
                on = " AND ".join(f'h."{k}" = t."{k}"' for k in key)
                params = {"b": batch_id}
                # Rows the batch changed get back what it replaced, and the batch they came from; then the rows
                # still carrying it are the ones it inserted (later batches were undone first, giving them back).
                values = [c for c in kind.column_names if c not in key]
                assignments = ", ".join([*(f'"{c}" = h."{c}"' for c in values), "_batch_id = h._prev_batch_id"])
                restored = _one(
                    con.execute(
                        f"UPDATE {table} AS t SET {assignments} FROM (SELECT * FROM {table}_history "
                        f"WHERE _batch_id = $b AND _action = 'update') h WHERE {on}",
                        params,
                    )
                )
                removed = _one(con.execute(f"DELETE FROM {table} WHERE _batch_id = $b", params))
                if removed or restored:
                    effects[kind_name] = {"removed": removed, "restored": restored}
            derived.refresh(con)
            con.execute(
                "UPDATE import_batches SET status = 'undone', undone_at = $at WHERE batch_id = $b",
                {"b": batch_id, "at": datetime.now().replace(microsecond=0)},
            )
            file_name = con.execute(
                "SELECT file_name FROM import_batches WHERE batch_id = $b", {"b": batch_id}
            ).fetchall()[0][0]
            audit.record(con, user, "undo", batch_id=batch_id, file=file_name, effects=effects)
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
        warnings = _after_commit(
            con,
            user,
            batch_id,
            file_name,
            [
                ("manifest", lambda: backup.record_undo(con, batch_id)),
                ("backup", lambda: _backup(con, f"undo-{batch_id}")),
            ],
        )
        return Effects(effects, warnings)
