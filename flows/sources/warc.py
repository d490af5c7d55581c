"""WARC sources (`warc`): web archives (Common Crawl's CC-NEWS, Heritrix, wget `--warc-file`, Browsertrix),
read record by record with FastWARC.

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
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from flows.sources.config import Source
from flows.sources.discover import Batch, ReadContext, WorkItem
from flows.sources.fetching import FetchResult
from flows.sources.fetching.decompress import BodyError, make_decoder
from flows.sources.files import matching_files, source_glob
from transforms.errors import ParseError
from transforms.parsers.document import MAX_DOCUMENT_BYTES, parse_document
from transforms.record import StoryRecord

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


@dataclass(slots=True)
class Capture:
    """One HTML page as the crawler received it."""

    offset: int
    uri: str
    captured_at: datetime | None
    content_type: str | None
    body: bytes


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


Event = Capture | Skip | Damage


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
    return Capture(offset, uri, record.record_date, content_type, body)


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


def _is_gzipped(handle: BinaryIO) -> bool:
    handle.seek(0)
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
    gzipped = _is_gzipped(handle)
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
    """How far a WARC file has been loaded, kept in the run folder's state as one small JSON file."""

    note: Path | None
    head: str
    offset: int = 0
    done: bool = False

    @classmethod
    def of(cls, path: Path, state_dir: Path | None) -> Progress:
        with path.open("rb") as handle:
            head = hashlib.sha256(handle.read(_HEAD_BYTES)).hexdigest()
        if state_dir is None:
            return cls(None, head)
        note = state_dir / "warc" / f"{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]}.json"
        try:
            saved = json.loads(note.read_text())
        except (OSError, ValueError):
            return cls(note, head)
        if saved.get("head") != head or path.stat().st_size < saved.get("offset", 0):
            return cls(note, head)  # another file under the same name: read it from the start
        # a file that grew (a crawl still writing it) is read on from where the last run stopped
        done = bool(saved.get("done")) and saved.get("size") == path.stat().st_size
        return cls(note, head, int(saved.get("offset", 0)), done)

    def mark(self, offset: int, size: int, done: bool) -> None:
        """Note that everything before `offset` is loaded (written atomically: a crash keeps the old note)."""
        if self.note is None:
            return
        self.note.parent.mkdir(parents=True, exist_ok=True)
        partial = self.note.with_suffix(".tmp")
        partial.write_text(json.dumps({"head": self.head, "offset": offset, "size": size, "done": done}))
        os.replace(partial, self.note)


def _work_item(source: Source, capture: Capture) -> WorkItem:
    page = FetchResult(url=capture.uri, status_code=200, body=capture.body, content_type=capture.content_type)
    seen = capture.captured_at.isoformat() if capture.captured_at else None
    hint = StoryRecord(input=capture.uri, url=capture.uri, first_seen_at=seen)
    return WorkItem(source, capture.uri, is_url=True, hint=hint, prefetched=page)


def _read_file(source: Source, path: Path, context: ReadContext) -> Generator[Batch]:
    discovery = context.discovery
    progress = Progress.of(path, context.state_dir)
    if progress.done:
        discovery.skip("warc_file_already_read")
        return
    size = path.stat().st_size

    def checkpoint(offset: int, done: bool = False):
        return lambda: progress.mark(offset, size, done)

    items: list[WorkItem] = []
    held_bytes = 0
    with path.open("rb") as handle:
        for event in read_events(handle, progress.offset):
            if len(items) >= RECORD_BATCH or held_bytes >= BATCH_BYTES:
                yield Batch(items, checkpoint(event.offset))
                items, held_bytes = [], 0
            if isinstance(event, Capture):
                items.append(_work_item(source, event))
                held_bytes += len(event.body)
            elif isinstance(event, Skip):
                discovery.skip(f"warc_{event.reason}")
            else:
                discovery.reject(source, f"{path}@{event.offset}", event.reason, event.detail)
    yield Batch(items, checkpoint(size, done=True))


def read(source: Source, context: ReadContext) -> Generator[Batch]:
    """Every HTML page captured in the source's WARC files, a hundred records at a time."""
    for path in matching_files(source_glob(source, context.base_dir)):
        yield from _read_file(source, Path(path), context)


def extract_warc(path: str) -> Iterator[StoryRecord | tuple[str, ParseError]]:
    """`dateline extract FILE.warc.gz`: the story of every HTML page in the file, or why there is none."""
    with open(path, "rb") as handle:
        for event in read_events(handle):
            if isinstance(event, Damage):
                yield f"{path}@{event.offset}", ParseError(event.reason, event.detail)
            elif isinstance(event, Capture):
                try:
                    yield from parse_document(
                        event.body, locator=event.uri, url=event.uri, content_type=event.content_type
                    )
                except ParseError as error:
                    yield event.uri, error
