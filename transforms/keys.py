"""Stable surrogate keys derived from natural keys.

Keys must be equal across runs, machines and library versions, so they come from
BLAKE2b over the natural key text, never from row order or Polars' own (unstable) hash.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import date

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Case-, width- and space-insensitive form of a name or headline, for natural keys."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def stable_key(natural_key: str) -> int:
    """A signed 64-bit key (DuckDB BIGINT) for a natural key string."""
    digest = hashlib.blake2b(natural_key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def stable_keys(natural_keys: Iterable[str]) -> list[int]:
    return [stable_key(k) for k in natural_keys]


def story_id(url: str | None, source: str, headline: str, day: date | None) -> str:
    """The story's natural key: its normalised canonical URL, else source + headline + day (dumps)."""
    if url:
        return f"url:{url}"
    return f"dump:{source}|{fold(headline)}|{day.isoformat() if day else ''}"


def content_hash(*parts: str) -> str:
    """Fingerprint of what a reader sees; a change in it makes a new story version."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8"))
        hasher.update(b"\x1f")
    return hasher.hexdigest()
