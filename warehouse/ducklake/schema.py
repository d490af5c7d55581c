"""The lake's schema, made from the same `sql/migrations` and `sql/views` files as the embedded one.

DuckLake has no PRIMARY KEY or UNIQUE constraints, so each migration is applied with them stripped
(a primary key keeps its NOT NULL); the merge keeps keys unique itself (`warehouse.ducklake.store`).
One set of files stays the single source of truth, and a new migration reaches both backends.
"""

from __future__ import annotations

import re

import duckdb

from warehouse.duckdb import summaries
from warehouse.duckdb.migrations import _SUMMARIES_VERSION, migrations, view_files

_PRIMARY_KEY = re.compile(r"\bPRIMARY KEY\b")
_UNIQUE = re.compile(r"\s+UNIQUE\b")


def lake_ddl(sql: str) -> str:
    """A migration's DDL without the constraints DuckLake cannot hold; a primary key keeps its NOT NULL."""
    return _UNIQUE.sub("", _PRIMARY_KEY.sub("NOT NULL", sql))


def apply_lake_migrations(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Bring the lake's schema up to date and recreate the views; returns the versions applied now.
    The caller holds the lake's write lock, so two hosts starting at once do not both migrate."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for migration in migrations():
        if migration.version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(lake_ddl(migration.sql))
            if migration.version == _SUMMARIES_VERSION:
                summaries.rebuild(con)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [migration.version, migration.name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    for view in view_files():
        con.execute(view.read_text(encoding="utf-8"))
    return applied
