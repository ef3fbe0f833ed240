"""Accounts and roles: a JSON file of bcrypt-hashed passwords outside git, sign-in, and the role checks (require).
Who is who, and nothing of what they do: the role-checked import, undo, publish and reject are etl.publish's.

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
import ipaddress
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import bcrypt
import duckdb

from etl import audit, db

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


def open_access_refusal(server_address: str | None, client_address: str | None, proxied: bool = False) -> str | None:
    """Why an app with no accounts must refuse this visitor (a text key), or None when it may serve them.

    With no account anyone served has full rights, so the app must listen on loopback only (server_address) and
    serve only visitors on this computer (client_address None or loopback) who came straight to it: a request
    that came through a proxy (`proxied`, see `is_proxied`) may be from anywhere the proxy serves, however local
    its connection looks (a proxy on this computer connects from 127.0.0.1).
    """
    if not is_open():
        return None
    if not is_loopback(server_address):
        return "auth.open_network"
    if proxied:
        return "auth.open_proxied"
    if client_address is not None and not is_loopback(client_address):
        return "auth.open_remote"
    return None


# --- the visitor's address behind a reverse proxy

# The headers a reverse proxy adds to say whom it is passing a request on for, in the order they are believed
# (see `forwarded_client`).
PROXY_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded")
Headers = Mapping[str, str | Sequence[str]]  # header name (any case) -> its value, or each of its values
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK_PEERS = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


def _values(headers: Headers, name: str) -> list[str]:
    """Every value of header `name` in `headers`, matched whatever its case, in the order received."""
    found: list[str] = []
    for key, value in headers.items():
        if key.lower() == name:
            found.extend([value] if isinstance(value, str) else value)
    return found


def is_proxied(headers: Headers) -> bool:
    """True when the request says it came through a proxy: it has a Forwarded, X-Forwarded-For or X-Real-IP
    header (whatever its value, an empty one included)."""
    return any(key.lower() in PROXY_HEADERS for key in headers)


def parse_address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in `text` as a proxy header or a socket writes it ("192.0.2.7", "192.0.2.7:4711", "2001:db8::1",
    "[2001:db8::1]:80", quoted or not; an IPv4 address mapped into IPv6 as the IPv4 one); None for anything else
    ("unknown", a hidden name such as "_proxy1", a host name, garbage)."""
    text = (text or "").strip().strip('"').strip()
    if text.startswith("["):  # [IPv6] or [IPv6]:port
        text, bracket, port = text[1:].partition("]")
        if not bracket or (port and not re.fullmatch(r":[0-9]{1,5}", port)):
            return None
    elif text.count(":") == 1:  # IPv4:port
        text, _, port = text.partition(":")
        if not re.fullmatch(r"[0-9]{1,5}", port):
            return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def trusted_proxies(value: str | None = None) -> tuple[Network, ...]:
    """The reverse proxies whose word on the client's address is taken: `value`, else $DASHBOARD_TRUSTED_PROXY,
    addresses or networks separated by commas or spaces ("127.0.0.1", "10.0.0.5, 10.0.1.0/24"; "localhost" is
    127.0.0.1 and ::1). An entry that is neither is left out: nobody is trusted on a typo."""
    if value is None:
        value = os.environ.get("DASHBOARD_TRUSTED_PROXY", "")
    networks: list[Network] = []
    for entry in re.split(r"[,\s]+", value.strip()):
        if entry.lower() == "localhost":
            networks.extend(ipaddress.ip_network(a) for a in LOOPBACK_PEERS)
            continue
        address = parse_address(entry) if "/" not in entry else None
        try:
            networks.append(ipaddress.ip_network(address if address else entry, strict=False))
        except ValueError:
            continue
    return tuple(networks)


def _is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def _forwarded_for(values: list[str]) -> list[str]:
    """The `for=` parameter of each element of RFC 7239 Forwarded headers, in order (quoted strings kept whole)."""
    hops: list[str] = []
    for value in values:
        for element in re.findall(r'(?:[^,"]|"(?:[^"\\]|\\.)*")+', value):
            for pair in re.findall(r'(?:[^;"]|"(?:[^"\\]|\\.)*")+', element):
                key, _, text = pair.partition("=")
                if key.strip().lower() == "for":
                    hops.append(text)
    return hops


def _client_of(hops: list[str], trusted: Sequence[Network]) -> str | None:
    """The client in a chain of addresses, each proxy having appended its peer: from the right, the first address
    that is not a trusted proxy (whatever is left of it was written by that client and may be made up); the
    leftmost when every one is trusted; None when the entry reached is not an address (garbage, "unknown")."""
    for text in reversed(hops):
        address = parse_address(text)
        if address is None:
            return None
        if not _is_trusted(address, trusted):
            return str(address)
    address = parse_address(hops[0]) if hops else None
    return str(address) if address else None


def forwarded_client(peer: str | None, headers: Headers, trusted: Sequence[Network] | None = None) -> str | None:
    """The visitor's address as a trusted reverse proxy reports it, or None when there is no such report.

    `peer` is the address of the direct connection (None: this computer, 127.0.0.1 or ::1, as Streamlit gives it).
    Only when it is one of the `trusted` proxies (default: $DASHBOARD_TRUSTED_PROXY) are its headers read, never
    anyone else's: anybody can send these headers. X-Forwarded-For is read from the right, skipping trusted
    proxies, so entries a visitor wrote on the left are ignored; when it is missing, X-Real-IP (the proxy's
    peer), then the `for=` of RFC 7239 Forwarded, likewise. A header that names no address is passed over.
    The proxy must set X-Forwarded-For or X-Real-IP itself (README "Serving a town or a district"), or a visitor
    could send one it would pass on.
    """
    trusted = trusted_proxies() if trusted is None else trusted
    if not trusted:
        return None
    if peer is None:
        connected = any(_is_trusted(a, trusted) for a in LOOPBACK_PEERS)
    else:
        address = parse_address(peer)
        connected = address is not None and _is_trusted(address, trusted)
    if not connected:
        return None
    chains = (
        [h for v in _values(headers, "x-forwarded-for") for h in v.split(",")],
        _values(headers, "x-real-ip")[-1:],
        _forwarded_for(_values(headers, "forwarded")),
    )
    for hops in chains:
        client = _client_of(hops, trusted) if hops else None
        if client:
            return client
    return None


def client_address(peer: str | None, headers: Headers, trusted: Sequence[Network] | None = None) -> str:
    """The visitor's address for the sign-in throttle and the audit trail: what a trusted proxy reports
    (`forwarded_client`), else the direct connection's (`peer`), LOCAL_CLIENT for this computer."""
    return forwarded_client(peer, headers, trusted) or peer or LOCAL_CLIENT


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


def approvers(path: str | os.PathLike | None = None) -> list[str]:
    """The accounts that may approve (approvers and admins), by name."""
    return sorted(n for n, u in _read(path).items() if u.get("role") in ("approver", "admin"))
