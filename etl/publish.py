"""Review, then publish (审核发布): what viewers read is a published version, not the working warehouse.

The working warehouse receives imports and undos; every loaded batch is *pending* until a publish. Publishing
copies the working warehouse (one consistent snapshot) into an immutable file `published/v000012.duckdb` beside
it, without the audit trail (names and addresses of people signing in are not for viewers), records who
published it and which batches it holds, and then points `published/CURRENT` at it (replaced atomically: a
reader sees the old version or the new one, never a half-written file). Pages open the current version
read-only, so any number of app processes can serve it. Rejecting undoes the pending batches, latest first.
Making an earlier version current again (rollback) moves the pointer and is recorded too. A person imports,
undoes, publishes and rejects through the role-checked acts at the end (import_as, undo_as, publish_as, reject_as,
with the four-eyes rule); who they are and what their role allows is etl.accounts'.

Never imports Streamlit.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from etl import accounts, audit, backup, db, derived, load
from i18n import t

POINTER = "CURRENT"
VERSION = re.compile(r"^v\d{6}$")


def keep_versions() -> int:
    """How many published versions are kept ($DASHBOARD_VERSIONS, default 10; the current one always)."""
    try:
        return max(1, int(os.environ.get("DASHBOARD_VERSIONS", "10")))
    except ValueError:
        return 10


def folder(db_file: Path) -> Path:
    return db_file.parent / "published"


def version_file(db_file: Path, version: str) -> Path:
    return folder(db_file) / f"{version}.duckdb"


def current(db_file: Path) -> str | None:
    """The current published version's name (v000012), or None when nothing is published yet."""
    try:
        name = (folder(db_file) / POINTER).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name if VERSION.match(name) and version_file(db_file, name).exists() else None


def current_file(db_file: Path) -> Path | None:
    name = current(db_file)
    return version_file(db_file, name) if name else None


