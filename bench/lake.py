"""The DuckLake warehouse under load: writers, commit latency, catalog commits, readers, bytes per story,
and the embedded backend as the peer, every figure from this one run.

Run (PostgreSQL 15 on 127.0.0.1:5432, trust auth; each lake gets a catalog database of its own, dropped
at the end):
    .venv/bin/python bench/lake.py                     # 10k stories, 1/2/4 writers
    .venv/bin/python bench/lake.py --stories 2000      # a quick look

Input: the demo site's corpus (`demo.corpus`, 4 outlets; outlet k's stories belong to writer k mod N, so
writers load disjoint sources), turned into `StoryRecord`s as the page parser would give them. The
fetch is left out: it is the demo site's HTTP, not the lake, and it is measured by bench/end_to_end.py.

What is measured:
1. load only, one process, the same prepared batches (normalised once, before the clock starts):
   the embedded DuckDB file vs a lake (catalog in PostgreSQL, Parquet in a local folder); the ratio is
   the lake's time over the embedded one's (target <= 1.5);
2. writers: 1, 2 and 4 processes, each pinned to one core with `taskset` (cores 0..N-1 modulo the
   machine's), each normalising (parse/enrich: the CPU stage, entity rules mode) and loading its share
   into one lake in chunks of the lake's default size (`LAKE_CHUNK_SIZE`, what `dateline run` uses on
   a lake); stories/s = stories in the lake / wall seconds from the start signal to the last writer's
   exit, with no reader beside them (the scaling figure is the writers' alone); commit latency per load
   (median, p95; it includes waiting for the lake's lock); the catalog's commits/s = lake snapshots
   made / wall seconds;
3. a reader while 2 writers commit (a run of its own, after the scaling runs): a separate process with
   the lake attached read-only querying `SELECT count(*), max(version) FROM fact_story` and
   `v_source_daily` in a loop (latency median, max), and a fresh `dateline sql`-style sandboxed query
   (attach + query) every few seconds;
4. bytes per story: the lake's Parquet files plus its catalog database (`pg_database_size`) vs the
   embedded file after a CHECKPOINT.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.pipeline.chunks import LAKE_CHUNK_SIZE

REPO = Path(__file__).resolve().parents[1]

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
OUTLETS = 4
SEEN = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)


# ------------------------------------------------------------------ input


def records(stories: int) -> list:
    """The demo corpus's stories as the page parser would read them."""
    from demo.corpus.story import CorpusConfig, story, story_url
    from transforms.record import StoryRecord

    cfg = CorpusConfig(seed=7, stories=stories, outlets=OUTLETS, base_url="http://demo.example")
    out = []
    for index in range(stories):
        item = story(cfg, index)
        url = story_url(cfg, item)
        out.append(
            StoryRecord(
                input=url,
                url=url,
                title=item.headline,
                summary=list(item.summary),
                authors=list(item.authors),
                published_at=item.published.isoformat() if item.published else None,
                updated_at=item.updated.isoformat() if item.updated else None,
                dateline=item.dateline,
                section=item.section,
                tags=list(item.tags),
                body=item.body,
                image_caption=item.image_caption,
                source=item.outlet.slug,
            )
        )
    return out


def sources_frame(items: list):
    """`dim_source` rows for the outlets, as a run's configured sources give them."""
    from flows.sources.config import Source
    from transforms.etl_rows import sources_frame as frame

    return frame(
        [Source(name, "feed", url=f"http://demo.example/{name}/rss") for name in sorted({r.source for r in items})]
    )


def normalise(items: list, warehouse=None):
    """One chunk through the CPU stage (rules entities), as a run's chunk loop does it."""
    from transforms.enrich import enrich_stories
    from transforms.enrich.rules import RuleMentionDetector
    from transforms.normalise import normalise_chunk
    from warehouse.protocol import LoadBatch

    if warehouse:
        near = partial(warehouse.signatures_near, 19900101, 21001231)
    else:
        import polars as pl

        from transforms.star import SIGNATURE_COLUMNS

        def near(_signatures: pl.DataFrame) -> pl.DataFrame:
            return pl.DataFrame(schema=SIGNATURE_COLUMNS)

    detector = RuleMentionDetector()
    chunk = normalise_chunk(items, SEEN, near, lambda frame: enrich_stories(frame, detector))
    return LoadBatch(chunk.batch, "bench", SEEN, signatures=chunk.signatures)


