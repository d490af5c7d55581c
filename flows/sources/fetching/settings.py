"""Knobs of the fetching layer, with defaults that are polite to news sites and safe against hostile ones.

Every bound the fetcher enforces lives here so tests and benchmarks can shrink or raise them
without monkeypatching, and so the README can state them from one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_USER_AGENT = "DatelineBot/0.1 (+https://github.com/dateline-etl/dateline; news ETL, polite crawler)"
MiB = 1024 * 1024


@dataclass(slots=True)
class FetchSettings:
    """How hard and how long the fetcher may work, per run, per host and per request.

    `deadline_s` bounds the network time of one attempt (all redirect hops, headers and the
    whole body, so a server dripping one byte a second is cut off); time spent queueing for a
    politeness slot or sleeping between retries is not counted, so a long queue behind a slow
    host never turns into spurious timeouts. Worst case per URL is therefore about
    `max_attempts * deadline_s` plus the backoff sleeps (each at most `retry_after_cap_s`).
    """

    user_agent: str = DEFAULT_USER_AGENT
    max_connections: int = 16
    per_host: int = 2
    min_delay_s: float = 0.0
    crawl_delay_cap_s: float = 60.0
    deadline_s: float = 30.0
    connect_timeout_s: float = 10.0
    max_body_bytes: int = 10 * MiB
    robots_max_bytes: int = 512 * 1024
    bomb_ratio: int = 100
    max_redirects: int = 5
    max_attempts: int = 4
    retry_after_cap_s: float = 60.0
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    backoff_jitter: float = 0.5
    robots_ttl_s: float = 24 * 3600.0
    respect_robots: bool = True
    http2: bool = True
    state_dir: Path = field(default_factory=lambda: Path("warehouse") / "state")
