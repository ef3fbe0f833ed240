"""Rebuild a warehouse by replaying, in order, the raw files kept for its loaded batches (etl.backup keeps them)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from etl import backup
from etl.db import connect
from etl.load import import_file


class MissingUploads(Exception):
    """Rebuild cannot replay every loaded batch: some kept raw files are missing (listed in .missing)."""

    def __init__(self, missing: list[str]):
        super().__init__("; ".join(missing))
        self.missing = missing


def _warehouse_batches(db_file: Path) -> list[tuple[str, str, str]] | None:
    """(batch_id, file_name, file_hash) of the loaded batches in the warehouse, when it can be read (else None)."""
    if not db_file.exists():
        return None
    try:
        con = duckdb.connect(str(db_file), read_only=True)
    except duckdb.Error:
        return None  # held by the app, or damaged: the manifest alone says what to replay
    try:
        return con.execute(
            "SELECT batch_id, file_name, file_hash FROM import_batches WHERE status = 'loaded' ORDER BY seq"
        ).fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()


def _plan(db_file: Path) -> tuple[list[dict], list[str]]:
    """What rebuild replays, in order, and what it cannot (one line per batch).

    When the warehouse can be read, its loaded batches are the list and the manifest only finds their files;
    otherwise the manifest alone says which batches are loaded.
    """
    events = backup.events(db_file)
    batches = _warehouse_batches(db_file)
    if batches is None:
        entries = backup.loaded_uploads(db_file)
    else:
        kept = {(e["batch_id"], e.get("hash")): e for e in events if e["event"] == "loaded"}
        entries = [
            kept.get((batch_id, file_hash))
            or kept.get((batch_id, None))
            or {"batch_id": batch_id, "file": file_name, "hash": file_hash, "stored": None}
            for batch_id, file_name, file_hash in batches
        ]
    ready, problems = [], []
    for entry in entries:
        label = f"{entry['batch_id']} ({entry.get('file', '?')})"
        path = backup.uploads_dir(db_file) / entry["stored"] if entry.get("stored") else None
        if path is None:
            problems.append(f"{label}: no raw file was kept for this batch")
        elif not path.is_file():
            problems.append(f"{label}: the kept file {entry['stored']} is missing")
        elif entry.get("hash") and hashlib.sha256(path.read_bytes()).hexdigest() != entry["hash"]:
            problems.append(f"{label}: the kept file {entry['stored']} has changed since it was kept")
        else:
            ready.append(entry)
    return ready, problems


def missing_uploads(db_file: Path) -> list[str]:
    """Loaded batches whose raw file cannot be replayed: never kept, gone, or changed since it was kept."""
    return _plan(db_file)[1]


def rebuild(db_file: Path, target: Path, *, skip_missing: bool = False) -> list:
    """A new warehouse at `target` from the raw files kept for `db_file`, replayed in order.

    Raises MissingUploads (before writing anything) when a loaded batch cannot be replayed, unless
    `skip_missing`: then the batches that can be are replayed and the caller reports the rest.
    """
    if target.exists():
        raise FileExistsError(f"{target} exists; rebuild writes a new warehouse")
    ready, missing = _plan(db_file)
    if missing and not skip_missing:
        raise MissingUploads(missing)
    con = connect(target)
    results = []
    try:
        for upload in ready:
            data = (backup.uploads_dir(db_file) / upload["stored"]).read_bytes()
            user, claimed = upload.get("user"), upload.get("claimed_user")
            results.append(import_file(con, data, upload["file"], user=user, claimed_user=claimed))
    finally:
        con.close()
    return results