# ------------------------------------------------------------------ services


def admin(statement: str) -> None:
    import asyncpg

    async def run() -> None:
        con = await asyncpg.connect(database="postgres", **PG)
        try:
            await con.execute(statement)
        finally:
            await con.close()

    asyncio.run(run())


def pg_scalar(database: str, statement: str):
    import asyncpg

    async def run():
        con = await asyncpg.connect(database=database, **PG)
        try:
            return await con.fetchval(statement)
        finally:
            await con.close()

    return asyncio.run(run())


class Lake:
    """A fresh catalog database and data folder; dropped on exit."""

    def __init__(self, folder: Path, name: str) -> None:
        self.db = f"bench_lake_{name}_{uuid.uuid4().hex[:8]}"
        self.location = f"ducklake:postgres:dbname={self.db} host={PG['host']} port={PG['port']} user={PG['user']}"
        self.data = folder / self.db

    def __enter__(self) -> Lake:
        admin(f"CREATE DATABASE {self.db}")
        return self

    def __exit__(self, *exc: object) -> None:
        admin(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")

    def open(self):
        from warehouse.ducklake.store import DuckLakeWarehouse

        return DuckLakeWarehouse(self.location, data_path=str(self.data))

    def parquet_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.data.rglob("*") if p.is_file())

    def catalog_bytes(self) -> int:
        return pg_scalar(self.db, "SELECT pg_database_size(current_database())")

    def snapshots(self) -> int:
        return pg_scalar(self.db, "SELECT count(*) FROM ducklake_snapshot")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ------------------------------------------------------------------ 1. load only: embedded vs lake


def timed_loads(store, batches: list) -> tuple[float, list[float]]:
    latencies = []
    started = time.perf_counter()
    for batch in batches:
        t = time.perf_counter()
        store.load(batch)
        latencies.append(time.perf_counter() - t)
    return time.perf_counter() - started, latencies


def lake_load(items: list, folder: Path, batches: list) -> dict:
    with Lake(folder, "load") as lake:
        store = lake.open()
        store.migrate()
        store.upsert_sources(sources_frame(items))
        empty_catalog = lake.catalog_bytes()
        seconds, latencies = timed_loads(store, batches)
        return {
            "s": seconds,
            "commit_ms": 1000 * statistics.median(latencies),
            "stories": store.query("SELECT count(*) FROM fact_story").rows[0][0],
            "parquet_bytes": lake.parquet_bytes(),
            "catalog_bytes": lake.catalog_bytes() - empty_catalog,
        }


def load_only(items: list, folder: Path, chunk: int, lake_chunk: int) -> dict:
    """The same stories, normalised before the clock starts, loaded into the embedded file in chunks of
    `chunk`, into a lake in the same chunks, and into a lake in chunks of `lake_chunk`."""
    from warehouse.duckdb.store import DuckDBWarehouse

    batches = [normalise(items[i : i + chunk]) for i in range(0, len(items), chunk)]
    big = [normalise(items[i : i + lake_chunk]) for i in range(0, len(items), lake_chunk)]
    path = folder / "embedded.duckdb"
    embedded = DuckDBWarehouse(path)
    embedded.migrate()
    embedded.upsert_sources(sources_frame(items))
    embedded_s, embedded_lat = timed_loads(embedded, batches)
    embedded.checkpoint()
    stories = embedded.query("SELECT count(*) FROM fact_story").rows[0][0]
    same = lake_load(items, folder, batches)
    larger = lake_load(items, folder, big)
    assert same["stories"] == larger["stories"] == stories
    return {
        "stories": stories,
        "embedded_s": embedded_s,
        "embedded_commit_ms": 1000 * statistics.median(embedded_lat),
        "embedded_bytes": path.stat().st_size,
        "same": same,
        "larger": larger,
    }


