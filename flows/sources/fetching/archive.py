"""The raw archive: every fetched body kept once, so `dateline reparse` can rebuild stories offline.

One SQLite file, `<root>/archive.sqlite` (the lead passes `<warehouse folder>/archive`), with two
tables: `bodies` (zstd-compressed body per sha256 of the decoded body, written once: `INSERT OR
IGNORE` is the content-addressed dedupe) and `fetches` (one row per fetch: URL, final URL, status,
headers, time, body key). A page fetched every hour unchanged costs one body and one small row per
fetch, and a million pages cost one file instead of a million inodes.

Writing is split so that durability is paid once per batch, not per page: `prepare` hashes and
compresses a body (pure CPU, no lock, any thread), and `store` writes a batch of prepared fetches
in one `BEGIN IMMEDIATE ... COMMIT` (WAL, `synchronous=FULL`: one fsync per batch). The write lock
is held only for that short write, never across the network, so two runs sharing a warehouse
folder both get to write (the busy timeout makes the other wait). A caller may hand out a key only
once `store` has returned: the `Fetcher` sets `archive_key` after the batch commits.

`Archive` is the interface every raw archive offers (`prepare`, `store`, `get`, `iter_entries`, `close`):
this SQLite store is the default, and a lake whose Parquet is in an object store keeps its archive there
(`object_archive.ObjectStoreArchive`), so every worker writes to, and any host reparses from, one archive.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import orjson
import zstandard


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One archived fetch: where it came from, what the server said, and the body's key."""

    url: str
    final_url: str | None
    status_code: int | None
    headers: dict[str, str]
    fetched_at: datetime
    key: str


@dataclass(frozen=True, slots=True)
class PreparedFetch:
    """A fetch ready to store: its entry (with the body's key) and the compressed body."""

    entry: ArchiveEntry
    compressed: bytes

    @property
    def key(self) -> str:
        return self.entry.key


STORE_NAME = "archive.sqlite"
BUSY_TIMEOUT_S = 30.0
_WAL_LIMIT_BYTES = 64 * 1024 * 1024  # what a checkpointed WAL is truncated back to
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

log = logging.getLogger(__name__)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS bodies (key BLOB PRIMARY KEY, body BLOB NOT NULL)",
    """CREATE TABLE IF NOT EXISTS fetches (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        final_url TEXT,
        status INTEGER,
        headers TEXT NOT NULL,
        fetched_at INTEGER NOT NULL,  -- microseconds since 1970-01-01 UTC
        key BLOB NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS fetches_by_url ON fetches (url, fetched_at)",
)

# The latest fetch per URL (latest time, then latest row) among those at or after the cutoff, oldest first.
# Filtering before ranking is the same as after: a URL's latest fetch passes the cutoff iff any of its fetches does.
_LATEST = """
SELECT url, final_url, status, headers, fetched_at, key FROM (
    SELECT *, row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC, id DESC) AS newest
    FROM fetches WHERE fetched_at >= ?
) WHERE newest = 1 ORDER BY fetched_at, id
"""


_EVERY = """
SELECT f.url, f.final_url, f.status, f.headers, f.fetched_at, f.key, b.body
FROM fetches f JOIN bodies b ON b.key = f.key ORDER BY f.id
"""


class ArchiveCorrupt(Exception):
    """A stored body is missing or its content does not match its key."""


class ArchiveUnavailable(Exception):
    """The archive could not be written (full disk, unwritable folder, locked past the busy timeout)."""


class Archive(ABC):
    """A raw archive: bodies kept once by the sha256 of their content, and one entry per fetch.

    The base holds what every store shares: `prepare` (hash and compress, CPU only, any thread), and one
    connection, opened on first use by the subclass and closed under the lock by `close`."""

    def __init__(self, level: int) -> None:
        self._level = level
        self._lock = threading.Lock()
        self._con: Any = None

    def prepare(
        self,
        *,
        url: str,
        final_url: str | None,
        status_code: int | None,
        headers: dict[str, str],
        body: bytes,
        fetched_at: datetime,
    ) -> PreparedFetch:
        """Hash and compress `body` for `store`; CPU only, safe from any thread, nothing written yet."""
        entry = ArchiveEntry(url, final_url, status_code, headers, fetched_at, hashlib.sha256(body).hexdigest())
        return PreparedFetch(entry, zstandard.ZstdCompressor(level=self._level).compress(body))

    @abstractmethod
    def store(self, fetches: Sequence[PreparedFetch]) -> None:
        """Make a batch durable, bodies before entries; `ArchiveUnavailable` when it cannot."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The body stored under `key`, verified (`ArchiveCorrupt`)."""

    @abstractmethod
    def iter_entries(self, since: datetime | None = None) -> Iterator[ArchiveEntry]:
        """The latest entry per URL (fetched at or after `since`), oldest first."""

    def close(self) -> None:
        """Close the connection (SQLite then folds its WAL into the file); the next use reopens it."""
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def verified_body(key: str, compressed: bytes | None) -> bytes:
    """The body of `compressed`, checked against its key: a missing, unreadable or altered body is `ArchiveCorrupt`."""
    if compressed is None:
        raise ArchiveCorrupt(f"missing body {key}")
    try:
        body = zstandard.ZstdDecompressor().decompress(compressed)
    except zstandard.ZstdError as exc:
        raise ArchiveCorrupt(f"body {key} does not decompress: {exc}") from exc
    if hashlib.sha256(body).hexdigest() != key:
        raise ArchiveCorrupt(f"body {key} does not match its hash")
    return body


