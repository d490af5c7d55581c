"""A long `dateline run` without a terminal (cron, CI, `| tee`) says how it is going: one plain line every
`--progress-every` seconds on stderr, no ANSI codes, counts that only grow and whose last line equals the
run's summary; `--quiet` prints none.

The run is a real child process with its output on pipes, fetching from a real HTTP server on 127.0.0.1
whose article pages each take a while to answer, in small chunks, so the run lasts several seconds
and its counts move between lines.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import time
from pathlib import Path

import duckdb

from tests.fault_harness import DATELINE, REPO, child_env
from tests.http_fixtures import Reply, ScriptedServer

ARTICLES, CHUNK, SLOW_S = 12, 3, 0.7
COUNTS = ("found", "fetched", "parsed", "new", "updated", "unchanged", "rejected")
LINE = re.compile(
    r"progress (?P<elapsed>\d+) s: "
    + ", ".join(f"{name} (?P<{name}>\\d+)" for name in COUNTS)
    + r" \((?P<rate>\d+\.\d) documents/s\)"
)


def _slow_site(server: ScriptedServer) -> None:
    items = "".join(
        f"<item><title>Harbour night lane {n}</title><link>{server.url(f'/news/{n}.html')}</link></item>"
        for n in range(ARTICLES)
    )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Port</title>{items}</channel></rss>'
    server.route("/robots.txt", Reply(status=404))
    server.route("/feed.xml", Reply(headers={"Content-Type": "application/rss+xml"}, body=feed.encode()))
    for n in range(ARTICLES):
        words = " ".join(f"cargo{n}x{k}" for k in range(120))
        html = (
            f'<html lang="en"><head><title>Harbour night lane {n}</title>'
            f'<meta property="article:published_time" content="2025-02-{n + 1:02d}T09:00:00Z"></head>'
            f"<body><article><h1>Harbour night lane {n}</h1><p>The port opened lane {n}. {words}.</p></article>"
        )
        server.route(f"/news/{n}.html", Reply(body=html.encode(), stall_s=SLOW_S))


def _run(server: ScriptedServer, tmp_path: Path, name: str, *options: str) -> subprocess.CompletedProcess[str]:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "port-desk"\nkind = "feed"\nurl = "{server.url("/feed.xml")}"\n'
        "allow_private_networks = true\n",
        encoding="utf-8",
    )
    command = [*DATELINE, "run", "--sources", str(sources), "--warehouse", str(tmp_path / f"{name}.duckdb")]
    env = child_env(tmp_path / f"prefect-{name}", DATELINE_ENTITIES="rules", DATELINE_WORKERS="1")
    return subprocess.run(
        [*command, "--chunk-size", str(CHUNK), *options],
        cwd=REPO,
        env=env,
        capture_output=True,  # stdout and stderr are pipes: no terminal, as under cron or CI
        text=True,
        timeout=300,
    )


def _run_row(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [row] = con.execute(f"SELECT {', '.join(COUNTS)} FROM etl_run").fetchall()
    return dict(zip(COUNTS, row, strict=True))


def test_a_run_without_a_terminal_prints_true_plain_progress_lines_and_none_when_quiet(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        _slow_site(server)
        started = time.monotonic()
        shown = _run(server, tmp_path, "shown", "--progress-every", "1")
        wall_s = time.monotonic() - started
        quiet = _run(server, tmp_path, "quiet", "--progress-every", "1", "--quiet")

    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "\x1b" not in shown.stdout + shown.stderr  # plain text: no colour, no cursor moves
    lines = [line for line in shown.stderr.splitlines() if line.startswith("progress ")]
    assert len(lines) >= 2, shown.stderr
    assert not any(line.startswith("progress ") for line in shown.stdout.splitlines())
    seen = []
    for line in lines:
        match = LINE.fullmatch(line)
        assert match, f"not a progress line: {line!r}"
        seen.append({name: int(match[name]) for name in ("elapsed", *COUNTS)})
    for earlier, later in itertools.pairwise(seen):
        assert all(later[name] >= earlier[name] for name in earlier), (earlier, later)
    for counts in seen:
        assert counts["fetched"] <= counts["found"] and counts["new"] <= counts["parsed"]
    # a bounded rate: a line a second at most, and the run's last line once it is over
    assert len(lines) <= wall_s + 1
    final = _run_row(tmp_path / "shown.duckdb")
    assert final["new"] == ARTICLES and final["fetched"] == ARTICLES
    assert {name: seen[-1][name] for name in COUNTS} == final
    # the lines follow the run as it goes, rather than repeating its end
    assert any(0 < counts["fetched"] < ARTICLES for counts in seen), lines

    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "progress " not in quiet.stderr + quiet.stdout
    assert _run_row(tmp_path / "quiet.duckdb")["new"] == ARTICLES
    assert "dateline run" in quiet.stdout  # --quiet silences progress, not the summary
