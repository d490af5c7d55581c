"""Per-host politeness across workers: a site's `per_host` slots and the gap between its request starts
(`max(min_delay_s, Crawl-delay)`), shared by every worker of a deployment.

`HostGate` keeps one process's requests to a host within `per_host` and a gap apart; two workers fetching
sources of the same site would each keep to both and together double them. So runs started from
deployments also take one of the host's shared slots for each request, held exactly as long as
`HostGate`'s own slot, and claim each start in a store every worker shares (`claim_start`):

- on a lake (the several-hosts case), a PostgreSQL session advisory lock in the lake's catalog database,
  one key per (host, slot): every worker already reaches that database, a try-lock and unlock cost well
  under a millisecond, and a worker that dies loses its session and with it its locks;
- on an embedded warehouse (workers on one machine), a Prefect global concurrency limit per host
  (`dateline-host:<host:port>`, created with `per_host` slots on first use; an operator may change it in
  the UI), taken with a lease that outlives any attempt, so a killed worker's slot frees itself. It needs
  no database, but each request makes two calls to the Prefect API: a hundred times the lock's cost
  (docs/scaling.md), which is why a lake does not use it.

A start is claimed, not reserved: a claim succeeds only once the gap since the host's last claimed start
has passed, and the request then starts at once; a refused claim tells how long to wait before asking
again. (A reservation of a time to come would let a request that then waits for this process's global
slot start late, close to the next worker's reserved start.) The claim is one atomic step on the store's
own clock, so workers whose clocks disagree still agree:

- on a lake, one statement on the unlogged table `dateline.host_pace` (host, next start, the transaction
  that claimed it) in the catalog database, created on first use (PostgreSQL 13 or later); its own schema
  keeps it apart from DuckLake's tables in `public`;
- on an embedded warehouse, a Prefect rate limit per host (`dateline-pace:<host:port>`): a limit of 1
  whose slot decays at `1/gap` per second, so it frees a gap after it was taken. It is created with the
  gap first asked for and slowed down when a longer one is (a Crawl-delay learned later), never sped up:
  when a site shortens its Crawl-delay, an operator raises the limit's decay in the UI or deletes it.

Only the gap is shared, not Retry-After: a 429/503 holds back the worker that was told.
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
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.context import SettingsContext
from prefect.exceptions import ObjectAlreadyExists
from prefect.settings import get_current_settings

from transforms.keys import stable_key

PREFIX = "dateline-host:"
PACE_PREFIX = "dateline-pace:"
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


def pace_name(host: str) -> str:
    """The rate limit that spaces a host's request starts across workers."""
    return PACE_PREFIX + host.translate(_BANNED)


class SharedHostLimits(Protocol):
    """`async with limits: ... async with limits.slot(host)`: one of the host's shared slots."""

    async def __aenter__(self) -> SharedHostLimits: ...

    async def __aexit__(self, *exc: object) -> None: ...

    def slot(self, host: str) -> AbstractAsyncContextManager[None]: ...

    async def claim_start(self, host: str, gap_s: float) -> float:
        """Claim the host's next request start for this worker, if the gap the last claim asked for has
        passed: 0.0 means claimed (start now, and no other worker may start for `gap_s`), else the seconds
        to wait before asking again. A claim, not a reservation: it never commits to a time to come."""
        ...


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


# The next allowed start of each host, on the catalog server's clock, and the transaction that claimed it;
# outside DuckLake's own tables (in `public`): one row per host ever fetched, a few dozen bytes each.
# Unlogged: a claim then commits without waiting for a WAL flush (0.2 ms rather than 3), and all a crash of
# the server can lose is when each host may next start, which the next claim writes again.
PACE_SCHEMA = "dateline"
PACE_TABLE = f"{PACE_SCHEMA}.host_pace"
_CREATE_PACE = f"""
SELECT pg_advisory_xact_lock({stable_key(PACE_TABLE)});
CREATE SCHEMA IF NOT EXISTS {PACE_SCHEMA};
CREATE UNLOGGED TABLE IF NOT EXISTS {PACE_TABLE} (
    host text PRIMARY KEY, next_start timestamptz NOT NULL, claimed_in xid8 NOT NULL
);
"""
# One atomic statement on the server's clock, so workers whose own clocks disagree still agree. It runs in
# a transaction of its own, so `now()` is one reading of that clock, taken as it starts. ON CONFLICT locks
# the host's row, which orders concurrent claims: each sees the one before it and claims only when that
# one's next start has come (a claim whose clock reading is older than the row's can never succeed). The
# row is written either way, so that it can be returned: as claimed by this transaction, or with the
# seconds left until its next start, more than 0 since it is later than this claim's reading.
_CLAIM = f"""
INSERT INTO {PACE_TABLE} AS pace (host, next_start, claimed_in)
VALUES ($1, now() + make_interval(secs => $2), pg_current_xact_id())
ON CONFLICT (host) DO UPDATE SET
    next_start = CASE WHEN pace.next_start <= now() THEN excluded.next_start ELSE pace.next_start END,
    claimed_in = CASE WHEN pace.next_start <= now() THEN excluded.claimed_in ELSE pace.claimed_in END
RETURNING CASE WHEN claimed_in = pg_current_xact_id() THEN 0.0 ELSE extract(epoch FROM next_start - now()) END::float8
"""


