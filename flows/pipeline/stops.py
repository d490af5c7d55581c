"""Stopping a run cleanly: SIGINT (Ctrl-C) or SIGTERM ends it within seconds, recorded as `interrupted`.

Python turns SIGINT into `KeyboardInterrupt` and Prefect's flow engine turns SIGTERM into its own
`TerminationSignal`, each raised wherever the main thread happens to be: inside a Prefect task (whose
engine then logs a crash with a traceback), in a wait on the read-ahead thread, in a merge. A run
installs one handler for both instead, for as long as it runs: it silences Prefect's console output
(the API, and so the UI, still get every log line) and raises `StopRequested`, which the run's
bookkeeping records as `interrupted` with its counts so far. A second Ctrl-C while the run winds
down exits at once, for an operator who does not want to wait; a SIGTERM then is ignored, because the
run is already stopping and it is what a supervisor sends next: Ctrl-C on `dateline serve` reaches its
flow runs (one process group) and the runner then sends each a SIGTERM, which would otherwise end the
run before it records how it ended. SIGKILL stays for a supervisor that will not wait.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_stopping = False  # a run of this process was asked to stop: a later SIGTERM changes nothing
_held: list[str] | None = None  # while `stop_deferred` runs: the stops that arrived, raised when it ends


class StopRequested(KeyboardInterrupt):
    """The run was asked to stop; `signal_name` says how (a KeyboardInterrupt, so code that lets
    interrupts through lets this through too)."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


def _silence_console_logs() -> None:
    """Prefect's console handler (on the root logger, as its logging.yml sets it up) would print the task
    engine's report of the interrupted task; its API handler, on Prefect's own loggers, keeps logging."""
    names = ("", "prefect", *(n for n in logging.root.manager.loggerDict if n.startswith("prefect.")))
    for name in names:
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                handler.setLevel(logging.CRITICAL + 1)


def _exit_now(signum: int, _frame: object) -> None:
    os._exit(128 + signum)


def _request_stop(signum: int, _frame: object) -> None:
    global _stopping
    _stopping = True
    signal.signal(signal.SIGINT, _exit_now)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _silence_console_logs()
    if _held is not None:
        _held.append(signal.Signals(signum).name)
        return
    raise StopRequested(signal.Signals(signum).name)


@contextmanager
def stop_deferred() -> Iterator[None]:
    """A stop that arrives while the block runs is raised when it ends, not inside it: around a chunk's merge and
    the bookkeeping of what it committed (the run's counts, the sources' resume points), so a stop cannot land
    between the commit and the counting and leave the run's record short of what it loaded. A merge takes
    seconds at most; a second Ctrl-C still exits at once."""
    global _held
    if _held is not None or threading.current_thread() is not threading.main_thread():
        yield
        return
    _held = []
    try:
        yield
    finally:
        held, _held = _held, None
    if held:
        raise StopRequested(held[0])


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into `StopRequested` while the block runs (signals reach only the main
    thread; elsewhere this does nothing), then put the previous handlers back. After a stop they stay
    as they are (a further Ctrl-C exits at once, a SIGTERM is ignored) while the run records how it ended."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {each: signal.signal(each, _request_stop) for each in STOP_SIGNALS}
    try:
        yield
    except StopRequested:
        raise
    except BaseException:
        _restore(previous)
        raise
    _restore(previous)


def _restore(previous: dict) -> None:
    for each, handler in previous.items():
        signal.signal(each, handler)


def _terminate_unless_stopping(signum: int, _frame: object) -> None:
    """SIGTERM outside a run: end the process as the default action does, unless a run was already stopping."""
    if _stopping:
        return
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _guard_the_end_of_a_stopped_run() -> None:
    """Prefect's flow engine puts back, as the flow ends, the SIGTERM handler it found when the flow started; a
    runner's SIGTERM that arrives after a stopped run has recorded its end but before the process has exited
    would meet the default handler and end the process by the signal, not with the stop's exit code. So the
    handler Prefect finds, installed when the flows are imported (before any flow starts, in `dateline` and in
    the runner's flow-run processes alike), ignores SIGTERM once a run is stopping and otherwise acts as the
    default does."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate_unless_stopping)


_guard_the_end_of_a_stopped_run()
