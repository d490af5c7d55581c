"""The daily `maintenance` flow and the on-demand `backfill` flow that `dateline serve` deploys.

Maintenance keeps a long-running warehouse healthy without an operator: a full search-index rebuild
(a run that could not refresh it because the file was locked is caught up here), the views' summary
tables checked against a rebuild and repaired if rows were written outside a merge, a CHECKPOINT so the
database file alone is a complete backup, the same for the raw archive's SQLite store (its WAL folded
in and truncated), and optionally a monthly-partitioned Parquet copy of the star schema for other engines.

On a DuckLake warehouse the summaries are repaired the same way; there is no index to rebuild (each
searching process builds its own) and no CHECKPOINT to run (each commit is complete). Instead snapshots
older than the retention are expired and the Parquet files no kept snapshot references, including those
left by commits that never happened, are deleted.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.runtime.settings import configured_warehouse, run_folders
from flows.sources.fetching import RawArchive
from warehouse.ducklake.store import DuckLakeWarehouse
from warehouse.protocol import Warehouse


@task(name="checkpoint-archive", cache_policy=NO_CACHE)
def checkpoint_archive(archive_root: Path) -> bool | None:
    """Fold the raw archive's WAL into `archive.sqlite`: True when done, False when a run kept it busy past
    the busy timeout (tomorrow's maintenance retries), None when this warehouse has no archive to create."""
    if not RawArchive.present(archive_root):
        return None
    with RawArchive(archive_root) as archive:
        return archive.checkpoint()


@task(name="rebuild-search-index", cache_policy=NO_CACHE)
def rebuild_search_index(store: Warehouse) -> bool:
    return store.refresh_search_index(force=True)


@task(name="repair-summaries", cache_policy=NO_CACHE)
def repair_summaries(store: Warehouse) -> dict[str, int]:
    return store.repair_summaries()


@task(name="checkpoint", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[30, 120])
def checkpoint_task(store: Warehouse) -> None:
    store.checkpoint()


@task(name="compact-lake", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[30, 120])
def compact_lake_task(store: DuckLakeWarehouse) -> dict[str, int]:
    return store.compact()


@task(name="expire-lake-snapshots", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[30, 120])
def expire_lake_task(store: DuckLakeWarehouse, retention_days: float) -> dict[str, int]:
    return store.expire_and_clean(timedelta(days=retention_days))


@task(name="export-parquet", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=[60])
def export_task(store: Warehouse, out_dir: Path) -> dict[str, int]:
    return store.export_parquet(out_dir)


_ARCHIVE_OUTCOME = {
    True: "WAL checkpointed into archive.sqlite",
    False: "WAL checkpoint incomplete (a run was using the archive); the next maintenance retries",
    None: "none in this warehouse folder",
}


@flow(name="maintenance", log_prints=True)
def maintenance(warehouse_path: str | None = None, export: bool = False, lake_retention_days: float = 7.0) -> dict:
    """Rebuild the search index, checkpoint the warehouse and the raw archive, optionally export Parquet by month;
    on a lake, compact its small files, then expire snapshots and delete files older than `lake_retention_days`
    instead."""
    store = configured_warehouse(warehouse_path)
    folders = run_folders(store.location)
    lake = isinstance(store, DuckLakeWarehouse)
    rebuilt = None if lake else rebuild_search_index(store)
    repaired = repair_summaries(store)
    compacted = compact_lake_task(store) if lake else {}
    cleaned = expire_lake_task(store, lake_retention_days) if lake else {}
    if not lake:
        checkpoint_task(store)
    archived = checkpoint_archive(folders.archive)
    exported = export_task(store, folders.export) if export else {}
    summary = {
        "search_index_rebuilt": rebuilt,
        "summaries_repaired": repaired,
        "lake_compacted": compacted,
        "lake_cleaned": cleaned,
        "archive_checkpointed": archived,
        "exported_rows": exported,
    }
    lines = [
        "# Dateline maintenance",
        "",
        "- search index: none in a lake (each searching process builds its own)"
        if lake
        else f"- search index rebuilt: {rebuilt}",
        f"- summary rows repaired: {sum(repaired.values())}" + (f" ({repaired})" if repaired else ""),
        (
            f"- lake: {compacted['files_rewritten'] + compacted['files_merged']} small files compacted into "
            f"{compacted['files_written']}; {cleaned['snapshots_expired']} snapshots older than "
            f"{lake_retention_days:g} days expired, {cleaned['files_deleted']} unreferenced and "
            f"{cleaned['orphan_files_deleted']} orphaned files deleted"
        )
        if lake
        else "- CHECKPOINT done",
        f"- raw archive: {_ARCHIVE_OUTCOME[archived]}",
    ]
    if exported:
        lines.append(
            f"- Parquet export under `{folders.export}`: " + ", ".join(f"{t} {n}" for t, n in exported.items())
        )
    create_markdown_artifact(key="dateline-maintenance", markdown="\n".join(lines), description="Maintenance")
    print("; ".join(lines[2:]).replace("- ", ""))
    return summary


@flow(name="backfill", log_prints=True)
def backfill(since: str, warehouse_path: str | None = None, sources_file: str | None = None) -> dict:
    """Load what the raw archive holds from `since` (YYYY-MM-DD) on, with no network: the reparse flow
    over that range, run as a subflow so it shows under the backfill in the UI."""
    from flows.reparse import reparse

    date.fromisoformat(since)  # a bad date fails here, before any work
    return reparse(warehouse_path=warehouse_path, since=since, sources_file=sources_file)
