"""One polite HTTP client for a whole run, usable from Prefect's synchronous tasks.

The fetcher is async (one shared `httpx.AsyncClient`, so connection reuse and per-host limits
hold across every stage of the run), while the flow's tasks are plain functions. This owns an
event loop on a background thread for the run's lifetime and hands fetches to it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import CancelledError, Future
from pathlib import Path
from types import TracebackType

from flows.runtime.settings import user_agent
from flows.sources.fetching import DEFAULT_USER_AGENT, Fetcher, FetchRequest, FetchResult, FetchSettings
from flows.sources.fetching.archive import Archive
from flows.sources.fetching.client import Download
from flows.sources.fetching.shared_hosts import SharedHostLimits


def run_fetch_settings(state_dir: Path) -> FetchSettings:
    """The settings of a run's (or `dateline extract`'s) fetching: defaults, with the operator's User-Agent."""
    return FetchSettings(state_dir=state_dir, user_agent=user_agent() or DEFAULT_USER_AGENT)


class SessionCancelled(RuntimeError):
    """The session was cancelled (the run is stopping); retrying the fetch would be pointless."""


class FetchSession:
    """Context manager: `with FetchSession(settings, archive) as s: s.fetch_many([...])`."""

    def __init__(
        self, settings: FetchSettings, archive: Archive | None = None, shared: SharedHostLimits | None = None
    ) -> None:
        self._settings = settings
        self._archive = archive
        self._shared = shared
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="dateline-fetch", daemon=True)
        self._fetcher: Fetcher | None = None
        self._in_flight: set[Future] = set()
        self._cancelled = False

    def _run(self, coroutine) -> Future:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        self._in_flight.add(future)
        future.add_done_callback(self._in_flight.discard)
        return future

    def __enter__(self) -> FetchSession:
        self._thread.start()
        self._fetcher = Fetcher(self._settings, archive=self._archive, shared=self._shared)
        self._run(self._fetcher.__aenter__()).result()
        return self

    def fetch_many(self, requests: Sequence[FetchRequest]) -> list[FetchResult]:
        """Fetch concurrently (within the fetcher's limits); results come back in request order. Raises
        `SessionCancelled` once `cancel` was called."""
        if not requests:
            return []
        assert self._fetcher is not None, "FetchSession used outside its `with` block"
        if self._cancelled:
            raise SessionCancelled("the run was stopped")
        return self.wait(self._fetcher.fetch_many(requests))

    def open_download(self, request: FetchRequest) -> SessionDownload:
        """A download read a chunk at a time from synchronous code (`Fetcher.open_download`); close it when done."""
        assert self._fetcher is not None, "FetchSession used outside its `with` block"
        if self._cancelled:
            raise SessionCancelled("the run was stopped")
        return SessionDownload(self, self._run(self._fetcher.open_download(request)).result())

    def wait(self, coroutine):
        """The result of a coroutine run on the session's loop."""
        try:
            return self._run(coroutine).result()
        except CancelledError:
            raise SessionCancelled("the run was stopped") from None

    def cancel(self) -> None:
        """Abandon the fetches in flight and refuse new ones: a stopped run does not wait for slow servers."""
        self._cancelled = True
        for future in list(self._in_flight):
            future.cancel()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if error is not None:
            self.cancel()
        try:
            if self._fetcher is not None:
                self._run(self._fetcher.__aexit__(kind, error, tb)).result()
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()


class SessionDownload:
    """A `Download` driven from synchronous code: each chunk is pulled from the session's loop when asked for, so
    nothing is read ahead of the reader (the loop holds one chunk at most)."""

    def __init__(self, session: FetchSession, download: Download) -> None:
        self._session = session
        self._download = download
        self.result = download.result

    def chunks(self) -> Iterator[bytes]:
        """The body's bytes as they arrive; `DownloadError` if the download stops short."""
        while chunk := self._session.wait(self._download.next_chunk()):
            yield chunk

    def close(self) -> None:
        self._session.wait(self._download.aclose())
