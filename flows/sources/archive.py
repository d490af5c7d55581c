"""The raw archive as a source (`archive`): every archived page read again with no network, for reparse.

`dateline reparse` reads one source of this kind. Each page (the latest fetch of each URL, fetched at or
after the context's `since`, answered 2xx) is handed out as a work item of the source that owns it: the
source of its stored story, or of the reject that recorded it (pages that failed to parse before are
exactly the ones worth retrying). Feeds, sitemaps and pages no source owns are passed over and counted.
Entries are looked up and bodies read a batch at a time, so memory stays flat whatever the archive holds.
"""

from __future__ import annotations

from collections.abc import Generator

from flows.sources.config import Source
from flows.sources.discover import Batch, ReadContext, WorkItem
from flows.sources.fetching import FetchResult
from transforms.urls import normalise_url

BATCH = 100


def read(source: Source, context: ReadContext) -> Generator[Batch]:
    archive = context.archive
    assert archive is not None, "an archive source needs the run's raw archive"
    entries = [e for e in archive.iter_entries(context.since) if e.status_code and 200 <= e.status_code < 300]
    for start in range(0, len(entries), BATCH):
        part = entries[start : start + BATCH]
        owners = context.owners([normalise_url(entry.url) for entry in part])
        items = []
        for entry in part:
            owner = owners.get(normalise_url(entry.url))
            if owner is None:
                context.discovery.skip("archived feed, sitemap or unowned page")
                continue
            content_type = {k.lower(): v for k, v in entry.headers.items()}.get("content-type")
            page = FetchResult(
                url=entry.url,
                final_url=entry.final_url,
                status_code=entry.status_code,
                body=archive.get(entry.key),
                content_type=content_type,
                archive_key=entry.key,
            )
            items.append(WorkItem(owner, entry.url, is_url=True, prefetched=page))
        yield Batch(items)
