"""Wire copies: near-duplicate bodies published by different sources.

GDELT counts a wire story once per outlet that republishes it; Dateline keeps every copy but
links it to the earliest copy of another source (`duplicate_of`), so views can count events
once. Near-duplicates are found with MinHash over word 3-shingles (short enough that an
inserted word or a credit line changes few of them) and an LSH index
(datasketch), so finding the candidates for a new batch does not compare it with every
stored story. Signatures are plain integer lists: the warehouse stores them and the next run
compares against them without re-reading old bodies.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache

import numpy as np
import polars as pl
from datasketch import LeanMinHash, MinHash, MinHashLSH

NUM_PERM = 128
THRESHOLD = 0.8
_SHINGLE = 3
_WORD = re.compile(r"\w+")
# MinHash's seed must never change: stored signatures would stop matching new ones.
_SEED = 1
# datasketch 2 needs the permutation scheme named when hash values are read back; pinned with the seed.
_SCHEME = "affine32"

DUPLICATE_SCHEMA = {"story_id": pl.String, "duplicate_of": pl.String}


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The seed's permutation parameters, drawn once per process: drawing them is a fifth of a signature's cost."""
    return MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME).permutations


def minhash_signature(text: str) -> list[int]:
    """The body's MinHash signature (NUM_PERM integers); equal texts give equal signatures."""
    words = _WORD.findall(text.casefold())
    shingles = {" ".join(words[i : i + _SHINGLE]).encode() for i in range(max(1, len(words) - _SHINGLE + 1))}
    minhash = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME, permutations=_permutations())
    minhash.update_batch(list(shingles))
    return [int(v) for v in minhash.hashvalues]


def link_duplicates(new: pl.DataFrame, existing: pl.DataFrame) -> pl.DataFrame:
    """For each new story that copies an earlier one of another source: story_id, duplicate_of.

    Both frames have story_id, source, published (date or datetime, may be null: it then
    sorts last) and signature. The original is the earliest near-duplicate (estimated
    Jaccard ≥ THRESHOLD) from another source, ties broken by story_id so the answer does not
    depend on row order; a story that is itself the earliest gets no row. Copies within the
    same source are versions of one story, not wire copies.
    """
    columns = ["story_id", "source", "published", "signature"]
    pool = pl.concat([existing.select(columns), new.select(columns)], how="vertical_relaxed").unique(
        "story_id", keep="first", maintain_order=True
    )
    if new.is_empty():
        return pl.DataFrame(schema=DUPLICATE_SCHEMA)
    index = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    hashes: dict[str, LeanMinHash] = {}
    order: dict[str, tuple[tuple[int, str], str]] = {}
    for story_id, source, published, signature in pool.iter_rows():
        minhash = LeanMinHash(seed=_SEED, hashvalues=np.asarray(signature, dtype=np.uint64), scheme=_SCHEME)
        hashes[story_id] = minhash
        order[story_id] = (_sort_key(published, story_id), source)
        index.insert(story_id, minhash)
    links = []
    for story_id in new["story_id"].unique(maintain_order=True):
        key, source = order[story_id]
        originals = [
            other
            for other in index.query(hashes[story_id])
            if order[other][1] != source
            and order[other][0] < key
            and hashes[story_id].jaccard(hashes[other]) >= THRESHOLD
        ]
        if originals:
            links.append((story_id, min(originals, key=lambda o: order[o][0])))
    return pl.DataFrame(links, schema=DUPLICATE_SCHEMA, orient="row")


def _sort_key(published: date | datetime | None, story_id: str) -> tuple[int, str]:
    """Earlier first; unknown dates last; story_id breaks ties."""
    if published is None:
        return (2**62, story_id)
    if not isinstance(published, datetime):
        published = datetime(published.year, published.month, published.day)
    if published.tzinfo is None:  # naive times are UTC in the warehouse, never the machine's zone
        published = published.replace(tzinfo=UTC)
    return (int(published.timestamp()), story_id)
