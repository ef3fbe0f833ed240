"""Accounts and roles: a JSON file of bcrypt-hashed passwords outside git, sign-in, and the role checks.

Roles rank viewer < analyst < admin: a viewer sees the dashboards, an analyst also uploads and imports,
an admin also undoes imports, reads the audit trail and manages accounts (with `python -m etl users`).

The accounts file decides the mode (see README "Accounts, roles and the audit trail"):
- `open`: no accounts file at the default place (beside the warehouse) and $DASHBOARD_ACCOUNTS unset: a fresh
  install. The app serves this computer only, and its local user has full rights.
- `accounts`: the file holds at least one account: sign-in is on.
- `locked`: $DASHBOARD_ACCOUNTS names a missing file, or the file is empty or unreadable. Sign-in is on and
  nobody can sign in until an administrator repairs it: a broken file never falls back to open access.
Never imports Streamlit.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import bcrypt
import duckdb

from etl import audit, db, load

ROLES = ("viewer", "analyst", "approver", "admin")  # each may do what the ones before it may
MIN_PASSWORD = 8
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further; longer passwords are refused rather than cut silently
NAME = re.compile(r"^[\w.@-]{1,64}$")


@dataclass(frozen=True)
class User:
    """Who is acting: a signed-in account, or the local operator of an app with no accounts."""

    name: str
    role: str

    def may(self, role_needed: str) -> bool:
        """True when this user's role is `role_needed` or ranks above it."""
        return ROLES.index(self.role) >= ROLES.index(role_needed)


# With no account the app is a single-user tool on the operator's machine, as before sign-in existed:
# whoever opens it may import and undo (there is nobody to tell apart). Creating an account ends this.
OPEN_USER = User("web", "admin")


def require(role_needed: str, user: User | None) -> User:
    """Return `user` when it holds `role_needed` (or above); else raise PermissionError."""
    if role_needed not in ROLES:
        raise ValueError(f"unknown role {role_needed!r}")
    if user is None or user.role not in ROLES or not user.may(role_needed):
        who = "nobody signed in" if user is None else f"{user.name} is {user.role}"
        raise PermissionError(f"this needs the {role_needed} role ({who})")
    return user


# --- the accounts file


