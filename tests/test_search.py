"""Search ranks the story that is about the terms first, filters by day and topic, never returns wire
copies, and its index follows new stories; checked on a real DuckDB file with a known best answer."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import orjson
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.test_views import Story, build_newsroom, insert
from warehouse.duckdb.search import SearchIndexMissing, refresh_search_index, search, snippet
from warehouse.duckdb.store import DuckDBWarehouse

FILLER = "Officials said more details would follow later in the week as talks continued. " * 3
STORIES = [
    Story(
        1,
        date(2025, 3, 20),
        "Karachi port strike halts container traffic",
        "Dock workers at the Karachi port went on strike on Monday. The strike stopped cranes and trucks. " + FILLER,
        topics=[12],
    ),
    Story(
        2,
        date(2025, 3, 21),
        "Cup final ends in a draw",
        FILLER + "Fans travelled from the port city by train. A bus strike was called off.",
        topics=[11],
    ),
    Story(
        3,
        date(2025, 3, 22),
        "Budget vote delayed",
        "The assembly postponed the budget vote. " + FILLER,
        topics=[10],
    ),
    Story(
        4,
        date(2025, 3, 20),
        "Karachi port strike halts container traffic",
        "Dock workers at the Karachi port went on strike on Monday. The strike stopped cranes. " + FILLER,
        source_key=2,
        topics=[12],
        duplicate_of=1,
    ),
    Story(
        5,
        date(2024, 6, 1),
        "Pay talks at the docks",
        "Port workers threatened a strike over pay. " + FILLER,
        topics=[12],
    ),
]


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = build_newsroom(tmp_path / "w.duckdb", STORIES)
    with duckdb.connect(str(path)) as con:
        assert refresh_search_index(con) is True
    return path


def hits(path: Path, terms: str, **filters) -> list[int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [h.story_key for h in search(con, terms, **filters)]


def test_the_story_about_the_terms_ranks_first_and_wire_copies_are_left_out(warehouse: Path) -> None:
    assert hits(warehouse, "port strike") == [1, 5, 2]


def test_terms_match_through_stemming(warehouse: Path) -> None:
    assert hits(warehouse, "strikes halted")[0] == 1


def test_filters_by_day_and_topic(warehouse: Path) -> None:
    assert hits(warehouse, "port strike", since=date(2025, 1, 1)) == [1, 2]
    assert hits(warehouse, "port strike", until=date(2024, 12, 31)) == [5]
    assert hits(warehouse, "port strike", topic="sport") == [2]
    assert hits(warehouse, "port strike", topic="medtop:04000000", since=date(2025, 1, 1)) == [1]
    assert hits(warehouse, "port strike", limit=1) == [1]


def test_hit_carries_headline_source_day_topics_and_snippet(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        best = search(con, "cranes")[0]
    assert (best.headline, best.source, best.day) == (
        "Karachi port strike halts container traffic",
        "alpha-times",
        date(2025, 3, 20),
    )
    assert best.topics == ["economy, business and finance"]
    assert "cranes" in best.snippet and best.score > 0


def test_index_is_rebuilt_only_when_stories_change(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        assert refresh_search_index(con) is False
        insert(
            con,
            [Story(6, date(2025, 3, 23), "Ferry strike in Gwadar", "Ferry crews stopped work.", topics=[12])],
        )
        assert refresh_search_index(con) is True
    assert hits(warehouse, "ferry") == [6]


def test_a_slow_index_is_left_to_maintenance_and_search_says_what_it_cannot_see(warehouse: Path) -> None:
    late = Story(6, date(2025, 3, 23), "Ferry strike in Gwadar", "Ferry crews stopped work.", topics=[12])
    with duckdb.connect(str(warehouse)) as con:
        insert(con, [late])
        assert refresh_search_index(con, budget_s=0.0) is False  # the last build took longer than that
    done = CliRunner().invoke(app, ["search", "ferry", "--format", "json", "--warehouse", str(warehouse)])
    assert done.exit_code == 0, done.output
    assert orjson.loads(done.stdout) == []
    assert "1 stories loaded since the search index was built are not searched yet" in done.stderr
    with duckdb.connect(str(warehouse)) as con:
        assert refresh_search_index(con, force=True) is True
    assert hits(warehouse, "ferry") == [6]


def test_warehouse_method_refreshes_and_a_missing_index_is_reported(tmp_path: Path) -> None:
    path = build_newsroom(tmp_path / "w.duckdb", STORIES[:2])
    with duckdb.connect(str(path), read_only=True) as con, pytest.raises(SearchIndexMissing):
        search(con, "strike")
    assert DuckDBWarehouse(path).refresh_search_index() is True
    assert hits(path, "strike") == [1, 2]


def test_snippet_shows_the_passage_with_the_terms() -> None:
    body = " ".join(f"w{i}" for i in range(100)) + " the striking dockers " + " ".join(f"z{i}" for i in range(100))
    text = snippet(body, "strikes", width=12)
    assert "striking dockers" in text
    assert text.startswith("… ") and text.endswith(" …")
    assert len(text.split()) == 12 + 2
    assert snippet("Short body.", "absent") == "Short body."


def test_search_command_prints_ranked_hits_and_builds_a_missing_index(tmp_path: Path) -> None:
    path = build_newsroom(tmp_path / "w.duckdb", STORIES)  # no index yet: the command builds it once
    runner = CliRunner()
    done = runner.invoke(
        app, ["search", "port strike", "--since", "2025-01-01", "--format", "json", "--warehouse", str(path)]
    )
    assert done.exit_code == 0, done.output
    rows = orjson.loads(done.stdout)
    assert [r["headline"] for r in rows] == [
        "Karachi port strike halts container traffic",
        "Cup final ends in a draw",
    ]
    assert rows[0]["source"] == "alpha-times" and rows[0]["day"] == "2025-03-20"
    bad = runner.invoke(app, ["search", "port", "--since", "March", "--warehouse", str(path)])
    assert bad.exit_code != 0 and "bad date" in bad.output


def test_search_explains_a_lock_held_by_another_process(warehouse: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(warehouse)!r}); print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        done = CliRunner().invoke(app, ["search", "port", "--warehouse", str(warehouse)])
    finally:
        holder.communicate("", timeout=30)
    assert done.exit_code != 0
    message = " ".join(done.output.split())
    assert "is locked" in message and len(done.output.strip().splitlines()) <= 3
