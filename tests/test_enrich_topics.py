"""IPTC topics: the carried vocabulary and the keyword classifier's decisions and evidence."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl

from transforms.enrich import enrich_stories, iptc_topics
from transforms.enrich.topics import EVIDENCE_SCHEMA, classify_topics

DATA = Path(__file__).resolve().parents[1] / "transforms" / "enrich" / "data" / "iptc_topics.csv"
NEEDED_PARENTS = ["medtop:11000000", "medtop:16000000", "medtop:04000000", "medtop:13000000", "medtop:14000000"]


def test_vocabulary_has_all_top_levels_a_consistent_tree_and_no_definitions():
    topics = iptc_topics()
    assert topics.filter(pl.col("level") == 1).height == 17
    assert all(re.fullmatch(r"medtop:\d{8}", t) for t in topics["topic_id"])
    ids = set(topics["topic_id"])
    children = topics.filter(pl.col("level") > 1)
    assert set(children["parent_topic_id"]) <= ids
    levels = dict(zip(topics["topic_id"], topics["level"], strict=True))
    assert all(levels[p] == lv - 1 for p, lv in zip(children["parent_topic_id"], children["level"], strict=True))
    for parent in NEEDED_PARENTS:
        assert children.filter(pl.col("parent_topic_id") == parent).height >= 4, parent
    assert "medtop:20000256" in ids  # energy and resource
    with DATA.open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == ["topic_id", "label", "parent_topic_id", "level"]


def _topics(text: str) -> pl.DataFrame:
    return classify_topics(pl.DataFrame({"story_id": ["s"], "text": [text]}))


def test_sport_story_gets_sport_with_the_words_as_evidence():
    topics = _topics(
        "The striker scored twice as the club won the league match; the coach praised the goalkeeper "
        "and the fans in the stadium celebrated the title."
    )
    best = topics.row(0, named=True)
    assert best["topic_id"] == "medtop:15000000"
    assert "striker*×1" in best["evidence"] and "stadium*×1" in best["evidence"]


def test_economy_story_gets_economy_and_a_second_level_topic_under_it():
    topics = _topics(
        "The central bank raised interest rates again as inflation hit 9%, and the finance ministry "
        "cut its growth forecast; the currency fell and bond investors sold."
    )
    assert topics["topic_id"][0] == "medtop:04000000"
    sub = topics.filter(pl.col("topic_id") == "medtop:20000346")  # macro economics, under economy
    assert sub.height == 1 and "inflation×1" in sub["evidence"].item()


def test_phrases_count_once_not_again_as_their_words():
    topics = _topics("The World Bank and the World Bank again.")
    evidence = " ".join(topics["evidence"])
    assert "world bank×2" in evidence
    assert "bank×" not in evidence.replace("world bank×", "")


def test_a_story_in_other_words_gets_its_nearest_topic_with_those_words_as_evidence():
    # no keyword of any list: the word vectors alone place it, and say which words did
    topics = _topics("Gators edge Vols in overtime thriller. Florida beat Tennessee on Saturday night.")
    assert topics["topic_id"].to_list() == ["medtop:15000000"]
    evidence = topics["evidence"].item()
    assert evidence.startswith("word vectors: ") and "gators" in evidence


def test_more_keyword_evidence_outweighs_the_vectors():
    # generic business words ("demand", "expects") pull the vectors towards economy; two technology terms
    # and a chip maker named three times keep science and technology first
    body = "Intel unveils faster chips. Intel said it would ship a new generation of processors. Intel expects demand."
    evidence = pl.DataFrame([("s", "Intel (company)", 3, "medtop:13000000")], schema=EVIDENCE_SCHEMA, orient="row")
    topics = classify_topics(pl.DataFrame({"story_id": ["s"], "text": [body]}), evidence)
    assert topics["topic_id"][0] == "medtop:13000000"


def test_text_without_words_gets_no_topic():
    assert _topics("").is_empty()
    assert _topics("12345 ### 67").is_empty()


def test_source_sections_and_tags_stay_as_source_topics():
    frame = pl.DataFrame(
        {
            "story_id": ["t"],
            "headline": ["Harbour plan"],
            "body": ["The election campaign reached the harbour."],
            "section": ["Pakistan"],
            "tags": [["Ports", "Elections"]],
        }
    )
    topics = enrich_stories(frame).topics
    source = topics.filter(pl.col("scheme") == "source")
    assert set(source["topic_id"]) == {"source:pakistan", "source:ports", "source:elections"}
    assert set(topics.filter(pl.col("scheme") == "iptc")["topic_id"]) >= {"medtop:11000000"}
