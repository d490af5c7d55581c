"""Enrichment quality on labelled public news, candidates side by side, with accuracy, CPU and memory.

Entities: CoNLL-2003 development documents (../shared/corpus/conll2003-dev, 214 Reuters stories).
Topics: a fixed sample of AG News (../shared/corpus/agnews-test): the scorer's own shuffle (seed 7),
first `--agnews` items (2,000 by default). Both are scored with the shared scorer's own functions
(../shared/tools/score_enrichment.py: document-level name sets; best level-1 IPTC topic), imported at
run time, never copied. Each set is split in two halves by position (even: development, odd: held
out); the rules and thresholds were adjusted looking only at development-half errors, so the held-out
half is the honest figure. `--pipeline` also runs the scorer itself through `dateline run` (the real
HTML parsing and warehouse) on the default configuration.

Candidates:
- entities: `rules` (the gazetteer and capitalisation rules alone), `spacy` (en_core_web_sm's NER alone,
  mapped as the scorer's peer mode maps it), `model+rules` (the default: `ModelMentionDetector`, the model
  on the words around capitalised words of each story's first 4,000 characters), `whole+rules` (the same
  model reading those characters whole, `context_words=None`), `lead+rules` (the faster mode: the model on
  the first 600);
- topics: `keywords` (the keyword lists alone), `keywords+companies` (listed companies named in the story
  add evidence for their industry), `vectors` (GloVe word-vector similarity to each topic alone, zero-shot)
  and `kw+companies+vectors` (the default: both mixed, `topics.VECTOR_WEIGHT`). Entities for the company
  evidence come from the rules here, so the topic figures do not wait for the NER model.

CPU is process time per story in this process (one core), the rules, resolution and topics included; the
share of the text the model reads is printed for the default and whole-text readings. Memory is the resident
size the model adds to a worker (RSS before and after loading it).

    .venv/bin/python bench/enrich_quality.py [--agnews N] [--pipeline] [--only entities|topics]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms.enrich import RuleMentionDetector, enrich_stories
from transforms.enrich.lexicon import lexicon
from transforms.enrich.model import LEAD_CHARS, ModelMentionDetector, english_ner, model_version
from transforms.enrich.topics import _top_level
from transforms.keys import fold

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCORER = SHARED / "tools" / "score_enrichment.py"
CONLL = SHARED / "corpus" / "conll2003-dev" / "dev.txt"
AGNEWS = SHARED / "corpus" / "agnews-test" / "test.csv"
TYPES = {"person": "PER", "organization": "ORG", "place": "LOC"}
SPACY_TYPES = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}


def scorer():
    spec = importlib.util.spec_from_file_location("score_enrichment", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stories(rows: list[tuple[str, str, list[str]]]) -> pl.DataFrame:
    """The scorer's page as the parser hands it over: headline, paragraphs joined by blank lines."""
    return pl.DataFrame(
        {
            "story_id": [u for u, _, _ in rows],
            "headline": [t for _, t, _ in rows],
            "body": ["\n\n".join(ps) for _, _, ps in rows],
            "language": ["en"] * len(rows),
        }
    )


def halves(items: list) -> dict[str, list]:
    return {"all": items, "dev": items[0::2], "held_out": items[1::2]}


def timed(run: Callable[[], dict], n: int) -> tuple[dict, float]:
    start = time.process_time()
    result = run()
    return result, (time.process_time() - start) * 1000 / n


