"""Wire copies across chunks: the warehouse hands a chunk only the stored stories its signatures share an LSH band
with (`signatures_near`), and the links come out as if every stored story of those days had been compared.

Signatures are set by hand (through `normalise_chunk`'s enrichment) so that which bands agree is exact: bands of
13 values, 9 of them, as `transforms.enrich.duplicates` bands."""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.test_summaries import BUDGET, FLOODS, PORT, SEEN, migrated, story
from transforms.enrich import Enrichment, enrich_stories
from transforms.enrich.duplicates import LSH_BANDS, LSH_ROWS, NUM_PERM
from transforms.enrich.rules import RuleMentionDetector
from transforms.normalise import normalise_chunk
from transforms.record import StoryRecord
from warehouse.duckdb import store as duckdb_store
from warehouse.duckdb.store import DuckDBWarehouse
from warehouse.protocol import LoadBatch

ORIGINAL = list(range(1, NUM_PERM + 1))


def _changed(signature: list[int], bands: range, by: int = 1000) -> list[int]:
    """`signature` with one value changed (by `by`) in each of `bands`: it no longer shares those bands, and still
    agrees with `signature` on far more than the linking threshold."""
    changed = list(signature)
    for band in bands:
        changed[band * LSH_ROWS] += by
    return changed


def _load(store: DuckDBWarehouse, records: list[StoryRecord], signatures: dict[str, list[int]]) -> None:
    def enrich(frame: pl.DataFrame) -> Enrichment:
        made = enrich_stories(frame, RuleMentionDetector())
        ids = made.signatures["story_id"]
        given = pl.DataFrame(
            {"story_id": ids, "signature": [signatures[i.removeprefix("url:")] for i in ids]},
            schema={"story_id": pl.String, "signature": pl.List(pl.UInt64)},
        )
        return dataclasses.replace(made, signatures=given)

    chunk = normalise_chunk(records, SEEN, partial(store.signatures_near, 20250101, 20251231), enrich)
    store.load(LoadBatch(chunk.batch, "r", SEEN, signatures=chunk.signatures))


def _originals(path: Path) -> dict[str, str | None]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "SELECT f.story_id, o.story_id FROM fact_story f LEFT JOIN fact_story o ON o.story_key = f.duplicate_of"
        ).fetchall()
    return dict(rows)


def test_a_late_story_that_shares_no_band_with_a_copy_s_original_leaves_the_copy_linked_to_it(tmp_path: Path) -> None:
    """The original (first day) and its copy (third day) share band 0. A story of the second day from a third
    source shares every other band with the copy and none with the original: it is the copy's near-duplicate,
    and earlier, but the original is earlier still, so the copy stays linked to it and the late story is linked
    to nothing (it shares no band with the original, and the copy is later than it)."""
    path = tmp_path / "w.duckdb"
    store = migrated(path)
    original = story("https://meridian.example/a", "meridian", "2025-02-01T08:00:00+00:00", PORT, "Port plan")
    copy = story("https://savanna.example/b", "savanna", "2025-02-03T08:00:00+00:00", PORT, "Port plan again")
    late = story("https://gulf.example/c", "gulf", "2025-02-02T08:00:00+00:00", PORT, "Port plan, later")
    copy_signature = _changed(ORIGINAL, range(1, LSH_BANDS))
    _load(store, [original, copy], {original.url: ORIGINAL, copy.url: copy_signature})
    assert _originals(path)[f"url:{copy.url}"] == f"url:{original.url}"

    near = store.signatures_near(20250101, 20251231, pl.DataFrame({"signature": [_changed(copy_signature, range(1))]}))
    assert sorted(near["story_id"]) == [f"url:{original.url}", f"url:{copy.url}"], "the copy and its original"
    _load(store, [late], {late.url: _changed(copy_signature, range(1))})

    originals = _originals(path)
    assert originals[f"url:{copy.url}"] == f"url:{original.url}"
    assert originals[f"url:{late.url}"] is None


def test_only_stored_stories_sharing_a_band_come_back(tmp_path: Path) -> None:
    store = migrated(tmp_path / "w.duckdb")
    port = story("https://meridian.example/p", "meridian", "2025-02-01T08:00:00+00:00", PORT, "Port")
    floods = story("https://savanna.example/f", "savanna", "2025-02-01T09:00:00+00:00", FLOODS, "Floods")
    budget = story("https://gulf.example/b", "gulf", "2025-02-01T10:00:00+00:00", BUDGET, "Budget")
    unrelated = [value + 10_000 for value in ORIGINAL]
    _load(
        store,
        [port, floods, budget],
        {port.url: ORIGINAL, floods.url: unrelated, budget.url: _changed(ORIGINAL, range(LSH_BANDS), by=2000)},
    )
    asked = pl.DataFrame({"signature": [_changed(ORIGINAL, range(1, LSH_BANDS))]})  # band 0 of `port` only
    assert store.signatures_near(20250101, 20251231, asked)["story_id"].to_list() == [f"url:{port.url}"]
    assert store.signatures_near(20250301, 20251231, asked).is_empty(), "outside the days asked for"
    assert store.signatures_near(20250101, 20251231, asked.head(0)).is_empty()


def test_a_window_beyond_the_lookup_s_memory_limit_is_looked_up_again_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lookup runs under DuckDB's memory limit `LOOKUP_MEMORY_LIMIT` (so the run's process does not keep every
    signature it scanned); a window that needs more than the limit gives the same candidates, not an error."""
    store = migrated(tmp_path / "w.duckdb")
    port = story("https://meridian.example/p", "meridian", "2025-02-01T08:00:00+00:00", PORT, "Port")
    floods = story("https://savanna.example/f", "savanna", "2025-02-01T09:00:00+00:00", FLOODS, "Floods")
    _load(store, [port, floods], {port.url: ORIGINAL, floods.url: [value + 10_000 for value in ORIGINAL]})
    asked = pl.DataFrame({"signature": [_changed(ORIGINAL, range(1, LSH_BANDS))]})
    with_room = store.signatures_near(20250101, 20251231, asked)
    assert with_room["story_id"].to_list() == [f"url:{port.url}"]

    monkeypatch.setattr(duckdb_store, "LOOKUP_MEMORY_LIMIT", "1KB")
    with pytest.raises(duckdb.OutOfMemoryException):  # the limit is really too small for this window
        store._stored_candidates(20250101, 20251231, asked, duckdb_store.LOOKUP_MEMORY_LIMIT)
    assert store.signatures_near(20250101, 20251231, asked).equals(with_room)
