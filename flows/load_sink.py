"""Where a run's batches go: into the warehouse, or to durable staging while someone else holds it.

The warehouse backend already retries a held lock for a bounded time. When that runs out, the
run does not fail and does not lose what it fetched: from then on it stages every batch on disk
(and stops asking the warehouse what it knows, which costs a full fetch but no data). The next
run merges staged batches first, oldest first, exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from transforms.star import SIGNATURE_COLUMNS, Reject, StarBatch
from warehouse.backend import KnownStory, LoadResult, Warehouse, WarehouseLocked
from warehouse.staging import StagedBatch, Staging


@dataclass(slots=True)
class MergeReport:
    batches: int = 0
    result: LoadResult = field(default_factory=LoadResult)


class LoadSink:
    """Loads batches into `warehouse`, staging them under `staging_dir` when it is locked."""

    def __init__(self, warehouse: Warehouse, staging_dir: Path) -> None:
        self.warehouse = warehouse
        self.staging = Staging(staging_dir)
        self.locked_by: str | None = None
        self.staged_stories = 0

    def mark_locked(self, error: WarehouseLocked) -> None:
        self.locked_by = str(error)

    def merge_staged(self) -> MergeReport:
        """Merge what earlier runs staged; stops quietly if the warehouse is locked again."""
        report = MergeReport()
        new = updated = unchanged = 0
        for folder in self.staging.pending():
            staged = self.staging.read(folder)
            try:
                result = self.warehouse.load(
                    staged.batch,
                    run_id=staged.run_id,
                    seen_at=staged.seen_at,
                    fetches=staged.extras["fetches"],
                    rejects=staged.rejects,
                    http_state=staged.extras["http_state"],
                    signatures=staged.extras["signatures"],
                    staged_name=folder.name,
                )
            except WarehouseLocked as error:
                self.mark_locked(error)
                break
            self.staging.discard(folder)
            report.batches += 1
            new, updated, unchanged = new + result.new, updated + result.updated, unchanged + result.unchanged
        report.result = LoadResult(new, updated, unchanged)
        return report

    def load(
        self,
        batch: StarBatch,
        *,
        run_id: str,
        seen_at: datetime,
        fetches: pl.DataFrame,
        rejects: list[Reject],
        http_state: pl.DataFrame | None,
        signatures: pl.DataFrame,
    ) -> LoadResult | None:
        """Merge now, or stage and return None when the warehouse stays locked."""
        if self.locked_by is None:
            try:
                return self.warehouse.load(
                    batch,
                    run_id=run_id,
                    seen_at=seen_at,
                    fetches=fetches,
                    rejects=rejects,
                    http_state=http_state,
                    signatures=signatures,
                )
            except WarehouseLocked as error:
                self.mark_locked(error)
        extras = {"fetches": fetches, "http_state": http_state, "signatures": signatures}
        self.staging.put(StagedBatch(batch, run_id, seen_at, extras, rejects))
        self.staged_stories += batch.stories.height
        return None

    def known_stories(self, urls: list[str]) -> dict[str, KnownStory]:
        return {} if self.locked_by else self.warehouse.known_stories(urls)

    def http_validators(self, urls: list[str]) -> dict[str, tuple[str | None, str | None]]:
        return {} if self.locked_by else self.warehouse.http_validators(urls)

    def signatures_between(self, first_day: int, last_day: int) -> pl.DataFrame:
        if self.locked_by:
            return pl.DataFrame(schema=SIGNATURE_COLUMNS)
        return self.warehouse.signatures_between(first_day, last_day)
