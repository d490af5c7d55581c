"""Faults while a lake commits: a writer killed with SIGKILL in the middle of a commit, and the catalog's
PostgreSQL restarted under a running writer. Either way nothing is half-committed, a rerun converges to
the result of one clean load (every table and view compared row for row), no story is lost or stored
twice, and the Parquet an aborted commit left behind is deleted by maintenance.

Writers are real processes loading through `DuckLakeWarehouse`; the kill test's catalog is a database on
the shared PostgreSQL, the restart test's a private cluster started here (the shared server is never
stopped, tests/pg_cluster.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest

from tests.pg_cluster import Cluster, private_cluster
from tests.test_ducklake import PG_HOST, PG_PORT, _admin, catalog, every_relation, lake_at
from tests.test_ducklake_maintenance import analyst, files_on_disk, referenced_files
from warehouse import open_warehouse
from warehouse.ducklake.store import DuckLakeWarehouse

__all__ = ["catalog"]  # the fixture, shared with tests/test_ducklake.py

ROOT = Path(__file__).resolve().parents[1]
BATCHES = 6
PER_BATCH = 40
# The writer: loads batches of 40 stories, each overlapping the previous one by 10 (stories seen again,
# unchanged), and prints a line before each load so the test knows where it is.
_WRITER = textwrap.dedent(
    """
    import sys
    from tests.test_ducklake_faults import batch, load
    from warehouse.ducklake.store import DuckLakeWarehouse
    from warehouse.protocol import WarehouseError

    lake = DuckLakeWarehouse(sys.argv[1], data_path=sys.argv[2])
    try:
        for number in range(int(sys.argv[3])):
            print(f"loading {number}", flush=True)
            load(lake, batch(number))
    except WarehouseError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    print("done", flush=True)
    """
)


def load(store: DuckLakeWarehouse, records: list) -> None:
    """`tests.test_summaries.load` with the rule-based entity detector: the faults are in the load, and the
    spaCy model would spend most of the test's time."""
    from tests.test_summaries import SEEN
    from transforms.enrich import enrich_stories
    from transforms.enrich.rules import RuleMentionDetector
    from transforms.normalise import normalise_chunk
    from warehouse.protocol import LoadBatch

    detector = RuleMentionDetector()
    chunk = normalise_chunk(
        records, SEEN, partial(store.signatures_near, 20250101, 20251231), lambda frame: enrich_stories(frame, detector)
    )
    store.load(LoadBatch(chunk.batch, "r", SEEN, signatures=chunk.signatures))


def batch(number: int):
    """Batch `number`: stories 30*number .. 30*number+39 of one source, spread over 11 days (none after the
    load time, so no reject rows that a rerun would log again)."""
    from tests.test_summaries import PORT, story

    first = 30 * number
    return [
        story(f"https://meridian.example/s{i}", "meridian", f"2025-02-{1 + i % 11:02d}T09:00:00Z",
              PORT + f"Item {i} of the series, about harbour {i % 7}. ", f"Story {i}")
        for i in range(first, first + PER_BATCH)
    ]  # fmt: skip


def writer(location: str, data: Path, batches: int = BATCHES) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, location, str(data), str(batches)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def clean_load(location: str, tmp_path: Path) -> dict[str, list[tuple]]:
    """Every relation of a lake that loaded all batches once, without a fault."""
    lake = lake_at(location, tmp_path / "clean")
    for number in range(BATCHES):
        load(lake, batch(number))
    return every_relation(lake)


def assert_no_story_lost_or_twice(lake: DuckLakeWarehouse) -> None:
    expected = 30 * (BATCHES - 1) + PER_BATCH
    stories, ids, versions = lake.query("SELECT count(*), count(DISTINCT story_id), max(version) FROM fact_story").rows[
        0
    ]
    assert (stories, ids, versions) == (expected, expected, 1)


def wait_for_line(process: subprocess.Popen[str], prefix: str, timeout: float = 300) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(prefix):
            return line
        if not line and process.poll() is not None:
            raise AssertionError(f"writer exited {process.returncode}: {process.stderr.read()}")
    raise AssertionError(f"no {prefix!r} line in {timeout} s")


