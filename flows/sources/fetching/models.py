"""What the caller hands the fetcher and what it gets back: plain data, one result per request.

`FetchResult.error` is a short stable code (see `ErrorCode`) that lands in `etl_fetch.error`,
so analysts can group failures without parsing free text.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from flows.sources.fetching.guard import PUBLIC_ONLY, NetworkAccess


class ErrorCode(StrEnum):
    """Why a fetch produced no usable body.

    Final HTTP statuses that carry no document are reported as `http_<status>`: every 4xx and
    5xx, and a 3xx other than 304 that could not be followed (no Location header).
    """

    TIMEOUT = "timeout"
    CONNECT = "connect"
    DNS = "dns"
    TLS = "tls"
    NETWORK = "network"
    PROTOCOL = "protocol"
    TOO_LARGE = "too_large"
    DECOMPRESSION_BOMB = "decompression_bomb"
    BAD_ENCODING = "bad_encoding"
    UNSUPPORTED_ENCODING = "unsupported_encoding"
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    BAD_SCHEME = "bad_scheme"
    BAD_URL = "bad_url"
    BINARY_CONTENT = "binary_content"
    ROBOTS_DISALLOWED = "robots_disallowed"
    PRIVATE_ADDRESS = "private_address"
    HOST_NOT_ALLOWED = "host_not_allowed"
    INTERNAL = "internal"


def http_error(status_code: int) -> str:
    """The error code of a final HTTP error status, e.g. `http_404`."""
    return f"http_{status_code}"


@dataclass(slots=True)
class FetchRequest:
    """One URL to fetch, with the validators stored from its previous fetch (for a conditional GET), and
    where its source lets it go (`access`: public hosts only unless the source says otherwise).

    `start` resumes a streamed download (`Fetcher.open_download`) at that byte: it is asked for with
    `Range`, and the validators then guard the resumption (`If-Range`: the server sends the whole file
    again if it is no longer the one they name) instead of making the request conditional."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    access: NetworkAccess = PUBLIC_ONLY
    start: int = 0


@dataclass(slots=True)
class FetchResult:
    """What happened to one request. Never raised: failures are `error` codes.

    `url` is the request's URL without credentials (as every URL a result carries: they are stored and logged).
    `body` is the decoded (decompressed) body, at most `max_body_bytes`, only for 2xx answers.
    `bytes` counts body bytes received on the wire (before decompression): what the fetch
    cost the site. `elapsed_ms` is network time summed over attempts (queueing and backoff
    excluded). `attempts` counts tries of the whole redirect chain (1 = no retry). On a 304,
    `not_modified` is True, `body` is None and the validators are carried over from the request
    when the server does not repeat them, so they can be stored back unchanged.
    """

    url: str
    final_url: str | None = None
    status_code: int | None = None
    body: bytes | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    elapsed_ms: int = 0
    bytes: int = 0
    attempts: int = 0
    not_modified: bool = False
    error: str | None = None
    detail: str | None = None
    archive_key: str | None = None

    def log_entry(self) -> FetchResult:
        """This result without its body: what the fetch log keeps, so a run does not hold every page it fetched."""
        return replace(self, body=None)


class DownloadError(Exception):
    """A streamed download that stopped before its end (the connection dropped, the server went quiet)."""

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(f"{code.value}: {detail}")
        self.code = code
        self.detail = detail