def _entry(
    url: str, final_url: str | None, status: int | None, headers: str, fetched_at: int, key: bytes
) -> ArchiveEntry:
    return ArchiveEntry(
        url, final_url, status, orjson.loads(headers), _EPOCH + timedelta(microseconds=fetched_at), key.hex()
    )


def _micros(moment: datetime) -> int:
    """Exact integer microseconds since the epoch: sortable in SQLite whatever the offset it was written with."""
    return (moment - _EPOCH) // _MICROSECOND


class RawArchive(Archive):
    """Content-addressed, zstd-compressed body store with a fetch table, in one SQLite file.

    Thread-safe: `prepare` runs anywhere; every use of the one connection is under one lock. The
    connection is opened on first use (creating the schema and importing a first-layout folder), so
    an unwritable archive fails the archive writes, not the construction of the run that owns it.
    """

    def __init__(self, root: Path, level: int = 3, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        super().__init__(level)
        self.root = Path(root)
        self.path = self.root / STORE_NAME
        self._busy_timeout_s = busy_timeout_s

    @staticmethod
    def present(root: Path) -> bool:
        """Whether `root` holds an archive (opening one would otherwise create it)."""
        return (Path(root) / STORE_NAME).exists()

    def store(self, fetches: Sequence[PreparedFetch]) -> None:
        """Write a batch of prepared fetches in one transaction; when this returns, all of them are durable.

        Raises `ArchiveUnavailable` (and writes none of them) when the disk is full, the folder is
        unwritable, or another writer holds the lock past the busy timeout.
        """
        if not fetches:
            return
        with self._lock:
            try:
                con = self._connection()
                with _transaction(con):
                    _insert(con, fetches)
            except (OSError, sqlite3.Error) as exc:
                raise ArchiveUnavailable(f"{self.path}: {exc}") from exc

    def get(self, key: str) -> bytes:
        """The body stored under `key`, verified against its hash."""
        with self._lock:
            row = self._connection().execute("SELECT body FROM bodies WHERE key = ?", (bytes.fromhex(key),)).fetchone()
        return verified_body(key, row[0] if row else None)

    def iter_entries(self, since: datetime | None = None) -> Iterator[ArchiveEntry]:
        """The latest entry per URL (optionally only those fetched at or after `since`), oldest first.

        Streamed from a read-only connection of its own, so a long reparse neither holds the
        writers' lock nor keeps every entry in memory.
        """
        cutoff = _micros(since) if since is not None else -(2**63)
        for url, final_url, status, headers, fetched_at, key in self._read(_LATEST, (cutoff,)):
            yield _entry(url, final_url, status, headers, fetched_at, key)

    def iter_stored(self) -> Iterator[PreparedFetch]:
        """Every fetch with its compressed body, in the order they were stored: what a copy into another
        archive (`dateline migrate` into a lake in an object store) reads."""
        for *fetch, body in self._read(_EVERY, ()):
            yield PreparedFetch(_entry(*fetch), body)

    def _read(self, sql: str, parameters: tuple) -> Iterator[tuple]:
        """Rows of `sql`, streamed from a read-only connection of its own (the store created first)."""
        with self._lock:
            self._connection()
        reader = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=self._busy_timeout_s)
        try:
            yield from reader.execute(sql, parameters)
        finally:
            reader.close()

    def checkpoint(self) -> bool:
        """Fold the WAL into `archive.sqlite` and truncate it, so the file alone is a complete backup.

        False when a reader or writer kept it from finishing within the busy timeout (the next call retries).
        """
        with self._lock:
            busy, _, _ = self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0

    def _connection(self) -> sqlite3.Connection:
        """The open connection; the first call creates the store and imports a first-layout folder."""
        if self._con is None:
            self.root.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(
                self.path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            try:
                con.execute("PRAGMA journal_mode=WAL")
                con.execute("PRAGMA synchronous=FULL")
                con.execute(f"PRAGMA journal_size_limit={_WAL_LIMIT_BYTES}")
                with _transaction(con):
                    for statement in _SCHEMA:
                        con.execute(statement)
            except BaseException:
                con.close()
                raise
            self._con = con
        return self._con


@contextmanager
def _transaction(con: sqlite3.Connection) -> Iterator[None]:
    """`BEGIN IMMEDIATE` (the write lock up front, waiting up to the busy timeout) ... `COMMIT`; rolled back
    on any error, unless SQLite already rolled it back itself (it does on a full disk)."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


def _insert(con: sqlite3.Connection, fetches: Sequence[PreparedFetch]) -> None:
    """The rows of `fetches`, inside the caller's transaction; a body already stored is kept as it is."""
    con.executemany(
        "INSERT OR IGNORE INTO bodies (key, body) VALUES (?, ?)",
        [(bytes.fromhex(f.key), f.compressed) for f in fetches],
    )
    con.executemany(
        "INSERT INTO fetches (url, final_url, status, headers, fetched_at, key) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                e.url,
                e.final_url,
                e.status_code,
                orjson.dumps(e.headers).decode(),
                _micros(e.fetched_at),
                bytes.fromhex(e.key),
            )
            for e in (f.entry for f in fetches)
        ],
    )
