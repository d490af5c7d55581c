"""Use every core for the CPU-bound stages (parsing, enrichment) without one Prefect task per story.

A chunk's documents are split into a few slices and handed to a process pool that lives for the
whole run. Workers come from a `forkserver` that has already imported the parsers and the
enrichment lexicons, so they start in milliseconds and never inherit the flow's threads (the
fetcher's event loop, Prefect's API client), which `fork` would copy in an unknown state.
Small inputs stay in-process: below a few dozen items, pickling costs more than it saves.
A worker that has grown memory of its own past a budget is replaced by a fresh fork (`WORKER_OWN_MEMORY`).
This is the project's one process pool: the run's stages and `dateline extract` both use it.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from multiprocessing import forkserver
from typing import TypeVar

from flows.runtime.lifeline import die_with_parent
from flows.runtime.memory import private_bytes
from flows.runtime.settings import configured_worker_memory, configured_workers, entity_mode

T = TypeVar("T")
R = TypeVar("R")

MIN_PARALLEL_ITEMS = 48
# How much lower the workers' CPU priority is than the run's own process. The workers are CPU-bound for seconds
# at a time, while the run's process does short bursts between waits: the fetcher's event loop answering each
# response (a few requests in flight per host, so each wait holds the next request back), normalising and the
# merge. At equal priority every burst queues behind a worker's time slice and the fetch of the next chunk
# crawls while a chunk is enriched; lower, the workers still take every cycle the run's process leaves idle.
WORKER_NICENESS = 10
# A worker whose own memory (pages it no longer shares with the forkserver) passes this after a slice is replaced
# by a fresh fork. It grows slice after slice and does not come back: every gazetteer entry, vocabulary word and
# model row the stories touch has its page copied (a reference count is a write), and the heap keeps the size its
# largest pages needed, so on heavy archived pages the workers were most of the tree. A fresh fork costs
# milliseconds and starts again from the shared pages; the budget is about what one slice of ordinary news
# leaves, so a worker that has read a chunk is usually replaced, one that has read a few small slices is not.
# `DATELINE_WORKER_MEMORY_MB` sets another (0: never replace).
WORKER_OWN_MEMORY = 64 * 2**20
_PRELOAD = [
    # first: the forkserver ends when the run does, even a killed one, and ignores a terminal's Ctrl-C meanwhile
    "flows.runtime.forkserver_lifeline",
    "transforms.parsers.document",
    "transforms.parsers.preload",
    "transforms.enrich.preload",
    "transforms.enrich.preload_model",  # dropped when entities come from the rules alone
    "polars",
    "flows.runtime.worker_freeze",  # last: freezes what the others built
]
_pool: ProcessPoolExecutor | None = None


def _preloads() -> list[str]:
    if entity_mode() == "rules":
        return [name for name in _PRELOAD if name != "transforms.enrich.preload_model"]
    return _PRELOAD


_pool_size = 0
_pool_lock = threading.Lock()  # the flow parses the next chunk on one thread while it enriches on another


def workers() -> int:
    """Processes to use: `DATELINE_WORKERS`, else the cores this process may run on."""
    configured = configured_workers()
    if configured:
        return configured
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def shutdown_workers() -> None:
    """Stop the pool and its forkserver (the next parallel call starts both again). A run calls it once its
    chunks are done: together they hold the gazetteers and models (about 400 MB), which the run's last step,
    the search-index build, and an idle `dateline serve` between runs have no use for."""
    with _pool_lock:
        _shutdown_locked()


def _shutdown_locked() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(cancel_futures=True)
        _pool = None
    _stop_forkserver()  # also one started early (`start_forkserver`) for a pool the run never needed


def _stop_forkserver() -> None:
    """multiprocessing keeps its forkserver until the process exits and has no public call to stop it; once its
    workers are gone it alone holds the preloaded pages (300 MB). `ForkServer._stop` is the call CPython's own
    tests use; where a Python lacks it the forkserver simply stays."""
    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
        stop()


atexit.register(shutdown_workers)


def _start_worker() -> None:
    """Each worker dies with the forkserver, and leaves Ctrl-C to the run: a terminal's Ctrl-C reaches the
    whole foreground process group, and a worker interrupted mid-slice would print a traceback and break
    the pool while the run is stopping. The run stops its workers itself (`shutdown_workers`). Each also
    yields the CPU to the run's own process (`WORKER_NICENESS`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(WORKER_NICENESS)
    die_with_parent()


