"""Shared parts of the fault tests: `dateline run` as a real child process against the demo site.

Fault tests must treat the pipeline the way production does: a separate process (serving its own
Prefect API on a thread) that can be killed, starved of disk or made to wait for
a lock, and a DuckDB file that is checked afterwards from the outside. Each child runs in its
own session (so its process group holds its workers too) and carries a marker variable, so
a test can prove that nothing it started survives.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from demo.site import DemoSite

REPO = Path(__file__).resolve().parents[1]
DATELINE = [sys.executable, "-m", "flows.cli"]
_MARKER = "DATELINE_FAULT_TEST_RUN"

# Child tables whose rows belong to one story, with the natural key columns that identify a row.
STORY_CHILDREN = {
    "bridge_story_topic": "t.topic_id, b.score",
    "bridge_story_entity": "e.name, e.entity_type, b.mentions",
    "bridge_story_author": "a.name",
    "fact_quote": "b.quote",
    "fact_date_mention": "b.mentioned_date, b.phrase",
}
_CHILD_JOINS = {
    "bridge_story_topic": "JOIN dim_topic t USING (topic_key)",
    "bridge_story_entity": "JOIN dim_entity e USING (entity_key)",
    "bridge_story_author": "JOIN dim_author a USING (author_key)",
    "fact_quote": "",
    "fact_date_mention": "",
}


def write_sources(site: DemoSite, folder: Path) -> Path:
    """The demo site's sources file (sitemaps and feeds of every outlet)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sources.toml"
    path.write_text(site.sources_toml(), encoding="utf-8")
    return path


@dataclass
class Run:
    """One `dateline run` child process; output goes to a file so a kill cannot block on a pipe."""

    process: subprocess.Popen[bytes]
    log: Path
    marker: str
    started: float

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = 600) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"dateline run did not finish in {timeout} s:\n{self.output[-3000:]}") from None

    def kill(self) -> None:
        """SIGKILL the whole process group (the flow and Prefect's server) and reap the child."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        _wait_for_no_survivors(self.marker)

    def survivors(self) -> list[int]:
        return processes_marked(self.marker)


def child_env(prefect_home: Path, **extra: str) -> dict[str, str]:
    """The environment of a run: its own Prefect home (no shared SQLite with other tests), and bytecode
    caching allowed: without .pyc files every child spends seconds compiling Prefect's sources."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"PREFECT_HOME": str(prefect_home), "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "COLUMNS": "200"}
    return env | extra


def start_run(
    sources: Path,
    warehouse: Path,
    env: dict[str, str],
    *,
    chunk_size: int = 100,
    log: Path | None = None,
    preexec_fn=None,
) -> Run:
    """Start `dateline run` in its own session; returns at once."""
    marker = uuid.uuid4().hex
    log = log or warehouse.parent / f"run-{marker[:8]}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        *DATELINE,
        "run",
        "--sources",
        str(sources),
        "--warehouse",
        str(warehouse),
        "--chunk-size",
        str(chunk_size),
        "--create",  # each test's warehouse goes into a fresh folder
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env | {_MARKER: marker},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=preexec_fn,
        )
    return Run(process, log, marker, time.monotonic())


def run_to_end(sources: Path, warehouse: Path, env: dict[str, str], **options) -> Run:
    """Run `dateline run` and fail with its output unless it exits 0."""
    run = start_run(sources, warehouse, env, **options)
    code = run.wait()
    assert code == 0, f"dateline run exited {code}:\n{run.output[-4000:]}"
    return run


def processes_marked(marker: str) -> list[int]:
    """PIDs whose environment carries `marker`: everything a run started, however it was spawned."""
    found = []
    needle = f"{_MARKER}={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _wait_for_no_survivors(marker: str, grace_s: float = 10) -> None:
    deadline = time.monotonic() + grace_s
    while processes_marked(marker) and time.monotonic() < deadline:
        time.sleep(0.1)


# ------------------------------------------------------------------ the warehouse, seen from outside


def open_now(path: Path) -> duckdb.DuckDBPyConnection:
    """A writable connection at once: fails (no retry) if any process still holds the file."""
    return duckdb.connect(str(path))


def stories(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.execute("SELECT story_id, content_hash FROM fact_story ORDER BY story_id").fetchall()


def child_rows(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every story's bridge and detail rows, by natural keys (story_id, topic id, entity name...)."""
    return {
        table: sorted(
            con.execute(
                f"SELECT f.story_id, {columns} FROM {table} b JOIN fact_story f USING (story_key) {_CHILD_JOINS[table]}"
            ).fetchall(),
            key=repr,
        )
        for table, columns in STORY_CHILDREN.items()
    }


def integrity_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What a half-applied merge would leave: orphans, duplicates, versions out of step with stories."""
    checks = {
        "duplicate story ids": "SELECT count(*) - count(DISTINCT story_id) FROM fact_story",
        "duplicate story urls": "SELECT count(url) - count(DISTINCT url) FROM fact_story",
        "stories without a version row": "SELECT count(*) FROM fact_story f WHERE NOT EXISTS "
        "(SELECT 1 FROM fact_story_version v WHERE v.story_key = f.story_key AND v.version = f.version)",
        "versions without a story": "SELECT count(*) FROM fact_story_version v "
        "WHERE v.story_key NOT IN (SELECT story_key FROM fact_story)",
        "story rows without a source": "SELECT count(*) FROM fact_story WHERE source_key NOT IN "
        "(SELECT source_key FROM dim_source)",
    }
    for table in STORY_CHILDREN:
        checks[f"orphan rows in {table}"] = (
            f"SELECT count(*) FROM {table} WHERE story_key NOT IN (SELECT story_key FROM fact_story)"
        )
    for table, column in (
        ("bridge_story_topic", "topic_key"),
        ("bridge_story_entity", "entity_key"),
        ("bridge_story_author", "author_key"),
    ):
        dimension = {"topic_key": "dim_topic", "entity_key": "dim_entity", "author_key": "dim_author"}[column]
        checks[f"{table} rows without a {dimension} row"] = (
            f"SELECT count(*) FROM {table} WHERE {column} NOT IN (SELECT {column} FROM {dimension})"
        )
    problems = []
    for name, sql in checks.items():
        count = con.execute(sql).fetchone()[0]
        if count:
            problems.append(f"{name}: {count}")
    return problems


def run_statuses(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute("SELECT status FROM etl_run ORDER BY started_at").fetchall()]
