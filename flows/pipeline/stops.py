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
    signal.signal(signal.SIGINT, _exit_now)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _silence_console_logs()
    raise StopRequested(signal.Signals(signum).name)


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
