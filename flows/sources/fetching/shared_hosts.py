"""Per-host politeness across workers: one Prefect global concurrency limit per host.

`HostGate` keeps one process's requests to a host within `per_host`; two workers fetching sources of
the same site would each stay within it and together double it. Runs started by Prefect workers
already share a Prefect server, so the limit across them is a Prefect global concurrency limit named
`dateline-host:<host:port>` with `per_host` slots, created on first use (an operator may raise or lower
it in the UI; the existing limit is kept). A request holds one slot, with a lease, for exactly as long
as `HostGate` holds its own host slot. Prefect was chosen over a PostgreSQL advisory lock or a slot table
because it works for every warehouse (an embedded one has no PostgreSQL) and because its leases expire
on their own: a worker killed mid-request holds its slot for at most `LEASE_S`, never for ever.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.asyncio import concurrency
from prefect.exceptions import ObjectAlreadyExists

PREFIX = "dateline-host:"
# A slot is held for one attempt's network time (`FetchSettings.deadline_s`, 30 s by default) at most; the
# lease outlives that, and Prefect renews it while the request runs.
LEASE_S = 120.0
_BANNED = str.maketrans({c: "_" for c in "/%&<>"})  # characters Prefect refuses in a limit's name


def limit_name(host: str) -> str:
    """The global concurrency limit of a host (`host:port`, as `HostGate` keys it)."""
    return PREFIX + host.translate(_BANNED)


class SharedHostLimits:
    """`async with limits.slot(host)`: one of the host's `per_host` slots shared by every worker of the
    Prefect server this process talks to (`PREFECT_API_URL`)."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self._known: set[str] = set()

    async def _ensure(self, name: str) -> None:
        if name in self._known:
            return
        # another worker made it first, or an operator set a value of their own: the existing one holds
        new = GlobalConcurrencyLimitCreate(name=name, limit=self.per_host)
        async with get_client() as client:
            with suppress(ObjectAlreadyExists):
                await client.create_global_concurrency_limit(new)
        self._known.add(name)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        name = limit_name(host)
        await self._ensure(name)
        async with concurrency(name, occupy=1, lease_duration=LEASE_S, strict=True):
            yield
