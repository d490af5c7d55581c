"""`dateline extract`: parse files (on all cores) or fetched URLs into story records, no warehouse.

Parsing is CPU-bound and pure, so files are spread over a process pool in chunks (one
pickle round-trip per chunk, not per page); each worker reads its own files so only paths
and records cross process boundaries. Results come back in input order. Each file goes
through the document dispatcher, so saved feeds and story dumps work as well as pages.
"""

from __future__ import annotations

import gzip
import os
import tempfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from flows.sources.config import WARC_SUFFIXES
from flows.sources.fetching import FetchRequest, FetchSettings
from flows.sources.fetching.session import FetchSession
from flows.sources.warc import extract_warc
from transforms.errors import ParseError
from transforms.parsers.document import MAX_DOCUMENT_BYTES, parse_document
from transforms.parsers.html.language import load_language_model
from transforms.record import StoryRecord

Result = StoryRecord | tuple[str, ParseError]
_CHUNK = 8
_SUFFIXES = tuple(f"{kind}{gz}" for kind in (".html", ".htm", ".xml", ".rss", ".atom", ".txt") for gz in ("", ".gz"))


def read_page(path: str) -> bytes:
    """The file's bytes, gunzipped when the name ends in .gz; read up to one byte past the dispatcher's
    size limit, so a huge file is refused as too large without being held in memory whole."""
    with open(path, "rb") as handle:
        if path.endswith(".gz"):
            with gzip.GzipFile(fileobj=handle) as unzipped:
                return unzipped.read(MAX_DOCUMENT_BYTES + 1)
        return handle.read(MAX_DOCUMENT_BYTES + 1)


def extract_file(path: str) -> list[Result]:
    """The stories of one file (a page gives one, a dump several), or [(path, ParseError)]."""
    if path.startswith(("http://", "https://")):
        return [(path, ParseError("url_input", "extract reads files; fetch URLs with `dateline run`"))]
    if path.lower().endswith(WARC_SUFFIXES):
        return list(extract_warc(path))
    try:
        data = read_page(path)
    except (OSError, EOFError, zlib.error) as error:
        return [(path, ParseError("unreadable", f"{type(error).__name__}: {error}"))]
    try:
        return list(parse_document(data, locator=path))
    except ParseError as error:
        return [(path, error)]


def _extract_chunk(paths: list[str]) -> list[Result]:
    return [result for path in paths for result in extract_file(path)]


def extract_paths(paths: list[str], workers: int | None = None) -> Iterator[Result]:
    """Records (or rejects) for `paths` in order; `workers` processes (default: all cores, 1 = in-process).

    A directory stands for the documents under it (see `page_paths`).
    """
    paths = [f for p in paths for f in (page_paths(p) if Path(p).is_dir() else [str(p)])]
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(paths) < 2 * _CHUNK:
        for path in paths:
            yield from extract_file(path)
        return
    chunks = [paths[i : i + _CHUNK] for i in range(0, len(paths), _CHUNK)]
    load_language_model()  # before the pool forks, so the workers share one copy
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for results in pool.map(_extract_chunk, chunks):
            yield from results


def page_paths(root: str | Path) -> list[str]:
    """The documents under `root` (or `root` itself), sorted for a stable order."""
    root = Path(root)
    if root.is_file():
        return [str(root)]
    return sorted(str(p) for p in root.rglob("*") if p.is_file() and p.name.lower().endswith(_SUFFIXES))


def extract_urls(urls: list[str]) -> Iterator[StoryRecord | tuple[str, ParseError]]:
    """Records (or the reason there are none) for each URL, in order."""
    with (
        tempfile.TemporaryDirectory(prefix="dateline-extract-") as state,
        FetchSession(FetchSettings(state_dir=Path(state))) as session,
    ):
        results = session.fetch_many([FetchRequest(url) for url in urls])
    for url, result in zip(urls, results, strict=True):
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
