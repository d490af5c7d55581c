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

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.context import get_run_context
from prefect.runtime import flow_run as prefect_flow_run
from prefect.states import Cancelled, Completed, Failed, State

from flows.pipeline.stops import StopRequested, stop_on_signals
from flows.pipeline.summary import RunSummary
from flows.runtime.collector import settle_garbage_collector
from flows.runtime.settings import (
    RunFolders,
    configured_warehouse,
    run_folders,
)
from flows.runtime.workers import shutdown_workers
from flows.sources.config import SourcesConfig, adhoc_source, load_sources
from transforms.etl_rows import sources_frame
from warehouse.protocol import WarehouseLocked
from warehouse.staging import StagingWarehouse

DEFAULT_SOURCES = Path(__file__).resolve().parents[2] / "sources.toml"
# A lease outlives any sane run; it is void sooner when its run ends or its process dies (etl_lease)
LEASE_TTL_S = 6 * 3600.0
LEASE_POLL_S = 1.0


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


def _open_run(warehouse: StagingWarehouse, run_id: str, seen_at: datetime) -> None:
    """Migrate, record the run and its sources, merge staged batches; a locked warehouse switches the run to
    staging (its batches then carry the sources)."""
    try:
        warehouse.migrate()
        warehouse.start_run(run_id, _flow_run_id(), seen_at)
        if warehouse.run_sources is not None:
            warehouse.upsert_sources(warehouse.run_sources)
    except WarehouseLocked as error:
        warehouse.mark_locked(error)
        print(f"{error}: this run stages its batches and the next run merges them")
        return
    merged = warehouse.merge_staged()
    if merged.batches:
        result = merged.result
        print(f"merged {merged.batches} staged batches: {result.new} new, {result.updated} updated")


def _lease_sources(warehouse: StagingWarehouse, run_id: str, config: SourcesConfig) -> None:
    """Wait until no other live run on this warehouse holds any of this run's sources, then hold them, so
    two overlapping runs (a schedule and a manual run, two deployments) never fetch the same pages at
    once: the second starts when the first is done, and finds those pages known. A warehouse already
    locked past the timeout cannot record a lease; that run stages, as before, unguarded."""
    if warehouse.locked_by is not None:
        return
    names = sorted({source.name for source in config.sources})
    told = False
    while True:
        try:
            holders = warehouse.take_leases(run_id, names, LEASE_TTL_S)
        except WarehouseLocked as error:
            warehouse.mark_locked(error)
            return
        if not holders:
            return
        if not told:
            first = holders[0]
            waiting = ", ".join(sorted({h.source for h in holders}))
            note = f"waiting for run {first.run_id} (pid {first.pid} on {first.host}), which is loading: {waiting}"
            get_run_logger().warning(note)  # a warning, so a terminal shows it: the run is not hung
            told = True
        time.sleep(LEASE_POLL_S)


def _close_run(warehouse: StagingWarehouse, summary: RunSummary, status: str, message: str | None) -> None:
    if warehouse.locked_by is None:
        try:
            warehouse.release_leases(summary.run_id)
            warehouse.finish_run(summary.run_id, status, summary.counts(), message)
            return
        except WarehouseLocked as error:
            warehouse.mark_locked(error)
    summary.staged = warehouse.staged_stories


class RunEnded(RuntimeError):
    """A run that ended without completing; carries the summary, so the command line can still show what
    each source did."""

    def __init__(self, message: str, summary: RunSummary) -> None:
        super().__init__(message)
        self.summary = summary


class RunFailed(RunEnded):
    """Every source failed: the run is recorded `failed`, its flow run ends Failed (`outcome`), and calling
    the flow raises this."""


class RunInterrupted(RunEnded):
    """SIGINT or SIGTERM stopped the run: recorded `interrupted` with its counts so far, the flow run ends
    Cancelled (`outcome`), and calling the flow raises this."""


