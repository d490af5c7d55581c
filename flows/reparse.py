"""The `reparse` flow: rebuild stories from the raw archive, with no network.

When the parsers improve, every page fetched so far can be read again: the archive keeps each
body once with its URL and headers. The archive is read as a source of its own kind (`archive`,
flows/sources/archive.py), so each archived page goes back through the same discovery → parse →
normalise → load chunks as a live run; stories whose extraction changed get a new version and the
rest stay untouched. The archive is the run's (`configured_archive`): on a lake in an object store,
the one every worker wrote to, so reparse runs on any host.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

from prefect import flow

from flows.pipeline.chunks import chunk_size_for, run_chunks
from flows.pipeline.run import resolve_config, warehouse_run
from flows.runtime.settings import configured_archive
from flows.sources.config import Source, SourcesConfig
from flows.sources.discover import Discovery, ReadContext, discover_chunks

ARCHIVE_SOURCE = Source(name="raw archive", kind="archive")


def _configured(sources_file: str | None) -> dict[str, Source]:
    """Configured sources by name (for their language, section and time zone), when a file exists."""
    try:
        return {s.name: s for s in resolve_config(sources_file, None).sources}
    except ValueError:
        return {}


@flow(name="reparse", log_prints=True)
def reparse(
    warehouse_path: str | None = None,
    since: str | None = None,
    sources_file: str | None = None,
    chunk_size: int | None = None,
) -> dict:
    """Re-read archived pages fetched on or after `since` (YYYY-MM-DD) into the warehouse."""
    configured = _configured(sources_file)
    config = SourcesConfig(sources=tuple(configured.values()), base_dir=Path.cwd())
    with (
        warehouse_run(warehouse_path, config) as run,
        configured_archive(run.warehouse.location, run.folders) as archive,
    ):

        def owners(urls: list[str]) -> dict[str, Source]:
            return {
                url: configured.get(owner) or Source(name=owner, kind="page", url=url)
                for url, owner in run.warehouse.url_owners(urls).items()
            }

        context = ReadContext(
            Discovery(),
            Path.cwd(),
            archive=archive,
            since=datetime.combine(datetime.fromisoformat(since).date(), time(), UTC) if since else None,
            owners=owners,
        )
        run_chunks(
            discover_chunks([ARCHIVE_SOURCE], context, chunk_size_for(run.warehouse.location, chunk_size)),
            None,
            context.discovery,
            None,
            run.warehouse,
            run.summary,
            run.seen_at,
        )
        run.summary.found = context.discovery.found
        passed = sum(context.discovery.skipped.values())
        print(f"reparsed {run.summary.found} archived pages ({passed} feeds, sitemaps or unowned)")
    return run.summary.to_dict()
