"""What a checked upload would change, row by row: the keys it adds and, for each row it updates, every field's
stored and new value (ui.review writes them for people). Compared the way the import compares (etl.load._upsert):
the file's values cast to the warehouse's column types, matched on the kind's key, `IS DISTINCT FROM`."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from etl.kinds import KINDS, TEXT, Kind
from etl.load import FileResult

LIMIT = 50  # rows described per kind; the rest are counted


@dataclass
class RowChange:
    """One stored row an upload updates: its kind, key, a name to know it by, and (field, stored, new) for each
    field that changes."""

    kind: str
    key: dict[str, object]
    name: str | None
    fields: list[tuple[str, object, object]]
    row: dict[str, object] = field(default_factory=dict)  # the new row's values (a target's metric, for its unit)


@dataclass
class Changes:
    """Rows updated (the first LIMIT per kind described) and keys added (the first few per kind), with totals."""

    updated: list[RowChange] = field(default_factory=list)
    updated_total: dict[str, int] = field(default_factory=dict)
    added: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    added_total: dict[str, int] = field(default_factory=dict)

    @property
    def more_updated(self) -> int:
        """Updated rows counted but not described."""
        return sum(self.updated_total.values()) - len(self.updated)


def name_column(kind: Kind) -> str | None:
    """The column a person knows a row by beside its key (a project's name, a session's title), if any."""
    return next((c.name for c in kind.columns if c.type == TEXT and c.required and c.name not in kind.key), None)


def _types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall())


def compare(con: duckdb.DuckDBPyConnection, result: FileResult, limit: int = LIMIT, added: int = 5) -> Changes:
    """The rows a checked (dry-run) result would add and update, against what `con` stores now. Only sheets whose
    counts show a change are compared."""
    changes = Changes()
    if result.report is None:
        return changes
    counts = {s["sheet"]: s for s in result.sheets}
    for sheet in result.report.sheets:
        count = counts.get(sheet.sheet, {})
        if not (count.get("inserted") or count.get("updated")) or sheet.frame.empty:
            continue
        kind = KINDS[sheet.kind]
        _compare_sheet(con, kind, sheet.frame, changes, limit, added)
    return changes


def _compare_sheet(con, kind: Kind, frame, changes: Changes, limit: int, added: int) -> None:
    types = _types(con, kind.name)
    present = [c for c in kind.column_names if c in frame]
    key = list(kind.key)
    values = [c for c in present if c not in key]
    casts = ", ".join(f'CAST("{c}" AS {types[c]}) AS "{c}"' for c in present)
    con.register("upload_rows", frame[[*present, "_row"]])
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE upload_stage AS SELECT {casts}, _row FROM upload_rows")
    finally:
        con.unregister("upload_rows")
    try:
        on = " AND ".join(f's."{k}" = t."{k}"' for k in key)
        keys = ", ".join(f's."{k}"' for k in key)
        fresh = con.execute(
            f"SELECT {keys} FROM upload_stage s ANTI JOIN {kind.name} t ON {on} ORDER BY s._row"
        ).fetchall()
        if fresh:
            changes.added.setdefault(kind.name, []).extend(dict(zip(key, r, strict=True)) for r in fresh[:added])
            changes.added_total[kind.name] = changes.added_total.get(kind.name, 0) + len(fresh)
        if not values:
            return
        differs = " OR ".join(f's."{c}" IS DISTINCT FROM t."{c}"' for c in values)
        name = name_column(kind)
        name_sql = f't."{name}"' if name else "NULL"
        pairs = ", ".join(f's."{c}", t."{c}", s."{c}" IS DISTINCT FROM t."{c}"' for c in values)
        total = con.execute(
            f"SELECT count(*) FROM upload_stage s JOIN {kind.name} t ON {on} WHERE {differs}"
        ).fetchone()[0]
        if not total:
            return
        changes.updated_total[kind.name] = changes.updated_total.get(kind.name, 0) + total
        rows = con.execute(
            f"SELECT {keys}, {name_sql}, {pairs} FROM upload_stage s JOIN {kind.name} t ON {on} WHERE {differs} "
            f"ORDER BY s._row LIMIT {int(limit)}"
        ).fetchall()
        for row in rows:
            at = len(key) + 1
            fields, new_row = [], {}
            for c in values:
                new, old, changed = row[at], row[at + 1], row[at + 2]
                at += 3
                new_row[c] = new
                if changed:
                    fields.append((c, old, new))
            key_values = dict(zip(key, row[: len(key)], strict=True))
            changes.updated.append(RowChange(kind.name, key_values, row[len(key)], fields, {**key_values, **new_row}))
    finally:
        con.execute("DROP TABLE IF EXISTS upload_stage")
