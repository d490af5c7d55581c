"""`dateline sql` reads the warehouse and nothing else: one reading statement, no files written or read
(unless a folder is allowed), no other database attached, a time limit, and DuckDB's whole error message.

Each escape below worked before the sandbox (issue 16): real DuckDB files, the real command as a process.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from flows.sources.config import Source
from tests.fault_harness import DATELINE, REPO
from tests.test_star import page
from transforms.etl_rows import sources_frame
from transforms.star import build_star, build_stories
from warehouse.duckdb.store import DuckDBWarehouse
from warehouse.protocol import LoadBatch, QueryError

SEEN = datetime(2025, 2, 6, 12, 0, tzinfo=UTC)


def small_warehouse(path: Path) -> Path:
    """A real warehouse file holding one story of one source."""
    store = DuckDBWarehouse(path)
    store.migrate()
    store.upsert_sources(sources_frame([Source("meridian", "feed", url="https://www.meridian-daily.example/rss")]))
    store.load(LoadBatch(build_star(build_stories([page(title="Rates held")], SEEN)), "r", SEEN))
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return small_warehouse(tmp_path / "w.duckdb")


def sql(warehouse: Path, query: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DATELINE, "sql", query, "--warehouse", str(warehouse), *options],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def test_a_reading_query_still_answers(warehouse: Path) -> None:
    done = sql(warehouse, "select headline from fact_story", "--format", "csv")
    assert (done.returncode, done.stdout.split()) == (0, ["headline", "Rates", "held"]), done.stderr


def test_copy_to_a_file_is_refused_and_writes_nothing(warehouse: Path, tmp_path: Path) -> None:
    target = tmp_path / "overwritten.csv"
    done = sql(warehouse, f"copy (select * from fact_story) to '{target}'")
    assert done.returncode == 2 and "COPY is not a reading statement" in done.stderr
    assert not target.exists()


def test_a_write_hidden_behind_a_select_is_refused(warehouse: Path, tmp_path: Path) -> None:
    target = tmp_path / "hidden.csv"
    done = sql(warehouse, f"select 1; copy (select 1) to '{target}'")
    assert done.returncode == 2 and "one statement at a time" in done.stderr
    assert not target.exists()


def test_attaching_another_database_for_writing_is_refused(warehouse: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("create table fact_story as select 1 as story_key")
    done = sql(warehouse, f"attach '{other}' as c (read_only false)")
    assert done.returncode == 2 and "ATTACH is not a reading statement" in done.stderr
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("select count(*) from fact_story").fetchone() == (1,)


def test_export_database_is_refused(warehouse: Path, tmp_path: Path) -> None:
    done = sql(warehouse, f"export database '{tmp_path / 'dump'}'")
    assert done.returncode == 2 and "EXPORT is not a reading statement" in done.stderr
    assert not (tmp_path / "dump").exists()


def test_explain_analyze_cannot_smuggle_a_write_past_the_statement_check(warehouse: Path, tmp_path: Path) -> None:
    """EXPLAIN ANALYZE runs the statement it explains; the sandbox, not the statement check, stops this one."""
    target = tmp_path / "explained.csv"
    done = sql(warehouse, f"explain analyze copy (select 1) to '{target}'")
    assert done.returncode == 2 and "disabled by configuration" in done.stderr
    assert not target.exists()


def test_local_files_are_readable_only_under_an_allowed_folder(warehouse: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "a.csv").write_text("x\n41\n", encoding="utf-8")
    query = f"select x + 1 as y from read_csv('{allowed / 'a.csv'}')"
    refused = sql(warehouse, query)
    assert refused.returncode == 2 and "disabled by configuration" in refused.stderr
    read = sql(warehouse, query, "--read-files", str(allowed), "--format", "csv")
    assert (read.returncode, read.stdout.split()) == (0, ["y", "42"]), read.stderr
    outside = sql(warehouse, "select * from read_csv('/etc/passwd')", "--read-files", str(allowed))
    assert outside.returncode == 2, "only the allowed folder"


def test_the_configuration_cannot_be_unlocked_from_a_query(warehouse: Path) -> None:
    done = sql(warehouse, "set enable_external_access = true")
    assert done.returncode == 2 and "SET is not a reading statement" in done.stderr
    store = DuckDBWarehouse(warehouse)
    with store.read_only() as con, pytest.raises(duckdb.Error, match="locked"):
        con.execute("set enable_external_access = true")


def test_a_long_query_is_stopped_at_the_timeout(warehouse: Path) -> None:
    with pytest.raises(QueryError, match=r"stopped after 0.5 s"):
        DuckDBWarehouse(warehouse).query("select count(*) from range(100000000000) a", timeout_s=0.5)


def test_duckdb_s_whole_error_is_shown_in_one_block_and_an_empty_query_is_one_line(warehouse: Path) -> None:
    done = sql(warehouse, "select * from fact_stories")
    assert done.returncode == 2
    assert 'Did you mean "fact_story"?' in done.stderr and "^" in done.stderr, done.stderr
    assert done.stderr.startswith("error: Catalog Error") and "Traceback" not in done.stderr
    empty = sql(warehouse, "  -- nothing\n")
    assert empty.returncode == 2 and len(empty.stderr.strip().splitlines()) == 1
    assert empty.stderr.startswith("error: empty query")


def test_search_still_loads_its_extension_in_the_sandbox(warehouse: Path) -> None:
    store = DuckDBWarehouse(warehouse)
    store.refresh_search_index(force=True)
    hits, _ = store.search("rates", since=None, until=None, topic=None, limit=5)
    assert [h.headline for h in hits] == ["Rates held"]
    answer = store.query("select count(*) from fact_story where fts_main_fact_story.match_bm25(story_key, 'rates') > 0")
    assert answer.rows == [(1,)]
