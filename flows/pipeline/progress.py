"""How a run shows it is alive while it works: a bar on a terminal, a plain line every few seconds
anywhere else (cron, CI, `| tee`, a log file), nothing when asked to be quiet.

A run without a terminal used to print nothing until its summary, so a long scheduled run looked
hung. The plain lines carry no ANSI codes and come at a bounded rate, so a log stays readable
and small however long the run; a short run prints none, and the last line of a run that
printed any is printed once the run is over, so it equals the summary.

The command line chooses the style (`progress_style`); flows started any other way (a deployment,
a script calling `ingest()`) keep the bar on a terminal and are silent elsewhere (their logs go to Prefect).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TextIO

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

if TYPE_CHECKING:
    from flows.pipeline.summary import RunSummary
    from flows.sources.discover import Discovery

LONG_RUN = 1000
# Seconds between two plain progress lines by default: a line in a cron mail or CI log every half
# minute shows a run is alive without burying the summary.
EVERY_S = 30.0

Mode = Literal["bar", "lines", "off"]


@dataclass(frozen=True, slots=True)
class ProgressStyle:
    """How the runs of this command show progress: `bar` (a terminal), `lines` (one plain line on `stream`
    every `every_s` seconds) or `off`."""

    mode: Mode
    every_s: float = EVERY_S
    stream: TextIO | None = None

    @classmethod
    def for_streams(cls, quiet: bool, every_s: float = EVERY_S) -> ProgressStyle:
        """The bar needs a terminal on both streams (it is drawn on stdout, and stderr carries the warnings
        around it); with either redirected the output is a log, so it gets lines, on stderr."""
        if quiet:
            return cls("off")
        if sys.stdout.isatty() and sys.stderr.isatty():
            return cls("bar")
        return cls("lines", every_s, sys.stderr)


_STYLE: ContextVar[ProgressStyle | None] = ContextVar("dateline_progress_style", default=None)


@contextmanager
def progress_style(style: ProgressStyle) -> Iterator[None]:
    """Runs started inside the block (in this thread, the way the command line calls a flow) use `style`."""
    token = _STYLE.set(style)
    try:
        yield
    finally:
        _STYLE.reset(token)


def progress_line(elapsed_s: float, found: int, summary: RunSummary) -> str:
    """One plain line of counts so far, named as in the run summary; the rate is documents read per second."""
    rate = summary.fetched / elapsed_s if elapsed_s > 0 else 0.0
    return (
        f"progress {elapsed_s:.0f} s: found {found}, fetched {summary.fetched}, parsed {summary.parsed}, "
        f"new {summary.new}, updated {summary.updated}, unchanged {summary.unchanged}, "
        f"rejected {summary.rejected} ({rate:.1f} documents/s)"
    )


@contextmanager
def run_progress(total: int | None, discovery: Discovery, summary: RunSummary) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`, called once per chunk loaded with the work items it covered. `total` is None when
    discovery streams (a bar then counts up without an end); `discovery.found` and `summary` are read as
    the run goes, and only ever grow."""
    style = _STYLE.get()
    if style is None:  # not started by the command line: the bar on a terminal, else silence
        interactive = sys.stderr.isatty() and (total is None or total >= LONG_RUN)
        style = ProgressStyle("bar" if interactive else "off")
    if style.mode == "bar":
        with _bar(total) as advance:
            yield advance
    elif style.mode == "lines":
        with _lines(style, discovery, summary):
            yield lambda n: None
    else:
        yield lambda n: None


@contextmanager
def _bar(total: int | None) -> Iterator[Callable[[int], None]]:
    columns = (TextColumn("documents"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as progress:
        task_id = progress.add_task("ingest", total=total)
        yield lambda n: progress.advance(task_id, n)


@contextmanager
def _lines(style: ProgressStyle, discovery: Discovery, summary: RunSummary) -> Iterator[None]:
    """A thread writes a line every `every_s` seconds, mid-chunk too, so a slow chunk still shows the run is
    alive. The counters are plain ints the flow's thread only increases, so reading them needs no lock.
    Written straight to the stream: inside a flow, `print` would go to Prefect's log instead."""
    stream = style.stream or sys.stderr
    started = time.monotonic()
    stop = threading.Event()
    printed = 0

    def write() -> None:
        nonlocal printed
        stream.write(progress_line(time.monotonic() - started, discovery.found, summary) + "\n")
        stream.flush()
        printed += 1

    def tick() -> None:
        while not stop.wait(style.every_s):
            write()

    ticker = threading.Thread(target=tick, name="dateline-progress", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()
    if printed:  # the run's last line, once its counts are final (not after a failure or a stop)
        write()