def lock_held(location: str) -> bool:
    """Whether some backend holds Dateline's advisory lock on this catalog database (a merge is running)."""
    dbname = location.split("dbname=")[1].split()[0]
    done = subprocess.run(
        ["psql", "-h", PG_HOST, "-p", str(PG_PORT), "-U", "postgres", "-d", dbname, "-tA", "-c",
         "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
         "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return done.stdout.strip() != "0"


def clean_up_and_compare_files(lake: DuckLakeWarehouse, data: Path) -> int:
    """Maintenance with no retention: afterwards the data folder holds exactly the files the catalog names.
    Returns how many orphans (Parquet of commits that never happened) it deleted."""
    counts = lake.expire_and_clean(timedelta(0))
    with analyst(lake.location) as con:
        assert files_on_disk(data) == referenced_files(con)
    return counts["orphan_files_deleted"]


@pytest.fixture
def clean_catalog() -> Iterator[str]:
    """A second catalog database on the shared server, for the clean load to compare with."""
    name = f"dateline_lake_clean_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f"CREATE DATABASE {name}"))
    try:
        yield f"ducklake:postgres:dbname={name} host={PG_HOST} port={PG_PORT} user=postgres"
    finally:
        asyncio.run(_admin(f"DROP DATABASE {name} WITH (FORCE)"))


@pytest.mark.timeout(900)
def test_a_writer_killed_mid_commit_then_a_rerun_equal_one_clean_load(
    catalog: str, clean_catalog: str, tmp_path: Path
) -> None:
    lake = lake_at(catalog, tmp_path)
    data = tmp_path / "lake"
    first = writer(catalog, data)
    try:
        wait_for_line(first, "loading 3")  # three batches committed; the fourth is starting
        deadline = time.monotonic() + 120
        while not lock_held(catalog):  # inside the merge: the lock is held from before BEGIN to after COMMIT
            assert time.monotonic() < deadline and first.poll() is None, "the writer never took the lake's lock"
            time.sleep(0.02)
        time.sleep(0.3)
        assert first.poll() is None
        first.kill()
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(30)
    # Whatever the kill interrupted is not visible: the stories are those of whole batches only.
    stored = lake.query("SELECT count(*), count(DISTINCT story_id) FROM fact_story").rows[0]
    assert stored[0] == stored[1] and stored[0] in {30 * n + 10 for n in range(3, 5)}, stored
    assert lake.repair_summaries() == {}

    rerun = writer(catalog, data)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0 and "done" in out, err
    assert_no_story_lost_or_twice(lake)
    # The rerun's rows equal a clean load's, then maintenance removes what the killed commit wrote.
    assert every_relation(lake) == clean_load(clean_catalog, tmp_path)
    clean_up_and_compare_files(lake, data)


def _restart_during_a_merge(cluster: Cluster, database: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while cluster.scalar(
        database,
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()",
    ) == "0":  # fmt: skip
        assert time.monotonic() < deadline and process.poll() is None, "the writer never took the lake's lock"
        time.sleep(0.02)
    time.sleep(0.2)
    cluster.stop("fast")  # terminates every session, the writer's catalog connections among them
    cluster.start()


@pytest.mark.timeout(900)
def test_postgres_restarted_mid_run_retries_or_fails_in_one_line_and_commits_nothing_half(tmp_path: Path) -> None:
    with private_cluster() as cluster:
        cluster.create_database("lake_restart")
        cluster.create_database("lake_clean")
        location = f"ducklake:{'postgres:' + cluster.dsn('lake_restart')}"
        lake_at(location, tmp_path)
        data = tmp_path / "lake"
        first = writer(location, data)
        try:
            wait_for_line(first, "loading 2")
            _restart_during_a_merge(cluster, "lake_restart", first)
            out, err = first.communicate(timeout=600)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait(30)
        if first.returncode:  # it gave up: one line that says what happened, no traceback
            lines = err.strip().splitlines()
            assert first.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: warehouse "), err
        else:
            assert "done" in out
        reopened = open_warehouse(location)
        stored = reopened.query("SELECT count(*), count(DISTINCT story_id) FROM fact_story").rows[0]
        assert stored[0] == stored[1] and (stored[0] - 10) % 30 == 0, stored  # whole batches only
        assert reopened.repair_summaries() == {}

        rerun = writer(location, data)
        out, err = rerun.communicate(timeout=600)
        assert rerun.returncode == 0 and "done" in out, err
        assert_no_story_lost_or_twice(reopened)
        expected = clean_load(f"ducklake:postgres:{cluster.dsn('lake_clean')}", tmp_path)
        assert every_relation(reopened) == expected
        clean_up_and_compare_files(reopened, data)
