"""Pure pieces of the fetcher: bounded decoders, Retry-After, backoff, binary sniffing."""

from __future__ import annotations

import asyncio
import gzip
import random
import time
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from itertools import pairwise

import brotli
import pytest
import zstandard

from flows.sources.fetching.decompress import BodyError, make_decoder
from flows.sources.fetching.models import ErrorCode
from flows.sources.fetching.politeness import HostGate
from flows.sources.fetching.retries import backoff_delay, parse_retry_after, retry_wait
from flows.sources.fetching.settings import FetchSettings
from flows.sources.fetching.sniffing import is_binary_type, looks_binary

NOW = datetime(2025, 2, 6, 12, 0, 0, tzinfo=UTC)
KiB = 1024

ENCODERS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
}


def decode_all(coding: str, raw: bytes, limit: int, chunk: int = 1000) -> bytes:
    decoder = make_decoder(coding, limit, bomb_ratio=100)
    out = [decoder.feed(raw[i : i + chunk]) for i in range(0, len(raw), chunk)]
    return b"".join([*out, decoder.finish()])


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_decoders_round_trip_and_stop_at_the_limit(coding: str) -> None:
    text = b"".join(b"<p>paragraph %d</p>" % n for n in range(5000))
    raw = ENCODERS[coding](text)
    assert decode_all(coding, raw, limit=len(text)) == text
    with pytest.raises(BodyError) as refused:
        decode_all(coding, raw, limit=len(text) - 1)
    assert refused.value.code is ErrorCode.TOO_LARGE  # ordinary ratio: too large, not a bomb


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_a_highly_compressed_overflow_is_a_bomb(coding: str) -> None:
    raw = ENCODERS[coding](b" " * (8 * 1024 * KiB))
    with pytest.raises(BodyError) as refused:
        decode_all(coding, raw, limit=256 * KiB, chunk=64 * KiB)
    assert refused.value.code is ErrorCode.DECOMPRESSION_BOMB


def test_raw_deflate_under_deflate_is_accepted_and_garbage_is_bad_encoding() -> None:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = packer.compress(b"hello raw deflate") + packer.flush()
    assert decode_all("deflate", raw, limit=KiB) == b"hello raw deflate"
    with pytest.raises(BodyError) as refused:
        decode_all("gzip", b"\x1f\x8b\x08\x00garbage-not-gzip", limit=KiB)
    assert refused.value.code is ErrorCode.BAD_ENCODING
    with pytest.raises(BodyError) as unknown:
        make_decoder("compress", KiB, 100)
    assert unknown.value.code is ErrorCode.UNSUPPORTED_ENCODING


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after("Thu, 06 Feb 2025 12:00:30 GMT", NOW) == 30.0
    assert parse_retry_after("Thu, 06 Feb 2025 11:00:00 GMT", NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


def test_retry_wait_honours_retry_after_up_to_the_cap_and_stops_at_max_attempts() -> None:
    settings = FetchSettings(max_attempts=3, retry_after_cap_s=60)
    rng = random.Random(1)
    assert retry_wait(1, "5", settings, rng, NOW) == 5.0
    assert retry_wait(1, "3600", settings, rng, NOW) is None
    assert retry_wait(3, None, settings, rng, NOW) is None


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    settings = FetchSettings(backoff_base_s=1.0, backoff_max_s=8.0, backoff_jitter=0.5)
    rng = random.Random(7)
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 8.0)]:
        delays = [backoff_delay(attempt, settings, rng) for _ in range(50)]
        assert all(base * 0.5 <= d <= base * 1.5 for d in delays) and len(set(delays)) > 1


def test_binary_sniffing() -> None:
    assert is_binary_type("application/octet-stream") and is_binary_type("image/png; q=1")
    assert not is_binary_type("text/html; charset=utf-8") and not is_binary_type(None)
    assert looks_binary(b"%PDF-1.4 ...") and looks_binary(b"PK\x03\x04...") and looks_binary(b"<p>\x00</p>")
    assert not looks_binary("<p>caf\u00e9</p>".encode("utf-16")) and not looks_binary(b"<html>")


def run_gate(gate: HostGate, hosts: list[str], hold: dict[str, float] | None = None) -> list[tuple[str, float]]:
    """Enter the gate once per host name (concurrently), holding the slot `hold[host]` seconds;
    return (host, start time) in start order."""
    starts: list[tuple[str, float]] = []

    async def enter(host: str) -> None:
        async with gate.slot(host):
            starts.append((host, time.monotonic()))
            await asyncio.sleep((hold or {}).get(host, 0.0))

    async def main() -> None:
        await asyncio.gather(*(enter(host) for host in hosts))

    asyncio.run(main())
    return starts


def test_host_delay_holds_even_when_the_global_limit_queues_requests() -> None:
    gate = HostGate(per_host=3, max_connections=1, min_delay_s=0.2)
    # "busy" holds the only global slot while a's requests queue behind it: once it is free,
    # a's requests must still start 0.2 s apart, not all at once.
    starts = [at for host, at in run_gate(gate, ["busy", "a", "a", "a"], hold={"busy": 0.5}) if host == "a"]
    assert len(starts) == 3 and all(later - earlier >= 0.2 for earlier, later in pairwise(starts))


class AnotherWorkersPace:
    """Shared host limits in which the hosts' starts are claimed in memory (`free_at`, monotonic time), as
    `shared_hosts` claims them in PostgreSQL or Prefect for every worker; `during_claim` runs while the
    first claim waits for its answer."""

    def __init__(self, free_at: dict[str, float], during_claim: Callable[[], None] = lambda: None) -> None:
        self.free_at = free_at
        self.during_claim = during_claim

    async def __aenter__(self) -> AnotherWorkersPace:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        yield

    async def claim_start(self, host: str, gap_s: float) -> float:
        self.during_claim()
        self.during_claim = lambda: None
        await asyncio.sleep(0.01)  # the round trip to the store
        wait = self.free_at.get(host, 0.0) - time.monotonic()
        if wait > 0:
            return wait
        self.free_at[host] = time.monotonic() + gap_s
        return 0.0


def test_a_start_another_worker_claimed_is_waited_for_without_holding_the_global_slot() -> None:
    began = time.monotonic()
    shared = AnotherWorkersPace({"paced": began + 0.3})  # another worker started a request there just now
    gate = HostGate(per_host=2, max_connections=1, min_delay_s=0.0, shared=shared)
    gate.set_delay("paced", 0.2)
    starts = run_gate(gate, ["paced", "paced", "other"])
    assert [host for host, _ in starts] == ["other", "paced", "paced"]
    paced = [at for host, at in starts if host == "paced"]
    assert paced[0] >= began + 0.3 and paced[1] - paced[0] >= 0.2


def test_a_retry_after_that_arrives_while_a_start_is_claimed_still_holds() -> None:
    # a 429 with Retry-After: 0.3, to another of this worker's requests to the host, answered meanwhile
    told = AnotherWorkersPace({}, lambda: gate.defer("a", 0.3))
    gate = HostGate(per_host=1, max_connections=1, min_delay_s=0.1, shared=told)
    began = time.monotonic()
    ((_, started),) = run_gate(gate, ["a"])
    assert started - began >= 0.3


def test_a_slow_host_does_not_block_other_hosts() -> None:
    gate = HostGate(per_host=2, max_connections=1, min_delay_s=0.0)
    gate.set_delay("slow", 0.5)
    order = [host for host, _ in run_gate(gate, ["slow", "slow", "fast", "fast"])]
    assert order.index("fast") < order.index("slow", 1) and order.count("fast") == 2