class PostgresHostLimits:
    """A host's `per_host` slots as PostgreSQL session advisory locks, keys `stable_key("<host>#<slot>")`,
    taken by try-lock (a busy host is polled every `POLL_S`) on a pooled connection held for the request;
    its starts claimed in the table `dateline.host_pace`, on a connection of their own."""

    def __init__(self, per_host: int, dsn: str) -> None:
        self.per_host = per_host
        self._options = _connect_options(dsn)
        self._pool: asyncpg.Pool | None = None
        # Claims take a connection of their own rather than one of the pool's: every pooled connection may
        # be holding a slot of a request that waits for its start, and the claim must not wait for them.
        self._pace: asyncpg.Connection | None = None
        self._pace_lock = asyncio.Lock()  # one statement at a time on that connection

    async def __aenter__(self) -> PostgresHostLimits:
        self._pace = await asyncpg.connect(**self._options)
        try:
            # Created only when missing: CREATE SCHEMA wants the right to create in the database even when the
            # schema exists, which a catalog role may lack once an operator has made the table. Under a lock:
            # two workers starting at once would both create the table, and one fail on a catalog unique index.
            if await self._pace.fetchval("SELECT to_regclass($1) IS NULL", PACE_TABLE):
                async with self._pace.transaction():
                    await self._pace.execute(_CREATE_PACE)
            self._pool = await asyncpg.create_pool(min_size=0, max_size=16, **self._options)
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._pace is not None:
            await self._pace.close()
            self._pace = None

    async def claim_start(self, host: str, gap_s: float) -> float:
        assert self._pace is not None, "PostgresHostLimits used outside its `async with` block"
        async with self._pace_lock:
            return await self._pace.fetchval(_CLAIM, host, gap_s)

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
        self._paces: dict[str, float] = {}  # host -> the gap its rate limit is known to keep
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

    async def _pace_of(self, client: PrefectClient, host: str, gap_s: float) -> float:
        """The gap the host's rate limit keeps, made at least `gap_s` first: created with it, or slowed to it
        when it is faster (a Crawl-delay learned since). Never sped up: another worker may know a longer
        Crawl-delay, or an operator may have slowed the site down in the UI."""
        known = self._paces.get(host)
        if known is not None and known >= gap_s:
            return known
        name = pace_name(host)
        pace = gap_s
        try:
            await client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=1, slot_decay_per_second=1 / gap_s)
            )
        except ObjectAlreadyExists:
            limit = await client.read_global_concurrency_limit_by_name(name)
            decay = limit.slot_decay_per_second or 0.0
            if limit.limit == 1 and 0 < decay <= 1 / gap_s:
                pace = 1 / decay
            else:  # one start per gap needs a limit of 1; and a decay of 0 would never free it
                await client.update_global_concurrency_limit(
                    name, GlobalConcurrencyLimitUpdate(limit=1, slot_decay_per_second=1 / gap_s)
                )
        self._paces[host] = pace
        return pace

    async def claim_start(self, host: str, gap_s: float) -> float:
        """One slot of the host's rate limit (`dateline-pace:<host:port>`: a limit of 1 whose slot decays at
        `1/gap` per second, so it frees `gap` after it was taken, on the Prefect server's clock)."""
        client = self._client
        assert client is not None, "PrefectHostLimits used outside its `async with` block"
        pace = await self._pace_of(client, host, gap_s)
        try:
            await client.increment_concurrency_slots([pace_name(host)], 1, "rate_limit")
        except httpx.HTTPStatusError as error:
            if error.response.status_code != _LOCKED:
                raise
            # Retry-After is the gap times the denials so far, jittered; the slot is free a gap after it
            # was taken at the latest
            return min(float(error.response.headers.get("Retry-After", pace)), pace)
        return 0.0
