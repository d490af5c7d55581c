"""The fetcher: shared httpx clients for a run, polite per host, bounded per request, never raising.

Each request goes through the same steps: URL check (http/https only, credentials taken out),
the network guard (`guard`: allowed hosts, no private addresses unless the source allows them),
robots.txt (cached, RFC 9309, fetched through the same guard), a per-host slot and start time
(`HostGate`), a global slot, then one streamed GET per redirect hop under a total network
deadline; every hop is checked again, and the connection itself is opened only to a vetted address.
Credentials travel only as the request's `access.credentials`, and only to the origin they were
configured for: never to another host a redirect or a feed item names, never from a URL's own
`user:password@` (httpx would send those as Basic auth to whatever host the URL names).
Bodies are read as raw bytes and decoded by `decompress.make_decoder` with an output cap,
because httpx's own decoding has no limit.
Failures end as a stable `FetchResult.error` code (`connect`, `dns`, `tls`, `timeout`, `http_404`...);
only connection and name errors, timeouts, 429 and 5xx are retried (see `retries`).
"""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import httpx

from flows.sources.fetching.archive import Archive, ArchiveUnavailable, PreparedFetch
from flows.sources.fetching.decompress import ACCEPT_ENCODING, BodyError, make_decoder
from flows.sources.fetching.guard import AddressRefused, GuardedTransport, NetworkAccess, proxy_mounts
from flows.sources.fetching.models import DownloadError, ErrorCode, FetchRequest, FetchResult, http_error
from flows.sources.fetching.politeness import HostGate
from flows.sources.fetching.retries import RETRYABLE_ERRORS, is_retryable_status, retry_wait
from flows.sources.fetching.robots import RobotsCache
from flows.sources.fetching.settings import FetchSettings
from flows.sources.fetching.sniffing import GZIP_FILE_TYPES, is_binary_type, looks_binary, media_type
from transforms.urls import without_userinfo

if TYPE_CHECKING:
    from flows.sources.fetching.shared_hosts import SharedHostLimits

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SNIFF_BYTES = 1024
_DISCARD_BYTES = 64 * 1024
_UNAVAILABLE = 404
_REDIRECT_FAILURES = frozenset({ErrorCode.TOO_MANY_REDIRECTS, ErrorCode.REDIRECT_LOOP, ErrorCode.BAD_SCHEME})
_GUARD_FAILURES = frozenset({ErrorCode.PRIVATE_ADDRESS, ErrorCode.HOST_NOT_ALLOWED})


