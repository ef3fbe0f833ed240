"""The audit trail: who did what and when (imports, undos, sign-ins, account changes), append-only.

Events go to the warehouse table `audit_log`. An account change made with the CLI while the app holds the
warehouse is appended to a JSON-lines journal beside the accounts file instead, and copied into `audit_log`
(once, by its event id) the next time the warehouse is open to absorb it. Nothing here updates or deletes.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

ACTIONS = (
    "import",
    "undo",
    "sign_in",
    "sign_in_failed",
    "account_added",
    "role_changed",
    "password_reset",
    "account_removed",
)
_ABSORBING = threading.Lock()  # two sessions absorbing at once must not copy an event twice


def _event(user: str, action: str, details: dict) -> dict:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return {
        "event_id": uuid.uuid4().hex,
        "at": datetime.now().replace(microsecond=0).isoformat(),
        "user_name": str(user),
        "action": action,
        "details": json.dumps(details, ensure_ascii=False, default=str),
    }


def _insert(con: duckdb.DuckDBPyConnection, event: dict) -> None:
    con.execute(
        'INSERT INTO audit_log (seq, "at", user_name, action, details, event_id) '
        "VALUES (nextval('audit_seq'), CAST($at AS TIMESTAMP), $user_name, $action, $details, $event_id)",
        event,
    )


def record(con: duckdb.DuckDBPyConnection, user: str, action: str, **details: object) -> None:
    """Append one event to the warehouse's audit_log (inside the caller's transaction, if any)."""
    _insert(con, _event(user, action, details))


def append_pending(journal: Path, user: str, action: str, **details: object) -> None:
    """Append one event to the journal file (used when the warehouse is locked by the running app)."""
    journal.parent.mkdir(parents=True, exist_ok=True)
    with journal.open("a", encoding="utf-8") as out:
        out.write(json.dumps(_event(user, action, details), ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())


def absorb(con: duckdb.DuckDBPyConnection, journal: Path) -> int:
    """Copy journal events not yet in audit_log into it, in the journal's order; returns how many."""
    if not journal.exists():
        return 0
    events = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not events:
        return 0
    with _ABSORBING:
        ids = [e["event_id"] for e in events]
        rows = con.execute(
            "SELECT event_id FROM audit_log WHERE list_contains($ids, event_id)", {"ids": ids}
        ).fetchall()
        known = {r[0] for r in rows}
        fresh = [e for e in events if e["event_id"] not in known]
        for event in fresh:
            _insert(con, event)
    return len(fresh)


def trail(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> pd.DataFrame:
    """The trail, newest first: seq, at, user_name, action, details (JSON text)."""
    sql = 'SELECT seq, "at", user_name, action, details FROM audit_log ORDER BY seq DESC'
    if limit:
        sql += f" LIMIT {int(limit)}"
    return con.execute(sql).df()
