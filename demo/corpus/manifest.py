"""The generator's own truth about each story, written to samples/manifest.json for exact-value tests.

Dates are as an ideal extractor reports them: web pages give full timestamps with the page's
offset; dump stories only print "Updated <day>", so they have `published_at` null and a
day-only `updated_at`. Mention counts are case-sensitive occurrences in `body`: people by
surname, organisations by acronym, places by country, capital or city name.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from demo.corpus.cast import PLACE_BY_NAME, PLACE_NAME_PATTERN
from demo.corpus.dump import dump_day
from demo.corpus.story import CorpusConfig, Story, story_head, story_url

_NOTES = {
    "legacy": "no JSON-LD or OpenGraph; <title> has a ' | Outlet' suffix; the page prints its local "
    "time without an offset (feeds and sitemaps carry the full timestamp)",
    "undated": "no date anywhere on the page or in its URL; listed in sitemaps without a date, not in feeds",
}


def _count(pattern: str, text: str) -> int:
    return len(re.findall(rf"(?<![\w-]){re.escape(pattern)}(?![\w-])", text))


def mentions(item: Story) -> dict[str, list[dict[str, Any]]]:
    body = item.body
    people = [{"name": p.name, "mentions": _count(p.surname, body)} for p in item.people]
    orgs = [{"name": o.name, "acronym": o.acronym, "mentions": _count(o.acronym, body)} for o in item.organizations]
    hits = Counter(PLACE_NAME_PATTERN.findall(body))
    places = [{"name": name, "country_code": PLACE_BY_NAME[name].code, "mentions": hits[name]} for name in sorted(hits)]
    return {
        "people": [p for p in people if p["mentions"]],
        "organizations": [o for o in orgs if o["mentions"]],
        "places": places,
    }


def _common(item: Story) -> dict[str, Any]:
    return {
        "headline": item.headline,
        "summary": list(item.summary),
        "authors": list(item.authors),
        "dateline": item.dateline,
        "dateline_lead_in": item.lead_in,
        "section": item.section,
        "tags": list(item.tags),
        "language": "en",
        "image_caption": item.image_caption,
        "body": item.body,
        **mentions(item),
        "quotes": [{"quote": q.text, "speaker": q.speaker} for q in item.quotes],
        "date_mentions": [{"phrase": d.phrase, "date": d.value} for d in item.date_mentions],
    }


def page_entry(cfg: CorpusConfig, item: Story, source: str, in_feed: bool) -> dict[str, Any]:
    copy_of = story_url(cfg, story_head(cfg, item.wire_copy_of)) if item.wire_copy_of is not None else None
    return {
        "source": source,
        "url": story_url(cfg, item),
        "locator": f"{item.outlet.host}{item.path}",
        "published_at": item.published.isoformat() if item.published else None,
        "updated_at": item.updated.isoformat() if item.updated else None,
        **_common(item),
        "variant": item.variant,
        "notes": _NOTES.get(item.variant),
        "is_wire": item.is_wire,
        "is_wire_copy_of": copy_of,
        "in_feed": in_feed,
    }


def dump_entry(item: Story, source: str, locator: str) -> dict[str, Any]:
    return {
        "source": source,
        "url": None,
        "locator": locator,
        "published_at": None,
        "updated_at": dump_day(item).isoformat(),
        **_common(item),
        "variant": "dump",
        "notes": None,
        "is_wire": False,
        "is_wire_copy_of": None,
        "in_feed": False,
    }
