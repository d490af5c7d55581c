"""The raw archive's first layout, read once so its pages move into the SQLite store (`archive.RawArchive`).

That layout kept each body in its own file, `objects/<2 hex>/<sha256>.zst` (a zstd frame, as the
store keeps it, so bodies are copied without recompressing), and one fsync'd JSON line per fetch
in `index.jsonl`, appended after its object was in place. A torn last line (a crash mid-append) or
a line whose object is gone has no page to give and is skipped with a warning. Once imported, the
two are moved into `legacy-layout-<UTC time>/`, for the operator to delete.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import orjson

from flows.fetching.archive_records import ArchiveEntry, PreparedFetch

INDEX = "index.jsonl"
OBJECTS = "objects"
BATCH_LINES = 1000

log = logging.getLogger(__name__)


def present(root: Path) -> bool:
    """Whether `root` still holds (part of) a first-layout archive."""
    return (root / INDEX).exists() or (root / OBJECTS).exists()


def read_batch(root: Path, offset: int) -> tuple[list[PreparedFetch], int]:
    """Up to `BATCH_LINES` index lines from byte `offset` on, as fetches with their bodies, and the offset after them.

    A missing index (another run moved it aside first) reads as the end of the file.
    """
    fetches = []
    try:
        with open(root / INDEX, "rb") as index:
            index.seek(offset)
            for _ in range(BATCH_LINES):
                line = index.readline()
                if not line:
                    break
                offset += len(line)
                fetch = _read_line(root, line)
                if fetch is not None:
                    fetches.append(fetch)
    except FileNotFoundError:
        return [], offset
    return fetches, offset


def _read_line(root: Path, line: bytes) -> PreparedFetch | None:
    try:
        raw = orjson.loads(line)
        key = raw["key"]
        if len(bytes.fromhex(key)) != 32:
            raise ValueError(f"bad key {key!r}")
        fetched_at = datetime.fromisoformat(raw["fetched_at"])
        if fetched_at.tzinfo is None:
            raise ValueError(f"fetch time without a time zone: {fetched_at}")
        entry = ArchiveEntry(raw["url"], raw["final_url"], raw["status"], raw["headers"], fetched_at, key)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        log.warning("legacy archive %s: skipped an unreadable index line (%s)", root, exc)
        return None
    try:
        compressed = (root / OBJECTS / key[:2] / f"{key}.zst").read_bytes()
    except OSError as exc:
        log.warning("legacy archive %s: skipped %s, its body is unreadable (%s)", root, entry.url, exc)
        return None
    return PreparedFetch(entry, compressed)


def retire(root: Path) -> Path | None:
    """Move what is left of the first layout aside, once its import has committed; returns where to."""
    leftovers = [root / name for name in (INDEX, OBJECTS) if (root / name).exists()]
    if not leftovers:
        return None
    aside = root / f"legacy-layout-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    aside.mkdir(exist_ok=True)
    for path in leftovers:
        try:
            path.rename(aside / path.name)
        except FileNotFoundError:  # another run importing the same folder moved it first
            continue
    if not any(aside.iterdir()):
        aside.rmdir()
        return None
    return aside
