"""The chunk loop every run shares (ingest from sources, reparse from the archive): read (fetch and parse)
one chunk ahead, then normalise and load chunk by chunk, in order.

Work moves in chunks of documents, each fetched, parsed, normalised and merged in its own
transaction, so memory stays flat however large the run, Prefect sees a handful of task runs per
chunk (never one per story), and a killed run loses at most the chunk in flight. HTTP validators
are stored with the run's last load, so a crash can never leave a feed marked "not modified"
while its stories were not loaded.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from prefect import get_run_logger
from prefect.utilities.annotations import quote

from flows.pipeline.enrich import enrich_records
from flows.pipeline.fetch import ChunkInput
from flows.pipeline.progress import run_progress
from flows.pipeline.stops import stop_deferred
from flows.pipeline.summary import RunSummary
from flows.runtime.settings import lake_catalog
from flows.sources.discover import Discovery, WorkChunk, WorkItem
from flows.sources.fetching import FetchResult
from flows.sources.fetching.session import FetchSession
from flows.tasks import fetch_chunk, load_task, normalise_task, parse_chunk
from transforms.enrich import Enrichment
from transforms.etl_rows import http_state_rows
from transforms.record import StoryRecord
from transforms.star import Reject
from warehouse.staging import StagingWarehouse

R = TypeVar("R")

CHUNK_SIZE = 500
# A lake commit costs about the same whatever its size (each statement of a merge reads the catalog and the
# tables' files, under the lake's one write lock), so on a lake fewer, larger chunks load several times faster
# (docs/scaling.md); the embedded file keeps small chunks, which keep a run's memory low.
LAKE_CHUNK_SIZE = 2000


def chunk_size_for(location: str, requested: int | None) -> int:
    """Documents per chunk for a run on the warehouse at `location`: `requested`, else its backend's default."""
    if requested:
        return requested
    return LAKE_CHUNK_SIZE if lake_catalog(location) else CHUNK_SIZE


def take_chunks(items: list[WorkItem], size: int) -> Iterator[WorkChunk]:
    """Chunks of `items`, each removed from the list as it is handed out, so a long list is not held
    whole until its last chunk (at least one chunk, possibly empty)."""
    while True:
        chunk = WorkChunk(items[:size])
        del items[:size]
        yield chunk
        if not items:
            return


@dataclass(slots=True)
class ReadChunk:
    """A chunk fetched and parsed, its enrichment under way: what normalising and loading start from."""

    fetched: ChunkInput
    records: list[StoryRecord]
    parse_rejects: list[Reject]
    on_loaded: list[Callable[[], None]]
    enrichment: Future[Enrichment | None]


def _read_chunk(chunk: WorkChunk, session: FetchSession | None, seen_at: datetime) -> ReadChunk:
    fetched = fetch_chunk(quote(chunk.items), session)
    records, parse_rejects = parse_chunk(quote(fetched))
    for document in fetched.documents:  # parsed: the pages are not needed to normalise and load
        document.content = b""
        document.item.prefetched = None
    enrichment = _in_background(enrich_records, records, seen_at)
    return ReadChunk(fetched, records, parse_rejects, chunk.on_loaded, enrichment)


def _in_background(function: Callable[..., R], *args: object) -> Future[R]:
    """`function(*args)` on a thread of its own, in this context (the flow run's). A daemon thread, so that a
    stopped run exits without waiting for it, as it did when the flow's own thread was the one enriching."""
    future: Future[R] = Future()

    def run() -> None:
        future.set_running_or_notify_cancel()
        try:
            future.set_result(function(*args))
        except BaseException as error:  # handed to whoever asks for the result
            future.set_exception(error)

    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(run,), name="dateline-enrich", daemon=True).start()
    return future


