"""Imported last by the workers' forkserver: moves everything the preloads built out of the collector's reach.

The workers are forked from the forkserver after it has imported the parsers, the language model
and the gazetteers, and share those pages copy-on-write. A cycle collection in a worker writes to
the header of every container object it walks, so without this each worker's first full
collection copies the shared pages it walks into memory of its own. `gc.freeze()` here (the
standard-library advice for forking servers) keeps those objects out of every later collection. The heap
pages the preloads freed (the files they read to build their tables) go back to the system first.
"""

from __future__ import annotations

import gc

from flows.runtime.memory import trim_heap

gc.collect()
trim_heap()
gc.freeze()
