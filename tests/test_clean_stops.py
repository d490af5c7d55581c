"""Ctrl-C or SIGTERM on `dateline run` ends it within seconds: one line, no traceback, `etl_run` records
`interrupted` with what was loaded so far, and nothing the run started outlives it.

The run is a real child process against a real HTTP server whose article pages never answer, so the
signal arrives while a chunk is being fetched (the case that used to wait for every fetch to time out),
after a first chunk (a story dump) is already loaded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from tests.fault_harness import child_env, start_run
from tests.http_fixtures import Reply, ScriptedServer
from tests.test_ingest_flow import DUMP

pytestmark = pytest.mark.usefixtures("prefect_api")

ARTICLES = 4


def feed(server: ScriptedServer) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>{server.url(f'/a/{n}.html')}</link><description>Short.</description>"
        f"<pubDate>Thu, 06 Feb 2025 0{n}:00:00 GMT</pubDate></item>"
        for n in range(ARTICLES)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>{items}</channel></rss>'.encode()


@contextmanager
def slow_site() -> Iterator[ScriptedServer]:
    """A feed whose article pages never answer in time."""
    with ScriptedServer() as server:
        server.route("/robots.txt", Reply(status=404))
        server.route("/feed.xml", Reply(headers={"Content-Type": "application/rss+xml"}, body=feed(server)))
        for n in range(ARTICLES):
            server.route(f"/a/{n}.html", Reply(stall_s=90, body=b"<html>too late</html>"))
        yield server


async def flow_run_state(flow_run_id: str) -> str:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return (await client.read_flow_run(uuid.UUID(flow_run_id))).state.type.name


def loaded_stories(warehouse: Path, timeout_s: float = 120) -> int:
    """Stories in the warehouse once the run has loaded some (the run holds the file only while merging)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with duckdb.connect(str(warehouse), read_only=True) as con:
                count = con.execute("SELECT count(*) FROM fact_story").fetchone()[0]
        except duckdb.Error:
            count = 0
        if count:
            return count
        time.sleep(0.2)
    raise AssertionError("the first chunk was never loaded")


@pytest.mark.parametrize(
    ("signum", "to_group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c-to-the-process-group-own-prefect-server", "sigterm-to-the-process-shared-prefect-server"],
)
def test_a_stopped_run_ends_in_seconds_with_one_line_and_is_recorded_interrupted(
    tmp_path: Path, signum: int, to_group: bool
) -> None:
    """Ctrl-C in a terminal signals the whole process group: the run starts its Prefect API in a session of
    its own, so the server outlives the signal long enough to record the run Cancelled. SIGTERM goes to
    the process alone (as `kill` sends it) with a shared Prefect server, where the state is checked."""
    from prefect.settings import PREFECT_API_URL

    with slow_site() as server:
        dump = tmp_path / "dump.txt"
        dump.write_text(DUMP, encoding="utf-8")
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[[source]]\nname = "dumps"\nkind = "file"\npath = "{dump}"\n\n'
            f'[[source]]\nname = "slow"\nkind = "feed"\nurl = "{server.url("/feed.xml")}"\n'
            "allow_private_networks = true\n",
            encoding="utf-8",
        )
        warehouse = tmp_path / "w.duckdb"
        shared = {} if to_group else {"PREFECT_API_URL": PREFECT_API_URL.value()}
        env = child_env(tmp_path / "prefect-home", **shared)
        run = start_run(sources, warehouse, env, chunk_size=1)
        try:
            assert loaded_stories(warehouse) == 1
            while not server.hits("/a/0.html"):
                assert run.process.poll() is None, run.output
                time.sleep(0.1)
            before = len(run.output)
            signalled = time.monotonic()
            if to_group:
                os.killpg(run.process.pid, signum)
            else:
                run.process.send_signal(signum)
            code = run.wait(timeout=30)
            took = time.monotonic() - signalled
        finally:
            if run.process.poll() is None:
                run.kill()
        output = run.output
        after = [line for line in output[before:].splitlines() if line.strip()]
        assert code == 128 + signum, output[-3000:]
        assert took < 10, f"took {took:.1f} s to stop"
        assert "Traceback" not in output, output[-3000:]
        assert len(after) == 1 and after[0].startswith(f"stopped by {signal.Signals(signum).name}"), after
        with duckdb.connect(str(warehouse), read_only=True) as con:
            status, message, new, flow_run_id = con.execute(
                "SELECT status, message, new, flow_run_id FROM etl_run"
            ).fetchone()
        assert (status, new) == ("interrupted", 1) and signal.Signals(signum).name in message
        if not to_group:
            assert asyncio.run(flow_run_state(flow_run_id)) == "CANCELLED", "Prefect and etl_run agree"
        deadline = time.monotonic() + 10
        while run.survivors() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert run.survivors() == [], "nothing the run started outlives it"


def test_a_run_killed_outright_leaves_no_prefect_server_behind(tmp_path: Path) -> None:
    """SIGKILL gives the run no chance to stop its Prefect API server: the kernel's parent-death signal does."""
    with slow_site() as server:
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[[source]]\nname = "slow"\nkind = "feed"\nurl = "{server.url("/feed.xml")}"\n'
            "allow_private_networks = true\n"
        )
        run = start_run(sources, tmp_path / "w.duckdb", child_env(tmp_path / "prefect-home"))
        try:
            while not server.hits("/a/0.html"):
                assert run.process.poll() is None, run.output
                time.sleep(0.1)
            assert len(run.survivors()) >= 2, "the run and its Prefect server"
            run.process.send_signal(signal.SIGKILL)  # the process alone, not its group
            run.process.wait(timeout=10)
            deadline = time.monotonic() + 10
            while run.survivors() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert run.survivors() == []
        finally:
            run.kill()
