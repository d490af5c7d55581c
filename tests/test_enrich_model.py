"""The default entity detector (spaCy's English NER merged with the rules), languages, and the evidence
entities give topics. Stories here are written for these tests."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.enrich import RuleMentionDetector, enrich_stories
from transforms.enrich.languages import is_english
from transforms.enrich.model import LEAD_CHARS, ModelMentionDetector, model_version

ITALIAN_HEADLINE = "Un nuovo vaccino di Moderna"
ITALIAN_BODY = (
    "Un gruppo di ricercatori ha presentato ai giornalisti il nuovo vaccino. La moderna tecnologia permette di "
    "produrre dosi in poche settimane, ha detto il direttore del centro di ricerca di Milano."
)
TAKEOVER = (
    "Shares in Kestrel Dynamics rose 8 percent after the maker of industrial pumps agreed to a takeover by "
    "Halvorsen Brothers. Analysts at Morrow Baines said the price was fair."
)


def _enrich(*rows: tuple[str, str, str, str | None], detector=None):
    frame = pl.DataFrame(
        {
            "story_id": [r[0] for r in rows],
            "headline": [r[1] for r in rows],
            "body": [r[2] for r in rows],
            "language": [r[3] for r in rows],
        },
        schema={"story_id": pl.String, "headline": pl.String, "body": pl.String, "language": pl.String},
    )
    return enrich_stories(frame, detector=detector)


def _names(enrichment, story: str, entity_type: str) -> set[str]:
    found = enrichment.entities.filter((pl.col("story_id") == story) & (pl.col("entity_type") == entity_type))
    return set(found["name"])


@pytest.mark.parametrize("language", ["it", None])
def test_a_story_in_another_language_gets_no_english_entities_or_topics(language):
    # declared Italian, or undeclared and read as Italian by the detector: "Un" is not the UN, "ai" not AI
    enrichment = _enrich(("it", ITALIAN_HEADLINE, ITALIAN_BODY, language))
    assert enrichment.entities.is_empty()
    assert enrichment.topics.filter(pl.col("scheme") == "iptc").is_empty()
    assert not enrichment.rejects


def test_language_comes_from_the_story_then_the_detector():
    assert is_english("en-GB", ITALIAN_BODY)  # the story's own field wins
    assert not is_english("it", TAKEOVER)
    assert not is_english(None, ITALIAN_BODY)
    assert is_english(None, TAKEOVER)
    assert is_english(None, "12 345")  # nothing to read: nothing to misread


def test_model_finds_organisations_the_rules_miss():
    story = ("deal", "Pump maker agrees takeover", TAKEOVER, "en")
    rules_only = _names(_enrich(story, detector=RuleMentionDetector()), "deal", "organization")
    default = _names(_enrich(story), "deal", "organization")
    assert {"Kestrel Dynamics", "Halvorsen Brothers", "Morrow Baines"} <= default
    assert len(default) > len(rules_only)


def test_the_model_runs_its_ner_alone_and_a_batch_finds_what_single_stories_do():
    """The NER has a token-to-vector layer of its own: the pipeline's shared `tok2vec` is not loaded, and a batch
    read in the network's small batches types every story as reading it alone does."""
    detector = ModelMentionDetector()
    assert detector.nlp.pipe_names == ["ner"]
    texts = [TAKEOVER, ITALIAN_BODY, *(f"{TAKEOVER} Story {i}." for i in range(40))]
    english = [True, False, *([True] * 40)]
    alone = [detector.detect(text, english=flag) for text, flag in zip(texts, english, strict=True)]
    assert detector.detect_many(texts, english=english) == alone
    assert alone[1] == [] and {m.text for m in alone[0]} >= {"Kestrel Dynamics", "Halvorsen Brothers"}


def test_towns_that_score_in_a_results_line_are_teams_and_countries_stay_places():
    body = (
        "Results of English league matches on Saturday:\n\nBradford 1 Tranmere 0\n\nLeeds 2 Wolverhampton 0\n\n"
        "Australia 245 and 120, England 310.\n\nBradford were promoted last season."
    )
    enrichment = _enrich(("results", "Soccer results", body, "en"))
    assert {"Bradford", "Tranmere", "Wolverhampton"} <= _names(enrichment, "results", "organization")
    assert {"Australia", "England"} <= _names(enrichment, "results", "place")
    assert "Bradford" not in _names(enrichment, "results", "place")  # the prose mention is the team too


