"""IPTC Media Topics: the vocabulary the project carries and a keyword classifier one can read.

Why keywords: analysts must be able to see why a story got a topic (the `evidence` column
lists the words that decided it, with counts), and no trained model can be downloaded here.
The weights live in `data/topic_keywords.csv` (topic, weight, terms separated by "|", a
trailing "*" matches any ending) and can be tuned without touching code.

Why vectorised: all stories of a batch are matched in one pass of one compiled regular
expression inside Polars (Rust), so ten thousand stories cost about as much as one long text;
only the per-story aggregation happens in frames, never in a Python loop.
"""

from __future__ import annotations

import functools
import math
import re

import polars as pl

from transforms.enrich.lexicon import DATA

# A top-level topic is kept when it has at least this much weighted evidence and this share of
# the story's evidence; sub-topics need the same absolute evidence. Tuned on the gold set.
MIN_EVIDENCE = 2.0
MIN_SHARE = 0.15
MAX_TOPICS = 3
_EVIDENCE_TERMS = 6

TOPIC_SCHEMA = {"story_id": pl.String, "topic_id": pl.String, "score": pl.Float64, "evidence": pl.String}


@functools.cache
def iptc_topics() -> pl.DataFrame:
    """The IPTC Media Topics the project carries: topic_id ("medtop:…"), label, parent_topic_id, level."""
    return pl.read_csv(
        DATA / "iptc_topics.csv",
        schema={"topic_id": pl.String, "label": pl.String, "parent_topic_id": pl.String, "level": pl.Int32},
    )


@functools.cache
def _top_level() -> dict[str, str]:
    """Each carried topic -> its level-1 ancestor."""
    parents = dict(zip(*iptc_topics().select("topic_id", "parent_topic_id").to_dict().values(), strict=True))
    top: dict[str, str] = {}
    for topic in parents:
        node = topic
        while parents.get(node):
            node = parents[node]
        top[topic] = node
    return top


@functools.cache
def keyword_table() -> pl.DataFrame:
    """One row per (topic, term, weight), checked against the carried vocabulary."""
    table = (
        pl.read_csv(
            DATA / "topic_keywords.csv",
            schema={"topic_id": pl.String, "weight": pl.Float64, "terms": pl.String},
        )
        .with_columns(pl.col("terms").str.split("|"))
        .explode("terms")
        .rename({"terms": "term"})
        .with_columns(pl.col("term").str.strip_chars())
        .filter(pl.col("term") != "")
    )
    unknown = set(table["topic_id"]) - set(_top_level())
    if unknown:
        raise ValueError(f"topic_keywords.csv names topics not in iptc_topics.csv: {sorted(unknown)}")
    return table.with_columns(pl.col("topic_id").replace_strict(_top_level()).alias("top_id"))


@functools.cache
def _matcher() -> tuple[str, dict[str, str], tuple[str, ...]]:
    """The one pattern for all terms (longest first, so phrases beat their words), and term lookups."""
    terms = sorted(set(keyword_table()["term"]), key=len, reverse=True)
    # ASCII classes keep the automaton small enough for thousands of alternatives; the
    # text is lower-cased first and IPTC keywords are English.
    parts = [re.escape(t[:-1]) + "[a-z0-9]*" if t.endswith("*") else re.escape(t) for t in terms]
    literal = {t: t for t in terms if not t.endswith("*")}
    stems = tuple(sorted((t for t in terms if t.endswith("*")), key=len, reverse=True))
    return r"(?-u:\b)(?:" + "|".join(parts) + r")(?-u:\b)", literal, stems


def _term_of(word: str, literal: dict[str, str], stems: tuple[str, ...]) -> str | None:
    if word in literal:
        return word
    return next((s for s in stems if word.startswith(s[:-1])), None)


def classify_topics(texts: pl.DataFrame) -> pl.DataFrame:
    """Score IPTC topics for frames of `story_id, text`; returns story_id, topic_id, score, evidence.

    A term found n times adds weight·(1 + ln n) to its topic and to that topic's top-level
    ancestor; scores are shares of the story's total evidence, so long and short stories
    compare. Top-level topics come first; sub-topics are listed under a kept top-level.
    """
    pattern, literal, stems = _matcher()
    hits = (
        texts.lazy()
        .select("story_id", pl.col("text").str.to_lowercase().str.extract_all(pattern).alias("word"))
        .explode("word")
        .drop_nulls("word")
        .group_by("story_id", "word")
        .len("count")
        .collect()
    )
    if hits.is_empty():
        return pl.DataFrame(schema=TOPIC_SCHEMA)
    words = hits["word"].unique().to_list()
    word_terms = pl.DataFrame(
        {"word": words, "term": [_term_of(w, literal, stems) for w in words]},
        schema={"word": pl.String, "term": pl.String},
    )
    scored = (
        hits.join(word_terms, on="word")
        .group_by("story_id", "term")
        .agg(pl.col("count").sum())
        .join(keyword_table(), on="term")
        .with_columns(
            (pl.col("weight") * (1 + pl.col("count").cast(pl.Float64).log(math.e))).alias("points"),
            pl.format("{}×{}", "term", "count").alias("feature"),
        )
    )
    top = _aggregate(scored, "top_id").rename({"top_id": "topic_id"}).with_columns(pl.lit(1).alias("level"))
    sub = (
        _aggregate(scored.filter(pl.col("topic_id") != pl.col("top_id")), "topic_id")
        .join(scored.select("topic_id", "top_id").unique(), on="topic_id")
        .with_columns(pl.lit(2).alias("level"))
    )
    totals = top.group_by("story_id").agg(pl.col("points").sum().alias("total"))
    kept_top = (
        top.join(totals, on="story_id")
        .with_columns((pl.col("points") / pl.col("total")).alias("score"))
        .with_columns(pl.col("score").rank("ordinal", descending=True).over("story_id").alias("rank"))
        .filter(
            (pl.col("rank") == 1) & (pl.col("points") >= MIN_EVIDENCE / 2)
            | (pl.col("points") >= MIN_EVIDENCE)
            & (pl.col("score") >= MIN_SHARE)
            & (pl.col("rank") <= MAX_TOPICS)
        )
    )
    kept_sub = (
        sub.join(kept_top.select("story_id", pl.col("topic_id").alias("top_id")), on=["story_id", "top_id"])
        .join(totals, on="story_id")
        .with_columns((pl.col("points") / pl.col("total")).alias("score"))
        .filter(pl.col("points") >= MIN_EVIDENCE)
    )
    columns = ["story_id", "topic_id", "score", "evidence"]
    return (
        pl.concat([kept_top.select([*columns, "level"]), kept_sub.select([*columns, "level"])])
        .sort(["story_id", "level", "score"], descending=[False, False, True])
        .select(pl.col("story_id"), pl.col("topic_id"), pl.col("score").round(4), pl.col("evidence"))
    )


def _aggregate(scored: pl.DataFrame, key: str) -> pl.DataFrame:
    return scored.group_by("story_id", key).agg(
        pl.col("points").sum(),
        pl.col("feature")
        .sort_by("points", descending=True)
        .head(_EVIDENCE_TERMS)
        .str.join(", ")
        .alias("evidence"),
    )
