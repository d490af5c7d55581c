"""The enrich stage of a chunk: entities, topics, quotes, date mentions and MinHash signatures on the
run's worker processes, and the window of stored stories a chunk's wire copies are looked for in."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from flows.runtime.settings import entity_mode
from flows.runtime.workers import map_slices
from transforms.enrich import Enrichment, enrich_stories, enrichment_version
from transforms.enrich.model import LEAD_CHARS, ModelMentionDetector, detector_version
from transforms.enrich.rules import RuleMentionDetector
from transforms.normalise import enrichment_input
from transforms.record import StoryRecord

# A wire copy is republished within days of its original: stored stories this far either side of a
# chunk's dates are compared with it, which bounds the signatures read per chunk.
SIGNATURE_WINDOW = timedelta(days=7)


def signature_window(records: list[StoryRecord], seen_at: datetime) -> tuple[int, int]:
    """The first and last `date_key` of stored stories a chunk's stories may be wire copies of."""
    days = [(r.published_at or r.updated_at or "")[:10] for r in records if r.published_at or r.updated_at]
    today = seen_at.date().isoformat()
    first = datetime.fromisoformat(min(days, default=today)) - SIGNATURE_WINDOW
    last = datetime.fromisoformat(max(days, default=today)) + SIGNATURE_WINDOW
    return int(first.strftime("%Y%m%d")), int(last.strftime("%Y%m%d"))


def _enrich_lead(stories: pl.DataFrame) -> Enrichment:
    return enrich_stories(stories, ModelMentionDetector(model_chars=LEAD_CHARS))


def _enrich_rules(stories: pl.DataFrame) -> Enrichment:
    return enrich_stories(stories, RuleMentionDetector())


# module-level functions, so the workers receive them by reference
_BY_MODE = {"model": enrich_stories, "lead": _enrich_lead, "rules": _enrich_rules}


def current_version() -> str:
    """The `enrichment_version` this process's `DATELINE_ENTITIES` mode writes, known without loading the model
    (`dateline reenrich` compares it with each stored story's)."""
    detector = {"model": detector_version(), "lead": detector_version(LEAD_CHARS), "rules": RuleMentionDetector.version}
    return enrichment_version(detector[entity_mode()])


def enrich_parallel(stories: pl.DataFrame) -> Enrichment:
    """`enrich_stories` over slices of the chunk on all workers (stories are enriched independently), with
    the entity detector `DATELINE_ENTITIES` chooses."""
    parts = map_slices(_BY_MODE[entity_mode()], stories)
    if len(parts) == 1:
        return parts[0]
    return Enrichment(
        entities=pl.concat([p.entities for p in parts]),
        topics=pl.concat([p.topics for p in parts]),
        quotes=pl.concat([p.quotes for p in parts]),
        date_mentions=pl.concat([p.date_mentions for p in parts]),
        signatures=pl.concat([p.signatures for p in parts]),
        version=parts[0].version,
        rejects=[r for p in parts for r in p.rejects],
    )


def enrich_records(records: list[StoryRecord], seen_at: datetime) -> Enrichment | None:
    """`enrich_parallel` of what normalising `records` will enrich; None when that is nothing, so the flow's
    process never loads a model of its own for an empty chunk."""
    stories = enrichment_input(records, seen_at)
    return None if stories is None else enrich_parallel(stories)
