"""IPTC Media Topics: the vocabulary the project carries and a keyword classifier one can read.

The vocabulary (`data/iptc_topics.csv`: code, English label, parent, level; no definition
texts) is the project's selection from the IPTC snapshot in ../shared/reference: all 17
top-level topics, every current second-level topic, and the deeper ones news about
diplomacy, terrorism, energy, markets, central banks, crypto and AI needs, with their ancestors.

Why keywords and word vectors: analysts must be able to see why a story got a topic (the `evidence`
column lists the words that decided it, with counts, and the story's words nearest the topic in
word-vector space), and no trained classifier can be downloaded here.
The weights live in `data/topic_keywords.csv` (topic, weight, terms separated by "|", a
trailing "*" matches any ending) and can be tuned without touching code.

Why vectorised: the whole batch is split into words, and terms (phrases of up to three
words) are found by hash joins of those words against the expanded term list, all inside
Polars; no Python loop runs per story or per term.
"""

from __future__ import annotations

import functools
import math

import polars as pl

from transforms.enrich.lexicon import DATA
from transforms.enrich.vectors import topic_similarity

# A top-level topic's score mixes two shares of the story: its keyword evidence, and its word-vector
# similarity (`vectors.py`), weighted VECTOR_WEIGHT to 1, so a story the lists say nothing about still gets
# its nearest topic, and the vectors can overrule a keyword that happens to appear. The story's best
# top-level topic is always kept. A further one needs at least MIN_EVIDENCE weighted keyword evidence and
# MIN_SHARE of the mixed score; sub-topics need the same keyword evidence under a kept top-level topic.
# VECTOR_WEIGHT (of 2, 4, 6, 10, 15, 25) and MIN_SHARE (of 0.3, 0.4, 0.5) were chosen on the development
# half of a fixed AG News sample (bench/enrich_quality.py); the held-out half is reported beside it.
VECTOR_WEIGHT = 15.0
MIN_EVIDENCE = 2.0
MIN_SHARE = 0.4
MAX_TOPICS = 3
# A topic's evidence names its nearest words when their vote is at least this share (or it has no keywords).
_VECTOR_EVIDENCE_SHARE = 0.25
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
def topic_descriptions() -> tuple[tuple[str, str], ...]:
    """(top-level topic, the words that describe it: its carried IPTC labels and its keyword terms), the
    text each topic's word-vector centroid is made from."""
    words: dict[str, list[str]] = {}
    for topic_id, label in iptc_topics().select("topic_id", "label").iter_rows():
        words.setdefault(_top_level()[topic_id], []).append(label)
    for top_id, term in keyword_table().select("top_id", "term").iter_rows():
        words[top_id].append(term.rstrip("*"))
    return tuple((top_id, " ".join(text)) for top_id, text in sorted(words.items()))


# Endings a "*" term takes: "researcher*" matches "researchers", "investigat*" matches
# "investigation". Expanding stems into literal forms turns matching into one hash join.
_SUFFIXES = (
    "", "s", "es", "ed", "d", "ing", "er", "ers", "or", "ors", "ion", "ions", "ation", "ations", "al", "ally",
    "ly", "ity", "ities", "ies", "y", "ic", "ics", "ical", "ist", "ists", "ism", "e", "ment", "ments", "ance",
    "ence", "ant", "ants", "ive", "ize", "ized", "izes", "izing", "ization", "ise", "ised", "ises", "ising",
    "isation", "ure", "ures", "ory", "ate", "ated", "ates", "ating", "ator", "ators", "ous", "ary", "aries",
    "ian", "ians", "ship", "ships", "ness", "less", "ful", "able", "ably", "ible",
)  # fmt: skip
_WORD = r"[a-z0-9]+(?:['’-][a-z0-9]+)*"


@functools.cache
def _forms() -> pl.DataFrame:
    """Every literal form a term matches: form (one to three words), term, words."""
    rows: dict[str, str] = {}
    # Longer terms first so a form shared by two terms belongs to the more specific one.
    for term in sorted(set(keyword_table()["term"]), key=len, reverse=True):
        forms = [term[:-1] + ending for ending in _SUFFIXES] if term.endswith("*") else [term]
        for form in forms:
            rows.setdefault(form, term)
    frame = pl.DataFrame({"form": list(rows), "term": list(rows.values())})
    return frame.with_columns((pl.col("form").str.count_matches(" ") + 1).cast(pl.Int32).alias("words"))


