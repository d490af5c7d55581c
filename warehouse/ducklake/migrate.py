"""Moving up: copy an embedded DuckDB warehouse into an empty lake, exactly, and its raw archive beside it.

The copy runs in the lake's own DuckDB with the embedded file attached read-only, as one lake transaction
under the lake's write lock, so a failure leaves the lake as empty as it was. Afterwards every table is
checked on both sides by its row count and an order-independent content hash (the sum of every row's
hash), computed by the same DuckDB over the same column types, so any row lost, added or altered shows.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.ducklake.storage import sql_string
from warehouse.protocol import WarehouseError

SOURCE = "migrate_source"
# Each backend keeps its own: the applied migrations (checked equal instead) and the fts index's state.
_NOT_COPIED = frozenset({"schema_migrations", "search_index_state"})


@dataclass(frozen=True, slots=True)
class TableCheck:
    table: str
    rows: int
    content_hash: int


def base_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = 'main' "
            "AND table_type = 'BASE TABLE' ORDER BY 1",
            [catalog],
        ).fetchall()
        if name not in _NOT_COPIED
    ]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[str]:
    return [column[0] for column in con.execute(f"SELECT * FROM {catalog}.main.{table} LIMIT 0").description]


def fingerprint(con: duckdb.DuckDBPyConnection, catalog: str, table: str, columns: list[str]) -> TableCheck:
    """Rows and the sum of the rows' hashes: equal on both sides only if the same rows are there."""
    rows, total = con.execute(
        f"SELECT count(*), coalesce(sum(hash({', '.join(columns)})::HUGEINT), 0) FROM {catalog}.main.{table}"
    ).fetchone()
    return TableCheck(table, rows, int(total))


def copy_into_lake(con: duckdb.DuckDBPyConnection, lake: str, source: Path) -> list[TableCheck]:
    """Copy every table of the DuckDB file `source` into the empty lake `lake` (the caller holds the lake's
    write lock), then check each table's count and hash on both sides; returns the checks."""
    try:
        con.execute(f"ATTACH {sql_string(str(source))} AS {SOURCE} (READ_ONLY)")
    except duckdb.Error as error:
        raise WarehouseError(f"cannot read {source}: {str(error).splitlines()[0]}") from None
    try:
        versions = [
            {v for (v,) in con.execute(f"SELECT version FROM {catalog}.main.schema_migrations").fetchall()}
            for catalog in (SOURCE, lake)
        ]
        if versions[0] != versions[1]:
            raise WarehouseError(
                f"{source} has schema versions {sorted(versions[0])}, the lake {sorted(versions[1])}: "
                "run `dateline run` with the same Dateline on both first"
            )
        tables = base_tables(con, SOURCE)
        missing = sorted(set(tables) - set(base_tables(con, lake)))
        if missing:
            raise WarehouseError(f"the lake has no table {', '.join(missing)}")
        for table in base_tables(con, lake):
            if con.execute(f"SELECT count(*) FROM {lake}.main.{table}").fetchone()[0]:
                raise WarehouseError(f"refusing to migrate into a lake that is not empty: {table} has rows")
        con.execute("BEGIN TRANSACTION")
        try:
            for table in tables:
                names = ", ".join(_columns(con, SOURCE, table))
                con.execute(f"INSERT INTO {lake}.main.{table} ({names}) SELECT {names} FROM {SOURCE}.main.{table}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        checks = []
        for table in tables:
            columns = _columns(con, SOURCE, table)
            expected, found = fingerprint(con, SOURCE, table, columns), fingerprint(con, lake, table, columns)
            if expected != found:
                raise WarehouseError(
                    f"{table}: {found.rows} rows in the lake for {expected.rows} in {source}, or their contents differ"
                )
            checks.append(expected)
        return checks
    finally:
        con.execute(f"DETACH {SOURCE}")


def copy_archive(source: Path, target: Path) -> str:
    """Copy the raw archive's SQLite file `source` to `target` (a consistent copy, even while a run writes
    it) when it fits there; returns one line saying what happened, or what is missing."""
    if not source.exists():
        return f"raw archive: none at {source}"
    if target.exists() and source.resolve() == target.resolve():
        return f"raw archive: already in place at {target} (both warehouses use the same data folder)"
    if target.exists():
        return f"raw archive: NOT copied, {target} already exists"
    target.parent.mkdir(parents=True, exist_ok=True)
    needed, free = source.stat().st_size, shutil.disk_usage(target.parent).free
    if needed > free:
        return f"raw archive: NOT copied, {needed} bytes needed and {free} free at {target.parent}; reparse needs it"
    with closing(sqlite3.connect(source)) as reader, closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)
        counts = [
            [con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("fetches", "bodies")]
            for con in (reader, writer)
        ]
    if counts[0] != counts[1]:
        raise WarehouseError(f"raw archive copy differs: {counts[1]} fetches/bodies for {counts[0]}")
    return f"raw archive: copied to {target} ({counts[0][0]} fetches, {counts[0][1]} bodies, counts checked)"
