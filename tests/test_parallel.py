"""The run's worker pool: order kept, small inputs in-process, a dead worker costs a retry, not the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import pytest

from flows.runtime import workers as parallel
from flows.runtime.memory import private_bytes


def _pids(items: Sequence[int]) -> list[int]:
    return [os.getpid() for _ in items]


def _slow_pids(items: Sequence[int]) -> list[int]:
    """Holds its worker long enough that the pool's other worker takes the next slice: the pool hands a slice to
    whichever worker is free, so a fast slice lets one worker take them all."""
    time.sleep(1.0)
    return _pids(items)


def _with_pids(items: Sequence[int]) -> list[tuple[int, int]]:
    return [(item, os.getpid()) for item in items]


def _niceness(items: Sequence[int]) -> list[int]:
    return [os.nice(0) for _ in items]


def _die_once(marker: str, items: Sequence[int]) -> list[int]:
    """Kills its worker the first time it sees the marker file, as an out-of-memory kill would."""
    if os.path.exists(marker):
        os.unlink(marker)
        os.kill(os.getpid(), signal.SIGKILL)
    return [i * 2 for i in items]


def test_split_keeps_order_and_covers_everything() -> None:
    slices = parallel.split(list(range(10)), 3)
    assert [list(s) for s in slices] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert parallel.split([1], 4) == [[1]]


def test_small_inputs_stay_in_process() -> None:
    parallel.shutdown_workers()
    assert parallel.map_slices(_pids, [1, 2, 3]) == [[os.getpid()] * 3]


def test_small_inputs_go_to_a_pool_already_running(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run's short last chunk is parsed by the workers that hold the models, not by the flow's process, which
    would load a copy of its own at the end of the run."""
    monkeypatch.setenv("DATELINE_WORKERS", "2")
    parallel.shutdown_workers()
    parallel.map_slices(_pids, list(range(parallel.MIN_PARALLEL_ITEMS * 2)))
    small = [pid for part in parallel.map_slices(_pids, [1, 2, 3]) for pid in part]
    assert len(small) == 3 and os.getpid() not in small
    parallel.shutdown_workers()


def test_workers_yield_the_cpu_to_the_runs_own_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers run at a lower priority than the process that started them, so the run's fetching and merging
    are not held back while the workers keep every core busy."""
    monkeypatch.setenv("DATELINE_WORKERS", "2")
    parallel.shutdown_workers()
    parts = parallel.map_slices(_niceness, list(range(parallel.MIN_PARALLEL_ITEMS * 2)))
    assert {n for part in parts for n in part} == {min(os.nice(0) + parallel.WORKER_NICENESS, 19)}


def test_a_killed_worker_is_replaced_and_the_slice_redone(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATELINE_WORKERS", "2")
    marker = tmp_path / "kill-me"
    marker.touch()
    parallel.shutdown_workers()  # a pool of this test's size
    items = list(range(parallel.MIN_PARALLEL_ITEMS * 2))
    results = parallel.map_slices(partial(_die_once, str(marker)), items)
    assert [x for part in results for x in part] == [i * 2 for i in items]
    assert not marker.exists()
    parallel.shutdown_workers()


def _forkservers() -> set[int]:
    """This process's children that are multiprocessing forkservers."""
    with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as handle:
        children = [int(pid) for pid in handle.read().split()]
    found = set()
    for pid in children:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"multiprocessing.forkserver" in cmdline.read():
                    found.add(pid)
        except FileNotFoundError:  # ended meanwhile
            continue
    return found


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads children from /proc (Linux)")
def test_shutting_the_workers_down_stops_the_forkserver_and_a_new_pool_starts(monkeypatch) -> None:
    monkeypatch.setenv("DATELINE_WORKERS", "2")
    parallel.shutdown_workers()
    assert _forkservers() == set()
    items = list(range(parallel.MIN_PARALLEL_ITEMS * 2))
    workers = {pid for part in parallel.map_slices(_slow_pids, items) for pid in part}
    assert len(workers) == 2 and os.getpid() not in workers
    assert len(_forkservers()) == 1
    parallel.shutdown_workers()
    assert _forkservers() == set()
    again = {pid for part in parallel.map_slices(_slow_pids, items) for pid in part}
    assert len(again) == 2 and not again & workers
    parallel.shutdown_workers()


def test_explicit_processes_and_slice_size_keep_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """`dateline extract --workers N`: a pool of N, small slices spread over it, results in input order."""
    monkeypatch.setenv("DATELINE_WORKERS", "1")  # the explicit count wins over the setting
    items = list(range(40))
    parts = parallel.map_slices(_with_pids, items, processes=2, min_items=10, slice_size=3)
    assert [len(p) for p in parts] == [3] * 13 + [1]
    assert [item for part in parts for item, _ in part] == items
    pids = {pid for part in parts for _, pid in part}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert parallel.map_slices(_pids, items, processes=1) == [[os.getpid()] * 40]
    parallel.shutdown_workers()


def _topic_rows(items: Sequence[int]) -> list[int]:
    """A worker's first Polars work: the word-vector topic scores of a few stories."""
    import polars as pl

    from transforms.enrich.topics import topic_descriptions
    from transforms.enrich.vectors import topic_similarity

    texts = pl.DataFrame({"story_id": [str(i) for i in items], "text": ["the election ballot count"] * len(items)})
    return [topic_similarity(texts, topic_descriptions()).height]


