"""The maintenance flow on a lake, under a real Prefect API and the real PostgreSQL: summaries repaired as on
the embedded backend, the small files of many loads compacted, old snapshots expired, and every Parquet file
that no kept snapshot references deleted (those of replaced rows and an orphan such as a killed writer leaves),
while every row stays; its Parquet export holds what the embedded backend's does."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flows.maintenance import maintenance
from tests.test_ducklake import catalog, every_relation, lake_at, mixed_batches
from tests.test_summaries import load, migrated
from warehouse.duckdb.extensions import LAKE_EXTENSIONS, load_extension
from warehouse.ducklake.storage import ObjectStore

__all__ = ["catalog"]  # the fixture, shared with tests/test_ducklake.py

HAND_DELETE = "DELETE FROM {t} WHERE story_key = (SELECT story_key FROM fact_story WHERE headline = 'Floods (wire)')"


def analyst(location: str, store: ObjectStore | None = None) -> duckdb.DuckDBPyConnection:
    """A connection of someone writing to the lake with their own SQL, outside Dateline's merge."""
    con = duckdb.connect()
    for name in LAKE_EXTENSIONS:
        load_extension(con, name)
    if store:
        store.install(con)
    con.execute(f"ATTACH '{location}' AS lake; USE lake")
    return con


def files_on_disk(root: Path) -> set[str]:
    return {str(path) for path in root.rglob("*.parquet")}


def referenced_files(con: duckdb.DuckDBPyConnection) -> set[str]:
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'lake' AND table_type = 'BASE TABLE'"
    ).fetchall()
    return {
        path
        for (table,) in tables
        for row in con.execute(f"SELECT data_file, delete_file FROM ducklake_list_files('lake', '{table}')").fetchall()
        for path in row
        if path
    }


def data_files_per_table(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Data files (not delete files) of each table in the lake's current snapshot."""
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'lake' AND table_type = 'BASE TABLE'"
    ).fetchall()
    return {
        table: con.execute(f"SELECT count(*) FROM ducklake_list_files('lake', '{table}')").fetchone()[0]
        for (table,) in tables
    }


@pytest.mark.usefixtures("prefect_api")
def test_maintenance_on_the_lake_repairs_expires_and_deletes_unreferenced_files(
    catalog: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATELINE_DATA_DIR", str(tmp_path / "data"))
    embedded, lake = migrated(tmp_path / "w.duckdb"), lake_at(catalog, tmp_path)
    for records in [*mixed_batches(), *mixed_batches()]:  # the second round rewrites summary rows
        load(embedded, records)
        load(lake, records)
    for con in (duckdb.connect(str(embedded.path)), analyst(catalog)):  # a wire copy deleted by hand
        with con:
            for table in ("bridge_story_topic", "fact_story"):
                con.execute(HAND_DELETE.format(t=table))
    expected_repairs = embedded.repair_summaries()
    assert expected_repairs, "the hand deletion left no summary to repair"
    data = tmp_path / "lake"
    with analyst(catalog) as con:
        snapshots = con.execute("SELECT count(*) FROM ducklake_snapshots('lake')").fetchone()[0]
        # What a writer killed between writing its Parquet and committing leaves: a file no snapshot names.
        orphan = data / "main" / "fact_story" / "ducklake-orphan-of-an-aborted-commit.parquet"
        con.execute(f"COPY (SELECT 1 AS story_key) TO '{orphan}' (FORMAT parquet)")
        assert files_on_disk(data) > referenced_files(con)
        data_files = data_files_per_table(con)
    assert max(data_files.values()) >= 4, data_files  # one file per table per load, before compaction

    summary = maintenance(warehouse_path=catalog, export=True, lake_retention_days=0)

    assert summary["summaries_repaired"] == expected_repairs
    assert summary["search_index_rebuilt"] is None
    cleaned = summary["lake_cleaned"]
    # every snapshot but the latest (the compaction's), which is always kept: the loads', the repair's, the compaction's
    assert cleaned["snapshots_expired"] >= snapshots + 1
    assert cleaned["files_deleted"] > 0 and cleaned["orphan_files_deleted"] >= 1
    assert not orphan.exists()
    with analyst(catalog) as con:
        assert con.execute("SELECT count(*) FROM ducklake_snapshots('lake')").fetchone()[0] == 1
        assert files_on_disk(data) == referenced_files(con)
        compacted = data_files_per_table(con)
    assert summary["lake_compacted"]["files_merged"] > 0 and summary["lake_compacted"]["files_rewritten"] > 0
    assert sum(compacted.values()) < sum(data_files.values()), (data_files, compacted)
    # Compaction never splits a table's files. A table with no data file before maintenance may get its first
    # from maintenance's own writes (the summary repair runs before the compaction): not a split.
    grown = {t: (count, compacted[t]) for t, count in data_files.items() if count and compacted[t] > count}
    assert not grown, grown  # files before and after compaction
    assert every_relation(lake) == every_relation(embedded)
    assert lake.repair_summaries() == {}
    # the Parquet export, written from the lake as from the embedded file: the same rows, partitioned alike
    exported = tmp_path / "data" / "export"
    assert summary["exported_rows"] == embedded.export_parquet(tmp_path / "embedded-export")
    assert summary["exported_rows"]["fact_story"] > 0
    with duckdb.connect() as con:
        for table, rows in summary["exported_rows"].items():
            if not rows:  # an empty table's partitioned export is an empty folder
                continue
            files = f"{exported}/{table}/**/*.parquet" if (exported / table).is_dir() else f"{exported}/{table}.parquet"
            assert con.execute(f"SELECT count(*) FROM read_parquet('{files}')").fetchone()[0] == rows, table
