"""The DuckDB merge: idempotent reruns, versions on change, stale copies ignored, locks explained."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.test_star import page
from transforms.star import build_star, build_stories
from warehouse.duckdb.store import DuckDBWarehouse
from warehouse.protocol import LoadBatch, WarehouseLocked

SEEN = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)
TABLES = ("fact_story", "fact_story_version", "dim_author", "dim_topic", "bridge_story_author", "bridge_story_topic")


@pytest.fixture
def store(tmp_path: Path) -> DuckDBWarehouse:
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", lock_timeout_s=0.5)
    warehouse.migrate()
    return warehouse


def load(store: DuckDBWarehouse, records, seen=SEEN):
    return store.load(LoadBatch(build_star(build_stories(records, seen)), "r", seen))


def snapshot(store: DuckDBWarehouse) -> dict[str, list[tuple]]:
    with store.read_only() as con:
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in TABLES}


def test_loading_the_same_input_twice_changes_nothing(store: DuckDBWarehouse) -> None:
    records = [page(), page(url="https://www.meridian-daily.example/b", title="Second story")]
    first = load(store, records)
    before = snapshot(store)
    second = load(store, records, seen=LATER)
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 2)
    assert snapshot(store) == before


def test_changed_content_updates_the_row_and_adds_a_version(store: DuckDBWarehouse) -> None:
    load(store, [page()])
    result = load(store, [page(body="KARACHI port operators signed a revised deal.", updated_at="2025-02-07")], LATER)
    assert (result.new, result.updated) == (0, 1)
    with store.read_only() as con:
        assert con.execute("select version, body, first_seen_at from fact_story").fetchall() == [
            (2, "KARACHI port operators signed a revised deal.", SEEN)
        ]
        versions = con.execute("select version, updated_day::varchar from fact_story_version order by 1").fetchall()
        assert versions == [(1, None), (2, "2025-02-07")]


def test_an_older_copy_arriving_late_does_not_overwrite(store: DuckDBWarehouse) -> None:
    load(store, [page(updated_at="2025-02-08T10:00:00Z", body="Newest text of the story.")])
    result = load(store, [page(updated_at="2025-02-07T10:00:00Z", body="Older text.")], LATER)
    assert (result.updated, result.unchanged) == (0, 1)
    with store.read_only() as con:
        assert con.execute("select body from fact_story").fetchone() == ("Newest text of the story.",)


def test_bridges_follow_the_story_version(store: DuckDBWarehouse) -> None:
    load(store, [page()])
    load(store, [page(authors=["Jon Bell"], body="A rewritten body.")], LATER)
    with store.read_only() as con:
        assert con.execute("select count(*) from bridge_story_author").fetchone() == (1,)


def test_migrations_are_recorded_once(store: DuckDBWarehouse) -> None:
    assert store.migrate() == []
    with store.read_only() as con:
        versions = con.execute("select version from schema_migrations order by 1").fetchall()
        assert versions == [(1,), (2,), (3,), (4,), (5,)]


def test_a_new_run_abandons_dead_runs_but_not_live_ones(store: DuckDBWarehouse) -> None:
    dead_pid = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_pid.wait()
    with duckdb.connect(str(store.path)) as con:
        con.execute(
            "insert into etl_run (run_id, started_at, status, host, pid) values "
            "('killed', now(), 'running', ?, ?), ('live', now(), 'running', ?, ?), "
            "('elsewhere', now(), 'running', 'another-machine', 1)",
            [socket.gethostname(), dead_pid.pid, socket.gethostname(), os.getpid()],
        )
    store.start_run("new", None, SEEN)
    with store.read_only() as con:
        statuses = dict(con.execute("select run_id, status from etl_run").fetchall())
    assert statuses == {"killed": "abandoned", "live": "running", "elsewhere": "running", "new": "running"}


def test_a_held_lock_is_explained_in_one_line(store: DuckDBWarehouse) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(store.path)!r})
                print("ready", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseLocked) as caught:
            load(store, [page()])
        assert "is locked" in str(caught.value)
        assert "\n" not in str(caught.value)
    finally:
        holder.stdin.close()
        holder.wait(10)
    assert load(store, [page()]).new == 1


def test_writes_land_in_small_row_groups_that_a_checkpoint_keeps(
    store: DuckDBWarehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each load's checkpoint rewrites the row groups it touched: they stay `ROW_GROUP_ROWS` long (here
    DuckDB's smallest, 2,048) through loads, a CHECKPOINT and maintenance, instead of one group growing
    with the warehouse to DuckDB's default 122,880 rows."""
    monkeypatch.setattr("warehouse.duckdb.store.ROW_GROUP_ROWS", 2048)
    for batch in range(3):
        load(store, [page(url=f"https://www.meridian-daily.example/{batch}/{n}") for n in range(1500)])
    store.checkpoint()
    store.repair_summaries()
    with store.read_only() as con:
        groups = con.execute(
            "SELECT row_group_id, max(count) FROM pragma_storage_info('fact_story') GROUP BY 1"
        ).fetchall()
    assert sum(rows for _, rows in groups) == 4500
    assert len(groups) >= 3 and max(rows for _, rows in groups) <= 2048, groups


def test_a_writer_spills_next_to_the_warehouse_not_into_the_current_directory(store: DuckDBWarehouse) -> None:
    """Writers attach the file to an in-memory connection (for the row-group size), whose spill folder DuckDB
    would put in the current directory; it is set to where DuckDB puts it for a file it opens itself."""
    with store._writer() as con:
        assert con.execute("SELECT current_setting('temp_directory')").fetchone() == (f"{store.path}.tmp",)
