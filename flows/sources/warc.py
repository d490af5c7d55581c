"""WARC sources (`warc`): web archives (Common Crawl's CC-NEWS, Heritrix, wget `--warc-file`, Browsertrix),
read record by record with FastWARC, from files (`path`, a glob) or over HTTP(S) (`url`).

Only HTTP `response` records of HTML pages with a 2xx status become work items, keyed by their
target URI; their capture time (`WARC-Date`) is the story's `first_seen_at`, never its publication
date. Request, metadata, revisit, warcinfo and non-HTML records are counted as skipped. A damaged
record costs that record only: it becomes an `etl_reject` row and reading goes on at the next
record boundary (the next gzip member of a `.warc.gz`, the next `WARC/1.` header of a `.warc`).

Damage shows in two ways. A payload shorter than its declared length is a truncated record. A wrong
`Content-Length` is only visible at the *next* header, which then does not parse; so each record is
held back until the one after it reads cleanly. When it does not, the held record is read again on its
own, up to the next record boundary: whole there, it was sound and the damage is the next record's;
otherwise the held record is the damaged one.

Progress is noted per file (its record offset, in the run folder's state) once the records before
that offset are loaded: an interrupted run resumes where the last loaded batch ended, and a file
read to its end is not read again (story identity by URL would make it load nothing anyway).

A `url` is streamed through the run's fetcher (the network guard, credentials, User-Agent and robots.txt
of every fetch) and never held whole: `WindowedStream` keeps a bounded window of it for the reader's
steps back over a damaged record. Its progress note names the file by its validators (ETag,
Last-Modified, size); a resumed run asks for the rest with `Range` guarded by `If-Range`, and when the
server sends the whole file instead, the bytes before the note are read and skipped. A download that
stops short is a reject (`download_cut`); the next run resumes at the record it cut.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from flows.sources.access import access_for
from flows.sources.config import Source
from flows.sources.discover import Batch, ReadContext, WorkItem
from flows.sources.fetching import ErrorCode, FetchRequest, FetchResult
from flows.sources.fetching.decompress import BodyError, make_decoder
from flows.sources.fetching.models import DownloadError
from flows.sources.fetching.session import SessionDownload
from flows.sources.fetching.stream import Opener, WindowedStream
from flows.sources.files import matching_files, source_glob
from transforms.errors import ParseError
from transforms.parsers.document import MAX_DOCUMENT_BYTES, parse_document
from transforms.record import StoryRecord
from transforms.urls import without_userinfo

HTML_TYPES = ("text/html", "application/xhtml+xml")
# A batch of records is handed out at this many pages or bytes of them, whichever comes first: it is
# also how often progress is noted.
RECORD_BATCH = 100
BATCH_BYTES = 8 * 2**20
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/1."
_SCAN_BYTES = 1 << 20
_HEAD_BYTES = 1 << 16  # what identifies a file for its progress note
_BOMB_RATIO = 100
# Bytes of a downloaded WARC kept behind the reader, for its steps back over a damaged record: a few
# compressed records. A step further back opens the download again at that offset.
STREAM_WINDOW = 4 * 2**20


@dataclass(slots=True)
class Page:
    """One HTML page as the crawler received it (`response`: the pipeline's fetch result, as if fetched now),
    at `offset` in the file, captured at `captured_at` (WARC-Date)."""

    offset: int
    captured_at: datetime | None
    response: FetchResult


@dataclass(slots=True)
class Skip:
    """A record that holds no page to read (and is not damaged)."""

    offset: int
    reason: str


@dataclass(slots=True)
class Damage:
    """A record that cannot be read; reading goes on at the next record."""

    offset: int
    reason: str
    detail: str


Event = Page | Skip | Damage


def _header(value: str | None) -> str:
    return (value or "").strip().lower()


def _target_uri(record: WarcRecord) -> str:
    return (record.headers.get("WARC-Target-URI") or "").strip().strip("<>")


def _decoded(payload: bytes, content_encoding: str | None) -> bytes:
    """The payload without its HTTP content coding (crawlers such as wget store it as sent)."""
    decoder = make_decoder(content_encoding, MAX_DOCUMENT_BYTES, _BOMB_RATIO)
    return decoder.feed(payload) + decoder.finish()


def _event(record: WarcRecord) -> Event:
    """What one record is, its payload read (the iterator discards it once it moves on)."""
    offset = record.stream_pos
    if record.record_type != WarcRecordType.response:
        return Skip(offset, str(record.record_type))
    if not record.is_http:
        return Skip(offset, "not_http")
    http = record.http_headers
    if http.status_code is None or not 200 <= http.status_code < 300:
        return Skip(offset, "http_status")
    content_type = http.get("Content-Type")
    if not _header(content_type).startswith(HTML_TYPES):
        return Skip(offset, "not_html")
    uri = _target_uri(record)
    if not uri.startswith(("http://", "https://")):
        return Damage(offset, "bad_url", f"WARC-Target-URI {uri!r}")
    payload = record.reader.read(MAX_DOCUMENT_BYTES + 1)
    if len(payload) > MAX_DOCUMENT_BYTES:
        return Damage(offset, "too_large", f"{uri}: payload over {MAX_DOCUMENT_BYTES} bytes")
    chunked = "chunked" in _header(http.get("Transfer-Encoding"))  # decoded by FastWARC: no length to compare
    if (not chunked and len(payload) < record.content_length) or record.headers.get("WARC-Truncated"):
        cut = record.headers.get("WARC-Truncated") or f"{len(payload)} of {record.content_length} bytes"
        return Damage(offset, "truncated_record", f"{uri}: payload cut short ({cut})")
    try:
        body = _decoded(payload, http.get("Content-Encoding"))
    except BodyError as error:
        return Damage(offset, str(error.code), f"{uri}: {error.detail}")
    page = FetchResult(url=uri, final_url=uri, status_code=http.status_code, body=body, content_type=content_type)
    return Page(offset, record.record_date, page)


def _next_boundary(handle: BinaryIO, after: int, gzipped: bool) -> int | None:
    """Where the next record may start past `after`: a gzip member header, or a WARC version line."""
    magic = _GZIP_MAGIC if gzipped else _WARC_MAGIC
    position = after
    while True:
        handle.seek(position)
        block = handle.read(_SCAN_BYTES)
        found = block.find(magic)
        if found >= 0:
            return position + found
        if len(block) < _SCAN_BYTES:
            return None
        position += len(block) - len(magic) + 1


def _is_gzipped(handle: BinaryIO, start: int) -> bool:
    """Whether the file is one gzip member per record, judged by the record at `start` (a download resumed
    mid-file has no byte 0)."""
    handle.seek(start)
    return handle.read(2) == _GZIP_MAGIC[:2]


def _records(data: BinaryIO) -> Iterator[WarcRecord]:
    return iter(ArchiveIterator(data, parse_http=True, auto_decode="transfer"))


def _alone(handle: BinaryIO, held: Event, end: int | None) -> Event:
    """The held record read again between its own start and the next record boundary: whole and alone
    there, it was sound (the damage is in the record after it); otherwise it is the damaged one."""
    handle.seek(held.offset)
    span = handle.read((end - held.offset) if end is not None else MAX_DOCUMENT_BYTES * 2)
    try:
        events = [_event(record) for record in _records(io.BytesIO(span))]
    except Exception:  # same as in read_events: whatever FastWARC raises, this record is the damaged one
        events = []
    if len(events) == 1 and not isinstance(events[0], Damage):
        events[0].offset = held.offset
        return events[0]
    return Damage(held.offset, "corrupt_record", f"record at byte {held.offset}: its length does not hold")


def read_events(handle: BinaryIO, start: int = 0) -> Iterator[Event]:
    """Every record from offset `start` as a capture, a skip or damage, in file order."""
    gzipped = _is_gzipped(handle, start)
    position: int | None = start
    while position is not None:
        handle.seek(position)
        held: Event | None = None  # shown only once the record after it reads cleanly
        try:
            for record in _records(handle):
                if held is not None:
                    yield held
                held = _event(record)
        except Exception as error:  # FastWARC raises OSError (and may raise others) on a header it cannot read
            if held is None:
                yield Damage(position, "corrupt_record", f"record at byte {position}: {error}")
                position = _next_boundary(handle, position + 1, gzipped)
            else:
                position = _next_boundary(handle, held.offset + 1, gzipped)
                yield _alone(handle, held, position)
            continue
        if held is not None:
            yield held
        position = None


@dataclass(slots=True)
class Progress:
    """How far a WARC file has been loaded, kept in the run folder's state as one small JSON file. `identity`
    tells the file from another under the same name: a hash of its first bytes, or a download's validators."""

    note: Path | None
    identity: str = ""
    offset: int = 0
    size: int | None = None
    done: bool = False

    @classmethod
    def saved(cls, state_dir: Path | None, name: str) -> Progress:
        """What was noted for the file called `name` (a resolved path or a URL), or nothing."""
        if state_dir is None:
            return cls(None)
        note = state_dir / "warc" / f"{hashlib.sha256(name.encode()).hexdigest()[:24]}.json"
        try:
            saved = json.loads(note.read_text())
        except (OSError, ValueError):
            return cls(note)
        return cls(
            note, str(saved.get("head", "")), int(saved.get("offset", 0)), saved.get("size"), bool(saved.get("done"))
        )

    def restart(self, identity: str) -> None:
        """Another file under the same name: read it from the start."""
        self.identity, self.offset, self.done = identity, 0, False

    def mark(self, offset: int, size: int | None, done: bool) -> None:
        """Note that everything before `offset` is loaded (written atomically: a crash keeps the old note)."""
        if self.note is None:
            return
        self.note.parent.mkdir(parents=True, exist_ok=True)
        partial = self.note.with_suffix(".tmp")
        note = {"head": self.identity, "offset": offset, "size": size, "done": done}
        partial.write_text(json.dumps(note))
        os.replace(partial, self.note)


def _file_progress(path: Path, state_dir: Path | None) -> Progress:
    with path.open("rb") as handle:
        head = hashlib.sha256(handle.read(_HEAD_BYTES)).hexdigest()
    progress = Progress.saved(state_dir, str(path.resolve()))
    size = path.stat().st_size
    if progress.identity != head or size < progress.offset:
        progress.restart(head)
    elif progress.size != size:
        progress.done = False  # a file that grew (a crawl still writing it) is read on from where the last run stopped
    return progress


def _work_item(source: Source, page: Page) -> WorkItem:
    uri = page.response.url
    seen = page.captured_at.isoformat() if page.captured_at else None
    hint = StoryRecord(input=uri, url=uri, first_seen_at=seen)
    return WorkItem(source, uri, is_url=True, hint=hint, prefetched=page.response)


def _batches(
    source: Source, events: Iterator[Event], context: ReadContext, where: str, mark: Callable[[int], None]
) -> Generator[Batch, None, tuple[list[WorkItem], Event | None]]:
    """Batches of the pages among `events`, each noting (once loaded) the offset the next one starts at; returns
    the pages not yet handed out and the last event, for the caller's final batch."""
    discovery = context.discovery
    items: list[WorkItem] = []
    held_bytes = 0
    last: Event | None = None
    for event in events:
        if len(items) >= RECORD_BATCH or held_bytes >= BATCH_BYTES:
            yield Batch(items, partial(mark, event.offset))
            items, held_bytes = [], 0
        last = event
        if isinstance(event, Page):
            items.append(_work_item(source, event))
            held_bytes += len(event.response.body or b"")
        elif isinstance(event, Skip):
            discovery.skip(f"warc_{event.reason}")
        else:
            discovery.reject(source, f"{where}@{event.offset}", event.reason, event.detail)
    return items, last


def _read_file(source: Source, path: Path, context: ReadContext) -> Generator[Batch]:
    progress = _file_progress(path, context.state_dir)
    if progress.done:
        context.discovery.skip("warc_file_already_read")
        return
    size = path.stat().st_size
    with path.open("rb") as handle:
        events = read_events(handle, progress.offset)
        items, _ = yield from _batches(source, events, context, str(path), lambda at: progress.mark(at, size, False))
    yield Batch(items, lambda: progress.mark(size, size, True))


def _identity(result: FetchResult) -> str:
    """What names the file a server sent: its validators and its whole size."""
    headers = result.headers
    content_range = headers.get("content-range", "")
    size = content_range.rpartition("/")[2] if result.status_code == 206 else headers.get("content-length")
    return json.dumps([result.etag, result.last_modified, size if size and size.isdigit() else None])


def _range_start(result: FetchResult) -> int:
    """The offset a response's body starts at: where its `Content-Range` says for a 206, else the file's start."""
    if result.status_code != 206:
        return 0
    first = result.headers.get("content-range", "").removeprefix("bytes ").partition("-")[0]
    return int(first) if first.strip().isdigit() else 0


def _cut(error: DownloadError) -> Iterator[bytes]:
    raise error
    yield b""  # a generator that fails when first read, as a download that stops short does


def _opener(source: Source, url: str, context: ReadContext, first: SessionDownload) -> Opener:
    """Opens the download at an offset for the stream: the first time, the download already open; then a range
    of the same file (guarded by `If-Range`, so a changed file is sent whole rather than spliced)."""
    assert context.session is not None
    pending = [first]

    def open_at(offset: int) -> tuple[int, Iterator[bytes], Callable[[], None]]:
        if pending:
            download = pending.pop()
        else:
            request = FetchRequest(url, first.result.etag, first.result.last_modified, access_for(source), offset)
            download = context.session.open_download(request)
        result = download.result
        if result.error or result.status_code not in (200, 206):
            download.close()
            detail = result.detail or f"HTTP {result.status_code}"
            return offset, _cut(DownloadError(ErrorCode.PROTOCOL, f"reopened at {offset}: {detail}")), noop
        return _range_start(result), download.chunks(), download.close

    return open_at


def noop() -> None:
    """Nothing to close."""


def _read_url(source: Source, context: ReadContext) -> Generator[Batch]:
    discovery = context.discovery
    if context.session is None:
        raise RuntimeError("a WARC url needs the run's fetch session")
    url = without_userinfo(source.url or "")
    progress = Progress.saved(context.state_dir, url)
    etag, modified, _ = json.loads(progress.identity) if progress.identity else (None, None, None)
    start = 0 if progress.done else progress.offset
    download = context.session.open_download(FetchRequest(url, etag, modified, access_for(source), start))
    result = download.result
    try:
        if result.not_modified:
            discovery.skip("warc_file_already_read")
            return
        if result.error or result.status_code not in (200, 206):
            discovery.reject(source, url, result.error or "no_body", result.detail or f"HTTP {result.status_code}")
            return
        identity = _identity(result)
        if identity != progress.identity:
            progress.restart(identity)
            if _range_start(result) > 0:  # a range of a file that is not the one noted: not a byte of it is usable
                download.close()
                download = context.session.open_download(FetchRequest(url, access=access_for(source)))
                result = download.result
        elif progress.done:
            discovery.skip("warc_file_already_read")
            return
        size = json.loads(identity)[2]
        with WindowedStream(_opener(source, url, context, download), progress.offset, STREAM_WINDOW) as stream:
            events = read_events(stream, progress.offset)
            items, last = yield from _batches(source, events, context, url, lambda at: progress.mark(at, size, False))
            error, received = stream.error, stream.received_to
    finally:
        download.close()
        discovery.fetches.append(result.log_entry())
    if error is None:
        yield Batch(items, lambda: progress.mark(received, size, True))
        return
    discovery.reject(source, url, "download_cut", f"{error.detail} after {received} bytes")
    resume = last.offset if isinstance(last, Damage) else received  # the cut record is read again, whole
    yield Batch(items, lambda: progress.mark(resume, size, False))


def read(source: Source, context: ReadContext) -> Generator[Batch]:
    """Every HTML page captured in the source's WARC files (or its downloaded WARC), a hundred records at a time."""
    if source.url:
        yield from _read_url(source, context)
        return
    for path in matching_files(source_glob(source, context.base_dir)):
        yield from _read_file(source, Path(path), context)


def extract_warc(path: str) -> Iterator[StoryRecord | tuple[str, ParseError]]:
    """`dateline extract FILE.warc.gz`: the story of every HTML page in the file, or why there is none."""
    with open(path, "rb") as handle:
        for event in read_events(handle):
            if isinstance(event, Damage):
                yield f"{path}@{event.offset}", ParseError(event.reason, event.detail)
            elif isinstance(event, Page):
                page = event.response
                try:
                    yield from parse_document(
                        page.body or b"", locator=page.url, url=page.url, content_type=page.content_type
                    )
                except ParseError as error:
                    yield page.url, error
