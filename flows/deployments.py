"""`dateline serve`: the Prefect deployments with their schedules, served from this process.

Schedules need a Prefect server (`prefect server start`): the ephemeral API that `dateline run` uses
has no scheduler and no UI. Deployments built here:

- `ingest`: the sources without a `schedule` of their own, on `--cron`, else `$DATELINE_SCHEDULE`,
  else every 15 minutes; an overlapping run is cancelled (skipped). With `shards` > 1 it is split into
  `ingest-shard-<i>`, one deployment per shard of those sources (`SourcesConfig.shard`, a hash of the
  source's name), all on the same schedule: the shape prefect.yaml deploys for a pool of workers.
- `ingest-<source>`: one per source with a `schedule` (cron) in sources.toml; skipped likewise.
- `maintenance`: search index rebuild, CHECKPOINT, archive housekeeping, optional Parquet export;
  daily at 03:30 UTC; skipped likewise.
- `backfill`, `reparse`: no schedule, started from the UI or `prefect deployment run`; queued.

Stopping: SIGINT (Ctrl-C) or SIGTERM stops the runner's polling and any flow run it started, then
pauses every served deployment's schedule (so no Late runs pile up while nothing serves them) and
prints one line. Prefect's own `serve()` pauses from inside asyncio's shutdown, where the pause is
cancelled half-way with tracebacks; here the runner is stopped first and the pause runs on its own.

A scheduled ingest that finds the previous one still running is skipped rather than queued: the next
one fetches whatever the skipped one would have, and a queue behind a slow source would only grow.
An explicit backfill or reparse is someone's request, so it waits for its turn instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Sequence
from pathlib import Path
from uuid import UUID

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment

from flows.runtime.settings import DEFAULT_SCHEDULE, ingest_schedule
from flows.sources.config import ConfigError, SourcesConfig

DEFAULT_CRON = DEFAULT_SCHEDULE
MAINTENANCE_CRON = "30 3 * * *"
TAGS = ["dateline"]
STOP_GRACE_S = 10.0
SKIP_OVERLAP = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
QUEUE_OVERLAP = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


def ingest_cron(explicit: str | None = None) -> str:
    """`--cron`, else `$DATELINE_SCHEDULE`, else every 15 minutes."""
    return ingest_schedule(explicit)


def _tags(kind: str, *more: str) -> list[str]:
    """`dateline`, the kind of work (ingest, maintenance, backfill, reparse) and the sources, for the UI's filters."""
    return [*TAGS, kind, *more]


def _scheduled(
    flow, name: str, cron: str, parameters: dict, description: str, where: str, tags: list[str]
) -> RunnerDeployment:
    try:
        return flow.to_deployment(
            name,
            cron=cron,
            parameters=parameters,
            concurrency_limit=SKIP_OVERLAP,
            description=description,
            tags=tags,
        )
    except ValueError as error:  # pydantic rejects a cron expression it cannot parse
        raise ConfigError(f"{where}: invalid cron schedule {cron!r}") from error