@contextmanager
def warehouse_run(warehouse_path: str | None, config: SourcesConfig) -> Iterator[RunContext]:
    """The bookkeeping every run shares: migrate, `etl_run` start and finish with the run's outcome
    (`RunSummary.assess`; failed on an exception), merge staged batches, refresh the search index, log a
    WARNING per problem and publish the summary to Prefect."""
    started = time.monotonic()
    settle_garbage_collector()
    backend = configured_warehouse(warehouse_path)
    backend.check_writable()
    folders = run_folders(backend.location)
    warehouse = StagingWarehouse(backend, folders.staging, sources_frame(config.sources))
    seen_at = datetime.now(UTC)
    summary = RunSummary(run_id=f"{seen_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}", warehouse=warehouse.location)
    _open_run(warehouse, summary.run_id, seen_at)
    status, message = "failed", None
    try:
        with stop_on_signals():
            _lease_sources(warehouse, summary.run_id, config)
            yield RunContext(warehouse, folders, summary, seen_at)
        shutdown_workers()
        warehouse.refresh_search_index()  # a full-text index may not follow inserts (DuckDB's does not)
        status = summary.assess()
        message = "; ".join(summary.warnings) or None
        for warning in summary.warnings:
            get_run_logger().warning(warning)
    except StopRequested as stop:  # recorded, not raised: the flow ends Cancelled (`outcome`)
        shutdown_workers()
        summary.stopped_by = stop.signal_name
        status, message = "interrupted", f"stopped by {stop.signal_name}; counts are those loaded so far"
    except Exception as error:
        status = "failed"
        message = message or (str(error).splitlines()[0] if str(error) else type(error).__name__)
        raise
    finally:
        summary.elapsed_s = round(time.monotonic() - started, 2)
        summary.status = status
        _close_run(warehouse, summary, status, message)
        _publish(summary)


def outcome(summary: RunSummary) -> dict | State:
    """What the flow returns: the summary, inside a Completed state named for its warnings when it has any,
    so Prefect's runs list tells a clean run from one that needs a look (calling the flow still returns
    the summary); a Failed state when every source failed (calling the flow raises `RunFailed`). A state
    returned, not an exception raised, so Prefect does not print a traceback for a run that went as
    far as it could."""
    if summary.status == "failed":
        failure = RunFailed("every source failed: " + "; ".join(summary.warnings), summary)
        return Failed(message=str(failure), data=failure)
    if summary.status == "interrupted":
        stop = RunInterrupted(
            f"stopped by {summary.stopped_by}: run {summary.run_id} recorded as interrupted "
            f"({summary.new} new, {summary.updated} updated so far)",
            summary,
        )
        return Cancelled(message=str(stop), data=stop)
    if summary.status == "completed_with_warnings":
        return Completed(name="Completed with warnings", message="; ".join(summary.warnings), data=summary.to_dict())
    return summary.to_dict()


def run_name() -> str:
    """The flow run's name in Prefect: when it started and what it reads, instead of a generated name."""
    parameters = prefect_flow_run.parameters
    names = parameters.get("only_sources") or [Path(a).name or a for a in parameters.get("adhoc_sources") or []]
    shard = parameters.get("shard")
    if not names:
        try:
            config = resolve_config(parameters.get("sources_file"), None)
            if shard is not None:
                config = config.shard(shard, parameters.get("shards") or 1)
            names = [s.name for s in config.sources] or ["no source"]
        except Exception:  # the flow reports a bad sources file itself; a name must not fail the run first
            names = [Path(parameters.get("sources_file") or "sources.toml").name]
    shown = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
    label = f"shard {shard}/{parameters.get('shards') or 1}: " if shard is not None else ""
    return f"{datetime.now(UTC):%Y-%m-%d %H:%M}Z {label}{shown}"


@dataclass(slots=True)
class RunContext:
    warehouse: StagingWarehouse
    folders: RunFolders
    summary: RunSummary
    seen_at: datetime


def _publish(summary: RunSummary) -> None:
    """Attach the summary to the flow run: a table per stage, a table per source and a short markdown note."""
    create_table_artifact(key="dateline-ingest-counts", table=summary.table_rows(), description="Documents per stage")
    create_table_artifact(
        key="dateline-ingest-sources",
        table=summary.source_rows(),
        description="Per source: documents found, fetched, new, updated, rejected, unreadable (errors)",
    )
    create_markdown_artifact(
        key="dateline-ingest-summary",
        markdown=summary.markdown("Report: run `dateline report` and open `reports/index.html`."),
        description="Dateline ingest summary",
    )
    print(
        f"run {summary.run_id}: {summary.new} new, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.rejected} rejected in {summary.elapsed_s:.1f} s"
    )
