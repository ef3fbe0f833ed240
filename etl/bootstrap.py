"""First start: an empty warehouse is filled with the reference sample data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

from etl import db
from etl.load import import_file

SAMPLE_USER = "sample"


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


def is_sample_only(con: duckdb.DuckDBPyConnection) -> bool:
    """True when every loaded batch came from the sample loader."""
    row = con.execute(
        "SELECT count(*) FILTER (WHERE user_name = $u), count(*) FROM import_batches WHERE status = 'loaded'",
        {"u": SAMPLE_USER},
    ).fetchall()[0]
    return row[1] > 0 and row[0] == row[1]
