"""A progress bar for long runs in a terminal; silent in logs, CI and scheduled runs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

LONG_RUN = 1000


@contextmanager
def progress_bar(total: int | None) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`; draws a bar only on an interactive terminal and for runs worth watching (a run
    whose total is unknown, because discovery streams, counts up without an end)."""
    if (total is not None and total < LONG_RUN) or not sys.stderr.isatty():
        yield lambda n: None
        return
    columns = (TextColumn("documents"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as progress:
        task_id = progress.add_task("ingest", total=total)
        yield lambda n: progress.advance(task_id, n)
