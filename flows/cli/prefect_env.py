"""Keep Prefect quiet and offline-safe for command-line runs.

`dateline run` talks to a Prefect API server of its own (below) unless `PREFECT_API_URL` names one; by
default Prefect would print every state change to the console and try to send analytics from a machine
that may have no internet. The run's own logs still reach the Prefect API (and the UI) at INFO level:
only the console handler is turned down. Must be called before `prefect` is imported.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from flows.runtime.lifeline import die_with_parent

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


@contextmanager
def prefect_api_of_its_own() -> Iterator[None]:
    """Run the block against a Prefect API server this command starts in a session of its own, unless
    `PREFECT_API_URL` names a server already.

    Prefect's ephemeral server is a child in the command's process group, so Ctrl-C in a terminal
    reaches it too: it dies while the run is recording how it ended, and the run then waits on a dead
    API. In its own session it hears only what the command tells it. It still dies with the command:
    the command stops it at exit, and on Linux the kernel sends it SIGTERM if the command is
    killed outright (parent-death signal), so a crash leaves no server behind."""
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    import httpx
    import prefect
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server_env = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory"]
    command += ["prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--log-level", "error", "--lifespan", "on"],
        env={**os.environ, **server_env, **get_current_settings().to_environment_variables(exclude_unset=True)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=partial(die_with_parent, signal.SIGTERM),
    )
    # Stopped at exit, registered before Prefect's own exit hooks so that it runs after them (they run last
    # registered first): they flush the run's logs and events to this server, and would wait on a dead one.
    atexit.register(_stop, server)
    api_url = f"http://127.0.0.1:{port}/api"
    _wait_until_healthy(server, api_url, httpx)
    with temporary_settings({PREFECT_API_URL: api_url}):
        yield


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _wait_until_healthy(server: subprocess.Popen, api_url: str, httpx) -> None:
    deadline = time.monotonic() + float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60"))
    with httpx.Client() as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"the Prefect API server exited with status {server.returncode} while starting")
            try:
                if client.get(f"{api_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError("the Prefect API server did not start in time")
