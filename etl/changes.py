"""What changes, row by row, and how people know each row: the rows a checked upload would add and update against
the working data (`compare`), and the rows added, changed and removed between the current published version and the
working data (`between`, for the review before publishing). presenter.review writes them for people.

Compared the way the import compares (etl.load._upsert): matched on the kind's key, a row changed when any of the
kind's columns `IS DISTINCT FROM` the stored one (`_batch_id` is not compared). Set-based: a kind is counted first
(an unchanged table by one scan of each side, see _same; else one anti-join each way and one join for the changed
rows) and only the first rows are described, so a million attendance rows cost a few scans, not a loop. A row is known by its kind's description (DESCRIPTIONS): a worker by name and community, an
attendance row by the worker and the session, a donation by its donor and amount, …; attendance is described by
session (how many rows for each, a few names), not row by row."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from etl.kinds import KINDS, LOAD_ORDER, TEXT, Column, Kind
from etl.load import FileResult

LIMIT = 50  # changed rows described per kind; the rest are counted
LISTED = 10  # added or removed rows (or groups of them) described per kind
MEMBERS = 5  # rows named in each group
ALIAS = "published_version"  # the published file, attached read-only while it is compared (a number is added)
_aliases = itertools.count(1)  # each comparison its own alias: connections to one warehouse share their attachments


# --- how people know a row


@dataclass(frozen=True)
class Fact:
    """One thing people know a row by, written as `column` is written (presenter.review.cell: labels, dates, ¥). `sql` reads
    the row as `r`; a table it looks a name up in is written `{workers}`, read from the database the row is in.
    `donor`: the value is a struct of the donor and the donor's type, shown as the public ledger shows donors."""

    name: str
    sql: str
    column: Column
    donor: bool = False


@dataclass(frozen=True)
class Description:
    """How the rows of a kind are named: their facts, joined by `sep` (presenter.review puts the key before them). A kind
    with `group` is described by group (its rows counted per value of those key columns, a few named): the group by
    `group_facts`, the group's noun is the kind `group_kind`'s."""

    facts: tuple[Fact, ...] = ()
    sep: str = " · "
    group: tuple[str, ...] = ()
    group_kind: str | None = None
    group_facts: tuple[Fact, ...] = ()


def _own(kind: str, column: str) -> Fact:
    return Fact(column, f'r."{column}"', KINDS[kind].column(column))


def _looked_up(name: str, kind: str, column: str, on: str, fallback: bool = True) -> Fact:
    """`column` of the `kind` row whose key is the row's `on` (with `fallback`: the ID itself when none is found)."""
    [key] = KINDS[kind].key
    found = f'(SELECT any_value(x."{column}") FROM {{{kind}}} x WHERE x."{key}" = r."{on}")'
    return Fact(name, f'coalesce({found}, r."{on}")' if fallback else found, KINDS[kind].column(column))


_SESSION = (
    _looked_up("date", "training_sessions", "date", "session_id", fallback=False),
    _looked_up("title", "training_sessions", "title", "session_id"),
)

DESCRIPTIONS: dict[str, Description] = {
    "projects": Description((_own("projects", "name"),)),
    "workers": Description((_own("workers", "name"), _own("workers", "community"))),
    "training_sessions": Description((_own("training_sessions", "date"), _own("training_sessions", "title"))),
    "attendance": Description(
        (_looked_up("worker", "workers", "name", "worker_id"),),
        group=("session_id",),
        group_kind="training_sessions",
        group_facts=_SESSION,
    ),
    "mentorships": Description(
        (
            _looked_up("mentor", "workers", "name", "mentor_id"),
            _looked_up("mentee", "workers", "name", "mentee_id"),
        ),
        sep=" → ",
    ),
    "meetings": Description((_own("meetings", "date"), _own("meetings", "topic"))),
    "donations": Description(
        (
            Fact(
                "donor",
                'struct_pack(donor := r."donor", type := r."donor_type")',
                KINDS["donations"].column("donor"),
                donor=True,
            ),
            _own("donations", "amount_yuan"),
        )
    ),
    "disbursements": Description(
        (
            _looked_up("project", "projects", "name", "project_id"),
            _own("disbursements", "purpose"),
            _own("disbursements", "amount_yuan"),
        )
    ),
    "targets": Description(),  # its key is its name: the metric and the year
    "metadata": Description((_own("metadata", "note"),)),
    "notes": Description((_own("notes", "metric"), _own("notes", "date"), _own("notes", "text_zh"))),
    "resident_voices": Description(
        (
            _own("resident_voices", "community"),
            _own("resident_voices", "collected_date"),
            _own("resident_voices", "category"),
            _own("resident_voices", "status"),
        )
    ),
}
assert set(DESCRIPTIONS) == set(KINDS)
# the kinds whose tables names are looked up in (compare looks there in the file too)
LOOKED_UP = {
    name
    for d in DESCRIPTIONS.values()
    for fact in (*d.facts, *d.group_facts)
    for name in re.findall(r"\{(\w+)\}", fact.sql)
}