def _hits(texts: pl.DataFrame) -> pl.DataFrame:
    """story_id, term, count: every term occurrence, a phrase's words not counted again on their own."""
    forms = _forms()
    firsts = forms.filter(pl.col("words") > 1)["form"].str.split(" ").list.first().unique()
    words = (
        texts.lazy()
        .select("story_id", pl.col("text").str.to_lowercase().str.extract_all(_WORD).alias("word"))
        .explode("word")
        .drop_nulls("word")
        .with_row_index("pos")
        .with_columns(pl.col("word").shift(-i).alias(f"next{i}") for i in (1, 2))
        .with_columns(pl.col("story_id").shift(-i).alias(f"story{i}") for i in (1, 2))
        .collect()
    )
    found = []
    covered = pl.DataFrame(schema={"story_id": pl.String, "pos": pl.UInt32})
    for n in (3, 2, 1):
        candidates = words if n == 1 else words.filter(pl.col("word").is_in(firsts.implode()))
        if n > 1:
            same_story = [pl.col(f"story{i}") == pl.col("story_id") for i in range(1, n)]
            candidates = candidates.filter(*same_story).with_columns(
                pl.concat_str(["word", *(f"next{i}" for i in range(1, n))], separator=" ").alias("word")
            )
        matched = (
            candidates.join(forms.filter(pl.col("words") == n), left_on="word", right_on="form")
            .join(covered, on=["story_id", "pos"], how="anti")
            .select("story_id", "pos", "term")
        )
        found.append(matched)
        spans = matched.select("story_id", pl.int_ranges("pos", pl.col("pos") + n, dtype=pl.UInt32).alias("pos"))
        covered = pl.concat([covered, spans.explode("pos")])
    return pl.concat(found).group_by("story_id", "term").len("count")


# Weight of a listed company named in the story, as evidence for its industry's topic ("Intel" for
# technology, "Wal-Mart" for business): as strong as a specific keyword.
COMPANY_WEIGHT = 2.0
EVIDENCE_SCHEMA = {"story_id": pl.String, "term": pl.String, "count": pl.UInt32, "topic_id": pl.String}


def classify_topics(texts: pl.DataFrame, entity_evidence: pl.DataFrame | None = None) -> pl.DataFrame:
    """Score IPTC topics for frames of `story_id, text`; returns story_id, topic_id, score, evidence.

    A term found n times adds weight·(1 + ln n) to its topic and to that topic's top-level
    ancestor; scores are shares of the story's total evidence, so long and short stories
    compare. Top-level topics come first; sub-topics are listed under a kept top-level.
    `entity_evidence` (EVIDENCE_SCHEMA: story_id, term, count, topic_id) adds what the story's
    entities say, such as a listed company and its industry, as terms of weight COMPANY_WEIGHT.
    """
    hits = _hits(texts).join(keyword_table(), on="term")
    if entity_evidence is not None and not entity_evidence.is_empty():
        extra = entity_evidence.with_columns(
            pl.lit(COMPANY_WEIGHT).alias("weight"), pl.col("topic_id").replace_strict(_top_level()).alias("top_id")
        )
        hits = pl.concat([hits, extra.select(hits.columns)], how="vertical_relaxed")
    scored = hits.with_columns(
        (pl.col("weight") * (1 + pl.col("count").cast(pl.Float64).log(math.e))).alias("points"),
        pl.format("{}×{}", "term", "count").alias("feature"),
    )
    top = _aggregate(scored, "top_id").rename({"top_id": "topic_id"})
    sub = (
        _aggregate(scored.filter(pl.col("topic_id") != pl.col("top_id")), "topic_id")
        .join(scored.select("topic_id", "top_id").unique(), on="topic_id")
        .with_columns(pl.lit(2).alias("level"))
    )
    totals = top.group_by("story_id").agg(pl.col("points").sum().alias("total"))
    kept_top = _top_level_topics(texts, top.join(totals, on="story_id"))
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


def _top_level_topics(texts: pl.DataFrame, keywords: pl.DataFrame) -> pl.DataFrame:
    """The kept top-level topics (story_id, topic_id, score, evidence, level) from `keywords` (story_id,
    topic_id, points, evidence, total) mixed with the word-vector shares; see VECTOR_WEIGHT."""
    keyed = keywords
    if VECTOR_WEIGHT > 0:
        similar = topic_similarity(texts, topic_descriptions())
        keyed = keyed.join(similar, on=["story_id", "topic_id"], how="full", coalesce=True)
    else:
        keyed = keyed.with_columns(pl.lit(0.0).alias("share"), pl.lit(None, pl.String).alias("words"))
    raw = pl.col("points").fill_null(0.0) + VECTOR_WEIGHT * pl.col("share").fill_null(0.0)
    mixed = raw / raw.sum().over("story_id")
    vector_words = pl.when(
        pl.col("words").is_not_null() & (pl.col("evidence").is_null() | (pl.col("share") >= _VECTOR_EVIDENCE_SHARE))
    ).then(pl.format("word vectors: {}", "words"))
    return (
        keyed.with_columns(
            mixed.alias("score"),
            pl.concat_str(pl.col("evidence"), vector_words, separator="; ", ignore_nulls=True).alias("evidence"),
            pl.lit(1).alias("level"),
        )
        # ordinal ranks break ties by row order, and group_by's order varies run to run: sort first
        .sort("story_id", "topic_id")
        .with_columns(pl.col("score").rank("ordinal", descending=True).over("story_id").alias("rank"))
        .filter(
            (pl.col("rank") == 1) & (pl.col("evidence") != "")
            | (pl.col("points").fill_null(0.0) >= MIN_EVIDENCE)
            & (pl.col("score") >= MIN_SHARE)
            & (pl.col("rank") <= MAX_TOPICS)
        )
    )


def _aggregate(scored: pl.DataFrame, key: str) -> pl.DataFrame:
    return scored.group_by("story_id", key).agg(
        pl.col("points").sum(),
        pl.col("feature")
        .sort_by("points", "feature", descending=[True, False])
        .head(_EVIDENCE_TERMS)
        .str.join(", ")
        .alias("evidence"),
    )
