"""Discovery: configured sources streamed into chunks of work items.

Each source kind has a reader module in `flows/sources/` (named in `config.KINDS`) whose
`read(source, context)` yields batches of work items as it finds them: a feed's items, one sitemap
child's entries, a few hundred files, a hundred WARC records. The chunk loop pulls chunks from
`discover_chunks`, so the first chunk is fetched, parsed and loaded while later sitemap children or
WARC records are still unread, and the run holds one batch of a source, never the whole source.

This module holds what every reader shares: the work item, the run's discovery log (fetches,
rejects, HTTP validators, counts), the reader context, and the cutting of batches from every source
into fixed-size chunks, with `max_items` applied to the whole source.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from pathlib import Path
from typing import Protocol

import numpy as np

from flows.sources.access import access_for
from flows.sources.config import KINDS, Source
from flows.sources.fetching import FetchRequest, FetchResult
from flows.sources.fetching.archive import Archive
from flows.sources.fetching.session import FetchSession
from transforms.keys import stable_keys
from transforms.record import StoryRecord
from transforms.star import Reject
from transforms.urls import without_userinfo
from warehouse.protocol import KnownStory

MAX_CHUNK_BYTES = 32 * 2**20


@dataclass(slots=True)
class WorkItem:
    """One document to read. `hint` is what a feed, sitemap or WARC header already said about the story;
    `prefetched` is the body when discovery already holds it (an article given as a page source, a WARC record)."""

    source: Source
    locator: str
    is_url: bool
    hint: StoryRecord | None = None
    prefetched: FetchResult | None = None


@dataclass(slots=True)
class Batch:
    """Work items a reader found together. `on_loaded` is called once every item of the batch (and of
    the batches before it) is loaded or staged: a WARC reader notes its file offset there, so an
    interrupted run resumes after the last loaded record."""

    items: list[WorkItem]
    on_loaded: Callable[[], None] | None = None


@dataclass(slots=True)
class WorkChunk:
    """One chunk of the run, with the readers' callbacks that fire once it is loaded."""

    items: list[WorkItem]
    on_loaded: list[Callable[[], None]] = field(default_factory=list)


@dataclass(slots=True)
class Discovery:
    """The run's discovery log. Fetches and rejects are taken by the next chunk to load (`take_log`); the
    HTTP validators wait for the run's last load, so a crash never marks a feed unchanged while its
    stories are not in."""

    fetches: list[FetchResult] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    validators: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    found: int = 0
    not_modified: int = 0
    skipped_unchanged: int = 0
    duplicates: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # documents read and passed over, by reason
    capped: list[str] = field(default_factory=list)  # sources that stopped at their max_items
    found_by_source: dict[str, int] = field(default_factory=dict)
    # why a source's feeds, sitemaps or archives could not be read: source name -> reason -> count
    listing_errors: dict[str, dict[str, int]] = field(default_factory=dict)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count

    def reject(self, source: Source, locator: str, reason: str, detail: str | None) -> None:
        self.rejects.append(Reject(source.name, locator, "discover", reason, detail))
        reasons = self.listing_errors.setdefault(source.name, {})
        reasons[reason] = reasons.get(reason, 0) + 1

    def take_log(self) -> tuple[list[FetchResult], list[Reject]]:
        """The fetches and rejects logged since the last call, for the chunk about to load."""
        taken = (self.fetches, self.rejects)
        self.fetches, self.rejects = [], []
        return taken


class KeySet:
    """The 64-bit keys of every URL a run has announced, at 8 bytes a key: a run may announce millions (a sitemap
    index of 500 children of 50,000 URLs), and a Python set of ints costs about 70 bytes a key. Keys are kept in
    sorted numpy runs, a new run per batch and equal-sized runs merged (so there are about log2(n) of them), and a
    batch is looked up with one binary search per run."""

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(run) for run in self._runs)

    def add_new(self, keys: list[int]) -> list[bool]:
        """For each key, whether it was not in the set before (a key twice in `keys` is new once); all are added."""
        batch = np.asarray(keys, dtype=np.int64)
        new = np.ones(len(batch), dtype=bool)
        _, first = np.unique(batch, return_index=True)
        new[np.setdiff1d(np.arange(len(batch)), first)] = False
        for run in self._runs:
            at = np.minimum(np.searchsorted(run, batch), len(run) - 1)
            new &= run[at] != batch
        added = np.sort(batch[new])
        if len(added):
            self._runs.append(added)
        while len(self._runs) > 1 and len(self._runs[-2]) <= 2 * len(self._runs[-1]):
            # the two runs are dropped as soon as they are copied and the copy is sorted in place (two sorted
            # runs: a linear merge), so merging n keys holds 2n of them at most rather than 3n
            merged = np.concatenate((self._runs.pop(-2), self._runs.pop()))
            merged.sort(kind="stable")
            self._runs.append(merged)
        return new.tolist()


