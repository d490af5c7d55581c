"""Per-host politeness across workers: two fetch sessions that know nothing of each other (each its own
event loop and `HostGate`, as in two worker processes), fetching pages of one slow site from a real HTTP
server on 127.0.0.1 that counts the requests it is answering at once, together never exceed the site's
`per_host` limit when they share it, through the real PostgreSQL (a lake's catalog) or a real Prefect API
(an embedded warehouse); without it they do (the check can fail). Likewise for the gap between request
starts: on a quick site with a gap (`min_delay_s`, or a robots.txt Crawl-delay), the arrival times the
server records are a gap apart across both sessions when they share it (less the time a request may take to
arrive after its claimed start), and closer without. The same limit held across two real `prefect worker`
processes on a lake is in tests/test_workers.py."""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from prefect.client.orchestration import get_client

from flows.sources.fetching import FetchRequest, FetchResult
from flows.sources.fetching.session import FetchSession
from flows.sources.fetching.shared_hosts import (
    PostgresHostLimits,
    PrefectHostLimits,
    SharedHostLimits,
    limit_name,
    pace_name,
    shared_host_limits,
)
from tests.http_fixtures import LOCAL, Reply, ScriptedServer, fast_settings
from tests.test_ducklake import PG_HOST, PG_PORT, _admin, _postgres_up

PER_HOST = 2
PAGES = 8
# The paced site: each worker fetches PACED_PAGES pages of it with this gap between starts (min_delay_s).
GAP_S = 0.25
PACED_PAGES = 4
# How much later than its claimed start a request may reach the site: a start is claimed on the store's
# clock, and each worker's request then takes its own time to arrive (the claim's answer, a connection, and
# on a loaded machine the scheduler, which has held one back for more than 50 ms). Two arrivals are at least
# the gap minus this apart, and n arrivals span at least n-1 gaps minus this once.
JITTER_S = 0.1
PG_DSN = f"dbname=test host={PG_HOST} port={PG_PORT} user=postgres"


@pytest.fixture(params=["postgres", "prefect"])
def make_limits(request: pytest.FixtureRequest) -> Callable[[], SharedHostLimits]:
    """The shared limits of a lake (its catalog's PostgreSQL) or of an embedded warehouse (Prefect)."""
    if request.param == "prefect":
        request.getfixturevalue("prefect_api")  # in this thread's settings only, as in a flow run
        return lambda: PrefectHostLimits(PER_HOST)
    if not _postgres_up():
        pytest.skip(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}")
    return lambda: PostgresHostLimits(PER_HOST, PG_DSN)


def slow_site() -> ScriptedServer:
    server = ScriptedServer()
    for page in range(PAGES):
        server.route(f"/story/{page}", Reply(body=b"<html><body>story</body></html>", stall_s=0.3))
    return server


def paced_site(crawl_delay: int | None = None) -> ScriptedServer:
    """A quick site, so that only the gap spaces the requests out; with a robots.txt Crawl-delay if given."""
    server = ScriptedServer()
    for page in range(PACED_PAGES):
        server.route(f"/story/{page}", Reply(body=b"<html><body>story</body></html>"))
    robots = f"User-agent: *\nCrawl-delay: {crawl_delay}\n" if crawl_delay is not None else "User-agent: *\n"
    server.route("/robots.txt", Reply(headers={"Content-Type": "text/plain"}, body=robots.encode()))
    return server


