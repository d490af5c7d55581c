"""The `ingest` flow: discover → fetch → parse → normalise (enrich, key) → load, chunk by chunk.

The stages live in `flows/pipeline/` and the Prefect tasks that run them in `flows/tasks.py`;
this module is the flow itself: which sources, one polite fetch session and raw archive for the
run, then the shared chunk loop fed by streaming discovery (each source's reader hands out batches as
it finds them, so the first chunk loads before the last feed, sitemap child or WARC record is read).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace

from prefect import flow
from prefect.runtime import deployment
from prefect.states import State
from prefect.utilities.annotations import quote

from flows.pipeline.chunks import chunk_size_for, run_chunks
from flows.pipeline.run import outcome, resolve_config, run_name, warehouse_run
from flows.runtime.settings import configured_archive, lake_catalog
from flows.sources.config import ConfigError, SourcesConfig
from flows.sources.discover import discover_chunks
from flows.sources.fetching.session import FetchSession, run_fetch_settings
from flows.sources.fetching.shared_hosts import shared_host_limits
from flows.tasks import discover_task


@flow(name="ingest", flow_run_name=run_name, log_prints=True)
def ingest(
    sources_file: str | None = None,
    adhoc_sources: list[str] | None = None,
    warehouse_path: str | None = None,
    chunk_size: int | None = None,
    only_sources: list[str] | None = None,
    allow_private_networks: bool = False,
    shard: int | None = None,
    shards: int = 1,
) -> dict | State:
    """One ingest run over the configured sources (or the named ones: `dateline serve` gives a source
    with its own schedule its own deployment); returns the run summary as a dict (in a state named for its
    warnings when it has any; a run where every source failed raises `RunFailed`).

    `allow_private_networks` applies to `adhoc_sources` only (a sources file says it per source): like
    any source, an ad-hoc URL may reach public addresses alone unless the operator allows more.

    `chunk_size` documents are fetched, parsed and merged at a time (default: 500, on a lake 2,000).

    `shard` of `shards` reads only that shard's sources (`SourcesConfig.shard`): prefect.yaml deploys one
    ingest per shard, so workers on many hosts share the sources without one feed fetched twice. A shard
    that holds no source ends at once, touching nothing.
    """
    config = resolve_config(sources_file, adhoc_sources)
    if adhoc_sources and allow_private_networks:
        config = SourcesConfig(tuple(replace(s, allow_private_networks=True) for s in config.sources), config.base_dir)
    if only_sources is not None:
        config = SourcesConfig(tuple(s for s in config.sources if s.name in only_sources), config.base_dir)
    if not config.sources:
        raise ConfigError("no sources configured")
    if shard is not None:
        config = config.shard(shard, shards)
        if not config.sources:
            print(f"shard {shard} of {shards} holds no source")
            return {"status": "completed", "sources": 0}
    with warehouse_run(warehouse_path, config) as run:
        needs_http = any(s.url for s in config.sources)
        settings = run_fetch_settings(run.folders.state)
        # a deployment's runs may run on many workers at once: their per-host politeness is shared
        lake = lake_catalog(run.warehouse.location)
        shared = shared_host_limits(settings.per_host, lake) if deployment.id else None
        with (
            configured_archive(run.warehouse.location, run.folders) if needs_http else nullcontext() as archive,
            FetchSession(settings, archive, shared) if needs_http else nullcontext() as session,
        ):
            context = discover_task(quote(config), session, run.warehouse, run.folders.state)
            chunks = discover_chunks(config.sources, context, chunk_size_for(run.warehouse.location, chunk_size))
            run_chunks(chunks, None, context.discovery, session, run.warehouse, run.summary, run.seen_at)
            run.summary.add_discovery(context.discovery, config.sources)
            print(f"discovered {run.summary.found} documents from {len(config.sources)} sources")
    return outcome(run.summary)
