"""Run article extraction over many files on all cores: the I/O edge of `dateline extract`.

Parsing is CPU-bound and pure, so pages are spread over a process pool in chunks (one
pickle round-trip per chunk, not per page); each worker reads its own files so only paths
and records cross process boundaries. Results come back in input order.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from transforms.errors import ParseError
from transforms.parsers.article import parse_article
from transforms.parsers.html.document import MAX_INPUT_BYTES
from transforms.record import StoryRecord

Result = StoryRecord | tuple[str, ParseError]
_CHUNK = 8
_MAX_FILE_BYTES = 64 * MAX_INPUT_BYTES  # read cap: a bigger file is cut, the parser caps again


def read_page(path: str) -> bytes:
    """The page bytes, gunzipped when the name ends in .gz; capped so a huge file cannot exhaust memory."""
    with open(path, "rb") as handle:
        if path.endswith(".gz"):
            with gzip.GzipFile(fileobj=handle) as unzipped:
                return unzipped.read(MAX_INPUT_BYTES)
        return handle.read(_MAX_FILE_BYTES)


def extract_file(path: str) -> Result:
    """One file as a record, or (path, ParseError) when it holds no readable article."""
    try:
        data = read_page(path)
    except (OSError, EOFError, zlib.error) as error:
        return path, ParseError("unreadable", f"{type(error).__name__}: {error}")
    try:
        return parse_article(data, locator=path)
    except ParseError as error:
        return path, error


def _extract_chunk(paths: list[str]) -> list[Result]:
    return [extract_file(p) for p in paths]


def extract_paths(paths: list[str], workers: int | None = None) -> Iterator[Result]:
    """Records (or rejects) for `paths` in order; `workers` processes (default: all cores, 1 = in-process)."""
    paths = [str(p) for p in paths]
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(paths) < 2 * _CHUNK:
        for path in paths:
            yield extract_file(path)
        return
    chunks = [paths[i : i + _CHUNK] for i in range(0, len(paths), _CHUNK)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for results in pool.map(_extract_chunk, chunks):
            yield from results


def page_paths(root: str | Path) -> list[str]:
    """The .html/.htm/.html.gz files under `root` (or `root` itself), sorted for a stable order."""
    root = Path(root)
    if root.is_file():
        return [str(root)]
    suffixes = (".html", ".htm", ".html.gz", ".htm.gz")
    return sorted(str(p) for p in root.rglob("*") if p.is_file() and p.name.endswith(suffixes))
