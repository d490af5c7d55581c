"""The raw archive's cost per fetched body: the first layout (one file per body) against the SQLite store.

Run: `.venv/bin/python bench/archive.py [--bodies 10000] [--dir DIR]`

Both archive the same distinct HTML bodies of ~20 KB (paragraphs drawn from a fixed pool, so they
compress like prose: about 2.5x), one after another on this thread, into fresh folders under `--dir`
(default: a temporary folder on the same disk as `/tmp`; point it at the warehouse's disk to measure
that one). Figures: wall time, and CPU split into user and kernel time from `resource.getrusage`,
which is where the first layout's cost lives (inode creation, renames, two fsyncs per body).

1. first layout: `bench.file_per_body_archive.LegacyArchiveWriter.put` per body, as the code that shipped;
2. SQLite store: `RawArchive.prepare` per body and `RawArchive.store` per batch, for batches of 500
   (an ingest chunk), 50 and 1 (what committing per page would cost);
then the inodes each leaves and the space they take.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.file_per_body_archive import LegacyArchiveWriter
from flows.sources.fetching import RawArchive

FETCHED_AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HEADERS = {"content-type": "text/html; charset=utf-8", "etag": '"abc123"', "server": "bench"}


def bodies(count: int, seed: int = 7) -> list[bytes]:
    """`count` distinct ~20 KB pages of 40 paragraphs drawn without repeats from a pool of 400, whose words
    follow Zipf's law over a 3,000-word vocabulary, as prose does."""
    rng = random.Random(seed)
    words = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 10))) for _ in range(3000)]
    zipf = [1 / rank for rank in range(1, len(words) + 1)]
    pool = [("<p>" + " ".join(rng.choices(words, zipf, k=75)) + "</p>\n").encode() for _ in range(400)]
    head = b"<html><head><title>Story %d</title></head><body>\n"
    return [head % n + b"".join(rng.sample(pool, 40)) + b"</body></html>" for n in range(count)]


def measured(work: Callable[[], None]) -> tuple[float, float, float]:
    """Wall, user CPU and kernel CPU seconds of `work` in this process."""
    before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    work()
    after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - started
    return wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def first_layout(root: Path, pages: list[bytes]) -> None:
    writer = LegacyArchiveWriter(root)
    for n, body in enumerate(pages):
        url = f"https://news.example/story/{n}"
        writer.put(url=url, final_url=url, status_code=200, headers=HEADERS, body=body, fetched_at=FETCHED_AT)


def sqlite_store(root: Path, pages: list[bytes], batch: int) -> None:
    with RawArchive(root) as archive:
        for start in range(0, len(pages), batch):
            prepared = [
                archive.prepare(
                    url=f"https://news.example/story/{n}",
                    final_url=f"https://news.example/story/{n}",
                    status_code=200,
                    headers=HEADERS,
                    body=pages[n],
                    fetched_at=FETCHED_AT,
                )
                for n in range(start, min(start + batch, len(pages)))
            ]
            archive.store(prepared)


def footprint(root: Path) -> tuple[int, int]:
    """Inodes under `root` (files and folders) and the bytes they occupy on disk (allocated blocks)."""
    paths = list(root.rglob("*"))
    return len(paths), sum(path.stat().st_blocks * 512 for path in paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: a temporary folder)")
    args = parser.parse_args()

    pages = bodies(args.bodies)
    scratch = Path(tempfile.mkdtemp(prefix="dateline-archive-bench-", dir=args.dir))
    try:
        size_kib = sum(map(len, pages)) / len(pages) / 1024
        print(f"# Archiving {len(pages)} distinct bodies of {size_kib:.1f} KiB, one thread, under {scratch}")
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
        print("| archive | wall s | user CPU s | kernel CPU s | CPU ms/body | inodes | MiB on disk |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        runs: list[tuple[str, Path, Callable[[], None]]] = [
            ("first layout, file per body", scratch / "files", lambda: first_layout(scratch / "files", pages))
        ]
        for batch in (500, 50, 1):
            root = scratch / f"sqlite-{batch}"
            runs.append((f"SQLite, batches of {batch}", root, lambda r=root, b=batch: sqlite_store(r, pages, b)))
        for name, root, work in runs:
            wall, user, kernel = measured(work)
            inodes, used = footprint(root)
            per_body = (user + kernel) * 1000 / len(pages)
            print(
                f"| {name} | {wall:.2f} | {user:.2f} | {kernel:.2f} | {per_body:.3f} | {inodes} | {used / 2**20:.1f} |"
            )
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
