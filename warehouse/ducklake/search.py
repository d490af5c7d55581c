"""Full-text search on a lake: DuckDB's fts index over an in-memory copy of what search reads.

The fts extension cannot build its index inside a DuckLake (committing its tables fails: DuckLake has
no type for one of their columns), and an index file beside the lake would be one host's. So the
searching process copies the stories (and the tables a hit's card needs) from the lake's current
snapshot into its own in-memory catalog and builds the same BM25 index there, with the same query and
ranking as the embedded backend. The copy is rebuilt when the stories' fingerprint changes, so the first
search of a process (and the first after a load) pays the index build, and the process holds the
stories' text in memory; a run does not build anything.
"""

from __future__ import annotations

import duckdb

from warehouse.duckdb.search import _FINGERPRINT, refresh_search_index

# What `warehouse.duckdb.search.search` reads, copied whole.
_TABLES = ("fact_story", "dim_source", "bridge_story_topic", "dim_topic")


def lake_fingerprint(con: duckdb.DuckDBPyConnection, lake: str) -> str:
    """The stories' fingerprint in the lake's current snapshot."""
    con.execute(f"USE {lake}")
    return con.execute(_FINGERPRINT).fetchone()[0]


def build_local_index(con: duckdb.DuckDBPyConnection, lake: str, local: str) -> None:
    """Copy the searched tables from `lake` into the `local` catalog and build the fts index there;
    leaves `con` using `local`."""
    con.execute(f"USE {local}")
    con.execute("BEGIN TRANSACTION")  # all four tables from one snapshot of the lake
    for table in _TABLES:
        con.execute(f"CREATE OR REPLACE TABLE {local}.main.{table} AS SELECT * FROM {lake}.main.{table}")
    con.execute("COMMIT")
    refresh_search_index(con, force=True)
