"""The raw archive: every fetched body kept once, so `dateline reparse` can rebuild stories offline.

Layout under `root` (the lead passes `<warehouse folder>/archive`):

    objects/<2 hex>/<sha256 of the decoded body>.zst   zstd-compressed body, written once
    index.jsonl                                           one line per fetch, append-only

Crash safety: an object is written to a temporary file, fsync'd and renamed into place before
its index line is appended, and each index line is written with one `write` and fsync'd. A
crash can therefore leave at most an orphan object or a torn last line, and readers skip a line
that does not parse. Bodies are content-addressed, so a page fetched every hour unchanged costs
one object and one small index line per fetch.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson
import zstandard

_INDEX = "index.jsonl"


class ArchiveCorrupt(Exception):
    """A stored object is missing or its content does not match its key."""


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One archived fetch: where it came from, what the server said, and the body's key."""

    url: str
    final_url: str | None
    status_code: int | None
    headers: dict[str, str]
    fetched_at: datetime
    key: str


class RawArchive:
    """Content-addressed, zstd-compressed body store with an append-only fetch index."""

    def __init__(self, root: Path, level: int = 3) -> None:
        self.root = Path(root)
        self._objects = self.root / "objects"
        self._index = self.root / _INDEX
        self._level = level
        self._lock = threading.Lock()
        self._objects.mkdir(parents=True, exist_ok=True)

    def put(
        self,
        *,
        url: str,
        final_url: str | None,
        status_code: int | None,
        headers: dict[str, str],
        body: bytes,
        fetched_at: datetime,
    ) -> str:
        """Store `body` (if new) and index this fetch; returns the content key (sha256 hex)."""
        key = hashlib.sha256(body).hexdigest()
        self._write_object(key, body)
        line = orjson.dumps(
            {
                "url": url,
                "final_url": final_url,
                "status": status_code,
                "headers": headers,
                "fetched_at": fetched_at.isoformat(),
                "key": key,
            }
        )
        with self._lock, open(self._index, "ab") as index:
            index.write(line + b"\n")
            index.flush()
            os.fsync(index.fileno())
        return key

    def get(self, key: str) -> bytes:
        """The body stored under `key`, verified against its hash."""
        try:
            compressed = self._object_path(key).read_bytes()
        except OSError as exc:
            raise ArchiveCorrupt(f"missing object {key}") from exc
        body = zstandard.ZstdDecompressor().decompress(compressed)
        if hashlib.sha256(body).hexdigest() != key:
            raise ArchiveCorrupt(f"object {key} does not match its hash")
        return body

    def iter_entries(self, since: datetime | None = None) -> Iterator[ArchiveEntry]:
        """The latest entry per URL (optionally only those fetched at or after `since`), oldest first."""
        latest: dict[str, ArchiveEntry] = {}
        for entry in self._read_index():
            latest[entry.url] = entry
        entries = sorted(latest.values(), key=lambda entry: entry.fetched_at)
        yield from (entry for entry in entries if since is None or entry.fetched_at >= since)

    def _read_index(self) -> Iterator[ArchiveEntry]:
        if not self._index.exists():
            return
        with open(self._index, "rb") as index:
            for line in index:
                try:
                    raw = orjson.loads(line)
                    yield ArchiveEntry(
                        url=raw["url"],
                        final_url=raw["final_url"],
                        status_code=raw["status"],
                        headers=raw["headers"],
                        fetched_at=datetime.fromisoformat(raw["fetched_at"]),
                        key=raw["key"],
                    )
                except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                    continue  # a torn last line after a crash

    def _object_path(self, key: str) -> Path:
        return self._objects / key[:2] / f"{key}.zst"

    def _write_object(self, key: str, body: bytes) -> None:
        target = self._object_path(key)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{key}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as out:
            out.write(zstandard.ZstdCompressor(level=self._level).compress(body))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
