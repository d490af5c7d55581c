"""Story records → the star schema's frames (facts, dimensions, bridges), as pure Polars.

Everything here is a function of its inputs: the caller passes the run's clock (`seen_at`)
and the enrichment results, so the same records always give the same frames and keys,
which is what makes a rerun a no-op in the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import polars as pl

from transforms.keys import content_hash, fold, stable_key, story_id
from transforms.parsers.dates import day_of, to_utc
from transforms.record import StoryRecord
from transforms.urls import normalise_url

TS = pl.Datetime("us", "UTC")

STORY_SCHEMA: dict[str, pl.DataType] = {
    "story_key": pl.Int64(),
    "story_id": pl.String(),
    "source": pl.String(),
    "source_key": pl.Int64(),
    "date_key": pl.Int32(),
    "date_basis": pl.String(),
    "published_at": TS,
    "published_day": pl.Date(),
    "published_precision": pl.String(),
    "updated_at": TS,
    "updated_day": pl.Date(),
    "updated_precision": pl.String(),
    "first_seen_at": TS,
    "url": pl.String(),
    "headline": pl.String(),
    "summary": pl.List(pl.String()),
    "dateline": pl.String(),
    "section": pl.String(),
    "language": pl.String(),
    "image_caption": pl.String(),
    "body": pl.String(),
    "word_count": pl.Int32(),
    "content_hash": pl.String(),
    "authors": pl.List(pl.String()),
    "tags": pl.List(pl.String()),
    "locator": pl.String(),
}
RELINK_SCHEMA: dict[str, pl.DataType] = {"story_key": pl.Int64(), "duplicate_of": pl.Int64()}
# Stored stories whose enrichment rows a batch replaces (`dateline reenrich`): the content it enriched and the
# version that did it.
REENRICHED_SCHEMA: dict[str, pl.DataType] = {
    "story_key": pl.Int64(),
    "content_hash": pl.String(),
    "enrichment_version": pl.String(),
}
# MinHash signatures of story bodies, compared to find republished wire copies.
SIGNATURE_COLUMNS: dict[str, pl.DataType] = {
    "story_id": pl.String(),
    "source": pl.String(),
    "published": pl.Date(),
    "signature": pl.List(pl.UInt64()),
}


@dataclass(frozen=True, slots=True)
class Reject:
    """A document or story that could not go further, with the stage and a reason code."""

    source: str
    locator: str
    stage: str
    reason: str
    detail: str = ""


@dataclass(slots=True)
class StarBatch:
    """The frames one load merges, in one transaction. Bridges are keyed by story_key."""

    stories: pl.DataFrame
    dim_date: pl.DataFrame
    dim_author: pl.DataFrame
    dim_topic: pl.DataFrame
    dim_entity: pl.DataFrame
    bridge_story_author: pl.DataFrame
    bridge_story_topic: pl.DataFrame
    bridge_story_entity: pl.DataFrame
    fact_quote: pl.DataFrame
    fact_date_mention: pl.DataFrame
    # stored stories that turn out to be wire copies of a story in this batch published earlier
    relinks: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=RELINK_SCHEMA))
    # stored stories re-enriched without a change to their text: only their enrichment rows are replaced
    reenriched: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REENRICHED_SCHEMA))
    duplicates_collapsed: int = 0
    rejects: list[Reject] = field(default_factory=list)


def source_key(name: str) -> int:
    return stable_key(f"source|{name}")


def author_key(name: str) -> int:
    return stable_key(f"author|{fold(name)}")


def topic_key(scheme: str, topic_id: str) -> int:
    return stable_key(f"topic|{scheme}|{topic_id}")


def entity_key(entity_id: str) -> int:
    return stable_key(f"entity|{entity_id}")


def _precision(iso: str | None) -> str | None:
    if not iso:
        return None
    return "day" if len(iso) <= 10 else "instant"


# How far past the moment a story was first seen its published/updated date may lie: time zones and clocks
# that run a little fast, not more. A later date (2099-12-31) is a typo or a template bug, and kept would
# become the story's day and drag every "newest day" anchor (trending, the report's axis) with it.
FUTURE_TOLERANCE = timedelta(days=1)


def is_future_date(iso: str, seen_at: datetime) -> bool:
    """Whether an ISO date or instant lies more than `FUTURE_TOLERANCE` after `seen_at` (a day counts whole)."""
    limit = seen_at + FUTURE_TOLERANCE
    instant = to_utc(iso)
    if instant is not None:
        return instant > limit
    day = day_of(iso)
    return day is not None and day > limit.date()


def checked_dates(record: StoryRecord, seen_at: datetime) -> tuple[StoryRecord, list[Reject]]:
    """The record without dates from the future, and a `dates` reject for each date dropped: from the future
    here, or unusable where the parser read it (`record.dropped_dates`: year 9999, offset +25:00). The story
    itself goes on, dated by what is left: its other date or when it was first seen."""
    future = {
        name: value
        for name in ("published_at", "updated_at")
        if (value := getattr(record, name)) and is_future_date(value, seen_at)
    }
    seen = seen_at.isoformat(timespec="seconds")
    reasons = [
        *(("date_unusable", note) for note in record.dropped_dates),
        *(
            ("date_in_future", f"{name} {value} is more than a day after the story was first seen ({seen}); not used")
            for name, value in future.items()
        ),
    ]
    rejects = [Reject(record.source or "", record.input, "dates", reason, detail) for reason, detail in reasons]
    return (replace(record, **dict.fromkeys(future)) if future else record), rejects


def _story_row(record: StoryRecord, seen_at: datetime) -> dict:
    """Flatten one record into the story frame's columns (dates resolved, keys derived). A page from a web
    archive was first seen when it was captured, not when this run read the archive."""
    seen_at = to_utc(record.first_seen_at) or seen_at
    url = normalise_url(record.url) if record.url else None
    published_day, updated_day = day_of(record.published_at), day_of(record.updated_at)
    best_day, basis = (
        (published_day, "published")
        if published_day
        else (updated_day, "updated")
        if updated_day
        else (seen_at.date(), "first_seen")
    )
    headline = " ".join((record.title or "").split())
    body = record.body.strip()
    natural = story_id(url, record.source or "", headline, published_day or updated_day)
    summary = [s for s in record.summary if s.strip()]
    return {
        "story_key": stable_key(natural),
        "story_id": natural,
        "source": record.source or "",
        "source_key": source_key(record.source or ""),
        "date_key": int(best_day.strftime("%Y%m%d")),
        "date_basis": basis,
        "published_at": to_utc(record.published_at),
        "published_day": published_day,
        "published_precision": _precision(record.published_at),
        "updated_at": to_utc(record.updated_at),
        "updated_day": updated_day,
        "updated_precision": _precision(record.updated_at),
        "first_seen_at": seen_at,
        "url": url,
        "headline": headline,
        "summary": summary,
        "dateline": record.dateline,
        "section": record.section,
        "language": record.language,
        "image_caption": record.image_caption,
        "body": body,
        "word_count": len(body.split()),
        "content_hash": content_hash(headline, "\n".join(summary), record.dateline or "", body),
        "authors": list(dict.fromkeys(a.strip() for a in record.authors if a.strip())),
        "tags": list(dict.fromkeys(t.strip() for t in record.tags if t.strip())),
        "locator": record.input,
    }


def _problem(row: dict) -> tuple[str, str] | None:
    """Why a (collapsed) story cannot be loaded, or None. Checked after collapsing, so a sitemap entry
    that only knows a title is fine once its page brought the body."""
    if not row["headline"]:
        return "no_headline", "the document has no title"
    if not row["body"] and not row["summary"]:
        return "no_text", "neither body nor summary"
    return None


def _first_present(column: str, dtype: pl.DataType) -> pl.Expr:
    """Within a group, the first non-empty value: the richest record wins, the others fill its gaps."""
    expr = pl.col(column)
    if isinstance(dtype, pl.List):
        return expr.filter(expr.list.len() > 0).first()
    if dtype == pl.String():
        return expr.filter(expr.str.len_chars() > 0).first()
    return expr.drop_nulls().first()


def _collapse(stories: pl.DataFrame) -> pl.DataFrame:
    """One row per story_id. A feed item and its page (or one story reached by two URLs) are one story;
    the record with the longest body leads. The content hash is recomputed from the merged row."""
    ordered = stories.sort(["story_id", "word_count", "locator"], descending=[False, True, False])
    merged = ordered.group_by("story_id", maintain_order=True).agg(
        [_first_present(c, t) for c, t in STORY_SCHEMA.items() if c != "story_id"]
    )
    merged = merged.with_columns(pl.col(c).fill_null([]) for c in ("summary", "authors", "tags")).with_columns(
        pl.col("body").fill_null("")
    )
    hashes = [
        content_hash(r["headline"] or "", "\n".join(r["summary"]), r["dateline"] or "", r["body"])
        for r in merged.select("headline", "summary", "dateline", "body").iter_rows(named=True)
    ]
    return merged.with_columns(pl.Series("content_hash", hashes)).select(STORY_SCHEMA.keys())


@dataclass(slots=True)
class StoryFrame:
    """One row per story (in-batch duplicates collapsed), with what was collapsed and rejected."""

    stories: pl.DataFrame
    collapsed: int
    rejects: list[Reject]


def build_stories(records: list[StoryRecord], seen_at: datetime) -> StoryFrame:
    """Flatten, collapse and validate records into the story frame; dates from the future are dropped first."""
    rejects: list[Reject] = []
    checked = []
    for record in records:
        kept, dropped = checked_dates(record, seen_at)
        checked.append(kept)
        rejects.extend(dropped)
    frame = pl.DataFrame([_story_row(r, seen_at) for r in checked], schema=STORY_SCHEMA)
    collapsed = _collapse(frame) if frame.height else frame
    keep = []
    for row in collapsed.select("source", "locator", "headline", "body", "summary").iter_rows(named=True):
        problem = _problem(row)
        keep.append(problem is None)
        if problem:
            rejects.append(Reject(row["source"], row["locator"], "normalise", *problem))
    stories = collapsed.filter(pl.Series(keep, dtype=pl.Boolean())).with_columns(duplicate_of=pl.lit(None, pl.Int64()))
    return StoryFrame(stories, frame.height - collapsed.height, rejects)


def link_keys(links: pl.DataFrame) -> pl.DataFrame:
    """(story_id, duplicate_of) links between natural keys → (story_key, duplicate_of) surrogate keys."""
    return pl.DataFrame(
        {
            "story_key": [stable_key(s) for s in links["story_id"]],
            "duplicate_of": [stable_key(s) for s in links["duplicate_of"]],
        },
        schema=RELINK_SCHEMA,
    )


def mark_duplicates(stories: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Set `duplicate_of` (the original's story_key) from (story_id, duplicate_of) links of wire copies."""
    if links.is_empty():
        return stories
    keyed = link_keys(links).select("story_key", original_key="duplicate_of")
    return (
        stories.join(keyed, on="story_key", how="left")
        .with_columns(duplicate_of=pl.coalesce("original_key", "duplicate_of"))
        .drop("original_key")
    )