class AccountsUnreadable(ValueError):
    """The accounts file exists but cannot be read as accounts (damaged, not JSON, wrong shape, no permission)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"the accounts file {path} cannot be read ({reason}); repair it or move it away")
        self.path, self.reason = path, reason


def default_path() -> Path:
    """Where the accounts file lives unless $DASHBOARD_ACCOUNTS says otherwise: beside the warehouse."""
    return db.db_path().parent / "accounts.json"


def accounts_path(path: str | os.PathLike | None = None) -> Path:
    """The accounts file: the given path, else $DASHBOARD_ACCOUNTS, else accounts.json beside the warehouse."""
    return Path(path or os.environ.get("DASHBOARD_ACCOUNTS") or default_path())


def journal_path(path: str | os.PathLike | None = None) -> Path:
    """Where account changes are appended while the warehouse is locked: beside the accounts file."""
    target = accounts_path(path)
    return target.with_name(target.stem + ".audit.jsonl")


def _read(path: str | os.PathLike | None = None) -> dict[str, dict]:
    """The accounts by name ({} when there is no file); AccountsUnreadable when the file is not accounts."""
    target = accounts_path(path)
    if not target.exists():
        return {}
    try:
        users = json.loads(target.read_text(encoding="utf-8"))["users"]
        if not isinstance(users, dict) or not all(
            isinstance(a, dict) and isinstance(a.get("hash"), str) for a in users.values()
        ):
            raise ValueError("not a list of accounts")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise AccountsUnreadable(target, type(exc).__name__ if isinstance(exc, KeyError) else str(exc)) from exc
    return users


def _write(users: dict[str, dict], path: str | os.PathLike | None = None) -> None:
    """Replace the file atomically, readable by its owner only."""
    target = accounts_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".accounts-", suffix=".partial")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"users": users}, out, ensure_ascii=False, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def mode(path: str | os.PathLike | None = None) -> str:
    """`open`, `accounts` or `locked` (see the module's docstring)."""
    target = accounts_path(path)
    explicit = bool(path or os.environ.get("DASHBOARD_ACCOUNTS"))
    try:
        present = target.exists()
        users = _read(path) if present else {}
    except (OSError, AccountsUnreadable):
        return "locked"
    if not present:
        return "locked" if explicit else "open"
    return "accounts" if any(a.get("role") in ROLES for a in users.values()) else "locked"


def is_open(path: str | os.PathLike | None = None) -> bool:
    """True on a fresh install with no accounts file: the app serves this computer only, with full rights."""
    return mode(path) == "open"


LOOPBACK_NAMES = ("localhost", "::1")


def is_loopback(address: str | None) -> bool:
    """True for an address only this computer can reach (127.x.x.x, ::1, localhost); False for '' (every interface)."""
    if not address:
        return False
    address = address.strip().strip("[]").lower()
    return address in LOOPBACK_NAMES or address.startswith("127.")


def open_access_refusal(server_address: str | None, client_address: str | None) -> str | None:
    """Why an app with no accounts must refuse this visitor (a text key), or None when it may serve them.

    With no account anyone served has full rights, so the app must listen on loopback only (server_address) and
    serve only visitors on this computer (client_address None or loopback).
    """
    if not is_open():
        return None
    if not is_loopback(server_address):
        return "auth.open_network"
    if client_address is not None and not is_loopback(client_address):
        return "auth.open_remote"
    return None


def public() -> str | None:
    """What anyone may see without signing in, from $DASHBOARD_PUBLIC: "ledger" (1, true, yes, on: the fund's
    public ledger, 基金公示, and nothing else), "dashboards" (dashboards: a forum screen, every dashboard and the
    Presenter as a viewer), or None (unset or anything else: nothing)."""
    value = os.environ.get("DASHBOARD_PUBLIC", "").strip().lower()
    if value == "dashboards":
        return "dashboards"
    return "ledger" if value in ("1", "true", "yes", "on") else None


def list_users(path: str | os.PathLike | None = None) -> list[dict]:
    """Every account's name, role and dates (never the hash), by name."""
    return [
        {"name": name, "role": a["role"], "created": a.get("created"), "changed": a.get("changed")}
        for name, a in sorted(_read(path).items())
    ]


def user(name: str, path: str | os.PathLike | None = None) -> User | None:
    """The account called `name` as it stands now (None when it does not exist)."""
    try:
        account = _read(path).get(name)
    except AccountsUnreadable:  # a damaged file signs everyone out rather than failing every page
        return None
    return User(name, account["role"]) if account and account.get("role") in ROLES else None


def _hash(password: str) -> str:
    data = password.encode("utf-8")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(data) > MAX_PASSWORD_BYTES:
        raise ValueError(f"a password may be at most {MAX_PASSWORD_BYTES} bytes long")
    return bcrypt.hashpw(data, bcrypt.gensalt(rounds=12)).decode("ascii")


@functools.cache
def _dummy_hash() -> bytes:
    """A hash to check against when the name is unknown, so a wrong name takes as long as a wrong password."""
    return bcrypt.hashpw(b"not a password", bcrypt.gensalt(rounds=12))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


def add_user(name: str, role: str, password: str, path: str | os.PathLike | None = None) -> None:
    """Create an account; raises ValueError for a taken or malformed name, an unknown role or a weak password.

    The first account must be an admin: the moment it exists, sign-in is on and only an admin can manage accounts.
    """
    if not NAME.match(name):
        raise ValueError("a name is 1-64 letters, digits or . _ @ -")
    _check_role(role)
    users = _read(path)
    if name in users:
        raise ValueError(f"there is already an account called {name!r}")
    if role != "admin" and not _admins(users):
        raise ValueError("the first account must be an administrator: use --role admin")
    users[name] = {"role": role, "hash": _hash(password), "created": _now(), "changed": _now()}
    _write(users, path)


def _existing(users: dict[str, dict], name: str) -> dict:
    if name not in users:
        raise KeyError(f"there is no account called {name!r}")
    return users[name]


def _admins(users: dict[str, dict]) -> list[str]:
    return [name for name, a in users.items() if a.get("role") == "admin"]


def _keep_an_admin(users: dict[str, dict], name: str) -> None:
    """Refuse a change that would leave no administrator (nobody could manage accounts or undo imports)."""
    if _admins(users) == [name]:
        raise ValueError(f"{name!r} is the last administrator: add another admin first")


def set_role(name: str, role: str, path: str | os.PathLike | None = None) -> str:
    """Change an account's role; returns the role it had. The last admin keeps the role."""
    _check_role(role)
    users = _read(path)
    account = _existing(users, name)
    if role != "admin":
        _keep_an_admin(users, name)
    before, account["role"], account["changed"] = account["role"], role, _now()
    _write(users, path)
    return before


def reset_password(name: str, password: str, path: str | os.PathLike | None = None) -> None:
    """Give an account a new password."""
    users = _read(path)
    account = _existing(users, name)
    account["hash"], account["changed"] = _hash(password), _now()
    _write(users, path)


def remove_user(name: str, path: str | os.PathLike | None = None) -> None:
    """Delete an account (never the last admin)."""
    users = _read(path)
    _existing(users, name)
    _keep_an_admin(users, name)
    del users[name]
    _write(users, path)


def verify(name: str, password: str, path: str | os.PathLike | None = None) -> User | None:
    """The account when `password` is its password, else None (same work whether or not the name exists)."""
    try:
        account = _read(path).get(name)
    except AccountsUnreadable:
        account = None
    stored = account["hash"].encode("ascii") if account else _dummy_hash()
    data = password.encode("utf-8")
    ok = len(data) <= MAX_PASSWORD_BYTES and bcrypt.checkpw(data, stored)
    return User(name, account["role"]) if ok and account and account.get("role") in ROLES else None


class TooManyAttempts(Exception):
    """Sign-in is paused for this name from this client (or for this client) after repeated wrong passwords."""


MAX_FAILURES = 5  # wrong passwords for one name from one client ...
MAX_CLIENT_FAILURES = 20  # ... or for any names from one client ...
FAILURE_WINDOW_MINUTES = 15  # ... within this many minutes pause it for the rest of the window
LOCAL_CLIENT = "local"  # the client address of a visitor on this computer


def recent_failures(con: duckdb.DuckDBPyConnection, client: str, name: str | None = None) -> int:
    """Failed sign-ins from `client` (for `name` only, when given) in the last FAILURE_WINDOW_MINUTES."""
    return con.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'sign_in_failed' AND \"at\" > $since "
        "AND coalesce(json_extract_string(details, '$.client'), $local) = $client "
        "AND ($name IS NULL OR user_name = $name)",
        {
            "since": datetime.now() - timedelta(minutes=FAILURE_WINDOW_MINUTES),
            "client": client,
            "local": LOCAL_CLIENT,
            "name": name,
        },
    ).fetchall()[0][0]


