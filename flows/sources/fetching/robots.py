"""robots.txt per RFC 9309, parsed by protego, cached per origin for the run and on disk across runs.

Semantics: a 2xx body is obeyed (first `robots_max_bytes` only); a 4xx means no rules (allow
all); a 5xx or 429 means "disallow everything for now", unless a stale copy is on disk, which the
RFC allows using while the file is unreachable. A fetch that raises (the origin was not reached:
no connection, DNS, TLS, timeout) uses the stale copy too; without one the error propagates, so the
page fails with what really happened instead of a robots verdict, and nothing is cached. Only definite answers
(2xx, 4xx) are written to disk, so an outage is retried on the next run. The cache file lives
under `state_dir/robots/` and is trusted for `robots_ttl_s` (24 h by default).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
from protego import Protego

from flows.sources.fetching.guard import NetworkAccess
from transforms.urls import origin_of

# robots.txt is fetched with the access of the request that needs it: the same guard, the same credentials
# (status, body) of an answer; it raises when the origin was not reached at all
RobotsFetch = Callable[[str, NetworkAccess], Awaitable[tuple[int | None, bytes | None]]]


@dataclass(frozen=True, slots=True)
class RobotsPolicy:
    """The rules for one origin: parsed rules, or a blanket allow/deny."""

    parser: Protego | None
    allow_all: bool

    def can_fetch(self, url: str, user_agent: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None


def policy_from(status: int | None, body: bytes | None) -> RobotsPolicy | None:
    """The policy an answer implies, or None when the answer is 'unreachable' (5xx, 429, network)."""
    if status is None or status == 429 or status >= 500:
        return None
    if 200 <= status < 300:
        return RobotsPolicy(Protego.parse((body or b"").decode("utf-8", "replace")), allow_all=True)
    return RobotsPolicy(None, allow_all=True)


_DISALLOW_ALL = RobotsPolicy(None, allow_all=False)


def _stored_policy(stored: dict) -> RobotsPolicy:
    """The policy of a copy on disk (only definite answers are ever written)."""
    return policy_from(stored["status"], stored["body"].encode()) or _DISALLOW_ALL


class RobotsCache:
    """One policy per origin, fetched at most once per run and reused across runs within the TTL."""

    def __init__(
        self, state_dir: Path, ttl_s: float, fetch: RobotsFetch, clock: Callable[[], float] = time.time
    ) -> None:
        self._dir = state_dir / "robots"
        self._ttl_s = ttl_s
        self._fetch = fetch
        self._clock = clock
        self._policies: dict[str, RobotsPolicy] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def policy(self, url: str, access: NetworkAccess) -> RobotsPolicy:
        """The rules for `url`'s origin (`scheme://host[:port]`, credentials never part of it); a fetch the
        network guard refuses raises its failure and is not cached, so the page is refused for that reason."""
        origin = origin_of(url)
        if origin in self._policies:
            return self._policies[origin]
        async with self._locks.setdefault(origin, asyncio.Lock()):
            if origin not in self._policies:
                self._policies[origin] = await self._load(origin, access)
        return self._policies[origin]

    async def _load(self, origin: str, access: NetworkAccess) -> RobotsPolicy:
        stored = self._read(origin)
        if stored is not None and self._clock() - stored["fetched_at"] < self._ttl_s:
            return _stored_policy(stored)
        try:
            status, body = await self._fetch(origin + "/robots.txt", access)
        except Exception:
            if stored is None:
                raise
            return _stored_policy(stored)
        fresh = policy_from(status, body)
        if fresh is not None:
            self._write(origin, status, body or b"")
            return fresh
        if stored is not None:
            return _stored_policy(stored)
        return _DISALLOW_ALL

    def _path(self, origin: str) -> Path:
        return self._dir / (hashlib.sha256(origin.encode()).hexdigest()[:32] + ".json")

    def _read(self, origin: str) -> dict | None:
        try:
            data = orjson.loads(self._path(origin).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None
        return data if data.get("origin") == origin else None

    def _write(self, origin: str, status: int | None, body: bytes) -> None:
        """Write-then-rename so a crash never leaves a half file that would be trusted for a day."""
        self._dir.mkdir(parents=True, exist_ok=True)
        record = {
            "origin": origin,
            "fetched_at": self._clock(),
            "status": status,
            "body": body.decode("utf-8", "replace"),
        }
        target = self._path(origin)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps(record))
        os.replace(tmp, target)