def test_a_dateline_is_not_a_result():
    enrichment = _enrich(("dl", "Talks resume", "LONDON 1996-08-30\n\nTalks resumed in London on Friday.", "en"))
    assert "London" in _names(enrichment, "dl", "place")


def test_a_word_the_story_also_writes_in_lower_case_is_not_a_name():
    body = "Blockchain is a shared ledger. Banks test blockchain systems, Governor Amelia Rourke said."
    enrichment = _enrich(("bc", "Ledger tests", body, "en"))
    assert "Blockchain" not in set(enrichment.entities["name"])
    assert "Amelia Rourke" in _names(enrichment, "bc", "person")


def test_a_listed_company_is_readable_evidence_for_its_industry():
    body = "Intel said on Tuesday it would ship a new generation of processors. Intel expects strong demand."
    topics = _enrich(("chip", "Intel unveils faster chips", body, "en")).topics
    science = topics.filter((pl.col("story_id") == "chip") & (pl.col("topic_id") == "medtop:13000000"))
    assert science.height == 1
    assert "Intel (company)×3" in science["evidence"].item()


def test_the_detector_says_which_model_it_runs():
    assert model_version().startswith("en_core_web_sm-3.8")
    assert ModelMentionDetector().version == model_version()
    assert ModelMentionDetector(model_chars=LEAD_CHARS).version == f"{model_version()}/first-{LEAD_CHARS}-chars"
    version = _enrich(("v", "A headline", "Some text.", "en")).version
    assert version.startswith(model_version() + "+enrich-") and len(version.rsplit("-", 1)[1]) == 8
    assert ModelMentionDetector().detect("Anything at all", english=False) == []


def test_an_acronym_that_names_no_organisation_is_not_an_entity():
    body = (
        "Let us embrace the creative possibilities of AI. Many artists approach AI with curiosity, Mira Solberg said."
    )
    enrichment = _enrich(("ai", "Artists and AI", body, "en"))
    assert "AI" not in set(enrichment.entities["name"])
    assert "Mira Solberg" in _names(enrichment, "ai", "person")


def _named(body: str) -> set[tuple[str, str]]:
    entities = _enrich(("r", "Results", body, "en")).entities
    return set(entities.select("name", "entity_type").iter_rows())


def test_a_wire_dateline_with_its_filing_date_is_a_place_known_or_not():
    named = _named("HERZLIYA 1996-08-31\n\nThe talks resumed on Saturday. BONN 1996-08-30 was the earlier report.")
    assert ("Herzliya", "place") in named
    named = _named("BONN 1996-08-30\n\nThe German government urged both sides to return to the talks.")
    assert ("Bonn", "place") in named and not any(name.lower() == "bonn" and t != "place" for name, t in named)


def test_both_sides_of_a_match_result_are_teams_and_a_golfer_stays_a_person():
    named = _named("English league results on Saturday:\n\nLeyton Orient 2 Hartlepool 0\n\nFulham 1 Carlisle 0")
    assert {("Leyton Orient", "organization"), ("Hartlepool", "organization")} <= named
    assert ("Fulham", "organization") in named
    # the model runs a span across the score: two teams, not one person
    named = _named("Results of English league matches on Saturday.\n\nLeeds 2 Chelsea 1")
    assert {("Leeds", "organization"), ("Chelsea", "organization")} <= named
    assert not any(t == "person" for _, t in named)
    named = _named("Leading scores after the second round:\n\nKen Green 68 70\n\nNick Price 69 70")
    assert ("Ken Green", "person") in named


def test_an_athlete_before_a_country_and_an_initialled_name_are_people():
    body = (
        "Women's 100 metres:\n\n1. Gail Devers (U.S.) 10.94\n\n7. Irina Privalova (Russia) 11.27\n\n"
        "Australia innings:\n\nM. Bevan c Vaas b Chandana 56\n\nR. Ponting not out 46"
    )
    named = _named(body)
    assert {("Irina Privalova", "person"), ("M. Bevan", "person"), ("R. Ponting", "person")} <= named
    assert ("Russia", "place") in named
    # a dotted abbreviation before a name is not an initial
    assert ("S. Steel", "person") not in _named("Shares of U.S. Steel rose on Friday after the results.")


def test_a_country_the_model_reads_as_a_person_is_a_place():
    named = _named("Representatives from Armenia and Azerbaijan held talks earlier this week in Germany.")
    assert {("Armenia", "place"), ("Azerbaijan", "place"), ("Germany", "place")} <= named
