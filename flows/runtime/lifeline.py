"""Processes a run starts die with it, even when the run is killed with SIGKILL or by the OOM killer.

A killed process runs no cleanup, so each helper it started has to notice on its own:
- the pool's workers ask Linux for a parent-death signal (`die_with_parent`, prctl PR_SET_PDEATHSIG).
  That signal fires when the *thread* that forked the process exits, which is safe only when that
  thread lives as long as its process: true of the forkserver, whose main thread forks every worker;
- the forkserver itself is started by whichever of the run's threads first needs a pool, which may
  end long before the run does, so it watches its parent process instead (`watch_parent`, a thread
  polling `os.getppid()`, imported as the first forkserver preload);
- Prefect's API server is a thread of the command itself (`flows/cli/prefect_env.py`): it ends with it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time

PR_SET_PDEATHSIG = 1
POLL_S = 0.5


def die_with_parent() -> None:
    """Have Linux kill this process when its parent's forking thread ends (a no-op elsewhere).

    For the forkserver's workers (a `ProcessPoolExecutor` initializer): their parent forks from its main thread.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
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
