"""The audit trail: who did what and when (imports, undos, sign-ins, account changes), append-only.

Events go to the warehouse table `audit_log`. An account change made with the CLI while the app holds the
warehouse is appended to a JSON-lines journal beside the accounts file instead, and copied into `audit_log`
(once, by its event id) the next time the warehouse is open to absorb it. Nothing here updates or deletes.
"""

from __future__ import annotations

import getpass
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
    "import_rejected",  # a file refused by the checks (not a dry run): file, hash, how many errors
    "undo",
    "undo_refused",  # batch, reason (an i18n key) and its params
    "restore",  # the backup put back and how many newer events were carried across
    "warning",  # work after a COMMIT that failed (backup, checkpoint): the change stands, the step did not
    "sign_in",
    "sign_in_failed",
    "account_added",
    "role_changed",
    "password_reset",
    "account_removed",
    "publish",  # a new published version: version, the batches it holds, a note
    "reject",  # a pending batch undone by an approver: batch, reason
    "rollback",  # an earlier version made current again: version, the one before
)
_ABSORBING = threading.Lock()  # two sessions absorbing at once must not copy an event twice


def os_user() -> str:
    """The operating-system user running this process (what the CLI records as the actor)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


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
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)  # personal data: owner only, whatever the umask
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


def carry(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> int:
    """Append the events of `rows` (seq, at, user_name, action, details, event_id) that `con` lacks; returns how many.

    Used by restore: the events of the warehouse being replaced keep their number, time, user and details in
    the restored copy (an event the copy already has is left as it is). The sequence then continues after them.
    """
    if not rows:
        return 0
    with _ABSORBING:
        known = {r[0] for r in con.execute("SELECT event_id FROM audit_log").fetchall()}
        taken = {r[0] for r in con.execute("SELECT seq FROM audit_log").fetchall()}
        fresh = [r for r in rows if r[5] not in known]
        clash = any(r[0] in taken for r in fresh)
        for seq, at, user_name, action, details, event_id in fresh:
            number = "nextval('audit_seq')" if clash else "$seq"
            params = {"at": at, "user_name": user_name, "action": action, "details": details, "event_id": event_id}
            con.execute(
                'INSERT INTO audit_log (seq, "at", user_name, action, details, event_id) '
                f"VALUES ({number}, $at, $user_name, $action, $details, $event_id)",
                params if clash else {**params, "seq": seq},
            )
        top = con.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchall()[0][0]
        step = con.execute("SELECT nextval('audit_seq')").fetchall()[0][0]
        if step < top:  # move the sequence past the carried numbers so the next event cannot collide
            con.execute("SELECT max(nextval('audit_seq')) FROM range($n)", {"n": top - step}).fetchall()
    return len(fresh)


def trail(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> pd.DataFrame:
    """The trail, newest first: seq, at, user_name, action, details (JSON text)."""
    sql = 'SELECT seq, "at", user_name, action, details FROM audit_log ORDER BY seq DESC'
    if limit:
        sql += f" LIMIT {int(limit)}"
    return con.execute(sql).df()
