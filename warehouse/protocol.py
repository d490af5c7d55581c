"""The one interface the flows use to talk to a warehouse, and its errors.

Backends implement it (`warehouse/duckdb/`: one DuckDB file); `warehouse.open_warehouse` picks
one from a location, so nothing in `flows/` names DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import polars as pl

from transforms.star import Reject, StarBatch


class WarehouseError(RuntimeError):
    """The warehouse cannot be used (bad path, unwritable folder, full disk); the message is one line."""


class WarehouseLocked(WarehouseError):
    """Another process holds the database file; the message says which process when DuckDB tells us."""


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one merge did, per story."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class KnownStory:
    """What the warehouse already holds for a URL, so unchanged articles are not fetched again."""

    url: str
    updated_at: datetime | None
    published_at: datetime | None


class Warehouse(Protocol):
    """Storage for the star schema and the ETL bookkeeping tables."""

    location: str

    def migrate(self) -> list[int]: ...

    def start_run(self, run_id: str, flow_run_id: str | None, started_at: datetime) -> None: ...

    def finish_run(self, run_id: str, status: str, counts: dict[str, int], message: str | None) -> None: ...

    def upsert_sources(self, sources: pl.DataFrame) -> None: ...

    def load(
        self,
        batch: StarBatch,
        *,
        run_id: str,
        seen_at: datetime,
        fetches: pl.DataFrame | None = None,
        rejects: list[Reject] | None = None,
        http_state: pl.DataFrame | None = None,
        signatures: pl.DataFrame | None = None,
        staged_name: str | None = None,
    ) -> LoadResult: ...

    def known_stories(self, urls: list[str]) -> dict[str, KnownStory]: ...

    def http_validators(self, urls: list[str]) -> dict[str, tuple[str | None, str | None]]: ...

    def url_owners(self, urls: list[str]) -> dict[str, str]: ...

    def signatures_between(self, first_day: int, last_day: int) -> pl.DataFrame: ...

    def read_only(self) -> AbstractContextManager[Any]: ...

    def query(self, sql: str) -> tuple[list[str], Iterator[tuple]]: ...
