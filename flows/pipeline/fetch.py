"""The fetch stage of a chunk: bytes in hand for every work item, or a reject saying why not.

Files are read from disk, URLs fetched concurrently and politely through the run's one session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flows.sources.access import access_for
from flows.sources.discover import WorkItem
from flows.sources.fetching import FetchRequest, FetchResult
from flows.sources.fetching.session import FetchSession
from transforms.errors import ParseError
from transforms.parsers.document import MAX_DOCUMENT_BYTES
from transforms.record import StoryRecord
from transforms.star import Reject

# A feed item with at least this many words of body carries the full text: when its page cannot be
# fetched, the item alone still makes the story instead of being lost with the page.
MIN_STANDALONE_WORDS = 50


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


def read_file(path: Path) -> bytes:
    """A file source's document, refused as too large before it is read into memory."""
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise ParseError("too_large", f"{size} bytes is over the {MAX_DOCUMENT_BYTES} byte limit")
    return path.read_bytes()


def stands_alone(hint: StoryRecord | None) -> bool:
    """Whether a feed item carries the full text, so it makes a story when its page cannot be fetched."""
    return hint is not None and len(hint.body.split()) >= MIN_STANDALONE_WORDS


def gather_chunk(items: list[WorkItem], session: FetchSession | None) -> ChunkInput:
    """Bytes for every item of the chunk; what cannot be had becomes a reject with its reason."""
    chunk = ChunkInput(items=len(items))
    to_fetch = [i for i in items if i.is_url and i.prefetched is None]
    requests = [FetchRequest(i.locator, access=access_for(i.source)) for i in to_fetch]
    results = session.fetch_many(requests) if session and to_fetch else []
    fetched = dict(zip((id(i) for i in to_fetch), results, strict=True))
    chunk.fetches.extend(r.log_entry() for r in results)
    for item in items:
        if not item.is_url:
            try:
                chunk.documents.append(Document(item, read_file(Path(item.locator)), None, None))
            except (OSError, ParseError) as error:
                reason = error.reason if isinstance(error, ParseError) else "unreadable"
                chunk.rejects.append(Reject(item.source.name, item.locator, "fetch", reason, str(error)))
            continue
        result = item.prefetched or fetched[id(item)]
        if result.error or result.body is None:
            if stands_alone(item.hint):
                chunk.standalone_items.append(item.hint)
            reason = result.error or "no_body"
            chunk.rejects.append(
                Reject(item.source.name, item.locator, "fetch", reason, result.detail or f"HTTP {result.status_code}")
            )
            continue
        chunk.documents.append(Document(item, result.body, result.final_url or result.url, result.content_type))
    return chunk
