"""Every SQL example in the README answers as written on the bundled samples (the docs stay true as the
schema moves): each `select` in backticks (the table and view tables' examples among them), each statement
of the fenced ```sql blocks, and the `sql/queries/NAME.sql` files the README names exist."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest import ingest
from tests.conftest import CONTRACT_VIEWS, REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
# `select …` in backticks: the examples of the table and view tables, and any in the prose
INLINE = re.findall(r"`(select [^`]+)`", README)
# The fenced ```sql blocks, split into statements by DuckDB's own parser (a `;` in a comment or a string
# does not end a statement)
BLOCKS = [
    statement.query.strip()
    for block in re.findall(r"```sql\n(.*?)```", README, re.S)
    for statement in duckdb.extract_statements(block)
]
# One offline load of the samples fetches nothing over HTTP, rejects nothing and revises nothing:
# queries on those tables must run, but have nothing to show yet.
QUIET_ON_SAMPLES = ("etl_fetch", "etl_reject", "fact_story_version")


@pytest.fixture(scope="module")
def samples_warehouse(tmp_path_factory: pytest.TempPathFactory, prefect_api: None) -> Path:
    warehouse = tmp_path_factory.mktemp("readme") / "w.duckdb"
    ingest(sources_file=str(REPO / "sources.toml"), warehouse_path=str(warehouse))
    return warehouse


def test_the_readme_has_examples_to_check() -> None:
    assert len(INLINE) >= 20 and len(BLOCKS) >= 2
    for view in CONTRACT_VIEWS:  # the views table shows each contract view at work
        assert any(f"from {view} " in query for query in INLINE), view


@pytest.mark.parametrize("query", INLINE + BLOCKS)
def test_each_readme_query_answers_on_the_samples(samples_warehouse: Path, query: str) -> None:
    with duckdb.connect(str(samples_warehouse), read_only=True) as con:
        rows = con.execute(query).fetchall()
    if not any(table in query for table in QUIET_ON_SAMPLES):
        assert rows, f"no rows for: {query}"


def test_the_query_files_the_readme_names_exist() -> None:
    named = set(re.findall(r"sql/queries/([a-z_]+)\.sql", README))
    assert named and all((REPO / "sql" / "queries" / f"{name}.sql").is_file() for name in named), named


def test_sql_reads_a_commented_query_from_stdin(samples_warehouse: Path) -> None:
    query = "-- stories per source\nselect count(*) as n from fact_story"
    result = CliRunner().invoke(
        app, ["sql", "-", "--format", "csv", "--warehouse", str(samples_warehouse)], input=query
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["n", "78"]
