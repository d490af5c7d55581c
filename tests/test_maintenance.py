"""Daily maintenance: the Parquet export by month reads back with the warehouse's counts, the raw archive's
WAL is folded into its file (or reported busy, or absent), and the flow does it all under a real Prefect API."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from flows.maintenance import checkpoint_archive, maintenance
from flows.sources.fetching import RawArchive
from tests.test_views import build_newsroom, newsroom_stories
from warehouse.duckdb.maintenance import export_parquet


def test_export_partitions_facts_by_month_and_keeps_every_row(tmp_path: Path) -> None:
    warehouse = build_newsroom(tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        written = export_parquet(con, tmp_path / "export")
        again = export_parquet(con, tmp_path / "export")  # replaces, never appends
    assert written == again
    assert written["fact_story"] == len(newsroom_stories())
    months = sorted(p.name for p in (tmp_path / "export" / "fact_story").glob("year=*/month=*"))
    assert months == ["month=12", "month=2", "month=3"]
    with duckdb.connect() as con:
        stories = con.execute(
            f"select count(*) from read_parquet('{tmp_path}/export/fact_story/*/*/*.parquet', hive_partitioning = 1)"
        ).fetchone()[0]
        topics = con.execute(f"select count(*) from '{tmp_path}/export/dim_topic.parquet'").fetchone()[0]
    assert (stories, topics) == (len(newsroom_stories()), 4)


def archive_pages(root: Path, count: int, busy_timeout_s: float = 30.0) -> RawArchive:
    """An open archive holding `count` fetches, all still in its WAL (fewer pages than an auto-checkpoint)."""
    archive = RawArchive(root, busy_timeout_s=busy_timeout_s)
    at = datetime(2025, 3, 1, tzinfo=UTC)
    pages = [(f"https://a.example/{n}", b"x" * n) for n in range(count)]
    archive.store(
        [archive.prepare(url=u, final_url=u, status_code=200, headers={}, body=b, fetched_at=at) for u, b in pages]
    )
    return archive


def entries_in_the_file_alone(archive: RawArchive, scratch: Path) -> int:
    """How many entries a backup holds that copies `archive.sqlite` without its WAL."""
    scratch.mkdir()
    shutil.copy(archive.path, scratch / archive.path.name)
    with RawArchive(scratch) as copy:
        return len(list(copy.iter_entries()))


def test_a_busy_archive_is_reported_and_a_missing_one_is_not_created(tmp_path: Path) -> None:
    assert checkpoint_archive.fn(tmp_path / "none") is None
    assert not (tmp_path / "none").exists()
    archive = archive_pages(tmp_path / "archive", 3, busy_timeout_s=0.05)
    with archive, closing(sqlite3.connect(archive.path, isolation_level=None)) as run:  # a run mid-commit
        run.execute("BEGIN IMMEDIATE")
        assert archive.checkpoint() is False
        run.execute("ROLLBACK")


@pytest.mark.usefixtures("prefect_api")
def test_maintenance_flow_rebuilds_the_index_repairs_summaries_checkpoints_and_exports(
    tmp_path: Path,
) -> None:
    warehouse = build_newsroom(tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse)) as con:  # a story deleted by hand, behind the loader's back
        gone = con.execute("select story_key from fact_story where headline = 'Rates held'").fetchone()[0]
        con.execute("delete from bridge_story_topic where story_key = ?", [gone])
        con.execute("delete from fact_story where story_key = ?", [gone])
    with archive_pages(tmp_path / "data" / "archive", 3) as archive:  # a run still holds the archive open
        summary = maintenance(warehouse_path=str(warehouse), export=True)
        assert summary["archive_checkpointed"] is True
        assert (tmp_path / "data" / "archive" / "archive.sqlite-wal").stat().st_size == 0
        assert entries_in_the_file_alone(archive, tmp_path / "backup") == 3
    assert summary["search_index_rebuilt"] is True
    assert summary["summaries_repaired"] == {
        "summary_story": 1,
        "summary_topic_daily": 1,
        "summary_topic_weekly": 1,
        "summary_source_daily": 2,  # the day's row changed: the stale row and the rebuilt one differ
    }
    assert summary["exported_rows"]["fact_story"] == len(newsroom_stories()) - 1
    assert not Path(f"{warehouse}.wal").exists()  # CHECKPOINT folded the log into the file
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from search_index_state").fetchone() == (1,)
        assert con.execute("select count(*) from v_story where headline = 'Rates held'").fetchone() == (0,)