def test_workers_forked_from_the_preloaded_forkserver_can_use_polars() -> None:
    """Polars work in the forkserver would start Polars' thread pool there, and every worker forked from it would
    wait forever on its first Polars call. Run in a child process with a deadline, so that a hang fails the test
    instead of stopping the suite."""
    script = (
        "from flows.runtime import workers as parallel\n"
        "from tests.test_parallel import _topic_rows\n"
        "parts = parallel.map_slices(_topic_rows, list(range(parallel.MIN_PARALLEL_ITEMS * 2)))\n"
        "parallel.shutdown_workers()\n"
        "print(len(parts), min(rows for part in parts for rows in part))\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env={**os.environ, "DATELINE_WORKERS": "2", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    slices, fewest_rows = map(int, done.stdout.split())
    assert slices == 2 and fewest_rows > 0


def _decay(conf: str) -> str:
    """jemalloc's effective dirty-page decay in a `_RJEM_MALLOC_CONF` (Polars prepends its own defaults; later
    options win)."""
    options = dict(option.split(":") for option in conf.split(","))
    return options["dirty_decay_ms"]


def _allocator_setting(items: Sequence[int]) -> list[str]:
    return [_decay(os.environ["_RJEM_MALLOC_CONF"])]


@pytest.mark.parametrize("operator_setting", [None, "dirty_decay_ms:5000"])
def test_polars_allocator_returns_freed_pages_in_the_run_and_its_workers(operator_setting: str | None) -> None:
    """Importing `flows` (every entry point does, before Polars) tells Polars' jemalloc to give freed pages back
    at once, in the run's process and in the workers its forkserver starts; an operator's own setting wins."""
    script = (
        "import os\n"
        "from flows.runtime import workers as parallel\n"
        "from tests.test_parallel import _allocator_setting, _decay\n"
        "parts = parallel.map_slices(_allocator_setting, list(range(parallel.MIN_PARALLEL_ITEMS * 2)))\n"
        "parallel.shutdown_workers()\n"
        "print(_decay(os.environ['_RJEM_MALLOC_CONF']), *{value for part in parts for value in part})\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if operator_setting:
        env["_RJEM_MALLOC_CONF"] = operator_setting
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env={**env, "DATELINE_WORKERS": "2", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    expected = "5000" if operator_setting else "0"
    assert done.stdout.split() == [expected, expected]


def _exited(pid: int) -> bool:
    """Whether `pid` has ended (gone, or a zombie its parent has not reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps_rollup"), reason="reads memory from /proc (Linux)")
def test_a_worker_grown_past_its_budget_is_replaced_by_a_fresh_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers within `WORKER_OWN_MEMORY` are kept from slice to slice; past it the pool is replaced, and the old
    workers have exited before the call returns, so the tree never holds old and new workers together."""
    monkeypatch.setenv("DATELINE_WORKERS", "2")
    parallel.shutdown_workers()
    items = list(range(parallel.MIN_PARALLEL_ITEMS * 2))

    def pids() -> set[int]:
        return {pid for part in parallel.map_slices(_slow_pids, items) for pid in part}

    monkeypatch.setenv("DATELINE_WORKER_MEMORY_MB", "0")  # never replaced
    monkeypatch.setattr(parallel, "WORKER_OWN_MEMORY", 0)
    first = pids()
    assert len(first) == 2 and pids() == first
    monkeypatch.delenv("DATELINE_WORKER_MEMORY_MB")  # the default budget, 0 bytes here: every worker is past it
    assert pids() == first
    assert all(_exited(pid) for pid in first)
    fresh = pids()
    assert len(fresh) == 2 and not fresh & first
    parallel.shutdown_workers()


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps_rollup"), reason="reads memory from /proc (Linux)")
def test_private_bytes_counts_memory_this_process_wrote() -> None:
    before = private_bytes()
    block = bytearray(64 * 2**20)
    block[::4096] = b"x" * len(block[::4096])  # touch every page
    after = private_bytes()
    assert before is not None and after is not None and after - before >= 60 * 2**20


def test_work_handed_to_a_pool_the_other_thread_just_retired_goes_to_its_replacement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The run's two threads share the pool: one may retire it between the other's taking it and handing it a
    chunk. That chunk goes to the new pool, not to the run's own process (which would load the models itself)."""
    monkeypatch.setenv("DATELINE_WORKERS", "2")
    parallel.shutdown_workers()
    items = list(range(parallel.MIN_PARALLEL_ITEMS * 2))
    parallel.map_slices(_pids, items)
    retired = parallel._pool
    assert retired is not None
    parallel._retire(retired)  # what the other thread does, after this one has taken the pool
    handed = iter([retired])
    take_pool = parallel._get_pool
    monkeypatch.setattr(parallel, "_get_pool", lambda size: next(handed, None) or take_pool(size))
    pids = {pid for part in parallel.map_slices(_pids, items) for pid in part}
    assert pids and os.getpid() not in pids and parallel._pool is not retired
    parallel.shutdown_workers()
