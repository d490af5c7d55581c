"""Housekeeping for the daily maintenance flow: a Parquet copy of the star
schema partitioned by month for engines that do not read DuckDB files (Spark, Trino, pandas)."""

from __future__ import annotations

from pathlib import Path

import duckdb

# Facts and bridges are partitioned by the month of their story's date_key; dimensions are small
# and go whole. Wire copies are exported too (duplicate_of says which they are), as in fact_story.
_MONTH_COLUMNS = "f.date_key // 10000 AS year, f.date_key // 100 % 100 AS month"
_MONTHLY = {
    "fact_story": f"SELECT f.*, {_MONTH_COLUMNS} FROM fact_story f",
    **{
        bridge: f"SELECT b.*, {_MONTH_COLUMNS} FROM {bridge} b JOIN fact_story f USING (story_key)"
        for bridge in ("bridge_story_topic", "bridge_story_entity", "bridge_story_author", "fact_quote")
    },
}
_WHOLE = ("dim_source", "dim_date", "dim_topic", "dim_entity", "dim_author")


def export_parquet(con: duckdb.DuckDBPyConnection, out_dir: Path) -> dict[str, int]:
    """Write the star schema under `out_dir` as Parquet (`<table>/year=YYYY/month=M/*.parquet` for facts
    and bridges), replacing the previous export; returns rows written per table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for table, query in _MONTHLY.items():
        target = str(out_dir / table).replace("'", "''")
        con.execute(f"COPY ({query}) TO '{target}' (FORMAT parquet, PARTITION_BY (year, month), OVERWRITE)")
        written[table] = con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
    for table in _WHOLE:
        target = str(out_dir / f"{table}.parquet").replace("'", "''")
        con.execute(f"COPY {table} TO '{target}' (FORMAT parquet)")
        written[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return written
