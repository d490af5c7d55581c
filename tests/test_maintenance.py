"""Daily maintenance: the Parquet export by month reads back with the warehouse's counts, stale archive
temp files go while fresh ones stay, and the flow does it all under a real Prefect API."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import pytest

from flows.maintenance import maintenance, remove_stale_archive_temps
from tests.test_views import build_newsroom, newsroom_stories
from warehouse.maintenance import export_parquet


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


def test_only_stale_archive_temp_files_are_removed(tmp_path: Path) -> None:
    objects = tmp_path / "objects" / "ab"
    objects.mkdir(parents=True)
    stale, fresh, body = objects / "ab12.1.2.tmp", objects / "ab34.1.2.tmp", objects / "ab56.zst"
    for path in (stale, fresh, body):
        path.write_bytes(b"x")
    old = time.time() - 3 * 24 * 3600
    os.utime(stale, (old, old))
    os.utime(body, (old, old))
    assert remove_stale_archive_temps(tmp_path) == 1
    assert not stale.exists() and fresh.exists() and body.exists()


@pytest.mark.usefixtures("prefect_api")
def test_maintenance_flow_rebuilds_the_index_repairs_summaries_checkpoints_and_exports(tmp_path: Path) -> None:
    warehouse = build_newsroom(tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse)) as con:  # a story deleted by hand, behind the loader's back
        gone = con.execute("select story_key from fact_story where headline = 'Rates held'").fetchone()[0]
        con.execute("delete from bridge_story_topic where story_key = ?", [gone])
        con.execute("delete from fact_story where story_key = ?", [gone])
    summary = maintenance(warehouse_path=str(warehouse), export=True)
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
