"""A real HTTP/1.1 server on 127.0.0.1, in a thread, with responses scripted per test.

Tests (and bench/fetch.py) script routes with `Reply` values or handler functions: status,
headers, a body that is bytes or a lazy iterator (so a 4 GiB body is streamed, never held),
a per-chunk drip delay, chunked or declared lengths, a silent stall. The server records every
request and how many body bytes it managed to send, so tests can assert what a client did
(conditional headers, retries, Retry-After gaps, robots.txt reuse) without timing the client.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from flows.sources.fetching import Fetcher, FetchRequest, FetchResult, FetchSettings, RawArchive
from flows.sources.fetching.guard import NetworkAccess

# what a source with `allow_private_networks = true` gets: these servers listen on 127.0.0.1
LOCAL = NetworkAccess(allow_private_networks=True)


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 drops SYNs when 32 clients connect at once


@dataclass
class Reply:
    """One scripted answer. `body` may be a callable returning an iterator (lazy, re-playable)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    body: bytes | Callable[[], Iterable[bytes]] = b""
    drip_s: float = 0.0
    chunked: bool = False
    content_length: int | None = None
    stall_s: float = 0.0


@dataclass(frozen=True)
class SeenRequest:
    """What the server received: method, path with query, headers (lower-cased), arrival time."""

    method: str
    path: str
    headers: dict[str, str]
    at: float


Handler = Callable[[SeenRequest], Reply]


def repeat_bytes(block: bytes, total: int) -> Callable[[], Iterator[bytes]]:
    """A lazy body of `total` bytes made of `block` repeated: huge bodies without the memory."""

    def generate() -> Iterator[bytes]:
        sent = 0
        while sent < total:
            piece = block[: total - sent]
            sent += len(piece)
            yield piece

    return generate


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location})


class ScriptedServer:
    """`with ScriptedServer() as server: server.route("/a", Reply(...)); fetch(server.url("/a"))`."""

    def __init__(self) -> None:
        self._routes: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self.requests: list[SeenRequest] = []
        self.bytes_sent: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._httpd = _Server(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, *replies: Reply | Handler) -> None:
        """Serve `replies` in order for `path` (query included if given); the last one repeats."""
        script = list(replies)

        def handler(request: SeenRequest) -> Reply:
            with self._lock:
                step = script.pop(0) if len(script) > 1 else script[0]
            return step(request) if callable(step) else step

        self._routes[path] = handler

    def hits(self, path: str) -> list[SeenRequest]:
        return [seen for seen in self.requests if seen.path == path]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                return

            def do_GET(self) -> None:
                seen = SeenRequest("GET", self.path, {k.lower(): v for k, v in self.headers.items()}, time.time())
                with server._lock:
                    server.requests.append(seen)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                route = server._routes.get(self.path) or server._routes.get(self.path.split("?", 1)[0])
                reply = route(seen) if route else Reply(status=404, body=b"not found")
                try:
                    self._send(reply)
                except (BrokenPipeError, ConnectionResetError, TimeoutError):
                    self.close_connection = True
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _send(self, reply: Reply) -> None:
                if reply.stall_s:
                    time.sleep(reply.stall_s)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                body = reply.body
                if isinstance(body, bytes):
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self._write_all([body] if not reply.drip_s else [body[i : i + 1] for i in range(len(body))], reply)
                    return
                if reply.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                else:  # declared length (maybe a lie), or none: the body ends when we close
                    if reply.content_length is not None:
                        self.send_header("Content-Length", str(reply.content_length))
                    self.close_connection = True
                self.end_headers()
                self._write_all(body(), reply)
                if reply.chunked:
                    self.wfile.write(b"0\r\n\r\n")

            def _write_all(self, chunks: Iterable[bytes], reply: Reply) -> None:
                for chunk in chunks:
                    if reply.drip_s:
                        time.sleep(reply.drip_s)
                    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk) if reply.chunked else chunk
                    self.wfile.write(framed)
                    self.wfile.flush()
                    with server._lock:
                        server.bytes_sent[self.path] = server.bytes_sent.get(self.path, 0) + len(chunk)

        return _Handler


def fetch_all(
    settings: FetchSettings,
    *requests: FetchRequest | str,
    archive: RawArchive | None = None,
    access: NetworkAccess = LOCAL,
) -> list[FetchResult]:
    """Run one Fetcher over `requests` (URLs, fetched with `access`, or FetchRequests) and return the results."""
    wanted = [FetchRequest(r, access=access) if isinstance(r, str) else r for r in requests]

    async def run() -> list[FetchResult]:
        async with Fetcher(settings, archive) as fetcher:
            return await fetcher.fetch_many(wanted)

    return asyncio.run(run())


def fast_settings(state_dir: Path, **overrides: object) -> FetchSettings:
    """Settings that keep tests quick: short deadline and backoff, robots state in a temp dir."""
    values: dict = {
        "state_dir": state_dir,
        "deadline_s": 2.0,
        "connect_timeout_s": 1.0,
        "backoff_base_s": 0.02,
        "backoff_max_s": 0.1,
        "max_attempts": 3,
        "max_body_bytes": 1024 * 1024,
    }
    values.update(overrides)
    return FetchSettings(**values)


def refused_port() -> int:
    """A local port with nothing listening (bound then released), for 'connection refused'."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
