"""The `ingest` flow: discover → fetch → parse → normalise (enrich, key) → load.

Work moves in chunks of documents, each fetched, parsed, normalised and merged in its own
transaction, so memory stays flat however large the run, Prefect sees a handful of task runs
per chunk (never one per story), and a killed run loses at most the chunk in flight. HTTP
validators are stored with the run's last load, so a crash can never leave a feed marked
"not modified" while its stories were not loaded.
"""

from __future__ import annotations

import contextvars
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.utilities.annotations import quote

from flows.config import ConfigError, Source, SourcesConfig, adhoc_source, load_sources
from flows.cpu_stages import ParseJob, enrich_parallel, parse_jobs
from flows.discover import Discoverer, Discovery, WorkItem, validators_frame_rows
from flows.fetch_session import FetchSession
from flows.fetching import FetchRequest, FetchResult, FetchSettings, RawArchive
from flows.gc_policy import settle_garbage_collector
from flows.load_sink import LoadSink
from flows.native_memory import cap_malloc_arenas, release_free_memory
from flows.parallel import shutdown_workers
from flows.progress import progress_bar
from flows.run_summary import RunSummary
from transforms.errors import ParseError
from transforms.normalise import NormalisedChunk, normalise_chunk
from transforms.parsers.document import MAX_DOCUMENT_BYTES
from transforms.record import StoryRecord
from transforms.star import Reject, source_key
from warehouse.backend import LoadResult, Warehouse, WarehouseLocked, open_warehouse
from warehouse.duckdb_store import ensure_writable

# At import, before Prefect's engine, the fetch loop, DuckDB and Polars start their threads: a thread takes its
# arena at its first allocation, and a cap set when the flow starts (measured) misses Prefect's busy threads.
cap_malloc_arenas()

CHUNK_SIZE = 500
DEFAULT_SOURCES = Path(__file__).resolve().parent.parent / "sources.toml"
_FETCH_COLUMNS = {
    "url": pl.String(),
    "final_url": pl.String(),
    "status_code": pl.Int32(),
    "bytes": pl.Int64(),
    "elapsed_ms": pl.Int32(),
    "etag": pl.String(),
    "last_modified": pl.String(),
    "not_modified": pl.Boolean(),
    "error": pl.String(),
    "archive_key": pl.String(),
    "fetched_at": pl.Datetime("us", "UTC"),
}


@dataclass(slots=True)
class Document:
    """Bytes in hand for one work item."""

    item: WorkItem
    content: bytes
    url: str | None
    content_type: str | None


@dataclass(slots=True)
class ChunkInput:
    items: int = 0  # work items the chunk covers
    documents: list[Document] = field(default_factory=list)
    # feed items carrying the full text whose page could not be fetched: they are the story
    standalone_items: list[StoryRecord] = field(default_factory=list)
    fetches: list[FetchResult] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def fetch_rows(results: list[FetchResult]) -> pl.DataFrame:
    """`etl_fetch` rows for a list of fetch results."""
    now = datetime.now(UTC)
    return pl.DataFrame(
        [
            {
                "url": r.url,
                "final_url": r.final_url,
                "status_code": r.status_code,
                "bytes": r.bytes,
                "elapsed_ms": r.elapsed_ms,
                "etag": r.etag,
                "last_modified": r.last_modified,
                "not_modified": r.not_modified,
                "error": r.error,
                "archive_key": r.archive_key,
                "fetched_at": now,
            }
            for r in results
        ],
        schema=_FETCH_COLUMNS,
    )


def _read_file(item: WorkItem) -> bytes:
    path = Path(item.locator)
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise ParseError("too_large", f"{path.stat().st_size} bytes is over the {MAX_DOCUMENT_BYTES} byte limit")
    return path.read_bytes()


def _keep_hint_alone(hint: StoryRecord | None) -> bool:
    """A feed item that carries the full text still makes a story when its page cannot be fetched."""
    return hint is not None and len(hint.body.split()) >= 50


