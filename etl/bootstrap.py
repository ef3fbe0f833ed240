"""First start: an empty warehouse is filled with the reference sample data."""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

import duckdb

from etl import db
from etl.load import import_file

SAMPLE_USER = "sample"
SAMPLE_FILES_AT_MOST = 8  # the sample is 5 workbooks: more distinct files cannot all be its (no need to write it)


def ensure_sample(con: duckdb.DuckDBPyConnection) -> bool:
    """Load the sample workbooks into an empty warehouse; True when it holds only sample data.

    Set DASHBOARD_NO_SAMPLE=1 to start with an empty warehouse instead.
    """
    if db.is_empty(con) and not os.environ.get("DASHBOARD_NO_SAMPLE"):
        from etl.sample import write_samples

        with tempfile.TemporaryDirectory() as folder:
            for path in sorted(write_samples(Path(folder))):
                result = import_file(con, path.read_bytes(), path.name, user=SAMPLE_USER)
                if result.status == "rejected":
                    raise RuntimeError(f"sample workbook {path.name} was rejected: {result.errors[:3]}")
    return is_sample_only(con)


@functools.cache
def sample_hashes() -> frozenset[str]:
    """The SHA-256 of each bundled sample workbook as this version writes them (etl.sample fixes their bytes: the
    same seed, the same timestamp), computed once per process (≈ 0.6 s) and only when a warehouse needs it."""
    from etl.sample import write_samples

    with tempfile.TemporaryDirectory() as folder:
        return frozenset(hashlib.sha256(path.read_bytes()).hexdigest() for path in write_samples(Path(folder)))


def is_sample_only(con: duckdb.DuckDBPyConnection) -> bool:
    """True when every loaded batch holds a bundled sample workbook, however it was loaded.

    The data decide, not the path: a batch is the sample's when the first start loaded it (its user is
    SAMPLE_USER), or when its file's hash (import_batches.file_hash, kept in every published version) is one of
    the sample workbooks' as this version writes them — so `etl load` of `etl sample`'s files, or their upload on
    the Data page, is marked as the sample as well. A workbook an analyst has edited (even one started from the
    sample) hashes otherwise: it is the town's own data and carries no sample mark.
    """
    rows = con.execute(
        "SELECT count(*), list(DISTINCT file_hash) FILTER (WHERE user_name <> $u) "
        "FROM import_batches WHERE status = 'loaded'",
        {"u": SAMPLE_USER},
    ).fetchall()[0]
    loaded, others = rows[0], set(rows[1] or ())
    if not loaded or len(others) > SAMPLE_FILES_AT_MOST:
        return False
    return not others or others <= sample_hashes()