def dim_date_frame(date_keys: pl.Series) -> pl.DataFrame:
    """Calendar rows for the days the batch touches (ISO weeks, Monday = 1)."""
    days = (
        pl.DataFrame({"date_key": date_keys.unique().sort()})
        .with_columns(date=pl.col("date_key").cast(pl.String()).str.to_date("%Y%m%d"))
        .with_columns(
            year=pl.col("date").dt.year().cast(pl.Int16()),
            quarter=pl.col("date").dt.quarter().cast(pl.Int8()),
            month=pl.col("date").dt.month().cast(pl.Int8()),
            iso_year=pl.col("date").dt.iso_year().cast(pl.Int16()),
            iso_week=pl.col("date").dt.week().cast(pl.Int8()),
            day_of_week=pl.col("date").dt.weekday().cast(pl.Int8()),
        )
    )
    return days


def _authors(stories: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    exploded = (
        stories.select("story_key", "authors")
        .with_columns(position=pl.int_ranges(pl.col("authors").list.len()))
        .explode(["authors", "position"])
        .drop_nulls("authors")
        .rename({"authors": "name"})
    )
    keys = pl.Series("author_key", [author_key(n) for n in exploded["name"]], dtype=pl.Int64())
    exploded = exploded.with_columns(keys)
    dim = exploded.select("author_key", "name").unique("author_key", keep="first", maintain_order=True)
    bridge = exploded.select("story_key", "author_key", pl.col("position").cast(pl.Int16())).unique(
        ["story_key", "author_key"], keep="first", maintain_order=True
    )
    return dim, bridge


def _source_topics(stories: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A site's own section and tags as topics of scheme `source`, shared across outlets by folded label."""
    labels = (
        stories.select("story_key", pl.concat_list(pl.col("section").fill_null(""), "tags").alias("label"))
        .explode("label")
        .filter(pl.col("label").str.strip_chars().str.len_chars() > 0)
    )
    topic_ids = [fold(label) for label in labels["label"]]
    labels = labels.with_columns(
        pl.Series("topic_id", topic_ids, dtype=pl.String()),
        pl.Series("topic_key", [topic_key("source", t) for t in topic_ids], dtype=pl.Int64()),
    )
    dim = labels.unique("topic_key", keep="first", maintain_order=True).select(
        "topic_key",
        "topic_id",
        "label",
        scheme=pl.lit("source"),
        parent_topic_key=pl.lit(None, pl.Int64()),
        level=pl.lit(None, pl.Int8()),
    )
    bridge = labels.unique(["story_key", "topic_key"], maintain_order=True).select(
        "story_key", "topic_key", score=pl.lit(1.0), evidence=pl.lit("source")
    )
    return dim, bridge


@dataclass(slots=True)
class EnrichmentFrames:
    """Enrichment output keyed by story_id (see transforms.enrich); empty frames when enrichment is off."""

    entities: pl.DataFrame
    topics: pl.DataFrame
    quotes: pl.DataFrame
    date_mentions: pl.DataFrame
    iptc: pl.DataFrame


def _with_story_keys(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.Series("story_key", [stable_key(s) for s in frame["story_id"]], dtype=pl.Int64()))


def _entity_frames(entities: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    keyed = _with_story_keys(entities).with_columns(
        pl.Series("entity_key", [entity_key(e) for e in entities["entity_id"]], dtype=pl.Int64())
    )
    dim = keyed.unique("entity_key", keep="first", maintain_order=True).select(
        "entity_key", "entity_id", "name", "entity_type", "country_code"
    )
    bridge = keyed.group_by(["story_key", "entity_key"], maintain_order=True).agg(
        pl.col("mentions").sum().cast(pl.Int32())
    )
    return dim, bridge


def _iptc_dim(iptc: pl.DataFrame) -> pl.DataFrame:
    return iptc.select(
        pl.Series("topic_key", [topic_key("iptc", t) for t in iptc["topic_id"]], dtype=pl.Int64()),
        "topic_id",
        "label",
        scheme=pl.lit("iptc"),
        parent_topic_key=pl.Series(
            [topic_key("iptc", p) if p else None for p in iptc["parent_topic_id"]], dtype=pl.Int64()
        ),
        level=pl.col("level").cast(pl.Int8()),
    )


def build_star(story_frame: StoryFrame, enrichment: EnrichmentFrames | None = None) -> StarBatch:
    """All frames for one load. `enrichment` must be keyed by the story_ids of `story_frame`."""
    stories = story_frame.stories
    dim_author, bridge_author = _authors(stories)
    dim_topic, bridge_topic = _source_topics(stories)
    dim_entity = pl.DataFrame(
        schema={
            "entity_key": pl.Int64(),
            "entity_id": pl.String(),
            "name": pl.String(),
            "entity_type": pl.String(),
            "country_code": pl.String(),
        }
    )
    bridge_entity = pl.DataFrame(schema={"story_key": pl.Int64(), "entity_key": pl.Int64(), "mentions": pl.Int32()})
    quotes = pl.DataFrame(
        schema={
            "story_key": pl.Int64(),
            "quote": pl.String(),
            "speaker_entity_key": pl.Int64(),
            "speaker_name": pl.String(),
        }
    )
    mentions = pl.DataFrame(schema={"story_key": pl.Int64(), "mentioned_date": pl.Date(), "phrase": pl.String()})
    if enrichment is not None:
        dim_entity, bridge_entity = _entity_frames(enrichment.entities)
        dim_topic = pl.concat([dim_topic, _iptc_dim(enrichment.iptc)], how="vertical_relaxed")
        # Only IPTC rows: the stories' own sections and tags are already scheme-`source` topics above,
        # and keying enrichment's "source:..." rows as IPTC left bridge rows without a dim_topic row.
        iptc_scored = enrichment.topics.join(enrichment.iptc.select("topic_id"), on="topic_id", how="semi")
        scored = _with_story_keys(iptc_scored).with_columns(
            pl.Series("topic_key", [topic_key("iptc", t) for t in iptc_scored["topic_id"]], dtype=pl.Int64())
        )
        bridge_topic = pl.concat(
            [bridge_topic, scored.select("story_key", "topic_key", "score", "evidence")],
            how="vertical_relaxed",
        )
        quotes = _with_story_keys(enrichment.quotes).select(
            "story_key",
            "quote",
            speaker_entity_key=pl.Series(
                [entity_key(e) if e else None for e in enrichment.quotes["speaker_entity_id"]],
                dtype=pl.Int64(),
            ),
            speaker_name="speaker_name",
        )
        mentions = _with_story_keys(enrichment.date_mentions).select("story_key", "mentioned_date", "phrase")
    return StarBatch(
        stories=stories,
        dim_date=dim_date_frame(stories["date_key"]),
        dim_author=dim_author,
        dim_topic=dim_topic,
        dim_entity=dim_entity,
        bridge_story_author=bridge_author,
        bridge_story_topic=bridge_topic,
        bridge_story_entity=bridge_entity,
        fact_quote=quotes,
        fact_date_mention=mentions,
        duplicates_collapsed=story_frame.collapsed,
        rejects=list(story_frame.rejects),
    )


def story_day(stories: pl.DataFrame) -> pl.Series:
    """The best-known day per story, as a Date series (for enrichment's relative-date resolution)."""
    return stories["date_key"].cast(pl.String()).str.to_date("%Y%m%d")
