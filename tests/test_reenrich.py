"""`dateline reenrich`: stories loaded under one enrichment version get the current one's rows, from the
warehouse's own text, on both backends; the version is recorded per story, a second run is a no-op, and a
warehouse from before versions were recorded is upgraded and re-enriched."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows.pipeline.enrich import current_version
from flows.reenrich import reenrich
from tests.test_ducklake import catalog, every_relation
from tests.test_summaries import BUDGET, FLOODS, PORT, SEEN, drift, migrated
from transforms.enrich import RuleMentionDetector, enrich_stories
from transforms.normalise import normalise_chunk
from transforms.record import StoryRecord
from warehouse import open_warehouse
from warehouse.duckdb.store import DuckDBWarehouse
from warehouse.protocol import LoadBatch

__all__ = ["catalog"]  # the PostgreSQL fixture, shared with tests/test_ducklake.py

# What enrichment writes, and what a story is (its own section and tags stay as parsed).
ENRICHED = ("bridge_story_entity", "bridge_story_topic", "fact_quote", "fact_date_mention")
KEPT = ("fact_story_version", "bridge_story_author", "etl_story_signature")


def _records() -> list[StoryRecord]:
    texts = {"port": PORT, "floods": FLOODS, "budget": BUDGET}
    return [
        StoryRecord(
            input=f"https://meridian.example/{name}",
            url=f"https://meridian.example/{name}",
            title=f"The {name} story",
            body=body * 3 + '"We will not wait," Muhammad Aurangzeb said. The vote is next Friday.',
            published_at="2025-02-06T09:00:00+05:00",
            source="meridian",
            section="Business",
            tags=["Economy", "Pakistan"],
            authors=["Ann Writer"],
        )
        for name, body in texts.items()
    ]


def _by_rules(stories: pl.DataFrame):
    return enrich_stories(stories, RuleMentionDetector())


def _load(store: DuckDBWarehouse, enrich) -> None:
    chunk = normalise_chunk(_records(), SEEN, partial(store.signatures_near, 20250101, 20251231), enrich)
    store.load(LoadBatch(chunk.batch, "r", SEEN, signatures=chunk.signatures))


def _rows(store: DuckDBWarehouse, tables: tuple[str, ...]) -> dict[str, list[tuple]]:
    every = every_relation(store)
    return {table: every[table] for table in tables}


def _versions(store: DuckDBWarehouse) -> list[str | None]:
    return [v for (v,) in store.query("SELECT enrichment_version FROM fact_story ORDER BY story_key").rows]


@pytest.fixture(params=["embedded", "lake"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Where the stories are: a DuckDB file, or a lake (PostgreSQL catalog, files under tmp_path)."""
    monkeypatch.setenv("DATELINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATELINE_WORKERS", "1")
    monkeypatch.delenv("DATELINE_ENTITIES", raising=False)
    if request.param == "embedded":
        yield str(tmp_path / "w.duckdb")
    else:
        monkeypatch.setenv("DATELINE_DATA_PATH", str(tmp_path / "lake"))
        yield request.getfixturevalue("catalog")


def _store(location: str, tmp_path: Path) -> DuckDBWarehouse:
    if location.startswith("ducklake:"):
        store = open_warehouse(location, data_path=str(tmp_path / "lake"))
        store.migrate()
        store.upsert_sources(migrated(tmp_path / "sources.duckdb").frames({"s": "SELECT * FROM dim_source"})["s"])
        return store
    return migrated(Path(location))


@pytest.mark.usefixtures("prefect_api")
def test_reenrich_replaces_rows_of_another_version_and_then_has_nothing_to_do(backend: str, tmp_path: Path) -> None:
    store = _store(backend, tmp_path)
    _load(store, _by_rules)
    rules_version = _versions(store)[0]
    assert rules_version.startswith("rules+enrich-") and set(_versions(store)) == {rules_version}
    before_enriched, before_kept = _rows(store, ENRICHED), _rows(store, KEPT)
    stories_before = store.query("SELECT * EXCLUDE (enrichment_version) FROM fact_story ORDER BY story_key").rows

    result = reenrich(warehouse_path=backend)

    assert result["found"] == result["updated"] == 3
    assert set(_versions(store)) == {current_version()} != {rules_version}
    # the rows are exactly what loading the same stories under the current version gives
    fresh = migrated(tmp_path / "fresh.duckdb")
    _load(fresh, enrich_stories)
    assert _rows(store, ENRICHED) == _rows(fresh, ENRICHED) != before_enriched
    # the stories themselves, their authors, versions, signatures and own section and tags are untouched
    assert _rows(store, KEPT) == before_kept
    assert store.query("SELECT * EXCLUDE (enrichment_version) FROM fact_story ORDER BY story_key").rows == (
        stories_before
    )
    own = "SELECT count(*) FROM bridge_story_topic JOIN dim_topic USING (topic_key) WHERE scheme = 'source'"
    assert store.query(own).rows == [(9,)]
    # dimensions only grow, so the old version's entities stay in dim_entity, named by no story
    views = ("v_story", "v_topic_daily", "v_entity_daily", "v_entity_cooccurrence")
    assert _rows(store, views) == _rows(fresh, views)
    if not backend.startswith("ducklake:"):
        assert drift(Path(backend)) == {}

    after = every_relation(store)
    again = reenrich(warehouse_path=backend)
    assert again["found"] == again["updated"] == 0
    assert {k: v for k, v in every_relation(store).items() if k != "etl_run"} == {
        k: v for k, v in after.items() if k != "etl_run"
    }


@pytest.mark.usefixtures("prefect_api")
def test_a_warehouse_from_before_versions_were_recorded_is_upgraded_then_reenriched(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    store = migrated(path)
    _load(store, enrich_stories)
    with duckdb.connect(str(path)) as con:  # as a warehouse at migration 4 was
        con.execute("ALTER TABLE fact_story DROP COLUMN enrichment_version")
        con.execute("DELETE FROM schema_migrations WHERE version = 5")
    assert store.migrate() == [5]
    assert _versions(store) == [None, None, None]
    result = reenrich(warehouse_path=str(path))
    assert result["updated"] == 3
    assert set(_versions(store)) == {current_version()}


@pytest.mark.usefixtures("prefect_api")
def test_the_command_reenriches_in_chunks_of_the_size_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`dateline reenrich --chunk-size 1`: one story per merge (three stories, three chunks in the summary),
    each chunk starting after the last one's key; a second pass finds nothing to do."""
    from typer.testing import CliRunner

    from flows.cli.app import app

    monkeypatch.setenv("DATELINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATELINE_WORKERS", "1")
    monkeypatch.delenv("DATELINE_ENTITIES", raising=False)
    path = tmp_path / "w.duckdb"
    store = migrated(path)
    _load(store, _by_rules)

    result = CliRunner().invoke(app, ["reenrich", "--warehouse", str(path), "--chunk-size", "1"])

    assert result.exit_code == 0, result.output
    assert " in 3 chunks " in result.output, result.output
    assert set(_versions(store)) == {current_version()}
    again = CliRunner().invoke(app, ["reenrich", "--warehouse", str(path), "--chunk-size", "1"])
    assert again.exit_code == 0 and " in 0 chunks " in again.output, again.output
    assert CliRunner().invoke(app, ["reenrich", "--warehouse", str(path), "--chunk-size", "0"]).exit_code == 2
