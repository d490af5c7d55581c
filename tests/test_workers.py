"""Distribution for real: a `prefect server start`, a process work pool, the deployments of prefect.yaml
(`prefect deploy --all`), two `prefect worker start` processes and one ingest cycle (the four shard
deployments run at once) over the feeds of a real HTTP server on 127.0.0.1, into a DuckLake on the real
PostgreSQL with a temporary data folder.

Every story lands exactly once; the server saw every feed and article requested exactly once (the shards
split the sources, the leases and the stored-story check do the rest); and the two workers together
never had more than a site's `per_host` requests in flight (the shared per-host limit). Everything the
test starts is stopped by its pid (its process group) in teardown. About two minutes: slow."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest

from flows.sources.config import parse_sources, shard_of
from flows.sources.fetching import FetchSettings
from tests.fault_harness import child_env
from tests.http_fixtures import Reply, ScriptedServer
from tests.test_ducklake import catalog
from tests.test_serve import _free_port, _healthy
from warehouse import open_warehouse

__all__ = ["catalog"]

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SHARDS = 4  # prefect.yaml's
FEEDS = [f"desk-{name}" for name in ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")]
PER_FEED = 3


def article(feed: int, n: int) -> Reply:
    words = " ".join(f"f{feed}s{n}w{k}" for k in range(150))
    title = f"Desk {feed} story {n}"
    html = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{words}.</p></article>"
    return Reply(body=html.encode(), stall_s=0.2)  # slow enough that the workers' requests overlap


def newsroom(server: ScriptedServer, folder: Path) -> Path:
    """Six feeds of three stories each on one host; returns the sources file."""
    entries = []
    for feed, name in enumerate(FEEDS):
        links = [server.url(f"/{name}/{n}") for n in range(PER_FEED)]
        items = "".join(
            f"<item><title>Desk {feed} story {n}</title><link>{link}</link>"
            "<pubDate>Mon, 01 Dec 2025 10:00:00 GMT</pubDate></item>"
            for n, link in enumerate(links)
        )
        rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>{items}</channel></rss>'
        server.route(f"/{name}/rss", Reply(headers={"Content-Type": "application/rss+xml"}, body=rss.encode()))
        for n in range(PER_FEED):
            server.route(f"/{name}/{n}", article(feed, n))
        entries.append(
            f'[[source]]\nname = "{name}"\nkind = "feed"\nurl = "{server.url(f"/{name}/rss")}"\n'
            "allow_private_networks = true\n"
        )
    path = folder / "sources.toml"
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


def start(command: list[str], env: dict[str, str], log: Path, cwd: Path = REPO) -> subprocess.Popen:
    """A child in a session (process group) of its own, so teardown stops it and its flow runs by its pid."""
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with suppress(ProcessLookupError):  # a flow run the worker started may outlive it: its group is the worker's
        os.killpg(process.pid, signal.SIGKILL)


def prefect(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"prefect {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A real `prefect server start` on a free port, with its own home and database and no scheduler (the
    test starts the cycle itself, so no schedule fires mid-test); yields the environment that reaches it."""
    port = _free_port()
    env = child_env(
        tmp_path / "prefect-home",
        PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
        PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    server = start(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env,
        tmp_path / "server.log",
    )
    try:
        deadline = time.monotonic() + 120
        while not _healthy(env["PREFECT_API_URL"]):
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "prefect server did not start"
            time.sleep(1)
        yield env
    finally:
        stop(server)


def flow_runs(api: str) -> list[dict]:
    answer = httpx.post(f"{api}/flow_runs/filter", json={"limit": 50}, timeout=10)
    answer.raise_for_status()
    return answer.json()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_workers_share_a_cycle_each_feed_fetched_once(
    prefect_server: dict[str, str], catalog: str, tmp_path: Path
) -> None:
    env = prefect_server
    api = env["PREFECT_API_URL"]
    shards = {shard_of(name, SHARDS) for name in FEEDS}
    assert len(shards) >= 3, "the test's feeds spread over the shards (the hash is stable, so this holds)"
    prefect("work-pool", "create", "dateline", "--type", "process", env=env)
    deployed = prefect("--no-prompt", "deploy", "--all", env={**env, "DATELINE_HOME": str(REPO)})
    assert "ingest-shard-3" in deployed, deployed
    with ScriptedServer() as site:
        sources = newsroom(site, tmp_path)
        assert {s.name for s in parse_sources(sources.read_text()).sources} == set(FEEDS)
        workers = []
        try:
            for name in ("w1", "w2"):
                worker_env = {
                    **env,
                    "DATELINE_HOME": str(REPO),
                    "DATELINE_WAREHOUSE": catalog,
                    "DATELINE_DATA_PATH": str(tmp_path / "lake"),
                    "DATELINE_DATA_DIR": str(tmp_path / f"data-{name}"),  # each host its own run folders
                    "DATELINE_WORKERS": "1",
                }
                command = [str(BIN / "prefect"), "worker", "start", "--pool", "dateline", "--name", name]
                # at most two runs at once per worker: with four shards, both workers take part
                workers.append(start([*command, "--limit", "2"], worker_env, tmp_path / f"{name}.log"))
            for shard in range(SHARDS):
                prefect(
                    "deployment", "run", f"ingest/ingest-shard-{shard}",
                    "--param", f"sources_file={sources}",
                    env=env,
                )  # fmt: skip
            deadline = time.monotonic() + 720
            while True:
                runs = flow_runs(api)
                states = [run["state"]["type"] for run in runs]
                if len(runs) == SHARDS and all(s in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for s in states):
                    break
                assert all(w.poll() is None for w in workers), "a worker exited"
                assert time.monotonic() < deadline, f"the cycle did not finish: {states}"
                time.sleep(3)
        finally:
            for worker in workers:
                stop(worker)
        logs = {name: (tmp_path / f"{name}.log").read_text(errors="replace") for name in ("w1", "w2")}
        assert states == ["COMPLETED"] * SHARDS, json.dumps([r["state"] for r in runs], indent=1) + logs["w1"][-3000:]
        for name, log in logs.items():
            assert "Submitting flow run" in log or "submitting flow run" in log.lower(), (name, log[-2000:])
        fetched = Counter(seen.path for seen in site.requests if seen.path != "/robots.txt")
        max_in_flight = site.max_in_flight

    # every feed and article requested once (robots.txt is cached per host's data folder, so each asks)
    expected = {f"/{name}/rss" for name in FEEDS} | {f"/{name}/{n}" for name in FEEDS for n in range(PER_FEED)}
    assert set(fetched) == expected and set(fetched.values()) == {1}, fetched
    assert 1 <= max_in_flight <= FetchSettings().per_host
    lake = open_warehouse(catalog)
    stories = lake.query("SELECT count(*), count(DISTINCT story_id), count(DISTINCT url) FROM fact_story").rows
    assert stories == [(len(FEEDS) * PER_FEED,) * 3]
    sources = lake.query("SELECT count(DISTINCT s.name) FROM fact_story f JOIN dim_source s USING (source_key)").rows
    assert sources == [(len(FEEDS),)]