def sign_in(
    con: duckdb.DuckDBPyConnection,
    name: str,
    password: str,
    path: str | os.PathLike | None = None,
    client: str = LOCAL_CLIENT,
) -> User | None:
    """Check a password and record the attempt, with the client's address, in the audit trail.

    Throttling is per client, so a stranger cannot lock an admin out: after MAX_FAILURES wrong passwords for a
    name from one client, or MAX_CLIENT_FAILURES for any names, within the window, that client's attempts are
    refused (TooManyAttempts, recorded) without checking the password, so guessing is slow and costs no bcrypt.
    """
    name = name.strip()[:64]
    client = client or LOCAL_CLIENT
    if name and (
        recent_failures(con, client, name) >= MAX_FAILURES or recent_failures(con, client) >= MAX_CLIENT_FAILURES
    ):
        audit.record(con, name, "sign_in_failed", client=client, paused=True)
        raise TooManyAttempts(name)
    found = verify(name, password, path) if name else None
    if found:
        audit.record(con, found.name, "sign_in", role=found.role, client=client)
    else:
        audit.record(con, name or "?", "sign_in_failed", client=client)
    return found


# --- the actions that change the warehouse, checked here whatever page or rerun calls them


def import_as(
    user: User | None,
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    file_name: str,
    progress: load.Progress | None = None,
) -> load.FileResult:
    """Import a file as `user` (analyst or admin; else PermissionError); the batch records the user's name.
    `progress(stage, done, total)`: see load.import_file."""
    user = require("analyst", user)
    return load.import_file(con, data, file_name, user=user.name, progress=progress)


def publish_as(user: User | None, con: duckdb.DuckDBPyConnection, note: str = ""):
    """Publish the working data as a new version (approver or admin; else PermissionError)."""
    from etl import publish

    user = require("approver", user)
    return publish.publish(con, user.name, note)


def reject_as(user: User | None, con: duckdb.DuckDBPyConnection, reason: str) -> list[str]:
    """Undo the pending imports with a reason (approver or admin; else PermissionError)."""
    from etl import publish

    user = require("approver", user)
    return publish.reject(con, user.name, reason)


def undo_as(user: User | None, con: duckdb.DuckDBPyConnection, batch_id: str) -> dict[str, dict[str, int]]:
    """Undo a batch as `user` (admin only; else PermissionError)."""
    user = require("admin", user)
    return load.undo(con, batch_id, user=user.name)