def _point(db_file: Path, version: str) -> None:
    """Make `version` current: write the pointer to a new file and rename it over the old one (atomic)."""
    target = folder(db_file) / POINTER
    partial = target.with_name(f".{POINTER}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, backup.FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(version + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)


def versions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every version published from this warehouse (a restore keeps the list), newest first: version, published_at,
    published_by, batch_seq (the last batch it holds), batches, note, approved (the pending batches its approver was
    shown), withdrawn, self_approved, kept (its file still exists), current."""
    frame = con.execute(
        "SELECT version, published_at, published_by, batch_seq, batches, note, approved, withdrawn, self_approved "
        "FROM published_versions ORDER BY version DESC"
    ).df()
    db_file = backup.file_of(con)
    now = current(db_file) if db_file else None
    frame["kept"] = [bool(db_file and version_file(db_file, v).exists()) for v in frame["version"]]
    frame["current"] = frame["version"] == now
    return frame


def _version_batches(con: duckdb.DuckDBPyConnection, db_file: Path, version: str) -> list[str]:
    """The loaded batches a version holds: as recorded, or (a version this warehouse has no record of, e.g. one
    published after the backup a restore put back, before restores kept the record) as its own file says."""
    row = con.execute("SELECT batches FROM published_versions WHERE version = $v", {"v": version}).fetchall()
    if row:
        return list(row[0][0] or [])
    reader = duckdb.connect(str(version_file(db_file, version)), read_only=True)
    try:
        return [r[0] for r in reader.execute("SELECT batch_id FROM import_batches WHERE status = 'loaded'").fetchall()]
    finally:
        reader.close()


@dataclass(frozen=True)
class Review:
    """What stands between the working data and the current published version, as an approver is shown it:
    `pending`, the loaded batches the version does not hold (imported since, or taken back by a rollback), oldest
    first; `withdrawn`, the batches the version holds that the working data no longer does (undone, or lost with a
    restore); `seq`, the last batch sequence number issued. Publishing or rejecting with a Review does exactly
    this and nothing more: if the data moved on since it was drawn, it refuses (Changed)."""

    version: str | None
    pending: tuple[str, ...]
    withdrawn: tuple[str, ...]
    seq: int

    @property
    def empty(self) -> bool:
        """Nothing to publish: the working data is what the current version holds."""
        return not self.pending and not self.withdrawn


class Changed(Exception):
    """The working data moved on after an approver was shown it: nothing was published or rejected."""

    def __init__(self, seen: Review, now: Review) -> None:
        super().__init__(
            f"the pending imports changed since they were shown ({list(seen.pending)} -> {list(now.pending)})"
        )
        self.seen, self.now = seen, now

    @property
    def arrived(self) -> list[str]:
        """Batches pending now that the approver was not shown."""
        return [b for b in self.now.pending if b not in self.seen.pending]


def review(con: duckdb.DuckDBPyConnection) -> Review:
    """What publishing now would change (see Review)."""
    db_file = backup.file_of(con)
    now = current(db_file) if db_file else None
    loaded, seq = con.execute(
        "SELECT coalesce(list(batch_id ORDER BY seq) FILTER (WHERE status = 'loaded'), []), coalesce(max(seq), 0) "
        "FROM import_batches"
    ).fetchall()[0]
    published = _version_batches(con, db_file, now) if db_file and now else []
    held, kept = set(published), set(loaded)
    return Review(
        version=now,
        pending=tuple(b for b in loaded if b not in held),
        withdrawn=tuple(b for b in published if b not in kept),
        seq=int(seq),
    )


def pending(con: duckdb.DuckDBPyConnection, batches: tuple[str, ...] | list[str] | None = None) -> pd.DataFrame:
    """Loaded batches the current published version does not hold (or the given ones), oldest first: batch_id, seq,
    imported_at, user_name, claimed_user (the name given with `load --user`, or None), file_name, inserted, updated,
    sheets."""
    ids = list(review(con).pending if batches is None else batches)
    return con.execute(
        "SELECT b.batch_id, seq, imported_at, user_name, c.claimed_user, file_name, inserted, updated, sheets "
        "FROM import_batches b LEFT JOIN batch_claims c USING (batch_id) "
        "WHERE list_contains($ids, b.batch_id) ORDER BY seq",
        {"ids": ids},
    ).df()


def withdrawn(con: duckdb.DuckDBPyConnection, seen: Review | None = None) -> pd.DataFrame:
    """The batches the current version holds that the working data does not (see Review), with their files, as the
    version's own file records them: batch_id, imported_at, user_name, file_name, inserted, updated."""
    seen = seen or review(con)
    db_file = backup.file_of(con)
    columns = ["batch_id", "imported_at", "user_name", "file_name", "inserted", "updated"]
    if not seen.withdrawn or db_file is None or seen.version is None:
        return pd.DataFrame(columns=columns)
    reader = duckdb.connect(str(version_file(db_file, seen.version)), read_only=True)
    try:
        return reader.execute(
            f"SELECT {', '.join(columns)} FROM import_batches WHERE list_contains($ids, batch_id) ORDER BY seq",
            {"ids": list(seen.withdrawn)},
        ).df()
    finally:
        reader.close()


@dataclass(frozen=True)
class Published:
    version: str
    path: Path
    batches: list[str]


def _next_version(con: duckdb.DuckDBPyConnection, db_file: Path) -> str:
    """The name of the next version: v000001, v000002, … — after every version ever recorded and every version file
    on disk, so a name is never used twice (a restore may bring back a record older than the files)."""
    recorded = con.execute(
        "SELECT coalesce(max(CAST(substr(version, 2) AS INTEGER)), 0) FROM published_versions"
    ).fetchall()[0][0]
    on_disk = [int(f.stem[1:]) for f in folder(db_file).glob("v*.duckdb") if VERSION.match(f.stem)]
    return f"v{max([recorded, *on_disk]) + 1:06d}"


def _stamp(
    con: duckdb.DuckDBPyConnection, table: str, version: str, at: datetime, user: str, seq: int, note: str
) -> None:
    """Write the one-row `publication` table a version file carries (what its readers show as its stamp)."""
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT $v AS version, $at::TIMESTAMP AS published_at, "
        "$by AS published_by, $seq::BIGINT AS batch_seq, $note AS note",
        {"v": version, "at": at, "by": user, "seq": seq, "note": note},
    )


@dataclass(frozen=True)
class _Entry:
    """A version about to be installed: what published_versions and the audit trail record of it."""

    version: str
    at: datetime
    user: str
    seq: int
    batches: list[str]
    note: str
    seen: Review
    self_approved: bool = False


