"""The CPU-bound stages of a chunk, spread over the run's worker processes.

Kept free of Prefect and I/O so worker processes import only the parsers and enrichment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from flows.config import Source
from flows.parallel import map_slices
from transforms.enrich import Enrichment, enrich_stories
from transforms.errors import ParseError
from transforms.parsers.document import parse_document
from transforms.record import StoryRecord
from transforms.star import Reject


@dataclass(slots=True)
class ParseJob:
    """One document to parse, with the source's defaults and what its feed item said."""

    content: bytes
    locator: str
    url: str | None
    content_type: str | None
    source: Source
    hint: StoryRecord | None = None


def parse_job(job: ParseJob) -> list[StoryRecord] | Reject:
    """The stories of one document, source defaults applied; a reject when there are none to read."""
    source = job.source
    try:
        parsed = parse_document(
            job.content,
            locator=job.locator,
            source=source.name,
            url=job.url,
            content_type=job.content_type,
            default_tz=source.timezone,
        )
    except ParseError as error:
        return Reject(source.name, job.locator, "parse", error.reason, error.detail)
    except Exception as error:  # a parser bug must cost one document, not the run
        return Reject(source.name, job.locator, "parse", "parser_error", repr(error)[:500])
    for record in parsed:
        record.language = record.language or source.language
        record.section = record.section or source.section
        record.tags = list(dict.fromkeys([*record.tags, *source.tags]))
    if job.hint is not None and len(parsed) == 1:
        parsed[0].fill_gaps(job.hint)
    return parsed


def _parse_slice(jobs: Sequence[ParseJob]) -> list[list[StoryRecord] | Reject]:
    return [parse_job(job) for job in jobs]


def parse_jobs(jobs: list[ParseJob]) -> tuple[list[StoryRecord], list[Reject]]:
    """Parse on all workers; records and rejects come back in document order."""
    records: list[StoryRecord] = []
    rejects: list[Reject] = []
    for outcomes in map_slices(_parse_slice, jobs):
        for outcome in outcomes:
            if isinstance(outcome, Reject):
                rejects.append(outcome)
            else:
                records.extend(outcome)
    return records, rejects


def enrich_parallel(stories: pl.DataFrame) -> Enrichment:
    """`enrich_stories` over slices of the chunk on all workers (stories are enriched independently)."""
    parts = map_slices(enrich_stories, stories)
    if len(parts) == 1:
        return parts[0]
    return Enrichment(
        entities=pl.concat([p.entities for p in parts]),
        topics=pl.concat([p.topics for p in parts]),
        quotes=pl.concat([p.quotes for p in parts]),
        date_mentions=pl.concat([p.date_mentions for p in parts]),
        signatures=pl.concat([p.signatures for p in parts]),
        rejects=[r for p in parts for r in p.rejects],
    )
