"""Durable staging of loads the warehouse could not take because another process held it.

A DuckDB file held by an analyst's notebook cannot be opened at all by the flow. Rather than
fail the run (and lose what it fetched) or wait without bound, the flow writes each batch here
as Parquet files plus a JSON manifest, atomically (written to a temporary folder, fsynced,
then renamed), and the next run merges the staged batches, in order, before its own.

Staged batches belong to one warehouse: several warehouses can share a data folder (two files in one
directory, `DATELINE_DATA_DIR` set for all of them), and a batch merged into the wrong one would put
stories there whose source is not in its `dim_source`. So each warehouse stages under
`staging/<hash of its resolved location>/`, each manifest names the location, and a merge takes only
the batches whose manifest names its own warehouse. A batch also carries its run's `dim_source` rows:
a run that found the warehouse locked could not register its sources, and the run that merges the
batch later may read other sources, so without them its stories would name a source the warehouse lacks.

`StagingWarehouse` is what a run loads through: the same `Warehouse` protocol, passed to the
backend while it can take writes, and to staging once the backend's own bounded lock retry has run
out. From then on the run stops asking the warehouse what it knows, which costs a full fetch but
no data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from pathlib import Path

import polars as pl

from transforms.star import SIGNATURE_COLUMNS, Reject, StarBatch
from warehouse import is_file_location
from warehouse.protocol import (
    KnownStory,
    LeaseHolder,
    LoadBatch,
    LoadResult,
    QueryResult,
    SearchHit,
    Warehouse,
    WarehouseLocked,
)

_FRAMES = [f.name for f in fields(StarBatch) if f.name not in ("duplicates_collapsed", "rejects")]
_EXTRAS = ("fetches", "http_state", "signatures")
_SOURCES = "sources.parquet"  # the staging run's dim_source rows, upserted before its batch is merged


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def warehouse_identity(location: str) -> str:
    """The location a warehouse is known by in staging: a file's resolved absolute path (so `w.duckdb`
    and `./dir/../w.duckdb` are one warehouse), a URI as given."""
    return str(Path(location).expanduser().resolve()) if is_file_location(location) else location


class Staging:
    """One warehouse's staged batches: `<staging root>/<hash of the warehouse's identity>/`."""

    def __init__(self, staging_root: Path, warehouse: str) -> None:
        self.warehouse = warehouse_identity(warehouse)
        self.root = staging_root / hashlib.sha256(self.warehouse.encode()).hexdigest()[:16]

    def put(self, batch: LoadBatch, sources: pl.DataFrame | None = None) -> Path:
        """Write one batch (with its run's `dim_source` rows) durably; returns its folder. Names sort in
        staging order."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now().strftime('%Y%m%dT%H%M%S%f')}-{batch.run_id}"
        work = self.root / f".{name}.tmp"
        work.mkdir()
        frames = {n: getattr(batch.star, n) for n in _FRAMES} | {
            n: frame for n in _EXTRAS if (frame := getattr(batch, n)) is not None
        }
        for frame_name, frame in frames.items():
            frame.write_parquet(work / f"{frame_name}.parquet")
        if sources is not None:
            sources.write_parquet(work / _SOURCES)
        manifest = {
            "warehouse": self.warehouse,
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
        """This warehouse's staged batches waiting for a merge, oldest first. Half-written ones are ignored,
        and so is a batch whose manifest names another warehouse (a folder copied or moved by hand)."""
        if not self.root.exists():
            return []
        folders = sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
        return [p for p in folders if self._manifest(p).get("warehouse") == self.warehouse]

    @staticmethod
    def _manifest(folder: Path) -> dict:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))

    @staticmethod
    def read(folder: Path) -> LoadBatch:
        manifest = Staging._manifest(folder)
        # a frame StarBatch gained after the batch was staged keeps its default (empty)
        frames = {n: pl.read_parquet(folder / f"{n}.parquet") for n in _FRAMES if (folder / f"{n}.parquet").exists()}
        extras = {
            n: pl.read_parquet(folder / f"{n}.parquet") if (folder / f"{n}.parquet").exists() else None for n in _EXTRAS
        }
        star = StarBatch(**frames, duplicates_collapsed=manifest["duplicates_collapsed"])
        rejects = [Reject(**r) for r in manifest["rejects"]]
        seen_at = datetime.fromisoformat(manifest["seen_at"])
        return LoadBatch(star, manifest["run_id"], seen_at, rejects=rejects, **extras)

    @staticmethod
    def sources(folder: Path) -> pl.DataFrame | None:
        """The staging run's `dim_source` rows (None for a batch staged before batches carried them)."""
        path = folder / _SOURCES
        return pl.read_parquet(path) if path.exists() else None

    @staticmethod
    def discard(folder: Path) -> None:
        """Remove a batch once its merge has committed."""
        shutil.rmtree(folder)


@dataclass(slots=True)
class MergeReport:
    batches: int = 0
    result: LoadResult = field(default_factory=LoadResult)


class StagingWarehouse:
    """A `Warehouse` that passes everything to `backend`, and stages loads under `staging_root` (in the
    backend's own folder there) once the backend stays locked (`locked_by` says by whom)."""

    def __init__(self, backend: Warehouse, staging_root: Path, sources: pl.DataFrame | None = None) -> None:
        """`sources`: the run's `dim_source` rows, staged with each of its batches (the run may find the
        warehouse locked before it can register them)."""
        self.backend = backend
        self.location = backend.location
        self.staging = Staging(staging_root, backend.location)
        self.locked_by: str | None = None
        self.staged_stories = 0
        self.run_sources = sources

    def mark_locked(self, error: WarehouseLocked) -> None:
        self.locked_by = str(error)

    def merge_staged(self) -> MergeReport:
        """Merge what earlier runs staged, each batch after its run's sources; stops quietly if the warehouse
        is locked again."""
        report = MergeReport()
        new = updated = unchanged = 0
        try:
            for folder in self.staging.pending():
                if (sources := self.staging.sources(folder)) is not None:
                    self.backend.upsert_sources(sources)  # idempotent: a merge that fails after it costs nothing
                result = self.backend.load(self.staging.read(folder), staged_name=folder.name) or LoadResult()
                self.staging.discard(folder)
                report.batches += 1
                new, updated, unchanged = new + result.new, updated + result.updated, unchanged + result.unchanged
            if report.batches and self.run_sources is not None:
                self.backend.upsert_sources(self.run_sources)  # this run's settings win over a batch's older ones
        except WarehouseLocked as error:
            self.mark_locked(error)
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
        self.staging.put(batch, self.run_sources)
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

    def take_leases(self, run_id: str, sources: Sequence[str], ttl_s: float) -> list[LeaseHolder]:
        return self.backend.take_leases(run_id, sources, ttl_s)

    def release_leases(self, run_id: str) -> None:
        self.backend.release_leases(run_id)

    # -- what a run asks: nothing while locked (a full fetch costs time, not data) -------------------

    def known_stories(self, urls: list[str]) -> dict[str, KnownStory]:
        return {} if self.locked_by else self.backend.known_stories(urls)

    def http_validators(self, urls: list[str]) -> dict[str, tuple[str | None, str | None]]:
        return {} if self.locked_by else self.backend.http_validators(urls)

    def url_owners(self, urls: list[str]) -> dict[str, str]:
        return self.backend.url_owners(urls)

    def signatures_near(self, first_day: int, last_day: int, signatures: pl.DataFrame) -> pl.DataFrame:
        if self.locked_by:
            return pl.DataFrame(schema=SIGNATURE_COLUMNS)
        return self.backend.signatures_near(first_day, last_day, signatures)

    def stories_to_enrich(self, version: str, after_key: int | None, limit: int) -> pl.DataFrame:
        return self.backend.stories_to_enrich(version, after_key, limit)

    # -- analysts and housekeeping: the backend's own --------------------------------------------------

    def query(self, sql: str, *, timeout_s: float | None = 60.0, readable_dirs: Sequence[str] = ()) -> QueryResult:
        return self.backend.query(sql, timeout_s=timeout_s, readable_dirs=readable_dirs)

    def export(self, relation: str, out: Path, *, timeout_s: float | None = None) -> int:
        return self.backend.export(relation, out, timeout_s=timeout_s)

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