def _record(con: duckdb.DuckDBPyConnection, target: Path, entry: _Entry) -> None:
    """Record a written version file in published_versions and the audit trail (one transaction); if that fails,
    the file goes and the error is raised. The entry's `seen` is what the approver was shown (the batches approved,
    the batches withdrawn); `self_approved`, that the approver imported some of them with nobody else to approve."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO published_versions (version, published_at, published_by, batch_seq, batches, note, approved, "
            "withdrawn, self_approved) VALUES ($v, $at, $by, $seq, $batches, $note, $approved, $withdrawn, $self)",
            {
                "v": entry.version,
                "at": entry.at,
                "by": entry.user,
                "seq": entry.seq,
                "batches": list(entry.batches),
                "note": entry.note,
                "approved": list(entry.seen.pending),
                "withdrawn": list(entry.seen.withdrawn),
                "self": entry.self_approved,
            },
        )
        audit.record(
            con,
            entry.user,
            "publish",
            version=entry.version,
            batches=list(entry.batches),
            approved=list(entry.seen.pending),
            withdrawn=list(entry.seen.withdrawn),
            self_approved=entry.self_approved,
            note=entry.note,
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        target.unlink(missing_ok=True)
        raise


def _bound(con: duckdb.DuckDBPyConnection, seen: Review | None) -> Review:
    """What the working data holds now, which must be what the approver was shown (`seen`; None: whatever is there,
    for the system's own publishing). Raises Changed otherwise."""
    now = review(con)
    if seen is not None and now != seen:
        raise Changed(seen, now)
    return now


def publish(
    con: duckdb.DuckDBPyConnection,
    user: str,
    note: str = "",
    seen: Review | None = None,
    *,
    self_approved: bool = False,
) -> Published:
    """Publish the working data as a new current version (see the module's docstring); records it and audits it.

    `seen`: the Review the approver was shown; if the working data or the current version moved on since (another
    import, an undo, a rollback), nothing is published and Changed says what arrived."""
    db_file = backup.file_of(con)
    if db_file is None:
        raise ValueError("an in-memory warehouse cannot be published")
    with load.IMPORT_LOCK:  # no import or undo may change the data while it is checked and copied
        approved = _bound(con, seen)
        derived.ensure(con)  # roll-ups an import left stale are rebuilt before viewers get them
        seq, batches = con.execute(
            "SELECT coalesce(max(seq), 0), coalesce(list(batch_id ORDER BY seq), []) FROM import_batches "
            "WHERE status = 'loaded'"
        ).fetchall()[0]
        version = _next_version(con, db_file)
        now = datetime.now().replace(microsecond=0)

        def write(partial: Path) -> None:
            con.execute("ATTACH $path AS publish_target", {"path": str(partial)})
            try:
                con.execute(f"COPY FROM DATABASE {backup.quote(backup._name(con))} TO publish_target")
                con.execute("DROP TABLE IF EXISTS publish_target.audit_log")  # not for viewers
                con.execute("DROP TABLE IF EXISTS publish_target.batch_claims")
                _stamp(con, "publish_target.publication", version, now, user, seq, note)
            finally:
                con.execute("DETACH publish_target")

        record = _Entry(version, now, user, seq, batches, note, approved, self_approved)
        target = _install(con, db_file, record, write, test_hooks=True)
    _prune(db_file)
    return Published(version, target, list(batches))


def _install(
    con: duckdb.DuckDBPyConnection,
    db_file: Path,
    entry: _Entry,
    write: Callable[[Path], None],
    *,
    test_hooks: bool = False,
) -> Path:
    """Make `entry.version` current: its file written by write(partial) beside its place, owner-only, moved into
    place only if no file has that name (a version file is never overwritten; a failure before leaves no file
    behind), recorded (_record: a failure there removes it), then pointed at. `test_hooks`: publish's pauses,
    where the tests kill it."""
    target = version_file(db_file, entry.version)
    backup.private_dir(target.parent)
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    try:
        write(partial)
        backup.private_file(partial)
        if test_hooks:
            load._pause("publish_copied")  # the copy is written, not yet the version
        os.link(partial, target)  # fails if the name exists: an immutable version is never replaced
        partial.unlink()
    except BaseException:
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)
        raise
    _record(con, target, entry)
    if test_hooks:
        load._pause("publish_recorded")  # recorded, the pointer not yet moved
    _point(db_file, entry.version)  # from here on, readers see the new version
    return target


def _prune(db_file: Path) -> None:
    """Keep the newest keep_versions() files (the current one always)."""
    now = current(db_file)
    files = sorted(folder(db_file).glob("v*.duckdb"), reverse=True)
    for old in files[keep_versions() :]:
        if old.stem != now:
            old.unlink(missing_ok=True)


def rollback(con: duckdb.DuckDBPyConnection, user: str, version: str) -> None:
    """Make an earlier (kept) version current again; recorded in the audit trail. The working data is untouched."""
    db_file = backup.file_of(con)
    if db_file is None or not VERSION.match(version) or not version_file(db_file, version).exists():
        raise ValueError(f"there is no kept version {version!r} (see `python -m etl versions`)")
    before = current(db_file)
    _point(db_file, version)
    audit.record(con, user, "rollback", version=version, before=before)


