"""Durable staging of loads the warehouse could not take because another process held it.

A DuckDB file held by an analyst's notebook cannot be opened at all by the flow. Rather than
fail the run (and lose what it fetched) or wait without bound, the flow writes each batch here
as Parquet files plus a JSON manifest, atomically (written to a temporary folder, fsynced,
then renamed), and the next run merges the staged batches, in order, before its own.

`StagingWarehouse` is what a run loads through: the same `Warehouse` protocol, passed to the
backend while it can take writes, and to staging once the backend's own bounded lock retry has run
out. From then on the run stops asking the warehouse what it knows, which costs a full fetch but
no data.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from pathlib import Path

import polars as pl

from transforms.star import SIGNATURE_COLUMNS, Reject, StarBatch
from warehouse.protocol import (
    KnownStory,
    LoadBatch,
    LoadResult,
    QueryResult,
    SearchHit,
    Warehouse,
    WarehouseLocked,
)

_FRAMES = [f.name for f in fields(StarBatch) if f.name not in ("duplicates_collapsed", "rejects")]
_EXTRAS = ("fetches", "http_state", "signatures")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Staging:
    """The staging folder of a run's folders (`warehouse/data/staging/` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, batch: LoadBatch) -> Path:
        """Write one batch durably; returns its folder. Names sort in staging order."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now().strftime('%Y%m%dT%H%M%S%f')}-{batch.run_id}"
        work = self.root / f".{name}.tmp"
        work.mkdir()
        frames = {n: getattr(batch.star, n) for n in _FRAMES} | {
            n: frame for n in _EXTRAS if (frame := getattr(batch, n)) is not None
        }
        for frame_name, frame in frames.items():
            frame.write_parquet(work / f"{frame_name}.parquet")
        manifest = {
            "run_id": batch.run_id,
            "seen_at": batch.seen_at.isoformat(),
            "duplicates_collapsed": batch.star.duplicates_collapsed,
            "rejects": [asdict(r) for r in [*batch.star.rejects, *batch.rejects]],
        }
        (work / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        for path in work.iterdir():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        final = self.root / name
        work.rename(final)
        _fsync_dir(self.root)
        return final

    def pending(self) -> list[Path]:
        """Staged batches waiting for a merge, oldest first (half-written ones are ignored)."""
        if not self.root.exists():
            return []
        return sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    @staticmethod
    def read(folder: Path) -> LoadBatch:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        frames = {n: pl.read_parquet(folder / f"{n}.parquet") for n in _FRAMES}
        extras = {
            n: pl.read_parquet(folder / f"{n}.parquet") if (folder / f"{n}.parquet").exists() else None for n in _EXTRAS
        }
        star = StarBatch(**frames, duplicates_collapsed=manifest["duplicates_collapsed"])
        rejects = [Reject(**r) for r in manifest["rejects"]]
        seen_at = datetime.fromisoformat(manifest["seen_at"])
        return LoadBatch(star, manifest["run_id"], seen_at, rejects=rejects, **extras)

    @staticmethod
    def discard(folder: Path) -> None:
        """Remove a batch once its merge has committed."""
        shutil.rmtree(folder)


@dataclass(slots=True)
class MergeReport:
    batches: int = 0
    result: LoadResult = field(default_factory=LoadResult)


class StagingWarehouse:
    """A `Warehouse` that passes everything to `backend`, and stages loads under `staging_dir` once the
    backend stays locked (`locked_by` says by whom)."""

    def __init__(self, backend: Warehouse, staging_dir: Path) -> None:
        self.backend = backend
        self.location = backend.location
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
            try:
                result = self.backend.load(self.staging.read(folder), staged_name=folder.name) or LoadResult()
            except WarehouseLocked as error:
                self.mark_locked(error)
                break
            self.staging.discard(folder)
            report.batches += 1
            new, updated, unchanged = new + result.new, updated + result.updated, unchanged + result.unchanged
        report.result = LoadResult(new, updated, unchanged)
        return report

    # -- runs and loads: staged while locked ---------------------------------------------------------

    def load(self, batch: LoadBatch, *, staged_name: str | None = None) -> LoadResult | None:
        """Merge now, or stage and return None when the warehouse stays locked."""
        if self.locked_by is None:
            try:
                return self.backend.load(batch, staged_name=staged_name)
            except WarehouseLocked as error:
                self.mark_locked(error)
        self.staging.put(batch)
        self.staged_stories += batch.star.stories.height
        return None

    def check_writable(self) -> None:
        self.backend.check_writable()

    def migrate(self) -> list[int]:
        return self.backend.migrate()

    def start_run(self, run_id: str, flow_run_id: str | None, started_at: datetime) -> None:
        self.backend.start_run(run_id, flow_run_id, started_at)

    def finish_run(self, run_id: str, status: str, counts: dict[str, int], message: str | None) -> None:
        self.backend.finish_run(run_id, status, counts, message)

    def upsert_sources(self, sources: pl.DataFrame) -> None:
        self.backend.upsert_sources(sources)

    # -- what a run asks: nothing while locked (a full fetch costs time, not data) -------------------

    def known_stories(self, urls: list[str]) -> dict[str, KnownStory]:
        return {} if self.locked_by else self.backend.known_stories(urls)

    def http_validators(self, urls: list[str]) -> dict[str, tuple[str | None, str | None]]:
        return {} if self.locked_by else self.backend.http_validators(urls)

    def url_owners(self, urls: list[str]) -> dict[str, str]:
        return self.backend.url_owners(urls)

    def signatures_between(self, first_day: int, last_day: int) -> pl.DataFrame:
        if self.locked_by:
            return pl.DataFrame(schema=SIGNATURE_COLUMNS)
        return self.backend.signatures_between(first_day, last_day)

    # -- analysts and housekeeping: the backend's own --------------------------------------------------

    def query(self, sql: str) -> QueryResult:
        return self.backend.query(sql)

    def frames(self, queries: Mapping[str, str]) -> dict[str, pl.DataFrame]:
        return self.backend.frames(queries)

    def search(
        self, terms: str, *, since: date | None, until: date | None, topic: str | None, limit: int
    ) -> tuple[list[SearchHit], int]:
        return self.backend.search(terms, since=since, until=until, topic=topic, limit=limit)

    def refresh_search_index(self, *, force: bool = False) -> bool:
        return False if self.locked_by else self.backend.refresh_search_index(force=force)

    def repair_summaries(self) -> dict[str, int]:
        return self.backend.repair_summaries()

    def checkpoint(self) -> None:
        self.backend.checkpoint()

    def export_parquet(self, out_dir: Path) -> dict[str, int]:
        return self.backend.export_parquet(out_dir)
