"""Quotations and their speakers (invented paragraphs)."""

from __future__ import annotations

import polars as pl

from transforms.enrich import enrich_stories


def _quotes(body: str) -> pl.DataFrame:
    frame = pl.DataFrame({"story_id": ["q"], "headline": ["Harbour"], "body": [body], "language": ["en"]})
    return enrich_stories(frame).quotes


def test_speaker_after_the_quote_resolves_to_the_person_entity():
    quotes = _quotes(
        "Port Minister Helena Marsh toured the docks.\n\n"
        "“We will double the number of berths by next year,” said Marsh."
    )
    assert quotes.select("speaker_entity_id", "speaker_name").rows() == [("person:helena marsh", "Helena Marsh")]


def test_speaker_before_the_quote_and_pronouns():
    quotes = _quotes(
        "Dockworkers met Captain Idris Laval on the quay. Laval said: “The strike ends when the pay rises.”\n\n"
        "“Nobody here wants another winter like the last one,” he told reporters."
    )
    assert quotes["speaker_entity_id"].to_list() == ["person:idris laval", "person:idris laval"]


def test_a_statement_or_it_is_no_speaker():
    quotes = _quotes(
        "“The authority remains committed to a safe and open harbour,” the statement said.\n\n"
        "“Further measures will follow in the spring,” it added."
    )
    assert quotes.height == 2
    assert quotes["speaker_entity_id"].to_list() == [None, None]
    assert quotes["speaker_name"].to_list() == [None, None]


def test_scare_quotes_and_titles_are_not_quotations():
    assert _quotes("The plan was called “bold” by critics who read “Harbour Lights” twice.").is_empty()
    assert _quotes("Both hailed the “Northern Ports Partnership for a Shared Maritime Future” again.").is_empty()