# ------------------------------------------------------------------ 2./3. writers and a reader

_WRITER = """
import pickle, sys, time
sys.path.insert(0, sys.argv[1])
from bench.lake import normalise
from warehouse.ducklake.store import DuckLakeWarehouse
location, data, share, chunk = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
items = pickle.loads(open(share, "rb").read())
lake = DuckLakeWarehouse(location, data_path=data)
lake.check_writable()
print("ready", flush=True)
sys.stdin.readline()
for start in range(0, len(items), chunk):
    batch = normalise(items[start : start + chunk], lake)
    t = time.perf_counter()
    lake.load(batch)
    print(f"commit {time.perf_counter() - t:.4f}", flush=True)
"""

_READER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from warehouse.ducklake.store import DuckLakeWarehouse
lake = DuckLakeWarehouse(sys.argv[2])
con = lake._connect(read_only=True)
print("ready", flush=True)
last_fresh = 0.0
while True:
    for sql in ("SELECT count(*), max(version) FROM fact_story", "SELECT * FROM v_source_daily LIMIT 100"):
        t = time.perf_counter()
        con.execute(sql).fetchall()
        print(f"read {time.perf_counter() - t:.4f}", flush=True)
    if time.perf_counter() - last_fresh > 3:
        t = time.perf_counter()
        lake.query("SELECT count(*) FROM v_story")
        print(f"fresh {time.perf_counter() - t:.4f}", flush=True)
        last_fresh = time.perf_counter()
    time.sleep(0.1)
