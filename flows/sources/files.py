"""File sources (`file`): a glob of saved feeds, HTML pages and story dumps, handed out in batches.

The glob is walked lazily (`iglob`), so a folder of a million files is never listed whole before the
first chunk; each batch is sorted, which keeps small sources in a stable order.
"""

from __future__ import annotations

import glob
from collections.abc import Generator
from pathlib import Path

from flows.sources.config import Source
from flows.sources.discover import Batch, ReadContext, WorkItem

BATCH = 500


def source_glob(source: Source, base_dir: Path) -> str:
    """The source's glob, absolute: a relative one is read against the sources file's folder."""
    pattern = source.path or ""
    return pattern if Path(pattern).is_absolute() else str(base_dir / pattern)


def matching_files(pattern: str) -> Generator[str]:
    """Files (not folders) matching the glob, found lazily."""
    for path in glob.iglob(pattern, recursive=True):
        if Path(path).is_file():
            yield path


def read(source: Source, context: ReadContext) -> Generator[Batch]:
    batch: list[str] = []
    for path in matching_files(source_glob(source, context.base_dir)):
        batch.append(path)
        if len(batch) == BATCH:
            yield Batch([WorkItem(source, p, is_url=False) for p in sorted(batch)])
            batch = []
    if batch:
        yield Batch([WorkItem(source, p, is_url=False) for p in sorted(batch)])
