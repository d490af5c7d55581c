"""`dateline export`: a table, view or query to Parquet or CSV, through the warehouse protocol, under the SQL
sandbox, written whole or not at all."""

from __future__ import annotations

import subprocess
from pathlib import Path

import polars as pl
import pytest

from tests.fault_harness import DATELINE, REPO
from tests.test_sql_sandbox import small_warehouse
from warehouse.duckdb.store import DuckDBWarehouse
from warehouse.protocol import QueryError
from warehouse.staging import StagingWarehouse


@pytest.fixture
def warehouse_file(tmp_path: Path) -> Path:
    return small_warehouse(tmp_path / "w.duckdb")


def export(path: Path, relation: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DATELINE, "export", relation, "--out", str(out), "--warehouse", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def test_a_table_to_parquet_and_a_view_to_csv_as_users_run_it(warehouse_file: Path, tmp_path: Path) -> None:
    done = export(warehouse_file, "fact_story", tmp_path / "stories.parquet")
    assert done.returncode == 0 and done.stdout.strip() == f"wrote 1 rows to {tmp_path / 'stories.parquet'}"
    stories = pl.read_parquet(tmp_path / "stories.parquet")
    assert stories["headline"].to_list() == ["Rates held"] and "story_key" in stories.columns

    done = export(warehouse_file, "v_story", tmp_path / "v_story.csv")
    assert done.returncode == 0, done.stderr
    assert pl.read_csv(tmp_path / "v_story.csv")["headline"].to_list() == ["Rates held"]


def test_a_query_exports_its_own_columns(warehouse_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "q.csv"
    done = export(warehouse_file, "select upper(headline) as h, 41 + 1 as n from fact_story", out)
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").splitlines() == ['"h","n"', '"RATES HELD",42']


def test_a_failing_export_leaves_no_file_and_keeps_the_old_one(warehouse_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "keep.parquet"
    out.write_bytes(b"the previous export")
    done = export(warehouse_file, "select * from fact_stories", out)
    assert done.returncode == 2 and 'Did you mean "fact_story"?' in done.stderr
    assert out.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_is_as_read_only_as_sql(warehouse_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.csv"
    done = export(warehouse_file, f"copy (select 1) to '{target}'", tmp_path / "out.csv")
    assert done.returncode == 2 and "not a reading statement" in done.stderr
    assert not target.exists() and not (tmp_path / "out.csv").exists()
    done = export(warehouse_file, "fact_story", tmp_path / "stories.json")
    assert done.returncode == 2 and ".parquet or .csv" in done.stderr


def test_the_staging_wrapper_exports_through_its_backend(warehouse_file: Path, tmp_path: Path) -> None:
    staged = StagingWarehouse(DuckDBWarehouse(warehouse_file), tmp_path / "staging")
    assert staged.export("dim_source", tmp_path / "sources.parquet") == 1
    assert pl.read_parquet(tmp_path / "sources.parquet")["name"].to_list() == ["meridian"]
    with pytest.raises(QueryError):
        staged.export("delete from fact_story", tmp_path / "x.csv")
