"""Wire copies: near-duplicate bodies published by different sources.

GDELT counts a wire story once per outlet that republishes it; Dateline keeps every copy but
links it to the earliest copy of another source (`duplicate_of`), so views can count events
once. Near-duplicates are found with MinHash over word 3-shingles (short enough that an
inserted word or a credit line changes few of them; see `minhash_signature`) and
locality-sensitive hashing in bands, so finding the candidates for a new batch does not
compare it with every stored story. Signatures are plain integer lists: the warehouse stores them and the next run
compares against them without re-reading old bodies.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache

import numpy as np
import polars as pl

NUM_PERM = 128
THRESHOLD = 0.8
_SHINGLE = 3
_WORD = re.compile(r"\w+")
# The seed and the scheme must never change: stored signatures would stop matching new ones.
_SEED = 1

DUPLICATE_SCHEMA = {"story_id": pl.String, "duplicate_of": pl.String}


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The NUM_PERM affine permutations h -> a·h + b (mod 2³², `a` odd: a bijection) of the seed, drawn once per
    process, exactly as datasketch 2 draws its "affine32" scheme's for the same seed."""
    draw = np.random.RandomState(_SEED)
    a = draw.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = draw.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def minhash_signature(text: str) -> list[int]:
    """The body's MinHash signature (NUM_PERM integers); equal texts give equal signatures.

    The signature is datasketch 2's `MinHash(num_perm=128, seed=1, scheme="affine32")` of the shingles, value for
    value (tests/test_enrich_duplicates.py checks it against datasketch): the first four bytes of each shingle's
    SHA-1, mixed by MurmurHash3's finalizer, through each permutation, the least per permutation. Computed here
    rather than by datasketch because importing datasketch imports scipy for its LSH indexes, which Dateline
    does not use: tens of MB in every run's tree for a dozen lines of numpy (bench/enrich.py times both)."""
    digests = b"".join(hashlib.sha1(shingle).digest()[:4] for shingle in shingles(text))
    hashes = _murmur_finalised(np.frombuffer(digests, dtype="<u4").astype(np.uint32))
    a, b = _permutations()
    permuted = hashes[:, np.newaxis] * a + b  # uint32 arithmetic wraps: the modulo 2³² of the permutation
    return permuted.min(axis=0).tolist()


def shingles(text: str) -> set[bytes]:
    """The text's distinct word 3-shingles, case-folded (one shingle, possibly empty, for shorter texts)."""
    words = _WORD.findall(text.casefold())
    return {" ".join(words[i : i + _SHINGLE]).encode() for i in range(max(1, len(words) - _SHINGLE + 1))}


def _murmur_finalised(hashes: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (a bijection that spreads structured inputs), element-wise."""
    hashes = hashes ^ (hashes >> np.uint32(16))
    hashes = hashes * np.uint32(0x85EBCA6B)
    hashes = hashes ^ (hashes >> np.uint32(13))
    hashes = hashes * np.uint32(0xC2B2AE35)
    return hashes ^ (hashes >> np.uint32(16))


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
    matrix = pool["signature"].cast(pl.Array(pl.UInt64, NUM_PERM)).to_numpy()
    stories = pool.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"),
        "story_id",
        "source",
        _order(pool.schema["published"]).alias("order"),
    )
    other = stories.rename(lambda name: f"{name}_other")
    earlier = (pl.col("order_other") < pl.col("order")) | (
        (pl.col("order_other") == pl.col("order")) & (pl.col("story_id_other") < pl.col("story_id"))
    )
    new_ids = new["story_id"].unique(maintain_order=True)
    originals = (
        similar_pairs(matrix)
        .join(stories, on="row")
        .join(other, on="row_other")
        .filter(pl.col("story_id").is_in(new_ids.implode()), pl.col("source_other") != pl.col("source"), earlier)
        .sort("order_other", "story_id_other")
        .group_by("story_id", maintain_order=True)
        .agg(pl.col("story_id_other").first().alias("duplicate_of"))
    )
    return new_ids.to_frame().join(originals, on="story_id", maintain_order="left").cast(DUPLICATE_SCHEMA)


# datasketch's MinHashLSH(threshold=0.8, num_perm=128) splits a signature into 9 bands of 13 values
# (its optimum for equal weights on false positives and negatives); `similar_pairs` bands the same way, and so
# does the warehouse when it picks the stored stories a chunk may copy (sql/wire_copies/stored_candidates.sql).
LSH_BANDS, LSH_ROWS = 9, 13


def similar_pairs(matrix: np.ndarray) -> pl.DataFrame:
    """Row pairs (row, row_other), both ways round, whose signatures are equal on at least one band (the
    candidates MinHashLSH would return) and agree on at least THRESHOLD of their values.

    The whole pool is banded at once with numpy and the candidates are a Polars self-join, where inserting
    each signature into MinHashLSH cost 0.1 ms in Python (bench/enrich.py has both)."""
    count = len(matrix)
    bands = []
    for band in range(LSH_BANDS):
        block = np.ascontiguousarray(matrix[:, band * LSH_ROWS : (band + 1) * LSH_ROWS])
        keys = block.view(np.dtype((np.void, block.itemsize * LSH_ROWS))).ravel()
        _, bucket = np.unique(keys, return_inverse=True)
        bands.append(pl.DataFrame({"row": np.arange(count, dtype=np.uint32), "bucket": bucket + band * count}))
    banded = pl.concat(bands).filter(pl.len().over("bucket") > 1)
    pairs = (
        banded.join(banded, on="bucket", suffix="_other")
        .filter(pl.col("row") != pl.col("row_other"))
        .select("row", "row_other")
        .unique()
    )
    rows, others = pairs["row"].to_numpy(), pairs["row_other"].to_numpy()
    agreement = np.count_nonzero(matrix[rows] == matrix[others], axis=1) / NUM_PERM
    return pairs.filter(pl.Series(agreement >= THRESHOLD))


def _order(published: pl.DataType) -> pl.Expr:
    """Seconds since the epoch of `published` (dates at midnight, naive times as UTC: the warehouse never
    uses the machine's zone); unknown dates sort last."""
    column = pl.col("published")
    if isinstance(published, pl.Datetime) and published.time_zone is not None:
        column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return column.cast(pl.Datetime("us")).dt.epoch("s").fill_null(2**62)