@task(name="fetch-chunk", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5])
def fetch_chunk(items: list[WorkItem], session: FetchSession | None) -> ChunkInput:
    """Bytes for every item of the chunk: files read from disk, URLs fetched concurrently and politely."""
    chunk = ChunkInput(items=len(items))
    to_fetch = [i for i in items if i.is_url and i.prefetched is None]
    results = session.fetch_many([FetchRequest(i.locator) for i in to_fetch]) if session and to_fetch else []
    fetched = dict(zip((id(i) for i in to_fetch), results, strict=True))
    chunk.fetches.extend(r.log_entry() for r in results)
    for item in items:
        if not item.is_url:
            try:
                chunk.documents.append(Document(item, _read_file(item), None, None))
            except (OSError, ParseError) as error:
                reason = error.reason if isinstance(error, ParseError) else "unreadable"
                chunk.rejects.append(Reject(item.source.name, item.locator, "fetch", reason, str(error)))
            continue
        result = item.prefetched or fetched[id(item)]
        if result.error or result.body is None:
            if _keep_hint_alone(item.hint):
                chunk.standalone_items.append(item.hint)
            chunk.rejects.append(
                Reject(
                    item.source.name,
                    item.locator,
                    "fetch",
                    result.error or "no_body",
                    f"HTTP {result.status_code}",
                )
            )
            continue
        chunk.documents.append(Document(item, result.body, result.final_url or result.url, result.content_type))
    return chunk


@task(name="parse-chunk", cache_policy=NO_CACHE)
def parse_chunk(chunk: ChunkInput) -> tuple[list[StoryRecord], list[Reject]]:
    """Every story in the chunk's documents, each joined by what its feed item or sitemap entry said;
    a document that cannot be read becomes a reject. Runs on all cores."""
    jobs = [
        ParseJob(d.content, d.item.locator, d.url, d.content_type, d.item.source, d.item.hint) for d in chunk.documents
    ]
    records, rejects = parse_jobs(jobs)
    return [*chunk.standalone_items, *records], rejects


@task(name="normalise-chunk", cache_policy=NO_CACHE)
def normalise_task(records: list[StoryRecord], seen_at: datetime, sink: LoadSink) -> NormalisedChunk:
    """Enrich, link wire copies against stored stories of nearby days, and build the star frames."""
    days = [(r.published_at or r.updated_at or "")[:10] for r in records if r.published_at or r.updated_at]
    today = seen_at.date().isoformat()
    window = timedelta(days=7)
    first_key = int((datetime.fromisoformat(min(days, default=today)) - window).strftime("%Y%m%d"))
    last_key = int((datetime.fromisoformat(max(days, default=today)) + window).strftime("%Y%m%d"))
    return normalise_chunk(records, seen_at, sink.signatures_between(first_key, last_key), enrich_parallel)


@task(name="load-chunk", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def load_task(
    normalised: NormalisedChunk,
    sink: LoadSink,
    run_id: str,
    seen_at: datetime,
    fetches: list[FetchResult],
    rejects: list[Reject],
    validators: list[dict] | None,
) -> LoadResult | None:
    """Merge the chunk (with its fetch log, rejects and, last, the HTTP validators) in one transaction;
    None when the warehouse was locked and the chunk was staged for the next run."""
    return sink.load(
        normalised.batch,
        run_id=run_id,
        seen_at=seen_at,
        fetches=fetch_rows(fetches),
        rejects=rejects,
        http_state=pl.DataFrame(validators) if validators else None,
        signatures=normalised.signatures,
    )


@task(name="discover", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=[5])
def discover_task(config: SourcesConfig, session: FetchSession | None, sink: LoadSink) -> Discovery:
    """Expand sources into work items, remembering what the warehouse already holds."""
    url_sources = [s.url or "" for s in config.sources if s.kind != "file"]
    validators = sink.http_validators(url_sources) if url_sources else {}
    return Discoverer(session, sink.known_stories, validators).discover(list(config.sources), config.base_dir)


def _take_chunks(items: list[WorkItem], size: int) -> Iterator[list[WorkItem]]:
    """Chunks of `items`, each removed from the list as it is handed out: a run of 100k stories would
    otherwise hold every discovered item and its feed hint (127 MB) until its last chunk."""
    while items:
        chunk = items[:size]
        del items[:size]
        yield chunk


def _sources_frame(sources: tuple[Source, ...]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source_key": [source_key(s.name) for s in sources],
            "name": [s.name for s in sources],
            "kind": [s.kind for s in sources],
            "url": [s.location for s in sources],
            "domain": [s.domain for s in sources],
        },
        schema={
            "source_key": pl.Int64(),
            "name": pl.String(),
            "kind": pl.String(),
            "url": pl.String(),
            "domain": pl.String(),
        },
    )


