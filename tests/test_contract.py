"""The spreadsheet contract (etl/kinds.py) and the warehouse (etl/schema.sql) say the same thing.

schema.sql is written by hand, for people to read; this test is what keeps it from drifting from the kinds:
every kind has a table with exactly its columns, in its order, of the type its values parse to, NOT NULL where
the column is required, and (where the table declares one) the kind's key as its primary key.
"""

from __future__ import annotations

import duckdb
import pytest

from etl import db
from etl.kinds import AMOUNT, BOOL, DATE, ENUM, ID, INT, KINDS, NUMBER, TARGET, TEXT, YEAR

SQL_TYPES = {
    ID: "VARCHAR",
    TEXT: "VARCHAR",
    ENUM: "VARCHAR",
    DATE: "DATE",
    AMOUNT: "DECIMAL(18,2)",
    INT: "INTEGER",
    NUMBER: "DOUBLE",
    BOOL: "BOOLEAN",
    YEAR: "INTEGER",
    TARGET: "DOUBLE",
}


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    connection = db.connect(tmp_path_factory.mktemp("contract") / "w.duckdb")
    yield connection
    connection.close()


def _table(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str, bool]]:
    """(column, type, nullable) of a table's contract columns (columns starting with _ are the loader's own)."""
    rows = con.execute(
        "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE table_name = $t AND NOT internal ORDER BY column_index",
        {"t": name},
    ).fetchall()
    return [(c, t.replace(" ", ""), n) for c, t, n in rows if not c.startswith("_")]


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_kind_has_its_table(con, name):
    kind = KINDS[name]
    table = _table(con, name)
    assert [c for c, _, _ in table] == list(kind.column_names), "schema.sql columns differ from etl/kinds.py"
    for column, (_, sql_type, nullable) in zip(kind.columns, table, strict=True):
        assert sql_type == SQL_TYPES[column.type], f"{name}.{column.name}: {sql_type} for a {column.type} column"
        if column.required:
            assert not nullable, f"{name}.{column.name} is required in the sheet but nullable in the warehouse"


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_declared_primary_key_is_the_kinds_key(con, name):
    keys = con.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() "
        "WHERE table_name = $t AND constraint_type = 'PRIMARY KEY'",
        {"t": name},
    ).fetchall()
    assert all(tuple(columns) == KINDS[name].key for (columns,) in keys)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_kind_keeps_its_history_beside_it(con, name):
    """<kind>_history holds what a batch replaced: the batch, the action and every contract column."""
    history = [c for c, _, _ in _table(con, f"{name}_history")]
    assert history == list(KINDS[name].column_names)
