"""Wire copies: near-duplicate bodies published by different sources.

GDELT counts a wire story once per outlet that republishes it; Dateline keeps every copy but
links it to the earliest copy of another source (`duplicate_of`), so views can count events
once. Near-duplicates are found with MinHash over word 3-shingles (short enough that an
inserted word or a credit line changes few of them; datasketch computes the signatures) and
locality-sensitive hashing in bands, so finding the candidates for a new batch does not
compare it with every stored story. Signatures are plain integer lists: the warehouse stores them and the next run
compares against them without re-reading old bodies.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from datasketch import MinHash

NUM_PERM = 128
THRESHOLD = 0.8
_SHINGLE = 3
_WORD = re.compile(r"\w+")
# MinHash's seed must never change: stored signatures would stop matching new ones.
_SEED = 1
# datasketch 2 needs the permutation scheme named when hash values are read back; pinned with the seed.
_SCHEME = "affine32"

DUPLICATE_SCHEMA = {"story_id": pl.String, "duplicate_of": pl.String}


def _minhash(**options: object) -> MinHash:
    """A MinHash of the pinned seed and scheme. datasketch is imported here, not with this module: it brings
    scipy and its LSH storage back ends (tens of MB), which only the processes that sign bodies (the workers,
    whose forkserver preloads it) need; the run's main process only compares signatures."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME, **options)


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The seed's permutation parameters, drawn once per process: drawing them is a fifth of a signature's cost."""
    return _minhash().permutations


def minhash_signature(text: str) -> list[int]:
    """The body's MinHash signature (NUM_PERM integers); equal texts give equal signatures."""
    words = _WORD.findall(text.casefold())
    shingles = {" ".join(words[i : i + _SHINGLE]).encode() for i in range(max(1, len(words) - _SHINGLE + 1))}
    minhash = _minhash(permutations=_permutations())
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
# (its optimum for equal weights on false positives and negatives); `similar_pairs` bands the same way.
_BANDS, _ROWS = 9, 13


def similar_pairs(matrix: np.ndarray) -> pl.DataFrame:
    """Row pairs (row, row_other), both ways round, whose signatures are equal on at least one band (the
    candidates MinHashLSH would return) and agree on at least THRESHOLD of their values.

    The whole pool is banded at once with numpy and the candidates are a Polars self-join, where inserting
    each signature into MinHashLSH cost 0.1 ms in Python (bench/enrich.py has both)."""
    count = len(matrix)
    bands = []
    for band in range(_BANDS):
        block = np.ascontiguousarray(matrix[:, band * _ROWS : (band + 1) * _ROWS])
        keys = block.view(np.dtype((np.void, block.itemsize * _ROWS))).ravel()
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