def resolve_config(sources_file: str | None, adhoc: list[str] | None) -> SourcesConfig:
    """`--source` locations replace the sources file; otherwise the file (default: the shipped one)."""
    if adhoc:
        return SourcesConfig(sources=tuple(adhoc_source(a) for a in adhoc), base_dir=Path.cwd())
    path = Path(sources_file) if sources_file else DEFAULT_SOURCES
    return load_sources(path)


def _flow_run_id() -> str | None:
    try:
        return str(get_run_context().flow_run.id)
    except (RuntimeError, AttributeError):
        return None


def _open_run(warehouse: Warehouse, sink: LoadSink, run_id: str, seen_at: datetime, config: SourcesConfig) -> None:
    """Migrate, record the run, merge staged batches; a locked warehouse switches the run to staging."""
    try:
        warehouse.migrate()
        warehouse.start_run(run_id, _flow_run_id(), seen_at)
        warehouse.upsert_sources(_sources_frame(config.sources))
    except WarehouseLocked as error:
        sink.mark_locked(error)
        print(f"{error}: this run stages its batches and the next run merges them")
        return
    merged = sink.merge_staged()
    if merged.batches:
        result = merged.result
        print(f"merged {merged.batches} staged batches: {result.new} new, {result.updated} updated")


def _close_run(warehouse: Warehouse, sink: LoadSink, summary: RunSummary, status: str, message: str | None) -> None:
    if sink.locked_by is None:
        try:
            warehouse.finish_run(summary.run_id, status, summary.counts(), message)
            return
        except WarehouseLocked as error:
            sink.mark_locked(error)
    summary.staged = sink.staged_stories


@dataclass(slots=True)
class ReadChunk:
    """A chunk fetched and parsed: what normalising and loading start from."""

    fetched: ChunkInput
    records: list[StoryRecord]
    parse_rejects: list[Reject]


def _read_chunk(items: list[WorkItem], session: FetchSession | None) -> ReadChunk:
    fetched = fetch_chunk(quote(items), session)
    records, parse_rejects = parse_chunk(quote(fetched))
    return ReadChunk(fetched, records, parse_rejects)


def _read_ahead(chunks: Iterable[list[WorkItem]], session: FetchSession | None) -> Iterator[tuple[ReadChunk, bool]]:
    """Each chunk fetched and parsed, and whether it is the last (there is always at least one, possibly
    empty, so a run with nothing new still records its fetches and validators).

    The next chunk is fetched and parsed on a thread of its own while this one is normalised and
    loaded, so the workers parse while the flow's process fetches and merges, rather than one stage
    waiting for another (measured at 10k stories: fetching was a third of the run, loading a tenth).
    Normalising and loading stay in chunk order, so wire copies are linked against every earlier
    chunk. One chunk is read ahead: at most two chunks' pages are in memory."""
    iterator = iter(chunks)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dateline-read-ahead") as ahead:

        def submit(items: list[WorkItem]) -> Future[ReadChunk]:
            # the copied context carries the flow run, so Prefect records the tasks under it
            return ahead.submit(contextvars.copy_context().run, _read_chunk, items, session)

        items: list[WorkItem] | None = next(iterator, [])
        pending = submit(items)
        while items is not None:
            read = pending.result()
            items = next(iterator, None)
            if items is not None:
                pending = submit(items)
            yield read, items is None


def run_chunks(
    chunks: Iterable[list[WorkItem]],
    total: int,
    discovery: Discovery,
    session: FetchSession | None,
    sink: LoadSink,
    summary: RunSummary,
    seen_at: datetime,
) -> None:
    """Read (fetch and parse, one chunk ahead), normalise and load chunk by chunk. The discovery's own fetches
    and rejects go with the first chunk; the HTTP validators only with the last, once every story is in."""
    with progress_bar(total) as advance:
        for index, (read, last) in enumerate(_read_ahead(chunks, session)):
            validators = validators_frame_rows(discovery) if last else None
            opening = (discovery.fetches, discovery.rejects) if index == 0 else ([], [])
            advance(_finish_chunk(read, index, opening, validators, sink, summary, seen_at))


