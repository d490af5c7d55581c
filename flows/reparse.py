"""The `reparse` flow: rebuild stories from the raw archive, with no network.

When the parsers improve, every page fetched so far can be read again: the archive keeps each
body once with its URL and headers. Each archived page goes back through the same parse →
normalise → load chunks as a live run, so stories whose extraction changed get a new version
and the rest stay untouched. A page belongs to the source of its stored story, or of the reject
that recorded it (pages that failed to parse before are exactly the ones worth retrying).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path

from prefect import flow

from flows.pipeline.chunks import CHUNK_SIZE, run_chunks
from flows.pipeline.run import resolve_config, warehouse_run
from flows.sources.config import Source, SourcesConfig
from flows.sources.discover import Discovery, WorkChunk, WorkItem
from flows.sources.fetching import FetchResult, RawArchive
from flows.sources.fetching.archive import ArchiveEntry
from transforms.urls import normalise_url


def _configured(sources_file: str | None) -> dict[str, Source]:
    """Configured sources by name (for their language, section and time zone), when a file exists."""
    try:
        return {s.name: s for s in resolve_config(sources_file, None).sources}
    except ValueError:
        return {}


def _archived_chunks(archive: RawArchive, entries: list[tuple[ArchiveEntry, Source]], size: int) -> Iterator[WorkChunk]:
    """Work items with their archived bodies, read one chunk at a time to keep memory flat."""
    for start in range(0, len(entries), size):
        chunk = []
        for entry, source in entries[start : start + size]:
            body = archive.get(entry.key)
            content_type = {k.lower(): v for k, v in entry.headers.items()}.get("content-type")
            result = FetchResult(
                url=entry.url,
                final_url=entry.final_url,
                status_code=entry.status_code,
                body=body,
                content_type=content_type,
                archive_key=entry.key,
            )
            chunk.append(WorkItem(source, entry.url, is_url=True, prefetched=result))
        yield WorkChunk(chunk)


@flow(name="reparse", log_prints=True)
def reparse(
    warehouse_path: str | None = None,
    since: str | None = None,
    sources_file: str | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> dict:
    """Re-read archived pages fetched on or after `since` (YYYY-MM-DD) into the warehouse."""
    configured = _configured(sources_file)
    config = SourcesConfig(sources=tuple(configured.values()), base_dir=Path.cwd())
    with warehouse_run(warehouse_path, config) as run, RawArchive(run.folders.archive) as archive:
        cutoff = datetime.combine(datetime.fromisoformat(since).date(), time(), UTC) if since else None
        entries = [e for e in archive.iter_entries(cutoff) if e.status_code and 200 <= e.status_code < 300]
        owners = run.warehouse.url_owners([normalise_url(e.url) for e in entries])
        owned = [
            (entry, configured.get(owner) or Source(name=owner, kind="page", url=entry.url))
            for entry in entries
            if (owner := owners.get(normalise_url(entry.url)))
        ]
        run.summary.found = len(owned)
        print(f"reparsing {len(owned)} archived pages ({len(entries) - len(owned)} feeds, sitemaps or unowned)")
        chunks = _archived_chunks(archive, owned, chunk_size)
        run_chunks(chunks, len(owned), Discovery(found=len(owned)), None, run.warehouse, run.summary, run.seen_at)
    return run.summary.to_dict()