def start_forkserver() -> None:
    """Start the workers' forkserver now, when this process will use workers: its preloads (the parsers,
    gazetteers and entity model, a few seconds of CPU) then run on another core while the run starts its
    Prefect API and fetches its first chunk, instead of holding up that chunk's parse. The pool itself still
    starts on first use; a run with too little work for a pool stops the forkserver at its end with the rest."""
    if workers() == 1:
        return
    with _pool_lock:
        multiprocessing.get_context("forkserver").set_forkserver_preload(_preloads())
        forkserver.ensure_running()


def _get_pool(size: int) -> ProcessPoolExecutor:
    """The pool, with `size` processes (a pool of another size is stopped first)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is not None and _pool_size != size:
            _shutdown_locked()
        if _pool is None:
            _pool, _pool_size = _new_pool(size), size
        return _pool


def _new_pool(size: int) -> ProcessPoolExecutor:
    """A pool of `size` workers forked from the forkserver (started on first use, not here)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_preloads())
    # a worker dies with the forkserver, which dies with the run (flows/runtime/lifeline.py)
    return ProcessPoolExecutor(max_workers=size, mp_context=context, initializer=_start_worker)


def _retire(pool: ProcessPoolExecutor) -> None:
    """Replace `pool` with a fresh one of the same size. Its workers first finish the slices they were given
    (another thread's too) and exit, with the lock held, so that no new worker starts beside them: the tree
    never holds both. The forkserver stays, so the new workers start in milliseconds."""
    global _pool
    with _pool_lock:
        if _pool is not pool:
            return  # already replaced, by the other thread or a resize
        _pool = _new_pool(_pool_size)  # first: a thread that finds the old pool shut can tell it was replaced
        pool.shutdown(wait=True)


def _own_memory_budget() -> int | None:
    """The bytes of its own past which a worker is replaced: `DATELINE_WORKER_MEMORY_MB`, else
    `WORKER_OWN_MEMORY`; None when the setting is 0 (never replaced)."""
    configured = configured_worker_memory()
    if configured is None:
        return WORKER_OWN_MEMORY
    return configured or None


def _measured(function: Callable[[Sequence[T]], R], items: Sequence[T]) -> tuple[R, int | None]:
    """`function(items)` in a worker, and how much memory the worker then holds alone."""
    return function(items), private_bytes()


def split(items: Sequence[T], parts: int) -> list[Sequence[T]]:
    """`items` in at most `parts` contiguous slices of near-equal size, order kept."""
    size, extra = divmod(len(items), parts)
    slices, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        if end > start:
            slices.append(items[start:end])
        start = end
    return slices


def map_slices(
    function: Callable[[Sequence[T]], R],
    items: Sequence[T],
    *,
    processes: int | None = None,
    min_items: int = MIN_PARALLEL_ITEMS,
    slice_size: int | None = None,
) -> list[R]:
    """`function` over slices of `items`; results in slice order.

    `processes` defaults to `workers()` (1 = in-process); below `min_items` items the call stays in-process,
    unless the pool is already running: its workers hold the parsers and models, and the calling process would
    otherwise load its own copy of them for a run's short last chunk (the process tree's peak, at ~100 MB a model).
    Slices are one per process, or of `slice_size` items so that uneven work spreads over the pool.
    `function` must be a module-level function (it is pickled by reference)."""
    count = processes or workers()
    if count == 1 or len(items) == 0 or (len(items) < min_items and _pool is None):
        return [function(items)]
    slices = (
        split(items, count)
        if slice_size is None
        else [items[i : i + slice_size] for i in range(0, len(items), slice_size)]
    )
    for _attempt in range(2):
        pool = _get_pool(count)
        try:
            results = list(pool.map(partial(_measured, function), slices))
        except BrokenProcessPool:  # a worker died (killed, out of memory): a fresh pool, once more
            shutdown_workers()
            continue
        except RuntimeError:
            if _pool is not pool:  # retired by the other thread between taking it and handing it work
                continue
            shutdown_workers()  # workers cannot start: a script calling the flow without a __main__ guard
            break
        budget = _own_memory_budget()
        if budget is not None and any(own is not None and own > budget for _, own in results):
            _retire(pool)
        return [result for result, _ in results]
    return [function(items)]  # finish this chunk in-process rather than lose the run
