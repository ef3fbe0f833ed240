"""Validated rows -> the warehouse: one transaction per file, batches, row history and undo."""

from __future__ import annotations

import getpass
import hashlib
import json
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import fastexcel
import pandas as pd
from defusedxml.ElementTree import ParseError

from etl import audit, backup, derived, guard
from etl.checks import totals
from etl.kinds import KINDS, LOAD_ORDER, Kind
from etl.read import read_workbook
from etl.validate import Problem, Report, validate

# What reading a damaged package can raise; each becomes the "damaged workbook" message.
READ_ERRORS = (
    fastexcel.FastExcelError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    ParseError,
    ValueError,
    KeyError,
    OSError,
)

# One import at a time per process: the app's sessions share a connection.
IMPORT_LOCK = threading.Lock()


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


class UndoRefused(Exception):
    """The batch cannot be undone (not the latest, or already undone, or unknown)."""


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall())


def _stored_keys(con: duckdb.DuckDBPyConnection):
    def keys(kind: str) -> pd.Series:
        key = KINDS[kind].key[0]
        return pd.Series(con.execute(f"SELECT {key} FROM {kind}").fetchnumpy()[key], dtype="string")

    return keys


def _refused(file_name: str, exc: guard.FileRefused) -> FileResult:
    return FileResult(file_name, "rejected", errors=[Problem("", None, "", "", "", "", exc.key, exc.params)])


def check_file(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str) -> FileResult:
    """Guard, read and validate a file against the warehouse; writes nothing."""
    try:
        guard.check(data)
        raw = read_workbook(data)
    except guard.FileRefused as exc:
        return _refused(file_name, exc)
    except READ_ERRORS as exc:
        return _refused(file_name, guard.FileRefused("file.corrupt", {"detail": str(exc)[:200]}))
    report = validate(raw, _stored_keys(con))
    status = "rejected" if report.errors else "valid"
    return FileResult(file_name, status, errors=report.errors, warnings=report.warnings, report=report)


def _upsert(con: duckdb.DuckDBPyConnection, kind: Kind, frame: pd.DataFrame, batch_id: str) -> dict[str, int]:
    """Insert new keys, update changed rows (present columns only), keep what they replaced."""
    table = kind.name
    types = _columns(con, table)
    present = [c for c in kind.column_names if c in frame]
    key = list(kind.key)
    casts = ", ".join(f'CAST("{c}" AS {types[c]}) AS "{c}"' for c in present)
    con.register("incoming", frame[present])
    con.execute(f"CREATE OR REPLACE TEMP TABLE stage AS SELECT {casts} FROM incoming")
    con.unregister("incoming")
    on = " AND ".join(f's."{k}" = t."{k}"' for k in key)
    values = [c for c in present if c not in key]
    differs = " OR ".join(f's."{c}" IS DISTINCT FROM t."{c}"' for c in values) or "FALSE"
    con.execute(f"CREATE OR REPLACE TEMP TABLE fresh AS SELECT s.* FROM stage s ANTI JOIN {table} t ON {on}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE changed AS SELECT s.* FROM stage s JOIN {table} t ON {on} WHERE {differs}"
    )
    inserted = con.execute("SELECT count(*) FROM fresh").fetchone()[0]
    updated = con.execute("SELECT count(*) FROM changed").fetchone()[0]
    keys = ", ".join(f'"{k}"' for k in key)
    if updated:
        con.execute(
            f"INSERT INTO {table}_history SELECT $b, 'update', t.* FROM {table} t SEMI JOIN changed s ON {on}",
            {"b": batch_id},
        )
        assignments = ", ".join(f'"{c}" = s."{c}"' for c in values)
        con.execute(f"UPDATE {table} AS t SET {assignments} FROM changed s WHERE {on}")
    if inserted:
        con.execute(
            f"INSERT INTO {table}_history (_batch_id, _action, {keys}) SELECT $b, 'insert', {keys} FROM fresh",
            {"b": batch_id},
        )
        defaults = {c.name: c.default for c in kind.columns if c.default is not None and c.name not in present}
        names = [*present, *defaults]
        selects = [f'"{c}"' for c in present] + [f"${c}" for c in defaults]
        con.execute(
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(selects)} FROM fresh",
            defaults or None,
        )
    if table == "attendance" and inserted:  # kept for the derived tables' incremental update
        con.execute("INSERT INTO new_attendance SELECT session_id, worker_id FROM fresh")
    con.execute("DROP TABLE stage; DROP TABLE fresh; DROP TABLE changed")
    return {"rows": len(frame), "inserted": inserted, "updated": updated, "unchanged": len(frame) - inserted - updated}


