"""The summary tables behind the views stay equal to a full rebuild through every kind of merge: new
stories, an update that moves a story to another day with other entities, a wire copy, and a stored
story re-linked as the copy of an original that arrived after it."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb
import polars as pl
import pytest

from transforms.normalise import normalise_chunk
from transforms.record import StoryRecord
from transforms.star import source_key
from warehouse.duckdb import summaries
from warehouse.duckdb.store import DuckDBWarehouse
from warehouse.protocol import LoadBatch

SEEN = datetime(2025, 2, 12, 12, 0, tzinfo=UTC)
SOURCES = ("meridian", "savanna", "gulf")
PORT = (
    "KARACHI: Prime Minister Shehbaz Sharif met port officials in Karachi on Monday to discuss the new "
    "container terminal, the State Bank of Pakistan said. Traders in Lahore welcomed the plan. "
)
FLOODS = (
    "NAIROBI: President William Ruto visited flooded districts near Nairobi on Tuesday as the Kenya Red "
    "Cross appealed for funds. Farmers in Mombasa reported heavy losses to maize and tea crops. "
)
BUDGET = (
    "ISLAMABAD: Finance minister Muhammad Aurangzeb presented the budget in Islamabad on Friday, and the "
    "International Monetary Fund welcomed the tax measures. Exporters in Karachi asked for relief. "
)


def story(url: str, source: str, published: str, body: str, title: str) -> StoryRecord:
    return StoryRecord(
        input=url, url=url, title=title, body=body * 4, published_at=published, source=source, section="Business"
    )


def load(store: DuckDBWarehouse, records: list[StoryRecord]) -> None:
    chunk = normalise_chunk(records, SEEN, partial(store.signatures_near, 20250101, 20251231))
    store.load(LoadBatch(chunk.batch, "r", SEEN, signatures=chunk.signatures))


def drift(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path)) as con:
        return {table: rows for table, rows in summaries.drift(con).items() if rows}


@pytest.fixture
def store(tmp_path: Path) -> DuckDBWarehouse:
    return migrated(tmp_path / "w.duckdb")


def migrated(path: Path) -> DuckDBWarehouse:
    warehouse = DuckDBWarehouse(path)
    warehouse.migrate()
    warehouse.upsert_sources(
        pl.DataFrame(
            {
                "source_key": [source_key(name) for name in SOURCES],
                "name": SOURCES,
                "kind": ["page"] * len(SOURCES),
                "url": [f"https://{name}.example/" for name in SOURCES],
                "domain": [f"{name}.example" for name in SOURCES],
            }
        )
    )
    return warehouse


def test_merges_keep_every_summary_equal_to_a_rebuild(store: DuckDBWarehouse) -> None:
    port = story("https://meridian.example/port", "meridian", "2025-02-06T09:00:00+05:00", PORT, "Port plan")
    floods = story("https://meridian.example/floods", "meridian", "2025-02-07T10:00:00+03:00", FLOODS, "Floods")
    load(store, [port, floods])
    assert drift(store.path) == {}

    moved = story("https://meridian.example/port", "meridian", "2025-02-09T09:00:00+05:00", FLOODS + PORT, "Port plan")
    moved.updated_at = "2025-02-09T09:00:00+05:00"
    wire = story("https://savanna.example/floods", "savanna", "2025-02-07T15:00:00+03:00", FLOODS, "Floods (wire)")
    load(store, [moved, wire])
    assert drift(store.path) == {}

    late_copy = story("https://gulf.example/budget", "gulf", "2025-02-10T12:00:00+04:00", BUDGET, "Budget copy")
    load(store, [late_copy])
    original = story("https://savanna.example/budget", "savanna", "2025-02-10T06:00:00+03:00", BUDGET, "Budget")
    load(store, [original])
    assert drift(store.path) == {}

    with store.read_only() as con:
        wire_copies = con.execute("SELECT count(*) FROM fact_story WHERE duplicate_of IS NOT NULL").fetchone()[0]
        moved_day = con.execute("SELECT day::VARCHAR FROM v_story WHERE headline = 'Port plan'").fetchone()[0]
        pairs = con.execute("SELECT count(*) FROM v_entity_cooccurrence").fetchone()[0]
        per_day = con.execute("SELECT sum(stories) FROM v_topic_daily WHERE scheme = 'source'").fetchone()[0]
    assert wire_copies == 2  # the floods wire copy, and the gulf copy re-linked to the later-arriving original
    assert moved_day == "2025-02-09"
    assert pairs > 0
    assert per_day == 3  # port (moved), floods, budget original: copies are not counted


def test_a_warehouse_from_before_the_summaries_gets_them_filled(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    store = migrated(path)
    load(store, [story("https://meridian.example/port", "meridian", "2025-02-06T09:00:00+05:00", PORT, "Port")])
    with duckdb.connect(str(path)) as con:  # back to version 2: summaries gone, stories kept
        for table in summaries.SUMMARY_TABLES:
            con.execute(f"DROP TABLE {table} CASCADE")
        con.execute("DELETE FROM schema_migrations WHERE version = 3")
    assert store.migrate() == [3]
    with store.read_only() as con:
        assert con.execute("SELECT headline FROM v_story").fetchall() == [("Port",)]
    assert drift(path) == {}
