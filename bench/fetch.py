"""Fetcher throughput and the cost of a no-op rerun, against a loopback site, with same-run baselines.

Run: `.venv/bin/python bench/fetch.py [--pages 300] [--feeds 50]`

The site is `tests.http_fixtures.ScriptedServer` in a child process (so the server does not
share the GIL with the client being measured): N article pages of ~30 KB, 50 feeds that
answer `If-None-Match` with 304, and an allow-all robots.txt. Figures:

`--latency-ms` adds server think time per page: on bare loopback nothing waits, so
concurrency only shows its value once responses take as long as real sites' do.

1. pages/s for `Fetcher.fetch_many` at concurrency 1, 2, 8, 32 (`per_host` raised to match),
   against a plain sequential `httpx.get` loop over the same URLs;
2. a no-op rerun over 50 unchanged feeds with stored validators: requests sent, wire bytes and
   seconds, against a plain sequential `httpx.get` loop that downloads every feed again.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.sources.fetching import Fetcher, FetchRequest, FetchResult, FetchSettings
from tests.http_fixtures import LOCAL, Reply, ScriptedServer, SeenRequest

PARAGRAPH = b"<p>" + b"The minister said the flood defences would be reviewed before the monsoon. " * 6 + b"</p>\n"
PAGE = b"<html><head><title>Story</title></head><body>" + PARAGRAPH * 60 + b"</body></html>"
ITEM = (
    b"<item><title>Story</title><link>http://127.0.0.1/story</link><description>"
    + b"x" * 400
    + b"</description></item>"
)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>' + ITEM * 40 + b"</channel></rss>"


def feed_reply(request: SeenRequest) -> Reply:
    etag = f'"{request.path}"'
    if request.headers.get("if-none-match") == etag:
        return Reply(status=304, headers={"ETag": etag})
    return Reply(headers={"Content-Type": "application/rss+xml", "ETag": etag}, body=FEED)


def serve(
    port_out: multiprocessing.connection.Connection, stop: multiprocessing.synchronize.Event, latency_s: float
) -> None:
    with ScriptedServer() as server:
        server.route("/robots.txt", Reply(headers={"Content-Type": "text/plain"}, body=b"User-agent: *\nAllow: /\n"))
        server.route("/page", Reply(body=PAGE, stall_s=latency_s))
        server.route("/feed", feed_reply)
        server.route("/count", lambda _: Reply(body=str(len(server.requests)).encode()))
        port_out.send(server.port)
        stop.wait()


def requests_so_far(base: str) -> int:
    """Requests the server has seen, not counting this one."""
    return int(httpx.get(f"{base}/count").text)


async def run_fetcher(settings: FetchSettings, requests: list[FetchRequest]) -> list[FetchResult]:
    async with Fetcher(settings) as fetcher:
        return await fetcher.fetch_many(requests)


def timed_fetcher(settings: FetchSettings, requests: list[FetchRequest]) -> tuple[float, list[FetchResult]]:
    started = time.perf_counter()
    results = asyncio.run(run_fetcher(settings, requests))
    elapsed = time.perf_counter() - started
    failed = [r for r in results if r.error]
    if failed:
        raise SystemExit(f"bench fetch failed: {failed[0].error} {failed[0].detail}")
    return elapsed, results


def timed_httpx_loop(urls: list[str], shared: bool = False) -> tuple[float, int]:
    """The naive baseline: one `httpx.get` per URL, sequentially; returns seconds and body bytes.

    `shared=True` reuses one `httpx.Client` (keep-alive), the fairer sequential baseline.
    """
    started = time.perf_counter()
    size = 0
    with httpx.Client() as client:
        get = client.get if shared else httpx.get
        for url in urls:
            size += len(get(url).content)
    return time.perf_counter() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="server think time per page")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per figure (shared machine)")
    args = parser.parse_args()

    receive, send = multiprocessing.Pipe(duplex=False)
    stop = multiprocessing.Event()
    site = multiprocessing.Process(target=serve, args=(send, stop, args.latency_ms / 1000), daemon=True)
    site.start()
    base = f"http://127.0.0.1:{receive.recv()}"
    state = Path(tempfile.mkdtemp(prefix="dateline-bench-"))
    try:
        page_urls = [f"{base}/page?n={n}" for n in range(args.pages)]
        size_kib = len(PAGE) // 1024
        print(
            f"# Fetching benchmark: {args.pages} pages of {size_kib} KiB, loopback,"
            f" {args.latency_ms:g} ms server latency per page, best of {args.repeat}"
        )
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        baseline_s, _ = timed_httpx_loop(page_urls[:100])
        baseline_rate = 100 / baseline_s
        print(f"baseline: sequential httpx.get loop      {baseline_rate:8.1f} pages/s (100 pages)")
        shared_s = min(timed_httpx_loop(page_urls, shared=True)[0] for _ in range(args.repeat))
        print(f"baseline: sequential, one httpx.Client   {args.pages / shared_s:8.1f} pages/s")
        for concurrency in (1, 2, 8, 32):
            settings = FetchSettings(state_dir=state, per_host=concurrency, max_connections=concurrency)
            cpu_before = time.process_time()
            runs = [
                timed_fetcher(settings, [FetchRequest(url, access=LOCAL) for url in page_urls])[0]
                for _ in range(args.repeat)
            ]
            cpu_ms = (time.process_time() - cpu_before) * 1000 / (args.pages * args.repeat)
            rate = args.pages / min(runs)
            print(
                f"Fetcher concurrency {concurrency:>2}                 {rate:8.1f} pages/s"
                f"   x{rate / baseline_rate:.2f} vs httpx.get,"
                f" x{rate * shared_s / args.pages:.2f} vs one Client"
                f"   client CPU {cpu_ms:.2f} ms/page"
            )

        feed_urls = [f"{base}/feed?n={n}" for n in range(args.feeds)]
        settings = FetchSettings(state_dir=state)
        _, first = timed_fetcher(settings, [FetchRequest(url, access=LOCAL) for url in feed_urls])
        revalidate = [FetchRequest(r.url, r.etag, r.last_modified, LOCAL) for r in first]
        before = requests_so_far(base)
        rerun_s, rerun = timed_fetcher(settings, revalidate)
        sent = requests_so_far(base) - before - 1
        rerun_s = min([rerun_s] + [timed_fetcher(settings, revalidate)[0] for _ in range(args.repeat - 1)])
        wire = sum(r.bytes for r in rerun)
        before = requests_so_far(base)
        plain_s, plain_bytes = timed_httpx_loop(feed_urls)
        plain_sent = requests_so_far(base) - before - 1
        client_s = min(timed_httpx_loop(feed_urls, shared=True)[0] for _ in range(args.repeat))
        print(f"\n# No-op rerun over {args.feeds} unchanged feeds of {len(FEED) // 1024} KiB")
        not_modified = sum(r.not_modified for r in rerun)
        print(f"Fetcher, stored validators: {sent} requests ({not_modified} x 304), {wire} body bytes, {rerun_s:.3f} s")
        print(f"baseline httpx.get loop:    {plain_sent} requests, {plain_bytes} body bytes, {plain_s:.3f} s")
        print(f"baseline one httpx.Client:  {plain_sent} requests, {plain_bytes} body bytes, {client_s:.3f} s")
        print(
            f"ratio: x{plain_s / rerun_s:.1f} faster than httpx.get,"
            f" x{client_s / rerun_s:.1f} than one Client;"
            f" body bytes {wire}/{plain_bytes}"
        )
    finally:
        stop.set()
        site.join(timeout=5)


if __name__ == "__main__":
    main()
