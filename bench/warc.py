"""A CC-NEWS-shaped WARC through the pipeline, against the same pipeline reading as many pages from the demo site.

Run:
    .venv/bin/python bench/warc.py                  # a 1 GiB WARC (the issue's target)
    .venv/bin/python bench/warc.py --size-mb 64     # a quick look

What is measured (every figure from this one run, on this machine):

1. a `.warc.gz` of `--size-mb` built from the pages of ../shared/corpus/naeb, one gzip member per
   record as CC-NEWS writes them, every repeat of a page under its own URI (its canonical link
   rewritten, so each is a distinct story); its build time and how fast FastWARC alone reads it;
2. `dateline run` over a `warc` source of that file (each run starts its own Prefect API, as users run it);
3. `dateline run` over the demo site (its own process, as in bench/end_to_end.py) with as many
   stories as the WARC holds pages;
4. `dateline run` over a WARC of that same demo site (crawled once into a `.warc.gz` before the
   timing, as `wget --warc-file` would): the same pages as (3), so the ratio (4)/(3) is what reading
   an archive instead of the network is worth, while (2)/(3) also carries the corpus pages' size
   (the corpus pages are several times larger than the demo site's);
5. `dateline run` over that same WARC given as an HTTP `url` (Python's file server on 127.0.0.1):
   the archive streamed through the run's fetcher;
each with stories/s (stories in fact_story / wall seconds of the command) and the peak memory of
the command's whole process tree (main process, its Prefect API server and workers, sampled every 0.25 s:
bench/memory.py).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.end_to_end import count_stories, demo_site  # noqa: E402
from bench.memory import run_sampled  # noqa: E402
from demo.warc import WarcWriter, cc_news_records, corpus_pages  # noqa: E402

NAEB = REPO.parent / "shared" / "corpus" / "naeb"


def build_warc(path: Path, size_bytes: int) -> int:
    """Response records of corpus pages until the file reaches `size_bytes`; returns how many."""
    pages = corpus_pages(NAEB)
    if not pages:
        raise SystemExit(f"no corpus pages under {NAEB}")
    captured = datetime(2025, 3, 4, tzinfo=UTC)
    count = 0
    with WarcWriter(path) as out:
        for uri, html in cc_news_records(pages, sys.maxsize):
            out.response(uri, html, captured_at=captured)
            count += 1
            if out.size >= size_bytes:
                break
    return count


def archive_site(sources: Path, path: Path) -> int:
    """Crawl the demo site's articles (sitemap index → monthly sitemaps → pages) into a WARC, as a
    crawler writing WARC would; returns how many pages."""
    import re
    import tomllib

    import httpx

    count = 0
    with httpx.Client(timeout=30) as client, WarcWriter(path) as out:
        for source in tomllib.loads(sources.read_text())["source"]:
            if source["kind"] != "sitemap":
                continue
            for monthly in re.findall(r"<loc>(.*?)</loc>", client.get(source["url"]).text):
                for url in re.findall(r"<loc>(.*?)</loc>", client.get(monthly).text):
                    page = client.get(url)
                    out.response(url, page.content, page.headers.get("content-type", "text/html"))
                    count += 1
    return count


@contextmanager
def http_file_server(folder: Path) -> Iterator[str]:
    """The folder served by Python's own file server in a child process (no `Range`: the reader streams it whole)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def scan_seconds(path: Path) -> float:
    """FastWARC alone: every record read, payload included (what the reader costs before parsing)."""
    from flows.sources.warc import read_events

    started = time.perf_counter()
    with path.open("rb") as handle:
        for _ in read_events(handle):
            pass
    return time.perf_counter() - started