def reject(con: duckdb.DuckDBPyConnection, user: str, reason: str, seen: Review | None = None) -> list[str]:
    """Undo the pending batches, latest first, each recorded with the reason; returns the batch ids undone.

    `seen`: the Review the approver was shown; if other batches are pending now (or the shown ones are no longer),
    nothing is undone and Changed says what arrived."""
    if not reason.strip():
        raise ValueError("a rejection needs a reason")
    undone = []
    with load.IMPORT_LOCK:  # the check and the undos see the same data (undo takes the lock again: re-entrant)
        for batch_id in reversed(_bound(con, seen).pending):
            load.undo(con, batch_id, user=user)
            audit.record(con, user, "reject", batch_id=batch_id, reason=reason.strip())
            undone.append(batch_id)
    return undone


# --- the one reader: what every surface reads (pages, exports, the presenter, `etl metrics|report|deck|ledger`)


def source(db_file: Path, *, draft: bool = False) -> Path | None:
    """The file a surface reads: the current published version, or the working warehouse only when a person with
    the right explicitly asked for the draft. None when nothing is published yet: the surface shows no figures (it
    never falls back to the unapproved working data)."""
    return db_file if draft else current_file(db_file)


def open_source(db_file: Path, *, draft: bool = False, wait: float = 0.0) -> duckdb.DuckDBPyConnection | None:
    """A connection on source(): a published version read-only (any number of processes may read it), the working
    warehouse for the draft (waiting up to `wait` seconds for another process's work). None: nothing published."""
    chosen = source(db_file, draft=draft)
    if chosen is None:
        return None
    if draft:
        return db.connect(chosen, wait=wait)
    return duckdb.connect(str(chosen), read_only=True)


def publish_own(
    con: duckdb.DuckDBPyConnection, user: str, added: tuple[str, ...] = (), removed: tuple[str, ...] = ()
) -> Published | None:
    """With no accounts (one person's computer, nobody to approve), imports and undos publish what they committed
    themselves, so every surface agrees at once: a version is published when the working data differs from the
    current one by exactly those batches (`added`: imported, oldest first; `removed`: undone). Anything else pending
    — batches a rollback took back, or a restore — waits for the Review page. A warehouse never published (from
    before publishing existed) is published whole: with no accounts, all of it is this person's. Returns the
    Published, or None."""
    if not accounts.is_open() or backup.file_of(con) is None:
        return None
    now = review(con)
    never = not con.execute("SELECT count(*) FROM published_versions").fetchall()[0][0]
    if now.empty or (now != Review(now.version, tuple(added), tuple(removed), now.seq) and not never):
        return None
    return publish(con, user, note="auto (no accounts)", seen=now, self_approved=True)


SYSTEM = "system"  # who publishes by itself: a fresh install's sample, a warehouse from before publishing


def publisher(name: str, lang: str) -> str:
    """Who published a version, as a reader reads it (the automatic publisher named in the reader's language)."""
    return t("publish.by_system", lang) if name == SYSTEM else name


def ensure_published(con: duckdb.DuckDBPyConnection, user: str = SYSTEM) -> str | None:
    """A fresh install's first start: publish once when nothing was ever published from this warehouse and what it
    holds needs nobody's approval — the bundled sample, or, with no accounts, a warehouse from before publishing
    existed (what was live stays live). With accounts, unapproved imports are never published here: they wait for an
    approver. A current version in an older shape is brought to today's (upgrade_current). Returns the version."""
    from etl.bootstrap import is_sample_only

    db_file = backup.file_of(con)
    if db_file is None or db.is_empty(con):
        return None
    if current(db_file) is not None:
        return upgrade_current(con, user)
    ever = con.execute("SELECT count(*) FROM published_versions").fetchall()[0][0]
    if ever or not (accounts.is_open() or is_sample_only(con)):
        return None
    return publish(con, user, note="initial").version


def _older_shape(path: Path) -> bool:
    """Whether a published file was made by older code: its rows do not carry their batch, or its roll-ups are of
    an older shape (today's queries cannot read it)."""
    reader = duckdb.connect(str(path), read_only=True)
    try:
        batched = reader.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'metadata' AND column_name = '_batch_id'"
        ).fetchall()[0][0]
        shapes = reader.execute(
            "SELECT list(comment) FROM duckdb_tables() WHERE list_contains($t, table_name)", {"t": list(derived.TABLES)}
        ).fetchall()[0][0]
    finally:
        reader.close()
    return not batched or sorted(shapes or []) != [derived.VERSION] * len(derived.TABLES)