@dataclass(slots=True)
class ReadContext:
    """What readers share within a run: the fetch session, the warehouse's memory of URLs and validators,
    where relative globs and reader state live, and the log."""

    discovery: Discovery
    base_dir: Path
    state_dir: Path | None = None
    session: FetchSession | None = None
    lookup_known: Callable[[list[str]], dict[str, KnownStory]] = lambda urls: {}
    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # what the raw archive's reader (reparse) needs: the archive, its cutoff, and the source owning each URL
    archive: Archive | None = None
    since: datetime | None = None
    owners: Callable[[list[str]], dict[str, Source]] = lambda urls: {}
    # an article announced twice (its outlet's feed and sitemap) is read once, for the first source
    announced: KeySet = field(default_factory=lambda: KeySet())

    def first_announcements(self, urls: list[str]) -> list[bool]:
        """Whether each of `urls` is announced for the first time in this run (and note them)."""
        return self.announced.add_new(stable_keys(urls))

    def fetch(self, source: Source, urls: list[str]) -> list[FetchResult]:
        """Fetch conditionally (with stored validators) under the source's network access and credentials, for
        its URL and all it leads to; the log keeps each fetch without its body (and without credentials)."""
        assert self.session is not None, "a URL source needs the run's fetch session"
        access = access_for(source)
        clean = [without_userinfo(url) for url in urls]
        requests = [FetchRequest(url, *self.validators.get(url, (None, None)), access=access) for url in clean]
        results = self.session.fetch_many(requests)
        self.discovery.fetches.extend(r.log_entry() for r in results)
        return results


class Reader(Protocol):
    """What a kind's module exposes as `read`: the source's work, a batch at a time, lazily."""

    def __call__(self, source: Source, context: ReadContext) -> Generator[Batch]: ...


def reader_for(source: Source) -> Reader:
    return import_module(f"flows.sources.{KINDS[source.kind].reader}").read


def _capped(source: Source, batches: Generator[Batch], discovery: Discovery) -> Iterator[Batch]:
    """The source's batches up to `max_items` items in all. At the cap the reader is closed (it reads no
    further: no more sitemap children fetched, no more WARC records decompressed) and the source is noted
    as capped, which the run summary reports."""
    left = source.max_items
    for batch in batches:
        if left is not None and len(batch.items) >= left:
            # a cut batch's callback would claim items that were never handed out
            whole = len(batch.items) == left
            yield Batch(batch.items[:left], batch.on_loaded if whole else None)
            discovery.capped.append(source.name)
            batches.close()
            return
        if left is not None:
            left -= len(batch.items)
        yield batch


def _weight(item: WorkItem) -> int:
    page = item.prefetched
    return len(page.body) if page is not None and page.body else 0


def discover_chunks(sources: Iterable[Source], context: ReadContext, size: int) -> Iterator[WorkChunk]:
    """Chunks of `size` work items from every source in turn, cut as batches arrive; always at least one
    (possibly empty) chunk, so a run with nothing new still records its fetches and validators. A chunk of
    pages already in hand (WARC records) is also cut at `MAX_CHUNK_BYTES` of bodies: archived pages can be
    large, and the run holds two chunks of them (one loading, one read ahead) besides the workers' copies."""
    pending: list[WorkItem] = []
    pending_bytes = 0
    handed_out = 0
    waiting: deque[tuple[int, Callable[[], None]]] = deque()  # (items needed out before it fires, callback)

    def cut() -> WorkChunk:
        nonlocal handed_out, pending_bytes
        chunk = WorkChunk(pending[:])
        pending.clear()
        handed_out += len(chunk.items)
        pending_bytes = 0
        while waiting and waiting[0][0] <= handed_out:
            chunk.on_loaded.append(waiting.popleft()[1])
        return chunk

    for source in sources:
        for batch in _capped(source, reader_for(source)(source, context), context.discovery):
            context.discovery.found += len(batch.items)
            by_source = context.discovery.found_by_source
            by_source[source.name] = by_source.get(source.name, 0) + len(batch.items)
            for position, item in enumerate(batch.items, start=1):
                pending.append(item)
                pending_bytes += _weight(item)
                if batch.on_loaded is not None and position == len(batch.items):
                    waiting.append((handed_out + len(pending), batch.on_loaded))
                if len(pending) >= size or pending_bytes >= MAX_CHUNK_BYTES:
                    yield cut()
            if batch.on_loaded is not None and not batch.items:
                waiting.append((handed_out + len(pending), batch.on_loaded))
    yield cut()
