"""A second process holds the DuckDB file for the whole run: the run stages, the next run merges.

DuckDB lets one process open a file for writing and no other process open it at all, so an
analyst's notebook left open on the warehouse would otherwise fail every scheduled run. The
flow waits for the lock (bounded), then stages each batch durably on disk, exits 0 saying how
many stories it staged, and the next run merges them exactly once before its own work.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from demo.site import DemoSite, serve_demo_site
from tests.fault_harness import child_env, integrity_problems, run_statuses, run_to_end, write_sources
from tests.test_ingest_flow import DUMP

pytestmark = pytest.mark.usefixtures("prefect_api")

STORIES = 60
HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS notebook_scratch (x INTEGER)")
print("holding", flush=True)
sys.stdin.read()  # hold the file until the test closes our stdin
"""


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    running = serve_demo_site(STORIES, outlets=2, seed=3)
    yield running
    running.close()


def run_while_held(sources: Path, warehouse: Path, env: dict[str, str], chunk_size: int):
    """`run_to_end` while another process has the warehouse open for writing, as a notebook would have it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        return run_to_end(sources, warehouse, env, chunk_size=chunk_size)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def staged_batches(staging: Path) -> list[Path]:
    """Every staged batch under a staging root, whichever warehouse's folder it is in."""
    return [p for p in staging.glob("*/*") if p.is_dir() and not p.name.startswith(".")]


def test_locked_warehouse_stages_then_next_run_merges_exactly(site: DemoSite, tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    sources = write_sources(site, tmp_path)
    warehouse = tmp_path / "wh" / "w.duckdb"
    warehouse.parent.mkdir()
    env = child_env(tmp_path / "prefect-home", PREFECT_API_URL=PREFECT_API_URL.value())
    staged_run = run_while_held(sources, warehouse, env, chunk_size=25)
    output = staged_run.output
    match = re.search(r"(\d+) stories staged: the warehouse was locked", output)
    assert match, output[-2000:]
    # Rows staged, not distinct stories: a feed item and its page met in different chunks are two rows
    # until the merge folds them into one story.
    assert int(match[1]) >= STORIES
    staged = staged_batches(warehouse.parent / "data" / "staging")
    assert len(staged) >= -(-STORIES // 25), "one staged batch per chunk"

    with duckdb.connect(str(warehouse), read_only=True) as con:  # the holder saw none of it
        assert (
            con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'fact_story'").fetchone()[0]
            == 0
        )

    run_to_end(sources, warehouse, env, chunk_size=25)
    assert staged_batches(warehouse.parent / "data" / "staging") == [], "merged batches are removed"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT story_id), max(version) FROM fact_story").fetchone() == (
            STORIES,
            STORIES,
            1,
        )
        assert con.execute("SELECT count(*) FROM fact_story_version").fetchone()[0] == STORIES
        assert con.execute("SELECT count(*) FROM etl_staged_batch").fetchone()[0] == len(staged)
        assert integrity_problems(con) == []
        assert sorted(run_statuses(con)) == ["completed", "staged"]
        fetch_runs = con.execute("SELECT count(DISTINCT run_id) FROM etl_fetch").fetchone()[0]
        assert fetch_runs == 2, "the staged run's fetch log is merged with its stories"


def test_a_batch_staged_for_one_warehouse_is_never_merged_into_another_in_the_same_folder(
    site: DemoSite, tmp_path: Path
) -> None:
    """Two warehouses share a folder, so they share `data/staging/`: the run of the one not held must leave
    the held one's batches alone, and the held one merges them once it is free."""
    from prefect.settings import PREFECT_API_URL

    sources = write_sources(site, tmp_path)
    held, other = tmp_path / "w" / "hold.duckdb", tmp_path / "w" / "real2.duckdb"
    held.parent.mkdir()
    env = child_env(tmp_path / "prefect-home", PREFECT_API_URL=PREFECT_API_URL.value())
    run_while_held(sources, held, env, chunk_size=100)
    staging = held.parent / "data" / "staging"
    [held_batch] = staged_batches(staging)
    manifest = json.loads((held_batch / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["warehouse"] == str(held.resolve())

    run_to_end(sources, other, env, chunk_size=100)
    assert staged_batches(staging) == [held_batch], "the other warehouse's run left the batch where it was"
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM etl_staged_batch").fetchone()[0] == 0
        assert run_statuses(con) == ["completed"]
        assert integrity_problems(con) == []

    run_to_end(sources, held, env, chunk_size=100)
    assert staged_batches(staging) == []
    with duckdb.connect(str(held), read_only=True) as con:
        assert con.execute("SELECT name FROM etl_staged_batch").fetchall() == [(held_batch.name,)]
        assert con.execute("SELECT count(*) FROM fact_story").fetchone()[0] == STORIES
        assert integrity_problems(con) == []


def test_a_staged_batch_brings_its_sources_to_a_run_that_reads_others(site: DemoSite, tmp_path: Path) -> None:
    """The run that found the warehouse locked could not register its sources; the run that merges its batch
    later reads another source. The batch carries its sources, so its stories keep theirs (in `dim_source`
    and in `v_story`), and the merging run's own source is there too."""
    from prefect.settings import PREFECT_API_URL

    sources = write_sources(site, tmp_path / "site")
    dump = tmp_path / "dumps" / "one.txt"
    dump.parent.mkdir()
    dump.write_text(DUMP, encoding="utf-8")
    other_sources = tmp_path / "dumps" / "sources.toml"
    other_sources.write_text(f'[[source]]\nname = "desk-dumps"\nkind = "file"\npath = "{dump}"\n', encoding="utf-8")
    held = tmp_path / "w" / "hold.duckdb"
    held.parent.mkdir()
    env = child_env(tmp_path / "prefect-home", PREFECT_API_URL=PREFECT_API_URL.value())
    run_while_held(sources, held, env, chunk_size=100)
    assert staged_batches(held.parent / "data" / "staging")

    run_to_end(other_sources, held, env)
    with duckdb.connect(str(held), read_only=True) as con:
        assert integrity_problems(con) == []
        counts = "SELECT (SELECT count(*) FROM fact_story), (SELECT count(*) FROM v_story)"
        stories, shown = con.execute(counts).fetchone()
        names = {name for (name,) in con.execute("SELECT name FROM dim_source").fetchall()}
    assert stories > STORIES and shown == stories, "every story, the staged ones too, is in v_story"
    site_sources = {source["name"] for source in tomllib.loads(site.sources_toml())["source"]}
    assert "desk-dumps" in names and site_sources <= names
