"""A date from the future cannot hijack analysis (issue 16): published/updated more than a day after the
story was first seen is not used for its day, is recorded as an `etl_reject` row (stage `dates`) saying
why, and neither the trending anchor nor the report's axis can pass today."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest
from flows.report.page import read_report_data
from tests.test_views import Story, build_newsroom, newsroom_stories
from transforms.record import StoryRecord
from transforms.star import build_stories, is_future_date
from warehouse import open_warehouse

SEEN = datetime(2025, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "future"),
    [
        ("2025-12-05T11:59:00+00:00", False),  # within the day of slack (clocks, time zones)
        ("2025-12-05T17:00:00+05:00", False),  # 12:00 UTC: exactly a day
        ("2025-12-05T12:01:00+00:00", True),
        ("2025-12-05", False),  # a day alone counts whole: the 5th may still be "today" somewhere
        ("2025-12-06", True),
        ("2099-12-31T00:00:00Z", True),
        ("2025-12-01T08:00:00+00:00", False),
    ],
)
def test_future_is_more_than_a_day_after_first_seen(value: str, future: bool) -> None:
    assert is_future_date(value, SEEN) is future


def _record(**dates: str | None) -> StoryRecord:
    return StoryRecord(input="page.html", url="https://news.example/a", title="Port deal", body="Signed.", **dates)


def test_a_future_published_date_is_dropped_and_recorded() -> None:
    frame = build_stories([_record(published_at="2099-12-31T00:00:00Z", updated_at="2025-12-03T09:00:00Z")], SEEN)
    row = frame.stories.row(0, named=True)
    assert row["published_at"] is None and row["published_day"] is None
    assert (row["date_key"], row["date_basis"]) == (20251203, "updated")
    (reject,) = frame.rejects
    assert (reject.stage, reject.reason, reject.locator) == ("dates", "date_in_future", "page.html")
    assert "published_at 2099-12-31T00:00:00Z" in reject.detail and "2025-12-04T12:00:00+00:00" in reject.detail


def test_a_story_with_only_future_dates_is_dated_by_first_sight() -> None:
    frame = build_stories([_record(published_at="2099-12-31", updated_at="2099-12-31")], SEEN)
    row = frame.stories.row(0, named=True)
    assert (row["date_key"], row["date_basis"]) == (20251204, "first_seen")
    assert sorted(r.detail.split()[0] for r in frame.rejects) == ["published_at", "updated_at"]


def test_stored_future_days_cannot_move_the_trending_anchor_or_the_report_axis(tmp_path: Path) -> None:
    """Stories stored before the loader dropped such dates: the views cap the anchor at today."""
    today = date.today()
    stories = [
        *newsroom_stories(),
        Story(7001, date(2099, 12, 31), "From the future", topics=[11]),
        *(Story(7002 + n, today - timedelta(days=2), f"This week {n}", topics=[11]) for n in range(5)),
    ]
    path = build_newsroom(tmp_path / "w.duckdb", stories)
    with duckdb.connect(str(path), read_only=True) as con:
        trending = con.execute("select anchor_day, label, recent_stories from v_trending_topics").fetchall()
    data = read_report_data(open_warehouse(str(path)))
    assert trending == [(today - timedelta(days=2), "sport", 5)]  # the latest real day, not 2099
    assert data.totals[4] == int(today.strftime("%Y%m%d"))


def test_a_run_loads_the_story_without_its_future_date(tmp_path: Path, prefect_api: None) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><item><title>Port deal signed</title>'
        "<link>https://news.example/port-deal</link><pubDate>Fri, 31 Dec 2099 10:00:00 GMT</pubDate>"
        "<description>The harbour authority signed the port deal on Monday after a night of talks.</description>"
        "</item></channel></rss>",
        encoding="utf-8",
    )
    warehouse = tmp_path / "w.duckdb"
    summary = ingest(adhoc_sources=[str(feed)], warehouse_path=str(warehouse))
    assert summary["new"] == 1
    with duckdb.connect(str(warehouse), read_only=True) as con:
        basis, published, day = con.execute(
            "select date_basis, published_at, strptime(date_key::varchar, '%Y%m%d')::date from fact_story"
        ).fetchone()
        rejects = con.execute("select stage, reason, detail from etl_reject").fetchall()
    assert basis == "first_seen" and published is None and day.year < 2099
    assert [(stage, reason) for stage, reason, _ in rejects] == [("dates", "date_in_future")]
    assert "2099-12-31" in rejects[0][2]


def test_unusable_dates_leave_a_record_of_why(tmp_path: Path, prefect_api: None) -> None:
    """Years 0001/9999 and offsets like +25:00 used to fall back to first sight silently."""
    text = "The harbour authority signed the port deal on Monday after a long night of talks in the city."
    items = "".join(
        f"<item><title>Story {n}</title><link>https://news.example/{n}</link><pubDate>{when}</pubDate>"
        f"<description>{text}</description></item>"
        for n, when in enumerate(["Fri, 31 Dec 9999 10:00:00 GMT", "Mon, 01 Dec 2025 10:00:00 +2500"])
    )
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}</channel></rss>', encoding="utf-8"
    )
    (inputs / "page.html").write_text(
        '<html><head><title>Old news</title><script type="application/ld+json">'
        '{"@type": "NewsArticle", "headline": "Old news", "datePublished": "0001-01-01T00:00:00Z"}</script>'
        f"</head><body><article><h1>Old news</h1><p>{text}</p><p>{text}</p></article></body></html>",
        encoding="utf-8",
    )
    warehouse = tmp_path / "w.duckdb"
    summary = ingest(adhoc_sources=[str(inputs / "*")], warehouse_path=str(warehouse))
    assert summary["new"] == 3
    with duckdb.connect(str(warehouse), read_only=True) as con:
        bases = {b for (b,) in con.execute("select date_basis from fact_story").fetchall()}
        rejects = con.execute("select stage, reason, detail from etl_reject order by detail").fetchall()
    assert bases == {"first_seen"}
    assert [(stage, reason) for stage, reason, _ in rejects] == [("dates", "date_unusable")] * 3
    details = " | ".join(detail for _, _, detail in rejects)
    assert "year 9999 is outside" in details and "year 1 is outside" in details
    assert "offset +2500 is not one any clock shows" in details
