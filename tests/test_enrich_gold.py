"""The hand-annotated gold: well-formed, ids only, and a recall floor the extractor must keep.

The figures themselves come from `bench/enrich_quality.py`; this guards against a change that
silently breaks extraction on real articles (skips without ../shared).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from transforms.enrich import enrich_stories
from transforms.keys import fold

ROOT = Path(__file__).resolve().parents[1]
GOLD = json.loads((ROOT / "tests" / "fixtures" / "enrich_gold.json").read_text(encoding="utf-8"))
ARTICLES = ROOT.parent / "shared" / "corpus" / "naeb" / "articles.json"
KINDS = {"people": "person", "organizations": "organization", "places": "place"}


def test_gold_is_annotations_only():
    assert len(GOLD["articles"]) >= 25 and len(GOLD["held_out"]) >= 10
    assert not set(GOLD["articles"]) & set(GOLD["held_out"])
    for annotation in (GOLD["articles"] | GOLD["held_out"]).values():
        assert set(annotation) == {*KINDS, "topic"}
        names = [n for kind in KINDS for n in annotation[kind]]
        assert all(len(n) < 120 for n in names)  # names, never article text


@pytest.mark.skipif(not ARTICLES.exists(), reason="naeb corpus not available (../shared)")
def test_extractor_keeps_a_recall_floor_on_the_gold_articles():
    articles = json.loads(ARTICLES.read_text(encoding="utf-8"))
    gold = GOLD["articles"] | GOLD["held_out"]
    assert set(gold) <= set(articles)
    frame = pl.DataFrame(
        {
            "story_id": list(gold),
            "headline": [articles[k]["title"] for k in gold],
            "body": [articles[k]["articleBody"] for k in gold],
            "published_day": [date.fromisoformat(articles[k]["date"]) for k in gold],
            "language": ["en"] * len(gold),
        }
    )
    found = enrich_stories(frame).entities
    keys = {(r[0], r[1], fold(r[2])) for r in found.select("story_id", "entity_type", "name").iter_rows()}
    for kind, entity_type in KINDS.items():
        expected = [(k, {fold(s) for s in entry.split("|")}) for k, a in gold.items() for entry in a[kind]]
        hits = sum(any((k, entity_type, s) in keys for s in spellings) for k, spellings in expected)
        # Floors well under the measured recall (see docs/benchmarks.md): a regression guard.
        assert hits / len(expected) >= {"person": 0.8, "organization": 0.45, "place": 0.65}[entity_type], kind
