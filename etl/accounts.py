"""Accounts and roles: a JSON file of bcrypt-hashed passwords outside git, sign-in, and the role checks.

Roles rank viewer < analyst < admin: a viewer sees the dashboards, an analyst also uploads and imports,
an admin also undoes imports, reads the audit trail and manages accounts (with `python -m etl users`).
With no account at all the app runs open (see README "Accounts and roles"). Never imports Streamlit.
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

from etl import audit, load

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ACCOUNTS = ROOT / "data" / "accounts.json"
ROLES = ("viewer", "analyst", "admin")
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


def accounts_path(path: str | os.PathLike | None = None) -> Path:
    """The accounts file: the given path, else $DASHBOARD_ACCOUNTS, else data/accounts.json."""
    return Path(path or os.environ.get("DASHBOARD_ACCOUNTS") or DEFAULT_ACCOUNTS)


def journal_path(path: str | os.PathLike | None = None) -> Path:
    """Where account changes are appended while the warehouse is locked: beside the accounts file."""
    target = accounts_path(path)
    return target.with_name(target.stem + ".audit.jsonl")


def _read(path: str | os.PathLike | None = None) -> dict[str, dict]:
    target = accounts_path(path)
    if not target.exists():
        return {}
    return json.loads(target.read_text(encoding="utf-8")).get("users", {})


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


def has_accounts(path: str | os.PathLike | None = None) -> bool:
    """True once any account exists (then sign-in is switched on)."""
    return bool(_read(path))


def public() -> bool:
    """True when viewers may see the dashboards without signing in ($DASHBOARD_PUBLIC=1, e.g. a forum screen)."""
    return os.environ.get("DASHBOARD_PUBLIC", "").strip().lower() in ("1", "true", "yes", "on")


def list_users(path: str | os.PathLike | None = None) -> list[dict]:
    """Every account's name, role and dates (never the hash), by name."""
    return [
        {"name": name, "role": a["role"], "created": a.get("created"), "changed": a.get("changed")}
        for name, a in sorted(_read(path).items())
    ]


def user(name: str, path: str | os.PathLike | None = None) -> User | None:
    """The account called `name` as it stands now (None when it does not exist)."""
    account = _read(path).get(name)
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
    """Create an account; raises ValueError for a taken or malformed name, an unknown role or a weak password."""
    if not NAME.match(name):
        raise ValueError("a name is 1-64 letters, digits or . _ @ -")
    _check_role(role)
    users = _read(path)
    if name in users:
        raise ValueError(f"there is already an account called {name!r}")
    users[name] = {"role": role, "hash": _hash(password), "created": _now(), "changed": _now()}
    _write(users, path)


def _existing(users: dict[str, dict], name: str) -> dict:
    if name not in users:
        raise KeyError(f"there is no account called {name!r}")
    return users[name]


def set_role(name: str, role: str, path: str | os.PathLike | None = None) -> str:
    """Change an account's role; returns the role it had."""
    _check_role(role)
    users = _read(path)
    account = _existing(users, name)
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
    """Delete an account."""
    users = _read(path)
    _existing(users, name)
    del users[name]
    _write(users, path)


def verify(name: str, password: str, path: str | os.PathLike | None = None) -> User | None:
    """The account when `password` is its password, else None (same work whether or not the name exists)."""
    account = _read(path).get(name)
    stored = account["hash"].encode("ascii") if account else _dummy_hash()
    data = password.encode("utf-8")
    ok = len(data) <= MAX_PASSWORD_BYTES and bcrypt.checkpw(data, stored)
    return User(name, account["role"]) if ok and account and account.get("role") in ROLES else None


class TooManyAttempts(Exception):
    """Sign-in for this name is paused after repeated wrong passwords."""


MAX_FAILURES = 5  # wrong passwords for one name ...
FAILURE_WINDOW_MINUTES = 15  # ... within this many minutes pause its sign-in for the rest of the window


def recent_failures(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Failed sign-ins for `name` in the last FAILURE_WINDOW_MINUTES (from the audit trail)."""
    return con.execute(
        "SELECT count(*) FROM audit_log WHERE user_name = $n AND action = 'sign_in_failed' AND \"at\" > $since",
        {"n": name, "since": datetime.now() - timedelta(minutes=FAILURE_WINDOW_MINUTES)},
    ).fetchall()[0][0]


def sign_in(
    con: duckdb.DuckDBPyConnection, name: str, password: str, path: str | os.PathLike | None = None
) -> User | None:
    """Check a password and record the attempt in the audit trail (sign_in or sign_in_failed).

    After MAX_FAILURES wrong passwords for a name within the window, that name's attempts are refused
    (TooManyAttempts, recorded) without checking the password, so guessing is slow.
    """
    name = name.strip()[:64]
    if name and recent_failures(con, name) >= MAX_FAILURES:
        audit.record(con, name, "sign_in_failed", paused=True)
        raise TooManyAttempts(name)
    found = verify(name, password, path) if name else None
    if found:
        audit.record(con, found.name, "sign_in", role=found.role)
    else:
        audit.record(con, name or "?", "sign_in_failed")
    return found


# --- the actions that change the warehouse, checked here whatever page or rerun calls them


def import_as(user: User | None, con: duckdb.DuckDBPyConnection, data: bytes, file_name: str) -> load.FileResult:
    """Import a file as `user` (analyst or admin; else PermissionError); the batch records the user's name."""
    require("analyst", user)
    return load.import_file(con, data, file_name, user=user.name)


def undo_as(user: User | None, con: duckdb.DuckDBPyConnection, batch_id: str) -> dict[str, dict[str, int]]:
    """Undo a batch as `user` (admin only; else PermissionError)."""
    require("admin", user)
    return load.undo(con, batch_id, user=user.name)
