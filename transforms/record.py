"""The story record: what every parser produces and every later stage consumes.

Its fields are the `dateline extract` record of the contract (docs/contract.md in
../shared), plus the `source` name a run attaches. Parsers fill what the document
tells them and leave the rest empty; they never guess a time that is not there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(slots=True)
class StoryRecord:
    """One story as read from one document.

    Dates are ISO 8601 strings exactly as precise as the document: a full
    timestamp keeps the page's own UTC offset ("2025-02-06T09:30:00+05:00"),
    a day alone stays "YYYY-MM-DD", unknown is None.
    """

    input: str
    url: str | None = None
    title: str | None = None
    summary: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    updated_at: str | None = None
    dateline: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    body: str = ""
    image_caption: str | None = None
    source: str | None = None
    # dates the document declared but that could not be used ("published_at '9999-12-31': year 9999 is
    # outside 1990-2100"): a run records each as an etl_reject row, so no date is dropped without a trace
    dropped_dates: list[str] = field(default_factory=list)
    # when the page was captured, for a page read from a web archive (its WARC-Date): the story's
    # first_seen_at instead of the run's clock. Not part of the extract record.
    first_seen_at: str | None = None
    # what the parser had to do to the document that a reader of the record should know, each as
    # "reason: detail" ("capped: the page is over 4,000,000 bytes; ..."); a run records each as an
    # etl_reject row of stage `parse`, and the story still loads. An extra field beside the contract's.
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready data (the `dateline extract` line: the contract's fields)."""
        data = asdict(self)
        del data["dropped_dates"], data["first_seen_at"]
        return data

    def fill_gaps(self, other: StoryRecord) -> None:
        """Take what this record lacks from `other`, the feed item or sitemap entry announcing the
        same page (a page without a date still gets the feed's pubDate, for example)."""
        for item in fields(self):
            if item.name in ("input", "source", "dropped_dates", "notes"):
                continue
            if not getattr(self, item.name) and getattr(other, item.name):
                setattr(self, item.name, getattr(other, item.name))
