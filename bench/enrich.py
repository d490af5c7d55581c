"""Enrichment speed: stories per second for `enrich_stories` on 10,000 real article bodies.

Stories are the naeb articles of ../shared/corpus (421 real bodies, about 5 kB each) repeated
with distinct ids until there are `--stories` of them. The same run measures, for the parts
that are vectorised, the plain per-story Python way they replace, so the speed-up is a ratio
between two numbers taken on the same machine at the same time. CPU seconds are reported
next to wall seconds because the machine is shared and wall time moves with its load:

- topics: words of the whole batch joined against the expanded term list in Polars vs. one
  `re` scan per keyword per story (the obvious loop);
- duplicates: MinHash signatures (numpy against datasketch's MinHash) and linking of the batch,
  and the candidate pairs of the linking (`similar_pairs`: numpy bands and a Polars self-join)
  against datasketch's MinHashLSH, one insert and one query per signature, on the same signatures.

The ingest flow itself runs `enrich_stories` on slices of each chunk in a process pool
(flows/runtime/workers.py, one worker per core; `DATELINE_WORKERS` overrides); the bench times that
too, including the pool's start.

    .venv/bin/python bench/enrich.py [--stories 10000]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
from datasketch import LeanMinHash, MinHash, MinHashLSH

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.runtime.workers import map_slices, workers
from transforms.enrich import enrich_stories, link_duplicates, minhash_signature
from transforms.enrich.duplicates import NUM_PERM, THRESHOLD, shingles, similar_pairs
from transforms.enrich.lexicon import lexicon
from transforms.enrich.model import ModelMentionDetector
from transforms.enrich.topics import classify_topics, keyword_table

ARTICLES = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "naeb" / "articles.json"


def stories(count: int) -> pl.DataFrame:
    articles = list(json.loads(ARTICLES.read_text(encoding="utf-8")).values())
    rows = []
    for i in range(count):
        article = articles[i % len(articles)]
        rows.append(
            {
                "story_id": f"bench:{i}",
                "headline": article["title"],
                "body": article["articleBody"],
                "published_day": date(2024, 1, 1) + timedelta(days=i % 365),
                "language": "en",
                "source": f"source-{i % 7}",
            }
        )
    return pl.DataFrame(rows)


def loop_topics(frame: pl.DataFrame) -> int:
    """The baseline: one compiled pattern per keyword, scanned over every story in Python."""
    patterns = [
        (row["topic_id"], row["weight"], re.compile(r"\b" + re.escape(row["term"].rstrip("*")) + r"\w*\b"))
        for row in keyword_table().iter_rows(named=True)
    ]
    kept = 0
    for text in frame["body"]:
        lowered = text.lower()
        points: dict[str, float] = defaultdict(float)
        for topic, weight, pattern in patterns:
            n = len(pattern.findall(lowered))
            if n:
                points[topic] += weight * (1 + math.log(n))
        kept += bool(points)
    return kept


def minhashlsh_pairs(matrix: np.ndarray) -> set[tuple[int, int]]:
    """The pairs `similar_pairs` finds, found the datasketch way (the implementation it replaced)."""
    index = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    hashes = [LeanMinHash(seed=1, hashvalues=row, scheme="affine32") for row in matrix]
    for row, minhash in enumerate(hashes):
        index.insert(row, minhash)
    return {
        (row, other)
        for row, minhash in enumerate(hashes)
        for other in index.query(minhash)
        if other != row and minhash.jaccard(hashes[other]) >= THRESHOLD
    }


def datasketch_signature(body: str) -> list[int]:
    """`minhash_signature` the datasketch way (the implementation it replaced; tests check they agree)."""
    minhash = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32")
    minhash.update_batch(list(shingles(body)))
    return [int(value) for value in minhash.hashvalues]


def timed(label: str, n: int, func) -> float:
    """Run once; print wall and CPU seconds (CPU is what to compare on a shared machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    func()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:52}{wall:8.2f} s wall {cpu:8.2f} s CPU {n / cpu:9.0f} stories/CPU-s")
    return cpu


def timed_wall(label: str, n: int, func) -> float:
    """Wall time only: the work happens in other processes, so this process's CPU says nothing."""
    wall = time.perf_counter()
    func()
    wall = time.perf_counter() - wall
    print(f"{label:52}{wall:8.2f} s wall {'':>17}{n / wall:9.0f} stories/s")
    return wall


