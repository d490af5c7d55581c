"""`dateline sql` on a lake reads the lake and nothing else, as on the embedded warehouse
(`tests/test_sql_sandbox.py`): no local file read or listed (unless a folder is allowed), no file
written, nothing run on the catalog's PostgreSQL server, the configuration locked, a time limit.

Real PostgreSQL catalog (a database per test), real lake files, the real command as a process."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.fault_harness import DATELINE, REPO
from tests.test_ducklake import catalog, lake_at, mixed_batches
from tests.test_summaries import load
from warehouse.ducklake.store import DuckLakeWarehouse
from warehouse.protocol import QueryError

__all__ = ["catalog"]  # the fixture, shared with tests/test_ducklake.py


@pytest.fixture
def lake(catalog: str, tmp_path: Path) -> DuckLakeWarehouse:
    store = lake_at(catalog, tmp_path)
    load(store, mixed_batches()[0])
    return store


def sql(lake: DuckLakeWarehouse, query: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DATELINE, "sql", query, "--warehouse", lake.location, "--format", "csv", *options],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def refused(done: subprocess.CompletedProcess[str], reason: str) -> bool:
    return done.returncode == 2 and reason in done.stderr and "Traceback" not in done.stderr


def refused_in_process(lake: DuckLakeWarehouse, query: str, reason: str) -> bool:
    """The same refusal through the library, without a process per query."""
    with pytest.raises(QueryError) as error:
        lake.query(query)
    return reason in str(error.value)


def test_a_reading_query_answers_from_the_lake_s_own_files(lake: DuckLakeWarehouse) -> None:
    done = sql(lake, "select count(*) as n from fact_story")
    assert (done.returncode, done.stdout.split()) == (0, ["n", "2"]), done.stderr


def test_local_files_cannot_be_read_or_listed(lake: DuckLakeWarehouse, tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text("x\n41\n", encoding="utf-8")
    duckdb.execute(f"COPY (SELECT 41 AS x) TO '{tmp_path / 'elsewhere' / 'x.parquet'}'")
    assert refused(sql(lake, f"select * from read_csv('{secret}')"), "disabled by configuration")
    for query in (
        "select * from read_csv('/etc/passwd')",
        f"select * from read_parquet('{tmp_path / 'elsewhere' / 'x.parquet'}')",
        f"select * from glob('{tmp_path}/*')",
        f"select * from read_text('{secret}')",
    ):
        assert refused_in_process(lake, query, "disabled by configuration"), query


def test_an_allowed_folder_is_readable_and_only_it(lake: DuckLakeWarehouse, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "a.csv").write_text("x\n41\n", encoding="utf-8")
    read = sql(lake, f"select x + 1 as y from read_csv('{allowed / 'a.csv'}')", "--read-files", str(allowed))
    assert (read.returncode, read.stdout.split()) == (0, ["y", "42"]), read.stderr
    with pytest.raises(QueryError, match="disabled by configuration"):
        lake.query("select * from read_csv('/etc/passwd')", readable_dirs=[str(allowed)])


def test_the_catalog_server_is_out_of_reach(lake: DuckLakeWarehouse) -> None:
    """`postgres_query` on the catalog's attachment would run any SELECT there (`pg_read_file`), and
    `postgres_scan` would open a connection of its own: both refused, also inside EXPLAIN ANALYZE, a
    subquery, or a string handed to `query()`."""
    dsn = lake.dsn.replace("'", "''")
    reach = "select * from postgres_query('__ducklake_metadata_lake', 'select pg_read_file(''/etc/hostname'')')"
    assert refused(sql(lake, reach), "not available to analyst SQL on a lake")
    for query in (
        f"select * from postgres_scan('{dsn}', 'public', 'ducklake_metadata')",
        f"select (select count(*) from postgres_scan('{dsn}', 'public', 'ducklake_snapshot')) as n",
        "explain analyze select * from postgres_query('__ducklake_metadata_lake', 'select 1')",
        "select * from query('select * from postgres_query(''__ducklake_metadata_lake'', ''select 1'')')",
    ):
        assert refused_in_process(lake, query, "not available to analyst SQL on a lake"), query


def test_writes_and_configuration_changes_are_refused(lake: DuckLakeWarehouse, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    assert refused(sql(lake, f"copy (select 1) to '{target}'"), "COPY is not a reading statement")
    assert refused_in_process(lake, "set enable_external_access = true", "SET is not a reading statement")
    assert refused_in_process(lake, "select 1; delete from fact_story", "one statement at a time")
    assert not target.exists()
    with lake.read_only() as con:
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute("set enable_external_access = true")
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("delete from fact_story")
    assert lake.query("select count(*) from fact_story").rows == [(2,)]


def test_a_long_query_is_stopped_at_the_timeout(lake: DuckLakeWarehouse) -> None:
    with pytest.raises(QueryError, match=r"stopped after 0.5 s"):
        lake.query("select count(*) from range(100000000000) a", timeout_s=0.5)


def test_export_on_the_lake_keeps_the_same_rules(lake: DuckLakeWarehouse, tmp_path: Path) -> None:
    assert lake.export("fact_story", tmp_path / "stories.csv") == 2
    with pytest.raises(QueryError, match="not available to analyst SQL"):
        lake.export("select * from postgres_query('__ducklake_metadata_lake', 'select 1')", tmp_path / "x.csv")
