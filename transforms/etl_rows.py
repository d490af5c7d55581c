"""Row schemas and builders for the ETL bookkeeping tables (`etl_fetch`, `dim_source`, `etl_http_state`).

They sit beside the star-schema builders (`transforms/star.py`, which also defines `Reject`, the
`etl_reject` row) so every frame a load carries is shaped in one place. Pure: the caller passes the
clock, and inputs are anything with the named attributes (fetch results, configured sources).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

import polars as pl

from transforms.star import source_key
from transforms.urls import without_userinfo

FETCH_COLUMNS = {
    "url": pl.String(),
    "final_url": pl.String(),
    "status_code": pl.Int32(),
    "bytes": pl.Int64(),
    "elapsed_ms": pl.Int32(),
    "etag": pl.String(),
    "last_modified": pl.String(),
    "not_modified": pl.Boolean(),
    "error": pl.String(),
    "archive_key": pl.String(),
    "fetched_at": pl.Datetime("us", "UTC"),
}
SOURCE_COLUMNS = {
    "source_key": pl.Int64(),
    "name": pl.String(),
    "kind": pl.String(),
    "url": pl.String(),
    "domain": pl.String(),
}


class FetchLike(Protocol):
    url: str
    final_url: str | None
    status_code: int | None
    bytes: int
    elapsed_ms: int
    etag: str | None
    last_modified: str | None
    not_modified: bool
    error: str | None
    archive_key: str | None


class SourceLike(Protocol):
    name: str
    kind: str

    @property
    def location(self) -> str: ...

    @property
    def domain(self) -> str | None: ...


def fetch_rows(results: Sequence[FetchLike], fetched_at: datetime) -> pl.DataFrame:
    """`etl_fetch` rows for a list of fetch results."""
    names = [c for c in FETCH_COLUMNS if c != "fetched_at"]
    rows = [{**{n: getattr(r, n) for n in names}, "fetched_at": fetched_at} for r in results]
    return pl.DataFrame(rows, schema=FETCH_COLUMNS)


def sources_frame(sources: Sequence[SourceLike]) -> pl.DataFrame:
    """`dim_source` rows for the configured sources (URLs without their credentials)."""
    return pl.DataFrame(
        {
            "source_key": [source_key(s.name) for s in sources],
            "name": [s.name for s in sources],
            "kind": [s.kind for s in sources],
            "url": [without_userinfo(s.location) for s in sources],
            "domain": [s.domain for s in sources],
        },
        schema=SOURCE_COLUMNS,
    )


def http_state_rows(validators: Iterable[tuple[str, str | None, str | None]], checked_at: datetime) -> list[dict]:
    """`etl_http_state` rows (URL, ETag, Last-Modified) to store with a run's final load."""
    return [
        {"url": url, "etag": etag, "last_modified": modified, "checked_at": checked_at}
        for url, etag, modified in validators
    ]
