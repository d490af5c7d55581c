"""Entities: coreference in a story, titles, acronyms, demonyms, ISO codes, stable ids, pluggable detector.

Fixtures are invented stories in the shape of wire copy; nothing here comes from a real article.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms.enrich import Mention, MentionDetector, enrich_stories

CUSTOMS_STORY = (
    "NAIROBI: Kenyan President Amara Wanjiku Odhiambo on Tuesday met Finance Minister Tobias Kerensky "
    "of the Coastal Revenue Authority (CRA) in Mombasa.\n\n"
    "Odhiambo said the CRA would publish its figures in March. President Odhiambo added that the "
    "Kenyan side wanted closer trade with Uganda.\n\n"
    "Kenyan workers at the port welcomed the plan, Kerensky told reporters."
)


def _frame(*stories: tuple[str, str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "story_id": [s[0] for s in stories],
            "headline": [s[1] for s in stories],
            "body": [s[2] for s in stories],
            "published_day": [date(2025, 3, 4)] * len(stories),
            "language": ["en"] * len(stories),
        }
    )


def _entities(body: str, headline: str = "Port talks") -> pl.DataFrame:
    return enrich_stories(_frame(("s1", headline, body))).entities


def test_full_name_title_and_surname_are_one_person_without_the_title():
    people = _entities(CUSTOMS_STORY).filter(pl.col("entity_type") == "person")
    assert set(people["name"]) == {"Amara Wanjiku Odhiambo", "Tobias Kerensky"}
    odhiambo = people.filter(pl.col("entity_id") == "person:amara wanjiku odhiambo")
    assert odhiambo["mentions"].item() == 3


def test_defined_acronym_and_later_acronym_are_one_organisation():
    orgs = _entities(CUSTOMS_STORY).filter(pl.col("entity_type") == "organization")
    assert orgs["name"].to_list() == ["Coastal Revenue Authority"]
    assert orgs["mentions"].item() == 2  # the long form and the later "CRA"; "(CRA)" itself is not counted


def test_places_carry_iso_codes_and_demonyms_count_only_for_the_state():
    places = _entities(CUSTOMS_STORY).filter(pl.col("entity_type") == "place")
    codes = dict(zip(places["name"], places["country_code"], strict=True))
    assert codes == {"Nairobi": "KE", "Kenya": "KE", "Mombasa": "KE", "Uganda": "UG"}
    kenya = places.filter(pl.col("name") == "Kenya")
    # "Kenyan President" and "Kenyan side" are the state; "Kenyan workers" are people.
    assert kenya["mentions"].item() == 2


def test_same_entity_gets_the_same_id_in_every_story():
    frame = _frame(
        ("a", "Talks", "Prime Minister Lucia Fernhall visited Lahore on Monday."),
        ("b", "Budget", "The budget came from Lucia Fernhall in Islamabad. Fernhall said it was fair."),
    )
    entities = enrich_stories(frame).entities
    ids = entities.filter(pl.col("name") == "Lucia Fernhall").sort("story_id")["entity_id"].to_list()
    assert ids == ["person:lucia fernhall", "person:lucia fernhall"]
    assert set(entities.filter(pl.col("entity_type") == "place")["country_code"]) == {"PK"}


def test_family_name_first_and_ambiguous_surnames():
    body = (
        "Premier Wen Haoran met Dana Kessler and Ruth Kessler in Geneva. Wen said talks went well, and Kessler agreed."
    )
    people = _entities(body).filter(pl.col("entity_type") == "person")
    assert people.filter(pl.col("name") == "Wen Haoran")["mentions"].item() == 2
    # "Kessler" could be either of two people: it is counted for neither rather than guessed.
    assert people.filter(pl.col("name").str.contains("Kessler"))["mentions"].to_list() == [1, 1]


def test_title_case_headline_yields_only_gazetteer_names():
    headline = "Pakistan Signs Deal With Big New Harbour Group"
    entities = _entities("The meeting ended early.", headline=headline)
    assert entities.select("name", "entity_type").rows() == [("Pakistan", "place")]


class _FakeModelDetector(MentionDetector):
    """Stands in for a spaCy or GLiNER backend: it returns typed spans, nothing else."""

    version = "test"

    def detect(self, text: str, *, english: bool) -> list[Mention]:
        found = []
        for surface, entity_type in (("U.S.", "place"), ("Jo Marsh", "person"), ("Marsh", "person")):
            start = text.find(surface)
            if start >= 0:
                found.append(Mention(start, start + len(surface), surface, entity_type))
        return found


def test_another_detector_plugs_in_and_gets_the_shared_resolution():
    frame = _frame(("m", "Visit", "Jo Marsh flew to the U.S. on Friday. Later, Marsh spoke."))
    entities = enrich_stories(frame, detector=_FakeModelDetector()).entities
    rows = set(entities.select("entity_id", "country_code", "mentions").rows())
    assert rows == {("person:jo marsh", None, 2), ("place:united states", "US", 1)}
