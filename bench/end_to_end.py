"""End-to-end throughput, memory and warehouse scale, against a naive baseline measured in the same run.

Run:
    .venv/bin/python bench/end_to_end.py               # 1k and 10k stories, 1M-story warehouse
    .venv/bin/python bench/end_to_end.py --big         # adds 100k stories (peak RSS at scale)
    .venv/bin/python bench/end_to_end.py --sizes 1000 --baseline-size 1000 --no-million   # quick look

What is measured (every figure from this one run, on this machine):

1. `dateline run` as a user runs it (a child process that serves its own Prefect API on a thread, whose
   memory counts in the tree's; `--shared-api` runs every size against one API started here) over the
   synthetic site (`demo.site`, in its own process so it does not share our GIL) at each
   size: stories/s = stories in fact_story / wall seconds of the command, the flow's own elapsed
   time, and memory sampled every 0.25 s over the whole process tree (bench/memory.py): the main
   process's peak RSS, the workers' together, and the tree's RSS and PSS (PSS shares pages fairly);
2. a no-op rerun at the first size (validators answered 304, known articles skipped);
3. the baseline a typical user writes first, on the same site: one Prefect task per story,
   trafilatura for extraction, one INSERT per story into DuckDB; the ratio against (1);
4. a warehouse of 1M stories built with SQL `range()` into the real schema (the project's
   migrations) and its views' summary tables rebuilt, then 10k new stories merged into it through
   `DuckDBWarehouse.load` in chunks of 500 (real batches of the first run's stories, re-keyed; each
   merge refreshes the summaries it touches), and each view of `sql/views/` queried at 1M stories
   (median of 3: `SELECT * FROM view LIMIT 100` and a full count over the view).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHUNK = 500
_SITE = """
import sys, time
from demo.site import serve_demo_site
site = serve_demo_site(int(sys.argv[1]), outlets=int(sys.argv[2]), port=0, seed=7)
open(sys.argv[3], "w").write(site.sources_toml())
print(site.base_url, flush=True)
sys.stdin.read()
"""


# ------------------------------------------------------------------ processes


@contextmanager
def demo_site(stories: int, folder: Path, outlets: int = 3) -> Iterator[Path]:
    """The synthetic site in its own process; yields its sources file."""
    sources = folder / f"sources-{stories}.toml"
    server = subprocess.Popen(
        [sys.executable, "-c", _SITE, str(stories), str(outlets), str(sources)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdout.readline().startswith("http://")
    try:
        yield sources
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)


@contextmanager
def prefect_api() -> Iterator[str]:
    """One Prefect API for every run of the benchmark, so no run pays for starting its own."""
    from flows.cli.prefect_env import quiet_prefect

    quiet_prefect()
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield PREFECT_API_URL.value()


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in bytes (this child alone, via wait4) and output of a child process."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", errors="replace")
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {child.returncode}:\n{text[-3000:]}")
    return wall, usage.ru_maxrss * 1024, text


def count_stories(warehouse: Path, table: str = "fact_story") -> int:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def dateline_run(sources: Path, warehouse: Path, env: dict[str, str]) -> dict:
    """`dateline run` as a child, with the memory of its whole process tree (workers included) sampled."""
    from bench.memory import run_sampled

    command = [
        sys.executable,
        "-m",
        "flows.cli",
        "run",
        "--create",
        "--sources",
        str(sources),
        "--warehouse",
        str(warehouse),
    ]
    wall, rss, output, memory = run_sampled(command, env)
    flow_s = re.search(r"([\d.]+) s in \d+ chunks? · warehouse", output)
    return {
        "wall_s": wall,
        "rss": rss,
        "memory": memory.summary(),
        "flow_s": float(flow_s[1]) if flow_s else None,
        "output": output,
    }


def baseline_run(sources: Path, warehouse: Path, env: dict[str, str]) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--baseline-child", str(sources), str(warehouse)]
    wall, rss, _ = timed(command, env)
    return {"wall_s": wall, "rss": rss}


# ------------------------------------------------------------------ the baseline (runs in a child process)


def naive_baseline(sources_file: str, warehouse: str) -> None:
    """What a user writes first: sitemap URLs, one Prefect task per story, trafilatura, one INSERT each."""
    import tomllib

    import duckdb
    import httpx
    import trafilatura
    from prefect import flow, task

    @task
    def fetch_and_extract(url: str) -> dict | None:
        html = httpx.get(url, timeout=30).text
        extracted = trafilatura.extract(html, url=url, output_format="json", with_metadata=True)
        return json.loads(extracted) if extracted else None

    @flow
    def naive_ingest() -> int:
        config = tomllib.loads(Path(sources_file).read_text())
        urls: list[str] = []
        for source in config["source"]:
            if source["kind"] != "sitemap":
                continue
            for monthly in re.findall(r"<loc>(.*?)</loc>", httpx.get(source["url"]).text):
                urls += re.findall(r"<loc>(.*?)</loc>", httpx.get(monthly).text)
        con = duckdb.connect(warehouse)
        con.execute(
            "CREATE TABLE IF NOT EXISTS story (url VARCHAR PRIMARY KEY, title VARCHAR, author VARCHAR, "
            "published VARCHAR, body VARCHAR)"
        )
        for url in urls:
            record = fetch_and_extract(url)
            if record:
                con.execute(
                    "INSERT OR REPLACE INTO story VALUES (?, ?, ?, ?, ?)",
                    [url, record.get("title"), record.get("author"), record.get("date"), record.get("text")],
                )
        con.close()
        return len(urls)

    naive_ingest()


# ------------------------------------------------------------------ the 1M-story warehouse


def build_million(path: Path, stories: int) -> tuple[float, float]:
    """The real schema (project migrations) filled with `stories` synthetic stories by SQL, then the
    views' summary tables rebuilt from them; seconds for each."""
    from warehouse.duckdb import summaries
    from warehouse.duckdb.store import DuckDBWarehouse

    started = time.perf_counter()
    DuckDBWarehouse(path).migrate()
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.execute(f"SET VARIABLE n = {stories}")
        con.execute(
            """
            INSERT INTO dim_source SELECT i, 'source-' || i, 'sitemap', 'https://s' || i || '.example/', 's' || i
              || '.example' FROM range(30) t(i);
            INSERT INTO dim_date SELECT CAST(strftime(d, '%Y%m%d') AS INTEGER), d, year(d), quarter(d), month(d),
              isoyear(d), weekofyear(d), isodow(d)
              FROM (SELECT (DATE '2024-01-01' + i * INTERVAL 1 DAY)::DATE AS d FROM range(730) t(i));
            INSERT INTO dim_topic SELECT 1000 + i, 'medtop:' || lpad(i::VARCHAR, 8, '0'), 'topic ' || i, 'iptc',
              NULL, 1 FROM range(200) t(i);
            INSERT INTO dim_entity SELECT 100000 + i, 'person:name ' || i, 'Name ' || i,
              ['person', 'organization', 'place'][1 + i % 3], NULL FROM range(50000) t(i);
            INSERT INTO dim_author SELECT 900000 + i, 'Author ' || i FROM range(5000) t(i);
            INSERT INTO fact_story SELECT (hash(i) >> 1)::BIGINT, 'url:https://s' || (i % 30) || '.example/story/' || i,
              i % 30, CAST(strftime(DATE '2024-01-01' + (i % 730) * INTERVAL 1 DAY, '%Y%m%d') AS INTEGER),
              'published', TIMESTAMPTZ '2024-01-01 06:00:00+00' + (i % 730) * INTERVAL 1 DAY + (i % 997) * INTERVAL
              1 MINUTE, NULL, 'instant', NULL, NULL, NULL, now(), 'https://s' || (i % 30) || '.example/story/' || i,
              'Headline number ' || i, ['first point', 'second point'], 'KARACHI', 'news', 'en', NULL,
              'Story ' || i || ' body. ' || repeat('The council met on Monday to discuss the harbour budget. ', 8),
              80, md5(i::VARCHAR), 1, NULL, NULL FROM range(getvariable('n')) t(i);
            INSERT INTO fact_story_version SELECT story_key, 1, content_hash, NULL, NULL, headline, first_seen_at
              FROM fact_story;
            INSERT INTO bridge_story_topic SELECT (hash(i) >> 1)::BIGINT, 1000 + (i * 7 + j * 13) % 200, 0.5, 'keyword'
              FROM range(getvariable('n')) t(i), range(3) u(j);
            INSERT INTO bridge_story_entity SELECT (hash(i) >> 1)::BIGINT, 100000 + (i * 11 + j * 7919) % 50000, 1 + j
              FROM range(getvariable('n')) t(i), range(5) u(j);
            INSERT INTO bridge_story_author SELECT (hash(i) >> 1)::BIGINT, 900000 + i % 5000, 1
              FROM range(getvariable('n')) t(i);
            INSERT INTO fact_quote SELECT (hash(i) >> 1)::BIGINT, 'We will act, said the minister ' || i,
              100000 + i % 50000, NULL FROM range(getvariable('n')) t(i);
            INSERT INTO fact_date_mention SELECT (hash(i) >> 1)::BIGINT, DATE '2024-01-01' + (i % 730)::INTEGER,
              'on Monday' FROM range(getvariable('n')) t(i);
            """
        )
        built = time.perf_counter()
        summaries.rebuild(con)
        con.execute("CHECKPOINT")
    return built - started, time.perf_counter() - built


