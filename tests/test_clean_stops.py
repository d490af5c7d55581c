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
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from flows.pipeline import stops
from tests.conftest import REPO
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


def dump_then_slow_feed(folder: Path, server: ScriptedServer) -> Path:
    """A sources file whose first source (a one-story dump) loads at once and whose second (the slow feed) never
    finishes: a run stopped after the first chunk is mid-fetch."""
    dump = folder / "dump.txt"
    dump.write_text(DUMP, encoding="utf-8")
    sources = folder / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "dumps"\nkind = "file"\npath = "{dump}"\n\n'
        f'[[source]]\nname = "slow"\nkind = "feed"\nurl = "{server.url("/feed.xml")}"\n'
        "allow_private_networks = true\n",
        encoding="utf-8",
    )
    return sources


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
        sources = dump_then_slow_feed(tmp_path, server)
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
    """SIGKILL gives the run no chance to stop its Prefect API server: it is a thread of the run, so it ends with
    it; no server process is started that could be left behind."""
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
            others = [pid for pid in run.survivors() if pid != run.process.pid]
            commands = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in others]
            # besides the run: its workers' forkserver and multiprocessing's resource tracker, started early
            assert all("multiprocessing" in command for command in commands), commands
            assert not any("prefect" in command for command in commands), "its Prefect API is no process of its own"
            run.process.send_signal(signal.SIGKILL)  # the process alone, not its group
            run.process.wait(timeout=10)
            deadline = time.monotonic() + 10
            while run.survivors() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert run.survivors() == []
        finally:
            run.kill()


PARSED_TOGETHER = 60  # enough pages in one chunk for the worker pool (flows/runtime/workers.MIN_PARALLEL_ITEMS)


def test_ctrl_c_with_the_worker_pool_running_still_prints_one_line(tmp_path: Path) -> None:
    """Ctrl-C in a terminal reaches the workers too (one foreground process group): they leave the stop to
    the run instead of each printing a KeyboardInterrupt traceback. The first chunk is parsed on the pool,
    the second never arrives, and the signal comes while the pool is up."""
    with ScriptedServer() as server:
        links = [server.url(f"/p/{n}.html") for n in range(PARSED_TOGETHER + 2)]
        items = "".join(f"<item><title>Port story {n}</title><link>{url}</link></item>" for n, url in enumerate(links))
        rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Port</title>{items}</channel></rss>'
        server.route("/robots.txt", Reply(status=404))
        server.route("/feed.xml", Reply(headers={"Content-Type": "application/rss+xml"}, body=rss.encode()))
        for n in range(len(links)):
            words = " ".join(f"quay{n}w{k}" for k in range(150))
            html = f"<html><head><title>Port story {n}</title></head><body><article><h1>Port story {n}</h1>"
            stall_s = 90.0 if n >= PARSED_TOGETHER else 0.0  # the second chunk never arrives
            server.route(f"/p/{n}.html", Reply(body=f"{html}<p>{words}.</p></article>".encode(), stall_s=stall_s))
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[[source]]\nname = "port"\nkind = "feed"\nurl = "{server.url("/feed.xml")}"\n'
            "allow_private_networks = true\n",
            encoding="utf-8",
        )
        warehouse = tmp_path / "w.duckdb"
        env = child_env(
            tmp_path / "prefect-home",
            DATELINE_WORKERS="2",
            DATELINE_ENTITIES="rules",
            DATELINE_WORKER_MEMORY_MB="0",  # the first chunk's workers stay up (none is replaced after its slice)
        )
        run = start_run(sources, warehouse, env, chunk_size=PARSED_TOGETHER)
        try:
            assert loaded_stories(warehouse, timeout_s=300) == PARSED_TOGETHER
            while not server.hits(f"/p/{PARSED_TOGETHER}.html"):
                assert run.process.poll() is None, run.output
                time.sleep(0.1)
            commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in run.survivors()]
            assert sum(b"forkserver" in command for command in commands) >= 2, "the pool is up when the signal comes"
            before = len(run.output)
            os.killpg(run.process.pid, signal.SIGINT)
            code = run.wait(timeout=60)
        finally:
            if run.process.poll() is None:
                run.kill()
        output = run.output
        after = [line for line in output[before:].splitlines() if line.strip()]
        assert code == 128 + signal.SIGINT, output[-3000:]
        assert "Traceback" not in output and "KeyboardInterrupt" not in output, output[-3000:]
        assert len(after) == 1 and after[0].startswith("stopped by SIGINT"), after


