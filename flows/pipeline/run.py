"""What every run shares around its chunks: configuration, the warehouse's `etl_run` bookkeeping, staged
batches merged first, the search index refreshed last, and the summary published to Prefect."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.context import get_run_context

from flows.pipeline.summary import RunSummary
from flows.runtime.collector import settle_garbage_collector
from flows.runtime.settings import RunFolders, lake_data_path, object_store, run_folders, warehouse_location
from flows.runtime.workers import shutdown_workers
from flows.sources.config import SourcesConfig, adhoc_source, load_sources
from transforms.etl_rows import sources_frame
from warehouse import open_warehouse
from warehouse.protocol import WarehouseLocked
from warehouse.staging import StagingWarehouse

DEFAULT_SOURCES = Path(__file__).resolve().parents[2] / "sources.toml"


def resolve_config(sources_file: str | None, adhoc: list[str] | None) -> SourcesConfig:
    """`--source` locations replace the sources file; otherwise the file (default: the shipped one)."""
    if adhoc:
        return SourcesConfig(sources=tuple(adhoc_source(a) for a in adhoc), base_dir=Path.cwd())
    path = Path(sources_file) if sources_file else DEFAULT_SOURCES
    return load_sources(path)


def _flow_run_id() -> str | None:
    try:
        return str(get_run_context().flow_run.id)
    except (RuntimeError, AttributeError):
        return None


def _open_run(warehouse: StagingWarehouse, run_id: str, seen_at: datetime, config: SourcesConfig) -> None:
    """Migrate, record the run, merge staged batches; a locked warehouse switches the run to staging."""
    try:
        warehouse.migrate()
        warehouse.start_run(run_id, _flow_run_id(), seen_at)
        warehouse.upsert_sources(sources_frame(config.sources))
    except WarehouseLocked as error:
        warehouse.mark_locked(error)
        print(f"{error}: this run stages its batches and the next run merges them")
        return
    merged = warehouse.merge_staged()
    if merged.batches:
        result = merged.result
        print(f"merged {merged.batches} staged batches: {result.new} new, {result.updated} updated")


def _close_run(warehouse: StagingWarehouse, summary: RunSummary, status: str, message: str | None) -> None:
    if warehouse.locked_by is None:
        try:
            warehouse.finish_run(summary.run_id, status, summary.counts(), message)
            return
        except WarehouseLocked as error:
            warehouse.mark_locked(error)
    summary.staged = warehouse.staged_stories


@contextmanager
def warehouse_run(warehouse_path: str | None, config: SourcesConfig) -> Iterator[RunContext]:
    """The bookkeeping every run shares: migrate, `etl_run` start and finish (failed on an exception),
    merge staged batches, refresh the search index, publish the summary to Prefect."""
    started = time.monotonic()
    settle_garbage_collector()
    backend = open_warehouse(
        warehouse_location(warehouse_path), data_path=lake_data_path(), object_store=object_store()
    )
    backend.check_writable()
    folders = run_folders(backend.location)
    warehouse = StagingWarehouse(backend, folders.staging)
    seen_at = datetime.now(UTC)
    summary = RunSummary(run_id=f"{seen_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}", warehouse=warehouse.location)
    _open_run(warehouse, summary.run_id, seen_at, config)
    status, message = "failed", None
    try:
        yield RunContext(warehouse, folders, summary, seen_at)
        shutdown_workers()
        warehouse.refresh_search_index()  # a full-text index may not follow inserts (DuckDB's does not)
        status = "completed"
    except Exception as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise
    finally:
        summary.elapsed_s = round(time.monotonic() - started, 2)
        _close_run(warehouse, summary, status, message)
    _publish(summary)


@dataclass(slots=True)
class RunContext:
    warehouse: StagingWarehouse
    folders: RunFolders
    summary: RunSummary
    seen_at: datetime


def _publish(summary: RunSummary) -> None:
    """Attach the summary to the flow run: a table per stage and a short markdown note."""
    create_table_artifact(key="dateline-ingest-counts", table=summary.table_rows(), description="Documents per stage")
    create_markdown_artifact(
        key="dateline-ingest-summary",
        markdown=summary.markdown("Report: run `dateline report` and open `reports/index.html`."),
        description="Dateline ingest summary",
    )
    print(
        f"run {summary.run_id}: {summary.new} new, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.rejected} rejected in {summary.elapsed_s:.1f} s"
    )
