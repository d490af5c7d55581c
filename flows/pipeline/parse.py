"""The parse stage of a chunk: documents into story records on the run's worker processes.

Kept free of Prefect and I/O so worker processes import only the parsers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flows.runtime.workers import map_slices
from flows.sources.config import Source
from transforms.errors import ParseError
from transforms.parsers.document import parse_document
from transforms.record import StoryRecord
from transforms.star import Reject

if TYPE_CHECKING:  # the workers import this module: keep the fetch stage (httpx, the archive) out of them
    from flows.pipeline.fetch import ChunkInput


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
    """Parse on all workers; records and rejects come back in document order. A record's `notes` (what the
    parser had to do to the page, such as cutting it at the size cap) also become rejects: the story loads,
    and the warehouse keeps a row saying what was lost."""
    records: list[StoryRecord] = []
    rejects: list[Reject] = []
    for outcomes in map_slices(_parse_slice, jobs):
        for outcome in outcomes:
            if isinstance(outcome, Reject):
                rejects.append(outcome)
            else:
                records.extend(outcome)
                rejects.extend(
                    Reject(r.source or "", r.input, "parse", *n.split(": ", 1)) for r in outcome for n in r.notes
                )
    return records, rejects


def parse_chunk_documents(chunk: ChunkInput) -> tuple[list[StoryRecord], list[Reject]]:
    """Every story in the chunk's documents, each joined by what its feed item or sitemap entry said, plus
    the feed items that stand alone; a document that cannot be read becomes a reject."""
    jobs = [
        ParseJob(d.content, d.item.locator, d.url, d.content_type, d.item.source, d.item.hint) for d in chunk.documents
    ]
    records, rejects = parse_jobs(jobs)
    return [*chunk.standalone_items, *records], rejects
