"""Enrichment: people, organisations, places, IPTC topics, dates, quotes and wire duplicates.

Pure functions over Polars frames (no I/O but reading this package's own data files), so the
flow can call them per chunk and the warehouse can load the frames as they are:

- `enrich_stories(stories)` -> `Enrichment` (entities, topics, quotes, date mentions, MinHash
  signatures, rejects)
- `iptc_topics()` -> the IPTC Media Topics the project carries, for `dim_topic`
- `enrichment_version(detector.version)` -> which detector, code and lists produced a story's rows
  (`Enrichment.version`, stored per story as `fact_story.enrichment_version`)
- `minhash_signature(body)` and `link_duplicates(new, existing)` for `duplicate_of`

Entities come from a `MentionDetector` (default: `ModelMentionDetector`, spaCy's small English
NER merged with the gazetteer rules; `RuleMentionDetector` is the rules alone); pass another
implementation to `enrich_stories(detector=...)`. Stories not in English get no entities (see
`model.py`): the language is the story's own field, or py3langid's reading of the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from transforms.enrich.dates import BATCH_PATTERN as DATE_PATTERN
from transforms.enrich.dates import resolve_phrases
from transforms.enrich.duplicates import link_duplicates, minhash_signature
from transforms.enrich.languages import is_english
from transforms.enrich.lexicon import lexicon
from transforms.enrich.mentions import EntityType, Mention, MentionDetector
from transforms.enrich.model import ModelMentionDetector
from transforms.enrich.quotes import quotes
from transforms.enrich.resolve import entities, resolve
from transforms.enrich.rules import RuleMentionDetector
from transforms.enrich.topics import EVIDENCE_SCHEMA, TOPIC_SCHEMA, classify_topics, iptc_topics
from transforms.enrich.version import enrichment_version

__all__ = [
    "DATE_SCHEMA",
    "ENTITY_SCHEMA",
    "QUOTE_SCHEMA",
    "SIGNATURE_SCHEMA",
    "TOPIC_SCHEMA",
    "Enrichment",
    "EntityType",
    "Mention",
    "MentionDetector",
    "ModelMentionDetector",
    "RuleMentionDetector",
    "enrich_stories",
    "enrichment_version",
    "iptc_topics",
    "link_duplicates",
    "minhash_signature",
]

ENTITY_SCHEMA = {
    "story_id": pl.String,
    "entity_id": pl.String,
    "name": pl.String,
    "entity_type": pl.String,
    "country_code": pl.String,
    "mentions": pl.Int64,
}
QUOTE_SCHEMA = {
    "story_id": pl.String,
    "quote": pl.String,
    "speaker_entity_id": pl.String,
    "speaker_name": pl.String,
}
DATE_SCHEMA = {"story_id": pl.String, "mentioned_date": pl.Date, "phrase": pl.String}
SIGNATURE_SCHEMA = {"story_id": pl.String, "signature": pl.List(pl.UInt64)}
# Entity and quote rules look at this much of a story; a 1 MB "story" is a page dump, and
# beyond this size its names add noise, not analysis. Topics and dates read all of it.
MAX_ENTITY_TEXT = 200_000


@dataclass(slots=True)
class Enrichment:
    """The frames the warehouse loads (see the column lists in the *_SCHEMA constants).

    `topics` has one more column than TOPIC_SCHEMA: `scheme`, "iptc" for IPTC Media Topics
    (topic_id "medtop:…", see `iptc_topics()`) or "source" for the source's own section and
    tags (topic_id "source:<lower-cased label>", score 1.0), as `dim_topic.scheme` wants.

    `signatures` holds every story's body MinHash (`minhash_signature`), computed here so that it
    runs on the enrichment workers rather than in the flow's own process.

    `rejects` are (story_id, reason, detail) for stories whose entity, quote or date
    extraction failed: those stories have no rows in the frames but still load, and the
    flow writes the reject to `etl_reject` at stage `enrich`.

    `version` is `enrichment_version(...)` of the detector used: what produced every row here.
    """

    entities: pl.DataFrame
    topics: pl.DataFrame
    quotes: pl.DataFrame
    date_mentions: pl.DataFrame
    signatures: pl.DataFrame
    version: str
    rejects: list[tuple[str, str, str]] = field(default_factory=list)


def enrich_stories(stories: pl.DataFrame, detector: MentionDetector | None = None) -> Enrichment:
    """Enrich a batch of stories.

    Input columns: story_id, headline, body; optional summary (list of str), published_day
    (date), tags (list of str), section (str), language (ISO 639-1). Never raises for a bad
    story: its failure becomes a reject.
    """
    detector = detector or ModelMentionDetector()
    lex = lexicon()
    frame = _normalised(stories)
    frame = frame.with_columns(
        pl.Series("english", [is_english(lang, text) for lang, text in frame.select("language", "text").iter_rows()])
    )
    entity_rows: list[tuple] = []
    quote_rows: list[tuple] = []
    date_rows: list[tuple] = []
    evidence_rows: list[tuple] = []
    rejects: list[tuple[str, str, str]] = []
    # Date phrases of the whole batch are found in one vectorised pass; only resolving them
    # against each story's day happens per story.
    dates = pl.col("text").str.extract_all(DATE_PATTERN).alias("dates")
    rows = frame.select("story_id", pl.col("text").str.slice(0, MAX_ENTITY_TEXT), "published_day", "english", dates)
    detected = _detected(detector, rows["text"].to_list(), rows["english"].to_list())
    for (story_id, head, day, english, phrases), mentions in zip(rows.iter_rows(), detected, strict=True):
        try:
            found_mentions = mentions if mentions is not None else detector.detect(head, english=english)
            resolved = resolve(head, found_mentions, lex)
            found = entities(resolved)
            story_entities = [(story_id, e.entity_id, e.name, e.entity_type, e.country_code, e.mentions) for e in found]
            story_evidence = [
                (story_id, f"{e.name} (company)", e.mentions, lex.company_sectors[e.name])
                for e in found
                if e.entity_type == "organization" and e.name in lex.company_sectors
            ]
            story_quotes = [(story_id, q.quote, q.speaker_entity_id, q.speaker_name) for q in quotes(head, resolved)]
            story_dates = [(story_id, d.mentioned_date, d.phrase) for d in resolve_phrases(phrases or [], day)]
        except Exception as error:
            rejects.append((story_id, "enrich_failed", f"{type(error).__name__}: {error}"[:500]))
            continue
        entity_rows += story_entities
        evidence_rows += story_evidence
        quote_rows += story_quotes
        date_rows += story_dates
    evidence = pl.DataFrame(evidence_rows, schema=EVIDENCE_SCHEMA, orient="row")
    return Enrichment(
        entities=pl.DataFrame(entity_rows, schema=ENTITY_SCHEMA, orient="row"),
        topics=_topics(frame, evidence, rejects).filter(~pl.col("story_id").is_in([r[0] for r in rejects])),
        quotes=pl.DataFrame(quote_rows, schema=QUOTE_SCHEMA, orient="row"),
        date_mentions=pl.DataFrame(date_rows, schema=DATE_SCHEMA, orient="row"),
        signatures=pl.DataFrame(
            {"story_id": frame["story_id"], "signature": [minhash_signature(body or "") for body in frame["body"]]},
            schema=SIGNATURE_SCHEMA,
        ),
        version=enrichment_version(detector.version),
        rejects=rejects,
    )


def _detected(detector: MentionDetector, texts: list[str], english: list[bool]) -> list[list[Mention] | None]:
    """Mentions for the whole batch at once (cheaper for a model); when that fails, None for every story, so
    each is detected on its own and only a story that fails alone becomes a reject."""
    try:
        return list(detector.detect_many(texts, english=english))
    except Exception:
        return [None] * len(texts)


def _normalised(stories: pl.DataFrame) -> pl.DataFrame:
    """The input with optional columns filled and the text to read assembled."""
    frame = stories
    defaults = {
        "summary": pl.lit([], dtype=pl.List(pl.String)),
        "published_day": pl.lit(None, dtype=pl.Date),
        "tags": pl.lit([], dtype=pl.List(pl.String)),
        "section": pl.lit(None, dtype=pl.String),
        "language": pl.lit(None, dtype=pl.String),
    }
    frame = frame.with_columns(value.alias(name) for name, value in defaults.items() if name not in frame.columns)
    return frame.with_columns(
        pl.col("story_id").cast(pl.String),
        _as_day(frame.schema["published_day"]),
        pl.concat_str(
            pl.col("headline").fill_null(""),
            pl.col("summary").fill_null([]).list.join("\n\n"),
            pl.col("body").fill_null(""),
            separator="\n\n",
        ).alias("text"),
    ).with_columns(
        # The headline counts twice and the source's own section and tags once more for topics.
        pl.concat_str(
            pl.col("headline").fill_null(""),
            pl.col("section").fill_null(""),
            pl.col("tags").fill_null([]).list.join(" "),
            pl.col("text"),
            separator="\n\n",
        ).alias("topic_text")
    )


def _as_day(dtype: pl.DataType) -> pl.Expr:
    """published_day as a date, whether it came as a date, a timestamp or an ISO string."""
    day = pl.col("published_day")
    if dtype == pl.String:
        return day.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    if isinstance(dtype, pl.Datetime):
        return day.dt.date()
    return day.cast(pl.Date, strict=False)


def _topics(frame: pl.DataFrame, evidence: pl.DataFrame, rejects: list[tuple[str, str, str]]) -> pl.DataFrame:
    """IPTC topics for the batch, plus the source's own sections and tags as scheme "source".

    Only English stories are classified: the keyword lists are English (see `languages.py`)."""
    try:
        english = frame.filter(pl.col("english"))
        iptc = classify_topics(english.select("story_id", pl.col("topic_text").alias("text")), evidence)
    except Exception as error:
        rejects.extend((sid, "topics_failed", f"{type(error).__name__}: {error}"[:500]) for sid in frame["story_id"])
        iptc = pl.DataFrame(schema=TOPIC_SCHEMA)
    source = (
        frame.select(
            "story_id",
            pl.concat_list(pl.col("section").fill_null(""), pl.col("tags").fill_null([])).alias("label"),
        )
        .explode("label")
        .with_columns(pl.col("label").str.strip_chars())
        .filter(pl.col("label").is_not_null() & (pl.col("label") != ""))
        .select(
            "story_id",
            pl.concat_str(pl.lit("source:"), pl.col("label").str.to_lowercase()).alias("topic_id"),
            pl.lit(1.0).alias("score"),
            pl.lit("source section or tag").alias("evidence"),
        )
        .unique(["story_id", "topic_id"], maintain_order=True)
    )
    return pl.concat(
        [
            iptc.with_columns(pl.lit("iptc").alias("scheme")),
            source.with_columns(pl.lit("source").alias("scheme")),
        ]
    )
