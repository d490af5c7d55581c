"""A `dateline run` killed with SIGKILL leaves no process behind (issue 16): not its forkserver, not the
workers, not multiprocessing's resource tracker (the run's Prefect API is a thread of the run itself).

A real run, in its own session so its whole tree can be found, over a real HTTP server whose later
pages never answer: it is killed mid-run, once its pool is up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.http_fixtures import Reply, ScriptedServer

REPO = Path(__file__).resolve().parents[1]
FAST, SLOW = 60, 40


def _live_processes() -> dict[int, tuple[int, int, str]]:
    """Live (not zombie) processes: pid -> (parent pid, session, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, ppid, _pgrp, sid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:4]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if state != "Z":
            found[int(entry.name)] = (int(ppid), int(sid), command)
    return found


def _session_members(session: int, known: dict[int, str] | None = None) -> dict[int, str]:
    """The run's tree: its session, its descendants (whatever session they may have started), and
    any process seen in the tree before (`known`) still alive with the same command line."""
    live = _live_processes()
    members = {pid: command for pid, (_, sid, command) in live.items() if sid == session}
    grown = True
    while grown:
        children = {pid: c for pid, (ppid, _, c) in live.items() if ppid in members and pid not in members}
        members.update(children)
        grown = bool(children)
    members.update({pid: c for pid, c in (known or {}).items() if pid in live and live[pid][2] == c})
    return members


def _article(n: int) -> Reply:
    words = " ".join(f"word{k}" for k in range(150))
    html = f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1><p>{words}.</p></article>"
    return Reply(body=html.encode())


def test_a_killed_run_leaves_no_process_behind(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        items = "".join(
            f"<item><title>Story {n}</title><link>{server.url(f'/s/{n}')}</link></item>" for n in range(FAST + SLOW)
        )
        feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>N</title>{items}</channel></rss>'
        server.route("/feed.xml", Reply(headers={"Content-Type": "application/rss+xml"}, body=feed.encode()))
        for n in range(FAST + SLOW):
            reply = _article(n)
            reply.stall_s = 0.0 if n < FAST else 120.0  # the second chunk hangs: the run is killed waiting for it
            server.route(f"/s/{n}", reply)
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[[source]]\nname = "slow"\nkind = "feed"\nurl = "{server.url("/feed.xml")}"\n'
            "allow_private_networks = true\n",
            encoding="utf-8",
        )
        env = {
            **os.environ,
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "DATELINE_WORKERS": "2",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        env.pop("PREFECT_API_URL", None)
        command = [sys.executable, "-m", "flows.cli", "run", "--sources", str(sources)]
        command += ["--warehouse", str(tmp_path / "w.duckdb"), "--chunk-size", str(FAST)]
        with open(tmp_path / "run.log", "wb") as log:
            run = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True)
        tree: dict[int, str] = {}
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                tree = _session_members(run.pid)
                pool = [c for c in tree.values() if "forkserver" in c]
                waiting = any(seen.path == f"/s/{FAST}" for seen in server.requests)
                if len(pool) >= 2 and waiting:
                    break
                assert run.poll() is None, (tmp_path / "run.log").read_text()
                time.sleep(0.5)
            else:
                raise AssertionError(f"the run never got its pool up: {tree}")
            os.kill(run.pid, signal.SIGKILL)
            run.wait()
            time.sleep(10)
            survivors = _session_members(run.pid, tree)
        finally:
            for pid in _session_members(run.pid, tree):  # whatever the assertion says, nothing outlives the test
                os.kill(pid, signal.SIGKILL)
        assert survivors == {}, f"left behind: {survivors} (the run's tree was {tree})"