def upgrade_current(con: duckdb.DuckDBPyConnection, user: str = SYSTEM) -> str | None:
    """Republish the current version, when older code made it, in today's shape: a copy of it with the batch each
    row came from (etl.db's migration) and today's roll-ups, holding the same batches, so readers see the same
    figures and today's queries can read them. Returns the new version, or None when nothing needed it."""
    db_file = backup.file_of(con)
    now = current(db_file) if db_file else None
    if db_file is None or now is None or not _older_shape(version_file(db_file, now)):
        return None
    with load.IMPORT_LOCK:
        seq, batches = con.execute(
            "SELECT batch_seq, coalesce(batches, []) FROM published_versions WHERE version = $v", {"v": now}
        ).fetchall()[0]
        version, at, note = _next_version(con, db_file), datetime.now().replace(microsecond=0), f"upgrade of {now}"

        def write(partial: Path) -> None:
            shutil.copyfile(version_file(db_file, now), partial)
            copy = duckdb.connect(str(partial))
            try:
                db.apply_schema(copy)
                copy.execute("DROP TABLE IF EXISTS audit_log; DROP TABLE IF EXISTS batch_claims")  # as publish
                _stamp(copy, "publication", version, at, user, seq, note)
                copy.execute("CHECKPOINT")
            finally:
                copy.close()

        _install(con, db_file, _Entry(version, at, user, seq, batches, note, Review(now, (), (), seq)), write)
    _prune(db_file)
    return version


# --- the role-checked acts that change what is published: import, undo, publish and reject as a user (four eyes)


class OwnImport(PermissionError):
    """Four eyes: an approver may not approve imports they made while another approver or admin can."""

    def __init__(self, user: str, batches: list[str], others: list[str]) -> None:
        super().__init__(f"{user} imported {', '.join(batches)}: another approver must approve ({', '.join(others)})")
        self.user, self.batches, self.others = user, batches, others


def four_eyes(user: accounts.User, batches: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Of pending `batches` (as pending() lists them), the ones `user` imported, and the other accounts that may approve
    them instead (empty when nobody else can: then the approval is recorded as self-approved). With no accounts
    there is nobody to tell apart: nothing is the user's own."""
    if accounts.is_open():
        return [], []
    own = batches.loc[batches["user_name"] == user.name, "batch_id"].tolist()
    return own, [name for name in accounts.approvers() if name != user.name] if own else []


def import_as(
    user: accounts.User | None,
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    file_name: str,
    progress: load.Progress | None = None,
) -> load.FileResult:
    """Import a file as `user` (analyst or admin; else PermissionError); the batch records the user's name. With no
    accounts the import publishes what it committed (publish_own). `progress(stage, done, total)`: see
    load.import_file."""
    user = accounts.require("analyst", user)
    result = load.import_file(con, data, file_name, user=user.name, progress=progress)
    if result.status == "loaded" and result.batch_id:
        publish_own(con, user.name, added=(result.batch_id,))
    return result


def publish_as(user: accounts.User | None, con: duckdb.DuckDBPyConnection, note: str = "", seen=None):
    """Publish exactly what the approver was shown (`seen`, a Review; Changed when more
    arrived) as a new version (approver or admin; else PermissionError). Four eyes: an approver who imported any of
    the batches may not approve them while another approver or admin exists (OwnImport); when nobody else can, the
    version records that it was self-approved."""
    user = accounts.require("approver", user)
    seen = seen or review(con)
    own, others = four_eyes(user, pending(con, seen.pending))
    if own and others:
        raise OwnImport(user.name, own, others)
    return publish(con, user.name, note, seen, self_approved=bool(own))


def reject_as(user: accounts.User | None, con: duckdb.DuckDBPyConnection, reason: str, seen=None) -> list[str]:
    """Undo exactly the pending imports the approver was shown (`seen`), with a reason (approver or admin; else
    PermissionError)."""
    user = accounts.require("approver", user)
    return reject(con, user.name, reason, seen)


def undo_as(user: accounts.User | None, con: duckdb.DuckDBPyConnection, batch_id: str) -> load.Effects:
    """Undo a batch as `user` (admin only; else PermissionError). With no accounts the undo is published at once
    when it was published before (publish_own)."""
    user = accounts.require("admin", user)
    effects = load.undo(con, batch_id, user=user.name)
    publish_own(con, user.name, removed=(batch_id,))
    return effects