def dateline_run(sources: Path, warehouse: Path, env: dict[str, str]) -> dict:
    """`dateline run` as a child, its whole process tree's memory sampled, and a sample per loaded chunk."""
    command = [sys.executable, "-m", "flows.cli", "run", "--sources", str(sources), "--warehouse", str(warehouse)]
    wall, _, _, memory = run_sampled(command, env)
    loaded, samples = 0, []
    for _, stories, sample in memory.chunks:
        loaded += stories
        samples.append((loaded, sample))
    return {"wall_s": wall, "memory": memory.summary(), "samples": samples}


def show(label: str, rows: int, run: dict) -> float:
    """Stories/s counts the stories each chunk loaded (after collapsing in-chunk duplicates): a corpus page
    whose canonical link is not its own URL collapses with its repeats into fewer fact_story rows."""
    stories = run["samples"][-1][0] if run["samples"] else rows
    rate = stories / run["wall_s"]
    print(
        f"{label}: {stories} stories loaded ({rows} fact_story rows) in {run['wall_s']:.1f} s wall = "
        f"{rate:.1f} stories/s; {run['memory']}"
    )
    samples = run["samples"]
    step = max(1, len(samples) // 8)
    trail = ", ".join(f"{done}: {s.main_rss / 2**20:.0f}/{s.tree_pss / 2**20:.0f}" for done, s in samples[::step])
    print(f"  main RSS / tree PSS (MiB) as chunks load, by stories loaded: {trail}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; load before: {Path('/proc/loadavg').read_text().strip()}")
    with tempfile.TemporaryDirectory(prefix="dateline-bench-warc-") as tmp:
        folder = Path(tmp)
        crawl = folder / "CC-NEWS-20250304000000-00000.warc.gz"
        started = time.perf_counter()
        pages = build_warc(crawl, args.size_mb * 2**20)
        built = time.perf_counter() - started
        size = crawl.stat().st_size
        print(f"built {crawl.name}: {size / 2**20:.0f} MiB, {pages} response records in {built:.1f} s")
        print(f"FastWARC scan alone: {scan_seconds(crawl):.1f} s")
        sources = folder / "warc.toml"
        sources.write_text(f'[[source]]\nname = "cc-news"\nkind = "warc"\npath = "{crawl}"\n')
        # each run starts its own Prefect API, as `dateline run` does: its memory is part of the tree's
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PREFECT_API_URL")}
        env |= {"PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "INFO"}  # chunk lines
        warc_db = folder / "warc.duckdb"
        warc_run = dateline_run(sources, warc_db, env)
        warc_rate = show("WARC", count_stories(warc_db), warc_run)
        with demo_site(pages, folder) as site_sources:
            site_db = folder / "site.duckdb"
            site_run = dateline_run(site_sources, site_db, env)
            site_rate = show("demo site over HTTP", count_stories(site_db), site_run)
            site_warc = folder / "demo-site.warc.gz"
            print(f"archived the demo site: {archive_site(site_sources, site_warc)} pages")
        sources.write_text(f'[[source]]\nname = "demo-archive"\nkind = "warc"\npath = "{site_warc}"\n')
        archive_db = folder / "archive.duckdb"
        archive_run = dateline_run(sources, archive_db, env)
        archive_rate = show("demo site from its WARC", count_stories(archive_db), archive_run)
        with http_file_server(folder) as base:
            url = f"{base}/{site_warc.name}"
            sources.write_text(
                f'[[source]]\nname = "demo-archive-http"\nkind = "warc"\nurl = "{url}"\nallow_private_networks = true\n'
            )
            streamed_db = folder / "streamed.duckdb"
            streamed_run = dateline_run(sources, streamed_db, env)
            streamed_rate = show("demo site's WARC over HTTP", count_stories(streamed_db), streamed_run)
    print(f"corpus WARC / demo site stories/s: {warc_rate / site_rate:.2f}x")
    print(f"demo site WARC / demo site over HTTP stories/s: {archive_rate / site_rate:.2f}x")
    print(f"demo site WARC streamed over HTTP / demo site over HTTP stories/s: {streamed_rate / site_rate:.2f}x")
    print(f"load after: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