def two_workers(
    server: ScriptedServer,
    tmp_path: Path,
    make_limits: Callable[[], SharedHostLimits] | None,
    pages: int = PAGES,
    **settings: object,
) -> list[FetchResult]:
    """Two sessions, each fetching every page, at once; the results of both."""
    results: list[FetchResult] = []

    def worker(name: str, limits: SharedHostLimits | None) -> None:
        options: dict[str, object] = {"per_host": PER_HOST, "respect_robots": False, "deadline_s": 10.0} | settings
        settings_of_worker = fast_settings(tmp_path / name, **options)
        requests = [FetchRequest(server.url(f"/story/{page}"), access=LOCAL) for page in range(pages)]
        with FetchSession(settings_of_worker, None, limits) as session:
            results.extend(session.fetch_many(requests))

    # built here and used on each session's own loop thread, as a flow run builds them for its fetcher
    threads = [
        threading.Thread(target=worker, args=(name, make_limits() if make_limits else None)) for name in ("a", "b")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_workers_together_stay_within_the_sites_limit(
    make_limits: Callable[[], SharedHostLimits], tmp_path: Path
) -> None:
    with slow_site() as server:
        results = two_workers(server, tmp_path, make_limits)
        host = urlsplit(server.url("/")).netloc
    assert [r.status_code for r in results] == [200] * 2 * PAGES
    assert len(server.requests) == 2 * PAGES
    assert 1 <= server.max_in_flight <= PER_HOST
    if isinstance(make_limits(), PrefectHostLimits):  # on the API of the flow run, not a private one

        async def limit_of_the_site() -> int:
            async with get_client() as client:
                return (await client.read_global_concurrency_limit_by_name(limit_name(host))).limit

        assert asyncio.run(limit_of_the_site()) == PER_HOST


def test_without_the_shared_limit_two_workers_exceed_it(tmp_path: Path) -> None:
    with slow_site() as server:
        results = two_workers(server, tmp_path, None)
    assert [r.status_code for r in results] == [200] * 2 * PAGES
    assert server.max_in_flight > PER_HOST


def gaps_between_starts(server: ScriptedServer, path_prefix: str = "/") -> list[float]:
    """The time between consecutive arrivals at the site of the requests whose path starts so."""
    starts = sorted(seen.at for seen in server.requests if seen.path.startswith(path_prefix))
    return [later - earlier for earlier, later in itertools.pairwise(starts)]


def test_two_workers_together_keep_the_gap_between_starts(
    make_limits: Callable[[], SharedHostLimits], tmp_path: Path
) -> None:
    with paced_site() as server:
        results = two_workers(server, tmp_path, make_limits, pages=PACED_PAGES, min_delay_s=GAP_S)
    assert [r.status_code for r in results] == [200] * 2 * PACED_PAGES
    gaps = gaps_between_starts(server)
    assert len(gaps) == 2 * PACED_PAGES - 1
    assert min(gaps) >= GAP_S - JITTER_S, gaps
    assert sum(gaps) >= len(gaps) * GAP_S - JITTER_S, gaps


def test_without_the_shared_limit_two_workers_start_closer_than_the_gap(tmp_path: Path) -> None:
    with paced_site() as server:
        results = two_workers(server, tmp_path, None, pages=PACED_PAGES, min_delay_s=GAP_S)
    assert [r.status_code for r in results] == [200] * 2 * PACED_PAGES
    # each worker keeps the gap on its own, so two of them interleave: 8 starts in about 3 gaps' time
    gaps = gaps_between_starts(server)
    assert sum(gaps) < len(gaps) * GAP_S - JITTER_S, gaps


def test_a_crawl_delay_learned_from_robots_txt_holds_across_workers(
    make_limits: Callable[[], SharedHostLimits], tmp_path: Path
) -> None:
    """robots.txt is fetched with the configured gap, the pages then with the site's longer Crawl-delay: the
    shared pace follows it (on Prefect, the rate limit is slowed down once it is learned)."""
    with paced_site(crawl_delay=1) as server:
        results = two_workers(server, tmp_path, make_limits, pages=2, min_delay_s=GAP_S, respect_robots=True)
        host = urlsplit(server.url("/")).netloc
    assert [r.status_code for r in results] == [200] * 4
    assert len(server.hits("/robots.txt")) == 2  # one per worker: their caches are their own
    assert min(gaps_between_starts(server)) >= GAP_S - JITTER_S
    assert min(gaps_between_starts(server, "/story/")) >= 1.0 - JITTER_S
    if isinstance(make_limits(), PrefectHostLimits):

        async def pace_of_the_site() -> tuple[int, float | None]:
            async with get_client() as client:
                limit = await client.read_global_concurrency_limit_by_name(pace_name(host))
                return limit.limit, limit.slot_decay_per_second

        assert asyncio.run(pace_of_the_site()) == (1, 1.0)  # one start per Crawl-delay


def test_workers_starting_at_once_on_a_new_catalog_create_its_pace_table_and_one_claims_the_start() -> None:
    """CREATE ... IF NOT EXISTS from several sessions at once can fail on a catalog unique index; the
    table's creation is serialised. Then one claim of a host's start wins and the others wait the gap."""
    if not _postgres_up():
        pytest.skip(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}")
    name = f"dateline_pace_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f"CREATE DATABASE {name}"))

    async def start_at_once() -> list[float]:
        dsn = f"dbname={name} host={PG_HOST} port={PG_PORT} user=postgres"
        workers = [PostgresHostLimits(PER_HOST, dsn) for _ in range(8)]
        await asyncio.gather(*(worker.__aenter__() for worker in workers))
        try:
            return sorted(await asyncio.gather(*(worker.claim_start("news.example:443", 60.0) for worker in workers)))
        finally:
            await asyncio.gather(*(worker.__aexit__() for worker in workers))

    try:
        waits = asyncio.run(start_at_once())
    finally:
        asyncio.run(_admin(f"DROP DATABASE {name} WITH (FORCE)"))
    assert waits[0] == 0.0
    assert all(59.0 < wait < 61.0 for wait in waits[1:]), waits  # by their own reading of the clock


def test_a_host_s_limit_is_named_for_it_and_created_once(prefect_api: None) -> None:

    limits = PrefectHostLimits(3)

    async def use_twice() -> int:
        async with limits:
            for _ in range(2):
                async with limits.slot("news.example:8443"):
                    pass
        async with get_client() as client:
            return (await client.read_global_concurrency_limit_by_name(limit_name("news.example:8443"))).limit

    assert asyncio.run(use_twice()) == 3
    assert limit_name("[fe80::1%eth0]:80") == "dateline-host:[fe80::1_eth0]:80"


def test_a_lake_shares_its_hosts_through_its_catalog_an_embedded_warehouse_through_prefect() -> None:
    assert isinstance(shared_host_limits(2, PG_DSN), PostgresHostLimits)
    assert isinstance(shared_host_limits(2, None), PrefectHostLimits)
