"""Web sources (`feed`, `sitemap`, `page`): fetched and sniffed, their articles handed out as they are found.

A source URL is fetched once (conditionally: an unchanged feed costs one request and no parsing)
and sniffed: a feed yields its items, a sitemap its entries and child sitemaps, a front page its
advertised feeds, an article page itself. Child sitemaps are fetched a few at a time, and each
child's entries are handed out (and its body dropped) before the next few are fetched, so a
sitemap index of hundreds of large children costs the memory of a few. Article URLs the
warehouse already holds, unchanged, are not fetched again.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

from selectolax.lexbor import LexborHTMLParser

from flows.sources.config import Source
from flows.sources.discover import Batch, ReadContext, WorkItem
from flows.sources.fetching import FetchResult
from transforms.errors import ParseError
from transforms.parsers.article import parse_article
from transforms.parsers.dates import to_utc
from transforms.parsers.feed import looks_like_feed, parse_feed
from transforms.parsers.feed_links import discover_feed_links
from transforms.parsers.sitemap import parse_sitemap
from transforms.record import StoryRecord
from transforms.urls import normalise_url
from warehouse.protocol import KnownStory

MAX_SITEMAP_DEPTH = 3
# Children of one sitemap index fetched together: enough to keep the connection pool busy, few enough
# that their bodies (up to 50 MB each, by the protocol) are not all in memory at once.
CHILD_BATCH = 4
ARTICLE_MIN_WORDS = 80
MAX_LINK_TEXT_SHARE = 0.5


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


def _is_article(body: bytes, url: str, content_type: str | None) -> bool:
    """An article page (it may advertise its site's feeds too, but it is the story asked for), as opposed
    to a front or section page whose feeds should be followed."""
    try:
        record = parse_article(body, locator=url, url=url, content_type=content_type)
    except ParseError:
        return False
    return len(record.body.split()) >= ARTICLE_MIN_WORDS and _link_text_share(body) < MAX_LINK_TEXT_SHARE


def _moved_since(hint: StoryRecord, known: KnownStory) -> bool:
    """A feed item or sitemap entry whose updated (or published) time is newer than what was loaded."""
    announced = to_utc(hint.updated_at) or to_utc(hint.published_at)
    stored = known.updated_at or known.published_at
    return announced is not None and (stored is None or announced > stored)


def _new_articles(source: Source, hints: list[StoryRecord], context: ReadContext) -> list[WorkItem]:
    """Work items for the announced articles not yet announced in this run nor stored unchanged."""
    discovery = context.discovery
    urls = {id(h): normalise_url(h.url) for h in hints if h.url}
    known_urls = context.lookup_known(list(urls.values()))
    wanted: list[tuple[str, StoryRecord]] = []
    for hint in hints:
        url = urls.get(id(hint))
        if not url:
            continue
        known = known_urls.get(url)
        if known is not None and not _moved_since(hint, known):
            discovery.skipped_unchanged += 1
            continue
        wanted.append((url, hint))
    items = []
    for (url, hint), first in zip(wanted, context.first_announcements([url for url, _ in wanted]), strict=True):
        if not first:
            discovery.duplicates += 1
            continue
        hint.source = source.name
        items.append(WorkItem(source, url, is_url=True, hint=hint))
    return items


def _sniff(source: Source, result: FetchResult, context: ReadContext) -> tuple[list[WorkItem], list[str]]:
    """What one fetched source document leads to: work items now, and URLs to read next (child sitemaps,
    advertised feeds). Raises ParseError when it leads nowhere."""
    url = result.final_url or result.url
    body = result.body or b""
    if _is_sitemap(body):
        sitemap = parse_sitemap(body)
        if sitemap.dropped_children:
            context.discovery.skip("sitemap_children_over_cap", sitemap.dropped_children)
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
        return _new_articles(source, hints, context), sitemap.sitemaps
    if looks_like_feed(body):
        feed = parse_feed(body, locator=url, url=url, headers=result.headers)
        return _new_articles(source, feed.records, context), []
    if _is_article(body, url, result.content_type):  # an article page given directly: parse the body already in hand
        return [WorkItem(source, url, is_url=True, prefetched=result)], []
    feeds = discover_feed_links(body.decode("utf-8", "replace"), url)  # a front page: follow its feeds
    if not feeds:
        raise ParseError("no_story_or_feed", "the page is neither an article nor advertises a feed")
    return [], feeds[:3]


def _fetched(source: Source, urls: list[str], context: ReadContext) -> Iterator[FetchResult]:
    """Each result of a batch fetch, released by the batch as it is handed over, so a parsed body can be
    dropped before the next one is read."""
    results = context.fetch(source, urls)
    results.reverse()
    while results:
        yield results.pop()


def _walk(source: Source, urls: list[str], context: ReadContext, depth: int) -> Generator[Batch]:
    discovery = context.discovery
    for start in range(0, len(urls), CHILD_BATCH):
        for result in _fetched(source, urls[start : start + CHILD_BATCH], context):
            validator = (result.url, result.etag, result.last_modified)
            if result.not_modified:
                discovery.not_modified += 1
                discovery.validators.append(validator)
                continue
            if result.error or result.body is None:
                discovery.reject(
                    source, result.url, result.error or "no_body", result.detail or f"HTTP {result.status_code}"
                )
                continue
            try:
                items, leads = _sniff(source, result, context)
            except ParseError as error:
                discovery.reject(source, result.url, error.reason, error.detail)
                continue
            del result  # parsed: the body goes before what it leads to is read
            if items:
                yield Batch(items)
            if leads and depth < MAX_SITEMAP_DEPTH:
                yield from _walk(source, leads, context, depth + 1)
            discovery.validators.append(validator)


def read(source: Source, context: ReadContext) -> Generator[Batch]:
    """The source's articles, a fetched document's worth at a time."""
    yield from _walk(source, [source.url or ""], context, depth=0)