def rekeyed_batches(source_warehouse: Path, copies: int) -> list:
    """Real star batches read back from a loaded warehouse, re-keyed `copies` times into new stories."""
    import duckdb
    import polars as pl

    from transforms.keys import stable_key
    from transforms.star import StarBatch

    tables = {
        "dim_date": "dim_date",
        "dim_author": "dim_author",
        "dim_topic": "dim_topic",
        "dim_entity": "dim_entity",
        "bridge_story_author": "bridge_story_author",
        "bridge_story_topic": "bridge_story_topic",
        "bridge_story_entity": "bridge_story_entity",
        "fact_quote": "fact_quote",
        "fact_date_mention": "fact_date_mention",
    }
    with duckdb.connect(str(source_warehouse), read_only=True) as con:
        stories = con.execute("SELECT * EXCLUDE (version) FROM fact_story ORDER BY story_key").pl()
        frames = {name: con.execute(f"SELECT * FROM {table}").pl() for name, table in tables.items()}
    batches = []
    for copy in range(copies):
        keys = pl.DataFrame(
            {
                "story_key": stories["story_key"],
                "new_key": [stable_key(f"{s}#{copy}") for s in stories["story_id"]],
            }
        )
        story_copy = (
            stories.join(keys, on="story_key")
            .with_columns(
                story_key=pl.col("new_key"),
                story_id=pl.col("story_id") + f"#{copy}",
                url=pl.col("url") + f"#{copy}",
                duplicate_of=pl.lit(None, pl.Int64()),
            )
            .drop("new_key")
        )
        children = {
            name: frame.join(keys, on="story_key").with_columns(story_key=pl.col("new_key")).drop("new_key")
            for name, frame in frames.items()
            if "story_key" in frame.columns
        }
        for start in range(0, story_copy.height, CHUNK):
            part = story_copy.slice(start, CHUNK)
            part_keys = part.select("story_key")
            batches.append(
                StarBatch(
                    stories=part,
                    **{n: f for n, f in frames.items() if "story_key" not in f.columns},
                    **{n: f.join(part_keys, on="story_key", how="semi") for n, f in children.items()},
                )
            )
    return batches


