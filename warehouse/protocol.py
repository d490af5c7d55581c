"""The one interface the flows use to talk to a warehouse, the values that cross it, and its errors.

Backends implement it (`warehouse/duckdb/`: one DuckDB file; `warehouse.staging.StagingWarehouse`
wraps any backend to stage loads while it is locked); `warehouse.open_warehouse` picks one from a
location, so nothing in `flows/` names DuckDB. Analysts' reads go through `query`/`frames`, never
through a raw connection, so a backend decides how a read is opened (read-only, sandboxed, retried).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

import polars as pl

from transforms.star import Reject, StarBatch


class WarehouseError(RuntimeError):
    """The warehouse cannot be used (bad path, unwritable folder, full disk); the message is one line."""


class QueryError(WarehouseError):
    """An analyst's query failed (syntax, unknown name, types); the message is the engine's own, whole."""


class WarehouseLocked(WarehouseError):
    """Another process holds the database file; the message says which process when DuckDB tells us."""


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one merge did, per story; `by_source` splits new and updated by source name, for the run's
    per-source table."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    by_source: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class KnownStory:
    """What the warehouse already holds for a URL, so unchanged articles are not fetched again."""

    url: str
    updated_at: datetime | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class LoadBatch:
    """Everything one merge commits together: the chunk's star frames and its bookkeeping (fetch log,
    rejects, the HTTP validators of the run's last chunk, MinHash signatures), so a crash can never leave
    them out of step with the stories."""

    star: StarBatch
    run_id: str
    seen_at: datetime
    fetches: pl.DataFrame | None = None
    rejects: list[Reject] = field(default_factory=list)
    http_state: pl.DataFrame | None = None
    signatures: pl.DataFrame | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked story, with enough to decide whether to read it."""

    story_key: int
    score: float
    headline: str
    source: str
    day: date
    url: str | None
    topics: list[str]
    snippet: str


@dataclass(frozen=True, slots=True)
class QueryResult:
    """An analyst query's answer: column names and rows."""

    columns: list[str]
    rows: list[tuple]


@dataclass(frozen=True, slots=True)
class LeaseHolder:
    """Another live run that holds a source this run wants (`etl_lease`)."""

    source: str
    run_id: str
    host: str
    pid: int


class Warehouse(Protocol):
    """Storage for the star schema and the ETL bookkeeping tables."""

    location: str

    # -- runs and loads ----------------------------------------------------------------------------

    def check_writable(self) -> None:
        """Raise a one-line `WarehouseError` now when a run could not write, before any work starts."""
        ...

    def migrate(self) -> list[int]: ...

    def start_run(self, run_id: str, flow_run_id: str | None, started_at: datetime) -> None: ...

    def finish_run(self, run_id: str, status: str, counts: dict[str, int], message: str | None) -> None: ...

    def upsert_sources(self, sources: pl.DataFrame) -> None: ...

    def take_leases(self, run_id: str, sources: Sequence[str], ttl_s: float) -> list[LeaseHolder]: ...

    def release_leases(self, run_id: str) -> None: ...

    def load(self, batch: LoadBatch, *, staged_name: str | None = None) -> LoadResult | None:
        """Merge one batch in one transaction; None when it was staged instead (`StagingWarehouse`).
        `staged_name` makes the merge of a staged batch happen once, however often it is retried."""
        ...

    # -- what a run asks before it fetches ---------------------------------------------------------

    def known_stories(self, urls: list[str]) -> dict[str, KnownStory]: ...

    def http_validators(self, urls: list[str]) -> dict[str, tuple[str | None, str | None]]: ...

    def url_owners(self, urls: list[str]) -> dict[str, str]: ...

    def signatures_near(self, first_day: int, last_day: int, signatures: pl.DataFrame) -> pl.DataFrame:
        """Stored stories of a `date_key` range whose MinHash signature shares an LSH band with one of `signatures`
        (column `signature`), as SIGNATURE_COLUMNS: the only stored stories `link_duplicates` can pair with them,
        found in the engine so that a run's memory does not grow with the warehouse."""
        ...

    def stories_to_enrich(self, version: str, after_key: int | None, limit: int) -> pl.DataFrame:
        """Up to `limit` stored stories whose `fact_story.enrichment_version` is not `version`, in story_key
        order after `after_key`, with the text enrichment reads (`transforms.normalise.reenrich_chunk`). Their
        new rows go back through `load`, as a batch whose `star.reenriched` names them."""
        ...

    # -- analysts ----------------------------------------------------------------------------------

    def query(self, sql: str, *, timeout_s: float | None = 60.0, readable_dirs: Sequence[str] = ()) -> QueryResult:
        """One analyst statement of a reading kind, on a read-only connection that cannot reach the filesystem
        (except `readable_dirs`, for reading files), stopped after `timeout_s` seconds (None: no limit).
        Raises `QueryError` with the engine's whole message."""
        ...

    def export(self, relation: str, out: Path, *, timeout_s: float | None = None) -> int:
        """Write a table, a view (by name) or one reading query to `out` (`.parquet` or `.csv`), read under the
        same sandbox as `query`; returns the rows written. The file appears whole or not at all."""
        ...

    def frames(self, queries: Mapping[str, str]) -> dict[str, pl.DataFrame]:
        """Several read-only queries answered in one session, as Polars frames (the report's data)."""
        ...

    def search(
        self, terms: str, *, since: date | None, until: date | None, topic: str | None, limit: int
    ) -> tuple[list[SearchHit], int]:
        """Ranked full-text search; also returns how many stories the index does not hold yet."""
        ...

    # -- housekeeping ------------------------------------------------------------------------------

    def refresh_search_index(self, *, force: bool = False) -> bool:
        """Rebuild the search index if stories changed (always with `force`); whether it rebuilt."""
        ...

    def repair_summaries(self) -> dict[str, int]:
        """Make the views' summary tables equal to a rebuild; rows repaired per table."""
        ...

    def checkpoint(self) -> None:
        """Make the stored state complete on its own (a backup copies it as it is)."""
        ...

    def export_parquet(self, out_dir: Path) -> dict[str, int]:
        """A Parquet copy of the star schema under `out_dir`; rows written per table."""
        ...
