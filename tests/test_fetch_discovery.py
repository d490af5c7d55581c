"""Discovery over real HTTP: sitemap index -> sitemaps -> Google News entries, and feed autodiscovery."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_fixtures import Reply, ScriptedServer, fast_settings, fetch_all
from transforms.parsers.feed_links import discover_feed_links
from transforms.parsers.sitemap import parse_sitemap
from transforms.text_decoding import decode_text

XML = {"Content-Type": "application/xml"}

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def urlset(server: ScriptedServer, *paths: str) -> bytes:
    news = "http://www.google.com/schemas/sitemap-news/0.9"
    items = "".join(
        f"<url><loc>{server.url(path)}</loc><news:news><news:publication_date>2025-02-0{n}T09:30:00+05:00"
        f"</news:publication_date><news:title>Story {n}</news:title></news:news></url>"
        for n, path in enumerate(paths, start=1)
    )
    sitemaps = "http://www.sitemaps.org/schemas/sitemap/0.9"
    return f'<urlset xmlns="{sitemaps}" xmlns:news="{news}">{items}</urlset>'.encode()


def test_sitemap_index_leads_to_google_news_entries(server: ScriptedServer, tmp_path: Path) -> None:
    index = (
        f"<sitemapindex><sitemap><loc>{server.url('/news.xml')}</loc></sitemap>"
        f"<sitemap><loc>{server.url('/archive.xml.gz')}</loc></sitemap></sitemapindex>"
    )
    server.route("/sitemap.xml", Reply(headers=XML, body=index.encode()))
    server.route("/news.xml", Reply(headers=XML, body=urlset(server, "/a", "/b")))
    gz = {"Content-Type": "application/x-gzip"}  # a .xml.gz file, not a content coding
    server.route("/archive.xml.gz", Reply(headers=gz, body=gzip.compress(urlset(server, "/c"))))
    settings = fast_settings(tmp_path)

    (top,) = fetch_all(settings, server.url("/sitemap.xml"))
    children = parse_sitemap(top.body).sitemaps
    entries = [entry for child in fetch_all(settings, *children) for entry in parse_sitemap(child.body).entries]

    assert children == [server.url("/news.xml"), server.url("/archive.xml.gz")]
    assert [(e.url, e.title, e.publication_date) for e in entries] == [
        (server.url("/a"), "Story 1", "2025-02-01T09:30:00+05:00"),
        (server.url("/b"), "Story 2", "2025-02-02T09:30:00+05:00"),
        (server.url("/c"), "Story 1", "2025-02-01T09:30:00+05:00"),
    ]


def test_front_page_advertises_its_feeds(server: ScriptedServer, tmp_path: Path) -> None:
    home = b"""<!doctype html><html><head>
      <link rel="stylesheet" href="/style.css">
      <link rel="alternate" type="application/rss+xml" title="Top stories" href="/rss/top.xml">
      <link rel="Alternate" type="application/atom+xml; charset=utf-8" href="https://cdn.example/atom.xml">
      <link rel="alternate" type="application/feed+json" href="/feed.json">
      <link rel="alternate" hreflang="ur" href="/ur/">
      <link rel="alternate" type="application/rss+xml" href="/rss/top.xml">
    </head><body><a href="/rss/other.xml">RSS</a></body></html>"""
    server.route("/", Reply(body=home))
    (page,) = fetch_all(fast_settings(tmp_path), server.url("/"))
    text, _ = decode_text(page.body, page.content_type)
    assert discover_feed_links(text, page.final_url) == [
        server.url("/rss/top.xml"),
        "https://cdn.example/atom.xml",
        server.url("/feed.json"),
    ]


def test_feed_links_respect_base_href_and_ignore_other_schemes() -> None:
    html = (
        '<base href="https://news.example/en/">'
        '<link rel="alternate" type="application/rss+xml" href="feed.xml">'
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
    )
    assert discover_feed_links(html, "https://news.example/") == ["https://news.example/en/feed.xml"]
    assert discover_feed_links("<p>nothing</p>", "https://news.example/") == []
