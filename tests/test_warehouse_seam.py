"""The seam every backend plugs into: one protocol, a factory keyed on the location, the staging wrapper
speaking the same protocol, and run folders from settings rather than from a database file's parent."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from flows.runtime.settings import DEFAULT_DATA_DIR, run_folders, warehouse_location
from tests.test_star import page
from transforms.star import Reject, build_star, build_stories
from warehouse import DEFAULT_WAREHOUSE, open_warehouse
from warehouse.duckdb.store import DuckDBWarehouse
from warehouse.protocol import LoadBatch, QueryError, Warehouse, WarehouseError
from warehouse.staging import Staging, StagingWarehouse

SEEN = datetime(2025, 2, 6, 12, 0, tzinfo=UTC)


def protocol_methods() -> set[str]:
    return {name for name, _ in inspect.getmembers(Warehouse, inspect.isfunction) if not name.startswith("_")}


@pytest.mark.parametrize("backend", [DuckDBWarehouse, StagingWarehouse])
def test_every_backend_implements_the_whole_protocol_with_its_signatures(backend: type) -> None:
    for name in protocol_methods():
        assert hasattr(backend, name), f"{backend.__name__} lacks {name}"
        expected = list(inspect.signature(getattr(Warehouse, name)).parameters)
        assert list(inspect.signature(getattr(backend, name)).parameters) == expected, name


def test_the_location_comes_from_the_option_then_the_environment_then_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATELINE_WAREHOUSE", raising=False)
    assert warehouse_location(None) == str(DEFAULT_WAREHOUSE)
    monkeypatch.setenv("DATELINE_WAREHOUSE", str(tmp_path / "env.duckdb"))
    assert warehouse_location(None) == str(tmp_path / "env.duckdb")
    assert warehouse_location(tmp_path / "option.duckdb") == str(tmp_path / "option.duckdb")


def test_run_folders_sit_beside_a_warehouse_file_unless_the_environment_says_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATELINE_DATA_DIR", raising=False)
    folders = run_folders(str(tmp_path / "w.duckdb"))
    assert (folders.archive, folders.state, folders.staging) == (
        tmp_path / "data" / "archive",
        tmp_path / "data" / "state",
        tmp_path / "data" / "staging",
    )
    assert run_folders(str(DEFAULT_WAREHOUSE)).root == DEFAULT_DATA_DIR
    assert run_folders("ducklake:postgres:dbname=x").root == DEFAULT_DATA_DIR  # a URI has no folder
    monkeypatch.setenv("DATELINE_DATA_DIR", str(tmp_path / "elsewhere"))
    assert run_folders(str(tmp_path / "w.duckdb")).export == tmp_path / "elsewhere" / "export"


def test_a_location_no_backend_reads_is_one_clear_error() -> None:
    with pytest.raises(WarehouseError, match="no backend for 'mysql'"):
        open_warehouse("mysql://host/db")
    assert isinstance(open_warehouse("relative/w.duckdb"), DuckDBWarehouse)


def test_a_staged_batch_reads_back_as_the_batch_that_was_put(tmp_path: Path) -> None:
    star = build_star(build_stories([page(title="Rates held")], SEEN))
    fetches = pl.DataFrame({"url": ["https://a.example/x"], "status_code": [200]})
    reject = Reject("src", "https://a.example/y", "parse", "no_text", "empty")
    staging = Staging(tmp_path / "staging")
    staging.put(LoadBatch(star, "run-1", SEEN, fetches=fetches, rejects=[reject]))
    [folder] = staging.pending()
    back = staging.read(folder)
    assert (back.run_id, back.seen_at, back.rejects) == ("run-1", SEEN, [*star.rejects, reject])
    assert back.star.stories.equals(star.stories) and back.fetches is not None and back.fetches.equals(fetches)
    assert back.http_state is None and back.signatures is None


def test_analyst_reads_go_through_the_protocol_not_a_connection(tmp_path: Path) -> None:
    store = DuckDBWarehouse(tmp_path / "w.duckdb")
    store.migrate()
    store.load(LoadBatch(build_star(build_stories([page(title="Rates held")], SEEN)), "r", SEEN))
    answer = store.query("select headline from fact_story")
    assert (answer.columns, answer.rows) == (["headline"], [("Rates held",)])
    frames = store.frames({"n": "select count(*) as n from fact_story", "sources": "select * from dim_source"})
    assert frames["n"].item() == 1 and frames["sources"].height == 0
    with pytest.raises(QueryError, match="fact_stories"):
        store.query("select * from fact_stories")
