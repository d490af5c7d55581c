"""Per-host politeness: at most `per_host` requests in flight and a minimum gap between request starts.

The gap is `max(min_delay_s, Crawl-delay)` (Crawl-delay capped at `crawl_delay_cap_s`), and a
host that answers 429/503 with Retry-After has its next start pushed back for every request
queued to it, not just the one that was told. With `shared` (runs started by Prefect workers), each
request also holds one of the host's slots across every worker (`shared_hosts`), so workers together
stay within `per_host`, and claims its start across every worker too, so two workers that each obey
Crawl-delay: 2 together start a request to that site no more than once every 2 s. The local gap is kept
as well: it saves a worker asking the shared store about a start it already knows is too early. A
Retry-After holds back only the worker that was told.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.sources.fetching.shared_hosts import SharedHostLimits


class HostGate:
    """Admission control keyed by host (`host:port`) plus the run's global limit, shared by all requests."""

    def __init__(
        self,
        per_host: int,
        max_connections: int,
        min_delay_s: float,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedHostLimits | None = None,
    ) -> None:
        self._global = asyncio.Semaphore(max_connections)
        self._per_host = per_host
        self._min_delay_s = min_delay_s
        self._clock = clock
        self._shared = shared
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._delay: dict[str, float] = {}
        self._next_start: dict[str, float] = {}

    def set_delay(self, host: str, seconds: float) -> None:
        """Record a host's own Crawl-delay; it only ever raises the configured minimum."""
        self._delay[host] = max(self._min_delay_s, seconds)

    def defer(self, host: str, seconds: float) -> None:
        """Hold every request to `host` back for `seconds` (a Retry-After)."""
        self._next_start[host] = max(self._next_start.get(host, 0.0), self._clock() + seconds)

    def delay_of(self, host: str) -> float:
        return self._delay.get(host, self._min_delay_s)

    async def _claim_shared(self, host: str) -> float:
        """Seconds until another worker's start lets this one claim the host's next start; 0 once claimed."""
        gap = self.delay_of(host)
        if self._shared is None or gap <= 0:
            return 0.0
        return await self._shared.claim_start(host, gap)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold a host slot and a global slot, entered no sooner than the host's next allowed start.

        The start is claimed only once the global slot is held, with no await between the check
        and the claim, so waiting for a busy global limit can never bunch a host's requests up;
        the host delay is slept without holding a global slot, so a slow host never blocks others. The
        shared slot is taken after this process's own host slot, so a process asks the server for at most
        `per_host` slots of a host at a time.

        With `shared` and a gap, the start is also claimed across workers, after the local check passes and
        while the global slot is held: a claim is "start now", so nothing may stand between it and the
        request (a reservation for later, followed by a wait for the global slot, could start late and
        bunch up with the next worker's start). A refused claim releases the global slot and sleeps
        until the host's next shared start; the local check is repeated after the claim's await, so a
        Retry-After that arrived meanwhile still holds (a claim it wastes only delays other workers).
        """
        semaphore = self._slots.setdefault(host, asyncio.Semaphore(self._per_host))
        async with semaphore, self._shared.slot(host) if self._shared else nullcontext():
            while True:
                wait = self._next_start.get(host, 0.0) - self._clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                await self._global.acquire()
                try:
                    shared_wait = await self._claim_shared(host)
                except BaseException:  # the store failed, or the run was cancelled while asking it
                    self._global.release()
                    raise
                if shared_wait <= 0 and self._clock() >= self._next_start.get(host, 0.0):
                    break
                self._global.release()  # another request to this host started meanwhile, here or elsewhere
                await asyncio.sleep(shared_wait)
            self._next_start[host] = self._clock() + self.delay_of(host)
            try:
                yield
            finally:
                self._global.release()