def _read_ahead(
    chunks: Iterable[WorkChunk], session: FetchSession | None, seen_at: datetime
) -> Iterator[tuple[ReadChunk, bool]]:
    """Each chunk fetched and parsed, its enrichment begun, and whether it is the last (there is always at least
    one, possibly empty, so a run with nothing new still records its fetches and validators).

    The next chunk is fetched and parsed on a thread of its own while this one is normalised and
    loaded, so the workers parse while the flow's process fetches and merges, rather than one stage
    waiting for another (measured at 10k stories: fetching was a third of the run, loading a tenth).
    Its enrichment starts on the workers as soon as it is parsed (another thread), not when the flow's process
    gets to normalising it: the workers go from parsing a chunk straight to enriching it while the flow's
    process still merges the chunk before, instead of waiting, idle, for that merge and for the Prefect task
    and warehouse reads that open the next chunk's normalising.
    Normalising and loading stay in chunk order, so wire copies are linked against every earlier
    chunk. One chunk is read ahead: at most two chunks' pages are in memory. Discovery streams: pulling
    the next chunk may read the next feed, sitemap child or WARC records, on this (the flow's) thread."""
    iterator = iter(chunks)
    ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dateline-read-ahead")

    def submit(chunk: WorkChunk) -> Future[ReadChunk]:
        # the copied context carries the flow run, so Prefect records the tasks under it
        return ahead.submit(contextvars.copy_context().run, _read_chunk, chunk, session, seen_at)

    try:
        chunk: WorkChunk | None = next(iterator, WorkChunk([]))
        pending = submit(chunk)
        while chunk is not None:
            read = pending.result()
            chunk = next(iterator, None)
            if chunk is not None:
                pending = submit(chunk)
            yield read, chunk is None
    except BaseException:
        # a stopped run does not wait for the chunk being read: its fetches are abandoned, then the thread ends
        ahead.shutdown(wait=False, cancel_futures=True)
        if session is not None:
            session.cancel()
        ahead.shutdown()
        raise
    ahead.shutdown()


def run_chunks(
    chunks: Iterable[WorkChunk],
    total: int | None,
    discovery: Discovery,
    session: FetchSession | None,
    warehouse: StagingWarehouse,
    summary: RunSummary,
    seen_at: datetime,
) -> None:
    """Read (fetch and parse, one chunk ahead), normalise and load chunk by chunk. What discovery fetched and
    rejected so far goes with the next chunk to load; the HTTP validators only with the last, once every
    story is in. Once a chunk is loaded (or staged for the next run), its readers' callbacks note progress.
    `total` is None when discovery streams (the count is known only at the end)."""
    with run_progress(total, discovery, summary) as advance:
        for index, (read, last) in enumerate(_read_ahead(chunks, session, seen_at)):
            validators = http_state_rows(discovery.validators, datetime.now(UTC)) if last else None
            _finish_chunk(read, index, discovery.take_log(), validators, warehouse, summary, seen_at, advance)


def _finish_chunk(
    read: ReadChunk,
    index: int,
    log: tuple[list[FetchResult], list[Reject]],
    validators: list[dict] | None,
    warehouse: StagingWarehouse,
    summary: RunSummary,
    seen_at: datetime,
    advance: Callable[[int], None],
) -> None:
    """Normalise and load one read chunk, then count it and note its readers' progress. A function of its own
    so that the chunk's pages, records and frames are released when it returns, not kept alive by loop
    variables while the next chunk is read. `log` is what discovery fetched and rejected since the last load."""
    fetched = read.fetched
    # Payloads are wrapped in `quote` so Prefect does not walk every record and page body of a chunk
    # looking for futures to resolve (measured: 15 s of a 2,000-story run went to that walk).
    normalised = normalise_task(quote(read.records), read.enrichment, seen_at, warehouse)
    with stop_deferred():  # what the merge commits is counted and noted before a stop takes effect
        result = load_task(
            quote(normalised),
            warehouse,
            summary.run_id,
            seen_at,
            quote([*log[0], *fetched.fetches]),
            quote([*log[1], *fetched.rejects, *read.parse_rejects]),
            validators,
        )
        summary.add_chunk([d.item.source.name for d in fetched.documents], len(read.records), normalised, result)
        summary.add_rejects([*log[1], *fetched.rejects, *read.parse_rejects, *normalised.batch.rejects])
        advance(fetched.items)
        for loaded in read.on_loaded:
            loaded()
    get_run_logger().info("chunk %d: %d stories", index + 1, normalised.batch.stories.height)
