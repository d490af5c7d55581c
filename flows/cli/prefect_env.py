"""Keep Prefect quiet and offline-safe for command-line runs, and give a run a Prefect API of its own.

`dateline run` talks to a Prefect API server of its own (below) unless `PREFECT_API_URL` names one; by
default Prefect would print every state change to the console and try to send analytics from a machine
that may have no internet. The run's own logs still reach the Prefect API (and the UI) at INFO level:
only the console handler is turned down. Must be called before `prefect` is imported.
"""

from __future__ import annotations

import contextvars
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn

_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_INTERNAL_LEVEL": "ERROR",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "60",
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
}
_STOP_TIMEOUT_S = 10


def quiet_prefect() -> None:
    """Set Dateline's Prefect defaults; an operator's own environment variables win."""
    for name, value in _DEFAULTS.items():
        os.environ.setdefault(name, value)


@contextmanager
def prefect_api_of_its_own() -> Iterator[None]:
    """Run the block against a Prefect API server that this command serves on a thread of its own, unless
    `PREFECT_API_URL` names a server already.

    Why a thread, not Prefect's ephemeral server process: that process is a second interpreter holding its own
    copy of Prefect, pydantic and their models; on a thread the server shares the imports the run holds anyway
    (docs/benchmarks.md measures the difference). A thread also gets the stopping
    right by construction: signals reach only the main thread, so Ctrl-C or SIGTERM never stops the server
    while the run is recording how it ended, and nothing can outlive the command, even one killed outright.
    The server listens on a socket bound here, so no other process can take its port between choosing and
    binding it; it runs in a copy of the caller's context, so settings the caller entered (a test's
    database, say) are the server's too."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # Prefect's setting, not the environment alone: a caller already inside `temporary_settings` naming a server
    # (a test session, a command run in-process by another) must not start a second one in the same process,
    # where Prefect's server keeps state of its own per process.
    if PREFECT_API_URL.value():
        yield
        return
    import uvicorn
    from prefect.server.api.server import create_app

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(create_app(ephemeral=True, final=True), log_level="error", lifespan="on")
    server = uvicorn.Server(config)
    serving = threading.Thread(
        target=contextvars.copy_context().run,
        args=(server.run,),
        kwargs={"sockets": [listener]},
        name="dateline-prefect-api",
        daemon=True,
    )
    serving.start()
    # Stopped as the interpreter shuts its threads down, registered before Prefect's own hooks there so that it
    # runs after them (they run last registered first): they flush the run's logs and events to this server,
    # and would wait on a stopped one. Not a plain `atexit` hook: those run after `concurrent.futures` has
    # refused new work, and the server's shutdown hands work to a thread pool (Prefect registers its own hooks
    # the same way, for the same reason).
    threading._register_atexit(_stop, server, serving)
    _wait_until_started(server, serving)
    with temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{port}/api"}):
        yield


def _stop(server: uvicorn.Server, serving: threading.Thread) -> None:
    server.should_exit = True
    serving.join(timeout=_STOP_TIMEOUT_S)
    if serving.is_alive():  # connections that do not close in time are dropped; the thread is a daemon either way
        server.force_exit = True
        serving.join(timeout=_STOP_TIMEOUT_S)


def _wait_until_started(server: uvicorn.Server, serving: threading.Thread) -> None:
    deadline = time.monotonic() + float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60"))
    while not server.started:
        if not serving.is_alive():
            raise RuntimeError("the Prefect API server stopped while starting (its database may be unreadable)")
        if time.monotonic() > deadline:
            raise RuntimeError("the Prefect API server did not start in time")
        time.sleep(0.05)