def name_column(kind: Kind) -> str | None:
    """The column a person knows a row by beside its key (a project's name, a session's title), if any."""
    return next((c.name for c in kind.columns if c.type == TEXT and c.required and c.name not in kind.key), None)


# --- what changes


@dataclass
class Named:
    """A row as people know it: its key and its description's facts (raw values; presenter.review writes them). For a kind
    described by group, a group: the group's key and facts, how many rows it has, the first few of them."""

    key: dict[str, object]
    facts: dict[str, object]
    n: int = 1
    members: list[Named] = field(default_factory=list)


@dataclass
class Rows:
    """The rows of one kind a change adds (or removes): how many, the first keys, the first rows (or groups) named,
    and for a kind described by group how many groups in all."""

    total: int = 0
    keys: list[dict[str, object]] = field(default_factory=list)
    named: list[Named] = field(default_factory=list)
    groups: int = 0

    def add(self, other: Rows) -> None:
        self.total += other.total
        self.keys += other.keys
        self.named += other.named
        self.groups += other.groups


@dataclass
class RowChange:
    """One stored row a change updates: its kind, key, a name to know it by, and (field, stored, new) for each
    field that changes."""

    kind: str
    key: dict[str, object]
    name: str | None
    fields: list[tuple[str, object, object]]
    row: dict[str, object] = field(default_factory=dict)  # the new row's values (a target's metric, for its unit)
    facts: dict[str, object] = field(default_factory=dict)  # its description's facts (DESCRIPTIONS), as it will be


@dataclass
class Changes:
    """Rows updated (the first LIMIT per kind described), added and removed (per kind: counted, the first few named),
    kinds in load order."""

    updated: list[RowChange] = field(default_factory=list)
    updated_total: dict[str, int] = field(default_factory=dict)
    added: dict[str, Rows] = field(default_factory=dict)
    removed: dict[str, Rows] = field(default_factory=dict)

    @property
    def added_total(self) -> dict[str, int]:
        return {kind: rows.total for kind, rows in self.added.items()}

    @property
    def removed_total(self) -> dict[str, int]:
        return {kind: rows.total for kind, rows in self.removed.items()}

    @property
    def more_updated(self) -> int:
        """Updated rows counted but not described."""
        return sum(self.updated_total.values()) - len(self.updated)

    @property
    def empty(self) -> bool:
        return not (self.updated_total or self.added or self.removed)


