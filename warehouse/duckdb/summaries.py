"""Summary tables behind the analyst views, kept exact by every merge.

At a million stories the views aggregated every bridge row on each query (0.2-7 s for `LIMIT 100`).
The views now read `summary_*` tables holding their rows. A merge names the stories it is about to
change, notes the summary keys those stories count towards before the change and after it (a story
can move to another day, lose a topic, or become a wire copy), and recomputes only those rows from
the base tables, in the merge's own transaction: a crash leaves both or neither, and the summaries
always equal a full rebuild (tests/test_summaries.py checks exactly that). A delta (add the new
counts, subtract the old) would be cheaper but cannot maintain the distinct counts the views report
(sources per day), so the touched rows are recomputed instead.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

_SQL = Path(__file__).resolve().parents[2] / "sql" / "summaries"
_COLLECT = (_SQL / "collect_scope.sql").read_text(encoding="utf-8")
_REFRESH = (_SQL / "refresh.sql").read_text(encoding="utf-8")
SUMMARY_TABLES = (
    "summary_story",
    "summary_topic_daily",
    "summary_topic_weekly",
    "summary_entity_daily",
    "summary_entity",
    "summary_entity_pair",
    "summary_source_daily",
)


def track(con: duckdb.DuckDBPyConnection, story_keys_sql: str) -> None:
    """Before a change: remember which stories will change (`story_keys_sql` selects `story_key`) and
    the summary rows they count towards now."""
    _start(con, story_keys_sql)
    _collect(con, sign=-1)


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """After the change: add the rows the tracked stories count towards now, and recompute them all."""
    _collect(con, sign=1)
    con.execute(_REFRESH)


def _start(con: duckdb.DuckDBPyConnection, story_keys_sql: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE summary_stories AS SELECT DISTINCT story_key FROM ({story_keys_sql})")
    con.execute("CREATE OR REPLACE TEMP TABLE summary_scope (kind VARCHAR, k1 BIGINT, k2 BIGINT)")
    con.execute("CREATE OR REPLACE TEMP TABLE summary_pair_change (entity_key BIGINT, partner_key BIGINT, change INT)")


def _collect(con: duckdb.DuckDBPyConnection, sign: int) -> None:
    con.execute(f"SET VARIABLE summary_sign = {sign}")
    con.execute(_COLLECT)


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every summary from the star schema (after a migration, or rows written by hand)."""
    for table in SUMMARY_TABLES:
        con.execute(f"DELETE FROM {table}")
    _start(con, "SELECT story_key FROM fact_story")
    refresh(con)


def drift(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows by which each summary table differs from a full rebuild (all zero when the merges kept them
    exact). Rebuilds inside a transaction it rolls back, so it needs a writable connection and changes
    nothing."""
    con.execute("BEGIN TRANSACTION")
    try:
        for table in SUMMARY_TABLES:
            con.execute(f"CREATE OR REPLACE TEMP TABLE kept_{table} AS SELECT * FROM {table}")
        rebuild(con)
        return {
            table: con.execute(
                f"SELECT (SELECT count(*) FROM (SELECT * FROM {table} EXCEPT ALL SELECT * FROM kept_{table})) "
                f"+ (SELECT count(*) FROM (SELECT * FROM kept_{table} EXCEPT ALL SELECT * FROM {table}))"
            ).fetchone()[0]
            for table in SUMMARY_TABLES
        }
    finally:
        con.execute("ROLLBACK")


def repair(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rebuild the summaries if they differ from the star schema (rows written by hand, outside a merge);
    returns the drift found, per table with any."""
    found = {table: rows for table, rows in drift(con).items() if rows}
    if found:
        con.execute("BEGIN TRANSACTION")
        rebuild(con)
        con.execute("COMMIT")
    return found
