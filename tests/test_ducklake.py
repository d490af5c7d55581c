"""The DuckLake backend against the real PostgreSQL on 127.0.0.1:5432: the same input gives the same rows
as the embedded backend in every table and view, a second load changes nothing, and two processes
loading overlapping stories at once leave no story (or dimension row) twice.

Each test gets a catalog database of its own, created and dropped here; under CI a missing PostgreSQL
fails, elsewhere these tests skip with the reason."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.test_summaries import BUDGET, FLOODS, PORT, load, migrated, story
from transforms.record import StoryRecord
from warehouse import open_warehouse
from warehouse.duckdb.store import DuckDBWarehouse
from warehouse.ducklake.store import DuckLakeWarehouse

PG_HOST, PG_PORT = "127.0.0.1", 5432
ANY_DAY = {"since": None, "until": None, "topic": None, "limit": 10}
ROOT = Path(__file__).resolve().parents[1]
# Keys that no row may repeat, per table (what the embedded backend's constraints enforce).
UNIQUE_KEYS = {
    "fact_story": "story_id",
    "dim_source": "source_key",
    "dim_topic": "topic_key",
    "dim_entity": "entity_id",
    "dim_author": "author_key",
    "dim_date": "date_key",
    "etl_story_signature": "story_key",
}


def _postgres_up() -> bool:
    try:
        socket.create_connection((PG_HOST, PG_PORT), timeout=2).close()
    except OSError:
        return False
    return True


async def _admin(statement: str) -> None:
    import asyncpg  # PostgreSQL's own protocol, for CREATE/DROP DATABASE (which no transaction may wrap)

    con = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="test")
    try:
        await con.execute(statement)
    finally:
        await con.close()


@pytest.fixture
def catalog() -> Iterator[str]:
    """A fresh PostgreSQL database for one lake's catalog: its `ducklake:` location."""
    if not _postgres_up():
        reason = f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"dateline_lake_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f"CREATE DATABASE {name}"))
    try:
        yield f"ducklake:postgres:dbname={name} host={PG_HOST} port={PG_PORT} user=postgres"
    finally:
        asyncio.run(_admin(f"DROP DATABASE {name} WITH (FORCE)"))


def lake_at(location: str, tmp_path: Path) -> DuckLakeWarehouse:
    """A migrated lake with the sources `tests.test_summaries.migrated` gives an embedded warehouse."""
    lake = open_warehouse(location, data_path=str(tmp_path / "lake"))
    assert isinstance(lake, DuckLakeWarehouse)
    lake.migrate()
    embedded = migrated(tmp_path / "sources.duckdb")
    lake.upsert_sources(embedded.frames({"sources": "SELECT * FROM dim_source"})["sources"])
    return lake


def every_relation(store: DuckDBWarehouse, volatile: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    """Every table and view of the star schema, its columns (less `volatile` ones: times of a run) and rows
    in a stable order. Read on one of the store's sandboxed read-only connections, as `query` reads: one
    connection, because a lake attaches itself afresh for each (dozens of relations, several checks a test)."""
    relations = {}
    with store.read_only() as con:
        names = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_catalog = current_database() ORDER BY 1"
            ).fetchall()
            if name not in ("schema_migrations", "search_index_state")
        ]
        for name in names:
            every = [d[0] for d in con.execute(f"SELECT * FROM {name} LIMIT 0").description]
            columns = [c for c in every if c not in volatile]
            rows = con.execute(f"SELECT {', '.join(columns)} FROM {name}").fetchall()
            relations[name] = [tuple(columns), *sorted(rows, key=repr)]
    return relations