def model_batch(sample: pl.DataFrame) -> None:
    """The NER model one story at a time (`detect`) against the batch in one `nlp.pipe` (`detect_many`, what
    `enrich_stories` calls), on the same stories: CPU per story, and whether the mentions are the same."""
    detector = ModelMentionDetector()
    texts = sample["body"].to_list()
    english = [True] * len(texts)
    found: list = []
    alone = timed(
        f"  NER model one story at a time ({len(texts)} stories)",
        len(texts),
        lambda: found.append([detector.detect(t, english=True) for t in texts]),
    )
    batch = lambda: found.append(detector.detect_many(texts, english=english))  # noqa: E731
    batched = timed("  NER model batched in one nlp.pipe", len(texts), batch)
    print(f"  same mentions: {found[0] == found[1]}; batched vs one at a time: {alone / batched:.2f}x less CPU")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=10_000)
    args = parser.parse_args()
    if not ARTICLES.exists():
        print(f"skipped: {ARTICLES} not found")
        return 0
    frame = stories(args.stories)
    n = frame.height
    megabytes = frame["body"].str.len_bytes().sum() / 1e6
    print(f"{n} stories, {megabytes:.1f} MB of body text, 1 process")
    timed("load gazetteers (once per process)", n, lexicon)
    total = timed("enrich_stories (entities, topics, quotes, dates)", n, lambda: enrich_stories(frame))
    timed_wall(f"  same on {workers()} worker processes, pool starting", n, lambda: map_slices(enrich_stories, frame))
    pooled = timed_wall(
        f"  same on {workers()} worker processes, pool warm", n, lambda: map_slices(enrich_stories, frame)
    )
    model_batch(frame.head(max(1, n // 20)))
    texts = frame.select("story_id", pl.col("body").alias("text"))
    fast = timed("  topics alone, vectorised (Polars joins)", n, lambda: classify_topics(texts))
    sample = frame.head(max(1, n // 20))
    label = f"  topics alone, per-story re loop ({sample.height} stories)"
    slow = timed(label, sample.height, lambda: loop_topics(sample))
    signatures: list[list[int]] = []
    bodies = frame["body"].to_list()
    ours = timed("minhash_signature per body", n, lambda: signatures.extend(minhash_signature(b) for b in bodies))
    peer = timed("  same with datasketch's MinHash", n, lambda: [datasketch_signature(b) for b in bodies])
    print(f"  numpy signatures vs datasketch's: {peer / ours:.1f}x less CPU")
    keyed = frame.select("story_id", "source", pl.col("published_day").alias("published"))
    keyed = keyed.with_columns(pl.Series("signature", signatures))
    half = n // 2
    links: list[pl.DataFrame] = []
    timed(
        "link_duplicates (new half against stored half)",
        n,
        lambda: links.append(link_duplicates(keyed.slice(half), keyed.head(half))),
    )
    print(f"  linked as wire copies: {links[0].height} (the corpus repeats, so most of the second half)")
    # a realistic pool is mostly unrelated stories: the corpus's distinct signatures, as many copies with
    # 0-40 of their 128 values changed (either side of the threshold), the rest random
    rng = np.random.default_rng(5)
    distinct = np.unique(np.array(signatures, dtype=np.uint64), axis=0)
    copies = distinct.copy()
    for row in copies:
        row[rng.choice(NUM_PERM, size=rng.integers(0, 41), replace=False)] = rng.integers(0, 2**32)
    noise = rng.integers(0, 2**32, size=(max(0, n - 2 * len(distinct)), NUM_PERM), dtype=np.uint64)
    matrix = np.vstack([distinct, copies, noise])
    found: list = []
    banded = timed("  candidate pairs: numpy bands + Polars join", n, lambda: found.append(similar_pairs(matrix)))
    lsh = timed("  candidate pairs: datasketch MinHashLSH", n, lambda: found.append(minhashlsh_pairs(matrix)))
    same = set(found[0].rows()) == found[1]
    print(f"  same {len(found[1])} pairs: {same}; numpy bands vs MinHashLSH: {lsh / banded:.0f}x less CPU")
    speedup = (slow / sample.height) / (fast / n)
    print(
        f"enrichment: {n / total:.0f} stories per CPU-second in one process, {n / pooled:.0f} stories/s "
        f"wall on {workers()} workers; topics vectorised vs per-story loop: {speedup:.0f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
