"""The analyst views on a small hand-built warehouse whose answers are known: counts, ISO weeks,
co-occurrence lift, trending ranks, and wire copies never counted twice.

The rows are written with plain SQL into a real DuckDB file migrated like production, so the views
are tested exactly as `dateline sql` runs them. `build_newsroom` is reused by the search and report tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import orjson
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import CONTRACT_VIEWS
from warehouse.duckdb import summaries
from warehouse.duckdb.migrations import SQL_DIR, apply_migrations, view_files

ANCHOR = date(2025, 3, 31)
SOURCES = {1: ("alpha-times", "feed"), 2: ("beta-wire", "feed")}
TOPICS = {
    10: ("medtop:11000000", "politics", "iptc"),
    11: ("medtop:15000000", "sport", "iptc"),
    12: ("medtop:04000000", "economy, business and finance", "iptc"),
    20: ("world", "World", "source"),
}
ENTITIES = {
    100: ("person:ada lane", "Ada Lane", "person", None),
    101: ("place:karachi", "Karachi", "place", "PK"),
    102: ("organization:port authority", "Port Authority", "organization", None),
    103: ("person:bo chen", "Bo Chen", "person", None),
}


@dataclass
class Story:
    key: int
    day: date
    headline: str
    body: str = "Filler text about the day's events."
    source_key: int = 1
    topics: list[int] = field(default_factory=list)
    entities: dict[int, int] = field(default_factory=dict)
    duplicate_of: int | None = None
    published_at: datetime | None = None
    date_basis: str = "published"


def insert(con: duckdb.DuckDBPyConnection, stories: list[Story]) -> None:
    """Write stories with their bridges, and the dimensions they need, as the loader would, then the summaries."""
    con.executemany(
        "INSERT INTO dim_source VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [[k, name, kind, f"https://{name}.example/feed", f"{name}.example"] for k, (name, kind) in SOURCES.items()],
    )
    con.executemany(
        "INSERT INTO dim_topic VALUES (?, ?, ?, ?, NULL, ?) ON CONFLICT DO NOTHING",
        [[k, tid, label, scheme, 1 if scheme == "iptc" else None] for k, (tid, label, scheme) in TOPICS.items()],
    )
    con.executemany(
        "INSERT INTO dim_entity VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [[k, *row] for k, row in ENTITIES.items()],
    )
    for s in stories:
        con.execute(
            "INSERT INTO fact_story (story_key, story_id, source_key, date_key, date_basis, published_at, "
            "published_day, published_precision, first_seen_at, url, headline, body, word_count, "
            "content_hash, version, duplicate_of) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
            [
                s.key,
                f"url:https://news.example/{s.key}",
                s.source_key,
                int(s.day.strftime("%Y%m%d")),
                s.date_basis,
                s.published_at,
                None if s.published_at else s.day,
                "instant" if s.published_at else "day",
                datetime(s.day.year, s.day.month, s.day.day, 23, tzinfo=UTC),
                f"https://news.example/{s.key}",
                s.headline,
                s.body,
                len(s.body.split()),
                f"hash{s.key}",
                s.duplicate_of,
            ],
        )
        for rank, topic in enumerate(s.topics):
            con.execute("INSERT INTO bridge_story_topic VALUES (?, ?, ?, NULL)", [s.key, topic, 1.0 - rank / 10])
        for entity, mentions in s.entities.items():
            con.execute("INSERT INTO bridge_story_entity VALUES (?, ?, ?)", [s.key, entity, mentions])
    summaries.rebuild(con)  # rows written by hand, not through a merge: the views read the summaries


def newsroom_stories() -> list[Story]:
    """Sport surges (40 stories this week, none before), economy has one story this week, politics is
    steady (8 in the 28-day baseline, 2 this week), one sport story is carried again as a wire copy,
    and two stories straddle the 2024/2025 ISO-year boundary."""
    stories: list[Story] = []
    for i in range(40):
        stories.append(
            Story(1000 + i, ANCHOR - timedelta(days=i % 7), f"Cup match {i}", topics=[11], entities={103: 1})
        )
    stories.append(Story(2000, ANCHOR - timedelta(days=2), "Rates held", topics=[12]))
    for i in range(8):
        stories.append(Story(3000 + i, ANCHOR - timedelta(days=7 + 3 * i), f"Assembly vote {i}", topics=[10, 20]))
    for i in range(2):
        stories.append(Story(3100 + i, ANCHOR - timedelta(days=i), f"Assembly debate {i}", topics=[10]))
    stories.append(Story(4000, ANCHOR, "Cup match 0 (wire)", source_key=2, topics=[11], duplicate_of=1000))
    # Entities: Ada Lane and Karachi together in 5 stories; Ada alone in 1; Karachi alone in 5;
    # the Port Authority with Karachi in 3 of those; the wire copy repeats one pair and must not count.
    for i in range(11):
        entities = {}
        if i < 6:
            entities[100] = 2
        if i >= 1:
            entities[101] = 1
        if i >= 8:
            entities[102] = 1
        stories.append(Story(5000 + i, ANCHOR - timedelta(days=40 + i), f"Port story {i}", entities=entities))
    stories.append(
        Story(
            5100,
            ANCHOR - timedelta(days=40),
            "Port wire",
            source_key=2,
            entities={100: 1, 101: 1},
            duplicate_of=5001,
        )
    )
    stories.append(Story(6000, date(2024, 12, 29), "Year-end review", topics=[12]))
    stories.append(
        Story(
            6001,
            date(2024, 12, 30),
            "New year budget",
            topics=[12],
            published_at=datetime(2024, 12, 30, 9, 15, tzinfo=UTC),
        )
    )
    return stories


def build_newsroom(path: Path, stories: list[Story] | None = None) -> Path:
    """A migrated DuckDB file holding `stories` (default: the newsroom above)."""
    con = duckdb.connect(str(path))
    try:
        apply_migrations(con)
        insert(con, newsroom_stories() if stories is None else stories)
        con.execute(
            "INSERT INTO etl_run (run_id, started_at, finished_at, status, found, new) "
            "VALUES ('r1', '2025-03-31 23:00:00+00', '2025-03-31 23:01:00+00', 'completed', 70, 70)"
        )
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    path = build_newsroom(tmp_path_factory.mktemp("views") / "w.duckdb")
    connection = duckdb.connect(str(path), read_only=True)
    yield connection
    connection.close()


def test_every_view_file_has_a_header_saying_what_a_row_is() -> None:
    names = {p.stem for p in view_files()}
    assert set(CONTRACT_VIEWS) <= names
    for path in view_files():
        text = path.read_text(encoding="utf-8")
        assert text.startswith(f"-- {path.stem}: one row per"), path.name
        assert text.count("CREATE OR REPLACE VIEW") == 1, f"{path.name}: one statement per file"


def test_topic_daily_counts_stories_and_not_wire_copies(con) -> None:
    rows = con.execute(
        "select label, stories, sources from v_topic_daily where day = ? order by label", [ANCHOR]
    ).fetchall()
    # Sport on the anchor day: stories 1000, 1007, ..., 1035 (i % 7 == 0) = 6, plus a wire copy not counted.
    assert rows == [("politics", 1, 1), ("sport", 6, 1)]


def test_topic_weekly_uses_iso_weeks(con) -> None:
    rows = con.execute(
        "select iso_year, iso_week, week_start, stories from v_topic_weekly "
        "where label like 'economy%' and week_start < '2025-02-01' "
        "order by week_start"
    ).fetchall()
    assert rows == [(2024, 52, date(2024, 12, 23), 1), (2025, 1, date(2024, 12, 30), 1)]
    sport = con.execute("select sum(stories) from v_topic_weekly where label = 'sport'").fetchone()
    assert sport == (40,)


def test_entity_daily_sums_mentions(con) -> None:
    day = ANCHOR - timedelta(days=40)
    rows = con.execute(
        "select name, stories, mentions from v_entity_daily where day = ? order by name", [day]
    ).fetchall()
    assert rows == [("Ada Lane", 1, 2)]  # story 5000; the wire copy 5100 of that day is not counted


def test_cooccurrence_counts_pairs_and_lift(con) -> None:
    row = con.execute(
        "select together, entity_stories, partner_stories, lift, pmi from v_entity_cooccurrence "
        "where entity_name = 'Ada Lane' and partner_name = 'Karachi'"
    ).fetchone()
    # All stories but the two wire copies: 40 sport + 1 economy + 10 politics + 11 port + 2 year-end = 64.
    expected_lift = 5 * 64 / (6 * 10)
    assert row[:3] == (5, 6, 10)
    assert row[3] == pytest.approx(expected_lift, abs=1e-4)
    assert row[4] == pytest.approx(math.log(expected_lift), abs=1e-4)
    mirrored = con.execute(
        "select together from v_entity_cooccurrence where entity_name = 'Karachi' and partner_name = 'Ada Lane'"
    ).fetchone()
    assert mirrored == (5,)
    assert con.execute("select count(*) from v_entity_cooccurrence where entity_name = 'Bo Chen'").fetchone() == (0,)


def test_trending_ranks_volume_above_a_single_story(con) -> None:
    rows = con.execute(
        "select label, recent_stories, baseline_stories, score, trend_rank, anchor_day "
        "from v_trending_topics where scheme = 'iptc' order by trend_rank"
    ).fetchall()
    assert [r[0] for r in rows] == ["sport", "economy, business and finance", "politics"]
    assert rows[0][1:4] == (40, 0, 40.0)
    assert rows[1][1:4] == (1, 0, 1.0)
    assert rows[2][1:4] == (2, 8, 0.0)  # steady: 8 in four weeks, 2 this week
    assert rows[0][5] == ANCHOR


def test_source_daily_separates_wire_copies(con) -> None:
    rows = con.execute(
        "select source, stories, wire_copies, iptc_topics from v_source_daily where day = ? order by source",
        [ANCHOR],
    ).fetchall()
    assert rows == [("alpha-times", 7, 0, 2), ("beta-wire", 0, 1, 0)]


def test_story_view_is_one_readable_row_per_story(con) -> None:
    total = con.execute("select count(*), count(distinct story_key) from v_story").fetchone()
    assert total == (len(newsroom_stories()),) * 2
    row = con.execute(
        "select source, day, published, topics, sections, people, places, organizations "
        "from v_story where story_key = 3000"
    ).fetchone()
    assert row == (
        "alpha-times",
        ANCHOR - timedelta(days=7),
        str(ANCHOR - timedelta(days=7)),
        ["politics"],
        ["World"],
        [],
        [],
        [],
    )
    port = con.execute("select people, places, organizations from v_story where story_key = 5008").fetchone()
    assert port == ([], ["Karachi"], ["Port Authority"])
    timed = con.execute("select published from v_story where story_key = 6001").fetchone()
    assert timed == ("2024-12-30T09:15:00Z",)


@pytest.mark.parametrize("query", sorted((SQL_DIR / "queries").glob("*.sql")), ids=lambda p: p.name)
def test_worked_queries_run_through_dateline_sql(query: Path, tmp_path: Path) -> None:
    """Each file runs as `dateline sql "$(cat file)"` and answers on the newsroom warehouse."""
    warehouse = build_newsroom(tmp_path / "w.duckdb")
    done = CliRunner().invoke(
        app, ["sql", query.read_text(encoding="utf-8"), "-f", "json", "--warehouse", str(warehouse)]
    )
    assert done.exit_code == 0, done.output
    assert orjson.loads(done.stdout), f"{query.name} returned no rows"


def test_a_story_dated_only_by_first_sight_does_not_move_the_trending_anchor(tmp_path: Path) -> None:
    stories = [
        *newsroom_stories(),
        Story(7000, date(2026, 11, 26), "Undated page", topics=[11], date_basis="first_seen"),
    ]
    with duckdb.connect(str(build_newsroom(tmp_path / "w.duckdb", stories)), read_only=True) as con:
        anchor, recent = con.execute(
            "select anchor_day, recent_stories from v_trending_topics where label = 'sport'"
        ).fetchone()
    assert (anchor, recent) == (ANCHOR, 40)