def _next_batch(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    seq = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM import_batches").fetchone()[0]
    return seq, f"B{seq:05d}"


def import_file(
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    file_name: str,
    *,
    user: str | None = None,
    dry_run: bool = False,
) -> FileResult:
    """Check a file and, unless it has errors or this is a dry run, load it in one transaction."""
    user = user or _user()
    with IMPORT_LOCK:
        result = check_file(con, data, file_name)
        if result.status == "rejected":
            return result
        report = result.report
        con.execute("BEGIN TRANSACTION")
        try:
            result.before = totals(con)
            con.execute("CREATE OR REPLACE TEMP TABLE new_attendance (session_id VARCHAR, worker_id VARCHAR)")
            seq, batch_id = _next_batch(con)
            sheets = []
            for kind_name in LOAD_ORDER:
                for sheet in report.frames(kind_name):
                    counts = _upsert(con, KINDS[kind_name], sheet.frame, batch_id)
                    sheets.append({"sheet": sheet.sheet, "kind": kind_name, **counts})
            result.sheets = sheets
            changed = sum(s["inserted"] + s["updated"] for s in sheets)
            if changed and not dry_run:
                derived.update(con, {s["kind"] for s in sheets if s["inserted"] + s["updated"]})
            result.after = totals(con)
            if dry_run or not changed:
                con.execute("ROLLBACK")
                result.status = "valid" if dry_run else "unchanged"
                return result
            counts = result.counts
            con.execute(
                "INSERT INTO import_batches VALUES ($id, $seq, $at, $user, $file, $hash, $ins, $upd, $unc, $sheets, "
                "'loaded', NULL)",
                {
                    "id": batch_id,
                    "seq": seq,
                    "at": datetime.now().replace(microsecond=0),
                    "user": user,
                    "file": file_name,
                    "hash": hashlib.sha256(data).hexdigest(),
                    "ins": counts["inserted"],
                    "upd": counts["updated"],
                    "unc": counts["unchanged"],
                    "sheets": json.dumps(sheets, ensure_ascii=False),
                },
            )
            audit.record(con, user, "import", batch_id=batch_id, file=file_name, **counts)  # commits with the batch
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        result.status, result.batch_id = "loaded", batch_id
        backup.keep_upload(con, batch_id, file_name, data, user)
        backup.snapshot(con, batch_id)
        return result


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every batch, newest first."""
    return con.execute(
        "SELECT batch_id, imported_at, user_name, file_name, inserted, updated, unchanged, status, undone_at, "
        "file_hash, sheets FROM import_batches ORDER BY seq DESC"
    ).df()


def latest_batch(con: duckdb.DuckDBPyConnection) -> str | None:
    """The batch that undo would remove next."""
    # fetchall, not fetchone: an unfinished result keeps its transaction open, which blocks CHECKPOINT
    rows = con.execute(
        "SELECT batch_id FROM import_batches WHERE status = 'loaded' ORDER BY seq DESC LIMIT 1"
    ).fetchall()
    return rows[0][0] if rows else None


def undo(con: duckdb.DuckDBPyConnection, batch_id: str, *, user: str | None = None) -> dict[str, dict[str, int]]:
    """Undo the latest loaded batch exactly; returns {kind: {"removed": n, "restored": n}}."""
    with IMPORT_LOCK:
        latest = latest_batch(con)
        if latest is None:
            raise UndoRefused("There is no import to undo.")
        if batch_id != latest:
            rows = con.execute("SELECT status FROM import_batches WHERE batch_id = $b", {"b": batch_id}).fetchall()
            known = rows[0] if rows else None
            if known is None:
                raise UndoRefused(f"There is no batch {batch_id}.")
            if known[0] == "undone":
                raise UndoRefused(f"Batch {batch_id} is already undone.")
            raise UndoRefused(f"Only the latest import can be undone: undo {latest} first.")
        effects: dict[str, dict[str, int]] = {}
        con.execute("BEGIN TRANSACTION")
        try:
            for kind_name in reversed(LOAD_ORDER):
                kind = KINDS[kind_name]
                table, key = kind.name, list(kind.key)
                on = " AND ".join(f'h."{k}" = t."{k}"' for k in key)
                params = {"b": batch_id}
                removed = con.execute(
                    f"DELETE FROM {table} t USING (SELECT * FROM {table}_history "
                    f"WHERE _batch_id = $b AND _action = 'insert') h WHERE {on}",
                    params,
                ).fetchone()[0]
                values = [c for c in kind.column_names if c not in key]
                restored = 0
                if values:
                    assignments = ", ".join(f'"{c}" = h."{c}"' for c in values)
                    restored = con.execute(
                        f"UPDATE {table} AS t SET {assignments} FROM (SELECT * FROM {table}_history "
                        f"WHERE _batch_id = $b AND _action = 'update') h WHERE {on}",
                        params,
                    ).fetchone()[0]
                if removed or restored:
                    effects[kind_name] = {"removed": removed, "restored": restored}
            derived.refresh(con)
            con.execute(
                "UPDATE import_batches SET status = 'undone', undone_at = $at WHERE batch_id = $b",
                {"b": batch_id, "at": datetime.now().replace(microsecond=0)},
            )
            file_name = con.execute("SELECT file_name FROM import_batches WHERE batch_id = $b", {"b": batch_id})
            audit.record(
                con, user or _user(), "undo", batch_id=batch_id, file=file_name.fetchall()[0][0], effects=effects
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        backup.record_undo(con, batch_id)
        backup.snapshot(con, f"undo-{batch_id}")
        return effects