Source = Callable[[str], str]  # a kind's name -> the table (or subquery) its rows are looked up in


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The one number `sql` returns (a count, or the rows a CREATE TABLE AS wrote)."""
    row = con.execute(sql).fetchone()
    assert row is not None, sql
    return int(row[0])


def _render(sql: str, source: Source) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: source(m.group(1)), sql)


def _quoted(columns) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _facts_sql(facts: tuple[Fact, ...], source: Source) -> str:
    return "".join(f", {_render(f.sql, source)}" for f in facts)


def _named(kind: Kind, facts: tuple[Fact, ...], row: tuple, key: tuple[str, ...] | None = None) -> Named:
    key = key or kind.key
    at = len(key)
    return Named(dict(zip(key, row[:at], strict=True)), {f.name: row[at + i] for i, f in enumerate(facts)})


def _missing(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    new: str,
    old: str | None,
    source: Source,
    order: tuple[str, ...],
    listed: int,
    members: int = MEMBERS,
) -> Rows | None:
    """The rows of `new` whose key `old` does not hold (`old` None: every row), counted, the first `listed` named
    (for a kind described by group, the first `listed` groups, each with its first `members` rows), in `order`.
    Names are looked up through `source`."""
    if old is None:
        total = _count(con, f"SELECT count(*) FROM {new}")
        return _described(con, kind, f"SELECT * FROM {new}", total, source, order, listed, members) if total else None
    on = " AND ".join(f'r."{k}" = o."{k}"' for k in kind.key)
    try:  # found once (one anti-join), then counted, grouped and named from the rows found
        total = _count(
            con, f"CREATE OR REPLACE TEMP TABLE missing_rows AS SELECT r.* FROM {new} r ANTI JOIN {old} o ON {on}"
        )
        return (
            _described(con, kind, "SELECT * FROM missing_rows", total, source, order, listed, members)
            if total
            else None
        )
    finally:
        con.execute("DROP TABLE IF EXISTS missing_rows")


def _described(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    base: str,
    total: int,
    source: Source,
    order: tuple[str, ...],
    listed: int,
    members: int,
) -> Rows:
    """`total` rows (the query `base`) counted, grouped and named (see _missing)."""
    key = kind.key
    described = DESCRIPTIONS[kind.name]
    keys = _quoted(key)
    by = _quoted(order)
    if not described.group:
        rows = con.execute(
            f"SELECT {keys}{_facts_sql(described.facts, source)} "
            f"FROM (SELECT * FROM ({base}) ORDER BY {by} LIMIT {int(listed)}) r ORDER BY {by}"
        ).fetchall()
        named = [_named(kind, described.facts, row) for row in rows]
        return Rows(total, [n.key for n in named], named)
    group = _quoted(described.group)
    groups = con.execute(
        f"WITH a AS ({base}), g AS (SELECT {group}, count(*) AS n, count(*) OVER () AS groups FROM a "
        f"GROUP BY {group} ORDER BY {group} LIMIT {int(listed)}) "
        f"SELECT {group}, n, groups{_facts_sql(described.group_facts, source)} FROM g r ORDER BY {group}"
    ).fetchall()
    width = len(described.group)
    named = []
    for row in groups:
        one = _named(kind, described.group_facts, row[:width] + row[width + 2 :], described.group)
        one.n = row[width]
        named.append(one)
    picked = f"SELECT DISTINCT {group} FROM a ORDER BY {group} LIMIT {int(listed)}"
    rows = con.execute(
        f"WITH a AS ({base}), g AS ({picked}) "
        f"SELECT {group}, {keys}{_facts_sql(described.facts, source)} FROM (SELECT a.* FROM a SEMI JOIN g "
        f"USING ({group}) QUALIFY row_number() OVER (PARTITION BY {group} ORDER BY {by}) <= {int(members)}) r "
        f"ORDER BY {group}, {by}"
    ).fetchall()
    into = {tuple(one.key.values()): one for one in named}
    for row in rows:
        into[row[:width]].members.append(_named(kind, described.facts, row[width:]))
    return Rows(total, [m.key for one in named for m in one.members], named, groups[0][width + 1])


def _updated(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    new: str,
    old: str,
    compared: list[str],
    source: Source,
    order: tuple[str, ...],
    limit: int,
    changes: Changes,
    old_columns: set[str] | None = None,
) -> None:
    """The rows of `new` whose stored row in `old` (same key) differs in a `compared` column: counted, the first
    `limit` (in `order`, columns of `new`) described field by field, each with its facts as it will be: a kind column
    not compared is read from `old` (an upload leaves the columns its sheet lacks as they are) unless `old` lacks it
    too. `old_columns`: the columns `old` has (default: all of the kind's)."""
    values = [c for c in compared if c not in kind.key]
    if not values:
        return
    on = " AND ".join(f'r."{k}" = o."{k}"' for k in kind.key)
    differs = " OR ".join(f'r."{c}" IS DISTINCT FROM o."{c}"' for c in values)
    total = _count(con, f"SELECT count(*) FROM {new} r JOIN {old} o ON {on} WHERE {differs}")
    if not total:
        return
    changes.updated_total[kind.name] = changes.updated_total.get(kind.name, 0) + total
    have = set(old_columns) if old_columns is not None else set(kind.column_names)
    present = set(compared) | set(kind.key)
    row = [f'r."{c}"' if c in present or c not in have else f'o."{c}" AS "{c}"' for c in kind.column_names]
    stored = [f'o."{c}" AS "old:{c}"' for c in values]
    name = name_column(kind)
    label = f'o."{name}"' if name and name in have else (f'r."{name}"' if name else "NULL")
    extra = [f'r."{c}"' for c in order if c not in kind.column_names]
    described = DESCRIPTIONS[kind.name]
    pairs = ", ".join(f'r."{c}", r."old:{c}", r."{c}" IS DISTINCT FROM r."old:{c}"' for c in values)
    quoted = [f'"{c}"' for c in order]
    rows = con.execute(
        f"SELECT {_quoted(kind.key)}, r.label, {pairs}{_facts_sql(described.facts, source)} FROM ("
        f"SELECT {', '.join([*row, *stored, *extra])}, {label} AS label FROM {new} r JOIN {old} o ON {on} "
        f"WHERE {differs} ORDER BY {', '.join(f'r.{c}' for c in quoted)} LIMIT {int(limit)}) r ORDER BY {_quoted(order)}"
    ).fetchall()
    width = len(kind.key)
    for one in rows:
        at = width + 1
        fields, new_row = [], {}
        for c in values:
            after, before, changed = one[at], one[at + 1], one[at + 2]
            at += 3
            new_row[c] = after
            if changed:
                fields.append((c, before, after))
        key = dict(zip(kind.key, one[:width], strict=True))
        facts = {f.name: one[at + i] for i, f in enumerate(described.facts)}
        changes.updated.append(RowChange(kind.name, key, one[width], fields, {**key, **new_row}, facts))


# --- an upload against the working data


def _types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall())


