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


def quiet_prefect() -> None:
    """Set Dateline's Prefect defaults; an operator's own environment variables win."""
    for name, value in _DEFAULTS.items():
        os.environ.setdefault(name, value)
