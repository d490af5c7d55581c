"""The bundled offline sample corpus (samples/), as a list of files: what `make run` ingests.

Three outlets on their own .example hosts (66 article pages over 7 weeks, with their feeds,
sitemaps and robots.txt, stored under <host>/<url path>), a fourth outlet that only exists
as story dumps (12 stories in 3 files), and manifest.json with the truth about each story.
Pure: the writer in demo/site.py only puts these bytes on disk.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

from demo.corpus.cast import DUMP_OUTLET
from demo.corpus.dump import render_dump
from demo.corpus.manifest import dump_entry, page_entry
from demo.corpus.site import FEED_ITEMS, latest_heads, outlet_file_paths, render_outlet_path
from demo.corpus.story import CorpusConfig, corpus_outlets, dump_story, slot_day, story

SAMPLE_CONFIG = CorpusConfig(seed=7, stories=66, outlets=3, start=date(2025, 1, 6), days=49, base_url=None)
DUMP_STORIES = 12
DUMP_STORIES_PER_FILE = 4


def dump_file_name(first_story_day: date) -> str:
    return f"dumps/{DUMP_OUTLET.slug}-{first_story_day.isoformat()}.txt"


def sample_files(cfg: CorpusConfig = SAMPLE_CONFIG) -> Iterator[tuple[str, bytes]]:
    """(relative path, bytes) for every generated sample file, manifest.json last."""
    entries = []
    for outlet_index, site in enumerate(corpus_outlets(cfg)):
        for path in outlet_file_paths(cfg, outlet_index):
            document = render_outlet_path(cfg, outlet_index, path)
            assert document is not None, path
            yield f"{site.host}{path}", document.body
    for index in range(cfg.stories):
        item = story(cfg, index)
        feed_ids = {s.index for s in latest_heads(cfg, item.outlet_index, FEED_ITEMS)}
        entries.append(page_entry(cfg, item, item.outlet.slug, index in feed_ids))
    dump_cfg = CorpusConfig(seed=cfg.seed, stories=DUMP_STORIES, start=cfg.start, days=cfg.days)
    dumps = [dump_story(dump_cfg, j) for j in range(DUMP_STORIES)]
    for first in range(0, DUMP_STORIES, DUMP_STORIES_PER_FILE):
        chunk = dumps[first : first + DUMP_STORIES_PER_FILE]
        name = dump_file_name(slot_day(dump_cfg, first))
        yield name, render_dump(chunk).encode("utf-8")
        entries += [dump_entry(item, DUMP_OUTLET.slug, f"{name}#{k + 1}") for k, item in enumerate(chunk)]
    yield "manifest.json", (json.dumps(_manifest(cfg, entries), ensure_ascii=False, indent=1) + "\n").encode()


def _manifest(cfg: CorpusConfig, entries: list[dict]) -> dict:
    pages = [e for e in entries if e["url"]]
    days = sorted(e["published_at"][:10] for e in pages if e["published_at"])
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    return {
        "generator": "demo.corpus (python -m demo.site write-samples samples/)",
        "seed": cfg.seed,
        "counts": {
            "stories": len(entries),
            "article_pages": len(pages),
            "dump_stories": len(entries) - len(pages),
            "outlets_with_sites": cfg.outlets,
            "sources": cfg.outlets + 1,
            "wire_copies": sum(1 for e in entries if e["is_wire_copy_of"]),
            "updated_pages": sum(1 for e in pages if e["updated_at"]),
            "undated_pages": sum(1 for e in pages if e["variant"] == "undated"),
            "legacy_pages": sum(1 for e in pages if e["variant"] == "legacy"),
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "days_spanned": (last - first).days + 1,
        },
        "sources": [
            {"name": site.slug, "site": site.name, "host": site.host, "feed": site.feed_format}
            for site in corpus_outlets(cfg)
        ]
        + [{"name": DUMP_OUTLET.slug, "site": DUMP_OUTLET.name, "host": None, "feed": None}],
        "stories": entries,
    }
