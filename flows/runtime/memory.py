"""Keep the C allocators' footprint close to what the run really holds.

glibc (Python's objects, DuckDB): measured with bench/memory.py on a 12k-story run, the Python objects alive
between chunks did not grow, but glibc's heap did. glibc gives each new thread its own malloc arena (up to
eight per core), and the fetch loop's thread and DuckDB's and Polars' worker threads each took one; pages
freed into those arenas were kept, not reused by the main thread. Two arenas keep that free memory small.

jemalloc (Polars' own allocator): Polars asks it to keep freed pages for half a second, but jemalloc only
looks at the clock when it allocates again (it runs no background thread), so an enrichment worker waiting for
its next slice kept the high-water mark of its last one, and crept up from chunk to chunk. Giving pages back
as they are freed kept each worker flat, at no measurable cost in stories/s (bench/memory.py with and without).
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_ARENA_MAX = -8  # mallopt parameter, from glibc's malloc.h
# Polars' jemalloc is built with the `_rjem_` prefix, so it reads this variable (not MALLOC_CONF), once, when
# Polars is imported, after Polars' own defaults (later options win): the process that sets it must not have
# imported Polars yet, and the processes it starts (the workers' forkserver) inherit it.
_JEMALLOC_CONF = "_RJEM_MALLOC_CONF"
_RETURN_FREED_PAGES = "dirty_decay_ms:0,muzzy_decay_ms:0"


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") else None


def cap_malloc_arenas(arenas: int = 2) -> None:
    """Limit glibc to `arenas` malloc arenas; threads that have not allocated yet share them."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, arenas)


def return_freed_pages() -> None:
    """Have Polars' jemalloc give freed pages back at once, in this process (if Polars is not loaded yet) and
    the processes it starts; an operator's own `_RJEM_MALLOC_CONF` wins."""
    os.environ.setdefault(_JEMALLOC_CONF, _RETURN_FREED_PAGES)


def trim_heap() -> None:
    """Give glibc's free heap pages back to the system: for a process that has built what it keeps and freed what
    it read to build it (the workers' forkserver, before it forks them)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def private_bytes() -> int | None:
    """Memory this process holds alone (`Private_Clean` + `Private_Dirty` of /proc/self/smaps_rollup), None where
    there is no such file. A forked worker's grows as it writes to pages it shares with the process it was forked
    from: the heap its largest documents left, and every preloaded object it reads, whose reference count is a
    write."""
    try:
        with open("/proc/self/smaps_rollup") as rollup:
            lines = rollup.readlines()
    except OSError:
        return None
    fields = (line.split() for line in lines)
    return sum(int(f[1]) * 1024 for f in fields if f[0] in ("Private_Clean:", "Private_Dirty:"))
