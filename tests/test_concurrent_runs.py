"""Two `dateline run` against one warehouse at the same time.

A scheduled run and a manual one (or two deployments' schedules) will overlap. DuckDB admits one
writing process per file, so the backend holds the file only per merge and retries a held lock
with backoff: both runs proceed, interleaving their transactions, or one stages its batches with
a clear message if it waited too long. Either way nothing is lost or duplicated, and each run's
etl_run row ends with the truth.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from demo.site import DemoSite, serve_demo_site
from tests.fault_harness import child_env, integrity_problems, run_statuses, run_to_end, start_run, write_sources

pytestmark = pytest.mark.usefixtures("prefect_api")

STORIES = 60


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    running = serve_demo_site(STORIES, outlets=3, seed=5)
    yield running
    running.close()


def test_two_runs_at_once_lose_and_duplicate_nothing(site: DemoSite, tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    sources = write_sources(site, tmp_path)
    warehouse = tmp_path / "wh" / "w.duckdb"
    env = child_env(tmp_path / "prefect-home", PREFECT_API_URL=PREFECT_API_URL.value())
    runs = [start_run(sources, warehouse, env, chunk_size=20, log=tmp_path / f"run-{i}.log") for i in (1, 2)]
    codes = [run.wait() for run in runs]
    assert codes == [0, 0], "\n\n".join(run.output[-2000:] for run in runs)

    staged = [run for run in runs if re.search(r"\d+ stories staged: the warehouse was locked", run.output)]
    for run in runs:
        assert "Traceback" not in run.output, run.output[-3000:]
    if staged:  # one waited past the lock timeout: its batches wait on disk for the next run
        run_to_end(sources, warehouse, env, chunk_size=20)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "SELECT count(*), count(DISTINCT story_id), count(DISTINCT url) FROM fact_story"
        ).fetchone() == (
            STORIES,
            STORIES,
            STORIES,
        )
        assert integrity_problems(con) == []
        statuses = run_statuses(con)
        assert "running" not in statuses and "failed" not in statuses, statuses
        assert statuses.count("completed") + statuses.count("staged") >= 2
        # every story's current version has exactly one version row, and there are no extra versions
        # with unchanged content: two runs seeing the same page must not make it "updated"
        assert (
            con.execute(
                "SELECT count(*) FROM fact_story_version v JOIN fact_story_version w ON v.story_key = w.story_key "
                "AND w.version = v.version + 1 AND w.content_hash = v.content_hash "
                "AND w.updated_at IS NOT DISTINCT FROM v.updated_at"
            ).fetchone()[0]
            == 0
        )
        assert con.execute("SELECT count(DISTINCT run_id) FROM etl_fetch").fetchone()[0] == 2, (
            "both runs' fetch logs are kept"
        )


def _leases(warehouse: Path) -> list[tuple]:
    from warehouse.duckdb import read_only_connection

    if not warehouse.exists():
        return []
    try:
        with read_only_connection(warehouse, timeout_s=2) as con:
            tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            return con.execute("SELECT source, run_id FROM etl_lease").fetchall() if "etl_lease" in tables else []
    except Exception:  # the file is being created or migrated: ask again
        return []


def test_a_second_run_waits_for_the_sources_in_flight_so_no_page_is_fetched_twice(tmp_path: Path) -> None:
    """Run 2 starts while run 1 holds its sources' leases: it waits, then finds every page known."""
    from prefect.settings import PREFECT_API_URL

    big = serve_demo_site(240, outlets=2, seed=11)
    try:
        sources = write_sources(big, tmp_path)
        warehouse = tmp_path / "wh" / "w.duckdb"
        env = child_env(tmp_path / "prefect-home", PREFECT_API_URL=PREFECT_API_URL.value())
        first = start_run(sources, warehouse, env, chunk_size=20, log=tmp_path / "run-1.log")
        deadline = time.monotonic() + 120
        while not _leases(warehouse):
            assert first.process.poll() is None and time.monotonic() < deadline, first.output[-3000:]
            time.sleep(0.2)
        second = start_run(sources, warehouse, env, chunk_size=20, log=tmp_path / "run-2.log")
        assert [first.wait(), second.wait()] == [0, 0], first.output[-2000:] + second.output[-2000:]
    finally:
        big.close()

    assert re.search(r"waiting for run \S+ \(pid \d+ on .+\), which is loading: ", second.output), second.output[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        pages = con.execute(
            "SELECT url, count(*) AS n, count(DISTINCT run_id) FROM etl_fetch WHERE url NOT LIKE '%.xml' "
            "GROUP BY url HAVING n > 1"
        ).fetchall()
        assert pages == [], f"{len(pages)} pages fetched more than once, e.g. {pages[:3]}"
        assert con.execute("SELECT count(*) FROM fact_story").fetchone()[0] == 240
        assert con.execute("SELECT count(*) FROM etl_lease").fetchone()[0] == 0, "both runs let go"
        assert sorted(run_statuses(con)) == ["completed", "completed"]
        (first_end, second_start, second_first_fetch) = con.execute(
            "SELECT min(finished_at), max(started_at), "
            "(SELECT min(fetched_at) FROM etl_fetch WHERE run_id = (SELECT max(run_id) FROM etl_run)) FROM etl_run"
        ).fetchone()
        assert second_start < first_end < second_first_fetch, "they overlapped, and the second fetched only after"