def _finish_chunk(
    read: ReadChunk,
    index: int,
    opening: tuple[list[FetchResult], list[Reject]],
    validators: list[dict] | None,
    sink: LoadSink,
    summary: RunSummary,
    seen_at: datetime,
) -> int:
    """Normalise and load one read chunk; returns how many work items it covered. A function of its own
    so that the chunk's pages, records and frames are released when it returns, not kept alive by loop
    variables while the next chunk is read. `opening` is what discovery fetched and rejected (the first
    chunk's to load)."""
    fetched = read.fetched
    # Payloads are wrapped in `quote` so Prefect does not walk every record and page body of a chunk
    # looking for futures to resolve (measured: 15 s of a 2,000-story run went to that walk).
    normalised = normalise_task(quote(read.records), seen_at, sink)
    result = load_task(
        quote(normalised),
        sink,
        summary.run_id,
        seen_at,
        quote([*opening[0], *fetched.fetches]),
        quote([*opening[1], *fetched.rejects, *read.parse_rejects]),
        validators,
    )
    summary.add_chunk(len(fetched.documents), len(read.records), normalised, result)
    summary.add_rejects([r.reason for r in [*fetched.rejects, *read.parse_rejects, *normalised.batch.rejects]])
    get_run_logger().info("chunk %d: %d stories", index + 1, normalised.batch.stories.height)
    return fetched.items


@contextmanager
def warehouse_run(warehouse_path: str | None, config: SourcesConfig) -> Iterator[RunContext]:
    """The bookkeeping every run shares: migrate, `etl_run` start and finish (failed on an exception),
    merge staged batches, refresh the search index, publish the summary to Prefect."""
    started = time.monotonic()
    settle_garbage_collector()
    warehouse = open_warehouse(warehouse_path)
    folder = Path(warehouse.location).parent
    ensure_writable(Path(warehouse.location))
    sink = LoadSink(warehouse, folder / "staging")
    seen_at = datetime.now(UTC)
    summary = RunSummary(run_id=f"{seen_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}", warehouse=warehouse.location)
    _open_run(warehouse, sink, summary.run_id, seen_at, config)
    status, message = "failed", None
    try:
        yield RunContext(warehouse, folder, sink, summary, seen_at)
        shutdown_workers()
        if sink.locked_by is None:
            warehouse.refresh_search_index()  # DuckDB's fts index does not follow inserts
        status = "completed"
    except Exception as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise
    finally:
        summary.elapsed_s = round(time.monotonic() - started, 2)
        _close_run(warehouse, sink, summary, status, message)
    _publish(summary)


@dataclass(slots=True)
class RunContext:
    warehouse: Warehouse
    folder: Path
    sink: LoadSink
    summary: RunSummary
    seen_at: datetime


@flow(name="ingest", log_prints=True)
def ingest(
    sources_file: str | None = None,
    adhoc_sources: list[str] | None = None,
    warehouse_path: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    only_sources: list[str] | None = None,
) -> dict:
    """One ingest run over the configured sources (or the named ones: `dateline serve` gives a source
    with its own schedule its own deployment); returns the run summary as a dict."""
    config = resolve_config(sources_file, adhoc_sources)
    if only_sources is not None:
        config = SourcesConfig(tuple(s for s in config.sources if s.name in only_sources), config.base_dir)
    if not config.sources:
        raise ConfigError("no sources configured")
    with warehouse_run(warehouse_path, config) as run:
        needs_http = any(s.kind != "file" for s in config.sources)
        settings = FetchSettings(state_dir=run.folder / "state")
        settings.user_agent = os.environ.get("DATELINE_USER_AGENT") or settings.user_agent
        with (
            RawArchive(run.folder / "archive") if needs_http else nullcontext() as archive,
            FetchSession(settings, archive) if needs_http else nullcontext() as session,
        ):
            discovery = discover_task(quote(config), session, run.sink)
            run.summary.add_discovery(discovery)
            print(f"discovered {run.summary.found} documents from {len(config.sources)} sources")
            release_free_memory()  # discovery's parsing of every feed and sitemap is over
            chunks = _take_chunks(discovery.items, chunk_size)
            run_chunks(chunks, run.summary.found, discovery, session, run.sink, run.summary, run.seen_at)
    return run.summary.to_dict()


def _publish(summary: RunSummary) -> None:
    """Attach the summary to the flow run: a table per stage and a short markdown note."""
    create_table_artifact(key="dateline-ingest-counts", table=summary.table_rows(), description="Documents per stage")
    create_markdown_artifact(
        key="dateline-ingest-summary",
        markdown=summary.markdown("Report: run `dateline report` and open `reports/index.html`."),
        description="Dateline ingest summary",
    )
    print(
        f"run {summary.run_id}: {summary.new} new, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.rejected} rejected in {summary.elapsed_s:.1f} s"
    )