def entity_candidates(se, items: list) -> dict[str, tuple[dict, float]]:
    frame = stories([(u, t, ps) for u, t, ps, _ in items])

    def from_enrichment(detector=None) -> Callable[[], dict]:
        def run() -> dict:
            found = enrich_stories(frame, detector=detector).entities
            pred: dict[str, dict[str, set[str]]] = {}
            for story, name, entity_type in found.select("story_id", "name", "entity_type").iter_rows():
                pred.setdefault(story, {}).setdefault(TYPES[entity_type], set()).add(name)
            return pred

        return run

    def spacy_alone() -> dict:
        nlp = english_ner()
        pred: dict[str, dict[str, set[str]]] = {}
        for (url, _, _, _), doc in zip(
            items, nlp.pipe(t + "\n\n" + "\n\n".join(ps) for _, t, ps, _ in items), strict=True
        ):
            for ent in doc.ents:
                if ent.label_ in SPACY_TYPES:
                    pred.setdefault(url, {}).setdefault(SPACY_TYPES[ent.label_], set()).add(ent.text)
        return pred

    n = len(items)
    return {
        "rules": timed(from_enrichment(RuleMentionDetector()), n),
        "spacy": timed(spacy_alone, n),
        "model+rules": timed(from_enrichment(), n),
        "whole+rules": timed(from_enrichment(ModelMentionDetector(context_words=None)), n),
        "lead+rules": timed(from_enrichment(ModelMentionDetector(model_chars=LEAD_CHARS)), n),
    }


def share_read(items: list) -> str:
    """How much of the stories' text the model reads, windowed (the default) and whole."""
    texts = [t + "\n\n" + "\n\n".join(ps) for _, t, ps, _ in items]
    shares = []
    for detector in (ModelMentionDetector(), ModelMentionDetector(context_words=None)):
        read = sum(len(detector.reading(text).text) for text in texts)
        shares.append(f"{read / sum(len(text) for text in texts):.0%}")
    return "model reads {} of the text (model+rules), {} (whole+rules)".format(*shares)


def canonical_gold(items: list) -> list:
    """The gold with each place written as the gazetteer names it ("U.S." -> "United States"), as the
    warehouse names places; a second reading of the default's place figure, not the scorer's."""
    places = lexicon().places
    out = []
    for url, title, paragraphs, gold in items:
        named = {k: set(v) for k, v in gold.items()}
        named["LOC"] = {places[fold(n)].name if fold(n) in places else n for n in gold["LOC"]}
        out.append((url, title, paragraphs, named))
    return out


def report_entities(se) -> None:
    items = se.ner_docs(str(CONLL), 0)
    print(f"\n## Entities: CoNLL-2003 development, {len(items)} documents (dev = even, held out = odd)")
    print(share_read(items))
    print(f"{'candidate':15}{'half':10}{'PER F1':>8}{'ORG F1':>8}{'LOC F1':>8}{'macro':>8}{'ms/story':>10}")
    for name, (pred, ms) in entity_candidates(se, items).items():
        for half, subset in halves(items).items():
            s = se.score(subset, pred)
            figures = "".join(f"{s[k]['F1']:>8.3f}" for k in ("PER", "ORG", "LOC"))
            print(f"{name:15}{half:10}{figures}{s['macro_F1']:>8.3f}{ms:>10.1f}")
        if name == "model+rules":
            s = se.score(canonical_gold(items), pred)
            print(f"{'':15}{'all':10}{'':16}{s['LOC']['F1']:>8.3f}  (gold places in the gazetteer's own names)")


def topic_candidates(docs: list) -> dict[str, tuple[pl.DataFrame, float]]:
    frame = stories([(u, t, ps) for u, _, _, t, ps in docs])
    import transforms.enrich.topics as topics

    def run(company_weight: float, vector_weight: float) -> Callable[[], pl.DataFrame]:
        def go() -> pl.DataFrame:
            saved = topics.COMPANY_WEIGHT, topics.VECTOR_WEIGHT
            topics.COMPANY_WEIGHT, topics.VECTOR_WEIGHT = company_weight, vector_weight
            try:
                return enrich_stories(frame, RuleMentionDetector()).topics.filter(pl.col("scheme") == "iptc")
            finally:
                topics.COMPANY_WEIGHT, topics.VECTOR_WEIGHT = saved

        return go

    n = len(docs)
    company, vector = topics.COMPANY_WEIGHT, topics.VECTOR_WEIGHT
    return {
        "keywords": timed(run(0.0, 0.0), n),
        "keywords+companies": timed(run(company, 0.0), n),
        "vectors": timed(run(0.0, 1e9), n),
        "kw+companies+vectors": timed(run(company, vector), n),
    }