def merge_into(big: Path, batches: list) -> tuple[float, int]:
    from warehouse.duckdb.store import DuckDBWarehouse
    from warehouse.protocol import LoadBatch

    warehouse = DuckDBWarehouse(big)
    started = time.perf_counter()
    new = 0
    for batch in batches:
        new += warehouse.load(LoadBatch(batch, "bench-merge", datetime.now(UTC))).new
    return time.perf_counter() - started, new


def view_latencies(big: Path) -> dict[str, tuple[float, float]]:
    """Median seconds of `SELECT * FROM v LIMIT 100` and of counting the whole view, per view."""
    import duckdb

    results = {}
    with duckdb.connect(str(big), read_only=True) as con:
        for view in sorted(p.stem for p in (REPO / "sql" / "views").glob("v_*.sql")):
            timings: dict[str, list[float]] = {"head": [], "all": []}
            for _ in range(3):
                for kind, sql in (
                    ("head", f"SELECT * FROM {view} LIMIT 100"),
                    ("all", f"SELECT count(*) FROM (SELECT * FROM {view})"),
                ):
                    started = time.perf_counter()
                    con.execute(sql).fetchall()
                    timings[kind].append(time.perf_counter() - started)
            results[view] = (statistics.median(timings["head"]), statistics.median(timings["all"]))
    return results


