"""Review, then publish (审核发布): what viewers read is a published version, not the working warehouse.

The working warehouse receives imports and undos; every loaded batch is *pending* until a publish. Publishing
copies the working warehouse (one consistent snapshot) into an immutable file `published/v000012.duckdb` beside
it, without the audit trail (names and addresses of people signing in are not for viewers), records who
published it and which batches it holds, and then points `published/CURRENT` at it (replaced atomically: a
reader sees the old version or the new one, never a half-written file). Pages open the current version
read-only, so any number of app processes can serve it. Rejecting undoes the pending batches, latest first.
Making an earlier version current again (rollback) moves the pointer and is recorded too.

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

from etl import audit, backup, db, derived, load
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
    """Every version published from this warehouse, newest first: version, published_at, published_by,
    batch_seq (the last batch it holds), batches, kept (its file still exists), current."""
    frame = con.execute(
        "SELECT version, published_at, published_by, batch_seq, batches, note FROM published_versions "
        "ORDER BY published_at DESC, version DESC"
    ).df()
    db_file = backup.file_of(con)
    now = current(db_file) if db_file else None
    frame["kept"] = [bool(db_file and version_file(db_file, v).exists()) for v in frame["version"]]
    frame["current"] = frame["version"] == now
    return frame


def _published_seq(con: duckdb.DuckDBPyConnection) -> int:
    """The last batch the current version holds (0 when nothing is published)."""
    db_file = backup.file_of(con)
    now = current(db_file) if db_file else None
    if now is None:
        return 0
    row = con.execute("SELECT batch_seq FROM published_versions WHERE version = $v", {"v": now}).fetchall()
    return int(row[0][0]) if row else 0


def pending(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Loaded batches the current published version does not hold, oldest first (batch_id, file_name, user, …)."""
    return con.execute(
        "SELECT batch_id, seq, imported_at, user_name, file_name, inserted, updated FROM import_batches "
        "WHERE status = 'loaded' AND seq > $seq ORDER BY seq",
        {"seq": _published_seq(con)},
    ).df()


def changed_since_published(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the working data differs from the current version (a batch loaded or undone since)."""
    db_file = backup.file_of(con)
    if db_file is None:
        return False
    now = current(db_file)
    if now is None:
        return not db.is_empty(con)  # an empty warehouse has nothing to publish
    published = con.execute("SELECT batches FROM published_versions WHERE version = $v", {"v": now}).fetchall()
    loaded = con.execute("SELECT list(batch_id ORDER BY seq) FROM import_batches WHERE status = 'loaded'").fetchall()
    return not published or sorted(published[0][0] or []) != sorted(loaded[0][0] or [])


@dataclass(frozen=True)
class Published:
    version: str
    path: Path
    batches: list[str]


def _next_version(con: duckdb.DuckDBPyConnection) -> str:
    """The name of the next version: v000001, v000002, …"""
    number = con.execute(
        "SELECT coalesce(max(CAST(substr(version, 2) AS INTEGER)), 0) + 1 FROM published_versions"
    ).fetchall()[0][0]
    return f"v{number:06d}"


def _stamp(
    con: duckdb.DuckDBPyConnection, table: str, version: str, at: datetime, user: str, seq: int, note: str
) -> None:
    """Write the one-row `publication` table a version file carries (what its readers show as its stamp)."""
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT $v AS version, $at::TIMESTAMP AS published_at, "
        "$by AS published_by, $seq::BIGINT AS batch_seq, $note AS note",
        {"v": version, "at": at, "by": user, "seq": seq, "note": note},
    )


def _record(
    con: duckdb.DuckDBPyConnection,
    target: Path,
    version: str,
    at: datetime,
    user: str,
    seq: int,
    batches: list[str],
    note: str,
) -> None:
    """Record a written version file in published_versions and the audit trail (one transaction); if that fails,
    the file goes and the error is raised."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO published_versions VALUES ($v, $at, $by, $seq, $batches, $note)",
            {"v": version, "at": at, "by": user, "seq": seq, "batches": list(batches), "note": note},
        )
        audit.record(con, user, "publish", version=version, batches=list(batches), note=note)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        target.unlink(missing_ok=True)
        raise


def publish(con: duckdb.DuckDBPyConnection, user: str, note: str = "") -> Published:
    """Publish the working data as a new current version (see the module's docstring); records it and audits it."""
    db_file = backup.file_of(con)
    if db_file is None:
        raise ValueError("an in-memory warehouse cannot be published")
    with load.IMPORT_LOCK:  # no import or undo may change the data while it is copied
        derived.ensure(con)  # roll-ups an import left stale are rebuilt before viewers get them
        seq, batches = con.execute(
            "SELECT coalesce(max(seq), 0), coalesce(list(batch_id ORDER BY seq), []) FROM import_batches "
            "WHERE status = 'loaded'"
        ).fetchall()[0]
        version = _next_version(con)
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

        target = _install(con, db_file, version, write, now, user, seq, batches, note, test_hooks=True)
    _prune(db_file)
    return Published(version, target, list(batches))


def _install(
    con: duckdb.DuckDBPyConnection,
    db_file: Path,
    version: str,
    write: Callable[[Path], None],
    at: datetime,
    user: str,
    seq: int,
    batches: list[str],
    note: str,
    *,
    test_hooks: bool = False,
) -> Path:
    """Make `version` current: its file written by write(partial) beside its place, owner-only, renamed into place
    (a failure before leaves no file behind), recorded (_record: a failure there removes it), then pointed at.
    `test_hooks`: publish's pauses, where the tests kill it."""
    target = version_file(db_file, version)
    backup.private_dir(target.parent)
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    try:
        write(partial)
        backup.private_file(partial)
        if test_hooks:
            load._pause("publish_copied")  # the copy is written, not yet the version
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)
        raise
    _record(con, target, version, at, user, seq, batches, note)
    if test_hooks:
        load._pause("publish_recorded")  # recorded, the pointer not yet moved
    _point(db_file, version)  # from here on, readers see the new version
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


def reject(con: duckdb.DuckDBPyConnection, user: str, reason: str) -> list[str]:
    """Undo every pending batch, latest first, each recorded with the reason; returns the batch ids undone."""
    if not reason.strip():
        raise ValueError("a rejection needs a reason")
    undone = []
    for batch_id in reversed(pending(con)["batch_id"].tolist()):
        load.undo(con, batch_id, user=user)
        audit.record(con, user, "reject", batch_id=batch_id, reason=reason.strip())
        undone.append(batch_id)
    return undone


SYSTEM = "system"  # who publishes by itself: a fresh install's sample, a warehouse from before publishing


def publisher(name: str, lang: str) -> str:
    """Who published a version, as a reader reads it (the automatic publisher named in the reader's language)."""
    return t("publish.by_system", lang) if name == SYSTEM else name


def ensure_published(con: duckdb.DuckDBPyConnection, user: str = SYSTEM) -> str | None:
    """Publish once when nothing is published yet but the working warehouse holds data (a fresh install's
    sample, or a warehouse from before publishing existed: what was live stays live); returns the version.
    A current version in an older shape is brought to today's (upgrade_current)."""
    db_file = backup.file_of(con)
    if db_file is None or db.is_empty(con):
        return None
    if current(db_file) is not None:
        return upgrade_current(con, user)
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
        version, at, note = _next_version(con), datetime.now().replace(microsecond=0), f"upgrade of {now}"

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

        _install(con, db_file, version, write, at, user, seq, batches, note)
    _prune(db_file)
    return version
