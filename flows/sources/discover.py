"""Discovery: turn configured sources into the documents a run must read.

`file` sources expand their glob. URL sources are fetched once (conditionally: an unchanged
feed costs one request and no parsing) and sniffed: a feed yields its items, a sitemap its
child sitemaps and article URLs, a front page its advertised feeds, an article page itself.
Article URLs the warehouse already holds, unchanged, are not fetched again.
"""

from __future__ import annotations

import glob
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from flows.sources.access import access_for
from flows.sources.config import Source
from flows.sources.fetching import FetchRequest, FetchResult
from flows.sources.fetching.session import FetchSession
from transforms.errors import ParseError
from transforms.parsers.article import parse_article
from transforms.parsers.dates import to_utc
from transforms.parsers.feed import looks_like_feed, parse_feed
from transforms.parsers.feed_links import discover_feed_links
from transforms.parsers.sitemap import parse_sitemap
from transforms.record import StoryRecord
from transforms.star import Reject
from transforms.urls import normalise_url, without_userinfo
from warehouse.protocol import KnownStory

MAX_SITEMAP_DEPTH = 3
ARTICLE_MIN_WORDS = 80
MAX_LINK_TEXT_SHARE = 0.5


@dataclass(slots=True)
class WorkItem:
    """One document to read. `hint` is what a feed or sitemap already said about the story;
    `prefetched` is the body when discovery already had to fetch it (an article given as a page source)."""

    source: Source
    locator: str
    is_url: bool
    hint: StoryRecord | None = None
    prefetched: FetchResult | None = None


@dataclass(slots=True)
class Discovery:
    items: list[WorkItem] = field(default_factory=list)
    fetches: list[FetchResult] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    validators: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    not_modified: int = 0
    skipped_unchanged: int = 0
    duplicates: int = 0