def topic_scores(docs: list, found: pl.DataFrame) -> dict:
    """The scorer's topic metric: rolled up to level 1, best score first (see its docstring)."""
    top = _top_level()
    best: dict[str, dict[str, float]] = {}
    for story, topic, score in found.filter(pl.col("score") > 0).select("story_id", "topic_id", "score").iter_rows():
        level_one = best.setdefault(story, {})
        level_one[top[topic]] = max(score, level_one.get(top[topic], 0.0))
    top1 = predicted = right = 0
    per: dict[str, list[int]] = {}
    for url, cat, gold, _, _ in docs:
        ranked = sorted(((s, t) for t, s in best.get(url, {}).items()), reverse=True)
        per.setdefault(cat, [0, 0])[1] += 1
        if ranked and ranked[0][1] in gold:
            top1 += 1
            per[cat][0] += 1
        predicted += len(ranked)
        right += sum(t in gold for _, t in ranked)
    n = len(docs)
    return {
        "top1": top1 / n,
        "no_topic": sum(url not in best for url, *_ in docs),
        "level1_per_story": predicted / n,
        "level1_precision": right / max(predicted, 1),
        "per_class": {c: round(a / b, 3) for c, (a, b) in sorted(per.items())},
    }


def report_topics(se, size: int) -> None:
    docs, _ = se.agnews_docs(str(AGNEWS))
    random.Random(7).shuffle(docs)
    docs = docs[:size]
    print(f"\n## Topics: AG News test, fixed sample of {len(docs)} (seed 7; dev = even, held out = odd)")
    print(f"{'candidate':22}{'half':10}{'top1':>7}{'none':>6}{'L1/story':>10}{'L1 prec':>9}{'ms/story':>10}  per class")
    for name, (found, ms) in topic_candidates(docs).items():
        for half, subset in halves(docs).items():
            s = topic_scores(subset, found)
            print(
                f"{name:22}{half:10}{s['top1']:>7.3f}{s['no_topic']:>6}{s['level1_per_story']:>10.2f}"
                f"{s['level1_precision']:>9.3f}{ms:>10.1f}  {json.dumps(s['per_class'])}"
            )


def pipeline(size: int) -> None:
    dateline = str(ROOT / ".venv" / "bin" / "dateline")
    print("\n## Through `dateline run` (the shared scorer itself, default configuration)")
    for args in (["ner", dateline, str(CONLL)], ["topics-agnews", dateline, str(AGNEWS), "--limit", str(size)]):
        done = subprocess.run([sys.executable, str(SCORER), *args], capture_output=True, text=True, check=False)
        print(f"{args[0]}: {done.stdout.strip() or done.stderr.strip()[-300:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agnews", type=int, default=2000, help="AG News items in the fixed sample")
    parser.add_argument("--pipeline", action="store_true", help="also run the shared scorer through dateline run")
    parser.add_argument("--only", choices=("entities", "topics"), help="one of the two sets")
    args = parser.parse_args()
    if not (SCORER.exists() and CONLL.exists() and AGNEWS.exists()):
        print("skipped: ../shared/tools/score_enrichment.py or its corpora not found")
        return 0
    se = scorer()
    before = rss_mib()
    lexicon()
    after_lexicon = rss_mib()
    english_ner()
    after_model = rss_mib()
    print(
        f"model {model_version()}; worker memory: gazetteers +{after_lexicon - before:.0f} MiB, "
        f"NER model +{after_model - after_lexicon:.0f} MiB (peak RSS {after_model:.0f} MiB)"
    )
    if args.only != "topics":
        report_entities(se)
    if args.only != "entities":
        report_topics(se, args.agnews)
    if args.pipeline:
        pipeline(args.agnews)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
