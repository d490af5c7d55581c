"""Every SQL example in the README runs as written against a real warehouse (the view table's examples and
the worked queries), and each `sql/queries/NAME.sql` it names exists."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO
from tests.test_views import Story, build_newsroom

README = (REPO / "README.md").read_text(encoding="utf-8")
_WAREHOUSE_SECTION = README.split("## The warehouse", 1)[1].split("\n## ", 1)[0]
TABLE_EXAMPLES = re.findall(r"\| `(select [^`]+)`", _WAREHOUSE_SECTION)
BLOCK = _WAREHOUSE_SECTION.split("```sql\n", 1)[1].split("```", 1)[0]
BLOCK_QUERIES = [q.strip() for q in re.sub(r"--[^\n]*\n", "\n", BLOCK).split(";") if q.strip()]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    body = "Aisha Bello and John Mwangi met the harbour authority on Monday to sign the port deal. " * 3
    stories = [Story(n, date(2025, 3, 1 + n), f"Port deal {n}", body) for n in range(6)]
    return build_newsroom(tmp_path_factory.mktemp("readme") / "w.duckdb", stories)


def test_the_readme_has_the_examples_this_test_reads() -> None:
    assert len(TABLE_EXAMPLES) >= 7 and len(BLOCK_QUERIES) >= 2


@pytest.mark.parametrize("query", TABLE_EXAMPLES + BLOCK_QUERIES)
def test_each_readme_query_runs(warehouse: Path, query: str) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(query).fetchall()


def test_the_query_files_the_readme_names_exist() -> None:
    named = set(re.findall(r"sql/queries/([a-z_]+)\.sql", README))
    assert named and all((REPO / "sql" / "queries" / f"{name}.sql").is_file() for name in named), named
