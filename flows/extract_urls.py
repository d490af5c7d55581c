"""`dateline extract URL`: fetch pages with the same polite, bounded client as a run, then parse them.

Nothing touches the warehouse; robots.txt answers are cached in a temporary folder for this call.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from flows.fetch_session import FetchSession
from flows.fetching import FetchRequest, FetchSettings
from transforms.errors import ParseError
from transforms.parsers.document import parse_document
from transforms.record import StoryRecord


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
