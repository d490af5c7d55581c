"""When to try again and how long to wait: exponential backoff with jitter, honouring Retry-After.

Only failures that a later attempt can fix are retried: connection errors, timeouts, 429 and
5xx. Any other 4xx is the server's final word. A server that asks (Retry-After) for a pause
longer than `retry_after_cap_s` is not retried in this run at all: waiting less than it asked
would be rude, waiting longer would stall the run.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from flows.sources.fetching.models import ErrorCode
from flows.sources.fetching.settings import FetchSettings

# a name that does not resolve may be a resolver's hiccup; a TLS failure (certificate, protocol) is final
RETRYABLE_ERRORS = frozenset(
    {ErrorCode.TIMEOUT, ErrorCode.CONNECT, ErrorCode.DNS, ErrorCode.NETWORK, ErrorCode.PROTOCOL}
)


def is_retryable_status(status_code: int) -> bool:
    """429 Too Many Requests and server errors may pass; other statuses will not change."""
    return status_code == 429 or 500 <= status_code <= 599


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, settings: FetchSettings, rng: random.Random) -> float:
    """Exponential backoff after `attempt` failed tries, spread by ±jitter so clients do not sync up."""
    base = min(settings.backoff_max_s, settings.backoff_base_s * 2 ** (attempt - 1))
    spread = settings.backoff_jitter * base
    return max(0.0, base + rng.uniform(-spread, spread))


def retry_wait(
    attempt: int, retry_after: str | None, settings: FetchSettings, rng: random.Random, now: datetime
) -> float | None:
    """Seconds to sleep before the next try, or None when no further try should be made."""
    if attempt >= settings.max_attempts:
        return None
    asked = parse_retry_after(retry_after, now)
    if asked is None:
        return backoff_delay(attempt, settings, rng)
    if asked > settings.retry_after_cap_s:
        return None
    return asked
