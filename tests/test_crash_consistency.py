"""SIGKILL `dateline run` mid-load, rerun, and demand the warehouse of a clean load.

A 15-minute schedule running for years will be killed during a merge sooner or later (OOM
killer, a reboot, a deploy). The flow's promise: each chunk merges in one DuckDB transaction
with its fetch log and rejects, HTTP validators only commit with the last chunk, and the next
run marks the dead run 'abandoned' and fetches whatever did not commit. So after kill + rerun
the warehouse must equal a clean load: the same stories with the same content hashes, the same
bridge rows (by natural keys), no orphans or duplicates, and etl_run telling the truth. And
nothing of the killed run may survive to hold the file.

Kill moments are drawn at random (seeded, so a failure can be replayed) as a number of article
pages the site has served to the run, so they land between the first and the last chunk whatever
the machine's speed: during a fetch, a parse or a merge; one trial waits for the merge itself
(the WAL file appearing after that page). One trial runs by default, the others are `slow`.
Each trial asserts the killed run had left work undone, so the rerun had something to finish.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from demo.site import DemoSite, serve_demo_site
from tests.fault_harness import (
    Run,
    child_env,
    child_rows,
    integrity_problems,
    run_statuses,
    run_to_end,
    start_run,
    stories,
    write_sources,
)
from warehouse.duckdb import summaries

pytestmark = pytest.mark.usefixtures("prefect_api")

SMALL, LARGE = 150, 2000
CHUNK = {SMALL: 25, LARGE: 200}


class PageCounter:
    """Wraps the demo site's resolver to count article pages served and signal the kill moment."""

    def __init__(self, site: DemoSite) -> None:
        self._resolve = site.server.resolve
        self._lock = threading.Lock()
        self.served = 0
        self.target = 0
        self.reached = threading.Event()
        site.server.resolve = self

    def __call__(self, host: str | None, path: str):
        document = self._resolve(host, path)
        if document is not None and path.endswith(".html"):
            with self._lock:
                self.served += 1
                if self.target and self.served >= self.target:
                    self.reached.set()
        return document

    def arm(self, target: int) -> None:
        with self._lock:
            self.served, self.target = 0, target
            self.reached.clear()


@dataclass
class Reference:
    """A clean load of the site: what every crashed-then-rerun warehouse must equal."""

    site: DemoSite
    sources: Path
    stories: list[tuple[str, str]]
    children: dict[str, list[tuple]]
    duplicates: list[tuple[str, str | None]]
    pages: PageCounter


def _wait_for(ready: Callable[[], bool], run: Run, what: str, timeout_s: float = 300) -> None:
    """Poll (every 5 ms) until `ready()`; fails if the run ends first."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert run.process.poll() is None, f"the run ended before {what}:\n{run.output[-3000:]}"
        assert time.monotonic() < deadline, f"no {what} in {timeout_s} s"
        time.sleep(0.005)


def _duplicates(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    return con.execute(
        "SELECT f.story_id, o.story_id FROM fact_story f "
        "LEFT JOIN fact_story o ON o.story_key = f.duplicate_of ORDER BY f.story_id"
    ).fetchall()


def _clean_load(stories_count: int, folder: Path, api_url: str) -> Reference:
    site = serve_demo_site(stories_count, outlets=3, seed=7)
    sources = write_sources(site, folder)
    warehouse = folder / "clean" / "w.duckdb"
    env = child_env(folder / "prefect-home", PREFECT_API_URL=api_url)
    pages = PageCounter(site)
    run_to_end(sources, warehouse, env, chunk_size=CHUNK[stories_count])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        reference = Reference(site, sources, stories(con), child_rows(con), _duplicates(con), pages)
        assert integrity_problems(con) == []
        assert run_statuses(con) == ["completed"]
    assert len(reference.stories) == stories_count, "the demo site promises one story per article page"
    return reference


@pytest.fixture(scope="module")
def api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory, api_url: str) -> Iterator[dict[int, Reference]]:
    """Clean loads by corpus size, made on first use and shared by the trials of that size."""
    made: dict[int, Reference] = {}

    class Lazy(dict):
        def __missing__(self, size: int) -> Reference:
            made[size] = self[size] = _clean_load(size, tmp_path_factory.mktemp(f"clean-{size}"), api_url)
            return made[size]

    yield Lazy()
    for reference in made.values():
        reference.site.close()


def crash_and_rerun(reference: Reference, size: int, folder: Path, api_url: str, moment: str, seed: int) -> str:
    """Kill a run after a random number of article pages ('page'), or at the first write after that
    ('merge'); check nothing survives and the file is free; rerun; compare with the clean load."""
    warehouse = folder / "w.duckdb"
    env = child_env(folder / "prefect-home", PREFECT_API_URL=api_url)
    chunk = CHUNK[size]
    # the run reads one chunk ahead: chunk 3's first page is fetched only once chunk 1 has committed
    reference.pages.arm(random.Random(seed).randrange(2 * chunk + 1, size - chunk // 2))
    run = start_run(reference.sources, warehouse, env, chunk_size=chunk)
    _wait_for(reference.pages.reached.is_set, run, "kill moment")
    if moment == "merge":
        wal = Path(f"{warehouse}.wal")
        _wait_for(wal.exists, run, "write to the warehouse")
    run.kill()
    assert run.survivors() == [], "a process of the killed run is still alive"
    with duckdb.connect(str(warehouse), read_only=True) as con:  # fails at once if anything still holds it
        loaded_before = con.execute("SELECT count(*) FROM fact_story").fetchone()[0]
        assert integrity_problems(con) == [], "a killed run left a half-applied merge"
    assert loaded_before > 0, "the kill came before the first chunk committed"
    assert loaded_before < size or moment == "merge", "the kill came after the last chunk committed"

    rerun = run_to_end(reference.sources, warehouse, env, chunk_size=CHUNK[size])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert integrity_problems(con) == []
        assert stories(con) == reference.stories
        children = child_rows(con)
        for table, rows in reference.children.items():
            extra, missing = set(children[table]) - set(rows), set(rows) - set(children[table])
            assert not extra and not missing, f"{table}: extra {sorted(extra)[:3]}, missing {sorted(missing)[:3]}"
        assert _duplicates(con) == reference.duplicates, "wire-copy links depend on where the kill fell"
        statuses = run_statuses(con)
    assert statuses == ["abandoned", "completed"], "the killed run must be recorded as abandoned"
    with duckdb.connect(str(warehouse)) as con:
        assert not any(summaries.drift(con).values()), "the views' summaries disagree with the stories"
    assert "Traceback" not in rerun.output, rerun.output[-3000:]
    return f"killed after {reference.pages.target} pages, {loaded_before}/{size} stories loaded; rerun completed"


def test_sigkill_mid_load_then_rerun_equals_a_clean_load(
    references: dict[int, Reference], tmp_path: Path, api_url: str
) -> None:
    note = crash_and_rerun(references[SMALL], SMALL, tmp_path, api_url, "page", seed=1)
    print(note)


@pytest.mark.slow
@pytest.mark.parametrize(("moment", "seed"), [("page", 2), ("page", 3), ("page", 4), ("merge", 5), ("merge", 6)])
def test_sigkill_trials_on_a_few_thousand_stories(
    references: dict[int, Reference], tmp_path: Path, api_url: str, moment: str, seed: int
) -> None:
    note = crash_and_rerun(references[LARGE], LARGE, tmp_path, api_url, moment, seed)
    print(note)
