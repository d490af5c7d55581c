"""Dateline's Prefect flows, and the sources, pipeline, runtime and CLI code they run.

Every entry point (the `dateline` command, a Prefect worker importing a deployment's flow) imports this
package first, so the allocator settings below are made before Polars is imported (jemalloc reads its
setting then) and before Prefect's engine, the fetch loop, DuckDB and Polars start their threads (a thread
takes its glibc arena at its first allocation; a cap set when the flow starts missed Prefect's busy threads).
"""

from flows.runtime.memory import cap_malloc_arenas, return_freed_pages

cap_malloc_arenas()
return_freed_pages()
