"""The Prefect tasks of a run: a handful per chunk of documents, never one per story.

Each task is a thin wrapper over its stage in `flows/pipeline/` (which holds the logic, free of
Prefect), so the Prefect UI shows a run as discover → fetch-chunk → parse-chunk → normalise-chunk →
load-chunk, with the retries each stage deserves.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import polars as pl
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.states import State

from flows.pipeline.enrich import signature_window
from flows.pipeline.fetch import ChunkInput, gather_chunk
from flows.pipeline.parse import parse_chunk_documents
from flows.sources.config import SourcesConfig
from flows.sources.discover import Discovery, ReadContext, WorkItem
from flows.sources.fetching import FetchResult
from flows.sources.fetching.session import FetchSession, SessionCancelled
from transforms.enrich import Enrichment
from transforms.etl_rows import fetch_rows
from transforms.normalise import NormalisedChunk, normalise_chunk
from transforms.record import StoryRecord
from transforms.star import Reject
from transforms.urls import without_userinfo
from warehouse.protocol import LoadBatch, LoadResult
from warehouse.staging import StagingWarehouse


@task(name="discover", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=[5])
def discover_task(
    config: SourcesConfig, session: FetchSession | None, warehouse: StagingWarehouse, state_dir: Path
) -> ReadContext:
    """What the readers need from the warehouse before they start (the stored HTTP validators of the source
    URLs, and its memory of known stories); the sources themselves are read as the chunks ask for them."""
    url_sources = [without_userinfo(s.url) for s in config.sources if s.url]
    validators = warehouse.http_validators(url_sources) if url_sources else {}
    return ReadContext(Discovery(), config.base_dir, state_dir, session, warehouse.known_stories, validators)


def _worth_retrying(_task: object, _task_run: object, state: State) -> bool:
    """Retry a failed fetch, unless the run is stopping (its session was cancelled)."""
    return not isinstance(state.result(raise_on_failure=False), SessionCancelled)


@task(
    name="fetch-chunk",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=_worth_retrying,
)
def fetch_chunk(items: list[WorkItem], session: FetchSession | None) -> ChunkInput:
    """Bytes for every item of the chunk: files read from disk, URLs fetched concurrently and politely."""
    return gather_chunk(items, session)


@task(name="parse-chunk", cache_policy=NO_CACHE)
def parse_chunk(chunk: ChunkInput) -> tuple[list[StoryRecord], list[Reject]]:
    """Every story in the chunk's documents; runs on all cores."""
    return parse_chunk_documents(chunk)


@task(name="normalise-chunk", cache_policy=NO_CACHE)
def normalise_task(
    records: list[StoryRecord], enrichment: Future[Enrichment | None], seen_at: datetime, warehouse: StagingWarehouse
) -> NormalisedChunk:
    """Link wire copies against stored stories of nearby days and build the star frames, with the chunk's
    `enrich_records`, which the workers began as soon as the chunk was parsed (see `flows.pipeline.chunks`)."""
    near = partial(warehouse.signatures_near, *signature_window(records, seen_at))
    return normalise_chunk(records, seen_at, near, partial(_enriched, enrichment))


def _enriched(enrichment: Future[Enrichment | None], _stories: pl.DataFrame) -> Enrichment:
    """The enrichment begun ahead, standing in for `enrich(stories)`: `normalise_chunk` asks for it only when it
    has stories, and then it is there."""
    result = enrichment.result()
    if result is None:
        raise RuntimeError("the chunk was enriched as empty but has stories to normalise")
    return result


@task(name="load-chunk", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def load_task(
    normalised: NormalisedChunk,
    warehouse: StagingWarehouse,
    run_id: str,
    seen_at: datetime,
    fetches: list[FetchResult],
    rejects: list[Reject],
    validators: list[dict] | None,
) -> LoadResult | None:
    """Merge the chunk (with its fetch log, rejects and, last, the HTTP validators) in one transaction;
    None when the warehouse was locked and the chunk was staged for the next run."""
    batch = LoadBatch(
        normalised.batch,
        run_id,
        seen_at,
        fetches=fetch_rows(fetches, datetime.now(UTC)),
        rejects=rejects,
        http_state=pl.DataFrame(validators) if validators else None,
        signatures=normalised.signatures,
    )
    return warehouse.load(batch)
