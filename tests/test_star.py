"""Records → star frames: stable keys, honest dates, in-batch duplicates collapsed."""

from __future__ import annotations

from datetime import UTC, date, datetime

from transforms.keys import stable_key
from transforms.record import StoryRecord
from transforms.star import build_star, build_stories

SEEN = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def page(**fields) -> StoryRecord:
    base = {
        "input": "page.html",
        "url": "https://www.meridian-daily.example/2025/02/06/port-deal.html?utm_source=rss#top",
        "title": "Port deal signed",
        "body": "KARACHI port operators signed a deal.\n\nThe deal covers ten years.",
        "published_at": "2025-02-06T09:30:00+05:00",
        "authors": ["Amina Rauf", "Jon Bell"],
        "section": "Economy",
        "tags": ["Ports", "Trade"],
        "source": "meridian",
    }
    return StoryRecord(**{**base, **fields})


def test_keys_are_derived_from_the_normalised_url() -> None:
    stories = build_stories([page()], SEEN).stories
    row = stories.row(0, named=True)
    assert row["url"] == "https://www.meridian-daily.example/2025/02/06/port-deal.html"
    assert row["story_id"] == "url:https://www.meridian-daily.example/2025/02/06/port-deal.html"
    assert row["story_key"] == stable_key(row["story_id"])
    assert row["published_at"] == datetime(2025, 2, 6, 4, 30, tzinfo=UTC)
    assert row["published_precision"] == "instant"
    assert (row["date_key"], row["date_basis"]) == (20250206, "published")
    assert row["word_count"] == 11


def test_a_day_only_date_stays_a_day() -> None:
    row = build_stories([page(published_at=None, updated_at="2025-02-06")], SEEN).stories.row(0, named=True)
    assert row["updated_at"] is None
    assert row["updated_day"] == date(2025, 2, 6)
    assert row["updated_precision"] == "day"
    assert (row["date_key"], row["date_basis"]) == (20250206, "updated")


def test_undated_story_is_filed_on_the_day_first_seen() -> None:
    row = build_stories([page(published_at=None)], SEEN).stories.row(0, named=True)
    assert (row["date_key"], row["date_basis"]) == (20250301, "first_seen")


def test_dump_stories_without_url_key_on_source_headline_and_day() -> None:
    record = page(url=None, published_at=None, updated_at="2025-02-06", title="  Port   deal signed ")
    row = build_stories([record], SEEN).stories.row(0, named=True)
    assert row["story_id"] == "dump:meridian|port deal signed|2025-02-06"


def test_feed_item_and_page_collapse_into_one_story() -> None:
    item = page(input="rss.xml", body="", summary=["Operators sign a ten-year deal"], authors=[], tags=["Business"])
    frame = build_stories([item, page()], SEEN)
    assert frame.collapsed == 1
    row = frame.stories.row(0, named=True)
    assert row["body"].startswith("KARACHI port operators")
    assert row["summary"] == ["Operators sign a ten-year deal"]
    assert row["authors"] == ["Amina Rauf", "Jon Bell"]


def test_records_without_headline_or_text_are_rejected_with_reasons() -> None:
    frame = build_stories([page(title=""), page(url="https://x.example/a", body="", summary=[])], SEEN)
    assert frame.stories.is_empty()
    assert [r.reason for r in frame.rejects] == ["no_headline", "no_text"]


def test_star_has_authors_source_topics_and_calendar() -> None:
    batch = build_star(build_stories([page()], SEEN))
    assert sorted(batch.dim_author["name"]) == ["Amina Rauf", "Jon Bell"]
    assert batch.bridge_story_author["position"].to_list() == [0, 1]
    assert sorted(batch.dim_topic["label"]) == ["Economy", "Ports", "Trade"]
    assert set(batch.dim_topic["scheme"]) == {"source"}
    calendar = batch.dim_date.row(0, named=True)
    assert (calendar["date_key"], calendar["iso_week"], calendar["day_of_week"], calendar["quarter"]) == (
        20250206,
        6,
        4,
        1,
    )


def test_same_records_give_identical_frames() -> None:
    first = build_star(build_stories([page(), page(url="https://x.example/b", title="Other")], SEEN))
    second = build_star(build_stories([page(), page(url="https://x.example/b", title="Other")], SEEN))
    assert first.stories.equals(second.stories)
    assert first.dim_topic.equals(second.dim_topic)
