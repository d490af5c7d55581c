"""`dateline extract`: parse files (on all cores) or fetched URLs into story records, no warehouse.

Parsing is CPU-bound and pure, so files are spread over the run's process pool
(`flows.runtime.workers`, whose forkserver already holds the language model) in chunks: one
pickle round-trip per chunk, not per page; each worker reads its own files so only paths and
records cross process boundaries. Results come back in input order, a batch of chunks at a
time so output starts before the last file is read. Each file goes through the document
dispatcher, so saved feeds and story dumps work as well as pages.
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

from flows.runtime.workers import map_slices
from flows.runtime.workers import workers as _default_workers
from flows.sources.access import access_for_url
from flows.sources.config import WARC_SUFFIXES
from flows.sources.fetching import FetchRequest
from flows.sources.fetching.session import FetchSession, run_fetch_settings
from flows.sources.warc import extract_warc
from transforms.decompress import BoundedInflater, OutputLimitExceeded
from transforms.errors import ParseError
from transforms.parsers.document import MAX_DOCUMENT_BYTES, parse_document
from transforms.record import StoryRecord

Result = StoryRecord | tuple[str, ParseError]
_CHUNK = 8
_CHUNKS_PER_BATCH = 32  # per process: few pauses at batch ends, output still flowing on large folders
_READ_BYTES = 1024 * 1024
_SUFFIXES = tuple(f"{kind}{gz}" for kind in (".html", ".htm", ".xml", ".rss", ".atom", ".txt") for gz in ("", ".gz"))


def read_page(path: str) -> bytes:
    """The file's bytes, gunzipped when the name ends in .gz; read up to one byte past the dispatcher's
    size limit, so a huge file is refused as too large without being held in memory whole.

    A .gz file is inflated as it is read by the project's one bounded inflater: OutputLimitExceeded past
    the limit, zlib.error when corrupt, EOFError when it ends before its end-of-stream marker."""
    with open(path, "rb") as handle:
        if not path.endswith(".gz"):
            return handle.read(MAX_DOCUMENT_BYTES + 1)
        inflater = BoundedInflater(MAX_DOCUMENT_BYTES)
        data = b"".join(inflater.feed(piece) for piece in iter(partial(handle.read, _READ_BYTES), b""))
        if not inflater.eof:
            raise EOFError("compressed file ended before the end-of-stream marker was reached")
        return data


def extract_file(path: str) -> list[Result]:
    """The stories of one file (a page gives one, a dump several), or [(path, ParseError)]."""
    if path.startswith(("http://", "https://")):
        return [(path, ParseError("url_input", "extract reads files; fetch URLs with `dateline run`"))]
    if path.lower().endswith(WARC_SUFFIXES):
        return list(extract_warc(path))
    try:
        data = read_page(path)
    except OutputLimitExceeded as error:
        return [(path, ParseError("too_large", str(error)))]
    except (OSError, EOFError, zlib.error) as error:
        return [(path, ParseError("unreadable", f"{type(error).__name__}: {error}"))]
    try:
        return list(parse_document(data, locator=path))
    except ParseError as error:
        return [(path, error)]


def _extract_chunk(paths: Sequence[str]) -> list[Result]:
    return [result for path in paths for result in extract_file(path)]


def extract_paths(paths: list[str], workers: int | None = None) -> Iterator[Result]:
    """Records (or rejects) for `paths` in order; `workers` processes (default: the run's worker count,
    1 = in-process).

    A directory stands for the documents under it (see `page_paths`).
    """
    paths = [f for p in paths for f in (page_paths(p) if Path(p).is_dir() else [str(p)])]
    processes = workers or _default_workers()
    batch = processes * _CHUNKS_PER_BATCH * _CHUNK
    for start in range(0, len(paths), batch):
        parts = map_slices(
            _extract_chunk, paths[start : start + batch], processes=processes, min_items=2 * _CHUNK, slice_size=_CHUNK
        )
        for results in parts:
            yield from results


def page_paths(root: str | Path) -> list[str]:
    """The documents under `root` (or `root` itself), sorted for a stable order."""
    root = Path(root)
    if root.is_file():
        return [str(root)]
    return sorted(str(p) for p in root.rglob("*") if p.is_file() and p.name.lower().endswith(_SUFFIXES))


def extract_urls(
    urls: list[str], allow_private_networks: bool = False
) -> Iterator[StoryRecord | tuple[str, ParseError]]:
    """Records (or the reason there are none) for each URL, in order. Each URL is fetched with the network
    guard (public addresses only unless allowed) and its own credentials, which go to its host alone and
    never appear in the records."""
    requests = [
        FetchRequest(url, access=access_for_url(url, allow_private_networks=allow_private_networks)) for url in urls
    ]
    with (
        tempfile.TemporaryDirectory(prefix="dateline-extract-") as state,
        FetchSession(run_fetch_settings(Path(state))) as session,
    ):
        results = session.fetch_many(requests)
    for url, result in zip((r.url for r in results), results, strict=True):
        if result.error or result.body is None:
            yield url, ParseError(result.error or "no_body", f"HTTP {result.status_code}")
            continue
        try:
            records = parse_document(
                result.body, locator=url, url=result.final_url or url, content_type=result.content_type
            )
        except ParseError as error:
            yield url, error
            continue
        yield from records
