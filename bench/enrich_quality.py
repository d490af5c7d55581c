"""Enrichment quality on the hand-annotated gold set: precision/recall per entity type, topic accuracy.

The gold (tests/fixtures/enrich_gold.json) lists, per naeb article id, the people,
organisations and places a careful reader finds and the article's main top-level IPTC topic.
Its development set is what the rules were adjusted on; the held-out set was annotated
afterwards and only scored, so its figures are the honest ones.
Article text is read from ../shared/corpus/naeb at run time (never copied into the project).

Matching is by name: a found entity is right when its case-folded name (without a leading
"The", dots and possessive) equals one of the gold spellings of the same type ("A|B" in the
gold). Topic accuracy counts the story's best-scored top-level IPTC topic; "in top 3" counts
any kept top-level topic. The same run scores a trivial baseline for topics (the most frequent
gold topic for every story) so the figure has a floor to compare with.

    .venv/bin/python bench/enrich_quality.py [--show-errors]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms.enrich import enrich_stories, iptc_topics
from transforms.keys import fold

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "fixtures" / "enrich_gold.json"
ARTICLES = ROOT.parent / "shared" / "corpus" / "naeb" / "articles.json"
TYPES = {"people": "person", "organizations": "organization", "places": "place"}


def normalise(name: str) -> str:
    """The form names are compared in: folded, no leading article, no dots, no possessive."""
    key = fold(name).replace(".", "").replace("’", "'")
    key = re.sub(r"'s$", "", key)
    return re.sub(r"^the ", "", key).strip()


def gold_stories(gold: dict, articles: dict) -> pl.DataFrame:
    rows = []
    for article_id in gold:
        article = articles[article_id]
        rows.append(
            {
                "story_id": article_id,
                "headline": article["title"],
                "body": article["articleBody"],
                "published_day": date.fromisoformat(article["date"]) if article.get("date") else None,
                "language": "en",
            }
        )
    return pl.DataFrame(rows)


def score_entities(gold: dict, entities: pl.DataFrame) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Per type: found, right, gold, matched, precision, recall; plus readable errors."""
    figures: dict[str, dict[str, float]] = {}
    errors: list[str] = []
    for key, entity_type in TYPES.items():
        found = right = total = matched = 0
        for article_id, annotation in gold.items():
            expected = [{normalise(s) for s in entry.split("|")} for entry in annotation[key]]
            mine = (pl.col("story_id") == article_id) & (pl.col("entity_type") == entity_type)
            names = entities.filter(mine)["name"].to_list()
            got = {normalise(n): n for n in names}
            found += len(got)
            total += len(expected)
            hits = {g for g in got if any(g in spellings for spellings in expected)}
            right += len(hits)
            matched += sum(1 for spellings in expected if spellings & set(got))
            errors += [f"{article_id[:8]} {entity_type:12} false: {got[g]}" for g in got if g not in hits]
            errors += [
                f"{article_id[:8]} {entity_type:12} missed: {entry}"
                for entry, spellings in zip(annotation[key], expected, strict=True)
                if not spellings & set(got)
            ]
        figures[entity_type] = {
            "found": found,
            "gold": total,
            "precision": right / found if found else 0.0,
            "recall": matched / total if total else 0.0,
        }
    return figures, errors


def score_topics(gold: dict, topics: pl.DataFrame) -> dict[str, float]:
    level_one = set(iptc_topics().filter(pl.col("level") == 1)["topic_id"])
    top = topics.filter(pl.col("topic_id").is_in(level_one)).sort("score", descending=True)
    firsts = top.group_by("story_id", maintain_order=True).first()
    best = dict(firsts.select("story_id", "topic_id").iter_rows())
    kept = top.group_by("story_id").agg("topic_id")
    kept_by_story = dict(kept.iter_rows())
    expected = {k: set(v["topic"] if isinstance(v["topic"], list) else [v["topic"]]) for k, v in gold.items()}
    commonest = Counter(t for v in expected.values() for t in sorted(v)[:1]).most_common(1)[0][0]
    n = len(gold)
    return {
        "accuracy": sum(best.get(k) in v for k, v in expected.items()) / n,
        "in_top3": sum(bool(set(kept_by_story.get(k, [])) & v) for k, v in expected.items()) / n,
        "baseline_commonest": sum(commonest in v for v in expected.values()) / n,
        "no_topic": sum(k not in best for k in expected) / n,
    }


def report(name: str, gold: dict, articles: dict, show_errors: bool) -> None:
    enrichment = enrich_stories(gold_stories(gold, articles))
    figures, errors = score_entities(gold, enrichment.entities)
    topics = score_topics(gold, enrichment.topics)
    entities = sum(int(f["gold"]) for f in figures.values())
    rejects = len(enrichment.rejects)
    print(f"\n## {name}: {len(gold)} naeb articles, {entities} gold entities, {rejects} rejects")
    print(f"{'type':14}{'found':>7}{'gold':>7}{'precision':>11}{'recall':>9}{'F1':>7}")
    for entity_type, f in figures.items():
        p, r = f["precision"], f["recall"]
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{entity_type:14}{int(f['found']):>7}{int(f['gold']):>7}{p:>11.3f}{r:>9.3f}{f1:>7.3f}")
    print(
        f"topic accuracy (best top-level): {topics['accuracy']:.3f}; in kept top-level topics: "
        f"{topics['in_top3']:.3f}; stories without topic: {topics['no_topic']:.3f}; "
        f"baseline (commonest gold topic for all): {topics['baseline_commonest']:.3f}"
    )
    if show_errors:
        print("\n".join(sorted(errors)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-errors", action="store_true", help="list every false and missed entity")
    args = parser.parse_args()
    if not ARTICLES.exists():
        print(f"skipped: {ARTICLES} not found (the gold needs ../shared/corpus/naeb)")
        return 0
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    articles = json.loads(ARTICLES.read_text(encoding="utf-8"))
    show = args.show_errors
    report("development set (rules tuned on its errors)", gold["articles"], articles, show)
    report("held-out set (annotated afterwards, never tuned on)", gold["held_out"], articles, show)
    report("all", gold["articles"] | gold["held_out"], articles, show_errors=False)
    topic_only = gold["topics_dev"]
    topics = score_topics(topic_only, enrich_stories(gold_stories(topic_only, articles)).topics)
    print(f"\n## topic-only development set: {len(topic_only)} naeb articles")
    print(f"topic accuracy (best top-level): {topics['accuracy']:.3f}; in kept: {topics['in_top3']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
