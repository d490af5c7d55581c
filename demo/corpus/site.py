"""Which documents an outlet's site has and their bytes, shared by the live server and the sample writer.

Paths are relative to the outlet's base URL: "/rss.xml" (or "/atom.xml"), "/sitemap-index.xml"
listing "/sitemaps/YYYY-MM.xml" (every story of that month, so all N stories are
discoverable), "/sitemap-news.xml" (the latest 1,000), "/robots.txt" and one page per story.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from demo.corpus.cast import Outlet
from demo.corpus.feeds import (
    render_atom,
    render_news_sitemap,
    render_robots,
    render_rss,
    render_sitemap_index,
)
from demo.corpus.html import render_article, render_home
from demo.corpus.story import (
    CorpusConfig,
    Story,
    StoryHead,
    corpus_outlets,
    index_from_path,
    outlet_base_url,
    outlet_of,
    slot_day,
    stories_between,
    story,
    story_head,
)

FEED_ITEMS = 20
NEWS_SITEMAP_ITEMS = 1000
RELATED_LINKS = 3
_RELATED_LOOKBACK = 60

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class Document:
    content_type: str
    body: bytes
    last_modified: datetime | None = None


def feed_path(site: Outlet) -> str:
    return "/atom.xml" if site.feed_format == "atom" else "/rss.xml"


def latest_heads(cfg: CorpusConfig, outlet_index: int, count: int) -> list[StoryHead]:
    """The outlet's `count` newest dated stories, newest first (a feed's or news sitemap's window)."""
    found: list[StoryHead] = []
    index = cfg.stories - 1
    while index >= 0 and len(found) < count:
        if outlet_of(cfg, index) == outlet_index:
            head = story_head(cfg, index)
            if head.published:
                found.append(head)
        index -= 1
    return found


def latest_stories(cfg: CorpusConfig, outlet_index: int, count: int) -> list[Story]:
    return [story(cfg, head.index) for head in latest_heads(cfg, outlet_index, count)]


def months(cfg: CorpusConfig) -> list[date]:
    """First days of the months the corpus spans."""
    if cfg.stories == 0:
        return []
    first, last = slot_day(cfg, 0), slot_day(cfg, cfg.stories - 1)
    out, month = [], first.replace(day=1)
    while month <= last:
        out.append(month)
        month = _next_month(month)
    return out


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def outlet_heads(cfg: CorpusConfig, outlet_index: int, indices: range) -> list[StoryHead]:
    return [story_head(cfg, i) for i in indices if outlet_of(cfg, i) == outlet_index]


def related_stories(cfg: CorpusConfig, item: Story) -> list[StoryHead]:
    """Up to three earlier stories of the same outlet, for the page's related links."""
    found = []
    for index in range(item.index - 1, max(item.index - _RELATED_LOOKBACK, -1), -1):
        if outlet_of(cfg, index) == item.outlet_index:
            found.append(story_head(cfg, index))
            if len(found) == RELATED_LINKS:
                break
    return found


def _newest(items: Sequence[StoryHead | Story]) -> datetime | None:
    changes = [s.last_change for s in items if s.last_change]
    return max(changes) if changes else None


def _xml(kind: str, text: str, modified: datetime | None) -> Document:
    return Document(CONTENT_TYPES[kind], text.encode("utf-8"), modified)


def render_outlet_path(cfg: CorpusConfig, outlet_index: int, path: str) -> Document | None:
    """The document at `path` on outlet `outlet_index`'s site, or None (404)."""
    site = corpus_outlets(cfg)[outlet_index]
    base = outlet_base_url(cfg, site)
    if path.endswith(".html"):
        index = index_from_path(path)
        if index is None or index >= cfg.stories or outlet_of(cfg, index) != outlet_index:
            return None
        if story_head(cfg, index).path != path:
            return None
        item = story(cfg, index)
        # An undated page links nowhere dated either: its related links would leak dates through their URLs.
        related = related_stories(cfg, item) if item.published else []
        page = render_article(cfg, item, related)
        return Document(CONTENT_TYPES["html"], page.encode("utf-8"), item.last_change)
    if path == feed_path(site):
        items = latest_stories(cfg, outlet_index, FEED_ITEMS)
        render = render_atom if site.feed_format == "atom" else render_rss
        return _xml(site.feed_format, render(cfg, site, base, items), _newest(items))
    if path == "/sitemap-news.xml":
        heads = latest_heads(cfg, outlet_index, NEWS_SITEMAP_ITEMS)
        return _xml("xml", render_news_sitemap(cfg, site, heads), _newest(heads))
    if path == "/sitemap-index.xml":
        entries = [(f"{base}/sitemaps/{m:%Y-%m}.xml", None) for m in months(cfg)]
        return _xml("xml", render_sitemap_index(entries), None)
    if path.startswith("/sitemaps/") and path.endswith(".xml"):
        month = next((m for m in months(cfg) if path == f"/sitemaps/{m:%Y-%m}.xml"), None)
        if month is None:
            return None
        heads = outlet_heads(cfg, outlet_index, stories_between(cfg, month, _next_month(month)))
        return _xml("xml", render_news_sitemap(cfg, site, heads), _newest(heads))
    if path == "/robots.txt":
        return _xml("txt", render_robots([f"{base}/sitemap-index.xml"], ["/search"]), None)
    if path in ("/", ""):
        feed = (base + feed_path(site), CONTENT_TYPES[site.feed_format].split(";")[0])
        page = render_home(cfg, site.name, base, latest_heads(cfg, outlet_index, 30), feed)
        return Document(CONTENT_TYPES["html"], page.encode("utf-8"), None)
    return None


def outlet_file_paths(cfg: CorpusConfig, outlet_index: int) -> Iterator[str]:
    """Every path the sample writer stores for an outlet (all but the front page)."""
    site = corpus_outlets(cfg)[outlet_index]
    yield "/robots.txt"
    yield feed_path(site)
    yield "/sitemap-news.xml"
    yield "/sitemap-index.xml"
    for month in months(cfg):
        yield f"/sitemaps/{month:%Y-%m}.xml"
    for index in range(cfg.stories):
        if outlet_of(cfg, index) == outlet_index:
            path = story_head(cfg, index).path
            assert path is not None
            yield path
