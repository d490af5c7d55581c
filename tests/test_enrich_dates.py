"""Dates in the text, resolved against the story's own day (invented sentences)."""

from __future__ import annotations

import re
from datetime import date, datetime

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.enrich import enrich_stories
from transforms.enrich.dates import BATCH_PATTERN, PATTERN, date_mentions

THURSDAY = date(2025, 2, 6)


def _resolved(text: str, day: date | None = THURSDAY) -> dict[str, date]:
    return {m.phrase: m.mentioned_date for m in date_mentions(text, day)}


def test_weekday_is_the_most_recent_such_day_on_or_before_the_story_day():
    found = _resolved("Talks opened on Monday and ended on Thursday.")
    assert found == {"on Monday": date(2025, 2, 3), "on Thursday": THURSDAY}
    assert _resolved("They met last Thursday.") == {"last Thursday": date(2025, 1, 30)}
    assert _resolved("They meet next Monday.") == {"next Monday": date(2025, 2, 10)}


def test_a_day_earlier_counts_from_the_last_day_the_text_named():
    assert _resolved("The vote was on Tuesday. A day earlier, crowds gathered.") == {
        "on Tuesday": date(2025, 2, 4),
        "A day earlier": date(2025, 2, 3),
    }
    assert _resolved("Crowds gathered a day earlier.") == {"a day earlier": date(2025, 2, 5)}


def test_explicit_dates_with_and_without_year():
    found = _resolved("Signed on February 5, 2025, ratified 12 March 2024, due on Dec. 28 and 2024-11-30.")
    assert found == {
        "on February 5, 2025": date(2025, 2, 5),
        "12 March 2024": date(2024, 3, 12),
        "on Dec. 28": date(2024, 12, 28),  # without a year, the nearer December 28 is last year's
        "2024-11-30": date(2024, 11, 30),
    }


def test_months_periods_and_years():
    found = _resolved("In September prices rose; last month they fell; since 2019 and next year.")
    assert found == {
        "In September": date(2024, 9, 1),
        "last month": date(2025, 1, 1),
        "since 2019": date(2019, 1, 1),
        "next year": date(2026, 1, 1),
    }


def test_may_the_verb_and_impossible_dates_are_not_dates():
    assert _resolved("Officials may meet. The mayor left on February 30, 2024.") == {}


def test_without_a_story_day_only_dates_with_a_year_resolve():
    assert _resolved("On Thursday, a day earlier, on March 3, 2021.", day=None) == {
        "on March 3, 2021": date(2021, 3, 3)
    }


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["on Friday", "May", "in May 2020", "3 days ago", "Jan. 4", "12 June", "x", ", "])))
def test_polars_batch_pattern_finds_the_same_phrases_as_python(parts):
    text = " ".join(parts)
    in_polars = pl.DataFrame({"t": [text]}).select(pl.col("t").str.extract_all(BATCH_PATTERN))["t"][0]
    assert list(in_polars) == [m.group() for m in re.finditer(PATTERN, text)]


def test_published_day_may_come_as_date_timestamp_or_iso_string():

    for day in (THURSDAY, datetime(2025, 2, 6, 9, 30), "2025-02-06", "2025-02-06T09:30:00+05:00"):
        frame = pl.DataFrame(
            {"story_id": ["d"], "headline": ["x"], "body": ["They met on Monday."], "published_day": [day]}
        )
        assert enrich_stories(frame).date_mentions["mentioned_date"].to_list() == [date(2025, 2, 3)], day
