"""Durable staging of loads the warehouse could not take because another process held it.

A DuckDB file held by an analyst's notebook cannot be opened at all by the flow. Rather than
fail the run (and lose what it fetched) or wait without bound, the flow writes each batch here
as Parquet files plus a JSON manifest, atomically (written to a temporary folder, fsynced,
then renamed), and the next run merges the staged batches, in order, before its own.

`LoadSink` is what a run loads through: into the warehouse while it can, to staging once the
backend's own bounded lock retry has run out. From then on the run stops asking the warehouse what
it knows, which costs a full fetch but no data.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path

import polars as pl

from transforms.star import SIGNATURE_COLUMNS, Reject, StarBatch
from warehouse.protocol import KnownStory, LoadResult, Warehouse, WarehouseLocked

_FRAMES = [f.name for f in fields(StarBatch) if f.name not in ("duplicates_collapsed", "rejects")]
_EXTRAS = ("fetches", "http_state", "signatures")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class StagedBatch:
    """One staged load: the star batch and everything `Warehouse.load` takes with it."""

    def __init__(
        self,
        batch: StarBatch,
        run_id: str,
        seen_at: datetime,
        extras: dict[str, pl.DataFrame | None],
        rejects: list[Reject],
    ) -> None:
        self.batch = batch
        self.run_id = run_id
        self.seen_at = seen_at
        self.extras = extras
        self.rejects = rejects


class Staging:
    """The staging folder beside the warehouse file (`warehouse/data/staging/` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, staged: StagedBatch) -> Path:
        """Write one batch durably; returns its folder. Names sort in staging order."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now().strftime('%Y%m%dT%H%M%S%f')}-{staged.run_id}"
        work = self.root / f".{name}.tmp"
        work.mkdir()
        frames = {n: getattr(staged.batch, n) for n in _FRAMES} | {
            n: f for n, f in staged.extras.items() if f is not None
        }
        for frame_name, frame in frames.items():
            frame.write_parquet(work / f"{frame_name}.parquet")
        manifest = {
            "run_id": staged.run_id,
            "seen_at": staged.seen_at.isoformat(),
            "duplicates_collapsed": staged.batch.duplicates_collapsed,
            "rejects": [asdict(r) for r in [*staged.batch.rejects, *staged.rejects]],
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
    def read(folder: Path) -> StagedBatch:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        frames = {n: pl.read_parquet(folder / f"{n}.parquet") for n in _FRAMES}
        extras = {
            n: pl.read_parquet(folder / f"{n}.parquet") if (folder / f"{n}.parquet").exists() else None for n in _EXTRAS
        }
        batch = StarBatch(**frames, duplicates_collapsed=manifest["duplicates_collapsed"])
        rejects = [Reject(**r) for r in manifest["rejects"]]
        return StagedBatch(batch, manifest["run_id"], datetime.fromisoformat(manifest["seen_at"]), extras, rejects)

    @staticmethod
    def discard(folder: Path) -> None:
        """Remove a batch once its merge has committed."""
        shutil.rmtree(folder)


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
