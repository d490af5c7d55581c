"""Keep Prefect quiet and offline-safe for command-line runs.

`dateline run` talks to Prefect's ephemeral API in-process; by default Prefect would print
every state change to the console and try to send analytics from a machine that may have
no internet. The run's own logs still reach the Prefect API (and the UI) at INFO level:
only the console handler is turned down. Must be called before `prefect` is imported.
"""

from __future__ import annotations

import os

_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_INTERNAL_LEVEL": "ERROR",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "60",
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
}


def start_ephemeral_api() -> None:
    """Start Prefect's ephemeral API server now, with a watcher that ends it if this process is killed.

    Prefect starts that server (a uvicorn subprocess) on first use and stops it at exit, which a
    SIGKILL or the OOM killer skips: it stayed behind with 200 MB, one more per crashed run. Starting it
    here, through Prefect's own singleton, means the run reuses this one. Nothing to do with an API URL set.
    """
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    from flows.runtime.lifeline import watch_over

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return
    server = SubprocessASGIServer()
    server.start()
    if server.server_process is not None:
        watch_over(server.server_process.pid)


def quiet_prefect() -> None:
    """Set Dateline's Prefect defaults; an operator's own environment variables win."""
    for name, value in _DEFAULTS.items():
        os.environ.setdefault(name, value)
