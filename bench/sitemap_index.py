"""Discovery of a large sitemap index: peak memory with 200 children of 9 MiB each, against a small index.

Run:
    .venv/bin/python bench/sitemap_index.py                       # 200 children against 4, 9 MiB each
    .venv/bin/python bench/sitemap_index.py --children 40 --small 4

What is measured (every figure from this one run, on this machine): a `ScriptedServer` (tests/http_fixtures.py)
in a child process serves two sitemap indexes of Google News sitemaps of `--child-mib` each (about 20,000
`<url>` entries with `news:news` blocks per 9 MiB, every URL distinct). Each index is then discovered in a
fresh child process the way a run discovers it (`discover_chunks` over the `sitemap` reader, the run's fetch
session, chunks of 500 taken and dropped as the chunk loop would, no warehouse): wall seconds, work items
found, and the process's peak RSS (`ru_maxrss`, the kernel's own high-water mark). The target: the big
index's peak within 100 MB of the small one's, i.e. memory set by the children read together, not by
how many children the index lists.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

_ENTRY = (
    "<url><loc>https://news.example/c{child}/{n}-harbour-authority-opens-terminal.html</loc>"
    "<lastmod>2025-03-04T05:06:07+00:00</lastmod><news:news><news:publication><news:name>Example News</news:name>"
    "<news:language>en</news:language></news:publication>"
    "<news:publication_date>2025-03-04T05:06:07+00:00</news:publication_date>"
    "<news:title>Harbour authority opens a new container terminal, story {n} of sitemap {child}</news:title>"
    "</news:news></url>\n"
)
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
)


def child_body(child: int, size: int) -> bytes:
    """A news sitemap of about `size` bytes whose every URL is its own."""
    parts, total, n = [_HEAD], len(_HEAD), 0
    while total < size - 200:
        entry = _ENTRY.format(child=child, n=n)
        parts.append(entry)
        total += len(entry)
        n += 1
    parts.append("</urlset>\n")
    return "".join(parts).encode()


def index_body(base: str, name: str, children: int) -> bytes:
    listed = "".join(f"<sitemap><loc>{base}/{name}/child-{i}.xml</loc></sitemap>\n" for i in range(children))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{listed}</sitemapindex>\n"
    ).encode()


def serve(indexes: dict[str, int], child_bytes: int, ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    """The site, in its own process: /NAME/index.xml lists NAME's children; each child is built when asked for."""
    from tests.http_fixtures import Reply, ScriptedServer, SeenRequest

    xml = {"Content-Type": "application/xml"}
    with ScriptedServer() as server:
        base = server.url("")
        for name, children in indexes.items():
            server.route(f"/{name}/index.xml", Reply(headers=xml, body=index_body(base, name, children)))
            for i in range(children):

                def child(_: SeenRequest, i: int = i, name: str = name) -> Reply:
                    return Reply(headers=xml, body=child_body(i + (10_000 if name == "big" else 0), child_bytes))

                server.route(f"/{name}/child-{i}.xml", child)
        server.route("/robots.txt", Reply(status=404))
        ready.put(base)
        stop.wait()


_DISCOVER = """
import json, resource, sys, tempfile, time
from pathlib import Path
from flows.sources.config import Source
from flows.sources.discover import Discovery, ReadContext, discover_chunks
from flows.sources.fetching.session import FetchSession, run_fetch_settings

url = sys.argv[1]
source = Source(name="big-index", kind="sitemap", url=url, allow_private_networks=True)
with tempfile.TemporaryDirectory() as state:
    started = time.perf_counter()
    with FetchSession(run_fetch_settings(Path(state))) as session:
        context = ReadContext(Discovery(), Path(state), Path(state), session)
        chunks = items = 0
        for chunk in discover_chunks([source], context, 500):
            chunks += 1
            items += len(chunk.items)
            context.discovery.take_log()  # what the chunk loop does as each chunk loads
            del chunk
    wall = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"wall_s": wall, "items": items, "chunks": chunks, "peak": peak,
                  "rejects": len(context.discovery.rejects), "skipped": context.discovery.skipped}))
"""


def discover(url: str) -> dict:
    """Discovery of one index in a fresh process, so each peak is its own."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run(
        [sys.executable, "-c", _DISCOVER, url], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"discovery of {url} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--small", type=int, default=4)
    parser.add_argument("--child-mib", type=float, default=9.0)
    args = parser.parse_args()
    child_bytes = int(args.child_mib * 2**20)
    print(
        f"# sitemap index · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores · "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    ready: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    site = multiprocessing.Process(
        target=serve, args=({"small": args.small, "big": args.children}, child_bytes, ready, stop), daemon=True
    )
    site.start()
    try:
        base = ready.get(timeout=60)
        results = {}
        for name, children in (("small", args.small), ("big", args.children)):
            run = discover(f"{base}/{name}/index.xml")
            results[name] = run
            print(
                f"index of {children:>3} children of {args.child_mib:g} MiB: {run['items']:,} articles found in "
                f"{run['chunks']:,} chunks, {run['wall_s']:.1f} s; peak RSS {run['peak'] / 2**20:.0f} MiB; "
                f"rejects {run['rejects']}",
                flush=True,
            )
    finally:
        stop.set()
        site.join(timeout=10)
    growth = (results["big"]["peak"] - results["small"]["peak"]) / 1e6
    print(f"peak of the {args.children}-child index minus the {args.small}-child one's: {growth:.0f} MB (target < 100)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
