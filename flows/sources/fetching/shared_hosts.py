"""Per-host politeness across workers: a site's `per_host` slots shared by every worker of a deployment.

`HostGate` keeps one process's requests to a host within `per_host`; two workers fetching sources of the
same site would each stay within it and together double it. So runs started from deployments also take
one of the host's shared slots for each request, held exactly as long as `HostGate`'s own slot:

- on a lake (the several-hosts case), a PostgreSQL session advisory lock in the lake's catalog database,
  one key per (host, slot): every worker already reaches that database, a try-lock and unlock cost well
  under a millisecond, and a worker that dies loses its session and with it its locks;
- on an embedded warehouse (workers on one machine), a Prefect global concurrency limit per host
  (`dateline-host:<host:port>`, created with `per_host` slots on first use; an operator may change it in
  the UI), taken with a lease that outlives any attempt, so a killed worker's slot frees itself. It needs
  no database, but each request makes two calls to the Prefect API: a hundred times the lock's cost
  (docs/scaling.md), which is why a lake does not use it.

The gap between request starts (`min_delay_s`, Crawl-delay) is kept per worker.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Protocol

import asyncpg
import httpx
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.context import SettingsContext
from prefect.exceptions import ObjectAlreadyExists
from prefect.settings import get_current_settings

from transforms.keys import stable_key

PREFIX = "dateline-host:"
# A slot is held for one attempt's network time (`FetchSettings.deadline_s`, 30 s by default) at most; the
# lease outlives that, so it needs no renewal, and a worker killed mid-request frees its slot when it ends.
LEASE_S = 120.0
# How long a worker waits before trying a busy host's lock slots again.
POLL_S = 0.05
# A full limit answers 423 with a Retry-After from the slots' average occupancy; a fetch waits no longer
# than this between tries, so a slot another worker frees is not left idle for long.
MAX_WAIT_S = 1.0
_LOCKED = 423
_BANNED = str.maketrans({c: "_" for c in "/%&<>"})  # characters Prefect refuses in a limit's name


def limit_name(host: str) -> str:
    """The global concurrency limit of a host (`host:port`, as `HostGate` keys it)."""
    return PREFIX + host.translate(_BANNED)


class SharedHostLimits(Protocol):
    """`async with limits: ... async with limits.slot(host)`: one of the host's shared slots."""

    async def __aenter__(self) -> SharedHostLimits: ...

    async def __aexit__(self, *exc: object) -> None: ...

    def slot(self, host: str) -> AbstractAsyncContextManager[None]: ...


def shared_host_limits(per_host: int, catalog_dsn: str | None) -> SharedHostLimits:
    """The lake's catalog database's locks when there is a lake (`catalog_dsn`), else Prefect's limits."""
    return PostgresHostLimits(per_host, catalog_dsn) if catalog_dsn else PrefectHostLimits(per_host)


_LIBPQ_NAMES = {"host": "host", "hostaddr": "host", "port": "port", "user": "user", "dbname": "database"}


def _connect_options(dsn: str) -> dict[str, str]:
    """asyncpg's options for a libpq `key=value` string (asyncpg takes URIs only); the password comes from
    `PGPASSWORD` or `~/.pgpass`, as for the lake itself."""
    pairs = dict(item.split("=", 1) for item in shlex.split(dsn) if "=" in item)
    unknown = sorted(set(pairs) - set(_LIBPQ_NAMES))
    if unknown:
        raise ValueError(
            f"the lake's catalog location has {', '.join(unknown)}: host slots take only {', '.join(_LIBPQ_NAMES)}"
        )
    return {_LIBPQ_NAMES[key]: value for key, value in pairs.items()}


class PostgresHostLimits:
    """A host's `per_host` slots as PostgreSQL session advisory locks, keys `stable_key("<host>#<slot>")`,
    taken by try-lock (a busy host is polled every `POLL_S`) on a pooled connection held for the request."""

    def __init__(self, per_host: int, dsn: str) -> None:
        self.per_host = per_host
        self._options = _connect_options(dsn)
        self._pool: asyncpg.Pool | None = None

    async def __aenter__(self) -> PostgresHostLimits:
        self._pool = await asyncpg.create_pool(min_size=0, max_size=16, **self._options)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @staticmethod
    async def _lock_one(con: asyncpg.Connection, keys: list[int]) -> int | None:
        """The first of the host's slots this session could lock, or None when all are held."""
        for key in keys:
            if await con.fetchval("SELECT pg_try_advisory_lock($1)", key):
                return key
        return None

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        assert self._pool is not None, "PostgresHostLimits used outside its `async with` block"
        keys = [stable_key(f"{limit_name(host)}#{index}") for index in range(self.per_host)]
        async with self._pool.acquire() as con:
            key = await self._lock_one(con, keys)
            while key is None:
                await asyncio.sleep(POLL_S)
                key = await self._lock_one(con, keys)
            try:
                yield
            finally:
                await con.fetchval("SELECT pg_advisory_unlock($1)", key)


class PrefectHostLimits:
    """One of the host's `per_host` slots in a Prefect global concurrency limit, shared by every worker of
    the Prefect server this process talks to (`PREFECT_API_URL`).

    Slots are taken and released through one API client kept open for the fetcher's lifetime, with a lease
    long enough for any attempt, rather than Prefect's `concurrency()` context manager: that one opens a
    client, starts a lease-renewal thread and emits events for every acquisition, which costs far more
    than the fetch it guards (measured in docs/scaling.md)."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self._known: set[str] = set()
        self._client: PrefectClient | None = None
        # The API of the flow run that builds this: the fetch session enters it on a loop thread of its own,
        # where Prefect falls back to the settings it loaded at import, which may name no API at all (it
        # would then start a private temporary server, and two sessions starting one at once fail).
        self._settings = get_current_settings()

    async def __aenter__(self) -> PrefectHostLimits:
        with SettingsContext(profile=SettingsContext.get().profile, settings=self._settings):
            self._client = get_client()
        await self._client.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.__aexit__(*exc)
            self._client = None

    async def _ensure(self, client: PrefectClient, name: str) -> None:
        if name in self._known:
            return
        # another worker made it first, or an operator set a value of their own: the existing one holds
        with suppress(ObjectAlreadyExists):
            await client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=self.per_host))
        self._known.add(name)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        client = self._client
        assert client is not None, "PrefectHostLimits used outside its `async with` block"
        name = limit_name(host)
        await self._ensure(client, name)
        while True:
            try:
                granted = await client.increment_concurrency_slots_with_lease([name], 1, "concurrency", LEASE_S)
                break
            except httpx.HTTPStatusError as error:
                if error.response.status_code != _LOCKED:
                    raise
                await asyncio.sleep(min(float(error.response.headers.get("Retry-After", MAX_WAIT_S)), MAX_WAIT_S))
        try:
            yield
        finally:
            await client.release_concurrency_slots_with_lease(granted.json()["lease_id"])