def _expand_file_source(source: Source, base_dir: Path, discovery: Discovery) -> None:
    pattern = source.path or ""
    if not Path(pattern).is_absolute():
        pattern = str(base_dir / pattern)
    paths = sorted(p for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
    if source.max_items:
        paths = paths[: source.max_items]
    discovery.items.extend(WorkItem(source, path, is_url=False) for path in paths)


def _is_sitemap(body: bytes) -> bool:
    head = body[:2048].lower()
    return b"<urlset" in head or b"<sitemapindex" in head


def _link_text_share(html: bytes) -> float:
    """Share of the page's visible text that sits inside links: high on front and section pages,
    which are lists of headlines, low on articles, which are paragraphs."""
    tree = LexborHTMLParser(html)
    for node in tree.css("script, style, noscript"):
        node.decompose()
    body = tree.body
    total = len(body.text(separator=" ").split()) if body else 0
    linked = sum(len(a.text(separator=" ").split()) for a in tree.css("body a"))
    return linked / total if total else 1.0


def _is_article(body: bytes, url: str) -> bool:
    """An article page (it may advertise its site's feeds too, but it is the story asked for), as opposed
    to a front or section page whose feeds should be followed."""
    try:
        record = parse_article(body, locator=url, url=url)
    except ParseError:
        return False
    return len(record.body.split()) >= ARTICLE_MIN_WORDS and _link_text_share(body) < MAX_LINK_TEXT_SHARE


def _moved_since(hint: StoryRecord | None, known: KnownStory) -> bool:
    """A feed item or sitemap entry whose updated (or published) time is newer than what was loaded."""
    if hint is None:
        return False
    announced = to_utc(hint.updated_at) or to_utc(hint.published_at)
    stored = known.updated_at or known.published_at
    return announced is not None and (stored is None or announced > stored)


class Discoverer:
    """Walks the configured sources with one fetch session and the warehouse's memory of them."""

    def __init__(
        self,
        session: FetchSession | None,
        lookup_known: Callable[[list[str]], dict[str, KnownStory]],
        validators: dict[str, tuple[str | None, str | None]],
    ) -> None:
        self.session = session
        self.lookup_known = lookup_known
        self.validators = validators
        # an article announced twice (its outlet's feed and sitemap) is fetched once, for the first source;
        # kept here, not in the Discovery, so the run does not hold it once discovery is over
        self._announced: dict[str, WorkItem] = {}

    def _fetch(self, source: Source, urls: list[str], discovery: Discovery) -> list[FetchResult]:
        assert self.session is not None
        access = access_for(source)  # the source's guard and credentials, for its URL and all it leads to
        clean = [without_userinfo(url) for url in urls]
        requests = [FetchRequest(url, *self.validators.get(url, (None, None)), access=access) for url in clean]
        results = self.session.fetch_many(requests)
        discovery.fetches.extend(r.log_entry() for r in results)  # the bodies go once read (52 MB at 100k stories)
        return results

    def _add_articles(self, source: Source, hints: list[StoryRecord], discovery: Discovery) -> None:
        if source.max_items:
            hints = hints[: source.max_items]
        urls = {id(h): normalise_url(h.url) for h in hints if h.url}
        known_urls = self.lookup_known(list(urls.values()))
        for hint in hints:
            url = urls.get(id(hint))
            if not url:
                continue
            queued = self._announced.get(url)
            if queued is not None:
                discovery.duplicates += 1
                if queued.hint is not None:
                    queued.hint.fill_gaps(hint)
                continue
            known = known_urls.get(url)
            if known is not None and not _moved_since(hint, known):
                discovery.skipped_unchanged += 1
                continue
            hint.source = source.name
            item = WorkItem(source, url, is_url=True, hint=hint)
            self._announced[url] = item
            discovery.items.append(item)

    def _read(self, source: Source, result: FetchResult, discovery: Discovery, depth: int) -> None:
        """Sniff one fetched source document and queue what it leads to."""
        url = result.final_url or result.url
        body = result.body or b""
        if _is_sitemap(body):
            sitemap = parse_sitemap(body)
            hints = [
                StoryRecord(
                    input=entry.url,
                    url=entry.url,
                    title=entry.title,
                    updated_at=entry.lastmod,
                    published_at=entry.publication_date,
                )
                for entry in sitemap.entries
            ]
            self._add_articles(source, hints, discovery)
            if sitemap.sitemaps and depth < MAX_SITEMAP_DEPTH:
                self._walk(source, list(sitemap.sitemaps), discovery, depth + 1)
        elif looks_like_feed(body):
            feed = parse_feed(body, locator=url, url=url, headers=result.headers)
            self._add_articles(source, feed.records, discovery)
        elif _is_article(body, url):  # an article page given directly: parse the body already in hand
            discovery.items.append(WorkItem(source, url, is_url=True, prefetched=result))
        else:  # a front page: follow the feeds it advertises
            feeds = discover_feed_links(body.decode("utf-8", "replace"), url)
            if not feeds:
                raise ParseError("no_story_or_feed", "the page is neither an article nor advertises a feed")
            if depth < MAX_SITEMAP_DEPTH:
                self._walk(source, feeds[:3], discovery, depth + 1)

    def _walk(self, source: Source, urls: list[str], discovery: Discovery, depth: int) -> None:
        for result in self._fetch(source, urls, discovery):
            if result.not_modified:
                discovery.not_modified += 1
                discovery.validators.append((result.url, result.etag, result.last_modified))
                continue
            if result.error or result.body is None:
                discovery.rejects.append(
                    Reject(
                        source.name,
                        result.url,
                        "discover",
                        result.error or "no_body",
                        result.detail or f"HTTP {result.status_code}",
                    )
                )
                continue
            try:
                self._read(source, result, discovery, depth)
            except ParseError as error:
                discovery.rejects.append(Reject(source.name, result.url, "discover", error.reason, error.detail))
                continue
            discovery.validators.append((result.url, result.etag, result.last_modified))

    def discover(self, sources: list[Source], base_dir: Path) -> Discovery:
        discovery = Discovery()
        for source in sources:
            if source.kind == "file":
                _expand_file_source(source, base_dir, discovery)
            elif self.session is not None:
                self._walk(source, [source.url or ""], discovery, depth=0)
        return discovery
