"""Memory of a `dateline run` process tree, sampled while it runs: the main process and its workers.

Run:
    .venv/bin/python bench/memory.py --stories 12000            # RSS per chunk, peaks per process
    .venv/bin/python bench/memory.py --stories 12000 --every 4  # print every 4th chunk only
    .venv/bin/python bench/memory.py --attach PID               # watch a running `dateline run` to its end
    .venv/bin/python bench/memory.py --shared-api               # against one API started here, not the run's own

`os.wait4` gives the child's own peak RSS only; the forkserver's enrichment workers are its
grandchildren and hold the gazetteers, so the machine's figure is the sum over the tree. This
samples every process of the tree from /proc (Linux) a few times a second and reports, per
chunk (from the flow's `chunk N` log line), the main process's RSS and anonymous memory and
the workers' total; at the end the peak of each, and the peak of the simultaneous sum both as
RSS (which counts pages the forkserver shares with its workers once per process) and as PSS
(shared pages split between their users: what the tree really costs the machine).

`run_sampled` is the reusable part (bench/end_to_end.py can call it in place of its `timed`).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

_CHUNK_LINE = re.compile(r"chunk (\d+): (\d+) stories")


def _children(pid: int) -> list[int]:
    """Direct children of `pid` (every thread's list: a child belongs to the thread that forked it)."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(p) for p in handle.read().split())
    except OSError:  # the process ended between two reads
        pass
    return found


def _tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    pids, index = [pid], 0
    while index < len(pids):
        pids.extend(_children(pids[index]))
        index += 1
    return pids


def _rollup(pid: int) -> dict[str, int]:
    """`Rss`, `Pss` and `Anonymous` of a process in bytes (empty once it has ended)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return {}
    values = {}
    for line in lines[1:]:
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss", "Anonymous"):
            values[name] = int(rest.split()[0]) * 1024
    return values


@dataclass(slots=True)
class Sample:
    main_rss: int
    main_anon: int
    workers_rss: int
    tree_rss: int
    tree_pss: int
    main_pss: int = 0
    workers_pss: int = 0


@dataclass(slots=True)
class TreeMemory:
    """Peaks over a run; `chunks` holds the sample taken as each chunk was logged."""

    main_rss: int = 0
    workers_rss: int = 0
    tree_rss: int = 0
    tree_pss: int = 0
    main_pss: int = 0
    workers_pss: int = 0
    chunks: list[tuple[int, int, Sample]] = field(default_factory=list)
    last: Sample | None = None
    at_tree_peak: Sample | None = None  # the sample in which the tree's PSS peaked: who held what then

    def record(self, root: int) -> None:
        main = _rollup(root)
        if not main:
            return
        workers = [w for w in map(_rollup, _tree(root)[1:]) if w]
        sample = Sample(
            main_rss=main["Rss"],
            main_anon=main["Anonymous"],
            workers_rss=sum(w["Rss"] for w in workers),
            tree_rss=main["Rss"] + sum(w["Rss"] for w in workers),
            tree_pss=main["Pss"] + sum(w["Pss"] for w in workers),
            main_pss=main["Pss"],
            workers_pss=sum(w["Pss"] for w in workers),
        )
        if sample.tree_pss > self.tree_pss:
            self.at_tree_peak = sample
        for name in ("main_rss", "workers_rss", "tree_rss", "tree_pss", "main_pss", "workers_pss"):
            setattr(self, name, max(getattr(self, name), getattr(sample, name)))
        self.last = sample

    def summary(self) -> str:
        return (
            f"peak RSS main {mib(self.main_rss)}, workers {mib(self.workers_rss)} (all together), "
            f"tree {mib(self.tree_rss)} RSS / {mib(self.tree_pss)} PSS "
            f"(peak PSS main {mib(self.main_pss)} with its Prefect API, workers {mib(self.workers_pss)})"
            + (
                f"; at the tree's peak: main {mib(peak.main_pss)}, workers {mib(peak.workers_pss)} PSS"
                if (peak := self.at_tree_peak)
                else ""
            )
        )


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def run_sampled(
    command: list[str],
    env: dict[str, str],
    interval: float = 0.25,
    on_chunk: Callable[[int, int, Sample], None] | None = None,
) -> tuple[float, int, str, TreeMemory]:
    """Wall seconds, the child's own peak RSS (wait4), its output and the tree's sampled memory."""
    memory = TreeMemory()
    output: list[str] = []
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(interval):
            memory.record(child.pid)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert child.stdout is not None
    for line in child.stdout:
        output.append(line)
        match = _CHUNK_LINE.search(line)
        if match:
            memory.record(child.pid)
            if memory.last is not None:
                memory.chunks.append((int(match[1]), int(match[2]), memory.last))
                if on_chunk:
                    on_chunk(int(match[1]), int(match[2]), memory.last)
    _, status, usage = os.wait4(child.pid, 0)
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    text = "".join(output)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{text[-3000:]}")
    return wall, usage.ru_maxrss * 1024, text, memory


def watch(pid: int, interval: float) -> TreeMemory:
    """Sample the tree of a process started elsewhere (bench/end_to_end.py's `dateline run`) until it ends."""
    memory = TreeMemory()
    while os.path.exists(f"/proc/{pid}"):
        memory.record(pid)
        time.sleep(interval)
    return memory


def main() -> None:
    from bench.end_to_end import count_stories, demo_site, prefect_api

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=12_000)
    parser.add_argument("--every", type=int, default=1, help="print every Nth chunk")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between samples")
    parser.add_argument("--attach", type=int, help="watch this running process instead of starting a run")
    parser.add_argument(
        "--shared-api", action="store_true", help="run against one Prefect API started here, not the run's own"
    )
    args = parser.parse_args()
    if args.attach:
        print(watch(args.attach, args.interval).summary())
        return

    def show(index: int, stories: int, sample: Sample) -> None:
        if index % args.every == 0:
            print(
                f"chunk {index:>4} ({stories:>3} stories): main {mib(sample.main_rss):>9} "
                f"(anon {mib(sample.main_anon):>9}), workers {mib(sample.workers_rss):>9}, "
                f"tree PSS {mib(sample.tree_pss):>9} (main {mib(sample.main_pss)}, "
                f"workers {mib(sample.workers_pss)})",
                flush=True,
            )

    work = Path(tempfile.mkdtemp(prefix="dateline-memory-"))
    with prefect_api() if args.shared_api else nullcontext(None) as api_url:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PREFECT_API_URL")}
        env |= {"PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "INFO"} | ({"PREFECT_API_URL": api_url} if api_url else {})
        with demo_site(args.stories, work) as sources:
            warehouse = work / "w.duckdb"
            command = [sys.executable, "-m", "flows.cli", "run", "--sources", str(sources), "--warehouse"]
            wall, own_peak, _, memory = run_sampled([*command, str(warehouse)], env, args.interval, show)
            stories = count_stories(warehouse)
    print(
        f"{stories} stories in {wall:.1f} s ({stories / wall:.0f} stories/s); wait4 peak {mib(own_peak)}; "
        f"{memory.summary()}"
    )
    print(f"(work folder {work})")


if __name__ == "__main__":
    main()
