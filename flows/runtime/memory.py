"""Keep the C allocator's footprint close to what the run really holds (glibc; a no-op elsewhere).

Measured with bench/memory.py on a 12k-story run: the Python objects alive between chunks did not
grow, but glibc's heap did. glibc gives each new thread its own malloc arena (up to eight per
core), and the fetch loop's thread and DuckDB's and Polars' worker threads each took one; pages
freed into those arenas were kept, not reused by the main thread, and free memory held by glibc
grew from 26 to 66 MB over 24 chunks. With two arenas it stayed at 8-12 MB and the process's
anonymous memory grew by a third less.
"""

from __future__ import annotations

import ctypes
import sys

_M_ARENA_MAX = -8  # mallopt parameter, from glibc's malloc.h


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
