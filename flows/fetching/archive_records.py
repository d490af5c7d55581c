"""The records the raw archive stores and hands out, shared by the store and the first layout's importer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