def test_a_sigterm_after_ctrl_c_lets_the_run_record_its_stop(tmp_path: Path) -> None:
    """What `dateline serve` does to a flow run on Ctrl-C: the terminal's SIGINT reaches the run (one process
    group), then the runner sends it a SIGTERM. The run is already stopping: it records `interrupted`
    instead of dying mid-record (before, the second signal ended it at once, `etl_run` stayed `running`
    while Prefect said Cancelled)."""
    with slow_site() as server:
        sources = dump_then_slow_feed(tmp_path, server)
        warehouse = tmp_path / "w.duckdb"
        run = start_run(sources, warehouse, child_env(tmp_path / "prefect-home"), chunk_size=1)
        try:
            assert loaded_stories(warehouse) == 1
            while not server.hits("/a/0.html"):
                assert run.process.poll() is None, run.output
                time.sleep(0.1)
            run.process.send_signal(signal.SIGINT)
            time.sleep(0.3)
            run.process.send_signal(signal.SIGTERM)
            code = run.wait(timeout=60)
        finally:
            if run.process.poll() is None:
                run.kill()
        assert code == 128 + signal.SIGINT, run.output[-3000:]
        assert "Traceback" not in run.output, run.output[-3000:]
        with duckdb.connect(str(warehouse), read_only=True) as con:
            status, message = con.execute("SELECT status, message FROM etl_run").fetchone()
        assert status == "interrupted" and "SIGINT" in message


_LATE_SIGTERM = """
import os, signal, sys
from flows.pipeline.stops import StopRequested, stop_on_signals

original = signal.getsignal(signal.SIGTERM)  # what Prefect's flow engine keeps when a flow starts
if sys.argv[1] == "stopped":
    try:
        with stop_on_signals():
            os.kill(os.getpid(), signal.SIGINT)
    except StopRequested:
        pass
signal.signal(signal.SIGTERM, original)  # what it puts back when the flow ends
os.kill(os.getpid(), signal.SIGTERM)
sys.exit(130)
"""


@pytest.mark.parametrize(("state", "code"), [("stopped", 130), ("running", -signal.SIGTERM)])
def test_a_sigterm_after_the_stopped_flow_ended_is_ignored_and_otherwise_ends_the_process(state, code) -> None:
    """A runner's SIGTERM can arrive after a stopped run's flow has ended and Prefect has put back the handler it
    found: the process still exits with the stop's code. With no stop, SIGTERM ends the process as it would."""
    done = subprocess.run([sys.executable, "-c", _LATE_SIGTERM, state], cwd=REPO, capture_output=True, timeout=60)
    assert done.returncode == code, done.stderr


def test_a_stop_during_a_merge_takes_effect_once_what_it_committed_is_counted() -> None:
    """A chunk's merge and its bookkeeping run under `stop_deferred`: a Ctrl-C arriving between the commit and the
    counting used to leave the run's record short of the stories it loaded (seen under load: `new` 0 for a run
    that had loaded one). The stop now waits for the end of the block, and is raised there."""
    previous = {each: signal.getsignal(each) for each in stops.STOP_SIGNALS}
    done: list[str] = []
    try:
        with pytest.raises(stops.StopRequested) as stopped, stops.stop_on_signals():
            with stops.stop_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # the handler has run by now (signals reach the main thread between bytecodes)
                done.append("counted")
            done.append("went on")
        assert done == ["counted"] and stopped.value.signal_name == "SIGINT"
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)
        stops._stopping = False
