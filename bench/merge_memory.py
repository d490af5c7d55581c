"""Peak memory and time of a run's DuckDB work on a large warehouse: its merges and its wire-copy lookups,
as a run does them (`RUN_THREADS` DuckDB threads, the lookup under `LOOKUP_MEMORY_LIMIT`) against DuckDB's
defaults (a thread per core, no limit), measured in the same run.

Run:
    .venv/bin/python bench/merge_memory.py --stories 100000                  # makes its own 1,000-story run first
    .venv/bin/python bench/merge_memory.py --stories 100000 --from W.duckdb  # real batches from a loaded warehouse

The warehouse is `bench/end_to_end.py`'s synthetic one (the real schema filled by SQL, summaries
rebuilt) plus a MinHash signature per story; the batches are real stories of a loaded warehouse,
re-keyed, merged in chunks of 500 as a run merges them. Each variant runs in a fresh process on its own
copy of the warehouse, sampling its RSS every few milliseconds: `peak` is the highest RSS during a merge
(or lookup) above the RSS just before it, the figure that adds to the process tree's peak during a run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import warehouse.duckdb.store as store  # noqa: E402
from bench.end_to_end import build_million, dateline_run, demo_site, rekeyed_batches  # noqa: E402

# label: (RUN_THREADS, LOOKUP_MEMORY_LIMIT)
VARIANTS = {"as a run": (store.RUN_THREADS, store.LOOKUP_MEMORY_LIMIT), "defaults": (None, None)}


class PeakRss:
    """The process's RSS sampled on a thread; `window()` starts a new measurement and returns the last one."""

    def __init__(self) -> None:
        self.peak = self.start = self._rss()
        threading.Thread(target=self._sample, daemon=True).start()

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self._rss())
            time.sleep(0.003)

    def window(self) -> int:
        grew = self.peak - self.start
        self.peak = self.start = self._rss()
        return grew


def add_signatures(path: Path) -> None:
    """One MinHash-shaped signature per story (the lookup reads 117 values a story, whatever it finds)."""
    import duckdb

    from transforms.enrich.duplicates import LSH_BANDS, LSH_ROWS

    with duckdb.connect(str(path)) as con:
        con.execute(
            "INSERT INTO etl_story_signature SELECT story_key, source_key, "
            f"list_transform(range({LSH_BANDS * LSH_ROWS}), j -> hash(story_key, j)) FROM fact_story"
        )
        con.execute("CHECKPOINT")


def child(warehouse: Path, source: Path, variant: str) -> None:
    """Merge the re-keyed batches into `warehouse`, each followed by a wire-copy lookup; prints JSON."""
    import polars as pl

    from warehouse.protocol import LoadBatch

    store.RUN_THREADS, store.LOOKUP_MEMORY_LIMIT = VARIANTS[variant]
    batches = rekeyed_batches(source, copies=1)
    target = store.DuckDBWarehouse(warehouse)
    with store.duckdb.connect(str(warehouse), read_only=True) as con:
        probes = con.execute("SELECT signature FROM etl_story_signature USING SAMPLE 500 ROWS").pl()
    rss = PeakRss()
    merges, lookups = [], []
    for batch in batches:
        rss.window()
        started = time.perf_counter()
        target.load(LoadBatch(batch, "bench-merge", datetime.now(UTC)))
        merges.append((time.perf_counter() - started, rss.window()))
        started = time.perf_counter()
        target.signatures_near(20240101, 20241231, probes.select(pl.col("signature").cast(pl.List(pl.UInt64))))
        lookups.append((time.perf_counter() - started, rss.window()))
    print(json.dumps({"merges": merges, "lookups": lookups}))


def summary(label: str, rows: list[list[float]]) -> str:
    seconds = sorted(s for s, _ in rows)
    peaks = sorted(p for _, p in rows)
    return (
        f"{label} median {seconds[len(seconds) // 2]:.2f} s, peak +{peaks[len(peaks) // 2] / 2**20:.0f} MiB "
        f"(max +{peaks[-1] / 2**20:.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--from", dest="source", type=Path, help="a loaded warehouse to take real batches from")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.child[2])
        return
    work = Path(tempfile.mkdtemp(prefix="dateline-merge-"))
    source = args.source
    if source is None:
        with demo_site(1000, work) as sources:
            source = work / "run" / "w.duckdb"
            dateline_run(sources, source, {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"})
    base = work / "base.duckdb"
    built, summarised = build_million(base, args.stories)
    add_signatures(base)
    print(
        f"# merge memory · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores · load average "
        f"{os.getloadavg()[0]:.1f} · {args.stories:,}-story warehouse built in {built + summarised:.0f} s"
    )
    for label in VARIANTS:
        copy = work / "copy.duckdb"
        shutil.copy(base, copy)
        command = [sys.executable, __file__, "--child", str(copy), str(source), label]
        result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        print(f"{label:>10}: {summary('merge', result['merges'])}; {summary('lookup', result['lookups'])}")
        copy.unlink()
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
