"""The README's example queries answer on the bundled samples: the docs stay true as the schema moves."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest import ingest
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
# `select …` in a table cell, and the fenced ```sql blocks
INLINE = re.findall(r"`(select [^`]+)`", README)
# One offline load of the samples fetches nothing over HTTP, rejects nothing and revises nothing:
# queries on those tables must run, but have nothing to show yet.
QUIET_ON_SAMPLES = ("etl_fetch", "etl_reject", "fact_story_version")
BLOCKS = [q.strip() for block in re.findall(r"```sql\n(.*?)```", README, re.S) for q in block.split(";") if q.strip()]


@pytest.fixture(scope="module")
def samples_warehouse(tmp_path_factory: pytest.TempPathFactory, prefect_api: None) -> Path:
    warehouse = tmp_path_factory.mktemp("readme") / "w.duckdb"
    ingest(sources_file=str(REPO / "sources.toml"), warehouse_path=str(warehouse))
    return warehouse


def test_the_readme_has_examples_to_check() -> None:
    assert len(INLINE) >= 20 and len(BLOCKS) >= 2


@pytest.mark.parametrize("query", INLINE + BLOCKS)
def test_each_readme_query_answers_on_the_samples(samples_warehouse: Path, query: str) -> None:
    with duckdb.connect(str(samples_warehouse), read_only=True) as con:
        rows = con.execute(query).fetchall()
    if not any(table in query for table in QUIET_ON_SAMPLES):
        assert rows, f"no rows for: {query}"


def test_sql_reads_a_commented_query_from_stdin(samples_warehouse: Path) -> None:
    query = "-- stories per source\nselect count(*) as n from fact_story"
    result = CliRunner().invoke(
        app, ["sql", "-", "--format", "csv", "--warehouse", str(samples_warehouse)], input=query
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["n", "78"]
