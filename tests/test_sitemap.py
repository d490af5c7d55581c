"""Sitemap indexes, sitemaps and Google News sitemaps; hostile XML is refused, not expanded."""

from __future__ import annotations

import gzip

import pytest

from transforms.errors import ParseError
from transforms.parsers.sitemap import Sitemap, SitemapEntry, parse_sitemap

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example/sitemap-news.xml</loc><lastmod>2025-02-06T10:00:00+05:00</lastmod></sitemap>
  <sitemap><loc> https://news.example/sitemap-2025-02.xml </loc></sitemap>
  <sitemap><lastmod>2025-02-01</lastmod></sitemap>
</sitemapindex>"""

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://news.example/pakistan/story-1?a=1&amp;b=2</loc>
    <lastmod>2025-02-06T09:45:00+05:00</lastmod>
    <news:news>
      <news:publication>
        <news:name>Example News</news:name><news:language>en</news:language>
      </news:publication>
      <news:publication_date>2025-02-06T09:30:00+05:00</news:publication_date>
      <news:title>Floods &amp; rains hit the north</news:title>
    </news:news>
  </url>
  <url><loc>https://news.example/world/story-2</loc><lastmod>2025-02-05</lastmod></url>
  <url><lastmod>2025-02-05</lastmod></url>
</urlset>"""


def test_index_lists_child_sitemaps() -> None:
    assert parse_sitemap(INDEX) == Sitemap(
        sitemaps=["https://news.example/sitemap-news.xml", "https://news.example/sitemap-2025-02.xml"]
    )


def test_google_news_entries_carry_dates_and_titles() -> None:
    sitemap = parse_sitemap(NEWS)
    assert sitemap.sitemaps == []
    assert sitemap.entries == [
        SitemapEntry(
            url="https://news.example/pakistan/story-1?a=1&b=2",
            lastmod="2025-02-06T09:45:00+05:00",
            publication_date="2025-02-06T09:30:00+05:00",
            title="Floods & rains hit the north",
        ),
        SitemapEntry(url="https://news.example/world/story-2", lastmod="2025-02-05"),
    ]


def test_wrong_namespaces_and_gzip_are_tolerated() -> None:
    plain = b"<urlset><url><loc>https://e.com/a</loc></url></urlset>"
    assert parse_sitemap(gzip.compress(b"  \n" + plain)).entries == [SitemapEntry("https://e.com/a")]


QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><urlset>'
    + b"<url><loc>&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;</loc></url>" * 200
    + b"</urlset>"
)
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY e SYSTEM "file:///etc/passwd">]><urlset>&e;</urlset>'


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (QUADRATIC, "xml_attack"),
        (EXTERNAL, "xml_attack"),
        (b"<urlset><url><loc>unterminated", "not_xml"),
        (b"", "not_xml"),
        (b"<rss><channel/></rss>", "not_sitemap"),
        (b"\x1f\x8bnot really gzip", "not_xml"),
    ],
    ids=["quadratic-blowup", "external-entity", "broken", "empty", "a-feed", "bad-gzip"],
)
def test_bad_documents_raise_parse_error_with_a_reason(content: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as refused:
        parse_sitemap(content)
    assert refused.value.reason == reason