def mixed_batches() -> list[list[StoryRecord]]:
    """Merges of every kind (as in test_summaries): new stories, an update that moves a story to another
    day, a wire copy, and a stored story re-linked as the copy of an original that arrived after it."""
    port = story("https://meridian.example/port", "meridian", "2025-02-06T09:00:00+05:00", PORT, "Port plan")
    floods = story("https://meridian.example/floods", "meridian", "2025-02-07T10:00:00+03:00", FLOODS, "Floods")
    moved = story("https://meridian.example/port", "meridian", "2025-02-09T09:00:00+05:00", FLOODS + PORT, "Port plan")
    moved.updated_at = "2025-02-09T09:00:00+05:00"
    wire = story("https://savanna.example/floods", "savanna", "2025-02-07T15:00:00+03:00", FLOODS, "Floods (wire)")
    late_copy = story("https://gulf.example/budget", "gulf", "2025-02-10T12:00:00+04:00", BUDGET, "Budget copy")
    original = story("https://savanna.example/budget", "savanna", "2025-02-10T06:00:00+03:00", BUDGET, "Budget")
    return [[port, floods], [moved, wire], [late_copy], [original]]


def test_the_lake_holds_the_same_rows_as_the_embedded_warehouse(catalog: str, tmp_path: Path) -> None:
    embedded = migrated(tmp_path / "w.duckdb")
    lake = lake_at(catalog, tmp_path)
    for records in mixed_batches():
        load(embedded, records)
        load(lake, records)
    expected, found = every_relation(embedded), every_relation(lake)
    assert sorted(found) == sorted(expected)
    assert "v_story" in found and "fact_story" in found
    for name, rows in expected.items():
        assert found[name] == rows, name
    assert len(found["fact_story"]) - 1 == 5
    assert lake.repair_summaries() == {}  # the lake's summaries equal a rebuild
    for terms in ("floods", "budget karachi", "nothing-matches-this"):
        assert lake.search(terms, **ANY_DAY) == embedded.search(terms, **ANY_DAY)


def test_search_on_the_lake_follows_its_loads(catalog: str, tmp_path: Path) -> None:
    lake = lake_at(catalog, tmp_path)
    first, *rest = mixed_batches()
    load(lake, first)
    assert [hit.headline for hit in lake.search("budget", **ANY_DAY)[0]] == []
    for records in rest:
        load(lake, records)
    hits, unindexed = lake.search("budget", **ANY_DAY)
    original = lake.query("SELECT headline FROM fact_story WHERE headline LIKE 'Budget%' AND duplicate_of IS NULL")
    assert len(original.rows) == 1 and unindexed == 0
    assert [(hit.headline,) for hit in hits] == original.rows  # the wire copy is not a hit


def test_loading_twice_changes_nothing(catalog: str, tmp_path: Path) -> None:
    lake = lake_at(catalog, tmp_path)
    assert lake.migrate() == []
    for records in mixed_batches():
        load(lake, records)
        before = every_relation(lake)
        load(lake, records)
        assert every_relation(lake) == before


_WRITER = textwrap.dedent(
    """
    import sys
    from tests.test_summaries import PORT, load, story
    from warehouse.ducklake.store import DuckLakeWarehouse

    location, data, numbers = sys.argv[1], sys.argv[2], [int(n) for n in sys.argv[3].split(",")]
    lake = DuckLakeWarehouse(location, data_path=data)
    print("ready", flush=True)
    sys.stdin.readline()
    for start in range(0, len(numbers), 5):
        load(lake, [
            story(f"https://meridian.example/s{i}", "meridian", f"2025-02-{1 + i % 20:02d}T09:00:00Z",
                  PORT + f"Item {i}. ", f"Story {i}")
            for i in numbers[start : start + 5]
        ])
    """
)


