"""One chunk of parsed records → a loadable star batch: collapse, enrich, link wire copies, key; and stored
stories → the batch that replaces their enrichment rows (`reenrich_chunk`).

This is the pure heart of a load: no clock (the caller passes `seen_at`), no database (the
caller passes the signatures of stored stories that a wire copy could duplicate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from transforms.enrich import Enrichment, enrich_stories, iptc_topics, link_duplicates
from transforms.keys import stable_key
from transforms.record import StoryRecord
from transforms.star import (
    REENRICHED_SCHEMA,
    SIGNATURE_COLUMNS,
    EnrichmentFrames,
    Reject,
    StarBatch,
    StoryFrame,
    build_star,
    build_stories,
    link_keys,
    mark_duplicates,
    source_key,
    story_day,
)


@dataclass(slots=True)
class NormalisedChunk:
    batch: StarBatch
    signatures: pl.DataFrame  # story_key, source_key, signature: stored for later runs' duplicate checks
    wire_copies: int


def enrichment_input(records: list[StoryRecord], seen_at: datetime) -> pl.DataFrame | None:
    """What `normalise_chunk(records, seen_at, ...)` hands its `enrich`, or None when it enriches nothing (no
    story survives collapsing and checks): for a caller that starts the enrichment ahead of normalising."""
    stories = build_stories(records, seen_at).stories
    return None if stories.is_empty() else _enrichment_input(stories)


def _enrichment_input(stories: pl.DataFrame) -> pl.DataFrame:
    return stories.select(
        "story_id",
        "headline",
        "body",
        "summary",
        "tags",
        pl.col("section"),
        pl.col("language"),
        published_day=story_day(stories),
    )


def _signatures(stories: pl.DataFrame, enrichment: Enrichment) -> pl.DataFrame:
    """The batch's stories as `link_duplicates` reads them: the enrichment's body signatures with source and day."""
    return (
        stories.select("story_id", "source", published=story_day(stories))
        .join(enrichment.signatures, on="story_id", how="left", maintain_order="left")
        .cast(SIGNATURE_COLUMNS)
    )


def _enrich_rejects(stories: pl.DataFrame, enrichment: Enrichment) -> list[Reject]:
    """Stories whose enrichment failed, as rejects at stage `enrich` (`stories` has story_id, source, locator)."""
    return [
        Reject(source, locator, "enrich", reason, detail)
        for story_id_, reason, detail in enrichment.rejects
        for source, locator in stories.filter(pl.col("story_id") == story_id_).select("source", "locator").rows()
    ]


def _frames(enrichment: Enrichment) -> EnrichmentFrames:
    return EnrichmentFrames(
        entities=enrichment.entities,
        topics=enrichment.topics,
        quotes=enrichment.quotes,
        date_mentions=enrichment.date_mentions,
        iptc=iptc_topics(),
    )


def normalise_chunk(
    records: list[StoryRecord],
    seen_at: datetime,
    stored_near: Callable[[pl.DataFrame], pl.DataFrame],
    enrich: Callable[[pl.DataFrame], Enrichment] = enrich_stories,
) -> NormalisedChunk:
    """Build the star batch for `records`. `stored_near` gives, for the batch's signatures (story_id, signature),
    the stored stories of nearby dates they may copy or be copied by (SIGNATURE_COLUMNS: a warehouse's
    `signatures_near`); `enrich` is `enrich_stories` or a parallel equivalent."""
    frame = build_stories(records, seen_at)
    stories = frame.stories
    if stories.is_empty():
        empty = pl.DataFrame(
            schema={"story_key": pl.Int64(), "source_key": pl.Int64(), "signature": pl.List(pl.UInt64())}
        )
        return NormalisedChunk(build_star(frame), empty, 0)
    enrichment = enrich(_enrichment_input(stories))
    signatures = _signatures(stories, enrichment)
    # Link over the batch and the stored stories of nearby days together: when the original arrives
    # after its copy (another outlet's sitemap came first), the stored copy is re-linked to it.
    stored = (
        stored_near(signatures)
        .select(SIGNATURE_COLUMNS.keys())
        .filter(~pl.col("story_id").is_in(signatures["story_id"].implode()))
    )
    pool = pl.concat([signatures, stored], how="vertical_relaxed")
    links = link_duplicates(pool, pool.head(0))
    is_new = pl.col("story_id").is_in(signatures["story_id"].implode())
    new_links = links.filter(is_new)
    frame.stories = mark_duplicates(stories, new_links)
    relinks = link_keys(links.filter(~is_new))
    frame.rejects.extend(_enrich_rejects(stories, enrichment))
    frame.stories = frame.stories.with_columns(enrichment_version=pl.lit(enrichment.version))
    batch = build_star(frame, _frames(enrichment))
    batch.relinks = relinks
    to_store = signatures.select(
        pl.Series("story_key", [stable_key(s) for s in signatures["story_id"]], dtype=pl.Int64()),
        pl.Series("source_key", [source_key(s) for s in signatures["source"]], dtype=pl.Int64()),
        "signature",
    )
    return NormalisedChunk(batch, to_store, new_links.height)


def reenrich_chunk(stored: pl.DataFrame, enrich: Callable[[pl.DataFrame], Enrichment] = enrich_stories) -> StarBatch:
    """The batch that replaces the enrichment rows of stored stories, their text unchanged (`dateline reenrich`).

    `stored` has one row per story: story_key, story_id, source, locator, date_key, headline, summary, body,
    section, tags, language, content_hash, as the warehouse holds them (tags: the story's own source labels).
    The batch carries no story rows, only `reenriched` (which stories, the text they were enriched from, the
    version) and the entity, IPTC topic, quote and date frames; the stories' own sections, tags and authors
    are parsed facts, not enrichment, and stay as stored.
    """
    enrichment = enrich(_enrichment_input(stored))
    keys_only = stored.select(
        "story_key",
        "date_key",
        section=pl.lit(None, pl.String()),
        tags=pl.lit([], pl.List(pl.String())),
        authors=pl.lit([], pl.List(pl.String())),
    )
    batch = build_star(StoryFrame(keys_only, 0, _enrich_rejects(stored, enrichment)), _frames(enrichment))
    batch.stories = batch.stories.clear()
    batch.reenriched = stored.select(
        "story_key", "content_hash", enrichment_version=pl.lit(enrichment.version, pl.String())
    ).cast(REENRICHED_SCHEMA)
    return batch