"""


def writers(items: list, folder: Path, n: int, chunk: int, with_reader: bool) -> dict:
    cores = os.cpu_count() or 1
    outlets = sorted({r.source for r in items})
    shares = [[r for r in items if outlets.index(r.source) % n == k] for k in range(n)]
    with Lake(folder, f"w{n}r" if with_reader else f"w{n}") as lake:
        setup = lake.open()
        setup.migrate()
        setup.upsert_sources(sources_frame(items))
        before = lake.snapshots()
        procs = []
        for k, share in enumerate(shares):
            path = folder / f"share-{n}-{k}.pickle"
            path.write_bytes(pickle.dumps(share))
            procs.append(
                subprocess.Popen(
                    ["taskset", "-c", str(k % cores), sys.executable, "-c", _WRITER, str(REPO), lake.location,
                     str(lake.data), str(path), str(chunk)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
                )
            )  # fmt: skip
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        reader = None
        if with_reader:
            reader = subprocess.Popen(
                [sys.executable, "-c", _READER, str(REPO), lake.location], stdout=subprocess.PIPE, text=True, cwd=REPO
            )
            assert reader.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        commits = []
        for p in procs:
            out, _ = p.communicate(timeout=7200)
            assert p.returncode == 0, f"writer failed ({p.returncode})"
            commits += [float(line.split()[1]) for line in out.splitlines() if line.startswith("commit ")]
        wall = time.perf_counter() - started
        reads, fresh = [], []
        if reader is not None:
            reader.terminate()
            out, _ = reader.communicate(timeout=60)
            reads = [float(line.split()[1]) for line in out.splitlines() if line.startswith("read ")]
            fresh = [float(line.split()[1]) for line in out.splitlines() if line.startswith("fresh ")]
        stories, rows = setup.query("SELECT count(DISTINCT story_id), count(*) FROM fact_story").rows[0]
        return {
            "writers": n,
            "stories": stories,
            "duplicates": rows - stories,
            "wall_s": wall,
            "stories_per_s": stories / wall,
            "commits": len(commits),
            "commit_ms_median": 1000 * statistics.median(commits),
            "commit_ms_p95": 1000 * percentile(commits, 0.95),
            "catalog_commits_per_s": (lake.snapshots() - before) / wall,
            "reads": len(reads),
            "read_ms_median": 1000 * statistics.median(reads) if reads else None,
            "read_ms_max": 1000 * max(reads) if reads else None,
            "fresh_ms_median": 1000 * statistics.median(fresh) if fresh else None,
            "fresh_ms_max": 1000 * max(fresh) if fresh else None,
        }


def _writers_line(r: dict) -> str:
    return (f"{r['stories']} stories ({r['duplicates']} duplicated) in {r['wall_s']:.1f} s = "
            f"{r['stories_per_s']:.1f} stories/s; {r['commits']} commits, latency median "
            f"{r['commit_ms_median']:.0f} ms p95 {r['commit_ms_p95']:.0f} ms; catalog "
            f"{r['catalog_commits_per_s']:.2f} commits/s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=500, help="stories per load (the pipeline's CHUNK_SIZE)")
    parser.add_argument(
        "--lake-chunk", type=int, default=LAKE_CHUNK_SIZE,
        help="stories per lake load: the second load-only lake run and every writer (a run's default on a lake)",
    )  # fmt: skip
    parser.add_argument("--writers", default="1,2,4")
    parser.add_argument("--skip-load-only", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DATELINE_ENTITIES", "rules")
    print(f"# bench/lake.py  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  cores={os.cpu_count()}  "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)  # fmt: skip
    items = records(args.stories)
    with tempfile.TemporaryDirectory(prefix="bench-lake-") as tmp:
        folder = Path(tmp)
        if not args.skip_load_only:
            r = load_only(items, folder, args.chunk, args.lake_chunk)
            n = r["stories"]
            print(f"load only, {n} stories: embedded {r['embedded_s']:.1f} s in chunks of {args.chunk} "
                  f"(median commit {r['embedded_commit_ms']:.0f} ms)", flush=True)  # fmt: skip
            for label, size in (("same", args.chunk), ("larger", args.lake_chunk)):
                lake = r[label]
                print(f"  lake in chunks of {size}: {lake['s']:.1f} s (median commit {lake['commit_ms']:.0f} ms), "
                      f"lake/embedded {lake['s'] / r['embedded_s']:.2f} (target <= 1.5)", flush=True)  # fmt: skip
            lake = r["same"]
            total = lake["parquet_bytes"] + lake["catalog_bytes"]
            print(f"bytes per story: embedded file {r['embedded_bytes'] / n:.0f}; lake "
                  f"{total / n:.0f} = Parquet {lake['parquet_bytes'] / n:.0f} "
                  f"+ catalog growth {lake['catalog_bytes'] / n:.0f} (chunks of {args.chunk})", flush=True)  # fmt: skip
        results = {}
        for n in (int(x) for x in args.writers.split(",") if x):
            results[n] = writers(items, folder, n, args.lake_chunk, with_reader=False)
            print(f"{n} writer(s): {_writers_line(results[n])}", flush=True)
        if 2 in results:
            r = writers(items, folder, 2, args.lake_chunk, with_reader=True)
            print(f"2 writers and a reader: {_writers_line(r)}; reader: {r['reads']} queries median "
                  f"{r['read_ms_median']:.0f} ms max {r['read_ms_max']:.0f} ms, fresh sandboxed query "
                  f"median {r['fresh_ms_median']:.0f} ms max {r['fresh_ms_max']:.0f} ms (target < 1000 ms)",
                  flush=True)  # fmt: skip
        if 1 in results and 2 in results:
            print(f"scaling 2 writers / 1 writer: {results[2]['stories_per_s'] / results[1]['stories_per_s']:.2f} "
                  f"(target >= 1.7)", flush=True)  # fmt: skip
        if 1 in results and 4 in results:
            print(f"scaling 4 writers / 1 writer: {results[4]['stories_per_s'] / results[1]['stories_per_s']:.2f} "
                  f"(2 cores)", flush=True)  # fmt: skip
    print(f"# load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