def compare(con: duckdb.DuckDBPyConnection, result: FileResult, limit: int = LIMIT, added: int = 5) -> Changes:
    """The rows a checked (dry-run) result would add and update, against what `con` stores now: the first `limit`
    updated rows and `added` added rows (or groups) of each kind described, in the file's order. Only sheets whose
    counts show a change are compared. Names are looked up in the file and the working data (a roster and its
    attendance imported together name the new workers)."""
    changes = Changes()
    if result.report is None:
        return changes
    counts = {s["sheet"]: s for s in result.sheets}

    def changed(sheet) -> bool:
        count = counts.get(sheet.sheet, {})
        return bool(count.get("inserted") or count.get("updated"))

    # the sheets that change something, and those names are looked up in
    sheets = [s for s in result.report.sheets if not s.frame.empty and (changed(s) or s.kind in LOOKED_UP)]
    staged: dict[str, str] = {}  # a kind whose sheets are staged -> its rows as the file and the warehouse hold them
    try:
        for i, sheet in enumerate(sheets):
            _stage(con, KINDS[sheet.kind], sheet.frame, f"upload_sheet_{i}")
        for kind_name in {s.kind for s in sheets} & LOOKED_UP:
            kind = KINDS[kind_name]
            union = " UNION ALL ".join(
                f"SELECT {_quoted(kind.column_names)} FROM upload_sheet_{i}"
                for i, s in enumerate(sheets)
                if s.kind == kind_name
            )
            on = " AND ".join(f'u."{k}" = w."{k}"' for k in kind.key)
            stored = ", ".join(f'w."{c}"' for c in kind.column_names)
            staged[kind_name] = (
                f"(SELECT * FROM ({union}) UNION ALL SELECT {stored} FROM {kind_name} w ANTI JOIN ({union}) u ON {on})"
            )

        def source(name: str) -> str:
            return staged.get(name, name)

        for i, sheet in enumerate(sheets):
            if not changed(sheet):
                continue
            kind = KINDS[sheet.kind]
            stage = f"upload_sheet_{i}"
            fresh = _missing(con, kind, stage, kind.name, source, ("_row",), added)
            if fresh:
                changes.added.setdefault(kind.name, Rows()).add(fresh)
            present = [c for c in kind.column_names if c in sheet.frame]
            _updated(con, kind, stage, kind.name, present, source, ("_row",), limit, changes)
    finally:
        for i in range(len(sheets)):
            con.execute(f"DROP TABLE IF EXISTS upload_sheet_{i}")
    return changes


