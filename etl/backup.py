"""Backups after every change, the raw files of every batch (their manifest), and restore.

Rebuilding a warehouse from the kept files is etl/rebuild.py (it imports files, so it sits above etl.load).

Everything written here holds personal data: files are created 0600 and folders 0700, whatever the umask.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb

from etl.db import FILE_MODE, private_dir

DEFAULT_KEEP = 5
NAME_BYTES = 240  # a kept file's name, in UTF-8 bytes (file systems allow 255)


def keep_count() -> int:
    """How many rotating backups to keep: $DASHBOARD_BACKUPS, else 5 (0 turns backups off)."""
    try:
        return max(0, int(os.environ.get("DASHBOARD_BACKUPS", DEFAULT_KEEP)))
    except ValueError:
        return DEFAULT_KEEP


def private_file(path: Path) -> None:
    """Make an existing file 0600 (a file DuckDB or a copy created at the umask's mode)."""
    if path.exists():
        os.chmod(path, FILE_MODE)


def quote(identifier: str) -> str:
    """A SQL identifier quoted for DuckDB: any name (dashes, spaces, Chinese, quotes) is taken literally."""
    return '"' + identifier.replace('"', '""') + '"'


def file_of(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The warehouse file behind a connection (None for an in-memory database)."""
    for _, name, path in con.execute("PRAGMA database_list").fetchall():
        if name not in ("temp", "system") and path:
            return Path(path)
    return None


def _name(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT current_database()").fetchall()[0][0]


def backups_dir(db_file: Path) -> Path:
    return db_file.parent / "backups"


def uploads_dir(db_file: Path) -> Path:
    return db_file.parent / "uploads"


def fit(name: str, max_bytes: int) -> str:
    """`name` cut to at most `max_bytes` of UTF-8 (never inside a character), keeping a short extension."""
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    stem, dot, ext = name.rpartition(".")
    suffix = f".{ext}" if dot and stem and len(ext.encode("utf-8")) <= 10 else ""
    base = stem if suffix else name
    room = max(0, max_bytes - len(suffix.encode("utf-8")))
    return base.encode("utf-8")[:room].decode("utf-8", errors="ignore") + suffix


def _safe_name(name: str) -> str:
    return re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", Path(name).name) or "upload.xlsx"


def stored_name(db_file: Path, batch_id: str, file_name: str) -> str:
    """The kept file's name: warehouse, batch and upload name, at most NAME_BYTES bytes of UTF-8."""
    prefix = f"{fit(db_file.stem, 80)}-{batch_id}-"
    return prefix + fit(_safe_name(file_name), NAME_BYTES - len(prefix.encode("utf-8")))


def _manifest(db_file: Path) -> Path:
    return uploads_dir(db_file) / f"{fit(db_file.stem, 200)}.manifest.jsonl"


def _append(db_file: Path, event: dict) -> None:
    path = _manifest(db_file)
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        os.fchmod(out.fileno(), FILE_MODE)  # also a manifest an older version created at 0644
        out.write(json.dumps(event, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())


def events(db_file: Path) -> list[dict]:
    path = _manifest(db_file)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def keep_upload(
    con: duckdb.DuckDBPyConnection,
    batch_id: str,
    file_name: str,
    data: bytes,
    user: str,
    claimed_user: str | None = None,
    digest: str | None = None,
) -> str | None:
    """Store the raw file of a batch beside the warehouse, so the warehouse can be rebuilt; returns its name
    (`digest`: the data's SHA-256 in hex, when the caller has it already).

    Called inside the import's transaction, before COMMIT: if the file cannot be kept the import fails and
    changes nothing. A kept file whose batch then never commits is marked `aborted` (see forget_upload and
    the check against import_batches below), so rebuild never replays it.
    """
    db_file = file_of(con)
    if db_file is None:
        return None
    _abort_uncommitted(con, db_file)
    folder = private_dir(uploads_dir(db_file))
    stored = stored_name(db_file, batch_id, file_name)
    path = folder / stored
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), FILE_MODE)
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    event = {
        "event": "loaded",
        "batch_id": batch_id,
        "file": file_name,
        "stored": stored,
        "user": user,
        "hash": digest or hashlib.sha256(data).hexdigest(),
    }
    if claimed_user:
        event["claimed_user"] = claimed_user
    try:
        _append(db_file, event)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return stored


def forget_upload(con: duckdb.DuckDBPyConnection, batch_id: str, stored: str | None) -> None:
    """The batch kept as `stored` did not commit: mark it aborted and remove the file (best effort)."""
    db_file = file_of(con)
    if db_file is None or stored is None:
        return
    try:
        _append(db_file, {"event": "aborted", "batch_id": batch_id, "stored": stored})
        (uploads_dir(db_file) / stored).unlink(missing_ok=True)
    except OSError:
        pass  # the next keep_upload finds the batch missing from import_batches and marks it then


def _abort_uncommitted(con: duckdb.DuckDBPyConnection, db_file: Path) -> None:
    """Mark kept files whose batch is not loaded in the warehouse as aborted.

    That is a process killed between keeping the file and COMMIT (the file is then deleted: no warehouse or
    backup ever held the batch), or an undo whose note in the manifest failed (the file stays: a restored
    backup may hold the batch again).
    """
    current = _replay(events(db_file))
    if not current:
        return
    rows = con.execute("SELECT batch_id, file_hash, status FROM import_batches").fetchall()
    loaded = {(b, h) for b, h, status in rows if status == "loaded"}
    known = {(b, h) for b, h, _ in rows}

    def match(entry: dict, pairs: set) -> bool:
        if entry.get("hash"):
            return (entry["batch_id"], entry["hash"]) in pairs
        return entry["batch_id"] in {b for b, _ in pairs}

    for entry in current:
        if match(entry, loaded):
            continue
        _append(db_file, {"event": "aborted", "batch_id": entry["batch_id"], "stored": entry.get("stored")})
        if entry.get("stored") and not match(entry, known):
            (uploads_dir(db_file) / entry["stored"]).unlink(missing_ok=True)


def record_undo(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    db_file = file_of(con)
    if db_file is not None:
        _append(db_file, {"event": "undone", "batch_id": batch_id})


def snapshot(con: duckdb.DuckDBPyConnection, label: str) -> Path | None:
    """Checkpoint the warehouse and copy it to backups/, keeping the newest keep_count() copies."""
    db_file = file_of(con)
    keep = keep_count()
    if db_file is None or keep == 0:
        return None
    folder = private_dir(backups_dir(db_file))
    target = folder / f"{db_file.stem}-{datetime.now():%Y%m%d-%H%M%S}-{label}.duckdb"
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    try:
        try:
            con.execute("CHECKPOINT")
            _copy_in_child(db_file, partial)
        except duckdb.TransactionException:
            # Another session holds a transaction open, so the file cannot be checkpointed: copy through DuckDB,
            # which reads one consistent snapshot.
            partial.unlink(missing_ok=True)
            con.execute("ATTACH $path AS backup_target", {"path": str(partial)})
            try:
                con.execute(f"COPY FROM DATABASE {quote(_name(con))} TO backup_target")
            finally:
                con.execute("DETACH backup_target")
        private_file(partial)
        os.replace(partial, target)  # a backup is either whole or absent
    except BaseException:
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)
        raise
    for old in list_backups(db_file)[keep:]:
        old.unlink(missing_ok=True)
    return target


def list_backups(db_file: Path) -> list[Path]:
    """Backups of this warehouse, newest first."""
    folder = backups_dir(db_file)
    if not folder.is_dir():
        return []
    found = folder.glob(f"{glob.escape(db_file.stem)}-*.duckdb")
    return sorted(found, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def _copy_in_child(source: Path, target: Path) -> None:
    """Copy the open warehouse file from another process (created 0600).

    DuckDB's lock on the file is a POSIX record lock, and POSIX drops every lock a process holds on a file when
    that process closes *any* descriptor of it: copying the file from this process would silently unlock the
    warehouse for other writers.
    """
    code = (
        "import os, shutil, sys\n"
        "fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)\n"
        "os.fchmod(fd, 0o600)\n"
        "with open(sys.argv[1], 'rb') as src, os.fdopen(fd, 'wb') as out:\n"
        "    shutil.copyfileobj(src, out, 1 << 20)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(source), str(target)], check=True, timeout=600)


def _audit_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute('SELECT seq, "at", user_name, action, details, event_id FROM audit_log ORDER BY seq').fetchall()


_VERSION_COLUMNS = "version, published_at, published_by, batch_seq, batches, note, approved, withdrawn, self_approved"


def _carry_versions(con: duckdb.DuckDBPyConnection, versions: list[tuple]) -> None:
    """Put back the records of versions published after the backup was taken: the published history is not rolled
    back (`versions` lists every version, and no version name is used twice)."""
    known = {row[0] for row in con.execute("SELECT version FROM published_versions").fetchall()}
    for row in versions:
        if row[0] not in known:
            con.execute(f"INSERT INTO published_versions ({_VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)


def restore(db_file: Path, backup: Path, *, user: str | None = None) -> int:
    """Replace the warehouse with a backup (the warehouse must not be open anywhere); returns audit rows carried.

    The audit trail is never rolled back: every event of the current warehouse that the backup lacks (failed
    sign-ins, imports, account changes made since) is carried into the restored copy, and the restore itself is
    recorded there. Nor is the published history: the records of versions published since are carried too, and the
    current version stays current (readers keep seeing what was approved) until a publish approves the restored
    data (etl.publish.review says what it holds that the restored data does not). The kept-uploads manifest learns which batches the restored warehouse holds.
    """
    from etl import audit
    from etl.db import connect

    current = connect(db_file)  # raises WarehouseLocked when the app holds it
    try:
        events = _audit_rows(current)
        versions = current.execute(f"SELECT {_VERSION_COLUMNS} FROM published_versions").fetchall()
    finally:
        current.close()
    partial = db_file.with_name(db_file.name + ".restoring")
    partial.unlink(missing_ok=True)
    Path(f"{partial}.wal").unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with open(backup, "rb") as src, os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), FILE_MODE)
        shutil.copyfileobj(src, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
    try:
        con = connect(partial)  # also brings an older backup's schema up to date
        try:
            carried = audit.carry(con, events)
            _carry_versions(con, versions)
            audit.record(con, user or audit.os_user(), "restore", backup=backup.name, carried=carried)
            loaded = con.execute(
                "SELECT batch_id, file_hash FROM import_batches WHERE status = 'loaded' ORDER BY seq"
            ).fetchall()
            con.execute("CHECKPOINT")
        finally:
            con.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    Path(f"{db_file}.wal").unlink(missing_ok=True)
    os.replace(partial, db_file)
    _append(db_file, {"event": "restored", "backup": backup.name, "loaded": [list(r) for r in loaded]})
    return carried


def _replay(events: list[dict]) -> list[dict]:
    """The manifest's events replayed: the kept files of the batches loaded now, in import order."""
    current: dict[str | None, dict] = {}
    seen: dict[tuple, dict] = {}  # (batch_id, hash) -> its latest "loaded" event, for a restore to bring back
    for event in events:
        kind, batch = event["event"], event.get("batch_id")
        if kind == "loaded":
            current.pop(batch, None)  # a batch id seen before never committed (or was restored away)
            current[batch] = event
            seen[(batch, event.get("hash"))] = event
            seen.setdefault((batch, None), event)
        elif kind == "undone":
            current.pop(batch, None)
        elif kind == "aborted":
            if batch in current and current[batch]["stored"] == event.get("stored"):
                del current[batch]
        elif kind == "restored":
            current = {}
            for batch_id, file_hash in event["loaded"]:
                entry = seen.get((batch_id, file_hash)) or seen.get((batch_id, None))
                current[batch_id] = entry or {"batch_id": batch_id, "hash": file_hash, "stored": None}
    return list(current.values())


def loaded_uploads(db_file: Path) -> list[dict]:
    """The stored files of the batches that are loaded now (undone and aborted ones left out), in import order."""
    return _replay(events(db_file))
