"""Versioned schema migrations from `sql/migrations/NNN_name.sql`, plus the views in `sql/views/`.

Each migration runs once, in its own transaction, and is recorded in `schema_migrations`;
views are recreated on every migrate so a changed view file takes effect on the next run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.duckdb import summaries

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
_MIGRATION_NAME = re.compile(r"^(\d{3})_[\w-]+\.sql$")
# The migration that created the summary tables: a warehouse that already holds stories gets them filled.
_SUMMARIES_VERSION = 3


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(sql_dir: Path = SQL_DIR) -> list[Migration]:
    """The migration files in version order; a gap or a clash in numbering is a bug, caught here."""
    found = []
    for path in sorted((sql_dir / "migrations").glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"{path}: migration files are named NNN_description.sql")
        found.append(Migration(int(match[1]), path.stem, path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise ValueError(f"{sql_dir / 'migrations'}: versions must run 1..n without gaps, got {versions}")
    return found


def view_files(sql_dir: Path = SQL_DIR) -> list[Path]:
    """View definitions, applied in name order (a view may build on an earlier one: prefix with 0_ etc.)."""
    return sorted((sql_dir / "views").glob("*.sql"))


def apply_migrations(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[int]:
    """Bring the schema up to date and recreate the views; returns the versions applied now."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for migration in migrations(sql_dir):
        if migration.version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            if migration.version == _SUMMARIES_VERSION:
                summaries.rebuild(con)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [migration.version, migration.name],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    for view in view_files(sql_dir):
        con.execute(view.read_text(encoding="utf-8"))
    return applied
