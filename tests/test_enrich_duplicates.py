"""Wire copies: MinHash signatures and linking to the earliest copy of another source."""

from __future__ import annotations

import random
from datetime import date, datetime

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.enrich import link_duplicates, minhash_signature
from transforms.enrich.duplicates import NUM_PERM, THRESHOLD, shingles, similar_pairs

WIRE = (
    "Harbour authorities in the northern port said on Tuesday that two cranes had been damaged by high "
    "winds overnight, delaying the unloading of four container ships. A spokesperson said repairs would "
    "take at least a week and that grain shipments would be given priority once work resumed. Dock "
    "workers were sent home early and the port's night shift was cancelled until further notice."
)
OTHER = (
    "The city council voted to extend library opening hours through the winter, citing record visitor "
    "numbers and a new reading programme for children that begins next month in all branches."
)


def _frame(rows: list[tuple[str, str, object, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "story_id": [r[0] for r in rows],
            "source": [r[1] for r in rows],
            "published": [r[2] for r in rows],
            "signature": [minhash_signature(r[3]) for r in rows],
        }
    )


def test_signature_is_deterministic_and_fixed_length():
    assert minhash_signature(WIRE) == minhash_signature(WIRE)
    assert len(minhash_signature(WIRE)) == 128
    assert minhash_signature(WIRE) != minhash_signature(OTHER)
    assert len(minhash_signature("")) == 128


def _datasketch_signature(text: str) -> list[int]:
    """The signature datasketch's MinHash (seed 1, scheme affine32) gives the text's shingles."""
    from datasketch import MinHash

    reference = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32")
    reference.update_batch(list(shingles(text)))
    return [int(value) for value in reference.hashvalues]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["wire", "Port", "crane", "ÜNÏCODE", "42", "the", "Ship,", "-", "\n"]), max_size=60))
def test_signatures_are_datasketch_s_value_for_value(words: list[str]) -> None:
    """Stored signatures were written by datasketch's MinHash: the numpy signature must equal it on any text,
    or new stories would stop matching the stored copies they repeat."""
    text = " ".join(words)
    assert minhash_signature(text) == _datasketch_signature(text)


def test_signatures_of_whole_bodies_are_datasketch_s_too() -> None:
    for text in (WIRE, OTHER, WIRE.upper(), "", "one", "one two"):
        assert minhash_signature(text) == _datasketch_signature(text), text


def test_republished_wire_copy_links_to_the_earliest_other_source():
    existing = _frame([("wire:1", "agency", datetime(2025, 3, 4, 8, 0), WIRE)])
    edited = WIRE.replace("Tuesday", "Tuesday morning") + " Photos: agency."
    new = _frame(
        [
            ("paper:7", "daily-paper", datetime(2025, 3, 4, 10, 30), edited),
            ("site:3", "news-site", datetime(2025, 3, 4, 11, 0), WIRE),
            ("site:4", "news-site", datetime(2025, 3, 4, 12, 0), OTHER),
        ]
    )
    links = link_duplicates(new, existing).sort("story_id")
    assert links.rows() == [("paper:7", "wire:1"), ("site:3", "wire:1")]


def test_same_source_copies_and_the_original_itself_are_not_linked():
    new = _frame(
        [
            ("a:1", "agency", date(2025, 3, 4), WIRE),
            ("a:2", "agency", date(2025, 3, 5), WIRE),
        ]
    )
    assert link_duplicates(new, new.clear()).is_empty()


def test_ties_and_unknown_dates_resolve_without_depending_on_row_order():
    rows = [
        ("b:1", "beta", None, WIRE),
        ("a:1", "alpha", date(2025, 3, 4), WIRE),
        ("c:1", "gamma", date(2025, 3, 4), WIRE),
    ]
    forward = link_duplicates(_frame(rows), _frame([]).clear()).sort("story_id")
    backward = link_duplicates(_frame(rows[::-1]), _frame([]).clear()).sort("story_id")
    assert forward.rows() == backward.rows() == [("b:1", "a:1"), ("c:1", "a:1")]


def _edited(text: str, changes: int, rng: random.Random) -> str:
    words = text.split()
    for index in rng.sample(range(len(words)), changes):
        words[index] = f"edit{rng.randrange(10**6)}"
    return " ".join(words)


def test_similar_pairs_are_the_band_matches_that_agree_enough():
    # copies edited lightly to heavily straddle the threshold; the oracle compares every pair by hand
    rng = random.Random(11)
    vocabulary = [f"w{i}" for i in range(500)]
    originals = [" ".join(rng.choices(vocabulary, k=150)) for _ in range(30)]
    texts = originals + [_edited(t, rng.randrange(1, 12), rng) for t in originals for _ in range(3)]
    matrix = np.array([minhash_signature(t) for t in texts], dtype=np.uint64)
    bands = [matrix[:, start : start + 13] for start in range(0, 117, 13)]
    expected = {
        (a, b)
        for a in range(len(texts))
        for b in range(len(texts))
        if a != b
        and any((band[a] == band[b]).all() for band in bands)
        and (matrix[a] == matrix[b]).sum() / NUM_PERM >= THRESHOLD
    }
    near_misses = sum(
        any((band[a] == band[b]).all() for band in bands) and (matrix[a] == matrix[b]).mean() < THRESHOLD
        for a in range(len(texts))
        for b in range(a)
    )
    assert len(expected) > 50 and near_misses > 0  # both sides of the threshold are exercised
    assert set(similar_pairs(matrix).rows()) == expected
