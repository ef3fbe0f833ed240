"""Backups after every change, the raw files of every batch, restore and rebuild."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb

DEFAULT_KEEP = 5


def keep_count() -> int:
    """How many rotating backups to keep: $DASHBOARD_BACKUPS, else 5 (0 turns backups off)."""
    try:
        return max(0, int(os.environ.get("DASHBOARD_BACKUPS", DEFAULT_KEEP)))
    except ValueError:
        return DEFAULT_KEEP


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


def _safe_name(name: str) -> str:
    return re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", Path(name).name)[:150] or "upload.xlsx"


def _manifest(db_file: Path) -> Path:
    return uploads_dir(db_file) / f"{db_file.stem}.manifest.jsonl"


def _append(db_file: Path, event: dict) -> None:
    path = _manifest(db_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(event, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())


def keep_upload(con: duckdb.DuckDBPyConnection, batch_id: str, file_name: str, data: bytes, user: str) -> None:
    """Store the raw file of a loaded batch beside the warehouse, so the warehouse can be rebuilt."""
    db_file = file_of(con)
    if db_file is None:
        return
    stored = f"{db_file.stem}-{batch_id}-{_safe_name(file_name)}"
    (uploads_dir(db_file)).mkdir(parents=True, exist_ok=True)
    (uploads_dir(db_file) / stored).write_bytes(data)
    _append(db_file, {"event": "loaded", "batch_id": batch_id, "file": file_name, "stored": stored, "user": user})


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
    folder = backups_dir(db_file)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{db_file.stem}-{datetime.now():%Y%m%d-%H%M%S}-{label}.duckdb"
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    try:
        con.execute("CHECKPOINT")
        _copy_in_child(db_file, partial)
    except duckdb.TransactionException:
        # Another session holds a transaction open, so the file cannot be checkpointed: copy through DuckDB,
        # which reads one consistent snapshot.
        con.execute("ATTACH $path AS backup_target", {"path": str(partial)})
        try:
            con.execute(f"COPY FROM DATABASE {_name(con)} TO backup_target")
        finally:
            con.execute("DETACH backup_target")
    os.replace(partial, target)  # a backup is either whole or absent
    for old in list_backups(db_file)[keep:]:
        old.unlink(missing_ok=True)
    return target


def list_backups(db_file: Path) -> list[Path]:
    """Backups of this warehouse, newest first."""
    folder = backups_dir(db_file)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{db_file.stem}-*.duckdb"), key=lambda p: p.stat().st_mtime_ns, reverse=True)


def _copy_in_child(source: Path, target: Path) -> None:
    """Copy the open warehouse file from another process.

    DuckDB's lock on the file is a POSIX record lock, and POSIX drops every lock a process holds on a file when
    that process closes *any* descriptor of it: copying the file from this process would silently unlock the
    warehouse for other writers.
    """
    code = "import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2])"
    subprocess.run([sys.executable, "-c", code, str(source), str(target)], check=True, timeout=600)


def restore(db_file: Path, backup: Path) -> None:
    """Replace the warehouse with a backup (the warehouse must not be open anywhere)."""
    from etl.db import connect

    connect(db_file).close()  # raises WarehouseLocked when the app holds it
    partial = db_file.with_suffix(".restoring")
    shutil.copyfile(backup, partial)
    Path(f"{db_file}.wal").unlink(missing_ok=True)
    os.replace(partial, db_file)


def loaded_uploads(db_file: Path) -> list[dict]:
    """The stored files of the batches that are loaded now (undone ones left out), in import order."""
    path = _manifest(db_file)
    if not path.exists():
        return []
    events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    undone = {e["batch_id"] for e in events if e["event"] == "undone"}
    return [e for e in events if e["event"] == "loaded" and e["batch_id"] not in undone]


def rebuild(db_file: Path, target: Path) -> list:
    """A new warehouse at `target` from the raw files kept for `db_file`, replayed in order."""
    from etl.db import connect
    from etl.load import import_file

    if target.exists():
        raise FileExistsError(f"{target} exists; rebuild writes a new warehouse")
    con = connect(target)
    results = []
    try:
        for upload in loaded_uploads(db_file):
            data = (uploads_dir(db_file) / upload["stored"]).read_bytes()
            results.append(import_file(con, data, upload["file"], user=upload["user"]))
    finally:
        con.close()
    return results