def _stage(con: duckdb.DuckDBPyConnection, kind: Kind, frame: pd.DataFrame, name: str) -> None:
    """A sheet's rows as a temp table with the kind's columns, cast to the warehouse's types (a column the sheet
    lacks is NULL), and its Excel row `_row`."""
    types = _types(con, kind.name)
    casts = ", ".join(
        f'CAST("{c}" AS {types[c]}) AS "{c}"' if c in frame else f'CAST(NULL AS {types[c]}) AS "{c}"'
        for c in kind.column_names
    )
    present = [c for c in kind.column_names if c in frame]
    con.register("upload_rows", frame[[*present, "_row"]])
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {casts}, _row FROM upload_rows")
    finally:
        con.unregister("upload_rows")


# --- the published version against the working data


def _same(con: duckdb.DuckDBPyConnection, new: str, old: str, compared: list[str]) -> bool:
    """Whether two tables hold the same rows in the `compared` columns, as far as their count and the sum of their
    rows' hashes tell (one scan of each: an unchanged table of a million rows costs tens of milliseconds, not a join;
    an added, removed or changed row changes the sum unless 64-bit hashes collide)."""
    rows = f"SELECT count(*), sum(hash({_quoted(compared)})) FROM {{}}"
    return con.execute(rows.format(new)).fetchall() == con.execute(rows.format(old)).fetchall()


def between(
    con: duckdb.DuckDBPyConnection, published: Path | None, limit: int = LIMIT, listed: int = LISTED
) -> Changes:
    """The rows publishing now would add, change and remove: every kind's table in the working data (`con`, read as
    it is) against the same table in the published version file `published` (None: nothing is published yet, so
    every row is added). Per kind: counted; the first `limit` changed rows and `listed` added and removed rows (or
    groups) described, in key order. The file is attached read-only for the comparison (as the app keeps it open
    read-only elsewhere in the process), then detached."""
    changes = Changes()
    alias = None
    if published is not None:
        alias = f"{ALIAS}_{next(_aliases)}"
        con.execute(f"ATTACH $path AS {alias} (READ_ONLY)", {"path": str(published)})
    try:
        tables = set()
        if alias:
            tables = {
                name
                for (name,) in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = $db AND schema_name = 'main'",
                    {"db": alias},
                ).fetchall()
            }

        def working(name: str) -> str:
            return name

        def stored(name: str) -> str:
            return f"{alias}.main.{name}"

        for name in LOAD_ORDER:
            kind = KINDS[name]
            have = set(_types(con, stored(name))) if alias and name in tables else set()
            if not set(kind.key) <= have:  # nothing published (or no such table): every row is added
                fresh = _missing(con, kind, name, None, working, kind.key, listed)
                if fresh:
                    changes.added[name] = fresh
                continue
            compared = [c for c in kind.column_names if c in have]
            if _same(con, name, stored(name), compared):
                continue
            fresh = _missing(con, kind, name, stored(name), working, kind.key, listed)
            if fresh:
                changes.added[name] = fresh
            gone = _missing(con, kind, stored(name), name, stored, kind.key, listed)
            if gone:
                changes.removed[name] = gone
            _updated(con, kind, name, stored(name), compared, working, kind.key, limit, changes, have)
    finally:
        if alias:
            con.execute(f"DETACH {alias}")
    return changes