def _pinned_to(core: int) -> Callable[[], None]:
    """A `preexec_fn` pinning the child to one core, as a worker per core runs (its merges then run on one
    DuckDB thread); a no-op where the platform cannot pin."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return lambda: os.sched_setaffinity(0, {cores[core % len(cores)]}) if cores else None


def test_two_writers_loading_overlapping_stories_leave_no_duplicate(catalog: str, tmp_path: Path) -> None:
    lake = lake_at(catalog, tmp_path)
    # Both writers start with stories 20-39, in the same order, so their merges of the same keys coincide;
    # each is pinned to a core of its own, as in bench/lake.py.
    shares = [[*range(20, 40), *range(20)], [*range(20, 40), *range(40, 60)]]
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, catalog, str(tmp_path / "lake"), ",".join(map(str, numbers))],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_pinned_to(core),
        )
        for core, numbers in enumerate(shares)
    ]
    try:
        for writer in writers:
            assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
        for writer in writers:  # start both merges together
            writer.stdin.write("go\n")
            writer.stdin.flush()
        for writer in writers:
            assert writer.wait(240) == 0, writer.stderr.read()
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
                writer.wait()
    for table, key in UNIQUE_KEYS.items():
        rows, keys = lake.query(f"SELECT count(*), count(DISTINCT {key}) FROM {table}").rows[0]
        assert rows == keys, f"{table}: {rows} rows for {keys} keys"
    assert lake.query("SELECT count(*) FROM fact_story").rows == [(60,)]
    assert lake.query("SELECT max(version) FROM fact_story").rows == [(1,)]
    assert lake.repair_summaries() == {}


_THREADS = textwrap.dedent(
    """
    import sys
    from warehouse.ducklake.store import DuckLakeWarehouse

    lake = DuckLakeWarehouse(sys.argv[1], data_path=sys.argv[2])
    setting = "SELECT current_setting('threads')"
    with lake._writer() as con:
        print(con.execute(setting).fetchone()[0])
    print(lake._connect(read_only=True).execute(setting).fetchone()[0])
    with lake.read_only() as con:
        print(con.execute(setting).fetchone()[0])
    lake.search("anything", since=None, until=None, topic=None, limit=1)  # builds its index on one thread
    print(lake._connect(read_only=True).execute(setting).fetchone()[0])
    """
)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this platform")
def test_a_writer_pinned_to_one_core_merges_on_one_thread(catalog: str, tmp_path: Path) -> None:
    """DuckDB sizes its threads from the machine's cores, not the process's affinity: a loader pinned to one
    core would run each merge on threads taking turns on it, holding the lake's write lock longer. The lake's
    attachments (writing, reading, a sandboxed query's) use the cores the process may run on, still after a search
    built its index on one thread."""
    lake_at(catalog, tmp_path)
    found = subprocess.run(
        [sys.executable, "-c", _THREADS, catalog, str(tmp_path / "lake")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_pinned_to(0),
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == ["1", "1", "1", "1"]


def test_run_leases_wait_for_the_lake_s_write_lock(catalog: str, tmp_path: Path) -> None:
    """Taking a lease reads the leases held and then writes its own: without the lake's lock, two hosts could
    both find a source free. While another client holds the lock, taking one waits (here: gives up)."""
    import asyncpg

    from warehouse.ducklake.store import _LOCK_KEY
    from warehouse.protocol import WarehouseLocked

    lake = lake_at(catalog, tmp_path)
    lake.start_run("r1", None, datetime.now(UTC))
    impatient = DuckLakeWarehouse(catalog, lock_timeout_s=1.0)
    dbname = catalog.split("dbname=")[1].split()[0]

    async def while_locked() -> None:
        holder = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database=dbname)
        try:
            await holder.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
            with pytest.raises(WarehouseLocked):
                await asyncio.to_thread(impatient.take_leases, "r1", ["meridian"], 60.0)
            with pytest.raises(WarehouseLocked):
                await asyncio.to_thread(impatient.release_leases, "r1")
        finally:
            await holder.close()

    asyncio.run(while_locked())
    assert lake.take_leases("r1", ["meridian"], 60.0) == []
    assert lake.query("SELECT source, run_id FROM etl_lease").rows == [("meridian", "r1")]


def test_a_lake_loads_in_larger_chunks_unless_told_otherwise(tmp_path: Path) -> None:
    """A lake merge costs about the same whatever its size, so runs on a lake default to chunks four times larger
    than on the embedded file; an explicit `--chunk-size` wins on both."""
    from flows.pipeline.chunks import CHUNK_SIZE, LAKE_CHUNK_SIZE, chunk_size_for

    lake = "ducklake:postgres:dbname=lake host=127.0.0.1"
    assert chunk_size_for(str(tmp_path / "w.duckdb"), None) == CHUNK_SIZE
    assert chunk_size_for(lake, None) == LAKE_CHUNK_SIZE == 4 * CHUNK_SIZE
    assert chunk_size_for(lake, 50) == chunk_size_for(str(tmp_path / "w.duckdb"), 50) == 50