def build_deployments(
    config: SourcesConfig,
    *,
    sources_file: str | None,
    warehouse_path: str | None,
    cron: str = DEFAULT_CRON,
    maintenance_cron: str = MAINTENANCE_CRON,
    export_parquet: bool = False,
    shards: int = 1,
) -> list[RunnerDeployment]:
    """Every deployment `dateline serve` runs: one ingest on `cron` for the sources without a schedule of
    their own (or one per shard of them), one per source that has one, the daily maintenance, and
    on-demand backfill and reparse."""
    from flows.ingest import ingest
    from flows.maintenance import backfill, maintenance
    from flows.reparse import reparse

    base = {"sources_file": sources_file, "warehouse_path": warehouse_path}
    own = [s for s in config.sources if s.schedule]
    shared = [s.name for s in config.sources if not s.schedule]
    deployments = []
    if shared and shards > 1:
        deployments.extend(
            _scheduled(
                ingest,
                f"ingest-shard-{index}",
                cron,
                {**base, "shard": index, "shards": shards},
                f"Ingest shard {index} of {shards} of the sources without a schedule of their own, on {cron!r}",
                "--cron / DATELINE_SCHEDULE",
                _tags("ingest", f"shard:{index}"),
            )
            for index in range(shards)
        )
    elif shared:
        deployments.append(
            _scheduled(
                ingest,
                "ingest",
                cron,
                {**base, "only_sources": shared if own else None},
                f"Ingest {len(shared)} sources on {cron!r}",
                "--cron / DATELINE_SCHEDULE",
                _tags("ingest"),
            )
        )
    for source in own:
        deployments.append(
            _scheduled(
                ingest,
                f"ingest-{source.name}",
                source.schedule or "",
                {**base, "only_sources": [source.name]},
                f"Ingest {source.name} on its own schedule {source.schedule!r}",
                f"sources.toml: source '{source.name}'",
                _tags("ingest", f"source:{source.name}"),
            )
        )
    deployments.append(
        _scheduled(
            maintenance,
            "maintenance",
            maintenance_cron,
            {"warehouse_path": warehouse_path, "export": export_parquet},
            "Search index rebuild, CHECKPOINT, archive housekeeping, optional Parquet export",
            "--maintenance-cron",
            _tags("maintenance"),
        )
    )
    for flow, name, description in (
        (backfill, "backfill", "Load the raw archive from a day on (parameter `since`), no network"),
        (reparse, "reparse", "Re-read every archived page with the current parsers, no network"),
    ):
        deployments.append(
            flow.to_deployment(
                name, parameters=base, concurrency_limit=QUEUE_OVERLAP, description=description, tags=_tags(name)
            )
        )
    return deployments


def _require_server() -> None:
    """Schedules need a running server: the ephemeral API has no scheduler, a dead URL no API at all."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise ConfigError(
            "no Prefect server: run `prefect server start`, then "
            "`export PREFECT_API_URL=http://127.0.0.1:4200/api` (schedules need its scheduler)"
        )
    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        raise ConfigError(f"Prefect server at {url} does not answer ({type(problem).__name__}); is it running?")


def serve_all(
    sources_file: str | None,
    warehouse_path: str | None,
    cron: str | None = None,
    maintenance_cron: str = MAINTENANCE_CRON,
    export_parquet: bool = False,
    shards: int = 1,
) -> tuple[int, int]:
    """Register the deployments with the Prefect server and run their flows here until SIGINT or SIGTERM;
    returns (deployments served, schedules paused on the way out)."""
    _require_server()
    from flows.pipeline.run import resolve_config

    sources = str(Path(sources_file).resolve()) if sources_file else None
    warehouse = str(Path(warehouse_path).resolve()) if warehouse_path else None
    config = resolve_config(sources, None)
    deployments = build_deployments(
        config,
        sources_file=sources,
        warehouse_path=warehouse,
        cron=ingest_cron(cron),
        maintenance_cron=maintenance_cron,
        export_parquet=export_parquet,
        shards=shards,
    )
    return asyncio.run(_serve(deployments))


async def _serve(deployments: Sequence[RunnerDeployment]) -> tuple[int, int]:
    from prefect.runner import Runner

    runner = Runner(pause_on_shutdown=False)
    ids = [await runner.aadd_deployment(deployment) for deployment in deployments]
    running = asyncio.create_task(runner.start())
    await asyncio.sleep(0)  # start() installs Prefect's SIGTERM handler first; these replace it
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({running, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not running.done():
        await runner.astop()
        # a runner that does not wind down in time is left behind: the pause still happens
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(running, STOP_GRACE_S)
    else:
        await running  # it ended on its own: its error, if any, is the command's
    return len(ids), await pause_schedules(ids)


async def pause_schedules(deployment_ids: Sequence[UUID]) -> int:
    """Pause the schedules of these deployments; returns how many were paused. A deployment already gone
    (deleted from the UI) is skipped, and the whole pause is bounded so a dead server cannot hold the exit."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    paused = 0
    async with get_client() as client:
        for deployment_id in deployment_ids:
            try:
                await asyncio.wait_for(client.pause_deployment(deployment_id), STOP_GRACE_S)
            except ObjectNotFound:
                continue
            paused += 1
    return paused
