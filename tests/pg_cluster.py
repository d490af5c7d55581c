"""A private PostgreSQL 15 cluster for tests that must restart the catalog's server or listen on an address
of their own: the shared server on 127.0.0.1:5432 must never be stopped.

`initdb` and the server refuse to run as root, so when the tests run as root the cluster belongs to the
`postgres` system user (`runuser`), in a folder of the test's temporary directory made over to it.
Trust authentication, as on the shared server; only the addresses given are listened on.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_owner() -> list[str]:
    """The command prefix that runs PostgreSQL's tools as a user they accept."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no `postgres` user to own a private PostgreSQL cluster")
    return ["runuser", "-u", "postgres", "--"]


@dataclass
class Cluster:
    """A running private cluster: its folder, port and listen addresses."""

    folder: Path
    port: int
    addresses: tuple[str, ...]

    def _ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_as_owner(), str(BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-w", "-t", "60", *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses='{','.join(self.addresses)}' -k {self.folder}"
        self._ctl("-l", str(self.folder / "server.log"), "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop", check=False)

    def dsn(self, database: str, host: str | None = None) -> str:
        return f"dbname={database} host={host or self.addresses[0]} port={self.port} user=postgres"

    def create_database(self, name: str) -> None:
        subprocess.run(
            [*_as_owner(), str(BIN / "psql"), "-h", self.addresses[0], "-p", str(self.port), "-U", "postgres",
             "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"],
            check=True, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    def scalar(self, database: str, sql: str) -> str:
        done = subprocess.run(
            [*_as_owner(), str(BIN / "psql"), "-h", self.addresses[0],
             "-p", str(self.port), "-U", "postgres", "-d", database, "-tA", "-c", sql],
            check=True, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        return done.stdout.strip()


@contextlib.contextmanager
def private_cluster(addresses: Sequence[str] = ("127.0.0.1",)) -> Iterator[Cluster]:
    """initdb a cluster in a fresh temporary folder, start it on a free port listening on `addresses`, and
    stop it (immediately) and remove it on the way out."""
    if not (BIN / "initdb").exists():
        reason = f"no PostgreSQL 15 server binaries in {BIN}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    # Not under pytest's temporary folder: every new pytest session (another test run on this machine)
    # sets /tmp/pytest-of-<user> back to mode 0700, which cut a running cluster off its own files.
    folder = Path(tempfile.mkdtemp(prefix="dateline-pg-"))
    owner = _as_owner()
    if owner:
        shutil.chown(folder, "postgres", "postgres")
    subprocess.run(
        [*owner, str(BIN / "initdb"), "-D", str(folder / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--no-sync"],
        check=True, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    with (folder / "data" / "pg_hba.conf").open("a", encoding="utf-8") as hba:  # hosts on the test's own links
        hba.write("host all all samenet trust\n")
    cluster = Cluster(folder, free_port(), tuple(addresses))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop("immediate")
        deadline = time.monotonic() + 30
        while (folder / "data" / "postmaster.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        shutil.rmtree(folder, ignore_errors=True)
