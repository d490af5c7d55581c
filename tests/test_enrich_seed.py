"""The user's own example: the two stories of the seed dump must come out right (skips without ../shared)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from transforms.enrich import enrich_stories

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seeds" / "arabnews-pakistan-two-stories.txt"
pytestmark = pytest.mark.skipif(not SEED.exists(), reason="seed dump not available (../shared)")


HEADLINES = {"China, Pakistan urge": date(2025, 2, 6), "Pakistan, global crypto": date(2025, 12, 5)}


def _stories() -> pl.DataFrame:
    """Split the dump: a story repeats its headline, then has bullets (•), then body paragraphs."""
    text = SEED.read_text(encoding="utf-8")
    firsts = [text.index(h) for h in HEADLINES] + [len(text)]
    rows = []
    for (headline, day), start, stop in zip(HEADLINES.items(), firsts, firsts[1:], strict=False):
        story = text[text.index(headline, start + 1) : stop]  # from the repeated headline on
        lines = story.split("\n")
        bullet_lines = [i for i, line in enumerate(lines) if line.strip().startswith("•")]
        rows.append(
            {
                "story_id": headline,
                "headline": lines[0].strip(),
                "summary": [lines[i].strip(" •") for i in bullet_lines],
                "body": "\n".join(lines[bullet_lines[-1] + 1 :]).strip(),
                "published_day": day,
                "language": "en",
            }
        )
    return pl.DataFrame(rows)


@pytest.fixture(scope="module")
def enriched():
    return enrich_stories(_stories())


def _names(enriched, story: str, entity_type: str) -> set[str]:
    frame = enriched.entities.filter((pl.col("story_id") == story) & (pl.col("entity_type") == entity_type))
    return set(frame["name"])


def test_story_one_people_are_exactly_the_three_leaders(enriched):
    people = _names(enriched, "China, Pakistan urge", "person")
    assert people == {"Asif Ali Zardari", "Li Qiang", "Xi Jinping"}


def test_story_one_organisations_and_places(enriched):
    orgs = _names(enriched, "China, Pakistan urge", "organization")
    assert {"Tehreek-e-Taliban Pakistan", "Balochistan Liberation Army"} <= orgs
    places = enriched.entities.filter(
        (pl.col("story_id") == "China, Pakistan urge") & (pl.col("entity_type") == "place")
    )
    codes = dict(zip(places["name"], places["country_code"], strict=True))
    expected = {"China": "CN", "Pakistan": "PK", "Afghanistan": "AF", "Beijing": "CN", "Islamabad": "PK"}
    assert expected.items() <= codes.items()


def test_story_one_acronym_and_surname_mentions_fold_into_one_entity(enriched):
    story = enriched.entities.filter(pl.col("story_id") == "China, Pakistan urge")
    zardari = story.filter(pl.col("entity_id") == "person:asif ali zardari")
    assert zardari["mentions"].item() >= 5  # full name, "President Zardari", "Zardari" x3
    assert story.filter(pl.col("name").is_in(["TTP", "BLA", "Zardari", "Xi", "Li"])).is_empty()


def test_story_one_topic_and_dates(enriched):
    topics = set(enriched.topics.filter(pl.col("story_id") == "China, Pakistan urge")["topic_id"])
    assert topics & {"medtop:11000000", "medtop:16000000"}
    dates = enriched.date_mentions.filter(pl.col("story_id") == "China, Pakistan urge")
    resolved = dict(zip(dates["phrase"], dates["mentioned_date"], strict=True))
    assert resolved["on Thursday"] == date(2025, 2, 6)
    assert resolved["a day earlier"] == date(2025, 2, 5)


def test_story_two_people_orgs_topic_and_date(enriched):
    story = "Pakistan, global crypto"
    assert {"Muhammad Aurangzeb", "Bilal bin Saqib", "Richard Teng"} == _names(enriched, story, "person")
    orgs = _names(enriched, story, "organization")
    assert {"Binance", "Pakistan Virtual Assets Regulatory Authority"} <= orgs
    assert "medtop:04000000" in set(enriched.topics.filter(pl.col("story_id") == story)["topic_id"])
    dates = enriched.date_mentions.filter(pl.col("story_id") == story)
    resolved = dict(zip(dates["phrase"], dates["mentioned_date"], strict=True))
    assert resolved["on Friday"] == date(2025, 12, 5)
    assert resolved["In September"] == date(2025, 9, 1)


def test_quotes_attributed_to_a_statement_have_no_speaker(enriched):
    quotes = enriched.quotes.filter(pl.col("story_id") == "China, Pakistan urge")
    assert quotes.height >= 4
    statement = quotes.filter(pl.col("quote").str.starts_with("The two sides"))
    assert statement["speaker_entity_id"].to_list() == [None]
    assert not enriched.rejects
