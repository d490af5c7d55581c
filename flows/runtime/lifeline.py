"""Processes a run starts die with it, even when the run is killed with SIGKILL or by the OOM killer.

A killed process runs no cleanup, so each helper it started has to notice on its own:
- the pool's workers ask Linux for a parent-death signal (`die_with_parent`, prctl PR_SET_PDEATHSIG).
  That signal fires when the *thread* that forked the process exits, which is safe only when that
  thread lives as long as its process: true of the forkserver, whose main thread forks every worker;
- the forkserver itself is started by whichever of the run's threads first needs a pool, which may
  end long before the run does, so it watches its parent process instead (`watch_parent`, a thread
  polling `os.getppid()`, imported as the last-but-one forkserver preload);
- Prefect's ephemeral API server is a `uvicorn` subprocess started by Prefect
  (`prefect.server.api.server.SubprocessASGIServer`) with no hook for either, so a small watcher
  process (`python -m flows.runtime.lifeline PARENT CHILD`, see `watch_over`) ends it when the run is gone.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
POLL_S = 0.5
GRACE_S = 5.0


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Have Linux send `sig` to this process when its parent's forking thread ends (a no-op elsewhere).

    For the forkserver's workers (a `ProcessPoolExecutor` initializer): their parent forks from its main thread.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):  # not Linux: the parent's own watch ends it instead
        return
    if os.getppid() == 1:  # the parent died before the signal was armed
        os._exit(1)


def watch_parent() -> None:
    """End this process (at once, like its parent) when the process that started it is gone."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="dateline-lifeline", daemon=True).start()


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (field 22 of /proc/PID/stat), to tell it from a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def watch_over(child: int) -> subprocess.Popen | None:
    """Start a watcher that ends `child` (SIGTERM, then SIGKILL after `GRACE_S`) once this process is gone.

    For a subprocess started by a library that offers no way to make it die with its parent. None where
    /proc is missing (not Linux): nothing to compare, nothing started.
    """
    started = _start_time(child)
    if started is None:
        return None
    command = [sys.executable, "-m", "flows.runtime.lifeline", str(os.getpid()), str(child), started]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL)


def _end(child: int, started: str) -> None:
    for sig, wait in ((signal.SIGTERM, GRACE_S), (signal.SIGKILL, 0.0)):
        if _start_time(child) != started:
            return
        os.kill(child, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _start_time(child) == started:
            time.sleep(0.1)


def _watch(parent: int, child: int, started: str) -> None:
    """The watcher's loop: done when the child ends first; ends the child when the parent does."""
    while _start_time(child) == started:
        if os.getppid() != parent:
            _end(child, started)
            return
        time.sleep(POLL_S)


if __name__ == "__main__":
    _watch(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