# ------------------------------------------------------------------ report


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--big", action="store_true", help="add a 100k-story run")
    parser.add_argument("--baseline-size", type=int, default=1000)
    parser.add_argument("--million", type=int, default=1_000_000)
    parser.add_argument("--no-million", action="store_true")
    parser.add_argument("--shared-api", action="store_true", help="one Prefect API for every run, not one per run")
    parser.add_argument("--baseline-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_child:
        naive_baseline(*args.baseline_child)
        return
    sizes = [*args.sizes, *([100_000] if args.big else [])]
    print(
        f"# end to end · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores · "
        f"{platform.python_version()} · load average {os.getloadavg()[0]:.1f}"
    )
    work = Path(tempfile.mkdtemp(prefix="dateline-e2e-"))
    results: dict[int, dict] = {}
    with prefect_api() if args.shared_api else nullcontext(None) as api_url:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PREFECT_API_URL")}
        env |= {"PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "ERROR"} | ({"PREFECT_API_URL": api_url} if api_url else {})
        for size in sizes:
            with demo_site(size, work) as sources:
                warehouse = work / f"pipeline-{size}" / "w.duckdb"
                run = dateline_run(sources, warehouse, env)
                run["stories"] = count_stories(warehouse)
                results[size] = run
                print(
                    f"pipeline {size:>7} stories: {run['stories']} loaded in {run['wall_s']:.1f} s wall "
                    f"({run['stories'] / run['wall_s']:.0f} stories/s; flow {run['flow_s']} s, "
                    f"{run['stories'] / run['flow_s']:.0f} stories/s), {run['memory']}",
                    flush=True,
                )
                if size == sizes[0]:
                    rerun = dateline_run(sources, warehouse, env)
                    print(f"no-op rerun at {size}: {rerun['wall_s']:.1f} s wall (flow {rerun['flow_s']} s)")
                if size == args.baseline_size:
                    naive_db = work / f"naive-{size}.duckdb"
                    naive = baseline_run(sources, naive_db, env)
                    naive_count = count_stories(naive_db, "story")
                    pipeline_rate = run["stories"] / run["wall_s"]
                    naive_rate = naive_count / naive["wall_s"]
                    print(
                        f"baseline {size:>7} stories: {naive_count} loaded in {naive['wall_s']:.1f} s wall "
                        f"({naive_rate:.1f} stories/s), peak RSS {mib(naive['rss'])}; "
                        f"ratio pipeline/baseline = {pipeline_rate / naive_rate:.1f}x",
                        flush=True,
                    )
    if not args.no_million:
        big = work / "million.duckdb"
        built, summarised = build_million(big, args.million)
        print(
            f"built a {args.million:,}-story warehouse by SQL in {built:.1f} s, its summaries in {summarised:.1f} s "
            f"({big.stat().st_size / 2**30:.2f} GiB)"
        )
        batches = rekeyed_batches(work / f"pipeline-{sizes[0]}" / "w.duckdb", copies=max(1, 10_000 // sizes[0]))
        seconds, new = merge_into(big, batches)
        print(
            f"merged {new} new stories into it in {len(batches)} chunks: "
            f"{seconds:.1f} s ({new / seconds:.0f} stories/s)"
        )
        for view, (head, full) in view_latencies(big).items():
            print(f"view {view:<24} LIMIT 100: {head * 1000:7.1f} ms   whole view: {full * 1000:8.1f} ms")
    print(f"(work folder {work})")


if __name__ == "__main__":
    main()