class _Failure(Exception):
    """Internal: ends one attempt with an error code (and maybe a retry)."""

    def __init__(self, code: ErrorCode, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(slots=True)
class _Response:
    """The part of one HTTP exchange the fetcher keeps."""

    url: str
    status_code: int
    headers: dict[str, str]
    body: bytes | None = None
    location: str | None = None
    stream: httpx.Response | None = None  # a 2xx answer whose body the caller reads (`open_download`)


def _checked_url(url: str) -> str:
    """The URL to request, without credentials or fragment, or a `bad_url`/`bad_scheme` failure."""
    url = without_userinfo(url.strip())
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise _Failure(ErrorCode.BAD_URL, str(exc)) from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise _Failure(ErrorCode.BAD_SCHEME if parts.scheme else ErrorCode.BAD_URL, url[:200])
    if not parts.hostname:
        raise _Failure(ErrorCode.BAD_URL, url[:200])
    return parts._replace(fragment="").geturl()


def _guard(url: str, access: NetworkAccess) -> None:
    """Refuse a hop the source may not make, before robots.txt or a connection is attempted."""
    refusal = access.refusal(urlsplit(url).hostname or "")
    if refusal is not None:
        code, detail = refusal
        raise _Failure(ErrorCode(code), detail)


def _validator_headers(request: FetchRequest) -> dict[str, str]:
    """A conditional GET from the stored validators, or, for a download resumed at `start`, a range guarded by
    them (`If-Range` takes one validator: the ETag if there is one)."""
    if request.start:
        headers = {"Range": f"bytes={request.start}-"}
        guard = request.etag or request.last_modified
        return headers | ({"If-Range": guard} if guard else {})
    headers = {}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    return headers


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and the exceptions it was raised from (httpx wraps httpcore, which wraps the socket's error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _connect_code(exc: httpx.HTTPError) -> ErrorCode:
    """Which step of opening the connection failed: the name, the TLS handshake, or the connection itself."""
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return ErrorCode.DNS
        if isinstance(cause, ssl.SSLError | ssl.CertificateError):
            return ErrorCode.TLS
    return ErrorCode.CONNECT


def _transport_failure(exc: httpx.HTTPError) -> _Failure:
    """Map httpx's exception zoo onto our stable codes."""
    if isinstance(exc, httpx.ConnectTimeout):
        code = ErrorCode.DNS if any(isinstance(c, socket.gaierror) for c in _causes(exc)) else ErrorCode.TIMEOUT
    elif isinstance(exc, httpx.ConnectError):
        code = _connect_code(exc)
    elif isinstance(exc, httpx.TimeoutException):
        code = ErrorCode.TIMEOUT
    elif isinstance(exc, httpx.RemoteProtocolError | httpx.LocalProtocolError):
        code = ErrorCode.PROTOCOL
    elif isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        code = ErrorCode.BAD_URL
    else:
        code = ErrorCode.NETWORK
    return _Failure(code, f"{type(exc).__name__}: {exc}"[:300])


class Download:
    """A 2xx answer whose body the caller reads a chunk at a time, as sent (no content coding asked for): a web
    archive of gigabytes is never held whole. `result` has the status, headers and validators, and no body
    (or the reason there is no download: `result.error`)."""

    def __init__(self, result: FetchResult, response: httpx.Response | None) -> None:
        self.result = result
        self._response = response
        self._chunks = response.aiter_raw() if response is not None else None

    async def next_chunk(self) -> bytes:
        """The next bytes of the body, b"" at its end; `DownloadError` if it stops short."""
        if self._chunks is None:
            return b""
        try:
            chunk = await anext(self._chunks, b"")
        except httpx.HTTPError as exc:
            failure = _transport_failure(exc)
            raise DownloadError(failure.code, failure.detail) from exc
        self.result.bytes += len(chunk)
        return chunk

    async def aclose(self) -> None:
        if self._response is not None:
            await self._response.aclose()
            self._response = self._chunks = None


class Fetcher:
    """Fetch many URLs politely and safely: `async with Fetcher(settings) as f: await f.fetch_many(reqs)`."""

    def __init__(
        self, settings: FetchSettings, archive: Archive | None = None, shared: SharedHostLimits | None = None
    ) -> None:
        self.settings = settings
        self.archive = archive
        # two pools, so a connection opened for a source allowed on private networks never serves another source
        self._guarded: httpx.AsyncClient | None = None
        self._open: httpx.AsyncClient | None = None
        self._shared = shared
        self._gate = HostGate(settings.per_host, settings.max_connections, settings.min_delay_s, shared=shared)
        self._robots = RobotsCache(settings.state_dir, settings.robots_ttl_s, self._fetch_robots)
        self._rng = random.Random()

    async def __aenter__(self) -> Fetcher:
        limits = httpx.Limits(
            max_connections=self.settings.max_connections,
            max_keepalive_connections=self.settings.max_connections,
        )
        common = {
            "http2": self.settings.http2,
            "trust_env": True,
            "follow_redirects": False,
            "limits": limits,
            "timeout": httpx.Timeout(self.settings.deadline_s, connect=self.settings.connect_timeout_s, pool=None),
            "headers": {"User-Agent": self.settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        }
        self._guarded = httpx.AsyncClient(
            transport=GuardedTransport(http2=self.settings.http2, limits=limits),
            mounts=proxy_mounts(self.settings.http2, limits),
            **common,
        )
        self._open = httpx.AsyncClient(**common)
        if self._shared is not None:
            await self._shared.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for client in (self._guarded, self._open):
            if client is not None:
                await client.aclose()
        self._guarded = self._open = None
        if self._shared is not None:
            await self._shared.__aexit__(exc_type, exc, tb)

    async def fetch_many(self, requests: Sequence[FetchRequest]) -> list[FetchResult]:
        """Fetch all requests concurrently within the limits; one result per request, in input order.

        The batch's bodies are committed to the archive in one transaction before this returns, so
        every `archive_key` a caller sees is durable, at one fsync per batch rather than per page.
        """
        fetched = await asyncio.gather(*(self._fetch_one(request) for request in requests))
        await self._archive(fetched)
        return [result for result, _ in fetched]

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch one request (a batch of one); never raises for a bad URL or a bad response."""
        return (await self.fetch_many([request]))[0]

    async def open_download(self, request: FetchRequest) -> Download:
        """A download to read as it arrives, through the same guard, credentials, robots.txt, redirects and
        retries as any fetch; its body has no size cap, and no total deadline (each read has the network
        timeout). The caller closes it (`Download.aclose`)."""
        result = FetchResult(url=without_userinfo(request.url))
        response = None
        try:
            response = await self._fetch_with_retries(request, result, keep_open=True)
        except _Failure as failure:
            result.error, result.detail = failure.code.value, failure.detail or None
        except Exception as exc:  # a bug must cost one download, not the run
            result.error, result.detail = ErrorCode.INTERNAL.value, f"{type(exc).__name__}: {exc}"[:300]
        return Download(result, response.stream if response is not None else None)

    async def _fetch_one(self, request: FetchRequest) -> tuple[FetchResult, PreparedFetch | None]:
        """One request's result, with its body hashed and compressed for the archive (not yet stored)."""
        result = FetchResult(url=without_userinfo(request.url))
        try:
            await self._fetch_with_retries(request, result)
        except _Failure as failure:
            result.error, result.detail = failure.code.value, failure.detail or None
        except Exception as exc:  # a bug must cost one URL, not the run
            result.error, result.detail = ErrorCode.INTERNAL.value, f"{type(exc).__name__}: {exc}"[:300]
        if result.error is not None:
            result.body = None
        if result.body is None or self.archive is None:
            return result, None
        prepared = await asyncio.to_thread(
            self.archive.prepare,
            url=result.url,
            final_url=result.final_url,
            status_code=result.status_code,
            headers=result.headers,
            body=result.body,
            fetched_at=datetime.now(UTC),
        )
        return result, prepared

    async def _fetch_with_retries(
        self, request: FetchRequest, result: FetchResult, keep_open: bool = False
    ) -> _Response | None:
        """The final response (its body read, or left open with `keep_open`), once retries are over."""
        url = _checked_url(request.url)
        while True:
            result.attempts += 1
            retry_after = None
            response = None
            try:
                response = await self._follow(
                    url, request, request.access, result, self.settings.max_body_bytes, keep_open=keep_open
                )
            except _Failure as failure:
                if failure.code not in RETRYABLE_ERRORS:
                    raise
                last_failure: _Failure | None = failure
            else:
                self._fill(result, response, request)
                if not is_retryable_status(response.status_code):
                    return response
                retry_after = response.headers.get("retry-after")
                last_failure = None
            wait = retry_wait(result.attempts, retry_after, self.settings, self._rng, datetime.now(UTC))
            if wait is None:
                if last_failure is not None:
                    raise last_failure
                return response
            if retry_after is not None and result.final_url:
                self._gate.defer(_host(result.final_url), wait)
            await asyncio.sleep(wait)

    def _fill(self, result: FetchResult, response: _Response, request: FetchRequest) -> None:
        """Copy the final response into the result; statuses without a document become `http_<status>`."""
        headers = response.headers
        result.final_url = response.url
        result.status_code = response.status_code
        result.headers = headers
        result.content_type = headers.get("content-type")
        result.body = response.body
        result.not_modified = response.status_code == 304
        result.etag = headers.get("etag") or (request.etag if result.not_modified else None)
        result.last_modified = headers.get("last-modified") or (request.last_modified if result.not_modified else None)
        status = response.status_code
        result.error = http_error(status) if status >= 400 or (300 <= status < 400 and status != 304) else None

    async def _follow(
        self,
        url: str,
        request: FetchRequest | None,
        access: NetworkAccess,
        result: FetchResult,
        limit: int,
        *,
        lenient: bool = False,
        keep_open: bool = False,
    ) -> _Response:
        """One attempt: follow up to `max_redirects` hops, all within one network deadline, each one guarded."""
        seen = {url}
        remaining = self.settings.deadline_s
        for _ in range(self.settings.max_redirects + 1):
            _guard(url, access)
            if request is not None:
                await self._obey_robots(url, access)
            async with self._gate.slot(_host(url)):
                started = time.perf_counter()
                try:
                    async with asyncio.timeout(max(remaining, 0.0)):
                        response = await self._exchange(url, request, access, result, limit, lenient, keep_open)
                except TimeoutError as exc:
                    detail = f"no complete answer within {self.settings.deadline_s}s"
                    raise _Failure(ErrorCode.TIMEOUT, detail) from exc
                finally:
                    spent = time.perf_counter() - started
                    remaining -= spent
                    result.elapsed_ms += round(spent * 1000)
            if response.location is None:
                return response
            target = urljoin(url, response.location)
            if urlsplit(target).scheme.lower() not in ("http", "https"):
                raise _Failure(ErrorCode.BAD_SCHEME, f"redirect to {without_userinfo(target)[:200]}")
            target = _checked_url(target)
            if target in seen:
                raise _Failure(ErrorCode.REDIRECT_LOOP, f"{url} -> {target}")
            seen.add(target)
            url = target
        raise _Failure(ErrorCode.TOO_MANY_REDIRECTS, f"more than {self.settings.max_redirects} redirects")

    async def _obey_robots(self, url: str, access: NetworkAccess) -> None:
        if not self.settings.respect_robots:
            return
        policy = await self._robots.policy(url, access)
        delay = policy.crawl_delay(self.settings.user_agent)
        if delay is not None:
            self._gate.set_delay(_host(url), min(delay, self.settings.crawl_delay_cap_s))
        if not policy.can_fetch(url, self.settings.user_agent):
            raise _Failure(ErrorCode.ROBOTS_DISALLOWED, url[:200])

    async def _fetch_robots(self, robots_url: str, access: NetworkAccess) -> tuple[int | None, bytes | None]:
        """robots.txt itself: no retries, redirects followed, body truncated to `robots_max_bytes`.

        Per RFC 9309 a redirect chain that goes wrong means "unavailable" (like a 4xx: no rules); a
        5xx or 429 means "unreachable" (disallow for now). A failure to reach the origin at all (no
        connection, DNS, TLS, timeout) is raised instead, as is a hop the network guard refuses: the
        page behind it would not be reached either, so it fails with that reason (`connect`, `dns`,
        ...) rather than a robots verdict for a page nobody saw, and is retried like any such failure.
        """
        scratch = FetchResult(url=robots_url)
        limit = self.settings.robots_max_bytes
        try:
            response = await self._follow(robots_url, None, access, scratch, limit, lenient=True)
        except _Failure as failure:
            if failure.code in _REDIRECT_FAILURES:
                return _UNAVAILABLE, None
            raise _Failure(failure.code, f"robots.txt: {failure.detail}") from None
        return response.status_code, response.body

    async def _exchange(
        self,
        url: str,
        request: FetchRequest | None,
        access: NetworkAccess,
        result: FetchResult,
        limit: int,
        lenient: bool,
        keep_open: bool = False,
    ) -> _Response:
        client = self._open if access.allow_private_networks else self._guarded
        if client is None:
            raise RuntimeError("Fetcher used outside `async with`")
        headers = {}
        authorization = access.credentials.header_for(url) if access.credentials else None
        if authorization is not None:
            headers["Authorization"] = authorization
        if request is not None:
            headers |= _validator_headers(request)
        if keep_open:
            headers["Accept-Encoding"] = "identity"  # byte offsets must be the file's own
        try:
            http_response = await client.send(client.build_request("GET", url, headers=headers), stream=True)
            try:
                response = _Response(url, http_response.status_code, dict(http_response.headers.items()))
                if 200 <= response.status_code < 300:
                    if keep_open:
                        response.stream = http_response
                    else:
                        response.body = await self._read_body(http_response, result, limit, lenient)
                    return response
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    response.location = response.headers["location"]
                await self._discard_body(http_response, result)
                return response
            finally:
                if not keep_open or response.stream is None:
                    await http_response.aclose()
        except AddressRefused as exc:
            raise _Failure(ErrorCode.PRIVATE_ADDRESS, str(exc)[:300]) from exc
        except httpx.HTTPError as exc:
            raise _transport_failure(exc) from exc

    @staticmethod
    async def _discard_body(http_response: httpx.Response, result: FetchResult) -> None:
        """Read and drop a small body (304, redirect, error page) so the connection can be reused.

        A body over `_DISCARD_BYTES` is abandoned instead: the connection is closed, which costs
        a reconnect but never reading a hostile error page in full.
        """
        discarded = 0
        async for chunk in http_response.aiter_raw():
            discarded += len(chunk)
            if discarded > _DISCARD_BYTES:
                break
        result.bytes += discarded

    async def _read_body(self, http_response: httpx.Response, result: FetchResult, limit: int, lenient: bool) -> bytes:
        """Stream raw bytes through a bounded decoder; refuse binary and oversize bodies early.

        `lenient` (robots.txt) keeps the first `limit` bytes of an oversize body and skips the
        binary checks: robots files are often served as application/octet-stream.
        """
        content_type = http_response.headers.get("content-type")
        if not lenient and is_binary_type(content_type):
            raise _Failure(ErrorCode.BINARY_CONTENT, media_type(content_type))
        coding = http_response.headers.get("content-encoding")
        if coding is None and media_type(content_type) in GZIP_FILE_TYPES:
            coding = "gzip"
        declared = http_response.headers.get("content-length", "")
        if coding is None and not lenient and declared.isdigit() and int(declared) > limit:
            raise _Failure(ErrorCode.TOO_LARGE, f"Content-Length {declared} over {limit}")
        parts: list[bytes] = []
        size = 0
        sniffed = lenient
        try:
            decoder = make_decoder(coding, limit, self.settings.bomb_ratio)
            async for chunk in http_response.aiter_raw():
                result.bytes += len(chunk)
                out = decoder.feed(chunk)
                parts.append(out)
                size += len(out)
                if not sniffed and size >= _SNIFF_BYTES:
                    self._sniff(parts)
                    sniffed = True
            parts.append(decoder.finish())
        except BodyError as exc:
            if lenient and exc.code is ErrorCode.TOO_LARGE:
                return b"".join(parts)
            raise _Failure(exc.code, exc.detail) from exc
        if not sniffed:
            self._sniff(parts)
        return b"".join(parts)

    @staticmethod
    def _sniff(parts: list[bytes]) -> None:
        if looks_binary(b"".join(parts)[:_SNIFF_BYTES]):
            raise _Failure(ErrorCode.BINARY_CONTENT, "binary signature in body")

    async def _archive(self, fetched: Sequence[tuple[FetchResult, PreparedFetch | None]]) -> None:
        """Store a batch's bodies and only then hand out their keys; a full disk costs the archive copies,
        not the fetched documents."""
        kept = [(result, prepared) for result, prepared in fetched if prepared is not None]
        if not kept:
            return
        assert self.archive is not None
        try:
            await asyncio.to_thread(self.archive.store, [prepared for _, prepared in kept])
        except ArchiveUnavailable as exc:
            for result, _ in kept:
                result.detail = f"archive failed: {exc}"[:300]
            return
        for result, prepared in kept:
            result.archive_key = prepared.key
